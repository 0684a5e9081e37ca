//! What the hub's lock guards: the members, their nicknames, the recent events, the fan-out
//! ring and the room's rules. Every method here is synchronous and short, called with the
//! lock held; nothing here waits.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use super::event::Direct;
use super::journal::Pending;
use super::people::{People, Person};
use super::rooms::{Rooms, Rules, Switcher, replay_from};
use super::roster::Roster;
use super::sequencer::{Draft, Sequencer};
use super::wiretap::Wiretap;
use super::{
    Alert, ChatError, Ending, Event, EventKind, Fact, HubConfig, MemberId, Nick, NoticeKind, Past,
    Private, Replay, RoomName, User, Via,
};

/// How many arrivals `/arrivals` remembers.
const ARRIVALS_KEPT: usize = 50;

/// One arrival, as the teacher's `/arrivals` lists it.
#[derive(Clone, Debug)]
pub struct Arrived {
    /// The connection.
    pub(super) id: MemberId,
    /// When, in Unix milliseconds.
    pub ts: i64,
    /// The nickname it arrived with.
    pub nick: Nick,
    /// How it connected.
    pub via: Via,
    /// From where (behind a trusted proxy, the forwarded address).
    pub addr: IpAddr,
}

pub(super) struct State {
    pub(super) members: HashMap<MemberId, Entry>,
    /// Nickname key (see [`Nick::key`]) → member, for uniqueness ignoring look-alikes.
    pub(super) by_nick: HashMap<String, MemberId>,
    /// The newest public events of every room, oldest first, at most `config.recent`: for
    /// transcripts without a database.
    pub(super) recent: VecDeque<Arc<Event>>,
    /// The rooms, each with its fan-out ring and recent events, and the teachers' ring.
    /// Only used under the lock, so every ring's order is the id order.
    pub(super) rooms: Rooms,
    /// Who numbers events, and where they wait to be saved (see `sequencer`).
    pub(super) sequencer: Sequencer,
    /// In a cluster, everyone present on the other nodes.
    pub(super) roster: Roster,
    /// The last id given out (delivered or not).
    pub(super) last_id: u64,
    /// The last id delivered: a member subscribing now gets every later one live.
    pub(super) delivered: u64,
    /// Why events cannot be saved, while they cannot: nothing new is published then,
    /// since nothing unsaved is shown.
    pub(super) saving_failed: Option<String>,
    /// In a cluster, why the log cannot take events now, if it cannot (see [`Outage`]):
    /// nothing new is published then, as nothing is numbered by a node alone.
    pub(super) outages: Vec<Outage>,
    /// What limits remember of people, across their connections.
    pub(super) people: People,
    /// The latest arrivals, newest last, with their addresses: for the teacher's
    /// `/arrivals`, even of connections that lived for milliseconds.
    pub(super) arrivals: VecDeque<Arrived>,
    pub(super) last_member: u64,
    /// The last guest number given, in this run or before it: a number is never given
    /// twice in one conversation.
    pub(super) last_guest: u64,
    /// Addresses sent away with `/ban`, until restart: never saved, since a school's
    /// addresses change hands (and are shared behind NAT), and restarting is how a teacher
    /// lifts a ban.
    pub(super) banned: HashSet<IpAddr>,
    /// Keys of nicknames teachers have used in this conversation, restarts included:
    /// nobody else may take them.
    pub(super) teacher_nicks: HashSet<String>,
}

/// Why a cluster's log cannot take a node's events. Either is enough to make the node
/// read-only; it is writable again once neither holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outage {
    /// The connection to every NATS server is lost.
    Connection,
    /// Connected, but the log does not acknowledge what it is sent (no leader, no quorum).
    Log,
}

/// One member, as the hub sees it.
pub(super) struct Entry {
    pub(super) nick: Nick,
    /// The member chose its nickname (a guest's is given): it is then who they are.
    pub(super) named: bool,
    /// Everyone was told of the arrival (see `State::announce`); until then the member
    /// is in no one else's list, and leaving says nothing.
    pub(super) announced: bool,
    pub(super) via: Via,
    pub(super) addr: IpAddr,
    pub(super) teacher: bool,
    /// The secret that may take this member's nickname over (see `Welcome::token`).
    pub(super) token: String,
    /// The member's own queue of private messages and alerts; its `Member` holds the
    /// receiver.
    pub(super) direct: mpsc::Sender<Box<Direct>>,
    /// Ends the member's session; its `Member` holds the receiver. Separate from the
    /// private queue so that a full queue cannot keep anyone from being ended.
    pub(super) end: oneshot::Sender<Ending>,
    /// The connection's last reads, which its `Member` records and teachers may watch.
    pub(super) tap: Arc<Wiretap>,
    /// The room the member is in: where it speaks, and, for a student, what it reads.
    pub(super) room: RoomName,
    /// Where the hub leaves the member a new ring when it changes room; its `Member` holds
    /// it too.
    pub(super) switcher: Arc<Switcher>,
}

