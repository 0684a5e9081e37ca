//! Several tchat nodes sharing one conversation through a real NATS JetStream server: the
//! same events, in the same order, under the same ids, on every node and every client.

use serde_json::{Value, json};

use crate::helpers::{PATIENCE, TestApp, spawn_app_with, temp_db};
use crate::nats::Nats;

/// A tchat node called `node` of the cluster served by `nats`, keeping its replica in `db`.
pub async fn node(nats: &Nats, name: &str, db: &std::path::Path) -> TestApp {
    node_at(&nats.url, name, db).await
}

/// A tchat node called `node` of the cluster NATS serves at `url`.
pub async fn node_at(url: &str, name: &str, db: &std::path::Path) -> TestApp {
    let (url, name, db) = (url.to_owned(), name.to_owned(), db.to_owned());
    spawn_app_with(move |config| {
        config.cluster = vec![url];
        config.node = Some(name);
        config.db = db;
    })
    .await
}

/// One event of a transcript: id, type, who (arrived, left or spoke), text.
pub type Line = (u64, String, String, String);

/// What two test nodes stand on: their NATS server and their databases, kept for as long
/// as the test holds it.
pub struct Backing {
    pub nats: Nats,
    /// Each node's database, as `(a, b)`.
    pub dbs: (std::path::PathBuf, std::path::PathBuf),
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

/// Two nodes, `a` and `b`, of a cluster on one NATS server, each with its own database.
pub async fn two_nodes() -> (TestApp, TestApp, Backing) {
    let nats = Nats::start().await;
    let ((a_dir, a_db), (b_dir, b_db)) = (temp_db(), temp_db());
    let a = node(&nats, "a", &a_db).await;
    let b = node(&nats, "b", &b_db).await;
    let backing = Backing {
        nats,
        dbs: (a_db, b_db),
        _dirs: (a_dir, b_dir),
    };
    (a, b, backing)
}

/// A node's whole transcript, as [`Line`]s.
pub async fn transcript(app: &TestApp) -> Vec<Line> {
    transcript_at(app.http).await
}

/// The whole transcript of the node serving HTTP at `http`.
pub async fn transcript_at(http: std::net::SocketAddr) -> Vec<Line> {
    let (_, _, body) = crate::helpers::http_get(http, "/transcript.json").await;
    let events: Value = serde_json::from_str(&body).expect("JSON");
    events
        .as_array()
        .expect("a list")
        .iter()
        .map(|event| {
            let who = [&event["nick"], &event["from"]]
                .into_iter()
                .find_map(Value::as_str)
                .unwrap_or_default();
            (
                event["id"].as_u64().expect("an id"),
                event["type"].as_str().unwrap_or_default().to_owned(),
                who.to_owned(),
                event["text"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Waits until every node's transcript is the same, at least `count` events long, and
/// returns it; fails with both if they never agree.
pub async fn agreed(nodes: &[&TestApp], count: usize) -> Vec<Line> {
    let https: Vec<_> = nodes.iter().map(|node| node.http).collect();
    agreed_at(&https, count).await
}

/// [`agreed`], for the nodes serving HTTP at `https`.
pub async fn agreed_at(https: &[std::net::SocketAddr], count: usize) -> Vec<Line> {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let mut all = Vec::new();
        for http in https {
            all.push(transcript_at(*http).await);
        }
        if all[0].len() >= count && all.iter().all(|one| *one == all[0]) {
            return all.swap_remove(0);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the nodes' transcripts differ:\n{all:#?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Ids strictly increasing, each once.
pub fn assert_increasing(events: &[Line]) {
    assert!(
        events.windows(2).all(|pair| pair[0].0 < pair[1].0),
        "ids not strictly increasing: {events:#?}"
    );
}

#[tokio::test]
async fn two_nodes_share_one_conversation_with_the_same_ids() {
    let (a, b, _backing) = two_nodes().await;

    let mut alice = a.tcp_named("alice").await;
    let mut bob = b.ws_named("bob").await;
    alice.send("bonjour de A").await;
    let seen = bob.frames_until("bonjour de A").await;
    let said = seen.last().expect("the message");
    assert_eq!(said["from"], "alice");
    assert_eq!(said["via"], "tcp");
    bob.send(json!({"type": "say", "text": "salut de B"})).await;
    alice.expect("<bob> salut de B").await;

    // A page on A sees both, and bob in its list, under the same ids as B gave them.
    let mut carol = crate::helpers::WsClient::connect(a.http).await;
    carol
        .send(json!({"type": "hello", "nick": "carol", "since": 0}))
        .await;
    let welcome = carol.welcome().await;
    let users: Vec<_> = welcome["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|user| user["nick"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(users.contains(&"bob".to_owned()), "{users:?}");
    assert!(users.contains(&"alice".to_owned()), "{users:?}");
    let id_on_a = welcome["history"]
        .as_array()
        .expect("history")
        .iter()
        .find(|event| event["text"] == "bonjour de A")
        .map(|event| event["id"].clone());
    assert_eq!(id_on_a, Some(said["id"].clone()));

    let events = agreed(&[&a, &b], 4).await;
    assert_increasing(&events);
    let texts: Vec<_> = events.iter().map(|event| event.3.as_str()).collect();
    assert!(texts.contains(&"bonjour de A") && texts.contains(&"salut de B"));
}

#[tokio::test]
async fn a_page_resumes_on_another_node_without_gap_or_duplicate() {
    let (a, b, _backing) = two_nodes().await;

    let mut page = crate::helpers::WsClient::connect(a.http).await;
    page.send(json!({"type": "hello", "nick": "zoe"})).await;
    let welcome = page.welcome().await;
    let epoch = welcome["epoch"].clone();
    let mut talker = b.tcp_named("talker").await;
    talker.send("un").await;
    let seen = page.frames_until("un").await;
    let last = seen.last().expect("un")["id"].as_u64().expect("an id");
    // The page's node goes; meanwhile the conversation goes on on B.
    page.close().await;
    talker.send("deux").await;
    talker.send("trois").await;
    let deadline = std::time::Instant::now() + PATIENCE;
    // Until B has shown the rest, and that the page left A (its name is free again).
    loop {
        let events = transcript(&b).await;
        let left = events.iter().filter(|event| event.1 == "leave").count();
        if left == 1 && events.iter().any(|event| event.3 == "trois") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "B never showed it all: {events:#?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let mut back = crate::helpers::WsClient::connect(b.http).await;
    back.send(json!({"type": "hello", "nick": "zoe", "since": last, "epoch": epoch}))
        .await;
    let welcome = back.welcome().await;
    assert_eq!(welcome["epoch"], epoch, "one conversation, one epoch");
    let texts: Vec<_> = welcome["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|event| event["type"] == "message")
        .map(|event| event["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(texts, ["deux", "trois"], "{welcome:#}");
    assert_eq!(welcome["missed"], 0);
}

/// A page on `app` saying hello with `hello`: its welcome, or the error it got.
pub async fn hello(app: &TestApp, hello: Value) -> (crate::helpers::WsClient, Value) {
    hello_at(app.http, hello).await
}

/// [`hello`], to the node serving HTTP at `http`.
pub async fn hello_at(
    http: std::net::SocketAddr,
    hello: Value,
) -> (crate::helpers::WsClient, Value) {
    let mut page = crate::helpers::WsClient::connect(http).await;
    page.send(hello).await;
    let frame = loop {
        let frame = page.next().await;
        if frame["type"] == "welcome" || frame["type"] == "error" {
            break frame;
        }
    };
    (page, frame)
}

#[tokio::test]
async fn a_nickname_is_one_persons_across_the_nodes_until_it_leaves() {
    let (a, b, _backing) = two_nodes().await;

    let alice = a.tcp_named("alice").await;
    let (_, refused) = hello(&b, json!({"type": "hello", "nick": "ALICE"})).await;
    assert_eq!(refused["code"], "nick_taken", "{refused}");
    // A rename to it on the other node is refused as well.
    let mut bob = b.tcp_named("bob").await;
    bob.send("/nick alice").await;
    bob.expect("alice").await;

    // Once alice has left, her name is free on every node.
    drop(alice);
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let (_page, frame) = hello(&b, json!({"type": "hello", "nick": "alice"})).await;
        if frame["type"] == "welcome" {
            assert_eq!(frame["nick"], "alice");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "alice never free: {frame}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn twenty_racing_joins_of_one_name_on_two_nodes_give_it_once_and_guests_never_twice() {
    let (a, b, _backing) = two_nodes().await;

    let joins = (0..20).map(|n| {
        let app = if n % 2 == 0 { &a } else { &b };
        hello(app, json!({"type": "hello", "nick": "sam"}))
    });
    let answers = futures_util::future::join_all(joins).await;
    let welcomed = answers
        .iter()
        .filter(|(_, frame)| frame["type"] == "welcome")
        .count();
    assert_eq!(
        welcomed,
        1,
        "{:#?}",
        answers.iter().map(|a| &a.1).collect::<Vec<_>>()
    );

    let guests = (0..20).map(|n| {
        let app = if n % 2 == 0 { &a } else { &b };
        hello(app, json!({"type": "hello"}))
    });
    let guests = futures_util::future::join_all(guests).await;
    let mut names: Vec<_> = guests
        .iter()
        .map(|(_, frame)| frame["nick"].as_str().expect("a guest name").to_owned())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 20, "{names:?}");
}

#[tokio::test]
async fn a_resume_token_takes_a_name_back_from_another_node() {
    let (a, b, _backing) = two_nodes().await;

    let (mut ghost, welcome) = hello(&a, json!({"type": "hello", "nick": "zoe"})).await;
    let token = welcome["token"].clone();
    let (_, wrong) = hello(
        &b,
        json!({"type": "hello", "nick": "zoe", "token": "devine"}),
    )
    .await;
    assert_eq!(wrong["code"], "nick_taken", "{wrong}");
    let (_back, again) = hello(&b, json!({"type": "hello", "nick": "zoe", "token": token})).await;
    assert_eq!(again["type"], "welcome", "{again}");
    assert_eq!(again["nick"], "zoe");
    // The connection on A was told it was replaced, then closed.
    let bye = ghost.expect("bye").await;
    assert_eq!(bye["reason"], "replaced", "{bye}");
}

#[tokio::test]
async fn a_teacher_on_one_node_moderates_students_on_another_at_once() {
    let (a, b, _backing) = two_nodes().await;

    let mut prof = a.tcp_teacher("prof").await;
    let mut bob = b.tcp_named("bob").await;
    let mut carol = b.tcp_named("carol").await;
    // Each sees the other, whatever node it is on.
    prof.send("/who").await;
    prof.expect("bob").await;

    prof.send("/mute bob 5").await;
    bob.expect("ne peut plus écrire").await;
    bob.send("je parle quand même").await;
    bob.expect("Tu ne peux pas écrire").await;
    prof.send("/unmute bob").await;
    bob.expect("peut de nouveau").await;
    bob.send("merci").await;
    assert_eq!(prof.expect("merci").await, "<bob> merci");

    prof.send("/lock").await;
    carol.expect("verrouillé").await;
    carol.send("et moi ?").await;
    carol.expect("verrouillée").await;
    prof.send("/unlock").await;
    carol.expect("rouvert").await;

    prof.send("/kick bob bavardage").await;
    assert!(bob.expect("exclu").await.contains("bavardage"));
    prof.expect("bob a été").await;
    // Gone from every node's list, and sent away from B, bob may not come straight back
    // under his name, on either node.
    for app in [&a, &b] {
        let (_, welcome) = hello(app, json!({"type": "hello"})).await;
        let users = welcome["users"].as_array().expect("users").clone();
        assert!(users.iter().all(|user| user["nick"] != "bob"), "{users:?}");
    }
    for app in [&a, &b] {
        let (_, refused) = hello(app, json!({"type": "hello", "nick": "bob"})).await;
        assert_eq!(refused["code"], "kick_cooldown", "{refused}");
    }
}

#[tokio::test]
async fn a_private_message_crosses_nodes_and_is_never_stored() {
    let (a, b, _backing) = two_nodes().await;

    let mut alice = a.tcp_named("alice").await;
    let mut bob = b.tcp_named("bob").await;
    alice.send("/msg bob rendez-vous secret").await;
    assert_eq!(alice.expect("secret").await, "-> *bob* rendez-vous secret");
    assert_eq!(bob.expect("secret").await, "*alice* rendez-vous secret");
    bob.send("/msg alice bien reçu").await;
    assert_eq!(alice.expect("reçu").await, "*bob* bien reçu");
    alice.send("en public").await;
    let events = agreed(&[&a, &b], 3).await;
    assert!(
        events
            .iter()
            .all(|event| !event.3.contains("secret") && !event.3.contains("reçu")),
        "{events:#?}"
    );
    for db in [&_backing.dbs.0, &_backing.dbs.1] {
        let bytes = std::fs::read(db).expect("the database");
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("rendez-vous"), "a private message on disk");
    }
}

#[tokio::test]
async fn groups_deal_the_students_of_every_node_and_keep_each_groups_words_in_it() {
    let (a, b, _backing) = two_nodes().await;
    let mut prof = a.tcp_teacher("prof").await;
    let mut students = Vec::new();
    for (n, app) in [&a, &a, &b, &b].into_iter().enumerate() {
        students.push(app.tcp_named(&format!("eleve{n}")).await);
    }
    agreed(&[&a, &b], 10).await;

    prof.send("/groups 2").await;
    let mut rooms = Vec::new();
    for student in &mut students {
        rooms.push(student.room_entered().await);
    }
    let mut dealt = rooms.clone();
    dealt.sort();
    assert_eq!(
        dealt,
        ["groupe-1", "groupe-1", "groupe-2", "groupe-2"],
        "{rooms:?}"
    );

    // Words said in a group reach that group alone, whatever node each member is on.
    let speaker = 0;
    let mate = (1..4)
        .find(|n| rooms[*n] == rooms[speaker])
        .expect("a mate");
    students[speaker].send("dans notre groupe").await;
    students[mate].expect("dans notre groupe").await;
    prof.expect("dans notre groupe").await;
    // The other group hears none of it: its members, reading up to what they say to each
    // other afterwards (delivered in order), never got it.
    let others: Vec<usize> = (1..4).filter(|n| rooms[*n] != rooms[speaker]).collect();
    for (n, &other) in others.iter().enumerate() {
        students[other].send(&format!("autre groupe {n}")).await;
        let listener = others[1 - n];
        let lines = students[listener]
            .lines_until(&format!("autre groupe {n}"))
            .await;
        assert!(
            lines.iter().all(|line| !line.contains("dans notre groupe")),
            "{lines:?}"
        );
    }
    // While groups are fixed, a student may not leave its group, on either node.
    students[3].send("/join main").await;
    students[3].expect("fixé les groupes").await;

    prof.send("/groups end").await;
    for student in &mut students {
        assert_eq!(student.room_entered().await, "main");
    }
}

#[tokio::test]
async fn a_ban_on_one_node_turns_the_address_away_on_every_node() {
    use crate::helpers::{TcpClient, stream_from};
    use tokio::io::AsyncReadExt;
    let (a, b, _backing) = two_nodes().await;
    let mut prof = a.tcp_teacher("prof").await;
    let (first, second) = (
        std::net::IpAddr::from([127, 0, 0, 5]),
        std::net::IpAddr::from([127, 0, 0, 6]),
    );
    let mut far = TcpClient::connect_from(first, b.tcp).await;
    far.send("/nick loin").await;
    far.expect("maintenant loin").await;
    let mut named = TcpClient::connect_from(second, b.tcp).await;
    named.send("/nick nomme").await;
    named.expect("maintenant nomme").await;
    prof.expect("nomme").await;

    // By address, from A, for a student on B.
    prof.send("/ban 127.0.0.5").await;
    far.expect("bannie").await;
    // By name: only B knew the address; every node learns it.
    prof.send("/ban nomme").await;
    named.expect("bannie").await;
    for addr in [first, second] {
        for app in [&a, &b] {
            let deadline = std::time::Instant::now() + PATIENCE;
            loop {
                // The first thing said: the ban, or (not yet known there) the greeting.
                let mut stream = stream_from(addr, app.tcp).await;
                let mut first = vec![0u8; 256];
                let read = tokio::time::timeout(PATIENCE, stream.read(&mut first))
                    .await
                    .expect("an answer")
                    .expect("read");
                let text = String::from_utf8_lossy(&first[..read]).into_owned();
                if text.contains("bannie") {
                    break;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "{addr} let in: {text}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}
