//! Rooms: the main room everyone lands in, the rooms teachers open, and breakout groups.
//!
//! Fan-out stays one `tokio::sync::broadcast` ring per audience, so delivering an event
//! costs the same whatever the number of rooms: each room has its own ring, which its
//! students read, and one more ring carries every room's events, which teachers read (they
//! watch every room at once). An event is sent to its room's ring and to the teachers' one;
//! an announcement (room [`RoomName::EVERYWHERE`]) to every open room's ring. Nobody reads,
//! let alone filters, the events of a room they are not in.
//!
//! Ids stay global: events are numbered under the hub's lock whatever their room, so
//! resuming is still one number, and a room's history is the events of that room in id
//! order.
//!
//! A student that changes room changes rings. The hub subscribes it to the new ring at the
//! move, under the lock, and leaves the new receiver in the member's [`Switcher`]; the
//! member keeps reading its old ring until the move's own event comes through it (the
//! journal delivers in id order, so everything said before the move in the old room has
//! come through too), and only then takes the new receiver. What the new ring holds that
//! the old one gave already (announcements) is skipped by id. An event that could not be
//! saved never comes through: the journal then undoes the move (`State::undo_move`), or,
//! for a new teacher's `/op`, leaves the switch to be taken at once (`Switcher::set_now`).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::broadcast;

use super::{ChatError, Event, EventKind, NoticeKind, Replay, RoomState, User};

/// Most rooms a conversation holds, closed ones included (a closed room keeps its history
/// and its ring, see [`Place`]): each costs a ring of `--backlog` slots.
pub const MAX_ROOMS: usize = 64;

/// Most groups `/groups N` makes.
pub const MAX_GROUPS: u64 = 32;

/// Longest room name, in characters.
pub const MAX_ROOM_CHARS: usize = 24;

/// How many ids of forgotten events each room remembers (8 KiB a room, 512 KiB at most):
/// as many as a resume may ask for (1000), so that the count of what a reader missed in
/// its room is exact; further back it is an upper bound, which the database makes exact.
const DROPS_KEPT: usize = 1024;

/// Past events a member is shown on entering a room.
const ENTER_HISTORY: usize = 20;

/// A room's name: lower-case letters, digits, `-` and `_`, so that it reads the same on
/// every transport and in `[name]` prefixes. Cheap to clone: every event carries one. Every
/// member and event of a room shares one allocation of its name ([`Rooms::name`]), so that
/// the comparison each delivery makes is one of pointers.
#[derive(Clone)]
pub struct RoomName(Arc<str>);

/// The names of the main room and of every room, shared by everyone (see [`RoomName`]).
static MAIN: LazyLock<RoomName> = LazyLock::new(|| RoomName(Arc::from(RoomName::MAIN)));
static EVERYWHERE: LazyLock<RoomName> = LazyLock::new(|| RoomName(Arc::from(RoomName::EVERYWHERE)));

impl PartialEq for RoomName {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Eq for RoomName {}

impl std::hash::Hash for RoomName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl RoomName {
    /// The room everyone lands in, on every server and in every language: clients that know
    /// nothing of rooms are in it.
    pub const MAIN: &'static str = "main";
    /// The room of an event for every room (an announcement, a room opened or closed).
    pub const EVERYWHERE: &'static str = "*";

    /// The main room.
    pub fn main() -> Self {
        MAIN.clone()
    }

    /// The scope of events for every room.
    pub fn everywhere() -> Self {
        EVERYWHERE.clone()
    }

    /// A name typed by someone, or read back from storage.
    ///
    /// # Errors
    /// [`ChatError::RoomInvalid`] for an empty, long or oddly spelled name.
    pub fn parse(name: &str) -> Result<Self, ChatError> {
        let name = name.trim().to_lowercase();
        let valid = !name.is_empty()
            && name.chars().count() <= MAX_ROOM_CHARS
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
        if valid {
            Ok(Self(Arc::from(name)))
        } else {
            Err(ChatError::RoomInvalid)
        }
    }

