//! What a teacher can do: become one (the session layer checks the token), then send people away, silence them,
//! lock the room, slow it down, close private messages, delete a message, set a topic,
//! announce. Each action is one public notice, so both transports (and the transcript) show
//! who did what.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::people::Person;
use super::state::State;
use super::{ChatError, Ending, EventKind, Hub, MemberId, NoticeKind, TeacherCommand};
use super::{Nick, sanitize};

/// Longest `/mute`: a day.
const MAX_MUTE_MINUTES: u64 = 24 * 60;

impl Hub {
    /// Makes the member a teacher, once the session layer has checked its token.
    pub(super) fn op(&self, id: MemberId) {
        let mut state = self.lock();
        let _ = state.announce(id, &self.shared.config);
        let Some(entry) = state.members.get_mut(&id) else {
            return;
        };
        if entry.teacher {
            return;
        }
        entry.teacher = true;
        let nick = entry.nick.clone();
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
        let kind = match command {
            TeacherCommand::Kick { nick, reason } => {
                let (target, nick) = state.target(nick, id)?;
                let reason = sanitize(reason);
                // They may not come straight back under the same name. (A guest has no name
                // of their own: holding their address back would hold back every newcomer
                // behind it.)
                let person = state.members.get(&target).map(|entry| entry.person());
                if let Some(person @ Person::Named(_)) = person {
                    let until = Instant::now() + config.kick_cooldown;
                    state.people.record(person).kicked_until = Some(until);
                }
                state.remove(target, Ending::Kicked(reason.clone()), config);
                notice(NoticeKind::Kick, by, Some(nick), reason, 0)
            }
            TeacherCommand::Ban(address) if let Ok(addr) = address.parse::<IpAddr>() => {
                let addr = addr.to_canonical();
                if state.members.get(&id).is_some_and(|me| me.addr == addr) {
                    return Err(ChatError::SelfMessage);
                }
                state.room.banned.insert(addr);
                // Everyone from there but teachers goes; those others saw arrive, leave.
                let gone: Vec<_> = state
                    .members
                    .iter()
                    .filter(|(_, entry)| entry.addr == addr && !entry.teacher)
                    .map(|(other, entry)| {
                        (
                            *other,
                            entry.announced.then(|| (entry.nick.clone(), entry.via)),
                        )
                    })
                    .collect();
                for (other, seen) in &gone {
                    state.remove(*other, Ending::Banned, config);
                    if let Some((nick, via)) = seen {
                        let left = EventKind::Leave {
                            nick: nick.clone(),
                            via: *via,
                        };
                        state.publish(*other, left, config);
                    }
                }
                notice(NoticeKind::Ban, by, None, String::new(), gone.len() as u64)
            }
            TeacherCommand::Arrivals => return Ok(()),
            TeacherCommand::Ban(nick) => {
                let (target, nick) = state.target(nick, id)?;
                if let Some(entry) = state.members.get(&target) {
                    let addr = entry.addr;
                    state.room.banned.insert(addr);
                }
                state.remove(target, Ending::Banned, config);
                notice(NoticeKind::Ban, by, Some(nick), String::new(), 0)
            }
            TeacherCommand::Mute { nick, minutes } => {
                let minutes = minutes.min(MAX_MUTE_MINUTES);
                let (target, nick) = state.target(nick, id)?;
                if let Some(person) = state.members.get(&target).map(|entry| entry.person()) {
                    let until = Instant::now() + Duration::from_secs(minutes * 60);
                    state.people.record(person).muted_until = Some(until);
                }
                notice(NoticeKind::Mute, by, Some(nick), String::new(), minutes)
            }
            TeacherCommand::Unmute(nick) => {
                let (target, nick) = state.target(nick, id)?;
                if let Some(person) = state.members.get(&target).map(|entry| entry.person()) {
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
                let author = state.forget(message)?;
                notice(NoticeKind::Delete, by, Some(author), String::new(), message)
            }
            TeacherCommand::Topic(text) => {
                let text = self.checked_text(text)?;
                notice(NoticeKind::Topic, by, None, text, 0)
            }
            TeacherCommand::Announce(text) => {
                let text = self.checked_text(text)?;
                notice(NoticeKind::Announce, by, None, text, 0)
            }
        };
        // The room changes as its notice says, the very notice a restart replays.
        state.room.apply(&kind);
        state.publish(id, kind, config);
        Ok(())
    }
}

impl State {
    /// The member a teacher's command names, who must not be the teacher themself.
    fn target(&self, name: &str, me: MemberId) -> Result<(MemberId, Nick), ChatError> {
        let target = self
            .find(name)
            .ok_or_else(|| ChatError::NoSuchUser(sanitize(name)))?;
        if target == me {
            return Err(ChatError::SelfMessage);
        }
        let nick = self
            .members
            .get(&target)
            .map(|entry| entry.nick.clone())
            .ok_or_else(|| ChatError::NoSuchUser(sanitize(name)))?;
        Ok((target, nick))
    }

    /// Drops message `id` from what newcomers are shown; returns its author.
    fn forget(&mut self, id: u64) -> Result<Nick, ChatError> {
        let position = self
            .recent
            .iter()
            .position(|event| event.id == id && event.is_chat())
            .ok_or(ChatError::NoSuchMessage(id))?;
        let author = match self.recent.remove(position).map(|event| event.kind.clone()) {
            Some(EventKind::Message { from, .. }) => from,
            _ => return Err(ChatError::NoSuchMessage(id)),
        };
        Ok(author)
    }
}

fn notice(
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
