//! The WebSocket protocol: one JSON object per text frame, its kind in `"type"`. The README
//! has the table of every frame.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use serde::{Deserialize, Serialize};

use super::{ANSWER_BUDGET, Encoding, Farewell, newest_within_budget};
use crate::chat::{
    Alert, Arrived, COMMANDS, ChatError, Event, EventKind, Private, RoomInfo, RoomName, RoomState,
    RoomView, User, Welcome, WireView, python_bytes,
};
use crate::i18n::{Arg, Catalog, error_args};

/// The WebSocket protocol. Sentences in frames (`text` of errors, help and farewells) are
/// in the server's language, for programs that show them as they are; the page builds its
/// own from the codes and `args`, in its reader's language.
#[derive(Clone, Copy)]
pub(crate) struct Frames {
    /// The language of the sentences in frames (`--lang`).
    pub(crate) catalog: &'static Catalog,
}

impl Encoding for Frames {
    type Frame = Utf8Bytes;
    const ECHO: bool = true;

    fn event(&self, past: &Event) -> Utf8Bytes {
        event(past)
    }

    /// A `room` frame: the room's name, rules and people, and its latest events; none for
    /// a teacher, who has them already (it watches every room). A long list of people is
    /// cut into `roster` frames sent ahead, as in a welcome, so that no frame is large.
    fn entered(&self, view: &RoomView) -> Vec<Utf8Bytes> {
        let parts = parts(&view.users, user_size);
        let (last, ahead) = last_and_rest(&parts);
        let mut frames: Vec<Utf8Bytes> = ahead
            .iter()
            .map(|part| encode(&ServerFrame::Roster { users: users(part) }).into())
            .collect();
        let RoomFrame {
            topic,
            locked,
            slow,
            private,
        } = room(&view.rules);
        let head = encode(&ServerFrame::Room {
            name: view.name.as_str(),
            topic,
            locked,
            slow,
            private,
            users: users(last),
        });
        frames.push(if view.watching {
            head.into()
        } else {
            with_events(head, "events", &view.history)
        });
        frames
    }

    fn rooms(&self, list: &[RoomInfo], here: &RoomName) -> Utf8Bytes {
        encode(&ServerFrame::Rooms {
            rooms: rooms(list),
            here: here.as_str(),
        })
        .into()
    }

    fn private(&self, message: &Arc<Private>, _sent: bool) -> Utf8Bytes {
        private(message)
    }

    fn missed(&self, count: u64) -> Utf8Bytes {
        encode(&ServerFrame::Missed { count }).into()
    }

    fn help(&self, teacher: bool) -> Utf8Bytes {
        help(self.catalog, teacher)
    }

    /// `roster` parts ahead of the `users` frame, as in a welcome; `count` says how many
    /// are present when not all of them fit.
    fn who(&self, list: &[User]) -> Vec<Utf8Bytes> {
        let mut bytes = 0;
        let fitting = list
            .iter()
            .take_while(|user| {
                bytes += user_size(user);
                bytes <= ANSWER_BUDGET
            })
            .count();
        let parts = parts(&list[..fitting], user_size);
        let (last, ahead) = last_and_rest(&parts);
        let mut frames: Vec<Utf8Bytes> = ahead
            .iter()
            .map(|part| encode(&ServerFrame::Roster { users: users(part) }).into())
            .collect();
        frames.push(
            encode(&ServerFrame::Users {
                users: users(last),
                count: list.len(),
            })
            .into(),
        );
        frames
    }

    /// `backlog` parts ahead of the `history` frame, as in a welcome; `missed` counts older
    /// events that did not fit.
    fn history(&self, events: &[Arc<Event>]) -> Vec<Utf8Bytes> {
        let (newest, missed) = newest_within_budget(events, event_size);
        let parts = parts(newest, event_size);
        let (last, ahead) = last_and_rest(&parts);
        let mut frames: Vec<Utf8Bytes> = ahead
            .iter()
            .map(|part| with_events(encode(&ServerFrame::Backlog {}), "events", part))
            .collect();
        let head = encode(&ServerFrame::History {
            missed: missed as u64,
        });
        frames.push(with_events(head, "events", last));
        frames
    }

