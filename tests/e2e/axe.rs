//! axe-core, the accessibility engine behind Lighthouse and most audit tools, run inside the
//! page under test.

use std::sync::OnceLock;

use serde_json::Value;

use crate::chromium::Browser;

/// The axe-core release the tests audit with: its rules change between releases.
const VERSION: &str = "4.14.1";

/// axe-core's script, installed from npm on first use.
fn source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let script = crate::npm::installed("axe-core", VERSION).join("axe.min.js");
        std::fs::read_to_string(&script)
            .unwrap_or_else(|error| panic!("{}: {error}", script.display()))
    })
}

/// Audits the page as it is now against WCAG 2.1 A and AA and axe's best practices, and
/// returns the serious and critical violations, one short line each (rule, impact, help and
/// the first elements concerned).
pub async fn serious_violations(browser: &Browser) -> Vec<String> {
    browser.js(&format!("{}\nreturn null;", source())).await;
    let script = r#"
        const done = arguments[arguments.length - 1];
        axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
            resultTypes: ["violations"],
        }).then(
            (results) => done(results.violations
                .filter((v) => v.impact === "serious" || v.impact === "critical")
                .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + ": " + n.failureSummary.split("\n").slice(1, 2).join(""))}))),
            (error) => done([{id: "axe-error", impact: "critical", help: String(error), nodes: []}]),
        );
    "#;
    let found = browser
        .client
        .execute_async(script, Vec::new())
        .await
        .unwrap_or_else(|error| panic!("axe.run failed: {error}"));
    let Value::Array(found) = found else {
        return vec![format!("axe returned {found}")];
    };
    found
        .iter()
        .map(|violation| {
            format!(
                "{} ({}): {} — {}",
                violation["id"].as_str().unwrap_or_default(),
                violation["impact"].as_str().unwrap_or_default(),
                violation["help"].as_str().unwrap_or_default(),
                violation["nodes"]
            )
        })
        .collect()
}
