//! The node's two tasks on the cluster's log: the publisher, which hands the hub's drafts to
//! the log one at a time, and the follower, which reads every record of the log, in order,
//! and hands it to the storage thread to be applied, saved and delivered.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::{DeliverPolicy, pull::OrderedConfig};
use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::stream::RawMessageErrorKind;
use async_nats::jetstream::{self, stream::Stream};
use futures_util::StreamExt;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::names::Names;
use super::record::Record;
use super::{hex, message_id};
use crate::chat::{Draft, EventKind, LogSink, Logged, NoticeKind, Outage, WeakHub};

/// How long a record's publisher keeps trying before the node turns read-only and the
/// record is settled (see `Publisher::settle`): longer than a JetStream leader election
/// (about five seconds).
const DEADLINE: Duration = Duration::from_secs(8);
/// How long one attempt waits for the log's acknowledgement.
const ATTEMPT: Duration = Duration::from_secs(1);
/// The pause between attempts that failed at once (no server, no leader).
const PAUSE: Duration = Duration::from_millis(100);
/// How many voided record ids the follower remembers. The fence under which a void is
/// published keeps the record it voids out of the log; only a node's very first record has
/// no fence, and this catches it.
const VOIDED: usize = 1024;
/// How long the follower waits for a record before it checks that it is not behind.
const STALL: Duration = Duration::from_secs(1);

/// The publisher of one run of one node.
pub(super) struct Publisher {
    pub(super) js: jetstream::Context,
    pub(super) stream: Stream,
    /// `tchat.log.<node>`: each node writes under its own subject, so each write can say
    /// which record of its node it follows, and a late retry can never land after a later
    /// record.
    pub(super) subject: String,
    /// This run (`node.run`).
    pub(super) home: Arc<str>,
    pub(super) hub: WeakHub,
    pub(super) names: Names,
    /// The last record this node stored, as the log numbered it.
    pub(super) acked: watch::Sender<u64>,
}

impl Publisher {
    /// Publishes every draft, in the order the hub decided them, one at a time so that a
    /// node's records keep their order in the log; ends when the hub is gone and every
    /// draft is handled.
    pub(super) async fn run(self, mut drafts: mpsc::Receiver<Draft>) {
        let mut last = self.stream_last().await.unwrap_or(0);
        let mut count = 0u64;
        while let Some(draft) = drafts.recv().await {
            if !self.prepare(&draft).await {
                continue;
            }
            let Some(record) = Record::of(&draft, &self.home) else {
                continue;
            };
            count += 1;
            let id = match &draft {
                // The same for every node that saw that run end: the log keeps one.
                Draft::Departure(event, gone) => {
                    format!("leave.{gone}.{}.{}", hex(&record.nick), event.id)
                }
                _ => format!("{}.{count}", self.home),
            };
            let Ok(payload) = serde_json::to_vec(&record) else {
                continue;
            };
            let payload = bytes::Bytes::from(payload);
            let (stored, settled) = match self
                .store(&id, payload.clone(), last, Some(DEADLINE), None)
                .await
            {
                Some((seq, _)) => (Some(seq), false),
                None => (
                    self.settle(&id, payload, last, must_land(&draft)).await,
                    true,
                ),
            };
            let hub = self.hub.upgrade();
            match stored {
                Some(seq) => {
                    // After a void, the void is this node's last record.
                    last = if settled {
                        self.stream_last().await.unwrap_or(seq)
                    } else {
                        seq
                    };
                    self.acked.send_replace(seq);
                }
                None => {
                    tracing::warn!(record = %id, "the cluster's log did not take a record in time: its sender is told");
                    last = self.stream_last().await.unwrap_or(last);
                    if let Some(hub) = &hub {
                        hub.refuse_draft(&draft);
                    }
                }
            }
            // Its fate known (and told), the node is writable again.
            if let (true, Some(hub)) = (settled, &hub) {
                hub.cluster_outage(Outage::Log, false);
            }
        }
    }

    /// A record the log has not acknowledged in time: the node turns read-only until its
    /// fate is known (the caller makes it writable again), for the log holds it or not, and
    /// no clock can tell. A record that
    /// must be in the log (an arrival, a departure, a rename, what a teacher did to someone,
    /// a fact) is tried until it is; any other is voided, so that it can never land later:
    /// a void record under the same fence either lands (the record never will: refused,
    /// `None`) or finds the record there (stored after all).
    async fn settle(
        &self,
        id: &str,
        payload: bytes::Bytes,
        last: u64,
        must_land: bool,
    ) -> Option<u64> {
        if let Some(hub) = self.hub.upgrade() {
            hub.cluster_outage(Outage::Log, true);
        }
        if must_land {
            self.store(id, payload, last, None, None)
                .await
                .map(|(seq, _)| seq)
        } else {
            let void = serde_json::to_vec(&Record::void(id)).unwrap_or_default();
            let void_id = format!("void.{id}");
            match self
                .store(&void_id, void.into(), last, None, Some(id))
                .await
            {
                Some((seq, true)) => Some(seq),
                // The void landed. A record proposed to the log before it, and not yet in
                // it when the void was checked against the fence (a leader without its
                // quorum keeps both), lands just before it: then the record counts.
                Some((void, false)) => self.landed_before(id, last, void).await,
                None => None,
            }
        }
    }

