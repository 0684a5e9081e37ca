//! Why the conversation refused something. Each transport turns these into its own reply;
//! the sentences are built by the i18n catalog from [`ChatError::code`].

use super::NickError;

/// Why an action was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChatError {
    /// Someone else has this nickname (ignoring case).
    #[error("nickname {0} is taken")]
    NickTaken(String),
    /// The nickname breaks the rules of [`super::Nick::parse`].
    #[error("invalid nickname")]
    NickInvalid,
    /// A private message for a nickname nobody has.
    #[error("nobody is called {0}")]
    NoSuchUser(String),
    /// A private message to oneself.
    #[error("cannot send a private message to yourself")]
    SelfMessage,
    /// The recipient's private queue is full: they are not reading.
    #[error("{0} is not reading messages")]
    RecipientBusy(String),
    /// A `/word` that is not a command.
    #[error("unknown command {0}")]
    UnknownCommand(String),
    /// A command without its argument; holds the usage line.
    #[error("usage: {0}")]
    Usage(&'static str),
    /// A message longer than [`super::HubConfig::max_message_chars`].
    #[error("message longer than {max} characters")]
    TooLong {
        /// The limit.
        max: usize,
    },
    /// A message of more lines than [`super::MAX_LINES`].
    #[error("message longer than {max} lines")]
    TooManyLines {
        /// The limit.
        max: usize,
    },
    /// A name only a teacher may use.
    #[error("the nickname {0} is reserved")]
    NickReserved(String),
    /// A teacher's command from someone who is not one.
    #[error("only a teacher can do that")]
    NotTeacher,
    /// `/op` with the wrong token.
    #[error("wrong teacher token")]
    BadToken,
    /// Sent away: this person may come back in this many seconds.
    #[error("sent away: back in {0} seconds")]
    Kicked(u64),
    /// The member was silenced, for this many more seconds.
    #[error("muted for {0} more seconds")]
    Muted(u64),
    /// Only teachers may write for now.
    #[error("the conversation is locked")]
    Locked,
    /// Slow mode: wait this many more seconds.
    #[error("slow mode: wait {0} more seconds")]
    Slow(u64),
    /// Students may not write privately to each other for now.
    #[error("private messages are off")]
    PrivateOff,
    /// Too many lines too fast: this one was dropped.
    #[error("too many messages too fast")]
    Flood,
    /// The address is banned until the server restarts.
    #[error("banned")]
    Banned,
    /// No message with this id is kept.
    #[error("no message {0}")]
    NoSuchMessage(u64),
    /// `/pass` once already in.
    #[error("already in")]
    AlreadyIn,
    /// Too many connections, in all or from this address.
    #[error("too many connections")]
    TooManyConnections,
    /// The room has a password and none was given.
    #[error("password required")]
    PasswordRequired,
    /// The password given is not the room's.
    #[error("wrong password")]
    PasswordWrong,
    /// Too many wrong passwords from this address for now.
    #[error("too many attempts")]
    TooManyAttempts,
    /// Events cannot be saved for now, so nothing is published (and nobody is shown it).
    #[error("not saved")]
    NotSaved,
    /// The operating system gave no randomness for the newcomer's resume token.
    #[error("no secret token can be made")]
    Unavailable,
    /// A line dropped by flood control after the warning: nothing to say.
    #[error("dropped")]
    Dropped,
    /// A room name that breaks the rules of [`super::RoomName::parse`].
    #[error("invalid room name")]
    RoomInvalid,
    /// No open room has this name.
    #[error("no room {0}")]
    NoSuchRoom(String),
    /// `/room create` of a room already open.
    #[error("room {0} is already open")]
    RoomExists(String),
    /// `/room create` past the most rooms a conversation holds.
    #[error("at most {0} rooms")]
    TooManyRooms(usize),
    /// A student's `/join` while the teacher has fixed who is where (`/groups`).
    #[error("rooms are fixed")]
    RoomsFixed,
    /// `/room close` of the main room.
    #[error("the main room stays open")]
    MainRoom,
    /// `/join` of the room one is in: nothing would change, and nobody is shown a move.
    #[error("already in room {0}")]
    AlreadyInRoom(String),
    /// `/groups N` with no student present to deal out.
    #[error("no students to put in groups")]
    NoStudents,
    /// `/groups N` past [`super::MAX_GROUPS`].
    #[error("at most {0} groups")]
    TooManyGroups(u64),
    /// A move that could not be saved: the member stays in this room.
    #[error("move not saved, still in {0}")]
    MoveNotSaved(String),
}

impl ChatError {
    /// A stable machine-readable name: the WebSocket `error` frame's `code`, and the key of
    /// the sentence in every catalog.
    pub fn code(&self) -> &'static str {
        match self {
            ChatError::NickTaken(_) => "nick_taken",
            ChatError::NickInvalid => "nick_invalid",
            ChatError::NoSuchUser(_) => "no_such_user",
            ChatError::SelfMessage => "self_message",
            ChatError::RecipientBusy(_) => "recipient_busy",
            ChatError::UnknownCommand(_) => "unknown_command",
            ChatError::Usage(_) => "usage",
            ChatError::TooLong { .. } => "too_long",
            ChatError::TooManyLines { .. } => "too_many_lines",
            ChatError::NickReserved(_) => "nick_reserved",
            ChatError::NotTeacher => "not_teacher",
            ChatError::BadToken => "bad_token",
            ChatError::Kicked(_) => "kick_cooldown",
            ChatError::Muted(_) => "muted",
            ChatError::Locked => "locked",
            ChatError::Slow(_) => "slow",
            ChatError::PrivateOff => "private_off",
            ChatError::Flood => "flood",
            ChatError::Banned => "banned",
            ChatError::NoSuchMessage(_) => "no_such_message",
            ChatError::AlreadyIn => "already_in",
            ChatError::TooManyConnections => "too_many",
            ChatError::PasswordRequired => "password_required",
            ChatError::PasswordWrong => "password_wrong",
            ChatError::TooManyAttempts => "too_many_attempts",
            ChatError::NotSaved => "not_saved",
            ChatError::Unavailable => "unavailable",
            ChatError::Dropped => "dropped",
            ChatError::RoomInvalid => "room_invalid",
            ChatError::NoSuchRoom(_) => "no_such_room",
            ChatError::RoomExists(_) => "room_exists",
            ChatError::TooManyRooms(_) => "too_many_rooms",
            ChatError::RoomsFixed => "rooms_fixed",
            ChatError::MainRoom => "main_room",
            ChatError::AlreadyInRoom(_) => "already_in_room",
            ChatError::NoStudents => "no_students",
            ChatError::TooManyGroups(_) => "too_many_groups",
            ChatError::MoveNotSaved(_) => "move_not_saved",
        }
    }
}

impl From<NickError> for ChatError {
    fn from(NickError::Invalid: NickError) -> Self {
        ChatError::NickInvalid
    }
}