    fn arrivals(&self, arrivals: &[(Arrived, bool)]) -> Utf8Bytes {
        let arrivals = arrivals
            .iter()
            .map(|(arrived, present)| ArrivalFrame {
                ts: arrived.ts,
                nick: arrived.nick.as_str(),
                via: arrived.via.as_str(),
                addr: arrived.addr.to_string(),
                present: *present,
            })
            .collect();
        encode(&ServerFrame::Arrivals { arrivals }).into()
    }

    fn wire(&self, view: &WireView) -> Utf8Bytes {
        let reads = view
            .reads
            .iter()
            .map(|read| ReadFrame {
                at: read.at,
                bytes: read.bytes.as_deref().map(python_bytes),
                len: read.len,
                made: read.made.names(),
            })
            .collect();
        encode(&ServerFrame::Wire {
            nick: view.nick.as_str(),
            via: view.via.as_str(),
            own: view.own,
            live: view.live,
            reads,
        })
        .into()
    }

    fn unwatched(&self) -> Utf8Bytes {
        encode(&ServerFrame::Unwatched {}).into()
    }

    fn refusal(&self, error: &ChatError) -> Utf8Bytes {
        chat_error(error, self.catalog)
    }

    /// A refusal for what was not saved; an `alert` frame for a teacher.
    fn alert(&self, alert: &Alert) -> Utf8Bytes {
        let catalog = self.catalog;
        let mut args = BTreeMap::new();
        let (code, text) = match alert {
            Alert::Wire(view) => return self.wire(view),
            Alert::NotSaved => return self.refusal(&ChatError::NotSaved),
            Alert::MoveNotSaved(room) => {
                return self.refusal(&ChatError::MoveNotSaved(room.to_string()));
            }
            Alert::GroupsCapped { asked, made } => {
                args.insert("asked", Arg::Number(*asked));
                args.insert("number", Arg::Number(*made));
                ("groups_capped", catalog.groups_capped(*asked, *made))
            }
            Alert::SavingFailed(reason) => {
                args.insert("text", Arg::Text(reason));
                ("saving_failed", catalog.saving_failed(reason))
            }
            Alert::SavingWorks => ("saving_works", catalog.saving_works.to_owned()),
            Alert::Refused(error) => return self.refusal(error),
            Alert::ClusterDown(true) => ("cluster_down", catalog.cluster_down.to_owned()),
            Alert::ClusterDown(false) => ("cluster_up", catalog.cluster_up.to_owned()),
            Alert::FloodWarned(nick) => {
                args.insert("nick", Arg::Text(nick.as_str()));
                ("flood_warned", catalog.flood_warned(nick.as_str()))
            }
            Alert::FloodMuted { nick, minutes } => {
                args.insert("nick", Arg::Text(nick.as_str()));
                args.insert("number", Arg::Number(*minutes));
                ("flood_muted", catalog.flood_muted(nick.as_str(), *minutes))
            }
        };
        encode(&ServerFrame::Alert {
            code,
            text: &text,
            args,
        })
        .into()
    }

    fn farewell(&self, farewell: &Farewell) -> Utf8Bytes {
        let mut args = BTreeMap::new();
        if !farewell.why.is_empty() {
            args.insert("text", Arg::Text(&farewell.why));
        }
        encode(&ServerFrame::Bye {
            reason: farewell.reason,
            text: &farewell.text,
            args,
        })
        .into()
    }
}

/// A frame from the page.
#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum ClientFrame {
    /// Optional first frame: who the client is and where it left off.
    Hello(HelloFrame),
    /// A line typed by the user: a message, or a `/` command.
    Say {
        /// The line.
        text: String,
        /// The room it is said in: a teacher's page says it in the room on screen, moving
        /// the teacher there first; a student may only name its own room.
        #[serde(default)]
        room: Option<String>,
    },
    /// Change nickname.
    Nick {
        /// The new nickname.
        nick: String,
    },
}

