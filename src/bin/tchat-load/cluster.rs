//! `tchat-load cluster`: three tchat nodes sharing one conversation through a three-server
//! NATS JetStream cluster, beside one node alone, all on this machine. The suite's classroom
//! and busy room against both (the cluster's clients spread over its nodes), then the
//! stream's NATS leader killed while a client talks, then a node killed under a page; after
//! each, the nodes' transcripts compared. One table.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::Value;

use crate::client::{self, Pace, Protocol};
use crate::failover::{self, Comeback, WritePause};
use crate::nats::NatsCluster;
use crate::servers::{self, Server, TEACHER_TOKEN};
use crate::{Report, Scenario, Target, run};

#[derive(clap::Args)]
pub(crate) struct ClusterArgs {
    /// Small and short versions of the scenarios: a smoke test, not a measurement.
    #[arg(long)]
    quick: bool,
    /// The tchat binary [default: the one beside tchat-load].
    #[arg(long)]
    tchat: Option<PathBuf>,
    /// The NATS server (2.9 or later, for JetStream).
    #[arg(long, default_value = "/usr/sbin/nats-server")]
    nats: PathBuf,
    /// Only these measurements (classroom, busy, pause, comeback).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
}

/// The suite's scenarios run against the cluster: a class at a human pace, and a busy room.
const SCENARIOS: [&str; 2] = ["classroom", "busy"];
/// How long a resumed page is watched after a node's death: past the dead node's heartbeat
/// (10 s, looked at every second), when the survivors publish the departures of the
/// members it left behind.
const AFTER_THE_HEARTBEAT: Duration = Duration::from_secs(15);
/// How long the nodes' transcripts may take to agree once a measurement ends.
const CATCH_UP: Duration = Duration::from_secs(20);

/// Three tchat nodes over three NATS servers, all fresh, killed when dropped (the nodes
/// first, so that none is told the cluster went away).
struct Cluster {
    /// `n1` to `n3`.
    nodes: Vec<Server>,
    nats: NatsCluster,
}

impl Cluster {
    /// Starts the NATS servers, then the nodes one by one (the first makes the stream), and
    /// waits until the stream has a leader.
    async fn start(tchat: &PathBuf, nats: &Path) -> anyhow::Result<Self> {
        let nats = NatsCluster::start(nats)?;
        let mut nodes = Vec::new();
        for n in 1..=3 {
            let node = format!("n{n}");
            // English, for the refusals the write pause counts.
            let args = [
                "--cluster",
                &nats.urls(),
                "--cluster-replicas",
                "3",
                "--node",
                &node,
                "--lang",
                "en",
            ]
            .map(str::to_owned);
            let started = Server::tchat_with(tchat, true, true, &args)
                .with_context(|| format!("starting node {node}"))?;
            nodes.push(started);
        }
        nats.leader().await?;
        Ok(Self { nats, nodes })
    }

    /// The nodes, for clients spread over them; the NATS servers' CPU counted apart.
    fn target(&self) -> Target {
        Target {
            tcp: self.nodes.iter().map(|node| node.tcp.clone()).collect(),
            http: self.nodes.iter().filter_map(|n| n.http.clone()).collect(),
            pids: self.nodes.iter().map(Server::pid).collect(),
            support_pids: self.nats.pids(),
        }
    }
}

/// What the nodes' transcripts say once they have caught up with each other.
#[derive(Debug, Default)]
struct Agreement {
    /// Whether every node's transcript is the same.
    agree: bool,
    /// Events in the (first node's) transcript.
    events: usize,
    /// Messages saved again with the same sender and text (every text the load sends is
    /// unique).
    repeated: usize,
    /// Messages carrying a load marker: every one a sender sent, when nothing was refused.
    marked: usize,
    /// Each node's count of events, when they differ.
    lengths: Vec<usize>,
}

impl Agreement {
    fn describe(&self) -> String {
        if self.agree {
            format!(
                "the nodes agree on {} events ({} load messages, {} repeated)",
                self.events, self.marked, self.repeated
            )
        } else {
            format!(
                "the nodes DISAGREE: events per node {:?} ({} repeated on the first)",
                self.lengths, self.repeated
            )
        }
    }
}

/// One event of a transcript: id, type, who (arrived, left or spoke), text.
type Line = (u64, String, String, String);

