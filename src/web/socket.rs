//! One WebSocket client's socket: the optional `hello`, then relaying both ways until it
//! quits, the connection drops or the server stops. What the client may do and what it is
//! sent is the session layer's; this file reads frames, parses them and writes them.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, close_code};
use bytes::Bytes;
use futures_util::SinkExt;
use tokio::time::{Instant, timeout};
use tokio_util::sync::CancellationToken;

use crate::chat::{ChatError, Command, Made, Via};
use crate::session::{Context, End, Handled, Hello, Input, Permit, Session, Tries};
use crate::wire::Encoding;
use crate::wire::json::{self, ClientFrame, Frames, HelloFrame};

/// How long a new connection may stay silent before it joins under a `guestN` name. A page
/// sends its `hello` at once; this is for bare WebSocket clients that only listen.
const HELLO_WAIT: Duration = Duration::from_secs(2);
/// How long a connection may go on choosing a nickname that is free before it is closed.
const JOIN_WAIT: Duration = Duration::from_secs(10 * 60);
/// Frames written before one flush: a burst leaves in few system calls.
const BURST: usize = 64;
/// A client whose socket accepts nothing for this long is disconnected: unlike a TCP
/// connection, a WebSocket one cannot read while a write is pending.
const WRITE_STALL: Duration = Duration::from_secs(30);
/// How often the server pings a page, and how long it waits for any sign of life before
/// deciding the link is dead (a laptop that went to sleep sends no close).
const PING_EVERY: Duration = Duration::from_secs(30);
const DEAD_AFTER: Duration = Duration::from_secs(75);
/// How long a departing client gets to take its last frames.
const FAREWELL: Duration = Duration::from_secs(2);

/// Runs one WebSocket client from upgrade to goodbye. `peer` is the client's address
/// (behind a trusted proxy, the one it forwarded).
///
/// Joining runs in the upgrade's task, and relaying in a task of its own: a task is as large
/// as its largest phase, and idle pages are most of a room.
pub(super) async fn run(mut socket: WebSocket, peer: SocketAddr, permit: Permit, context: Context) {
    let wire = Frames {
        catalog: context.catalog,
    };
    let Some((session, greeting, first)) = join(&mut socket, peer, permit, &context, wire).await
    else {
        // Gone before joining, or the server is stopping: end the close handshake.
        let stopping = context.shutdown.is_cancelled();
        let goodbye = async {
            if stopping {
                let close = CloseFrame {
                    code: close_code::AWAY,
                    reason: "shutdown".into(),
                };
                socket.send(Message::Close(Some(close))).await
            } else {
                socket.close().await
            }
        };
        let _ = timeout(FAREWELL, goodbye).await;
        return;
    };
    let tracker = context.tracker.clone();
    let connection = Connection {
        socket,
        session,
        wire,
    };
    tracker.spawn(connection.serve(greeting, first));
}

/// Waits for the optional `hello`, then joins; returns the session, the welcome's frames,
/// and a first frame that came instead of a `hello`. `None` when the client leaves first.
///
/// A `hello` that is refused (a taken nickname, a wrong password) gets an `error` frame and
/// the client may try again; any other first frame joins as a guest and is handled once
/// joined.
async fn join(
    socket: &mut WebSocket,
    peer: SocketAddr,
    mut permit: Permit,
    context: &Context,
    wire: Frames,
) -> Option<(Session, Vec<Utf8Bytes>, Option<ClientFrame>)> {
    let locked = context.door.has_password();
    let guest_after = Instant::now() + HELLO_WAIT;
    // Without the password, a page has as long as a TCP client to give it.
    let give_up = Instant::now()
        + if locked {
            Duration::from_secs(context.config.password_timeout)
        } else {
            JOIN_WAIT
        };
    let mut asked = false;
    let mut tries = Tries::default();
    loop {
        let frame = tokio::select! {
            () = context.shutdown.cancelled() => return None,
            () = tokio::time::sleep_until(give_up) => return None,
            () = tokio::time::sleep_until(guest_after), if !asked && !locked => None,
            message = socket.recv() => match incoming(message) {
                Incoming::Frame(frame, _) => Some(frame),
                Incoming::Control => continue,
                Incoming::Leaving => return None,
            },
        };
        let (hello, first) = match frame {
            None => (None, None),
            Some(Err(detail)) => {
                let refusal = json::bad_frame(&detail, context.catalog);
                bounded(send(socket, refusal), &context.shutdown)
                    .await
                    .ok()?;
                continue;
            }
            Some(Ok(ClientFrame::Hello(hello))) => {
                asked = true;
                (Some(hello), None)
            }
            Some(Ok(_)) if locked => {
                let refusal = wire.refusal(&ChatError::PasswordRequired);
                bounded(send(socket, refusal), &context.shutdown)
                    .await
                    .ok()?;
                continue;
            }
            Some(Ok(other)) => (None, Some(other)),
        };
        let hello = hello.as_ref().map(said).unwrap_or_default();
        match context.join(Via::Web, peer, permit, hello, tries).await {
            Ok((session, welcome)) => {
                // Only the frames are kept: the welcome's roster and history would otherwise
                // stay in memory for as long as the client is connected.
                return Some((session, json::welcome(&welcome), first));
            }
            Err((refusal, returned, tried)) => {
                (permit, tries) = (returned, tried);
                bounded(send(socket, wire.refusal(&refusal)), &context.shutdown)
                    .await
                    .ok()?;
                if refusal == ChatError::TooManyAttempts {
                    return None;
                }
            }
        }
    }
}

