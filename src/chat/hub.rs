//! The handle on the conversation: join, speak, rename, write privately, leave. Every method
//! takes the lock of [`State`] once, briefly, and never across an `.await`.

use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, mpsc as sync_mpsc};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, watch};

use super::event::{Direct, now_ms};
use super::people::Person;
use super::rooms::Switcher;
use super::sequencer::{Draft, LogSink, OUTBOX, Sequencer, UNSAVED};
use super::state::{Arrived, Entry, State, check_kicked};
use super::{
    Alert, Arrival, ChatError, Ending, Event, EventKind, HubConfig, Journal, MAX_LINES, Member,
    MemberId, Nick, Past, Private, Replay, User, Welcome, WireRead, WireView, Wiretap, sanitize,
    sanitize_message,
};

/// How many private messages and alerts may wait for one member before more are refused.
const PRIVATE_BACKLOG: usize = 64;

/// The conversation. Cloning gives another handle to the same one.
#[derive(Clone)]
pub struct Hub {
    pub(super) shared: Arc<Shared>,
}

pub(super) struct Shared {
    /// Identifies this conversation across restarts (stored with the history).
    epoch: String,
    /// A `std` mutex, not tokio's: it is only locked inside the short, synchronous methods
    /// below, never across an `.await`, and publishing under it is what makes every member
    /// see events in id order.
    pub(super) state: Mutex<State>,
    pub(super) config: HubConfig,
}

impl Hub {
    /// Creates an empty conversation called `epoch` that delivers events as soon as they
    /// happen.
    pub fn new(config: HubConfig, epoch: String) -> Self {
        let state = State::new(&config, Past::default(), Sequencer::Immediate);
        Self::with_state(config, state, epoch)
    }

    /// Creates a conversation that continues from `past`: its recent events in memory, ids
    /// and guest numbers going on after the last ones given, the room as the teacher left
    /// it, teachers' nicknames still theirs. Events are delivered only once the returned
    /// [`Journal`] hands them back.
    pub fn durable(config: HubConfig, past: Past, epoch: String) -> (Self, Journal) {
        let (tx, rx) = sync_mpsc::channel();
        let state = State::new(&config, past, Sequencer::Journal(tx));
        let hub = Self::with_state(config, state, epoch);
        let journal = Journal {
            pending: rx,
            hub: Arc::downgrade(&hub.shared),
            progress: None,
        };
        (hub, journal)
    }

    /// Creates a conversation shared with the cluster's other nodes through its log (see
    /// `sequencer`): what it publishes goes to `outbox`, for the node's publisher; what the
    /// log holds, in order, comes back through the returned [`LogSink`] to the returned
    /// [`Journal`], which applies it, has it saved and delivers it, and tells `progress`
    /// how far it got. `home` is this run of this node; `epoch` names the log.
    pub fn clustered(
        config: HubConfig,
        past: Past,
        epoch: String,
        home: Arc<str>,
        progress: watch::Sender<u64>,
    ) -> (Self, Journal, LogSink, mpsc::Receiver<Draft>) {
        let (tx, rx) = sync_mpsc::sync_channel(UNSAVED);
        let (outbox, drafts) = mpsc::channel(OUTBOX);
        let state = State::new(&config, past, Sequencer::Cluster { outbox, home });
        let hub = Self::with_state(config, state, epoch);
        let journal = Journal {
            pending: rx,
            hub: Arc::downgrade(&hub.shared),
            progress: Some(progress),
        };
        (hub, journal, LogSink(tx), drafts)
    }

    fn with_state(config: HubConfig, state: State, epoch: String) -> Self {
        Self {
            shared: Arc::new(Shared {
                epoch,
                state: Mutex::new(state),
                config,
            }),
        }
    }

    /// Identifies this conversation across restarts.
    pub fn epoch(&self) -> &str {
        &self.shared.epoch
    }

