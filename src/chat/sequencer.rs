//! Who numbers what the hub publishes. Alone, the hub numbers its events itself, and
//! delivers them at once (no database) or once the storage thread saved them. In a cluster
//! the shared log numbers them: the hub hands each event, unnumbered, to its node's
//! publisher ([`Draft`]), and every node, this one included, applies what the log holds in
//! the log's order ([`Logged`], `State::apply_logged`), saves it, and only then delivers it.
//! Every node therefore shows the same events in the same order with the same ids.
//!
//! What a node decides for its own members (who is here, their nickname, their room) it
//! changes at once, as it always did, and only reads back from the log what it did not
//! decide itself: other nodes' members (the `Roster`) and a teacher's actions on its own
//! members taken elsewhere.

use std::sync::{Arc, mpsc as sync_mpsc};

use tokio::sync::mpsc;

use super::event::Direct;
use super::journal::Pending;
use super::state::State;
use super::{Alert, ChatError, Ending, Event, EventKind, Fact, Hub, MemberId, Nick};

/// Most drafts a clustered hub may have waiting for its publisher: about as many as a busy
/// class publishes in a second. Past it, what a member does is refused (it is told) rather
/// than held in memory without bound.
pub(super) const OUTBOX: usize = 4096;

/// How the hub's events get their ids.
pub(super) enum Sequencer {
    /// Numbered and delivered at once: nothing is saved.
    Immediate,
    /// Numbered here, then saved by the storage thread, which hands them back for delivery.
    Journal(sync_mpsc::Sender<Pending>),
    /// Numbered by the cluster's log (see the module docs).
    Cluster {
        /// Where drafts wait for the node's publisher, at most [`OUTBOX`].
        outbox: mpsc::Sender<Draft>,
        /// This run of this node: the node's name, a dot, the run's id.
        home: Arc<str>,
    },
}

/// What a clustered hub hands its node's publisher, in the order it decided it.
#[derive(Debug)]
pub enum Draft {
    /// An event, not numbered yet: the log numbers it.
    Event(Event),
    /// A fact every node must know too (a guest number given, a teacher's nickname, groups).
    Fact(Fact),
    /// The departure of a member of a run of a node that ended without saying goodbye (the
    /// node's name, a dot, the run's id), published by a node that outlived it.
    Departure(Event, Arc<str>),
    /// Nobody here goes by this nickname any more, once what came before is in the log:
    /// the cluster's claim on it can go. Not a record.
    Release(Nick),
    /// A private message for a member of another node (of that run): sent to that node
    /// alone, never stored. Not a record.
    Private(Arc<str>, Arc<super::Private>),
}

/// One record of the cluster's log, as a node's follower read it.
#[derive(Debug)]
pub struct Logged {
    /// Its place in the log.
    pub seq: u64,
    /// The id its event has on every node.
    pub id: u64,
    /// This very run published it: the member ids it names are this hub's, and what it
    /// changes for them was changed as it was decided.
    pub ours: bool,
    /// This node saved it before it last started: it is read again only to know who is
    /// where on the other nodes, and is neither saved nor delivered again.
    pub saved: bool,
    /// The run of a node (its name, a dot, the run's id) whose member it is about.
    pub home: Arc<str>,
    /// What it holds; `None` for a record that does not count (one stored after its
    /// publisher had given up on it and told its sender so).
    pub what: Option<Draft>,
}

/// Most records of the log read and not yet saved: about a second of a busy class. Past it,
/// the follower waits for the storage thread rather than holding the log in memory.
pub(super) const UNSAVED: usize = 8192;

/// Where a clustered node's follower hands the log's records to the storage thread, in the
/// log's order, at most [`UNSAVED`] waiting. Dropping it ends the storage thread once
/// everything is saved.
pub struct LogSink(pub(super) sync_mpsc::SyncSender<Pending>);

impl LogSink {
    /// Queues a record to be applied, saved and delivered, waiting while [`UNSAVED`] are;
    /// false once the storage thread has stopped.
    pub async fn send(&self, logged: Logged) -> bool {
        let mut pending = Pending::Logged(Box::new(logged));
        loop {
            match self.0.try_send(pending) {
                Ok(()) => return true,
                Err(sync_mpsc::TrySendError::Full(back)) => {
                    pending = back;
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                Err(sync_mpsc::TrySendError::Disconnected(_)) => return false,
            }
        }
    }
}

/// A handle on the hub that does not keep it alive: the node's publisher holds one, so
/// that the hub, once the server stops, goes away and ends its drafts.
#[derive(Clone)]
pub struct WeakHub(pub(super) std::sync::Weak<super::hub::Shared>);

impl WeakHub {
    /// The hub, while it exists.
    pub fn upgrade(&self) -> Option<Hub> {
        self.0.upgrade().map(|shared| Hub { shared })
    }
}

impl Hub {
    /// A handle on the hub that does not keep it alive.
    pub fn downgrade(&self) -> WeakHub {
        WeakHub(Arc::downgrade(&self.shared))
    }

