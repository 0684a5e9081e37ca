//! One door for every transport. Below the TCP and WebSocket adapters and the console, which
//! keep only their socket (or terminal), their framing and their encoding, this layer owns what every connection goes
//! through: admission at the door, the password gate, joining, every input that changes
//! what others see, what each client is sent, and the farewell.
//!
//! - `context`: what every session shares ([`Context`]).
//! - `door`: connection caps, bans, real addresses, the password gate.
//! - `input`: the hello, lines and renames, through one path with one set of limits.
//! - `farewell`: why a session ended, and what its client is told.
//!
//! A transport drives a [`Session`]: it feeds it [`Input`]s, writes the frames it hands
//! back, and writes the deliveries it takes from [`Session::batch`].

mod context;
mod door;
mod farewell;
mod input;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use tokio::time::Sleep;

pub(crate) use context::Context;
pub(crate) use door::{Door, Permit, Tries};
pub(crate) use farewell::End;
pub(crate) use input::{Handled, Hello, Input};

use crate::chat::{Alert, Delivery, Ending, EventKind, Made, Member};
use crate::metrics::Connected;
use crate::wire::{Encoding, Farewell};

/// How soon a member whose arrival could not be told yet is tried again.
const ANNOUNCE_RETRY: Duration = Duration::from_secs(2);

/// One joined client, whatever its transport. Dropping it leaves the conversation.
pub(crate) struct Session {
    member: Member,
    /// When everyone is told of this member's arrival, if it has not done anything yet.
    /// Boxed, and gone once past: an idle member holds no timer.
    announce: Option<Pin<Box<Sleep>>>,
    peer: SocketAddr,
    /// Wrong guesses at the teacher token on this connection, joining included.
    tries: Tries,
    context: Context,
    /// Counts this client in the metrics while it is connected.
    _connected: Connected,
    /// This connection's place at the door, given back when the session ends.
    _permit: Permit,
}

impl Session {
    fn new(
        member: Member,
        peer: SocketAddr,
        permit: Permit,
        tries: Tries,
        context: Context,
    ) -> Self {
        let via = member.via();
        tracing::info!(%peer, %via, nick = %member.nick(), "connected");
        // With no wait, the hub told everyone on joining, unless the address's arrivals were
        // spent: then the member's turn is tried again soon.
        let wait = match Duration::from_secs(context.config.announce_after) {
            Duration::ZERO => ANNOUNCE_RETRY,
            wait => wait,
        };
        Self {
            _connected: context.metrics.connected(via),
            announce: Some(Box::pin(tokio::time::sleep(wait))),
            member,
            peer,
            tries,
            context,
            _permit: permit,
        }
    }

    /// Keeps a read from the client's byte stream for `/wire`.
    pub(crate) fn stream_read(&self, bytes: &[u8], made: Made) {
        self.member.stream_read(bytes, made);
    }

    /// Keeps a whole message from the client (a WebSocket frame) for `/wire`.
    pub(crate) fn frame_read(&self, bytes: &[u8], made: Made, private: bool) {
        self.member.frame_read(bytes, made, private);
    }

    /// Adds to what the client's latest read made, for `/wire`.
    pub(crate) fn read_made(&self, made: Made) {
        if made != Made::default() {
            self.member.read_made(made);
        }
    }

    /// What every session shares.
    pub(crate) fn context(&self) -> &Context {
        &self.context
    }

    /// Waits for the next thing to pass on; on the way, tells everyone of this member's
    /// arrival once it has stayed long enough. Cancel-safe, so it can sit in a `select!`.
    pub(crate) async fn recv(&mut self) -> Delivery {
        loop {
            let Some(announce) = &mut self.announce else {
                return self.member.recv().await;
            };
            tokio::select! {
                biased;
                delivery = self.member.recv() => return delivery,
                () = announce.as_mut() => {
                    if self.member.announce() {
                        self.announce = None;
                    } else {
                        // Its address's arrivals are told at a pace: its turn comes.
                        announce.as_mut().reset(tokio::time::Instant::now() + ANNOUNCE_RETRY);
                    }
                }
            }
        }
    }

    /// Starts a batch of deliveries with `first`: it yields each one encoded by `wire`,
    /// taking whatever else is ready, up to `max` deliveries in all.
    pub(crate) fn batch<'s, E: Encoding>(
        &'s mut self,
        first: Delivery,
        max: usize,
        wire: &'s E,
    ) -> Batch<'s, E> {
        Batch {
            session: self,
            wire,
            next: Some(first),
            left: max,
            taken: 0,
            delivered: 0,
            ended: None,
            echo: E::ECHO,
            own: false,
            ahead: VecDeque::new(),
        }
    }

    /// Leaves the conversation and says what the client is to be told, if anything. Logs
    /// the departure under the nickname the client has now.
    pub(crate) fn end(self, end: &End) -> Parting {
        let Session {
            member,
            peer,
            context,
            _connected,
            _permit,
            ..
        } = self;
        let via = member.via();
        if let End::Stalled = end {
            context.metrics.of(via).slow_disconnect();
        }
        tracing::info!(%peer, %via, nick = %member.nick(), reason = %end, "disconnected");
        drop(member);
        Parting {
            farewell: end.farewell(context.catalog, context.config.max_length),
            _connected,
            _permit,
        }
    }
}

