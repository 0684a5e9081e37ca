//! The thread that saves events, then hands them back for delivery, in id order: nothing
//! anyone is shown is missing from the database.
//!
//! When saving fails (a full disk, a WAL that cannot be written, a database file removed
//! under tchat), the events are not delivered. The journal tells whoever caused them and the
//! teachers, and the hub publishes nothing new until saving works again; this thread tries
//! again every few seconds, and says so when it does. A failed batch's facts are kept and
//! saved with the next save that works: its events were never shown, but a guest number
//! given or a teacher's nickname taken holds all the same. A database file removed or
//! replaced while tchat runs is noticed before each save and opened anew at its path,
//! keeping the conversation's id.

use std::thread::JoinHandle;
use std::time::Duration;

use super::Store;
use crate::chat::{Batch, Fact, Journal};

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
                unsaved: Vec::new(),
            }
            .run();
        })
}

struct Writer {
    store: Store,
    journal: Journal,
    /// Saving failed, and has not worked since.
    failing: bool,
    /// Facts a failed save left unsaved, oldest first (see [`compact`]).
    unsaved: Vec<Fact>,
}

impl Writer {
    fn run(mut self) {
        loop {
            let batch = if self.failing {
                match self.journal.next_batch_within(MAX_BATCH, RETRY_EVERY) {
                    Ok(Some(batch)) => batch,
                    Ok(None) => {
                        let probed = self.ready().and_then(|()| self.store.probe(&self.unsaved));
                        if probed.is_ok() {
                            self.unsaved.clear();
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
                // The cluster's log holds these already: they are not refused, but saved
                // as soon as saving works, and nothing later is shown before them.
                Err(reason) if batch.seq.is_some() => {
                    let path = self.store.path.display().to_string();
                    tracing::error!(%reason, %path, "the cluster's events not saved: none is shown until they are");
                    self.journal.refuse(&[], &reason);
                    while self.save(&batch).is_err() {
                        std::thread::sleep(RETRY_EVERY);
                    }
                    self.recovered();
                    self.journal.deliver(&batch);
                }
                Err(reason) => {
                    if !self.failing {
                        let path = self.store.path.display().to_string();
                        tracing::error!(%reason, %path, "events not saved: none is shown until they are");
                    }
                    self.failing = true;
                    self.journal.refuse(&batch.events, &reason);
                }
            }
        }
    }

    /// Saves the batch's events with every fact not saved yet; those stay unsaved if it
    /// fails.
    fn save(&mut self, batch: &Batch) -> Result<(), String> {
        self.unsaved.extend(batch.facts.iter().cloned());
        compact(&mut self.unsaved);
        self.ready()?;
        self.store
            .append(&batch.events, &self.unsaved, batch.seq)
            .map_err(|error| error.to_string())?;
        self.unsaved.clear();
        Ok(())
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

/// Keeps unsaved facts few however long saving fails: each teacher's nickname once, only
/// the highest guest number, which stands for all those below it, and of the groups only
/// what the last `/groups` (or its end) left: the latest place of each student since.
fn compact(facts: &mut Vec<Fact>) {
    let guest = facts
        .iter()
        .filter_map(|fact| match fact {
            Fact::Guest(number) => Some(*number),
            _ => None,
        })
        .max();
    // Everything about groups before the last start or end of groups is wiped by it.
    let start = facts
        .iter()
        .rposition(|fact| matches!(fact, Fact::Groups(_)));
    let mut seen = std::collections::HashSet::new();
    let mut index = facts.len();
    // From the newest back, so that each student keeps its latest place.
    let mut kept: Vec<Fact> = facts
        .drain(..)
        .rev()
        .filter(|fact| {
            index -= 1;
            match fact {
                Fact::Guest(_) | Fact::Banned(..) => false,
                Fact::TeacherNick(key) => seen.insert(format!("t{key}")),
                Fact::Groups(_) => Some(index) == start,
                Fact::Assigned(key, _) => {
                    start.is_none_or(|start| index > start) && seen.insert(format!("g{key}"))
                }
            }
        })
        .collect();
    kept.reverse();
    *facts = kept;
    facts.extend(guest.map(Fact::Guest));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsaved_facts_keep_each_nickname_once_and_the_highest_guest() {
        let nick = |key: &str| Fact::TeacherNick(key.to_owned());
        let mut facts = vec![Fact::Guest(3), nick("prof"), Fact::Guest(9), nick("prof")];
        facts.extend([Fact::Guest(4), nick("anne")]);
        compact(&mut facts);
        assert_eq!(facts, [nick("prof"), nick("anne"), Fact::Guest(9)]);
    }

    #[test]
    fn unsaved_groups_keep_the_last_start_and_each_students_latest_place() {
        let room = |name: &str| Some(crate::chat::RoomName::restored(name));
        let put = |key: &str, name: &str| Fact::Assigned(key.to_owned(), room(name));
        let mut facts = vec![
            Fact::Groups(true),
            put("ana", "groupe-1"),
            Fact::Groups(false),
            Fact::Groups(true),
            put("ana", "groupe-2"),
            put("bob", "groupe-1"),
            Fact::TeacherNick("prof".to_owned()),
            Fact::Assigned("ana".to_owned(), None),
            put("cleo", "groupe-2"),
        ];
        compact(&mut facts);
        assert_eq!(
            facts,
            [
                Fact::Groups(true),
                put("bob", "groupe-1"),
                Fact::TeacherNick("prof".to_owned()),
                Fact::Assigned("ana".to_owned(), None),
                put("cleo", "groupe-2"),
            ]
        );
    }
}