/// What a `hello` frame says, for the session layer.
fn said(hello: &HelloFrame) -> Hello<'_> {
    Hello {
        nick: hello.nick.as_deref(),
        since: hello.since,
        epoch: hello.epoch.as_deref(),
        token: hello.token.as_deref(),
        password: hello.password.as_deref(),
        teacher: hello.teacher.as_deref(),
        room: hello.room.as_deref(),
    }
}

/// What a message from the client amounts to.
enum Incoming {
    /// A frame to act on, or what is wrong with it, and its bytes.
    Frame(Result<ClientFrame, String>, Bytes),
    /// A ping or pong, which the WebSocket layer answers by itself.
    Control,
    /// A close frame, an error, or the end of the stream.
    Leaving,
}

fn incoming(message: Option<Result<Message, axum::Error>>) -> Incoming {
    match message {
        Some(Ok(Message::Text(text))) => {
            Incoming::Frame(ClientFrame::parse(text.as_str()), Bytes::from(text))
        }
        Some(Ok(Message::Binary(bytes))) => {
            Incoming::Frame(Err("binary frames are not supported".into()), bytes)
        }
        Some(Ok(Message::Ping(_) | Message::Pong(_))) => Incoming::Control,
        Some(Ok(Message::Close(_)) | Err(_)) | None => Incoming::Leaving,
    }
}

async fn send(socket: &mut WebSocket, frame: Utf8Bytes) -> Result<(), axum::Error> {
    socket.send(Message::Text(frame)).await
}

/// A joined WebSocket client.
struct Connection {
    socket: WebSocket,
    session: Session,
    wire: Frames,
}

impl Connection {
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
            // Boxed: the goodbye is larger than relaying, and every idle task would pay for it.
            Box::pin(self.close(end)).await;
        }
    }

    async fn relay(&mut self, greeting: Vec<Utf8Bytes>, first: Option<ClientFrame>) -> End {
        let shutdown = self.session.context().shutdown.clone();
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
                // One write each: answers are few, and a welcome's parts gathered together
                // would leave tungstenite's write buffer (which never shrinks) twice the size.
                let write = async {
                    for frame in frames {
                        self.socket.send(Message::Text(frame)).await?;
                    }
                    Ok::<(), axum::Error>(())
                };
                if let Err(end) = bounded(write, &shutdown).await {
                    return end;
                }
            }
            tokio::select! {
                biased;
                () = shutdown.cancelled() => return End::Stopped,
                delivery = self.session.recv() => {
                    let mut batch = self.session.batch(delivery, BURST, &self.wire);
                    let socket = &mut self.socket;
                    let write = async {
                        for frame in &mut batch {
                            socket.feed(Message::Text(frame)).await?;
                        }
                        socket.flush().await?;
                        Ok(batch.ended())
                    };
                    match bounded(write, &shutdown).await {
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
                    Incoming::Frame(frame, bytes) => {
                        heard = Instant::now();
                        let made = if frame.is_ok() { Made::FRAME } else { Made::FRAME | Made::REFUSED };
                        let private = matches!(&frame, Ok(ClientFrame::Say { text, .. }) if Command::is_private(text));
                        self.session.frame_read(&bytes, made, private);
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

    /// Hands one frame from the client to the session, queueing any answer in `replies`.
    fn handle(
        &mut self,
        frame: Result<ClientFrame, String>,
        replies: &mut Vec<Utf8Bytes>,
    ) -> Result<(), End> {
        let catalog = self.session.context().catalog;
        let input = match &frame {
            Err(detail) => {
                replies.push(json::bad_frame(detail, catalog));
                return Ok(());
            }
            Ok(ClientFrame::Hello(_)) => {
                replies.push(json::already_joined(catalog));
                return Ok(());
            }
            Ok(ClientFrame::Say {
                text,
                room: Some(room),
            }) => Input::LineIn(room, text),
            Ok(ClientFrame::Say { text, room: None }) => Input::Line(text),
            Ok(ClientFrame::Nick { nick }) => Input::Rename(nick),
        };
        match self.session.handle(input, &self.wire) {
            Handled::Answer(answer) => replies.extend(answer),
            Handled::Leave => return Err(End::Quit),
        }
        Ok(())
    }

    /// Leaves the conversation, then says why the connection closes.
    async fn close(self, end: End) {
        let Connection {
            mut socket,
            session,
            wire,
        } = self;
        // The client keeps its place at the door until its connection is closed.
        let parting = session.end(&end);
        let Some(farewell) = &parting.farewell else {
            // A client that closed is answered in kind (it sees its own close code, not
            // an abrupt end); one that stopped reading or failed is not waited for long.
            let _ = timeout(FAREWELL, socket.close()).await;
            return;
        };
        let code = match farewell.reason {
            "shutdown" => close_code::AWAY,
            "kicked" | "banned" => close_code::POLICY,
            _ => close_code::NORMAL,
        };
        let goodbye = async {
            socket.feed(Message::Text(wire.farewell(farewell))).await?;
            let close = CloseFrame {
                code,
                reason: farewell.reason.into(),
            };
            socket.send(Message::Close(Some(close))).await
        };
        let _ = timeout(FAREWELL, goodbye).await;
    }
}

/// Runs a write, giving up when the client stalls or the server stops.
async fn bounded<T>(
    write: impl Future<Output = Result<T, axum::Error>>,
    shutdown: &CancellationToken,
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
