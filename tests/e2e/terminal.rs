//! A pseudo-terminal for the binary, as the teacher's terminal: keys are written to it, and
//! what the program draws is read back as a screen of rows, the way a person sees it.

use std::fs::File;
use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::os::fd::OwnedFd;

use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{LocalModes, Winsize, tcgetattr, tcsetwinsize};
use tokio::sync::mpsc;
use tokio::time::timeout;

use crate::helpers::PATIENCE;

/// The terminal's size: wide enough that a log line fits on one row.
const ROWS: u16 = 50;
const COLS: u16 = 220;

/// The side of a pseudo-terminal a person sits at.
pub struct Terminal {
    master: OwnedFd,
    /// What the program writes, read by a thread of its own, as it comes.
    output: mpsc::UnboundedReceiver<Vec<u8>>,
    /// Everything written so far, as a screen.
    screen: vt100::Parser,
    /// Everything written so far, as bytes.
    raw: Vec<u8>,
}

impl Terminal {
    /// A new pseudo-terminal, and its other side, for the program's standard input, output
    /// and error.
    pub fn open() -> (Self, File) {
        let flags = OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC;
        let master = openpt(flags).expect("a pseudo-terminal");
        grantpt(&master).expect("grantpt");
        unlockpt(&master).expect("unlockpt");
        let size = Winsize {
            ws_row: ROWS,
            ws_col: COLS,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        tcsetwinsize(&master, size).expect("window size");
        let name = ptsname(&master, Vec::new()).expect("ptsname");
        let path = name.to_str().expect("a path").to_owned();
        let program_side = {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags(rustix::fs::OFlags::NOCTTY.bits() as i32)
                .open(path)
                .expect("the program's side")
        };
        let (tx, output) = mpsc::unbounded_channel();
        let mut reader = File::from(master.try_clone().expect("clone"));
        // Ends when the program has gone and the last copy of its side is closed.
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = reader.read(&mut chunk) {
                if tx.send(chunk[..n].to_vec()).is_err() {
                    return;
                }
            }
        });
        let (rows, cols) = (NonZeroU16::new(ROWS), NonZeroU16::new(COLS));
        let screen = vt100::Parser::new(rows.expect("rows"), cols.expect("cols"), 0);
        let terminal = Self {
            master,
            output,
            screen,
            raw: Vec::new(),
        };
        (terminal, program_side)
    }

    /// Types `keys`, as a person would (`\r` is Enter, `\x03` Ctrl-C, `\x04` Ctrl-D).
    pub fn type_keys(&mut self, keys: &str) {
        let mut writer = File::from(self.master.try_clone().expect("clone"));
        writer.write_all(keys.as_bytes()).expect("type");
    }

    /// Waits until the screen shows what `check` looks for, and returns it; fails with the
    /// screen as it is after [`PATIENCE`].
    pub async fn wait_for(&mut self, what: &str, check: impl Fn(&vt100::Screen) -> bool) {
        loop {
            if check(self.screen.screen()) {
                return;
            }
            match timeout(PATIENCE, self.output.recv()).await {
                Ok(Some(chunk)) => {
                    self.screen.process(&chunk);
                    self.raw.extend_from_slice(&chunk);
                }
                Ok(None) => panic!("{what}: the program has gone\n{}", self.contents()),
                Err(_) => panic!("{what}: not shown in time\n{}", self.contents()),
            }
        }
    }

    /// Waits until `text` has been written, wherever it is now.
    pub async fn wait_for_text(&mut self, text: &str) {
        loop {
            if String::from_utf8_lossy(&self.raw).contains(text) {
                return;
            }
            match timeout(PATIENCE, self.output.recv()).await {
                Ok(Some(chunk)) => {
                    self.screen.process(&chunk);
                    self.raw.extend_from_slice(&chunk);
                }
                _ => panic!("{text:?} never written\n{}", self.text()),
            }
        }
    }

    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }

    /// The screen's rows as a person reads them.
    pub fn contents(&self) -> String {
        self.screen.screen().contents()
    }

    /// True when the terminal echoes and edits lines itself again, as a shell leaves it:
    /// the program gave it back out of raw mode.
    pub fn is_cooked(&self) -> bool {
        let modes = tcgetattr(&self.master).expect("tcgetattr").local_modes;
        modes.contains(LocalModes::ICANON | LocalModes::ECHO)
    }
}

/// The row the cursor is on: the prompt, and what is being typed there.
pub fn cursor_row(screen: &vt100::Screen) -> String {
    let (row, _) = screen.cursor_position();
    screen
        .rows(0, COLS)
        .nth(usize::from(row))
        .unwrap_or_default()
        .trim_end()
        .to_owned()
}

/// The rows of the screen, trailing spaces removed.
pub fn rows(screen: &vt100::Screen) -> Vec<String> {
    screen
        .rows(0, COLS)
        .map(|row| row.trim_end().to_owned())
        .collect()
}
