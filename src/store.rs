//! The conversation on disk: one SQLite table of public events, written by one dedicated
//! thread in grouped transactions, read by short-lived read-only connections.
//!
//! The writing thread takes whatever the hub's [`Journal`] has queued, saves it in one
//! transaction, and only then hands it back for delivery: nothing anyone has seen can be
//! missing after a crash, and the async runtime never waits on the disk. WAL mode lets
//! readers (transcripts, catching up) run beside the writer.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use rusqlite::{Connection, OpenFlags, params};

use crate::chat::{Event, EventKind, Journal, Nick, NoticeKind, Via};

/// Most events saved in one transaction.
const MAX_BATCH: usize = 1024;

/// Why the database could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused: unwritable directory, not a database, corrupt.
    #[error("cannot open the history database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// SQLite's reason.
        #[source]
        source: rusqlite::Error,
    },
    /// The file could not be created or opened.
    #[error("cannot open the history database {path}: {source}")]
    Io {
        /// The database file.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// Another process holds the database.
    #[error(
        "the history database {path} is in use by another tchat; stop it or choose another file with --db"
    )]
    Locked {
        /// The database file.
        path: PathBuf,
    },
}

/// The open database, owned by whoever writes to it.
pub struct Store {
    // Declared before `_lock`, so SQLite closes the file before the lock is released.
    connection: Connection,
    /// An exclusive `flock` on the database file for as long as the store is open, so a second
    /// tchat on the same file fails at startup instead of interleaving ids. (SQLite's own locks
    /// are `fcntl` locks, which `flock` does not touch.)
    _lock: File,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database at `path` for writing, and takes it for this
    /// process alone.
    ///
    /// # Errors
    /// [`StoreError`] naming the path: unwritable, not a database, or held by another tchat.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let io = |source| StoreError::Io {
            path: path.to_owned(),
            source,
        };
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Locked {
                    path: path.to_owned(),
                });
            }
            Err(std::fs::TryLockError::Error(source)) => return Err(io(source)),
        }
        let sqlite = |source| StoreError::Sqlite {
            path: path.to_owned(),
            source,
        };
        let connection = Connection::open(path).map_err(sqlite)?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 CREATE TABLE IF NOT EXISTS events (
                     id   INTEGER PRIMARY KEY,
                     ts   INTEGER NOT NULL,
                     kind TEXT    NOT NULL,
                     nick TEXT    NOT NULL,
                     via  TEXT    NOT NULL,
                     text TEXT    NOT NULL
                 );
                 CREATE TABLE IF NOT EXISTS meta (
                     key   TEXT PRIMARY KEY,
                     value TEXT NOT NULL
                 );
",
            )
            .map_err(sqlite)?;
        migrate(&connection).map_err(sqlite)?;
        Ok(Self {
            connection,
            _lock: lock,
            path: path.to_owned(),
        })
    }

    /// This conversation's id, made up the first time.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if it can be neither read nor stored.
    pub fn epoch(&self) -> Result<String, StoreError> {
        let sqlite = |source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        };
        self.connection
            .execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('epoch', ?1)",
                params![crate::chat::secret()],
            )
            .map_err(sqlite)?;
        self.connection
            .query_row("SELECT value FROM meta WHERE key = 'epoch'", [], |row| {
                row.get(0)
            })
            .map_err(sqlite)
    }

    /// The newest `count` events, oldest first, and the highest id ever given.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the table cannot be read.
    pub fn recent(&self, count: usize) -> Result<(Vec<Event>, u64), StoreError> {
        let sqlite = |source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        };
        let last_id: i64 = self
            .connection
            .query_row("SELECT COALESCE(MAX(id), 0) FROM events", [], |row| {
                row.get(0)
            })
            .map_err(sqlite)?;
        let mut events = query(
            &self.connection,
            "SELECT id, ts, kind, nick, via, text, actor, number, teacher FROM events ORDER BY id DESC LIMIT ?1",
            params![i64::try_from(count).unwrap_or(i64::MAX)],
        )
        .map_err(sqlite)?;
        events.reverse();
        Ok((events, u64::try_from(last_id).unwrap_or(0)))
    }

    /// Saves events in one transaction.
    ///
    /// # Errors
    /// SQLite's error; nothing of the batch was saved.
    pub fn append(&mut self, events: &[Arc<Event>]) -> rusqlite::Result<()> {
        let transaction = self.connection.transaction()?;
        {
            let mut insert = transaction.prepare_cached(
                "INSERT INTO events (id, ts, kind, nick, via, text, actor, number, teacher)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            let mut forget = transaction
                .prepare_cached("UPDATE events SET kind = 'deleted', text = '' WHERE id = ?1")?;
            for event in events {
                let row = Row::of(&event.kind);
                insert.execute(params![
                    sql(event.id),
                    event.ts,
                    row.kind,
                    row.nick,
                    row.via,
                    row.text,
                    row.actor,
                    sql(row.number),
                    row.teacher,
                ])?;
                // A deleted message is gone from disk too, not only from the screens.
                if let EventKind::Notice {
                    kind: NoticeKind::Delete,
                    number,
                    ..
                } = &event.kind
                {
                    forget.execute(params![sql(*number)])?;
                }
            }
        }
        transaction.commit()
    }

    /// Starts the thread that saves and then delivers everything the hub publishes. It ends
    /// when the hub is gone and every event has been saved.
    ///
    /// # Errors
    /// The operating system's, if the thread cannot be started.
    pub fn spawn_writer(mut self, journal: Journal) -> std::io::Result<JoinHandle<()>> {
        std::thread::Builder::new()
            .name("tchat-store".into())
            .spawn(move || {
                while let Some(batch) = journal.next_batch(MAX_BATCH) {
                    if let Err(error) = self.append(&batch) {
                        // The conversation goes on: better unsaved than unseen.
                        tracing::error!(%error, path = %self.path.display(), "events not saved");
                    }
                    journal.deliver(&batch);
                }
            })
    }
}

