//! axe-core, the accessibility engine behind Lighthouse and most audit tools, run inside the
//! page under test. Installed from npm into the target directory when missing, once per test
//! run, with a clear message if it cannot be.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::chromium::Browser;

/// The axe-core release the tests audit with: its rules change between releases.
const VERSION: &str = "4.14.1";

/// axe-core's script, installed on first use.
fn source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("axe-core-{VERSION}"));
        let script = dir.join("node_modules/axe-core/axe.min.js");
        if !script.exists() {
            let installed = Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
                .arg(&dir)
                .arg(format!("axe-core@{VERSION}"))
                .status();
            assert!(
                installed.is_ok_and(|status| status.success()),
                "the accessibility tests need axe-core from npm: `npm install axe-core@{VERSION}` \
                 failed (is npm installed and the npm registry reachable?)"
            );
        }
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
