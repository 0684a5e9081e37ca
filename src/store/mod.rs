//! The conversation on disk: one SQLite table of public events, written by one dedicated
//! thread in grouped transactions, read by short-lived read-only connections; beside it,
//! the few facts a restart needs that are not events (`meta`, `teacher_nicks`, `groups`).
//!
//! The writing thread takes whatever the hub's [`Journal`] has queued, saves it in one
//! transaction, and only then hands it back for delivery: nothing anyone has seen can be
//! missing after a crash, and the async runtime never waits on the disk. WAL mode lets
//! readers (transcripts, catching up) run beside the writer.
//!
//! - `schema`: events as columns and back, and migrations.
//! - `reader`: read-only connections ([`Reader`]).
//! - `history`: what the runtime reads of the past beyond memory, on a blocking thread.
//! - `writer`: the thread that saves, then delivers, and what it does when saving fails.

mod history;
mod reader;
mod schema;
mod writer;

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use rusqlite::{Connection, OptionalExtension, params};

pub(crate) use history::History;
pub use reader::Reader;
use reader::query;
use schema::{COLUMNS, migrate, sql};
pub(crate) use schema::{Row, Stored};

use crate::chat::{Event, EventKind, Fact, Journal, NoticeKind, Past, RoomName};

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

/// What a database says of the cluster it replicates (see [`Store::cluster_mark`]).
#[derive(Clone, Debug, Default)]
pub struct ClusterMark {
    /// The log it replicates (its epoch), if any.
    pub epoch: Option<String>,
    /// The last record of the log it saved.
    pub seq: u64,
    /// Its last event id.
    pub last_id: u64,
}

/// The open database, owned by whoever writes to it.
pub struct Store {
    // Declared before `lock`, so SQLite closes the file before the lock is released.
    connection: Connection,
    /// An exclusive `flock` on the database file for as long as the store is open, so a second
    /// tchat on the same file fails at startup instead of interleaving ids. (SQLite's own locks
    /// are `fcntl` locks, which `flock` does not touch.)
    lock: File,
    path: PathBuf,
    /// The conversation's id, once read or given by [`Store::epoch`].
    epoch: String,
}

