//! The HTTP door: the page, its static files, the teacher's routes, and the `/ws`
//! WebSocket endpoint.
//!
//! - `listener`: the accept loop: places at the door, request heads under limits.
//! - `assets`: the page, the projected `/join` page and `static/`.
//! - `socket`: one WebSocket client's socket, framing and encoding.
//! - `teacher`: who may open the teacher's routes.
//! - `transcript`: the conversation for the teacher.

mod assets;
mod listener;
mod socket;
mod teacher;
mod transcript;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, Extension, State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::chat::{ChatError, Via};
use crate::session::Context;
use crate::transcript::Format;
use listener::PlaceAtDoor;
use teacher::Teacher;

/// Largest frame a client may send, at the least: ample for a message at the default length
/// limit with every character escaped. A larger `--max-length` raises it.
const MIN_FRAME: usize = 64 * 1024;
/// Per-connection read buffer, kept for the connection's life. tungstenite's default
/// (128 KiB) is sized for file transfers; a chat frame and its header fit in 1 KiB, and a
/// longer one grows the buffer as needed.
const READ_BUFFER: usize = 1024;
/// Bytes gathered before tungstenite writes to the socket; a flush always writes at once.
/// tungstenite keeps its write buffer at the largest size it reached, so this bounds what a
/// page costs once idle, while a burst still leaves in writes of two dozen frames or more:
/// at 2 KiB, the `room` every event carries cost a busy room one write in eight more.
const WRITE_BUFFER: usize = 3 * 1024;

/// Serves HTTP until the server stops.
pub(crate) async fn serve(listener: TcpListener, context: Context) {
    listener::serve(listener, router(context.clone()), context).await;
}

/// The headers every response carries, tchat's own error answers included: no inline
/// script and no framing (Content-Security-Policy), no type sniffing, no referrer.
const SECURITY_HEADERS: [(HeaderName, &str); 3] = [
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; connect-src 'self'; img-src 'self' data:; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
];

/// Every route, with compression and security headers.
pub(crate) fn router(context: Context) -> Router {
    let router = Router::new()
        .route("/", get(assets::index))
        .route("/join", get(assets::join))
        .route("/healthz", get(health))
        .route("/metrics", get(metrics))
        .route("/static/{*path}", get(assets::file))
        .route("/ws", get(upgrade))
        .route(
            "/transcript.txt",
            get(|teacher, range, state| transcript::serve(Format::Txt, teacher, range, state)),
        )
        .route(
            "/transcript.csv",
            get(|teacher, range, state| transcript::serve(Format::Csv, teacher, range, state)),
        )
        .route(
            "/transcript.json",
            get(|teacher, range, state| transcript::serve(Format::Json, teacher, range, state)),
        )
        .layer(CompressionLayer::new());
    SECURITY_HEADERS
        .into_iter()
        .fold(router, |router, (name, value)| {
            router.layer(SetResponseHeaderLayer::if_not_present(
                name,
                HeaderValue::from_static(value),
            ))
        })
        .with_state(context)
}

async fn upgrade(
    upgrade: WebSocketUpgrade,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(place): Extension<PlaceAtDoor>,
    headers: HeaderMap,
    State(context): State<Context>,
) -> Response {
    let door = &context.door;
    // A page of another site whose name was made to point here (DNS rebinding) could
    // otherwise join as one of the class, from a student's own browser.
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok());
    if !door.host_allowed(host) {
        tracing::info!(%peer, host = ?host, "WebSocket for another host refused");
        return (StatusCode::FORBIDDEN, NOT_THIS_HOST).into_response();
    }
    // Another site open in a student's browser must not join on their behalf: a browser
    // always says where a WebSocket comes from, and only the page's own origin (or one the
    // teacher allowed) may open one. Programs that send no Origin are not browsers.
    if let Some(origin) = headers.get(header::ORIGIN)
        && !origin_allowed(origin, &headers, &context.config.allowed_origins)
    {
        tracing::info!(%peer, origin = ?origin, "WebSocket from another origin refused");
        return (StatusCode::FORBIDDEN, "This page's origin may not join.\n").into_response();
    }
    // The connection's place at the door goes with it; behind a trusted proxy, it becomes
    // the forwarded client's.
    let Some(mut permit) = place.take() else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let addr = door.client_ip(peer, &headers);
    if let Err(refusal) = context.readdress(&mut permit, addr, Via::Web) {
        let status = refusal_status(&refusal);
        return (status, context.catalog.error(&refusal)).into_response();
    }
    // A character may take 12 bytes once JSON-escaped (a surrogate pair of \u escapes).
    let max_frame = context
        .config
        .max_length
        .saturating_mul(12)
        .saturating_add(1024)
        .max(MIN_FRAME);
    upgrade
        .max_message_size(max_frame)
        .max_frame_size(max_frame)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        // The hard bound on what a page that does not read costs: without it, every ping
        // it sends queues a pong, without limit. No frame tchat sends is larger than a
        // client's largest (the answers are cut into parts), so two of those always fit;
        // past the bound a write fails and the page is let go.
        .max_write_buffer_size(max_frame.saturating_mul(2))
        .on_upgrade(move |socket| {
            // Tracked, because axum's graceful shutdown does not wait for upgraded
            // connections: the session watches our shutdown token and says goodbye itself.
            let tracker = context.tracker.clone();
            let client = SocketAddr::new(addr, peer.port());
            tracker.track_future(socket::run(socket, client, permit, context))
        })
        .into_response()
}

/// How a refusal at the door answers over HTTP: a ban is forbidden, a full room is
/// unavailable for now.
fn refusal_status(refusal: &ChatError) -> StatusCode {
    if *refusal == ChatError::Banned {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

/// Said to a request whose `Host` does not name this machine.
const NOT_THIS_HOST: &str = "This address does not name this machine: use the address tchat \
    printed at startup (or start tchat with --public-host NAME).\n";

/// `GET /healthz`, for the teacher: `ok`, or 503 and why events cannot be saved (nothing new
/// is shown until they can).
async fn health(_: Teacher, State(context): State<Context>) -> Response {
    match context.hub.saving_failure() {
        None => "ok\n".into_response(),
        Some(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("saving fails: {reason}\n"),
        )
            .into_response(),
    }
}

/// `GET /metrics`: Prometheus' text format, for the teacher.
async fn metrics(_: Teacher, State(context): State<Context>) -> Response {
    let body = context.metrics.render(context.hub.published());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// True when `origin` is the page's own (same host as the request) or one allowed by flag.
fn origin_allowed(origin: &HeaderValue, headers: &HeaderMap, allowed: &[String]) -> bool {
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let own = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .is_some_and(|host| {
            ["http://", "https://"]
                .iter()
                .filter_map(|scheme| origin.strip_prefix(scheme))
                .any(|rest| rest.eq_ignore_ascii_case(host))
        });
    own || allowed
        .iter()
        .any(|allowed| allowed.trim_end_matches('/').eq_ignore_ascii_case(origin))
}
