//! The server's sentences in English.

use super::Catalog;

pub(super) static CATALOG: Catalog = Catalog {
    greeting: "Welcome to tchat, {nick}! Type /help to see the commands.",
    history: "Recent messages:",
    joined: "{nick} joined the conversation ({via})",
    left: "{nick} left the conversation",
    renamed: "{old} is now known as {new}",
    via_web: "browser",
    via_tcp: "TCP",
    who: "{count} connected:",
    help: "Commands:",
    commands: [
        "this help",
        "change your nickname",
        "describe what you are doing",
        "who is connected",
        "private message",
        "show the last N messages again",
        "leave (z or FIN too)",
    ],
    bye: "Goodbye!",
    stopping: "The server is stopping. Goodbye!",
    replaced: "You connected again elsewhere: this connection closes.",
    missed: "{count} messages missed: your connection is not keeping up.",
    nick_taken: "The nickname {nick} is already taken.",
    nick_invalid: "Invalid nickname: 1 to {max} letters, digits, _ - or .",
    no_such_user: "Nobody here is called {nick}.",
    self_message: "You cannot send a private message to yourself.",
    recipient_busy: "{nick} is not reading messages; not delivered.",
    unknown_command: "Unknown command: {command}. Type /help.",
    usage: "Usage: {usage}",
    too_long: "Message too long (at most {max} characters).",
    bad_frame: "Invalid frame: {detail}",
};
