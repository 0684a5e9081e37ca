//! One participant's handle on the conversation, held by its session. Dropping it leaves the
//! conversation, so no early return or error path can leave a ghost user behind.

use std::cell::Cell;
use std::sync::Arc;

use tokio::sync::{broadcast, mpsc, oneshot};

use super::event::Direct;
use super::people::{FLOOD_MUTE, FLOOD_STRIKES};
use super::rooms::Switcher;
use super::{
    Alert, Arrived, ChatError, Command, Event, Hub, Made, MemberId, Nick, Private, RoomInfo,
    RoomName, RoomView, TeacherCommand, User, Via, WireOf, WireView, Wiretap,
};

/// One participant, as seen by its session.
pub struct Member {
    hub: Hub,
    id: MemberId,
    via: Via,
    /// The nickname the member has now: only the member itself renames itself.
    nick: Nick,
    /// Public events, read from its room's ring, or every room's for a teacher (see the
    /// module docs of `chat`).
    public: broadcast::Receiver<Arc<Event>>,
    /// The room it is in, as far as its deliveries have come.
    room: RoomName,
    /// Where the hub leaves a new ring when the member changes room.
    switcher: Arc<Switcher>,
    /// After a change of ring: events up to this id of this scope (`None`: every room) came
    /// on the old ring already.
    skip: Option<(u64, Option<RoomName>)>,
    /// A delivery made by the last change of room, to pass on next.
    pending: Option<Delivery>,
    /// Where this teacher's own line just moved it: the session answers the line with it,
    /// ahead of anything said in the room since.
    moved: Option<RoomView>,
    /// Private messages and alerts for this member; the sender sits in the hub's entry.
    direct: mpsc::Receiver<Box<Direct>>,
    /// Told once if the hub ends this member's session; the sender sits in the hub's entry.
    /// `None` once it has been read, as a oneshot must not be polled again.
    end: Option<oneshot::Receiver<Ending>>,
    /// Lines dropped in a row by flood control (which counts per person, in the hub).
    strikes: Cell<u32>,
    /// The connection's last reads, for `/wire`; the hub's entry holds it too, for
    /// teachers.
    tap: Arc<Wiretap>,
}

/// What a member reads from the hub: the shared ring, its own queue, and its ending.
pub(super) type Channels = (
    broadcast::Receiver<Arc<Event>>,
    mpsc::Receiver<Box<Direct>>,
    oneshot::Receiver<Ending>,
);

/// Why the hub ended a member's session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The member left (its session dropped it); nothing to tell.
    Left,
    /// Another connection took the nickname back with its token.
    Replaced,
    /// A teacher sent the member away, with this reason (possibly empty).
    Kicked(String),
    /// A teacher banned the member's address.
    Banned,
    /// In a cluster, this node was out of reach long enough for the others to say the
    /// member left: it connects again (to this node or another).
    Lost,
}

/// Something for a member's session to pass on to its client.
#[derive(Debug)]
pub enum Delivery {
    /// A public event.
    Public(Arc<Event>),
    /// A private message for this member.
    Private(Arc<Private>),
    /// Something for this member alone.
    Alert(Alert),
    /// This many public events were skipped because the client read too slowly.
    Missed(u64),
    /// The member is now in another room: what it is shown of it. Boxed: it is rare and
    /// large, and every delivery is moved a few times on its way to the client.
    Entered(Box<RoomView>),
    /// The hub ended this member's session; nothing more will come.
    Ended(Ending),
}

/// The answer to one line of input, for the session to render.
#[derive(Debug)]
pub enum Reply {
    /// Nothing more to say: the public event is the answer.
    Done,
    /// List the commands.
    Help,
    /// Who is here.
    Who(Vec<User>),
    /// Past messages, oldest first.
    History(Vec<Arc<Event>>),
    /// A private message was delivered.
    Sent(Arc<Private>),
    /// The latest arrivals, oldest first, and whether each is still here (for a teacher).
    Arrivals(Vec<(Arrived, bool)>),
    /// `/wire`: the reads of a connection.
    Wire(WireView),
    /// `/wire off`: watching nobody's reads now.
    Unwatched,
    /// `/rooms`: the open rooms, and the one the member is in.
    Rooms(Vec<RoomInfo>, RoomName),
    /// `/op TOKEN`: the member asks to become a teacher. Secrets are checked below the
    /// conversation (the session layer's door), which then calls [`Member::promote`].
    TeacherToken(String),
    /// End the session.
    Quit,
}

