//! The conversation: members, nicknames, recent history and fan-out. Knows nothing about
//! sockets, HTTP or JSON; the TCP and WebSocket adapters drive it through [`Member`].
//!
//! Fan-out is one `tokio::sync::broadcast` ring shared by every member. Publishing writes an
//! `Arc<Event>` into the ring once; each member's session reads it at its own pace, so a
//! recipient costs a refcount bump and a slow one holds up nobody. The ring is every
//! member's bounded queue: a member more than [`HubConfig::backlog`] events behind skips
//! ahead to the oldest event still kept and is told how many it missed
//! ([`Delivery::Missed`]).
//!
//! A hub made with [`Hub::durable`] does not deliver an event when it is numbered: it queues
//! it on a [`Journal`], whose owner (the storage thread) saves it and only then hands it back
//! for delivery, in id order. What anyone has seen is therefore already on disk.

mod command;
mod event;
mod member;
mod moderation;
mod nick;
mod text;

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak, mpsc as sync_mpsc};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, mpsc, oneshot};

pub use command::{COMMANDS, Command, DEFAULT_HISTORY, TEACHER_COMMANDS, TeacherCommand};
pub use event::{Event, EventKind, MemberId, NoticeKind, Private, Via};
pub use member::{Delivery, Ending, Member, Reply};
pub use nick::{MAX_NICK_CHARS, Nick, NickError};
pub use text::sanitize;

/// Sizes of the hub's queues and limits.
#[derive(Clone, Debug)]
pub struct HubConfig {
    /// How many events a member may fall behind before it skips ahead (the broadcast ring).
    pub backlog: usize,
    /// How many public events stay in memory for late joiners and reconnecting pages.
    pub recent: usize,
    /// Longest message, in characters.
    pub max_message_chars: usize,
    /// The secret that makes a member a teacher (`/op TOKEN`); `None`: nobody can be one.
    pub teacher_token: Option<String>,
    /// Lines per second a member may send, with a burst of a few; 0 turns flood control off.
    pub max_rate: u32,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            backlog: 4096,
            recent: 1000,
            max_message_chars: 2000,
            teacher_token: None,
            max_rate: 0,
        }
    }
}

/// How many private messages may wait for one member before more are refused.
const PRIVATE_BACKLOG: usize = 64;

/// Why an action was refused. Each transport turns these into its own error reply.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChatError {
    /// Someone else has this nickname (ignoring case).
    #[error("nickname {0} is taken")]
    NickTaken(String),
    /// The nickname breaks the rules of [`Nick::parse`].
    #[error("invalid nickname")]
    NickInvalid,
    /// A private message for a nickname nobody has.
    #[error("nobody is called {0}")]
    NoSuchUser(String),
    /// A private message to oneself.
    #[error("cannot send a private message to yourself")]
    SelfMessage,
    /// The recipient's private queue is full: they are not reading.
    #[error("{0} is not reading messages")]
    RecipientBusy(String),
    /// A `/word` that is not a command.
    #[error("unknown command {0}")]
    UnknownCommand(String),
    /// A command without its argument; holds the usage line.
    #[error("usage: {0}")]
    Usage(&'static str),
    /// A message longer than [`HubConfig::max_message_chars`].
    #[error("message longer than {max} characters")]
    TooLong {
        /// The limit.
        max: usize,
    },
    /// A name only a teacher may use.
    #[error("the nickname {0} is reserved")]
    NickReserved(String),
    /// A teacher's command from someone who is not one.
    #[error("only a teacher can do that")]
    NotTeacher,
    /// `/op` with the wrong token.
    #[error("wrong teacher token")]
    BadToken,
    /// The member was silenced, for this many more seconds.
    #[error("muted for {0} more seconds")]
    Muted(u64),
    /// Only teachers may write for now.
    #[error("the conversation is locked")]
    Locked,
    /// Slow mode: wait this many more seconds.
    #[error("slow mode: wait {0} more seconds")]
    Slow(u64),
    /// Students may not write privately to each other for now.
    #[error("private messages are off")]
    PrivateOff,
    /// Too many lines too fast: this one was dropped.
    #[error("too many messages too fast")]
    Flood,
    /// The address is banned until the server restarts.
    #[error("banned")]
    Banned,
    /// No message with this id is kept.
    #[error("no message {0}")]
    NoSuchMessage(u64),
    /// `/pass` once already in.
    #[error("already in")]
    AlreadyIn,
    /// A line dropped by flood control after the warning: nothing to say.
    #[error("dropped")]
    Dropped,
}

