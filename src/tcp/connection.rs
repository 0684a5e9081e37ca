//! One raw TCP client's socket: the password prompt if the room has one, then relaying both
//! ways until it quits, the connection drops or the server stops. What the client may do
//! and what it is sent is the session layer's; this file reads, decodes and writes.
//!
//! The connection waits on socket readiness rather than holding read and write buffers:
//! input is read into a stack buffer and decoded at once, and output is a queue of shared
//! event bytes written with one vectored write for as many lines as are queued. An idle
//! client costs its task, its decoder and an empty queue.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

use super::answer::{self, ANSWER_BYTES, Answers, NEWS_LINES};
use super::outbox::Outbox;
use crate::chat::{ChatError, Made, Via, Welcome};
use crate::i18n::Catalog;
use crate::session::{Context, End, Handled, Hello, Input, Permit, Session, Tries};
use crate::wire::line::{self, Lines};
use crate::wire::line_decoder::{Inbound, LineDecoder};
use crate::wire::paste::{Gathered, Paste};
use crate::wire::{Encoding, Farewell};

/// Lines queued for the socket before the connection stops taking events from the hub.
/// Past it, the client falls behind in the hub's shared ring instead, which bounds its
/// backlog and tells it what it missed.
const OUT_LINES: usize = 256;
/// Bytes queued for the socket (replies included) before the connection stops reading the
/// client's input: a client that sends commands but never reads the answers only stalls
/// itself.
const OUT_BYTES: usize = 64 * 1024;
/// Largest read: a few lines at a time, on the stack, never held while idle.
const READ_CHUNK: usize = 4096;
/// How long an answer waits for the client's own message to come back saved before it goes
/// without it (a message the hub dropped never comes back).
const ANSWER_WAIT: Duration = Duration::from_secs(1);
/// How long a departing client gets to take its last lines.
const FAREWELL: Duration = Duration::from_secs(2);
/// Keepalive: first probe after this much silence, then one per interval, up to the count.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(60);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(15);
const KEEPALIVE_RETRIES: u32 = 4;

/// Tells a client turned away at the door why, and closes.
pub(super) async fn refuse(mut stream: TcpStream, refusal: ChatError, catalog: &'static Catalog) {
    let line = Lines { catalog }.refusal(&refusal);
    let _ = tokio::time::timeout(FAREWELL, stream.write_all(&line)).await;
    let _ = stream.shutdown().await;
}

/// Starts one TCP client: the password first if the room has one, then the conversation.
///
/// Arriving and relaying are separate tasks, so that a connected client's task holds only
/// what relaying needs: a task is as large as its largest phase, and idle clients are most
/// of a room.
pub(super) fn start(stream: TcpStream, peer: SocketAddr, permit: Permit, context: Context) {
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
    let arriving = Arriving {
        stream,
        decoder: LineDecoder::new(max_line),
        out: Outbox::default(),
        wire: Lines {
            catalog: context.catalog,
        },
        peer,
        context,
    };
    tracker.spawn(arriving.enter(permit));
}

/// A connection not yet in the conversation: it may only give the password, or leave.
struct Arriving {
    stream: TcpStream,
    decoder: LineDecoder,
    out: Outbox,
    wire: Lines,
    peer: SocketAddr,
    context: Context,
}

impl Arriving {
    /// Passes the password gate if there is one, joins, and hands the client to a task of
    /// its own for relaying. Only the password and the greeting live in this task.
    async fn enter(mut self, mut permit: Permit) {
        let mut guess = None;
        let mut tries = Tries::default();
        let timeout = Duration::from_secs(self.context.config.password_timeout);
        let give_up = Instant::now() + timeout;
        loop {
            let hello = Hello {
                password: guess.as_deref(),
                ..Hello::default()
            };
            let joined = self.context.join(Via::Tcp, self.peer, permit, hello, tries);
            let refusal = match joined.await {
                Ok((session, welcome)) => {
                    let tracker = self.context.tracker.clone();
                    tracker.spawn(self.joined(session, &welcome).serve());
                    return;
                }
                Err((refusal, returned, tried)) => {
                    (permit, tries) = (returned, tried);
                    refusal
                }
            };
            // Another guess, unless guesses ran out or the refusal has nothing to do with
            // the password.
            let retry = matches!(
                refusal,
                ChatError::PasswordRequired | ChatError::PasswordWrong
            );
            self.out.push(self.wire.refusal(&refusal));
            if !retry {
                // The connection keeps its place at the door until it is closed.
                return self.close(&End::Closed, None).await;
            }
            guess = match self.next_line(give_up).await {
                Ok(word) => Some(
                    word.strip_prefix("/pass ")
                        .unwrap_or(&word)
                        .trim()
                        .to_owned(),
                ),
                Err(end) => {
                    let peer = self.peer;
                    tracing::info!(%peer, via = "tcp", reason = %end, "not admitted");
                    let config = &self.context.config;
                    let farewell = end.farewell(self.context.catalog, config.max_length);
                    return self.close(&end, farewell.as_ref()).await;
                }
            };
        }
    }

