//! tchat: a classroom chat server. Browsers (a page and its WebSocket) and raw TCP clients
//! (`nc`, telnet, PuTTY, Python sockets) share one conversation.
//!
//! # Layout
//! - [`chat`]: the conversation itself (members, nicknames, history, fan-out), with no
//!   knowledge of sockets or formats.
//! - [`wire`]: the two wire formats, pure encoding and decoding: CRLF text lines and JSON
//!   frames.
//! - `tcp`, `web`: thin adapters, one session per connection, driving a [`chat::Member`].
//! - [`store`]: the history database, written by one thread in grouped transactions.
//! - [`transcript`]: the conversation as text, CSV or JSON for the teacher.
//! - [`app`]: opens the database, binds both listeners and runs until told to stop.
//! - [`config`]: command line and environment settings.
//! - [`i18n`]: every sentence the server writes, per language.
//! - [`join`]: the addresses students use, and their QR code.
//! - `admission`: connection caps, bans at the door, real addresses behind a proxy.
//! - `metrics`: counters served at `/metrics`.

mod admission;
pub mod app;
mod archive;
pub mod chat;
pub mod config;
pub mod i18n;
pub mod join;
mod metrics;
pub mod store;
mod tcp;
pub mod transcript;
mod web;
pub mod wire;

pub use app::{App, BindError, StartError};
pub use config::Config;
