//! The running server: binds both listeners, then serves until told to stop, then waits for
//! every session to say goodbye.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::chat::Hub;
use crate::config::Config;
use crate::console::{self, Logs};
use crate::entrances::Entrances;
use crate::metrics::Metrics;
use crate::secret::NoRandomness;
use crate::session::{Context, Door};
use crate::store::{History, Store, StoreError};
use crate::{tcp, web};

/// File descriptors kept free beyond `--max-connections`: the database, its WAL, the log,
/// and a connection accepted only to be told the room is full. With them, running out of
/// descriptors never stands in for the door's own, explained refusal.
const FD_RESERVE: u64 = 64;

/// How long sessions get to tell their clients goodbye once the server stops.
const FAREWELL_GRACE: Duration = Duration::from_secs(3);
/// How long the storage thread gets to save the last events (the departures) on the way out.
const STORE_GRACE: Duration = Duration::from_secs(2);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A listener could not be opened.
    #[error(transparent)]
    Listen(#[from] BindError),
    /// The history database could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The storage thread could not be started.
    #[error("cannot start the storage thread: {0}")]
    Thread(#[source] std::io::Error),
    /// The cluster could not be joined.
    #[error(transparent)]
    Cluster(#[from] crate::cluster::ClusterError),
    /// A cluster node keeps the conversation on disk.
    #[error(
        "--cluster needs a history database: with --db :memory: a node keeps nothing of the cluster's conversation"
    )]
    ClusterInMemory,
    /// No secret can be made without randomness.
    #[error("cannot make secret tokens: {0}")]
    Randomness(#[from] NoRandomness),
}

/// Which listener could not be opened. Its message names the address; the operating
/// system's reason is its source.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {addr} ({role})")]
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
    /// The thread saving events, when there is a database.
    writer: Option<JoinHandle<()>>,
    /// In a cluster, the node's tasks on the log.
    cluster: Option<crate::cluster::Running>,
    /// Where the log goes, when the terminal is to be the console (see [`App::with_console`]).
    console: Option<Logs>,
}

impl App {
    /// Opens the history database (unless it is `:memory:`) and restores the conversation
    /// from it (its recent events, the room as the teacher left it), then binds the TCP and HTTP listeners. Port 0 picks a free port;
    /// see [`App::tcp_addr`].
    ///
    /// # Errors
    /// [`StartError`] naming the database or the listener that failed.
    pub async fn bind(mut config: Config) -> Result<Self, StartError> {
        // A teacher token always exists: the one the teacher chose, else the one kept with the
        // history, else a random one (kept with the history from now on).
        let fresh_token = crate::secret::token()?;
        let fresh_epoch = crate::secret::token()?;
        let descriptors =
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(u64::MAX, |(soft, _)| soft);
        let fit = usize::try_from(descriptors.saturating_sub(FD_RESERVE)).unwrap_or(usize::MAX);
        if config.max_connections > fit {
            tracing::warn!(
                max_connections = config.max_connections,
                descriptors,
                "fewer file descriptors than --max-connections: capping connections at {fit}"
            );
            config.max_connections = fit;
        }
        // The listeners first: a port already in use must not leave a new database behind.
        let listen = |role, addr| async move {
            TcpListener::bind(addr)
                .await
                .map_err(|source| BindError { role, addr, source })
        };
        let tcp = listen("TCP", config.tcp).await?;
        let http = listen("HTTP", config.http).await?;
        let (hub, writer, cluster) = match (config.db_path(), config.cluster()) {
            (None, Some(_)) => return Err(StartError::ClusterInMemory),
            (None, None) => {
                config.teacher_token.get_or_insert(fresh_token);
                (Hub::new(config.hub(), fresh_epoch), None, None)
            }
            (Some(path), None) => {
                let mut store = Store::open(path)?;
                if config.teacher_token.is_none() {
                    config.teacher_token = Some(store.teacher_token(&fresh_token)?);
                }
                let past = store.past(config.hub().recent)?;
                let epoch = store.epoch(&fresh_epoch)?;
                let (hub, journal) = Hub::durable(config.hub(), past, epoch);
                let writer = store.spawn_writer(journal).map_err(StartError::Thread)?;
                (hub, Some(writer), None)
            }
            (Some(path), Some(settings)) => {
                // The cluster first: one that cannot be reached must not leave a new
                // database behind.
                let bus = crate::cluster::Bus::connect(&settings).await?;
                let mut store = Store::open(path)?;
                if config.teacher_token.is_none() {
                    config.teacher_token = Some(store.teacher_token(&fresh_token)?);
                }
                let (hub, writer, running) = join_cluster(&config, &settings, bus, store).await?;
                (hub, Some(writer), Some(running))
            }
        };
        let entrances = Entrances::new(
            http.local_addr().unwrap_or(config.http),
            tcp.local_addr().unwrap_or(config.tcp),
        );
        let context = Context {
            entrances: Arc::new(entrances),
            metrics: Arc::new(Metrics::default()),
            hub,
            catalog: config.lang().catalog(),
            history: History::new(config.db_path().map(ToOwned::to_owned)),
            door: Door::new(&config),
            config: Arc::new(config),
            shutdown: CancellationToken::new(),
            tracker: TaskTracker::new(),
            names: cluster.as_ref().map(crate::cluster::Running::names),
        };
        Ok(Self {
            tcp,
            http,
            context,
            writer,
            cluster,
            console: None,
        })
    }

