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
    /// `/op TOKEN`: become a teacher.
    Op(&'a str),
    /// `/pass PASSWORD`: only meaningful before joining a room with a password.
    Pass(&'a str),
    /// A teacher's command.
    Teacher(TeacherCommand<'a>),
}

/// What only a teacher may do.
#[derive(Debug, PartialEq, Eq)]
pub enum TeacherCommand<'a> {
    /// `/kick NICK [reason]`.
    Kick {
        /// Who.
        nick: &'a str,
        /// Why, possibly empty.
        reason: &'a str,
    },
    /// `/mute NICK [minutes]`.
    Mute {
        /// Who.
        nick: &'a str,
        /// For how long.
        minutes: u64,
    },
    /// `/unmute NICK`.
    Unmute(&'a str),
    /// `/ban NICK`: that address, until restart.
    Ban(&'a str),
    /// `/lock`: only teachers write.
    Lock,
    /// `/unlock`.
    Unlock,
    /// `/slow SECONDS`: at most one message per interval each; 0 ends it.
    Slow(u64),
    /// `/private off|on`: private messages between students.
    Private(bool),
    /// `/delete ID`: removes a message for everyone.
    Delete(u64),
    /// `/topic TEXT`: shown to everyone, newcomers too; empty clears it.
    Topic(&'a str),
    /// `/announce TEXT`.
    Announce(&'a str),
}

/// Every command with its usage, in the order `/help` lists them.
pub const COMMANDS: [&str; 8] = [
    "/help",
    "/nick NAME",
    "/me ACTION",
    "/who",
    "/msg NICK TEXT",
    "/history [N]",
    "/quit",
    "/op TOKEN",
];

/// The teacher's commands with their usage, listed by `/help` to teachers.
pub const TEACHER_COMMANDS: [&str; 11] = [
    "/kick NICK [REASON]",
    "/mute NICK [MINUTES]",
    "/unmute NICK",
    "/ban NICK",
    "/lock",
    "/unlock",
    "/slow SECONDS",
    "/private off|on",
    "/delete ID",
    "/topic TEXT",
    "/announce TEXT",
];

/// Minutes of `/mute` when not told.
pub(super) const DEFAULT_MUTE_MINUTES: u64 = 5;

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
            "op" => required(COMMANDS[7]).map(Command::Op),
            "pass" | "password" => Ok(Command::Pass(arg)),
            lower => teacher(lower, arg)
                .map(|command| command.map(Command::Teacher))
                .unwrap_or_else(|| {
                    Err(ChatError::UnknownCommand(format!(
                        "/{}",
                        super::sanitize(name)
                    )))
                }),
        }
    }
}

/// A teacher's command, or `None` if `name` is not one.
fn teacher<'a>(name: &str, arg: &'a str) -> Option<Result<TeacherCommand<'a>, ChatError>> {
    let usage = |index: usize| ChatError::Usage(TEACHER_COMMANDS[index]);
    let nick_and_rest = |index: usize| -> Result<(&'a str, &'a str), ChatError> {
        match arg.split_once(char::is_whitespace) {
            Some((nick, rest)) => Ok((nick, rest.trim())),
            None if !arg.is_empty() => Ok((arg, "")),
            None => Err(usage(index)),
        }
    };
    let nick_only = |index: usize| -> Result<&'a str, ChatError> {
        match nick_and_rest(index)? {
            (nick, "") => Ok(nick),
            _ => Err(usage(index)),
        }
    };
    let number = |text: &str, index: usize| text.parse::<u64>().map_err(|_| usage(index));
    Some(match name {
        "kick" => nick_and_rest(0).map(|(nick, reason)| TeacherCommand::Kick { nick, reason }),
        "mute" => nick_and_rest(1).and_then(|(nick, minutes)| {
            let minutes = match minutes {
                "" => DEFAULT_MUTE_MINUTES,
                minutes => number(minutes, 1)?,
            };
            Ok(TeacherCommand::Mute { nick, minutes })
        }),
        "unmute" => nick_only(2).map(TeacherCommand::Unmute),
        "ban" => nick_only(3).map(TeacherCommand::Ban),
        "lock" => Ok(TeacherCommand::Lock),
        "unlock" => Ok(TeacherCommand::Unlock),
        "slow" => number(arg, 6).map(TeacherCommand::Slow),
        "private" => match arg.to_ascii_lowercase().as_str() {
            "on" => Ok(TeacherCommand::Private(true)),
            "off" => Ok(TeacherCommand::Private(false)),
            _ => Err(usage(7)),
        },
        "delete" => number(arg.trim_start_matches('#'), 8).map(TeacherCommand::Delete),
        "topic" => Ok(TeacherCommand::Topic(arg)),
        "announce" => match arg {
            "" => Err(usage(10)),
            text => Ok(TeacherCommand::Announce(text)),
        },
        _ => return None,
    })
}

#[cfg(test)]
mod teacher_tests {
    use super::*;

    #[test]
    fn teacher_commands_parse_with_their_defaults() {
        let parsed = |line| Command::parse(line);
        assert_eq!(
            parsed("/kick bob trop bavard"),
            Ok(Command::Teacher(TeacherCommand::Kick {
                nick: "bob",
                reason: "trop bavard"
            }))
        );
        assert_eq!(
            parsed("/mute bob"),
            Ok(Command::Teacher(TeacherCommand::Mute {
                nick: "bob",
                minutes: 5
            }))
        );
        assert_eq!(
            parsed("/mute bob 10"),
            Ok(Command::Teacher(TeacherCommand::Mute {
                nick: "bob",
                minutes: 10
            }))
        );
        assert_eq!(
            parsed("/slow 30"),
            Ok(Command::Teacher(TeacherCommand::Slow(30)))
        );
        assert_eq!(
            parsed("/private OFF"),
            Ok(Command::Teacher(TeacherCommand::Private(false)))
        );
        assert_eq!(
            parsed("/delete #42"),
            Ok(Command::Teacher(TeacherCommand::Delete(42)))
        );
        assert_eq!(parsed("/op abc"), Ok(Command::Op("abc")));
        assert_eq!(parsed("/slow vite"), Err(ChatError::Usage("/slow SECONDS")));
        assert_eq!(parsed("/ban"), Err(ChatError::Usage("/ban NICK")));
        assert_eq!(parsed("/announce"), Err(ChatError::Usage("/announce TEXT")));
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
