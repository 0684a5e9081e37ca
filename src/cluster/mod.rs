//! Several tchat nodes sharing one conversation through NATS JetStream (`--cluster`).
//!
//! The conversation is one JetStream stream, `TCHAT`: every public event, and every fact a
//! restart needs, is a record of it, and its sequence (plus the offset its first record
//! gives) is the event's id on every node. Each node publishes what its members do and
//! reads the whole stream back in order, applying, saving (its SQLite database is a replica,
//! and the source of its transcripts) and only then delivering each record; so every node
//! shows the same events in the same order under the same ids (see `chat::sequencer`).
//! Nothing is numbered by a node alone: while the log cannot be reached, nothing new is
//! published, and the conversation can never fork.
//!
//! Beside the log, two key-value buckets: `tchat_nicks`, the nicknames claimed across the
//! cluster (`names`), and `tchat_nodes`, each node's heartbeat (`liveness`), from which the
//! nodes that outlive one publish its members' departures.
//!
//! - `record`: a record as bytes.
//! - `log`: the publisher and the follower.
//! - `names`: nickname claims; `liveness`: heartbeats and the departures of runs that ended.
//! - `private`: private messages between nodes, never stored.

mod liveness;
mod log;
mod names;
mod private;
mod record;

pub use names::{Claimed, Names};

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::{self, stream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::chat::{Draft, Hub, LogSink, Outage, WeakHub};
use crate::store::{Store, StoreError};
use futures_util::StreamExt;
use liveness::Liveness;
use record::{GENESIS, Record};

/// The stream that is the conversation.
const STREAM: &str = "TCHAT";
/// How long the log remembers a record's id, so that a retry is never stored twice.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(10 * 60);
/// How long a request to the cluster (creating the stream, reading a record) may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a node pings its NATS server: two unanswered pings and it reconnects.
const PING: Duration = Duration::from_secs(2);
/// How long a node waits, at startup, for servers started with it to be ready.
const STARTING: Duration = Duration::from_secs(20);

/// Why a node could not join its cluster.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// No NATS server answered.
    #[error("cannot reach the cluster at {urls}: {source}")]
    Connect {
        /// The servers tried.
        urls: String,
        /// Why.
        #[source]
        source: async_nats::ConnectError,
    },
    /// The stream could not be made or read.
    #[error("cannot open the cluster's log (is JetStream on, with -js?): {0}")]
    Log(String),
    /// The database holds another conversation than the cluster's.
    #[error(
        "the history database {0} holds a conversation of its own, not this cluster's: give this node a new --db (it will copy the cluster's history), or start a new cluster from it"
    )]
    Foreign(String),
    /// The database could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How a node joins its cluster.
#[derive(Clone, Debug)]
pub struct Settings {
    /// NATS servers, any of which will do.
    pub urls: Vec<String>,
    /// This node's name, unique in the cluster.
    pub node: String,
    /// How many servers keep a copy of the log (at most the number of servers).
    pub replicas: usize,
}

/// A node connected to its cluster, before it serves.
pub struct Bus {
    client: async_nats::Client,
    js: jetstream::Context,
    names: Names,
    liveness: Liveness,
    stream: stream::Stream,
    node: String,
    /// This run of this node: its name, a dot, a fresh id.
    home: Arc<str>,
    /// Names the log: its creation time. A log made anew is another conversation.
    epoch: String,
    /// The log's last record when the node connected: it serves once it has read that far.
    last: u64,
    /// Connection events, for the hub once it exists.
    events: mpsc::Receiver<async_nats::Event>,
}

/// Where a node starts reading the log.
#[derive(Clone, Copy, Debug)]
pub struct Start {
    /// Ids are the log's sequence plus this.
    pub offset: u64,
    /// Records up to this one are in the node's database already.
    pub saved: u64,
    /// The log starts from this node's database (a lone server's conversation going on as a
    /// cluster): what it kept beside its events is to be shared.
    pub imported: bool,
}

