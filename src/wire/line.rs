//! Lines out: what `nc`, telnet, PuTTY and Python socket scripts see. Every line ends with
//! CR LF: `<nick> text` for messages, `• nick action` for `/me`, `*nick* text` for a private
//! message received, `-> *nick* text` for one sent, and `* sentence` for everything the
//! server says itself (its sentences come from the catalog, ready made).
//!
//! A message of several lines is its usual first line, then each further line behind
//! [`CONTINUATION`]: a terminal shows pasted code readably, and a script reading line by line
//! still gets one line at a time, telling a continuation from a new message by its start.

use std::borrow::Cow;
use std::sync::Arc;

use bytes::Bytes;
use chrono::TimeZone;

use super::{ANSWER_BUDGET, Encoding, Farewell, newest_within_budget};
use crate::chat::{
    Alert, Arrived, COMMANDS, ChatError, Event, EventKind, Private, RoomInfo, RoomName, RoomView,
    User, WireView, python_bytes,
};
use crate::i18n::Catalog;

/// What starts each further line of a message of several lines: a fixed indent no message,
/// action or notice starts with (they start with `<`, `•`, `*` or `->`), so that the code
/// inside stays aligned.
pub const CONTINUATION: &str = "  | ";

/// The line protocol, in one language.
#[derive(Clone, Copy)]
pub(crate) struct Lines {
    /// The language of the server's own lines (`--lang`).
    pub(crate) catalog: &'static Catalog,
}

impl Encoding for Lines {
    type Frame = Bytes;
    const ECHO: bool = false;

    fn event(&self, past: &Event) -> Bytes {
        event(past, self.catalog)
    }

    /// `[groupe-2] <alice> …`: the room in front, so that a teacher reading every room
    /// knows where each line was said.
    fn event_elsewhere(&self, past: &Event) -> Bytes {
        past.encodings
            .line_elsewhere
            .get_or_init(|| {
                let line = event(past, self.catalog);
                let mut tagged = format!("[{}] ", past.room).into_bytes();
                tagged.extend_from_slice(&line);
                Bytes::from(tagged)
            })
            .clone()
    }

    /// Where the client is now, the room's topic, and its latest messages.
    fn entered(&self, view: &RoomView) -> Vec<Bytes> {
        let catalog = self.catalog;
        let mut text = notice_text(&catalog.entered(view.name.as_str(), view.watching));
        if let Some(topic) = &view.rules.topic {
            text.push_str(&notice_text(&catalog.topic_now(topic)));
        }
        let chat: Vec<Arc<Event>> = view
            .history
            .iter()
            .filter(|past| past.is_chat())
            .cloned()
            .collect();
        if let Some(history) = history(&chat, catalog, ANSWER_BUDGET) {
            text.push_str(&String::from_utf8_lossy(&history));
        }
        vec![Bytes::from(text)]
    }

    fn rooms(&self, rooms: &[RoomInfo], here: &RoomName) -> Bytes {
        let catalog = self.catalog;
        let mut text = notice_text(catalog.rooms);
        for room in rooms {
            let mut row = catalog.room_row(room.name.as_str(), room.count);
            if room.name == *here {
                row = format!("{row} {}", catalog.room_here);
            }
            text.push_str(&notice_text(&row));
        }
        Bytes::from(text)
    }

    fn private(&self, message: &Arc<Private>, sent: bool) -> Bytes {
        let text = continued(&message.text);
        Bytes::from(if sent {
            format!("-> *{}* {text}\r\n", message.to)
        } else {
            format!("*{}* {text}\r\n", message.from)
        })
    }

    fn missed(&self, count: u64) -> Bytes {
        notice(&self.catalog.missed(count))
    }

    fn help(&self, teacher: bool) -> Bytes {
        let catalog = self.catalog;
        let mut text = String::new();
        let mut part = |heading: &str, for_teachers: bool| {
            text.push_str(&notice_text(heading));
            let listed = COMMANDS
                .iter()
                .filter(|spec| spec.listed && spec.teacher == for_teachers);
            for spec in listed {
                let row = format!("  {:<20} {}", spec.usage, catalog.describe(spec));
                text.push_str(&notice_text(&row));
            }
        };
        part(catalog.help, false);
        if teacher {
            part(catalog.help_teacher, true);
        }
        Bytes::from(text)
    }

    fn who(&self, users: &[User]) -> Vec<Bytes> {
        let catalog = self.catalog;
        let mut text = notice_text(&catalog.who(users.len()));
        for (shown, user) in users.iter().enumerate() {
            if text.len() > ANSWER_BUDGET {
                text.push_str(&notice_text(&catalog.who_more(users.len() - shown)));
                break;
            }
            let via = catalog.via(user.via);
            let mut line = if user.teacher {
                format!("  {} ({via}, {})", user.nick, catalog.teacher_tag)
            } else {
                format!("  {} ({via})", user.nick)
            };
            // The main room goes without saying, so that a class without rooms reads as
            // it always did.
            if !user.room.is_main() {
                line = format!("{line} [{}]", user.room);
            }
            text.push_str(&notice_text(&line));
        }
        vec![Bytes::from(text)]
    }

    /// A heading, then each event's shared line: nothing is copied per client.
    fn history(&self, events: &[Arc<Event>]) -> Vec<Bytes> {
        let catalog = self.catalog;
        let lines: Vec<Bytes> = events.iter().map(|past| event(past, catalog)).collect();
        let (newest, left_out) = newest_within_budget(&lines, Bytes::len);
        let mut answer = Vec::with_capacity(newest.len() + 2);
        answer.push(notice(catalog.history));
        if left_out > 0 {
            answer.push(notice(&catalog.history_older(left_out)));
        }
        answer.extend_from_slice(newest);
        answer
    }

