//! The console: the terminal tchat runs in, as the lesson's `S> ` server for the whole
//! class. What the teacher types there is said as the teacher (`--console-nick`), teacher
//! commands included; the terminal shows the conversation as a TCP client sees it, with the
//! log, above a prompt that stays at the bottom.
//!
//! It is a third transport, local: it joins through the session layer like the others,
//! with the secrets the server knows, and keeps only its terminal and the line encoding.
//!
//! - `screen`: the prompt and the lines printed above it.
//! - `logs`: where log lines go while the console is open ([`Logs`]).

mod logs;
mod screen;

use std::net::{Ipv4Addr, SocketAddr};

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use logs::{LogLine, Logs};
use screen::{Screen, Typed, WAITING_LINES};

use crate::chat::{Via, Welcome};
use crate::i18n::Catalog;
use crate::session::{Context, End, Handled, Hello, Input, Permit, Session, Tries};
use crate::wire::line::{self, Lines};
use crate::wire::{ANSWER_BUDGET, Encoding};

/// The console's address: the machine itself.
const HERE: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

/// Told when the console closes while tchat goes on.
const CLOSED: &str = "The console is closed; tchat goes on, and this terminal shows its log. \
                      Stop it with Ctrl-C.\r\n";

/// Joins the conversation as the teacher at the console, then takes over the terminal
/// until the console closes. `stop` is cancelled when the teacher presses Ctrl-C there (in
/// raw mode Ctrl-C is a key, not a signal): it stops the server, as Ctrl-C always did.
/// Without a terminal to take over, there is no console, and the log says why.
pub(crate) async fn open(context: Context, logs: Logs, stop: CancellationToken) {
    let config = &context.config;
    let hello = Hello {
        nick: Some(config.console_nick.as_str()),
        password: config.password.as_deref(),
        teacher: config.teacher_token.as_deref(),
        ..Hello::default()
    };
    let joined = context.join(
        Via::Console,
        HERE,
        Permit::console(),
        hello,
        Tries::default(),
    );
    let (session, welcome) = match joined.await {
        Ok(joined) => joined,
        Err((refusal, ..)) => {
            tracing::warn!(reason = refusal.code(), "no console: it could not join");
            return;
        }
    };
    let mut screen = match Screen::open() {
        Ok(screen) => screen,
        Err(error) => {
            tracing::warn!(%error, "no console: the terminal cannot be used");
            session.end(&End::Failed(error.to_string()));
            return;
        }
    };
    let wire = Lines {
        catalog: context.catalog,
    };
    greet(&mut screen, &welcome, wire.catalog);
    let console = Console {
        log_lines: logs.divert(),
        logs,
        screen,
        session,
        wire,
        stop,
    };
    context.tracker.spawn(console.serve());
}

/// The first lines at the prompt, as a TCP client's: the nickname, the topic, the last
/// messages. A terminal reads them whole, so they are not cut to one `recv(1024)` as a TCP
/// client's are.
fn greet(screen: &mut Screen, welcome: &Welcome, catalog: &Catalog) {
    screen.push(line::notice(&catalog.greeting(&welcome.nick)));
    if let Some(topic) = &welcome.room.topic {
        screen.push(line::notice(&catalog.topic_now(topic)));
    }
    if let Some(history) = line::history(&welcome.history, catalog, ANSWER_BUDGET) {
        screen.push(history);
    }
}

/// The open console.
struct Console {
    screen: Screen,
    session: Session,
    wire: Lines,
    /// Log lines, sent by whichever thread logs; [`Logs`] holds the sending end while the
    /// console is open.
    log_lines: mpsc::Receiver<Bytes>,
    logs: Logs,
    /// Stops the server; `App::run` watches it.
    stop: CancellationToken,
}

impl Console {
    /// Relays until the console closes or the server stops, then says goodbye and gives
    /// the terminal back.
    async fn serve(mut self) {
        let end = self.relay().await;
        let Console {
            mut screen,
            session,
            wire,
            mut log_lines,
            logs,
            ..
        } = self;
        let parting = session.end(&end);
        if let Some(farewell) = &parting.farewell {
            screen.push(wire.farewell(farewell));
        }
        // The departure is logged above; what comes after goes to standard error.
        logs.restore();
        while let Ok(line) = log_lines.try_recv() {
            screen.push(line);
        }
        if !matches!(end, End::Stopped) {
            screen.push(Bytes::from_static(CLOSED.as_bytes()));
        }
        screen.close();
    }

    async fn relay(&mut self) -> End {
        let shutdown = self.session.context().shutdown.clone();
        loop {
            tokio::select! {
                biased;
                () = shutdown.cancelled() => return End::Stopped,
                typed = self.screen.next() => match typed {
                    Ok(Typed::Line(line)) => {
                        self.screen.remember(&line);
                        if let Some(end) = self.say(&line) {
                            return end;
                        }
                    }
                    Ok(Typed::Eof) => return End::Quit,
                    // The server says goodbye to everyone, the console included.
                    Ok(Typed::Interrupted) => self.stop.cancel(),
                    Err(error) => return End::Failed(error.to_string()),
                },
                delivery = self.session.recv(), if !self.screen.is_full() => {
                    let mut batch = self.session.batch(delivery, WAITING_LINES, &self.wire);
                    for line in &mut batch {
                        self.screen.push(line);
                    }
                    if let Some(why) = batch.ended() {
                        return End::Ended(why);
                    }
                }
                Some(line) = self.log_lines.recv() => self.screen.push(line),
            }
        }
    }

    /// Hands one line to the session, queueing its answer.
    fn say(&mut self, line: &str) -> Option<End> {
        match self.session.handle(Input::Line(line), &self.wire) {
            Handled::Answer(answer) => {
                answer.into_iter().for_each(|line| self.screen.push(line));
                None
            }
            Handled::Leave => Some(End::Quit),
        }
    }
}
