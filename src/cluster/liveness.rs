//! Which runs of which nodes are alive: each node writes its run's id under its name in a
//! key-value bucket every second, and the bucket forgets a name not written for
//! [`TTL`]. A run whose name is gone, or now holds another run, has ended; its members
//! were left behind (the node was killed, or cut off), and every node that notices
//! publishes their departures under the same record ids, so the log keeps one of each.
//! Noticed by polling, as the bucket tells nobody when it forgets.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::kv;
use bytes::Bytes;
use tokio_util::sync::CancellationToken;

use crate::chat::WeakHub;

/// How long a node's name outlives its last heartbeat: longer than JetStream takes to
/// elect a new leader when one dies (about five seconds, while no heartbeat is written), so
/// that a failover sends nobody away.
pub(super) const TTL: Duration = Duration::from_secs(10);
/// How often a node writes its heartbeat, and looks for runs that ended.
const BEAT: Duration = Duration::from_secs(1);
/// How long before the departures of an ended run are published again, if they were not
/// all in the log by then (the cluster was unreachable meanwhile).
const AGAIN: Duration = Duration::from_secs(10);

/// The heartbeats, as one run of one node sees them.
#[derive(Clone)]
pub(super) struct Liveness {
    pub(super) kv: kv::Store,
    pub(super) node: String,
    pub(super) home: Arc<str>,
    /// Since when this node's own heartbeats have all been written (`None`: the last one
    /// failed). A run is only taken for ended once this has lasted [`TTL`]: while the
    /// cluster cannot take heartbeats, every node's stop, and none has ended.
    pub(super) healthy_since: Arc<std::sync::Mutex<Option<tokio::time::Instant>>>,
}

impl Liveness {
    /// Whether run `home` (`node.run`) is alive. When the bucket cannot be read, it is
    /// taken for alive: nobody is sent away because the cluster hiccupped.
    pub(super) async fn is_alive(&self, home: &str) -> bool {
        let node = home.split('.').next().unwrap_or_default();
        match self.kv.get(node).await {
            Ok(Some(run)) => *run == *home.as_bytes(),
            Ok(None) => false,
            Err(_) => true,
        }
    }

    /// Writes this run's heartbeat once.
    ///
    /// # Errors
    /// The bucket's, as a sentence.
    pub(super) async fn beat(&self) -> Result<(), String> {
        let run = Bytes::from(self.home.as_bytes().to_vec());
        self.kv
            .put(&self.node, run)
            .await
            .map(|_| ())
            .map_err(|error| error.to_string())
    }

    /// Beats every second until `stop`, on its own: however slowly the others' heartbeats
    /// are read, this node's is never late.
    pub(super) async fn beat_forever(self, stop: CancellationToken) {
        let mut beats = tokio::time::interval(BEAT);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = beats.tick() => {}
            }
            let beat = self.beat().await;
            let mut since = self
                .healthy_since
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match beat {
                Ok(()) => {
                    since.get_or_insert_with(tokio::time::Instant::now);
                }
                Err(error) => {
                    tracing::debug!(%error, "heartbeat not written");
                    *since = None;
                }
            }
        }
    }

    /// Whether this node's heartbeats have all been written for [`TTL`]: long enough for
    /// any live run to have written one too.
    fn settled(&self) -> bool {
        let since = *self
            .healthy_since
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        since.is_some_and(|since| since.elapsed() >= TTL)
    }

    /// Publishes the departures of runs that ended, looking every second until `stop`.
    pub(super) async fn watch(self, hub: WeakHub, stop: CancellationToken) {
        let mut departed: HashMap<Arc<str>, tokio::time::Instant> = HashMap::new();
        let mut looks = tokio::time::interval(BEAT);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = looks.tick() => {}
            }
            let Some(hub) = hub.upgrade() else {
                return;
            };
            let now = tokio::time::Instant::now();
            departed.retain(|_, when| now.duration_since(*when) < AGAIN);
            if !self.settled() {
                continue;
            }
            for home in hub.remote_runs() {
                if departed.contains_key(&home) {
                    continue;
                }
                // Not known in time counts as alive.
                let alive = tokio::time::timeout(BEAT, self.is_alive(&home)).await;
                if alive.unwrap_or(true) {
                    continue;
                }
                let gone = hub.depart_run(&home, None);
                tracing::info!(run = %home, gone, "a node's run ended: its members leave");
                departed.insert(home, now);
            }
        }
    }
}
