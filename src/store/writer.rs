//! The thread that saves events, then hands them back for delivery, in id order: nothing
//! anyone is shown is missing from the database.
//!
//! When saving fails (a full disk, a WAL that cannot be written, a database file removed
//! under tchat), the events are not delivered. The journal tells whoever caused them and the
//! teachers, and the hub publishes nothing new until saving works again; this thread tries
//! again every few seconds, and says so when it does. A database file removed or replaced
//! while tchat runs is noticed before each save and opened anew at its path, keeping the
//! conversation's id.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::Store;
use crate::chat::{Event, Journal};

/// Most events saved in one transaction.
const MAX_BATCH: usize = 1024;
/// How often a store that fails tries to save again when nothing new comes.
const RETRY_EVERY: Duration = Duration::from_secs(2);

/// Starts the writing thread.
pub(super) fn spawn(store: Store, journal: Journal) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("tchat-store".into())
        .spawn(move || {
            Writer {
                store,
                journal,
                failing: false,
            }
            .run();
        })
}

struct Writer {
    store: Store,
    journal: Journal,
    /// Saving failed, and has not worked since.
    failing: bool,
}

impl Writer {
    fn run(mut self) {
        loop {
            let batch = if self.failing {
                match self.journal.next_batch_within(MAX_BATCH, RETRY_EVERY) {
                    Ok(Some(batch)) => batch,
                    Ok(None) => {
                        let probed = self.ready().and_then(|()| self.store.probe());
                        if probed.is_ok() {
                            self.recovered();
                        }
                        continue;
                    }
                    Err(()) => return,
                }
            } else {
                match self.journal.next_batch(MAX_BATCH) {
                    Some(batch) => batch,
                    None => return,
                }
            };
            match self.save(&batch) {
                Ok(()) => {
                    if self.failing {
                        self.recovered();
                    }
                    self.journal.deliver(&batch);
                }
                Err(reason) => {
                    if !self.failing {
                        let path = self.store.path.display().to_string();
                        tracing::error!(%reason, %path, "events not saved: none is shown until they are");
                    }
                    self.failing = true;
                    self.journal.refuse(&batch, &reason);
                }
            }
        }
    }

    fn save(&mut self, batch: &[Arc<Event>]) -> Result<(), String> {
        self.ready()?;
        self.store.append(batch).map_err(|error| error.to_string())
    }

    /// Makes sure the store writes to the file at its path, opening that path anew if the
    /// file was removed or replaced.
    fn ready(&mut self) -> Result<(), String> {
        let Err(what) = self.store.check_file() else {
            return Ok(());
        };
        let path = self.store.path.clone();
        tracing::warn!(path = %path.display(), %what, "opening the database anew");
        let epoch = self.store.epoch.clone();
        let reopened = Store::open(&path).and_then(|mut store| {
            store.epoch(&epoch)?;
            Ok(store)
        });
        match reopened {
            Ok(store) => {
                self.store = store;
                Ok(())
            }
            Err(error) => Err(format!("{what}, and cannot be made again: {error}")),
        }
    }

    fn recovered(&mut self) {
        self.failing = false;
        let path = self.store.path.display().to_string();
        tracing::info!(%path, "events are saved again");
        self.journal.recovered();
    }
}
