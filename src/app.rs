//! The running server: binds both listeners, then serves until told to stop, then waits for
//! every session to say goodbye.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::chat::Hub;
use crate::config::Config;
use crate::i18n::Catalog;
use crate::{tcp, web};

/// How long sessions get to tell their clients goodbye once the server stops.
const FAREWELL_GRACE: Duration = Duration::from_secs(3);

/// What every session needs: the conversation, the settings, and the stop signal.
#[derive(Clone)]
pub(crate) struct Context {
    pub(crate) hub: Hub,
    pub(crate) config: Arc<Config>,
    pub(crate) catalog: &'static Catalog,
    /// Cancelled once when the server stops; every session watches it.
    pub(crate) shutdown: CancellationToken,
    /// Every session runs on it, so stopping can wait for their goodbyes.
    pub(crate) tracker: TaskTracker,
}

/// Which listener could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {addr} ({role}): {source}")]
pub struct BindError {
    /// `"TCP"` or `"HTTP"`.
    pub role: &'static str,
    /// The address asked for.
    pub addr: SocketAddr,
    /// Why, from the operating system.
    #[source]
    pub source: std::io::Error,
}

/// Both listeners, bound, with the conversation they serve.
pub struct App {
    tcp: TcpListener,
    http: TcpListener,
    context: Context,
}

impl App {
    /// Binds the TCP and HTTP listeners. Port 0 picks a free port; see [`App::tcp_addr`].
    ///
    /// # Errors
    /// [`BindError`] naming the listener and address that failed.
    pub async fn bind(config: Config) -> Result<Self, BindError> {
        let listen = |role, addr| async move {
            TcpListener::bind(addr)
                .await
                .map_err(|source| BindError { role, addr, source })
        };
        let tcp = listen("TCP", config.tcp).await?;
        let http = listen("HTTP", config.http).await?;
        let context = Context {
            hub: Hub::new(config.hub()),
            catalog: config.lang().catalog(),
            config: Arc::new(config),
            shutdown: CancellationToken::new(),
            tracker: TaskTracker::new(),
        };
        Ok(Self { tcp, http, context })
    }

    /// Where raw TCP clients connect.
    pub fn tcp_addr(&self) -> SocketAddr {
        self.tcp.local_addr().unwrap_or(self.context.config.tcp)
    }

    /// Where the web page is served.
    pub fn http_addr(&self) -> SocketAddr {
        self.http.local_addr().unwrap_or(self.context.config.http)
    }

    /// Serves until `shutdown` is cancelled, then tells every client the server is stopping
    /// and waits (a few seconds at most) for their connections to close.
    pub async fn run(self, shutdown: CancellationToken) {
        let Self { tcp, http, context } = self;
        let stop = context.shutdown.clone();
        let forward = async move {
            shutdown.cancelled().await;
            stop.cancel();
        };
        let tcp = tcp::serve(tcp, context.clone());
        let http = web::serve(http, context.clone());
        tokio::join!(forward, tcp, http);
        context.tracker.close();
        if tokio::time::timeout(FAREWELL_GRACE, context.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                sessions = context.tracker.len(),
                "sessions still open after the farewell grace period"
            );
        }
    }
}
