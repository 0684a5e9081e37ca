//! Moving people between rooms: `/join`, a teacher opening and closing rooms, and `/groups`.
//! Every move goes through [`State::relocate`], which tells both rooms and leaves the
//! member its new ring (see `rooms`).

use std::collections::HashMap;

use super::event::Direct;
use super::moderation::notice;
use super::rooms::{MAX_GROUPS, RoomView, Switch, group_name};
use super::state::State;
use super::{
    ChatError, EventKind, Hub, HubConfig, MemberId, Nick, NoticeKind, RoomInfo, RoomName, User,
};

impl Hub {
    /// `/join ROOM`: member `id` goes to an open room; a student only while the teacher has
    /// not fixed who is where.
    ///
    /// # Errors
    /// [`ChatError::RoomInvalid`], [`ChatError::NoSuchRoom`], [`ChatError::RoomsFixed`], or
    /// [`ChatError::NotSaved`] while nothing can be saved (a student's move is published).
    ///
    /// # Returns
    /// For a teacher that moved, what it is shown of the room it speaks in now (its move
    /// is silent, so it is the answer to its line).
    pub(super) fn join_room(
        &self,
        id: MemberId,
        name: &str,
    ) -> Result<Option<RoomView>, ChatError> {
        let name = RoomName::parse(name)?;
        let mut state = self.lock();
        state.rooms.open(&name)?;
        let Some(entry) = state.members.get(&id) else {
            return Ok(None);
        };
        // A teacher's move publishes nothing, so it needs nothing saved.
        if entry.teacher {
            return Ok(state.move_teacher(id, &name));
        }
        state.check_saving()?;
        if state.rooms.fixed {
            return Err(ChatError::RoomsFixed);
        }
        state.relocate(id, &name, &self.shared.config);
        Ok(None)
    }

    /// Where member `id` says its next line: a teacher moves to open room `name` (silently,
    /// as with `/join`); a student may only name the room it is in.
    ///
    /// # Errors
    /// [`ChatError::NotTeacher`] for a student naming another room (or no room at all);
    /// [`ChatError::RoomInvalid`], [`ChatError::NoSuchRoom`] for a teacher naming a room
    /// that is not open.
    pub(super) fn act_in(&self, id: MemberId, name: &str) -> Result<Option<RoomView>, ChatError> {
        let parsed = RoomName::parse(name);
        let mut state = self.lock();
        let Some(entry) = state.members.get(&id) else {
            return Ok(None);
        };
        if parsed.as_ref() == Ok(&entry.room) {
            return Ok(None);
        }
        if !entry.teacher {
            return Err(ChatError::NotTeacher);
        }
        let name = parsed?;
        state.rooms.open(&name)?;
        Ok(state.move_teacher(id, &name))
    }

    /// The open rooms with how many are in each, and the room member `id` is in.
    pub(super) fn rooms_for(&self, id: MemberId) -> (Vec<RoomInfo>, RoomName) {
        let state = self.lock();
        (state.room_list(), state.room_of(id))
    }
}

impl State {
    /// The room a newcomer lands in: its group if the teacher put it in one, else the room
    /// it asks for if that is open and it may choose, else the main room.
    pub(super) fn landing(
        &self,
        nick: &Nick,
        named: bool,
        teacher: bool,
        wish: Option<&str>,
    ) -> RoomName {
        let fixed = self.rooms.fixed && !teacher;
        if fixed
            && named
            && let Some(room) = self.rooms.assigned.get(&nick.key())
            && self.rooms.open(room).is_ok()
        {
            return room.clone();
        }
        if !fixed
            && let Some(room) = wish.and_then(|wish| RoomName::parse(wish).ok())
            && self.rooms.open(&room).is_ok()
        {
            return room;
        }
        RoomName::main()
    }

    /// The open rooms, the main room first, with how many members are in each.
    pub(super) fn room_list(&self) -> Vec<RoomInfo> {
        let mut counts: HashMap<&RoomName, usize> = HashMap::new();
        for entry in self.members.values() {
            *counts.entry(&entry.room).or_default() += 1;
        }
        self.rooms
            .names()
            .into_iter()
            .map(|name| RoomInfo {
                count: counts.get(&name).copied().unwrap_or(0),
                rules: self.rooms.rules(&name).state(),
                name,
            })
            .collect()
    }

