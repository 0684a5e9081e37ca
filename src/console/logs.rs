//! Where log lines go: standard error, or, while the console is open, the console itself,
//! which prints them above the prompt. Written straight to the terminal, a log line would
//! land in the middle of what the teacher is typing.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use tokio::sync::mpsc;
use tracing_subscriber::fmt::MakeWriter;

/// Log lines waiting for the console to print them. Past it a line is lost: logging must
/// never hold up the task that logs, and a terminal that far behind has more to show than
/// anyone reads.
const WAITING: usize = 1024;

/// The log's destination, handed to the log subscriber once at startup and to the console
/// when it opens. Cloning gives another handle to the same destination.
#[derive(Clone, Default)]
pub struct Logs {
    /// While the console is open, where log lines go; the console holds the receiver.
    /// A `std` mutex, locked once per log line to clone the sender, never across an
    /// `.await`.
    console: Arc<Mutex<Option<mpsc::Sender<Bytes>>>>,
}

impl Logs {
    /// Sends every log line from now on to the returned receiver, until [`Logs::restore`].
    pub(crate) fn divert(&self) -> mpsc::Receiver<Bytes> {
        let (tx, rx) = mpsc::channel(WAITING);
        *self.lock() = Some(tx);
        rx
    }

    /// Sends log lines to standard error again.
    pub(crate) fn restore(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<mpsc::Sender<Bytes>>> {
        // Only an `Option` is behind the lock: a panic elsewhere cannot leave it half set.
        self.console.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<'a> MakeWriter<'a> for Logs {
    type Writer = LogLine;

    fn make_writer(&'a self) -> LogLine {
        match self.lock().clone() {
            Some(tx) => LogLine::Console {
                line: Vec::new(),
                tx,
            },
            None => LogLine::Stderr(io::stderr()),
        }
    }
}

/// One log line on its way. The subscriber writes a whole line, then drops the writer.
pub enum LogLine {
    /// Straight to standard error.
    Stderr(io::Stderr),
    /// Gathered, and handed to the console when dropped.
    Console {
        /// The line so far.
        line: Vec<u8>,
        /// The console's queue of log lines.
        tx: mpsc::Sender<Bytes>,
    },
}

impl Write for LogLine {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            LogLine::Stderr(stderr) => stderr.write(buf),
            LogLine::Console { line, .. } => {
                line.extend_from_slice(buf);
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            LogLine::Stderr(stderr) => stderr.flush(),
            LogLine::Console { .. } => Ok(()),
        }
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        if let LogLine::Console { line, tx } = self
            && !line.is_empty()
        {
            // Full or closed: the line is lost, as a log line on a full disk is.
            let _ = tx.try_send(Bytes::from(std::mem::take(line)));
        }
    }
}