    /// A name read back from storage, trusted as written (`*` included).
    pub fn restored(name: &str) -> Self {
        if name.is_empty() {
            Self::main()
        } else {
            Self(Arc::from(name))
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for the main room.
    pub fn is_main(&self) -> bool {
        &*self.0 == Self::MAIN
    }

    /// True for events meant for every room.
    pub fn is_everywhere(&self) -> bool {
        &*self.0 == Self::EVERYWHERE
    }
}

impl fmt::Display for RoomName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RoomName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

/// One open room, as `/rooms` and the welcome list it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomInfo {
    /// Its name.
    pub name: RoomName,
    /// How many members are in it now (teachers count where they speak).
    pub count: usize,
    /// Its rules and topic, so that a teacher watching every room sees each one's state.
    pub rules: RoomState,
}

/// What a member is shown on entering a room: its name, rules and latest events.
#[derive(Debug)]
pub struct RoomView {
    /// The room entered.
    pub name: RoomName,
    /// Its rules and topic.
    pub rules: RoomState,
    /// Its latest events, oldest first; none for a teacher, who has seen them already
    /// (teachers watch every room).
    pub history: Vec<Arc<Event>>,
    /// Who is in it (those others were told of, and the member itself).
    pub users: Vec<User>,
    /// The member is a teacher: it now speaks in this room and still sees every room.
    pub watching: bool,
}

/// What a teacher decided about one room.
#[derive(Clone, Debug)]
pub(super) struct Rules {
    pub(super) topic: Option<String>,
    pub(super) locked: bool,
    pub(super) slow: Option<Duration>,
    pub(super) private: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            topic: None,
            locked: false,
            slow: None,
            private: true,
        }
    }
}

impl Rules {
    /// Applies a teacher's notice that sets a room's rules ([`NoticeKind::ROOM`]); any
    /// other event leaves the room as it is. The one definition of what each notice does:
    /// a teacher's command and a restart replaying the saved notices both come here.
    pub(super) fn apply(&mut self, notice: &EventKind) {
        let EventKind::Notice {
            kind, text, number, ..
        } = notice
        else {
            return;
        };
        match kind {
            NoticeKind::Topic => self.topic = (!text.is_empty()).then(|| text.clone()),
            NoticeKind::Lock => self.locked = true,
            NoticeKind::Unlock => self.locked = false,
            NoticeKind::Slow => {
                self.slow = (*number > 0).then(|| Duration::from_secs(*number));
            }
            NoticeKind::PrivateOff => self.private = false,
            NoticeKind::PrivateOn => self.private = true,
            _ => {}
        }
    }

    pub(super) fn state(&self) -> RoomState {
        RoomState {
            topic: self.topic.clone(),
            locked: self.locked,
            slow: self.slow.map_or(0, |slow| slow.as_secs()),
            private: self.private,
        }
    }
}

/// One room: open or closed, its rules, its ring and its recent events. A closed room is
/// kept (a late event of it, saved after the close, still has somewhere to go) and opens
/// again under the same name with its history.
pub(super) struct Place {
    pub(super) rules: Rules,
    pub(super) open: bool,
    /// Its students hold the receivers.
    ring: broadcast::Sender<Arc<Event>>,
    /// Its newest events, announcements included, oldest first, at most `config.recent`.
    recent: VecDeque<Arc<Event>>,
    /// The ids of the latest events pushed out of `recent`, oldest first, at most
    /// [`DROPS_KEPT`]: a reader resuming in this room is told how many of *its* events it
    /// missed, not how many ids went by in every room.
    drops: VecDeque<u64>,
    /// How many events were pushed out before those in `drops`.
    dropped_before: u64,
}

impl Place {
    fn new(backlog: usize) -> Self {
        Self {
            rules: Rules::default(),
            open: false,
            ring: broadcast::channel(backlog.max(1)).0,
            recent: VecDeque::new(),
            drops: VecDeque::new(),
            dropped_before: 0,
        }
    }

    pub(super) fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.ring.subscribe()
    }

    fn keep(&mut self, event: &Arc<Event>, recent: usize) {
        if self.recent.len() >= recent
            && let Some(gone) = self.recent.pop_front()
        {
            if self.drops.len() >= DROPS_KEPT {
                self.drops.pop_front();
                self.dropped_before += 1;
            }
            self.drops.push_back(gone.id);
        }
        if recent > 0 {
            self.recent.push_back(event.clone());
        }
    }

    /// What a member entering or resuming in this room is shown, and how many events of
    /// this room asked for are no longer in memory: exact for the last [`DROPS_KEPT`]
    /// forgotten, an upper bound further back (which the database then makes exact).
    /// Events up to `on_disk` were saved before this run and not read back.
    fn replay(&self, replay: Replay, on_disk: u64) -> (Vec<Arc<Event>>, u64) {
        let (picked, _) = replay_from(&self.recent, replay, 0);
        let missed = match replay {
            Replay::Since(after) => self.forgotten_after(after, on_disk),
            Replay::Last { .. } => 0,
        };
        (picked, missed)
    }

    /// How many events of this room after id `after` were pushed out of memory.
    fn forgotten_after(&self, after: u64, on_disk: u64) -> u64 {
        let known = self.drops.len() - self.drops.partition_point(|&id| id <= after);
        // Those forgotten before the ids kept lie between `after` and the oldest kept id.
        let older = self.drops.front().map_or(0, |&oldest| {
            let span = oldest.saturating_sub(after.saturating_add(1));
            self.dropped_before.min(span)
        });
        // Those saved before this run and not read back: an upper bound, which the
        // database makes exact.
        known as u64 + older + on_disk.saturating_sub(after)
    }

    /// Drops message `id` from what newcomers are shown.
    pub(super) fn forget(&mut self, id: u64) {
        self.recent.retain(|event| event.id != id);
    }
}

