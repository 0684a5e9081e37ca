//! One raw TCP client: greeting and history, then relaying both ways until it quits, the
//! connection drops or the server stops.
//!
//! The session waits on socket readiness rather than holding read and write buffers: input is
//! read into a stack buffer and decoded at once, and output is a queue of shared event bytes
//! written with one vectored write for as many lines as are queued. An idle client costs its
//! task, its decoder and an empty queue.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use bytes::{Buf, Bytes};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

use crate::admission::Permit;
use crate::app::Context;
use crate::chat::{
    Arrival, ChatError, Delivery, Ending, EventKind, Member, Nick, Replay, Reply, Via, Welcome,
};
use crate::i18n::fill;
use crate::metrics::Connected;
use crate::wire::line::{self, Inbound, LineDecoder};

/// Lines queued for the socket before the session stops taking events from the hub. Past
/// it, the client falls behind in the hub's shared ring instead, which bounds its backlog
/// and tells it what it missed.
const OUT_LINES: usize = 256;
/// Bytes queued for the socket (replies included) before the session stops reading the
/// client's input: a client that sends commands but never reads the answers only stalls
/// itself.
const OUT_BYTES: usize = 64 * 1024;
/// Largest read: a few lines at a time, on the stack, never held while idle.
const READ_CHUNK: usize = 4096;
/// A drained queue with room for more lines than this gives all of it back; a smaller one
/// keeps its room. A busy room brings about ten lines per wake-up, so its queues mostly
/// regrow once per burst (an allocation, against a system call per write); an idle client
/// keeps a quarter of a KiB at most.
const KEPT_LINES: usize = 8;
/// Most lines handed to one vectored write.
const MAX_IOV: usize = 64;
/// How long a departing client gets to take its last lines.
const FAREWELL: Duration = Duration::from_secs(2);
/// Keepalive: first probe after this much silence, then one per interval, up to the count.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(60);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(15);
const KEEPALIVE_RETRIES: u32 = 4;

/// Why a session ended.
enum End {
    /// The client asked to leave.
    Quit,
    /// The hub ended the session.
    Ended(Ending),
    /// A line far over the limit: cut off.
    CutOff,
    /// The client closed its side.
    Closed,
    /// The server is stopping.
    Stopped,
    /// The connection failed.
    Failed(io::Error),
}

impl std::fmt::Display for End {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            End::Quit => f.write_str("quit"),
            End::Ended(why) => write!(f, "ended: {why:?}"),
            End::CutOff => f.write_str("cut off: line too long"),
            End::Closed => f.write_str("closed by client"),
            End::Stopped => f.write_str("server stopping"),
            End::Failed(error) => write!(f, "failed: {error}"),
        }
    }
}

/// Tells a client it cannot come in, and closes.
pub(crate) async fn refuse(mut stream: TcpStream, reason: &str) {
    let line = line::notice(reason);
    let _ = tokio::time::timeout(FAREWELL, stream.write_all(&line)).await;
    let _ = stream.shutdown().await;
}

/// Starts one TCP client's session: the password first if the room has one, then the
/// conversation until it quits, the connection drops or the server stops.
///
/// Each phase is its own task, so that a connected client's task holds only what relaying
/// needs: a task is as large as its largest phase, and idle clients are most of a room.
pub(crate) fn start(stream: TcpStream, peer: SocketAddr, permit: Permit, context: Context) {
    // Chat lines are small and must leave at once; Nagle's algorithm would hold each one
    // until the previous one is acknowledged.
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%peer, %error, "TCP_NODELAY not set");
    }
    // A laptop that went to sleep or lost its Wi-Fi never closes its connection: keepalive
    // probes notice within about two minutes and free its nickname.
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(KEEPALIVE_IDLE)
        .with_interval(KEEPALIVE_INTERVAL)
        .with_retries(KEEPALIVE_RETRIES);
    if let Err(error) = socket2::SockRef::from(&stream).set_tcp_keepalive(&keepalive) {
        tracing::debug!(%peer, %error, "keepalive not set");
    }
    let max_line = context.config.max_length.saturating_mul(4).max(64);
    let tracker = context.tracker.clone();
    let mut door = Door {
        stream,
        decoder: LineDecoder::new(max_line),
        out: Outbox::default(),
        peer,
        context,
    };
    if door.context.config.password.is_none() {
        return door.enter(permit);
    }
    tracker.spawn(async move {
        match door.ask_password().await {
            Ok(()) => door.enter(permit),
            Err(end) => {
                tracing::info!(%peer, via = "tcp", reason = %end, "not admitted");
                door.close(end).await;
            }
        }
    });
}

/// A connection not yet in the conversation: it may only give the password (or leave).
struct Door {
    stream: TcpStream,
    decoder: LineDecoder,
    out: Outbox,
    peer: SocketAddr,
    context: Context,
}

