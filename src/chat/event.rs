//! What happens in the conversation. Public events are numbered in the order everyone sees
//! them; private messages are not part of that sequence.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use super::{Nick, RoomName, WireView};
use crate::wire::Encodings;

/// Identifies one connection for as long as the process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MemberId(pub(crate) u64);

/// How a member is connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Via {
    /// A raw TCP client: `nc`, telnet, a Python socket script.
    Tcp,
    /// The web page, over a WebSocket.
    Web,
    /// The terminal tchat runs in: the teacher at the server. Others see it as they see a
    /// teacher's page (see [`Via::as_seen`]).
    Console,
}

impl Via {
    /// Its name: `"tcp"`, `"web"` or `"console"`. Events, the user list and the history
    /// only ever hold the first two (see [`Via::as_seen`]).
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Tcp => "tcp",
            Via::Web => "web",
            Via::Console => "console",
        }
    }

    /// How everyone else sees a member connected this way. The console is the teacher
    /// speaking from the server, and the class sees exactly what a teacher typing in the
    /// page makes: a third kind of member would be a third look for the same teacher, and
    /// a page that does not know it.
    pub fn as_seen(self) -> Via {
        match self {
            Via::Tcp => Via::Tcp,
            Via::Web | Via::Console => Via::Web,
        }
    }
}

impl std::str::FromStr for Via {
    type Err = ();

    fn from_str(name: &str) -> Result<Self, ()> {
        match name {
            "tcp" => Ok(Via::Tcp),
            "web" => Ok(Via::Web),
            _ => Err(()),
        }
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One public event, shared by every recipient behind an `Arc`.
#[derive(Debug)]
pub struct Event {
    /// Position in the conversation: strictly increasing, never reused.
    pub id: u64,
    /// When it happened, in milliseconds since the Unix epoch.
    pub ts: i64,
    /// The member who caused it, so a transport can skip echoing a sender's own line (for
    /// a move, the member moved).
    pub origin: MemberId,
    /// The room it happened in; [`RoomName::EVERYWHERE`] for every room.
    pub room: RoomName,
    /// What happened.
    pub kind: EventKind,
    /// This event on each wire format, encoded by the first session that needs it.
    pub(crate) encodings: Encodings,
}

/// The kinds of public event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A line of chat.
    Message {
        /// The author.
        from: Nick,
        /// How the author is connected.
        via: Via,
        /// Sanitised text.
        text: String,
        /// True for `/me` actions.
        action: bool,
        /// True when the author is a teacher.
        teacher: bool,
    },
    /// Someone arrived.
    Join {
        /// Their nickname.
        nick: Nick,
        /// How they are connected.
        via: Via,
    },
    /// Someone left.
    Leave {
        /// Their nickname.
        nick: Nick,
        /// How they were connected.
        via: Via,
    },
    /// Someone changed nickname.
    Rename {
        /// The old nickname.
        old: Nick,
        /// The new nickname.
        new: Nick,
        /// How they are connected.
        via: Via,
    },
    /// Someone went from one room to another. Published twice, once in each room, so that
    /// both rooms are told.
    Moved {
        /// Their nickname.
        nick: Nick,
        /// How they are connected.
        via: Via,
        /// The room they left.
        from: RoomName,
        /// The room they are in now.
        to: RoomName,
    },
    /// Something a teacher did to the room or to someone in it.
    Notice {
        /// What.
        kind: NoticeKind,
        /// The teacher who did it.
        by: Nick,
        /// Whom it was done to, if anyone.
        target: Option<Nick>,
        /// The topic, the announcement, or a reason.
        text: String,
        /// Minutes of a mute, seconds of slow mode, or the id of a deleted message.
        number: u64,
    },
}

/// The kinds of [`EventKind::Notice`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    /// Someone became a teacher.
    Op,
    /// The topic changed (an empty text clears it).
    Topic,
    /// A teacher's announcement.
    Announce,
    /// Someone was sent away.
    Kick,
    /// Someone was silenced for `number` minutes.
    Mute,
    /// Someone may write again.
    Unmute,
    /// Someone's address was banned until restart.
    Ban,
    /// Only teachers may write.
    Lock,
    /// Everyone may write again.
    Unlock,
    /// At most one message every `number` seconds each (0 ends it).
    Slow,
    /// Students may no longer write privately to each other.
    PrivateOff,
    /// Students may write privately to each other again.
    PrivateOn,
    /// Message `number` (by `target`) was removed.
    Delete,
    /// The room named `text` was opened.
    Open,
    /// The room named `text` was closed: its members went back to the main room.
    Close,
    /// The students were split into `number` groups.
    Groups,
    /// The groups ended: everyone is back in the main room.
    GroupsEnd,
}

