//! The conversation survives restarts and crashes, and the teacher gets a transcript.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;

use serde_json::{Value, json};

use crate::helpers::{
    Running, TcpClient, WsClient, http_get, one_line_failure, spawn_app_with, start_binary, tchat,
    temp_db,
};

fn messages(history: &Value) -> Vec<(u64, String)> {
    history
        .as_array()
        .expect("a list of events")
        .iter()
        .filter(|frame| frame["type"] == "message")
        .map(|frame| {
            let id = frame["id"].as_u64().expect("id");
            (id, frame["text"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

#[tokio::test]
async fn messages_survive_a_restart_and_ids_continue() {
    let (_dir, db) = temp_db();
    let app = spawn_app_with(|config| config.db = db.clone()).await;
    let mut page = app.ws_named("camille").await;
    let mut alice = app.tcp_named("alice").await;
    alice.send("avant le redémarrage").await;
    let before = page.expect("message").await["id"].as_u64().expect("id");
    app.stop().await;

    let app = spawn_app_with(|config| config.db = db.clone()).await;
    let mut late = app.tcp_client().await;
    assert_eq!(late.line().await, "* Derniers messages :");
    assert_eq!(late.line().await, "<alice> avant le redémarrage");
    let mut page = app.ws_named("camille").await;
    late.send("après").await;
    let after = page.expect("message").await["id"].as_u64().expect("id");
    assert!(after > before, "{after} after {before}");
}

#[tokio::test]
async fn a_page_resuming_across_a_restart_gets_exactly_what_it_missed() {
    let (_dir, db) = temp_db();
    let app = spawn_app_with(|config| config.db = db.clone()).await;
    let mut talker = app.tcp_named("talker").await;
    let mut page = app.ws_named("reader").await;
    talker.send("vu").await;
    let seen = page.expect("message").await["id"].as_u64().expect("id");
    drop(page);
    talker.send("manqué avant").await;
    talker.send("/who").await;
    talker.expect("connecté").await;
    app.stop().await;

    let app = spawn_app_with(|config| config.db = db.clone()).await;
    let mut talker = app.tcp_named("talker").await;
    talker.send("manqué après").await;
    talker.send("/who").await;
    talker.expect("connecté").await;

    let (_page, welcome) = app.ws_resuming("reader", seen).await;
    let ids: Vec<u64> = welcome["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|frame| frame["id"].as_u64().expect("id"))
        .collect();
    assert!(
        ids.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "no gap: {ids:?}"
    );
    assert_eq!(ids.first(), Some(&(seen + 1)), "nothing seen twice");
    let texts: Vec<_> = messages(&welcome["history"])
        .into_iter()
        .map(|(_, text)| text)
        .collect();
    assert_eq!(texts, ["manqué avant", "manqué après"]);
    assert_eq!(welcome["missed"], 0);
}

#[tokio::test]
async fn resuming_further_back_than_memory_reads_the_database() {
    let (_dir, db) = temp_db();
    let app = spawn_app_with(|config| {
        config.db = db.clone();
        config.memory = 3;
        config.history = 3;
        config.tcp_history = 3;
    })
    .await;
    let mut page = app.ws_named("reader").await;
    let mut talker = app.tcp_named("talker").await;
    talker.send("0").await;
    let seen = page.expect("message").await["id"].as_u64().expect("id");
    for n in 1..=10 {
        talker.send(&n.to_string()).await;
    }
    let last = loop {
        let frame = page.expect("message").await;
        if frame["text"] == "10" {
            break frame["id"].as_u64().expect("id");
        }
    };
    let (_again, welcome) = app.ws_resuming("reader2", seen).await;
    let ids: Vec<u64> = welcome["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|frame| frame["id"].as_u64().expect("id"))
        .filter(|id| *id <= last)
        .collect();
    assert_eq!(ids, ((seen + 1)..=last).collect::<Vec<_>>());
    assert_eq!(welcome["missed"], 0);
}

#[tokio::test]
async fn history_prints_more_on_request() {
    let app = spawn_app_with(|_| {}).await;
    let mut alice = app.tcp_named("alice").await;
    for n in 1..=30 {
        alice.send(&format!("m{n}")).await;
    }
    let mut bob = app.tcp_client().await;
    bob.expect("m30").await;
    bob.send("/history 25").await;
    assert_eq!(bob.line().await, "* Derniers messages :");
    for n in 6..=30 {
        assert_eq!(bob.line().await, format!("<alice> m{n}"));
    }
}

/// Starts the binary on `db` with free ports; returns it with its HTTP and TCP addresses.
fn start(db: &Path) -> (Running, SocketAddr, SocketAddr) {
    let mut command = tchat();
    command.args(["--max-rate", "0", "--db"]).arg(db);
    let (child, http, tcp, _) = start_binary(command);
    (child, http, tcp)
}

fn export(db: &Path, format: &str) -> String {
    let output = tchat()
        .args(["export", "--format", format, "--db"])
        .arg(db)
        .output()
        .expect("run tchat export");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[tokio::test]
async fn after_kill_9_every_message_anyone_received_is_in_the_database() {
    let (_dir, db) = temp_db();
    let (mut server, http, tcp) = start(&db);
    let mut page = WsClient::connect(http).await;
    page.send(json!({"type": "hello", "nick": "témoin"})).await;
    page.welcome().await;
    let mut listener = TcpClient::connect(tcp).await;

    // Three clients send as fast as they can until the server dies under them.
    let mut senders = Vec::new();
    for who in 0..3 {
        senders.push(tokio::spawn(async move {
            let mut client = TcpClient::connect(tcp).await;
            for n in 0.. {
                let line = format!("c{who}-{n}\n");
                if tokio::io::AsyncWriteExt::write_all(client.writer(), line.as_bytes())
                    .await
                    .is_err()
                {
                    break;
                }
            }
        }));
    }
    let mut seen = Vec::new();
    while seen.len() < 300 {
        let frame = page.next().await;
        if frame["type"] == "message" {
            seen.push((
                frame["id"].as_u64().expect("id"),
                frame["text"].as_str().unwrap_or_default().to_owned(),
            ));
        }
    }
    let mut heard = Vec::new();
    while heard.len() < 100 {
        heard.push(listener.line().await);
    }
    server.kill().expect("kill -9");
    server.wait().expect("reap");
    // Whatever else was already on its way to the clients counts too.
    while let Some(frame) = page.try_next().await {
        if frame["type"] == "message" {
            seen.push((
                frame["id"].as_u64().expect("id"),
                frame["text"].as_str().unwrap_or_default().to_owned(),
            ));
        }
    }
    // The server died mid-write: the last line may be cut, and a cut line was never whole.
    let rest = listener.rest().await;
    heard.extend(
        rest.split_inclusive("\r\n")
            .filter_map(|line| line.strip_suffix("\r\n"))
            .map(str::to_owned),
    );
    for sender in senders {
        sender.await.expect("sender");
    }

    let saved: Value = serde_json::from_str(&export(&db, "json")).expect("JSON transcript");
    let saved: HashSet<(u64, String)> = messages(&saved).into_iter().collect();
    for message in &seen {
        assert!(
            saved.contains(message),
            "{message:?} was seen but not saved"
        );
    }
    // Lines sent back to back arrive as messages of several lines: a TCP client hears each
    // one's first line, then its continuations.
    let texts: HashSet<&str> = saved
        .iter()
        .filter_map(|(_, text)| text.lines().next())
        .collect();
    for line in heard.iter().filter_map(|line| line.split_once("> ")) {
        assert!(texts.contains(line.1), "{line:?} was heard but not saved");
    }

    // And the conversation goes on, numbering after everything saved.
    let highest = saved
        .iter()
        .map(|(id, _)| *id)
        .max()
        .expect("saved messages");
    let (mut server, http, _) = start(&db);
    let mut page = WsClient::connect(http).await;
    page.send(json!({"type": "hello", "nick": "retour"})).await;
    page.welcome().await;
    page.send(json!({"type": "say", "text": "encore"})).await;
    let id = page.expect("message").await["id"].as_u64().expect("id");
    assert!(id > highest);
    server.kill().expect("kill");
    server.wait().expect("reap");
}

#[tokio::test]
async fn transcripts_round_trip_in_every_format() {
    let (_dir, db) = temp_db();
    let app = spawn_app_with(|config| config.db = db.clone()).await;
    let mut page = app.ws_named("zoé").await;
    let tricky = r#"Il a dit "bonjour", puis; "au revoir""#;
    page.send(json!({"type": "say", "text": tricky})).await;
    page.send(json!({"type": "say", "text": "/me sourit"}))
        .await;
    page.expect("message").await;
    page.expect("message").await;

    let (status, headers, body) = http_get(app.http, "/transcript.txt").await;
    assert!(status.contains("200"), "{status}");
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-type" && v.starts_with("text/plain"))
    );
    assert!(body.contains(&format!("<zoé> {tricky}")), "{body}");
    assert!(body.contains("• zoé sourit"), "{body}");
    let (_, _, json_body) = http_get(app.http, "/transcript.json").await;
    let frames: Value = serde_json::from_str(&json_body).expect("JSON");
    assert!(messages(&frames).iter().any(|(_, text)| text == tricky));
    let (status, _, _) = http_get(app.http, "/transcript.csv?since=not-a-date").await;
    assert!(status.contains("400"), "{status}");
    app.stop().await;

    let csv_text = export(&db, "csv");
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    assert_eq!(
        reader.headers().expect("header").iter().collect::<Vec<_>>(),
        ["id", "time", "type", "nick", "via", "text", "by"]
    );
    let rows: Vec<_> = reader
        .records()
        .map(|row| row.expect("valid CSV"))
        .collect();
    assert!(
        rows.iter()
            .any(|row| &row[2] == "message" && &row[3] == "zoé" && &row[5] == tricky)
    );
    assert!(
        rows.iter()
            .any(|row| &row[2] == "action" && &row[5] == "sourit")
    );

    let frames: Value = serde_json::from_str(&export(&db, "json")).expect("JSON");
    assert!(messages(&frames).iter().any(|(_, text)| text == tricky));
    assert!(export(&db, "txt").contains(&format!("<zoé> {tricky}")));

    let future = tchat()
        .args(["export", "--since", "2999-01-01", "--db"])
        .arg(&db)
        .output()
        .expect("export");
    assert!(future.status.success());
    assert!(future.stdout.is_empty());
}

fn fails_cleanly(args: &[&str], db: &Path, expected: &str) {
    let (line, stderr) = one_line_failure(
        tchat()
            .args(["--tcp", "127.0.0.1:0", "--http", "127.0.0.1:0"])
            .args(args)
            .arg("--db")
            .arg(db),
    );
    assert!(line.contains(&db.display().to_string()), "{stderr}");
    assert!(line.contains(expected), "{stderr}");
}

#[tokio::test]
async fn a_database_that_cannot_be_used_is_one_line_naming_it() {
    let (dir, db) = temp_db();
    fails_cleanly(
        &[],
        &dir.path().join("missing-dir").join("x.db"),
        "No such file",
    );

    let corrupt = dir.path().join("corrupt.db");
    std::fs::write(&corrupt, vec![b'x'; 8192]).expect("write");
    fails_cleanly(&[], &corrupt, "not a database");

    let app = spawn_app_with(|config| config.db = db.clone()).await;
    fails_cleanly(&[], &db, "in use by another tchat");
    app.stop().await;

    let output = tchat()
        .args(["export", "--db"])
        .arg(dir.path().join("nothing.db"))
        .output()
        .expect("export");
    assert_eq!(output.status.code(), Some(1));
}
