//! What a restart on the same database keeps besides the messages: the room as the teacher
//! left it, guest numbers, teachers' nicknames; and what it ends: bans.

use serde_json::json;

use crate::helpers::{TestApp, WsClient, refused_tcp, spawn_app_with, temp_db};

/// tchat on the database `db`.
async fn on(db: &std::path::Path) -> TestApp {
    let db = db.to_owned();
    spawn_app_with(move |config| config.db = db).await
}

/// Reads frames until a teacher's notice of this kind.
async fn notice(page: &mut WsClient, kind: &str) {
    while page.expect("notice").await["kind"] != kind {}
}

#[tokio::test]
async fn the_room_is_as_the_teacher_left_it_after_a_restart() {
    let (_dir, db) = temp_db();
    let app = on(&db).await;
    let mut page = app.ws_named("camille").await;
    let mut teacher = app.tcp_teacher("martine").await;
    for command in [
        "/topic Révisions du chapitre 3",
        "/lock",
        "/slow 30",
        "/private off",
    ] {
        teacher.send(command).await;
    }
    notice(&mut page, "private_off").await;
    app.stop().await;

    let app = on(&db).await;
    let (mut page, welcome) = app.ws_resuming("camille", 0).await;
    assert_eq!(
        welcome["room"],
        json!({"topic": "Révisions du chapitre 3", "locked": true, "slow": 30, "private": false})
    );
    let mut student = app.tcp_client().await;
    assert_eq!(student.line().await, "* Sujet : Révisions du chapitre 3");
    student.send("on peut parler ?").await;
    student.expect("verrouillée").await;
    student.send("/msg camille coucou").await;
    student.expect("privés entre élèves sont coupés").await;

    let mut teacher = app.tcp_teacher("martine").await;
    teacher.send("/unlock").await;
    notice(&mut page, "unlock").await;
    student.send("un").await;
    assert_eq!(page.expect("message").await["text"], "un");
    student.send("deux").await;
    student.expect("Mode lent").await;
}

#[tokio::test]
async fn guest_numbers_continue_after_a_restart() {
    let (_dir, db) = temp_db();
    let app = on(&db).await;
    let mut first = app.tcp_client().await;
    let second = app.tcp_client().await;
    assert_eq!(
        (first.nick.as_str(), second.nick.as_str()),
        ("guest1", "guest2")
    );
    // The first one leaves before the restart, so its name is free, yet not given again.
    first.send("/quit").await;
    first.rest().await;
    drop(second);
    app.stop().await;

    let app = on(&db).await;
    let third = app.tcp_client().await;
    assert_eq!(third.nick, "guest3");
    let mut page = WsClient::connect(app.http).await;
    page.send(json!({"type": "hello"})).await;
    assert_eq!(page.welcome().await["nick"], "guest4");
}

#[tokio::test]
async fn a_teachers_nickname_stays_theirs_after_a_restart() {
    let (_dir, db) = temp_db();
    let app = on(&db).await;
    app.tcp_teacher("martine").await;
    app.stop().await;

    let app = on(&db).await;
    let mut student = app.tcp_client().await;
    student.send("/nick Martine").await;
    assert_eq!(
        student.expect("réservé").await,
        "* Le pseudo Martine est réservé."
    );
    app.tcp_teacher("martine").await;
}

#[tokio::test]
async fn a_ban_ends_with_a_restart() {
    let (_dir, db) = temp_db();
    let app = on(&db).await;
    let mut teacher = app.tcp_teacher("martine").await;
    let mut page = app.ws_named("bob").await;
    teacher.send("/ban bob").await;
    assert_eq!(page.expect("bye").await["reason"], "banned");
    assert!(refused_tcp(app.tcp).await.contains("bannie"));
    app.stop().await;

    // Every test client shares 127.0.0.1: the address banned is let in again.
    let app = on(&db).await;
    let student = app.tcp_client().await;
    assert!(
        student.greeting.contains("Bienvenue"),
        "{}",
        student.greeting
    );
}
