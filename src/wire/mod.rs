//! The two wire formats, as pure encoding and decoding with no I/O: CRLF text lines for raw
//! TCP clients ([`line`]) and JSON frames for the web page ([`json`]).
//!
//! Each public event is encoded at most once per format, by whichever session first needs
//! it, and the bytes are shared by refcount with every other recipient ([`Encodings`]).

pub mod json;
pub mod line;

use std::sync::OnceLock;

use axum::extract::ws::Utf8Bytes;
use bytes::Bytes;

/// One event's encodings, filled on first use. Lives inside [`crate::chat::Event`], which
/// only carries it; nothing in the chat core looks inside.
#[derive(Debug, Default)]
pub(crate) struct Encodings {
    line: OnceLock<Bytes>,
    json: OnceLock<Utf8Bytes>,
}