/// The `hello` frame: the nickname wanted, the last event id already seen, and secrets.
#[derive(Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HelloFrame {
    /// The nickname wanted; a `guestN` name when absent.
    #[serde(default)]
    pub nick: Option<String>,
    /// Resume after this event id: the welcome then carries exactly what followed it.
    #[serde(default)]
    pub since: Option<u64>,
    /// The conversation `since` belongs to (the `epoch` of an earlier welcome).
    #[serde(default)]
    pub epoch: Option<String>,
    /// The `token` of an earlier welcome: takes the nickname back from a connection
    /// the server still thinks is alive.
    #[serde(default)]
    pub token: Option<String>,
    /// The class password, when the room has one.
    #[serde(default)]
    pub password: Option<String>,
    /// The teacher token, to join as a teacher.
    #[serde(default)]
    pub teacher: Option<String>,
    /// The room to be in: the page's room before it reconnected. The main room when
    /// absent, closed, or when the teacher has put the student in a group.
    #[serde(default)]
    pub room: Option<String>,
}

impl ClientFrame {
    /// Parses a text frame.
    ///
    /// # Errors
    /// What is wrong with it, in serde's words, for an `error` frame.
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|error| error.to_string())
    }
}

#[derive(Serialize)]
struct UserFrame<'a> {
    nick: &'a str,
    via: &'static str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    teacher: bool,
    /// Absent for the main room, as in a class without rooms.
    #[serde(skip_serializing_if = "is_main")]
    room: &'a str,
}

fn is_main(room: &&str) -> bool {
    *room == RoomName::MAIN
}

fn users(list: &[User]) -> Vec<UserFrame<'_>> {
    list.iter()
        .map(|user| UserFrame {
            nick: user.nick.as_str(),
            via: user.via.as_str(),
            teacher: user.teacher,
            room: user.room.as_str(),
        })
        .collect()
}

#[derive(Serialize)]
struct RoomFrame<'a> {
    topic: Option<&'a str>,
    locked: bool,
    slow: u64,
    private: bool,
}

fn room(state: &RoomState) -> RoomFrame<'_> {
    RoomFrame {
        topic: state.topic.as_deref(),
        locked: state.locked,
        slow: state.slow,
        private: state.private,
    }
}

/// An open room, how many are in it, and its rules: a teacher's page shows every room's.
#[derive(Serialize)]
struct RoomEntry<'a> {
    name: &'a str,
    count: usize,
    #[serde(flatten)]
    rules: RoomFrame<'a>,
}

fn rooms(list: &[RoomInfo]) -> Vec<RoomEntry<'_>> {
    list.iter()
        .map(|info| RoomEntry {
            name: info.name.as_str(),
            count: info.count,
            rules: room(&info.rules),
        })
        .collect()
}

#[derive(Serialize)]
struct ArrivalFrame<'a> {
    ts: i64,
    nick: &'a str,
    via: &'static str,
    addr: String,
    present: bool,
}

/// One read of `/wire`: its bytes as Python writes them (`null` when masked), its size,
/// and what the server made of it.
#[derive(Serialize)]
struct ReadFrame {
    at: i64,
    bytes: Option<String>,
    len: u32,
    made: Vec<&'static str>,
}

#[derive(Serialize)]
struct HelpEntry<'a> {
    name: &'a str,
    usage: &'a str,
    text: &'a str,
}

