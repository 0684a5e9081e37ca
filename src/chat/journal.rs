//! The queue of numbered events of a durable hub, waiting to be saved: the storage thread
//! takes a batch, saves it, and only then delivers it, so nothing is shown that isn't saved.

use std::sync::{Arc, PoisonError, Weak, mpsc};

use super::Event;
use super::hub::Shared;

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
