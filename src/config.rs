//! Settings: command line flags, each also settable from a `TCHAT_*` environment variable.
//! Parsing only; nothing here opens a socket or reads a file.

use std::ffi::OsStr;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::chat::{HubConfig, Nick};
use crate::i18n::Lang;
use crate::transcript::Format;

/// The command line: serve (the default), or another task.
#[derive(Debug, Parser)]
#[command(name = "tchat", version, about, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to do instead of serving.
    #[command(subcommand)]
    pub command: Option<Task>,
    /// How to serve.
    #[command(flatten)]
    pub serve: Config,
}

/// Tasks other than serving.
#[derive(Debug, Subcommand)]
pub enum Task {
    /// Write the transcript of a history database to stdout.
    Export(Export),
}

/// `tchat export`.
#[derive(Clone, Debug, Args)]
pub struct Export {
    /// The history database.
    #[arg(long, env = "TCHAT_DB", default_value = "tchat.db")]
    pub db: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Txt)]
    pub format: Format,
    /// Only events from this date or time on: 2026-11-24, 2026-11-24T14:30, or RFC 3339.
    #[arg(long)]
    pub since: Option<String>,
    /// Only this room's events, with the announcements to every room [default: every room,
    /// each event with its room once a room other than main was used].
    #[arg(long)]
    pub room: Option<String>,
    /// Language of notices in the text format [default: from the system locale].
    #[arg(long, env = "TCHAT_LANG", value_enum)]
    pub lang: Option<Lang>,
}

/// tchat: a classroom chat where browsers and raw TCP clients share one conversation.
#[derive(Clone, Debug, Parser)]
#[command(name = "tchat", version, about)]
pub struct Config {
    /// Address for raw TCP clients (nc, telnet, PuTTY, Python sockets).
    #[arg(long, env = "TCHAT_TCP", default_value = "0.0.0.0:50000")]
    pub tcp: SocketAddr,

    /// Address for the web page and its WebSocket.
    #[arg(long, env = "TCHAT_HTTP", default_value = "0.0.0.0:8080")]
    pub http: SocketAddr,

    /// Language of the server's own lines to TCP clients [default: French if the system
    /// locale is French, else English].
    #[arg(long, env = "TCHAT_LANG", value_enum)]
    pub lang: Option<Lang>,

    /// The history database; `:memory:` keeps nothing on disk.
    #[arg(long, env = "TCHAT_DB", default_value = "tchat.db")]
    pub db: PathBuf,

    /// Past events sent to a page when it joins.
    #[arg(long, env = "TCHAT_HISTORY", default_value_t = 100)]
    pub history: usize,

    /// Past messages shown to a TCP client when it joins.
    #[arg(long, env = "TCHAT_TCP_HISTORY", default_value_t = 20)]
    pub tcp_history: usize,

    /// Longest message, in characters.
    #[arg(long, env = "TCHAT_MAX_LENGTH", default_value_t = 2000)]
    pub max_length: usize,

    /// How many events a client may fall behind before it skips ahead to the newest ones
    /// and is told how many it missed.
    #[arg(long, env = "TCHAT_BACKLOG", default_value_t = 4096)]
    pub backlog: usize,

    /// When to print in colour, which the QR code of the page needs to scan whatever the
    /// terminal's own colours: `auto` does on a terminal, unless NO_COLOR is set or
    /// TERM=dumb. Without colour no QR code is printed (the /join page shows one).
    #[arg(long, env = "TCHAT_COLOR", value_enum, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,

    /// Threads that carry the connections once they have joined (accepting them runs on one
    /// more). One carries a school (well over a million deliveries a second) at the least
    /// CPU per message, because every message goes to everyone: more threads mostly wake
    /// each other up.
    #[arg(long, env = "TCHAT_THREADS", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: u16,

    /// The teacher's secret (`/op TOKEN`, or `?teacher=TOKEN` in the page's address)
    /// [default: a random one, printed at startup].
    #[arg(long, env = "TCHAT_TEACHER_TOKEN", hide_env_values = true)]
    pub teacher_token: Option<String>,

    /// A class password: nobody sees or says anything without it.
    #[arg(long, env = "TCHAT_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,

