//! `GET /transcript.{txt,csv,json}`: the conversation for the teacher (see `teacher` for
//! who that is), of every room or, with `?room=NAME`, of one.

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::Teacher;
use crate::chat::RoomName;
use crate::session::Context;
use crate::transcript::{self, Format};

/// The query string: `?since=2026-11-24T14:00&room=atelier` (and `&teacher=TOKEN`, read
/// by [`Teacher`]).
#[derive(Deserialize)]
pub(super) struct Range {
    since: Option<String>,
    room: Option<String>,
}

pub(super) async fn serve(
    format: Format,
    _: Teacher,
    Query(range): Query<Range>,
    State(context): State<Context>,
) -> Response {
    let since = match range.since.as_deref().map(transcript::parse_since) {
        None => i64::MIN,
        Some(Ok(since)) => since,
        Some(Err(error)) => return (StatusCode::BAD_REQUEST, error).into_response(),
    };
    let room = match range.room.as_deref().map(RoomName::parse) {
        None => None,
        Some(Ok(room)) => Some(room),
        Some(Err(error)) => {
            return (StatusCode::BAD_REQUEST, context.catalog.error(&error)).into_response();
        }
    };
    let read = context
        .history
        .since_time(&context.hub, since, room.clone());
    let events = match read.await {
        Ok(events) => events,
        Err(error) => {
            tracing::error!(%error, "transcript not read");
            return (StatusCode::INTERNAL_SERVER_ERROR, error).into_response();
        }
    };
    let body = transcript::render(&events, format, context.catalog, room.as_ref());
    let (extension, content_type) = format.extension_and_type();
    let disposition = disposition(&transcript::file_name(room.as_ref(), extension));
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// `Content-Disposition` for a download named `name`. A header carries ASCII only, and a
/// room's name may hold any letter (`café`): such a name goes percent-encoded in
/// `filename*` (RFC 6266), with an ASCII stand-in for older clients.
fn disposition(name: &str) -> String {
    if name.is_ascii() {
        return format!("inline; filename=\"{name}\"");
    }
    let plain: String = name
        .chars()
        .map(|c| if c.is_ascii() { c } else { '_' })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-_.".contains(&byte) {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect();
    format!("inline; filename=\"{plain}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_room_name_with_any_letter_makes_a_valid_header() {
        assert_eq!(
            disposition("tchat-transcript-atelier.txt"),
            "inline; filename=\"tchat-transcript-atelier.txt\""
        );
        let header = disposition("tchat-transcript-café.txt");
        assert_eq!(
            header,
            "inline; filename=\"tchat-transcript-caf_.txt\"; \
             filename*=UTF-8''tchat-transcript-caf%C3%A9.txt"
        );
        assert!(axum::http::HeaderValue::from_str(&header).is_ok());
    }
}