/// Every room of the conversation, and the teachers' ring of all of them.
pub(super) struct Rooms {
    places: HashMap<RoomName, Place>,
    /// Every event of every room: teachers hold the receivers.
    all: broadcast::Sender<Arc<Event>>,
    /// `/groups` is on: students stay where they were put.
    pub(super) fixed: bool,
    /// Where `/groups` put each named student (by nickname key), so that one who
    /// reconnects goes back to their group.
    pub(super) assigned: HashMap<String, RoomName>,
    backlog: usize,
    /// Events up to this id were saved before this run and not read back: no room holds
    /// them in memory, a room made later included.
    on_disk: u64,
}

impl Rooms {
    pub(super) fn new(backlog: usize) -> Self {
        let mut main = Place::new(backlog);
        main.open = true;
        Self {
            places: HashMap::from([(RoomName::main(), main)]),
            all: broadcast::channel(backlog.max(1)).0,
            fixed: false,
            assigned: HashMap::new(),
            backlog,
            on_disk: 0,
        }
    }

    /// Says that events up to `id` are on disk only (a restart read back the newer ones):
    /// resuming from before it asks the database.
    pub(super) fn on_disk_up_to(&mut self, id: u64) {
        self.on_disk = self.on_disk.max(id);
    }

    /// Room `name` under the allocation everyone in it shares (see [`RoomName`]); `name`
    /// itself for a room there never was.
    pub(super) fn name(&self, name: &RoomName) -> RoomName {
        self.places
            .get_key_value(name)
            .map_or_else(|| name.clone(), |(shared, _)| shared.clone())
    }

    /// The open room called `name`.
    ///
    /// # Errors
    /// [`ChatError::NoSuchRoom`] if no open room has that name.
    pub(super) fn open(&self, name: &RoomName) -> Result<&Place, ChatError> {
        self.places
            .get(name)
            .filter(|place| place.open)
            .ok_or_else(|| ChatError::NoSuchRoom(name.to_string()))
    }

    /// The room called `name`, open or not; the main room if there is none.
    pub(super) fn get(&self, name: &RoomName) -> &Place {
        match self.places.get(name) {
            Some(place) => place,
            None => &self.places[&RoomName::main()],
        }
    }

    /// The rules of room `name` (the main room's for an unknown one).
    pub(super) fn rules(&self, name: &RoomName) -> &Rules {
        &self.get(name).rules
    }

    /// The rules of room `name`, to change them.
    pub(super) fn rules_mut(&mut self, name: &RoomName) -> &mut Rules {
        &mut self.place_mut(name).rules
    }

    /// The room called `name`, made (closed) if there was none: events read back from
    /// storage or saved after a close always have a room.
    fn place_mut(&mut self, name: &RoomName) -> &mut Place {
        let backlog = self.backlog;
        self.places
            .entry(name.clone())
            .or_insert_with(|| Place::new(backlog))
    }

    /// Checks that room `name` may be opened (again); its `Open` notice opens it.
    ///
    /// # Errors
    /// [`ChatError::RoomExists`] if it is open, [`ChatError::TooManyRooms`] past
    /// [`MAX_ROOMS`].
    pub(super) fn check_new(&self, name: &RoomName) -> Result<(), ChatError> {
        match self.places.get(name) {
            Some(place) if place.open => Err(ChatError::RoomExists(name.to_string())),
            None if self.places.len() >= MAX_ROOMS => Err(ChatError::TooManyRooms(MAX_ROOMS)),
            _ => Ok(()),
        }
    }

