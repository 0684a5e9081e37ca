//! Three NATS servers as one JetStream cluster, for the cluster benchmark: started as tchat's
//! cluster tests start them (`tests/e2e/nats.rs`), each in a temporary directory on free
//! loopback ports, its route listener on 127.0.0.2 to 127.0.0.4; plus a monitoring port, whose
//! `/connz` says which tchat node is connected to which server.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::http;

/// The stream that is a cluster's conversation (tchat's `cluster::STREAM`).
pub(crate) const STREAM: &str = "TCHAT";

/// How long a server may take to listen, or the cluster to name a stream's leader.
const PATIENCE: Duration = Duration::from_secs(20);

/// One NATS server with JetStream, killed when dropped.
pub(crate) struct NatsServer {
    /// `None` once killed.
    child: Option<Child>,
    /// Its name in the cluster, `s1` to `s3`: what a stream's info gives as its leader.
    pub(crate) name: String,
    /// `nats://127.0.0.1:PORT`, what tchat's `--cluster` takes.
    pub(crate) url: String,
    /// `127.0.0.1:PORT` of its monitoring pages.
    monitor: String,
    _dir: tempfile::TempDir,
}

impl NatsServer {
    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills the server at once (SIGKILL), as a machine dying would, and reaps it.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Three servers routed to each other, named `s1` to `s3`.
pub(crate) struct NatsCluster {
    pub(crate) servers: Vec<NatsServer>,
}

/// A free TCP port on `host`. Another process may take it before the server binds it; on a
/// machine running one benchmark at a time, none does.
fn free_port(host: &str) -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind((host, 0))?.local_addr()?.port())
}

impl NatsCluster {
    /// Starts the three servers and waits until each takes clients.
    pub(crate) fn start(binary: &Path) -> anyhow::Result<Self> {
        let mut routes = Vec::new();
        for host in ["127.0.0.2", "127.0.0.3", "127.0.0.4"] {
            routes.push(format!("nats://{host}:{}", free_port(host)?));
        }
        let all_routes = routes.join(",");
        let mut servers = Vec::new();
        for (index, route) in routes.iter().enumerate() {
            let dir = tempfile::tempdir()?;
            let (port, monitor) = (free_port("127.0.0.1")?, free_port("127.0.0.1")?);
            let name = format!("s{}", index + 1);
            let child = Command::new(binary)
                .args(["-a", "127.0.0.1", "-p", &port.to_string()])
                .args(["-m", &monitor.to_string(), "-js", "-sd"])
                .arg(dir.path())
                .args(["-n", &name, "--cluster_name", "tchat", "--cluster", route])
                .args(["--routes", &all_routes])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .with_context(|| format!("starting {}", binary.display()))?;
            servers.push(NatsServer {
                child: Some(child),
                name,
                url: format!("nats://127.0.0.1:{port}"),
                monitor: format!("127.0.0.1:{monitor}"),
                _dir: dir,
            });
        }
        let deadline = Instant::now() + PATIENCE;
        for server in &servers {
            let address = server.url.trim_start_matches("nats://");
            while std::net::TcpStream::connect(address).is_err() {
                if Instant::now() > deadline {
                    bail!("nats-server {} did not start listening", server.name);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Ok(Self { servers })
    }

    /// Every server's client address, comma-separated, as `--cluster` takes them.
    pub(crate) fn urls(&self) -> String {
        let urls: Vec<&str> = self.servers.iter().map(|s| s.url.as_str()).collect();
        urls.join(",")
    }

    /// The servers still running.
    pub(crate) fn pids(&self) -> Vec<u32> {
        self.servers.iter().filter_map(NatsServer::pid).collect()
    }

    /// The name of the server leading the conversation's stream, once there is one.
    pub(crate) async fn leader(&self) -> anyhow::Result<String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            for server in self.servers.iter().filter(|s| s.child.is_some()) {
                if let Some(leader) = leader_seen_by(&server.url).await {
                    return Ok(leader);
                }
            }
            if Instant::now() > deadline {
                bail!("the stream {STREAM} has no leader");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Kills server `name` (`s1` to `s3`) at once.
    pub(crate) fn kill(&mut self, name: &str) -> anyhow::Result<()> {
        let server = self
            .servers
            .iter_mut()
            .find(|server| server.name == name)
            .with_context(|| format!("no NATS server called {name}"))?;
        server.kill();
        Ok(())
    }

    /// Which server each client named `tchat NODE` is connected to: `(node, server)`, by
    /// node. A server that does not answer is left out.
    pub(crate) async fn connections(&self) -> Vec<(String, String)> {
        let mut found = Vec::new();
        for server in self.servers.iter().filter(|s| s.child.is_some()) {
            let Ok(body) = http::get(&server.monitor, "/connz").await else {
                continue;
            };
            let Ok(connz) = serde_json::from_str::<serde_json::Value>(&body) else {
                continue;
            };
            let clients = connz["connections"].as_array().cloned().unwrap_or_default();
            for client in clients {
                if let Some(node) = client["name"]
                    .as_str()
                    .and_then(|name| name.strip_prefix("tchat "))
                {
                    found.push((node.to_owned(), server.name.clone()));
                }
            }
        }
        found.sort();
        found
    }
}

/// Watches the conversation's stream from the servers other than `leader`: tells when the
/// log takes records again after the leader is killed, apart from when nodes deliver them.
pub(crate) struct LogWatch {
    stream: async_nats::jetstream::stream::Stream,
}

impl LogWatch {
    /// Connects to every server but `leader`.
    pub(crate) async fn start(cluster: &NatsCluster, leader: &str) -> anyhow::Result<Self> {
        let others: Vec<&str> = cluster
            .servers
            .iter()
            .filter(|server| server.name != leader && server.child.is_some())
            .map(|server| server.url.as_str())
            .collect();
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(2))
            .connect(others.as_slice())
            .await
            .context("connecting to the NATS servers")?;
        let js = async_nats::jetstream::new(client);
        let stream = js.get_stream(STREAM).await.context("the stream")?;
        Ok(Self { stream })
    }

    /// The stream's last sequence, if its leader answers within a moment.
    pub(crate) async fn last_sequence(&self) -> Option<u64> {
        let mut stream = self.stream.clone();
        let info = tokio::time::timeout(Duration::from_millis(500), stream.info()).await;
        Some(info.ok()?.ok()?.state.last_sequence)
    }
}

/// The leader of the conversation's stream as the server at `url` sees it.
async fn leader_seen_by(url: &str) -> Option<String> {
    let client = async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_secs(2))
        .connect(url)
        .await
        .ok()?;
    let js = async_nats::jetstream::new(client);
    let mut stream = js.get_stream(STREAM).await.ok()?;
    let info = stream.info().await.ok()?;
    info.cluster.as_ref()?.leader.clone()
}