    /// Moves member `id` to room `to`. A student's move is seen by both rooms (the teachers
    /// once for each), and the student is left the new room's ring, which it takes once the
    /// move's event in the old room reaches it. A teacher's move is silent: a teacher
    /// already watches every room, so only where it speaks changes, and it alone is told
    /// (through its own queue, as nothing public happened).
    pub(super) fn relocate(&mut self, id: MemberId, to: &RoomName, config: &HubConfig) {
        let teacher = self.members.get(&id).is_some_and(|entry| entry.teacher);
        if teacher {
            self.relocate_teacher(id, to);
            return;
        }
        // A move is seen by both rooms: a member nobody was told of yet is told of first.
        let _ = self.announce(id, config);
        let Some(entry) = self.members.get(&id) else {
            return;
        };
        if entry.room == *to {
            return;
        }
        let from = entry.room.clone();
        if let Some(entry) = self.members.get_mut(&id) {
            entry.room = to.clone();
        }
        let mut view = self.rooms.view(to);
        // Itself included, as it is in the room now.
        view.users = self.users_in(id, to);
        let Some(entry) = self.members.get(&id) else {
            return;
        };
        let switch = Switch {
            // The first of the two events below.
            trigger: self.last_id + 1,
            old: Some(from.clone()),
            receiver: Some(self.rooms.get(to).subscribe()),
            room: to.clone(),
            view: Some(view),
        };
        entry.switcher.set(switch);
        let kind = EventKind::Moved {
            nick: entry.nick.clone(),
            via: entry.via,
            from: from.clone(),
            to: to.clone(),
        };
        self.publish_in(from, id, kind.clone(), config);
        self.publish_in(to.clone(), id, kind, config);
    }

    /// A teacher moved by someone else (a room closing around it): told through its own
    /// queue.
    fn relocate_teacher(&mut self, id: MemberId, to: &RoomName) {
        if let Some(view) = self.move_teacher(id, to) {
            self.tell(id, Direct::Entered(view));
        }
    }

    /// A teacher's move: where it speaks changes and nobody else is told. Returns what it
    /// is shown of the room (its rules and people; not its events, which it has seen,
    /// watching every room), or `None` if it was there already.
    pub(super) fn move_teacher(&mut self, id: MemberId, to: &RoomName) -> Option<RoomView> {
        let entry = self.members.get_mut(&id)?;
        if entry.room == *to {
            return None;
        }
        entry.room = to.clone();
        Some(RoomView {
            name: to.clone(),
            rules: self.rooms.rules(to).state(),
            history: Vec::new(),
            users: self.users_in(id, to),
            watching: true,
        })
    }

    /// Those in room `room` as member `viewer` sees them.
    fn users_in(&self, viewer: MemberId, room: &RoomName) -> Vec<User> {
        let mut users = self.users(Some(viewer));
        users.retain(|user| user.room == *room);
        users
    }

    /// `/room create NAME`.
    pub(super) fn open_room(
        &mut self,
        id: MemberId,
        by: Nick,
        name: &str,
        config: &HubConfig,
    ) -> Result<(), ChatError> {
        let name = RoomName::parse(name)?;
        self.check_saving()?;
        self.rooms.create(&name)?;
        let kind = notice(NoticeKind::Open, by, None, name.to_string(), 0);
        self.publish_in(RoomName::everywhere(), id, kind, config);
        Ok(())
    }

    /// `/room close NAME`: its members go back to the main room, then it closes.
    pub(super) fn close_room(
        &mut self,
        id: MemberId,
        by: Nick,
        name: &str,
        config: &HubConfig,
    ) -> Result<(), ChatError> {
        let name = RoomName::parse(name)?;
        if name.is_main() {
            return Err(ChatError::MainRoom);
        }
        self.rooms.open(&name)?;
        self.check_saving()?;
        self.close(id, by, &name, config);
        Ok(())
    }

    fn close(&mut self, id: MemberId, by: Nick, name: &RoomName, config: &HubConfig) {
        let inside: Vec<MemberId> = self
            .members
            .iter()
            .filter(|(_, entry)| entry.room == *name)
            .map(|(member, _)| *member)
            .collect();
        for member in inside {
            self.relocate(member, &RoomName::main(), config);
        }
        self.rooms.assigned.retain(|_, room| room != name);
        let kind = notice(NoticeKind::Close, by, None, name.to_string(), 0);
        self.publish_in(RoomName::everywhere(), id, kind, config);
        self.rooms.close(name);
    }

