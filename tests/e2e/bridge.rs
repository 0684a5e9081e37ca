//! Browsers and TCP clients are in one conversation.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_tcp_line_reaches_other_tcp_clients_and_pages_with_nick_transport_and_id() {
    let app = spawn_app().await;
    let mut page = app.ws_named("camille").await;
    let mut listener = app.tcp_client().await;
    let mut talker = app.tcp_named("alice").await;

    talker.send("Bonjour tout le monde").await;

    assert_eq!(
        listener.expect("Bonjour").await,
        "<alice> Bonjour tout le monde"
    );
    let frame = page.expect("message").await;
    assert_eq!(frame["from"], "alice");
    assert_eq!(frame["via"], "tcp");
    assert_eq!(frame["text"], "Bonjour tout le monde");
    assert!(frame["id"].as_u64().is_some_and(|id| id > 0), "{frame}");
    assert!(
        frame["ts"]
            .as_i64()
            .is_some_and(|ts| ts > 1_600_000_000_000),
        "{frame}"
    );
}

#[tokio::test]
async fn a_page_message_reaches_tcp_clients_as_a_nick_line() {
    let app = spawn_app().await;
    let mut tcp = app.tcp_client().await;
    let mut page = app.ws_named("zoé").await;

    page.send(json!({"type": "say", "text": "Salut depuis le navigateur"}))
        .await;

    assert_eq!(
        tcp.expect("Salut").await,
        "<zoé> Salut depuis le navigateur"
    );
    let echo = page.expect("message").await;
    assert_eq!(echo["from"], "zoé");
    assert_eq!(echo["via"], "web");
}

#[tokio::test]
async fn ids_increase_in_the_order_everyone_sees() {
    let app = spawn_app().await;
    let mut page = app.ws_named("watcher").await;
    let mut a = app.tcp_named("a").await;
    let mut b = app.ws_named("b").await;
    for n in 0..20 {
        a.send(&format!("a{n}")).await;
        b.send(json!({"type": "say", "text": format!("b{n}")}))
            .await;
    }
    let mut last = 0;
    let mut seen = 0;
    while seen < 40 {
        let frame = page.next().await;
        if frame["type"] == "message" {
            let id = frame["id"].as_u64().expect("id");
            assert!(id > last, "{id} after {last}");
            last = id;
            seen += 1;
        }
    }
}

#[tokio::test]
async fn who_lists_everyone_with_their_transport() {
    let app = spawn_app().await;
    let _page = app.ws_named("camille").await;
    let mut tcp = app.tcp_named("bruno").await;
    tcp.send("/who").await;
    assert_eq!(tcp.expect("connecté").await, "* 2 personnes connectées :");
    assert_eq!(tcp.line().await, "*   bruno (TCP)");
    assert_eq!(tcp.line().await, "*   camille (navigateur)");

    let mut page = app.ws_named("dora").await;
    page.send(json!({"type": "say", "text": "/who"})).await;
    let users = page.expect("users").await;
    assert_eq!(
        users["users"],
        json!([
            {"nick": "bruno", "via": "tcp"},
            {"nick": "camille", "via": "web"},
            {"nick": "dora", "via": "web"},
        ])
    );
}

#[tokio::test]
async fn a_private_message_reaches_only_its_target() {
    let app = spawn_app().await;
    let mut alice = app.tcp_named("alice").await;
    let mut bob = app.tcp_named("bob").await;
    let mut carol = app.tcp_named("carol").await;
    let mut dan = app.ws_named("dan").await;

    alice.send("/msg bob rendez-vous à midi").await;
    assert_eq!(
        alice.expect("rendez-vous").await,
        "-> *bob* rendez-vous à midi"
    );
    assert_eq!(
        bob.expect("rendez-vous").await,
        "*alice* rendez-vous à midi"
    );

    // Others see the next public line and nothing of the private one before it.
    alice.send("public").await;
    let carol_line = carol.expect("alice").await;
    assert_eq!(carol_line, "<alice> public");
    loop {
        let frame = dan.next().await;
        assert_ne!(frame["type"], "private", "{frame}");
        if frame["type"] == "message" {
            assert_eq!(frame["text"], "public");
            break;
        }
    }

    // And a page can send one too, and gets it back as confirmation.
    dan.send(json!({"type": "say", "text": "/msg carol psst"}))
        .await;
    let sent = dan.expect("private").await;
    assert_eq!(
        (&sent["from"], &sent["to"], &sent["text"]),
        (&json!("dan"), &json!("carol"), &json!("psst"))
    );
    assert_eq!(carol.expect("psst").await, "*dan* psst");

    alice.send("/msg nobody hello").await;
    assert_eq!(alice.line().await, "* Personne ne s'appelle nobody ici.");
}

#[tokio::test]
async fn me_actions_are_marked_on_both_transports() {
    let app = spawn_app().await;
    let mut page = app.ws_named("eve").await;
    let mut tcp = app.tcp_named("fred").await;
    tcp.send("/me fait coucou").await;
    let frame = page.expect("message").await;
    assert_eq!(
        (&frame["text"], &frame["action"]),
        (&json!("fait coucou"), &json!(true))
    );
    page.send(json!({"type": "say", "text": "/me répond"}))
        .await;
    assert_eq!(tcp.expect("répond").await, "• eve répond");
}

#[tokio::test]
async fn late_joiners_get_recent_history() {
    let app = spawn_app().await;
    let mut alice = app.tcp_named("alice").await;
    for n in 1..=25 {
        alice.send(&format!("message {n}")).await;
    }
    alice.send("/who").await;
    alice.expect("connecté").await;

    let mut late = app.tcp_client().await;
    assert_eq!(late.line().await, "* Derniers messages :");
    for n in 6..=25 {
        assert_eq!(late.line().await, format!("<alice> message {n}"));
    }

    let mut page = crate::helpers::WsClient::connect(app.http).await;
    page.send(json!({"type": "hello", "nick": "pagey"})).await;
    let welcome = page.welcome().await;
    let texts: Vec<_> = welcome["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|frame| frame["type"] == "message")
        .map(|frame| frame["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(texts.len(), 25);
    assert_eq!(texts.last().map(String::as_str), Some("message 25"));
    assert_eq!(welcome["nick"], "pagey");
}
