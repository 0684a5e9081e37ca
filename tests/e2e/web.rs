//! What a WebSocket client sees, and what the HTTP side serves.

use serde_json::json;

use crate::helpers::{WsClient, http_get, spawn_app};

#[tokio::test]
async fn welcome_carries_the_nickname_and_the_user_list() {
    let app = spawn_app().await;
    let _tcp = app.tcp_named("bruno").await;
    let mut page = WsClient::connect(app.http).await;
    page.send(json!({"type": "hello", "nick": "alice"})).await;
    let welcome = page.welcome().await;
    assert_eq!(welcome["nick"], "alice");
    assert_eq!(
        welcome["users"],
        json!([{"nick": "alice", "via": "web"}, {"nick": "bruno", "via": "tcp"}])
    );
    assert!(welcome["history"].is_array());
}

#[tokio::test]
async fn hello_is_optional() {
    let app = spawn_app().await;
    let mut page = WsClient::connect(app.http).await;
    page.send(json!({"type": "say", "text": "sans bonjour"}))
        .await;
    let welcome = page.welcome().await;
    let nick = welcome["nick"].as_str().expect("nick").to_owned();
    assert!(nick.starts_with("guest"));
    let message = page.expect("message").await;
    assert_eq!(
        (message["from"].as_str(), message["text"].as_str()),
        (Some(nick.as_str()), Some("sans bonjour"))
    );

    // A client that says nothing at all is welcomed too.
    let mut silent = WsClient::connect(app.http).await;
    assert!(silent.welcome().await["nick"].as_str().is_some());
}

#[tokio::test]
async fn a_taken_nickname_in_hello_is_explained_and_another_can_be_tried() {
    let app = spawn_app().await;
    let _first = app.ws_named("Camille").await;
    let mut second = WsClient::connect(app.http).await;
    second
        .send(json!({"type": "hello", "nick": "camille"}))
        .await;
    let error = second.next().await;
    assert_eq!(error["type"], "error");
    assert_eq!(error["code"], "nick_taken");
    assert!(
        error["text"]
            .as_str()
            .is_some_and(|text| text.contains("camille"))
    );
    second
        .send(json!({"type": "hello", "nick": "camille2"}))
        .await;
    assert_eq!(second.welcome().await["nick"], "camille2");
}

#[tokio::test]
async fn bad_frames_get_error_frames_and_the_connection_stays_up() {
    let app = spawn_app().await;
    let mut page = app.ws_named("robuste").await;
    for bad in [
        "pas du json",
        r#"{"type":"danse"}"#,
        r#"{"type":"say"}"#,
        r#"{"type":"say","text":42}"#,
        "[]",
    ] {
        page.send_text(bad).await;
        let error = page.expect("error").await;
        assert_eq!(error["code"], "bad_frame", "{bad}: {error}");
    }
    page.send_binary(b"\x00\x01").await;
    assert_eq!(page.expect("error").await["code"], "bad_frame");
    page.send(json!({"type": "say", "text": "/danse"})).await;
    assert_eq!(page.expect("error").await["code"], "unknown_command");
    page.send(json!({"type": "say", "text": "x".repeat(2001)}))
        .await;
    assert_eq!(page.expect("error").await["code"], "too_long");

    page.send(json!({"type": "say", "text": "toujours là"}))
        .await;
    assert_eq!(page.expect("message").await["text"], "toujours là");
}

#[tokio::test]
async fn nick_frames_rename_and_everyone_sees_it() {
    let app = spawn_app().await;
    let mut page = app.ws_named("avant").await;
    let mut tcp = app.tcp_client().await;
    page.send(json!({"type": "nick", "nick": "après"})).await;
    let renamed = page.expect("nick").await;
    assert_eq!(
        (&renamed["old"], &renamed["new"]),
        (&json!("avant"), &json!("après"))
    );
    assert_eq!(
        tcp.expect("après").await,
        "* avant s'appelle maintenant après"
    );
    page.send(json!({"type": "nick", "nick": tcp.nick})).await;
    assert_eq!(page.expect("error").await["code"], "nick_taken");
    page.send(json!({"type": "nick", "nick": "a b"})).await;
    assert_eq!(page.expect("error").await["code"], "nick_invalid");
}