    fn arrivals(&self, arrivals: &[(Arrived, bool)]) -> Bytes {
        let catalog = self.catalog;
        let mut text = notice_text(catalog.arrivals);
        for (arrived, here) in arrivals {
            let line = catalog.arrival(arrived, *here);
            text.push_str(&notice_text(&line));
        }
        Bytes::from(text)
    }

    fn wire(&self, view: &WireView) -> Bytes {
        let catalog = self.catalog;
        let mut text = String::new();
        if !view.live {
            let heading = catalog.wire_heading(view.own, view.nick.as_str(), view.reads.len());
            text.push_str(&notice_text(&heading));
        }
        for read in &view.reads {
            let clock = clock(read.at);
            let shown = match &read.bytes {
                Some(bytes) if bytes.len() < read.len as usize => {
                    format!(
                        "{}… ({})",
                        python_bytes(bytes),
                        catalog.wire_bytes(read.len)
                    )
                }
                Some(bytes) => python_bytes(bytes),
                None => format!("({})", catalog.wire_bytes(read.len)),
            };
            let made: Vec<&str> = read
                .made
                .names()
                .into_iter()
                .map(|name| catalog.wire_made(name))
                .collect();
            let row = if view.live {
                format!("[{}] {clock}  {shown}  → {}", view.nick, made.join(", "))
            } else {
                format!("  {clock}  {shown}  → {}", made.join(", "))
            };
            text.push_str(&notice_text(&row));
        }
        Bytes::from(text)
    }

    fn unwatched(&self) -> Bytes {
        notice(self.catalog.wire_off)
    }

    fn refusal(&self, error: &ChatError) -> Bytes {
        notice(&self.catalog.error(error))
    }

    fn alert(&self, alert: &Alert) -> Bytes {
        match alert {
            Alert::Wire(view) => self.wire(view),
            Alert::NotSaved => self.refusal(&ChatError::NotSaved),
            Alert::MoveNotSaved(room) => self.refusal(&ChatError::MoveNotSaved(room.to_string())),
            Alert::GroupsCapped { asked, made } => {
                notice(&self.catalog.groups_capped(*asked, *made))
            }
            Alert::SavingFailed(reason) => notice(&self.catalog.saving_failed(reason)),
            Alert::SavingWorks => notice(self.catalog.saving_works),
            Alert::Refused(error) => self.refusal(error),
            Alert::ClusterDown(true) => notice(self.catalog.cluster_down),
            Alert::ClusterDown(false) => notice(self.catalog.cluster_up),
            Alert::FloodWarned(nick) => notice(&self.catalog.flood_warned(nick.as_str())),
            Alert::FloodMuted { nick, minutes } => {
                notice(&self.catalog.flood_muted(nick.as_str(), *minutes))
            }
        }
    }

    fn farewell(&self, farewell: &Farewell) -> Bytes {
        notice(&farewell.text)
    }
}

/// A public event as a line, encoded once and shared by every TCP recipient.
pub fn event(event: &Event, catalog: &Catalog) -> Bytes {
    event
        .encodings
        .line
        .get_or_init(|| Bytes::from(render(event, catalog)))
        .clone()
}

fn render(event: &Event, catalog: &Catalog) -> String {
    if let EventKind::Message {
        from,
        text,
        action,
        teacher,
        ..
    } = &event.kind
    {
        // A teacher's tag sits inside the brackets, where a nickname's characters cannot
        // reach, so nobody can fake it.
        let name = if *teacher {
            format!("{from} ({})", catalog.teacher_tag)
        } else {
            from.to_string()
        };
        let text = continued(text);
        return if *action {
            format!("• {name} {text}\r\n")
        } else {
            format!("<{name}> {text}\r\n")
        };
    }
    notice_text(&catalog.event(&event.kind).unwrap_or_default())
}

/// A message's text with each line break followed by [`CONTINUATION`].
fn continued(text: &str) -> Cow<'_, str> {
    if text.contains('\n') {
        Cow::Owned(text.replace('\n', &format!("\r\n{CONTINUATION}")))
    } else {
        Cow::Borrowed(text)
    }
}

/// The local time of day of `ms` (Unix milliseconds), to the second.
fn clock(ms: i64) -> String {
    chrono::Local
        .timestamp_millis_opt(ms)
        .single()
        .map(|time| time.format("%H:%M:%S").to_string())
        .unwrap_or_default()
}

fn notice_text(text: &str) -> String {
    format!("* {text}\r\n")
}

/// A line from the server itself: `* text`.
pub fn notice(text: &str) -> Bytes {
    Bytes::from(notice_text(text))
}

/// The newest past messages that fit in `budget` bytes with their heading, each as it was
/// first shown; the heading says when older ones were left out. `None` if none fits.
pub fn history(events: &[Arc<Event>], catalog: &Catalog, budget: usize) -> Option<Bytes> {
    let lines: Vec<Bytes> = events.iter().map(|past| event(past, catalog)).collect();
    let heading = notice(catalog.history_more);
    let mut room = budget.checked_sub(heading.len())?;
    let fitting = lines
        .iter()
        .rev()
        .take_while(|line| match room.checked_sub(line.len()) {
            Some(left) => {
                room = left;
                true
            }
            None => false,
        })
        .count();
    if fitting == 0 {
        return None;
    }
    let shown = &lines[lines.len() - fitting..];
    let heading = if fitting < lines.len() {
        heading
    } else {
        notice(catalog.history)
    };
    let mut text = heading.to_vec();
    shown.iter().for_each(|line| text.extend_from_slice(line));
    Some(Bytes::from(text))
}
