//! Hostile input, tried over real sockets: the offender gets a clear error or is cut off,
//! everyone else keeps receiving every message, and the server keeps running.

use std::time::Duration;

use serde_json::json;
use tokio::io::AsyncWriteExt;

use crate::helpers::{TcpClient, TestApp, WsClient, spawn_app, spawn_app_with, ws_with_headers};

/// Two bystanders who join now exchange a message: the server still works for others.
async fn still_serving(app: &TestApp) {
    let mut a = TcpClient::connect(app.tcp).await;
    let mut b = app.ws_named(&format!("témoin{}", a.nick)).await;
    a.send("toujours là ?").await;
    loop {
        let frame = b.next().await;
        if frame["type"] == "message" && frame["text"] == "toujours là ?" {
            return;
        }
    }
}

#[tokio::test]
async fn a_flood_is_warned_then_silenced_and_others_miss_nothing() {
    let app = spawn_app_with(|config| config.max_rate = 5).await;
    let mut teacher = app.tcp_teacher("prof").await;
    let mut listener = app.tcp_named("lecteur").await;
    let mut flooder = app.tcp_named("vandale").await;
    let mut talker = app.tcp_named("calme").await;

    let flood: String = (0..300).map(|n| format!("spam {n}\n")).collect();
    flooder.send_raw(flood.as_bytes()).await;
    assert_eq!(
        flooder.expect("Doucement").await,
        "* Doucement ! Trop de messages d'un coup : ceux-là ne sont pas envoyés."
    );
    assert!(
        flooder
            .expect("pour l'instant")
            .await
            .starts_with("* Tu ne peux pas écrire")
    );
    // The teachers are told, of the warning and then of the mute; the class is not.
    teacher.expect("vandale écrit trop vite").await;
    teacher.expect("vandale écrivait trop vite").await;
    for n in 0..5 {
        talker.send(&format!("normal {n}")).await;
    }
    let mut relayed = 0;
    let mut normal = 0;
    while normal < 5 {
        let line = listener.line().await;
        if line.starts_with("<vandale> spam") {
            relayed += 1;
        } else if let Some(rest) = line.strip_prefix("<calme> normal ") {
            assert_eq!(rest, normal.to_string(), "every normal message, in order");
            normal += 1;
        }
        assert!(
            !(line.contains("vandale") && line.contains("écrire")),
            "the class was told: {line}"
        );
    }
    assert!(
        relayed <= 15,
        "only the burst got through, not {relayed} of 300"
    );
    still_serving(&app).await;
}

#[tokio::test]
async fn a_megabyte_without_newline_is_told_and_cut_off() {
    let app = spawn_app().await;
    let mut listener = app.tcp_client().await;
    let mut attacker = app.tcp_named("gros").await;
    let _ = attacker.writer().write_all(&vec![b'A'; 1 << 20]).await;
    assert!(
        attacker
            .expect("trop longue")
            .await
            .contains("connexion fermée")
    );
    assert_eq!(attacker.try_line().await, None);
    assert_eq!(
        listener.expect("gros a quitté").await,
        "* gros a quitté la conversation"
    );
    still_serving(&app).await;
}

#[tokio::test]
async fn binary_garbage_never_reaches_anyone_as_control_characters() {
    let app = spawn_app().await;
    let mut listener = app.tcp_client().await;
    let mut attacker = app.tcp_named("bruit").await;
    let mut garbage = Vec::new();
    let mut seed = 0x2545_f491_u32;
    for _ in 0..20_000 {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        garbage.push((seed & 0xff) as u8);
    }
    garbage.extend_from_slice(b"\nfin du bruit\n");
    let _ = attacker.writer().write_all(&garbage).await;
    loop {
        let line = listener.line().await;
        assert!(!line.chars().any(char::is_control), "{line:?}");
        if line.contains("fin du bruit") || line.contains("bruit a quitté") {
            break;
        }
    }
    still_serving(&app).await;
}

#[tokio::test]
async fn connections_are_capped_per_address_and_in_all() {
    let app = spawn_app_with(|config| config.max_per_address = 3).await;
    let _a = app.tcp_client().await;
    let _b = app.tcp_client().await;
    let _c = app.ws_named("troisième").await;
    assert_eq!(
        crate::helpers::refused_tcp(app.tcp).await,
        "* Trop de connexions ; réessaie plus tard.\r\n"
    );
    assert_eq!(ws_with_headers(app.http, &[]).await.err(), Some(503));
    drop(_a);
    // The place is given back once a connection ends.
    crate::helpers::wait_for_a_tcp_place(app.tcp).await;

    let app = spawn_app_with(|config| config.max_connections = 2).await;
    let _a = app.tcp_client().await;
    let _b = app.ws_named("deuxième").await;
    assert_eq!(ws_with_headers(app.http, &[]).await.err(), Some(503));
}

