//! Nicknames across the cluster: each is claimed in a JetStream key-value bucket before
//! anyone takes it (create-if-absent, so of two nodes giving one name at the same moment,
//! one wins), released once its holder's departure or rename is in the log, and taken back
//! from a run of a node that is gone. Within one node, the hub still decides, as alone:
//! a claim held by this very run is the hub's to check (a look-alike, a takeover token).

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::kv::{self, CreateErrorKind, Operation};
use bytes::Bytes;

use super::liveness::Liveness;
use crate::chat::{ChatError, Hub, Nick};

/// Guest names tried before a newcomer is refused: only a crowd joining at the very same
/// moment on every node takes more than one or two.
const GUEST_TRIES: usize = 64;
/// How long a newcomer waits for a name its token takes back from another node to be free.
const TAKEOVER_WAIT: Duration = Duration::from_secs(3);

/// The cluster's nickname claims, as one run of one node sees them.
#[derive(Clone)]
pub struct Names {
    pub(super) kv: kv::Store,
    pub(super) client: async_nats::Client,
    pub(super) home: Arc<str>,
    pub(super) liveness: Liveness,
}

/// What a newcomer was given.
#[derive(Debug)]
pub struct Claimed {
    /// The nickname, claimed for this node.
    pub nick: Nick,
    /// A guest name the node chose, not one the newcomer asked for.
    pub guest: bool,
    /// The run of a node the name was taken back from, which ended without saying
    /// goodbye: its holder's departure is published before the newcomer's arrival.
    pub from: Option<Arc<str>>,
}

impl Names {
    /// Claims the nickname a newcomer asks for (`None`: a fresh guest name) for this node.
    /// A name held on another node is refused, unless that node is gone, or `token` is the
    /// holder's resume token (its node then lets it go).
    ///
    /// # Errors
    /// [`ChatError::NickInvalid`], [`ChatError::NickTaken`], or [`ChatError::Unavailable`]
    /// when the cluster cannot be asked.
    pub async fn claim_for(
        &self,
        hub: &Hub,
        wanted: Option<&str>,
        token: Option<&str>,
    ) -> Result<Claimed, ChatError> {
        if let Some(name) = wanted {
            let nick = Nick::parse(name)?;
            let from = self.claim(&nick, token).await?;
            return Ok(Claimed {
                nick,
                guest: false,
                from,
            });
        }
        for _ in 0..GUEST_TRIES {
            let nick = hub.next_guest_name();
            match self.claim(&nick, None).await {
                Ok(from) => {
                    return Ok(Claimed {
                        nick,
                        guest: true,
                        from,
                    });
                }
                Err(ChatError::NickTaken(_)) => {}
                Err(error) => return Err(error),
            }
        }
        Err(ChatError::Unavailable)
    }

    /// Claims `nick` for this node; returns the run of a node it was taken back from, if its
    /// holder was left there by a run that ended.
    ///
    /// # Errors
    /// [`ChatError::NickTaken`] if another node's member holds it;
    /// [`ChatError::Unavailable`] when the cluster cannot be asked.
    pub async fn claim(
        &self,
        nick: &Nick,
        token: Option<&str>,
    ) -> Result<Option<Arc<str>>, ChatError> {
        let key = key(nick);
        let mine = Bytes::from(self.home.as_bytes().to_vec());
        let deadline = tokio::time::Instant::now() + TAKEOVER_WAIT;
        let mut asked = false;
        loop {
            let error = match self.kv.create(&key, mine.clone()).await {
                Ok(_) => return Ok(None),
                Err(error) => error,
            };
            if error.kind() != CreateErrorKind::AlreadyExists {
                tracing::warn!(%error, "cannot claim a nickname in the cluster");
                return Err(ChatError::Unavailable);
            }
            let entry = self
                .kv
                .entry(&key)
                .await
                .map_err(|_| ChatError::Unavailable)?;
            let Some(entry) = entry.filter(|entry| entry.operation == Operation::Put) else {
                continue;
            };
            let holder = String::from_utf8_lossy(&entry.value).into_owned();
            // This node's own: the hub checks it as it always did.
            if *holder == *self.home {
                return Ok(None);
            }
            let holder: Arc<str> = Arc::from(holder);
            if !self.liveness.is_alive(&holder).await {
                match self.kv.update(&key, mine.clone(), entry.revision).await {
                    Ok(_) => return Ok(Some(holder)),
                    Err(_) => continue,
                }
            }
            let taken = || ChatError::NickTaken(nick.to_string());
            let Some(token) = token else {
                return Err(taken());
            };
            if !asked {
                asked = true;
                match self.ask_takeover(&holder, nick, token).await {
                    Takeover::Given => {}
                    Takeover::Refused => return Err(taken()),
                    // Nobody answers for that run: it ended (killed), and its heartbeat has
                    // not expired yet. The token is the name's, as it was there.
                    Takeover::Nobody => {
                        if self
                            .kv
                            .update(&key, mine.clone(), entry.revision)
                            .await
                            .is_ok()
                        {
                            return Ok(Some(holder));
                        }
                    }
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(taken());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Lets `nick` go, if this node holds it (its holder's departure or rename is in the
    /// log already).
    pub async fn release(&self, nick: &Nick) {
        let key = key(nick);
        if let Ok(Some(entry)) = self.kv.entry(&key).await
            && entry.operation == Operation::Put
            && *entry.value == *self.home.as_bytes()
        {
            let _ = self
                .kv
                .delete_expect_revision(&key, Some(entry.revision))
                .await;
        }
    }

    /// Asks the node holding `nick` (run `holder`) to let it go to a newcomer with the
    /// holder's resume token.
    async fn ask_takeover(&self, holder: &str, nick: &Nick, token: &str) -> Takeover {
        let request = serde_json::json!({"nick": nick.as_str(), "token": token}).to_string();
        let asked = self
            .client
            .request(takeover_subject(holder), request.into())
            .await;
        match asked {
            Ok(reply) if &*reply.payload == b"ok" => Takeover::Given,
            Err(error) if error.kind() == async_nats::RequestErrorKind::NoResponders => {
                Takeover::Nobody
            }
            _ => Takeover::Refused,
        }
    }
}

/// What the node holding a nickname said to a takeover.
enum Takeover {
    /// Its member with that token went.
    Given,
    /// Not that member's token (or no such member any more), or no answer in time.
    Refused,
    /// No run of that node is there to answer.
    Nobody,
}

/// Where a run of a node answers takeover requests.
pub(super) fn takeover_subject(home: &str) -> String {
    format!("tchat.takeover.{home}")
}

/// A nickname's key in the bucket: its look-alike key (see [`Nick::key`]) in hexadecimal,
/// as keys are restricted to a few ASCII characters.
fn key(nick: &Nick) -> String {
    super::hex(&nick.key())
}
