//! Several tchat nodes sharing one conversation through a real NATS JetStream server: the
//! same events, in the same order, under the same ids, on every node and every client.

use serde_json::{Value, json};

use crate::helpers::{PATIENCE, TestApp, spawn_app_with, temp_db};
use crate::nats::Nats;

/// A tchat node called `node` of the cluster served by `nats`, keeping its replica in `db`.
pub async fn node(nats: &Nats, name: &str, db: &std::path::Path) -> TestApp {
    let (url, name, db) = (nats.url.clone(), name.to_owned(), db.to_owned());
    spawn_app_with(move |config| {
        config.cluster = vec![url];
        config.node = Some(name);
        config.db = db;
    })
    .await
}

/// A node's whole transcript, as `(id, type, text)` of each event.
pub async fn transcript(app: &TestApp) -> Vec<(u64, String, String)> {
    let (_, _, body) = crate::helpers::http_get(app.http, "/transcript.json").await;
    let events: Value = serde_json::from_str(&body).expect("JSON");
    events
        .as_array()
        .expect("a list")
        .iter()
        .map(|event| {
            (
                event["id"].as_u64().expect("an id"),
                event["type"].as_str().unwrap_or_default().to_owned(),
                event["text"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Waits until every node's transcript is the same, at least `count` events long, and
/// returns it; fails with both if they never agree.
pub async fn agreed(nodes: &[&TestApp], count: usize) -> Vec<(u64, String, String)> {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let mut all = Vec::new();
        for node in nodes {
            all.push(transcript(node).await);
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
fn assert_increasing(events: &[(u64, String, String)]) {
    assert!(
        events.windows(2).all(|pair| pair[0].0 < pair[1].0),
        "ids not strictly increasing: {events:#?}"
    );
}

#[tokio::test]
async fn two_nodes_share_one_conversation_with_the_same_ids() {
    let nats = Nats::start().await;
    let ((_a_dir, a_db), (_b_dir, b_db)) = (temp_db(), temp_db());
    let a = node(&nats, "a", &a_db).await;
    let b = node(&nats, "b", &b_db).await;

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
    let texts: Vec<_> = events.iter().map(|event| event.2.as_str()).collect();
    assert!(texts.contains(&"bonjour de A") && texts.contains(&"salut de B"));
}

#[tokio::test]
async fn a_page_resumes_on_another_node_without_gap_or_duplicate() {
    let nats = Nats::start().await;
    let ((_a_dir, a_db), (_b_dir, b_db)) = (temp_db(), temp_db());
    let a = node(&nats, "a", &a_db).await;
    let b = node(&nats, "b", &b_db).await;

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
        if left == 1 && events.iter().any(|event| event.2 == "trois") {
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