impl State {
    /// The state of a conversation that continues from `past` (empty for a new one).
    pub(super) fn new(config: &HubConfig, past: Past, sequencer: Sequencer) -> Self {
        let mut rooms = Rooms::new(config.backlog);
        for notice in &past.room {
            rooms.apply_notice(notice);
        }
        rooms.fixed = past.groups_fixed;
        rooms.assigned = past.assigned.into_iter().collect();
        let skip = past.recent.len().saturating_sub(config.recent);
        let recent: VecDeque<_> = past.recent.into_iter().skip(skip).map(Arc::new).collect();
        // Whatever was saved before the events read back is on disk only: resuming from
        // before them must ask the database, in every room.
        rooms.on_disk_up_to(
            recent
                .front()
                .map_or(past.last_id, |oldest| oldest.id.saturating_sub(1)),
        );
        for event in &recent {
            rooms.restore(event, config.recent);
        }
        let mut people = People::new(config.max_rate);
        people.slowest(rooms.slowest());
        Self {
            members: HashMap::new(),
            by_nick: HashMap::new(),
            last_id: recent.back().map_or(0, |event| event.id).max(past.last_id),
            delivered: recent.back().map_or(0, |event| event.id).max(past.last_id),
            recent,
            rooms,
            sequencer,
            roster: Roster::default(),
            saving_failed: None,
            outages: Vec::new(),
            people,
            arrivals: VecDeque::new(),
            last_member: 0,
            last_guest: past.last_guest,
            banned: HashSet::new(),
            teacher_nicks: past.teacher_nicks.into_iter().collect(),
        }
    }

    /// Numbers the event, in the room of the member who caused it, then delivers it, or
    /// queues it to be saved first.
    pub(super) fn publish(&mut self, origin: MemberId, kind: EventKind, config: &HubConfig) {
        let room = self.room_of(origin);
        self.publish_in(room, origin, kind, config);
    }

    /// The room member `id` is in (the main room for one gone).
    pub(super) fn room_of(&self, id: MemberId) -> RoomName {
        self.members
            .get(&id)
            .map_or_else(RoomName::main, |entry| entry.room.clone())
    }

    /// Numbers the event in `room`, then delivers it, or queues it to be saved first; in a
    /// cluster, hands it to the log, which numbers it.
    pub(super) fn publish_in(
        &mut self,
        room: RoomName,
        origin: MemberId,
        kind: EventKind,
        config: &HubConfig,
    ) {
        if let Sequencer::Cluster { outbox, .. } = &self.sequencer {
            let event = Event::new(0, origin, room, kind);
            // A room opened here is there at once for what this node decides next (those it
            // moves into it subscribe to its ring); the log opens it for every node, this
            // one again included.
            if matches!(
                &event.kind,
                EventKind::Notice {
                    kind: NoticeKind::Open,
                    ..
                }
            ) {
                self.rooms.apply_notice(&event);
            }
            // Sent under the lock, so the publisher has them in the order they were decided.
            if let Err(full) = outbox.try_send(Draft::Event(event))
                && let Draft::Event(event) = full.into_inner()
            {
                self.refuse_event(&event);
            }
            return;
        }
        self.last_id += 1;
        let event = Arc::new(Event::new(self.last_id, origin, room, kind));
        // What a teacher's notice does to the rooms, it does as it is numbered: a restart
        // reading it back does the same (`State::new`).
        self.rooms.apply_notice(&event);
        match &self.sequencer {
            // Sent under the lock, so the journal receives events in id order. It is only
            // gone once the storage thread has stopped, and then nothing can be saved.
            Sequencer::Journal(journal) => {
                let _ = journal.send(Pending::Event(event));
            }
            Sequencer::Immediate | Sequencer::Cluster { .. } => self.deliver(event, config),
        }
    }

