//! The conversation as a document for the teacher: plain text, CSV or JSON, of every room
//! or of one.
//!
//! A transcript of every room says where each event happened once rooms were used: the
//! text format puts `[room]` after the time and the CSV has a last `room` column (the JSON's
//! event frames carry their room anyway). While only the main room was used, it is exactly
//! what it was before rooms, so scripts written for that still read it.

use std::sync::Arc;

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone};

use crate::chat::{Event, EventKind, RoomName};
use crate::i18n::Catalog;
use crate::wire::{json, line};

/// A transcript format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per event, with the local date and time.
    Txt,
    /// One row per event: id, time, type, nick, via, text, by.
    Csv,
    /// An array of the WebSocket protocol's event frames.
    Json,
}

impl Format {
    /// The file extension and the HTTP content type.
    pub fn extension_and_type(self) -> (&'static str, &'static str) {
        match self {
            Format::Txt => ("txt", "text/plain; charset=utf-8"),
            Format::Csv => ("csv", "text/csv; charset=utf-8"),
            Format::Json => ("json", "application/json"),
        }
    }
}

/// Renders `events` in `format`; notices in the text format use `catalog`'s language.
/// `room` is the one room the events were chosen from (with the announcements to every
/// room), or `None` for every room: then each event says its room if any is in a room other
/// than the main one.
pub fn render(
    events: &[Arc<Event>],
    format: Format,
    catalog: &Catalog,
    room: Option<&RoomName>,
) -> String {
    let rooms = room.is_none() && several_rooms(events);
    match format {
        Format::Txt => events
            .iter()
            .map(|event| {
                let line = line::event(event, catalog);
                let text = String::from_utf8_lossy(&line);
                let mut head = local_time(event.ts);
                if rooms {
                    head.push_str(&format!(" [{}]", event.room));
                }
                // A message's further lines, aligned under its first one.
                let width = head.chars().count() + 1;
                let text = text.trim_end().replace("\r\n", &format!("\n{:width$}", ""));
                format!("{head} {text}\n")
            })
            .collect(),
        Format::Csv => csv(events, rooms),
        Format::Json => {
            let frames: Vec<_> = events
                .iter()
                .map(|event| json::event(event).as_str().to_owned())
                .collect();
            format!("[{}]\n", frames.join(",\n"))
        }
    }
}

/// True if any event is in a room other than the main one (announcements, for every room,
/// are in none).
fn several_rooms(events: &[Arc<Event>]) -> bool {
    events
        .iter()
        .any(|event| !event.room.is_main() && !event.room.is_everywhere())
}

/// The name a transcript is downloaded under: `tchat-transcript.txt`, or, for one room,
/// `tchat-transcript-NAME.txt`.
pub fn file_name(room: Option<&RoomName>, extension: &str) -> String {
    match room {
        None => format!("tchat-transcript.{extension}"),
        Some(room) => format!("tchat-transcript-{room}.{extension}"),
    }
}

