//! Every sentence the server writes, in each language it speaks, and the only place
//! sentences are built. Adding a language is one file beside these and one line in [`Lang`].
//!
//! A sentence is a template where `{name}` marks a value. Values are put in by [`fill`] in
//! one pass over the template, so text from users (a topic that says `{number}`) is never
//! read as a template itself. The page gets every catalog (see [`Catalog::entries`]) and
//! builds the same sentences in its own language from the codes and values in the frames.
//!
//! A sentence that depends on a number comes in two forms, `NAME_one` and `NAME_other`, and
//! is asked for as `NAME`: the number decides which form is used, by the language's rule
//! ([`Lang::plural`]; French says 0 and 1 in the singular, English only 1). The page picks
//! the same way, with the browser's `Intl.PluralRules`.

mod en;
mod fr;

use std::fmt::{self, Write as _};

use chrono::TimeZone;
use serde::Serialize;

use crate::chat::{ChatError, EventKind, MAX_NICK_CHARS, Nick, NoticeKind, Via};

/// A language the server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Français.
    Fr,
    /// English.
    En,
}

impl Lang {
    /// Every language, for the page.
    pub const ALL: [Lang; 2] = [Lang::Fr, Lang::En];

    /// French when the system locale (`LC_ALL`, `LC_MESSAGES`, `LANG`) is French, else English.
    pub fn from_locale() -> Self {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|name| std::env::var(name).ok())
            .find(|value| !value.is_empty())
            .unwrap_or_default();
        if locale.to_ascii_lowercase().starts_with("fr") {
            Lang::Fr
        } else {
            Lang::En
        }
    }

    /// The language's code, as browsers name it.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// Which form of a counted sentence `count` takes, by the names CLDR gives them.
    pub fn plural(self, count: u64) -> Plural {
        let one = match self {
            Lang::Fr => count < 2,
            Lang::En => count == 1,
        };
        if one { Plural::One } else { Plural::Other }
    }

    /// This language's sentences.
    pub fn catalog(self) -> &'static Catalog {
        match self {
            Lang::Fr => &fr::CATALOG,
            Lang::En => &en::CATALOG,
        }
    }
}

/// The form of a sentence that depends on a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plural {
    /// "1 message", and in French "0 message" too.
    One,
    /// "3 messages".
    Other,
}

impl Plural {
    /// The suffix of the sentence's name for this form.
    fn suffix(self) -> &'static str {
        match self {
            Plural::One => "_one",
            Plural::Other => "_other",
        }
    }
}

/// The values a counted sentence may depend on, in the order they are looked for: a
/// sentence has one number that decides its form.
pub const COUNTED: [&str; 4] = ["count", "number", "seconds", "max"];

/// Declares the catalog's fields once, for both the struct and [`Catalog::entries`].
macro_rules! sentences {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// The server's sentences in one language, each a template where `{name}` marks a
        /// value (the doc of each field names them).
        #[derive(Debug)]
        pub struct Catalog {
            /// The language these sentences are in, whose rule picks a counted sentence's form.
            pub lang: Lang,
            $($(#[$doc])* pub $name: &'static str,)*
        }

        impl Catalog {
            /// Every sentence with its name: error sentences are named by their code,
            /// command descriptions `cmd_NAME`, notices `notice_KIND`.
            pub fn entries(&self) -> Vec<(&'static str, &'static str)> {
                vec![$((stringify!($name), self.$name)),*]
            }

            /// The sentence called exactly `key` (see [`Catalog::entries`]), if there is one.
            pub fn get(&self, key: &str) -> Option<&'static str> {
                match key {
                    $(stringify!($name) => Some(self.$name),)*
                    _ => None,
                }
            }
        }
    };
}