impl Member {
    pub(super) fn new(
        hub: Hub,
        id: MemberId,
        via: Via,
        nick: Nick,
        (public, direct, end): Channels,
        tap: Arc<Wiretap>,
        (room, switcher): (RoomName, Arc<Switcher>),
    ) -> Self {
        Self {
            hub,
            id,
            via,
            nick,
            public,
            room,
            switcher,
            skip: None,
            pending: None,
            moved: None,
            direct,
            end: Some(end),
            strikes: Cell::new(0),
            tap,
        }
    }

    /// Keeps a read from the client's byte stream for `/wire`, and shows it to the teachers
    /// watching, if any.
    pub fn stream_read(&self, bytes: &[u8], made: Made) {
        if let Some((watchers, read)) = self.tap.stream_read(bytes, made) {
            self.hub.show_read(self.id, &watchers, read);
        }
    }

    /// Keeps a whole message from the client (a WebSocket frame) for `/wire`: `private` if
    /// it is a private message, masked for teachers.
    pub fn frame_read(&self, bytes: &[u8], made: Made, private: bool) {
        if let Some((watchers, read)) = self.tap.frame_read(bytes, made, private) {
            self.hub.show_read(self.id, &watchers, read);
        }
    }

    /// Adds to what the latest read made (a chunk that became a message after the quiet
    /// delay), telling the teachers watching.
    pub fn read_made(&self, made: Made) {
        if let Some((watchers, read)) = self.tap.made(made) {
            self.hub.show_read(self.id, &watchers, read);
        }
    }

    /// This member's id, which events carry as their `origin`.
    pub fn id(&self) -> MemberId {
        self.id
    }

    /// How this member is connected.
    pub fn via(&self) -> Via {
        self.via
    }

    /// The nickname this member has now.
    pub fn nick(&self) -> &Nick {
        &self.nick
    }

    /// The room this member is in, as far as what it was sent goes.
    pub fn room(&self) -> &RoomName {
        &self.room
    }

    /// How many public events wait for this member in the shared ring: how far behind it is.
    pub fn behind(&self) -> usize {
        self.public.len()
    }

    /// True if this member is a teacher now.
    pub fn is_teacher(&self) -> bool {
        self.hub.is_member_teacher(self.id)
    }

    /// Acts on one line of input: a message, or a `/` command. Counted by flood control,
    /// like every other way of acting on the conversation.
    ///
    /// # Errors
    /// A [`ChatError`] for the client when the line is refused; nothing was published.
    pub fn handle(&mut self, line: &str) -> Result<Reply, ChatError> {
        self.check_flood()?;
        self.run(Command::parse(line)?)
    }

    /// Acts on one line of input said in room `room` (the room a teacher's page has on
    /// screen): a teacher first moves there, as with `/join`, so its message and its room
    /// commands go to that room; a student may only name its own room. One line for flood
    /// control, the move included.
    ///
    /// # Errors
    /// [`ChatError::NotTeacher`] for a student naming another room, or whatever refuses
    /// the move or the line; a refused move says nothing.
    pub fn handle_in(&mut self, room: &str, line: &str) -> Result<Reply, ChatError> {
        self.check_flood()?;
        let moved = self.hub.act_in(self.id, room)?;
        self.moved_to(moved);
        self.run(Command::parse(line)?)
    }

    /// Where this member's last line moved it, if it is a teacher that moved: told to it
    /// alone, as the answer to the line.
    pub fn take_moved(&mut self) -> Option<RoomView> {
        self.moved.take()
    }

    fn moved_to(&mut self, view: Option<RoomView>) {
        if let Some(view) = view {
            self.room = view.name.clone();
            self.moved = Some(view);
        }
    }

