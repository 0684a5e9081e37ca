//! Private messages between members of different nodes: plain NATS messages to the node
//! the recipient is on, never stored, as on one server. Sent by the node's publisher, after
//! whatever its sender did before; at most once (a node that is not there drops them).

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::chat::{Nick, Private, Via, WeakHub};

/// A private message as it travels.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Wire {
    ts: i64,
    from: String,
    via: String,
    to: String,
    text: String,
}

impl Wire {
    pub(super) fn of(message: &Private) -> Self {
        Self {
            ts: message.ts,
            from: message.from.as_str().to_owned(),
            via: message.via.as_str().to_owned(),
            to: message.to.as_str().to_owned(),
            text: message.text.clone(),
        }
    }

    fn private(self) -> Option<Private> {
        Some(Private {
            ts: self.ts,
            from: Nick::restored(&self.from),
            via: self.via.parse::<Via>().ok()?,
            to: Nick::restored(&self.to),
            text: self.text,
        })
    }
}

/// Where run `home` of a node receives private messages.
pub(super) fn subject(home: &str) -> String {
    format!("tchat.private.{home}")
}

/// Hands this run's members the private messages other nodes send them, until `stop`.
pub(super) async fn receive(
    client: async_nats::Client,
    home: std::sync::Arc<str>,
    hub: WeakHub,
    stop: CancellationToken,
) {
    let Ok(mut messages) = client.subscribe(subject(&home)).await else {
        return;
    };
    loop {
        let message = tokio::select! {
            () = stop.cancelled() => return,
            message = messages.next() => message,
        };
        let (Some(message), Some(hub)) = (message, hub.upgrade()) else {
            return;
        };
        let wire: Option<Wire> = serde_json::from_slice(&message.payload).ok();
        if let Some(private) = wire.and_then(Wire::private) {
            hub.receive_private(private);
        }
    }
}
