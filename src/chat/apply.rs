//! Applying the cluster's log: every record, in the log's order, on every node. A record
//! this run published only gets its number (its effects on this node's members were made
//! as it was decided); any other tells of the other nodes' members (the roster), of a
//! teacher's action on this node's members, or of a fact every node keeps.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::event::now_ms;
use super::people::Person;
use super::sequencer::{Draft, Logged, Sequencer};
use super::state::{State, opens_or_closes};
use super::{Ending, Event, EventKind, Fact, HubConfig, MemberId, NoticeKind};

impl State {
    /// Applies one record of the log: returns the event to save and deliver (`None` for a
    /// record that does not count, or one saved before), and the fact to save.
    pub(super) fn apply_logged(
        &mut self,
        logged: Logged,
        config: &HubConfig,
    ) -> (Option<Arc<Event>>, Option<Fact>) {
        let Logged {
            id,
            ours,
            saved,
            home,
            what,
            ..
        } = logged;
        match what {
            None | Some(Draft::Release(_) | Draft::Private(..)) => (None, None),
            Some(Draft::Fact(fact)) => {
                // A ban is read back from the log at every start (it is never on disk).
                if !ours && (!saved || matches!(fact, Fact::Banned(..))) {
                    self.learn(&fact, config);
                }
                (None, (!saved).then_some(fact))
            }
            Some(Draft::Event(mut event) | Draft::Departure(mut event, _)) => {
                event.id = id;
                if ours {
                    self.arm(&event);
                    self.follow_own(&event, &home);
                } else {
                    event.origin = MemberId(0);
                    if !self.follow(&event, &home, saved, config) {
                        return (None, None);
                    }
                }
                if saved {
                    return (None, None);
                }
                self.last_id = self.last_id.max(id);
                // As in `State::publish_in`: what a notice does to the rooms, it does as it
                // is numbered (this run opened and closed its own rooms as it decided to).
                if !(ours && opens_or_closes(&event)) {
                    self.rooms.apply_notice(&event);
                }
                (Some(Arc::new(event)), None)
            }
        }
    }

    /// A switch of ring this run's event triggers gets the event's number.
    fn arm(&self, event: &Event) {
        let triggers = match &event.kind {
            EventKind::Moved { from, .. } => event.room == *from,
            EventKind::Notice {
                kind: NoticeKind::Op,
                ..
            } => true,
            _ => false,
        };
        if triggers && let Some(entry) = self.members.get(&event.origin) {
            entry.switcher.arm(event.id);
        }
    }

    /// What this run's own event does to the roster: it moved, sent away or banned a member
    /// of another node (its own members' events are not the roster's).
    fn follow_own(&mut self, event: &Event, home: &Arc<str>) {
        let about_elsewhere = match &event.kind {
            EventKind::Notice { .. } => true,
            EventKind::Moved { .. } => event.origin == MemberId(0),
            _ => false,
        };
        if about_elsewhere {
            self.roster.follow(event, home);
        }
    }

