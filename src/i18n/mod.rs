//! Every sentence the server itself writes, in each language it speaks. Adding a language
//! is one file beside these and one line in [`Lang`].

mod en;
mod fr;

/// A language the server speaks to TCP clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Français.
    Fr,
    /// English.
    En,
}

impl Lang {
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

    /// This language's sentences.
    pub fn catalog(self) -> &'static Catalog {
        match self {
            Lang::Fr => &fr::CATALOG,
            Lang::En => &en::CATALOG,
        }
    }
}

/// The server's sentences in one language. `{name}` marks where [`fill`] puts a value.
#[derive(Debug)]
pub struct Catalog {
    /// First line to a TCP client: `{nick}`.
    pub greeting: &'static str,
    /// Before the history replayed to a TCP client.
    pub history: &'static str,
    /// Someone arrived: `{nick}`, `{via}`.
    pub joined: &'static str,
    /// Someone left: `{nick}`.
    pub left: &'static str,
    /// Someone was renamed: `{old}`, `{new}`.
    pub renamed: &'static str,
    /// How a browser user is described.
    pub via_web: &'static str,
    /// How a TCP user is described.
    pub via_tcp: &'static str,
    /// Heading of `/who`: `{count}`.
    pub who: &'static str,
    /// Heading of `/help`.
    pub help: &'static str,
    /// One description per entry of `chat::COMMANDS`, in the same order.
    pub commands: [&'static str; 8],
    /// Heading of the teacher's part of `/help`.
    pub help_teacher: &'static str,
    /// One description per entry of `chat::TEACHER_COMMANDS`, in the same order.
    pub teacher_commands: [&'static str; 11],
    /// After a teacher's nickname on TCP: `<alice (prof)> …`.
    pub teacher_tag: &'static str,
    /// Notices, by kind: `{nick}` the target, `{by}` the teacher, `{text}`, `{number}`.
    pub notice_op: &'static str,
    /// `{by}`, `{text}`.
    pub notice_topic: &'static str,
    /// `{by}`.
    pub notice_topic_cleared: &'static str,
    /// `{by}`, `{text}`.
    pub notice_announce: &'static str,
    /// `{nick}`, `{by}`, `{text}` (the reason, possibly empty).
    pub notice_kick: &'static str,
    /// `{nick}`, `{by}`, `{number}` minutes.
    pub notice_mute: &'static str,
    /// `{nick}`, `{by}`.
    pub notice_unmute: &'static str,
    /// `{nick}`, `{by}`.
    pub notice_ban: &'static str,
    /// `{by}`.
    pub notice_lock: &'static str,
    /// `{by}`.
    pub notice_unlock: &'static str,
    /// `{by}`, `{number}` seconds.
    pub notice_slow: &'static str,
    /// `{by}`.
    pub notice_slow_off: &'static str,
    /// `{by}`.
    pub notice_private_off: &'static str,
    /// `{by}`.
    pub notice_private_on: &'static str,
    /// `{nick}` (the author), `{by}`, `{number}` (the message id).
    pub notice_delete: &'static str,
    /// Greeting line with the current topic: `{text}`.
    pub topic_now: &'static str,
    /// To a teacher, after the greeting.
    pub teacher_welcome: &'static str,
    /// To a kicked member: `{text}` is the reason, possibly empty.
    pub kicked: &'static str,
    /// To a banned member.
    pub banned: &'static str,
    /// To a TCP client of a room with a password.
    pub password_prompt: &'static str,
    /// A wrong password.
    pub password_wrong: &'static str,
    /// Too many wrong passwords from this address.
    pub password_wait: &'static str,
    /// Refused at the door: too many connections (in all or from this address).
    pub too_many: &'static str,
    /// A TCP line far over the limit: the connection is closed. `{max}` characters.
    pub cut_off: &'static str,
    /// Said when a client leaves.
    pub bye: &'static str,
    /// Said to everyone when the server stops.
    pub stopping: &'static str,
    /// A newer connection of the same person took over this one.
    pub replaced: &'static str,
    /// A slow client skipped events: `{count}`.
    pub missed: &'static str,
    /// Errors, by `ChatError` variant.
    pub nick_taken: &'static str,
    /// `{max}` is the longest nickname.
    pub nick_invalid: &'static str,
    /// `{nick}`.
    pub no_such_user: &'static str,
    /// A private message to oneself.
    pub self_message: &'static str,
    /// `{nick}` is not reading.
    pub recipient_busy: &'static str,
    /// `{command}`.
    pub unknown_command: &'static str,
    /// `{usage}`.
    pub usage: &'static str,
    /// `{max}` characters.
    pub too_long: &'static str,
    /// A WebSocket frame that is not valid JSON or not a known type: `{detail}`.
    pub bad_frame: &'static str,
    /// `{nick}` only a teacher may use.
    pub nick_reserved: &'static str,
    /// A teacher's command from a student.
    pub not_teacher: &'static str,
    /// A wrong teacher token.
    pub bad_token: &'static str,
    /// Silenced for `{seconds}` more seconds.
    pub muted: &'static str,
    /// Only teachers write for now.
    pub locked: &'static str,
    /// Slow mode: `{seconds}` more to wait.
    pub slow: &'static str,
    /// Private messages between students are off.
    pub private_off: &'static str,
    /// Flood warning.
    pub flood: &'static str,
    /// `/delete` of an unknown id: `{id}`.
    pub no_such_message: &'static str,
    /// `/pass` once in.
    pub already_in: &'static str,
}

/// Replaces each `{name}` in `template` by its value.
pub fn fill(template: &str, values: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), &value.to_string());
    }
    out
}

