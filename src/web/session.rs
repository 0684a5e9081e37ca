//! One WebSocket client: the optional `hello`, the welcome, then relaying both ways until it
//! quits, the connection drops or the server stops.

use std::net::IpAddr;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, close_code};
use futures_util::SinkExt;
use tokio::time::{Instant, timeout};

use crate::admission::Permit;
use crate::app::Context;
use crate::chat::{
    Arrival, ChatError, Command, Delivery, Ending, Member, Nick, Replay, Reply, Via, Welcome,
};
use crate::metrics::Connected;
use crate::wire::json::{self, ClientFrame};

/// How long a new connection may stay silent before it joins under a `guestN` name. A page
/// sends its `hello` at once; this is for bare WebSocket clients that only listen.
const HELLO_WAIT: Duration = Duration::from_secs(2);
/// How long a connection may go on choosing a nickname that is free before it is closed.
const JOIN_WAIT: Duration = Duration::from_secs(10 * 60);
/// Frames written before one flush: a burst leaves in few system calls.
const BURST: usize = 64;
/// A client whose socket accepts nothing for this long is disconnected: unlike a TCP
/// session, a WebSocket session cannot read while a write is pending.
const WRITE_STALL: Duration = Duration::from_secs(30);
/// Most past events a reconnecting page is sent; older ones it missed are only counted.
const MAX_RESUME: usize = 1000;
/// How often the server pings a page, and how long it waits for any sign of life before
/// deciding the link is dead (a laptop that went to sleep sends no close).
const PING_EVERY: Duration = Duration::from_secs(30);
const DEAD_AFTER: Duration = Duration::from_secs(75);
/// How long a departing client gets to take its last frames.
const FAREWELL: Duration = Duration::from_secs(2);

/// Why a session ended.
#[derive(Debug)]
enum End {
    /// The client asked to leave.
    Quit,
    /// The client closed the connection, or it failed.
    Closed,
    /// The client stopped reading.
    Stalled,
    /// The server is stopping.
    Stopped,
    /// The hub ended the session.
    Ended(Ending),
    /// The client answered no ping for too long: the link is dead.
    Dead,
}

/// Runs one WebSocket client from upgrade to goodbye.
///
/// Joining runs in the upgrade's task, and relaying in a task of its own: a task is as large
/// as its largest phase, and idle pages are most of a room.
pub(crate) async fn run(mut socket: WebSocket, peer: IpAddr, permit: Permit, context: Context) {
    let Some((member, mut welcome, first, since)) = join(&mut socket, peer, &context).await else {
        return;
    };
    if let Some(since) = since {
        // Subscribed already: whatever happens while the database is read arrives after.
        context
            .archive
            .complete(&mut welcome, since, MAX_RESUME)
            .await;
    }
    tracing::info!(%peer, via = "web", nick = %welcome.nick, "connected");
    // Only the frame is kept: the welcome's roster and history would otherwise stay in
    // memory for as long as the client is connected.
    let greeting = json::welcome(&welcome);
    let nick = welcome.nick.clone();
    drop(welcome);
    let connected = context.metrics.connected(Via::Web);
    let tracker = context.tracker.clone();
    let session = Session {
        socket,
        member,
        peer,
        nick,
        context,
        _connected: connected,
        _permit: permit,
    };
    tracker.spawn(session.serve(greeting, first));
}