sentences! {
    /// First line to a TCP client: `{nick}`.
    greeting,
    /// Before past messages shown to a TCP client.
    history,
    /// Before past messages shown to a TCP client, when older ones did not fit.
    history_more,
    /// To a client answered at each send: this one older line went by meanwhile: `{count}`.
    went_by_one,
    /// To a client answered at each send: these older lines went by meanwhile: `{count}`.
    went_by_other,
    /// Heading of one's own `/wire`, one read: `{count}`.
    wire_own_one,
    /// Heading of one's own `/wire`: `{count}`.
    wire_own_other,
    /// Heading of a teacher's `/wire NICK`, one read: `{nick}`, `{count}`.
    wire_of_one,
    /// Heading of a teacher's `/wire NICK`: `{nick}`, `{count}`.
    wire_of_other,
    /// `/wire` before anything was read: `{nick}`.
    wire_nothing,
    /// `/wire off`.
    wire_off,
    /// A read's size, one byte: `{count}`.
    wire_bytes_one,
    /// A read's size: `{count}`.
    wire_bytes_other,
    /// What a read made: it ended a line.
    wire_line,
    /// What a read made: a chunk, a message after the quiet delay.
    wire_chunk,
    /// What a read made: nothing complete yet.
    wire_pending,
    /// What a read made: telnet negotiation, refused.
    wire_telnet,
    /// What a read made: invalid UTF-8, replaced.
    wire_invalid_utf8,
    /// What a read made: a line too long, cut off.
    wire_too_long,
    /// What a read was: a WebSocket frame.
    wire_frame,
    /// What a read made: a frame the server could not use.
    wire_refused,
    /// What a read was: a private message, masked.
    wire_private,
    /// Someone arrived: `{nick}`, `{via}`.
    joined,
    /// Someone left: `{nick}`.
    left,
    /// Someone was renamed: `{old}`, `{new}`.
    renamed,
    /// How a browser user is described.
    via_web,
    /// How a TCP user is described.
    via_tcp,
    /// Heading of `/who`, for one person: `{count}`.
    who_one,
    /// Heading of `/who`: `{count}`.
    who_other,
    /// After as many names as an answer holds: `{count}` more.
    who_more,
    /// Before past messages, when one older one did not fit: `{count}`.
    history_older_one,
    /// Before past messages, when older ones did not fit: `{count}`.
    history_older_other,
    /// Heading of `/help`.
    help,
    /// Heading of the teacher's part of `/help`.
    help_teacher,
    /// What each command does, by name (see `chat::COMMANDS`).
    cmd_help,
    /// `/nick`.
    cmd_nick,
    /// `/me`.
    cmd_me,
    /// `/who`.
    cmd_who,
    /// `/msg`.
    cmd_msg,
    /// `/history`.
    cmd_history,
    /// `/wire`.
    cmd_wire,
    /// `/quit`.
    cmd_quit,
    /// `/op`.
    cmd_op,
    /// `/kick`.
    cmd_kick,
    /// `/mute`.
    cmd_mute,
    /// `/unmute`.
    cmd_unmute,
    /// `/ban`.
    cmd_ban,
    /// `/lock`.
    cmd_lock,
    /// `/unlock`.
    cmd_unlock,
    /// `/slow`.
    cmd_slow,
    /// `/private`.
    cmd_private,
    /// `/delete`.
    cmd_delete,
    /// `/topic`.
    cmd_topic,
    /// `/announce`.
    cmd_announce,
    /// `/arrivals`.
    cmd_arrivals,
    /// `/rooms`.
    cmd_rooms,
    /// `/join`.
    cmd_join,
    /// `/room`.
    cmd_room,
    /// `/groups`.
    cmd_groups,
    /// What `/groups` calls each group: `{number}` (a room name: lower case, no space).
    group_name,
    /// Someone changed room: `{nick}`, `{from}`, `{to}`.
    moved,
    /// To a member now in another room: `{room}`.
    entered,
    /// To a teacher now speaking in another room (it still sees them all): `{room}`.
    entered_watching,
    /// Heading of `/rooms`.
    rooms,
    /// One room of `/rooms`, one person in it: `{room}`, `{count}`.
    room_row_one,
    /// One room of `/rooms`: `{room}`, `{count}`.
    room_row_other,
    /// After the room one is in, in `/rooms`.
    room_here,
    /// A room was opened: `{by}`, `{text}` (its name).
    notice_room_open,
    /// A room was closed: `{by}`, `{text}` (its name).
    notice_room_close,
    /// The students were split into one group: `{by}`, `{number}`.
    notice_groups_one,
    /// The students were split into groups: `{by}`, `{number}`.
    notice_groups_other,
    /// The groups ended: `{by}`.
    notice_groups_end,
    /// A room name that breaks the rules: `{max}` characters at most.
    room_invalid,
    /// No open room is called `{room}`.
    no_such_room,
    /// `{room}` is open already.
    room_exists,
    /// At most `{max}` rooms.
    too_many_rooms,
    /// A student's `/join` while groups are fixed.
    rooms_fixed,
    /// The main room cannot be closed.
    main_room,
    /// `/join` of the room one is in: `{room}`.
    already_in_room,
    /// `/groups N` with no student present.
    no_students,
    /// `/groups N` past `{max}` groups.
    too_many_groups,
    /// A move that could not be saved: still in `{room}`.
    move_not_saved,
    /// To the teacher: `/groups` asked for `{asked}` groups, one per student makes
    /// `{number}` (one student).
    groups_capped_one,
    /// To the teacher: `/groups` asked for `{asked}` groups, one per student makes
    /// `{number}`.
    groups_capped_other,
    /// Heading of `/arrivals`.
    arrivals,
    /// One arrival: `{time}`, `{nick}`, `{via}`, `{addr}`, `{state}`.
    arrival,
    /// An arrival still here.
    arrival_here,
    /// An arrival gone since.
    arrival_gone,
    /// After a teacher's nickname on TCP: `<alice (prof)> …`.
    teacher_tag,
    /// Someone became a teacher: `{nick}`.
    notice_op,
    /// The topic changed: `{by}`, `{text}`.
    notice_topic,
    /// The topic was cleared: `{by}`.
    notice_topic_cleared,
    /// An announcement: `{by}`, `{text}`.
    notice_announce,
    /// Someone was sent away: `{nick}`, `{by}`.
    notice_kick,
    /// Someone was sent away, with a reason: `{nick}`, `{by}`, `{text}`.
    notice_kick_reason,
    /// Someone was silenced: `{nick}`, `{by}`, `{number}` minutes.
    notice_mute,
    /// `{nick}`, `{by}`.
    notice_unmute,
    /// `{nick}`, `{by}`.
    notice_ban,
    /// An address banned: `{by}`, `{number}` connection sent away.
    notice_ban_address_one,
    /// An address banned: `{by}`, `{number}` connections sent away.
    notice_ban_address_other,
    /// `{by}`.
    notice_lock,
    /// `{by}`.
    notice_unlock,
    /// `{by}`, one second.
    notice_slow_one,
    /// `{by}`, `{number}` seconds.
    notice_slow_other,
    /// `{by}`.
    notice_slow_off,
    /// `{by}`.
    notice_private_off,
    /// `{by}`.
    notice_private_on,
    /// `{nick}` (the author), `{by}`, `{number}` (the message id).
    notice_delete,
    /// Greeting line with the current topic: `{text}`.
    topic_now,
    /// Said when a client leaves.
    bye,
    /// Said to everyone when the server stops.
    stopping,
    /// A newer connection of the same person took over this one.
    replaced,
    /// The node lost its cluster for a while, and the others said the member left: connect again.
    lost,
    /// To a member sent away without a reason.
    kicked,
    /// To a member sent away: `{text}` is the reason.
    kicked_reason,
    /// Error `kicked`: coming back too soon after being sent away, `{seconds}` to wait.
    kick_cooldown,
    /// To a banned member, or a banned address at the door.
    banned,
    /// Refused at the door: too many connections (in all or from this address).
    too_many,
    /// A TCP line far over the limit: the connection is closed. `{max}` character.
    cut_off_one,
    /// A TCP line far over the limit: the connection is closed. `{max}` characters.
    cut_off_other,
    /// No password in time: the connection is closed.
    timed_out,
    /// A slow client skipped one event: `{count}`.
    missed_one,
    /// A slow client skipped events: `{count}`.
    missed_other,
    /// The room has a password (the TCP prompt too).
    password_required,
    /// A wrong password.
    password_wrong,
    /// Too many wrong passwords from this address.
    too_many_attempts,
    /// Error `nick_taken`: `{nick}`.
    nick_taken,
    /// `{max}` is the longest nickname.
    nick_invalid,
    /// `{nick}`.
    no_such_user,
    /// A private message to oneself.
    self_message,
    /// `{nick}` is not reading.
    recipient_busy,
    /// `{command}`.
    unknown_command,
    /// `{usage}`.
    usage,
    /// `{max}` character.
    too_long_one,
    /// `{max}` characters.
    too_long_other,
    /// `{max}` lines.
    too_many_lines,
    /// `{nick}` only a teacher may use.
    nick_reserved,
    /// A teacher's command from a student.
    not_teacher,
    /// A wrong teacher token.
    bad_token,
    /// Silenced for `{seconds}` more seconds.
    muted,
    /// Only teachers write for now.
    locked,
    /// Slow mode: `{seconds}` more to wait.
    slow,
    /// Private messages between students are off.
    private_off,
    /// Flood warning.
    flood,
    /// `/delete` of an unknown id: `{id}`.
    no_such_message,
    /// `/pass` once in.
    already_in,
    /// No secret token could be made for a newcomer.
    unavailable,
    /// What a member did could not be saved, so it was not sent.
    not_saved,
    /// To teachers: events cannot be saved (`{text}`, the reason), so none is shown.
    saving_failed,
    /// To teachers: events are saved and shown again.
    saving_works,
    /// To everyone on a node that lost its cluster: nothing new is shown until it is back.
    cluster_down,
    /// To everyone on a node that has its cluster back.
    cluster_up,
    /// To teachers: `{nick}` warned by flood control.
    flood_warned,
    /// To teachers: `{nick}` silenced by flood control for `{number}` minutes.
    flood_muted,
    /// A WebSocket frame that is not valid JSON or not a known type: `{detail}`.
    bad_frame,
    /// A second `hello`.
    already_joined,
}

