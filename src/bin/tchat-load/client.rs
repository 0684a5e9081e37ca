//! One simulated chat client: connects with one of three protocols, then reads every line it
//! is sent and, if it is a sender, sends numbered, timestamped messages.
//!
//! A message's text is `~SENDER~SEQ~MICROS~`, where MICROS is the send time on the load
//! generator's clock, so any receiver can tell who sent it, which one it was, and how long it
//! took, whatever the protocol wraps around it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

/// How long a client may take to be let in before it counts as failed.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(30);

/// How a client talks to the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// tchat's raw TCP lines.
    Line,
    /// tchat's WebSocket JSON frames.
    WebSocket,
    /// IRC, for servers such as ngircd: NICK/USER/JOIN, then PRIVMSG to one channel.
    Irc,
}

/// What every client of one run shares.
pub(crate) struct Shared {
    /// The load generator's clock: send times are microseconds since this instant.
    pub(crate) epoch: Instant,
    /// Deliveries counted by every receiver, to know when the run has drained.
    pub(crate) delivered: AtomicU64,
    /// Messages sent by every sender.
    pub(crate) sent: AtomicU64,
    /// For closed-loop senders: per sender, the message in flight and how many receivers
    /// still have to get it.
    pub(crate) in_flight: Vec<Flight>,
    /// Per client id, the room it is in (an index into `receivers`; 0 without rooms).
    pub(crate) room_of: Vec<usize>,
    /// Per room, how many clients receive each message said there (its size less one).
    pub(crate) receivers: Vec<u64>,
    /// Deliveries owed by the messages sent so far: each counts its room's receivers.
    pub(crate) expected: AtomicU64,
    /// Messages that reached a client in another room than their sender's: never owed.
    pub(crate) strays: AtomicU64,
    /// Tells senders to start: once the arrivals' announcements have been delivered, so that
    /// the connection storm is not measured as message latency.
    pub(crate) go: CancellationToken,
    /// Reads done by every client, to tell when the room has settled.
    pub(crate) reads: AtomicU64,
    /// Tells senders to stop.
    pub(crate) stop_sending: CancellationToken,
    /// Tells everyone to stop reading and report.
    pub(crate) stop: CancellationToken,
}

impl Shared {
    /// How many clients should receive a message from `sender`: the others in its room.
    pub(crate) fn receivers_of(&self, sender: usize) -> u64 {
        let room = self.room_of.get(sender).copied().unwrap_or(0);
        self.receivers.get(room).copied().unwrap_or(0)
    }

    /// Whether two clients are in the same room.
    fn together(&self, one: usize, other: usize) -> bool {
        self.room_of.get(one) == self.room_of.get(other)
    }
}

/// One closed-loop sender's message in flight.
pub(crate) struct Flight {
    seq: AtomicU64,
    remaining: AtomicU64,
    done: Notify,
}

impl Flight {
    pub(crate) fn new() -> Self {
        Self {
            seq: AtomicU64::new(u64::MAX),
            remaining: AtomicU64::new(0),
            done: Notify::new(),
        }
    }
}

/// How a sender paces itself.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Pace {
    /// Never sends.
    Silent,
    /// This many messages per second.
    Rate(f64),
    /// The next message once every receiver has the previous one.
    ClosedLoop,
}

/// What one client measured.
pub(crate) struct Outcome {
    pub(crate) latencies: Histogram<u64>,
    pub(crate) delivered: u64,
    pub(crate) connect: Duration,
    pub(crate) failed: Option<String>,
}

/// A connected client, ready to run.
pub(crate) struct Client {
    id: usize,
    io: Io,
    connect: Duration,
}

enum Io {
    Tcp(TcpStream, Protocol),
    Ws(Box<tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>>),
}

impl Client {
    /// Connects and waits until the server has taken the client in (greeting, welcome, or
    /// the end of the channel's names list).
    /// With a `room`, the client then moves there and waits until it is told it is in.
    pub(crate) async fn connect(
        id: usize,
        protocol: Protocol,
        addr: &str,
        room: Option<&str>,
    ) -> anyhow::Result<Self> {
        tokio::time::timeout(LOGIN_TIMEOUT, Self::login(id, protocol, addr, room))
            .await
            .context("no welcome within 30 s")?
    }