impl Door {
    /// Joins the conversation and spawns the session, or says why not and closes.
    fn enter(mut self, permit: Permit) {
        let tracker = self.context.tracker.clone();
        let replay = Replay::Last {
            count: self.context.config.tcp_history,
            chat_only: true,
        };
        let arrival = Arrival::guest(Via::Tcp, self.peer.ip().to_canonical(), replay);
        let (member, welcome) = match self.context.hub.join(arrival) {
            Ok(joined) => joined,
            Err(error) => {
                let reason = self.context.catalog.error(&error);
                self.out.push(line::notice(&reason));
                // The connection keeps its place at the door until it is closed.
                tracker.spawn(async move {
                    self.close(End::Closed).await;
                    drop(permit);
                });
                return;
            }
        };
        let peer = self.peer;
        tracing::info!(%peer, via = "tcp", nick = %welcome.nick, "connected");
        let connected = self.context.metrics.connected(Via::Tcp);
        let Door {
            stream,
            decoder,
            out,
            context,
            ..
        } = self;
        let mut session = Session {
            stream,
            member,
            decoder,
            out,
            quiet: None,
            peer,
            nick: welcome.nick.clone(),
            context,
            _connected: connected,
            _permit: permit,
        };
        // Only the first lines are made from the welcome: its history is not kept.
        session.greet(&welcome);
        tracker.spawn(session.serve());
    }

    /// Waits for `/pass PASSWORD` or the password alone on a line.
    async fn ask_password(&mut self) -> Result<(), End> {
        let catalog = self.context.catalog;
        self.out.push(line::notice(catalog.password_prompt));
        loop {
            self.out.write_to(&self.stream).map_err(End::Failed)?;
            tokio::select! {
                () = self.context.shutdown.cancelled() => return Err(End::Stopped),
                ready = self.stream.writable(), if !self.out.is_empty() => {
                    ready.map_err(End::Failed)?;
                }
                ready = self.stream.readable(), if self.out.bytes < OUT_BYTES => {
                    match ready.and_then(|()| read_into(&self.stream, &mut self.decoder)) {
                        Ok(None) => return Err(End::Closed),
                        Ok(Some(_)) => {}
                        Err(error) => return Err(End::Failed(error)),
                    }
                    // A password sent without a newline counts once the client pauses.
                    if self.decoder.has_chunk() {
                        self.decoder.flush_chunk();
                    }
                    while let Some(inbound) = self.decoder.next_inbound() {
                        let Inbound::Line(text) = inbound else {
                            return Err(End::CutOff);
                        };
                        let word = text.trim();
                        if is_goodbye(word) || word.eq_ignore_ascii_case("/quit") {
                            return Err(End::Quit);
                        }
                        let guess = word.strip_prefix("/pass ").unwrap_or(word).trim();
                        let addr = self.peer.ip().to_canonical();
                        if !self.context.admission.may_guess(addr) {
                            self.out.push(line::notice(catalog.password_wait));
                            return Err(End::Closed);
                        }
                        if self.context.password_matches(guess) {
                            return Ok(());
                        }
                        self.out.push(line::notice(catalog.password_wrong));
                    }
                }
            }
        }
    }

    async fn close(self, end: End) {
        finish(self.stream, self.out, &self.context, end).await;
    }
}

/// Feeds the decoder what the socket has, through a stack buffer that is never held while
/// the client is idle. `None` once the client has closed its side; `Some(0)` if nothing was
/// ready after all.
fn read_into(stream: &TcpStream, decoder: &mut LineDecoder) -> io::Result<Option<usize>> {
    let mut chunk = [0u8; READ_CHUNK];
    match stream.try_read(&mut chunk) {
        Ok(0) => Ok(None),
        Ok(n) => {
            decoder.feed(&chunk[..n]);
            Ok(Some(n))
        }
        Err(error) if error.kind() == io::ErrorKind::WouldBlock => Ok(Some(0)),
        Err(error) => Err(error),
    }
}

/// Resolves when a chunk mode client has been quiet long enough; never without a timer.
async fn quiet_elapsed(quiet: &mut Option<Pin<Box<Sleep>>>) {
    match quiet {
        Some(quiet) => quiet.as_mut().await,
        None => std::future::pending().await,
    }
}

/// True for the seed activity's words for leaving: a bare "z" or "FIN".
fn is_goodbye(word: &str) -> bool {
    word.eq_ignore_ascii_case("z") || word.eq_ignore_ascii_case("fin")
}

struct Session {
    stream: TcpStream,
    member: Member,
    decoder: LineDecoder,
    out: Outbox,
    /// When a chunk mode client's pending text becomes a message, if it has any. Boxed, and
    /// only there for clients that send without newlines: most never need a timer.
    quiet: Option<Pin<Box<Sleep>>>,
    peer: SocketAddr,
    /// The nickname given on joining, for the log.
    nick: Nick,
    context: Context,
    /// Counts this client in the metrics while it is connected.
    _connected: Connected,
    /// This connection's place at the door, given back when the session ends.
    _permit: Permit,
}

