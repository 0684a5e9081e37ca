//! Settings: command line flags, each also settable from a `TCHAT_*` environment variable.
//! Parsing only; nothing here opens a socket or reads a file.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;

use crate::chat::HubConfig;
use crate::i18n::Lang;

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

    /// Milliseconds of silence after which text sent without a newline (by a client that
    /// has never sent one) counts as a complete message.
    #[arg(long, env = "TCHAT_QUIET_MS", default_value_t = 300)]
    pub quiet_ms: u64,
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

    /// Limits for the chat core.
    pub fn hub(&self) -> HubConfig {
        HubConfig {
            backlog: self.backlog,
            recent: self.history.max(self.tcp_history).max(1000),
            max_message_chars: self.max_length,
        }
    }

    /// Silence that ends a message sent without a newline.
    pub fn quiet(&self) -> Duration {
        Duration::from_millis(self.quiet_ms)
    }
}