    /// Waits for the next line (or chunk) a client sends before joining, until `give_up`.
    async fn next_line(&mut self, give_up: Instant) -> Result<String, End> {
        loop {
            if let Some(inbound) = self.decoder.next_inbound() {
                let Inbound::Line(text) = inbound else {
                    return Err(End::CutOff);
                };
                let word = text.trim();
                if word.is_empty() {
                    continue;
                }
                if is_goodbye(word) || word.eq_ignore_ascii_case("/quit") {
                    return Err(End::Quit);
                }
                return Ok(word.to_owned());
            }
            self.out
                .write_to(&self.stream)
                .map_err(|error| End::Failed(error.to_string()))?;
            tokio::select! {
                () = self.context.shutdown.cancelled() => return Err(End::Stopped),
                () = tokio::time::sleep_until(give_up) => return Err(End::TimedOut),
                ready = self.stream.writable(), if !self.out.is_empty() => {
                    ready.map_err(|error| End::Failed(error.to_string()))?;
                }
                ready = self.stream.readable(), if self.out.bytes < OUT_BYTES => {
                    // Nobody can ask what was read before joining: the password stays unseen.
                    let read = |()| read_into(&self.stream, &mut self.decoder, |_, _| {});
                    match ready.and_then(read) {
                        Ok(None) => return Err(End::Closed),
                        Ok(Some(_)) => {}
                        Err(error) => return Err(End::Failed(error.to_string())),
                    }
                    // A password sent without a newline counts once the client pauses.
                    if self.decoder.has_chunk() {
                        self.decoder.flush_chunk();
                    }
                }
            }
        }
    }

    /// The joined client, greeted. Only the first lines are made from the welcome: it is
    /// not kept.
    fn joined(self, session: Session, welcome: &Welcome) -> Connection {
        let Arriving {
            stream,
            mut decoder,
            mut out,
            wire,
            ..
        } = self;
        // What the password made is nobody's business.
        decoder.take_made();
        greet(&mut out, welcome, wire.catalog);
        Connection {
            stream,
            session,
            decoder,
            out,
            wire,
            paste: Paste::default(),
            pause: None,
            answers: Answers::default(),
            answer_wait: None,
        }
    }

    async fn close(self, end: &End, farewell: Option<&Farewell>) {
        finish(self.stream, self.out, self.wire, end, farewell).await;
    }
}

/// The first lines a TCP client sees: its nickname, the topic, and as many of the last
/// messages as fit. All of it fits in one `recv(1024)` and ends with a whole line, whatever
/// the history holds: the lesson's script reads its greeting with one `recv(1024)` and
/// decodes it as UTF-8.
fn greet(out: &mut Outbox, welcome: &Welcome, catalog: &'static Catalog) {
    let mut room = ANSWER_BYTES;
    let mut first = |line: Bytes| {
        let line = answer::shortened(line, room);
        room -= line.len();
        out.push(line);
    };
    first(line::notice(&catalog.greeting(&welcome.nick)));
    if let Some(topic) = &welcome.room.topic {
        first(line::notice(&catalog.topic_now(topic)));
    }
    if let Some(history) = line::history(&welcome.history, catalog, room) {
        out.push(history);
    }
}

/// Feeds the decoder what the socket has, through a stack buffer that is never held while
/// the client is idle. `None` once the client has closed its side; `Some(0)` if nothing was
/// ready after all.
/// `seen` is shown each read and what the decoder made of it.
fn read_into(
    stream: &TcpStream,
    decoder: &mut LineDecoder,
    seen: impl FnOnce(&[u8], Made),
) -> io::Result<Option<usize>> {
    let mut chunk = [0u8; READ_CHUNK];
    match stream.try_read(&mut chunk) {
        Ok(0) => Ok(None),
        Ok(n) => {
            decoder.feed(&chunk[..n]);
            seen(&chunk[..n], decoder.take_made());
            Ok(Some(n))
        }
        Err(error) if error.kind() == io::ErrorKind::WouldBlock => Ok(Some(0)),
        Err(error) => Err(error),
    }
}

/// Sets `timer` to go off at `deadline`, reusing it if it is there.
fn set_timer(timer: &mut Option<Pin<Box<Sleep>>>, deadline: Instant) {
    match timer {
        Some(timer) => timer.as_mut().reset(deadline),
        None => *timer = Some(Box::pin(tokio::time::sleep_until(deadline))),
    }
}

