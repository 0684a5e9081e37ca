//! Rooms and breakout groups, over both transports: what is said in a room stays there,
//! teachers see every room, `/groups` deals the students out and brings them back, and a
//! page that changed room resumes where it was.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::helpers::{TEACHER, WsClient, spawn_app, spawn_app_with};

#[tokio::test]
async fn messages_stay_in_their_room_and_a_tcp_teacher_sees_every_room_prefixed() {
    let app = spawn_app().await;
    let mut prof = app.tcp_teacher("prof").await;
    let mut alice = app.tcp_named("alice").await;
    let mut bob = app.tcp_named("bob").await;
    let mut zoe = app.ws_named("zoe").await;
    prof.send("/room create atelier").await;
    prof.expect("a ouvert le salon atelier").await;
    alice.send("/join atelier").await;
    alice.expect("Tu es maintenant dans le salon atelier").await;
    alice.send("secret de l'atelier").await;
    // The teacher, in the main room, sees the workshop's line with its room in front.
    let seen = prof.expect("secret de l'atelier").await;
    assert_eq!(seen, "[atelier] <alice> secret de l'atelier");
    bob.send("dans le salon principal").await;
    let seen = prof.expect("dans le salon principal").await;
    assert_eq!(
        seen, "<bob> dans le salon principal",
        "its own room, no prefix"
    );
    // Bob and the page, in main, never see the workshop's line; alice never sees main's.
    prof.send("/announce fin dans 5 minutes").await;
    let bobs = bob.lines_until("fin dans 5 minutes").await;
    assert!(!bobs.iter().any(|line| line.contains("secret")), "{bobs:?}");
    let alices = alice.lines_until("fin dans 5 minutes").await;
    assert!(
        !alices.iter().any(|line| line.contains("principal")),
        "{alices:?}"
    );
    zoe.send(json!({"type": "say", "text": "fin"})).await;
    let frames = zoe.frames_until("fin").await;
    assert!(
        !frames
            .iter()
            .any(|frame| frame["text"].as_str().is_some_and(|t| t.contains("secret"))),
        "{frames:?}"
    );
    let said = frames
        .iter()
        .find(|frame| frame["text"] == "dans le salon principal")
        .expect("main's line");
    assert_eq!(said["room"], "main");
    let announce = frames
        .iter()
        .find(|frame| frame["kind"] == "announce")
        .expect("the announcement");
    assert_eq!(announce["room"], "*");
    // /who says who is where; /rooms lists the rooms.
    bob.send("/who").await;
    bob.expect("alice (TCP) [atelier]").await;
    bob.send("/rooms").await;
    bob.expect("main : 3 personnes (tu es ici)").await;
    bob.expect("atelier : 1 personne").await;
    // Closing the workshop sends alice back.
    prof.send("/room close atelier").await;
    alice.expect("Tu es maintenant dans le salon main").await;
    bob.send("retour").await;
    alice.expect("<bob> retour").await;
    app.stop().await;
}

#[tokio::test]
async fn groups_deal_nine_students_three_by_three_and_end_brings_all_back() {
    let app = spawn_app().await;
    let mut prof = app.tcp_teacher("prof").await;
    let mut tcp = Vec::new();
    for n in 0..5 {
        tcp.push(app.tcp_named(&format!("t{n}")).await);
    }
    let mut pages = Vec::new();
    for n in 0..4 {
        pages.push(app.ws_named(&format!("w{n}")).await);
    }
    prof.send("/groups 3").await;
    let mut sizes: HashMap<String, usize> = HashMap::new();
    let mut rooms_of_tcp = Vec::new();
    for client in &mut tcp {
        let line = client.expect("Tu es maintenant dans le salon").await;
        let room = line
            .rsplit(' ')
            .next()
            .expect("a room")
            .trim_end_matches('.')
            .to_owned();
        *sizes.entry(room.clone()).or_default() += 1;
        rooms_of_tcp.push(room);
    }
    let mut rooms_of_pages = Vec::new();
    for page in &mut pages {
        let frame = page.expect("room").await;
        let room = frame["name"].as_str().expect("a name").to_owned();
        *sizes.entry(room.clone()).or_default() += 1;
        rooms_of_pages.push(room);
    }
    let mut names: Vec<_> = sizes.keys().cloned().collect();
    names.sort();
    assert_eq!(names, ["groupe-1", "groupe-2", "groupe-3"]);
    assert!(sizes.values().all(|size| *size == 3), "{sizes:?}");
    // The teacher sees each group's lines, each with its group.
    for (n, client) in tcp.iter_mut().enumerate() {
        client.send(&format!("travail {n}")).await;
    }
    for (n, room) in rooms_of_tcp.iter().enumerate() {
        prof.expect(&format!("[{room}] <t{n}> travail {n}")).await;
    }
    // Students may not leave their group while it is fixed.
    tcp[0].send("/join main").await;
    tcp[0].expect("Le prof a fixé les groupes").await;
    // A late joiner lands in the main room.
    let mut late = WsClient::connect(app.http).await;
    late.send(json!({"type": "hello", "nick": "tard", "room": "groupe-1"}))
        .await;
    let welcome = late.welcome().await;
    assert_eq!(welcome["here"], "main");
    assert_eq!(welcome["rooms"].as_array().map(Vec::len), Some(4));
    prof.send("/groups end").await;
    for client in &mut tcp {
        client.expect("Tu es maintenant dans le salon main").await;
    }
    for page in &mut pages {
        let frame = page.expect("room").await;
        assert_eq!(frame["name"], "main");
    }
    prof.send("/rooms").await;
    prof.expect("main : 11 personnes").await;
    app.stop().await;
}