/// A frame from the server. Events carry `id` (their place in the conversation) and `ts`
/// (unix milliseconds).
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum ServerFrame<'a> {
    Message {
        id: u64,
        ts: i64,
        room: &'a str,
        from: &'a str,
        via: &'static str,
        text: &'a str,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        action: bool,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        teacher: bool,
    },
    Notice {
        id: u64,
        ts: i64,
        room: &'a str,
        kind: &'static str,
        by: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        nick: Option<&'a str>,
        text: &'a str,
        number: u64,
    },
    Join {
        id: u64,
        ts: i64,
        room: &'a str,
        nick: &'a str,
        via: &'static str,
    },
    Leave {
        id: u64,
        ts: i64,
        room: &'a str,
        nick: &'a str,
        via: &'static str,
    },
    Nick {
        id: u64,
        ts: i64,
        room: &'a str,
        old: &'a str,
        new: &'a str,
        via: &'static str,
    },
    Move {
        id: u64,
        ts: i64,
        room: &'a str,
        nick: &'a str,
        via: &'static str,
        from: &'a str,
        to: &'a str,
    },
    Welcome {
        nick: &'a str,
        token: &'a str,
        epoch: &'a str,
        teacher: bool,
        room: RoomFrame<'a>,
        /// The room the member is in.
        here: &'a str,
        rooms: Vec<RoomEntry<'a>>,
        /// The teacher has fixed who is where: students may not move.
        fixed: bool,
        users: Vec<UserFrame<'a>>,
        missed: u64,
    },
    /// The member is now in another room (speaks there, for a teacher); a student's
    /// latest events of it follow in `events`.
    Room {
        name: &'a str,
        topic: Option<&'a str>,
        locked: bool,
        slow: u64,
        private: bool,
        users: Vec<UserFrame<'a>>,
    },
    /// The answer to `/rooms`.
    Rooms {
        rooms: Vec<RoomEntry<'a>>,
        here: &'a str,
    },
    Private {
        ts: i64,
        from: &'a str,
        via: &'static str,
        to: &'a str,
        text: &'a str,
    },
    Users {
        users: Vec<UserFrame<'a>>,
        count: usize,
    },
    Help {
        commands: Vec<HelpEntry<'a>>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        teacher: Vec<HelpEntry<'a>>,
    },
    History {
        #[serde(skip_serializing_if = "is_zero")]
        missed: u64,
    },
    /// Part of the user list of a welcome, a `users` answer or a `room` frame, sent ahead of it.
    Roster {
        users: Vec<UserFrame<'a>>,
    },
    /// Part of the welcome's history, sent ahead of it.
    Backlog {},
    Missed {
        count: u64,
    },
    Error {
        code: &'a str,
        text: &'a str,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        args: BTreeMap<&'a str, Arg<'a>>,
    },
    Arrivals {
        arrivals: Vec<ArrivalFrame<'a>>,
    },
    Alert {
        code: &'a str,
        text: &'a str,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        args: BTreeMap<&'a str, Arg<'a>>,
    },
    Wire {
        nick: &'a str,
        via: &'static str,
        own: bool,
        live: bool,
        reads: Vec<ReadFrame>,
    },
    Unwatched {},
    Bye {
        reason: &'a str,
        text: &'a str,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        args: BTreeMap<&'a str, Arg<'a>>,
    },
}

fn encode(frame: &ServerFrame<'_>) -> String {
    // Every field is a string, a number or a list of those: serialisation cannot fail.
    serde_json::to_string(frame).unwrap_or_default()
}

/// A public event as a frame, encoded once and shared by every WebSocket recipient.
pub fn event(event: &Event) -> Utf8Bytes {
    event
        .encodings
        .json
        .get_or_init(|| encode(&event_frame(event)).into())
        .clone()
}

fn event_frame(event: &Event) -> ServerFrame<'_> {
    let (id, ts, room) = (event.id, event.ts, event.room.as_str());
    match &event.kind {
        EventKind::Message {
            from,
            via,
            text,
            action,
            teacher,
        } => ServerFrame::Message {
            id,
            ts,
            room,
            from: from.as_str(),
            via: via.as_str(),
            text,
            action: *action,
            teacher: *teacher,
        },
        EventKind::Notice {
            kind,
            by,
            target,
            text,
            number,
        } => ServerFrame::Notice {
            id,
            ts,
            room,
            kind: kind.as_str(),
            by: by.as_str(),
            nick: target.as_ref().map(|nick| nick.as_str()),
            text,
            number: *number,
        },
        EventKind::Join { nick, via } => ServerFrame::Join {
            id,
            ts,
            room,
            nick: nick.as_str(),
            via: via.as_str(),
        },
        EventKind::Leave { nick, via } => ServerFrame::Leave {
            id,
            ts,
            room,
            nick: nick.as_str(),
            via: via.as_str(),
        },
        EventKind::Moved {
            nick,
            via,
            from,
            to,
        } => ServerFrame::Move {
            id,
            ts,
            room,
            nick: nick.as_str(),
            via: via.as_str(),
            from: from.as_str(),
            to: to.as_str(),
        },
        EventKind::Rename { old, new, via } => ServerFrame::Nick {
            id,
            ts,
            room,
            old: old.as_str(),
            new: new.as_str(),
            via: via.as_str(),
        },
    }
}

