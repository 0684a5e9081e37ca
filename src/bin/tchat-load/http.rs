//! One HTTP GET, for a node's transcript and a NATS server's monitoring page: a request
//! each after a measurement, so a few lines of HTTP/1.0 rather than an HTTP client among
//! the package's dependencies. HTTP/1.0, as its body ends where the connection does (never
//! chunked).

use std::time::Duration;

use anyhow::{Context as _, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a response may take: a busy room's transcript is some megabytes.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The body of `GET path` from `addr` (`host:port`), if the answer is 200 OK.
pub(crate) async fn get(addr: &str, path: &str) -> anyhow::Result<String> {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await?;
        let request = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        anyhow::Ok(raw)
    };
    let raw = tokio::time::timeout(TIMEOUT, exchange)
        .await
        .with_context(|| format!("no answer to GET {path} within {TIMEOUT:?}"))??;
    let raw = String::from_utf8_lossy(&raw);
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .with_context(|| format!("GET {path}: no header block"))?;
    let status = head.lines().next().unwrap_or_default();
    if !status.contains(" 200 ") {
        bail!("GET {path}: {status}");
    }
    Ok(body.to_owned())
}