    /// The id of the next event this hub publishes, for a switch of ring it triggers; in a
    /// cluster, not known until the log numbers it (the switch waits until then).
    pub(super) fn next_id(&self) -> u64 {
        match self.sequencer {
            Sequencer::Cluster { .. } => super::rooms::UNNUMBERED,
            Sequencer::Immediate | Sequencer::Journal(_) => self.last_id + 1,
        }
    }

    /// Holds what member `id` posts to the rules (mute, lock, slow mode) of the room it is in
    /// and of room `to` as well, if it goes there (a move is shown in both), then starts slow
    /// mode's interval again where there is one. False for a member gone.
    ///
    /// # Errors
    /// [`ChatError::Muted`], [`ChatError::Locked`] or [`ChatError::Slow`]: nothing changed.
    pub(super) fn check_post(
        &mut self,
        id: MemberId,
        to: Option<&RoomName>,
    ) -> Result<bool, ChatError> {
        let now = Instant::now();
        let State {
            members,
            rooms,
            people,
            ..
        } = self;
        let Some(entry) = members.get(&id) else {
            return Ok(false);
        };
        let mut slow = false;
        for room in std::iter::once(&entry.room).chain(to) {
            let rules = rooms.rules(room);
            entry.may_write(now, rules, people)?;
            slow |= rules.slow.is_some();
        }
        if slow && !entry.teacher {
            people.record(entry.person()).last_post = Some(now);
        }
        Ok(true)
    }

    /// Queues a fact to be saved with the next events, for a durable hub. Sent under the
    /// lock like events, so it is saved no later than any event that follows it.
    pub(super) fn keep(&self, fact: Fact) {
        match &self.sequencer {
            Sequencer::Journal(journal) => {
                let _ = journal.send(Pending::Fact(fact));
            }
            // A fact that cannot wait its turn is lost to the other nodes only: this one
            // keeps it, and guest numbers and nicknames are checked again as they are taken.
            Sequencer::Cluster { outbox, .. } => {
                let _ = outbox.try_send(Draft::Fact(fact));
            }
            Sequencer::Immediate => {}
        }
    }

    /// Reserves `nick` for teachers from now on, in this run and the next ones.
    pub(super) fn reserve_for_teachers(&mut self, nick: &Nick) {
        let key = nick.key();
        if !self.teacher_nicks.contains(&key) {
            self.teacher_nicks.insert(key.clone());
            self.keep(Fact::TeacherNick(key));
        }
    }

    /// Turns `/groups` on or off; either way the groups so far are forgotten, here and, in
    /// the order it happened, on disk.
    pub(super) fn fix_groups(&mut self, fixed: bool) {
        self.rooms.fixed = fixed;
        self.rooms.assigned.clear();
        self.keep(Fact::Groups(fixed));
    }

    /// Puts the named student with nickname key `key` in the group of `room` (`None`: in no
    /// group any more), here and on disk, so that a restart finds the groups as they were.
    pub(super) fn assign(&mut self, key: String, room: Option<RoomName>) {
        match &room {
            Some(room) => self.rooms.assigned.insert(key.clone(), room.clone()),
            None => self.rooms.assigned.remove(&key),
        };
        self.keep(Fact::Assigned(key, room));
    }

    /// Keeps the event in the recent history and hands it to its room's members and the
    /// teachers.
    pub(super) fn deliver(&mut self, event: Arc<Event>, config: &HubConfig) {
        self.delivered = self.delivered.max(event.id);
        if self.recent.len() >= config.recent {
            self.recent.pop_front();
        }
        if config.recent > 0 {
            self.recent.push_back(event.clone());
        }
        self.rooms.deliver(&event, config.recent);
    }

    /// Tells everyone member `id` arrived, under the nickname it has now, unless its
    /// address has announced too many arrivals of late (then nobody is told, of its
    /// departure either). Done once: when it first does something others see, or once it
    /// has stayed `--announce-after` seconds, so a connection that comes and goes without a
    /// word is no spam.
    ///
    /// Returns false when the member is still not announced (its address's budget of
    /// arrivals is spent, or events cannot be saved): the caller may try again later.
    pub(super) fn announce(&mut self, id: MemberId, config: &HubConfig) -> bool {
        let writable = self.check_saving().is_ok();
        let Some(entry) = self.members.get_mut(&id) else {
            return true;
        };
        if entry.announced {
            return true;
        }
        if !writable || self.people.allow_arrival(entry.addr).is_err() {
            return false;
        }
        entry.announced = true;
        let nick = entry.nick.clone();
        let teacher = entry.teacher;
        let kind = EventKind::Join {
            nick: nick.clone(),
            via: entry.via,
        };
        self.publish(id, kind, config);
        // Someone who came in as a teacher (a page opened with the token) is told to
        // everyone as a teacher at once, as `/op` is, so every user list can mark them.
        if teacher {
            let kind = EventKind::Notice {
                kind: NoticeKind::Op,
                by: nick.clone(),
                target: Some(nick),
                text: String::new(),
                number: 0,
            };
            self.publish(id, kind, config);
        }
        true
    }