impl Store {
    /// Opens (creating if needed) the database at `path` for writing, and takes it for this
    /// process alone. A database this call created is removed again if it fails, so a failed
    /// start leaves nothing behind.
    ///
    /// # Errors
    /// [`StoreError`] naming the path: unwritable, not a database, or held by another tchat.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let existed = path.exists();
        let opened = Self::open_or_create(path);
        if opened.is_err() && !existed {
            remove(path);
        }
        opened
    }

    fn open_or_create(path: &Path) -> Result<Self, StoreError> {
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
                 CREATE TABLE IF NOT EXISTS teacher_nicks (
                     key TEXT PRIMARY KEY
                 );
                 CREATE TABLE IF NOT EXISTS groups (
                     key  TEXT PRIMARY KEY,
                     room TEXT NOT NULL
                 );
",
            )
            .map_err(sqlite)?;
        migrate(&connection).map_err(sqlite)?;
        Ok(Self {
            connection,
            lock,
            path: path.to_owned(),
            epoch: String::new(),
        })
    }

    /// This conversation's id; `fresh` becomes it if the database has none yet.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if it can be neither read nor stored.
    pub fn epoch(&mut self, fresh: &str) -> Result<String, StoreError> {
        let epoch = self.kept("epoch", fresh)?;
        self.epoch.clone_from(&epoch);
        Ok(epoch)
    }

    /// What the database says of a cluster: the log it replicates, if any, how far it got,
    /// and its last event id.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if it cannot be read.
    pub fn cluster_mark(&self) -> Result<ClusterMark, StoreError> {
        let sqlite = |source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        };
        let meta = |key: &str| {
            self.connection
                .query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
                    row.get::<_, String>(0)
                })
                .optional()
                .map_err(sqlite)
        };
        let last_id: i64 = self
            .connection
            .query_row("SELECT COALESCE(MAX(id), 0) FROM events", [], |row| {
                row.get(0)
            })
            .map_err(sqlite)?;
        Ok(ClusterMark {
            epoch: meta("cluster_epoch")?,
            seq: meta("cluster_seq")?
                .and_then(|seq| seq.parse().ok())
                .unwrap_or(0),
            last_id: u64::try_from(last_id).unwrap_or(0),
        })
    }

    /// Makes the database a replica of the cluster's log called `epoch`, from now on.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if it cannot be written.
    pub fn join_cluster(&mut self, epoch: &str) -> Result<(), StoreError> {
        self.connection
            .execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('cluster_epoch', ?1)",
                params![epoch],
            )
            .map(|_| ())
            .map_err(|source| StoreError::Sqlite {
                path: self.path.clone(),
                source,
            })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The teacher's token, kept with the history so that the teacher stays the teacher
    /// across a restart (open pages reconnect as teacher); `fresh` becomes it if the
    /// database has none yet.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if it can be neither read nor stored.
    pub fn teacher_token(&mut self, fresh: &str) -> Result<String, StoreError> {
        self.kept("teacher_token", fresh)
    }

    /// The value kept under `key`, which becomes `fresh` if there is none yet.
    fn kept(&mut self, key: &str, fresh: &str) -> Result<String, StoreError> {
        let sqlite = |source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        };
        self.connection
            .execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)",
                params![key, fresh],
            )
            .map_err(sqlite)?;
        self.connection
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .map_err(sqlite)
    }

    /// What the conversation continues from: its newest `count` events, oldest first; the
    /// highest id ever given; the notices that set the room's rules; and the facts kept
    /// beside the events.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if a table cannot be read.
    pub fn past(&self, count: usize) -> Result<Past, StoreError> {
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
        let mut recent = query(
            &self.connection,
            &format!("SELECT {COLUMNS} FROM events ORDER BY id DESC LIMIT ?1"),
            params![i64::try_from(count).unwrap_or(i64::MAX)],
        )
        .map_err(sqlite)?;
        recent.reverse();
        // The kinds are the crate's own constant names, never anything a user typed.
        let kinds: Vec<String> = NoticeKind::ROOM
            .iter()
            .map(|kind| format!("'{}'", kind.as_str()))
            .collect();
        let room = query(
            &self.connection,
            &format!(
                "SELECT {COLUMNS} FROM events WHERE kind IN ({}) ORDER BY id",
                kinds.join(", ")
            ),
            [],
        )
        .map_err(sqlite)?;
        let last_guest: Option<String> = self
            .connection
            .query_row(
                "SELECT value FROM meta WHERE key = 'last_guest'",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(sqlite)?;
        let teacher_nicks = self
            .connection
            .prepare("SELECT key FROM teacher_nicks")
            .and_then(|mut statement| {
                statement
                    .query_map([], |row| row.get(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()
            })
            .map_err(sqlite)?;
        let groups_fixed: Option<String> = self
            .connection
            .query_row(
                "SELECT value FROM meta WHERE key = 'groups_fixed'",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(sqlite)?;
        let assigned = self
            .connection
            .prepare("SELECT key, room FROM groups ORDER BY key")
            .and_then(|mut statement| {
                statement
                    .query_map([], |row| {
                        Ok((row.get(0)?, RoomName::restored(&row.get::<_, String>(1)?)))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(sqlite)?;
        Ok(Past {
            recent,
            last_id: u64::try_from(last_id).unwrap_or(0),
            room,
            last_guest: last_guest.and_then(|n| n.parse().ok()).unwrap_or(0),
            teacher_nicks,
            groups_fixed: groups_fixed.as_deref() == Some("1"),
            assigned,
        })
    }

    /// Saves events and facts in one transaction, with, in a cluster, the last record of
    /// the log they come from.
    ///
    /// # Errors
    /// SQLite's error; nothing of the batch was saved.
    pub fn append(
        &mut self,
        events: &[Arc<Event>],
        facts: &[Fact],
        seq: Option<u64>,
    ) -> rusqlite::Result<()> {
        let transaction = self.connection.transaction()?;
        keep_facts(&transaction, facts)?;
        if let Some(seq) = seq {
            transaction.execute(
                "INSERT INTO meta (key, value) VALUES ('cluster_seq', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value
                 WHERE CAST(value AS INTEGER) < CAST(excluded.value AS INTEGER)",
                params![seq.to_string()],
            )?;
        }
        {
            let mut insert = transaction.prepare_cached(
                "INSERT INTO events (id, ts, kind, nick, via, text, actor, number, teacher, room)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
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
                    event.room.as_str(),
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

    /// Starts the thread that saves and then delivers everything the hub publishes (see
    /// `writer`). It ends when the hub is gone and every event has been handled.
    ///
    /// # Errors
    /// The operating system's, if the thread cannot be started.
    pub fn spawn_writer(self, journal: Journal) -> std::io::Result<JoinHandle<()>> {
        writer::spawn(self, journal)
    }

    /// Checks that the file at the store's path is still the one it has open: a database
    /// removed or replaced while tchat runs would otherwise swallow every event unseen.
    ///
    /// # Errors
    /// A sentence saying what happened to the file.
    fn check_file(&self) -> Result<(), String> {
        use std::os::unix::fs::MetadataExt;
        let open = self.lock.metadata().map_err(|error| error.to_string())?;
        match std::fs::metadata(&self.path) {
            Ok(now) if now.ino() == open.ino() && now.dev() == open.dev() => Ok(()),
            Ok(_) => Err("the database file was replaced".to_owned()),
            Err(_) => Err("the database file was removed".to_owned()),
        }
    }

    /// A small write, to learn whether saving works again, with the facts still unsaved.
    ///
    /// # Errors
    /// SQLite's error, as a sentence.
    fn probe(&mut self, facts: &[Fact]) -> Result<(), String> {
        let probed = self.connection.transaction().and_then(|transaction| {
            transaction.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('alive', ?1)",
                params![format!("{:?}", std::time::SystemTime::now())],
            )?;
            keep_facts(&transaction, facts)?;
            transaction.commit()
        });
        probed.map_err(|error| error.to_string())
    }
}

/// Writes facts within `transaction`.
fn keep_facts(transaction: &rusqlite::Transaction<'_>, facts: &[Fact]) -> rusqlite::Result<()> {
    for fact in facts {
        match fact {
            // Never lowered: the guest numbers given only grow.
            Fact::Guest(number) => transaction.execute(
                "INSERT INTO meta (key, value) VALUES ('last_guest', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value
                 WHERE CAST(value AS INTEGER) < CAST(excluded.value AS INTEGER)",
                params![number.to_string()],
            )?,
            Fact::TeacherNick(key) => transaction.execute(
                "INSERT OR IGNORE INTO teacher_nicks (key) VALUES (?1)",
                params![key],
            )?,
            Fact::Groups(fixed) => {
                transaction.execute("DELETE FROM groups", [])?;
                transaction.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('groups_fixed', ?1)",
                    params![if *fixed { "1" } else { "0" }],
                )?
            }
            Fact::Assigned(key, Some(room)) => transaction.execute(
                "INSERT OR REPLACE INTO groups (key, room) VALUES (?1, ?2)",
                params![key, room.as_str()],
            )?,
            Fact::Assigned(key, None) => {
                transaction.execute("DELETE FROM groups WHERE key = ?1", params![key])?
            }
            // Addresses are never kept on disk.
            Fact::Banned(..) => 0,
        };
    }
    Ok(())
}

/// Removes a database file and the files SQLite keeps beside it, ignoring any that are not
/// there.
fn remove(path: &Path) {
    let mut files = vec![path.to_owned()];
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        files.push(PathBuf::from(name));
    }
    for file in files {
        let _ = std::fs::remove_file(file);
    }
}
