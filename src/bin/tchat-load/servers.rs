//! The benchmark suite: starts a fresh server for every scenario (tchat without and with its
//! database, and ngircd as the reference), runs the scenario, and prints one table.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use tokio_util::sync::CancellationToken;

use crate::client::{self, Client, Pace, Protocol};
use crate::{Report, Scenario, Target, attacks, proc, run};

#[derive(clap::Args)]
pub(crate) struct SuiteArgs {
    /// Small and short versions of every scenario: a smoke test, not a measurement.
    #[arg(long)]
    quick: bool,
    /// Only these scenarios (classroom, busy, rooms, assembly, idle, attacks).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// The tchat binary [default: the one beside tchat-load].
    #[arg(long)]
    tchat: Option<PathBuf>,
    /// The ngircd binary.
    #[arg(long, default_value = "ngircd")]
    ngircd: PathBuf,
    /// Skip the ngircd reference runs.
    #[arg(long)]
    no_ngircd: bool,
}

/// The teacher token the suite's tchat servers are started with, to open rooms.
pub(crate) const TEACHER_TOKEN: &str = "tchat-load-teacher";

/// A server under test.
pub(crate) struct Server {
    child: Child,
    pub(crate) tcp: String,
    pub(crate) http: Option<String>,
    pub(crate) protocol: Protocol,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the server at once, as a machine dying would (SIGKILL), and reaps it.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// A fresh tchat: tuned for throughput (no rate limits, arrivals told at once, one
    /// address may open thousands of connections), or with its own limits for the attacks.
    pub(crate) fn tchat(
        binary: &PathBuf,
        database: bool,
        throughput: bool,
    ) -> anyhow::Result<Self> {
        Self::tchat_with(binary, database, throughput, &[])
    }