/// Roughly the largest frame a welcome or a long answer is cut into. The WebSocket layer
/// keeps a write buffer the size of the largest frame it ever sent, for as long as the
/// client stays: a welcome in one frame (a school's user list, a hundred messages) would
/// make every idle page cost tens of KiB.
const PART: usize = 2 * 1024;

/// What a client is sent on joining: your nickname, who is here, and the history asked for.
///
/// The last frame is the `welcome`; a long user list or history is cut into `roster` and
/// `backlog` frames sent ahead of it, each to be prepended to the welcome's own `users` and
/// `history`.
pub fn welcome(welcome: &Welcome) -> Vec<Utf8Bytes> {
    let user_parts = parts(&welcome.users, user_size);
    let event_parts = parts(&welcome.history, event_size);
    let (mut users_last, mut users_ahead) = last_and_rest(&user_parts);
    let (history_last, history_ahead) = last_and_rest(&event_parts);
    // The welcome itself holds one part's worth: when the last users and the last events
    // would not fit together, the users go ahead too.
    let last_size = users_last.iter().map(user_size).sum::<usize>()
        + history_last.iter().map(event_size).sum::<usize>();
    if last_size > PART && !users_last.is_empty() {
        (users_last, users_ahead) = (&[], &user_parts);
    }
    let mut frames = Vec::with_capacity(users_ahead.len() + history_ahead.len() + 1);
    for part in users_ahead {
        frames.push(encode(&ServerFrame::Roster { users: users(part) }).into());
    }
    for part in history_ahead {
        frames.push(with_events(
            encode(&ServerFrame::Backlog {}),
            "events",
            part,
        ));
    }
    let head = encode(&ServerFrame::Welcome {
        nick: welcome.nick.as_str(),
        token: &welcome.token,
        epoch: &welcome.epoch,
        teacher: welcome.teacher,
        room: room(&welcome.room),
        here: welcome.place.as_str(),
        rooms: rooms(&welcome.rooms),
        fixed: welcome.fixed,
        users: users(users_last),
        missed: welcome.missed,
    });
    frames.push(with_events(head, "history", history_last));
    frames
}