impl Session {
    #[expect(
        clippy::manual_async_fn,
        reason = "an `async fn` taking `mut self` keeps a second copy of `self` in its future"
    )]
    fn serve(mut self) -> impl Future<Output = ()> {
        async move {
            let end = self.relay().await;
            let (peer, nick) = (self.peer, &self.nick);
            tracing::info!(%peer, via = "tcp", %nick, reason = %end, "disconnected");
            // Boxed: the goodbye is larger than relaying, and every idle task would pay for it.
            Box::pin(self.close(end)).await;
        }
    }

    fn greet(&mut self, welcome: &Welcome) {
        let catalog = self.context.catalog;
        let greeting = fill(catalog.greeting, &[("nick", &welcome.nick)]);
        self.out.push(line::notice(&greeting));
        if let Some(topic) = &welcome.room.topic {
            self.out
                .push(line::notice(&fill(catalog.topic_now, &[("text", topic)])));
        }
        if !welcome.history.is_empty() {
            self.out.push(line::history(&welcome.history, catalog));
        }
    }

    async fn relay(&mut self) -> End {
        loop {
            if let Some(replies) = self.decoder.take_replies() {
                self.out.push(replies);
            }
            // Lines held back while the client was not reading its answers.
            if self.out.bytes < OUT_BYTES
                && self.decoder.has_inbound()
                && let Some(end) = self.handle_input()
            {
                return end;
            }
            if let Err(error) = self.out.write_to(&self.stream) {
                return End::Failed(error);
            }
            tokio::select! {
                biased;
                () = self.context.shutdown.cancelled() => return End::Stopped,
                ready = self.stream.writable(), if !self.out.is_empty() => {
                    if let Err(error) = ready {
                        return End::Failed(error);
                    }
                }
                delivery = self.member.recv(), if self.out.lines() < OUT_LINES => {
                    let mut next = Some(delivery);
                    let mut delivered = 0;
                    while let Some(delivery) = next {
                        if let Delivery::Ended(why) = delivery {
                            return End::Ended(why);
                        }
                        delivered += 1;
                        self.deliver(delivery);
                        next = (self.out.lines() < OUT_LINES)
                            .then(|| self.member.try_recv())
                            .flatten();
                    }
                    let metrics = self.context.metrics.of(Via::Tcp);
                    metrics.delivered(delivered);
                    metrics.queued(self.out.lines() as u64);
                }
                ready = self.stream.readable(), if self.out.bytes < OUT_BYTES => {
                    let read = ready.and_then(|()| self.read());
                    if !matches!(read, Ok(true)) {
                        // What a client sent just before closing still counts: the seed
                        // script sends "z" and closes at once.
                        self.decoder.finish();
                    }
                    if let Some(end) = self.handle_input() {
                        return end;
                    }
                    match read {
                        Ok(true) => {}
                        Ok(false) => return End::Closed,
                        Err(error) => return End::Failed(error),
                    }
                }
                () = quiet_elapsed(&mut self.quiet), if self.quiet.is_some() => {
                    self.quiet = None;
                    self.decoder.flush_chunk();
                    if let Some(end) = self.handle_input() {
                        return end;
                    }
                }
            }
        }
    }

    /// Reads what the socket has; false once the client has closed its side.
    fn read(&mut self) -> io::Result<bool> {
        match read_into(&self.stream, &mut self.decoder)? {
            None => Ok(false),
            Some(0) => Ok(true),
            Some(_) => {
                if self.decoder.has_chunk() {
                    let deadline = Instant::now() + self.context.config.quiet();
                    match &mut self.quiet {
                        Some(quiet) => quiet.as_mut().reset(deadline),
                        None => self.quiet = Some(Box::pin(tokio::time::sleep_until(deadline))),
                    }
                } else {
                    self.quiet = None;
                }
                Ok(true)
            }
        }
    }

    /// Acts on every complete line; returns how the session ends, if one of them ends it.
    fn handle_input(&mut self) -> Option<End> {
        let catalog = self.context.catalog;
        // Past the output cap, the rest waits in the decoder until the client reads.
        while self.out.bytes < OUT_BYTES
            && let Some(inbound) = self.decoder.next_inbound()
        {
            let text = match inbound {
                // Far over any message's length without a newline: a runaway script or an
                // attack, not a person typing. Told, and cut off before it costs more.
                Inbound::TooLong => return Some(End::CutOff),
                Inbound::Line(text) => text,
            };
            if is_goodbye(text.trim()) {
                return Some(End::Quit);
            }
            let metrics = self.context.metrics.of(Via::Tcp);
            metrics.received(1);
            let handled = self.member.handle(&text);
            if matches!(handled, Err(ChatError::Flood | ChatError::Dropped)) {
                metrics.rate_limited();
            }
            match handled {
                Ok(Reply::Done) | Err(ChatError::Dropped) => {}
                Ok(Reply::Help) => {
                    let teacher = self.member.is_teacher();
                    self.out.push(line::help(catalog, teacher));
                }
                Ok(Reply::Who(users)) => self.out.push(line::who(&users, catalog)),
                Ok(Reply::History(events)) => self.out.push(line::history(&events, catalog)),
                Ok(Reply::Sent(message)) => self.out.push(line::private_sent(&message)),
                Ok(Reply::Quit) => return Some(End::Quit),
                Err(error) => self.out.push(line::notice(&catalog.error(&error))),
            }
        }
        None
    }

    fn deliver(&mut self, delivery: Delivery) {
        let catalog = self.context.catalog;
        match delivery {
            Delivery::Public(event) => {
                // A TCP client is not echoed its own lines, nor its own arrival (the
                // greeting said it).
                let own = event.origin == self.member.id()
                    && matches!(
                        event.kind,
                        EventKind::Message { .. } | EventKind::Join { .. }
                    );
                if !own {
                    self.out.push(line::event(&event, catalog));
                }
            }
            Delivery::Private(message) => self.out.push(line::private_received(&message)),
            Delivery::Missed(count) => {
                self.context.metrics.of(Via::Tcp).skipped(count);
                self.out
                    .push(line::notice(&fill(catalog.missed, &[("count", &count)])));
            }
            // Handled by the caller, which ends the session.
            Delivery::Ended(_) => {}
        }
    }

    /// Leaves the conversation, then gives the client its last lines and closes.
    async fn close(self, end: End) {
        let Session {
            stream,
            member,
            out,
            context,
            ..
        } = self;
        drop(member);
        finish(stream, out, &context, end).await;
    }
}

