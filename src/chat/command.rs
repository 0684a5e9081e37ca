//! What a line of input means: a message, or one of the `/` commands. Parsed here once for
//! both transports, so `/msg` behaves the same typed in `nc` or in the page.

use super::ChatError;

/// One line of user input, understood.
#[derive(Debug, PartialEq, Eq)]
pub enum Command<'a> {
    /// Text for everyone.
    Say(&'a str),
    /// `/me ACTION`: an action in the third person.
    Me(&'a str),
    /// `/nick NAME`.
    Nick(&'a str),
    /// `/msg NICK TEXT`: a private message.
    Msg {
        /// Who it is for.
        to: &'a str,
        /// What it says.
        text: &'a str,
    },
    /// `/who`: who is here, and how they are connected.
    Who,
    /// `/history [N]`: the last N messages again.
    History(usize),
    /// `/help`.
    Help,
    /// `/quit`.
    Quit,
}

/// Every command with its usage, in the order `/help` lists them.
pub const COMMANDS: [&str; 7] = [
    "/help",
    "/nick NAME",
    "/me ACTION",
    "/who",
    "/msg NICK TEXT",
    "/history [N]",
    "/quit",
];

/// How many messages `/history` shows when not told.
pub const DEFAULT_HISTORY: usize = 20;

impl<'a> Command<'a> {
    /// Parses one line. A line starting with `//` is a message starting with `/`.
    ///
    /// # Errors
    /// [`ChatError::UnknownCommand`] for an unknown `/word`, [`ChatError::Usage`] when a
    /// command lacks its argument.
    pub fn parse(line: &'a str) -> Result<Self, ChatError> {
        let Some(rest) = line.strip_prefix('/') else {
            return Ok(Command::Say(line));
        };
        if rest.starts_with('/') {
            return Ok(Command::Say(rest));
        }
        let (name, arg) = match rest.split_once(char::is_whitespace) {
            Some((name, arg)) => (name, arg.trim()),
            None => (rest, ""),
        };
        let required = |usage: &'static str| {
            if arg.is_empty() {
                Err(ChatError::Usage(usage))
            } else {
                Ok(arg)
            }
        };
        match name.to_ascii_lowercase().as_str() {
            "help" | "aide" | "?" => Ok(Command::Help),
            "who" | "names" | "users" => Ok(Command::Who),
            "history" | "historique" => match arg {
                "" => Ok(Command::History(DEFAULT_HISTORY)),
                count => count
                    .parse()
                    .map(Command::History)
                    .map_err(|_| ChatError::Usage(COMMANDS[5])),
            },
            "quit" | "exit" | "bye" => Ok(Command::Quit),
            "me" => required(COMMANDS[2]).map(Command::Me),
            "nick" => required(COMMANDS[1]).map(Command::Nick),
            "msg" | "w" | "whisper" | "tell" => {
                let arg = required(COMMANDS[4])?;
                match arg.split_once(char::is_whitespace) {
                    Some((to, text)) if !text.trim().is_empty() => Ok(Command::Msg {
                        to,
                        text: text.trim(),
                    }),
                    _ => Err(ChatError::Usage(COMMANDS[4])),
                }
            }
            _ => Err(ChatError::UnknownCommand(format!(
                "/{}",
                super::sanitize(name)
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_a_message_and_double_slash_escapes() {
        assert_eq!(Command::parse("salut"), Ok(Command::Say("salut")));
        assert_eq!(
            Command::parse("//etc/passwd"),
            Ok(Command::Say("/etc/passwd"))
        );
    }

    #[test]
    fn commands_with_arguments() {
        assert_eq!(Command::parse("/NICK  bob "), Ok(Command::Nick("bob")));
        assert_eq!(Command::parse("/me danse"), Ok(Command::Me("danse")));
        assert_eq!(
            Command::parse("/msg bob  on mange ?"),
            Ok(Command::Msg {
                to: "bob",
                text: "on mange ?"
            })
        );
        assert_eq!(Command::parse("/who"), Ok(Command::Who));
        assert_eq!(Command::parse("/quit"), Ok(Command::Quit));
        assert_eq!(Command::parse("/help"), Ok(Command::Help));
        assert_eq!(Command::parse("/history"), Ok(Command::History(20)));
        assert_eq!(Command::parse("/history 50"), Ok(Command::History(50)));
        assert_eq!(
            Command::parse("/history beaucoup"),
            Err(ChatError::Usage("/history [N]"))
        );
    }

    #[test]
    fn missing_arguments_and_unknown_commands_are_errors() {
        assert_eq!(Command::parse("/nick"), Err(ChatError::Usage("/nick NAME")));
        assert_eq!(
            Command::parse("/msg bob"),
            Err(ChatError::Usage("/msg NICK TEXT"))
        );
        assert_eq!(
            Command::parse("/dance"),
            Err(ChatError::UnknownCommand("/dance".into()))
        );
    }
}
