//! Rooms on disk: a page in a group resumes across a restart in its group, rooms with their
//! rules and the groups come back, a room's transcript holds that room alone, and a database
//! from before rooms goes on as the main room.

use std::collections::HashSet;
use std::path::Path;

use serde_json::{Value, json};

use crate::helpers::{
    TestApp, WsClient, http_get, one_line_failure, spawn_app_with, tchat, temp_db,
};

/// tchat on the database `db`, keeping only `memory` events per room in memory (so that a
/// restart leaves most of the past on disk alone).
async fn on(db: &Path, memory: usize) -> TestApp {
    let db = db.to_owned();
    spawn_app_with(move |config| {
        config.db = db;
        config.memory = memory;
        config.history = memory;
        config.tcp_history = memory;
    })
    .await
}

/// The ids and texts of a list of event frames.
fn ids(events: &Value) -> Vec<u64> {
    list(events)
        .iter()
        .filter_map(|event| event["id"].as_u64())
        .collect()
}

fn texts(events: &Value) -> Vec<String> {
    list(events)
        .iter()
        .filter(|event| event["type"] == "message")
        .map(|event| event["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn list(value: &Value) -> Vec<Value> {
    value.as_array().cloned().unwrap_or_default()
}

/// A transcript from the server (tests run on the machine itself, which needs no token).
async fn transcript(app: &TestApp, query: &str) -> (String, String, String) {
    let (status, headers, body) = http_get(app.http, &format!("/transcript.{query}")).await;
    let disposition = headers
        .iter()
        .find(|(name, _)| name == "content-disposition")
        .map(|(_, value)| value.clone())
        .unwrap_or_default();
    (status, disposition, body)
}

/// `tchat export` on `db` with `args`, its standard output.
fn export(db: &Path, args: &[&str]) -> String {
    let output = tchat()
        .arg("export")
        .args(args)
        .arg("--db")
        .arg(db)
        .output()
        .expect("run tchat export");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[tokio::test]
async fn a_page_in_a_group_resumes_across_a_restart_in_its_group_without_gap_or_duplicate() {
    let (_dir, db) = temp_db();
    let app = on(&db, 3).await;
    let mut prof = app.tcp_teacher("prof").await;
    let mut zoe = app.ws_named("zoe").await;
    let mut students = vec![app.tcp_named("ana").await, app.tcp_named("bob").await];
    prof.send("/groups 2").await;
    let group = zoe.expect("room").await["name"]
        .as_str()
        .expect("a group")
        .to_owned();
    let mut other = None;
    for student in &mut students {
        if student.room_entered().await != group {
            other = Some(student.nick.clone());
        }
    }
    // Three students in two groups: one of the TCP students is in the other group.
    let other = other.expect("a student in the other group");
    let mut elsewhere = students.remove(usize::from(students[0].nick != other));
    prof.send(&format!("/join {group}")).await;
    prof.expect(&format!("dans le salon {group}")).await;
    prof.send("vu").await;
    let seen = zoe.frames_until("vu").await;
    let seen = seen
        .last()
        .and_then(|frame| frame["id"].as_u64())
        .expect("id");
    zoe.close().await;

    prof.send("manqué 1").await;
    prof.send("manqué 2").await;
    prof.send("/announce pause").await;
    // The teacher's lines are handled in order: all three are saved once the pause is seen.
    elsewhere.expect("pause").await;
    // Enough said in the other group that memory, after the restart, holds almost none of
    // zoe's group.
    for n in 1..=5 {
        elsewhere.send(&format!("ailleurs {n}")).await;
    }
    prof.expect(&format!("<{other}> ailleurs 5")).await;
    drop((prof, elsewhere, students));
    app.stop().await;

    let app = on(&db, 3).await;
    let mut prof = app.tcp_teacher("prof").await;
    let mut back = app.tcp_named(&other).await;
    assert_ne!(back.room_entered().await, group, "back in the other group");
    back.send("ailleurs après").await;
    prof.expect("ailleurs après").await;
    // What zoe should get: every event of her group and of every room after `seen`, as the
    // database has them now (nobody acts while she reconnects).
    let (_, _, all) = transcript(&app, "json").await;
    let all: Value = serde_json::from_str(&all).expect("JSON transcript");
    let expected: Vec<u64> = list(&all)
        .iter()
        .filter(|event| event["room"] == group.as_str() || event["room"] == "*")
        .filter_map(|event| event["id"].as_u64())
        .filter(|id| *id > seen)
        .collect();

    let mut zoe = WsClient::connect(app.http).await;
    zoe.send(json!({"type": "hello", "nick": "zoe", "since": seen, "room": group}))
        .await;
    let welcome = zoe.welcome().await;
    assert_eq!(welcome["here"], group.as_str(), "back in her group");
    assert_eq!(ids(&welcome["history"]), expected, "no gap, nothing else");
    assert_eq!(
        texts(&welcome["history"]),
        ["manqué 1", "manqué 2"],
        "her group's lines, not the other's"
    );
    assert_eq!(welcome["missed"], 0);
    prof.send(&format!("/join {group}")).await;
    prof.send("après").await;
    let live = zoe.frames_until("après").await;
    let newest = expected.last().copied().unwrap_or(seen);
    let again: Vec<u64> = live
        .iter()
        .filter_map(|frame| frame["id"].as_u64())
        .filter(|id| *id <= newest)
        .collect();
    assert!(again.is_empty(), "seen twice: {again:?}");
    app.stop().await;
}

#[tokio::test]
async fn rooms_their_rules_and_the_groups_survive_a_restart() {
    let (_dir, db) = temp_db();
    let app = on(&db, 50).await;
    let mut prof = app.tcp_teacher("prof").await;
    prof.send("/room create atelier").await;
    prof.send("/join atelier").await;
    prof.expect("dans le salon atelier").await;
    for command in [
        "/topic Atelier du jour",
        "/lock",
        "/slow 30",
        "/private off",
    ] {
        prof.send(command).await;
    }
    prof.expect("privés").await;
    let mut zoe = app.ws_named("zoe").await;
    let mut ana = app.tcp_named("ana").await;
    prof.send("/groups 2").await;
    let zoes = zoe.expect("room").await["name"]
        .as_str()
        .expect("a group")
        .to_owned();
    let anas = ana.room_entered().await;
    // A rename takes the group along.
    zoe.send(json!({"type": "nick", "nick": "zoette"})).await;
    while zoe.expect("nick").await["new"] != "zoette" {}
    drop((zoe, ana, prof));
    app.stop().await;

    let app = on(&db, 50).await;
    // A page coming back without saying where lands in its group, among the same rooms.
    let mut zoe = WsClient::connect(app.http).await;
    zoe.send(json!({"type": "hello", "nick": "zoette"})).await;
    let welcome = zoe.welcome().await;
    assert_eq!(welcome["here"], zoes.as_str());
    let rooms: HashSet<String> = list(&welcome["rooms"])
        .iter()
        .filter_map(|room| room["name"].as_str().map(str::to_owned))
        .collect();
    let open: HashSet<String> = ["main", "atelier", "groupe-1", "groupe-2"]
        .map(str::to_owned)
        .into();
    assert_eq!(rooms, open);
    // A TCP student arrives as a guest in main; taking its name takes it to its group,
    // which it may not leave: the groups are still fixed.
    let mut ana = app.tcp_named("ana").await;
    assert_eq!(ana.room_entered().await, anas);
    ana.send("/join main").await;
    ana.expect("Le prof a fixé les groupes").await;
    // The workshop's rules, once the groups end and a student may go there.
    let mut prof = app.tcp_teacher("prof").await;
    prof.send("/groups end").await;
    assert_eq!(ana.room_entered().await, "main");
    // Locked: a student may not come in to be seen there.
    ana.send("/join atelier").await;
    ana.expect("verrouillée").await;
    prof.send("/join atelier").await;
    prof.send("/unlock").await;
    prof.expect("a rouvert la conversation").await;
    ana.send("/join atelier").await;
    assert_eq!(ana.room_entered().await, "atelier");
    ana.expect("Atelier du jour").await;
    ana.send("/msg zoette coucou").await;
    ana.expect("privés entre élèves sont coupés").await;
    // A move counts as a line for slow mode: the next line waits.
    ana.send("un").await;
    ana.expect("Mode lent").await;
    app.stop().await;
}

#[tokio::test]
async fn the_transcript_of_a_room_holds_only_that_room_and_every_rooms_says_where() {
    let (_dir, db) = temp_db();
    let app = on(&db, 50).await;
    let mut prof = app.tcp_teacher("prof").await;
    let mut alice = app.tcp_named("alice").await;
    let mut bob = app.tcp_named("bob").await;
    alice.send("un").await;
    prof.expect("<alice> un").await;
    // Only the main room so far: no room anywhere, as before rooms.
    let (_, disposition, text) = transcript(&app, "txt").await;
    assert!(disposition.contains("filename=\"tchat-transcript.txt\""));
    assert!(
        text.lines().all(|line| !line.contains(" [main] ")),
        "{text}"
    );
    assert!(text.contains(" <alice> un\n"), "{text}");
    let (_, _, csv) = transcript(&app, "csv").await;
    assert!(csv.starts_with("id,time,type,nick,via,text,by\n"), "{csv}");

    prof.send("/room create atelier").await;
    alice.send("/join atelier").await;
    alice.room_entered().await;
    alice.send("secret").await;
    prof.expect("[atelier] <alice> secret").await;
    bob.send("public").await;
    prof.expect("<bob> public").await;
    prof.send("/announce pour tous").await;
    bob.expect("pour tous").await;

    let (status, disposition, text) = transcript(&app, "txt?room=atelier").await;
    assert!(status.contains("200"), "{status}");
    assert!(
        disposition.contains("filename=\"tchat-transcript-atelier.txt\""),
        "{disposition}"
    );
    assert!(text.contains(" <alice> secret\n"), "{text}");
    assert!(
        text.contains("pour tous"),
        "announcements reach every room: {text}"
    );
    assert!(
        !text.contains("public") && !text.contains(" <alice> un\n"),
        "{text}"
    );
    assert!(
        !text.contains("[atelier]"),
        "one room needs no room: {text}"
    );
    let (_, _, json) = transcript(&app, "json?room=atelier").await;
    let events: Value = serde_json::from_str(&json).expect("JSON");
    let rooms: HashSet<&str> = events
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|event| event["room"].as_str())
        .collect();
    assert_eq!(rooms, HashSet::from(["atelier", "*"]));
    let (_, _, csv) = transcript(&app, "csv?room=atelier").await;
    assert!(csv.contains("secret") && !csv.contains("public"), "{csv}");

    // Every room: each line says where.
    let (_, _, text) = transcript(&app, "txt").await;
    assert!(text.contains(" [atelier] <alice> secret\n"), "{text}");
    assert!(text.contains(" [main] <bob> public\n"), "{text}");
    assert!(text.contains(" [main] <alice> un\n"), "{text}");
    assert!(text.contains(" [*] "), "{text}");
    let (_, _, csv) = transcript(&app, "csv").await;
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let head = reader.headers().expect("a header").clone();
    assert_eq!(head.iter().next_back(), Some("room"));
    let public = reader
        .records()
        .map(|row| row.expect("a row"))
        .find(|row| &row[5] == "public")
        .expect("bob's line");
    assert_eq!(&public[7], "main");

    for bad in ["Bad%20Name", "%2A", "", &"x".repeat(25)] {
        let (status, _, body) = transcript(&app, &format!("txt?room={bad}")).await;
        assert!(status.contains("400"), "{bad}: {status}");
        assert!(body.contains("Nom de salon invalide"), "{body}");
    }
    drop((prof, alice, bob));
    app.stop().await;

    let text = export(&db, &["--room", "atelier"]);
    assert!(
        text.contains(" <alice> secret\n") && !text.contains("public"),
        "{text}"
    );
    let text = export(&db, &["--format", "csv"]);
    assert!(
        text.starts_with("id,time,type,nick,via,text,by,room\n"),
        "{text}"
    );
    let (line, _) = one_line_failure(tchat().args(["export", "--room", "a b", "--db"]).arg(&db));
    assert!(line.contains("Nom de salon invalide"), "{line}");
}

#[tokio::test]
async fn a_database_from_before_rooms_is_all_in_main_and_ids_go_on() {
    let (_dir, db) = temp_db();
    {
        // Schema version 2: teachers' columns, no rooms.
        let old = rusqlite::Connection::open(&db).expect("create");
        old.execute_batch(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL,
                 kind TEXT NOT NULL, nick TEXT NOT NULL, via TEXT NOT NULL, text TEXT NOT NULL,
                 actor TEXT NOT NULL DEFAULT '', number INTEGER NOT NULL DEFAULT 0,
                 teacher INTEGER NOT NULL DEFAULT 0);
             CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE teacher_nicks (key TEXT PRIMARY KEY);
             INSERT INTO meta VALUES ('epoch', 'ancienne');
             INSERT INTO events (id, ts, kind, nick, via, text) VALUES
                 (1, 1700000000000, 'message', 'alice', 'tcp', 'premier'),
                 (2, 1700000001000, 'message', 'bob', 'web', 'deuxième'),
                 (3, 1700000002000, 'message', 'alice', 'tcp', 'troisième');
             INSERT INTO events (id, ts, kind, nick, via, text, actor)
                 VALUES (4, 1700000003000, 'topic', '', '', 'Chapitre 1', 'prof');
             PRAGMA user_version = 2;",
        )
        .expect("an old database");
    }
    let version = |db: &Path| -> i64 {
        rusqlite::Connection::open(db)
            .expect("open")
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .expect("version")
    };
    // Exported as it is: no room column while only main exists, and the file untouched.
    let csv = export(&db, &["--format", "csv"]);
    assert!(csv.starts_with("id,time,type,nick,via,text,by\n"), "{csv}");
    assert_eq!(csv.lines().count(), 5, "{csv}");
    let json: Value = serde_json::from_str(&export(&db, &["--format", "json"])).expect("JSON");
    assert!(
        list(&json).iter().all(|event| event["room"] == "main"),
        "{json}"
    );
    assert!(export(&db, &["--room", "main"]).contains("<bob> deuxième"));
    assert_eq!(version(&db), 2, "export never migrates");

    let app = on(&db, 50).await;
    let (mut page, welcome) = app.ws_resuming("zoe", 1).await;
    assert_eq!(welcome["here"], "main");
    assert_eq!(welcome["room"]["topic"], "Chapitre 1");
    assert_eq!(texts(&welcome["history"]), ["deuxième", "troisième"]);
    assert_eq!(ids(&welcome["history"]), [2, 3, 4]);
    assert_eq!(welcome["missed"], 0);
    let mut alice = app.tcp_named("alice").await;
    alice.send("après").await;
    let said = page.expect("message").await;
    assert_eq!(said["text"], "après");
    assert_eq!(said["room"], "main");
    assert!(said["id"].as_u64().expect("id") > 4, "{said}");
    drop((page, alice));
    app.stop().await;
    assert_eq!(version(&db), 3);
    let rooms: Vec<String> = rusqlite::Connection::open(&db)
        .expect("open")
        .prepare("SELECT DISTINCT room FROM events")
        .and_then(|mut rows| rows.query_map([], |row| row.get(0))?.collect())
        .expect("rooms");
    assert_eq!(rooms, ["main"]);
}

#[tokio::test]
async fn the_end_of_the_groups_tells_every_student_that_every_group_closed() {
    let (_dir, db) = temp_db();
    let app = on(&db, 50).await;
    let mut prof = app.tcp_teacher("prof").await;
    let mut students = vec![app.tcp_named("ana").await, app.tcp_named("bea").await];
    prof.send("/groups 2").await;
    for student in &mut students {
        student.room_entered().await;
    }
    prof.send("/groups end").await;
    prof.send("/announce c'est fini").await;
    // Whichever group it was in, and whichever closed first, each is told of both.
    for student in &mut students {
        let lines = student.lines_until("c'est fini").await;
        for group in ["groupe-1", "groupe-2"] {
            assert!(
                lines
                    .iter()
                    .any(|line| line.contains(&format!("a fermé le salon {group}"))),
                "{group}: {lines:?}"
            );
        }
    }
    app.stop().await;
}
