//! What a teacher can do: become one (the session layer checks the token), then send people away, silence them,
//! lock the room, slow it down, close private messages, delete a message, set a topic,
//! announce. Each action is one public notice, so both transports (and the transcript) show
//! who did what.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::people::Person;
use super::rooms::Switch;
use super::state::State;
use super::{ChatError, Ending, EventKind, Fact, Hub, MemberId, NoticeKind, TeacherCommand};
use super::{Nick, RoomName, sanitize};

/// Longest `/mute`: a day.
const MAX_MUTE_MINUTES: u64 = 24 * 60;

impl Hub {
    /// Makes the member a teacher, once the session layer has checked its token.
    pub(super) fn op(&self, id: MemberId) {
        let mut state = self.lock();
        let _ = state.announce(id, &self.shared.config);
        // A teacher watches every room: from its Op notice on, it reads the teachers' ring.
        let (trigger, receiver) = (state.next_id(), state.rooms.watch_all());
        let Some(entry) = state.members.get_mut(&id) else {
            return;
        };
        if entry.teacher {
            return;
        }
        entry.teacher = true;
        let nick = entry.nick.clone();
        let room = entry.room.clone();
        let switch = Switch {
            trigger,
            old: Some(room.clone()),
            receiver: Some(receiver),
            room,
            view: None,
        };
        entry.switcher.set(switch);
        state.reserve_for_teachers(&nick);
        let kind = notice(NoticeKind::Op, nick.clone(), Some(nick), String::new(), 0);
        state.publish(id, kind, &self.shared.config);
    }

    /// Carries out a teacher's command.
    pub(super) fn moderate(
        &self,
        id: MemberId,
        command: TeacherCommand<'_>,
    ) -> Result<(), ChatError> {
        // A teacher's action is carried out even while events cannot be saved (only its
        // notice is lost then, so a change to the room's rules lasts until a restart): the
        // room must stay under control.
        let mut state = self.lock();
        let by = match state.members.get(&id) {
            Some(entry) if entry.teacher => entry.nick.clone(),
            Some(_) => return Err(ChatError::NotTeacher),
            None => return Ok(()),
        };
        let config = &self.shared.config;
        let _ = state.announce(id, config);
        // Where the notice goes: the teacher's room for its rules, the room of whom it is
        // about, or every room.
        let mut room = state.room_of(id);
        let kind = match command {
            TeacherCommand::OpenRoom(name) => return state.open_room(id, by, name, config),
            TeacherCommand::CloseRoom(name) => return state.close_room(id, by, name, config),
            TeacherCommand::Groups(count) => return state.groups(id, by, count, config),
            TeacherCommand::GroupsEnd => return state.groups_end(id, by, config),
            TeacherCommand::Kick { nick, reason } => {
                let (target, nick) = state.target(nick, id)?;
                room = state.room_of_named(target, &nick);
                let reason = sanitize(reason);
                // They may not come straight back under the same name. (A guest has no name
                // of their own: holding their address back would hold back every newcomer
                // behind it.) Every node holds the name back as it reads the notice.
                if let Some(person @ Person::Named(_)) = state.person_named(target, &nick) {
                    let until = Instant::now() + config.kick_cooldown;
                    state.people.record(person).kicked_until = Some(until);
                }
                if let Some(target) = target {
                    state.remove(target, Ending::Kicked(reason.clone()), config);
                }
                notice(NoticeKind::Kick, by, Some(nick), reason, 0)
            }
            TeacherCommand::Ban(address) if let Ok(addr) = address.parse::<IpAddr>() => {
                let addr = addr.to_canonical();
                if state.members.get(&id).is_some_and(|me| me.addr == addr) {
                    return Err(ChatError::SelfMessage);
                }
                // Every node turns it away, in a cluster.
                state.keep(Fact::Banned(addr, true));
                let gone = state.ban_address(addr, config);
                notice(NoticeKind::Ban, by, None, String::new(), gone as u64)
            }
            TeacherCommand::Arrivals => return Ok(()),
            TeacherCommand::Ban(nick) => {
                let (target, nick) = state.target(nick, id)?;
                room = state.room_of_named(target, &nick);
                if let Some(target) = target {
                    state.ban_member(target, config);
                }
                notice(NoticeKind::Ban, by, Some(nick), String::new(), 0)
            }
            TeacherCommand::Mute { nick, minutes } => {
                let minutes = minutes.min(MAX_MUTE_MINUTES);
                let (target, nick) = state.target(nick, id)?;
                room = state.room_of_named(target, &nick);
                let until = Instant::now() + Duration::from_secs(minutes * 60);
                if let Some(person) = state.person_named(target, &nick) {
                    state.people.record(person).muted_until = Some(until);
                }
                notice(NoticeKind::Mute, by, Some(nick), String::new(), minutes)
            }
            TeacherCommand::Unmute(nick) => {
                let (target, nick) = state.target(nick, id)?;
                room = state.room_of_named(target, &nick);
                if let Some(person) = state.person_named(target, &nick) {
                    state.people.record(person).muted_until = None;
                }
                notice(NoticeKind::Unmute, by, Some(nick), String::new(), 0)
            }
            TeacherCommand::Lock => notice(NoticeKind::Lock, by, None, String::new(), 0),
            TeacherCommand::Unlock => notice(NoticeKind::Unlock, by, None, String::new(), 0),
            TeacherCommand::Slow(seconds) => {
                state.people.slowest(Duration::from_secs(seconds));
                notice(NoticeKind::Slow, by, None, String::new(), seconds)
            }
            TeacherCommand::Private(on) => {
                let kind = if on {
                    NoticeKind::PrivateOn
                } else {
                    NoticeKind::PrivateOff
                };
                notice(kind, by, None, String::new(), 0)
            }
            TeacherCommand::Delete(message) => {
                let (author, place) = state.forget(message)?;
                room = place;
                notice(NoticeKind::Delete, by, Some(author), String::new(), message)
            }
            TeacherCommand::Topic(text) => {
                let text = self.checked_text(text)?;
                notice(NoticeKind::Topic, by, None, text, 0)
            }
            TeacherCommand::Announce(text) => {
                let text = self.checked_text(text)?;
                room = RoomName::everywhere();
                notice(NoticeKind::Announce, by, None, text, 0)
            }
        };
        // The room changes as its notice is numbered (`State::publish_in`).
        state.publish_in(room, id, kind, config);
        Ok(())
    }
}

