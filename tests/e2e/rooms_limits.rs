//! Rooms are no way around the limits on students: a move between rooms is a line for
//! flood control, and is held to mute, lock and slow mode in both rooms; `/groups` and
//! room commands refuse cleanly at their limits, on both transports; announcements reach
//! every room.

use serde_json::{Value, json};

use crate::helpers::{TEACHER, TcpClient, TestApp, WsClient, spawn_app, spawn_app_with};

/// A page that joined as a teacher under `nick`.
async fn ws_teacher(app: &TestApp, nick: &str) -> WsClient {
    let mut client = WsClient::connect(app.http).await;
    client
        .send(json!({"type": "hello", "nick": nick, "teacher": TEACHER}))
        .await;
    let welcome = client.welcome().await;
    assert_eq!(welcome["teacher"], true, "{welcome}");
    client
}

/// A line typed in a page's message box.
async fn say(page: &mut WsClient, text: &str) {
    page.send(json!({"type": "say", "text": text})).await;
}

/// Waits until a page is told that room `name` opened.
async fn opened(page: &mut WsClient, name: &str) {
    loop {
        let frame = page.expect("notice").await;
        if frame["kind"] == "room_open" && frame["text"] == name {
            return;
        }
    }
}

/// `count` lines alternating between `/join a` and `/join main`, as one write.
fn back_and_forth(count: usize) -> String {
    (0..count)
        .map(|n| {
            if n % 2 == 0 {
                "/join a\n"
            } else {
                "/join main\n"
            }
        })
        .collect()
}

#[tokio::test]
async fn a_script_spamming_join_meets_the_flood_limit_of_a_message_script() {
    let app = spawn_app_with(|config| config.max_rate = 2).await;
    let mut prof = ws_teacher(&app, "prof").await;
    say(&mut prof, "/room create a").await;
    opened(&mut prof, "a").await;
    // 600 moves in one write, then 600 messages from another script in one write: each is
    // held to a burst of twice the rate, then a minute of silence after ten dropped lines.
    let mut mover = app.tcp_named("mover").await;
    mover.send_raw(back_and_forth(600).as_bytes()).await;
    let mut talker = app.tcp_named("talker").await;
    let lines: String = (0..600).map(|n| format!("ligne {n}\n")).collect();
    talker.send_raw(lines.as_bytes()).await;
    // A departure is published after every line the connection sent: the teacher reads
    // until both have left.
    drop(mover);
    drop(talker);
    let (mut moves, mut messages, mut left) = (0, 0, 0);
    while left < 2 {
        let frame = prof.next().await;
        match (frame["type"].as_str(), &frame["nick"]) {
            (Some("move"), nick) if nick == "mover" && frame["room"] == "main" => moves += 1,
            (Some("message"), _) if frame["from"] == "talker" => messages += 1,
            (Some("leave"), nick) if nick == "mover" || nick == "talker" => left += 1,
            _ => {}
        }
    }
    // A burst of 4, then what the rate refills while the lines are read, until ten dropped
    // in a row silence the script: a handful here, at most a few dozen on a slow machine.
    assert!(
        (1..=40).contains(&moves) && (1..=40).contains(&messages),
        "moves are held like messages: {moves} moves and {messages} messages of 600 each"
    );
}

#[tokio::test]
async fn many_connections_from_one_address_share_one_budget_for_joins_too() {
    let app = spawn_app_with(|config| config.max_rate = 2).await;
    let mut prof = ws_teacher(&app, "prof").await;
    say(&mut prof, "/room create a").await;
    opened(&mut prof, "a").await;
    let mut movers = Vec::new();
    for n in 0..20 {
        movers.push(app.tcp_named(&format!("multi{n}")).await);
    }
    // Each moves 10 times: within a person's allowance (a burst of 4) for the first few,
    // but 20 people's worth from one address.
    for mover in &mut movers {
        mover.send_raw(back_and_forth(10).as_bytes()).await;
    }
    drop(movers);
    let (mut moves, mut left) = (0, 0);
    while left < 20 {
        let frame = prof.next().await;
        match frame["type"].as_str() {
            Some("move") if frame["room"] == "main" => moves += 1,
            Some("leave") => left += 1,
            _ => {}
        }
    }
    assert!(
        moves < 80,
        "one address's budget, not 20 people's allowances: {moves} of 200 moves"
    );
}