    /// Notes an arrival for the teacher's `/arrivals`.
    pub(super) fn note_arrival(&mut self, id: MemberId) {
        let Some(entry) = self.members.get(&id) else {
            return;
        };
        if self.arrivals.len() >= ARRIVALS_KEPT {
            self.arrivals.pop_front();
        }
        self.arrivals.push_back(Arrived {
            id,
            ts: super::event::now_ms(),
            nick: entry.nick.clone(),
            via: entry.via,
            addr: entry.addr,
        });
    }

    /// Takes a member out, tells its session why, and announces the departure of an
    /// announced member (a kick or a ban announces itself instead).
    pub(super) fn remove(&mut self, id: MemberId, why: Ending, config: &HubConfig) {
        let Some(entry) = self.members.remove(&id) else {
            return;
        };
        self.by_nick.remove(&entry.nick.key());
        let announce = entry.announced && matches!(why, Ending::Left | Ending::Replaced);
        // The session may be gone already, which is fine.
        let _ = entry.end.send(why);
        if announce {
            let kind = EventKind::Leave {
                nick: entry.nick.clone(),
                via: entry.via,
            };
            self.publish_in(entry.room, id, kind, config);
        }
        self.release(entry.nick);
    }

    /// In a cluster, lets the claim on `nick` go once what this node published before is
    /// in the log (see `cluster::names`).
    pub(super) fn release(&self, nick: Nick) {
        if let Sequencer::Cluster { outbox, .. } = &self.sequencer {
            let _ = outbox.try_send(Draft::Release(nick));
        }
    }

    /// Tells whoever caused `event` that it could not be saved (or, in a cluster, logged),
    /// so nobody was shown it, and undoes what it did for them alone: a move, an `/op`.
    pub(super) fn refuse_event(&mut self, event: &Event) {
        match &event.kind {
            // In a cluster, a room opened here that the log never took is closed again.
            EventKind::Notice {
                kind: NoticeKind::Open,
                text,
                ..
            } => {
                self.rooms.close(&RoomName::restored(text));
                self.alert(event.origin, Alert::NotSaved);
            }
            // Arrivals and departures are not anyone's doing to be told about.
            EventKind::Join { .. } | EventKind::Leave { .. } => {}
            // A move is two events, one in each room: the first undoes it.
            EventKind::Moved { from, to, .. } => {
                if event.room == *from {
                    self.undo_move(event.origin, from, to);
                }
            }
            // The new teacher keeps every room even if nobody could be told.
            EventKind::Notice {
                kind: NoticeKind::Op,
                ..
            } => {
                self.switch_now(event.origin);
                self.alert(event.origin, Alert::NotSaved);
            }
            _ => self.alert(event.origin, Alert::NotSaved),
        }
    }

    /// Sends member `id` away for good: its address is turned away from now on (on every
    /// node, in a cluster).
    pub(super) fn ban_member(&mut self, id: MemberId, config: &HubConfig) {
        if let Some(entry) = self.members.get(&id) {
            let addr = entry.addr;
            self.banned.insert(addr);
            self.keep(Fact::Banned(addr, false));
        }
        self.remove(id, Ending::Banned, config);
    }

    /// Turns address `addr` away from now on: everyone connected from there but teachers goes,
    /// and those others saw arrive are seen to leave. Returns how many went.
    pub(super) fn ban_address(&mut self, addr: std::net::IpAddr, config: &HubConfig) -> usize {
        self.banned.insert(addr);
        let gone: Vec<_> = self
            .members
            .iter()
            .filter(|(_, entry)| entry.addr == addr && !entry.teacher)
            .map(|(other, entry)| {
                let seen = entry.announced.then(|| (entry.nick.clone(), entry.via));
                (*other, entry.room.clone(), seen)
            })
            .collect();
        for (other, place, seen) in &gone {
            self.remove(*other, Ending::Banned, config);
            if let Some((nick, via)) = seen {
                let left = EventKind::Leave {
                    nick: nick.clone(),
                    via: *via,
                };
                self.publish_in(place.clone(), *other, left, config);
            }
        }
        gone.len()
    }