/// Waits for the optional `hello`, then joins. `None` when the client leaves first.
///
/// A `hello` whose nickname is refused gets an `error` frame and the client may try another;
/// any other first frame joins as a guest and is handled once joined.
async fn join(
    socket: &mut WebSocket,
    addr: IpAddr,
    context: &Context,
) -> Option<(Member, Welcome, Option<ClientFrame>, Option<u64>)> {
    let locked = context.config.password.is_some();
    let guest_after = Instant::now() + HELLO_WAIT;
    let give_up = Instant::now() + JOIN_WAIT;
    let mut asked = false;
    let recent = Replay::Last {
        count: context.config.history,
        chat_only: false,
    };
    loop {
        let frame = tokio::select! {
            () = context.shutdown.cancelled() => return None,
            () = tokio::time::sleep_until(give_up) => return None,
            () = tokio::time::sleep_until(guest_after), if !asked && !locked => None,
            message = socket.recv() => match incoming(message) {
                Incoming::Frame(frame) => Some(frame),
                Incoming::Control => continue,
                Incoming::Leaving => return None,
            },
        };
        let (nick, replay, first, token, teacher) = match frame {
            None => (None, recent, None, None, None),
            Some(Err(detail)) => {
                bounded(send(socket, bad_frame(context, &detail)), &context.shutdown)
                    .await
                    .ok()?;
                continue;
            }
            Some(Ok(ClientFrame::Hello {
                nick,
                since,
                epoch,
                token,
                password,
                teacher,
            })) => {
                asked = true;
                if let Err(refusal) = check_password(password.as_deref(), addr, context) {
                    bounded(send(socket, refusal), &context.shutdown)
                        .await
                        .ok()?;
                    continue;
                }
                // A `since` from another conversation (a server that lost its history)
                // would hide new events behind old ids: start afresh instead.
                let same = epoch.is_none_or(|epoch| epoch == context.hub.epoch());
                let replay = match since {
                    Some(since) if same => Replay::Since(since),
                    _ => recent,
                };
                (nick, replay, None, token, teacher)
            }
            Some(Ok(_)) if locked => {
                let refusal = json::error("password_required", context.catalog.password_prompt);
                bounded(send(socket, refusal), &context.shutdown)
                    .await
                    .ok()?;
                continue;
            }
            Some(Ok(other)) => (None, recent, Some(other), None, None),
        };
        let arrival = Arrival {
            via: Via::Web,
            addr,
            nick: nick.as_deref(),
            replay,
            takeover: token.as_deref(),
            teacher: teacher.as_deref().filter(|token| !token.is_empty()),
            roster: true,
        };
        match context.hub.join(arrival) {
            Ok((member, welcome)) => {
                let since = match replay {
                    Replay::Since(since) => Some(since),
                    Replay::Last { .. } => None,
                };
                return Some((member, welcome, first, since));
            }
            Err(error) => {
                let refusal = json::chat_error(&error, context.catalog);
                bounded(send(socket, refusal), &context.shutdown)
                    .await
                    .ok()?;
            }
        }
    }
}

/// Checks a `hello`'s password, counting wrong guesses per address. The refusal is the
/// frame to send back.
fn check_password(given: Option<&str>, addr: IpAddr, context: &Context) -> Result<(), Utf8Bytes> {
    if context.config.password.is_none() {
        return Ok(());
    }
    let catalog = context.catalog;
    let Some(given) = given.filter(|given| !given.is_empty()) else {
        return Err(json::error("password_required", catalog.password_prompt));
    };
    if !context.admission.may_guess(addr) {
        return Err(json::error("too_many_attempts", catalog.password_wait));
    }
    if context.password_matches(given) {
        Ok(())
    } else {
        Err(json::error("password_wrong", catalog.password_wrong))
    }
}

/// What a message from the client amounts to.
enum Incoming {
    /// A frame to act on, or what is wrong with it.
    Frame(Result<ClientFrame, String>),
    /// A ping or pong, which the WebSocket layer answers by itself.
    Control,
    /// A close frame, an error, or the end of the stream.
    Leaving,
}

fn incoming(message: Option<Result<Message, axum::Error>>) -> Incoming {
    match message {
        Some(Ok(Message::Text(text))) => Incoming::Frame(ClientFrame::parse(text.as_str())),
        Some(Ok(Message::Binary(_))) => {
            Incoming::Frame(Err("binary frames are not supported".into()))
        }
        Some(Ok(Message::Ping(_) | Message::Pong(_))) => Incoming::Control,
        Some(Ok(Message::Close(_)) | Err(_)) | None => Incoming::Leaving,
    }
}