    /// Follows another run's event: the roster, and what a teacher elsewhere did to this
    /// node's members. False for a departure that does not count: of someone not here (any
    /// more), or not of the run it names, as when two nodes both saw a third one end.
    fn follow(&mut self, event: &Event, home: &Arc<str>, saved: bool, config: &HubConfig) -> bool {
        if let EventKind::Leave { nick, .. } = &event.kind {
            let key = nick.key();
            let remote = self
                .roster
                .get(&key)
                .is_some_and(|remote| remote.home == *home);
            let local = self.is_home(home) && self.by_nick.contains_key(&key);
            if local && let Some(&id) = self.by_nick.get(&key) {
                // Another node told everyone this one had ended: its member reconnects.
                self.remove(id, Ending::Lost, config);
            }
            if !remote && !local {
                return false;
            }
        }
        // Another node moved one of this node's students (groups, a room closed).
        if let EventKind::Moved { nick, from, to, .. } = &event.kind
            && event.room == *from
            && let Some(&id) = self.by_nick.get(&nick.key())
            && self.members.get(&id).is_some_and(|entry| !entry.teacher)
        {
            self.moved_here(id, from, to, event.id);
        }
        self.roster.follow(event, home);
        let EventKind::Notice {
            kind,
            target,
            number,
            text,
            ..
        } = &event.kind
        else {
            return true;
        };
        let here = target
            .as_ref()
            .and_then(|nick| self.by_nick.get(&nick.key()).copied());
        let person = target
            .as_ref()
            .and_then(|nick| self.person_named(here, nick));
        // When something that lasts from the event's time on ends, on this node's clock.
        let until = |lasts: Duration| {
            let end = event
                .ts
                .saturating_add(i64::try_from(lasts.as_millis()).unwrap_or(0));
            let left = u64::try_from(end.saturating_sub(now_ms())).unwrap_or(0);
            (left > 0).then(|| Instant::now() + Duration::from_millis(left))
        };
        match kind {
            NoticeKind::Mute => {
                if let Some(person) = person {
                    let muted = until(Duration::from_secs(number.saturating_mul(60)));
                    self.people.record(person).muted_until = muted;
                }
            }
            NoticeKind::Unmute => {
                if let Some(person) = person {
                    self.people.record(person).muted_until = None;
                }
            }
            NoticeKind::Kick => {
                if let Some(person @ Person::Named(_)) = person {
                    self.people.record(person).kicked_until = until(config.kick_cooldown);
                }
                if let Some(id) = here {
                    self.remove(id, Ending::Kicked(text.clone()), config);
                }
            }
            // Banned by name from another node: its address is known here alone, and is
            // told to every node.
            NoticeKind::Ban => {
                if let Some(id) = here {
                    self.ban_member(id, config);
                }
            }
            NoticeKind::Slow if !saved => self.people.slowest(Duration::from_secs(*number)),
            // A room closed elsewhere: this node's teachers in it go back to main (its
            // students were moved before it closed).
            NoticeKind::Close if !saved => {
                self.back_to_main(&super::RoomName::restored(text), config);
            }
            NoticeKind::Delete if !saved => {
                self.recent.retain(|kept| kept.id != *number);
                self.rooms.forget(*number);
            }
            _ => {}
        }
        true
    }

    /// Learns a fact another node kept.
    fn learn(&mut self, fact: &Fact, config: &HubConfig) {
        match fact {
            Fact::Banned(addr, true) => {
                self.ban_address(*addr, config);
            }
            // Banned by name: the one named went from its node; others from there stay.
            Fact::Banned(addr, false) => {
                self.banned.insert(*addr);
            }
            Fact::Guest(number) => self.last_guest = self.last_guest.max(*number),
            Fact::TeacherNick(key) => {
                self.teacher_nicks.insert(key.clone());
            }
            Fact::Groups(fixed) => {
                self.rooms.fixed = *fixed;
                self.rooms.assigned.clear();
            }
            Fact::Assigned(key, Some(room)) => {
                self.rooms.assigned.insert(key.clone(), room.clone());
            }
            Fact::Assigned(key, None) => {
                self.rooms.assigned.remove(key);
            }
        }
    }