#[tokio::test]
async fn a_muted_student_stays_muted_in_every_room_and_cannot_move_to_be_seen() {
    let app = spawn_app().await;
    let mut prof = app.tcp_teacher("prof").await;
    let mut witness = app.ws_named("temoin").await;
    let mut alice = app.tcp_named("alice").await;
    let mut bob = app.ws_named("bob").await;
    prof.send("/room create a").await;
    prof.expect("a ouvert le salon a").await;
    alice.send("/join a").await;
    alice.expect("Tu es maintenant dans le salon a").await;
    prof.send("/mute alice").await;
    prof.send("/mute bob").await;
    prof.expect("bob ne peut plus écrire").await;
    // Muted in room a, and no move back to main to be seen there.
    alice.send("je parle").await;
    alice.expect("Tu ne peux pas écrire pour l'instant").await;
    alice.send("/join main").await;
    alice.expect("Tu ne peux pas écrire pour l'instant").await;
    say(&mut bob, "/join a").await;
    let refusal = bob.expect_error("muted").await;
    assert!(refusal["args"]["seconds"].as_u64() > Some(0), "{refusal}");
    // The teacher closes the room: alice is back in main, and still muted there.
    prof.send("/room close a").await;
    alice.expect("Tu es maintenant dans le salon main").await;
    alice.send("et maintenant ?").await;
    alice.expect("Tu ne peux pas écrire pour l'instant").await;
    // The witness in main saw no move of bob's, and of alice's only the teacher's doing.
    prof.send("terminé").await;
    let mut moves = Vec::new();
    loop {
        let frame = witness.next().await;
        if frame["type"] == "move" {
            moves.push(frame["nick"].clone());
        }
        if frame["type"] == "message" && frame["text"] == "terminé" {
            break;
        }
        assert_ne!(frame["text"], "et maintenant ?", "{frame}");
    }
    assert_eq!(
        moves,
        [json!("alice"), json!("alice")],
        "in, then sent back"
    );
    app.stop().await;
}

#[tokio::test]
async fn lock_and_slow_mode_hold_a_students_move_in_either_room() {
    let app = spawn_app().await;
    let mut prof = app.tcp_teacher("prof").await;
    let mut alice = app.tcp_named("alice").await;
    let mut bob = app.ws_named("bob").await;
    prof.send("/room create a").await;
    prof.expect("a ouvert le salon a").await;
    // Main is locked: nobody moves out of it.
    prof.send("/lock").await;
    prof.expect("a verrouillé").await;
    alice.send("/join a").await;
    alice.expect("La conversation est verrouillée").await;
    say(&mut bob, "/join a").await;
    bob.expect_error("locked").await;
    prof.send("/unlock").await;
    prof.expect("a rouvert").await;
    alice.send("/join a").await;
    alice.expect("Tu es maintenant dans le salon a").await;
    // Room a is locked: alice may not leave it, bob may not enter it.
    prof.send("/join a").await;
    prof.expect("Tu parles maintenant dans le salon a").await;
    prof.send("/lock").await;
    prof.expect("a verrouillé").await;
    alice.send("/join main").await;
    alice.expect("La conversation est verrouillée").await;
    say(&mut bob, "/join a").await;
    bob.expect_error("locked").await;
    // Slow mode in room a: a move in or out of it starts the interval.
    prof.send("/unlock").await;
    prof.expect("a rouvert").await;
    prof.send("/slow 60").await;
    prof.expect("Mode lent").await;
    alice.send("/join main").await;
    alice.expect("Tu es maintenant dans le salon main").await;
    alice.send("/join a").await;
    alice.expect("Mode lent : attends encore").await;
    say(&mut bob, "/join a").await;
    assert_eq!(bob.expect("room").await["name"], "a");
    say(&mut bob, "/join main").await;
    let refusal = bob.expect_error("slow").await;
    assert!(refusal["args"]["seconds"].as_u64() > Some(50), "{refusal}");
    // Teachers move freely.
    prof.send("/join main").await;
    prof.expect("Tu parles maintenant dans le salon main").await;
    app.stop().await;
}