    /// Where the record with `id` landed between this node's record `last` and `void`, if it
    /// did.
    async fn landed_before(&self, id: &str, last: u64, void: u64) -> Option<u64> {
        for seq in (last + 1..void).rev() {
            // Each is read until it can be: the answer decides what the sender is told.
            let message = loop {
                match self.stream.get_raw_message(seq).await {
                    Ok(message) => break Some(message),
                    Err(error) if error.kind() == RawMessageErrorKind::NoMessageFound => {
                        break None;
                    }
                    Err(_) => tokio::time::sleep(PAUSE).await,
                }
            };
            let found = message.is_some_and(|message| message_id(&message.headers) == Some(id));
            if found {
                return Some(seq);
            }
        }
        None
    }

    /// The last record of this node's subject, if it can be read.
    async fn stream_last(&self) -> Option<u64> {
        self.stream
            .get_last_raw_message_by_subject(&self.subject)
            .await
            .ok()
            .map(|message| message.sequence)
    }

    /// Does what is not a record (false: nothing to publish): lets a claim go, or hands a
    /// private message to its node; or, for a rename, claims the new nickname first, the
    /// rename being undone if another node's member has it (false then too).
    async fn prepare(&self, draft: &Draft) -> bool {
        let hub = self.hub.upgrade();
        match draft {
            Draft::Release(nick) => {
                // Someone here took it again meanwhile (a takeover, a rename back).
                if !hub.is_some_and(|hub| hub.holds(nick)) {
                    self.names.release(nick).await;
                }
                false
            }
            Draft::Event(event) => {
                let EventKind::Rename { old, new, .. } = &event.kind else {
                    return true;
                };
                // A name taken back from a run that ended: its ghost there is replaced in
                // every node's list by the rename.
                match self.names.claim(new, None).await {
                    Ok(_) => true,
                    Err(_) => {
                        if let Some(hub) = hub {
                            hub.undo_rename(event.origin, old, new);
                        }
                        false
                    }
                }
            }
            Draft::Private(home, message) => {
                let sent = serde_json::to_vec(&super::private::Wire::of(message));
                if let Ok(payload) = sent {
                    let subject = super::private::subject(home);
                    let _ = self.js.client().publish(subject, payload.into()).await;
                }
                false
            }
            Draft::Fact(_) | Draft::Departure(..) => true,
        }
    }

    /// Stores one record under `id`, fenced after this node's record `last`, retrying with
    /// the same id (the log keeps one copy) for `patience` (for ever: `None`). Returns the
    /// sequence it landed at, and whether what landed is the `earlier` record instead (a
    /// void found the record it voids); `None` once out of patience.
    async fn store(
        &self,
        id: &str,
        payload: bytes::Bytes,
        mut last: u64,
        patience: Option<Duration>,
        earlier: Option<&str>,
    ) -> Option<(u64, bool)> {
        let deadline = patience.map(|patience| tokio::time::Instant::now() + patience);
        let mut warned = false;
        while deadline.is_none_or(|deadline| tokio::time::Instant::now() < deadline) {
            let mut publish = PublishMessage::build()
                .payload(payload.clone())
                .message_id(id);
            if last > 0 {
                publish = publish.expected_last_subject_sequence(last);
            }
            let attempt = async {
                let ack = self.js.send_publish(self.subject.clone(), publish).await?;
                ack.await
            };
            match tokio::time::timeout(ATTEMPT, attempt).await {
                Ok(Ok(ack)) => return Some((ack.sequence, false)),
                // Something of this node's is in the log after `last`: this very record
                // (its acknowledgement was lost), or the record a void is after.
                Ok(Err(error)) if error.kind() == PublishErrorKind::WrongLastSequence => match self
                    .stream
                    .get_last_raw_message_by_subject(&self.subject)
                    .await
                {
                    Ok(message) => {
                        let stored = message_id(&message.headers);
                        if stored == Some(id) {
                            return Some((message.sequence, false));
                        }
                        if stored.is_some() && stored == earlier {
                            return Some((message.sequence, true));
                        }
                        last = message.sequence;
                    }
                    Err(_) => tokio::time::sleep(PAUSE).await,
                },
                Ok(Err(error)) => {
                    if !warned {
                        tracing::warn!(%error, record = %id, "the cluster's log refused a record: trying again");
                        warned = true;
                    }
                    tokio::time::sleep(PAUSE).await;
                }
                Err(_) => {}
            }
        }
        None
    }
}