fn last_and_rest<'a, 'b, T>(parts: &'b [&'a [T]]) -> (&'a [T], &'b [&'a [T]]) {
    parts
        .split_last()
        .map_or((&[], &[]), |(last, rest)| (*last, rest))
}

/// Cuts `items` into runs of at most [`PART`] bytes as measured by `size` (at least
/// one item each).
fn parts<T>(items: &[T], size: impl Fn(&T) -> usize) -> Vec<&[T]> {
    let mut parts = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (n, item) in items.iter().enumerate() {
        let item_size = size(item);
        if n > start && bytes + item_size > PART {
            parts.push(&items[start..n]);
            (start, bytes) = (n, 0);
        }
        bytes += item_size;
    }
    if start < items.len() {
        parts.push(&items[start..]);
    }
    parts
}

/// A user's entry in a frame: its nickname and about 30 bytes of JSON around it.
fn user_size(user: &User) -> usize {
    user.nick.as_str().len() + 30
}

/// An event in a list of events: its shared frame and a comma.
fn event_size(past: &Arc<Event>) -> usize {
    event(past).len() + 1
}

fn is_zero(number: &u64) -> bool {
    *number == 0
}

/// Adds a list of events to a frame, spliced in from each event's shared encoding rather
/// than serialised again: `head` is a JSON object, so dropping its closing brace leaves room
/// for one more member.
fn with_events(head: String, key: &str, events: &[Arc<Event>]) -> Utf8Bytes {
    let mut out = head;
    out.pop();
    if !out.ends_with('{') {
        out.push(',');
    }
    out.push_str(&format!(r#""{key}":["#));
    for (n, past) in events.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push_str(event(past).as_str());
    }
    out.push_str("]}");
    out.into()
}

/// A private message; the same frame goes to its recipient and back to its sender.
fn private(message: &Arc<Private>) -> Utf8Bytes {
    encode(&ServerFrame::Private {
        ts: message.ts,
        from: message.from.as_str(),
        via: message.via.as_str(),
        to: message.to.as_str(),
        text: &message.text,
    })
    .into()
}

/// The answer to `/help`: each command's name, usage and what it does; the teacher's for a
/// teacher.
fn help(catalog: &'static Catalog, teacher: bool) -> Utf8Bytes {
    let entries = |for_teachers: bool| {
        COMMANDS
            .iter()
            .filter(|spec| spec.listed && spec.teacher == for_teachers)
            .map(|spec| HelpEntry {
                name: spec.name(),
                usage: spec.usage,
                text: catalog.describe(spec),
            })
            .collect::<Vec<_>>()
    };
    let commands = entries(false);
    let teacher = if teacher { entries(true) } else { Vec::new() };
    encode(&ServerFrame::Help { commands, teacher }).into()
}

/// A refused action: its code, the sentence in the server's language, and the values the
/// sentence names, from which the page builds it in its own.
pub fn chat_error(error: &ChatError, catalog: &Catalog) -> Utf8Bytes {
    refusal(error.code(), &error_args(error), catalog)
}

/// A frame that breaks the protocol: what is wrong with it, in serde's words.
pub fn bad_frame(detail: &str, catalog: &Catalog) -> Utf8Bytes {
    refusal("bad_frame", &[("detail", Arg::Text(detail))], catalog)
}

/// A `hello` once joined.
pub fn already_joined(catalog: &Catalog) -> Utf8Bytes {
    refusal("already_joined", &[], catalog)
}

/// An `error` frame: the sentence called `code`, filled with `args`, which go along.
fn refusal(code: &str, args: &[(&'static str, Arg<'_>)], catalog: &Catalog) -> Utf8Bytes {
    encode(&ServerFrame::Error {
        code,
        text: &catalog.say(code, args),
        args: args.iter().copied().collect(),
    })
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::{Nick, Via};
    use crate::i18n::Lang;

    #[test]
    fn a_room_entered_with_many_people_comes_in_parts_that_add_up_to_everyone() {
        let users: Vec<User> = (0..200)
            .map(|n| User {
                nick: Nick::restored(&format!("eleve_au_nom_long_{n:03}")),
                via: Via::Tcp,
                teacher: false,
                room: RoomName::restored("groupe-1"),
            })
            .collect();
        let view = RoomView {
            name: RoomName::restored("groupe-1"),
            rules: RoomState::default(),
            history: Vec::new(),
            users,
            watching: false,
        };
        let frames = Frames {
            catalog: Lang::Fr.catalog(),
        }
        .entered(&view);
        assert!(frames.len() > 1, "{} frame(s)", frames.len());
        let mut seen = 0;
        for (n, frame) in frames.iter().enumerate() {
            assert!(frame.len() <= 2 * PART, "frame {n}: {} bytes", frame.len());
            let value: serde_json::Value = serde_json::from_str(frame.as_str()).expect("JSON");
            let last = n + 1 == frames.len();
            assert_eq!(value["type"], if last { "room" } else { "roster" });
            seen += value["users"].as_array().map_or(0, Vec::len);
        }
        assert_eq!(seen, 200);
    }

    #[test]
    fn client_frames_parse_and_unknown_types_are_errors() {
        assert_eq!(
            ClientFrame::parse(r#"{"type":"hello","nick":"alice"}"#),
            Ok(ClientFrame::Hello(HelloFrame {
                nick: Some("alice".into()),
                ..HelloFrame::default()
            }))
        );
        assert!(ClientFrame::parse(r#"{"type":"hello","nik":"alice"}"#).is_err());
        assert!(ClientFrame::parse(r#"{"type":"say","text":"hi","x":1}"#).is_err());
        assert_eq!(
            ClientFrame::parse(r#"{"type":"say","text":"hi"}"#),
            Ok(ClientFrame::Say {
                text: "hi".into(),
                room: None
            })
        );
        assert!(ClientFrame::parse(r#"{"type":"dance"}"#).is_err());
        assert!(ClientFrame::parse("not json").is_err());
        assert!(ClientFrame::parse(r#"{"type":"say"}"#).is_err());
    }
}
