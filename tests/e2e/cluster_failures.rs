//! What a cluster promises when something fails: a node killed, every NATS server down, a
//! node cut off. Every node and every client ends with the same contiguous story: the same
//! ids, none twice, nothing shown that was refused.

use serde_json::json;

use crate::cluster::{
    Line, agreed, agreed_at, assert_increasing, hello, hello_at, node, node_at, two_nodes,
};
use crate::helpers::{
    PATIENCE, TEACHER, TcpClient, TestApp, WsClient, spawn_app_with, start_binary, tchat, temp_db,
};
use crate::nats::{Cut, Nats, NatsCluster};

/// How many departures of `nick` a transcript holds.
fn departures(events: &[Line], nick: &str) -> usize {
    events
        .iter()
        .filter(|event| event.1 == "leave" && event.2 == nick)
        .count()
}

/// alice on `a` (TCP) and bob on `b` (a page), once bob has seen alice say `avant`.
async fn alice_and_bob(a: &TestApp, b: &TestApp) -> (TcpClient, WsClient) {
    let mut alice = a.tcp_named("alice").await;
    let mut bob = WsClient::connect(b.http).await;
    bob.send(json!({"type": "hello", "nick": "bob"})).await;
    bob.welcome().await;
    alice.send("avant").await;
    bob.frames_until("avant").await;
    (alice, bob)
}