/// Says why the connection ends, gives the client a moment to read it, and closes.
async fn finish(mut stream: TcpStream, mut out: Outbox, context: &Context, end: End) {
    let catalog = context.catalog;
    let max_length = context.config.max_length;
    let last = match &end {
        End::Quit => Some(catalog.bye.to_owned()),
        End::Stopped => Some(catalog.stopping.to_owned()),
        End::CutOff => Some(fill(catalog.cut_off, &[("max", &max_length)])),
        End::Ended(Ending::Kicked(reason)) => {
            let reason = if reason.is_empty() {
                String::new()
            } else {
                format!(" ({reason})")
            };
            Some(fill(catalog.kicked, &[("text", &reason)]))
        }
        End::Ended(Ending::Banned) => Some(catalog.banned.to_owned()),
        End::Closed => None,
        End::Failed(_) | End::Ended(_) => return,
    };
    if let Some(last) = last {
        out.push(line::notice(&last));
    }
    let flush = async {
        while !out.is_empty() {
            if stream.writable().await.is_err() || out.write_to(&stream).is_err() {
                return;
            }
        }
    };
    let _ = tokio::time::timeout(FAREWELL, flush).await;
    let _ = stream.shutdown().await;
}

/// Bytes waiting for the socket: shared event encodings, never copied.
#[derive(Default)]
struct Outbox {
    chunks: VecDeque<Bytes>,
    bytes: usize,
}

impl Outbox {
    fn push(&mut self, chunk: Bytes) {
        self.bytes += chunk.len();
        self.chunks.push_back(chunk);
    }

    fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    fn lines(&self) -> usize {
        self.chunks.len()
    }

    /// Writes as much as the socket takes without waiting, many lines per system call.
    fn write_to(&mut self, stream: &TcpStream) -> io::Result<()> {
        while !self.chunks.is_empty() {
            let mut slices = [IoSlice::new(&[]); MAX_IOV];
            let count = self.chunks.len().min(MAX_IOV);
            for (slice, chunk) in slices.iter_mut().zip(&self.chunks) {
                *slice = IoSlice::new(chunk);
            }
            match stream.try_write_vectored(&slices[..count]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(written) => self.consume(written),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    fn consume(&mut self, mut written: usize) {
        self.bytes -= written;
        while written > 0 {
            let Some(front) = self.chunks.front_mut() else {
                return;
            };
            if front.len() > written {
                front.advance(written);
                return;
            }
            written -= front.len();
            self.chunks.pop_front();
        }
        if self.chunks.is_empty() && self.chunks.capacity() > KEPT_LINES {
            // Give back a burst's memory once it has drained: most clients sit idle, and a
            // queue that grew during an arrival storm would otherwise stay that size.
            self.chunks = VecDeque::new();
        }
    }
}
