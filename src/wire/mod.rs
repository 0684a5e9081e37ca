//! The two wire formats, as pure encoding and decoding with no I/O: CRLF text lines for raw
//! TCP clients ([`line`], read by [`line_decoder`]) and JSON frames for the web page
//! ([`json`]).
//!
//! Each public event is encoded at most once per format, by whichever session first needs
//! it, and the bytes are shared by refcount with every other recipient ([`Encodings`]).
//! What a session sends in answer to the conversation (deliveries, replies, refusals, the
//! farewell) goes through one [`Encoding`], so the session layer decides what to send once
//! for every transport; only a transport's own framing errors (a WebSocket frame that is
//! not JSON) are answered by the transport itself.

pub mod json;
pub mod line;
pub mod line_decoder;
pub mod paste;

use std::sync::{Arc, OnceLock};

use axum::extract::ws::Utf8Bytes;
use bytes::Bytes;

use crate::chat::{
    Alert, Arrived, ChatError, Event, Private, RoomInfo, RoomName, RoomView, User, WireView,
};

/// One event's encodings, filled on first use. Lives inside [`crate::chat::Event`], which
/// only carries it; nothing in the chat core looks inside.
#[derive(Debug, Default)]
pub(crate) struct Encodings {
    line: OnceLock<Bytes>,
    /// The line with its room in front, for teachers in another room.
    line_elsewhere: OnceLock<Bytes>,
    json: OnceLock<Utf8Bytes>,
}

/// Most bytes one answer to `/history` or `/who` takes on the wire. A connection holds at
/// most one answer at a time (its input is not read while an answer waits), so this bounds
/// what asking costs it; the newest events and the first names are sent, the rest counted.
pub(crate) const ANSWER_BUDGET: usize = 256 * 1024;

/// The newest of `events` whose sizes (as measured by `size`) fit in [`ANSWER_BUDGET`],
/// and how many older ones do not.
pub(crate) fn newest_within_budget<T>(events: &[T], size: impl Fn(&T) -> usize) -> (&[T], usize) {
    let mut bytes = 0;
    let fitting = events
        .iter()
        .rev()
        .take_while(|event| {
            bytes += size(event);
            bytes <= ANSWER_BUDGET
        })
        .count();
    let left_out = events.len() - fitting;
    (&events[left_out..], left_out)
}

/// The last thing a client is told before the server closes its connection.
#[derive(Debug)]
pub(crate) struct Farewell {
    /// Why, for programs: `quit`, `shutdown`, `replaced`, `kicked`, `banned`, `cut_off`,
    /// `timeout`.
    pub(crate) reason: &'static str,
    /// Why, for people, in the server's language.
    pub(crate) text: String,
    /// A teacher's reason for a kick; empty otherwise.
    pub(crate) why: String,
}

/// How one transport puts what a session sends on its wire. A third transport implements
/// this and its socket loop; the session layer does the rest.
pub(crate) trait Encoding {
    /// What is written: CRLF lines, or one WebSocket text frame.
    type Frame;
    /// Whether a client is sent its own messages and arrival back. The page shows them as
    /// confirmation; a TCP client sees what it typed already and was greeted instead.
    const ECHO: bool;

    /// A public event, encoded once for everyone.
    fn event(&self, event: &Event) -> Self::Frame;
    /// A public event of a room the client is not in (the client is a teacher, who watches
    /// every room), encoded once for every such teacher.
    fn event_elsewhere(&self, event: &Event) -> Self::Frame {
        self.event(event)
    }
    /// The client is now in another room: its name, rules, people and latest events (a
    /// long list of people may come in parts, as in a welcome).
    fn entered(&self, view: &RoomView) -> Vec<Self::Frame>;
    /// The answer to `/rooms`: the open rooms, and the one the client is in.
    fn rooms(&self, rooms: &[RoomInfo], here: &RoomName) -> Self::Frame;
    /// A private message, to its recipient (`sent` false) or back to its sender.
    fn private(&self, message: &Arc<Private>, sent: bool) -> Self::Frame;
    /// This many events were skipped because the client read too slowly.
    fn missed(&self, count: u64) -> Self::Frame;
    /// The answer to `/help`, the teacher's commands included for a teacher.
    fn help(&self, teacher: bool) -> Self::Frame;
    /// The answer to `/who`, within [`ANSWER_BUDGET`].
    fn who(&self, users: &[User]) -> Vec<Self::Frame>;
    /// The answer to `/history`, within [`ANSWER_BUDGET`].
    fn history(&self, events: &[Arc<Event>]) -> Vec<Self::Frame>;
    /// The answer to a teacher's `/arrivals`: the latest arrivals with their addresses, and
    /// whether each is still here.
    fn arrivals(&self, arrivals: &[(Arrived, bool)]) -> Self::Frame;
    /// Why something the client did was refused.
    fn refusal(&self, error: &ChatError) -> Self::Frame;
    /// Something for this client alone: what it did was not saved (a refusal), or, for a
    /// teacher, that saving fails or works again.
    fn alert(&self, alert: &Alert) -> Self::Frame;
    /// Why the server closes the connection.
    fn farewell(&self, farewell: &Farewell) -> Self::Frame;
    /// The answer to `/wire`: the reads of a connection, or, live, one more.
    fn wire(&self, view: &WireView) -> Self::Frame;
    /// The answer to `/wire off`.
    fn unwatched(&self) -> Self::Frame;
}