    /// Wrong guesses at the class password, and at the teacher token, one address may make
    /// per minute; past it, the address is refused for the rest of the minute. Right
    /// answers never count, and each connection gets five wrong guesses at most.
    #[arg(long, env = "TCHAT_GUESSES_PER_ADDRESS", default_value_t = 30)]
    pub guesses_per_address: u32,

    /// Seconds a TCP client has to give the class password before it is let go.
    #[arg(long, env = "TCHAT_PASSWORD_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub password_timeout: u64,

    /// Messages per second each person may send, bursts of twice that (a paste of several
    /// lines is one message); 0 turns flood control off.
    #[arg(long, env = "TCHAT_MAX_RATE", default_value_t = 5)]
    pub max_rate: u32,

    /// Seconds a newcomer stays before everyone is told of its arrival, unless it speaks
    /// first: a connection that comes and goes without a word is not announced.
    #[arg(long, env = "TCHAT_ANNOUNCE_AFTER", default_value_t = 3, value_parser = clap::value_parser!(u64).range(0..=3_600))]
    pub announce_after: u64,

    /// Seconds someone sent away with /kick may not come back under their name.
    #[arg(long, env = "TCHAT_KICK_COOLDOWN", default_value_t = 60, value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub kick_cooldown: u64,

    /// Connections in all (TCP and WebSocket together).
    #[arg(long, env = "TCHAT_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,

    /// Connections from one address. A whole class behind one NAT address counts as one.
    #[arg(long, env = "TCHAT_MAX_PER_ADDRESS", default_value_t = 200)]
    pub max_per_address: usize,

    /// A reverse proxy whose X-Forwarded-For header is believed (repeat for several).
    #[arg(
        long = "trusted-proxy",
        env = "TCHAT_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<IpAddr>,

    /// Another origin allowed to open the WebSocket, e.g. https://ent.example.org (repeat
    /// for several). The page's own origin always is.
    #[arg(
        long = "allow-origin",
        env = "TCHAT_ALLOW_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,

    /// Seconds an HTTP client has to send its whole request head; a connection that sends
    /// nothing (or too slowly) is answered 408 and closed.
    #[arg(long, env = "TCHAT_HTTP_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub http_timeout: u64,

    /// Another name students reach this machine by, e.g. salle12.lycee.fr (repeat for
    /// several). The page's WebSocket and the teacher's routes answer only requests that name
    /// this machine: its addresses, `localhost`, its own name, or these.
    #[arg(
        long = "public-host",
        env = "TCHAT_PUBLIC_HOSTS",
        value_delimiter = ','
    )]
    pub public_hosts: Vec<String>,

    /// The teacher's nickname at the console: when tchat runs in a terminal, what is typed
    /// there is said under this name, as a teacher (teacher commands included).
    #[arg(long, env = "TCHAT_CONSOLE_NICK", default_value = "prof", value_parser = Nick::parse)]
    pub console_nick: Nick,

    /// No console, even in a terminal: the terminal shows the log only.
    #[arg(long, env = "TCHAT_NO_CONSOLE")]
    pub no_console: bool,

    /// Public events kept in memory for late joiners, reconnecting pages and `/history`.
    #[arg(long, env = "TCHAT_MEMORY", default_value_t = 1000, hide = true)]
    pub memory: usize,

    /// Milliseconds of silence after which text sent without a newline (by a client that
    /// has never sent one) counts as a complete message.
    #[arg(long, env = "TCHAT_QUIET_MS", default_value_t = 300)]
    pub quiet_ms: u64,

    /// NATS servers (JetStream on) of a cluster this node joins, comma-separated, e.g.
    /// nats://10.0.0.5:4222: several tchat nodes then share one conversation. Without it,
    /// tchat runs alone.
    #[arg(long, env = "TCHAT_CLUSTER", value_delimiter = ',')]
    pub cluster: Vec<String>,

    /// This node's name in the cluster, unique there: letters, digits, - and _ [default:
    /// the machine's name].
    #[arg(long, env = "TCHAT_NODE", value_parser = parse_node)]
    pub node: Option<String>,

    /// How many NATS servers keep a copy of the conversation: 3 with three servers, so
    /// that it outlives one of them.
    #[arg(long, env = "TCHAT_CLUSTER_REPLICAS", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=5))]
    pub cluster_replicas: u8,

    /// Milliseconds of silence after which lines that arrived together (a paste into `nc`
    /// or telnet) are sent as one message: longer than the gaps inside a paste, far
    /// shorter than a person takes to type a line. 0 makes every line a message.
    #[arg(long, env = "TCHAT_PASTE_MS", default_value_t = 50, hide = true)]
    pub paste_ms: u64,
}