#[tokio::test]
async fn hello_since_returns_exactly_what_was_missed() {
    let app = spawn_app().await;
    let mut talker = app.tcp_named("talker").await;
    let mut page = app.ws_named("reader").await;
    talker.send("un").await;
    let first = page.expect("message").await;
    let seen = first["id"].as_u64().expect("id");
    drop(page);
    talker.expect("reader a quitté").await;
    talker.send("deux").await;
    talker.send("trois").await;
    talker.send("/who").await;
    talker.expect("connecté").await;

    let mut back = WsClient::connect(app.http).await;
    back.send(json!({"type": "hello", "nick": "reader", "since": seen}))
        .await;
    let welcome = back.welcome().await;
    let texts: Vec<_> = welcome["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|frame| frame["type"] == "message")
        .map(|frame| frame["text"].clone())
        .collect();
    assert_eq!(texts, [json!("deux"), json!("trois")]);
    let ids: Vec<_> = welcome["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|f| f["id"].as_u64().expect("id"))
        .collect();
    assert!(ids.iter().all(|id| *id > seen));
    assert_eq!(welcome["missed"], 0);
}

#[tokio::test]
async fn quit_from_the_page_says_goodbye() {
    let app = spawn_app().await;
    let mut page = app.ws_named("partant").await;
    page.send(json!({"type": "say", "text": "/quit"})).await;
    let bye = page.expect("bye").await;
    assert_eq!(bye["reason"], "quit");
    assert!(page.try_next().await.is_none());
}

#[tokio::test]
async fn the_page_and_its_files_are_served_with_security_headers() {
    let app = spawn_app().await;
    let (status, headers, body) = http_get(app.http, "/").await;
    assert!(status.contains("200"), "{status}");
    assert!(body.contains("<html"), "{body}");
    let header = |name: &str| {
        headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .unwrap_or_default()
    };
    assert!(header("content-type").starts_with("text/html"));
    assert!(header("content-security-policy").contains("default-src 'self'"));
    assert_eq!(header("x-content-type-options"), "nosniff");

    let (status, headers, body) = http_get(app.http, "/static/connection.js").await;
    assert!(status.contains("200"), "{status}");
    assert!(body.contains("WebSocket"));
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-type" && v.contains("javascript"))
    );

    let (status, _, _) = http_get(app.http, "/static/nope.js").await;
    assert!(status.contains("404"), "{status}");
}

#[tokio::test]
async fn metrics_count_connections_messages_and_deliveries_and_health_answers() {
    let app = spawn_app().await;
    let mut tcp = app.tcp_named("compteur").await;
    let mut page = app.ws_named("page").await;
    tcp.send("un").await;
    page.expect("message").await;
    page.send(json!({"type": "say", "text": "deux"})).await;
    tcp.expect("deux").await;

    let (status, headers, body) = http_get(app.http, "/metrics").await;
    assert!(status.contains("200"), "{status}");
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-type" && v.starts_with("text/plain"))
    );
    let value = |line: &str| -> u64 {
        body.lines()
            .find(|candidate| candidate.starts_with(line))
            .and_then(|found| found.rsplit(' ').next())
            .and_then(|number| number.parse().ok())
            .unwrap_or_else(|| panic!("{line} in\n{body}"))
    };
    assert_eq!(value("tchat_connections{transport=\"tcp\"}"), 1);
    assert_eq!(value("tchat_connections{transport=\"web\"}"), 1);
    assert!(
        value("tchat_messages_in_total{transport=\"tcp\"}") >= 2,
        "the /nick and a line"
    );
    assert!(value("tchat_deliveries_total{transport=\"web\"}") >= 2);
    assert!(value("tchat_events_total") >= 4);
    assert!(body.contains("# TYPE tchat_deliveries_total counter"));

    let (status, _, body) = http_get(app.http, "/healthz").await;
    assert!(
        status.contains("200") && body.trim() == "ok",
        "{status} {body}"
    );
}

