//! What failures cost a cluster's clients, measured: how long writes pause while NATS elects
//! a new leader for the conversation's stream, and how long the page of a killed node takes
//! to be back on another node.
//!
//! - `write_pause`: a TCP client on one node says a numbered line every 10 ms, a TCP client
//!   on another notes when each arrives, and the stream's leader is killed (SIGKILL).
//! - `comeback`: a page on a node, the node killed, the page at once on another node with
//!   its resume token.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::client;
use crate::nats::{LogWatch, NatsCluster};
use crate::servers::Server;

/// How often the sender says a line: faster than a class types, and the resolution of the
/// pause.
const LINE_EVERY: Duration = Duration::from_millis(10);
/// How long the sender talks before the leader is killed: lines flow by then.
const BEFORE_KILL: Duration = Duration::from_secs(2);
/// How long the sender goes on once lines sent after the kill arrive: a second pause (the
/// cluster settling) would show.
const AFTER_RESUMING: Duration = Duration::from_secs(2);
/// How long the sender goes on after the kill if lines never flow again.
const GIVE_UP: Duration = Duration::from_secs(30);
/// How long to wait, once the sender stops, for the last lines to arrive or be refused:
/// longer than tchat waits for the log to acknowledge a line (5 s).
const DRAIN: Duration = Duration::from_secs(8);
/// The sender's number in its lines' markers (`~0~SEQ~MICROS~`, as the load's clients).
const SENDER: usize = 0;
/// What tchat tells a TCP client whose line it could not save, in English (`--lang en`):
/// "Your message could not be saved: nobody got it."
pub(crate) const REFUSED: &str = "could not be saved";
/// How long a client may take to be welcomed.
const WELCOME_TIMEOUT: Duration = Duration::from_secs(30);

/// One line's arrival at the receiver.
#[derive(Clone, Copy)]
struct Arrival {
    seq: u64,
    at: Instant,
    /// From its sending to its arrival.
    took: Duration,
}

/// What one receiver saw while the stream's leader was killed.
#[derive(Debug, Default)]
pub(crate) struct Received {
    /// The node it is connected to.
    pub(crate) node: String,
    /// Lines that arrived, each counted once.
    pub(crate) arrived: u64,
    /// Arrivals of a line that had arrived already.
    pub(crate) twice: u64,
    /// Arrivals of a line after a later one.
    pub(crate) out_of_order: u64,
    /// The longest time between two consecutive arrivals: the pause.
    pub(crate) longest_gap: Duration,
    /// When that gap began, in seconds after the kill (negative: before).
    pub(crate) gap_began: f64,
    /// The longest a line took from the sender to this receiver.
    pub(crate) slowest_line: Duration,
}

impl Received {
    /// Follows one receiver's arrivals, in the order they came, of `sent` lines.
    fn of(node: &str, arrivals: &[Arrival], sent: u64, killed_at: Instant) -> Self {
        let mut received = Self {
            node: node.to_owned(),
            ..Self::default()
        };
        let mut seen = vec![false; usize::try_from(sent).unwrap_or(0)];
        let mut highest = None;
        for arrival in arrivals {
            match seen.get_mut(usize::try_from(arrival.seq).unwrap_or(usize::MAX)) {
                Some(true) => received.twice += 1,
                Some(first) => {
                    *first = true;
                    received.arrived += 1;
                }
                None => {}
            }
            if highest.is_some_and(|highest| arrival.seq < highest) {
                received.out_of_order += 1;
            }
            highest = highest.max(Some(arrival.seq));
            received.slowest_line = received.slowest_line.max(arrival.took);
        }
        for pair in arrivals.windows(2) {
            let gap = pair[1].at.saturating_duration_since(pair[0].at);
            if gap > received.longest_gap {
                received.longest_gap = gap;
                received.gap_began = if pair[0].at >= killed_at {
                    (pair[0].at - killed_at).as_secs_f64()
                } else {
                    -(killed_at - pair[0].at).as_secs_f64()
                };
            }
        }
        received
    }
}

