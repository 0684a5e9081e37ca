//! tchat: a classroom chat server. Browsers (a page and its WebSocket) and raw TCP clients
//! (`nc`, telnet, PuTTY, Python sockets) share one conversation.
//!
//! # Layout
//! From the sockets down to the conversation:
//! - `tcp`, `web`: the two doors. Each keeps only its socket, its framing and its encoding
//!   (`web` also serves the page, its files and the teacher's routes).
//! - [`console`]: the terminal tchat runs in, a third, local transport: the teacher
//!   speaking from the server, above the conversation and the log.
//! - `session`: one door for every transport, below both: admission, the password gate,
//!   joining, every input that changes what others see, what each client is sent, the
//!   farewell.
//! - [`wire`]: the wire formats, pure encoding and decoding: CRLF text lines (and their
//!   decoder) and JSON frames.
//! - [`chat`]: the conversation itself (members, nicknames, history, fan-out, moderation),
//!   with no knowledge of sockets or formats.
//! - [`i18n`]: every sentence the server writes, per language, built in one place.
//! - [`store`]: the history database (and what a restart continues from), written by one
//!   thread in grouped transactions.
//! - [`transcript`]: the conversation as text, CSV or JSON for the teacher.
//!
//! Around them:
//! - [`app`]: binds both listeners, opens the database and runs until told to stop.
//! - [`config`]: command line and environment settings.
//! - [`entrances`]: the addresses students use, their QR code, and the Python client the board shows.
//! - [`secret`]: random tokens and constant-time comparison.
//! - `metrics`: counters served at `/metrics`.

pub mod app;
pub mod chat;
pub mod cluster;
pub mod config;
pub mod console;
pub mod entrances;
pub mod i18n;
mod metrics;
pub mod secret;
mod session;
pub mod store;
mod tcp;
pub mod transcript;
mod web;
pub mod wire;

pub use app::{App, BindError, StartError};
pub use config::Config;