    /// A draft the log never took in time: whoever caused it is told, and nobody is shown
    /// it (see `State::refuse_event`).
    pub fn refuse_draft(&self, draft: &Draft) {
        if let Draft::Event(event) = draft {
            self.lock().refuse_event(event);
        }
    }

    /// The cluster's log cannot take events for reason `outage` (`down`), or can again.
    /// While any outage lasts nothing new is published, as when events cannot be saved: what
    /// would be shown could not be logged, and no node numbers anything alone. Everyone is
    /// told when the node turns read-only, and when it is writable again.
    pub fn cluster_outage(&self, outage: super::Outage, down: bool) {
        let mut state = self.lock();
        let before = state.outages.is_empty();
        state.outages.retain(|held| *held != outage);
        if down {
            state.outages.push(outage);
        }
        if before == state.outages.is_empty() {
            return;
        }
        for entry in state.members.values() {
            let _ = entry
                .direct
                .try_send(Box::new(Direct::Alert(Alert::ClusterDown(down))));
        }
    }

    /// The runs of other nodes (`node.run`) that have members here, as the log tells.
    pub fn remote_runs(&self) -> Vec<Arc<str>> {
        let state = self.lock();
        let mut runs: Vec<Arc<str>> = state
            .roster
            .iter()
            .map(|remote| remote.home.clone())
            .collect();
        runs.sort_unstable();
        runs.dedup();
        runs
    }

    /// Publishes the departure of every member the log still has on run `home` of a node,
    /// which ended without saying goodbye (of the one called `nick` alone, if given: its
    /// name was taken back); returns how many.
    pub fn depart_run(&self, home: &Arc<str>, nick: Option<&Nick>) -> usize {
        let state = self.lock();
        let Sequencer::Cluster { outbox, .. } = &state.sequencer else {
            return 0;
        };
        let mut sent = 0;
        let left = state.roster.iter().filter(|remote| {
            *remote.home == **home && nick.is_none_or(|nick| nick.key() == remote.nick.key())
        });
        for remote in left {
            let kind = EventKind::Leave {
                nick: remote.nick.clone(),
                via: remote.via,
            };
            // Numbered after the arrival it ends: a later run's departure is another record.
            let event = Event::new(remote.joined, MemberId(0), remote.room.clone(), kind);
            if outbox
                .try_send(Draft::Departure(event, home.clone()))
                .is_ok()
            {
                sent += 1;
            }
        }
        sent
    }

    /// Hands the cluster what this node's conversation kept beside its events that names
    /// depend on (guest numbers given, teachers' nicknames): for a cluster that goes on from
    /// it. (Its rooms, their rules and its groups stay this node's.)
    pub fn share_kept_facts(&self) {
        let state = self.lock();
        state.keep(Fact::Guest(state.last_guest));
        for key in &state.teacher_nicks {
            state.keep(Fact::TeacherNick(key.clone()));
        }
    }

    /// A guest name for a newcomer, never given before in this conversation as far as this
    /// node knows: the cluster's claim on it decides.
    pub fn next_guest_name(&self) -> Nick {
        self.lock().next_guest()
    }

    /// Whether one of this node's members goes by `nick` (a claim on it is still needed).
    pub fn holds(&self, nick: &Nick) -> bool {
        self.lock().by_nick.contains_key(&nick.key())
    }

    /// Another node asks, for a newcomer with `token`, for the nickname `nick`: its holder
    /// here goes (as when a token takes a name back on one node) if the token is its own.
    pub fn give_up_name(&self, nick: &str, token: &str) -> bool {
        let mut state = self.lock();
        let Some(id) = state.find(nick) else {
            return false;
        };
        let owned = state
            .members
            .get(&id)
            .is_some_and(|entry| crate::secret::same(token, &entry.token));
        if owned {
            state.remove(id, Ending::Replaced, &self.shared.config);
        }
        owned
    }

    /// A rename the cluster refused (another node's member took the name first): member
    /// `id` is `old` again, and is told.
    pub fn undo_rename(&self, id: MemberId, old: &Nick, new: &Nick) {
        let mut state = self.lock();
        let State {
            members,
            people,
            by_nick,
            ..
        } = &mut *state;
        let Some(entry) = members.get_mut(&id) else {
            return;
        };
        if entry.nick != *new {
            return;
        }
        let was = entry.person();
        entry.nick = old.clone();
        people.renamed(&was, entry.person());
        by_nick.remove(&new.key());
        by_nick.insert(old.key(), id);
        state.alert(id, Alert::Refused(ChatError::NickTaken(new.to_string())));
    }
}
