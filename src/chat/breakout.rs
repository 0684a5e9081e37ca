//! Moving people between rooms: `/join`, a teacher opening and closing rooms, and `/groups`.
//! Every move goes through [`State::relocate`], which tells both rooms and leaves the
//! member its new ring (see `rooms`).

use std::collections::HashMap;

use super::Alert;
use super::event::Direct;
use super::moderation::notice;
use super::rooms::{MAX_GROUPS, RoomView, Switch, group_name};
use super::state::State;
use super::{
    ChatError, EventKind, Hub, HubConfig, MemberId, Nick, NoticeKind, RoomInfo, RoomName, User,
};

impl Hub {
    /// `/join ROOM`: member `id` goes to an open room; a student only while the teacher has
    /// not fixed who is where. A student's move is shown in both rooms, so it is held to
    /// the rules of both, as a message would be: no move while muted, out of a locked
    /// room or into one, or within slow mode's interval of either room (and a move starts
    /// that interval anew). Teachers move freely.
    ///
    /// # Errors
    /// [`ChatError::RoomInvalid`], [`ChatError::NoSuchRoom`], [`ChatError::AlreadyInRoom`],
    /// [`ChatError::RoomsFixed`], [`ChatError::Muted`], [`ChatError::Locked`],
    /// [`ChatError::Slow`], or [`ChatError::NotSaved`] while nothing can be saved (a
    /// student's move is published).
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
        if entry.room == name {
            return Err(ChatError::AlreadyInRoom(name.to_string()));
        }
        // A teacher's move publishes nothing, so it needs nothing saved and no rule holds it.
        if entry.teacher {
            return Ok(state.move_teacher(id, &name));
        }
        state.check_saving()?;
        if state.rooms.fixed {
            return Err(ChatError::RoomsFixed);
        }
        // Both rooms are shown the move.
        if !state.check_post(id, Some(&name))? {
            return Ok(None);
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
            return self.rooms.name(room);
        }
        if !fixed
            && let Some(room) = wish.and_then(|wish| RoomName::parse(wish).ok())
            && self.rooms.open(&room).is_ok()
        {
            return self.rooms.name(&room);
        }
        RoomName::main()
    }

    /// After member `id` renamed itself from nickname key `old`, while groups are fixed: a
    /// student in no group whose new name has one goes there; a student in a group stays,
    /// and its group goes with it to the new name (a guest's being the group it was dealt
    /// into).
    pub(super) fn regroup(&mut self, id: MemberId, old: &str, config: &HubConfig) {
        let Some(entry) = self.members.get(&id) else {
            return;
        };
        if !self.rooms.fixed || entry.teacher {
            return;
        }
        let (new, here) = (entry.nick.key(), entry.room.clone());
        let own = self.rooms.assigned.get(old).cloned();
        let group = own.clone().or_else(|| (!here.is_main()).then_some(here));
        match (group, self.rooms.assigned.get(&new).cloned()) {
            // Someone in no group taking a name that has one: a student back under its
            // name (a TCP client arrives as a guest in main) goes back to its group.
            (None, Some(room)) => {
                if self.rooms.open(&room).is_ok() {
                    self.relocate(id, &room, config);
                }
            }
            // Someone in a group stays there whatever name it takes, so that a classmate's
            // name is no way into another group; its group goes with its name, unless that
            // name has a group of its own.
            (Some(room), None) => {
                if own.is_some() {
                    self.assign(old.to_owned(), None);
                }
                self.assign(new, Some(room));
            }
            (Some(_), Some(_)) | (None, None) => {}
        }
    }

    /// The open rooms, the main room first, with how many members are in each.
    pub(super) fn room_list(&self) -> Vec<RoomInfo> {
        let mut counts: HashMap<&RoomName, usize> = HashMap::new();
        let rooms = self.members.values().map(|entry| &entry.room);
        for room in rooms.chain(self.roster.iter().map(|remote| &remote.room)) {
            *counts.entry(room).or_default() += 1;
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
        let to = &self.rooms.name(to);
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
            trigger: self.next_id(),
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

    /// In a cluster, moves the member of another node called `nick` to room `to`: its move
    /// is published from here, and its node moves it as it reads it (`State::moved_here`).
    fn relocate_elsewhere(&mut self, nick: &Nick, to: &RoomName, config: &HubConfig) {
        let to = &self.rooms.name(to);
        let Some(remote) = self.roster.get(&nick.key()) else {
            return;
        };
        if remote.room == *to {
            return;
        }
        let from = remote.room.clone();
        let kind = EventKind::Moved {
            nick: remote.nick.clone(),
            via: remote.via,
            from: from.clone(),
            to: to.clone(),
        };
        // Nobody here caused it: no switch of ring to trigger here.
        self.publish_in(from, MemberId(0), kind.clone(), config);
        self.publish_in(to.clone(), MemberId(0), kind, config);
    }

    /// Another node moved this node's member `id` from `from` to `to` (a teacher there dealt
    /// groups, or closed a room), with the event numbered `trigger`: the member takes the
    /// new room's ring once that event reaches it, as with a move of its own.
    pub(super) fn moved_here(
        &mut self,
        id: MemberId,
        from: &RoomName,
        to: &RoomName,
        trigger: u64,
    ) {
        let to = &self.rooms.name(to);
        let Some(entry) = self.members.get_mut(&id) else {
            return;
        };
        if entry.room != *from {
            return;
        }
        entry.room = to.clone();
        let mut view = self.rooms.view(to);
        view.users = self.users_in(id, to);
        let Some(entry) = self.members.get(&id) else {
            return;
        };
        entry.switcher.set(Switch {
            trigger,
            old: Some(from.clone()),
            receiver: Some(self.rooms.get(to).subscribe()),
            room: to.clone(),
            view: Some(view),
        });
    }

    /// Undoes member `id`'s move from `from` to `to`, whose event could not be saved:
    /// nobody was shown it, so it goes back to `from`, for the hub and its session alike,
    /// and is told. Nothing to undo if it has moved on since, or left.
    pub(super) fn undo_move(&mut self, id: MemberId, from: &RoomName, to: &RoomName) {
        let Some(entry) = self.members.get_mut(&id) else {
            return;
        };
        if entry.room != *to {
            return;
        }
        entry.room = from.clone();
        if let Some(assigned) = self.rooms.assigned.get_mut(&entry.nick.key()) {
            *assigned = from.clone();
        }
        // The ring its session reads now: the one it left, unless the switch it had not
        // taken yet began earlier (two moves, or a move and an `/op`, merge into one switch).
        let reading = match entry.switcher.cancel() {
            // It took the new room already (a gap in its ring let it); a teacher keeps the
            // ring of every room it reads.
            None => Some((
                Some(to.clone()),
                (!entry.teacher).then(|| self.rooms.get(from).subscribe()),
            )),
            Some(waiting) if waiting.old.as_ref() != Some(from) || entry.teacher => {
                let receiver = if entry.teacher {
                    self.rooms.watch_all()
                } else {
                    self.rooms.get(from).subscribe()
                };
                Some((waiting.old, Some(receiver)))
            }
            // It still reads the room it is back in: nothing to change.
            Some(_) => None,
        };
        // It is given the room the hub says it is in, and the ring that goes with it, at
        // once: the event that was to trigger its switch will never come.
        if let Some((old, receiver)) = reading {
            let switch = Switch {
                trigger: self.last_id,
                old,
                receiver,
                room: from.clone(),
                view: Some(self.rooms.view(from)),
            };
            entry.switcher.set_now(switch);
        }
        self.alert(id, Alert::MoveNotSaved(from.clone()));
    }

    /// Has member `id` take the switch waiting for it at once, its trigger never to be
    /// delivered (it could not be saved).
    pub(super) fn switch_now(&mut self, id: MemberId) {
        if let Some(entry) = self.members.get(&id)
            && let Some(switch) = entry.switcher.cancel()
        {
            entry.switcher.set_now(switch);
        }
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
        let to = &self.rooms.name(to);
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
        self.rooms.check_new(&name)?;
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
        self.back_to_main(name, config);
        // In a cluster, the other nodes' students in it too (their teachers go back to
        // main as their node reads the room's closing).
        let elsewhere: Vec<Nick> = self
            .roster
            .iter()
            .filter(|remote| remote.room == *name && !remote.teacher)
            .map(|remote| remote.nick.clone())
            .collect();
        for nick in elsewhere {
            self.relocate_elsewhere(&nick, &RoomName::main(), config);
        }
        let grouped: Vec<String> = self
            .rooms
            .assigned
            .iter()
            .filter(|(_, room)| *room == name)
            .map(|(key, _)| key.clone())
            .collect();
        for key in grouped {
            self.assign(key, None);
        }
        let kind = notice(NoticeKind::Close, by, None, name.to_string(), 0);
        self.publish_in(RoomName::everywhere(), id, kind, config);
    }

    /// This node's members in room `name` go back to the main room (it is closing).
    pub(super) fn back_to_main(&mut self, name: &RoomName, config: &HubConfig) {
        let inside: Vec<MemberId> = self
            .members
            .iter()
            .filter(|(_, entry)| entry.room == *name)
            .map(|(member, _)| *member)
            .collect();
        for member in inside {
            self.relocate(member, &RoomName::main(), config);
        }
    }

    /// `/groups N`: the students present, in a random order, dealt into N groups in turn,
    /// so that no two groups differ by more than one. They stay there until `/groups end`.
    /// With fewer students than N, each gets a group of their own and the teacher is told;
    /// groups left open by an earlier `/groups` and not dealt into now are closed. Refused
    /// as a whole, before anyone moves, when it cannot be carried out entirely.
    ///
    /// # Errors
    /// [`ChatError::TooManyGroups`] past [`MAX_GROUPS`], [`ChatError::NoStudents`],
    /// [`ChatError::TooManyRooms`] when the groups would take the conversation past
    /// [`super::MAX_ROOMS`], [`ChatError::NotSaved`] while nothing can be saved.
    pub(super) fn groups(
        &mut self,
        id: MemberId,
        by: Nick,
        asked: u64,
        config: &HubConfig,
    ) -> Result<(), ChatError> {
        self.check_saving()?;
        let mut students: Vec<Student> = self
            .members
            .iter()
            .filter(|(_, entry)| !entry.teacher)
            .map(|(member, entry)| Student::Here(*member, entry.nick.key()))
            .collect();
        // In a cluster, the other nodes' students are dealt too: each moves as its node
        // reads its move.
        students.extend(
            self.roster
                .iter()
                .filter(|remote| !remote.teacher)
                .map(|remote| Student::There(remote.nick.clone())),
        );
        let count = group_count(asked, students.len())?;
        let names: Vec<RoomName> = (1..=count)
            .map(|number| group_name(config.group_name, number))
            .collect();
        self.rooms.check_room_for(&names)?;
        for name in &names {
            if self.rooms.open(name).is_err() {
                let kind = notice(NoticeKind::Open, by.clone(), None, name.to_string(), 0);
                self.publish_in(RoomName::everywhere(), id, kind, config);
            }
        }
        students.sort_by_cached_key(Student::key);
        shuffle(&mut students);
        self.fix_groups(true);
        for (student, group) in deal(&students, names.len()) {
            let room = &names[group];
            match student {
                Student::Here(student, _) => {
                    if let Some(entry) = self.members.get(student)
                        && entry.named
                    {
                        self.assign(entry.nick.key(), Some(room.clone()));
                    }
                    self.relocate(*student, room, config);
                }
                Student::There(nick) => {
                    self.assign(nick.key(), Some(room.clone()));
                    self.relocate_elsewhere(nick, room, config);
                }
            }
        }
        // Groups of an earlier, larger `/groups`: empty of students now.
        self.close_groups_from(count + 1, id, &by, config);
        if count < asked {
            self.alert(id, Alert::GroupsCapped { asked, made: count });
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
        self.fix_groups(false);
        self.close_groups_from(1, id, &by, config);
        let kind = notice(NoticeKind::GroupsEnd, by, None, String::new(), 0);
        self.publish_in(RoomName::everywhere(), id, kind, config);
        Ok(())
    }

    /// Closes the open groups numbered `first` and above, their members going back to
    /// main.
    fn close_groups_from(&mut self, first: u64, id: MemberId, by: &Nick, config: &HubConfig) {
        for number in first..=MAX_GROUPS {
            let name = group_name(config.group_name, number);
            if self.rooms.open(&name).is_ok() {
                self.close(id, by.clone(), &name, config);
            }
        }
    }
}

/// A student `/groups` deals: one of this node's (with its nickname key), or, in a
/// cluster, one of another node's.
enum Student {
    Here(MemberId, String),
    There(Nick),
}

impl Student {
    /// Its nickname key: the order students are shuffled from, so that the shuffle alone
    /// decides the groups.
    fn key(&self) -> String {
        match self {
            Student::Here(_, key) => key.clone(),
            Student::There(nick) => nick.key(),
        }
    }
}

/// How many groups `/groups asked` makes with `students` present: one per student at
/// most.
///
/// # Errors
/// [`ChatError::TooManyGroups`] past [`MAX_GROUPS`] (checked first: the command is wrong
/// whoever is present), [`ChatError::NoStudents`] with nobody to deal out.
fn group_count(asked: u64, students: usize) -> Result<u64, ChatError> {
    if asked > MAX_GROUPS {
        return Err(ChatError::TooManyGroups(MAX_GROUPS));
    }
    if students == 0 {
        return Err(ChatError::NoStudents);
    }
    Ok(asked.clamp(1, students as u64))
}

/// Deals `items`, in their order, into `groups` groups in turn: each item with its group's
/// index, no two groups differing by more than one.
fn deal<T>(items: &[T], groups: usize) -> impl Iterator<Item = (&T, usize)> + '_ {
    let groups = groups.max(1);
    items
        .iter()
        .enumerate()
        .map(move |(n, item)| (item, n % groups))
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

    use super::*;
    use crate::chat::{Arrival, Delivery, Journal, MAX_ROOMS, Member, Past, Replay, Reply, Via};

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

    /// Saves (delivers) everything waiting in the journal.
    fn save(journal: &Journal) {
        while let Ok(Some(batch)) = journal.next_batch_within(1000, std::time::Duration::ZERO) {
            journal.deliver(&batch);
        }
    }

    /// Fails to save everything waiting in the journal.
    fn fail(journal: &Journal) {
        while let Ok(Some(batch)) = journal.next_batch_within(1000, std::time::Duration::ZERO) {
            journal.refuse(&batch.events, "disk full");
        }
    }

    fn drain(member: &mut Member) -> Vec<Delivery> {
        std::iter::from_fn(|| member.try_recv()).collect()
    }

    #[test]
    fn group_counts_are_capped_by_the_students_and_refused_past_the_limits() {
        assert_eq!(group_count(3, 9), Ok(3));
        assert_eq!(group_count(5, 2), Ok(2), "one group per student");
        assert_eq!(group_count(MAX_GROUPS, 100), Ok(MAX_GROUPS));
        assert_eq!(
            group_count(MAX_GROUPS + 1, 100),
            Err(ChatError::TooManyGroups(MAX_GROUPS))
        );
        assert_eq!(group_count(2, 0), Err(ChatError::NoStudents));
    }

    #[test]
    fn dealing_makes_groups_that_differ_by_one_at_most() {
        for (students, groups) in [(9, 3), (10, 3), (1, 1), (31, 32), (64, 5)] {
            let items: Vec<usize> = (0..students).collect();
            let mut sizes = vec![0; groups];
            for (_, group) in deal(&items, groups) {
                sizes[group] += 1;
            }
            let (min, max) = (sizes.iter().min(), sizes.iter().max());
            assert!(
                max.zip(min).is_some_and(|(max, min)| max - min <= 1),
                "{students} in {groups}: {sizes:?}"
            );
            assert_eq!(sizes.iter().sum::<usize>(), students);
        }
    }

    #[test]
    fn groups_that_would_pass_the_room_limit_are_refused_before_anyone_moves() {
        let hub = Hub::new(HubConfig::default(), "test".into());
        let mut prof = enter(&hub, "prof", true);
        // Present (and kept so) to be dealt out.
        let _students: Vec<Member> = (0..40)
            .map(|n| enter(&hub, &format!("s{n}"), false))
            .collect();
        for n in 0..(MAX_ROOMS - 10) {
            prof.handle(&format!("/room create r{n}")).expect("room");
        }
        assert_eq!(
            prof.handle("/groups 30").err(),
            Some(ChatError::TooManyRooms(MAX_ROOMS))
        );
        let state = hub.lock();
        assert!(!state.rooms.fixed);
        assert_eq!(state.rooms.names().len(), MAX_ROOMS - 9, "no group opened");
        assert!(state.members.values().all(|entry| entry.room.is_main()));
    }

    #[test]
    fn a_move_that_is_not_saved_leaves_the_student_in_the_room_it_left() {
        let (hub, journal) = Hub::durable(HubConfig::default(), Past::default(), "t".into());
        let mut prof = enter(&hub, "prof", true);
        let mut alice = enter(&hub, "alice", false);
        prof.handle("/room create atelier").expect("open");
        save(&journal);
        drain(&mut alice);
        alice.handle("/join atelier").expect("move");
        fail(&journal);
        let told = drain(&mut alice);
        assert!(
            told.iter().any(|delivery| matches!(delivery,
                Delivery::Alert(Alert::MoveNotSaved(room)) if room.is_main())),
            "{told:?}"
        );
        assert!(alice.room().is_main());
        assert!(hub.rooms_for(alice.id()).1.is_main());
        // Saving works again: what alice says is said in main, and she reads main.
        journal.recovered();
        let mut bob = enter(&hub, "bob", false);
        alice.handle("toujours là").expect("say");
        bob.handle("moi aussi").expect("say");
        save(&journal);
        let heard: Vec<_> = drain(&mut alice)
            .into_iter()
            .filter_map(|delivery| match delivery {
                Delivery::Public(event) => Some(event.room.clone()),
                _ => None,
            })
            .collect();
        assert!(
            heard.len() >= 2 && heard.iter().all(RoomName::is_main),
            "{heard:?}"
        );
        drain(&mut prof);
    }

    #[test]
    fn a_new_teacher_whose_notice_is_not_saved_still_reads_every_room() {
        let (hub, journal) = Hub::durable(HubConfig::default(), Past::default(), "t".into());
        let mut prof = enter(&hub, "prof", true);
        let mut zoe = enter(&hub, "zoe", false);
        let mut second = enter(&hub, "second", false);
        prof.handle("/room create atelier").expect("open");
        save(&journal);
        zoe.handle("/join atelier").expect("move");
        save(&journal);
        drain(&mut second);
        second.promote();
        fail(&journal);
        journal.recovered();
        zoe.handle("dans l'atelier").expect("say");
        save(&journal);
        let seen = drain(&mut second);
        assert!(
            seen.iter().any(|delivery| matches!(delivery,
                Delivery::Public(event) if event.room.as_str() == "atelier"
                    && matches!(&event.kind, EventKind::Message { text, .. } if text == "dans l'atelier"))),
            "{seen:?}"
        );
        drain(&mut prof);
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
    #[test]
    fn the_rooms_are_what_their_notices_say_live_and_read_back() {
        let hub = Hub::new(HubConfig::default(), "test".into());
        let mut prof = enter(&hub, "prof", true);
        for line in [
            "/room create atelier",
            "/join atelier",
            "/topic Atelier du jour",
            "/lock",
            "/slow 30",
            "/private off",
            "/room create b",
            "/join main",
            "/room close b",
            "/announce bonjour",
            "/topic Sujet principal",
        ] {
            prof.handle(line).expect(line);
        }
        let notices: Vec<_> = drain(&mut prof)
            .into_iter()
            .filter_map(|delivery| match delivery {
                Delivery::Public(event) => Some(event),
                _ => None,
            })
            .collect();
        let mut read_back = crate::chat::rooms::Rooms::new(8);
        for event in &notices {
            read_back.apply_notice(event);
        }
        let live = &hub.lock().rooms;
        assert_eq!(read_back.names(), live.names());
        assert_eq!(
            live.names()
                .iter()
                .map(RoomName::to_string)
                .collect::<Vec<_>>(),
            ["main", "atelier"]
        );
        for name in live.names() {
            assert_eq!(
                read_back.rules(&name).state(),
                live.rules(&name).state(),
                "{name}"
            );
        }
        assert!(
            live.rules(&RoomName::parse("atelier").expect("name"))
                .locked
        );
    }

    #[test]
    fn a_second_move_that_is_not_saved_leaves_the_student_reading_the_room_of_the_first() {
        let (hub, journal) = Hub::durable(HubConfig::default(), Past::default(), "t".into());
        let mut prof = enter(&hub, "prof", true);
        let mut alice = enter(&hub, "alice", false);
        prof.handle("/room create a").expect("open");
        prof.handle("/room create b").expect("open");
        save(&journal);
        drain(&mut alice);
        // Saved, but not read yet when the second move comes and is lost.
        alice.handle("/join a").expect("move");
        save(&journal);
        alice.handle("/join b").expect("move");
        fail(&journal);
        journal.recovered();
        let mut bob = enter(&hub, "bob", false);
        bob.handle("/join a").expect("move");
        save(&journal);
        bob.handle("dans a").expect("say");
        save(&journal);
        let heard: Vec<_> = drain(&mut alice)
            .into_iter()
            .filter_map(|delivery| match delivery {
                Delivery::Public(event) => match &event.kind {
                    EventKind::Message { text, .. } => Some(text.clone()),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        assert_eq!(alice.room().as_str(), "a");
        assert_eq!(hub.rooms_for(alice.id()).1.as_str(), "a");
        assert_eq!(heard, ["dans a"]);
        drain(&mut prof);
    }
}
