//! `tchat-load`: a load generator for chat servers, and the benchmark suite that compares tchat
//! with ngircd on the same machine at the same moment.
//!
//! `tchat-load run` drives one scenario against a server that is already running (tchat's TCP
//! and WebSocket protocols, or IRC), or against several nodes of a tchat cluster, the clients
//! spread over them. `tchat-load suite` starts each server itself, fresh for every scenario,
//! and prints one table; `tchat-load cluster` does the same for three nodes sharing one
//! conversation through NATS, beside one node alone, and adds what failures cost. See
//! BENCHMARKS.md.

mod attacks;
mod client;
mod cluster;
mod failover;
mod http;
mod nats;
mod proc;
mod servers;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};
use hdrhistogram::Histogram;
use tokio_util::sync::CancellationToken;

use client::{Client, Flight, Pace, Protocol, Shared};

#[derive(Parser)]
#[command(
    name = "tchat-load",
    about = "Load generator and benchmark suite for tchat"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// One scenario against a running server.
    Run(RunArgs),
    /// Every scenario against fresh tchat (memory and SQLite) and ngircd servers.
    Suite(servers::SuiteArgs),
    /// Three tchat nodes over a three-server NATS cluster beside one node alone, then a
    /// NATS leader and a node killed.
    Cluster(cluster::ClusterArgs),
}

#[derive(clap::Args, Clone)]
struct RunArgs {
    /// The server's protocol for TCP clients.
    #[arg(long, value_enum, default_value = "tchat")]
    server: Flavor,
    /// The TCP address (tchat's line protocol, or IRC); for a cluster, every node's,
    /// comma-separated: client `id` connects to the `id % n`th.
    #[arg(long, value_delimiter = ',', required = true)]
    tcp: Vec<String>,
    /// tchat's HTTP address, for WebSocket clients; for a cluster, one per TCP address, in
    /// the same order [default: the TCP addresses].
    #[arg(long, value_delimiter = ',')]
    http: Vec<String>,
    /// Raw TCP clients.
    #[arg(long, default_value_t = 10)]
    tcp_clients: usize,
    /// WebSocket clients.
    #[arg(long, default_value_t = 0)]
    ws_clients: usize,
    /// How many of the clients send.
    #[arg(long, default_value_t = 2)]
    senders: usize,
    /// Messages per second per sender; 0 sends the next one once everyone has the last one.
    #[arg(long, default_value_t = 1.0)]
    rate: f64,
    /// Seconds of sending.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// The server's process id, for its CPU time and memory; for a cluster, every node's,
    /// comma-separated (their CPU times and memories are added up).
    #[arg(long, value_delimiter = ',')]
    pid: Vec<u32>,
    /// Spread the clients over this many rooms (`load-1`…), opened first as a teacher:
    /// messages are owed to the sender's room only. 0 keeps everyone in `main`.
    #[arg(
        long,
        default_value_t = 0,
        requires = "teacher_token",
        requires = "http"
    )]
    rooms: usize,
    /// The server's teacher token, to open the rooms.
    #[arg(long, env = "TCHAT_TEACHER_TOKEN")]
    teacher_token: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Flavor {
    Tchat,
    Irc,
}

/// One scenario: who connects, who sends, how fast, how long.
#[derive(Clone, Debug)]
pub(crate) struct Scenario {
    pub(crate) name: &'static str,
    pub(crate) tcp_clients: usize,
    pub(crate) ws_clients: usize,
    pub(crate) senders: usize,
    pub(crate) pace: Pace,
    pub(crate) duration: Duration,
    /// Rooms the clients are spread over (0: all in `main`).
    pub(crate) rooms: usize,
}