    /// Refuses what would be published while events cannot be saved.
    pub(super) fn check_saving(&self) -> Result<(), ChatError> {
        match (&self.saving_failed, self.outages.is_empty()) {
            (None, true) => Ok(()),
            _ => Err(ChatError::NotSaved),
        }
    }

    /// Tells `id` alone about something; dropped if its queue is full (it is not reading).
    pub(super) fn alert(&self, id: MemberId, alert: Alert) {
        self.tell(id, Direct::Alert(alert));
    }

    /// Hands `id` something for it alone; dropped if its queue is full (it is not reading).
    pub(super) fn tell(&self, id: MemberId, direct: Direct) {
        if let Some(entry) = self.members.get(&id) {
            let _ = entry.direct.try_send(Box::new(direct));
        }
    }

    /// Tells every teacher present about something.
    pub(super) fn alert_teachers(&self, alert: &Alert) {
        for entry in self.members.values().filter(|entry| entry.teacher) {
            let _ = entry
                .direct
                .try_send(Box::new(Direct::Alert(alert.clone())));
        }
    }

    /// Whether `sender` may write privately to someone (a teacher or not) in room `room`:
    /// a student may always write to a teacher; otherwise the rules of both rooms hold (a
    /// group with private messages off is not written to from a room with them on), and a
    /// muted student may not.
    ///
    /// # Errors
    /// [`ChatError::PrivateOff`] or [`ChatError::Muted`].
    pub(super) fn check_private(
        &self,
        sender: &Entry,
        teacher: bool,
        room: &RoomName,
    ) -> Result<(), ChatError> {
        if teacher || sender.teacher {
            return Ok(());
        }
        let open = |room| self.rooms.rules(room).private;
        if !open(&sender.room) || !open(room) {
            return Err(ChatError::PrivateOff);
        }
        sender.check_mute(Instant::now(), &self.people)
    }

    /// `/msg` to `to`, who is not on this node: in a cluster, handed to the node it is on
    /// (through the publisher, so it follows what its sender did before), never stored.
    ///
    /// # Errors
    /// [`ChatError::NoSuchUser`] if nobody goes by that name, or what
    /// [`State::check_private`] refuses.
    pub(super) fn send_private_elsewhere(
        &self,
        id: MemberId,
        to: &str,
        text: String,
    ) -> Result<Arc<Private>, ChatError> {
        let gone = || ChatError::NoSuchUser(super::sanitize(to));
        let key = Nick::parse(to).map_err(|_| gone())?.key();
        let (Some(sender), Some(recipient), Sequencer::Cluster { outbox, .. }) = (
            self.members.get(&id),
            self.roster.get(&key),
            &self.sequencer,
        ) else {
            return Err(gone());
        };
        self.check_private(sender, recipient.teacher, &recipient.room)?;
        let message = Arc::new(Private {
            ts: super::event::now_ms(),
            from: sender.nick.clone(),
            via: sender.via,
            to: recipient.nick.clone(),
            text,
        });
        outbox
            .try_send(Draft::Private(recipient.home.clone(), message.clone()))
            .map_err(|_| ChatError::RecipientBusy(message.to.to_string()))?;
        Ok(message)
    }

    /// The member called `name`, if any (look-alikes included).
    pub(super) fn find(&self, name: &str) -> Option<MemberId> {
        let nick = Nick::parse(name).ok()?;
        self.by_nick.get(&nick.key()).copied()
    }

    /// Checks that `nick` may be taken by member `me` (a newcomer when `None`): not held by
    /// someone else (unless `takeover` is that holder's token), and not reserved. In a
    /// cluster, `claimed` says the cluster gave it the name already, so the other nodes'
    /// members as the log has them so far are not looked at (one may be leaving).
    pub(super) fn check_free(
        &self,
        nick: &Nick,
        me: Option<MemberId>,
        teacher: bool,
        takeover: Option<&str>,
        claimed: bool,
    ) -> Result<(), ChatError> {
        let key = nick.key();
        if !teacher && (nick.is_reserved() || self.teacher_nicks.contains(&key)) {
            return Err(ChatError::NickReserved(nick.to_string()));
        }
        if !claimed && self.roster.get(&key).is_some() {
            return Err(ChatError::NickTaken(nick.to_string()));
        }
        match self.by_nick.get(&key) {
            Some(holder) if Some(*holder) != me => {
                let owned = self.members.get(holder).is_some_and(|entry| {
                    takeover.is_some_and(|token| crate::secret::same(token, &entry.token))
                });
                if owned {
                    Ok(())
                } else {
                    Err(ChatError::NickTaken(nick.to_string()))
                }
            }
            _ => Ok(()),
        }
    }

