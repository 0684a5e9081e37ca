//! What one student with a script can try against the server's memory and its room, as a
//! measurement: the server's resident memory during the attack, and what a bystander is
//! shown meanwhile.
//!
//! - `ping`: one WebSocket client sends pings as fast as it can and never reads the pongs.
//! - `headers`: many HTTP connections each send a request head that never ends (300 KB).
//! - `churn`: one address connects and closes over and over without a word.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures_util::SinkExt;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

use crate::proc;

/// One attack's figures.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// The server's resident memory before, in bytes.
    pub(crate) rss_before: u64,
    /// The most it reached during the attack.
    pub(crate) rss_peak: u64,
    /// What the attack did, in its own unit (pings sent, connections, cycles).
    pub(crate) count: u64,
    /// Lines a bystander TCP client was shown meanwhile.
    pub(crate) bystander_lines: u64,
}

impl Outcome {
    pub(crate) fn describe(&self, what: &str) -> String {
        format!(
            "{what}: {} done, server RSS {} → peak {} KiB (+{} KiB), a bystander was shown {} lines",
            self.count,
            self.rss_before / 1024,
            self.rss_peak / 1024,
            self.rss_peak.saturating_sub(self.rss_before) / 1024,
            self.bystander_lines
        )
    }
}

/// A TCP client that counts the lines it is shown, after its greeting.
async fn bystander(tcp: &str) -> anyhow::Result<tokio::task::JoinHandle<u64>> {
    let mut stream = TcpStream::connect(tcp).await.context("bystander")?;
    // An empty line: a client that ends its lines is sent everything as it comes.
    stream.write_all(b"\r\n").await?;
    let mut lines = BufReader::new(stream).lines();
    lines.next_line().await?;
    Ok(tokio::spawn(async move {
        let mut shown = 0;
        while let Ok(Ok(Some(_))) =
            tokio::time::timeout(Duration::from_secs(5), lines.next_line()).await
        {
            shown += 1;
        }
        shown
    }))
}

/// The most memory the server uses while `attack` runs, sampled every 50 ms.
async fn peak_while<T>(pid: u32, attack: impl Future<Output = T>) -> (u64, T) {
    let mut peak = proc::rss_bytes(pid).unwrap_or(0);
    tokio::pin!(attack);
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            done = &mut attack => {
                return (peak.max(proc::rss_bytes(pid).unwrap_or(0)), done);
            }
            _ = tick.tick() => peak = peak.max(proc::rss_bytes(pid).unwrap_or(0)),
        }
    }
}

/// Pings of 125 bytes, `count` of them, from one page that never reads.
pub(crate) async fn ping(http: &str, tcp: &str, pid: u32, count: u64) -> anyhow::Result<Outcome> {
    let watcher = bystander(tcp).await?;
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{http}/ws")).await?;
    socket
        .send(Message::text(r#"{"type":"hello","nick":"pingeur"}"#))
        .await?;
    let rss_before = proc::rss_bytes(pid).unwrap_or(0);
    let payload = vec![b'p'; 125];
    let (rss_peak, sent) = peak_while(pid, async {
        let mut sent = 0;
        for _ in 0..count {
            if socket
                .feed(Message::Ping(payload.clone().into()))
                .await
                .is_err()
            {
                break;
            }
            sent += 1;
        }
        let _ = socket.flush().await;
        sent
    })
    .await;
    drop(socket);
    Ok(Outcome {
        rss_before,
        rss_peak,
        count: sent,
        bystander_lines: watcher.await.unwrap_or(0),
    })
}

/// `count` connections each sending a 300 KB request head that never ends, all held open
/// at once, until the server answers or closes each.
pub(crate) async fn headers(
    http: &str,
    tcp: &str,
    pid: u32,
    count: u64,
) -> anyhow::Result<Outcome> {
    let watcher = bystander(tcp).await?;
    let addr: SocketAddr = http.parse()?;
    let rss_before = proc::rss_bytes(pid).unwrap_or(0);
    let head = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: {}",
        "a".repeat(300 * 1024)
    );
    let (rss_peak, held) = peak_while(pid, async {
        let mut streams = Vec::new();
        for _ in 0..count {
            let Ok(mut stream) = TcpStream::connect(addr).await else {
                break;
            };
            // As much as the server takes without waiting: it may refuse the rest.
            let _ =
                tokio::time::timeout(Duration::from_millis(20), stream.write_all(head.as_bytes()))
                    .await;
            streams.push(stream);
        }
        let held = streams.len() as u64;
        // Until the server has answered each (431) or let it go (408), or 15 s have passed
        // (a server without limits holds them all).
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        for mut stream in streams {
            let mut answer = Vec::new();
            let _ = tokio::time::timeout_at(deadline, stream.read_to_end(&mut answer)).await;
        }
        held
    })
    .await;
    Ok(Outcome {
        rss_before,
        rss_peak,
        count: held,
        bystander_lines: watcher.await.unwrap_or(0),
    })
}

/// `count` cycles of connecting and closing, from one address, without a word.
pub(crate) async fn churn(tcp: &str, pid: u32, count: u64) -> anyhow::Result<Outcome> {
    let watcher = bystander(tcp).await?;
    let rss_before = proc::rss_bytes(pid).unwrap_or(0);
    let started = Instant::now();
    let (rss_peak, cycles) = peak_while(pid, async {
        let mut cycles = 0;
        for _ in 0..count {
            let Ok(mut stream) = TcpStream::connect(tcp).await else {
                continue;
            };
            let mut greeting = [0u8; 16];
            let _ = stream.read(&mut greeting).await;
            cycles += 1;
        }
        cycles
    })
    .await;
    eprintln!("churn took {:.1} s", started.elapsed().as_secs_f64());
    Ok(Outcome {
        rss_before,
        rss_peak,
        count: cycles,
        bystander_lines: watcher.await.unwrap_or(0),
    })
}