#[tokio::test]
async fn room_and_group_limits_refuse_cleanly_on_both_transports() {
    let app = spawn_app().await;
    let mut prof = app.tcp_teacher("prof").await;
    let mut page_prof = ws_teacher(&app, "prof2").await;
    // No student yet, and too many groups, on both transports.
    prof.send("/groups 2").await;
    assert_eq!(
        prof.expect("élève").await,
        "* Aucun élève présent à répartir en groupes."
    );
    say(&mut page_prof, "/groups 2").await;
    page_prof.expect_error("no_students").await;
    prof.send("/groups 33").await;
    assert_eq!(prof.expect("groupes").await, "* Au plus 32 groupes.");
    say(&mut page_prof, "/groups 33").await;
    let refusal = page_prof.expect_error("too_many_groups").await;
    assert_eq!(refusal["args"]["max"], 32, "{refusal}");
    // Moving to the room one is in.
    let mut alice = app.tcp_named("alice").await;
    let mut bob = app.ws_named("bob").await;
    alice.send("/join main").await;
    assert_eq!(
        alice.expect("déjà").await,
        "* Tu es déjà dans le salon main."
    );
    say(&mut bob, "/join main").await;
    let refusal = bob.expect_error("already_in_room").await;
    assert_eq!(refusal["args"]["room"], "main", "{refusal}");
    // Rooms up to one short of the limit (64 with main): two groups would pass it, so
    // the command is refused before anyone moves.
    for n in 1..63 {
        prof.send(&format!("/room create r{n}")).await;
    }
    prof.expect("a ouvert le salon r62").await;
    prof.send("/groups 2").await;
    assert_eq!(prof.expect("salons").await, "* Au plus 64 salons.");
    say(&mut page_prof, "/groups 2").await;
    let refusal = page_prof.expect_error("too_many_rooms").await;
    assert_eq!(refusal["args"]["max"], 64, "{refusal}");
    alice.send("/rooms").await;
    alice.expect("main : 4 personnes (tu es ici)").await;
    // One group fits, and fills the conversation: no room more.
    prof.send("/groups 1").await;
    alice
        .expect("Tu es maintenant dans le salon groupe-1")
        .await;
    assert_eq!(bob.expect("room").await["name"], "groupe-1");
    prof.send("/room create encore").await;
    assert_eq!(prof.expect("salons").await, "* Au plus 64 salons.");
    app.stop().await;
}

#[tokio::test]
async fn a_late_joiner_lands_in_main_and_may_not_leave_while_groups_are_fixed() {
    let app = spawn_app().await;
    let mut prof = app.tcp_teacher("prof").await;
    let mut alice = app.tcp_named("alice").await;
    let mut bob = app.tcp_named("bob").await;
    prof.send("/groups 2").await;
    alice.expect("Tu es maintenant dans le salon groupe-").await;
    bob.expect("Tu es maintenant dans le salon groupe-").await;
    // Over TCP: in main, and stays there.
    let mut late = app.tcp_named("tard").await;
    late.send("/rooms").await;
    late.expect("main : 2 personnes (tu es ici)").await;
    late.send("/join groupe-1").await;
    late.expect("Le prof a fixé les groupes").await;
    // A page asking for a group lands in main too, and stays there.
    let mut page = WsClient::connect(app.http).await;
    page.send(json!({"type": "hello", "nick": "tardive", "room": "groupe-2"}))
        .await;
    let welcome = page.welcome().await;
    assert_eq!(welcome["here"], "main", "{welcome}");
    say(&mut page, "/join groupe-2").await;
    page.expect_error("rooms_fixed").await;
    // What the late joiners say stays in main.
    late.send("je suis dans main").await;
    prof.expect("<tard> je suis dans main").await;
    assert_eq!(page.expect("message").await["text"], "je suis dans main");
    app.stop().await;
}