impl ChatError {
    /// A stable machine-readable name, for the WebSocket `error` frame.
    pub fn code(&self) -> &'static str {
        match self {
            ChatError::NickTaken(_) => "nick_taken",
            ChatError::NickInvalid => "nick_invalid",
            ChatError::NoSuchUser(_) => "no_such_user",
            ChatError::SelfMessage => "self_message",
            ChatError::RecipientBusy(_) => "recipient_busy",
            ChatError::UnknownCommand(_) => "unknown_command",
            ChatError::Usage(_) => "usage",
            ChatError::TooLong { .. } => "too_long",
            ChatError::NickReserved(_) => "nick_reserved",
            ChatError::NotTeacher => "not_teacher",
            ChatError::BadToken => "bad_token",
            ChatError::Muted(_) => "muted",
            ChatError::Locked => "locked",
            ChatError::Slow(_) => "slow",
            ChatError::PrivateOff => "private_off",
            ChatError::Flood => "flood",
            ChatError::Banned => "banned",
            ChatError::NoSuchMessage(_) => "no_such_message",
            ChatError::AlreadyIn => "already_in",
            ChatError::Dropped => "dropped",
        }
    }
}

impl From<NickError> for ChatError {
    fn from(NickError::Invalid: NickError) -> Self {
        ChatError::NickInvalid
    }
}

/// What a joining member is first shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replay {
    /// The last `count` events; with `chat_only`, messages and actions only (no notices).
    Last {
        /// How many.
        count: usize,
        /// Skip join/leave/nick notices.
        chat_only: bool,
    },
    /// Everything after this event id: a page reconnecting after a drop.
    Since(u64),
}

/// Someone present.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Their nickname.
    pub nick: Nick,
    /// How they are connected.
    pub via: Via,
    /// True for teachers.
    pub teacher: bool,
}

/// The room's rules and topic, as a newcomer needs them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoomState {
    /// The topic, if one is set.
    pub topic: Option<String>,
    /// Only teachers may write.
    pub locked: bool,
    /// Seconds between two messages of one student; 0: no limit.
    pub slow: u64,
    /// Students may write privately to each other.
    pub private: bool,
}

/// Who is joining, and how.
#[derive(Clone, Copy, Debug)]
pub struct Arrival<'a> {
    /// The transport.
    pub via: Via,
    /// The client's address (behind a trusted proxy, the one it forwarded).
    pub addr: IpAddr,
    /// The nickname wanted; a fresh `guestN` when `None`.
    pub nick: Option<&'a str>,
    /// What to be shown of the past.
    pub replay: Replay,
    /// A resume token from an earlier welcome, to take the nickname back from a ghost.
    pub takeover: Option<&'a str>,
    /// The teacher token, to join as a teacher.
    pub teacher: Option<&'a str>,
    /// Wants the list of everyone present in the welcome. A client that shows no user list
    /// leaves it out: in a full room it is the largest part of a welcome.
    pub roster: bool,
}

impl<'a> Arrival<'a> {
    /// A newcomer with a guest name, shown the last `count` events.
    pub fn guest(via: Via, addr: IpAddr, replay: Replay) -> Self {
        Self {
            via,
            addr,
            nick: None,
            replay,
            takeover: None,
            teacher: None,
            roster: false,
        }
    }
}

/// What a member learns on joining.
#[derive(Debug)]
pub struct Welcome {
    /// The nickname the member got.
    pub nick: Nick,
    /// A secret that lets a later connection of the same person take this nickname back
    /// from this one (a page reconnecting before the server noticed the old link died).
    pub token: String,
    /// Identifies this conversation, so that a page can tell its `since` belongs to it.
    pub epoch: String,
    /// True if the member joined as a teacher.
    pub teacher: bool,
    /// The room's rules and topic.
    pub room: RoomState,
    /// Everyone present, the new member included, sorted by nickname; empty unless the
    /// arrival asked for the roster.
    pub users: Vec<User>,
    /// Past events, oldest first, as asked by [`Replay`].
    pub history: Vec<Arc<Event>>,
    /// Events asked for by [`Replay::Since`] that are no longer kept.
    pub missed: u64,
}

