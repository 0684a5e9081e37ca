//! `GET /transcript.{txt,csv,json}`: the conversation for the teacher (see `teacher` for
//! who that is).

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::Teacher;
use crate::session::Context;
use crate::transcript::{self, Format};

/// The query string: `?since=2026-11-24T14:00` (and `&teacher=TOKEN`, read by [`Teacher`]).
#[derive(Deserialize)]
pub(super) struct Range {
    since: Option<String>,
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
    let events = match context.history.since_time(&context.hub, since).await {
        Ok(events) => events,
        Err(error) => {
            tracing::error!(%error, "transcript not read");
            return (StatusCode::INTERNAL_SERVER_ERROR, error).into_response();
        }
    };
    let body = transcript::render(&events, format, context.catalog);
    let (extension, content_type) = format.extension_and_type();
    let disposition = format!("inline; filename=\"tchat-transcript.{extension}\"");
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