/// Resolves when the client has paused long enough; never without a timer.
async fn pause_elapsed(pause: &mut Option<Pin<Box<Sleep>>>) {
    match pause {
        Some(pause) => pause.as_mut().await,
        None => std::future::pending().await,
    }
}

/// True for the seed activity's words for leaving, a part of the line protocol: a bare "z"
/// or "FIN".
fn is_goodbye(word: &str) -> bool {
    word.eq_ignore_ascii_case("z") || word.eq_ignore_ascii_case("fin")
}

/// A joined TCP client.
struct Connection {
    stream: TcpStream,
    session: Session,
    decoder: LineDecoder,
    out: Outbox,
    wire: Lines,
    /// Lines that arrived together, waiting for the client's pause to be one message.
    paste: Paste,
    /// When the client's pause makes a message of what it sent: a chunk mode client's
    /// pending text, or a line mode client's paste. Boxed, and only there while something
    /// waits: an idle client needs no timer.
    pause: Option<Pin<Box<Sleep>>>,
    /// What waits for a client that has never ended a line, which is answered each time it
    /// sends rather than pushed to ([`answer`]).
    answers: Answers,
    /// When an answer stops waiting for the client's own message. Boxed, and only there
    /// while an answer waits.
    answer_wait: Option<Pin<Box<Sleep>>>,
}

