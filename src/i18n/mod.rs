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
    pub commands: [&'static str; 7],
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
        }
    }
}
