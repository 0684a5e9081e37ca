//! Counters for `GET /metrics`, in Prometheus' text format.
//!
//! A dozen relaxed atomics, written by the sessions once per batch (not per delivery: an
//! atomic add per recipient would bounce a cache line between cores on the hot path) and
//! read only when scraped. A metrics crate's registry and label machinery would be more code
//! than the counters themselves.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::chat::Via;

/// Counters for one transport.
#[derive(Default)]
pub(crate) struct PerTransport {
    connections: AtomicU64,
    messages_in: AtomicU64,
    deliveries: AtomicU64,
    skipped: AtomicU64,
    slow_disconnects: AtomicU64,
    rate_limited: AtomicU64,
    behind_high_water: AtomicU64,
}

/// Every counter tchat keeps.
#[derive(Default)]
pub(crate) struct Metrics {
    tcp: PerTransport,
    web: PerTransport,
    /// The teacher's terminal: one member at most, counted apart so that the page's
    /// figures stay the page's.
    console: PerTransport,
    refused: AtomicU64,
}

/// Counts one open connection until dropped.
pub(crate) struct Connected {
    metrics: Arc<Metrics>,
    via: Via,
}

impl Drop for Connected {
    fn drop(&mut self) {
        self.metrics.of(self.via).connections.fetch_sub(1, Relaxed);
    }
}

impl Metrics {
    pub(crate) fn of(&self, via: Via) -> &PerTransport {
        match via {
            Via::Tcp => &self.tcp,
            Via::Web => &self.web,
            Via::Console => &self.console,
        }
    }

    /// Counts an open connection for as long as the guard lives.
    pub(crate) fn connected(self: &Arc<Self>, via: Via) -> Connected {
        self.of(via).connections.fetch_add(1, Relaxed);
        Connected {
            metrics: self.clone(),
            via,
        }
    }

    /// A connection turned away at the door.
    pub(crate) fn refused(&self) {
        self.refused.fetch_add(1, Relaxed);
    }

    /// The text served at `/metrics`; `published` is the number of events so far.
    pub(crate) fn render(&self, published: u64) -> String {
        let mut out = String::new();
        let mut family =
            |name: &str, kind: &str, help: &str, value: &dyn Fn(&PerTransport) -> u64| {
                let _ = writeln!(
                    out,
                    "# HELP tchat_{name} {help}\n# TYPE tchat_{name} {kind}"
                );
                let transports = [
                    (Via::Tcp, &self.tcp),
                    (Via::Web, &self.web),
                    (Via::Console, &self.console),
                ];
                for (via, counters) in transports {
                    let label = via.as_str();
                    let _ = writeln!(
                        out,
                        "tchat_{name}{{transport=\"{label}\"}} {}",
                        value(counters)
                    );
                }
            };
        family("connections", "gauge", "Open connections.", &|c| {
            c.connections.load(Relaxed)
        });
        family(
            "messages_in_total",
            "counter",
            "Lines, messages and renames received from joined clients.",
            &|c| c.messages_in.load(Relaxed),
        );
        family(
            "deliveries_total",
            "counter",
            "Events and private messages sent to clients.",
            &|c| c.deliveries.load(Relaxed),
        );
        family(
            "slow_consumer_skipped_total",
            "counter",
            "Events skipped for clients that read too slowly.",
            &|c| c.skipped.load(Relaxed),
        );
        family(
            "slow_consumer_disconnects_total",
            "counter",
            "Clients disconnected for not reading.",
            &|c| c.slow_disconnects.load(Relaxed),
        );
        family(
            "rate_limited_total",
            "counter",
            "Lines dropped by flood control.",
            &|c| c.rate_limited.load(Relaxed),
        );
        family(
            "behind_high_water",
            "gauge",
            "Most events one client was ever behind in the shared ring (past --backlog it skips ahead).",
            &|c| c.behind_high_water.load(Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP tchat_events_total Public events published.\n# TYPE tchat_events_total counter\n\
             tchat_events_total {published}\n\
             # HELP tchat_refused_connections_total Connections turned away at the door.\n\
             # TYPE tchat_refused_connections_total counter\n\
             tchat_refused_connections_total {}",
            self.refused.load(Relaxed)
        );
        out
    }
}

impl PerTransport {
    pub(crate) fn received(&self, count: u64) {
        self.messages_in.fetch_add(count, Relaxed);
    }

    pub(crate) fn delivered(&self, count: u64) {
        self.deliveries.fetch_add(count, Relaxed);
    }

    pub(crate) fn skipped(&self, count: u64) {
        self.skipped.fetch_add(count, Relaxed);
    }

    pub(crate) fn slow_disconnect(&self) {
        self.slow_disconnects.fetch_add(1, Relaxed);
    }

    pub(crate) fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Relaxed);
    }

    /// Notes how many events a client was behind; keeps the most ever seen.
    pub(crate) fn behind(&self, events: u64) {
        self.behind_high_water.fetch_max(events, Relaxed);
    }
}
