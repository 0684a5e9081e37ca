//! Tools the page's tests take from npm (axe-core, Lighthouse), installed into the target
//! directory when missing, once per version, with a clear message if they cannot be.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

/// Installs `package@version` unless it is there already, and returns its directory
/// (`…/node_modules/PACKAGE`).
pub fn installed(package: &str, version: &str) -> PathBuf {
    // One install at a time: tests running at once would write the same directory.
    static INSTALLING: Mutex<()> = Mutex::new(());
    let _one = INSTALLING
        .lock()
        .unwrap_or_else(|poison| poison.into_inner());
    let prefix =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("npm-{package}-{version}"));
    let dir = prefix.join("node_modules").join(package);
    if !dir.join("package.json").exists() {
        let status = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
            .arg(&prefix)
            .arg(format!("{package}@{version}"))
            .status();
        assert!(
            status.is_ok_and(|status| status.success()),
            "the page's tests need {package} from npm: `npm install {package}@{version}` \
             failed (is npm installed, and the npm registry reachable?)"
        );
    }
    dir
}