/// A read-only view of a database, for transcripts and catching up.
pub struct Reader {
    connection: Connection,
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
        Ok(Self { connection })
    }

    /// Events with `after < id < before`, oldest first; at most `limit`, the newest ones.
    ///
    /// # Errors
    /// SQLite's error.
    pub fn between(&self, after: u64, before: u64, limit: usize) -> rusqlite::Result<Vec<Event>> {
        let mut events = query(
            &self.connection,
            "SELECT id, ts, kind, nick, via, text, actor, number, teacher FROM events
             WHERE id > ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
            params![
                sql(after),
                sql(before),
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
        )?;
        events.reverse();
        Ok(events)
    }

    /// How many events have `after < id < before`.
    ///
    /// # Errors
    /// SQLite's error.
    pub fn count_between(&self, after: u64, before: u64) -> rusqlite::Result<u64> {
        let count: i64 = self.connection.query_row(
            "SELECT COUNT(*) FROM events WHERE id > ?1 AND id < ?2",
            params![sql(after), sql(before)],
            |row| row.get(0),
        )?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Every event from `since_ms` (Unix milliseconds) on, oldest first.
    ///
    /// # Errors
    /// SQLite's error.
    pub fn since_time(&self, since_ms: i64) -> rusqlite::Result<Vec<Event>> {
        query(
            &self.connection,
            "SELECT id, ts, kind, nick, via, text, actor, number, teacher FROM events WHERE ts >= ?1 ORDER BY id",
            params![since_ms],
        )
    }
}

fn query(
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
            },
        ))
    })?;
    let mut events = Vec::new();
    for row in rows {
        let (id, ts, stored) = row?;
        // A row this version does not understand (or a deleted message) is skipped.
        if let (Ok(id), Some(kind)) = (u64::try_from(id), stored.event_kind()) {
            events.push(Event::restored(id, ts, kind));
        }
    }
    Ok(events)
}

/// Brings an older database up to date, one step per version.
fn migrate(connection: &Connection) -> rusqlite::Result<()> {
    let version: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version < 2 {
        // Teachers: who did a moderation action, its number, and teacher messages.
        connection.execute_batch(
            "ALTER TABLE events ADD COLUMN actor   TEXT    NOT NULL DEFAULT '';
             ALTER TABLE events ADD COLUMN number  INTEGER NOT NULL DEFAULT 0;
             ALTER TABLE events ADD COLUMN teacher INTEGER NOT NULL DEFAULT 0;
             PRAGMA user_version = 2;",
        )?;
    }
    Ok(())
}

/// SQLite integers are signed; ids never come near the limit.
fn sql(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(i64::MAX)
}

/// An event as the table's columns.
struct Row<'a> {
    kind: &'static str,
    nick: &'a str,
    via: &'static str,
    text: &'a str,
    actor: &'a str,
    number: u64,
    teacher: bool,
}

impl<'a> Row<'a> {
    fn of(kind: &'a EventKind) -> Self {
        let plain = |kind, nick: &'a Nick, via: Via, text| Row {
            kind,
            nick: nick.as_str(),
            via: via.as_str(),
            text,
            actor: "",
            number: 0,
            teacher: false,
        };
        match kind {
            EventKind::Message {
                from,
                via,
                text,
                action,
                teacher,
            } => Row {
                teacher: *teacher,
                ..plain(if *action { "action" } else { "message" }, from, *via, text)
            },
            EventKind::Join { nick, via } => plain("join", nick, *via, ""),
            EventKind::Leave { nick, via } => plain("leave", nick, *via, ""),
            EventKind::Rename { old, new, via } => plain("nick", old, *via, new.as_str()),
            EventKind::Notice {
                kind,
                by,
                target,
                text,
                number,
            } => Row {
                kind: kind.as_str(),
                nick: target.as_ref().map_or("", |nick| nick.as_str()),
                via: "",
                text,
                actor: by.as_str(),
                number: *number,
                teacher: true,
            },
        }
    }
}

/// A row as read back.
struct Stored {
    kind: String,
    nick: String,
    via: String,
    text: String,
    actor: String,
    number: i64,
    teacher: bool,
}

impl Stored {
    fn event_kind(self) -> Option<EventKind> {
        if let Some(kind) = NoticeKind::parse(&self.kind) {
            return Some(EventKind::Notice {
                kind,
                by: Nick::restored(&self.actor),
                target: (!self.nick.is_empty()).then(|| Nick::restored(&self.nick)),
                text: self.text,
                number: u64::try_from(self.number).unwrap_or(0),
            });
        }
        let via: Via = self.via.parse().ok()?;
        let nick = Nick::restored(&self.nick);
        Some(match self.kind.as_str() {
            "message" | "action" => EventKind::Message {
                from: nick,
                via,
                action: self.kind == "action",
                text: self.text,
                teacher: self.teacher,
            },
            "join" => EventKind::Join { nick, via },
            "leave" => EventKind::Leave { nick, via },
            "nick" => EventKind::Rename {
                old: nick,
                new: Nick::restored(&self.text),
                via,
            },
            _ => return None,
        })
    }
}
