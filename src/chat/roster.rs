//! Everyone present on the cluster's other nodes, as the log tells of them: their arrivals,
//! departures, renames, moves and promotions, applied in the log's order. A node's own
//! members are in `State::members`; together they are everyone a user list shows, a room
//! counts, and a teacher may name.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Event, EventKind, Nick, NoticeKind, RoomName, User, Via};

/// A member of another node.
#[derive(Clone, Debug)]
pub(super) struct Remote {
    pub(super) nick: Nick,
    pub(super) via: Via,
    pub(super) teacher: bool,
    pub(super) room: RoomName,
    /// The run of a node it is connected to (the node's name, a dot, the run's id).
    pub(super) home: Arc<str>,
    /// The id of its arrival: one departure per arrival (see `Hub::depart_run`).
    pub(super) joined: u64,
}

/// The other nodes' members, by nickname key (see [`Nick::key`]).
#[derive(Default)]
pub(super) struct Roster {
    by_key: HashMap<String, Remote>,
}

impl Roster {
    /// Follows one event of another node's member (of run `home`): who arrived, left,
    /// renamed, moved or became a teacher.
    pub(super) fn follow(&mut self, event: &Event, home: &Arc<str>) {
        let room = &event.room;
        match &event.kind {
            EventKind::Join { nick, via } => {
                let remote = Remote {
                    nick: nick.clone(),
                    via: *via,
                    teacher: false,
                    room: room.clone(),
                    home: home.clone(),
                    joined: event.id,
                };
                self.by_key.insert(nick.key(), remote);
            }
            EventKind::Leave { nick, .. } => {
                self.by_key.remove(&nick.key());
            }
            EventKind::Rename { old, new, .. } => {
                if let Some(mut remote) = self.by_key.remove(&old.key()) {
                    remote.nick = new.clone();
                    self.by_key.insert(new.key(), remote);
                }
            }
            // A move is one event in each room: the first says it all. One decided on what
            // another node knew of the member then, and overtaken by the member's own move,
            // moves nobody (its node does not carry it out either).
            EventKind::Moved { nick, from, to, .. } if room == from => {
                if let Some(remote) = self.by_key.get_mut(&nick.key())
                    && remote.room == *from
                {
                    remote.room = to.clone();
                }
            }
            EventKind::Notice {
                kind,
                target: Some(target),
                ..
            } => match kind {
                NoticeKind::Op => {
                    if let Some(remote) = self.by_key.get_mut(&target.key()) {
                        remote.teacher = true;
                    }
                }
                NoticeKind::Kick | NoticeKind::Ban => {
                    self.by_key.remove(&target.key());
                }
                _ => {}
            },
            _ => {}
        }
    }

    /// The member of another node called by nickname key `key`.
    pub(super) fn get(&self, key: &str) -> Option<&Remote> {
        self.by_key.get(key)
    }

    /// Every member of another node.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Remote> {
        self.by_key.values()
    }

    /// Everyone on other nodes, as a user list shows them.
    pub(super) fn users(&self) -> impl Iterator<Item = User> + '_ {
        self.by_key.values().map(|remote| User {
            nick: remote.nick.clone(),
            via: remote.via,
            teacher: remote.teacher,
            room: remote.room.clone(),
        })
    }
}