    /// Adds a member under the nickname it asked for, or under a fresh `guestN`. Everyone,
    /// the new member included, is told of the arrival at once when `announce_after` is
    /// zero, else once it does something or its session says it has stayed (see
    /// `State::announce`). A `takeover` token matching the current holder of the nickname
    /// ends that holder's session and gives the nickname to the newcomer.
    ///
    /// The member is subscribed before the history is read and the arrival published, all
    /// under one lock: it sees every event exactly once, either in the history or live.
    ///
    /// # Errors
    /// [`ChatError::Banned`] for a banned address; [`ChatError::Kicked`] for a name sent
    /// away moments ago; [`ChatError::NickInvalid`], [`ChatError::NickTaken`] or
    /// [`ChatError::NickReserved`] for a refused nickname; [`ChatError::Unavailable`] when no
    /// resume token can be made.
    pub fn join(&self, arrival: Arrival<'_>) -> Result<(Member, Welcome), ChatError> {
        let asked = arrival.nick.map(Nick::parse).transpose()?;
        let (wanted, given) = if arrival.guest {
            (None, asked)
        } else {
            (asked, None)
        };
        let teacher = arrival.teacher;
        let token = crate::secret::token().map_err(|error| {
            tracing::error!(%error, "no resume token for a newcomer");
            ChatError::Unavailable
        })?;
        let config = &self.shared.config;
        let mut state = self.lock();
        if state.banned.contains(&arrival.addr) {
            return Err(ChatError::Banned);
        }
        let person = match &wanted {
            Some(nick) => Person::Named(nick.key()),
            None => Person::Guest(arrival.addr),
        };
        check_kicked(&state.people, &person, Instant::now())?;
        let named = wanted.is_some();
        let nick = match wanted {
            Some(nick) => {
                state.check_free(&nick, None, teacher, arrival.takeover, arrival.claimed)?;
                if let Some(&holder) = state.by_nick.get(&nick.key()) {
                    state.remove(holder, Ending::Replaced, config);
                }
                nick
            }
            None => given.unwrap_or_else(|| state.next_guest()),
        };
        state.last_member += 1;
        let id = MemberId(state.last_member);
        let (direct_tx, direct_rx) = mpsc::channel(PRIVATE_BACKLOG);
        let (end_tx, end_rx) = oneshot::channel();
        let tap = Arc::new(Wiretap::default());
        let switcher = Arc::new(Switcher::default());
        let room = state.landing(&nick, named, teacher, arrival.room);
        state.by_nick.insert(nick.key(), id);
        if teacher {
            state.reserve_for_teachers(&nick);
        }
        state.members.insert(
            id,
            Entry {
                nick: nick.clone(),
                named,
                announced: false,
                // What others are shown; the member itself keeps its transport.
                via: arrival.via.as_seen(),
                addr: arrival.addr,
                teacher,
                token: token.clone(),
                direct: direct_tx,
                end: end_tx,
                tap: tap.clone(),
                room: room.clone(),
                switcher: switcher.clone(),
            },
        );
        // A teacher watches every room; a student reads its own room's ring alone.
        let public = if teacher {
            state.rooms.watch_all()
        } else {
            state.rooms.get(&room).subscribe()
        };
        // A teacher is shown every room's past, as it watches every room from now on.
        let (history, missed) = match arrival.replay {
            Replay::Last { count, chat_only } if teacher => {
                (state.rooms.latest_of_every_room(count, chat_only), 0)
            }
            replay if teacher => state.replay(replay),
            replay => state.rooms.replay(&room, replay),
        };
        let welcome = Welcome {
            nick: nick.clone(),
            token,
            epoch: self.shared.epoch.clone(),
            teacher,
            place: room.clone(),
            rooms: state.room_list(),
            fixed: state.rooms.fixed,
            room: state.rooms.rules(&room).state(),
            users: if arrival.roster {
                state.users(Some(id))
            } else {
                Vec::new()
            },
            history,
            missed,
            delivered: state.delivered,
        };
        let via = arrival.via;
        state.note_arrival(id);
        if config.announce_after.is_zero() {
            let _ = state.announce(id, config);
        }
        drop(state);
        let channels = (public, direct_rx, end_rx);
        let member = Member::new(self.clone(), id, via, nick, channels, tap, (room, switcher));
        Ok((member, welcome))
    }