    async fn login(
        id: usize,
        protocol: Protocol,
        addr: &str,
        room: Option<&str>,
    ) -> anyhow::Result<Self> {
        let started = Instant::now();
        let io = match protocol {
            Protocol::WebSocket => {
                let url = format!("ws://{addr}/ws");
                let (mut socket, _) = tokio_tungstenite::connect_async_with_config(url, None, true)
                    .await
                    .context("WebSocket handshake")?;
                let hello = format!(r#"{{"type":"hello","nick":"w{id}"}}"#);
                socket.send(Message::text(hello)).await?;
                loop {
                    match socket.next().await {
                        Some(Ok(Message::Text(text)))
                            if text.as_str().starts_with(r#"{"type":"welcome""#) =>
                        {
                            break;
                        }
                        Some(Ok(_)) => {}
                        _ => bail!("closed before the welcome"),
                    }
                }
                if let Some(room) = room {
                    let join = format!(r#"{{"type":"say","text":"/join {room}"}}"#);
                    socket.send(Message::text(join)).await?;
                    let entered = format!(r#""name":"{room}""#);
                    loop {
                        match socket.next().await {
                            Some(Ok(Message::Text(text)))
                                if text.as_str().starts_with(r#"{"type":"room","#)
                                    && text.as_str().contains(&entered) =>
                            {
                                break;
                            }
                            Some(Ok(_)) => {}
                            _ => bail!("closed before entering {room}"),
                        }
                    }
                }
                Io::Ws(Box::new(socket))
            }
            Protocol::Line | Protocol::Irc => {
                let mut stream = TcpStream::connect(addr).await.context("connect")?;
                stream.set_nodelay(true)?;
                let ready: &[u8] = if protocol == Protocol::Irc {
                    let login = format!("NICK c{id}\r\nUSER c{id} 0 * :c{id}\r\nJOIN #bench\r\n");
                    stream.write_all(login.as_bytes()).await?;
                    b" 366 "
                } else {
                    b"\r\n"
                };
                read_until(&mut stream, ready).await?;
                if protocol == Protocol::Line {
                    // tchat answers a client that has never ended a line, rather than
                    // pushing to it: an empty line asks for everything as it comes.
                    stream.write_all(b"\r\n").await?;
                    if let Some(room) = room {
                        stream
                            .write_all(format!("/join {room}\r\n").as_bytes())
                            .await?;
                        // "… in the room load-3." in every language; "load-3." is not in
                        // "load-30.".
                        read_until(&mut stream, format!("{room}.\r\n").as_bytes()).await?;
                    }
                }
                Io::Tcp(stream, protocol)
            }
        };
        Ok(Self {
            id,
            io,
            connect: started.elapsed(),
        })
    }

    /// The client's number, which its messages carry.
    pub(crate) fn id(&self) -> usize {
        self.id
    }

    /// Reads and, as `pace` says, sends, until told to stop.
    pub(crate) async fn run(self, pace: Pace, shared: Arc<Shared>) -> Outcome {
        let mut meter = Meter::new(self.id, shared.clone());
        let connect = self.connect;
        let failed = match self.io {
            Io::Tcp(stream, protocol) => run_tcp(self.id, stream, protocol, pace, &mut meter)
                .await
                .err(),
            Io::Ws(socket) => run_ws(self.id, *socket, pace, &mut meter).await.err(),
        };
        Outcome {
            latencies: meter.latencies,
            delivered: meter.delivered,
            connect,
            failed: failed.map(|error| format!("{error:#}")),
        }
    }
}

/// Opens `rooms` as a teacher over the WebSocket, and leaves once the last one is open (a
/// teacher watches every room: staying would add a reader of everything).
pub(crate) async fn open_rooms(http: &str, token: &str, rooms: &[String]) -> anyhow::Result<()> {
    let url = format!("ws://{http}/ws");
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .context("the teacher's WebSocket")?;
    let hello = serde_json::json!({"type": "hello", "nick": "load-teacher", "teacher": token});
    socket.send(Message::text(hello.to_string())).await?;
    for room in rooms {
        let create = serde_json::json!({"type": "say", "text": format!("/room create {room}")});
        socket.send(Message::text(create.to_string())).await?;
    }
    let last = rooms.last().map(String::as_str).unwrap_or_default();
    let opened = tokio::time::timeout(LOGIN_TIMEOUT, async {
        while let Some(frame) = socket.next().await {
            let Message::Text(text) = frame? else {
                continue;
            };
            let frame: serde_json::Value = serde_json::from_str(text.as_str())?;
            match frame["type"].as_str() {
                Some("notice") if frame["kind"] == "room_open" && frame["text"] == last => {
                    return Ok(());
                }
                Some("error") => bail!("opening the rooms: {}", frame["text"]),
                _ => {}
            }
        }
        bail!("the server closed the teacher's connection")
    })
    .await
    .context("the rooms were not opened within 30 s")?;
    let _ = socket.close(None).await;
    opened
}

async fn read_until(stream: &mut TcpStream, needle: &[u8]) -> anyhow::Result<()> {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    while !seen.windows(needle.len()).any(|window| window == needle) {
        let n = stream.read(&mut buffer).await?;
        if n == 0 {
            bail!("closed while logging in");
        }
        seen.extend_from_slice(&buffer[..n]);
    }
    Ok(())
}

/// When the next message is due, for a paced sender.
struct Schedule {
    pace: Pace,
    /// Spreads rate-paced senders over the first period, so they do not all fire at once.
    offset: Duration,
    /// When the next message is due; `None` until the run's `go`.
    next: Option<tokio::time::Instant>,
    seq: u64,
}

impl Schedule {
    fn new(pace: Pace, id: usize) -> Self {
        let offset = match pace {
            Pace::Rate(rate) => Duration::from_secs_f64((id % 97) as f64 / 97.0 / rate.max(0.001)),
            _ => Duration::ZERO,
        };
        Self {
            pace,
            offset,
            next: None,
            seq: 0,
        }
    }

    fn sends(&self) -> bool {
        !matches!(self.pace, Pace::Silent)
    }

    /// Waits for the run's `go`, then until the next message is due. Cancel-safe: the clock
    /// starts in the same poll as `go` is seen.
    async fn due(&mut self, shared: &Shared, flight: Option<&Flight>) {
        let next = match self.next {
            Some(next) => next,
            None => {
                shared.go.cancelled().await;
                *self.next.insert(tokio::time::Instant::now() + self.offset)
            }
        };
        match (self.pace, flight) {
            (Pace::Silent, _) => std::future::pending().await,
            (Pace::Rate(_), _) => tokio::time::sleep_until(next).await,
            (Pace::ClosedLoop, Some(flight)) => {
                if flight.remaining.load(Ordering::Acquire) > 0 {
                    // A lost message would stall the loop for good: give up on it after a
                    // while (the loss shows in the report).
                    let _ =
                        tokio::time::timeout(Duration::from_secs(2), flight.done.notified()).await;
                }
            }
            (Pace::ClosedLoop, None) => std::future::pending().await,
        }
    }

    /// The next message's text, and bookkeeping for it.
    fn take(&mut self, id: usize, shared: &Shared) -> Option<String> {
        // A sender already waiting when the run ended must not add an uncounted message.
        if shared.stop_sending.is_cancelled() {
            return None;
        }
        let seq = self.seq;
        self.seq += 1;
        if let (Pace::Rate(rate), Some(next)) = (self.pace, &mut self.next) {
            *next += Duration::from_secs_f64(1.0 / rate);
        }
        let receivers = shared.receivers_of(id);
        shared.expected.fetch_add(receivers, Ordering::Relaxed);
        if let Some(flight) = shared.in_flight.get(id) {
            flight.remaining.store(receivers, Ordering::Release);
            flight.seq.store(seq, Ordering::Release);
        }
        shared.sent.fetch_add(1, Ordering::Relaxed);
        let micros = shared.epoch.elapsed().as_micros();
        Some(format!("~{id}~{seq}~{micros}~"))
    }
}

async fn run_tcp(
    id: usize,
    mut stream: TcpStream,
    protocol: Protocol,
    pace: Pace,
    meter: &mut Meter,
) -> anyhow::Result<()> {
    let shared = meter.shared.clone();
    let mut schedule = Schedule::new(pace, id);
    let flight = shared.in_flight.get(id);
    let mut buffer = vec![0u8; 64 * 1024];
    let mut filled = 0;
    loop {
        let sending = schedule.sends() && !shared.stop_sending.is_cancelled();
        tokio::select! {
            () = shared.stop.cancelled() => return Ok(()),
            () = schedule.due(&shared, flight), if sending => {
                let Some(text) = schedule.take(id, &shared) else { continue };
                let line = match protocol {
                    Protocol::Irc => format!("PRIVMSG #bench :{text}\r\n"),
                    _ => format!("{text}\n"),
                };
                stream.write_all(line.as_bytes()).await?;
            }
            read = stream.read(&mut buffer[filled..]) => {
                let n = read?;
                shared.reads.fetch_add(1, Ordering::Relaxed);
                if n == 0 {
                    bail!("the server closed the connection");
                }
                filled += n;
                let mut start = 0;
                while let Some(end) = buffer[start..filled].iter().position(|b| *b == b'\n') {
                    let line = &buffer[start..start + end];
                    if protocol == Protocol::Irc && line.starts_with(b"PING") {
                        let mut pong = b"PONG".to_vec();
                        pong.extend_from_slice(&line[4..]);
                        pong.push(b'\n');
                        stream.write_all(&pong).await?;
                    } else {
                        meter.line(line);
                    }
                    start += end + 1;
                }
                buffer.copy_within(start..filled, 0);
                filled -= start;
                if filled == buffer.len() {
                    bail!("a line longer than the read buffer");
                }
            }
        }
    }
}

async fn run_ws(
    id: usize,
    mut socket: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>,
    pace: Pace,
    meter: &mut Meter,
) -> anyhow::Result<()> {
    let shared = meter.shared.clone();
    let mut schedule = Schedule::new(pace, id);
    let flight = shared.in_flight.get(id);
    loop {
        let sending = schedule.sends() && !shared.stop_sending.is_cancelled();
        tokio::select! {
            () = shared.stop.cancelled() => return Ok(()),
            () = schedule.due(&shared, flight), if sending => {
                let Some(text) = schedule.take(id, &shared) else { continue };
                let frame = format!(r#"{{"type":"say","text":"{text}"}}"#);
                socket.send(Message::text(frame)).await?;
            }
            message = socket.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    shared.reads.fetch_add(1, Ordering::Relaxed);
                    meter.line(text.as_bytes());
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error.into()),
                None => bail!("the server closed the WebSocket"),
            },
        }
    }
}

/// Counts deliveries and their latencies for one client.
struct Meter {
    id: usize,
    shared: Arc<Shared>,
    latencies: Histogram<u64>,
    delivered: u64,
}

impl Meter {
    fn new(id: usize, shared: Arc<Shared>) -> Self {
        Self {
            id,
            shared,
            // Microseconds, up to a minute, 3 significant digits.
            latencies: Histogram::new_with_bounds(1, 60_000_000, 3).unwrap_or_else(|_| {
                Histogram::new(3).unwrap_or_else(|_| unreachable!("3 digits are valid"))
            }),
            delivered: 0,
        }
    }

    fn line(&mut self, line: &[u8]) {
        let Some((sender, seq, micros)) = parse(line) else {
            return;
        };
        if sender == self.id {
            // A WebSocket sender is shown its own message; that is not a delivery to others.
            return;
        }
        if !self.shared.together(sender, self.id) {
            // Not owed: counted apart so that a leak between rooms fails the run.
            self.shared.strays.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let now = self.shared.epoch.elapsed().as_micros() as u64;
        let _ = self.latencies.record(now.saturating_sub(micros).max(1));
        self.delivered += 1;
        self.shared.delivered.fetch_add(1, Ordering::Relaxed);
        if let Some(flight) = self.shared.in_flight.get(sender)
            && flight.seq.load(Ordering::Acquire) == seq
            && flight.remaining.fetch_sub(1, Ordering::AcqRel) == 1
        {
            flight.done.notify_one();
        }
    }
}

/// Finds `~SENDER~SEQ~MICROS~` anywhere in a line (an IRC prefix such as `c1!~c1@host`
/// may hold a `~` of its own before it).
pub(crate) fn parse(line: &[u8]) -> Option<(usize, u64, u64)> {
    line.iter()
        .enumerate()
        .filter(|(_, byte)| **byte == b'~')
        .find_map(|(start, _)| {
            let mut fields = line[start + 1..].split(|b| *b == b'~');
            let mut number =
                || -> Option<u64> { std::str::from_utf8(fields.next()?).ok()?.parse().ok() };
            let sender = usize::try_from(number()?).ok()?;
            let (seq, micros) = (number()?, number()?);
            // The marker is closed by a last `~`.
            fields.next()?;
            Some((sender, seq, micros))
        })
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn finds_the_marker_in_every_protocol() {
        assert_eq!(parse(b"<l3> ~3~17~123456~\r"), Some((3, 17, 123_456)));
        assert_eq!(
            parse(br#"{"type":"message","text":"~1~2~3~","via":"tcp"}"#),
            Some((1, 2, 3))
        );
        assert_eq!(
            parse(b":c1!c1@host PRIVMSG #bench :~9~0~5~\r"),
            Some((9, 0, 5))
        );
        assert_eq!(
            parse(b":c1!~c1@127.0.0.1 PRIVMSG #bench :~9~0~5~\r"),
            Some((9, 0, 5))
        );
        assert_eq!(parse(b"* guest2 joined"), None);
    }
}