/// The writes' pause while the stream's leader is killed, and what became of every line.
#[derive(Debug, Default)]
pub(crate) struct WritePause {
    /// The server killed: the stream's leader.
    pub(crate) leader: String,
    /// Which NATS server each node was connected to at the kill: `(node, server)`.
    pub(crate) connections: Vec<(String, String)>,
    pub(crate) sent: u64,
    /// Lines the sender was told could not be saved.
    pub(crate) refused: u64,
    /// What else the sender was told (the cluster lost, back), first ones.
    pub(crate) notices: Vec<String>,
    /// When the log took a record again, in seconds after the kill, as seen by asking the
    /// stream for its last record every 100 ms.
    pub(crate) log_resumed: Option<f64>,
    /// Per receiver, in the order given: the first is on another node than the sender.
    pub(crate) received: Vec<Received>,
}

impl WritePause {
    /// Lines `received` neither shown nor refused: lost.
    pub(crate) fn unaccounted(&self, received: &Received) -> u64 {
        self.sent.saturating_sub(received.arrived + self.refused)
    }

    /// Whether every receiver got every line not refused, once, in order.
    pub(crate) fn intact(&self) -> bool {
        self.received.iter().all(|received| {
            self.unaccounted(received) == 0 && received.twice == 0 && received.out_of_order == 0
        })
    }

    /// Which server each node was on: `n1 on s2, n2 on s1, …`.
    pub(crate) fn connected(&self) -> String {
        let connections: Vec<String> = self
            .connections
            .iter()
            .map(|(node, server)| format!("{node} on {server}"))
            .collect();
        connections.join(", ")
    }

    pub(crate) fn describe(&self) -> String {
        let received: Vec<String> = self
            .received
            .iter()
            .map(|received| {
                format!(
                    "at {}: longest gap {:.0} ms from {:+.2} s after the kill, slowest line \
                     {:.0} ms, {} arrived, {} unaccounted, {} twice, {} out of order",
                    received.node,
                    received.longest_gap.as_secs_f64() * 1000.0,
                    received.gap_began,
                    received.slowest_line.as_secs_f64() * 1000.0,
                    received.arrived,
                    self.unaccounted(received),
                    received.twice,
                    received.out_of_order,
                )
            })
            .collect();
        format!(
            "leader {} killed ({}): the log took records again {} s after the kill; {} sent, \
             {} refused; {}; the sender was also told: {:?}",
            self.leader,
            self.connected(),
            self.log_resumed
                .map_or("never".to_owned(), |seconds| format!("{seconds:.1}")),
            self.sent,
            self.refused,
            received.join("; "),
            self.notices,
        )
    }
}

/// Connects a TCP client and waits for its greeting, then sends the empty line that asks
/// tchat for everything as it comes (as the load's clients do).
async fn tcp_login(addr: &str) -> anyhow::Result<TcpStream> {
    let mut stream = TcpStream::connect(addr).await.context("connect")?;
    stream.set_nodelay(true)?;
    let mut seen = Vec::new();
    let mut buffer = [0u8; 1024];
    let greeted = async {
        while !seen.windows(2).any(|pair| pair == b"\r\n") {
            let n = stream.read(&mut buffer).await?;
            if n == 0 {
                bail!("closed before the greeting");
            }
            seen.extend_from_slice(&buffer[..n]);
        }
        stream.write_all(b"\r\n").await?;
        anyhow::Ok(())
    };
    tokio::time::timeout(WELCOME_TIMEOUT, greeted)
        .await
        .context("no greeting")??;
    Ok(stream)
}

/// Reads a receiver's lines until `stop`, noting when each of the sender's arrives.
async fn receive(
    stream: TcpStream,
    epoch: Instant,
    arrivals: Arc<Mutex<Vec<Arrival>>>,
    stop: CancellationToken,
) {
    let mut lines = BufReader::new(stream);
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = tokio::select! {
            () = stop.cancelled() => return,
            read = lines.read_until(b'\n', &mut line) => read,
        };
        if !matches!(read, Ok(n) if n > 0) {
            return;
        }
        if let Some((SENDER, seq, micros)) = client::parse(&line) {
            let at = Instant::now();
            let sent = epoch + Duration::from_micros(micros);
            let arrival = Arrival {
                seq,
                at,
                took: at.saturating_duration_since(sent),
            };
            lock(&arrivals).push(arrival);
        }
    }
}

/// The arrivals so far; a receiver that panicked leaves them as they were.
fn lock(arrivals: &Mutex<Vec<Arrival>>) -> std::sync::MutexGuard<'_, Vec<Arrival>> {
    arrivals.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// Kills the stream's leader while `sender_tcp`'s client talks, and a client on each of
