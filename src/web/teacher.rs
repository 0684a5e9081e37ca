//! Who may open the teacher's routes (transcripts, metrics, health): the machine tchat runs
//! on, or anyone who gives the teacher token as `?teacher=TOKEN`, each wrong guess counted
//! at the door like every other guess at the token.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Query};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::chat::ChatError;
use crate::session::Context;

/// A request the teacher may make. Taking it as a handler's argument refuses everyone else:
/// 403, or 429 once an address has guessed wrong too often.
pub(super) struct Teacher;

/// `?teacher=TOKEN`.
#[derive(serde::Deserialize)]
struct TeacherQuery {
    teacher: Option<String>,
}

impl FromRequestParts<Context> for Teacher {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, context: &Context) -> Result<Self, Response> {
        let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>().copied()
        else {
            return Err(StatusCode::FORBIDDEN.into_response());
        };
        let door = &context.door;
        let host = parts
            .headers
            .get(axum::http::header::HOST)
            .and_then(|host| host.to_str().ok());
        if !door.host_allowed(host) {
            return Err((StatusCode::FORBIDDEN, super::NOT_THIS_HOST).into_response());
        }
        if door.is_local(peer, &parts.headers) {
            return Ok(Teacher);
        }
        let token = Query::<TeacherQuery>::try_from_uri(&parts.uri)
            .ok()
            .and_then(|Query(query)| query.teacher);
        let refusal = match token {
            None => ChatError::NotTeacher,
            Some(token) => {
                match door.check_teacher_token(door.client_ip(peer, &parts.headers), &token) {
                    Ok(()) => return Ok(Teacher),
                    Err(refusal) => refusal,
                }
            }
        };
        let status = if refusal == ChatError::TooManyAttempts {
            StatusCode::TOO_MANY_REQUESTS
        } else {
            StatusCode::FORBIDDEN
        };
        let text = format!(
            "{} This page is for the teacher: open it on the machine running tchat, or add \
             ?teacher=TOKEN to its address.\n",
            context.catalog.error(&refusal)
        );
        Err((status, text).into_response())
    }
}
