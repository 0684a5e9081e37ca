//! Starting a cluster node: what is refused in one clear line, a cluster started from a
//! lone server's database, and a node that restarts and goes on where it was.

use serde_json::json;

use crate::cluster::{agreed, assert_increasing, hello, node, transcript, two_nodes};
use crate::helpers::{one_line_failure, spawn_app_with, tchat, temp_db};
use crate::nats::Nats;

#[tokio::test]
async fn what_keeps_a_node_from_starting_is_one_clear_line() {
    let nats = Nats::start().await;
    let (dir, db) = temp_db();
    let quiet = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let nobody = format!("nats://{}", quiet.local_addr().expect("its address"));
    drop(quiet);
    let args = |url: &str, db: &std::path::Path| {
        let mut command = tchat();
        command
            .args([
                "--tcp",
                "127.0.0.1:0",
                "--http",
                "127.0.0.1:0",
                "--node",
                "a",
            ])
            .args(["--cluster", url, "--db"])
            .arg(db);
        command
    };
    let (line, stderr) = one_line_failure(&mut args(&nobody, &db));
    assert!(line.contains("cannot reach the cluster"), "{stderr}");
    assert!(!db.exists(), "a failed start leaves no database behind");
    let (line, stderr) = one_line_failure(&mut args(&nats.url, std::path::Path::new(":memory:")));
    assert!(
        line.contains("--cluster needs a history database"),
        "{stderr}"
    );

    // A database of a conversation of its own, once the cluster has one.
    let a = node(&nats, "a", &dir.path().join("a.db")).await;
    let mut talker = a.tcp_named("talker").await;
    talker.send("la conversation du cluster").await;
    let lone = spawn_app_with(|config| config.db = db.clone()).await;
    let mut other = lone.tcp_named("ailleurs").await;
    other.send("une autre conversation").await;
    lone.stop().await;
    let (line, stderr) = one_line_failure(&mut args(&nats.url, &db));
    assert!(line.contains("holds a conversation of its own"), "{stderr}");
    assert!(line.contains("--db"), "{stderr}");
}

#[tokio::test]
async fn a_cluster_started_from_a_lone_servers_database_keeps_its_ids_increasing() {
    let nats = Nats::start().await;
    let ((_a_dir, a_db), (_b_dir, b_db)) = (temp_db(), temp_db());
    let lone = spawn_app_with(|config| config.db = a_db.clone()).await;
    let mut before = lone.tcp_named("avant").await;
    for n in 0..5 {
        before.send(&format!("seul {n}")).await;
    }
    let mut page = lone.ws_named("page").await;
    page.frames_until("seul 4").await;
    let old = transcript(&lone).await;
    let last_old = old.last().expect("events").0;
    drop(before);
    drop(page);
    lone.stop().await;

    let a = node(&nats, "a", &a_db).await;
    let b = node(&nats, "b", &b_db).await;
    let mut watcher = a.ws_named("watcher").await;
    let mut talker = b.tcp_named("apres").await;
    talker.send("dans le cluster").await;
    let said = watcher.frames_until("dans le cluster").await;
    let id = said.last().expect("the message")["id"]
        .as_u64()
        .expect("an id");
    assert!(id > last_old, "{id} after {last_old}");
    // The node that brought the old conversation keeps it, before the cluster's.
    let on_a = transcript(&a).await;
    assert!(on_a.iter().any(|event| event.3 == "seul 4"), "{on_a:#?}");
    assert_increasing(&on_a);
    let on_b = transcript(&b).await;
    assert!(on_b.iter().all(|event| event.0 > last_old), "{on_b:#?}");
    // Nor does a guest number given before come again.
    let (_, guest) = hello(&b, json!({"type": "hello"})).await;
    assert_eq!(guest["nick"], "guest3", "{guest}");
}

#[tokio::test]
async fn a_restarted_node_goes_on_from_where_it_was_with_the_rooms_and_their_rules() {
    let (a, b, backing) = two_nodes().await;
    let mut prof = a.tcp_teacher("prof").await;
    prof.send("/room create atelier").await;
    prof.send("/topic les fractions").await;
    let mut student = b.tcp_named("eleve").await;
    student.send("avant le redémarrage").await;
    agreed(&[&a, &b], 5).await;
    drop(student);
    b.stop().await;

    prof.send("/lock").await;
    prof.send("pendant que B est arrêté").await;
    let b = node(&backing.nats, "b", &backing.dbs.1).await;
    let events = agreed(&[&a, &b], 8).await;
    assert_increasing(&events);
    assert!(
        events
            .iter()
            .any(|event| event.3 == "pendant que B est arrêté")
    );

    // B knows the room, the topic and the lock it was away for.
    let (mut page, welcome) = hello(&b, json!({"type": "hello", "nick": "retour"})).await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    let rooms: Vec<_> = welcome["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .map(|room| room["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(rooms.contains(&"atelier".to_owned()), "{rooms:?}");
    assert_eq!(welcome["room"]["topic"], "les fractions", "{welcome}");
    assert_eq!(welcome["room"]["locked"], true, "{welcome}");
    page.send(json!({"type": "say", "text": "je peux ?"})).await;
    page.expect_error("locked").await;
}

#[tokio::test]
async fn a_log_made_anew_is_another_conversation_and_a_page_from_the_old_one_starts_afresh() {
    let (a, b, backing) = two_nodes().await;
    let (mut page, welcome) = hello(&a, json!({"type": "hello", "nick": "ancien"})).await;
    let old_epoch = welcome["epoch"].clone();
    page.send(json!({"type": "say", "text": "dans l'ancienne"}))
        .await;
    let seen = page.frames_until("dans l'ancienne").await;
    let last = seen.last().expect("the message")["id"]
        .as_u64()
        .expect("an id");
    drop(page);
    a.stop().await;
    b.stop().await;
    drop(backing);

    // Another NATS server, another log; a node with a database of its own.
    let nats = Nats::start().await;
    let (_dir, db) = temp_db();
    let fresh = node(&nats, "a", &db).await;
    let mut talker = fresh.tcp_named("nouveau").await;
    talker.send("dans la nouvelle").await;
    agreed(&[&fresh], 3).await;
    let back = json!({"type": "hello", "nick": "ancien", "since": last, "epoch": old_epoch});
    let (_page, welcome) = hello(&fresh, back).await;
    assert_ne!(welcome["epoch"], old_epoch);
    let texts: Vec<_> = welcome["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|event| event["text"].as_str())
        .collect();
    assert!(texts.contains(&"dans la nouvelle"), "{welcome:#}");
}
