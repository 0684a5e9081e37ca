//! A record of the cluster's log as bytes: one JSON object per NATS message, whose event
//! columns are those of the history database (`store::Row`), so an event reads back from
//! the log as it does from disk.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::chat::{Draft, Event, Fact, MemberId, RoomName};
use crate::store::{Row, Stored};

/// What the log's first record says: ids are the log's sequence plus `offset` (the last id of
/// the single-machine conversation the cluster went on from, or 0).
pub(super) const GENESIS: &str = "genesis";

/// One record, as it travels.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Record {
    /// `event`, `fact`, `departure`, `void` (the record whose id is `text` never counts) or
    /// [`GENESIS`].
    pub(super) what: String,
    /// The run of a node whose member it is about (`node.run`).
    #[serde(default)]
    pub(super) home: String,
    /// The member, as its own run numbers them.
    #[serde(default)]
    pub(super) member: u64,
    /// When it happened, in Unix milliseconds.
    #[serde(default)]
    pub(super) ts: i64,
    #[serde(default)]
    pub(super) room: String,
    #[serde(default)]
    pub(super) kind: String,
    #[serde(default)]
    pub(super) nick: String,
    #[serde(default)]
    pub(super) via: String,
    #[serde(default)]
    pub(super) text: String,
    #[serde(default)]
    pub(super) actor: String,
    #[serde(default)]
    pub(super) number: u64,
    #[serde(default)]
    pub(super) teacher: bool,
}

impl Record {
    /// The record of a draft of run `home`; `None` for what is not a record (a claim let
    /// go, a private message).
    pub(super) fn of(draft: &Draft, home: &str) -> Option<Self> {
        let event = |what: &str, event: &Event, home: &str| {
            let row = Row::of(&event.kind);
            Record {
                what: what.to_owned(),
                home: home.to_owned(),
                member: event.origin.0,
                ts: event.ts,
                room: event.room.as_str().to_owned(),
                kind: row.kind.to_owned(),
                nick: row.nick.to_owned(),
                via: row.via.to_owned(),
                text: row.text.to_owned(),
                actor: row.actor.to_owned(),
                number: row.number,
                teacher: row.teacher,
            }
        };
        Some(match draft {
            Draft::Release(_) | Draft::Private(..) => return None,
            Draft::Event(drafted) => event("event", drafted, home),
            Draft::Departure(drafted, gone) => event("departure", drafted, gone),
            Draft::Fact(fact) => {
                let (kind, text, number, room) = match fact {
                    Fact::Guest(number) => ("guest", String::new(), *number, None),
                    Fact::TeacherNick(key) => ("teacher_nick", key.clone(), 0, None),
                    Fact::Groups(fixed) => ("groups", String::new(), u64::from(*fixed), None),
                    Fact::Assigned(key, room) => ("assigned", key.clone(), 0, room.as_ref()),
                    Fact::Banned(addr, everyone) => {
                        ("banned", addr.to_string(), u64::from(*everyone), None)
                    }
                };
                Record {
                    what: "fact".to_owned(),
                    home: home.to_owned(),
                    kind: kind.to_owned(),
                    text,
                    number,
                    room: room
                        .map(|room| room.as_str().to_owned())
                        .unwrap_or_default(),
                    ..Record::default()
                }
            }
        })
    }

    /// The record that voids the record with id `id`, given up on: if that one ever lands
    /// after it, it does not count.
    pub(super) fn void(id: &str) -> Self {
        Record {
            what: "void".to_owned(),
            text: id.to_owned(),
            ..Record::default()
        }
    }

    /// The genesis record.
    pub(super) fn genesis(offset: u64) -> Self {
        Record {
            what: GENESIS.to_owned(),
            number: offset,
            ..Record::default()
        }
    }

    /// What the record holds for the hub; `None` for the genesis record or one this version
    /// of tchat does not know.
    pub(super) fn draft(self) -> Option<Draft> {
        match self.what.as_str() {
            "event" | "departure" => {
                let room = RoomName::restored(&self.room);
                let stored = Stored {
                    kind: self.kind,
                    nick: self.nick,
                    via: self.via,
                    text: self.text,
                    actor: self.actor,
                    number: i64::try_from(self.number).unwrap_or(0),
                    teacher: self.teacher,
                    room: self.room,
                };
                let mut event = Event::restored(0, self.ts, stored.event_kind()?).in_room(room);
                event.origin = MemberId(self.member);
                Some(if self.what == "event" {
                    Draft::Event(event)
                } else {
                    Draft::Departure(event, Arc::from(self.home))
                })
            }
            "fact" => Some(Draft::Fact(match self.kind.as_str() {
                "guest" => Fact::Guest(self.number),
                "teacher_nick" => Fact::TeacherNick(self.text),
                "groups" => Fact::Groups(self.number != 0),
                "assigned" => Fact::Assigned(
                    self.text,
                    (!self.room.is_empty()).then(|| RoomName::restored(&self.room)),
                ),
                "banned" => Fact::Banned(self.text.parse().ok()?, self.number != 0),
                _ => return None,
            })),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::{EventKind, Nick, NoticeKind, Via};

    fn round_trip(draft: &Draft) -> Draft {
        let record = Record::of(draft, "a.1").expect("a record");
        let bytes = serde_json::to_vec(&record).expect("JSON");
        let record: Record = serde_json::from_slice(&bytes).expect("a record");
        assert_eq!(record.home, "a.1");
        record.draft().expect("a draft")
    }

    #[test]
    fn events_and_facts_read_back_from_the_log_as_they_were_published() {
        let nick = |name| Nick::parse(name).expect("valid");
        let kinds = [
            EventKind::Message {
                from: nick("ana"),
                via: Via::Tcp,
                text: "a\n  b".into(),
                action: false,
                teacher: true,
            },
            EventKind::Moved {
                nick: nick("ana"),
                via: Via::Web,
                from: RoomName::main(),
                to: RoomName::restored("g-1"),
            },
            EventKind::Notice {
                kind: NoticeKind::Mute,
                by: nick("prof"),
                target: Some(nick("bob")),
                text: String::new(),
                number: 5,
            },
        ];
        for kind in kinds {
            let mut event = Event::restored(0, 77, kind.clone()).in_room(RoomName::restored("g-1"));
            event.origin = MemberId(4);
            match round_trip(&Draft::Event(event)) {
                Draft::Event(back) => {
                    assert_eq!((back.kind, back.ts, back.origin), (kind, 77, MemberId(4)));
                    assert_eq!(back.room.as_str(), "g-1");
                }
                other => panic!("{other:?}"),
            }
        }
        let facts = [
            Fact::Guest(12),
            Fact::TeacherNick("prof".into()),
            Fact::Groups(true),
            Fact::Assigned("ana".into(), Some(RoomName::restored("g-2"))),
            Fact::Assigned("ana".into(), None),
            Fact::Banned(std::net::IpAddr::from([10, 0, 0, 7]), true),
        ];
        for fact in facts {
            assert!(
                matches!(round_trip(&Draft::Fact(fact.clone())), Draft::Fact(back) if back == fact)
            );
        }
    }
}
