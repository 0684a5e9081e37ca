//! Moving people between rooms: `/join`, a teacher opening and closing rooms, and `/groups`.
//! Every move goes through [`State::relocate`], which tells both rooms and leaves the
//! member its new ring (see `rooms`).

use std::collections::HashMap;

use super::moderation::notice;
use super::rooms::{MAX_GROUPS, Switch, group_name};
use super::state::State;
use super::{ChatError, EventKind, Hub, HubConfig, MemberId, Nick, NoticeKind, RoomInfo, RoomName};

impl Hub {
    /// `/join ROOM`: member `id` goes to an open room; a student only while the teacher has
    /// not fixed who is where.
    ///
    /// # Errors
    /// [`ChatError::RoomInvalid`], [`ChatError::NoSuchRoom`], [`ChatError::RoomsFixed`], or
    /// [`ChatError::NotSaved`] while nothing can be saved.
    pub(super) fn join_room(&self, id: MemberId, name: &str) -> Result<(), ChatError> {
        let name = RoomName::parse(name)?;
        let mut state = self.lock();
        state.check_saving()?;
        state.rooms.open(&name)?;
        let Some(entry) = state.members.get(&id) else {
            return Ok(());
        };
        if !entry.teacher && state.rooms.fixed {
            return Err(ChatError::RoomsFixed);
        }
        state.relocate(id, &name, &self.shared.config);
        Ok(())
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

    /// After member `id` renamed itself from nickname key `old`, while groups are fixed: a
    /// student whose new name has a group goes there; otherwise its group goes with it to the
    /// new name (a guest's being the group it was dealt into).
    pub(super) fn regroup(&mut self, id: MemberId, old: &str, config: &HubConfig) {
        let Some(entry) = self.members.get(&id) else {
            return;
        };
        if !self.rooms.fixed || entry.teacher {
            return;
        }
        let (new, here) = (entry.nick.key(), entry.room.clone());
        if let Some(room) = self.rooms.assigned.get(&new).cloned() {
            if self.rooms.open(&room).is_ok() {
                self.relocate(id, &room, config);
            }
            return;
        }
        let group = match self.rooms.assigned.get(old).cloned() {
            Some(room) => {
                self.assign(old.to_owned(), None);
                Some(room)
            }
            None => (!here.is_main()).then_some(here),
        };
        if let Some(room) = group {
            self.assign(new, Some(room));
        }
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
                name,
            })
            .collect()
    }

    /// Moves member `id` to room `to`: both rooms are told (the teachers once for each), and
    /// a student is left the new room's ring, which it takes once the move's event in the
    /// old room reaches it.
    pub(super) fn relocate(&mut self, id: MemberId, to: &RoomName, config: &HubConfig) {
        // A move is seen by both rooms: a member nobody was told of yet is told of first.
        let _ = self.announce(id, config);
        let Some(entry) = self.members.get(&id) else {
            return;
        };
        if entry.room == *to {
            return;
        }
        let from = entry.room.clone();
        let switch = Switch {
            // The first of the two events below.
            trigger: self.last_id + 1,
            old: Some(from.clone()),
            // A teacher already reads every room.
            receiver: (!entry.teacher).then(|| self.rooms.get(to).subscribe()),
            room: to.clone(),
            view: Some(self.rooms.view(to)),
        };
        entry.switcher.set(switch);
        let kind = EventKind::Moved {
            nick: entry.nick.clone(),
            via: entry.via,
            from: from.clone(),
            to: to.clone(),
        };
        if let Some(entry) = self.members.get_mut(&id) {
            entry.room = to.clone();
        }
        self.publish_in(from, id, kind.clone(), config);
        self.publish_in(to.clone(), id, kind, config);
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
        self.fix_groups(true);
        for (n, student) in students.into_iter().enumerate() {
            let room = &names[n % names.len()];
            if let Some(entry) = self.members.get(&student)
                && entry.named
            {
                self.assign(entry.nick.key(), Some(room.clone()));
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
        self.fix_groups(false);
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
