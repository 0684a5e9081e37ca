//! Lighthouse's accessibility score for the page before joining and for `/join`, the two
//! pages anyone opens first, measured by Lighthouse itself in the Chromium the tests use.

use serde_json::Value;

use crate::helpers::*;

/// The Lighthouse release the scores are measured with.
const VERSION: &str = "13.5.0";

/// Lighthouse's accessibility score for `url` (1 is 100), and the audits that failed.
async fn accessibility(url: &str) -> (f64, Vec<String>) {
    let cli = crate::npm::installed("lighthouse", VERSION).join("cli/index.js");
    let report = tempfile::NamedTempFile::new().expect("report file");
    let mut command = std::process::Command::new("node");
    command
        .arg(&cli)
        .arg(url)
        .args([
            "--only-categories=accessibility",
            "--chrome-flags=--headless --no-sandbox --disable-gpu",
            "--output=json",
            "--quiet",
        ])
        .arg(format!("--output-path={}", report.path().display()))
        .env("CHROME_PATH", "/usr/bin/chromium");
    // On a thread of its own: the server under test runs on this runtime meanwhile.
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("Lighthouse's thread")
        .expect("run Lighthouse with node");
    assert!(
        output.status.success(),
        "Lighthouse failed on {url}: {}",
        String::from_utf8_lossy(&output.stderr)
            .lines()
            .take(10)
            .collect::<Vec<_>>()
            .join("\n")
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(report.path()).expect("report"))
            .expect("a JSON report");
    let score = report["categories"]["accessibility"]["score"]
        .as_f64()
        .unwrap_or_default();
    let failed = report["audits"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, audit)| {
            audit["scoreDisplayMode"] == "binary" && audit["score"].as_f64() < Some(1.0)
        })
        .map(|(id, audit)| format!("{id}: {}", audit["title"].as_str().unwrap_or_default()))
        .collect();
    (score, failed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lighthouse_scores_the_page_and_join_100_for_accessibility() {
    let app = spawn_app().await;
    for path in ["/", "/join"] {
        let (score, failed) = accessibility(&format!("http://{}{path}", app.http)).await;
        assert!(
            score >= 1.0,
            "Lighthouse accessibility {} on {path}: {}",
            (score * 100.0).round(),
            failed.join("; ")
        );
    }
    app.stop().await;
}
