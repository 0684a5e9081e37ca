//! Joining: who arrives ([`Arrival`]), what they ask to be shown of the past ([`Replay`]),
//! and what they learn on the way in ([`Welcome`]).

use std::net::IpAddr;
use std::sync::Arc;

use super::{Event, Nick, RoomInfo, RoomName, Via};

/// What a joining member is first shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replay {
    /// The last `count` events; with `chat_only`, messages and actions only (no notices).
    Last {
        /// How many.
        count: usize,
        /// Skip join/leave/nick notices.
        chat_only: bool,
    },
    /// Everything after this event id: a page reconnecting after a drop.
    Since(u64),
}

/// Someone present.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Their nickname.
    pub nick: Nick,
    /// How they are connected.
    pub via: Via,
    /// True for teachers.
    pub teacher: bool,
    /// The room they are in (where they speak, for a teacher).
    pub room: RoomName,
}

/// The room's rules and topic, as a newcomer needs them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoomState {
    /// The topic, if one is set.
    pub topic: Option<String>,
    /// Only teachers may write.
    pub locked: bool,
    /// Seconds between two messages of one student; 0: no limit.
    pub slow: u64,
    /// Students may write privately to each other.
    pub private: bool,
}

/// Who is joining, and how.
#[derive(Clone, Copy, Debug)]
pub struct Arrival<'a> {
    /// The transport.
    pub via: Via,
    /// The client's address (behind a trusted proxy, the one it forwarded).
    pub addr: IpAddr,
    /// The nickname wanted; a fresh `guestN` when `None`.
    pub nick: Option<&'a str>,
    /// `nick` is a guest name given to it (in a cluster, claimed for it already), not one
    /// it chose.
    pub guest: bool,
    /// In a cluster, the cluster gave it `nick` already (see `State::check_free`).
    pub claimed: bool,
    /// What to be shown of the past.
    pub replay: Replay,
    /// A resume token from an earlier welcome, to take the nickname back from a ghost.
    pub takeover: Option<&'a str>,
    /// Joins as a teacher (the session layer has checked the teacher token).
    pub teacher: bool,
    /// Wants the list of everyone present in the welcome. A client that shows no user list
    /// leaves it out: in a full room it is the largest part of a welcome.
    pub roster: bool,
    /// The room it asks to be in (a page coming back to the room it was in); the main room
    /// when `None`, unknown or closed. A student the teacher put in a group goes there.
    pub room: Option<&'a str>,
}

impl<'a> Arrival<'a> {
    /// A newcomer with a guest name, shown `replay` of the past.
    pub fn guest(via: Via, addr: IpAddr, replay: Replay) -> Self {
        Self {
            via,
            addr,
            nick: None,
            guest: false,
            claimed: false,
            replay,
            takeover: None,
            teacher: false,
            roster: false,
            room: None,
        }
    }
}

/// What a member learns on joining.
#[derive(Debug)]
pub struct Welcome {
    /// The nickname the member got.
    pub nick: Nick,
    /// A secret that lets a later connection of the same person take this nickname back
    /// from this one (a page reconnecting before the server noticed the old link died).
    pub token: String,
    /// Identifies this conversation, so that a page can tell its `since` belongs to it.
    pub epoch: String,
    /// True if the member joined as a teacher.
    pub teacher: bool,
    /// The room the member is in.
    pub place: RoomName,
    /// Every open room, the main room first.
    pub rooms: Vec<RoomInfo>,
    /// The teacher has fixed who is where (`/groups`): students may not move.
    pub fixed: bool,
    /// The rules and topic of the member's room.
    pub room: RoomState,
    /// Everyone present, the new member included, sorted by nickname; empty unless the
    /// arrival asked for the roster.
    pub users: Vec<User>,
    /// Past events, oldest first, as asked by [`Replay`]: of the member's room (and
    /// announcements) for a student, of every room for a teacher.
    pub history: Vec<Arc<Event>>,
    /// Events asked for by [`Replay::Since`] that are no longer kept.
    pub missed: u64,
    /// The newest event delivered when the member joined: every later one reaches it live,
    /// so what the database adds to `history` stops here.
    pub delivered: u64,
}