#[tokio::test]
async fn a_page_resumes_in_its_room_without_gap_or_duplicate_after_a_room_change() {
    let app = spawn_app().await;
    let mut prof = app.tcp_teacher("prof").await;
    let mut bob = app.tcp_named("bob").await;
    prof.send("/room create atelier").await;
    prof.expect("a ouvert le salon atelier").await;
    bob.send("/join atelier").await;
    bob.expect("Tu es maintenant dans le salon atelier").await;
    bob.send("avant").await;
    prof.expect("<bob> avant").await;
    let mut zoe = app.ws_named("zoe").await;
    zoe.send(json!({"type": "say", "text": "/join atelier"}))
        .await;
    let room = zoe.expect("room").await;
    assert_eq!(room["name"], "atelier");
    let shown: Vec<_> = room["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|event| event["type"] == "message")
        .map(|event| event["text"].clone())
        .collect();
    assert_eq!(shown, ["avant"], "the room's latest lines on entering");
    bob.send("un").await;
    let frames = zoe.frames_until("un").await;
    let last = frames
        .iter()
        .filter_map(|frame| frame["id"].as_u64())
        .max()
        .expect("ids");
    zoe.close().await;
    bob.send("deux").await;
    prof.send("dans main pendant ce temps").await;
    bob.send("trois").await;
    prof.expect("<bob> trois").await;
    let mut back = WsClient::connect(app.http).await;
    back.send(json!({"type": "hello", "nick": "zoe", "since": last, "room": "atelier"}))
        .await;
    let welcome = back.welcome().await;
    assert_eq!(welcome["here"], "atelier");
    let texts: Vec<_> = welcome["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|event| event["type"] == "message")
        .map(|event| event["text"].clone())
        .collect();
    assert_eq!(texts, ["deux", "trois"]);
    assert_eq!(welcome["missed"], 0);
    app.stop().await;
}

/// A page that joined as a teacher, and its welcome.
async fn ws_teacher(app: &crate::helpers::TestApp, nick: &str, extra: Value) -> (WsClient, Value) {
    let mut client = WsClient::connect(app.http).await;
    let mut hello = json!({"type": "hello", "nick": nick, "teacher": TEACHER});
    if let (Some(hello), Some(extra)) = (hello.as_object_mut(), extra.as_object()) {
        hello.extend(extra.clone());
    }
    client.send(hello).await;
    let welcome = client.welcome().await;
    (client, welcome)
}

/// The texts of the messages among `events`.
fn texts(events: &Value) -> Vec<String> {
    events
        .as_array()
        .into_iter()
        .flatten()
        .filter(|event| event["type"] == "message")
        .filter_map(|event| event["text"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_teachers_join_is_told_to_that_teacher_alone() {
    let app = spawn_app().await;
    let mut prof = app.tcp_teacher("prof").await;
    let mut alice = app.tcp_named("alice").await;
    let mut zoe = app.ws_named("zoe").await;
    prof.send("/room create atelier").await;
    prof.expect("a ouvert le salon atelier").await;
    alice.send("/join atelier").await;
    alice.expect("Tu es maintenant dans le salon atelier").await;
    prof.send("/join atelier").await;
    let told = prof.expect("Tu parles").await;
    assert_eq!(
        told,
        "* Tu parles maintenant dans le salon atelier (tu vois toujours tous les salons)."
    );
    prof.send("dans l'atelier").await;
    let seen = alice.expect("dans l'atelier").await;
    assert_eq!(
        seen, "<prof (prof)> dans l'atelier",
        "the teacher speaks there now"
    );
    // Nobody, in the room left or the room entered, was told of the teacher's move.
    prof.send("/announce fin").await;
    let alices = alice.lines_until("fin").await;
    assert!(
        !alices.iter().any(|line| line.contains("prof est passé")),
        "{alices:?}"
    );
    let frames = zoe.raw_until("notice").await;
    assert!(
        !frames
            .iter()
            .any(|frame| frame.contains(r#""type":"move""#)),
        "{frames:?}"
    );
    // A teacher's page is told with a room frame that carries no events.
    let (mut page, _) = ws_teacher(&app, "anne", json!({})).await;
    page.send(json!({"type": "say", "text": "/join atelier"}))
        .await;
    let room = page.expect("room").await;
    assert_eq!(room["name"], "atelier");
    assert!(room.get("events").is_none(), "{room}");
    let people: Vec<_> = room["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|user| user["nick"].as_str())
        .collect();
    assert_eq!(people, ["alice", "anne", "prof"]);
    // Closing the room takes both teachers back to main, each told alone.
    prof.send("/room close atelier").await;
    prof.expect("Tu parles maintenant dans le salon main").await;
    let room = page.expect("room").await;
    assert_eq!(room["name"], "main");
    alice.expect("Tu es maintenant dans le salon main").await;
    prof.send("de retour").await;
    let seen = alice.expect("de retour").await;
    assert_eq!(seen, "<prof (prof)> de retour");
    app.stop().await;
}

#[tokio::test]
async fn a_say_frame_names_the_room_a_teacher_speaks_in_and_never_takes_a_student_elsewhere() {
    let app = spawn_app().await;
    let (mut prof, _) = ws_teacher(&app, "prof", json!({})).await;
    let mut alice = app.tcp_named("alice").await;
    let mut bob = app.tcp_named("bob").await;
    let mut zoe = app.ws_named("zoe").await;
    prof.send(json!({"type": "say", "text": "/room create atelier"}))
        .await;
    alice.expect("a ouvert le salon atelier").await;
    alice.send("/join atelier").await;
    alice.expect("Tu es maintenant dans le salon atelier").await;
    // The teacher's line goes to the room it names, and the teacher is told it speaks there.
    prof.send(json!({"type": "say", "room": "atelier", "text": "bonjour l'atelier"}))
        .await;
    let room = prof.expect("room").await;
    assert_eq!(room["name"], "atelier");
    let said = prof.frames_until("bonjour l'atelier").await;
    assert_eq!(
        said.last().map(|frame| frame["room"].clone()),
        Some(json!("atelier"))
    );
    alice.expect("<prof (prof)> bonjour l'atelier").await;
    // Its room commands act on that room too.
    prof.send(json!({"type": "say", "room": "atelier", "text": "/topic fractions"}))
        .await;
    alice.expect("fractions").await;
    // Back in main for the next line.
    prof.send(json!({"type": "say", "room": "main", "text": "bonjour tout le monde"}))
        .await;
    bob.expect("<prof (prof)> bonjour tout le monde").await;
    // A student may name its own room, and no other.
    zoe.send(json!({"type": "say", "room": "main", "text": "chez moi"}))
        .await;
    bob.expect("<zoe> chez moi").await;
    zoe.send(json!({"type": "say", "room": "atelier", "text": "intrusion"}))
        .await;
    let refused = zoe.expect_error("not_teacher").await;
    assert!(refused["text"].as_str().is_some_and(|t| !t.is_empty()));
    zoe.send(json!({"type": "say", "room": "pas un nom", "text": "intrusion"}))
        .await;
    zoe.expect_error("not_teacher").await;
    zoe.send(json!({"type": "say", "text": "/rooms"})).await;
    let rooms = zoe.expect("rooms").await;
    assert_eq!(rooms["here"], "main", "the student never moved");
    // Nothing of the intrusion reached the workshop.
    prof.send(json!({"type": "say", "room": "atelier", "text": "fin"}))
        .await;
    let alices = alice.lines_until("fin").await;
    assert!(
        !alices.iter().any(|line| line.contains("intrusion")),
        "{alices:?}"
    );
    // A teacher naming a room that is not open is refused, and stays where it was.
    prof.send(json!({"type": "say", "room": "nulle-part", "text": "perdu"}))
        .await;
    prof.expect_error("no_such_room").await;
    app.stop().await;
}

#[tokio::test]
async fn a_teacher_page_is_welcomed_with_every_room_and_resumes_in_all_of_them() {
    let app = spawn_app().await;
    let mut prof = app.tcp_teacher("prof").await;
    let mut alice = app.tcp_named("alice").await;
    let mut bob = app.tcp_named("bob").await;
    prof.send("/groups 2").await;
    alice.expect("Tu es maintenant dans le salon").await;
    bob.expect("Tu es maintenant dans le salon").await;
    prof.send("/topic en groupes").await;
    alice.send("ligne d'alice").await;
    prof.expect("ligne d'alice").await;
    bob.send("ligne de bob").await;
    prof.expect("ligne de bob").await;
    let (page, welcome) = ws_teacher(&app, "anne", json!({})).await;
    let history = texts(&welcome["history"]);
    assert!(
        history.contains(&"ligne d'alice".to_owned())
            && history.contains(&"ligne de bob".to_owned()),
        "{history:?}"
    );
    assert!(
        welcome["history"]
            .as_array()
            .expect("history")
            .iter()
            .all(|event| event["room"].is_string()),
        "every event names its room"
    );
    assert_eq!(welcome["fixed"], true);
    let rooms = welcome["rooms"].as_array().expect("rooms");
    assert_eq!(rooms.len(), 3);
    let main = &rooms[0];
    assert_eq!(
        (
            &main["name"],
            &main["topic"],
            &main["locked"],
            &main["slow"],
            &main["private"]
        ),
        (
            &json!("main"),
            &json!("en groupes"),
            &json!(false),
            &json!(0),
            &json!(true)
        )
    );
    // Resuming: whatever was said in any room meanwhile comes back.
    let last = welcome["history"]
        .as_array()
        .and_then(|events| events.iter().filter_map(|event| event["id"].as_u64()).max())
        .expect("ids");
    page.close().await;
    alice.send("pendant l'absence, alice").await;
    prof.expect("pendant l'absence, alice").await;
    bob.send("pendant l'absence, bob").await;
    prof.expect("pendant l'absence, bob").await;
    let (_page, again) = ws_teacher(
        &app,
        "anne",
        json!({"since": last, "epoch": welcome["epoch"]}),
    )
    .await;
    assert_eq!(
        texts(&again["history"]),
        ["pendant l'absence, alice", "pendant l'absence, bob"]
    );
    // A student still resumes in its own room alone.
    let mut student = WsClient::connect(app.http).await;
    student
        .send(json!({"type": "hello", "nick": "zoe", "since": last}))
        .await;
    let theirs = student.welcome().await;
    assert_eq!(theirs["fixed"], true);
    assert!(
        texts(&theirs["history"]).is_empty(),
        "{}",
        theirs["history"]
    );
    app.stop().await;
}

#[tokio::test]
async fn a_teacher_page_is_welcomed_with_the_latest_of_each_room_however_busy_the_others() {
    let app = spawn_app_with(|config| config.history = 5).await;
    let mut prof = app.tcp_teacher("prof").await;
    prof.send("/room create calme").await;
    let mut bob = app.tcp_named("bob").await;
    bob.send("/join calme").await;
    bob.room_entered().await;
    bob.send("seule ligne du salon calme").await;
    prof.expect("seule ligne du salon calme").await;
    let mut alice = app.tcp_named("alice").await;
    for n in 1..=12 {
        alice.send(&format!("main {n}")).await;
    }
    prof.expect("main 12").await;
    let (_page, welcome) = ws_teacher(&app, "anne", json!({})).await;
    let history = texts(&welcome["history"]);
    assert!(
        history.contains(&"seule ligne du salon calme".to_owned()),
        "the quiet room is not crowded out: {history:?}"
    );
    let mains: Vec<_> = history
        .iter()
        .filter(|text| text.starts_with("main "))
        .collect();
    assert_eq!(
        mains,
        ["main 8", "main 9", "main 10", "main 11", "main 12"],
        "{history:?}"
    );
    app.stop().await;
}