impl Bus {
    /// Connects to the cluster's servers and opens the log, making it if it is not there.
    ///
    /// # Errors
    /// [`ClusterError::Connect`] if no server answers, [`ClusterError::Log`] if the stream
    /// cannot be made or read.
    pub async fn connect(settings: &Settings) -> Result<Self, ClusterError> {
        let run = crate::secret::token().map_err(|error| ClusterError::Log(error.to_string()))?;
        // A short id is enough to tell runs apart, and keeps every record small.
        let home: Arc<str> = Arc::from(format!("{}.{}", settings.node, &run[..run.len().min(8)]));
        let (events_tx, events) = mpsc::channel(64);
        let client = async_nats::ConnectOptions::new()
            .name(format!("tchat {}", settings.node))
            .connection_timeout(REQUEST_TIMEOUT)
            // A lost server is noticed within seconds even when no packet says so (a cable
            // pulled), and the node turns read-only.
            .ping_interval(PING)
            .max_reconnects(None)
            .event_callback(move |event| {
                let events_tx = events_tx.clone();
                async move {
                    let _ = events_tx.try_send(event);
                }
            })
            .connect(settings.urls.as_slice())
            .await
            .map_err(|source| ClusterError::Connect {
                urls: settings.urls.join(","),
                source,
            })?;
        let js = jetstream::context::ContextBuilder::new()
            .timeout(REQUEST_TIMEOUT)
            .build(client.clone());
        let log = |error: &dyn std::fmt::Display| ClusterError::Log(error.to_string());
        // Servers started together take a moment to elect who leads JetStream: meanwhile
        // the stream cannot be made yet.
        let deadline = tokio::time::Instant::now() + STARTING;
        let mut stream = loop {
            let made = js
                .get_or_create_stream(stream::Config {
                    name: STREAM.to_owned(),
                    subjects: vec!["tchat.log.>".to_owned()],
                    storage: stream::StorageType::File,
                    num_replicas: settings.replicas.max(1),
                    duplicate_window: DUPLICATE_WINDOW,
                    max_messages: -1,
                    max_bytes: -1,
                    allow_direct: true,
                    ..stream::Config::default()
                })
                .await;
            match made {
                Ok(stream) => break stream,
                Err(error) if tokio::time::Instant::now() >= deadline => return Err(log(&error)),
                Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        };
        let info = stream.info().await.map_err(|error| log(&error))?;
        let epoch = format!("nats-{}", info.created.unix_timestamp_nanos());
        let last = info.state.last_sequence;
        let liveness = Liveness {
            kv: bucket(&js, "tchat_nodes", liveness::TTL, settings.replicas).await?,
            node: settings.node.clone(),
            home: home.clone(),
            healthy_since: Arc::default(),
        };
        let names = Names {
            kv: bucket(&js, "tchat_nicks", Duration::ZERO, settings.replicas).await?,
            client: client.clone(),
            home: home.clone(),
            liveness: liveness.clone(),
        };
        Ok(Self {
            client,
            names,
            liveness,
            js,
            stream,
            node: settings.node.clone(),
            home,
            epoch,
            last,
            events,
        })
    }

    /// The conversation's id: the log's, the same on every node.
    pub fn epoch(&self) -> &str {
        &self.epoch
    }

    /// This run of this node.
    pub fn home(&self) -> Arc<str> {
        self.home.clone()
    }

    /// Checks that `store` holds this cluster's conversation (or nothing yet), and where to
    /// start reading the log. A database from a single machine starts a new cluster, its ids
    /// going on after its last one, if the log is still empty.
    ///
    /// # Errors
    /// [`ClusterError::Foreign`] for a database of another conversation; the others if the
    /// log or the database cannot be read.
    pub async fn begin(&self, store: &mut Store) -> Result<Start, ClusterError> {
        let mark = store.cluster_mark()?;
        let ours = mark.epoch.as_deref() == Some(self.epoch.as_str());
        let foreign = || ClusterError::Foreign(store.path().display().to_string());
        if !ours && mark.last_id > 0 && self.last > 0 {
            return Err(foreign());
        }
        if self.last == 0 {
            self.genesis(mark.last_id).await?;
        }
        let first = self
            .stream
            .get_raw_message(1)
            .await
            .map_err(|error| ClusterError::Log(error.to_string()))?;
        let genesis: Record = serde_json::from_slice(&first.payload).unwrap_or_default();
        if genesis.what != GENESIS {
            return Err(ClusterError::Log(
                "its first record is not tchat's".to_owned(),
            ));
        }
        let offset = genesis.number;
        // Another node started the log from another database at the same moment.
        if !ours && mark.last_id > offset {
            return Err(foreign());
        }
        store.join_cluster(&self.epoch)?;
        Ok(Start {
            offset,
            saved: if ours { mark.seq } else { 0 },
            imported: !ours && mark.last_id > 0,
        })
    }

    /// Writes the log's first record, unless another node just did.
    async fn genesis(&self, offset: u64) -> Result<(), ClusterError> {
        let payload = serde_json::to_vec(&Record::genesis(offset))
            .map_err(|error| ClusterError::Log(error.to_string()))?;
        let publish = PublishMessage::build()
            .payload(payload.into())
            .expected_last_sequence(0);
        let subject = format!("tchat.log.{}", self.node);
        let stored = async {
            let ack = self.js.send_publish(subject, publish).await?;
            ack.await
        };
        match stored.await {
            Ok(_) => Ok(()),
            Err(error) if error.kind() == PublishErrorKind::WrongLastSequence => Ok(()),
            Err(error) => Err(ClusterError::Log(error.to_string())),
        }
    }

    /// Starts the node's publisher and follower for `hub`, and has the hub go read-only
    /// while the cluster cannot be reached.
    pub fn run(
        self,
        hub: &Hub,
        sink: LogSink,
        drafts: mpsc::Receiver<Draft>,
        start: Start,
        progress: watch::Receiver<u64>,
    ) -> Running {
        let stop = CancellationToken::new();
        let (acked_tx, acked) = watch::channel(0);
        let publisher = log::Publisher {
            js: self.js.clone(),
            stream: self.stream.clone(),
            subject: format!("tchat.log.{}", self.node),
            home: self.home.clone(),
            hub: hub.downgrade(),
            names: self.names.clone(),
            acked: acked_tx,
        };
        let reconnected = Arc::new(tokio::sync::Notify::new());
        let follower = log::Follower {
            reconnected: reconnected.clone(),
            stream: self.stream,
            home: self.home.clone(),
            saved: start.saved,
            offset: start.offset,
            sink,
            stop: stop.clone(),
        };
        let watcher = tokio::spawn(watch_connection(self.events, hub.downgrade(), reconnected));
        let takeovers = tokio::spawn(serve(
            self.client.clone(),
            names::takeover_subject(&self.home),
            hub.downgrade(),
            stop.clone(),
            answer_takeover,
        ));
        let private = tokio::spawn(serve(
            self.client.clone(),
            private::subject(&self.home),
            hub.downgrade(),
            stop.clone(),
            private::receive,
        ));
        let beat = tokio::spawn(self.liveness.clone().beat_forever(stop.clone()));
        let watch = tokio::spawn(self.liveness.clone().watch(hub.downgrade(), stop.clone()));
        Running {
            names: self.names,
            helpers: vec![takeovers, private, beat, watch],
            liveness: self.liveness,
            publisher: tokio::spawn(publisher.run(drafts)),
            follower: tokio::spawn(follower.run()),
            watcher,
            stop,
            progress,
            acked,
            last: self.last,
        }
    }
}

/// Makes (or opens) key-value bucket `name`, whose keys are forgotten `max_age` after they
/// were written (never, for zero). Made as the stream that backs a bucket, as the client's
/// own call expects a newer server than Debian's 2.9 (it reads a field 2.9 does not send).
async fn bucket(
    js: &jetstream::Context,
    name: &str,
    max_age: Duration,
    replicas: usize,
) -> Result<jetstream::kv::Store, ClusterError> {
    let log = |error: &dyn std::fmt::Display| ClusterError::Log(error.to_string());
    js.get_or_create_stream(stream::Config {
        name: format!("KV_{name}"),
        subjects: vec![format!("$KV.{name}.>")],
        max_messages_per_subject: 1,
        max_age,
        storage: stream::StorageType::File,
        num_replicas: replicas.max(1),
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: stream::DiscardPolicy::New,
        max_messages: -1,
        max_bytes: -1,
        ..stream::Config::default()
    })
    .await
    .map_err(|error| log(&error))?;
    js.get_key_value(name).await.map_err(|error| log(&error))
}

/// Answers other nodes asking, for a newcomer with a resume token, for a nickname a member
/// of this run holds: `ok` if it let it go, `no` otherwise.
fn answer_takeover(hub: &Hub, request: &async_nats::Message) -> Option<bytes::Bytes> {
    let asked: serde_json::Value = serde_json::from_slice(&request.payload).unwrap_or_default();
    let given = match (asked["nick"].as_str(), asked["token"].as_str()) {
        (Some(nick), Some(token)) => hub.give_up_name(nick, token),
        _ => false,
    };
    let answer: &'static [u8] = if given { b"ok" } else { b"no" };
    Some(answer.into())
}

/// Hands every message on `subject` to `handle` with the hub, while the hub exists and
/// until `stop`, and sends its answer, if any, to whoever asked.
async fn serve(
    client: async_nats::Client,
    subject: String,
    hub: WeakHub,
    stop: CancellationToken,
    handle: fn(&Hub, &async_nats::Message) -> Option<bytes::Bytes>,
) {
    let Ok(mut messages) = client.subscribe(subject).await else {
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
        let answer = handle(&hub, &message);
        if let (Some(reply), Some(answer)) = (message.reply, answer) {
            let _ = client.publish(reply, answer).await;
        }
    }
}

/// The id a record was published under (`Nats-Msg-Id`), if it has one.
fn message_id(headers: &async_nats::HeaderMap) -> Option<&str> {
    headers
        .get(async_nats::header::NATS_MESSAGE_ID)
        .map(|id| id.as_str())
}

/// `text` in hexadecimal: in a record's id, or a key of a bucket, whatever its characters.
fn hex(text: &str) -> String {
    text.bytes().map(|byte| format!("{byte:02x}")).collect()
}

/// Turns the hub read-only while the connection to the cluster is lost, and has the
/// follower read again from where it was once it is back.
async fn watch_connection(
    mut events: mpsc::Receiver<async_nats::Event>,
    hub: WeakHub,
    reconnected: Arc<tokio::sync::Notify>,
) {
    while let Some(event) = events.recv().await {
        let Some(hub) = hub.upgrade() else {
            return;
        };
        match event {
            async_nats::Event::Disconnected => {
                tracing::warn!(
                    "the cluster cannot be reached: nothing new is published until it can"
                );
                hub.cluster_outage(Outage::Connection, true);
            }
            async_nats::Event::Connected => {
                tracing::info!("the cluster can be reached again");
                reconnected.notify_one();
                hub.cluster_outage(Outage::Connection, false);
            }
            _ => {}
        }
    }
}

/// A node's tasks on the cluster, while it serves.
pub struct Running {
    names: Names,
    publisher: JoinHandle<()>,
    /// The heartbeat and the answers to takeovers.
    helpers: Vec<JoinHandle<()>>,
    liveness: Liveness,
    follower: JoinHandle<()>,
    watcher: JoinHandle<()>,
    stop: CancellationToken,
    /// The last record the storage thread delivered.
    progress: watch::Receiver<u64>,
    /// The last record this node published.
    acked: watch::Receiver<u64>,
    /// The log's last record when the node connected.
    last: u64,
}

impl Running {
    /// The cluster's nickname claims, for the node's door.
    pub fn names(&self) -> Names {
        self.names.clone()
    }

    /// Waits until the node has read the log as far as it went when the node connected,
    /// and has told the cluster it is alive: from then on it may let people in. (Members an
    /// earlier run of this node left behind, killed, leave as any ended run's do.)
    ///
    /// # Errors
    /// The heartbeat's, as a sentence.
    pub async fn catch_up(&mut self) -> Result<(), ClusterError> {
        let last = self.last;
        let _ = self.progress.wait_for(|seq| *seq >= last).await;
        self.liveness.beat().await.map_err(ClusterError::Log)
    }

    /// Once the hub is gone: lets the publisher store what is left, and the follower read
    /// it back (so the departures are saved here too), within `grace`; then stops.
    pub async fn finish(mut self, grace: Duration) {
        let deadline = tokio::time::Instant::now() + grace;
        let _ = tokio::time::timeout_at(deadline, &mut self.publisher).await;
        let acked = *self.acked.borrow();
        let _ =
            tokio::time::timeout_at(deadline, self.progress.wait_for(|seq| *seq >= acked)).await;
        self.stop.cancel();
        self.watcher.abort();
        for helper in self.helpers {
            let _ = helper.await;
        }
        let _ = tokio::time::timeout_at(deadline, &mut self.follower).await;
    }
}