/// Where a run's clients connect, and whose CPU time it counts: one server, or the nodes of
/// a cluster sharing one conversation.
#[derive(Clone, Debug, Default)]
pub(crate) struct Target {
    /// TCP addresses: client `id` connects to the `id % len`th.
    pub(crate) tcp: Vec<String>,
    /// HTTP addresses for WebSocket clients, in the same order; empty: the TCP ones.
    pub(crate) http: Vec<String>,
    /// The server's processes (a cluster's nodes): their CPU times and memories are added.
    pub(crate) pids: Vec<u32>,
    /// Processes the server relies on (a cluster's NATS servers): their CPU time is counted
    /// apart, so that a report can say what the server costs with and without them.
    pub(crate) support_pids: Vec<u32>,
}

impl Target {
    /// One server.
    pub(crate) fn one(tcp: &str, http: Option<&str>, pid: Option<u32>) -> Self {
        Self {
            tcp: vec![tcp.to_owned()],
            http: http.map(str::to_owned).into_iter().collect(),
            pids: pid.into_iter().collect(),
            support_pids: Vec::new(),
        }
    }

    /// The TCP and HTTP addresses client `id` connects to.
    fn addresses_of(&self, id: usize) -> (&str, &str) {
        let node = id % self.tcp.len().max(1);
        let tcp = self.tcp.get(node).map_or("", String::as_str);
        let http = self.http.get(node).map_or(tcp, String::as_str);
        (tcp, http)
    }
}

/// What one scenario measured against one server.
#[derive(Clone, Debug, Default)]
pub(crate) struct Report {
    pub(crate) connected: usize,
    pub(crate) failed: usize,
    pub(crate) connect_p50_ms: f64,
    pub(crate) connect_max_ms: f64,
    pub(crate) sent: u64,
    pub(crate) expected: u64,
    pub(crate) delivered: u64,
    pub(crate) seconds: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) max_ms: f64,
    pub(crate) cpu_seconds: Option<f64>,
    /// CPU time of the processes the server relies on (a cluster's NATS servers).
    pub(crate) support_cpu_seconds: Option<f64>,
    /// The part of the server's CPU time spent in the kernel (system calls, the TCP stack).
    pub(crate) kernel_share: Option<f64>,
    pub(crate) rss_bytes: Option<u64>,
    /// Messages that reached someone outside their sender's room.
    pub(crate) strays: u64,
}

impl Report {
    pub(crate) fn lost(&self) -> u64 {
        self.expected.saturating_sub(self.delivered)
    }

    pub(crate) fn deliveries_per_cpu_second(&self) -> Option<f64> {
        self.cpu_seconds
            .filter(|cpu| *cpu > 0.0)
            .map(|cpu| self.delivered as f64 / cpu)
    }

    /// Deliveries per CPU second of the server and the processes it relies on together.
    pub(crate) fn deliveries_per_cpu_second_with_support(&self) -> Option<f64> {
        let cpu = self.cpu_seconds? + self.support_cpu_seconds?;
        (cpu > 0.0).then(|| self.delivered as f64 / cpu)
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Ten thousand connections need as many file descriptors.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match cli.command {
            Command::Run(args) => {
                let scenario = Scenario {
                    name: "run",
                    tcp_clients: args.tcp_clients,
                    ws_clients: args.ws_clients,
                    senders: args.senders,
                    pace: if args.rate > 0.0 {
                        Pace::Rate(args.rate)
                    } else {
                        Pace::ClosedLoop
                    },
                    duration: Duration::from_secs_f64(args.duration),
                    rooms: args.rooms,
                };
                let tcp_protocol = match args.server {
                    Flavor::Tchat => Protocol::Line,
                    Flavor::Irc => Protocol::Irc,
                };
                if !args.http.is_empty() && args.http.len() != args.tcp.len() {
                    bail!("give as many --http addresses as --tcp addresses, or none");
                }
                let target = Target {
                    tcp: args.tcp,
                    http: args.http,
                    pids: args.pid,
                    support_pids: Vec::new(),
                };
                let report = run(
                    &scenario,
                    tcp_protocol,
                    &target,
                    args.teacher_token.as_deref(),
                )
                .await?;
                println!("{}", servers::describe(&report));
                if report.failed > 0 || report.lost() > 0 || report.strays > 0 {
                    bail!(
                        "{} clients failed, {} deliveries lost, {} delivered outside their room",
                        report.failed,
                        report.lost(),
                        report.strays
                    );
                }
                Ok(())
            }
            Command::Suite(args) => servers::suite(args).await,
            Command::Cluster(args) => cluster::bench(args).await,
        }
    })
}

