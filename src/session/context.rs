//! What every session shares: the conversation, the settings, the door, the counters and
//! the stop signal. Built once by the app; each adapter's session holds a clone.

use std::net::IpAddr;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::door::{Door, Permit};
use crate::chat::{ChatError, Hub, Via};
use crate::config::Config;
use crate::entrances::Entrances;
use crate::i18n::Catalog;
use crate::metrics::Metrics;
use crate::store::History;

/// What every session needs. Cloning is a handful of refcount bumps.
#[derive(Clone)]
pub(crate) struct Context {
    pub(crate) hub: Hub,
    pub(crate) config: Arc<Config>,
    /// The server's language (`--lang`): TCP lines, and the `text` of WebSocket frames.
    pub(crate) catalog: &'static Catalog,
    /// Past events beyond memory.
    pub(crate) history: History,
    /// Connection caps, real client addresses, the password.
    pub(crate) door: Arc<Door>,
    /// The addresses students use, for the `/join` page.
    pub(crate) entrances: Arc<Entrances>,
    /// Counters for `/metrics`.
    pub(crate) metrics: Arc<Metrics>,
    /// Cancelled once when the server stops; every session watches it.
    pub(crate) shutdown: CancellationToken,
    /// Every session runs on it, so stopping can wait for their goodbyes.
    pub(crate) tracker: TaskTracker,
    /// In a cluster, the nicknames claimed across its nodes.
    pub(crate) names: Option<crate::cluster::Names>,
}

impl Context {
    /// Takes a place for a connection from `addr`, or says why not (banned, or too many
    /// connections), counting and logging the refusal.
    ///
    /// # Errors
    /// [`ChatError::Banned`] or [`ChatError::TooManyConnections`].
    pub(crate) fn admit(&self, addr: IpAddr, via: Via) -> Result<Permit, ChatError> {
        self.door
            .admit(&self.hub, addr)
            .inspect_err(|refusal| self.refused(addr, via, refusal))
    }

    /// Moves a connection's place to `client`, the address a trusted proxy forwarded it
    /// for (see [`Door::readdress`]), counting and logging a refusal as [`Context::admit`].
    ///
    /// # Errors
    /// [`ChatError::Banned`] or [`ChatError::TooManyConnections`].
    pub(crate) fn readdress(
        &self,
        permit: &mut Permit,
        client: IpAddr,
        via: Via,
    ) -> Result<(), ChatError> {
        self.door
            .readdress(permit, &self.hub, client)
            .inspect_err(|refusal| self.refused(client, via, refusal))
    }

    fn refused(&self, addr: IpAddr, via: Via, refusal: &ChatError) {
        self.metrics.refused();
        tracing::info!(%addr, %via, reason = refusal.code(), "refused");
    }
}
