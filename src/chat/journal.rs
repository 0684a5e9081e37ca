//! The queue of what a durable hub has to save: numbered events, and the facts it keeps
//! across restarts that nobody is shown. The storage thread takes a batch, saves it, and
//! only then delivers its events, so nothing is shown that isn't saved.

use std::sync::{Arc, PoisonError, Weak, mpsc};
use std::time::Duration;

use tokio::sync::watch;

use super::hub::Shared;
use super::sequencer::{Draft, Logged};
use super::{Alert, Event, RoomName};

/// Something the hub keeps across restarts that is not an event. It goes through the same
/// queue as events, so it is saved no later than any event that shows it: a saved `join`
/// of `guest7` means guest numbers up to 7 are saved as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fact {
    /// Guest numbers up to this one have been given: the next run goes on after it.
    Guest(u64),
    /// A teacher used the nickname with this look-alike key: nobody else may take it.
    TeacherNick(String),
    /// `/groups` began (`true`) or ended (`false`): the groups before it are forgotten.
    Groups(bool),
    /// The named student with this nickname key belongs to this room's group (`None`: to
    /// no group any more), so that it goes back there after a restart.
    Assigned(String, Option<RoomName>),
    /// In a cluster, a teacher banned this address: every node turns it away, and sends
    /// away those connected from there (`true`: banned by address), or only turns it away
    /// from now on (`false`: one member banned by name, as on one server). It travels in the
    /// cluster's log alone, never on disk (an address is not kept, as on one server).
    Banned(std::net::IpAddr, bool),
}

/// What waits in the journal, in the order it happened.
#[derive(Debug)]
pub(super) enum Pending {
    Event(Arc<Event>),
    Fact(Fact),
    /// In a cluster, a record of the log, applied as its batch is taken.
    Logged(Box<Logged>),
}

/// What the storage thread saves in one transaction.
#[derive(Debug, Default)]
pub struct Batch {
    /// Numbered events, in id order: delivered once saved.
    pub events: Vec<Arc<Event>>,
    /// Facts learnt meanwhile, oldest first.
    pub facts: Vec<Fact>,
    /// In a cluster, the last record of the log these come from: saved with them, so a
    /// restarted node goes on from the next one.
    pub seq: Option<u64>,
    /// In a cluster, the log's records, until they are applied.
    logged: Vec<Logged>,
}

impl Batch {
    fn push(&mut self, pending: Pending) {
        match pending {
            Pending::Event(event) => self.events.push(event),
            Pending::Fact(fact) => self.facts.push(fact),
            Pending::Logged(logged) => self.logged.push(*logged),
        }
    }

    fn len(&self) -> usize {
        self.events.len() + self.facts.len() + self.logged.len()
    }
}

/// What a durable hub has to save. Owned by the storage thread.
pub struct Journal {
    /// The hub sends every numbered event and every fact here, under its lock, so they
    /// arrive in the order they happened (events in id order).
    pub(super) pending: mpsc::Receiver<Pending>,
    /// Weak, so that the hub (and with it the sending side) can go away when the server
    /// stops, which ends the storage thread's loop.
    pub(super) hub: Weak<Shared>,
    /// In a cluster, the last record of the log delivered, for those waiting to catch up.
    pub(super) progress: Option<watch::Sender<u64>>,
}

impl Journal {
    /// Blocks until something is waiting, then takes up to `max` events and facts, oldest
    /// first. `None` once the hub is gone and everything has been taken.
    pub fn next_batch(&self, max: usize) -> Option<Batch> {
        let first = self.pending.recv().ok()?;
        Some(self.batch_from(first, max))
    }

    /// Like [`Journal::next_batch`], but gives up after `wait`: `Ok(None)` then, and
    /// `Err(())` once the hub is gone and everything has been taken.
    #[expect(
        clippy::result_unit_err,
        reason = "the only error is that the hub is gone"
    )]
    pub fn next_batch_within(&self, max: usize, wait: Duration) -> Result<Option<Batch>, ()> {
        let first = match self.pending.recv_timeout(wait) {
            Ok(pending) => pending,
            Err(mpsc::RecvTimeoutError::Timeout) => return Ok(None),
            Err(mpsc::RecvTimeoutError::Disconnected) => return Err(()),
        };
        Ok(Some(self.batch_from(first, max)))
    }

    /// `first` and whatever else is already waiting, up to `max` in all, with the log's
    /// records applied.
    fn batch_from(&self, first: Pending, max: usize) -> Batch {
        let mut batch = Batch::default();
        batch.push(first);
        while batch.len() < max {
            match self.pending.try_recv() {
                Ok(pending) => batch.push(pending),
                Err(_) => break,
            }
        }
        self.apply(&mut batch);
        batch
    }

    /// Applies the log's records of `batch` to the hub, in the log's order, leaving the
    /// events and facts they hold to be saved and delivered.
    fn apply(&self, batch: &mut Batch) {
        if batch.logged.is_empty() {
            return;
        }
        let Some(shared) = self.hub.upgrade() else {
            // The server is stopping: this run's own last records (its departures) are saved
            // all the same, up to the first that needs the hub to be applied; the next start
            // reads the rest again.
            for logged in std::mem::take(&mut batch.logged) {
                if !logged.ours && logged.what.is_some() {
                    break;
                }
                batch.seq = Some(logged.seq);
                if let Some(Draft::Event(mut event)) = logged.what {
                    event.id = logged.id;
                    batch.events.push(Arc::new(event));
                }
            }
            return;
        };
        let mut state = shared.state.lock().unwrap_or_else(PoisonError::into_inner);
        for logged in std::mem::take(&mut batch.logged) {
            batch.seq = Some(logged.seq);
            let (event, fact) = state.apply_logged(logged, &shared.config);
            batch.events.extend(event);
            batch.facts.extend(fact);
        }
    }

    /// Events that could not be saved: nobody is shown them. Whoever caused one is told,
    /// and, the first time, so are the teachers; from now on nothing new is published until
    /// [`Journal::recovered`].
    pub fn refuse(&self, batch: &[Arc<Event>], reason: &str) {
        let Some(shared) = self.hub.upgrade() else {
            return;
        };
        let mut state = shared.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.saving_failed.is_none() {
            state.alert_teachers(&Alert::SavingFailed(reason.to_owned()));
        }
        state.saving_failed = Some(reason.to_owned());
        for event in batch {
            state.refuse_event(event);
        }
    }

    /// Events are saved again: the conversation goes on, and teachers are told.
    pub fn recovered(&self) {
        let Some(shared) = self.hub.upgrade() else {
            return;
        };
        let mut state = shared.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.saving_failed.take().is_some() {
            state.alert_teachers(&Alert::SavingWorks);
        }
    }

    /// Hands a saved batch's events to every member, in order.
    pub fn deliver(&self, batch: &Batch) {
        let Some(shared) = self.hub.upgrade() else {
            return;
        };
        let mut state = shared.state.lock().unwrap_or_else(PoisonError::into_inner);
        for event in &batch.events {
            state.deliver(event.clone(), &shared.config);
        }
        drop(state);
        if let (Some(progress), Some(seq)) = (&self.progress, batch.seq) {
            progress.send_replace(seq);
        }
    }
}