#[tokio::test]
async fn an_announcement_reaches_every_room_on_both_transports() {
    let app = spawn_app().await;
    let mut prof = app.tcp_teacher("prof").await;
    let mut page_prof = ws_teacher(&app, "prof2").await;
    prof.send("/room create a").await;
    prof.send("/room create b").await;
    prof.expect("a ouvert le salon b").await;
    let mut in_a = app.tcp_named("alice").await;
    in_a.send("/join a").await;
    in_a.expect("Tu es maintenant dans le salon a").await;
    let mut in_b = app.ws_named("bob").await;
    say(&mut in_b, "/join b").await;
    assert_eq!(in_b.expect("room").await["name"], "b");
    let mut in_main = app.tcp_named("camille").await;
    let mut page_in_main = app.ws_named("dora").await;
    // From a TCP teacher, then from a page.
    for (text, from_page) in [("rendu à 16 h", false), ("pause", true)] {
        if from_page {
            say(&mut page_prof, &format!("/announce {text}")).await;
        } else {
            prof.send(&format!("/announce {text}")).await;
        }
        for tcp in [&mut in_a, &mut in_main, &mut prof] {
            let line = tcp.expect(text).await;
            assert!(line.contains("ANNONCE"), "{line}");
        }
        for page in [&mut in_b, &mut page_in_main, &mut page_prof] {
            let frame = announcement(page).await;
            assert_eq!(
                (&frame["text"], &frame["room"]),
                (&json!(text), &json!("*"))
            );
        }
    }
    app.stop().await;
}

/// The next announcement a page is shown.
async fn announcement(page: &mut WsClient) -> Value {
    loop {
        let frame = page.expect("notice").await;
        if frame["kind"] == "announce" {
            return frame;
        }
    }
}