/// Waits until `check` holds of the transcripts every node in `https` agrees on.
async fn until_agreed(
    https: &[std::net::SocketAddr],
    what: &str,
    check: impl Fn(&[Line]) -> bool,
) -> Vec<Line> {
    let deadline = std::time::Instant::now() + PATIENCE * 2;
    loop {
        let events = agreed_at(https, 1).await;
        if check(&events) {
            return events;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never {what}: {events:#?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_node_killed_with_sigkill_is_left_once_per_user_and_its_page_resumes_elsewhere() {
    let nats = Nats::start().await;
    let ((_a_dir, a_db), (_b_dir, b_db), (_c_dir, c_db)) = (temp_db(), temp_db(), temp_db());
    let mut command = tchat();
    command
        .args(["--max-rate", "0", "--announce-after", "0", "--node", "a"])
        .args(["--teacher-token", TEACHER, "--cluster", &nats.url, "--db"])
        .arg(&a_db);
    let (mut a, a_http, a_tcp, _) = start_binary(command);
    let b = node(&nats, "b", &b_db).await;
    let c = node(&nats, "c", &c_db).await;

    let (mut zoe, welcome) = hello_at(a_http, json!({"type": "hello", "nick": "zoe"})).await;
    let (token, epoch) = (welcome["token"].clone(), welcome["epoch"].clone());
    let mut tom = TcpClient::connect(a_tcp).await;
    tom.send("/nick tom").await;
    tom.expect("maintenant tom").await;
    zoe.send(json!({"type": "say", "text": "avant la panne"}))
        .await;
    let seen = zoe.frames_until("avant la panne").await;
    let last = seen.last().expect("the message")["id"]
        .as_u64()
        .expect("an id");

    a.kill().expect("kill -9");
    a.wait().expect("reaped");
    // zoe's page comes back on B at once with its token: what it missed, from where it
    // was, nothing twice.
    let back =
        json!({"type": "hello", "nick": "zoe", "since": last, "epoch": epoch, "token": token});
    let (mut page, welcome) = hello(&b, back).await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    assert_eq!(welcome["nick"], "zoe");
    assert_eq!(welcome["missed"], 0);
    let ids: Vec<_> = welcome["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|event| event["id"].as_u64().expect("an id"))
        .collect();
    assert!(ids.iter().all(|id| *id > last), "{ids:?} after {last}");
    page.send(json!({"type": "say", "text": "de retour"})).await;
    page.frames_until("de retour").await;

    // The survivors tell the departures of those A left behind.
    let survivors = [b.http, c.http];
    let events = until_agreed(&survivors, "both left", |events| {
        departures(events, "zoe") >= 1 && departures(events, "tom") >= 1
    })
    .await;
    assert_increasing(&events);

    // Every survivor told each departure once, however many noticed.
    // Both survivors noticed A's end and published its members' departures: a moment later,
    // still one of each.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let events = agreed(&[&b, &c], events.len()).await;
    assert_eq!(departures(&events, "zoe"), 1, "{events:#?}");
    assert_eq!(departures(&events, "tom"), 1, "{events:#?}");
    assert_increasing(&events);
}

#[tokio::test]
async fn with_every_nats_server_down_the_nodes_are_read_only_and_never_fork() {
    let (a, b, mut backing) = two_nodes().await;
    let (mut alice, mut bob) = alice_and_bob(&a, &b).await;

    backing.nats.kill();
    alice.expect("injoignable").await;
    let down = bob.expect("alert").await;
    assert_eq!(down["code"], "cluster_down", "{down}");
    alice.send("pendant la panne").await;
    alice.expect("n'a pas pu être enregistré").await;
    bob.send(json!({"type": "say", "text": "moi non plus"}))
        .await;
    bob.expect_error("not_saved").await;

    backing.nats.restart().await;
    alice.expect("de nouveau joignable").await;
    let up = bob.expect("alert").await;
    assert_eq!(up["code"], "cluster_up", "{up}");
    alice.send("après").await;
    bob.frames_until("après").await;
    let events = agreed(&[&a, &b], 4).await;
    assert_increasing(&events);
    assert!(
        events
            .iter()
            .all(|event| !event.3.contains("panne") && !event.3.contains("non plus")),
        "{events:#?}"
    );
}

#[tokio::test]
async fn a_node_cut_off_from_the_cluster_catches_up_when_it_is_back() {
    let nats = Nats::start().await;
    let cut = Cut::to(&nats).await;
    let ((_a_dir, a_db), (_c_dir, c_db)) = (temp_db(), temp_db());
    let a = node(&nats, "a", &a_db).await;
    let c = node_at(&cut.url, "c", &c_db).await;
    let mut watcher = a.ws_named("watcher").await;
    let mut island = c.tcp_named("ile").await;
    island.send("avant la coupure").await;
    watcher.frames_until("avant la coupure").await;

    cut.cut();
    island.expect("injoignable").await;
    // The others go on, and are told the cut-off node's people left.
    let mut talker = a.tcp_named("talker").await;
    talker.send("pendant la coupure").await;
    until_agreed(&[a.http], "ile left", |events| {
        departures(events, "ile") == 1
    })
    .await;

    cut.heal();
    // Back, the node learns its member was said to have left: its connection ends, so that
    // it comes back as everyone else sees it.
    island.expect("perdu le contact").await;
    let events = agreed(&[&a, &c], 1).await;
    assert!(
        events.iter().any(|event| event.3 == "pendant la coupure"),
        "{events:#?}"
    );
    assert_eq!(departures(&events, "ile"), 1, "{events:#?}");
    assert_increasing(&events);
    let mut again = c.tcp_named("ile").await;
    again.send("me revoilà").await;
    watcher.frames_until("me revoilà").await;
}

#[tokio::test]
async fn killing_the_stream_leader_of_three_servers_loses_and_repeats_nothing() {
    let mut servers = NatsCluster::start().await;
    let urls = servers.urls();
    let ((_a_dir, a_db), (_b_dir, b_db)) = (temp_db(), temp_db());
    let start = |name: &'static str, db: std::path::PathBuf| {
        let urls = urls.clone();
        spawn_app_with(move |config| {
            config.cluster = urls.split(',').map(str::to_owned).collect();
            config.cluster_replicas = 3;
            config.node = Some(name.to_owned());
            config.db = db;
        })
    };
    let a = start("a", a_db).await;
    let b = start("b", b_db).await;
    let alice = a.tcp_named("alice").await;
    let mut bob = WsClient::connect(b.http).await;
    bob.send(json!({"type": "hello", "nick": "bob"})).await;
    bob.welcome().await;

    // alice says a line every 50 ms while the leader of the log is killed.
    const LINES: usize = 100;
    let leader = servers.leader_of("TCHAT").await;
    let (mut lines, mut writer) = alice.split();
    let talk = tokio::spawn(async move {
        for n in 0..LINES {
            let line = format!("m{n}\n");
            tokio::io::AsyncWriteExt::write_all(&mut writer, line.as_bytes())
                .await
                .expect("alice writes");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        writer
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    servers.server(&leader).kill();
    let _writer = talk.await.expect("alice talked");

    // Every line is either shown everywhere under one id, or refused to alice and shown
    // nowhere: wait until the count adds up.
    let deadline = std::time::Instant::now() + PATIENCE * 2;
    let mut refused = 0;
    let events = loop {
        let events = agreed(&[&a, &b], 1).await;
        while let Ok(line) = lines.try_recv() {
            refused += usize::from(line.contains("n'a pas pu être enregistré"));
        }
        let shown = events
            .iter()
            .filter(|event| event.2 == "alice" && event.1 == "message")
            .count();
        if shown + refused >= LINES {
            break events;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{shown} shown, {refused} refused of {LINES}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_increasing(&events);
    let mut said: Vec<_> = events
        .iter()
        .filter(|event| event.2 == "alice" && event.1 == "message")
        .map(|event| event.3.clone())
        .collect();
    let shown = said.len();
    said.sort();
    said.dedup();
    assert_eq!(said.len(), shown, "a line shown twice: {events:#?}");
    assert_eq!(shown + refused, LINES, "{events:#?}");
    // bob's page got exactly what the transcripts hold.
    let mut seen = Vec::new();
    while seen.len() < shown {
        let frame = bob.next().await;
        if frame["type"] == "message" && frame["from"] == "alice" {
            seen.push(frame["id"].as_u64().expect("an id"));
        }
    }
    let ids: Vec<_> = events
        .iter()
        .filter(|event| event.2 == "alice" && event.1 == "message")
        .map(|event| event.0)
        .collect();
    assert_eq!(seen, ids);
}

#[tokio::test]
async fn without_a_quorum_a_message_waits_read_only_and_is_then_shown_everywhere_or_nowhere() {
    let mut servers = NatsCluster::start().await;
    // Both nodes talk to the first server, which stays up: connected, but without a quorum
    // the log acknowledges nothing.
    let url = servers.servers[0].url.clone();
    let ((_a_dir, a_db), (_b_dir, b_db)) = (temp_db(), temp_db());
    let start = |name: &'static str, db: std::path::PathBuf| {
        let url = url.clone();
        spawn_app_with(move |config| {
            config.cluster = vec![url];
            config.cluster_replicas = 3;
            config.node = Some(name.to_owned());
            config.db = db;
        })
    };
    let a = start("a", a_db).await;
    let b = start("b", b_db).await;
    let (mut alice, mut bob) = alice_and_bob(&a, &b).await;

    servers.servers[1].kill();
    servers.servers[2].kill();
    alice.send("sans quorum").await;
    // The log does not answer: A turns read-only, and says so.
    alice.expect("injoignable").await;
    servers.servers[1].restart().await;
    // Once it answers, the line's fate is settled, one way or the other, the same everywhere:
    // alice is told if it was refused, before the node is writable again.
    let lines = alice.lines_until("de nouveau joignable").await;
    let refused = lines
        .iter()
        .any(|line| line.contains("n'a pas pu être enregistré"));
    alice.send("après").await;
    // Reading the log again after a quorum came back may take the follower a few seconds.
    let events = until_agreed(&[a.http, b.http], "après everywhere", |events| {
        events.iter().any(|event| event.3 == "après")
    })
    .await;
    bob.frames_until("après").await;
    assert_increasing(&events);
    let shown = events
        .iter()
        .filter(|event| event.3 == "sans quorum")
        .count();
    assert_eq!(
        shown,
        usize::from(!refused),
        "refused: {refused}, {events:#?}"
    );
}
