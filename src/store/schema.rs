//! The table's schema: how an event is laid out in columns and read back, and how an older
//! database is brought up to date.

use rusqlite::Connection;

use crate::chat::{EventKind, Nick, NoticeKind, RoomName, Via};

/// The columns every query reads, in the order [`Stored`] takes them.
pub(super) const COLUMNS: &str = "id, ts, kind, nick, via, text, actor, number, teacher, room";

/// What readers select [`COLUMNS`] from in a database of schema `version`: the table, or,
/// for one older than teachers' columns or rooms (which `tchat export` reads as it is,
/// never migrating a file it only reads), the table with the values the migrations below
/// would give the missing columns.
pub(super) fn events_of(version: i64) -> &'static str {
    match version {
        ..2 => {
            "(SELECT id, ts, kind, nick, via, text, '' AS actor, 0 AS number, 0 AS teacher,
                     'main' AS room FROM events) AS events"
        }
        2 => {
            "(SELECT id, ts, kind, nick, via, text, actor, number, teacher, 'main' AS room
              FROM events) AS events"
        }
        _ => "events",
    }
}

/// Brings an older database up to date, one step per version.
pub(super) fn migrate(connection: &Connection) -> rusqlite::Result<()> {
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
    if version < 3 {
        // Rooms: every event of a database older than rooms was said in the main room.
        connection.execute_batch(
            "ALTER TABLE events ADD COLUMN room TEXT NOT NULL DEFAULT 'main';
             CREATE INDEX IF NOT EXISTS events_room ON events (room, id);
             PRAGMA user_version = 3;",
        )?;
    }
    Ok(())
}

/// SQLite integers are signed; ids never come near the limit.
pub(super) fn sql(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(i64::MAX)
}

/// An event as the table's columns.
pub(crate) struct Row<'a> {
    pub(crate) kind: &'static str,
    pub(crate) nick: &'a str,
    pub(crate) via: &'static str,
    pub(crate) text: &'a str,
    pub(crate) actor: &'a str,
    pub(crate) number: u64,
    pub(crate) teacher: bool,
}

impl<'a> Row<'a> {
    pub(crate) fn of(kind: &'a EventKind) -> Self {
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
            // Where they went in `text`, where they came from in `actor`.
            EventKind::Moved {
                nick,
                via,
                from,
                to,
            } => Row {
                actor: from.as_str(),
                ..plain("move", nick, *via, to.as_str())
            },
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
pub(crate) struct Stored {
    pub(crate) kind: String,
    pub(crate) nick: String,
    pub(crate) via: String,
    pub(crate) text: String,
    pub(crate) actor: String,
    pub(crate) number: i64,
    pub(crate) teacher: bool,
    pub(crate) room: String,
}

impl Stored {
    pub(crate) fn event_kind(self) -> Option<EventKind> {
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
            "move" => EventKind::Moved {
                nick,
                via,
                from: RoomName::restored(&self.actor),
                to: RoomName::restored(&self.text),
            },
            _ => return None,
        })
    }
}
