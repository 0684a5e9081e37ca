//! One path for every input that changes what others see or what is stored, whatever the
//! transport: the hello that joins, then each line (a message or a command) and each rename,
//! through the same flood control, the same metrics and the same replies.

use std::net::SocketAddr;

use super::{Context, Permit, Session, Tries};
use crate::chat::{Arrival, ChatError, Replay, Reply, Via, Welcome};
use crate::cluster::Claimed;
use crate::wire::Encoding;

/// Most past events a reconnecting page is sent; older ones it missed are only counted.
const MAX_RESUME: usize = 1000;

/// What a client says about itself before joining; everything is optional.
#[derive(Debug, Default)]
pub(crate) struct Hello<'a> {
    /// The nickname wanted; a `guestN` name when `None`.
    pub(crate) nick: Option<&'a str>,
    /// Resume after this event id.
    pub(crate) since: Option<u64>,
    /// The conversation `since` belongs to.
    pub(crate) epoch: Option<&'a str>,
    /// The resume token of an earlier welcome.
    pub(crate) token: Option<&'a str>,
    /// The class password.
    pub(crate) password: Option<&'a str>,
    /// The teacher token.
    pub(crate) teacher: Option<&'a str>,
    /// The room to be in (a page coming back to the room it was in).
    pub(crate) room: Option<&'a str>,
}

/// One input from a joined client.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Input<'a> {
    /// A line typed: a message, or a `/` command.
    Line(&'a str),
    /// A line typed in a room (the first): the room a teacher's page has on screen.
    LineIn(&'a str, &'a str),
    /// Another nickname, asked for without a command (the page's rename frame).
    Rename(&'a str),
}

/// What to do after an input.
#[derive(Debug)]
pub(crate) enum Handled<F> {
    /// Send these frames (often none), and go on.
    Answer(Vec<F>),
    /// The client asked to leave.
    Leave,
}

impl Context {
    /// Joins the conversation after the door's gates: the password, and the teacher token
    /// if one is given, each guess counted in `tries`. The nickname and resume point come
    /// from `hello`; what a newcomer is shown of the past depends on `via`
    /// (`--tcp-history` messages for TCP and the console, or `--history` events and the
    /// roster for a page).
    ///
    /// # Errors
    /// A refusal from the door (password, teacher token, too many tries), or the hub's
    /// (banned, nickname taken…), with the permit given back.
    pub(crate) async fn join(
        &self,
        via: Via,
        peer: SocketAddr,
        permit: Permit,
        hello: Hello<'_>,
        mut tries: Tries,
    ) -> Result<(Session, Welcome), (ChatError, Permit, Tries)> {
        let addr = peer.ip().to_canonical();
        let door = &self.door;
        if let Err(refusal) = tries.check(|| door.check_password(addr, hello.password)) {
            return Err((refusal, permit, tries));
        }
        let teacher = hello.teacher.filter(|token| !token.is_empty());
        if let Some(token) = teacher
            && let Err(refusal) = tries.check(|| door.check_teacher_token(addr, token))
        {
            return Err((refusal, permit, tries));
        }
        let recent = match via {
            // The console shows what a TCP client sees.
            Via::Tcp | Via::Console => Replay::Last {
                count: self.config.tcp_history,
                chat_only: true,
            },
            Via::Web => Replay::Last {
                count: self.config.history,
                chat_only: false,
            },
        };
        // A `since` from another conversation (a server that lost its history) would hide
        // new events behind old ids: start afresh instead.
        let same = hello.epoch.is_none_or(|epoch| epoch == self.hub.epoch());
        let replay = match hello.since {
            Some(since) if same => Replay::Since(since),
            _ => recent,
        };
        // In a cluster, the name is claimed across the nodes first; the hub then checks it
        // here as on a lone server.
        let claimed = match &self.names {
            Some(names) => match async {
                self.hub.check_door(addr, hello.nick)?;
                names.claim_for(&self.hub, hello.nick, hello.token).await
            }
            .await
            {
                Ok(claimed) => Some(claimed),
                Err(refusal) => return Err((refusal, permit, tries)),
            },
            None => None,
        };
        // A name taken back from a node that ended: its holder leaves first, for everyone.
        if let Some(Claimed {
            nick,
            from: Some(from),
            ..
        }) = &claimed
        {
            self.hub.depart_run(from, Some(nick));
        }
        let nick = claimed.as_ref().map(|claimed| claimed.nick.as_str());
        let arrival = Arrival {
            via,
            addr,
            nick: nick.or(hello.nick),
            guest: claimed.as_ref().is_some_and(|claimed| claimed.guest),
            claimed: claimed.is_some(),
            replay,
            takeover: hello.token,
            teacher: teacher.is_some(),
            roster: via == Via::Web,
            room: hello.room,
        };
        let (member, mut welcome) = match self.hub.join(arrival) {
            Ok(joined) => joined,
            Err(refusal) => {
                // Unless one of this node's members has it (the claim was its).
                if let (Some(names), Some(claimed)) = (&self.names, claimed)
                    && !self.hub.holds(&claimed.nick)
                {
                    names.release(&claimed.nick).await;
                }
                return Err((refusal, permit, tries));
            }
        };
        if let Replay::Since(since) = replay {
            // Subscribed already: whatever happens while the database is read arrives after.
            self.history.complete(&mut welcome, since, MAX_RESUME).await;
        }
        Ok((
            Session::new(member, peer, permit, tries, self.clone()),
            welcome,
        ))
    }
}

impl Session {
    /// Acts on one input and says what to answer, encoded by `wire`.
    pub(crate) fn handle<E: Encoding>(&mut self, input: Input<'_>, wire: &E) -> Handled<E::Frame> {
        let metrics = self.context.metrics.of(self.member.via());
        metrics.received(1);
        let mut handled = match input {
            Input::Line(text) => self.member.handle(text),
            Input::LineIn(room, text) => self.member.handle_in(room, text),
            Input::Rename(nick) => self.member.rename(nick),
        };
        if let Ok(Reply::TeacherToken(token)) = &handled {
            let (door, addr) = (&self.context.door, self.peer.ip().to_canonical());
            handled = self
                .tries
                .check(|| door.check_teacher_token(addr, token))
                .map(|()| {
                    self.member.promote();
                    Reply::Done
                });
        }
        if matches!(handled, Err(ChatError::Flood | ChatError::Dropped)) {
            metrics.rate_limited();
        }
        let frames = match handled {
            Ok(Reply::Done | Reply::TeacherToken(_)) | Err(ChatError::Dropped) => Vec::new(),
            Ok(Reply::Help) => vec![wire.help(self.member.is_teacher())],
            Ok(Reply::Who(users)) => wire.who(&users),
            Ok(Reply::Arrivals(arrivals)) => vec![wire.arrivals(&arrivals)],
            Ok(Reply::History(events)) => wire.history(&events),
            Ok(Reply::Sent(message)) => vec![wire.private(&message, true)],
            Ok(Reply::Wire(view)) => vec![wire.wire(&view)],
            Ok(Reply::Unwatched) => vec![wire.unwatched()],
            Ok(Reply::Rooms(rooms, here)) => vec![wire.rooms(&rooms, &here)],
            Ok(Reply::Quit) => return Handled::Leave,
            Err(error) => vec![wire.refusal(&error)],
        };
        // A teacher's line that moved it (a silent move: nobody else is told) is answered
        // first with where it speaks now, ahead of anything said there since.
        let moved = self.member.take_moved().map(|view| wire.entered(&view));
        Handled::Answer(moved.into_iter().flatten().chain(frames).collect())
    }
}