    /// Checks that rooms `names` can all be opened (those not yet known count against
    /// [`MAX_ROOMS`]), so that a command opening several either opens them all or none.
    ///
    /// # Errors
    /// [`ChatError::TooManyRooms`] if they would take the conversation past [`MAX_ROOMS`].
    pub(super) fn check_room_for(&self, names: &[RoomName]) -> Result<(), ChatError> {
        let new = names
            .iter()
            .filter(|name| !self.places.contains_key(*name))
            .count();
        if self.places.len() + new > MAX_ROOMS {
            return Err(ChatError::TooManyRooms(MAX_ROOMS));
        }
        Ok(())
    }

    /// Closes room `name` (never the main room).
    pub(super) fn close(&mut self, name: &RoomName) {
        if !name.is_main()
            && let Some(place) = self.places.get_mut(name)
        {
            place.open = false;
        }
    }

    /// The open rooms, the main room first, then by name.
    pub(super) fn names(&self) -> Vec<RoomName> {
        let mut names: Vec<_> = self
            .places
            .iter()
            .filter(|(_, place)| place.open)
            .map(|(name, _)| name.clone())
            .collect();
        names.sort_by_key(|name| (!name.is_main(), name.as_str().to_owned()));
        names
    }

    /// A receiver of every room's events, for a teacher.
    pub(super) fn watch_all(&self) -> broadcast::Receiver<Arc<Event>> {
        self.all.subscribe()
    }

    /// Keeps a delivered event in its room's history and hands it to the room's ring (every
    /// open room's, for an announcement) and to the teachers' ring.
    pub(super) fn deliver(&mut self, event: &Arc<Event>, recent: usize) {
        if event.room.is_everywhere() {
            for place in self.places.values_mut() {
                if place.open {
                    place.keep(event, recent);
                }
                // Closed rooms too: a room closes as its notice is numbered, and its members
                // read its ring until their move back to main comes through, after which
                // what they have seen is skipped (`Member::sift`). An error only means nobody
                // is subscribed, which is fine.
                let _ = place.ring.send(event.clone());
            }
        } else {
            let place = self.place_mut(&event.room);
            place.keep(event, recent);
            let _ = place.ring.send(event.clone());
        }
        let _ = self.all.send(event.clone());
    }

    /// Puts an event read back from storage in its room's history (every open room's, for
    /// an announcement).
    pub(super) fn restore(&mut self, event: &Arc<Event>, recent: usize) {
        if event.room.is_everywhere() {
            for place in self.places.values_mut().filter(|place| place.open) {
                place.keep(event, recent);
            }
        } else {
            self.place_mut(&event.room).keep(event, recent);
        }
    }

    /// Applies a teacher's notice to the rooms: a room opened or closed, or a room's rules
    /// ([`NoticeKind::ROOM`]); any other event leaves them as they are. Called as each
    /// notice is numbered and as a restart reads the saved ones back, so that what a notice
    /// does is written once, and the conversation is what its events say.
    pub(super) fn apply_notice(&mut self, event: &Event) {
        let EventKind::Notice { kind, text, .. } = &event.kind else {
            return;
        };
        match kind {
            NoticeKind::Open => self.place_mut(&RoomName::restored(text)).open = true,
            NoticeKind::Close => self.close(&RoomName::restored(text)),
            kind if NoticeKind::ROOM.contains(kind) => {
                self.rules_mut(&event.room).apply(&event.kind);
            }
            _ => {}
        }
    }

    /// What a member entering or resuming in room `name` is shown, and how many of that
    /// room's events asked for are no longer in memory (see [`Place`]).
    pub(super) fn replay(&self, name: &RoomName, replay: Replay) -> (Vec<Arc<Event>>, u64) {
        self.get(name).replay(replay, self.on_disk)
    }

    /// What a teacher, who watches every room, is shown of the past on joining: the latest
    /// `count` events of each open room, in id order, so that a busy room does not crowd the
    /// quiet ones out (an announcement, kept by every room, comes once).
    pub(super) fn latest_of_every_room(&self, count: usize, chat_only: bool) -> Vec<Arc<Event>> {
        let last = Replay::Last { count, chat_only };
        let mut events: Vec<Arc<Event>> = self
            .places
            .values()
            .filter(|place| place.open)
            .flat_map(|place| place.replay(last, self.on_disk).0)
            .collect();
        events.sort_by_key(|event| event.id);
        events.dedup_by_key(|event| event.id);
        events
    }

    /// Drops message `id` from every room's history.
    pub(super) fn forget(&mut self, id: u64) {
        for place in self.places.values_mut() {
            place.forget(id);
        }
    }