impl NoticeKind {
    /// Every kind, for parsing (and for checking that every language describes each).
    pub(crate) const ALL: [NoticeKind; 17] = [
        NoticeKind::Op,
        NoticeKind::Topic,
        NoticeKind::Announce,
        NoticeKind::Kick,
        NoticeKind::Mute,
        NoticeKind::Unmute,
        NoticeKind::Ban,
        NoticeKind::Lock,
        NoticeKind::Unlock,
        NoticeKind::Slow,
        NoticeKind::PrivateOff,
        NoticeKind::PrivateOn,
        NoticeKind::Delete,
        NoticeKind::Open,
        NoticeKind::Close,
        NoticeKind::Groups,
        NoticeKind::GroupsEnd,
    ];

    /// The kinds that set the room's rules (topic, lock, slow mode, private messages):
    /// the newest of each, replayed from the saved conversation, is the room after a restart
    /// (and the rooms opened and closed are the rooms there are).
    pub(crate) const ROOM: [NoticeKind; 8] = [
        NoticeKind::Topic,
        NoticeKind::Lock,
        NoticeKind::Unlock,
        NoticeKind::Slow,
        NoticeKind::PrivateOff,
        NoticeKind::PrivateOn,
        NoticeKind::Open,
        NoticeKind::Close,
    ];

    /// The name used on the wire and on disk.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Op => "op",
            NoticeKind::Topic => "topic",
            NoticeKind::Announce => "announce",
            NoticeKind::Kick => "kick",
            NoticeKind::Mute => "mute",
            NoticeKind::Unmute => "unmute",
            NoticeKind::Ban => "ban",
            NoticeKind::Lock => "lock",
            NoticeKind::Unlock => "unlock",
            NoticeKind::Slow => "slow",
            NoticeKind::PrivateOff => "private_off",
            NoticeKind::PrivateOn => "private_on",
            NoticeKind::Delete => "delete",
            NoticeKind::Open => "room_open",
            NoticeKind::Close => "room_close",
            NoticeKind::Groups => "groups",
            NoticeKind::GroupsEnd => "groups_end",
        }
    }

    /// The kind named `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

impl Event {
    pub(crate) fn new(id: u64, origin: MemberId, room: RoomName, kind: EventKind) -> Self {
        Self {
            id,
            ts: now_ms(),
            origin,
            room,
            kind,
            encodings: Encodings::default(),
        }
    }

    /// An event read back from storage: nobody present caused it.
    pub fn restored(id: u64, ts: i64, kind: EventKind) -> Self {
        Self {
            id,
            ts,
            origin: MemberId(0),
            room: RoomName::main(),
            kind,
            encodings: Encodings::default(),
        }
    }

    /// The same event, in room `room`.
    #[must_use]
    pub fn in_room(mut self, room: RoomName) -> Self {
        self.room = room;
        self
    }

    /// True for chat lines (messages and actions), false for notices.
    pub fn is_chat(&self) -> bool {
        matches!(self.kind, EventKind::Message { .. })
    }
}

/// A private message: delivered to one member, never stored or replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Private {
    /// When it was sent, in milliseconds since the Unix epoch.
    pub ts: i64,
    /// The sender.
    pub from: Nick,
    /// How the sender is connected.
    pub via: Via,
    /// The recipient.
    pub to: Nick,
    /// Sanitised text.
    pub text: String,
}

/// What the conversation tells one member alone, beside private messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Alert {
    /// What the member just did could not be saved, so nobody was shown it.
    NotSaved,
    /// To teachers: events cannot be saved (the reason), so none is shown until they can.
    SavingFailed(String),
    /// To teachers: events are saved, and shown, again.
    SavingWorks,
    /// To teachers: flood control warned this student (the first line it dropped in a
    /// burst). The class is not told: a flood is between the student and the teachers.
    FloodWarned(Nick),
    /// To teachers: flood control silenced this student for this many minutes.
    FloodMuted {
        /// Who was silenced.
        nick: Nick,
        /// For how long.
        minutes: u64,
    },
    /// To a teacher watching a connection with `/wire NICK`: a read as it happens.
    Wire(Arc<WireView>),
    /// The member's move could not be saved, so nobody was shown it: it is still in this
    /// room.
    MoveNotSaved(RoomName),
    /// What the member did was refused after all, once it was on its way to the cluster's
    /// log (another node's member took the nickname first).
    Refused(super::ChatError),
    /// The cluster cannot be reached (true), so nothing new is shown until it can, or can
    /// again (false).
    ClusterDown(bool),
    /// To the teacher who asked: `/groups` made one group per student, fewer than asked.
    GroupsCapped {
        /// The number of groups asked for.
        asked: u64,
        /// The number made: one per student present.
        made: u64,
    },
}

/// What waits in a member's own queue, boxed there: the queue's slots, allocated as it is
/// made, then take a pointer each, as every member has one.
#[derive(Debug)]
pub(crate) enum Direct {
    /// A private message for this member.
    Private(Arc<Private>),
    /// Something for this member alone.
    Alert(Alert),
    /// A teacher's silent move: where it speaks now.
    Entered(super::RoomView),
}

/// Milliseconds since the Unix epoch; 0 if the clock is before 1970.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
