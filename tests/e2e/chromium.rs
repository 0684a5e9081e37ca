//! A real headless Chromium for the page tests, driven through chromedriver. Installs the two
//! Debian packages when they are missing, and fails with a clear message if it cannot.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// How long a page gets to show what a test waits for: generous, as the whole suite runs
/// at once on two cores; a passing test never waits that long.
const PATIENCE: Duration = Duration::from_secs(30);

/// The WebDriver key codes for Enter, Tab and the up arrow.
pub const ENTER: &str = "\u{E007}";
pub const TAB: &str = "\u{E004}";
pub const UP: &str = "\u{E013}";

/// A window size: a lab PC's, or a phone's (emulated, as headless windows have a minimum).
#[derive(Clone, Copy)]
pub enum Screen {
    Desktop,
    Phone,
}

/// One browser with a fresh profile, and the chromedriver that drives it.
pub struct Browser {
    pub client: Client,
    driver: Child,
    /// The profile directory, unique to this browser; also how its processes are found.
    _profile: tempfile::TempDir,
}

static INSTALL: Mutex<bool> = Mutex::new(false);

/// Makes sure chromium and chromedriver are there, installing the Debian packages if not.
fn ensure_installed() {
    let mut checked = INSTALL.lock().unwrap_or_else(|poison| poison.into_inner());
    if *checked {
        return;
    }
    let present = |name: &str| {
        Command::new(name)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    if !(present("chromedriver") && Path::new("/usr/bin/chromium").exists()) {
        let installed = apt_install(&["chromium", "chromium-driver"]);
        assert!(
            installed && present("chromedriver"),
            "the page tests need Chromium: install the Debian packages chromium and \
             chromium-driver (apt-get install chromium chromium-driver), as root"
        );
    }
    *checked = true;
}

/// Installs Debian `packages`, updating the package lists first if that is what it takes;
/// true once they are installed.
pub fn apt_install(packages: &[&str]) -> bool {
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    install()
        || (Command::new("apt-get")
            .arg("update")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
            && install())
}

/// A port nothing listens on at the moment.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}

impl Browser {
    /// Starts a browser showing nothing yet.
    pub async fn open(screen: Screen) -> Self {
        ensure_installed();
        let port = free_port();
        // In a process group of its own, so that Chromium goes with it even if a failed test
        // never closes the session.
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        let deadline = Instant::now() + PATIENCE;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not start listening"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let profile = tempfile::tempdir().expect("profile directory");
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--lang=fr-FR".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut options = json!({
            "binary": "/usr/bin/chromium",
            "prefs": {"intl.accept_languages": "fr-FR,fr"},
        });
        match screen {
            Screen::Desktop => args.push("--window-size=1280,800".to_owned()),
            Screen::Phone => {
                options["mobileEmulation"] =
                    json!({"deviceMetrics": {"width": 360, "height": 740, "pixelRatio": 2.0}});
            }
        }
        options["args"] = json!(args);
        let capabilities = json!({"goog:chromeOptions": options});
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(serde_json::from_value(capabilities).expect("capabilities"))
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session");
        Self {
            client,
            driver,
            _profile: profile,
        }
    }

    /// Opens the page and waits until its script has run.
    pub async fn visit(&self, url: &str) {
        self.client.goto(url).await.expect("page loads");
        self.wait(
            "the page script",
            "document.getElementById('status-text').textContent !== '…'",
        )
        .await;
    }

    /// Runs `script` (a function body) and returns what it returns.
    /// Presses `keys` on whatever has focus, as a keyboard would.
    pub async fn press(&self, keys: &str) {
        self.client
            .active_element()
            .await
            .expect("a focused element")
            .send_keys(keys)
            .await
            .expect("keys");
    }

    pub async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|error| panic!("script failed: {error}\n{script}"))
    }

    /// Waits until `condition` (a JavaScript expression) is true.
    pub async fn wait(&self, what: &str, condition: &str) {
        let script = format!("return Boolean({condition});");
        let deadline = Instant::now() + PATIENCE;
        loop {
            if self.js(&script).await == json!(true) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; the log shows:\n{}",
                self.log_text().await
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Types into the element matching `css`.
    pub async fn type_into(&self, css: &str, text: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("{css}: {error}"))
            .send_keys(text)
            .await
            .unwrap_or_else(|error| panic!("typing into {css}: {error}"));
    }

    /// Chooses a nickname in the join dialog and waits to be in.
    pub async fn join(&self, nick: &str) {
        self.join_attempt(nick).await;
        self.wait("the welcome", "!document.getElementById('nick-dialog').open && !document.getElementById('chat').hidden")
            .await;
    }

    /// Submits a nickname in the join dialog without waiting for the outcome.
    pub async fn join_attempt(&self, nick: &str) {
        self.wait(
            "the nickname dialog",
            "document.getElementById('nick-dialog').open",
        )
        .await;
        self.js("document.getElementById('nick').value = ''; return null;")
            .await;
        self.type_into("#nick", &format!("{nick}{ENTER}")).await;
    }

    /// Types a line in the message box and presses Enter.
    pub async fn say(&self, text: &str) {
        self.type_into("#msg", &format!("{text}{ENTER}")).await;
    }

    /// What the conversation shows, as text.
    pub async fn log_text(&self) -> String {
        self.js("const log = document.getElementById('log'); return log ? log.innerText : '';")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until the conversation shows `text`.
    pub async fn wait_text(&self, text: &str) {
        let condition = format!(
            "document.getElementById('log').innerText.includes({})",
            json!(text)
        );
        self.wait(&format!("{text:?} in the log"), &condition).await;
    }

    /// Saves a screenshot as `target/screenshots/NAME.png` for a person to look at.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot directory");
        let path = dir.join(format!("{name}.png"));
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Ends the session, then the driver.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The whole process group: chromedriver and the Chromium it started, which a failed
        // test never closed.
        if let Some(group) = i32::try_from(self.driver.id())
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        {
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        }
        let _ = self.driver.wait();
        // Chromium moves some of its processes out of the driver's group; every one of them
        // was started with this browser's own profile directory.
        let marker = format!("--user-data-dir={}", self._profile.path().display());
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|name| name.parse::<i32>().ok())
                .and_then(rustix::process::Pid::from_raw)
            else {
                continue;
            };
            let started_here = std::fs::read(entry.path().join("cmdline"))
                .is_ok_and(|cmdline| String::from_utf8_lossy(&cmdline).contains(&marker));
            if started_here {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
        }
    }
}