/// A value put into a sentence: text, or a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Arg<'a> {
    /// Text, as it is.
    Text(&'a str),
    /// A number.
    Number(u64),
}

impl fmt::Display for Arg<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Text(text) => f.write_str(text),
            Arg::Number(number) => write!(f, "{number}"),
        }
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(text: &'a str) -> Self {
        Arg::Text(text)
    }
}

impl<'a> From<&'a Nick> for Arg<'a> {
    fn from(nick: &'a Nick) -> Self {
        Arg::Text(nick.as_str())
    }
}

impl From<u64> for Arg<'_> {
    fn from(number: u64) -> Self {
        Arg::Number(number)
    }
}

impl From<usize> for Arg<'_> {
    fn from(number: usize) -> Self {
        Arg::Number(number as u64)
    }
}

/// The values a sentence names, by name.
pub type Args<'a> = Vec<(&'static str, Arg<'a>)>;

/// Puts each `{name}` of `template` from `values`, in one pass: what is put in is never
/// read again, so a value that itself says `{name}` stays as it is. A `{name}` with no value
/// stays too.
pub fn fill(template: &str, values: &[(&str, Arg<'_>)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            let value = values.iter().find(|(key, _)| *key == name)?;
            Some((value.1, close))
        });
        match value {
            Some((value, close)) => {
                let _ = write!(out, "{value}");
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The values an error's sentence names (the WebSocket `error` frame's `args`).
pub fn error_args(error: &ChatError) -> Args<'_> {
    match error {
        ChatError::NickTaken(nick)
        | ChatError::NickReserved(nick)
        | ChatError::NoSuchUser(nick)
        | ChatError::RecipientBusy(nick) => vec![("nick", nick.as_str().into())],
        ChatError::NickInvalid => vec![("max", MAX_NICK_CHARS.into())],
        ChatError::UnknownCommand(command) => vec![("command", command.as_str().into())],
        ChatError::Usage(usage) => vec![("usage", (*usage).into())],
        ChatError::TooLong { max } | ChatError::TooManyLines { max } => {
            vec![("max", (*max).into())]
        }
        ChatError::Muted(seconds) | ChatError::Slow(seconds) | ChatError::Kicked(seconds) => {
            vec![("seconds", (*seconds).into())]
        }
        ChatError::NoSuchMessage(id) => vec![("id", (*id).into())],
        ChatError::NoSuchRoom(room)
        | ChatError::RoomExists(room)
        | ChatError::AlreadyInRoom(room)
        | ChatError::MoveNotSaved(room) => {
            vec![("room", room.as_str().into())]
        }
        ChatError::RoomInvalid => vec![("max", crate::chat::MAX_ROOM_CHARS.into())],
        ChatError::TooManyRooms(max) => vec![("max", (*max).into())],
        ChatError::TooManyGroups(max) => vec![("max", (*max).into())],
        _ => Vec::new(),
    }
}

impl Catalog {
    /// The sentence called `key`, filled with `args`; empty if there is none. A counted
    /// sentence takes the form its number (the first of [`COUNTED`] in `args`) asks for.
    pub fn say(&self, key: &str, args: &[(&str, Arg<'_>)]) -> String {
        self.template(key, args)
            .map(|template| fill(template, args))
            .unwrap_or_default()
    }

    /// The template called `key`, or the form of the counted sentence `key` that `args`
    /// ask for.
    fn template(&self, key: &str, args: &[(&str, Arg<'_>)]) -> Option<&'static str> {
        if let Some(template) = self.get(key) {
            return Some(template);
        }
        let count = COUNTED.iter().find_map(|wanted| {
            args.iter().find_map(|(name, value)| match value {
                Arg::Number(number) if name == wanted => Some(*number),
                _ => None,
            })
        })?;
        self.get(&format!("{key}{}", self.lang.plural(count).suffix()))
    }

    /// The sentence explaining a refused action; empty for a silently dropped line.
    pub fn error(&self, error: &ChatError) -> String {
        self.say(error.code(), &error_args(error))
    }

    /// The greeting of a TCP client.
    pub fn greeting(&self, nick: &Nick) -> String {
        fill(self.greeting, &[("nick", nick.into())])
    }

    /// The topic, as a newcomer is told it.
    pub fn topic_now(&self, topic: &str) -> String {
        fill(self.topic_now, &[("text", topic.into())])
    }

    /// Events skipped by a slow reader.
    pub fn missed(&self, count: u64) -> String {
        self.say("missed", &[("count", count.into())])
    }

    /// The heading of `/who`.
    pub fn who(&self, count: usize) -> String {
        self.say("who", &[("count", count.into())])
    }

    /// The end of a `/who` too long to send whole.
    pub fn who_more(&self, count: usize) -> String {
        fill(self.who_more, &[("count", count.into())])
    }

    /// Older messages left out of a `/history` too long to send whole.
    pub fn history_older(&self, count: usize) -> String {
        self.say("history_older", &[("count", count.into())])
    }

    /// The heading of `/wire`: one's own reads, or `nick`'s for a teacher, `count` of them.
    pub fn wire_heading(&self, own: bool, nick: &str, count: usize) -> String {
        match (count, own) {
            (0, _) => self.say("wire_nothing", &[("nick", nick.into())]),
            (_, true) => self.say("wire_own", &[("count", count.into())]),
            (_, false) => self.say("wire_of", &[("nick", nick.into()), ("count", count.into())]),
        }
    }

    /// To a client answered at each send: older lines went by while it was typing.
    pub fn went_by(&self, count: u64) -> String {
        self.say("went_by", &[("count", count.into())])
    }

    /// A read's size.
    pub fn wire_bytes(&self, count: u32) -> String {
        self.say("wire_bytes", &[("count", u64::from(count).into())])
    }

    /// What a read made, by the name of its flag (`line`, `chunk`…).
    pub fn wire_made(&self, name: &str) -> &'static str {
        self.get(&format!("wire_{name}")).unwrap_or_default()
    }

    /// Why a TCP line far over `max` characters closed the connection.
    pub fn cut_off(&self, max: usize) -> String {
        self.say("cut_off", &[("max", max.into())])
    }

    /// One line of `/arrivals`: when (local time), who, how, from where, still here or not.
    pub fn arrival(&self, arrived: &crate::chat::Arrived, here: bool) -> String {
        let time = chrono::Local
            .timestamp_millis_opt(arrived.ts)
            .single()
            .map(|time| time.format("%H:%M:%S").to_string())
            .unwrap_or_default();
        let addr = arrived.addr.to_string();
        let state = if here {
            self.arrival_here
        } else {
            self.arrival_gone
        };
        fill(
            self.arrival,
            &[
                ("time", time.as_str().into()),
                ("nick", (&arrived.nick).into()),
                ("via", self.via(arrived.via).into()),
                ("addr", addr.as_str().into()),
                ("state", state.into()),
            ],
        )
    }

    /// To teachers: flood control warned `nick`.
    pub fn flood_warned(&self, nick: &str) -> String {
        fill(self.flood_warned, &[("nick", nick.into())])
    }

    /// To the teacher: `/groups` made one group per student, `made`, not the `asked`.
    pub fn groups_capped(&self, asked: u64, made: u64) -> String {
        self.say(
            "groups_capped",
            &[("asked", asked.into()), ("number", made.into())],
        )
    }

    /// To teachers: flood control silenced `nick` for `minutes`.
    pub fn flood_muted(&self, nick: &str, minutes: u64) -> String {
        fill(
            self.flood_muted,
            &[("nick", nick.into()), ("number", minutes.into())],
        )
    }

    /// Why events cannot be saved, for teachers.
    pub fn saving_failed(&self, reason: &str) -> String {
        fill(self.saving_failed, &[("text", reason.into())])
    }

    /// What a member is told on entering `room`; a teacher (`watching` every room), that
    /// it speaks there now.
    pub fn entered(&self, room: &str, watching: bool) -> String {
        let sentence = if watching {
            self.entered_watching
        } else {
            self.entered
        };
        fill(sentence, &[("room", room.into())])
    }

    /// One row of `/rooms`.
    pub fn room_row(&self, room: &str, count: usize) -> String {
        self.say(
            "room_row",
            &[("room", room.into()), ("count", count.into())],
        )
    }

    /// How a transport is described to people.
    pub fn via(&self, via: Via) -> &'static str {
        match via {
            Via::Tcp => self.via_tcp,
            // Nobody is shown the console as such (see `Via::as_seen`).
            Via::Web | Via::Console => self.via_web,
        }
    }

    /// The sentence telling everyone about a public event other than a message (arrivals,
    /// departures, renames, teachers' notices); `None` for messages, which are not
    /// sentences of the server's.
    pub fn event(&self, kind: &EventKind) -> Option<String> {
        Some(match kind {
            EventKind::Message { .. } => return None,
            EventKind::Join { nick, via } => fill(
                self.joined,
                &[("nick", nick.into()), ("via", self.via(*via).into())],
            ),
            EventKind::Leave { nick, .. } => fill(self.left, &[("nick", nick.into())]),
            EventKind::Rename { old, new, .. } => {
                fill(self.renamed, &[("old", old.into()), ("new", new.into())])
            }
            EventKind::Moved { nick, from, to, .. } => fill(
                self.moved,
                &[
                    ("nick", nick.into()),
                    ("from", from.as_str().into()),
                    ("to", to.as_str().into()),
                ],
            ),
            EventKind::Notice {
                kind,
                by,
                target,
                text,
                number,
            } => {
                let key = notice_key(*kind, target.is_some(), text, *number);
                let nick = target.as_ref().map_or("", Nick::as_str);
                self.say(
                    key,
                    &[
                        ("nick", nick.into()),
                        ("by", by.into()),
                        ("text", text.as_str().into()),
                        ("number", (*number).into()),
                    ],
                )
            }
        })
    }

    /// What a command does, from its row in `chat::COMMANDS`.
    pub fn describe(&self, command: &crate::chat::CommandSpec) -> &'static str {
        self.get(&format!("cmd_{}", command.name()))
            .unwrap_or_default()
    }
}

/// The name of a teacher's notice's sentence (the page names them the same way).
fn notice_key(kind: NoticeKind, targeted: bool, text: &str, number: u64) -> &'static str {
    match kind {
        NoticeKind::Op => "notice_op",
        NoticeKind::Topic if text.is_empty() => "notice_topic_cleared",
        NoticeKind::Topic => "notice_topic",
        NoticeKind::Announce => "notice_announce",
        NoticeKind::Kick if text.is_empty() => "notice_kick",
        NoticeKind::Kick => "notice_kick_reason",
        NoticeKind::Mute => "notice_mute",
        NoticeKind::Unmute => "notice_unmute",
        NoticeKind::Ban if !targeted => "notice_ban_address",
        NoticeKind::Ban => "notice_ban",
        NoticeKind::Lock => "notice_lock",
        NoticeKind::Unlock => "notice_unlock",
        NoticeKind::Slow if number == 0 => "notice_slow_off",
        NoticeKind::Slow => "notice_slow",
        NoticeKind::PrivateOff => "notice_private_off",
        NoticeKind::PrivateOn => "notice_private_on",
        NoticeKind::Delete => "notice_delete",
        NoticeKind::Open => "notice_room_open",
        NoticeKind::Close => "notice_room_close",
        NoticeKind::Groups => "notice_groups",
        NoticeKind::GroupsEnd => "notice_groups_end",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::COMMANDS;

    #[test]
    fn values_are_put_in_once_and_never_read_as_templates() {
        let filled = fill(
            "Sujet : {text} ({by}) {missing}",
            &[
                ("text", "rendu {number} avant {by}".into()),
                ("by", "prof".into()),
            ],
        );
        assert_eq!(filled, "Sujet : rendu {number} avant {by} (prof) {missing}");
        assert_eq!(fill("{", &[]), "{");
        assert_eq!(fill("a {b", &[("b", 1u64.into())]), "a {b");
    }

    #[test]
    fn counted_sentences_agree_with_their_number_in_french() {
        let fr = Lang::Fr.catalog();
        assert_eq!(fr.missed(0), "0 message manqué : ta connexion ne suit pas.");
        assert_eq!(fr.missed(1), "1 message manqué : ta connexion ne suit pas.");
        assert_eq!(
            fr.missed(3),
            "3 messages manqués : ta connexion ne suit pas."
        );
        assert_eq!(fr.who(1), "1 personne connectée :");
        assert_eq!(fr.who(3), "3 personnes connectées :");
        assert!(
            fr.history_older(1)
                .starts_with("1 message plus ancien ne tient pas")
        );
        assert!(
            fr.history_older(2)
                .starts_with("2 messages plus anciens ne tiennent pas")
        );
        assert_eq!(
            fr.cut_off(1),
            "Ligne beaucoup trop longue (maximum 1 caractère) : connexion fermée."
        );
        assert_eq!(
            fr.error(&ChatError::TooLong { max: 2000 }),
            "Message trop long (maximum 2000 caractères)."
        );
        let banned = |number| EventKind::Notice {
            kind: NoticeKind::Ban,
            by: Nick::restored("prof"),
            target: None,
            text: String::new(),
            number,
        };
        assert_eq!(
            fr.event(&banned(0)).as_deref(),
            Some("prof a banni une adresse (0 connexion renvoyée)")
        );
        assert_eq!(
            fr.event(&banned(4)).as_deref(),
            Some("prof a banni une adresse (4 connexions renvoyées)")
        );
        let slow = |number| EventKind::Notice {
            kind: NoticeKind::Slow,
            by: Nick::restored("prof"),
            target: None,
            text: String::new(),
            number,
        };
        assert_eq!(
            fr.event(&slow(1)).as_deref(),
            Some("Mode lent (prof) : un message par seconde et par élève")
        );
        assert_eq!(
            fr.event(&slow(30)).as_deref(),
            Some("Mode lent (prof) : un message toutes les 30 s par élève")
        );
    }

    #[test]
    fn counted_sentences_agree_with_their_number_in_english() {
        let en = Lang::En.catalog();
        assert_eq!(
            en.missed(0),
            "0 messages missed: your connection is not keeping up."
        );
        assert_eq!(
            en.missed(1),
            "1 message missed: your connection is not keeping up."
        );
        assert_eq!(
            en.missed(3),
            "3 messages missed: your connection is not keeping up."
        );
        assert_eq!(en.who(0), "0 people connected:");
        assert_eq!(en.who(1), "1 person connected:");
        assert_eq!(en.who(30), "30 people connected:");
        assert!(en.history_older(1).starts_with("1 older message does not"));
        assert_eq!(
            en.error(&ChatError::TooLong { max: 1 }),
            "Message too long (at most 1 character)."
        );
    }

    #[test]
    fn every_counted_sentence_has_both_forms_in_every_language() {
        for lang in Lang::ALL {
            let names: Vec<_> = lang
                .catalog()
                .entries()
                .into_iter()
                .map(|(name, _)| name)
                .collect();
            for name in &names {
                if let Some(base) = name.strip_suffix("_one") {
                    assert!(
                        names.contains(&format!("{base}_other").as_str()),
                        "{lang:?} {base}"
                    );
                }
                if let Some(base) = name.strip_suffix("_other") {
                    assert!(
                        names.contains(&format!("{base}_one").as_str()),
                        "{lang:?} {base}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_catalog_has_every_command_error_and_notice() {
        let errors = [
            ChatError::NickTaken("a".into()),
            ChatError::NickInvalid,
            ChatError::NoSuchUser("a".into()),
            ChatError::SelfMessage,
            ChatError::RecipientBusy("a".into()),
            ChatError::UnknownCommand("/a".into()),
            ChatError::Usage("/a"),
            ChatError::TooLong { max: 1 },
            ChatError::TooManyLines { max: 1 },
            ChatError::NickReserved("a".into()),
            ChatError::NotTeacher,
            ChatError::BadToken,
            ChatError::Muted(1),
            ChatError::Kicked(1),
            ChatError::Locked,
            ChatError::Slow(1),
            ChatError::PrivateOff,
            ChatError::Flood,
            ChatError::Banned,
            ChatError::NoSuchMessage(1),
            ChatError::AlreadyIn,
            ChatError::TooManyConnections,
            ChatError::PasswordRequired,
            ChatError::PasswordWrong,
            ChatError::TooManyAttempts,
            ChatError::NotSaved,
            ChatError::Unavailable,
            ChatError::RoomInvalid,
            ChatError::NoSuchRoom("a".into()),
            ChatError::RoomExists("a".into()),
            ChatError::TooManyRooms(1),
            ChatError::RoomsFixed,
            ChatError::MainRoom,
            ChatError::AlreadyInRoom("a".into()),
            ChatError::NoStudents,
            ChatError::TooManyGroups(32),
            ChatError::MoveNotSaved("a".into()),
        ];
        for lang in Lang::ALL {
            let catalog = lang.catalog();
            for spec in COMMANDS.iter().filter(|spec| spec.listed) {
                assert!(
                    !catalog.describe(spec).is_empty(),
                    "{lang:?} /{}",
                    spec.name()
                );
            }
            for kind in NoticeKind::ALL {
                for (targeted, text, number) in [(true, "", 0), (false, "x", 3)] {
                    let event = EventKind::Notice {
                        kind,
                        by: Nick::restored("prof"),
                        target: targeted.then(|| Nick::restored("bob")),
                        text: text.to_owned(),
                        number,
                    };
                    let sentence = catalog.event(&event).unwrap_or_default();
                    assert!(!sentence.is_empty(), "{lang:?} {kind:?}");
                    assert!(!sentence.contains('{'), "{lang:?} {sentence}");
                }
            }
            for error in &errors {
                let sentence = catalog.error(error);
                assert!(!sentence.is_empty(), "{lang:?} {error:?}");
                assert!(!sentence.contains('{'), "{lang:?} {sentence}");
            }
        }
    }
}