#[tokio::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    let app = spawn_app_with(|config| {
        config.max_per_address = 1;
        config.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")];
    })
    .await;
    let forwarded = |ip: &'static str| [("x-forwarded-for", ip)];
    let _one = ws_with_headers(app.http, &forwarded("10.0.0.7"))
        .await
        .expect("first from .7");
    assert_eq!(
        ws_with_headers(app.http, &forwarded("10.0.0.7"))
            .await
            .err(),
        Some(503)
    );
    assert!(
        ws_with_headers(app.http, &forwarded("10.0.0.8"))
            .await
            .is_ok()
    );

    // From an untrusted peer the header is ignored: it cannot dodge the limit.
    let app = spawn_app_with(|config| config.max_per_address = 1).await;
    let _one = ws_with_headers(app.http, &forwarded("10.0.0.7"))
        .await
        .expect("first");
    assert_eq!(
        ws_with_headers(app.http, &forwarded("10.0.0.8"))
            .await
            .err(),
        Some(503)
    );
}

#[tokio::test]
async fn websockets_from_another_origin_are_refused() {
    let app = spawn_app_with(|config| {
        config.allowed_origins = vec!["https://ent.example.org".to_owned()];
    })
    .await;
    let evil = [("origin", "http://evil.example")];
    assert_eq!(ws_with_headers(app.http, &evil).await.err(), Some(403));
    let own = format!("http://{}", app.http);
    assert!(ws_with_headers(app.http, &[("origin", &own)]).await.is_ok());
    let allowed = [("origin", "https://ent.example.org")];
    assert!(ws_with_headers(app.http, &allowed).await.is_ok());
    still_serving(&app).await;
}

#[tokio::test]
async fn without_the_password_nothing_is_seen_or_said_and_guesses_are_limited_per_connection() {
    let app = spawn_app_with(|config| config.password = Some("sésame".to_owned())).await;
    let mut stranger = tokio::net::TcpStream::connect(app.tcp)
        .await
        .expect("connect");
    let mut prompt = vec![0u8; 200];
    let n = tokio::io::AsyncReadExt::read(&mut stranger, &mut prompt)
        .await
        .expect("read");
    assert_eq!(
        String::from_utf8_lossy(&prompt[..n]),
        "* Cette conversation a un mot de passe : tape /pass MOTDEPASSE\r\n"
    );

    let mut member = TcpClient::connect_with_password(app.tcp, "sésame").await;
    member.send("/nick membre").await;
    member.expect("maintenant membre").await;

    stranger
        .write_all(b"hello everyone\n")
        .await
        .expect("write");
    let mut reader = tokio::io::BufReader::new(stranger);
    let mut line = String::new();
    tokio::io::AsyncBufReadExt::read_line(&mut reader, &mut line)
        .await
        .expect("read");
    assert_eq!(line, "* Mauvais mot de passe.\r\n");
    member.send("/who").await;
    assert_eq!(
        member.expect("connecté").await,
        "* 1 personne connectée :",
        "the stranger is not in"
    );

    // Five wrong guesses, and that connection has had its tries.
    let mut stranger = reader.into_inner();
    for guess in ["a", "b", "c", "d"] {
        stranger
            .write_all(format!("/pass {guess}\n").as_bytes())
            .await
            .expect("write");
    }
    let mut rest = String::new();
    let _ = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::io::AsyncReadExt::read_to_string(&mut stranger, &mut rest),
    )
    .await;
    assert!(
        rest.ends_with("* Trop d'essais : attends une minute.\r\n"),
        "{rest}"
    );
    // A classmate behind the same address, with the right password, is not held up.
    let mut page = WsClient::connect(app.http).await;
    page.send(json!({"type": "hello", "nick": "x", "password": "sésame"}))
        .await;
    assert_eq!(page.welcome().await["nick"], "x");
}

#[tokio::test]
async fn a_page_needs_the_password_too() {
    let app = spawn_app_with(|config| config.password = Some("sésame".to_owned())).await;
    let mut page = WsClient::connect(app.http).await;
    page.send(json!({"type": "say", "text": "je force"})).await;
    assert_eq!(page.expect("error").await["code"], "password_required");
    page.send(json!({"type": "hello", "nick": "x", "password": "faux"}))
        .await;
    assert_eq!(page.expect("error").await["code"], "password_wrong");
    page.send(json!({"type": "hello", "nick": "x", "password": "sésame"}))
        .await;
    assert_eq!(page.welcome().await["nick"], "x");
}

#[tokio::test]
async fn nobody_can_pass_for_the_server() {
    let app = spawn_app().await;
    let mut listener = app.tcp_client().await;
    let mut faker = app.tcp_named("malin").await;
    faker.send("* alice a quitté la conversation").await;
    faker.send("/me a rejoint la conversation (TCP)").await;
    assert_eq!(
        listener.expect("alice a quitté").await,
        "<malin> * alice a quitté la conversation"
    );
    assert_eq!(
        listener.expect("a rejoint la conversation (TCP)").await,
        "• malin a rejoint la conversation (TCP)"
    );
    for bad in [
        "a\u{200b}b",
        "\u{202e}nimda",
        "x\u{7}",
        "tchat",
        "Serv\u{435}ur",
    ] {
        faker.send(&format!("/nick {bad}")).await;
        let line = faker.line().await;
        assert!(
            line.starts_with("* Pseudo invalide") || line.contains("est réservé"),
            "{bad:?}: {line}"
        );
    }
    still_serving(&app).await;
}