    /// Whether `home` is this run of this node.
    fn is_home(&self, home: &str) -> bool {
        matches!(&self.sequencer, Sequencer::Cluster { home: mine, .. } if **mine == *home)
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use tokio::sync::{mpsc, watch};

    use super::*;
    use crate::chat::{
        Arrival, ChatError, Delivery, Hub, Journal, LogSink, Nick, Past, Replay, RoomName, Via,
    };

    const HERE: &str = "a.1";
    const THERE: &str = "b.1";

    fn clustered() -> (Hub, Journal, LogSink, mpsc::Receiver<Draft>) {
        let (progress, _) = watch::channel(0);
        Hub::clustered(
            HubConfig::default(),
            Past::default(),
            "log".into(),
            Arc::from(HERE),
            progress,
        )
    }

    fn nick(name: &str) -> Nick {
        Nick::parse(name).expect("valid")
    }

    fn record(seq: u64, home: &str, what: Draft) -> Logged {
        Logged {
            seq,
            id: seq + 100,
            ours: home == HERE,
            saved: false,
            home: Arc::from(home),
            what: Some(what),
        }
    }

    fn event(kind: EventKind) -> Draft {
        Draft::Event(Event::restored(0, now_ms(), kind).in_room(RoomName::main()))
    }

    /// Hands the journal `records`, applies, saves (here: nothing) and delivers them;
    /// returns the ids of the events they held.
    fn apply(journal: &Journal, sink: &LogSink, records: Vec<Logged>) -> Vec<u64> {
        let count = records.len();
        for logged in records {
            assert!(
                sink.0
                    .try_send(super::super::journal::Pending::Logged(Box::new(logged)))
                    .is_ok()
            );
        }
        let batch = journal.next_batch(count).expect("a batch");
        journal.deliver(&batch);
        batch.events.iter().map(|event| event.id).collect()
    }

    fn enter(hub: &Hub, name: &str) -> crate::chat::Member {
        let arrival = Arrival {
            nick: Some(name),
            ..Arrival::guest(Via::Tcp, IpAddr::from([127, 0, 0, 1]), Replay::Since(0))
        };
        hub.join(arrival).expect("joined").0
    }

    #[test]
    fn the_log_tells_who_is_on_other_nodes_and_a_departure_of_someone_gone_does_not_count() {
        let (hub, journal, sink, _drafts) = clustered();
        let join = EventKind::Join {
            nick: nick("bob"),
            via: Via::Web,
        };
        assert_eq!(
            apply(&journal, &sink, vec![record(2, THERE, event(join))]),
            [102]
        );
        assert!(hub.users().iter().any(|user| user.nick.as_str() == "bob"));
        let leave = || EventKind::Leave {
            nick: nick("bob"),
            via: Via::Web,
        };
        let departure = |seq| {
            let event = Event::restored(0, now_ms(), leave()).in_room(RoomName::main());
            // As the follower reads it: about b's run, whoever published it.
            record(seq, THERE, Draft::Departure(event, Arc::from(THERE)))
        };
        // Two nodes saw b's run end: the first departure counts, the second does not.
        let ids = apply(&journal, &sink, vec![departure(3), departure(4)]);
        assert_eq!(ids, [103]);
        assert!(hub.users().is_empty());
    }

    #[test]
    fn what_a_clustered_hub_publishes_is_shown_once_the_log_numbers_it() {
        let (hub, journal, sink, mut drafts) = clustered();
        let mut ana = enter(&hub, "ana");
        let mut zoe = enter(&hub, "zoe");
        ana.handle("bonjour").expect("said");
        assert!(
            std::iter::from_fn(|| zoe.try_recv())
                .all(|delivery| !matches!(delivery, Delivery::Public(_)))
        );
        let mut seq = 1;
        let mut records = Vec::new();
        while let Ok(draft) = drafts.try_recv() {
            if matches!(draft, Draft::Event(_)) {
                seq += 1;
                records.push(record(seq, HERE, draft));
            }
        }
        apply(&journal, &sink, records);
        let said: Vec<_> = std::iter::from_fn(|| zoe.try_recv())
            .filter_map(|delivery| match delivery {
                Delivery::Public(event) if event.is_chat() => Some((event.id, event.origin)),
                _ => None,
            })
            .collect();
        assert_eq!(said, [(100 + seq, ana.id())]);
    }

    #[test]
    fn a_teacher_elsewhere_mutes_and_kicks_a_member_here_at_once() {
        let (hub, journal, sink, _drafts) = clustered();
        let mut bob = enter(&hub, "bob");
        let notice = |kind, number| EventKind::Notice {
            kind,
            by: nick("prof"),
            target: Some(nick("bob")),
            text: String::new(),
            number,
        };
        apply(
            &journal,
            &sink,
            vec![record(2, THERE, event(notice(NoticeKind::Mute, 5)))],
        );
        assert!(matches!(bob.handle("je parle"), Err(ChatError::Muted(_))));
        apply(
            &journal,
            &sink,
            vec![record(3, THERE, event(notice(NoticeKind::Kick, 0)))],
        );
        let ended = std::iter::from_fn(|| bob.try_recv())
            .any(|delivery| matches!(delivery, Delivery::Ended(Ending::Kicked(_))));
        assert!(ended);
        assert!(hub.users().is_empty());
    }
}