/// `receivers` (`(node, TCP address)`) listens.
pub(crate) async fn write_pause(
    nats: &mut NatsCluster,
    sender_tcp: &str,
    receivers: &[(String, String)],
) -> anyhow::Result<WritePause> {
    let epoch = Instant::now();
    let stop = CancellationToken::new();
    let mut listening = Vec::new();
    for (node, tcp) in receivers {
        let stream = tcp_login(tcp)
            .await
            .with_context(|| format!("a receiver on {node}"))?;
        let arrivals: Arc<Mutex<Vec<Arrival>>> = Arc::default();
        let task = tokio::spawn(receive(stream, epoch, arrivals.clone(), stop.clone()));
        listening.push((node.as_str(), arrivals, task));
    }
    let (sender_read, mut sender_write) = tcp_login(sender_tcp).await?.into_split();
    let refused = Arc::new(AtomicU64::new(0));
    let told = tokio::spawn({
        let (refused, stop) = (refused.clone(), stop.clone());
        async move {
            let mut notices = Vec::new();
            let mut lines = BufReader::new(sender_read);
            let mut line = String::new();
            loop {
                line.clear();
                let read = tokio::select! {
                    () = stop.cancelled() => return notices,
                    read = lines.read_line(&mut line) => read,
                };
                if !matches!(read, Ok(n) if n > 0) {
                    return notices;
                }
                if line.contains(REFUSED) {
                    refused.fetch_add(1, Ordering::Relaxed);
                } else if notices.len() < 5 {
                    notices.push(line.trim_end().to_owned());
                }
            }
        }
    });

    // The leader and who is connected where, found before the lines start, so that looking
    // them up adds no work while the pause is measured.
    let leader = nats.leader().await?;
    let connections = nats.connections().await;
    let log = LogWatch::start(nats, &leader).await?;
    let next_seq = Arc::new(AtomicU64::new(0));
    let stop_sending = CancellationToken::new();
    let sending = tokio::spawn({
        let (next_seq, stop_sending) = (next_seq.clone(), stop_sending.clone());
        async move {
            let mut tick = tokio::time::interval(LINE_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = stop_sending.cancelled() => return anyhow::Ok(sender_write),
                    _ = tick.tick() => {
                        let seq = next_seq.fetch_add(1, Ordering::Relaxed);
                        let micros = epoch.elapsed().as_micros();
                        let line = format!("~{SENDER}~{seq}~{micros}~\n");
                        sender_write.write_all(line.as_bytes()).await?;
                    }
                }
            }
        }
    });

    tokio::time::sleep(BEFORE_KILL).await;
    let last_before_kill = log.last_sequence().await.unwrap_or(u64::MAX);
    let killed_at = Instant::now();
    let first_after_kill = next_seq.load(Ordering::Relaxed);
    nats.kill(&leader)?;
    eprintln!("killed the stream's leader, {leader}");
    let watching = tokio::spawn(async move {
        while killed_at.elapsed() < GIVE_UP {
            // Records sent at the kill are in by now: the next one is written after it.
            if log
                .last_sequence()
                .await
                .is_some_and(|last| last > last_before_kill + 5)
            {
                return Some(killed_at.elapsed().as_secs_f64());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        None
    });
    // Until every receiver has had lines sent after the kill for a while.
    let resumed_for = |arrivals: &Mutex<Vec<Arrival>>| {
        lock(arrivals)
            .iter()
            .find(|arrival| arrival.seq >= first_after_kill)
            .map(|arrival| arrival.at.elapsed())
    };
    while killed_at.elapsed() < GIVE_UP
        && !listening.iter().all(|(_, arrivals, _)| {
            resumed_for(arrivals).is_some_and(|resumed| resumed >= AFTER_RESUMING)
        })
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop_sending.cancel();
    let _writer = sending.await??;
    let sent = next_seq.load(Ordering::Relaxed);
    // Until every line has arrived everywhere or been refused, or nothing changes.
    let accounted = || {
        let arrived: usize = listening.iter().map(|(_, a, _)| lock(a).len()).sum();
        arrived as u64 + refused.load(Ordering::Relaxed) * listening.len() as u64
    };
    let everything = sent * listening.len() as u64;
    let (mut last, mut progress_at) = (accounted(), Instant::now());
    while last < everything && progress_at.elapsed() < DRAIN {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if accounted() != last {
            (last, progress_at) = (accounted(), Instant::now());
        }
    }
    stop.cancel();
    let mut received = Vec::new();
    for (node, arrivals, task) in listening {
        let _ = task.await;
        received.push(Received::of(node, &lock(&arrivals), sent, killed_at));
    }
    Ok(WritePause {
        leader,
        connections,
        log_resumed: watching.await.ok().flatten(),
        sent,
        refused: refused.load(Ordering::Relaxed),
        notices: told.await.unwrap_or_default(),
        received,
    })
}

/// A killed node's page, back on another node.
#[derive(Debug, Default)]
pub(crate) struct Comeback {
    /// From the kill to the welcome on the other node.
    pub(crate) back_after: Duration,
    /// The name the page had, and the one the other node gave it.
    pub(crate) nick: String,
    pub(crate) given: String,
    /// The welcome's count of events it could not give (0: the page missed nothing).
    pub(crate) missed: u64,
    /// Departures of the page's name it was shown while watched, after its welcome.
    pub(crate) departures: u64,
    /// Whether its connection was still open at the end of the watch.
    pub(crate) still_in: bool,
    /// Whether a page on a third node, there since before the kill, lists it at the end of
    /// the watch (its list kept from its welcome, then each arrival, departure or rename).
    pub(crate) listed_by_bystander: bool,
    /// Departures and arrivals of its name that page was shown from the kill on.
    pub(crate) bystander_saw: (u64, u64),
    /// Whether a page arriving on that node after the watch is shown it in the list.
    pub(crate) listed_for_newcomer: bool,
    /// How long it was watched after its welcome: past the dead node's heartbeat.
    pub(crate) watched: Duration,
}

impl Comeback {
    pub(crate) fn describe(&self) -> String {
        format!(
            "{} back as {} after {:.0} ms, missed {}; over the next {:.0} s: shown its own \
             departure {} times, still connected: {}; a page elsewhere was shown it leave {} \
             and arrive {} times and lists it: {}; a newcomer there lists it: {}",
            self.nick,
            self.given,
            self.back_after.as_secs_f64() * 1000.0,
            self.missed,
            self.watched.as_secs_f64(),
            self.departures,
            self.still_in,
            self.bystander_saw.0,
            self.bystander_saw.1,
            self.listed_by_bystander,
            self.listed_for_newcomer,
        )
    }
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// The next text frame, as JSON; `None` once the connection ended.
async fn next_frame(socket: &mut Socket) -> Option<Value> {
    loop {
        match socket.next().await? {
            Ok(Message::Text(text)) => {
                if let Ok(frame) = serde_json::from_str(text.as_str()) {
                    return Some(frame);
                }
            }
            Ok(_) => {}
            Err(_) => return None,
        }
    }
}

/// The highest event id a frame carries, itself or in its `events` or `history`.
fn highest_id(frame: &Value) -> Option<u64> {
    let inner = ["events", "history"]
        .iter()
        .filter_map(|key| frame[key].as_array())
        .flatten()
        .filter_map(|event| event["id"].as_u64());
    frame["id"].as_u64().into_iter().chain(inner).max()
}

/// Opens a page's connection to `http`, says `hello`, and waits for the welcome: the
/// socket, the welcome, and the user list and highest event id of the frames up to it.
async fn welcomed(http: &str, hello: &Value) -> anyhow::Result<(Socket, Value, Vec<String>, u64)> {
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{http}/ws"))
        .await
        .context("WebSocket handshake")?;
    socket.send(Message::text(hello.to_string())).await?;
    let (mut users, mut highest) = (Vec::new(), 0);
    let welcome = tokio::time::timeout(WELCOME_TIMEOUT, async {
        while let Some(frame) = next_frame(&mut socket).await {
            highest = highest.max(highest_id(&frame).unwrap_or(0));
            let listed = frame["users"].as_array().into_iter().flatten();
            users.extend(listed.filter_map(|user| user["nick"].as_str().map(str::to_owned)));
            match frame["type"].as_str() {
                Some("welcome") => return Ok(frame),
                Some("error") => bail!("refused: {}", frame["text"]),
                _ => {}
            }
        }
        bail!("closed before the welcome")
    })
    .await
    .context("no welcome")??;
    Ok((socket, welcome, users, highest))
}

/// Who a page lists, as the page keeps its list: the welcome's, then each arrival,
/// departure and rename.
#[derive(Default)]
struct Listed {
    nicks: Vec<String>,
}

impl Listed {
    /// Follows one frame; says whether it was the departure (`Some(true)`) or arrival
    /// (`Some(false)`) of `nick`.
    fn follow(&mut self, frame: &Value, nick: &str) -> Option<bool> {
        let named = |key: &str| frame[key].as_str().unwrap_or_default().to_owned();
        match frame["type"].as_str()? {
            "join" => {
                self.nicks.push(named("nick"));
                (frame["nick"] == nick).then_some(false)
            }
            "leave" => {
                self.nicks.retain(|listed| *listed != named("nick"));
                (frame["nick"] == nick).then_some(true)
            }
            "nick" => {
                self.nicks.retain(|listed| *listed != named("old"));
                self.nicks.push(named("new"));
                None
            }
            _ => None,
        }
    }
}

/// A page on `dying` (a node), which is then killed; the page comes back at once on
/// `survivor` with its resume token, and is watched for `watch`, as is a bystander's page on
/// `observer`; then a newcomer on `observer` looks for it in the list.
pub(crate) async fn comeback(
    dying: &mut Server,
    survivor: &str,
    observer: &str,
    watch: Duration,
) -> anyhow::Result<Comeback> {
    let http = dying.http.clone().context("the node's HTTP address")?;
    let nick = "survivor";
    let (mut socket, welcome, _, mut last) =
        welcomed(&http, &json!({"type": "hello", "nick": nick})).await?;
    let token = welcome["token"]
        .as_str()
        .context("a resume token")?
        .to_owned();
    let epoch = welcome["epoch"].as_str().context("an epoch")?.to_owned();
    let (mut bystander, _, users, _) =
        welcomed(observer, &json!({"type": "hello", "nick": "bystander"})).await?;
    let mut listed = Listed { nicks: users };
    let said = "before the crash";
    socket
        .send(Message::text(
            json!({"type": "say", "text": said}).to_string(),
        ))
        .await?;
    tokio::time::timeout(WELCOME_TIMEOUT, async {
        while let Some(frame) = next_frame(&mut socket).await {
            last = last.max(highest_id(&frame).unwrap_or(0));
            if frame["type"] == "message" && frame["text"] == said {
                return Ok(());
            }
        }
        bail!("closed before its message came back")
    })
    .await
    .context("its message never came back")??;

    let killed_at = Instant::now();
    dying.kill();
    drop(socket);
    let back =
        json!({"type": "hello", "nick": nick, "token": token, "since": last, "epoch": epoch});
    let (mut socket, welcome, _, _) = welcomed(survivor, &back).await?;
    let mut comeback = Comeback {
        back_after: killed_at.elapsed(),
        nick: nick.to_owned(),
        given: welcome["nick"].as_str().unwrap_or_default().to_owned(),
        missed: welcome["missed"].as_u64().unwrap_or(u64::MAX),
        still_in: true,
        watched: watch,
        ..Comeback::default()
    };
    let watching = tokio::time::sleep(watch);
    tokio::pin!(watching);
    let mut bystander_open = true;
    loop {
        tokio::select! {
            () = &mut watching => break,
            frame = next_frame(&mut socket), if comeback.still_in => match frame {
                Some(frame) => {
                    if frame["type"] == "leave" && frame["nick"] == comeback.given.as_str() {
                        comeback.departures += 1;
                    }
                }
                None => comeback.still_in = false,
            },
            frame = next_frame(&mut bystander), if bystander_open => match frame {
                Some(frame) => match listed.follow(&frame, &comeback.given) {
                    Some(true) => comeback.bystander_saw.0 += 1,
                    Some(false) => comeback.bystander_saw.1 += 1,
                    None => {}
                },
                None => bystander_open = false,
            },
        }
    }
    comeback.listed_by_bystander = bystander_open && listed.nicks.contains(&comeback.given);
    let (_newcomer, _, users, _) =
        welcomed(observer, &json!({"type": "hello", "nick": "newcomer"})).await?;
    comeback.listed_for_newcomer = users.contains(&comeback.given);
    Ok(comeback)
}