impl State {
    /// The member a teacher's command names, who must not be the teacher themself: one of
    /// this node's (its id), or, in a cluster, one of another node's (no id).
    fn target(&self, name: &str, me: MemberId) -> Result<(Option<MemberId>, Nick), ChatError> {
        let gone = || ChatError::NoSuchUser(sanitize(name));
        let Some(target) = self.find(name) else {
            let key = Nick::parse(name).map_err(|_| gone())?.key();
            let remote = self.roster.get(&key).ok_or_else(gone)?;
            return Ok((None, remote.nick.clone()));
        };
        if target == me {
            return Err(ChatError::SelfMessage);
        }
        let nick = self
            .members
            .get(&target)
            .map(|entry| entry.nick.clone())
            .ok_or_else(gone)?;
        Ok((Some(target), nick))
    }

    /// The room of the member a command named: this node's member `id`, or the member of
    /// another node called `nick`.
    fn room_of_named(&self, id: Option<MemberId>, nick: &Nick) -> RoomName {
        match id {
            Some(id) => self.room_of(id),
            None => self
                .roster
                .get(&nick.key())
                .map_or_else(RoomName::main, |remote| remote.room.clone()),
        }
    }

    /// Who the limits follow for the member a command named: a member of another node by
    /// its name (its own node knows whether it is a guest, and does the same).
    pub(super) fn person_named(&self, id: Option<MemberId>, nick: &Nick) -> Option<Person> {
        match id {
            Some(id) => self.members.get(&id).map(|entry| entry.person()),
            None => Some(Person::Named(nick.key())),
        }
    }

    /// Drops message `id` from what newcomers are shown; returns its author and room.
    fn forget(&mut self, id: u64) -> Result<(Nick, RoomName), ChatError> {
        let position = self
            .recent
            .iter()
            .position(|event| event.id == id && event.is_chat())
            .ok_or(ChatError::NoSuchMessage(id))?;
        let Some(event) = self.recent.remove(position) else {
            return Err(ChatError::NoSuchMessage(id));
        };
        self.rooms.forget(id);
        match &event.kind {
            EventKind::Message { from, .. } => Ok((from.clone(), event.room.clone())),
            _ => Err(ChatError::NoSuchMessage(id)),
        }
    }
}

pub(super) fn notice(
    kind: NoticeKind,
    by: Nick,
    target: Option<Nick>,
    text: String,
    number: u64,
) -> EventKind {
    EventKind::Notice {
        kind,
        by,
        target,
        text,
        number,
    }
}
