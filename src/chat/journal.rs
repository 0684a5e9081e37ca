//! The queue of numbered events of a durable hub, waiting to be saved: the storage thread
//! takes a batch, saves it, and only then delivers it, so nothing is shown that isn't saved.

use std::sync::{Arc, PoisonError, Weak, mpsc};
use std::time::Duration;

use super::hub::Shared;
use super::{Alert, Event, EventKind};

/// Numbered events waiting to be saved. Owned by the storage thread.
pub struct Journal {
    /// The hub sends every numbered event here, under its lock, so they arrive in id order.
    pub(super) pending: mpsc::Receiver<Arc<Event>>,
    /// Weak, so that the hub (and with it the sending side) can go away when the server
    /// stops, which ends the storage thread's loop.
    pub(super) hub: Weak<Shared>,
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

    /// Like [`Journal::next_batch`], but gives up after `wait`: `Ok(None)` then, and
    /// `Err(())` once the hub is gone and everything has been taken.
    #[expect(
        clippy::result_unit_err,
        reason = "the only error is that the hub is gone"
    )]
    pub fn next_batch_within(
        &self,
        max: usize,
        wait: Duration,
    ) -> Result<Option<Vec<Arc<Event>>>, ()> {
        let first = match self.pending.recv_timeout(wait) {
            Ok(event) => event,
            Err(mpsc::RecvTimeoutError::Timeout) => return Ok(None),
            Err(mpsc::RecvTimeoutError::Disconnected) => return Err(()),
        };
        let mut batch = vec![first];
        while batch.len() < max {
            match self.pending.try_recv() {
                Ok(event) => batch.push(event),
                Err(_) => break,
            }
        }
        Ok(Some(batch))
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
            // Arrivals and departures are not anyone's doing to be told about.
            if !matches!(event.kind, EventKind::Join { .. } | EventKind::Leave { .. }) {
                state.alert(event.origin, Alert::NotSaved);
            }
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