    /// A guest name never given before in this conversation, nor held by anyone now.
    pub(super) fn next_guest(&mut self) -> Nick {
        loop {
            self.last_guest += 1;
            // "guest" and a number always make a valid nickname.
            if let Ok(nick) = Nick::parse(&format!("guest{}", self.last_guest))
                && !self.by_nick.contains_key(&nick.key())
                && self.roster.get(&nick.key()).is_none()
            {
                self.keep(Fact::Guest(self.last_guest));
                return nick;
            }
        }
    }

    /// Everyone others were told of, and `viewer` (who knows it is here), by nickname; a
    /// teacher sees everyone present.
    pub(super) fn users(&self, viewer: Option<MemberId>) -> Vec<User> {
        let sees_all = viewer
            .and_then(|viewer| self.members.get(&viewer))
            .is_some_and(|entry| entry.teacher);
        let mut users: Vec<_> = self
            .members
            .iter()
            .filter(|(id, entry)| sees_all || entry.announced || Some(**id) == viewer)
            .map(|(_, entry)| User {
                nick: entry.nick.clone(),
                via: entry.via,
                teacher: entry.teacher,
                room: entry.room.clone(),
            })
            .chain(self.roster.users())
            .collect();
        users.sort_by_cached_key(|user| user.nick.as_str().to_lowercase());
        users
    }

    pub(super) fn replay(&self, replay: Replay) -> (Vec<Arc<Event>>, u64) {
        // Without a trace of what left memory, count everything before the oldest kept.
        replay_from(&self.recent, replay, self.last_id)
    }
}

impl Entry {
    /// Who this member is for the limits that follow people: their nickname once they
    /// chose one, else their address.
    pub(super) fn person(&self) -> Person {
        if self.named {
            Person::Named(self.nick.key())
        } else {
            Person::Guest(self.addr)
        }
    }

    /// Whether the member may post now: teachers always; students unless muted, locked out
    /// or inside their slow-mode interval.
    pub(super) fn may_write(
        &self,
        now: Instant,
        room: &Rules,
        people: &People,
    ) -> Result<(), ChatError> {
        self.may_be_seen(now, room, people)?;
        if self.teacher {
            return Ok(());
        }
        let last = people
            .get(&self.person())
            .and_then(|record| record.last_post);
        if let (Some(slow), Some(last)) = (room.slow, last) {
            let next = last + slow;
            if next > now {
                return Err(ChatError::Slow(seconds_until(now, next)));
            }
        }
        Ok(())
    }

    /// Whether the member may do something everyone is shown (a message, a rename): teachers
    /// always; students unless muted or locked out.
    pub(super) fn may_be_seen(
        &self,
        now: Instant,
        room: &Rules,
        people: &People,
    ) -> Result<(), ChatError> {
        if self.teacher {
            return Ok(());
        }
        self.check_mute(now, people)?;
        if room.locked {
            return Err(ChatError::Locked);
        }
        Ok(())
    }

    pub(super) fn check_mute(&self, now: Instant, people: &People) -> Result<(), ChatError> {
        match people
            .get(&self.person())
            .and_then(|record| record.muted_until)
        {
            Some(until) if until > now => Err(ChatError::Muted(seconds_until(now, until))),
            _ => Ok(()),
        }
    }
}

/// Whether `event` opens or closes a room: in a cluster, done as it is decided on the node
/// that decides it, and as the log is read on the others.
pub(super) fn opens_or_closes(event: &Event) -> bool {
    matches!(
        &event.kind,
        EventKind::Notice {
            kind: NoticeKind::Open | NoticeKind::Close,
            ..
        }
    )
}

/// Refuses `person` a place under a name they were sent away from, until the cooldown ends.
pub(super) fn check_kicked(
    people: &People,
    person: &Person,
    now: Instant,
) -> Result<(), ChatError> {
    match people.get(person).and_then(|record| record.kicked_until) {
        Some(until) if until > now => Err(ChatError::Kicked(seconds_until(now, until))),
        _ => Ok(()),
    }
}

/// Whole seconds from `now` to `then`, rounded up.
fn seconds_until(now: Instant, then: Instant) -> u64 {
    then.duration_since(now).as_millis().div_ceil(1000) as u64
}
