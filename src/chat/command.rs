//! What a line of input means: a message, or one of the `/` commands. One table,
//! [`COMMANDS`], names every command: parsing reads it, `/help` lists it, and each
//! catalog describes its rows by name (`cmd_NAME`), so nothing is kept in step by hand.

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
    /// `/wire [NICK|off]`: the bytes the server read from a connection.
    Wire(WireOf<'a>),
    /// `/rooms`: the open rooms and how many are in each.
    Rooms,
    /// `/join ROOM`: go to another room (a teacher: speak there).
    Join(&'a str),
    /// A teacher's command.
    Teacher(TeacherCommand<'a>),
}

/// Whose bytes `/wire` shows.
#[derive(Debug, PartialEq, Eq)]
pub enum WireOf<'a> {
    /// One's own connection's, as recorded so far.
    Own,
    /// Someone's, recorded so far and then live: for a teacher.
    Nick(&'a str),
    /// Stop watching anyone's.
    Off,
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
    /// `/ban NICK` or `/ban ADDRESS`: that address, until restart.
    Ban(&'a str),
    /// `/arrivals`: the latest arrivals, with their addresses.
    Arrivals,
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
    /// `/announce TEXT`: to every room.
    Announce(&'a str),
    /// `/room create NAME`.
    OpenRoom(&'a str),
    /// `/room close NAME`: its members go back to the main room.
    CloseRoom(&'a str),
    /// `/groups N`: the students present, split at random into N balanced groups.
    Groups(u64),
    /// `/groups end`: everyone back to the main room.
    GroupsEnd,
}

/// Every command, by what it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    /// `/help`.
    Help,
    /// `/nick`.
    Nick,
    /// `/me`.
    Me,
    /// `/who`.
    Who,
    /// `/msg`.
    Msg,
    /// `/history`.
    History,
    /// `/quit`.
    Quit,
    /// `/op`.
    Op,
    /// `/pass`.
    Pass,
    /// `/kick`.
    Kick,
    /// `/mute`.
    Mute,
    /// `/unmute`.
    Unmute,
    /// `/ban`.
    Ban,
    /// `/lock`.
    Lock,
    /// `/unlock`.
    Unlock,
    /// `/slow`.
    Slow,
    /// `/private`.
    Private,
    /// `/delete`.
    Delete,
    /// `/topic`.
    Topic,
    /// `/announce`.
    Announce,
    /// `/arrivals`.
    Arrivals,
    /// `/wire`.
    Wire,
    /// `/rooms`.
    Rooms,
    /// `/join`.
    Join,
    /// `/room`.
    Room,
    /// `/groups`.
    Groups,
}

/// One row of the command table.
#[derive(Debug)]
pub struct CommandSpec {
    /// What the command does.
    pub verb: Verb,
    /// What it is typed as (without the `/`): its name, then its aliases.
    pub names: &'static [&'static str],
    /// How to type it, as `/help` and usage errors show it.
    pub usage: &'static str,
    /// Only a teacher may use it, and only teachers see it in `/help`.
    pub teacher: bool,
    /// Shown by `/help`; `/pass` is not, as it only means something before joining.
    pub listed: bool,
}

impl CommandSpec {
    /// The command's name, which its description in each catalog is keyed by
    /// (`cmd_NAME`).
    pub fn name(&self) -> &'static str {
        self.names.first().copied().unwrap_or_default()
    }
}

const fn row(
    verb: Verb,
    names: &'static [&'static str],
    usage: &'static str,
    teacher: bool,
) -> CommandSpec {
    CommandSpec {
        verb,
        names,
        usage,
        teacher,
        listed: true,
    }
}

/// Every command, in the order `/help` lists them.
pub const COMMANDS: [CommandSpec; 26] = [
    row(Verb::Help, &["help", "aide", "?"], "/help", false),
    row(Verb::Nick, &["nick"], "/nick NAME", false),
    row(Verb::Me, &["me"], "/me ACTION", false),
    row(Verb::Who, &["who", "names", "users"], "/who", false),
    row(
        Verb::Msg,
        &["msg", "w", "whisper", "tell"],
        "/msg NICK TEXT",
        false,
    ),
    row(
        Verb::History,
        &["history", "historique"],
        "/history [N]",
        false,
    ),
    row(Verb::Wire, &["wire", "octets"], "/wire [NICK|off]", false),
    row(Verb::Quit, &["quit", "exit", "bye"], "/quit", false),
    row(Verb::Op, &["op"], "/op TOKEN", false),
    row(Verb::Rooms, &["rooms", "salons"], "/rooms", false),
    row(Verb::Join, &["join", "salon"], "/join ROOM", false),
    CommandSpec {
        listed: false,
        ..row(Verb::Pass, &["pass", "password"], "/pass PASSWORD", false)
    },
    row(Verb::Kick, &["kick"], "/kick NICK [REASON]", true),
    row(Verb::Mute, &["mute"], "/mute NICK [MINUTES]", true),
    row(Verb::Unmute, &["unmute"], "/unmute NICK", true),
    row(Verb::Ban, &["ban"], "/ban NICK|ADDRESS", true),
    row(Verb::Lock, &["lock"], "/lock", true),
    row(Verb::Unlock, &["unlock"], "/unlock", true),
    row(Verb::Slow, &["slow"], "/slow SECONDS", true),
    row(Verb::Private, &["private"], "/private off|on", true),
    row(Verb::Delete, &["delete"], "/delete ID", true),
    row(Verb::Topic, &["topic"], "/topic TEXT", true),
    row(Verb::Announce, &["announce"], "/announce TEXT", true),
    row(Verb::Arrivals, &["arrivals", "arrivees"], "/arrivals", true),
    row(Verb::Room, &["room"], "/room create|close NAME", true),
    row(Verb::Groups, &["groups", "groupes"], "/groups N|end", true),
];

/// Minutes of `/mute` when not told.
pub(super) const DEFAULT_MUTE_MINUTES: u64 = 5;

/// How many messages `/history` shows when not told.
pub const DEFAULT_HISTORY: usize = 20;

impl<'a> Command<'a> {
    /// True if `line` starts with a known `/command` (in any case): what a paste from a
    /// terminal never swallows, while `// comment` or `/usr/bin` in pasted code stays text.
    pub fn is_command(line: &str) -> bool {
        let Some(rest) = line.strip_prefix('/') else {
            return false;
        };
        let name = rest.split(char::is_whitespace).next().unwrap_or_default();
        !name.is_empty()
            && COMMANDS
                .iter()
                .any(|spec| spec.names.iter().any(|n| n.eq_ignore_ascii_case(name)))
    }

    /// True if `line` sends a private message: what a teacher watching `/wire` does not see.
    pub fn is_private(line: &str) -> bool {
        matches!(Command::parse(line), Ok(Command::Msg { .. }))
    }

    /// Parses one input: a message (of one line or several) or a command. An input starting
    /// with `//` is a message starting with `/`.
    ///
    /// # Errors
    /// [`ChatError::UnknownCommand`] for an unknown `/word`, [`ChatError::Usage`] when a
    /// command lacks its argument or has a wrong one.
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
        let lower = name.to_lowercase();
        let Some(spec) = COMMANDS
            .iter()
            .find(|spec| spec.names.contains(&lower.as_str()))
        else {
            return Err(ChatError::UnknownCommand(format!(
                "/{}",
                super::sanitize(name)
            )));
        };
        let usage = || ChatError::Usage(spec.usage);
        // Only what is said keeps its lines; a name, a number or a topic is one line.
        if arg.contains(['\n', '\r']) && !matches!(spec.verb, Verb::Me | Verb::Msg) {
            return Err(usage());
        }
        let required = || {
            if arg.is_empty() {
                Err(usage())
            } else {
                Ok(arg)
            }
        };
        let number = |text: &str| text.parse::<u64>().map_err(|_| usage());
        // The first word of the argument, and the rest (possibly empty).
        let nick_and_rest = || match arg.split_once(char::is_whitespace) {
            Some((nick, rest)) => Ok((nick, rest.trim())),
            None => required().map(|nick| (nick, "")),
        };
        let nick_only = || match nick_and_rest()? {
            (nick, "") => Ok(nick),
            _ => Err(usage()),
        };
        let teacher = Command::Teacher;
        Ok(match spec.verb {
            Verb::Help => Command::Help,
            Verb::Who => Command::Who,
            Verb::History => match arg {
                "" => Command::History(DEFAULT_HISTORY),
                count => Command::History(count.parse().map_err(|_| usage())?),
            },
            Verb::Quit => Command::Quit,
            Verb::Me => Command::Me(required()?),
            Verb::Nick => Command::Nick(required()?),
            Verb::Msg => match nick_and_rest()? {
                (_, "") => return Err(usage()),
                (to, text) => Command::Msg { to, text },
            },
            Verb::Op => Command::Op(required()?),
            Verb::Pass => Command::Pass(arg),
            Verb::Wire => Command::Wire(match arg {
                "" => WireOf::Own,
                off if off.eq_ignore_ascii_case("off") => WireOf::Off,
                _ => WireOf::Nick(nick_only()?),
            }),
            Verb::Kick => {
                let (nick, reason) = nick_and_rest()?;
                teacher(TeacherCommand::Kick { nick, reason })
            }
            Verb::Mute => {
                let (nick, minutes) = nick_and_rest()?;
                let minutes = match minutes {
                    "" => DEFAULT_MUTE_MINUTES,
                    minutes => number(minutes)?,
                };
                teacher(TeacherCommand::Mute { nick, minutes })
            }
            Verb::Unmute => teacher(TeacherCommand::Unmute(nick_only()?)),
            Verb::Ban => teacher(TeacherCommand::Ban(nick_only()?)),
            Verb::Lock => teacher(TeacherCommand::Lock),
            Verb::Unlock => teacher(TeacherCommand::Unlock),
            Verb::Slow => teacher(TeacherCommand::Slow(number(arg)?)),
            Verb::Private => match arg.to_ascii_lowercase().as_str() {
                "on" => teacher(TeacherCommand::Private(true)),
                "off" => teacher(TeacherCommand::Private(false)),
                _ => return Err(usage()),
            },
            Verb::Delete => teacher(TeacherCommand::Delete(number(arg.trim_start_matches('#'))?)),
            Verb::Topic => teacher(TeacherCommand::Topic(arg)),
            Verb::Announce => teacher(TeacherCommand::Announce(required()?)),
            Verb::Arrivals => teacher(TeacherCommand::Arrivals),
            Verb::Rooms => Command::Rooms,
            Verb::Join => Command::Join(nick_only()?),
            Verb::Room => match nick_and_rest()? {
                (action, name) if !name.is_empty() && !name.contains(char::is_whitespace) => {
                    match action.to_lowercase().as_str() {
                        "create" | "open" => teacher(TeacherCommand::OpenRoom(name)),
                        "close" => teacher(TeacherCommand::CloseRoom(name)),
                        _ => return Err(usage()),
                    }
                }
                _ => return Err(usage()),
            },
            Verb::Groups => match arg.to_lowercase().as_str() {
                "end" | "fin" => teacher(TeacherCommand::GroupsEnd),
                count => match number(count)? {
                    0 => return Err(usage()),
                    count => teacher(TeacherCommand::Groups(count)),
                },
            },
        })
    }
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
        assert_eq!(parsed("/ban"), Err(ChatError::Usage("/ban NICK|ADDRESS")));
        assert_eq!(parsed("/announce"), Err(ChatError::Usage("/announce TEXT")));
        assert_eq!(
            parsed("/room create Atelier"),
            Ok(Command::Teacher(TeacherCommand::OpenRoom("Atelier")))
        );
        assert_eq!(
            parsed("/room close atelier"),
            Ok(Command::Teacher(TeacherCommand::CloseRoom("atelier")))
        );
        assert_eq!(
            parsed("/room atelier"),
            Err(ChatError::Usage("/room create|close NAME"))
        );
        assert_eq!(
            parsed("/groups 3"),
            Ok(Command::Teacher(TeacherCommand::Groups(3)))
        );
        assert_eq!(
            parsed("/groups END"),
            Ok(Command::Teacher(TeacherCommand::GroupsEnd))
        );
        assert_eq!(parsed("/groups 0"), Err(ChatError::Usage("/groups N|end")));
        assert_eq!(parsed("/join groupe-1"), Ok(Command::Join("groupe-1")));
        assert_eq!(parsed("/rooms"), Ok(Command::Rooms));
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

#[cfg(test)]
mod table_tests {
    use super::*;

    #[test]
    fn every_name_is_one_command_and_parses_to_it() {
        let mut seen = std::collections::HashSet::new();
        for spec in &COMMANDS {
            for name in spec.names {
                assert!(seen.insert(*name), "/{name} names two commands");
            }
            assert!(spec.usage.starts_with(&format!("/{}", spec.name())));
            // Every command parses from its name, to its usage error or to itself.
            let line = format!("/{}", spec.name());
            let parsed = Command::parse(&line);
            assert!(
                !matches!(parsed, Err(ChatError::UnknownCommand(_))),
                "{parsed:?}"
            );
        }
    }
}