#[tokio::test]
async fn more_groups_than_students_make_one_per_student_and_the_teacher_is_told() {
    let app = spawn_app().await;
    let mut prof = app.tcp_teacher("prof").await;
    let mut page_prof = ws_teacher(&app, "prof2").await;
    let mut students: Vec<TcpClient> = Vec::new();
    for nick in ["alice", "bob"] {
        students.push(app.tcp_named(nick).await);
    }
    let mut page = app.ws_named("camille").await;
    prof.send("/groups 5").await;
    assert_eq!(
        prof.expect("demandés").await,
        "* 5 groupes demandés, mais il n'y a que 3 élèves : un groupe par élève."
    );
    let mut rooms = Vec::new();
    for student in &mut students {
        let line = student.expect("Tu es maintenant dans le salon").await;
        rooms.push(
            line.trim_end_matches('.')
                .rsplit(' ')
                .next()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    rooms.push(
        page.expect("room").await["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    );
    rooms.sort();
    assert_eq!(rooms, ["groupe-1", "groupe-2", "groupe-3"], "one each");
    // The second answer's heading ends the first answer.
    prof.send("/rooms").await;
    prof.send("/rooms").await;
    prof.expect("Salons :").await;
    let mut listed = Vec::new();
    loop {
        let line = prof.line().await;
        if line.contains("Salons :") {
            break;
        }
        // Only its rows: events of the moves may come in between.
        if line.starts_with("*   ") || line.starts_with("  ") {
            listed.push(line);
        }
    }
    assert_eq!(listed.len(), 4, "main and three groups: {listed:?}");
    assert!(
        listed.iter().all(|line| !line.contains("groupe-4")),
        "{listed:?}"
    );
    // Again from a page, with two groups: it is told as an alert, and the third group,
    // left over, is closed.
    say(&mut page_prof, "/groups 2").await;
    prof.expect("a fermé le salon groupe-3").await;
    say(&mut page_prof, "/groups 4").await;
    let alert = page_prof.expect("alert").await;
    assert_eq!(alert["code"], "groups_capped", "{alert}");
    assert_eq!(
        (&alert["args"]["asked"], &alert["args"]["number"]),
        (&json!(4), &json!(3))
    );
    app.stop().await;
}

#[tokio::test]
async fn a_reader_resuming_in_a_room_is_told_what_it_missed_there_not_elsewhere() {
    let app = spawn_app_with(|config| {
        config.memory = 3;
        config.history = 3;
        config.tcp_history = 3;
    })
    .await;
    let mut prof = app.tcp_teacher("prof").await;
    prof.send("/room create a").await;
    prof.expect("a ouvert le salon a").await;
    let mut worker = app.tcp_named("worker").await;
    worker.send("/join a").await;
    worker.expect("Tu es maintenant dans le salon a").await;
    let mut talker = app.tcp_named("talker").await;
    let mut reader = app.ws_named("reader").await;
    talker.send("l0").await;
    let seen = reader.expect("message").await["id"].as_u64().expect("id");
    reader.close().await;
    prof.expect("reader a quitté").await;
    // Main and room a take turns; main's memory keeps its last 3 events.
    for n in 1..=5 {
        talker.send(&format!("l{n}")).await;
        prof.expect(&format!("<talker> l{n}")).await;
        worker.send(&format!("w{n}")).await;
        prof.expect(&format!("<worker> w{n}")).await;
    }
    let (_again, welcome) = app.ws_resuming("reader2", seen).await;
    let texts: Vec<_> = welcome["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|frame| frame["text"].clone())
        .collect();
    assert_eq!(texts, ["l3", "l4", "l5"]);
    assert_eq!(
        welcome["missed"], 3,
        "main's departure, l1 and l2: not room a's lines"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_classmates_name_is_no_way_into_another_group() {
    let app = spawn_app().await;
    let mut prof = app.tcp_teacher("prof").await;
    let mut students = Vec::new();
    for nick in ["s0", "s1", "s2", "s3"] {
        students.push(app.tcp_named(nick).await);
    }
    prof.send("/groups 2").await;
    let mut groups = Vec::new();
    for student in &mut students {
        groups.push(student.room_entered().await);
    }
    // Someone of the other group leaves; s0 takes its name.
    let other = (1..4)
        .find(|&n| groups[n] != groups[0])
        .expect("another group");
    let absent = format!("s{other}");
    drop(students.remove(other));
    prof.expect(&format!("{absent} a quitté la conversation"))
        .await;
    let s0 = &mut students[0];
    s0.send(&format!("/nick {absent}")).await;
    prof.expect(&format!("s0 s'appelle maintenant {absent}"))
        .await;
    s0.send("toujours là ?").await;
    // The teacher sees each line with its room: s0 is still in its own group.
    let line = prof.expect("toujours là ?").await;
    assert!(line.starts_with(&format!("[{}]", groups[0])), "{line}");
    app.stop().await;
}

#[tokio::test]
async fn private_messages_off_in_a_group_hold_from_another_room_too() {
    let app = spawn_app().await;
    let mut prof = app.tcp_teacher("prof").await;
    prof.send("/room create calme").await;
    let mut bob = app.tcp_named("bob").await;
    bob.send("/join calme").await;
    bob.room_entered().await;
    prof.send("/join calme").await;
    prof.send("/private off").await;
    prof.expect("a coupé les messages privés").await;
    let mut alice = app.tcp_named("alice").await;
    alice.send("/msg bob psst").await;
    alice
        .expect("Les messages privés entre élèves sont coupés")
        .await;
    app.stop().await;
}

#[tokio::test]
async fn a_student_can_neither_open_close_nor_deal_rooms_nor_land_in_one_that_is_not_open() {
    let app = spawn_app().await;
    let mut prof = app.tcp_teacher("prof").await;
    prof.send("/room create atelier").await;
    prof.expect("a ouvert le salon atelier").await;
    let mut eve = app.tcp_named("eve").await;
    for command in [
        "/room create repaire",
        "/room close atelier",
        "/groups 2",
        "/groups end",
    ] {
        eve.send(command).await;
        eve.expect("Seul un prof peut faire ça.").await;
    }
    eve.send("/rooms").await;
    let listed = eve.lines_until("atelier").await;
    assert!(
        listed.iter().all(|line| !line.contains("repaire")),
        "{listed:?}"
    );
    // A page asking, as it reconnects, for a room that is not open, or for no room at all,
    // lands in main.
    for (n, wish) in ["repaire", "*", "../main"].into_iter().enumerate() {
        let mut page = WsClient::connect(app.http).await;
        page.send(json!({"type": "hello", "nick": format!("page{n}"), "room": wish}))
            .await;
        let welcome = page.welcome().await;
        assert_eq!(welcome["here"], "main", "{wish}: {welcome}");
    }
    app.stop().await;
}
