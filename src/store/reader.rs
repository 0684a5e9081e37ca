//! Reading the database: short-lived read-only connections for transcripts, `tchat export`
//! and pages catching up, beside the writing thread (WAL mode allows both).

use std::path::Path;

use rusqlite::{Connection, OpenFlags, params};

use super::StoreError;
use super::schema::{COLUMNS, Stored, events_of, sql};
use crate::chat::{Event, RoomName};

/// A read-only view of a database, for transcripts and catching up.
pub struct Reader {
    connection: Connection,
    /// What queries read events from: the table, or a view of an older one (see
    /// [`events_of`]).
    events: &'static str,
}

impl Reader {
    /// Opens an existing database for reading.
    ///
    /// # Errors
    /// [`StoreError`] naming the path if it does not exist or is not a database.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let sqlite = |source| StoreError::Sqlite {
            path: path.to_owned(),
            source,
        };
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sqlite)?;
        // Fails here, not later, on a file that is not a tchat database.
        connection
            .query_row("SELECT COUNT(*) FROM events WHERE id < 0", [], |_| Ok(()))
            .map_err(sqlite)?;
        let version: i64 = connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(sqlite)?;
        Ok(Self {
            connection,
            events: events_of(version),
        })
    }

    /// Events of `room` (announcements included; of every room for `None`) with
    /// `after < id < before`, oldest first;
    /// at most `limit`, the newest ones.
    ///
    /// # Errors
    /// SQLite's error.
    pub fn between(
        &self,
        room: Option<&RoomName>,
        after: u64,
        before: u64,
        limit: usize,
    ) -> rusqlite::Result<Vec<Event>> {
        let mut events = query(
            &self.connection,
            &format!(
                "SELECT {COLUMNS} FROM {}
                 WHERE id > ?1 AND id < ?2 AND (?4 IS NULL OR room IN (?4, '*')) ORDER BY id DESC LIMIT ?3",
                self.events
            ),
            params![
                sql(after),
                sql(before),
                i64::try_from(limit).unwrap_or(i64::MAX),
                room.map(RoomName::as_str),
            ],
        )?;
        events.reverse();
        Ok(events)
    }

    /// How many events of `room` (announcements included; of every room for `None`) have
    /// `after < id < before`.
    ///
    /// # Errors
    /// SQLite's error.
    pub fn count_between(
        &self,
        room: Option<&RoomName>,
        after: u64,
        before: u64,
    ) -> rusqlite::Result<u64> {
        let count: i64 = self.connection.query_row(
            &format!(
                "SELECT COUNT(*) FROM {} WHERE id > ?1 AND id < ?2 AND (?3 IS NULL OR room IN (?3, '*'))",
                self.events
            ),
            params![sql(after), sql(before), room.map(RoomName::as_str)],
            |row| row.get(0),
        )?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Every event from `since_ms` (Unix milliseconds) on, oldest first: of every room, or
    /// of `room` and the announcements to every room.
    ///
    /// # Errors
    /// SQLite's error.
    pub fn since_time(
        &self,
        since_ms: i64,
        room: Option<&RoomName>,
    ) -> rusqlite::Result<Vec<Event>> {
        query(
            &self.connection,
            &format!(
                "SELECT {COLUMNS} FROM {}
                 WHERE ts >= ?1 AND (?2 IS NULL OR room IN (?2, '*')) ORDER BY id",
                self.events
            ),
            params![since_ms, room.map(RoomName::as_str)],
        )
    }
}

pub(super) fn query(
    connection: &Connection,
    sql: &str,
    values: impl rusqlite::Params,
) -> rusqlite::Result<Vec<Event>> {
    let mut statement = connection.prepare_cached(sql)?;
    let rows = statement.query_map(values, |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, i64>(1)?,
            Stored {
                kind: row.get(2)?,
                nick: row.get(3)?,
                via: row.get(4)?,
                text: row.get(5)?,
                actor: row.get(6)?,
                number: row.get(7)?,
                teacher: row.get(8)?,
                room: row.get(9)?,
            },
        ))
    })?;
    let mut events = Vec::new();
    for row in rows {
        let (id, ts, stored) = row?;
        let room = RoomName::restored(&stored.room);
        // A row this version does not understand (or a deleted message) is skipped.
        if let (Ok(id), Some(kind)) = (u64::try_from(id), stored.event_kind()) {
            events.push(Event::restored(id, ts, kind).in_room(room));
        }
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_older_than_teachers_and_rooms_is_read_as_the_main_room_without_change() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("old.db");
        let old = Connection::open(&path).expect("create");
        old.execute_batch(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL,
                 kind TEXT NOT NULL, nick TEXT NOT NULL, via TEXT NOT NULL, text TEXT NOT NULL);
             INSERT INTO events VALUES (1, 5, 'message', 'alice', 'tcp', 'bonjour'),
                                       (2, 6, 'join', 'bob', 'web', '');",
        )
        .expect("a first-version database");
        let reader = Reader::open(&path).expect("open");
        let all = reader.since_time(0, None).expect("read");
        let main = reader.since_time(0, Some(&RoomName::main())).expect("read");
        let other = reader
            .since_time(0, Some(&RoomName::restored("atelier")))
            .expect("read");
        assert_eq!((all.len(), main.len(), other.len()), (2, 2, 0));
        assert!(all.iter().all(|event| event.room.is_main()));
        assert_eq!(reader.count_between(Some(&RoomName::main()), 0, 10), Ok(2));
        let version: i64 = old
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .expect("version");
        assert_eq!(version, 0, "read, never migrated");
    }
}