/// The whole transcript of the node serving HTTP at `http`.
async fn transcript(http: &str) -> anyhow::Result<Vec<Line>> {
    let path = format!("/transcript.json?teacher={TEACHER_TOKEN}");
    let body = crate::http::get(http, &path).await?;
    let events: Vec<Value> = serde_json::from_str(&body).context("a transcript in JSON")?;
    Ok(events
        .iter()
        .map(|event| {
            let who = [&event["nick"], &event["from"]]
                .into_iter()
                .find_map(Value::as_str)
                .unwrap_or_default();
            let text = event["text"].as_str().unwrap_or_default();
            let id = event["id"].as_u64().unwrap_or_default();
            let kind = event["type"].as_str().unwrap_or_default();
            (id, kind.to_owned(), who.to_owned(), text.to_owned())
        })
        .collect())
}

/// Waits until the transcripts of `nodes` are the same (or [`CATCH_UP`] has passed), and
/// says what they hold.
async fn agreement(nodes: &[&Server]) -> anyhow::Result<Agreement> {
    let deadline = Instant::now() + CATCH_UP;
    loop {
        let mut all = Vec::new();
        for node in nodes {
            all.push(transcript(node.http.as_deref().unwrap_or_default()).await?);
        }
        let agree = all.windows(2).all(|pair| pair[0] == pair[1]);
        if agree || Instant::now() > deadline {
            let first = all.first().map(Vec::as_slice).unwrap_or_default();
            let messages: Vec<&Line> = first.iter().filter(|e| e.1 == "message").collect();
            let mut said: Vec<(&str, &str)> = messages
                .iter()
                .map(|e| (e.2.as_str(), e.3.as_str()))
                .collect();
            said.sort_unstable();
            said.dedup();
            return Ok(Agreement {
                agree,
                events: first.len(),
                repeated: messages.len() - said.len(),
                marked: messages
                    .iter()
                    .filter(|e| client::parse(e.3.as_bytes()).is_some())
                    .count(),
                lengths: all.iter().map(Vec::len).collect(),
            });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// One scenario against one node and against the cluster.
struct Compared {
    scenario: Scenario,
    lone: Report,
    cluster: Report,
    agreement: Agreement,
}

/// How long a page waits before its first reconnection: the first of `RETRY_STEPS`, plus
/// up to `jitter` of it at random. Read from the page's code, compiled in, so that the
/// table says what the page does.
#[derive(Debug, PartialEq)]
struct PageRetry {
    first_seconds: f64,
    jitter: f64,
}

fn page_retry() -> Option<PageRetry> {
    let code = include_str!("../../../static/connection.js");
    let steps = code.split_once("RETRY_STEPS = [")?.1;
    let first_seconds = steps.split([',', ']']).next()?.trim().parse().ok()?;
    let jitter = code.split_once("Math.random() * base * ")?.1;
    let jitter = jitter.split(';').next()?.trim().parse().ok()?;
    Some(PageRetry {
        first_seconds,
        jitter,
    })
}

pub(crate) async fn bench(args: ClusterArgs) -> anyhow::Result<()> {
    let tchat = match args.tchat {
        Some(path) => path,
        None => std::env::current_exe()?.with_file_name("tchat"),
    };
    let wanted = |name: &str| args.only.is_empty() || args.only.iter().any(|only| only == name);
    let mut compared = Vec::new();
    for scenario in servers::scenarios(args.quick)
        .into_iter()
        .filter(|scenario| SCENARIOS.contains(&scenario.name) && wanted(scenario.name))
    {
        eprintln!("running {} against one node…", scenario.name);
        let lone = {
            let server = Server::tchat(&tchat, true, true)?;
            let target = Target::one(&server.tcp, server.http.as_deref(), Some(server.pid()));
            run(&scenario, Protocol::Line, &target, Some(TEACHER_TOKEN)).await?
        };
        eprintln!("  {}", servers::describe(&lone));
        eprintln!("running {} against three nodes…", scenario.name);
        let cluster = Cluster::start(&tchat, &args.nats).await?;
        let report = run(
            &scenario,
            Protocol::Line,
            &cluster.target(),
            Some(TEACHER_TOKEN),
        )
        .await?;
        eprintln!("  {}", servers::describe(&report));
        let nodes: Vec<&Server> = cluster.nodes.iter().collect();
        let agreement = agreement(&nodes).await?;
        eprintln!("  {}", agreement.describe());
        compared.push(Compared {
            scenario,
            lone,
            cluster: report,
            agreement,
        });
    }

    let pause = wanted("pause").then_some(async {
        eprintln!("killing the stream's NATS leader while n1's client talks to one on each node…");
        let mut cluster = Cluster::start(&tchat, &args.nats).await?;
        let sender = cluster.nodes[0].tcp.clone();
        // n2 first: the pause is what a node other than the sender's shows.
        let receivers: Vec<(String, String)> = [1, 0, 2]
            .iter()
            .map(|&n| (format!("n{}", n + 1), cluster.nodes[n].tcp.clone()))
            .collect();
        let pause = failover::write_pause(&mut cluster.nats, &sender, &receivers).await?;
        eprintln!("  {}", pause.describe());
        let nodes: Vec<&Server> = cluster.nodes.iter().collect();
        let agreement = agreement(&nodes).await?;
        eprintln!("  {}", agreement.describe());
        anyhow::Ok((pause, agreement))
    });
    let pause = match pause {
        Some(measuring) => Some(measuring.await),
        None => None,
    };

    let comeback = wanted("comeback").then_some(async {
        eprintln!("killing node n3 under a page, which comes back on n1…");
        let mut cluster = Cluster::start(&tchat, &args.nats).await?;
        let [survivor, observer, dying] = &mut cluster.nodes[..] else {
            bail!("three nodes");
        };
        let (survivor_http, observer_http) = (
            survivor.http.clone().unwrap_or_default(),
            observer.http.clone().unwrap_or_default(),
        );
        let comeback =
            failover::comeback(dying, &survivor_http, &observer_http, AFTER_THE_HEARTBEAT).await?;
        eprintln!("  {}", comeback.describe());
        let agreement = agreement(&[&cluster.nodes[0], &cluster.nodes[1]]).await?;
        eprintln!("  {}", agreement.describe());
        anyhow::Ok((comeback, agreement))
    });
    let comeback = match comeback {
        Some(measuring) => Some(measuring.await),
        None => None,
    };

    let problems = print_table(&compared, &pause, &comeback, page_retry());
    if problems > 0 {
        bail!("{problems} measurements lost, repeated or disagreed on messages, or failed");
    }
    Ok(())
}

/// A scenario in words: who, how many, how fast.
fn scenario_label(scenario: &Scenario) -> String {
    let pace = match scenario.pace {
        Pace::Rate(rate) => format!("at {rate} msg/s"),
        Pace::ClosedLoop => "closed-loop".to_owned(),
        Pace::Silent => "silent".to_owned(),
    };
    format!(
        "{}: {} TCP + {} WebSocket, {} senders {pace}",
        scenario.name, scenario.tcp_clients, scenario.ws_clients, scenario.senders
    )
}

fn thousands(value: Option<f64>) -> String {
    value.map_or("".to_owned(), |value| format!("{:.1} k", value / 1000.0))
}

fn latency(report: &Report) -> String {
    format!("{:.2} / {:.2}", report.p50_ms, report.p99_ms)
}

/// Prints the table; returns how many measurements went wrong (lost, repeated or
/// disagreed on messages, or could not be made).
fn print_table(
    compared: &[Compared],
    pause: &Option<anyhow::Result<(WritePause, Agreement)>>,
    comeback: &Option<anyhow::Result<(Comeback, Agreement)>>,
    page: Option<PageRetry>,
) -> usize {
    let mut problems = 0;
    println!("| | one node | three nodes | target |");
    println!("|---|---:|---:|---|");
    let row = |what: &str, one: &str, three: &str, target: &str| {
        println!("| {what} | {one} | {three} | {target} |");
    };
    for Compared {
        scenario,
        lone,
        cluster,
        agreement,
    } in compared
    {
        let name = scenario.name;
        row(&scenario_label(scenario), "", "", "");
        row(
            &format!("{name}: deliveries per s"),
            &thousands(Some(lone.delivered as f64 / lone.seconds.max(1e-9))),
            &thousands(Some(cluster.delivered as f64 / cluster.seconds.max(1e-9))),
            "",
        );
        row(
            &format!("{name}: deliveries per CPU s, tchat"),
            &thousands(lone.deliveries_per_cpu_second()),
            &thousands(cluster.deliveries_per_cpu_second()),
            "",
        );
        row(
            &format!("{name}: deliveries per CPU s, tchat + NATS"),
            "",
            &thousands(cluster.deliveries_per_cpu_second_with_support()),
            "",
        );
        row(
            &format!("{name}: CPU s, tchat + NATS"),
            &format!("{:.2}", lone.cpu_seconds.unwrap_or_default()),
            &format!(
                "{:.2} + {:.2}",
                cluster.cpu_seconds.unwrap_or_default(),
                cluster.support_cpu_seconds.unwrap_or_default()
            ),
            "",
        );
        row(
            &format!("{name}: latency p50 / p99 ms"),
            &latency(lone),
            &latency(cluster),
            "",
        );
        if name == "classroom" {
            row(
                "classroom: what the bus adds at p50",
                "",
                &format!("{:+.2} ms", cluster.p50_ms - lone.p50_ms),
                "under 2 ms",
            );
        }
        let wrong = [lone, cluster]
            .iter()
            .filter(|report| report.failed > 0 || report.lost() > 0)
            .count();
        problems += wrong + usize::from(!agreement.agree || agreement.repeated > 0);
        row(
            &format!("{name}: deliveries lost; cluster's transcripts"),
            &lone.lost().to_string(),
            &format!("{}; {}", cluster.lost(), agreement.describe()),
            "",
        );
    }
    match pause {
        None => {}
        Some(Ok((pause, agreement))) => {
            let gaps: Vec<String> = pause
                .received
                .iter()
                .map(|received| {
                    format!(
                        "{} {:.0} ms",
                        received.node,
                        received.longest_gap.as_secs_f64() * 1000.0
                    )
                })
                .collect();
            let lost: u64 = pause.received.iter().map(|r| pause.unaccounted(r)).sum();
            let twice: u64 = pause.received.iter().map(|r| r.twice).sum();
            let out_of_order: u64 = pause.received.iter().map(|r| r.out_of_order).sum();
            row(
                &format!(
                    "write pause, n1 → n2, stream leader {} killed ({})",
                    pause.leader,
                    pause.connected()
                ),
                "",
                &format!(
                    "{:.0} ms (at {}); {} of {} lines refused, {lost} lost, {twice} twice, \
                     {out_of_order} out of order; {}",
                    pause
                        .received
                        .first()
                        .map_or(0.0, |received| received.longest_gap.as_secs_f64() * 1000.0),
                    gaps.join(", "),
                    pause.refused,
                    pause.sent,
                    agreement.describe()
                ),
                "",
            );
            problems += usize::from(!pause.intact() || !agreement.agree || agreement.repeated > 0);
        }
        Some(Err(error)) => {
            row("write pause", "", &format!("failed: {error:#}"), "");
            problems += 1;
        }
    }
    let page_delay = page.map_or("the page's delay unknown".to_owned(), |page| {
        format!(
            "a page first waits {}–{} s",
            page.first_seconds,
            page.first_seconds * (1.0 + page.jitter)
        )
    });
    match comeback {
        None => {}
        Some(Ok((comeback, agreement))) => {
            row(
                "a killed node's page back on another node",
                "",
                &format!(
                    "{:.0} ms ({page_delay}); name {}, missed {}; a page on n2 was shown it \
                     leave {}× and arrive {}×; {:.0} s later: connected {}, listed on n2 by \
                     that page {}, by a newcomer {}; {}",
                    comeback.back_after.as_secs_f64() * 1000.0,
                    if comeback.given == comeback.nick {
                        "kept"
                    } else {
                        "LOST"
                    },
                    comeback.missed,
                    comeback.bystander_saw.0,
                    comeback.bystander_saw.1,
                    comeback.watched.as_secs_f64(),
                    yes_no(comeback.still_in),
                    yes_no(comeback.listed_by_bystander),
                    yes_no(comeback.listed_for_newcomer),
                    agreement.describe(),
                ),
                "under 5 s",
            );
            problems += usize::from(
                comeback.given != comeback.nick
                    || comeback.missed > 0
                    || !comeback.still_in
                    || !comeback.listed_by_bystander
                    || !comeback.listed_for_newcomer
                    || !agreement.agree
                    || agreement.repeated > 0,
            );
        }
        Some(Err(error)) => {
            row(
                "a killed node's page back",
                "",
                &format!("failed: {error:#}"),
                "",
            );
            problems += 1;
        }
    }
    problems
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

#[cfg(test)]
mod tests {
    use super::{PageRetry, page_retry};

    #[test]
    fn reads_the_page_s_first_reconnection_delay_from_its_code() {
        assert_eq!(
            page_retry(),
            Some(PageRetry {
                first_seconds: 1.0,
                jitter: 0.3
            })
        );
    }
}