fn bad_frame(context: &Context, detail: &str) -> Utf8Bytes {
    let text = crate::i18n::fill(context.catalog.bad_frame, &[("detail", &detail)]);
    json::error("bad_frame", &text)
}

async fn send(socket: &mut WebSocket, frame: Utf8Bytes) -> Result<(), axum::Error> {
    socket.send(Message::Text(frame)).await
}

struct Session {
    socket: WebSocket,
    member: Member,
    peer: IpAddr,
    /// The nickname given on joining, for the log.
    nick: Nick,
    context: Context,
    /// Counts this page in the metrics while it is connected.
    _connected: Connected,
    /// This connection's place at the door, given back when the session ends.
    _permit: Permit,
}

impl Session {
    #[expect(
        clippy::manual_async_fn,
        reason = "an `async fn` taking `mut self` keeps a second copy of `self` in its future"
    )]
    fn serve(
        mut self,
        greeting: Vec<Utf8Bytes>,
        first: Option<ClientFrame>,
    ) -> impl Future<Output = ()> {
        async move {
            let end = self.relay(greeting, first).await;
            if let End::Stalled = end {
                self.context.metrics.of(Via::Web).slow_disconnect();
            }
            let (peer, nick) = (self.peer, &self.nick);
            tracing::info!(%peer, via = "web", %nick, reason = ?end, "disconnected");
            // Boxed: the goodbye is larger than relaying, and every idle task would pay for it.
            Box::pin(self.close(end)).await;
        }
    }

    async fn relay(&mut self, greeting: Vec<Utf8Bytes>, first: Option<ClientFrame>) -> End {
        let shutdown = self.context.shutdown.clone();
        let mut replies = greeting;
        if let Some(frame) = first
            && let Err(end) = self.handle(Ok(frame), &mut replies)
        {
            return end;
        }
        let mut ping = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut heard = Instant::now();
        loop {
            if !replies.is_empty() {
                let frames = std::mem::take(&mut replies);
                let write = async {
                    for frame in frames {
                        self.socket.feed(Message::Text(frame)).await?;
                    }
                    self.socket.flush().await
                };
                if let Err(end) = bounded(write, &shutdown).await {
                    return end;
                }
            }
            tokio::select! {
                biased;
                () = shutdown.cancelled() => return End::Stopped,
                delivery = self.member.recv() => {
                    match bounded(self.send_burst(delivery), &shutdown).await {
                        Ok(None) => {}
                        Ok(Some(why)) => return End::Ended(why),
                        Err(end) => return end,
                    }
                }
                _ = ping.tick() => {
                    if heard.elapsed() > DEAD_AFTER {
                        return End::Dead;
                    }
                    let ping = self.socket.send(Message::Ping(Default::default()));
                    if let Err(end) = bounded(ping, &shutdown).await {
                        return end;
                    }
                }
                message = self.socket.recv() => match incoming(message) {
                    Incoming::Frame(frame) => {
                        heard = Instant::now();
                        if let Err(end) = self.handle(frame, &mut replies) {
                            return end;
                        }
                    }
                    Incoming::Control => heard = Instant::now(),
                    Incoming::Leaving => return End::Closed,
                },
            }
        }
    }

    /// Writes `first` and whatever else is ready, then flushes once. Returns why the hub
    /// ended the session, if it did.
    async fn send_burst(&mut self, first: Delivery) -> Result<Option<Ending>, axum::Error> {
        let mut next = Some(first);
        let mut sent = 0;
        let mut ending = None;
        let metrics = self.context.metrics.of(Via::Web);
        while let Some(delivery) = next {
            let frame = match delivery {
                Delivery::Public(event) => json::event(&event),
                Delivery::Private(message) => json::private(&message),
                Delivery::Missed(count) => {
                    metrics.skipped(count);
                    json::missed(count)
                }
                Delivery::Ended(why) => {
                    ending = Some(why);
                    break;
                }
            };
            self.socket.feed(Message::Text(frame)).await?;
            sent += 1;
            next = if sent < BURST {
                self.member.try_recv()
            } else {
                None
            };
        }
        metrics.delivered(sent as u64);
        metrics.queued(sent as u64);
        self.socket.flush().await?;
        Ok(ending)
    }

    /// Acts on one frame from the client, queueing any answer in `replies`.
    fn handle(
        &mut self,
        frame: Result<ClientFrame, String>,
        replies: &mut Vec<Utf8Bytes>,
    ) -> Result<(), End> {
        let catalog = self.context.catalog;
        let outcome = match frame {
            Err(detail) => {
                replies.push(bad_frame(&self.context, &detail));
                return Ok(());
            }
            Ok(ClientFrame::Hello { .. }) => {
                replies.push(json::error("already_joined", "hello comes first, once"));
                return Ok(());
            }
            Ok(ClientFrame::Say { text }) => {
                let metrics = self.context.metrics.of(Via::Web);
                metrics.received(1);
                let handled = self.member.handle(&text);
                if matches!(handled, Err(ChatError::Flood | ChatError::Dropped)) {
                    metrics.rate_limited();
                }
                handled
            }
            Ok(ClientFrame::Nick { nick }) => self.member.run(Command::Nick(&nick)),
        };
        match outcome {
            Ok(Reply::Done) | Err(ChatError::Dropped) => {}
            Ok(Reply::Help) => replies.push(json::help(catalog, self.member.is_teacher())),
            Ok(Reply::Who(users)) => replies.push(json::who(&users)),
            Ok(Reply::History(events)) => replies.push(json::history(&events)),
            Ok(Reply::Sent(message)) => replies.push(json::private(&message)),
            Ok(Reply::Quit) => return Err(End::Quit),
            Err(error) => replies.push(json::chat_error(&error, catalog)),
        }
        Ok(())
    }

    /// Leaves the conversation, then says why the connection closes.
    async fn close(self, end: End) {
        let Session {
            mut socket,
            member,
            context,
            ..
        } = self;
        drop(member);
        let catalog = context.catalog;
        let (reason, text, code) = match end {
            End::Quit => ("quit", catalog.bye.to_owned(), close_code::NORMAL),
            End::Stopped => ("shutdown", catalog.stopping.to_owned(), close_code::AWAY),
            End::Ended(Ending::Replaced) => {
                ("replaced", catalog.replaced.to_owned(), close_code::NORMAL)
            }
            End::Ended(Ending::Kicked(reason)) => {
                let reason = if reason.is_empty() {
                    String::new()
                } else {
                    format!(" ({reason})")
                };
                let text = crate::i18n::fill(catalog.kicked, &[("text", &reason)]);
                ("kicked", text, close_code::POLICY)
            }
            End::Ended(Ending::Banned) => ("banned", catalog.banned.to_owned(), close_code::POLICY),
            End::Ended(Ending::Left) | End::Closed | End::Stalled | End::Dead => return,
        };
        let farewell = async {
            socket.feed(Message::Text(json::bye(reason, &text))).await?;
            let close = CloseFrame {
                code,
                reason: reason.into(),
            };
            socket.send(Message::Close(Some(close))).await
        };
        let _ = timeout(FAREWELL, farewell).await;
    }
}

/// Runs a write, giving up when the client stalls or the server stops.
async fn bounded<T>(
    write: impl Future<Output = Result<T, axum::Error>>,
    shutdown: &tokio_util::sync::CancellationToken,
) -> Result<T, End> {
    tokio::select! {
        written = timeout(WRITE_STALL, write) => match written {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_)) => Err(End::Closed),
            Err(_) => Err(End::Stalled),
        },
        () = shutdown.cancelled() => Err(End::Stopped),
    }
}
