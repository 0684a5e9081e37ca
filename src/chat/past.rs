//! What a conversation continues from after a restart, as its store reads it back: the
//! recent events, the teacher's notices that set the room's rules, and the facts kept
//! beside the events (guest numbers given, nicknames teachers used).

use super::{Event, RoomName};

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
    /// `/groups` was on: students stay where they were put.
    pub groups_fixed: bool,
    /// Where `/groups` put each named student, by nickname key.
    pub assigned: Vec<(String, RoomName)>,
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;
    use crate::chat::{
        Arrival, ChatError, EventKind, Fact, Hub, HubConfig, Member, Nick, NoticeKind, Replay,
        RoomName, RoomState, Via, Welcome,
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
        let last = Replay::Last {
            count: 0,
            chat_only: false,
        };
        enter(hub, nick, teacher, last, None)
    }

    fn enter(
        hub: &Hub,
        nick: Option<&str>,
        teacher: bool,
        replay: Replay,
        room: Option<&str>,
    ) -> Result<(Member, Welcome), ChatError> {
        hub.join(Arrival {
            nick,
            teacher,
            room,
            ..Arrival::guest(Via::Web, IpAddr::from([127, 0, 0, 1]), replay)
        })
    }

    fn said(id: u64, room: &str) -> Event {
        let kind = EventKind::Message {
            from: Nick::restored("ana"),
            via: Via::Web,
            action: false,
            text: format!("{id}"),
            teacher: false,
        };
        Event::restored(id, 0, kind).in_room(RoomName::restored(room))
    }

    fn opened(id: u64, room: &str) -> Event {
        Event::restored(id, 0, notice(NoticeKind::Open, room, 0)).in_room(RoomName::everywhere())
    }

    #[test]
    fn resuming_from_before_what_a_restart_read_back_counts_the_gap_in_every_room() {
        // Saved: groupe-1 opened (1), then ten lines there (2..=11), then ten in main
        // (12..=21); memory gets the newest five, all in main.
        let past = Past {
            recent: (17..22).map(|id| said(id, "main")).collect(),
            last_id: 21,
            room: vec![opened(1, "groupe-1")],
            groups_fixed: true,
            assigned: vec![("ana".to_owned(), RoomName::restored("groupe-1"))],
            ..Past::default()
        };
        let config = HubConfig {
            recent: 5,
            ..HubConfig::default()
        };
        let (hub, _journal) = Hub::durable(config, past, "test".into());
        // The group has nothing in memory: the gap is not zero, the database settles it.
        let (_ana, welcome) =
            enter(&hub, Some("ana"), false, Replay::Since(5), None).expect("join");
        assert_eq!(welcome.place.as_str(), "groupe-1", "back in her group");
        assert!(welcome.history.is_empty());
        assert_eq!((welcome.missed, welcome.delivered), (11, 21));
        // Main holds its newest five; before them, a gap.
        let (_bob, welcome) =
            enter(&hub, Some("bob"), false, Replay::Since(10), None).expect("join");
        assert_eq!(welcome.place.as_str(), "main", "bob has no group");
        let ids: Vec<u64> = welcome.history.iter().map(|event| event.id).collect();
        assert_eq!((ids, welcome.missed), (vec![17, 18, 19, 20, 21], 6));
        // Resuming from the newest: nothing missed.
        let (_cleo, welcome) =
            enter(&hub, Some("cleo"), false, Replay::Since(21), None).expect("join");
        assert_eq!((welcome.history.len(), welcome.missed), (0, 0));
    }

    #[test]
    fn groups_read_back_keep_their_students_and_a_rename_carries_or_finds_a_group() {
        let past = Past {
            last_id: 2,
            room: vec![opened(1, "groupe-1"), opened(2, "groupe-2")],
            groups_fixed: true,
            assigned: vec![
                ("ana".to_owned(), RoomName::restored("groupe-1")),
                ("bob".to_owned(), RoomName::restored("groupe-2")),
            ],
            ..Past::default()
        };
        let (hub, journal) = Hub::durable(HubConfig::default(), past, "test".into());
        let (mut ana, welcome) = join(&hub, Some("ana"), false).expect("join");
        assert_eq!(welcome.place.as_str(), "groupe-1");
        // Fixed: a wish is not enough.
        let (mut guest, welcome) =
            enter(&hub, None, false, Replay::Since(2), Some("groupe-2")).expect("join");
        assert_eq!(welcome.place.as_str(), "main");
        // A rename to an assigned name goes to that group.
        guest.handle("/nick bob").expect("rename");
        assert_eq!(hub.lock().room_of(guest.id()).as_str(), "groupe-2");
        // A rename carries the group to the new name.
        ana.handle("/nick anna").expect("rename");
        let state = hub.lock();
        assert_eq!(state.room_of(ana.id()).as_str(), "groupe-1");
        assert!(!state.rooms.assigned.contains_key("ana"));
        assert_eq!(state.rooms.assigned["anna"].as_str(), "groupe-1");
        drop(state);
        let mut facts = Vec::new();
        while let Ok(Some(batch)) = journal.next_batch_within(100, std::time::Duration::ZERO) {
            facts.extend(batch.facts);
        }
        facts.retain(|fact| matches!(fact, Fact::Assigned(..)));
        let group = |key: &str, room: Option<&str>| {
            Fact::Assigned(key.to_owned(), room.map(RoomName::restored))
        };
        assert_eq!(
            facts,
            [group("ana", None), group("anna", Some("groupe-1"))],
            "saved in the order it happened"
        );
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
