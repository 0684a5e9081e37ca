//! One WebSocket client: the optional `hello`, the welcome, then relaying both ways until it
//! quits, the connection drops or the server stops.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, close_code};
use futures_util::SinkExt;
use tokio::time::{Instant, timeout};

use crate::app::Context;
use crate::chat::{Command, Delivery, Ending, Member, Replay, Reply, Via, Welcome};
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
}

/// Runs one WebSocket client from upgrade to goodbye.
pub(crate) async fn run(mut socket: WebSocket, peer: SocketAddr, context: Context) {
    let Some((member, mut welcome, first, since)) = join(&mut socket, &context).await else {
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
    let mut session = Session {
        socket,
        member,
        context,
    };
    let end = session.relay(&welcome, first).await;
    tracing::info!(%peer, via = "web", nick = %welcome.nick, reason = ?end, "disconnected");
    session.close(end).await;
}

/// Waits for the optional `hello`, then joins. `None` when the client leaves first.
///
/// A `hello` whose nickname is refused gets an `error` frame and the client may try another;
/// any other first frame joins as a guest and is handled once joined.
async fn join(
    socket: &mut WebSocket,
    context: &Context,
) -> Option<(Member, Welcome, Option<ClientFrame>, Option<u64>)> {
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
            () = tokio::time::sleep_until(guest_after), if !asked => None,
            message = socket.recv() => match incoming(message) {
                Incoming::Frame(frame) => Some(frame),
                Incoming::Control => continue,
                Incoming::Leaving => return None,
            },
        };
        let (nick, replay, first, token) = match frame {
            None => (None, recent, None, None),
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
            })) => {
                asked = true;
                // A `since` from another conversation (a server that lost its history)
                // would hide new events behind old ids: start afresh instead.
                let same = epoch.is_none_or(|epoch| epoch == context.hub.epoch());
                let replay = match since {
                    Some(since) if same => Replay::Since(since),
                    _ => recent,
                };
                (nick, replay, None, token)
            }
            Some(Ok(other)) => (None, recent, Some(other), None),
        };
        match context
            .hub
            .join(Via::Web, nick.as_deref(), replay, token.as_deref())
        {
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
    context: Context,
}

impl Session {
    async fn relay(&mut self, welcome: &Welcome, first: Option<ClientFrame>) -> End {
        let shutdown = self.context.shutdown.clone();
        let mut replies = vec![json::welcome(welcome)];
        if let Some(frame) = first
            && let Err(end) = self.handle(Ok(frame), &mut replies)
        {
            return end;
        }
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
                message = self.socket.recv() => match incoming(message) {
                    Incoming::Frame(frame) => {
                        if let Err(end) = self.handle(frame, &mut replies) {
                            return end;
                        }
                    }
                    Incoming::Control => {}
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
        while let Some(delivery) = next {
            let frame = match delivery {
                Delivery::Public(event) => json::event(&event),
                Delivery::Private(message) => json::private(&message),
                Delivery::Missed(count) => json::missed(count),
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
            Ok(ClientFrame::Say { text }) => self.member.handle(&text),
            Ok(ClientFrame::Nick { nick }) => self.member.run(Command::Nick(&nick)),
        };
        match outcome {
            Ok(Reply::Done) => {}
            Ok(Reply::Help) => replies.push(json::help(catalog)),
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
        } = self;
        drop(member);
        let (reason, text, code) = match end {
            End::Quit => ("quit", context.catalog.bye, close_code::NORMAL),
            End::Stopped => ("shutdown", context.catalog.stopping, close_code::AWAY),
            End::Ended(Ending::Replaced) => {
                ("replaced", context.catalog.replaced, close_code::NORMAL)
            }
            End::Ended(Ending::Left) | End::Closed | End::Stalled => return,
        };
        let farewell = async {
            socket.feed(Message::Text(json::bye(reason, text))).await?;
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