/// Waits until the clients have read everything the server announced as they arrived (in a
/// room of N, N² arrival lines): nothing read for a while, or half a minute at most.
async fn settle(shared: &Shared) {
    let give_up = Instant::now() + Duration::from_secs(30);
    let mut last = shared.reads.load(Ordering::Relaxed);
    while Instant::now() < give_up {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = shared.reads.load(Ordering::Relaxed);
        if now == last {
            return;
        }
        last = now;
    }
}

/// Runs one scenario against a running server, or the nodes of a cluster.
pub(crate) async fn run(
    scenario: &Scenario,
    tcp_protocol: Protocol,
    target: &Target,
    teacher_token: Option<&str>,
) -> anyhow::Result<Report> {
    if target.tcp.is_empty() {
        bail!("no server address to connect to");
    }
    let total = scenario.tcp_clients + scenario.ws_clients;
    let rooms: Vec<String> = (1..=scenario.rooms).map(|n| format!("load-{n}")).collect();
    if !rooms.is_empty() {
        let token = teacher_token.context("rooms are opened with the teacher token")?;
        // A cluster's rooms are shared: opening them on one node opens them on every node.
        let (_, http) = target.addresses_of(0);
        client::open_rooms(http, token, &rooms).await?;
    }
    // Client `id` is in room `id % rooms`, so that senders (the first clients) and both
    // transports are spread evenly over the rooms.
    let room_of: Vec<usize> = (0..total).map(|id| id % rooms.len().max(1)).collect();
    let mut plan = Vec::with_capacity(total);
    // Alternate transports so that senders and receivers are spread over both.
    let (mut tcp_left, mut ws_left) = (scenario.tcp_clients, scenario.ws_clients);
    for id in 0..total {
        let ws = ws_left > 0 && (tcp_left == 0 || id % 2 == 1);
        if ws {
            ws_left -= 1;
            plan.push((id, Protocol::WebSocket));
        } else {
            tcp_left -= 1;
            plan.push((id, tcp_protocol));
        }
    }
    let clients = connect_all(&plan, target, &rooms).await;
    let (clients, failures): (Vec<_>, Vec<_>) = clients.into_iter().partition(Result::is_ok);
    let clients: Vec<Client> = clients.into_iter().filter_map(Result::ok).collect();
    let mut connect_times: Vec<Duration> = Vec::new();

    let senders = scenario.senders.min(clients.len());
    let mut receivers = vec![0u64; rooms.len().max(1)];
    for client in &clients {
        receivers[room_of[client.id()]] += 1;
    }
    let receivers = receivers.iter().map(|n| n.saturating_sub(1)).collect();
    let shared = Arc::new(Shared {
        epoch: Instant::now(),
        delivered: AtomicU64::new(0),
        sent: AtomicU64::new(0),
        // Indexed by client id, which may differ from the sender's position when a client
        // failed to connect.
        in_flight: match scenario.pace {
            Pace::ClosedLoop => (0..total).map(|_| Flight::new()).collect(),
            _ => Vec::new(),
        },
        room_of,
        receivers,
        expected: AtomicU64::new(0),
        strays: AtomicU64::new(0),
        go: CancellationToken::new(),
        reads: AtomicU64::new(0),
        stop_sending: CancellationToken::new(),
        stop: CancellationToken::new(),
    });
    let mut tasks = Vec::with_capacity(clients.len());
    for (index, client) in clients.into_iter().enumerate() {
        let pace = if index < senders {
            scenario.pace
        } else {
            Pace::Silent
        };
        tasks.push(tokio::spawn(client.run(pace, shared.clone())));
    }
    settle(&shared).await;
    let cpu_before = proc::cpu_of_all(&target.pids);
    let support_before = proc::cpu_of_all(&target.support_pids);
    let started = Instant::now();
    shared.go.cancel();
    tokio::time::sleep(scenario.duration).await;
    shared.stop_sending.cancel();
    let sending_time = started.elapsed();
    // A send under way when sending stopped is counted once it is written.
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Drain: wait until every delivery has arrived, or nothing more arrives for two seconds.
    let expected = shared.expected.load(Ordering::Relaxed);
    let mut last = (shared.delivered.load(Ordering::Relaxed), Instant::now());
    while shared.delivered.load(Ordering::Relaxed) < expected {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = shared.delivered.load(Ordering::Relaxed);
        if now != last.0 {
            last = (now, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(2) {
            break;
        }
    }
    let cpu = cpu_before
        .zip(proc::cpu_of_all(&target.pids))
        .map(|(before, after)| before.until(after));
    let support_cpu = support_before
        .zip(proc::cpu_of_all(&target.support_pids))
        .map(|(before, after)| before.until(after));
    let rss = proc::rss_of_all(&target.pids);
    shared.stop.cancel();

    let mut latencies = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut report = Report {
        failed: failures.len(),
        sent: shared.sent.load(Ordering::Relaxed),
        expected,
        seconds: sending_time.as_secs_f64(),
        cpu_seconds: cpu.map(proc::Cpu::total),
        support_cpu_seconds: support_cpu.map(proc::Cpu::total),
        kernel_share: cpu
            .filter(|cpu| cpu.total() > 0.0)
            .map(|cpu| cpu.system / cpu.total()),
        rss_bytes: rss,
        strays: shared.strays.load(Ordering::Relaxed),
        ..Report::default()
    };
    for task in tasks {
        let outcome = task.await?;
        latencies.add(&outcome.latencies)?;
        report.delivered += outcome.delivered;
        connect_times.push(outcome.connect);
        if let Some(error) = outcome.failed {
            report.failed += 1;
            eprintln!("client failed: {error}");
        } else {
            report.connected += 1;
        }
    }
    for failure in failures.into_iter().filter_map(Result::err).take(3) {
        eprintln!("client could not connect: {failure:#}");
    }
    connect_times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    report.connect_p50_ms = connect_times
        .get(connect_times.len() / 2)
        .map_or(0.0, |d| ms(*d));
    report.connect_max_ms = connect_times.last().map_or(0.0, |d| ms(*d));
    report.p50_ms = latencies.value_at_quantile(0.5) as f64 / 1000.0;
    report.p99_ms = latencies.value_at_quantile(0.99) as f64 / 1000.0;
    report.max_ms = latencies.max() as f64 / 1000.0;
    Ok(report)
}

/// Connects every planned client, a few hundred at a time so the listen queue never overflows.
async fn connect_all(
    plan: &[(usize, Protocol)],
    target: &Target,
    rooms: &[String],
) -> Vec<anyhow::Result<Client>> {
    let mut clients = Vec::with_capacity(plan.len());
    // ngircd listens with a backlog of 10 (fixed in its code): more connections at once
    // overflow it and wait for TCP retransmissions. tchat takes a few hundred at a time.
    let batch = if plan.iter().any(|(_, protocol)| *protocol == Protocol::Irc) {
        8
    } else {
        200
    };
    for chunk in plan.chunks(batch) {
        let connecting: Vec<_> = chunk
            .iter()
            .map(|&(id, protocol)| {
                let (tcp, http) = target.addresses_of(id);
                let addr = if protocol == Protocol::WebSocket {
                    http.to_owned()
                } else {
                    tcp.to_owned()
                };
                let room = (!rooms.is_empty()).then(|| rooms[id % rooms.len()].clone());
                tokio::spawn(
                    async move { Client::connect(id, protocol, &addr, room.as_deref()).await },
                )
            })
            .collect();
        for task in connecting {
            clients.push(task.await.unwrap_or_else(|error| Err(error.into())));
        }
    }
    clients
}