    /// The longest slow-mode interval of any room.
    pub(super) fn slowest(&self) -> Duration {
        self.places
            .values()
            .filter_map(|place| place.rules.slow)
            .max()
            .unwrap_or_default()
    }

    /// What a member entering room `name` is shown.
    pub(super) fn view(&self, name: &RoomName) -> RoomView {
        let place = self.get(name);
        let last = Replay::Last {
            count: ENTER_HISTORY,
            chat_only: false,
        };
        RoomView {
            name: name.clone(),
            rules: place.rules.state(),
            history: place.replay(last, self.on_disk).0,
            users: Vec::new(),
            watching: false,
        }
    }
}

/// A change of ring waiting for its member, set by the hub under its lock and taken by the
/// member (see the module docs). Shared by the hub's entry and the member.
#[derive(Default)]
pub(crate) struct Switcher {
    /// The id from which the member takes the switch: the move's own event in the room it
    /// leaves (0: none waiting; [`NOW`]: at once, whatever comes next). Read by the member
    /// at every event without locking.
    at: AtomicU64,
    /// Boxed: every connection has a switcher, and a switch is rare and large.
    next: Mutex<Option<Box<Switch>>>,
}

/// [`Switcher::at`] for a switch to take at once.
const NOW: u64 = u64::MAX;

/// A switch's trigger while its event is not numbered yet (in a cluster, until the log
/// numbers it: see [`Switcher::arm`]). No event reaches it.
pub(super) const UNNUMBERED: u64 = u64::MAX - 1;

/// What a member does when its switch comes.
pub(crate) struct Switch {
    /// The event that triggers it; events up to it of the old scope came on the old ring.
    pub(crate) trigger: u64,
    /// The ring read so far (its room, as events name it); `None` for the teachers' ring.
    pub(crate) old: Option<RoomName>,
    /// The ring to read from now on; `None` to keep reading the same (a teacher, who reads
    /// every room).
    pub(crate) receiver: Option<broadcast::Receiver<Arc<Event>>>,
    /// The room the member is in after the switch.
    pub(crate) room: RoomName,
    /// What to show it of that room, if it changed room.
    pub(crate) view: Option<RoomView>,
}

impl Switcher {
    /// Leaves a switch for the member. One already waiting keeps its trigger and old ring
    /// (the member still reads that ring) and takes the new destination.
    pub(super) fn set(&self, mut switch: Switch) {
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(waiting) = next.take() {
            switch.trigger = waiting.trigger;
            switch.old = waiting.old;
        }
        self.at.store(switch.trigger, Ordering::Release);
        *next = Some(Box::new(switch));
    }

    /// Gives the switch waiting for its event's number that number, `id`, now the log gave
    /// it (a switch with a trigger already keeps it).
    pub(super) fn arm(&self, id: u64) {
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(switch) = next.as_mut()
            && switch.trigger == UNNUMBERED
        {
            switch.trigger = id;
            self.at.store(id, Ordering::Release);
        }
    }

    /// Takes back the switch waiting for the member, if any: the event that was to
    /// trigger it will never come (it could not be saved).
    pub(super) fn cancel(&self) -> Option<Switch> {
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        self.at.store(0, Ordering::Release);
        next.take().map(|switch| *switch)
    }

    /// Leaves a switch for the member to take at once, with whatever it receives next
    /// (see [`Switcher::take`]): for when its trigger will never be delivered.
    /// Its `trigger` still says which events the old ring gave already.
    pub(super) fn set_now(&self, switch: Switch) {
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        self.at.store(NOW, Ordering::Release);
        *next = Some(Box::new(switch));
    }

    /// The switch to take now, if event `id` (or a gap, `id` = `u64::MAX`) reached it, or
    /// one left to be taken at once ([`Switcher::set_now`]; `id` = 0 for anything that is
    /// not a public event).
    pub(crate) fn take(&self, id: u64) -> Option<Switch> {
        let at = self.at.load(Ordering::Acquire);
        if at == 0 || (id < at && at != NOW) {
            return None;
        }
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        self.at.store(0, Ordering::Release);
        next.take().map(|switch| *switch)
    }
}

/// The names `/groups` gives, from the catalog's template (`groupe-{number}`).
pub(super) fn group_name(template: &str, number: u64) -> RoomName {
    let name = template.replace("{number}", &number.to_string());
    RoomName::parse(&name).unwrap_or_else(|_| RoomName(Arc::from(format!("group-{number}"))))
}