    /// Takes another nickname: the same as `/nick NAME`, flood control included.
    ///
    /// # Errors
    /// A [`ChatError`] for the client when the rename is refused; nothing was published.
    pub fn rename(&mut self, nick: &str) -> Result<Reply, ChatError> {
        self.check_flood()?;
        self.run(Command::Nick(nick))
    }

    /// Flood control: past the rate, the first dropped line gets a warning, later ones are
    /// dropped silently, and a long run of them silences the member for a while.
    ///
    /// # Errors
    /// [`ChatError::Flood`] for the warning, [`ChatError::Muted`] when silenced, and
    /// [`ChatError::Dropped`] (nothing to tell the client) for a line dropped in silence.
    fn check_flood(&self) -> Result<(), ChatError> {
        if self.hub.allow_line(self.id).is_ok() {
            self.strikes.set(0);
            return Ok(());
        }
        let strikes = self.strikes.get().saturating_add(1);
        self.strikes.set(strikes);
        match strikes {
            1 => {
                self.hub.warn_of_flooding(self.id);
                Err(ChatError::Flood)
            }
            FLOOD_STRIKES => {
                self.hub.mute_for_flooding(self.id, FLOOD_MUTE);
                Err(ChatError::Muted(FLOOD_MUTE.as_secs()))
            }
            _ => Err(ChatError::Dropped),
        }
    }

    /// Carries out one command, once flood control has let it through.
    fn run(&mut self, command: Command<'_>) -> Result<Reply, ChatError> {
        match command {
            Command::Say(text) => self.hub.say(self.id, text, false).map(|()| Reply::Done),
            Command::Me(text) => self.hub.say(self.id, text, true).map(|()| Reply::Done),
            Command::Nick(nick) => {
                if let Some(nick) = self.hub.rename(self.id, nick)? {
                    self.nick = nick;
                }
                Ok(Reply::Done)
            }
            Command::Msg { to, text } => self.hub.send_private(self.id, to, text).map(Reply::Sent),
            Command::Who => Ok(Reply::Who(self.hub.users_for(self.id))),
            Command::History(count) => Ok(Reply::History(self.hub.history_for(self.id, count))),
            Command::Rooms => {
                let (rooms, here) = self.hub.rooms_for(self.id);
                Ok(Reply::Rooms(rooms, here))
            }
            Command::Join(room) => {
                let moved = self.hub.join_room(self.id, room)?;
                self.moved_to(moved);
                Ok(Reply::Done)
            }
            Command::Help => Ok(Reply::Help),
            Command::Quit => Ok(Reply::Quit),
            Command::Op(token) => Ok(Reply::TeacherToken(token.to_owned())),
            Command::Pass(_) => Err(ChatError::AlreadyIn),
            Command::Wire(WireOf::Own) => {
                let view = self.tap.view(self.nick.clone(), self.via, false);
                Ok(Reply::Wire(view))
            }
            Command::Wire(WireOf::Nick(name)) => {
                self.hub.watch_wire(self.id, name).map(Reply::Wire)
            }
            Command::Wire(WireOf::Off) => {
                self.hub.unwatch_wire(self.id);
                Ok(Reply::Unwatched)
            }
            Command::Teacher(TeacherCommand::Arrivals) if self.is_teacher() => {
                Ok(Reply::Arrivals(self.hub.arrivals()))
            }
            Command::Teacher(TeacherCommand::Arrivals) => Err(ChatError::NotTeacher),
            Command::Teacher(command) => self.hub.moderate(self.id, command).map(|()| Reply::Done),
        }
    }

    /// Tells everyone this member arrived, if nobody was told yet: for the session layer,
    /// once the member has stayed `announce_after`. False if it could not be told yet (its
    /// address announced too many arrivals of late): the session tries again later.
    pub fn announce(&self) -> bool {
        self.hub.announce(self.id)
    }

    /// Makes this member a teacher, announcing it to everyone; for the session layer, once
    /// it has checked the teacher token.
    pub fn promote(&self) {
        self.hub.op(self.id);
    }