    /// Makes the terminal tchat runs in its console once it runs: what the teacher types
    /// there is said under `--console-nick`, as a teacher, and the terminal shows the
    /// conversation and the log (which `logs` carries while the console is open). Ctrl-C
    /// at the console cancels the `shutdown` given to [`App::run`], as the signal would.
    /// Only for a terminal: the caller checks that standard input and output are one.
    pub fn with_console(mut self, logs: Logs) -> Self {
        self.console = Some(logs);
        self
    }

    /// Where raw TCP clients connect.
    pub fn tcp_addr(&self) -> SocketAddr {
        self.tcp.local_addr().unwrap_or(self.context.config.tcp)
    }

    /// The addresses students use.
    pub fn entrances(&self) -> &Entrances {
        &self.context.entrances
    }

    /// The teacher's secret.
    pub fn teacher_token(&self) -> &str {
        self.context
            .config
            .teacher_token
            .as_deref()
            .unwrap_or_default()
    }

    /// In a cluster, this node's name and the NATS servers it joined through.
    pub fn cluster(&self) -> Option<crate::cluster::Settings> {
        self.context.config.cluster()
    }

    /// Where the web page is served.
    pub fn http_addr(&self) -> SocketAddr {
        self.http.local_addr().unwrap_or(self.context.config.http)
    }

    /// Serves until `shutdown` is cancelled, then tells every client the server is stopping
    /// and waits (a few seconds at most) for their connections to close.
    pub async fn run(self, shutdown: CancellationToken) {
        let Self {
            tcp,
            http,
            context,
            writer,
            cluster,
            console,
        } = self;
        // Before anyone else can arrive: the console's nickname is the teacher's.
        if let Some(logs) = console {
            console::open(context.clone(), logs, shutdown.clone()).await;
        }
        let (for_tcp, for_http) = (context.clone(), context.clone());
        // Boxed so it can be dropped, with the hub handles it holds, before the end.
        let mut listeners =
            Box::pin(
                async move { tokio::join!(tcp::serve(tcp, for_tcp), web::serve(http, for_http)) },
            );
        tokio::select! {
            _ = &mut listeners => {}
            () = shutdown.cancelled() => {}
        }
        context.shutdown.cancel();
        let deadline = tokio::time::Instant::now() + FAREWELL_GRACE;
        // HTTP's graceful shutdown waits for requests in progress; one that never finishes
        // arriving (a student typing into port 8080 with nc) must not keep the server up.
        let _ = tokio::time::timeout_at(deadline, &mut listeners).await;
        context.tracker.close();
        if tokio::time::timeout_at(deadline, context.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                sessions = context.tracker.len(),
                "sessions still open after the farewell grace period"
            );
        }
        // The storage thread ends once the last handle on the hub is gone, after saving
        // what is left.
        drop(listeners);
        drop(context);
        if let Some(cluster) = cluster {
            cluster.finish(STORE_GRACE).await;
        }
        if let Some(writer) = writer {
            let saved = tokio::task::spawn_blocking(move || writer.join());
            if tokio::time::timeout(STORE_GRACE, saved).await.is_err() {
                tracing::warn!("the last events may not have been saved");
            }
        }
    }
}

/// Joins the cluster: checks the database against its log, then reads the log until this
/// node has everything the others had when it connected, before anyone is let in.
async fn join_cluster(
    config: &Config,
    settings: &crate::cluster::Settings,
    bus: crate::cluster::Bus,
    mut store: Store,
) -> Result<(Hub, JoinHandle<()>, crate::cluster::Running), StartError> {
    let start = bus.begin(&mut store).await?;
    let past = store.past(config.hub().recent)?;
    let (progress_tx, progress) = tokio::sync::watch::channel(0);
    let (hub, journal, sink, drafts) = Hub::clustered(
        config.hub(),
        past,
        bus.epoch().to_owned(),
        bus.home(),
        progress_tx,
    );
    let writer = store.spawn_writer(journal).map_err(StartError::Thread)?;
    tracing::info!(node = %settings.node, "reading the cluster's conversation");
    let mut running = bus.run(&hub, sink, drafts, start, progress);
    running.catch_up().await?;
    if start.imported {
        hub.share_kept_facts();
    }
    Ok((hub, writer, running))
}
