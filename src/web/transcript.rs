//! `GET /transcript.{txt,csv,json}`: the conversation for the teacher. Served to the machine
//! tchat runs on, and elsewhere to whoever gives the teacher token: students share the
//! network.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::session::Context;
use crate::transcript::{self, Format};

/// The query string: `?since=2026-11-24T14:00`, and `&teacher=TOKEN` from elsewhere than
/// the machine itself.
#[derive(Deserialize)]
pub(super) struct Range {
    since: Option<String>,
    teacher: Option<String>,
}

pub(super) async fn serve(
    format: Format,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(range): Query<Range>,
    State(context): State<Context>,
) -> Response {
    let teacher = range
        .teacher
        .as_deref()
        .is_some_and(|token| context.hub.is_teacher_token(token));
    if !teacher && !peer.ip().to_canonical().is_loopback() {
        return (
            StatusCode::FORBIDDEN,
            "The transcript is for the teacher: open it on the machine running tchat, or add \
             &teacher=TOKEN to its address.\n",
        )
            .into_response();
    }
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