    /// Whether a newcomer from `addr` asking for nickname `nick` would be turned away before
    /// its name is even looked at: a banned address, or a name sent away moments ago. (In a
    /// cluster, checked before the name is claimed across the nodes.)
    ///
    /// # Errors
    /// [`ChatError::Banned`] or [`ChatError::Kicked`].
    pub fn check_door(&self, addr: IpAddr, nick: Option<&str>) -> Result<(), ChatError> {
        let state = self.lock();
        if state.banned.contains(&addr) {
            return Err(ChatError::Banned);
        }
        match nick.map(Nick::parse).transpose()? {
            Some(nick) => check_kicked(&state.people, &Person::Named(nick.key()), Instant::now()),
            None => Ok(()),
        }
    }

    /// How many public events have been numbered so far, in this run and before it.
    pub fn published(&self) -> u64 {
        self.lock().last_id
    }

    pub(super) fn is_member_teacher(&self, id: MemberId) -> bool {
        self.lock()
            .members
            .get(&id)
            .is_some_and(|entry| entry.teacher)
    }

    /// True if connections from `addr` are refused.
    pub fn is_banned(&self, addr: IpAddr) -> bool {
        self.lock().banned.contains(&addr)
    }

    /// Why events cannot be saved, while they cannot.
    pub fn saving_failure(&self) -> Option<String> {
        let state = self.lock();
        match (&state.saving_failed, state.outages.is_empty()) {
            (Some(reason), _) => Some(reason.clone()),
            (None, false) => Some("the cluster cannot be reached".to_owned()),
            (None, true) => None,
        }
    }

    /// Everyone present that others were told of, sorted by nickname.
    pub fn users(&self) -> Vec<User> {
        self.lock().users(None)
    }

    /// Everyone present as member `id` sees them: those announced, and itself.
    pub(super) fn users_for(&self, id: MemberId) -> Vec<User> {
        self.lock().users(Some(id))
    }

    /// Tells everyone member `id` arrived, if nobody was told yet (see `State::announce`);
    /// false if it could not be told yet.
    pub(super) fn announce(&self, id: MemberId) -> bool {
        self.lock().announce(id, &self.shared.config)
    }

    /// The latest arrivals, oldest first, and whether each is still here.
    pub(super) fn arrivals(&self) -> Vec<(Arrived, bool)> {
        let state = self.lock();
        state
            .arrivals
            .iter()
            .map(|arrived| (arrived.clone(), state.members.contains_key(&arrived.id)))
            .collect()
    }

    /// The last `count` messages kept in memory (no notices) of the room member `id` is
    /// in, oldest first.
    pub(super) fn history_for(&self, id: MemberId, count: usize) -> Vec<Arc<Event>> {
        let replay = Replay::Last {
            count,
            chat_only: true,
        };
        let state = self.lock();
        state.rooms.replay(&state.room_of(id), replay).0
    }

