//! What a conversation continues from after a restart, as its store reads it back: the
//! recent events, the teacher's notices that set the room's rules, and the facts kept
//! beside the events (guest numbers given, nicknames teachers used).

use super::Event;

/// What a durable hub continues from; empty for a new conversation.
#[derive(Debug, Default)]
pub struct Past {
    /// The newest events, oldest first: those kept in memory.
    pub recent: Vec<Event>,
    /// The highest event id ever given.
    pub last_id: u64,
    /// The notices that set the room's rules (topic, lock, slow mode, private messages),
    /// oldest first. Replayed in order, they leave the room as the teacher left it: the
    /// saved conversation is the one record of the room, so the room after a restart is
    /// never ahead of, nor behind, what everyone was shown.
    /// Each carries its room; opening and closing rooms are among them.
    pub room: Vec<Event>,
    /// The highest guest number given.
    pub last_guest: u64,
    /// The look-alike keys of the nicknames teachers have used.
    pub teacher_nicks: Vec<String>,
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;
    use crate::chat::{
        Arrival, ChatError, EventKind, Fact, Hub, HubConfig, Member, Nick, NoticeKind, Replay,
        RoomState, Via, Welcome,
    };

    fn notice(kind: NoticeKind, text: &str, number: u64) -> EventKind {
        EventKind::Notice {
            kind,
            by: Nick::restored("prof"),
            target: None,
            text: text.to_owned(),
            number,
        }
    }

    fn join(hub: &Hub, nick: Option<&str>, teacher: bool) -> Result<(Member, Welcome), ChatError> {
        hub.join(Arrival {
            nick,
            teacher,
            ..Arrival::guest(
                Via::Tcp,
                IpAddr::from([127, 0, 0, 1]),
                Replay::Last {
                    count: 0,
                    chat_only: false,
                },
            )
        })
    }

    #[test]
    fn the_room_is_what_the_newest_notice_of_each_kind_left() {
        use NoticeKind::*;
        let room = vec![
            notice(Topic, "Chapitre 1", 0),
            notice(Lock, "", 0),
            notice(Slow, "", 30),
            notice(PrivateOff, "", 0),
            notice(Topic, "", 0),
            notice(Unlock, "", 0),
            notice(Slow, "", 0),
            notice(PrivateOn, "", 0),
            notice(Topic, "Chapitre 2", 0),
            notice(Lock, "", 0),
            notice(Slow, "", 20),
            notice(PrivateOff, "", 0),
            notice(Announce, "pas un sujet", 0),
        ];
        let past = Past {
            room: room
                .into_iter()
                .map(|kind| Event::restored(0, 0, kind))
                .collect(),
            ..Past::default()
        };
        let (hub, _journal) = Hub::durable(HubConfig::default(), past, "test".into());
        let (_student, welcome) = join(&hub, None, false).expect("join");
        let expected = RoomState {
            topic: Some("Chapitre 2".to_owned()),
            locked: true,
            slow: 20,
            private: false,
        };
        assert_eq!(welcome.room, expected);
    }

    #[test]
    fn replaying_a_teachers_saved_notices_gives_the_room_they_left() {
        let (hub, journal) = Hub::durable(HubConfig::default(), Past::default(), "test".into());
        let (mut teacher, _) = join(&hub, Some("prof"), true).expect("join");
        for command in ["/topic Révisions", "/lock", "/slow 45", "/private off"] {
            teacher.handle(command).expect(command);
        }
        drop(teacher);
        let (_student, before) = join(&hub, None, false).expect("join");
        let mut saved = Vec::new();
        while let Ok(Some(batch)) = journal.next_batch_within(100, std::time::Duration::ZERO) {
            saved.extend(
                batch
                    .events
                    .iter()
                    .map(|event| Event::restored(event.id, event.ts, event.kind.clone())),
            );
        }
        let past = Past {
            room: saved,
            ..Past::default()
        };
        let (again, _journal) = Hub::durable(HubConfig::default(), past, "test".into());
        let (_student, after) = join(&again, None, false).expect("join");
        assert_eq!(after.room, before.room);
        assert!(before.room.locked && before.room.slow == 45 && !before.room.private);
    }

    #[test]
    fn guest_numbers_go_on_and_teachers_keep_their_names() {
        let martine = Nick::parse("Martine").expect("valid");
        let past = Past {
            last_guest: 7,
            teacher_nicks: vec![martine.key()],
            ..Past::default()
        };
        let (hub, journal) = Hub::durable(HubConfig::default(), past, "test".into());
        let (_guest, welcome) = join(&hub, None, false).expect("join");
        assert_eq!(welcome.nick.as_str(), "guest8");
        assert_eq!(
            join(&hub, Some("martine"), false).err(),
            Some(ChatError::NickReserved("martine".to_owned()))
        );
        let (_martine, _) = join(&hub, Some("martine"), true).expect("a teacher's own name");
        let (_anne, _) = join(&hub, Some("anne"), true).expect("a new teacher");
        let batch = journal.next_batch(100).expect("a batch");
        let anne = Nick::parse("anne").expect("valid").key();
        // Martine's name was kept already; Anne's is new.
        assert_eq!(batch.facts, [Fact::Guest(8), Fact::TeacherNick(anne)]);
    }
}
