//! The raw TCP listener: accepts connections and runs one [`session`] per client.

mod session;

use std::time::Duration;

use tokio::net::TcpListener;

use crate::app::Context;

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
                let addr = peer.ip().to_canonical();
                let admitted = if context.hub.is_banned(addr) {
                    Err(context.catalog.banned)
                } else {
                    context
                        .admission
                        .admit(addr)
                        .map_err(|_| context.catalog.too_many)
                };
                match admitted {
                    Ok(permit) => {
                        session::start(stream, peer, permit, context.clone());
                    }
                    Err(reason) => {
                        context.metrics.refused();
                        tracing::info!(%peer, via = "tcp", reason, "refused");
                        tokio::spawn(session::refuse(stream, reason));
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
