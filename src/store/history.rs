//! The past beyond what the hub keeps in memory, for the runtime: read from the database,
//! when there is one, on a blocking thread so the runtime never waits on the disk.

use std::path::PathBuf;
use std::sync::Arc;

use super::Reader;
use crate::chat::{Event, Hub, RoomName, Welcome};

/// Where older events can be found.
#[derive(Clone)]
pub(crate) struct History {
    /// The database, or `None` when nothing is kept beyond memory.
    db: Option<Arc<PathBuf>>,
}

impl History {
    pub(crate) fn new(db: Option<PathBuf>) -> Self {
        Self {
            db: db.map(Arc::new),
        }
    }

    /// Completes a welcome that resumes further back than memory reaches, with at most
    /// `cap` events in all; what still does not fit is counted in `missed`.
    pub(crate) async fn complete(&self, welcome: &mut Welcome, since: u64, cap: usize) {
        let Some(db) = self.db.clone() else {
            return;
        };
        if welcome.missed == 0 {
            return;
        }
        // Up to what memory gave, or, when it gave nothing, up to what the member gets live.
        let before = welcome
            .history
            .first()
            .map_or(welcome.delivered.saturating_add(1), |event| event.id);
        let space = cap.saturating_sub(welcome.history.len());
        // A teacher watches every room: it resumes in all of them.
        let room = (!welcome.teacher).then(|| welcome.place.clone());
        let read = tokio::task::spawn_blocking(move || {
            let reader = Reader::open(&db).map_err(|error| error.to_string())?;
            let older = reader
                .between(room.as_ref(), since, before, space)
                .map_err(|error| error.to_string())?;
            let total = reader
                .count_between(room.as_ref(), since, before)
                .map_err(|error| error.to_string())?;
            Ok::<_, String>((older, total))
        })
        .await;
        match read {
            Ok(Ok((older, total))) => {
                welcome.missed = total.saturating_sub(older.len() as u64);
                let mut history: Vec<_> = older.into_iter().map(Arc::new).collect();
                history.append(&mut welcome.history);
                welcome.history = history;
            }
            Ok(Err(error)) => tracing::warn!(%error, "history not read back"),
            Err(error) => tracing::warn!(%error, "history reader failed"),
        }
    }

    /// Every public event from `since_ms` (Unix milliseconds) on, of every room or of
    /// `room` and the announcements: the whole database, or what memory holds.
    ///
    /// # Errors
    /// The database's error, as a sentence.
    pub(crate) async fn since_time(
        &self,
        hub: &Hub,
        since_ms: i64,
        room: Option<RoomName>,
    ) -> Result<Vec<Arc<Event>>, String> {
        let Some(db) = self.db.clone() else {
            let mut events = hub.since(0);
            events.retain(|event| {
                event.ts >= since_ms
                    && room
                        .as_ref()
                        .is_none_or(|room| event.room == *room || event.room.is_everywhere())
            });
            return Ok(events);
        };
        tokio::task::spawn_blocking(move || {
            let reader = Reader::open(&db).map_err(|error| error.to_string())?;
            let events = reader
                .since_time(since_ms, room.as_ref())
                .map_err(|error| error.to_string())?;
            Ok(events.into_iter().map(Arc::new).collect())
        })
        .await
        .map_err(|error| error.to_string())?
    }
}