/// A client that has left the conversation but whose connection is still being closed: it
/// keeps its place at the door, and counts as connected, until dropped.
pub(crate) struct Parting {
    /// What the client is to be told, if anything.
    pub(crate) farewell: Option<Farewell>,
    _connected: Connected,
    _permit: Permit,
}

/// Deliveries taken from the hub in one go, encoded for one transport. Counted in the
/// metrics once, when dropped.
pub(crate) struct Batch<'s, E: Encoding> {
    session: &'s mut Session,
    wire: &'s E,
    /// The next delivery, taken but not yet encoded.
    next: Option<Delivery>,
    /// How many more may be taken.
    left: usize,
    /// Deliveries taken from the hub, and frames made of them (a client's own line, which
    /// it is not echoed, makes none).
    taken: u64,
    delivered: u64,
    /// Why the hub ended the session, if it did.
    ended: Option<Ending>,
    /// Whether the client is sent its own messages.
    echo: bool,
    /// Whether the frame last yielded was the client's own doing.
    own: bool,
    /// Frames of one delivery still to yield (a room entered with many people in it).
    ahead: VecDeque<E::Frame>,
}

impl<E: Encoding> Batch<'_, E> {
    /// Why the hub ended the session, once the batch has run out.
    pub(crate) fn ended(&mut self) -> Option<Ending> {
        self.ended.take()
    }

    /// Sends the client its own messages, whatever its encoding does: a client that is
    /// answered rather than pushed to is answered with its own message.
    pub(crate) fn echoing(mut self) -> Self {
        self.echo = true;
        self
    }

    /// True if the frame last yielded answers something the client did: an event it caused,
    /// or the news that it could not be saved.
    pub(crate) fn was_own(&self) -> bool {
        self.own
    }
}

impl<E: Encoding> Iterator for Batch<'_, E> {
    type Item = E::Frame;

    fn next(&mut self) -> Option<E::Frame> {
        if let Some(frame) = self.ahead.pop_front() {
            self.delivered += 1;
            return Some(frame);
        }
        let member = &mut self.session.member;
        loop {
            let delivery = match self.next.take() {
                Some(delivery) => delivery,
                None if self.left > 0 && self.ended.is_none() => member.try_recv()?,
                None => return None,
            };
            self.left = self.left.saturating_sub(1);
            self.taken += 1;
            let frame = match delivery {
                Delivery::Public(event) => {
                    // A client that does not echo is not sent its own lines, nor its own
                    // arrival (its greeting said it).
                    self.own = event.origin == member.id();
                    // Nor its own moves: it is told where it is now instead.
                    let unsent = match event.kind {
                        EventKind::Message { .. } => !self.echo,
                        EventKind::Join { .. } | EventKind::Moved { .. } => !E::ECHO,
                        _ => false,
                    };
                    if self.own && unsent {
                        continue;
                    }
                    // Only a teacher reads other rooms: their events say which room.
                    if event.room != *member.room() && !event.room.is_everywhere() {
                        self.wire.event_elsewhere(&event)
                    } else {
                        self.wire.event(&event)
                    }
                }
                Delivery::Entered(view) => {
                    self.own = false;
                    let mut frames = self.wire.entered(&view).into_iter();
                    let Some(first) = frames.next() else {
                        continue;
                    };
                    self.ahead.extend(frames);
                    first
                }
                Delivery::Private(message) => {
                    self.own = false;
                    self.wire.private(&message, false)
                }
                Delivery::Alert(alert) => {
                    self.own = matches!(alert, Alert::NotSaved | Alert::MoveNotSaved(_));
                    self.wire.alert(&alert)
                }
                Delivery::Missed(count) => {
                    self.own = false;
                    let metrics = self.session.context.metrics.of(member.via());
                    metrics.skipped(count);
                    self.wire.missed(count)
                }
                Delivery::Ended(why) => {
                    self.ended = Some(why);
                    return None;
                }
            };
            self.delivered += 1;
            return Some(frame);
        }
    }
}

impl<E: Encoding> Drop for Batch<'_, E> {
    fn drop(&mut self) {
        let session = &self.session;
        let metrics = session.context.metrics.of(session.member.via());
        metrics.delivered(self.delivered);
        // How far behind the client was when the batch began. A batch that emptied the
        // ring took all of it; only a full one asks the ring for the rest (which takes
        // its lock).
        let rest = if self.left == 0 {
            session.member.behind() as u64
        } else {
            0
        };
        metrics.behind(self.taken + rest);
    }
}