/// What `replay` picks from `recent` (newest events, oldest first), and how many events
/// after the asked id are no longer there. `forgotten` is the newest id that may have left
/// `recent` (or never been in it); only when it is after `after` is the gap counted: up to
/// the oldest event kept, or up to `forgotten` when none is kept.
pub(super) fn replay_from(
    recent: &VecDeque<Arc<Event>>,
    replay: Replay,
    forgotten: u64,
) -> (Vec<Arc<Event>>, u64) {
    match replay {
        Replay::Last { count, chat_only } => {
            let mut picked: Vec<_> = recent
                .iter()
                .rev()
                .filter(|event| !chat_only || event.is_chat())
                .take(count)
                .cloned()
                .collect();
            picked.reverse();
            (picked, 0)
        }
        Replay::Since(after) => {
            let picked: Vec<_> = recent
                .iter()
                .filter(|event| event.id > after)
                .cloned()
                .collect();
            // Whatever came between `after` and the oldest event still in memory. An empty
            // memory is no proof of an empty gap: after a restart, a room's events may all
            // be on disk.
            let missed = if forgotten > after {
                recent
                    .front()
                    .map_or(forgotten, |oldest| oldest.id.saturating_sub(1))
                    .saturating_sub(after)
            } else {
                0
            };
            (picked, missed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lower_case_words_and_the_main_room_is_main() {
        assert_eq!(
            RoomName::parse(" Groupe-2 ").map(|n| n.to_string()),
            Ok("groupe-2".into())
        );
        assert!(RoomName::parse("").is_err());
        assert!(RoomName::parse("a b").is_err());
        assert!(RoomName::parse("*").is_err());
        assert!(RoomName::parse(&"x".repeat(25)).is_err());
        assert!(RoomName::main().is_main());
        assert_eq!(group_name("groupe-{number}", 3).as_str(), "groupe-3");
    }

    /// A notice of room `room` numbered `id`.
    fn event(id: u64, room: &RoomName) -> Arc<Event> {
        let kind = EventKind::Notice {
            kind: NoticeKind::Topic,
            by: super::super::Nick::restored("prof"),
            target: None,
            text: String::new(),
            number: 0,
        };
        Arc::new(Event::new(
            id,
            super::super::MemberId(0),
            room.clone(),
            kind,
        ))
    }

    #[test]
    fn a_room_counts_what_it_forgot_of_its_own_events_not_the_ids_of_other_rooms() {
        let (main, elsewhere) = (RoomName::main(), RoomName::restored("atelier"));
        let mut place = Place::new(4);
        // Ids 1..=40: every fourth in this room, the others elsewhere; it keeps 3.
        for id in 1..=40 {
            if id % 4 == 0 {
                place.keep(&event(id, &main), 3);
            } else {
                let _ = event(id, &elsewhere);
            }
        }
        let (kept, missed) = place.replay(Replay::Since(10), 0);
        let ids: Vec<u64> = kept.iter().map(|event| event.id).collect();
        assert_eq!(ids, [32, 36, 40]);
        assert_eq!(
            missed, 5,
            "12 to 28, of its own, were forgotten: not 21 ids"
        );
        assert_eq!(place.replay(Replay::Since(0), 0).1, 7);
        assert_eq!(place.replay(Replay::Since(36), 0).1, 0);
    }

    #[test]
    fn a_room_past_its_kept_drops_still_gives_an_upper_bound() {
        let mut place = Place::new(4);
        let total = DROPS_KEPT as u64 + 100;
        for id in 1..=total {
            place.keep(&event(id * 2, &RoomName::main()), 1);
        }
        // Every even id up to 2 * total was this room's; all but the last forgotten.
        assert_eq!(place.replay(Replay::Since(0), 0).1, total - 1);
        assert_eq!(place.replay(Replay::Since(2 * (total - 10)), 0).1, 9);
    }

    #[test]
    fn a_waiting_switch_keeps_its_trigger_when_the_member_moves_again() {
        let switcher = Switcher::default();
        let switch = |trigger, room: &str| Switch {
            trigger,
            old: Some(RoomName::main()),
            receiver: None,
            room: RoomName::restored(room),
            view: None,
        };
        switcher.set(switch(5, "a"));
        switcher.set(switch(9, "b"));
        assert!(switcher.take(4).is_none());
        let taken = switcher.take(5).expect("the first trigger");
        assert_eq!((taken.trigger, taken.room.as_str()), (5, "b"));
        assert!(switcher.take(100).is_none());
    }
}