fn csv(events: &[Arc<Event>], rooms: bool) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut head = vec!["id", "time", "type", "nick", "via", "text", "by"];
    if rooms {
        head.push("room");
    }
    let mut rows: Vec<Vec<String>> = vec![head.into_iter().map(str::to_owned).collect()];
    for event in events {
        let (kind, nick, via, text, by) = match &event.kind {
            EventKind::Message {
                from,
                via,
                text,
                action,
                ..
            } => {
                let kind = if *action { "action" } else { "message" };
                (kind, from.as_str(), via.as_str(), text.as_str(), "")
            }
            EventKind::Join { nick, via } => ("join", nick.as_str(), via.as_str(), "", ""),
            EventKind::Leave { nick, via } => ("leave", nick.as_str(), via.as_str(), "", ""),
            EventKind::Rename { old, new, via } => {
                ("nick", old.as_str(), via.as_str(), new.as_str(), "")
            }
            EventKind::Moved { nick, via, to, .. } => {
                ("move", nick.as_str(), via.as_str(), to.as_str(), "")
            }
            EventKind::Notice {
                kind,
                by,
                target,
                text,
                ..
            } => (
                kind.as_str(),
                target.as_ref().map_or("", |nick| nick.as_str()),
                "",
                text.as_str(),
                by.as_str(),
            ),
        };
        let time = Local
            .timestamp_millis_opt(event.ts)
            .single()
            .map(|time| time.to_rfc3339())
            .unwrap_or_default();
        let mut row = vec![
            event.id.to_string(),
            time,
            kind.to_owned(),
            inert(nick),
            via.to_owned(),
            inert(text),
            inert(by),
        ];
        if rooms {
            row.push(event.room.to_string());
        }
        rows.push(row);
    }
    for row in rows {
        // Writing into a Vec cannot fail.
        let _ = writer.write_record(&row);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// A cell a spreadsheet shows as text: one it would run as a formula (starting with `=`,
/// `+`, `-`, `@`, a tab or a carriage return) gets a leading apostrophe, as OWASP advises
/// for CSV injection.
fn inert(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

fn local_time(ts: i64) -> String {
    Local
        .timestamp_millis_opt(ts)
        .single()
        .map(|time| time.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// Parses `2026-11-24`, `2026-11-24T14:30`, `2026-11-24 14:30:05` (local time) or an RFC 3339
/// date-time, into Unix milliseconds.
///
/// # Errors
/// A sentence saying which forms are accepted.
pub fn parse_since(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.timestamp_millis());
    }
    let naive = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|form| NaiveDateTime::parse_from_str(text, form).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|date| date.and_hms_opt(0, 0, 0))
    });
    naive
        .and_then(|naive| Local.from_local_datetime(&naive).earliest())
        .map(|time| time.timestamp_millis())
        .ok_or_else(|| {
            format!("cannot read the date {text:?}: use 2026-11-24, 2026-11-24T14:30 or RFC 3339")
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::{Nick, Via};
    use crate::i18n::Lang;

    fn message(id: u64, text: &str) -> Arc<Event> {
        Arc::new(Event::restored(
            id,
            1_700_000_000_000,
            EventKind::Message {
                from: Nick::restored("alice"),
                via: Via::Tcp,
                text: text.into(),
                action: false,
                teacher: false,
            },
        ))
    }

    #[test]
    fn csv_quotes_commas_quotes_and_newlines() {
        let events = [message(1, "a, \"b\"\nc")];
        let text = render(&events, Format::Csv, Lang::En.catalog(), None);
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let row = reader.records().next().expect("a row").expect("valid CSV");
        assert_eq!(&row[0], "1");
        assert_eq!(&row[2], "message");
        assert_eq!(&row[5], "a, \"b\"\nc");
    }

    #[test]
    fn csv_cells_a_spreadsheet_would_run_are_made_inert() {
        let events = [
            message(1, "=HYPERLINK(\"http://evil\",\"clic\")"),
            message(2, "+1"),
            message(3, "@SUM(A1)"),
            message(4, "-2+3"),
            message(5, "a = b"),
        ];
        let text = render(&events, Format::Csv, Lang::En.catalog(), None);
        let cells: Vec<String> = csv::Reader::from_reader(text.as_bytes())
            .records()
            .map(|row| row.expect("valid CSV")[5].to_owned())
            .collect();
        assert_eq!(
            cells,
            [
                "'=HYPERLINK(\"http://evil\",\"clic\")",
                "'+1",
                "'@SUM(A1)",
                "'-2+3",
                "a = b"
            ]
        );
    }

    #[test]
    fn json_is_an_array_of_event_frames() {
        let events = [message(1, "x"), message(2, "y")];
        let text = render(&events, Format::Json, Lang::En.catalog(), None);
        let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(value[1]["text"], "y");
        assert_eq!(value[0]["type"], "message");
    }

    fn in_room(id: u64, text: &str, room: &str) -> Arc<Event> {
        let event = Arc::into_inner(message(id, text)).expect("only one");
        Arc::new(event.in_room(RoomName::restored(room)))
    }

    #[test]
    fn every_room_is_as_before_rooms_while_only_main_was_used() {
        let events = [message(1, "un"), in_room(2, "tous", "*")];
        let catalog = Lang::En.catalog();
        let time = local_time(1_700_000_000_000);
        let text = render(&events, Format::Txt, catalog, None);
        assert_eq!(text, format!("{time} <alice> un\n{time} <alice> tous\n"));
        let csv = render(&events, Format::Csv, catalog, None);
        assert!(csv.starts_with("id,time,type,nick,via,text,by\n"), "{csv}");
        assert!(csv.lines().all(|line| !line.ends_with(",main")), "{csv}");
    }

    #[test]
    fn once_another_room_was_used_every_event_says_its_room() {
        let events = [
            message(1, "un"),
            in_room(2, "deux\ntrois", "atelier"),
            in_room(3, "tous", "*"),
        ];
        let catalog = Lang::En.catalog();
        let time = local_time(1_700_000_000_000);
        let text = render(&events, Format::Txt, catalog, None);
        // A message's further lines stay aligned under its first one, room and all.
        let main = RoomName::main();
        let alone = render(
            &[in_room(2, "deux\ntrois", "main")],
            Format::Txt,
            catalog,
            Some(&main),
        );
        let further = &alone.lines().nth(1).expect("two lines")[time.len() + 1..];
        let indent = " ".repeat(time.len() + " [atelier] ".len());
        assert_eq!(
            text,
            format!(
                "{time} [main] <alice> un\n{time} [atelier] <alice> deux\n{indent}{further}\n\
                 {time} [*] <alice> tous\n"
            )
        );
        let csv = render(&events, Format::Csv, catalog, None);
        let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(csv.as_bytes())
            .records()
            .map(|row| row.expect("valid CSV"))
            .collect();
        let rooms: Vec<&str> = rows.iter().map(|row| &row[7]).collect();
        assert_eq!(rooms, ["main", "atelier", "*"]);
        assert!(csv.starts_with("id,time,type,nick,via,text,by,room\n"));
        // One room's transcript has one room: no column.
        let one = render(
            &events[1..],
            Format::Txt,
            catalog,
            Some(&RoomName::restored("atelier")),
        );
        assert!(one.starts_with(&format!("{time} <alice> deux")), "{one}");
        assert_eq!(
            file_name(Some(&RoomName::restored("atelier")), "csv"),
            "tchat-transcript-atelier.csv"
        );
        assert_eq!(file_name(None, "txt"), "tchat-transcript.txt");
    }

    #[test]
    fn dates_parse_in_every_documented_form() {
        for ok in [
            "2026-11-24",
            "2026-11-24T14:30",
            "2026-11-24 14:30:05",
            "2026-11-24T14:30:00Z",
        ] {
            assert!(parse_since(ok).is_ok(), "{ok}");
        }
        assert!(parse_since("yesterday").is_err());
    }
}