/// Longest node name.
const MAX_NODE_CHARS: usize = 32;

/// A node name: one token of a NATS subject, and short.
fn parse_node(name: &str) -> Result<String, String> {
    let valid = !name.is_empty()
        && name.len() <= MAX_NODE_CHARS
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "a node name is 1 to {MAX_NODE_CHARS} letters, digits, - or _"
        ))
    }
}

/// When the startup output is in colour (`--color`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    /// On a terminal that takes colours.
    #[default]
    Auto,
    /// Always, even into a file or with NO_COLOR set (an explicit choice wins over it).
    Always,
    /// Never.
    Never,
}

impl ColorWhen {
    /// Whether to print in colour, for output that is a `terminal` or not, given the
    /// environment's `NO_COLOR` and `TERM` (passed in: the library reads no environment).
    /// NO_COLOR counts when set to anything but the empty string (no-color.org).
    pub fn resolve(self, terminal: bool, no_color: Option<&OsStr>, term: Option<&OsStr>) -> bool {
        match self {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                terminal && no_color.is_none_or(OsStr::is_empty) && term != Some(OsStr::new("dumb"))
            }
        }
    }
}

impl Config {
    /// The settings with every default, listening on the given addresses.
    pub fn with_addresses(tcp: SocketAddr, http: SocketAddr) -> Self {
        let mut config = Self::parse_from(["tchat"]);
        config.tcp = tcp;
        config.http = http;
        config
    }

    /// The language of the server's own lines.
    pub fn lang(&self) -> Lang {
        self.lang.unwrap_or_else(Lang::from_locale)
    }

    /// The database file, or `None` for `:memory:`.
    pub fn db_path(&self) -> Option<&Path> {
        (self.db.as_os_str() != ":memory:").then_some(self.db.as_path())
    }

    /// Limits for the chat core.
    pub fn hub(&self) -> HubConfig {
        HubConfig {
            backlog: self.backlog,
            recent: self.memory.max(self.history).max(self.tcp_history),
            max_message_chars: self.max_length,
            max_rate: self.max_rate,
            kick_cooldown: Duration::from_secs(self.kick_cooldown),
            announce_after: Duration::from_secs(self.announce_after),
            group_name: self.lang().catalog().group_name,
        }
    }

    /// How this node joins its cluster, if it is in one.
    pub fn cluster(&self) -> Option<crate::cluster::Settings> {
        if self.cluster.is_empty() {
            return None;
        }
        let node = self.node.clone().unwrap_or_else(|| {
            let host = hostname::get().unwrap_or_default();
            let name: String = host
                .to_string_lossy()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .take(MAX_NODE_CHARS)
                .collect();
            if name.is_empty() {
                "tchat".to_owned()
            } else {
                name
            }
        });
        Some(crate::cluster::Settings {
            urls: self.cluster.clone(),
            node,
            replicas: usize::from(self.cluster_replicas),
        })
    }

    /// Silence that ends a message sent without a newline.
    pub fn quiet(&self) -> Duration {
        Duration::from_millis(self.quiet_ms)
    }

    /// How long a client pauses for the lines it sent together to be one message.
    pub fn paste_gap(&self) -> Duration {
        Duration::from_millis(self.paste_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_is_for_terminals_that_take_it_unless_asked_otherwise() {
        let os = |text: &'static str| Some(OsStr::new(text));
        let xterm = os("xterm-256color");
        assert!(ColorWhen::Auto.resolve(true, None, xterm));
        assert!(
            ColorWhen::Auto.resolve(true, os(""), xterm),
            "NO_COLOR empty is unset"
        );
        assert!(
            ColorWhen::Auto.resolve(true, None, None),
            "no TERM, as on Windows"
        );
        assert!(!ColorWhen::Auto.resolve(true, os("1"), xterm));
        assert!(!ColorWhen::Auto.resolve(true, None, os("dumb")));
        assert!(
            !ColorWhen::Auto.resolve(false, None, xterm),
            "into a file or a pipe"
        );
        assert!(ColorWhen::Always.resolve(false, os("1"), os("dumb")));
        assert!(!ColorWhen::Never.resolve(true, None, xterm));
    }
}
