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
        Self::start_on(free_port(), extra).await
    }

    /// Starts a server for clients on `port`, with `extra` arguments.
    async fn start_on(port: u16, extra: Vec<String>) -> Self {
        ensure_installed();
        let dir = tempfile::tempdir().expect("a directory for JetStream");
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

/// Three NATS servers in one JetStream cluster, each on its own loopback address
/// (127.0.0.2 to 127.0.0.4) for its routes.
pub struct NatsCluster {
    pub servers: Vec<Nats>,
}

impl NatsCluster {
    /// Starts three servers routed to each other, named `s1` to `s3`.
    pub async fn start() -> Self {
        let routes: Vec<(String, u16)> = (2..=4)
            .map(|host| (format!("127.0.0.{host}"), free_port()))
            .collect();
        let all = routes
            .iter()
            .map(|(host, port)| format!("nats://{host}:{port}"))
            .collect::<Vec<_>>()
            .join(",");
        let mut servers = Vec::new();
        for (n, (host, port)) in routes.iter().enumerate() {
            let extra = vec![
                "-n".to_owned(),
                format!("s{}", n + 1),
                "--cluster_name".to_owned(),
                "tchat".to_owned(),
                "--cluster".to_owned(),
                format!("nats://{host}:{port}"),
                "--routes".to_owned(),
                all.clone(),
            ];
            servers.push(Nats::start_on(free_port(), extra).await);
        }
        Self { servers }
    }

    /// Every server's client address, as `--cluster` takes them.
    pub fn urls(&self) -> String {
        self.servers
            .iter()
            .map(|server| server.url.clone())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The name of the server leading stream `stream` (`s1` to `s3`), once there is one.
    pub async fn leader_of(&self, stream: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            for server in self.servers.iter().filter(|server| server.child.is_some()) {
                let Ok(client) = async_nats::connect(&server.url).await else {
                    continue;
                };
                let js = async_nats::jetstream::new(client);
                if let Ok(mut found) = js.get_stream(stream).await
                    && let Ok(info) = found.info().await
                    && let Some(leader) = info.cluster.as_ref().and_then(|c| c.leader.clone())
                {
                    return leader;
                }
            }
            assert!(Instant::now() < deadline, "stream {stream} has no leader");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The server called `name`.
    pub fn server(&mut self, name: &str) -> &mut Nats {
        let index: usize = name.trim_start_matches('s').parse().expect("a server name");
        &mut self.servers[index - 1]
    }
}

/// A TCP proxy in front of a NATS server, for a node to reach it through: cut, the node
/// loses the cluster (its connections drop, new ones are refused) while the others go on.
pub struct Cut {
    /// What the node's `--cluster` takes.
    pub url: String,
    state: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Cut {
    /// A proxy to `nats`, open.
    pub async fn to(nats: &Nats) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a proxy port");
        let url = format!("nats://{}", listener.local_addr().expect("its address"));
        let upstream = ("127.0.0.1", nats.port);
        let (state, cut) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if *cut.borrow() {
                    continue;
                }
                let mut cut = cut.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.wait_for(|cut| *cut) => {}
                    }
                });
            }
        });
        Self { url, state, task }
    }

    /// Cuts every connection through the proxy, and refuses new ones.
    pub fn cut(&self) {
        self.state.send_replace(true);
    }

    /// Lets connections through again.
    pub fn heal(&self) {
        self.state.send_replace(false);
    }
}

impl Drop for Cut {
    fn drop(&mut self) {
        self.task.abort();
    }
}