    /// [`Server::tchat`], with `extra` arguments (a cluster node's).
    pub(crate) fn tchat_with(
        binary: &PathBuf,
        database: bool,
        throughput: bool,
        extra: &[String],
    ) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let db = if database {
            dir.path().join("bench.db").display().to_string()
        } else {
            ":memory:".to_owned()
        };
        let limits: &[&str] = if throughput {
            // Arrivals are told at once: senders wait for the room to settle. Every line is a
            // message at once: the senders are scripts writing lines back to back, which
            // tchat otherwise gathers as a paste once they pause (`--paste-ms`).
            &[
                "--max-rate",
                "0",
                "--max-per-address",
                "20000",
                "--announce-after",
                "0",
                "--paste-ms",
                "0",
            ]
        } else {
            // The defaults, but for one address opening hundreds of connections at once.
            &["--max-per-address", "1000"]
        };
        let mut child = Command::new(binary)
            .args(["--tcp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--db", &db])
            .args(limits)
            .args(["--teacher-token", TEACHER_TOKEN])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let stdout = child.stdout.take().context("tchat's stdout")?;
        let (mut tcp, mut http) = (None, None);
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            if let Some(url) = line.split("http://").nth(1) {
                http = Some(url.trim().trim_end_matches('/').to_owned());
            }
            if let Some(nc) = line.split("nc ").nth(1) {
                tcp = Some(nc.trim().replace(' ', ":"));
            }
            if tcp.is_some() && http.is_some() {
                break;
            }
        }
        let (Some(tcp), Some(http)) = (tcp, http) else {
            bail!("tchat did not print its addresses");
        };
        Ok(Self {
            child,
            tcp,
            http: Some(http),
            protocol: Protocol::Line,
            _dir: Some(dir),
        })
    }

    fn ngircd(binary: &PathBuf) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let config = dir.path().join("ngircd.conf");
        std::fs::write(
            &config,
            format!(
                "[Global]\nName = bench.local\nInfo = reference\nListen = 127.0.0.1\n\
                 Ports = {port}\nMotdPhrase = bench\n\
                 [Limits]\nMaxConnections = 0\nMaxConnectionsIP = 0\nMaxJoins = 0\n\
                 MaxNickLength = 16\nMaxPenaltyTime = 0\nPingTimeout = 600\nPongTimeout = 600\n\
                 [Options]\nPAM = no\nDNS = no\nIdent = no\nCloakUserToNick = yes\n"
            ),
        )?;
        let child = Command::new(binary)
            .args(["--nodaemon", "--config"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let tcp = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(&tcp).is_err() {
            if Instant::now() > deadline {
                bail!("ngircd did not start listening");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Self {
            child,
            tcp,
            http: None,
            protocol: Protocol::Irc,
            _dir: Some(dir),
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

pub(crate) fn scenarios(quick: bool) -> Vec<Scenario> {
    let scale = |full: usize, small: usize| if quick { small } else { full };
    let seconds = |full: u64| Duration::from_secs(if quick { 1 } else { full });
    vec![
        Scenario {
            name: "classroom",
            tcp_clients: scale(20, 3),
            ws_clients: scale(20, 3),
            senders: scale(40, 6),
            pace: Pace::Rate(1.0),
            duration: seconds(30),
            rooms: 0,
        },
        Scenario {
            name: "busy",
            tcp_clients: scale(100, 5),
            ws_clients: scale(100, 5),
            senders: scale(20, 3),
            pace: Pace::ClosedLoop,
            duration: seconds(15),
            rooms: 0,
        },
        // The busy room's 200 clients and 20 senders, in ten rooms of 20: no work per event
        // may grow with everyone connected.
        Scenario {
            name: "rooms",
            tcp_clients: scale(100, 5),
            ws_clients: scale(100, 5),
            senders: scale(20, 4),
            pace: Pace::ClosedLoop,
            duration: seconds(15),
            rooms: scale(10, 2),
        },
        Scenario {
            name: "assembly",
            tcp_clients: scale(1000, 20),
            ws_clients: scale(1000, 20),
            senders: 10,
            pace: Pace::Rate(10.0),
            duration: seconds(20),
            rooms: 0,
        },
    ]
}

/// The same scenario with TCP clients only, as ngircd speaks nothing else.
fn tcp_only(scenario: &Scenario) -> Scenario {
    Scenario {
        tcp_clients: scenario.tcp_clients + scenario.ws_clients,
        ws_clients: 0,
        ..scenario.clone()
    }
}

pub(crate) async fn suite(args: SuiteArgs) -> anyhow::Result<()> {
    let tchat = match args.tchat {
        Some(path) => path,
        None => std::env::current_exe()?.with_file_name("tchat"),
    };
    let wanted = |name: &str| args.only.is_empty() || args.only.iter().any(|only| only == name);
    let with_ngircd = !args.no_ngircd;
    let mut rows: Vec<(String, String, Report)> = Vec::new();
    let mut failures = 0;
    for scenario in scenarios(args.quick).iter().filter(|s| wanted(s.name)) {
        let tcp = tcp_only(scenario);
        let mut runs = vec![
            ("tchat", scenario.clone(), false),
            ("tchat", tcp.clone(), false),
        ];
        if scenario.name == "busy" {
            runs.push(("tchat+sqlite", scenario.clone(), true));
        }
        // ngircd's channels would need another client; rooms are compared with tchat's busy room.
        if with_ngircd && scenario.rooms == 0 {
            runs.push(("ngircd", tcp, false));
        }
        for (name, run_scenario, database) in runs {
            let server = if name == "ngircd" {
                Server::ngircd(&args.ngircd)?
            } else {
                Server::tchat(&tchat, database, true)?
            };
            let label = if run_scenario.ws_clients == 0 {
                format!("{} (tcp)", scenario.name)
            } else {
                format!("{} (tcp+ws)", scenario.name)
            };
            eprintln!("running {label} against {name}…");
            let target = Target::one(&server.tcp, server.http.as_deref(), Some(server.pid()));
            let report = run(&run_scenario, server.protocol, &target, Some(TEACHER_TOKEN)).await?;
            if report.failed > 0 || report.lost() > 0 || report.strays > 0 {
                failures += 1;
            }
            rows.push((label, name.to_owned(), report));
        }
    }
    if wanted("idle") {
        let count = if args.quick { 100 } else { 5000 };
        let mut servers = vec![("tchat", Server::tchat(&tchat, false, true)?)];
        if with_ngircd {
            servers.push(("ngircd", Server::ngircd(&args.ngircd)?));
        }
        for (name, server) in servers {
            eprintln!("running idle against {name}…");
            let tcp = idle(&server, server.protocol, count).await?;
            rows.push((format!("idle {count} tcp"), name.to_owned(), tcp));
            if server.http.is_some() {
                let ws = idle(&server, Protocol::WebSocket, count).await?;
                rows.push((format!("idle +{count} ws"), name.to_owned(), ws));
            }
        }
    }
    print_table(&rows);
    if wanted("attacks") {
        let (pings, heads, cycles) = if args.quick {
            (1_000, 10, 100)
        } else {
            (400_000, 500, 10_000)
        };
        let fresh = || Server::tchat(&tchat, false, false);
        let server = fresh()?;
        let http = server.http.clone().unwrap_or_default();
        let outcome = attacks::ping(&http, &server.tcp, server.pid(), pings).await?;
        println!("{}", outcome.describe("ping flood, never reading"));
        let server = fresh()?;
        let http = server.http.clone().unwrap_or_default();
        let outcome = attacks::headers(&http, &server.tcp, server.pid(), heads).await?;
        println!("{}", outcome.describe("half-sent 300 KB request heads"));
        let server = fresh()?;
        let outcome = attacks::churn(&server.tcp, server.pid(), cycles).await?;
        println!(
            "{}",
            outcome.describe("connect/close churn from one address")
        );
    }
    if failures > 0 {
        bail!("{failures} runs lost messages or clients");
    }
    Ok(())
}

/// Connects `count` clients that stay silent and measures how much the server's memory grew.
async fn idle(server: &Server, protocol: Protocol, count: usize) -> anyhow::Result<Report> {
    let pid = server.pid();
    let before = proc::rss_bytes(pid).unwrap_or(0);
    let shared = std::sync::Arc::new(client::Shared {
        epoch: Instant::now(),
        delivered: Default::default(),
        sent: Default::default(),
        in_flight: Vec::new(),
        room_of: Vec::new(),
        receivers: Vec::new(),
        expected: Default::default(),
        strays: Default::default(),
        go: CancellationToken::new(),
        reads: Default::default(),
        stop_sending: CancellationToken::new(),
        stop: CancellationToken::new(),
    });
    let addr = match protocol {
        Protocol::WebSocket => server.http.clone().unwrap_or_default(),
        _ => server.tcp.clone(),
    };
    let mut holders = Vec::with_capacity(count);
    let started = Instant::now();
    let mut report = Report::default();
    // Ids far from the first run's, so nicknames never collide.
    let base = if protocol == Protocol::WebSocket {
        500_000
    } else {
        0
    };
    let batch = if protocol == Protocol::Irc { 8 } else { 200 };
    for chunk in (0..count).collect::<Vec<_>>().chunks(batch) {
        let connecting: Vec<_> = chunk
            .iter()
            .map(|&id| {
                let addr = addr.clone();
                tokio::spawn(async move { Client::connect(base + id, protocol, &addr, None).await })
            })
            .collect();
        for task in connecting {
            match task.await? {
                Ok(client) => {
                    report.connected += 1;
                    holders.push(tokio::spawn(client.run(Pace::Silent, shared.clone())));
                }
                Err(error) => {
                    report.failed += 1;
                    eprintln!("idle client could not connect: {error:#}");
                }
            }
        }
    }
    report.connect_max_ms = started.elapsed().as_secs_f64() * 1000.0;
    // Let the server settle (the arrivals it announced to everyone are delivered).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = proc::rss_bytes(pid).unwrap_or(0);
    report.rss_bytes = Some(after.saturating_sub(before) / count.max(1) as u64);
    shared.stop.cancel();
    for holder in holders {
        let _ = holder.await;
    }
    Ok(report)
}

pub(crate) fn describe(report: &Report) -> String {
    format!(
        "clients {} (failed {}), sent {}, deliveries {}/{} (lost {}, outside their room {}), \
         {:.0} msg/s, {:.0} deliveries/s, latency p50 {:.2} ms p99 {:.2} ms max {:.2} ms, \
         server CPU {}, RSS {}",
        report.connected,
        report.failed,
        report.sent,
        report.delivered,
        report.expected,
        report.lost(),
        report.strays,
        report.sent as f64 / report.seconds.max(1e-9),
        report.delivered as f64 / report.seconds.max(1e-9),
        report.p50_ms,
        report.p99_ms,
        report.max_ms,
        report.cpu_seconds.map_or("-".to_owned(), |cpu| {
            let kernel = report.kernel_share.unwrap_or_default() * 100.0;
            format!("{cpu:.2} s ({kernel:.0} % in the kernel)")
        }),
        report
            .rss_bytes
            .map_or("-".to_owned(), |rss| format!("{} KiB", rss / 1024)),
    )
}

fn print_table(rows: &[(String, String, Report)]) {
    println!(
        "| scenario | server | clients | connect p50/max ms | msg/s | deliveries/s | lost | p50 ms | p99 ms | max ms | server CPU s | in kernel | deliveries per CPU s | vs ngircd | RSS/conn |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (label, server, report) in rows {
        let per_cpu = report.deliveries_per_cpu_second();
        let reference = rows
            .iter()
            .find(|(other, name, _)| name == "ngircd" && other == label)
            .and_then(|(_, _, reference)| reference.deliveries_per_cpu_second());
        let ratio = per_cpu
            .zip(reference)
            .filter(|_| server != "ngircd")
            .map_or("".to_owned(), |(ours, theirs)| {
                format!("{:.2}×", ours / theirs)
            });
        let idle = label.starts_with("idle");
        let number = |value: f64, digits: usize| {
            if idle {
                "".to_owned()
            } else {
                format!("{value:.digits$}")
            }
        };
        let connect = if idle {
            format!("total {:.0}", report.connect_max_ms)
        } else {
            format!(
                "{:.1} / {:.1}",
                report.connect_p50_ms, report.connect_max_ms
            )
        };
        println!(
            "| {label} | {server} | {} | {connect} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {ratio} | {} |",
            report.connected,
            number(report.sent as f64 / report.seconds.max(1e-9), 0),
            number(report.delivered as f64 / report.seconds.max(1e-9), 0),
            if idle {
                String::new()
            } else {
                report.lost().to_string()
            },
            number(report.p50_ms, 2),
            number(report.p99_ms, 2),
            number(report.max_ms, 1),
            report
                .cpu_seconds
                .map_or(String::new(), |cpu| format!("{cpu:.2}")),
            report
                .kernel_share
                .map_or(String::new(), |share| format!("{:.0} %", share * 100.0)),
            per_cpu.map_or(String::new(), |value| format!("{value:.0}")),
            if idle {
                report.rss_bytes.map_or(String::new(), |rss| {
                    format!("{:.1} KiB", rss as f64 / 1024.0)
                })
            } else {
                String::new()
            },
        );
    }
}
