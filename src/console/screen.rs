//! The teacher's terminal: a prompt that stays at the bottom, and lines printed above it
//! without disturbing what is being typed there. The line editing is rustyline-async's;
//! this file owns when it is handed lines to print.

use std::collections::VecDeque;
use std::io::{self, Write};

use bytes::Bytes;
use rustyline_async::{Readline, ReadlineError, ReadlineEvent, SharedWriter};

/// The prompt, as the lesson's one-client server writes it.
pub(super) const PROMPT: &str = "S> ";
/// Lines handed to the editor between two of its turns. Its printer queues at most 500
/// lines and refuses a line past that, without waiting; it empties the queue each time it
/// is polled, and only this file writes to it, so handing it fewer between two polls
/// never fills it (log lines reach it through the console, not from other threads).
const PRINT_BATCH: usize = 64;
/// Lines waiting to be printed before the console stops taking deliveries: past it the
/// console falls behind in the conversation's shared ring, like a TCP client that reads
/// slowly, and is told what it missed.
pub(super) const WAITING_LINES: usize = 256;

/// What the teacher did at the prompt.
#[derive(Debug)]
pub(super) enum Typed {
    /// A line, once Enter is pressed.
    Line(String),
    /// Ctrl-D.
    Eof,
    /// Ctrl-C: in raw mode it is a key, not a signal.
    Interrupted,
}

/// The prompt and what waits to be printed above it.
pub(super) struct Screen {
    editor: Readline,
    /// Hands lines to the editor, which prints them above the prompt when polled.
    printer: SharedWriter,
    /// Deliveries, answers and log lines, in the order they are to be printed.
    waiting: VecDeque<Bytes>,
}

impl Screen {
    /// Puts the terminal in raw mode and shows the prompt.
    ///
    /// # Errors
    /// When the terminal cannot be put in raw mode or measured.
    pub(super) fn open() -> Result<Self, ReadlineError> {
        let (mut editor, printer) = Readline::new(PROMPT.to_owned())?;
        // A line typed stays above the prompt, as it did in the lesson's server; a line
        // abandoned with Ctrl-C does not, as Ctrl-C stops the server.
        editor.should_print_line_on(true, false);
        Ok(Self {
            editor,
            printer,
            waiting: VecDeque::new(),
        })
    }

    /// Queues a line (or several, each ending with a newline) to be printed above the
    /// prompt.
    pub(super) fn push(&mut self, line: Bytes) {
        self.waiting.push_back(line);
    }

    /// True when enough waits to be printed that no more deliveries should be taken.
    pub(super) fn is_full(&self) -> bool {
        self.waiting.len() >= WAITING_LINES
    }

    /// Keeps a line for the Up arrow.
    pub(super) fn remember(&mut self, line: &str) {
        if !line.trim().is_empty() {
            self.editor.add_history_entry(line.to_owned());
        }
    }

    /// Prints what waits, and returns what the teacher types next. Cancel-safe: a line
    /// being typed stays in the editor, and lines are only taken from the queue once
    /// handed to the editor.
    ///
    /// # Errors
    /// When the terminal cannot be read or written.
    pub(super) async fn next(&mut self) -> io::Result<Typed> {
        loop {
            tokio::select! {
                biased;
                typed = self.editor.readline() => {
                    return match typed {
                        Ok(ReadlineEvent::Line(line)) => Ok(Typed::Line(line)),
                        Ok(ReadlineEvent::Eof) => Ok(Typed::Eof),
                        Ok(ReadlineEvent::Interrupted) => Ok(Typed::Interrupted),
                        Err(ReadlineError::IO(error)) => Err(error),
                        Err(ReadlineError::Closed) => Err(io::ErrorKind::BrokenPipe.into()),
                    };
                }
                // Reached only once the editor was polled and had nothing to return: it
                // has just emptied its queue (see `PRINT_BATCH`).
                () = std::future::ready(()), if !self.waiting.is_empty() => {
                    self.hand_over()?;
                }
            }
        }
    }

    /// Hands the editor the next few waiting lines.
    fn hand_over(&mut self) -> io::Result<()> {
        for _ in 0..PRINT_BATCH {
            let Some(line) = self.waiting.pop_front() else {
                break;
            };
            // A fresh writer for each line: a writer keeps what it could not hand over, and
            // that must not be printed with the next line.
            let mut printer = self.printer.clone();
            printer.write_all(&line)?;
            if !line.ends_with(b"\n") {
                // The editor prints a line once it ends.
                printer.write_all(b"\r\n")?;
            }
        }
        Ok(())
    }

    /// Prints everything that waits, takes the prompt away and gives the terminal back as
    /// it was.
    pub(super) fn close(mut self) {
        while !self.waiting.is_empty() {
            if self.hand_over().is_err() || self.editor.flush().is_err() {
                break;
            }
        }
        let _ = self.editor.flush();
        // Dropping the editor leaves raw mode.
    }
}