/// Whether a draft must be in the log whatever it takes, rather than refused: what changed
/// who is where for this node already (an arrival, a departure, a rename, a teacher sending
/// someone away, making one a teacher or closing a room), and the facts every node keeps. Left out, the
/// other nodes would list members that are gone, or miss members that are there.
fn must_land(draft: &Draft) -> bool {
    match draft {
        Draft::Event(event) => matches!(
            &event.kind,
            EventKind::Join { .. }
                | EventKind::Leave { .. }
                | EventKind::Rename { .. }
                | EventKind::Notice {
                    kind: NoticeKind::Kick | NoticeKind::Ban | NoticeKind::Op | NoticeKind::Close,
                    ..
                }
        ),
        Draft::Departure(..) | Draft::Fact(_) => true,
        Draft::Release(_) | Draft::Private(..) => false,
    }
}

/// The follower of one run of one node.
pub(super) struct Follower {
    pub(super) stream: Stream,
    pub(super) home: Arc<str>,
    /// Records up to this one were saved before this run: read again for the roster only.
    pub(super) saved: u64,
    /// Ids are the log's sequence plus this.
    pub(super) offset: u64,
    pub(super) sink: LogSink,
    pub(super) stop: CancellationToken,
    /// Told when the connection to the cluster is back: the reading starts again at once
    /// from the next record, rather than once the old one notices it lost its server.
    pub(super) reconnected: Arc<tokio::sync::Notify>,
}

impl Follower {
    /// Reads the log from its first record, for ever, until `stop`.
    pub(super) async fn run(self) {
        let mut next = 1;
        // The ids of the latest records given up on (see `Publisher::settle`), at most
        // [`VOIDED`]: one that lands after its void does not count.
        let mut voided: VecDeque<String> = VecDeque::new();
        loop {
            let consumer = self
                .stream
                .create_consumer(OrderedConfig {
                    deliver_policy: DeliverPolicy::ByStartSequence {
                        start_sequence: next,
                    },
                    ..OrderedConfig::default()
                })
                .await;
            let messages = match consumer {
                Ok(consumer) => consumer.messages().await.ok(),
                Err(_) => None,
            };
            let Some(mut messages) = messages else {
                tokio::select! {
                    () = self.stop.cancelled() => return,
                    () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                }
            };
            // When to check that the reading is not stuck, unless a record comes first.
            let mut quiet = tokio::time::Instant::now() + STALL;
            loop {
                let message = tokio::select! {
                    () = self.stop.cancelled() => return,
                    () = self.reconnected.notified() => break,
                    message = messages.next() => message,
                    () = tokio::time::sleep_until(quiet) => {
                        // No record for a while: either nothing happened, or the server this
                        // reading was on is gone (a leader killed) and it has not noticed.
                        if self.behind(next).await {
                            break;
                        }
                        quiet = tokio::time::Instant::now() + STALL;
                        continue;
                    }
                };
                let message = match message {
                    Some(Ok(message)) => message,
                    // The ordered consumer makes itself again after a gap or a lost server.
                    Some(Err(error)) => {
                        tracing::debug!(%error, "reading the cluster's log");
                        continue;
                    }
                    None => break,
                };
                let Ok(info) = message.info() else {
                    continue;
                };
                let seq = info.stream_sequence;
                if seq < next {
                    continue;
                }
                next = seq + 1;
                quiet = tokio::time::Instant::now() + STALL;
                let id = message.headers.as_ref().and_then(message_id);
                let logged = self.logged(seq, id, &message.payload, &mut voided);
                if !self.sink.send(logged).await {
                    return;
                }
            }
        }
    }

    /// Whether the log holds records from `next` on, which this follower has not read; or
    /// may (it cannot be asked quickly: a leader is being elected), so that reading starts
    /// again as soon as there is one.
    async fn behind(&self, next: u64) -> bool {
        let mut stream = self.stream.clone();
        match tokio::time::timeout(STALL, stream.info()).await {
            Ok(Ok(info)) => info.state.last_sequence >= next,
            Ok(Err(_)) | Err(_) => true,
        }
    }

    /// What record `seq`, stored under `id`, is for the hub.
    fn logged(
        &self,
        seq: u64,
        id: Option<&str>,
        payload: &[u8],
        voided: &mut VecDeque<String>,
    ) -> Logged {
        let record: Record = serde_json::from_slice(payload).unwrap_or_default();
        if record.what == "void" {
            if voided.len() >= VOIDED {
                voided.pop_front();
            }
            voided.push_back(record.text.clone());
        }
        let void = id.is_some_and(|id| voided.iter().any(|gone| gone == id));
        let home: Arc<str> = Arc::from(record.home.as_str());
        let ours = home == self.home && record.what != "departure";
        Logged {
            seq,
            id: seq + self.offset,
            ours,
            saved: seq <= self.saved,
            home,
            what: if void { None } else { record.draft() },
        }
    }
}