impl Connection {
    /// Relays until the end, then says goodbye.
    #[expect(
        clippy::manual_async_fn,
        reason = "an `async fn` taking `mut self` keeps a second copy of `self` in its future"
    )]
    fn serve(mut self) -> impl Future<Output = ()> {
        async move {
            let end = self.relay().await;
            let Connection {
                stream,
                session,
                out,
                wire,
                ..
            } = self;
            // The client keeps its place at the door until its connection is closed.
            let parting = session.end(&end);
            // Boxed: the goodbye is larger than relaying, and every idle task would pay for it.
            Box::pin(finish(stream, out, wire, &end, parting.farewell.as_ref())).await;
        }
    }

    async fn relay(&mut self) -> End {
        let shutdown = self.session.context().shutdown.clone();
        loop {
            if let Some(replies) = self.decoder.take_replies() {
                self.out.push(replies);
            }
            self.release_answers();
            // Lines held back while the client was not reading its answers.
            if self.out.bytes < OUT_BYTES
                && self.decoder.has_inbound()
                && let Some(end) = self.handle_input()
            {
                return end;
            }
            if let Err(error) = self.out.write_to(&self.stream) {
                return End::Failed(error.to_string());
            }
            tokio::select! {
                biased;
                () = shutdown.cancelled() => return End::Stopped,
                ready = self.stream.writable(), if !self.out.is_empty() => {
                    if let Err(error) = ready {
                        return End::Failed(error.to_string());
                    }
                }
                delivery = self.session.recv(), if self.room() > 0 => {
                    let room = self.room();
                    let mut batch = self.session.batch(delivery, room, &self.wire);
                    if self.decoder.line_mode() {
                        for line in &mut batch {
                            self.out.push(line);
                        }
                    } else {
                        batch = batch.echoing();
                        while let Some(line) = batch.next() {
                            self.answers.deliver(line, batch.was_own());
                        }
                    }
                    if let Some(why) = batch.ended() {
                        return End::Ended(why);
                    }
                }
                ready = self.stream.readable(), if self.out.bytes < OUT_BYTES => {
                    // A paste whose pause is over ends here, even if this task is late to
                    // notice: what comes now was typed after it.
                    if self.pause.as_ref().is_some_and(|pause| pause.is_elapsed())
                        && let Some(end) = self.send_paste()
                    {
                        return end;
                    }
                    let session = &self.session;
                    let seen = |bytes: &[u8], made| session.stream_read(bytes, made);
                    let read = ready.and_then(|()| read_into(&self.stream, &mut self.decoder, seen));
                    if !matches!(read, Ok(Some(_))) {
                        // What a client sent just before closing still counts: the seed
                        // script sends "z" and closes at once.
                        self.decoder.finish();
                    }
                    if let Some(end) = self.handle_input() {
                        return end;
                    }
                    match read {
                        Ok(Some(0)) => {}
                        Ok(Some(_)) => self.wait_for_pause(),
                        Ok(None) => return self.send_paste().unwrap_or(End::Closed),
                        Err(error) => {
                            let _ = self.send_paste();
                            return End::Failed(error.to_string());
                        }
                    }
                }
                () = pause_elapsed(&mut self.answer_wait), if self.answer_wait.is_some() => {
                    self.answer_wait = None;
                    self.answers.stop_waiting();
                }
                () = pause_elapsed(&mut self.pause), if self.pause.is_some() => {
                    self.pause = None;
                    self.decoder.flush_chunk();
                    self.session.read_made(self.decoder.take_made());
                    if let Some(end) = self.handle_input().or_else(|| self.send_paste()) {
                        return end;
                    }
                }
            }
        }
    }

    /// How many more deliveries to take from the hub now. A client that is answered takes
    /// them all, keeping the newest few for its next answer: its queue is the hub's ring.
    fn room(&self) -> usize {
        if self.decoder.line_mode() {
            OUT_LINES.saturating_sub(self.out.lines())
        } else {
            NEWS_LINES
        }
    }

    /// Hands the socket what a client that is answered is owed, if it is ready; hands it
    /// everything held once the client turns out to send whole lines.
    fn release_answers(&mut self) {
        let catalog = self.wire.catalog;
        let missed = |count| line::notice(&catalog.went_by(count));
        if self.decoder.line_mode() {
            if !self.answers.is_unused() {
                for line in std::mem::take(&mut self.answers).into_lines(missed) {
                    self.out.push(line);
                }
                self.answer_wait = None;
            }
        } else if let Some(answer) = self.answers.take(missed) {
            self.out.push(answer);
            self.answer_wait = None;
        }
    }

    /// After a read, (re)starts the wait for the client's pause if something waits for it:
    /// `--quiet-ms` for a chunk, `--paste-ms` for a paste.
    fn wait_for_pause(&mut self) {
        let wait = if self.decoder.has_chunk() {
            self.session.context().config.quiet()
        } else if !self.paste.is_empty() {
            // The rest of a paste may be held by the sender's Nagle algorithm until this
            // read is acknowledged: acknowledge now rather than up to 40 ms later.
            if let Err(error) = socket2::SockRef::from(&self.stream).set_tcp_quickack(true) {
                tracing::debug!(%error, "TCP_QUICKACK not set");
            }
            self.session.context().config.paste_gap()
        } else {
            self.pause = None;
            return;
        };
        set_timer(&mut self.pause, Instant::now() + wait);
    }

    /// Hands every complete line to the session, gathering a paste's lines into one
    /// message; returns how the connection ends, if a line ends it.
    fn handle_input(&mut self) -> Option<End> {
        let max_chars = self.session.context().config.max_length;
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
                // What was pasted just before still counts.
                return Some(self.send_paste().unwrap_or(End::Quit));
            }
            // A chunk mode client's chunk is a message as it is.
            let end = if self.decoder.line_mode() {
                self.gather(&text, max_chars)
            } else {
                self.say(&text)
            };
            if end.is_some() {
                return end;
            }
        }
        None
    }

    /// Adds one line to the paste, sending what is ready: a full paste, or the paste a
    /// command ends and then the command.
    fn gather(&mut self, text: &str, max_chars: usize) -> Option<End> {
        if self.session.context().config.paste_ms == 0 {
            return (!text.trim().is_empty()).then(|| self.say(text)).flatten();
        }
        match self.paste.push(text, max_chars) {
            Gathered::Held => None,
            Gathered::Full(message) => self.say(&message),
            Gathered::Command { before } => before
                .and_then(|message| self.say(&message))
                .or_else(|| self.say(text)),
        }
    }

    /// Sends what the paste holds as one message, if anything.
    fn send_paste(&mut self) -> Option<End> {
        let message = self.paste.take()?;
        self.say(&message)
    }

    /// Hands one message or command to the session, queueing its answer: at once for a
    /// client that sends whole lines, as its next answer for one that does not.
    fn say(&mut self, input: &str) -> Option<End> {
        match self.session.handle(Input::Line(input), &self.wire) {
            Handled::Answer(answer) if self.decoder.line_mode() => {
                answer.into_iter().for_each(|line| self.out.push(line));
                None
            }
            Handled::Answer(answer) => {
                self.answers.asked(answer);
                if self.answers.is_awaiting_own() {
                    set_timer(&mut self.answer_wait, Instant::now() + ANSWER_WAIT);
                }
                None
            }
            Handled::Leave => Some(End::Quit),
        }
    }
}

/// Says why the connection ends, gives the client a moment to read it, and closes. A failed
/// connection is closed at once.
async fn finish(
    mut stream: TcpStream,
    mut out: Outbox,
    wire: Lines,
    end: &End,
    farewell: Option<&Farewell>,
) {
    if matches!(end, End::Failed(_)) {
        return;
    }
    if let Some(farewell) = farewell {
        out.push(wire.farewell(farewell));
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
