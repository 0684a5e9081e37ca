//! Rooms and breakout groups, over both transports: what is said in a room stays there,
//! teachers see every room, `/groups` deals the students out and brings them back, and a
//! page that changed room resumes where it was.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::helpers::{TcpClient, WsClient, spawn_app};

/// Every line a TCP client reads up to the one holding `needle`, that one included.
async fn lines_until(client: &mut TcpClient, needle: &str) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        let line = client.line().await;
        let done = line.contains(needle);
        lines.push(line);
        if done {
            return lines;
        }
    }
}

/// Every frame a page reads up to the message saying `text`, that one included.
async fn frames_until(client: &mut WsClient, text: &str) -> Vec<Value> {
    let mut frames = Vec::new();
    loop {
        let frame = client.next().await;
        let done = frame["type"] == "message" && frame["text"] == text;
        frames.push(frame);
        if done {
            return frames;
        }
    }
}

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
    let bobs = lines_until(&mut bob, "fin dans 5 minutes").await;
    assert!(!bobs.iter().any(|line| line.contains("secret")), "{bobs:?}");
    let alices = lines_until(&mut alice, "fin dans 5 minutes").await;
    assert!(
        !alices.iter().any(|line| line.contains("principal")),
        "{alices:?}"
    );
    zoe.send(json!({"type": "say", "text": "fin"})).await;
    let frames = frames_until(&mut zoe, "fin").await;
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
    let frames = frames_until(&mut zoe, "un").await;
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