#[tokio::test]
async fn the_join_page_shows_every_way_in_for_the_board() {
    let app = spawn_app().await;
    let (status, headers, body) = http_get(app.http, "/join").await;
    assert!(status.contains("200"), "{status}");
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-type" && v.starts_with("text/html"))
    );
    assert!(body.contains("<svg"), "a QR code");
    assert!(
        body.contains(&format!("http://{}/", app.http)),
        "the page address"
    );
    let (ip, port) = (app.tcp.ip(), app.tcp.port());
    assert!(body.contains(&format!("nc {ip} {port}")), "{body}");
    assert!(body.contains(&format!("telnet {ip} {port}")), "{body}");
    assert!(body.contains("socket.create_connection"), "a Python client");
    let referrer = headers.iter().find(|(k, _)| k == "referrer-policy");
    assert_eq!(referrer.map(|(_, v)| v.as_str()), Some("no-referrer"));
    let csp = headers
        .iter()
        .find(|(k, _)| k == "content-security-policy")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    assert!(
        csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
}

/// A full room's welcome comes in small frames (the socket keeps a buffer the size of the
/// largest frame it sent), and put together it is still the whole room and history.
#[tokio::test]
async fn a_long_welcome_arrives_in_small_parts_and_loses_nothing() {
    let app = spawn_app().await;
    let mut writer = app.tcp_named("ecrivain").await;
    let mut others = Vec::new();
    for n in 0..80 {
        others.push(app.tcp_named(&format!("eleve{n:02}")).await);
    }
    let long = "x".repeat(150);
    for n in 0..60 {
        writer.send(&format!("message {n:02} {long}")).await;
    }
    // The last message is in the history once a later client sees it live.
    let mut watcher = app.ws_named("veilleur").await;
    writer.send("dernier").await;
    watcher.expect("message").await;

    let mut page = WsClient::connect(app.http).await;
    page.send(json!({"type": "hello", "nick": "lecteur"})).await;
    let mut kinds = Vec::new();
    let mut users = Vec::new();
    let mut history = Vec::new();
    loop {
        let frame = page.next().await;
        assert!(
            frame.to_string().len() < 3072,
            "a {} frame of {} bytes",
            frame["type"],
            frame.to_string().len()
        );
        let kind = frame["type"].as_str().expect("type").to_owned();
        let (list, key) = match kind.as_str() {
            "roster" => (&mut users, "users"),
            "backlog" => (&mut history, "events"),
            "welcome" => {
                users.extend(frame["users"].as_array().cloned().unwrap_or_default());
                history.extend(frame["history"].as_array().cloned().unwrap_or_default());
                kinds.push(kind);
                break;
            }
            other => panic!("unexpected {other} before the welcome"),
        };
        list.extend(frame[key].as_array().cloned().unwrap_or_default());
        kinds.push(kind);
    }
    assert!(kinds.iter().any(|kind| kind == "roster"));
    assert!(kinds.iter().filter(|kind| *kind == "backlog").count() >= 2);
    let nicks: Vec<_> = users
        .iter()
        .filter_map(|user| user["nick"].as_str())
        .collect();
    assert_eq!(nicks.len(), 83, "{nicks:?}");
    assert!(nicks.is_sorted_by_key(|nick| nick.to_lowercase()));
    assert!(nicks.contains(&"lecteur") && nicks.contains(&"eleve79"));
    let texts: Vec<_> = history
        .iter()
        .filter(|event| event["type"] == "message")
        .filter_map(|event| event["text"].as_str())
        .collect();
    let expected: Vec<_> = (0..60)
        .map(|n| format!("message {n:02} {long}"))
        .chain(["dernier".to_owned()])
        .collect();
    assert_eq!(texts, expected);
    let ids: Vec<_> = history
        .iter()
        .filter_map(|event| event["id"].as_u64())
        .collect();
    assert!(ids.is_sorted() && ids.len() == history.len());
}
