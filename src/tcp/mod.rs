//! The raw TCP door: accepts connections, turns away those the session layer refuses, and
//! runs one [`connection`] per client.
//!
//! - `answer`: what a client that has never ended a line is sent, one answer per send.
//! - `connection`: one client's socket, framing and encoding.
//! - `outbox`: what waits for that socket.

mod answer;
mod connection;
mod outbox;

use std::time::Duration;

use tokio::net::TcpListener;

use crate::chat::Via;
use crate::session::Context;

/// Accepts TCP clients until the server stops.
pub(crate) async fn serve(listener: TcpListener, context: Context) {
    let mut backoff = Duration::from_millis(10);
    loop {
        let accepted = tokio::select! {
            () = context.shutdown.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                backoff = Duration::from_millis(10);
                match context.admit(peer.ip().to_canonical(), Via::Tcp) {
                    Ok(permit) => connection::start(stream, peer, permit, context.clone()),
                    Err(refusal) => {
                        tokio::spawn(connection::refuse(stream, refusal, context.catalog));
                    }
                }
            }
            // Out of file descriptors, most likely: wait for sessions to end rather than
            // spin, without giving up on the listener.
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
            }
        }
    }
}