impl Catalog {
    /// The sentence for a teacher's notice.
    pub fn notice(
        &self,
        kind: crate::chat::NoticeKind,
        by: &str,
        target: Option<&str>,
        text: &str,
        number: u64,
    ) -> String {
        use crate::chat::NoticeKind;
        let template = match kind {
            NoticeKind::Op => self.notice_op,
            NoticeKind::Topic if text.is_empty() => self.notice_topic_cleared,
            NoticeKind::Topic => self.notice_topic,
            NoticeKind::Announce => self.notice_announce,
            NoticeKind::Kick => self.notice_kick,
            NoticeKind::Mute => self.notice_mute,
            NoticeKind::Unmute => self.notice_unmute,
            NoticeKind::Ban => self.notice_ban,
            NoticeKind::Lock => self.notice_lock,
            NoticeKind::Unlock => self.notice_unlock,
            NoticeKind::Slow if number == 0 => self.notice_slow_off,
            NoticeKind::Slow => self.notice_slow,
            NoticeKind::PrivateOff => self.notice_private_off,
            NoticeKind::PrivateOn => self.notice_private_on,
            NoticeKind::Delete => self.notice_delete,
        };
        let reason = if kind == NoticeKind::Kick && !text.is_empty() {
            format!(" ({text})")
        } else {
            text.to_owned()
        };
        fill(
            template,
            &[
                ("nick", &target.unwrap_or_default()),
                ("by", &by),
                ("text", &reason),
                ("number", &number),
            ],
        )
    }

    /// How a transport is described to people.
    pub fn via(&self, via: crate::chat::Via) -> &'static str {
        match via {
            crate::chat::Via::Tcp => self.via_tcp,
            crate::chat::Via::Web => self.via_web,
        }
    }

    /// The sentence explaining a refused action.
    pub fn error(&self, error: &crate::chat::ChatError) -> String {
        use crate::chat::{ChatError, MAX_NICK_CHARS};
        match error {
            ChatError::NickTaken(nick) => fill(self.nick_taken, &[("nick", nick)]),
            ChatError::NickInvalid => fill(self.nick_invalid, &[("max", &MAX_NICK_CHARS)]),
            ChatError::NoSuchUser(nick) => fill(self.no_such_user, &[("nick", nick)]),
            ChatError::SelfMessage => self.self_message.to_owned(),
            ChatError::RecipientBusy(nick) => fill(self.recipient_busy, &[("nick", nick)]),
            ChatError::UnknownCommand(command) => {
                fill(self.unknown_command, &[("command", command)])
            }
            ChatError::Usage(usage) => fill(self.usage, &[("usage", usage)]),
            ChatError::TooLong { max } => fill(self.too_long, &[("max", max)]),
            ChatError::NickReserved(nick) => fill(self.nick_reserved, &[("nick", nick)]),
            ChatError::NotTeacher => self.not_teacher.to_owned(),
            ChatError::BadToken => self.bad_token.to_owned(),
            ChatError::Muted(seconds) => fill(self.muted, &[("seconds", seconds)]),
            ChatError::Locked => self.locked.to_owned(),
            ChatError::Slow(seconds) => fill(self.slow, &[("seconds", seconds)]),
            ChatError::PrivateOff => self.private_off.to_owned(),
            ChatError::Flood => self.flood.to_owned(),
            ChatError::Banned => self.banned.to_owned(),
            ChatError::NoSuchMessage(id) => fill(self.no_such_message, &[("id", id)]),
            ChatError::AlreadyIn => self.already_in.to_owned(),
            ChatError::Dropped => String::new(),
        }
    }
}