    /// Events after `id` still kept in memory, oldest first.
    pub fn since(&self, id: u64) -> Vec<Arc<Event>> {
        self.lock().replay(Replay::Since(id)).0
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the maps consistent (every method updates
        // them before anything that can panic), so a poisoned lock is still usable.
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn say(&self, id: MemberId, text: &str, action: bool) -> Result<(), ChatError> {
        let text = self.checked_text(text)?;
        if text.is_empty() {
            return Ok(());
        }
        let mut state = self.lock();
        state.check_saving()?;
        if !state.check_post(id, None)? {
            return Ok(());
        }
        let _ = state.announce(id, &self.shared.config);
        let Some(entry) = state.members.get(&id) else {
            return Ok(());
        };
        let kind = EventKind::Message {
            from: entry.nick.clone(),
            via: entry.via,
            text,
            action,
            teacher: entry.teacher,
        };
        state.publish(id, kind, &self.shared.config);
        Ok(())
    }

    /// Renames a member, announcing it to everyone; returns the nickname it now has, or
    /// `None` if it is no longer a member (ended while the rename was on its way). A rename
    /// is seen by everyone, so a muted or locked-out student may not.
    pub(super) fn rename(&self, id: MemberId, new: &str) -> Result<Option<Nick>, ChatError> {
        let new = Nick::parse(new)?;
        let mut state = self.lock();
        state.check_saving()?;
        let Some(entry) = state.members.get(&id) else {
            return Ok(None);
        };
        if entry.nick == new {
            return Ok(Some(new));
        }
        let teacher = entry.teacher;
        let now = Instant::now();
        entry.may_be_seen(now, state.rooms.rules(&entry.room), &state.people)?;
        let key = new.key();
        check_kicked(&state.people, &Person::Named(key.clone()), now)?;
        state.check_free(&new, Some(id), teacher, None, false)?;
        let _ = state.announce(id, &self.shared.config);
        let State {
            members, people, ..
        } = &mut *state;
        let Some(entry) = members.get_mut(&id) else {
            return Ok(None);
        };
        let was = entry.person();
        let old = std::mem::replace(&mut entry.nick, new.clone());
        let old_key = old.key();
        entry.named = true;
        people.renamed(&was, entry.person());
        let via = entry.via;
        state.by_nick.remove(&old.key());
        state.by_nick.insert(key, id);
        if teacher {
            state.reserve_for_teachers(&new);
        }
        let kind = EventKind::Rename {
            old: old.clone(),
            new: new.clone(),
            via,
        };
        state.publish(id, kind, &self.shared.config);
        state.release(old);
        state.regroup(id, &old_key, &self.shared.config);
        Ok(Some(new))
    }

    pub(super) fn send_private(
        &self,
        id: MemberId,
        to: &str,
        text: &str,
    ) -> Result<Arc<Private>, ChatError> {
        let text = self.checked_text(text)?;
        let (message, queue) = {
            let state = self.lock();
            let Some(target) = state.find(to) else {
                return state.send_private_elsewhere(id, to, text);
            };
            if target == id {
                return Err(ChatError::SelfMessage);
            }
            let (Some(sender), Some(recipient)) =
                (state.members.get(&id), state.members.get(&target))
            else {
                return Err(ChatError::NoSuchUser(sanitize(to)));
            };
            state.check_private(sender, recipient.teacher, &recipient.room)?;
            let message = Arc::new(Private {
                ts: now_ms(),
                from: sender.nick.clone(),
                via: sender.via,
                to: recipient.nick.clone(),
                text,
            });
            (message, recipient.direct.clone())
        };
        queue
            .try_send(Box::new(Direct::Private(message.clone())))
            .map_err(|_| ChatError::RecipientBusy(message.to.to_string()))?;
        Ok(message)
    }

    /// A private message from another node for one of this node's members; dropped if
    /// nobody here goes by its recipient's name any more, or its queue is full.
    pub fn receive_private(&self, message: Private) {
        let state = self.lock();
        if let Some(id) = state.find(message.to.as_str()) {
            state.tell(id, Direct::Private(Arc::new(message)));
        }
    }

    /// `/wire NICK`: the reads of `name`'s connection so far, private messages masked, and
    /// from now on each new one as it happens, for teacher `id`. A student may only look at
    /// its own.
    pub(super) fn watch_wire(&self, id: MemberId, name: &str) -> Result<WireView, ChatError> {
        let state = self.lock();
        let target = state
            .find(name)
            .ok_or_else(|| ChatError::NoSuchUser(sanitize(name)))?;
        let (Some(watcher), Some(watched)) = (state.members.get(&id), state.members.get(&target))
        else {
            return Err(ChatError::NoSuchUser(sanitize(name)));
        };
        if target == id {
            return Ok(watched.tap.view(watched.nick.clone(), watched.via, false));
        }
        if !watcher.teacher {
            return Err(ChatError::NotTeacher);
        }
        watched.tap.watch(id);
        Ok(watched.tap.view(watched.nick.clone(), watched.via, true))
    }

    /// `/wire off`: member `id` watches nobody's reads any more.
    pub(super) fn unwatch_wire(&self, id: MemberId) {
        for entry in self.lock().members.values() {
            entry.tap.unwatch(id);
        }
    }

    /// Shows the teachers watching member `id`'s connection a read it just made. A watcher
    /// that has left is forgotten.
    pub(super) fn show_read(&self, id: MemberId, watchers: &[MemberId], read: WireRead) {
        let state = self.lock();
        let Some(watched) = state.members.get(&id) else {
            return;
        };
        let view = Arc::new(WireView {
            nick: watched.nick.clone(),
            via: watched.via,
            own: false,
            live: true,
            reads: vec![read],
        });
        for watcher in watchers {
            match state.members.get(watcher) {
                Some(entry) if entry.teacher => {
                    let _ = entry
                        .direct
                        .try_send(Box::new(Direct::Alert(Alert::Wire(view.clone()))));
                }
                _ => watched.tap.unwatch(*watcher),
            }
        }
    }

    pub(super) fn leave(&self, id: MemberId) {
        self.lock().remove(id, Ending::Left, &self.shared.config);
    }

    /// Flood control for one line from member `id`: their allowance as a person, and their
    /// address's budget. A teacher is never held back, not even by students flooding from
    /// the teacher's own address.
    ///
    /// # Errors
    /// [`ChatError::Flood`] when the line is over either.
    pub(super) fn allow_line(&self, id: MemberId) -> Result<(), ChatError> {
        if self.shared.config.max_rate == 0 {
            return Ok(());
        }
        let mut state = self.lock();
        let State {
            members, people, ..
        } = &mut *state;
        match members.get(&id) {
            Some(entry) if !entry.teacher => people.allow(entry.person(), entry.addr),
            _ => Ok(()),
        }
    }

    /// Tells the teachers that flood control warned a member; the member itself is told by
    /// its refusal.
    pub(super) fn warn_of_flooding(&self, id: MemberId) {
        let state = self.lock();
        if let Some(entry) = state.members.get(&id) {
            state.alert_teachers(&Alert::FloodWarned(entry.nick.clone()));
        }
    }

    /// Silences a member for flooding (the automatic counterpart of `/mute`), telling the
    /// teachers and nobody else: the member itself is told by its refusal.
    pub(super) fn mute_for_flooding(&self, id: MemberId, duration: Duration) {
        let mut state = self.lock();
        let State {
            members, people, ..
        } = &mut *state;
        let Some(entry) = members.get(&id) else {
            return;
        };
        people.record(entry.person()).muted_until = Some(Instant::now() + duration);
        let alert = Alert::FloodMuted {
            nick: entry.nick.clone(),
            minutes: duration.as_secs().div_ceil(60),
        };
        state.alert_teachers(&alert);
    }

    pub(super) fn checked_text(&self, text: &str) -> Result<String, ChatError> {
        let text = sanitize_message(text);
        let max = self.shared.config.max_message_chars;
        if text.chars().count() > max {
            return Err(ChatError::TooLong { max });
        }
        if text.lines().count() > MAX_LINES {
            return Err(ChatError::TooManyLines { max: MAX_LINES });
        }
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::{Delivery, Via};

    fn enter(
        hub: &Hub,
        via: Via,
        nick: Option<&str>,
        replay: Replay,
        takeover: Option<&str>,
    ) -> Result<(Member, Welcome), ChatError> {
        hub.join(Arrival {
            via,
            addr: IpAddr::from([127, 0, 0, 1]),
            nick,
            guest: false,
            claimed: false,
            replay,
            takeover,
            teacher: false,
            roster: true,
            room: None,
        })
    }

    fn hub() -> Hub {
        Hub::new(HubConfig::default(), "test".into())
    }

    const NONE: Replay = Replay::Last {
        count: 0,
        chat_only: false,
    };

    #[test]
    fn guests_get_distinct_names_and_taken_names_are_refused_ignoring_case() {
        let hub = hub();
        let (_a, a) = enter(&hub, Via::Tcp, None, NONE, None).expect("join");
        let (_b, b) = enter(&hub, Via::Web, None, NONE, None).expect("join");
        assert_ne!(a.nick, b.nick);
        let (_c, _) = enter(&hub, Via::Web, Some("Alice"), NONE, None).expect("join");
        assert_eq!(
            enter(&hub, Via::Tcp, Some("alice"), NONE, None).err(),
            Some(ChatError::NickTaken("alice".into()))
        );
    }

    #[test]
    fn the_token_takes_a_nickname_back_from_a_ghost_and_nothing_else_does() {
        let hub = hub();
        let (mut ghost, first) = enter(&hub, Via::Web, Some("zoe"), NONE, None).expect("join");
        assert!(enter(&hub, Via::Web, Some("zoe"), NONE, Some("guess")).is_err());
        let (_back, again) =
            enter(&hub, Via::Web, Some("zoe"), NONE, Some(&first.token)).expect("takeover");
        assert_eq!(again.nick.as_str(), "zoe");
        assert_ne!(again.token, first.token);
        let ended = std::iter::from_fn(|| ghost.try_recv())
            .any(|delivery| matches!(delivery, Delivery::Ended(Ending::Replaced)));
        assert!(ended);
        assert_eq!(hub.users().len(), 1);
    }

    #[test]
    fn the_console_is_shown_to_others_as_the_page_is() {
        let hub = hub();
        let (mut watcher, _) = enter(&hub, Via::Tcp, None, NONE, None).expect("join");
        let (console, welcome) = enter(&hub, Via::Console, None, NONE, None).expect("join");
        assert_eq!(
            console.via(),
            Via::Console,
            "its session knows its transport"
        );
        let shown = welcome.users.iter().find(|user| user.nick == welcome.nick);
        assert_eq!(shown.map(|user| user.via), Some(Via::Web));
        let joined = std::iter::from_fn(|| watcher.try_recv()).any(|delivery| {
            matches!(&delivery, Delivery::Public(event)
                if event.kind == EventKind::Join { nick: welcome.nick.clone(), via: Via::Web })
        });
        assert!(joined);
    }

    #[test]
    fn a_guest_name_someone_chose_is_skipped() {
        let hub = hub();
        let (_taken, _) = enter(&hub, Via::Web, Some("guest1"), NONE, None).expect("join");
        let (_guest, welcome) = enter(&hub, Via::Tcp, None, NONE, None).expect("join");
        assert_eq!(welcome.nick.as_str(), "guest2");
    }

    #[test]
    fn leaving_frees_the_nickname_and_is_announced() {
        let hub = hub();
        let (mut watcher, _) = enter(&hub, Via::Web, None, NONE, None).expect("join");
        let (alice, _) = enter(&hub, Via::Tcp, Some("alice"), NONE, None).expect("join");
        drop(alice);
        let kinds: Vec<_> = std::iter::from_fn(|| watcher.try_recv())
            .filter_map(|delivery| match delivery {
                Delivery::Public(event) => Some(event.kind.clone()),
                _ => None,
            })
            .collect();
        assert!(
            matches!(kinds.last(), Some(EventKind::Leave { nick, .. }) if nick.as_str() == "alice")
        );
        assert!(enter(&hub, Via::Tcp, Some("ALICE"), NONE, None).is_ok());
    }

    #[test]
    fn since_replays_exactly_what_followed_and_counts_what_is_gone() {
        let hub = Hub::new(
            HubConfig {
                recent: 3,
                ..HubConfig::default()
            },
            "test".into(),
        );
        let (mut alice, _) = enter(&hub, Via::Tcp, Some("alice"), NONE, None).expect("join");
        for n in 0..5 {
            alice.handle(&format!("line {n}")).expect("say");
        }
        // Ids: 1 is the join, 2..=6 the lines; only 4, 5, 6 are kept.
        let ids = |events: &[Arc<Event>]| events.iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!(ids(&hub.since(4)), [5, 6]);
        let (_bob, welcome) = enter(&hub, Via::Web, None, Replay::Since(1), None).expect("join");
        assert_eq!(ids(&welcome.history), [4, 5, 6]);
        assert_eq!(welcome.missed, 2);
    }

    #[test]
    fn a_durable_hub_delivers_only_what_the_journal_hands_back_and_continues_ids() {
        let recent = vec![Event::restored(
            41,
            1,
            EventKind::Join {
                nick: Nick::parse("old").expect("valid"),
                via: Via::Tcp,
            },
        )];
        let past = Past {
            recent,
            last_id: 41,
            ..Past::default()
        };
        let (hub, journal) = Hub::durable(HubConfig::default(), past, "test".into());
        let (mut member, welcome) = enter(&hub, Via::Web, None, NONE, None).expect("join");
        assert!(welcome.history.is_empty());
        assert!(
            member.try_recv().is_none(),
            "nothing before the journal delivers"
        );
        let batch = journal.next_batch(10).expect("the join");
        assert_eq!(batch.events.iter().map(|e| e.id).collect::<Vec<_>>(), [42]);
        assert_eq!(batch.facts, [crate::chat::Fact::Guest(1)]);
        journal.deliver(&batch);
        assert!(matches!(member.try_recv(), Some(Delivery::Public(e)) if e.id == 42));
        assert_eq!(hub.since(0).len(), 2);
        drop(member);
        drop(hub);
        assert!(journal.next_batch(10).is_some(), "the leave is still saved");
        assert!(journal.next_batch(10).is_none(), "then the journal ends");
    }

    proptest::proptest! {
        /// Any input, typed by anyone: the parser never panics, and what everyone else gets
        /// (the event as TCP lines, or the error sentence) holds no control character
        /// besides each line's CR LF, and every further line starts with the continuation.
        #[test]
        fn any_line_is_handled_and_relays_no_control_characters(line in "\\PC*|[\\x00-\\x{10ffff}]{0,80}") {
            let hub = hub();
            let (mut watcher, _) = enter(&hub, Via::Tcp, None, NONE, None).expect("join");
            let (mut typist, _) = enter(&hub, Via::Tcp, None, NONE, None).expect("join");
            let catalog = crate::i18n::Lang::Fr.catalog();
            if let Err(error) = typist.handle(&line) {
                let sentence = catalog.error(&error);
                proptest::prop_assert!(!sentence.chars().any(char::is_control), "{sentence:?}");
            }
            while let Some(delivery) = watcher.try_recv() {
                if let Delivery::Public(event) = delivery {
                    let bytes = crate::wire::line::event(&event, catalog);
                    let text = String::from_utf8(bytes.to_vec()).expect("UTF-8");
                    let body = text.strip_suffix("\r\n").expect("CR LF");
                    for (n, line) in body.split("\r\n").enumerate() {
                        let continued = line.starts_with(crate::wire::line::CONTINUATION);
                        proptest::prop_assert!(n == 0 || continued, "{body:?}");
                        proptest::prop_assert!(!line.chars().any(char::is_control), "{body:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_member_that_falls_behind_the_ring_is_told_how_much_it_missed() {
        let hub = Hub::new(
            HubConfig {
                backlog: 4,
                ..HubConfig::default()
            },
            "test".into(),
        );
        let (mut slow, _) = enter(&hub, Via::Tcp, None, NONE, None).expect("join");
        let (mut talker, _) = enter(&hub, Via::Tcp, None, NONE, None).expect("join");
        for n in 0..10 {
            talker.handle(&format!("{n}")).expect("say");
        }
        // 12 events were published since `slow` subscribed (two joins, ten lines); the ring
        // kept the last 4.
        let first = slow.try_recv();
        assert!(matches!(first, Some(Delivery::Missed(8))), "{first:?}");
        let rest = std::iter::from_fn(|| slow.try_recv()).count();
        assert_eq!(rest, 4);
    }
}