/// The conversation. Cloning gives another handle to the same one.
#[derive(Clone)]
pub struct Hub {
    shared: Arc<Shared>,
}

struct Shared {
    /// Identifies this conversation across restarts (stored with the history).
    epoch: String,
    /// A `std` mutex, not tokio's: it is only locked inside the short, synchronous methods
    /// below, never across an `.await`, and publishing under it is what makes every member
    /// see events in id order.
    state: Mutex<State>,
    config: HubConfig,
}

struct State {
    members: HashMap<MemberId, Entry>,
    /// Folded nickname → member, for uniqueness ignoring case.
    by_nick: HashMap<String, MemberId>,
    /// The newest public events, oldest first, at most `config.recent`.
    recent: VecDeque<Arc<Event>>,
    /// Sending side of the fan-out ring; members hold the receivers. Only used under the
    /// lock, so the ring's order is the id order.
    public: broadcast::Sender<Arc<Event>>,
    /// For a durable hub, where numbered events wait to be saved; the [`Journal`] holds the
    /// receiving end and delivers them back once they are.
    journal: Option<sync_mpsc::Sender<Arc<Event>>>,
    /// The last id given out (delivered or not).
    last_id: u64,
    last_member: u64,
    last_guest: u64,
    room: Room,
}

/// What the teacher decided about the room.
struct Room {
    topic: Option<String>,
    locked: bool,
    slow: Option<Duration>,
    private: bool,
    /// Addresses sent away with `/ban`, until restart.
    banned: HashSet<IpAddr>,
    /// Keys of nicknames teachers have used: nobody else may take them until restart.
    teacher_nicks: HashSet<String>,
}

struct Entry {
    nick: Nick,
    via: Via,
    addr: IpAddr,
    teacher: bool,
    /// Until when the member may not write (`/mute`, or flooding).
    muted_until: Option<Instant>,
    /// When the member last wrote, for slow mode.
    last_post: Option<Instant>,
    /// The secret that may take this member's nickname over (see [`Welcome::token`]).
    token: String,
    /// The member's own queue of private messages; its `Member` holds the receiver.
    private: mpsc::Sender<Arc<Private>>,
    /// Ends the member's session; its `Member` holds the receiver. Separate from the
    /// private queue so that a full queue cannot keep anyone from being ended.
    end: oneshot::Sender<Ending>,
}

impl Hub {
    /// Creates an empty conversation that delivers events as soon as they happen.
    pub fn new(config: HubConfig) -> Self {
        Self::with_state(config, Vec::new(), None, secret())
    }

    /// Creates a conversation that continues from `past` (oldest first, the last ones kept in
    /// memory) and numbers new events after `last_id`. Events are delivered only once the
    /// returned [`Journal`] hands them back.
    pub fn durable(
        config: HubConfig,
        past: Vec<Event>,
        last_id: u64,
        epoch: String,
    ) -> (Self, Journal) {
        let (tx, rx) = sync_mpsc::channel();
        let hub = Self::with_state(config, past, Some(tx), epoch);
        hub.lock().last_id = last_id;
        let journal = Journal {
            pending: rx,
            hub: Arc::downgrade(&hub.shared),
        };
        (hub, journal)
    }

