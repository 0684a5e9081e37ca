//! The page's rooms in a real Chromium: a teacher watching two groups at once, with unread
//! counts, speaking in the one on screen; a student seeing its group alone, then back in the
//! main room.

use crate::chromium::{Browser, Screen};
use crate::helpers::{TEACHER, TestApp, http_get, spawn_app};

/// JavaScript for the text of room `name`'s button.
fn button(name: &str) -> String {
    format!("document.querySelector('#room-list button[data-room=\"{name}\"]')")
}

/// A teacher's page on a lab PC, joined as `prof`.
async fn teacher_page(app: &TestApp) -> Browser {
    let teacher = Browser::open(Screen::Desktop).await;
    teacher
        .visit(&format!("http://{}/?teacher={TEACHER}", app.http))
        .await;
    teacher.join("prof").await;
    teacher
}

/// The group a student's page was put in, once it says so: the room on screen.
async fn group_on_screen(page: &Browser) -> String {
    page.wait_text("Tu es maintenant dans le salon groupe-")
        .await;
    let room = page
        .js("return document.querySelector('#room-list button[aria-current=\"true\"]').dataset.room;")
        .await;
    room.as_str().expect("the page's room").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_teacher_page_watches_two_groups_with_unread_counts_and_speaks_in_the_second() {
    let app = spawn_app().await;
    let teacher = teacher_page(&app).await;
    let mut students = Vec::new();
    for n in 0..4 {
        students.push(app.tcp_named(&format!("eleve{n}")).await);
    }
    let lea = Browser::open(Screen::Desktop).await;
    lea.visit(&format!("http://{}/", app.http)).await;
    lea.join("lea").await;
    teacher
        .wait(
            "lea in the teacher's list",
            "document.getElementById('user-list').textContent.includes('lea')",
        )
        .await;
    teacher.say("/groups 2").await;
    let mut groups = Vec::new();
    for student in &mut students {
        groups.push(student.room_entered().await);
    }
    let leas = group_on_screen(&lea).await;
    teacher
        .wait(
            "three rooms in the teacher's list",
            "!document.getElementById('rooms').hidden && document.querySelectorAll('#room-list button').length === 3",
        )
        .await;
    // One line in each group: the teacher, looking at main, sees an unread count on each.
    let first = groups
        .iter()
        .position(|g| g == "groupe-1")
        .expect("someone in group 1");
    let second = groups
        .iter()
        .position(|g| g == "groupe-2")
        .expect("someone in group 2");
    students[first].send("travail du groupe 1").await;
    students[second].send("travail du groupe 2").await;
    for name in ["groupe-1", "groupe-2"] {
        teacher
            .wait(
                &format!("an unread count on {name}"),
                &format!("{}.textContent.includes('1 non lu')", button(name)),
            )
            .await;
    }
    let log = teacher.log_text().await;
    assert!(
        !log.contains("travail du groupe"),
        "main shows neither: {log}"
    );
    // Group 1's log holds group 1's line alone; its count goes once it is on screen.
    teacher
        .js(&format!("{}.click(); return null;", button("groupe-1")))
        .await;
    teacher.wait_text("travail du groupe 1").await;
    let log = teacher.log_text().await;
    assert!(!log.contains("travail du groupe 2"), "{log}");
    let label = teacher
        .js(&format!("return {}.textContent;", button("groupe-1")))
        .await;
    assert!(
        !label.as_str().unwrap_or_default().contains("non lu"),
        "{label}"
    );
    // The teacher goes to group 2 and speaks there: only group 2 hears it.
    teacher
        .js(&format!("{}.click(); return null;", button("groupe-2")))
        .await;
    teacher.wait_text("travail du groupe 2").await;
    assert_eq!(
        teacher
            .js(&format!(
                "return {}.getAttribute('aria-current');",
                button("groupe-2")
            ))
            .await,
        "true"
    );
    teacher.say("consigne pour le groupe 2").await;
    teacher.wait_text("consigne pour le groupe 2").await;
    teacher.screenshot("rooms-teacher").await;
    teacher.say("/announce fin").await;
    for (student, group) in students.iter_mut().zip(&groups) {
        let lines = student.lines_until("fin").await;
        let heard = lines
            .iter()
            .any(|line| line.contains("consigne pour le groupe 2"));
        assert_eq!(heard, group == "groupe-2", "{group}: {lines:?}");
    }
    lea.wait_text("fin").await;
    let heard = lea.log_text().await.contains("consigne pour le groupe 2");
    assert_eq!(heard, leas == "groupe-2", "lea in {leas}");
    lea.close().await;
    teacher.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_student_page_sees_its_group_alone_and_comes_back_to_main_after_the_groups() {
    let app = spawn_app().await;
    let mut prof = app.tcp_teacher("prof").await;
    let mut others = vec![app.tcp_named("ana").await, app.tcp_named("bob").await];
    let lea = Browser::open(Screen::Desktop).await;
    lea.visit(&format!("http://{}/", app.http)).await;
    lea.join("lea").await;
    prof.expect("lea").await;
    prof.send("/groups 2").await;
    let mut groups = Vec::new();
    for other in &mut others {
        groups.push(other.room_entered().await);
    }
    let mine = group_on_screen(&lea).await;
    // The other rooms cannot be chosen while the groups are fixed, and the page says why.
    let refused = lea
        .js("return [...document.querySelectorAll('#room-list button:not([aria-current])')].map((b) => b.getAttribute('aria-disabled'));")
        .await;
    assert_eq!(refused, serde_json::json!(["true", "true"]));
    let note = lea
        .js("const note = document.getElementById('rooms-note'); return note.hidden ? '' : note.textContent;")
        .await;
    assert!(note.as_str().unwrap_or_default().contains("fixé"), "{note}");
    // The user list shows the group alone.
    let mut expected: Vec<String> = vec!["lea".into()];
    for (n, group) in groups.iter().enumerate() {
        if *group == mine {
            expected.push(["ana", "bob"][n].into());
        }
    }
    expected.sort();
    lea.wait(
        "the group's people",
        &format!(
            "JSON.stringify([...document.querySelectorAll('#user-list button.who')].map((b) => b.dataset.nick).sort()) === {}",
            serde_json::json!(serde_json::to_string(&expected).unwrap_or_default())
        ),
    )
    .await;
    let count = lea
        .js("return document.querySelector('#room-list button[aria-current=\"true\"] .room-count').textContent;")
        .await;
    let people = match expected.len() {
        1 => "(1 personne)".to_owned(),
        n => format!("({n} personnes)"),
    };
    assert_eq!(count, people, "the group's count on its button");
    lea.screenshot("rooms-student").await;
    // What another group says never reaches the page.
    if let Some(n) = groups.iter().position(|group| *group != mine) {
        others[n].send("dans l'autre groupe").await;
        prof.expect("dans l'autre groupe").await;
    }
    prof.send("/announce repère").await;
    lea.wait_text("repère").await;
    assert!(!lea.log_text().await.contains("dans l'autre groupe"));
    // The groups end: back in main, where the room list goes away.
    prof.send("/groups end").await;
    lea.wait_text("Tu es maintenant dans le salon main").await;
    lea.wait(
        "the room list gone",
        "document.getElementById('rooms').hidden",
    )
    .await;
    prof.send("tout le monde est revenu").await;
    lea.wait_text("tout le monde est revenu").await;
    // Free to move again: a click on a room takes the student there.
    prof.send("/room create atelier").await;
    lea.wait(
        "the workshop in the list",
        &format!("{} !== null", button("atelier")),
    )
    .await;
    lea.js(&format!("{}.click(); return null;", button("atelier")))
        .await;
    lea.wait_text("Tu es maintenant dans le salon atelier")
        .await;
    assert_eq!(
        lea.js(&format!(
            "return {}.getAttribute('aria-current');",
            button("atelier")
        ))
        .await,
        "true"
    );
    prof.expect("lea est passé·e de main à atelier").await;
    lea.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_teachers_page_links_to_the_transcript_of_the_room_on_screen_and_of_every_room() {
    let app = spawn_app().await;
    let teacher = teacher_page(&app).await;
    teacher.say("/room create atelier").await;
    let mut alice = app.tcp_named("alice").await;
    let mut bob = app.tcp_named("bob").await;
    bob.send("/join atelier").await;
    assert_eq!(bob.room_entered().await, "atelier");
    alice.send("dans main").await;
    bob.send("dans l'atelier").await;
    teacher
        .js(&format!("{}.click(); return null;", button("atelier")))
        .await;
    teacher.wait_text("dans l'atelier").await;
    let link = |id: &str| format!("return document.getElementById('{id}').getAttribute('href');");
    let room = teacher.js(&link("transcript-room")).await;
    let room = room.as_str().expect("a link").to_owned();
    // The teacher's token is in it, so the link works from another machine than the server.
    assert!(
        room.starts_with("/transcript.txt?") && room.contains("room=atelier"),
        "{room}"
    );
    assert!(room.contains(&format!("teacher={TEACHER}")), "{room}");
    let (status, headers, body) = http_get(app.http, &room).await;
    assert!(status.contains("200"), "{status}");
    assert!(
        headers
            .iter()
            .any(|(_, value)| value.contains("tchat-transcript-atelier.txt")),
        "{headers:?}"
    );
    assert!(
        body.contains("dans l'atelier") && !body.contains("dans main"),
        "{body}"
    );
    let every = teacher.js(&link("transcript-all-csv")).await;
    let every = every.as_str().expect("a link").to_owned();
    let (_, _, body) = http_get(app.http, &every).await;
    assert!(
        body.lines()
            .next()
            .is_some_and(|head| head.ends_with("room")),
        "{body}"
    );
    assert!(
        body.contains("dans l'atelier") && body.contains("dans main"),
        "{body}"
    );
    teacher.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_students_private_messages_stay_on_its_page_when_it_changes_room() {
    let app = spawn_app().await;
    let mut prof = app.tcp_teacher("prof").await;
    let lea = Browser::open(Screen::Desktop).await;
    lea.visit(&format!("http://{}/", app.http)).await;
    lea.join("lea").await;
    prof.send("/msg lea rejoins le groupe 1 avec ton code")
        .await;
    lea.wait_text("rejoins le groupe 1 avec ton code").await;
    prof.send("/groups 1").await;
    lea.wait_text("Tu es maintenant dans le salon groupe-1")
        .await;
    let log = lea.log_text().await;
    assert!(log.contains("rejoins le groupe 1 avec ton code"), "{log}");
    lea.close().await;
    app.stop().await;
}