    /// `/groups N`: the students present, in a random order, dealt into N groups in turn,
    /// so that no two groups differ by more than one. They stay there until `/groups end`.
    pub(super) fn groups(
        &mut self,
        id: MemberId,
        by: Nick,
        count: u64,
        config: &HubConfig,
    ) -> Result<(), ChatError> {
        self.check_saving()?;
        let count = count.clamp(1, MAX_GROUPS);
        let names: Vec<RoomName> = (1..=count)
            .map(|number| group_name(config.group_name, number))
            .collect();
        for name in &names {
            if self.rooms.open(name).is_err() {
                self.rooms.create(name)?;
                let kind = notice(NoticeKind::Open, by.clone(), None, name.to_string(), 0);
                self.publish_in(RoomName::everywhere(), id, kind, config);
            }
        }
        let mut students: Vec<MemberId> = self
            .members
            .iter()
            .filter(|(_, entry)| !entry.teacher)
            .map(|(member, _)| *member)
            .collect();
        students.sort();
        shuffle(&mut students);
        self.rooms.fixed = true;
        self.rooms.assigned.clear();
        for (n, student) in students.into_iter().enumerate() {
            let room = &names[n % names.len()];
            if let Some(entry) = self.members.get(&student)
                && entry.named
            {
                self.rooms.assigned.insert(entry.nick.key(), room.clone());
            }
            self.relocate(student, room, config);
        }
        let kind = notice(NoticeKind::Groups, by, None, String::new(), count);
        self.publish_in(RoomName::everywhere(), id, kind, config);
        Ok(())
    }

    /// `/groups end`: everyone back in the main room, the groups closed.
    pub(super) fn groups_end(
        &mut self,
        id: MemberId,
        by: Nick,
        config: &HubConfig,
    ) -> Result<(), ChatError> {
        self.check_saving()?;
        self.rooms.fixed = false;
        self.rooms.assigned.clear();
        for number in 1..=MAX_GROUPS {
            let name = group_name(config.group_name, number);
            if self.rooms.open(&name).is_ok() {
                self.close(id, by.clone(), &name, config);
            }
        }
        let kind = notice(NoticeKind::GroupsEnd, by, None, String::new(), 0);
        self.publish_in(RoomName::everywhere(), id, kind, config);
        Ok(())
    }
}

/// Shuffles `items` (Fisher–Yates) with the operating system's randomness; left as it is
/// if there is none, which only makes the groups predictable.
fn shuffle<T>(items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let mut bytes = [0u8; 8];
        if getrandom::fill(&mut bytes).is_err() {
            return;
        }
        let j = (u64::from_le_bytes(bytes) % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use crate::chat::{
        Arrival, ChatError, Delivery, EventKind, Hub, HubConfig, Member, Replay, Reply, Via,
    };

    fn enter(hub: &Hub, nick: &str, teacher: bool) -> Member {
        let replay = Replay::Last {
            count: 0,
            chat_only: false,
        };
        let arrival = Arrival {
            nick: Some(nick),
            teacher,
            ..Arrival::guest(Via::Tcp, IpAddr::from([127, 0, 0, 1]), replay)
        };
        hub.join(arrival).expect("join").0
    }

    fn drain(member: &mut Member) -> Vec<Delivery> {
        std::iter::from_fn(|| member.try_recv()).collect()
    }

    #[test]
    fn a_teachers_move_publishes_nothing_and_a_student_may_only_name_its_own_room() {
        let hub = Hub::new(HubConfig::default(), "test".into());
        let mut prof = enter(&hub, "prof", true);
        let mut alice = enter(&hub, "alice", false);
        prof.handle("/room create atelier").expect("create");
        drain(&mut alice);
        drain(&mut prof);
        let published = hub.published();
        prof.handle_in("atelier", "bonjour").expect("said there");
        let moved = prof.take_moved().expect("told where it speaks");
        assert!(moved.watching && moved.history.is_empty());
        assert_eq!(prof.room().as_str(), "atelier");
        // One event only, the message, in the workshop: no move was published.
        assert_eq!(hub.published(), published + 1);
        let public: Vec<_> = drain(&mut prof)
            .into_iter()
            .filter_map(|delivery| match delivery {
                Delivery::Public(event) => Some(event),
                _ => None,
            })
            .collect();
        assert_eq!(public.len(), 1);
        assert_eq!(public[0].room.as_str(), "atelier");
        assert!(matches!(public[0].kind, EventKind::Message { .. }));
        assert!(drain(&mut alice).is_empty(), "main heard nothing");
        assert!(matches!(alice.handle_in("main", "ici"), Ok(Reply::Done)));
        assert_eq!(
            alice.handle_in("atelier", "là-bas").err(),
            Some(ChatError::NotTeacher)
        );
        assert_eq!(
            alice.handle_in("n'importe quoi", "là-bas").err(),
            Some(ChatError::NotTeacher)
        );
        assert_eq!(alice.room().as_str(), "main");
        assert_eq!(
            prof.handle_in("fermee", "perdu").err(),
            Some(ChatError::NoSuchRoom("fermee".into()))
        );
        assert_eq!(prof.room().as_str(), "atelier");
    }
}