    /// Waits for the next thing to pass on. Cancel-safe: nothing is lost if the future is
    /// dropped, so it can sit in a `select!`.
    pub async fn recv(&mut self) -> Delivery {
        loop {
            if let Some(delivery) = self.pending.take() {
                return delivery;
            }
            let delivery = tokio::select! {
                biased;
                why = ended(&mut self.end) => Delivery::Ended(why),
                public = self.public.recv() => public_delivery(public),
                Some(direct) = self.direct.recv() => direct_delivery(*direct),
            };
            if let Some(delivery) = self.sift(delivery) {
                return delivery;
            }
        }
    }

    /// The next thing to pass on, if one is ready.
    pub fn try_recv(&mut self) -> Option<Delivery> {
        use broadcast::error::TryRecvError;
        loop {
            if let Some(delivery) = self.pending.take() {
                return Some(delivery);
            }
            if let Some(Ok(why)) = self.end.as_mut().map(oneshot::Receiver::try_recv) {
                self.end = None;
                return Some(Delivery::Ended(why));
            }
            let delivery = match self.public.try_recv() {
                Ok(event) => Delivery::Public(event),
                Err(TryRecvError::Lagged(n)) => Delivery::Missed(n),
                Err(TryRecvError::Empty | TryRecvError::Closed) => {
                    direct_delivery(*self.direct.try_recv().ok()?)
                }
            };
            if let Some(delivery) = self.sift(delivery) {
                return Some(delivery);
            }
        }
    }

    /// Takes a change of room when its event (or a gap) comes, and drops what the new ring
    /// repeats of the old one; `None` for a delivery dropped.
    fn sift(&mut self, delivery: Delivery) -> Option<Delivery> {
        let reached = match &delivery {
            Delivery::Public(event) => {
                if let Some((upto, scope)) = &self.skip {
                    if event.id > *upto {
                        self.skip = None;
                    } else if scope
                        .as_ref()
                        .is_none_or(|old| event.room == *old || event.room.is_everywhere())
                    {
                        return None;
                    }
                }
                event.id
            }
            Delivery::Missed(_) => u64::MAX,
            // A teacher's silent move comes through its own queue.
            Delivery::Entered(view) => {
                self.room = view.name.clone();
                return Some(delivery);
            }
            // Only a switch left to be taken at once (its event was never saved).
            _ => 0,
        };
        if let Some(switch) = self.switcher.take(reached) {
            if let Some(receiver) = switch.receiver {
                self.public = receiver;
                self.skip = Some((switch.trigger, switch.old));
            }
            self.room = switch.room;
            self.pending = switch.view.map(|view| Delivery::Entered(Box::new(view)));
        }
        Some(delivery)
    }
}

/// Resolves when the hub ends the session; never, once that has been read.
async fn ended(end: &mut Option<oneshot::Receiver<Ending>>) -> Ending {
    let Some(receiver) = end else {
        return std::future::pending().await;
    };
    let why = receiver.await;
    *end = None;
    match why {
        Ok(why) => why,
        // The hub always says why before dropping the sender; if not, nothing ends.
        Err(_) => std::future::pending().await,
    }
}

fn direct_delivery(direct: Direct) -> Delivery {
    match direct {
        Direct::Private(message) => Delivery::Private(message),
        Direct::Alert(alert) => Delivery::Alert(alert),
        Direct::Entered(view) => Delivery::Entered(Box::new(view)),
    }
}

fn public_delivery(received: Result<Arc<Event>, broadcast::error::RecvError>) -> Delivery {
    match received {
        Ok(event) => Delivery::Public(event),
        Err(broadcast::error::RecvError::Lagged(n)) => Delivery::Missed(n),
        // The hub holds the sender for as long as any member exists, so this cannot happen;
        // if it did, waiting for private messages alone would be the right thing to do.
        Err(broadcast::error::RecvError::Closed) => Delivery::Missed(0),
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.hub.leave(self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::Delivery;

    #[test]
    fn a_delivery_stays_small_as_every_one_is_moved_on_its_way_to_the_client() {
        assert!(
            size_of::<Delivery>() <= 32,
            "{} bytes",
            size_of::<Delivery>()
        );
    }
}
