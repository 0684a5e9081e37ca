//! Real NATS servers for the cluster tests: Debian's `nats-server`, installed when missing
//! (as Chromium is), started by the tests on loopback ports with JetStream on, each in a
//! directory of its own that outlives a kill, so a server can come back with its data.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::chromium::{apt_install, free_port};
use crate::helpers::PATIENCE;

/// Where Debian puts the server.
const SERVER: &str = "/usr/sbin/nats-server";

static INSTALL: Mutex<bool> = Mutex::new(false);

/// Makes sure `nats-server` is there, installing the Debian package if not.
fn ensure_installed() {
    let mut checked = INSTALL.lock().unwrap_or_else(|poison| poison.into_inner());
    if *checked {
        return;
    }
    let present = || {
        Command::new(SERVER)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    if !present() {
        assert!(
            apt_install(&["nats-server"]) && present(),
            "the cluster tests need NATS: install the Debian package nats-server \
             (apt-get install nats-server), as root"
        );
    }
    *checked = true;
}

/// One NATS server with JetStream, killed when dropped.
pub struct Nats {
    child: Option<Child>,
    args: Vec<String>,
    /// `nats://127.0.0.1:PORT`, what tchat's `--cluster` takes.
    pub url: String,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Nats {
    /// Starts a lone server.
    pub async fn start() -> Self {
        Self::start_with(Vec::new()).await
    }

    /// Starts a server with `extra` arguments (a cluster's routes).
    async fn start_with(extra: Vec<String>) -> Self {
        ensure_installed();
        let dir = tempfile::tempdir().expect("a directory for JetStream");
        let port = free_port();
        let mut args = vec![
            "-a".to_owned(),
            "127.0.0.1".to_owned(),
            "-p".to_owned(),
            port.to_string(),
            "-js".to_owned(),
            "-sd".to_owned(),
            dir.path().display().to_string(),
        ];
        args.extend(extra);
        let mut nats = Self {
            child: None,
            args,
            url: format!("nats://127.0.0.1:{port}"),
            port,
            _dir: dir,
        };
        nats.restart().await;
        nats
    }

    /// Starts the server again (after [`Nats::kill`]), on the same port and data.
    pub async fn restart(&mut self) {
        let child = Command::new(SERVER)
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("nats-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + PATIENCE;
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nats-server did not start listening"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Kills the server at once, as a machine dying would (SIGKILL).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.kill();
    }
}
