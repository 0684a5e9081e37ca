//! The HTTP door's accept loop, in place of `axum::serve`, which has no header-read or idle
//! timeout and no buffer limit. Each connection takes a place at the door, so HTTP counts
//! in the same caps as the chat; its request head is read under a size and a time limit and
//! checked, and what is wrong is answered here, with the security headers; only then does
//! hyper serve the one request a connection carries.
//!
//! One request per connection (every response but an upgrade says `Connection: close`): a
//! page makes a handful, on a LAN, an idle connection holds no place, and every request's
//! head passes the checks here. A WebSocket upgrade takes the connection's place with it.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::header::CONNECTION;
use axum::http::{HeaderValue, StatusCode};
use bytes::{Buf, Bytes};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, timeout};
use tower::ServiceExt;

use super::SECURITY_HEADERS;
use crate::chat::Via;
use crate::session::{Context, Permit};

/// Largest request head (request line and headers). A browser's is well under 2 KiB.
const HEAD_LIMIT: usize = 16 * 1024;
/// How long one request may take once its head is in, the answer's sending included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a refused client gets to take its answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(2);
/// Most headers in a request head.
const MAX_HEADERS: usize = 64;

/// The connection's place at the door, for a WebSocket upgrade to take along; a plain
/// request leaves it, and the place is given back when the connection closes.
#[derive(Clone)]
pub(super) struct PlaceAtDoor(Arc<Mutex<Option<Permit>>>);

impl PlaceAtDoor {
    /// Takes the place, once.
    pub(super) fn take(&self) -> Option<Permit> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// Accepts HTTP connections until the server stops.
pub(super) async fn serve(listener: TcpListener, router: Router, context: Context) {
    let mut backoff = Duration::from_millis(10);
    loop {
        let accepted = tokio::select! {
            () = context.shutdown.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            // Out of file descriptors, most likely: wait for connections to end rather
            // than spin, without giving up on the listener.
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        backoff = Duration::from_millis(10);
        // Pages and their frames are small and must leave at once: without this, Nagle's
        // algorithm holds a frame until the previous one is acknowledged.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY not set");
        }
        let tracker = context.tracker.clone();
        match context.admit(peer.ip().to_canonical(), Via::Web) {
            Ok(permit) => {
                let (router, context) = (router.clone(), context.clone());
                tracker.spawn(connection(stream, peer, permit, router, context));
            }
            Err(refusal) => {
                let text = context.catalog.error(&refusal);
                tracker.spawn(answer(stream, super::refusal_status(&refusal), text));
            }
        }
    }
}

/// One connection: its head read and checked, then served by hyper.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    permit: Permit,
    router: Router,
    context: Context,
) {
    let shutdown = context.shutdown.clone();
    let head_timeout = Duration::from_secs(context.config.http_timeout);
    let head = tokio::select! {
        () = shutdown.cancelled() => return,
        head = read_head(&stream, head_timeout) => head,
    };
    let head = match head {
        Ok(head) => head,
        Err(Some((status, text))) => return answer(stream, status, text.to_owned()).await,
        Err(None) => return,
    };
    let place = PlaceAtDoor(Arc::new(Mutex::new(Some(permit))));
    let service = router
        .map_request(move |mut request: axum::extract::Request<_>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request.extensions_mut().insert(place.clone());
            request
        })
        .map_response(|mut response: axum::response::Response| {
            // An upgrade says `Connection: upgrade` already.
            response
                .headers_mut()
                .entry(CONNECTION)
                .or_insert(HeaderValue::from_static("close"));
            response
        });
    let io = TokioIo::new(Rewind {
        head: Some(head),
        stream,
    });
    let served = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(head_timeout)
        // The head was checked above; this only bounds what hyper buffers beside it.
        .max_buf_size(HEAD_LIMIT * 2)
        .serve_connection(io, TowerToHyperService::new(service))
        .with_upgrades();
    // A response a client does not read would hold the place for ever: one request gets
    // a bounded time (an upgrade is handed over at once, and lives on outside this).
    tokio::select! {
        () = shutdown.cancelled() => {}
        served = timeout(REQUEST_TIMEOUT, served) => match served {
            Ok(Err(error)) => tracing::debug!(%peer, %error, "HTTP connection failed"),
            Err(_) => tracing::debug!(%peer, "HTTP connection too slow"),
            Ok(Ok(())) => {}
        },
    }
}

/// Reads a request head, up to [`HEAD_LIMIT`] bytes within `limit` (`--http-timeout`),
/// and checks it. Everything read is returned, for hyper to read again. A refusal is the
/// status and the sentence to answer with, or `None` when the client is gone.
async fn read_head(
    stream: &TcpStream,
    limit: Duration,
) -> Result<Bytes, Option<(StatusCode, &'static str)>> {
    let deadline = Instant::now() + limit;
    let mut head = Vec::with_capacity(1024);
    loop {
        match tokio::time::timeout_at(deadline, stream.readable()).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Err(None),
            Err(_) => return Err(Some((StatusCode::REQUEST_TIMEOUT, "Request too slow.\n"))),
        }
        let mut chunk = [0u8; 2048];
        let read = match stream.try_read(&mut chunk) {
            Ok(0) => return Err(None),
            Ok(n) => &chunk[..n],
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return Err(None),
        };
        head.extend_from_slice(read);
        let too_large = Err(Some((
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "Request header fields too large.\n",
        )));
        // A head ends with a blank line: parsing waits for a line to end, so that a client
        // trickling bytes costs one parse per line, not one per byte.
        if !read.contains(&b'\n') {
            if head.len() >= HEAD_LIMIT {
                return too_large;
            }
            continue;
        }
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        match httparse::Request::new(&mut headers).parse(&head) {
            Ok(httparse::Status::Complete(length)) if length <= HEAD_LIMIT => {
                return Ok(Bytes::from(head));
            }
            Ok(httparse::Status::Partial) if head.len() < HEAD_LIMIT => {}
            Ok(_) | Err(httparse::Error::TooManyHeaders) => return too_large,
            Err(_) => return Err(Some((StatusCode::BAD_REQUEST, "Bad request.\n"))),
        }
    }
}

/// Answers with `status` and a line of text, with the security headers every response
/// carries, and closes.
async fn answer(mut stream: TcpStream, status: StatusCode, text: String) {
    let mut response = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: text/plain; charset=utf-8\r\n\
         content-length: {}\r\nconnection: close\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or_default(),
        text.len()
    );
    for (name, value) in SECURITY_HEADERS {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str("\r\n");
    response.push_str(&text);
    let write = async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await
    };
    let _ = timeout(ANSWER_TIMEOUT, write).await;
}

/// The connection, with the head already read put back in front of what follows. The head
/// is given up once read again, so an upgraded WebSocket keeps no copy of it.
struct Rewind {
    head: Option<Bytes>,
    stream: TcpStream,
}

impl AsyncRead for Rewind {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if let Some(head) = &mut this.head {
            let n = head.len().min(buf.remaining());
            buf.put_slice(&head[..n]);
            head.advance(n);
            if head.is_empty() {
                this.head = None;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Rewind {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
