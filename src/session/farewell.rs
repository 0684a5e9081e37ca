//! Why a session ended, and what its client is told: the same reasons and sentences on every
//! transport, each of which only puts them on its own wire.

use std::fmt;

use crate::chat::Ending;
use crate::i18n::{Arg, Catalog, fill};
use crate::wire::Farewell;

/// Why a session ended.
#[derive(Debug)]
pub(crate) enum End {
    /// The client asked to leave.
    Quit,
    /// The hub ended the session: replaced, kicked or banned.
    Ended(Ending),
    /// A line far over the limit: cut off.
    CutOff,
    /// The client closed its side.
    Closed,
    /// The client stopped reading its output.
    Stalled,
    /// The client answered no ping for too long: the link is dead.
    Dead,
    /// The client took too long to give the password.
    TimedOut,
    /// The server is stopping.
    Stopped,
    /// The connection failed.
    Failed(String),
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            End::Quit => f.write_str("quit"),
            End::Ended(why) => write!(f, "ended: {why:?}"),
            End::CutOff => f.write_str("cut off: line too long"),
            End::Closed => f.write_str("closed by client"),
            End::Stalled => f.write_str("stopped reading"),
            End::Dead => f.write_str("no answer to pings"),
            End::TimedOut => f.write_str("no password in time"),
            End::Stopped => f.write_str("server stopping"),
            End::Failed(error) => write!(f, "failed: {error}"),
        }
    }
}

impl End {
    /// What the client is told as the session ends; `None` when there is nobody left to
    /// tell or nothing to say. `max_length` is the longest message, for a line cut off.
    pub(crate) fn farewell(&self, catalog: &Catalog, max_length: usize) -> Option<Farewell> {
        let said = |reason, text: &str| Farewell {
            reason,
            text: text.to_owned(),
            why: String::new(),
        };
        Some(match self {
            End::Quit => said("quit", catalog.bye),
            End::Stopped => said("shutdown", catalog.stopping),
            End::Ended(Ending::Replaced) => said("replaced", catalog.replaced),
            End::Ended(Ending::Lost) => said("lost", catalog.lost),
            End::TimedOut => said("timeout", catalog.timed_out),
            End::Ended(Ending::Banned) => said("banned", catalog.banned),
            End::Ended(Ending::Kicked(why)) if why.is_empty() => said("kicked", catalog.kicked),
            End::Ended(Ending::Kicked(why)) => Farewell {
                reason: "kicked",
                text: fill(catalog.kicked_reason, &[("text", Arg::Text(why))]),
                why: why.clone(),
            },
            End::CutOff => Farewell {
                reason: "cut_off",
                text: catalog.cut_off(max_length),
                why: String::new(),
            },
            End::Ended(Ending::Left) | End::Closed | End::Stalled | End::Dead | End::Failed(_) => {
                return None;
            }
        })
    }
}
