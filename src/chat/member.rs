//! One participant's handle on the conversation, held by its session. Dropping it leaves the
//! conversation, so no early return or error path can leave a ghost user behind.

use std::sync::Arc;

use tokio::sync::{broadcast, mpsc, oneshot};

use super::{ChatError, Command, Event, Hub, MemberId, Nick, Private, Via};

/// One participant, as seen by its session.
pub struct Member {
    hub: Hub,
    id: MemberId,
    via: Via,
    /// Public events, read from the hub's shared ring (see the module docs of `chat`).
    public: broadcast::Receiver<Arc<Event>>,
    /// Private messages for this member; the sender sits in the hub's entry for it.
    private: mpsc::Receiver<Arc<Private>>,
    /// Told once if the hub ends this member's session; the sender sits in the hub's entry.
    /// `None` once it has been read, as a oneshot must not be polled again.
    end: Option<oneshot::Receiver<Ending>>,
}

/// Why the hub ended a member's session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The member left (its session dropped it); nothing to tell.
    Left,
    /// Another connection took the nickname back with its token.
    Replaced,
}

/// Something for a member's session to pass on to its client.
#[derive(Debug)]
pub enum Delivery {
    /// A public event.
    Public(Arc<Event>),
    /// A private message for this member.
    Private(Arc<Private>),
    /// This many public events were skipped because the client read too slowly.
    Missed(u64),
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
    Who(Vec<(Nick, Via)>),
    /// Past messages, oldest first.
    History(Vec<Arc<Event>>),
    /// A private message was delivered.
    Sent(Arc<Private>),
    /// End the session.
    Quit,
}

impl Member {
    pub(super) fn new(
        hub: Hub,
        id: MemberId,
        via: Via,
        public: broadcast::Receiver<Arc<Event>>,
        private: mpsc::Receiver<Arc<Private>>,
        end: oneshot::Receiver<Ending>,
    ) -> Self {
        Self {
            hub,
            id,
            via,
            public,
            private,
            end: Some(end),
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

    /// Acts on one line of input: a message, or a `/` command.
    ///
    /// # Errors
    /// A [`ChatError`] for the client when the line is refused; nothing was published.
    pub fn handle(&self, line: &str) -> Result<Reply, ChatError> {
        self.run(Command::parse(line)?)
    }

    /// Carries out one command.
    ///
    /// # Errors
    /// A [`ChatError`] for the client when the command is refused; nothing was published.
    pub fn run(&self, command: Command<'_>) -> Result<Reply, ChatError> {
        match command {
            Command::Say(text) => self.hub.say(self.id, text, false).map(|()| Reply::Done),
            Command::Me(text) => self.hub.say(self.id, text, true).map(|()| Reply::Done),
            Command::Nick(nick) => self.hub.rename(self.id, nick).map(|()| Reply::Done),
            Command::Msg { to, text } => self.hub.send_private(self.id, to, text).map(Reply::Sent),
            Command::Who => Ok(Reply::Who(self.hub.users())),
            Command::History(count) => Ok(Reply::History(self.hub.history(count))),
            Command::Help => Ok(Reply::Help),
            Command::Quit => Ok(Reply::Quit),
        }
    }

    /// Waits for the next thing to pass on. Cancel-safe: nothing is lost if the future is
    /// dropped, so it can sit in a `select!`.
    pub async fn recv(&mut self) -> Delivery {
        tokio::select! {
            biased;
            why = ended(&mut self.end) => Delivery::Ended(why),
            public = self.public.recv() => public_delivery(public),
            Some(private) = self.private.recv() => Delivery::Private(private),
        }
    }

    /// The next thing to pass on, if one is ready.
    pub fn try_recv(&mut self) -> Option<Delivery> {
        use broadcast::error::TryRecvError;
        if let Some(Ok(why)) = self.end.as_mut().map(oneshot::Receiver::try_recv) {
            self.end = None;
            return Some(Delivery::Ended(why));
        }
        match self.public.try_recv() {
            Ok(event) => Some(Delivery::Public(event)),
            Err(TryRecvError::Lagged(n)) => Some(Delivery::Missed(n)),
            Err(TryRecvError::Empty | TryRecvError::Closed) => {
                self.private.try_recv().ok().map(Delivery::Private)
            }
        }
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
