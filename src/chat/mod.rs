//! The conversation: members, nicknames, recent history and fan-out. Knows nothing about
//! sockets, HTTP or JSON; the session layer drives it through [`Member`].
//!
//! Fan-out is one `tokio::sync::broadcast` ring per room, shared by the room's students, and
//! one of every room's events that teachers read (see `rooms`). Publishing writes an
//! `Arc<Event>` into its room's ring and the teachers' once; each member's session reads it at its own pace, so a
//! recipient costs a refcount bump and a slow one holds up nobody. The ring is every
//! member's bounded queue: a member more than [`HubConfig::backlog`] events behind skips
//! ahead to the oldest event still kept and is told how many it missed
//! ([`Delivery::Missed`]).
//!
//! A hub made with [`Hub::durable`] does not deliver an event when it is numbered: it queues
//! it on a [`Journal`], whose owner (the storage thread) saves it and only then hands it back
//! for delivery, in id order. What anyone has seen is therefore already on disk. The few
//! things it keeps that are not events ([`Fact`]: guest numbers, teachers' nicknames) go
//! through the same queue, and a restart continues from all of it ([`Past`]).
//!
//! - `hub`: the handle; `state`: what its lock guards.
//! - `member`: one participant, whose drop leaves; `arrival`: joining and the welcome.
//! - `command`: what a line means, and the table of commands; `moderation`: the teacher's.
//! - `people`: limits that follow a person across connections (mute, slow mode, flood
//!   control, a kick's cooldown).
//! - `event`, `nick`, `text` (cleaning what users type), `error`, `journal` (save, then
//!   deliver), `past` (what a restart continues from).
//! - `rooms`: the main room, rooms teachers open, one ring per room; `breakout`: moving
//!   people between rooms (`/join`, `/room`, `/groups`).
//! - `wiretap`: the last bytes read from each connection, for `/wire`.

mod apply;
mod arrival;
mod breakout;
mod command;
mod error;
mod event;
mod hub;
mod journal;
mod member;
mod moderation;
mod nick;
mod past;
mod people;
mod rooms;
mod roster;
mod sequencer;
mod state;
mod text;
mod wiretap;

pub use arrival::{Arrival, Replay, RoomState, User, Welcome};
pub use command::{COMMANDS, Command, CommandSpec, DEFAULT_HISTORY, TeacherCommand, Verb, WireOf};
pub use error::ChatError;
pub use event::{Alert, Event, EventKind, MemberId, NoticeKind, Private, Via};
pub use hub::Hub;
pub use journal::{Batch, Fact, Journal};
pub use member::{Delivery, Ending, Member, Reply};
pub use nick::{MAX_NICK_CHARS, Nick, NickError};
pub use past::Past;
pub use rooms::{MAX_GROUPS, MAX_ROOM_CHARS, MAX_ROOMS, RoomInfo, RoomName, RoomView};
pub use sequencer::{Draft, LogSink, Logged, WeakHub};
pub use state::{Arrived, Outage};
pub use text::{MAX_LINES, sanitize, sanitize_message};
pub use wiretap::{Made, READ_BYTES, READS, WireRead, WireView, Wiretap, python_bytes};

/// Sizes of the hub's queues and limits.
#[derive(Clone, Debug)]
pub struct HubConfig {
    /// How many events a member may fall behind before it skips ahead (the broadcast ring).
    pub backlog: usize,
    /// How many public events stay in memory for late joiners and reconnecting pages.
    pub recent: usize,
    /// Longest message, in characters.
    pub max_message_chars: usize,
    /// Lines per second a person may send, with a burst of a few; 0 turns flood control off.
    pub max_rate: u32,
    /// How long someone sent away may not come back under their name.
    pub kick_cooldown: std::time::Duration,
    /// How long a newcomer stays before everyone is told of its arrival (unless it does
    /// something first); zero tells at once.
    pub announce_after: std::time::Duration,
    /// What `/groups` calls each group, `{number}` its number (`groupe-{number}` in French).
    pub group_name: &'static str,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            backlog: 4096,
            recent: 1000,
            max_message_chars: 2000,
            max_rate: 0,
            kick_cooldown: std::time::Duration::from_secs(60),
            announce_after: std::time::Duration::ZERO,
            group_name: "group-{number}",
        }
    }
}