    fn with_state(
        config: HubConfig,
        past: Vec<Event>,
        journal: Option<sync_mpsc::Sender<Arc<Event>>>,
        epoch: String,
    ) -> Self {
        let (public, _) = broadcast::channel(config.backlog.max(1));
        let skip = past.len().saturating_sub(config.recent);
        let recent: VecDeque<_> = past.into_iter().skip(skip).map(Arc::new).collect();
        let state = State {
            members: HashMap::new(),
            by_nick: HashMap::new(),
            last_id: recent.back().map_or(0, |event| event.id),
            recent,
            public,
            journal,
            last_member: 0,
            last_guest: 0,
            room: Room {
                topic: None,
                locked: false,
                slow: None,
                private: true,
                banned: HashSet::new(),
                teacher_nicks: HashSet::new(),
            },
        };
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

    /// The limits this hub was created with.
    pub fn config(&self) -> &HubConfig {
        &self.shared.config
    }

    /// Adds a member under the nickname it asked for, or under a fresh `guestN`, and
    /// announces the arrival to everyone, the new member included. A `takeover` token
    /// matching the current holder of the nickname ends that holder's session and gives the
    /// nickname to the newcomer. A valid `teacher` token makes the newcomer a teacher.
    ///
    /// The member is subscribed before the history is read and the arrival published, all
    /// under one lock: it sees every event exactly once, either in the history or live.
    ///
    /// # Errors
    /// [`ChatError::Banned`] for a banned address; [`ChatError::BadToken`] for a wrong
    /// teacher token; [`ChatError::NickInvalid`], [`ChatError::NickTaken`] or
    /// [`ChatError::NickReserved`] for a refused nickname.
    pub fn join(&self, arrival: Arrival<'_>) -> Result<(Member, Welcome), ChatError> {
        let wanted = arrival.nick.map(Nick::parse).transpose()?;
        let teacher = match arrival.teacher {
            Some(token) if self.is_teacher_token(token) => true,
            Some(_) => return Err(ChatError::BadToken),
            None => false,
        };
        let token = secret();
        let mut state = self.lock();
        if state.room.banned.contains(&arrival.addr) {
            return Err(ChatError::Banned);
        }
        let nick = match wanted {
            Some(nick) => {
                state.check_free(&nick, None, teacher, arrival.takeover)?;
                if let Some(&holder) = state.by_nick.get(&nick.key()) {
                    state.remove(holder, Ending::Replaced, &self.shared.config);
                }
                nick
            }
            None => state.next_guest(),
        };
        state.last_member += 1;
        let id = MemberId(state.last_member);
        let (private_tx, private_rx) = mpsc::channel(PRIVATE_BACKLOG);
        let (end_tx, end_rx) = oneshot::channel();
        state.by_nick.insert(nick.key(), id);
        if teacher {
            state.room.teacher_nicks.insert(nick.key());
        }
        state.members.insert(
            id,
            Entry {
                nick: nick.clone(),
                via: arrival.via,
                addr: arrival.addr,
                teacher,
                muted_until: None,
                last_post: None,
                token: token.clone(),
                private: private_tx,
                end: end_tx,
            },
        );
        let public = state.public.subscribe();
        let (history, missed) = state.replay(arrival.replay);
        let welcome = Welcome {
            nick: nick.clone(),
            token,
            epoch: self.shared.epoch.clone(),
            teacher,
            room: state.room.state(),
            users: if arrival.roster {
                state.users()
            } else {
                Vec::new()
            },
            history,
            missed,
        };
        let via = arrival.via;
        state.publish(id, EventKind::Join { nick, via }, &self.shared.config);
        drop(state);
        let member = Member::new(self.clone(), id, via, public, private_rx, end_rx);
        Ok((member, welcome))
    }

    /// How many public events have been numbered so far, in this run and before it.
    pub fn published(&self) -> u64 {
        self.lock().last_id
    }

    /// True if `token` is the teacher token (compared in constant time).
    pub fn is_teacher_token(&self, token: &str) -> bool {
        self.shared
            .config
            .teacher_token
            .as_deref()
            .is_some_and(|expected| same_secret(token, expected))
    }

    fn is_member_teacher(&self, id: MemberId) -> bool {
        self.lock()
            .members
            .get(&id)
            .is_some_and(|entry| entry.teacher)
    }

    /// True if connections from `addr` are refused.
    pub fn is_banned(&self, addr: IpAddr) -> bool {
        self.lock().room.banned.contains(&addr)
    }

    /// Everyone present, sorted by nickname.
    pub fn users(&self) -> Vec<User> {
        self.lock().users()
    }

    /// The last `count` messages kept in memory (no notices), oldest first.
    pub fn history(&self, count: usize) -> Vec<Arc<Event>> {
        let replay = Replay::Last {
            count,
            chat_only: true,
        };
        self.lock().replay(replay).0
    }

    /// Events after `id` still kept in memory, oldest first.
    pub fn since(&self, id: u64) -> Vec<Arc<Event>> {
        self.lock().replay(Replay::Since(id)).0
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the maps consistent (every method updates
        // them before anything that can panic), so a poisoned lock is still usable.
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn say(&self, id: MemberId, text: &str, action: bool) -> Result<(), ChatError> {
        let text = self.checked_text(text)?;
        if text.is_empty() {
            return Ok(());
        }
        let mut state = self.lock();
        let now = Instant::now();
        let (locked, slow) = (state.room.locked, state.room.slow);
        let Some(entry) = state.members.get_mut(&id) else {
            return Ok(());
        };
        entry.may_write(now, locked, slow)?;
        entry.last_post = Some(now);
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

    fn rename(&self, id: MemberId, new: &str) -> Result<(), ChatError> {
        let new = Nick::parse(new)?;
        let mut state = self.lock();
        let Some(teacher) = state.members.get(&id).map(|entry| entry.teacher) else {
            return Ok(());
        };
        state.check_free(&new, Some(id), teacher, None)?;
        let key = new.key();
        let Some(entry) = state.members.get_mut(&id) else {
            return Ok(());
        };
        if entry.nick == new {
            return Ok(());
        }
        let old = std::mem::replace(&mut entry.nick, new.clone());
        let via = entry.via;
        state.by_nick.remove(&old.key());
        state.by_nick.insert(key.clone(), id);
        if teacher {
            state.room.teacher_nicks.insert(key);
        }
        state.publish(id, EventKind::Rename { old, new, via }, &self.shared.config);
        Ok(())
    }

    fn send_private(&self, id: MemberId, to: &str, text: &str) -> Result<Arc<Private>, ChatError> {
        let text = self.checked_text(text)?;
        let (message, queue) = {
            let state = self.lock();
            let target = state
                .find(to)
                .ok_or_else(|| ChatError::NoSuchUser(sanitize(to)))?;
            if target == id {
                return Err(ChatError::SelfMessage);
            }
            let (Some(sender), Some(recipient)) =
                (state.members.get(&id), state.members.get(&target))
            else {
                return Err(ChatError::NoSuchUser(sanitize(to)));
            };
            // A student may always write to a teacher, whatever the rules of the moment.
            if !recipient.teacher && !sender.teacher {
                if !state.room.private {
                    return Err(ChatError::PrivateOff);
                }
                sender.check_mute(Instant::now())?;
            }
            let message = Arc::new(Private {
                ts: event::now_ms(),
                from: sender.nick.clone(),
                via: sender.via,
                to: recipient.nick.clone(),
                text,
            });
            (message, recipient.private.clone())
        };
        queue
            .try_send(message.clone())
            .map_err(|_| ChatError::RecipientBusy(message.to.to_string()))?;
        Ok(message)
    }

    fn leave(&self, id: MemberId) {
        self.lock().remove(id, Ending::Left, &self.shared.config);
    }

    /// Silences a member for flooding (the automatic counterpart of `/mute`).
    fn mute_for_flooding(&self, id: MemberId, duration: Duration) {
        let mut state = self.lock();
        let Some(entry) = state.members.get_mut(&id) else {
            return;
        };
        entry.muted_until = Some(Instant::now() + duration);
        let target = Some(entry.nick.clone());
        let kind = EventKind::Notice {
            kind: NoticeKind::Mute,
            by: Nick::restored("tchat"),
            target,
            text: String::new(),
            number: duration.as_secs().div_ceil(60),
        };
        state.publish(id, kind, &self.shared.config);
    }

    fn checked_text(&self, text: &str) -> Result<String, ChatError> {
        let text = sanitize(text);
        let max = self.shared.config.max_message_chars;
        if text.chars().count() > max {
            return Err(ChatError::TooLong { max });
        }
        Ok(text)
    }
}

impl State {
    /// Numbers the event, then delivers it, or queues it to be saved first.
    fn publish(&mut self, origin: MemberId, kind: EventKind, config: &HubConfig) {
        self.last_id += 1;
        let event = Arc::new(Event::new(self.last_id, origin, kind));
        match &self.journal {
            // Sent under the lock, so the journal receives events in id order. It is only
            // gone once the storage thread has stopped, and then nothing can be saved.
            Some(journal) => {
                let _ = journal.send(event);
            }
            None => self.deliver(event, config),
        }
    }

    /// Keeps the event in the recent history and hands it to every member.
    fn deliver(&mut self, event: Arc<Event>, config: &HubConfig) {
        if self.recent.len() >= config.recent {
            self.recent.pop_front();
        }
        if config.recent > 0 {
            self.recent.push_back(event.clone());
        }
        // An error only means nobody is subscribed, which is fine.
        let _ = self.public.send(event);
    }

    /// Takes a member out, tells its session why, and announces the departure (a kick or a
    /// ban announces itself instead).
    fn remove(&mut self, id: MemberId, why: Ending, config: &HubConfig) {
        let Some(entry) = self.members.remove(&id) else {
            return;
        };
        self.by_nick.remove(&entry.nick.key());
        let announce = matches!(why, Ending::Left | Ending::Replaced);
        // The session may be gone already, which is fine.
        let _ = entry.end.send(why);
        if announce {
            let kind = EventKind::Leave {
                nick: entry.nick,
                via: entry.via,
            };
            self.publish(id, kind, config);
        }
    }

    /// The member called `name`, if any (look-alikes included).
    fn find(&self, name: &str) -> Option<MemberId> {
        let nick = Nick::parse(name).ok()?;
        self.by_nick.get(&nick.key()).copied()
    }

    /// Checks that `nick` may be taken by member `me` (a newcomer when `None`): not held by
    /// someone else (unless `takeover` is that holder's token), and not reserved.
    fn check_free(
        &self,
        nick: &Nick,
        me: Option<MemberId>,
        teacher: bool,
        takeover: Option<&str>,
    ) -> Result<(), ChatError> {
        let key = nick.key();
        if !teacher && (nick.is_reserved() || self.room.teacher_nicks.contains(&key)) {
            return Err(ChatError::NickReserved(nick.to_string()));
        }
        match self.by_nick.get(&key) {
            Some(holder) if Some(*holder) != me => {
                let owned = self.members.get(holder).is_some_and(|entry| {
                    takeover.is_some_and(|token| same_secret(token, &entry.token))
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

    fn next_guest(&mut self) -> Nick {
        loop {
            self.last_guest += 1;
            // "guest" and a number always make a valid nickname.
            if let Ok(nick) = Nick::parse(&format!("guest{}", self.last_guest))
                && !self.by_nick.contains_key(&nick.key())
            {
                return nick;
            }
        }
    }

    fn users(&self) -> Vec<User> {
        let mut users: Vec<_> = self
            .members
            .values()
            .map(|entry| User {
                nick: entry.nick.clone(),
                via: entry.via,
                teacher: entry.teacher,
            })
            .collect();
        users.sort_by_cached_key(|user| user.nick.as_str().to_lowercase());
        users
    }

    fn replay(&self, replay: Replay) -> (Vec<Arc<Event>>, u64) {
        match replay {
            Replay::Last { count, chat_only } => {
                let mut picked: Vec<_> = self
                    .recent
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
                let picked: Vec<_> = self
                    .recent
                    .iter()
                    .filter(|event| event.id > after)
                    .cloned()
                    .collect();
                // Whatever came between `after` and the oldest event still in memory.
                let missed = self.recent.front().map_or(0, |oldest| {
                    oldest.id.saturating_sub(after.saturating_add(1))
                });
                (picked, missed)
            }
        }
    }
}

impl Room {
    fn state(&self) -> RoomState {
        RoomState {
            topic: self.topic.clone(),
            locked: self.locked,
            slow: self.slow.map_or(0, |slow| slow.as_secs()),
            private: self.private,
        }
    }
}

impl Entry {
    /// Whether the member may post now: teachers always; students unless muted, locked out
    /// or inside their slow-mode interval.
    fn may_write(
        &self,
        now: Instant,
        locked: bool,
        slow: Option<Duration>,
    ) -> Result<(), ChatError> {
        if self.teacher {
            return Ok(());
        }
        self.check_mute(now)?;
        if locked {
            return Err(ChatError::Locked);
        }
        if let (Some(slow), Some(last)) = (slow, self.last_post) {
            let next = last + slow;
            if next > now {
                return Err(ChatError::Slow(seconds_until(now, next)));
            }
        }
        Ok(())
    }

    fn check_mute(&self, now: Instant) -> Result<(), ChatError> {
        match self.muted_until {
            Some(until) if until > now => Err(ChatError::Muted(seconds_until(now, until))),
            _ => Ok(()),
        }
    }
}

/// Whole seconds from `now` to `then`, rounded up.
fn seconds_until(now: Instant, then: Instant) -> u64 {
    then.duration_since(now).as_millis().div_ceil(1000) as u64
}

/// 128 random bits, in hex: a resume token or a conversation id.
pub fn secret() -> String {
    let mut bytes = [0u8; 16];
    // Without an entropy source the tokens are guessable, but the server still works.
    if getrandom::fill(&mut bytes).is_err() {
        let now = event::now_ms().to_le_bytes();
        bytes[..8].copy_from_slice(&now);
    }
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Compares secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

/// The queue of numbered events of a durable hub, waiting to be saved. Owned by the storage
/// thread: it takes a batch, saves it, then delivers it.
pub struct Journal {
    pending: sync_mpsc::Receiver<Arc<Event>>,
    /// Weak, so that the hub (and with it the sending side) can go away when the server
    /// stops, which ends the storage thread's loop.
    hub: Weak<Shared>,
}

impl Journal {
    /// Blocks until at least one event is waiting, then takes up to `max` of them, oldest
    /// first. `None` once the hub is gone and everything has been taken.
    pub fn next_batch(&self, max: usize) -> Option<Vec<Arc<Event>>> {
        let first = self.pending.recv().ok()?;
        let mut batch = vec![first];
        while batch.len() < max {
            match self.pending.try_recv() {
                Ok(event) => batch.push(event),
                Err(_) => break,
            }
        }
        Some(batch)
    }

    /// Hands saved events to every member, in order.
    pub fn deliver(&self, batch: &[Arc<Event>]) {
        let Some(shared) = self.hub.upgrade() else {
            return;
        };
        let mut state = shared.state.lock().unwrap_or_else(PoisonError::into_inner);
        for event in batch {
            state.deliver(event.clone(), &shared.config);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            replay,
            takeover,
            teacher: None,
            roster: true,
        })
    }

    fn hub() -> Hub {
        Hub::new(HubConfig::default())
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
        let hub = Hub::new(HubConfig {
            recent: 3,
            ..HubConfig::default()
        });
        let (alice, _) = enter(&hub, Via::Tcp, Some("alice"), NONE, None).expect("join");
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
        let past = vec![Event::restored(
            41,
            1,
            EventKind::Join {
                nick: Nick::parse("old").expect("valid"),
                via: Via::Tcp,
            },
        )];
        let (hub, journal) = Hub::durable(HubConfig::default(), past, 41, secret());
        let (mut member, welcome) = enter(&hub, Via::Web, None, NONE, None).expect("join");
        assert!(welcome.history.is_empty());
        assert!(
            member.try_recv().is_none(),
            "nothing before the journal delivers"
        );
        let batch = journal.next_batch(10).expect("the join");
        assert_eq!(batch.iter().map(|e| e.id).collect::<Vec<_>>(), [42]);
        journal.deliver(&batch);
        assert!(matches!(member.try_recv(), Some(Delivery::Public(e)) if e.id == 42));
        assert_eq!(hub.since(0).len(), 2);
        drop(member);
        drop(hub);
        assert!(journal.next_batch(10).is_some(), "the leave is still saved");
        assert!(journal.next_batch(10).is_none(), "then the journal ends");
    }

    proptest::proptest! {
        /// Any line, typed by anyone: the parser never panics, and what everyone else gets
        /// (the event as a TCP line, or the error sentence) holds no control character
        /// besides the line's own CR LF.
        #[test]
        fn any_line_is_handled_and_relays_no_control_characters(line in "\\PC*|[\\x00-\\x{10ffff}]{0,80}") {
            let hub = hub();
            let (mut watcher, _) = enter(&hub, Via::Tcp, None, NONE, None).expect("join");
            let (typist, _) = enter(&hub, Via::Tcp, None, NONE, None).expect("join");
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
                    proptest::prop_assert!(!body.chars().any(char::is_control), "{body:?}");
                }
            }
        }
    }

    #[test]
    fn a_member_that_falls_behind_the_ring_is_told_how_much_it_missed() {
        let hub = Hub::new(HubConfig {
            backlog: 4,
            ..HubConfig::default()
        });
        let (mut slow, _) = enter(&hub, Via::Tcp, None, NONE, None).expect("join");
        let (talker, _) = enter(&hub, Via::Tcp, None, NONE, None).expect("join");
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
