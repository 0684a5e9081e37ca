//! Lines from a terminal that arrive together become one message. A paste into `nc`, telnet
//! or PuTTY reaches the server as lines sent back to back; a person typing sends one line
//! at a time, far apart. So lines in line mode are gathered here until the client pauses
//! (the connection's timer, `--paste-ms`, 50 ms: longer than the gaps inside a paste, as
//! the connection acknowledges each read at once so that the sender's Nagle algorithm does
//! not hold the rest for 40 ms; far shorter than a person takes to type a line), and then
//! are one message: pasted code keeps its shape, and flood control counts one message, not
//! one per line.
//!
//! A command never joins a paste: a line that starts with a known `/command` sends what was
//! gathered and then runs alone, so a script that sends `/nick bob` and its first message
//! in one write works as before. A paste grows to at most one message's length and
//! [`MAX_LINES`]; one that would go past either is sent as it is, and the next line starts
//! another. What one connection holds here is therefore bounded by `--max-length`.
//!
//! Pure, with no timer or I/O, like [`super::line_decoder`].

use crate::chat::{Command, MAX_LINES};

/// Lines gathered for one message.
#[derive(Debug, Default)]
pub struct Paste {
    text: String,
    lines: usize,
    chars: usize,
}

/// What to do with one line from a client in line mode.
pub enum Gathered {
    /// Nothing yet: the line waits with the others.
    Held,
    /// The line is a command: send `before` (the paste it ends, if any), then run it alone.
    Command { before: Option<String> },
    /// The paste is as long as a message may be: send it; the line starts the next one.
    Full(String),
}

impl Paste {
    /// Takes one line in, under a message's limit of `max_chars`.
    pub fn push(&mut self, line: &str, max_chars: usize) -> Gathered {
        if Command::is_command(line) {
            return Gathered::Command {
                before: self.take(),
            };
        }
        let chars = line.chars().count();
        let full = !self.text.is_empty()
            && (self.lines >= MAX_LINES || self.chars + 1 + chars > max_chars);
        let sent = if full { self.take() } else { None };
        // A blank line starts nothing: pressing Enter alone says nothing.
        if self.text.is_empty() && line.trim().is_empty() {
            return sent.map_or(Gathered::Held, Gathered::Full);
        }
        if !self.text.is_empty() {
            self.text.push('\n');
            self.chars += 1;
        }
        self.text.push_str(line);
        self.chars += chars;
        self.lines += 1;
        sent.map_or(Gathered::Held, Gathered::Full)
    }

    /// True when no line is waiting.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The lines gathered so far as one message, if there are any; the paste is empty after.
    pub fn take(&mut self) -> Option<String> {
        self.lines = 0;
        self.chars = 0;
        (!self.text.is_empty()).then(|| std::mem::take(&mut self.text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(paste: &mut Paste, line: &str) {
        assert!(matches!(paste.push(line, 2000), Gathered::Held), "{line}");
    }

    #[test]
    fn lines_with_their_blanks_and_indents_become_one_message() {
        let mut paste = Paste::default();
        for line in ["", "def f(x):", "    y = x", "", "    return y", ""] {
            held(&mut paste, line);
        }
        assert_eq!(
            paste.take().as_deref(),
            Some("def f(x):\n    y = x\n\n    return y\n")
        );
        assert!(paste.is_empty());
        assert_eq!(paste.take(), None);
    }

    #[test]
    fn a_command_ends_the_paste_and_runs_alone_but_a_comment_does_not() {
        let mut paste = Paste::default();
        held(&mut paste, "int x = 1;");
        held(&mut paste, "// a C comment");
        held(&mut paste, "/usr/bin/env is a path");
        let Gathered::Command { before } = paste.push("/nick bob", 2000) else {
            panic!("a command is not gathered");
        };
        assert_eq!(
            before.as_deref(),
            Some("int x = 1;\n// a C comment\n/usr/bin/env is a path")
        );
        assert!(matches!(
            paste.push("/me waves", 2000),
            Gathered::Command { before: None }
        ));
    }

    #[test]
    fn a_paste_past_a_message_s_limits_is_sent_in_parts() {
        let mut paste = Paste::default();
        held(&mut paste, "abcd");
        held(&mut paste, "efgh");
        // 4 + 1 + 4 + 1 + 4 = 14 characters would be over 10.
        let Gathered::Full(first) = paste.push("ijkl", 10) else {
            panic!("not sent when full");
        };
        assert_eq!(first, "abcd\nefgh");
        assert_eq!(paste.take().as_deref(), Some("ijkl"));
        for n in 0..MAX_LINES {
            held(&mut paste, &n.to_string());
        }
        assert!(matches!(paste.push("one more", 2000), Gathered::Full(_)));
        assert_eq!(paste.take().as_deref(), Some("one more"));
    }
}
