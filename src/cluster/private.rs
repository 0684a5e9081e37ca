//! Private messages between members of different nodes: plain NATS messages to the node
//! the recipient is on, never stored, as on one server. Sent by the node's publisher, after
//! whatever its sender did before; at most once (a node that is not there drops them).

use serde::{Deserialize, Serialize};

use crate::chat::{Hub, Nick, Private, Via};

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

/// Hands one of this run's members a private message another node sent it (see `serve`);
/// nothing to answer.
pub(super) fn receive(hub: &Hub, message: &async_nats::Message) -> Option<bytes::Bytes> {
    let wire: Option<Wire> = serde_json::from_slice(&message.payload).ok();
    if let Some(private) = wire.and_then(Wire::private) {
        hub.receive_private(private);
    }
    None
}
