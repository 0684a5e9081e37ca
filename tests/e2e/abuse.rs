//! What one student with a script can try, and what everyone else notices: nothing, and the
//! server stays small.

use serde_json::{Value, json};

use crate::helpers::{TcpClient, WsClient, rss, spawn_app, spawn_app_with, start_binary, tchat};

/// Bytes of pongs a page that never reads would have the server queue without a bound.
const PINGS: usize = 200_000;

#[tokio::test]
async fn a_page_that_pings_and_never_reads_keeps_the_server_small() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut command = tchat();
    command.current_dir(dir.path()).args(["--db", ":memory:"]);
    let (server, http, tcp, _) = start_binary(command);
    let mut attacker = WsClient::connect(http).await;
    attacker
        .send(json!({"type": "hello", "nick": "pingeur"}))
        .await;
    let mut bystander = TcpClient::connect(tcp).await;
    let before = rss(server.id());
    // 25 MB of pings: each asks for a pong the attacker never reads. The server may cut the
    // attacker off before the last one; either way it must stay small.
    let _all_sent = attacker.ping_without_reading(&[b'p'; 125], PINGS).await;
    let grown = rss(server.id()).saturating_sub(before);
    assert!(
        grown < 8 * 1024 * 1024,
        "the server grew by {} KiB for one page's pings",
        grown / 1024
    );
    // And everyone else is served as before.
    bystander.send("/who").await;
    bystander.expect("connecté").await;
}

#[tokio::test]
async fn long_answers_come_in_small_frames_within_a_budget() {
    let app = spawn_app().await;
    let mut writer = app.tcp_named("bavard").await;
    let long = "x".repeat(1900);
    let burst: String = (0..1000).map(|n| format!("{n} {long}\n")).collect();
    writer.send_raw(burst.as_bytes()).await;
    let mut page = app.ws_named("curieux").await;
    page.send(json!({"type": "say", "text": "/history 1000"}))
        .await;
    // The page may see some of the burst live first; the answer is what matters.
    let frames = page.raw_until("history").await;
    let answer: Vec<&String> = frames
        .iter()
        .skip_while(|frame| !frame.contains(r#""type":"backlog""#))
        .collect();
    let total: usize = answer.iter().map(|frame| frame.len()).sum();
    assert!(
        answer.iter().all(|frame| frame.len() < 8 * 1024),
        "every frame is small: {:?}",
        answer.iter().map(|frame| frame.len()).max()
    );
    assert!(total <= 300 * 1024, "the answer is bounded: {total} bytes");
    let last: Value = serde_json::from_str(answer.last().expect("a history frame")).expect("JSON");
    assert!(
        last["missed"].as_u64().is_some_and(|missed| missed > 800),
        "{}",
        last["missed"]
    );
    let newest = last["events"]
        .as_array()
        .and_then(|events| events.last())
        .and_then(|event| event["text"].as_str())
        .unwrap_or_default()
        .to_owned();
    assert!(
        newest.starts_with("999 "),
        "the newest come: {}",
        &newest[..8]
    );

    // On TCP the same budget, and the client is told what was left out.
    let mut tcp = app.tcp_named("lecteur").await;
    tcp.send("/history 1000").await;
    tcp.expect("Derniers messages").await;
    assert!(
        tcp.line()
            .await
            .contains("plus anciens ne tiennent pas ici")
    );
    let mut bytes = 0;
    loop {
        let line = tcp.line().await;
        bytes += line.len() + 2;
        if line.starts_with("<bavard> 999 ") {
            break;
        }
    }
    assert!(bytes <= 256 * 1024, "{bytes}");
}

#[tokio::test]
async fn the_close_handshake_is_answered() {
    let app = spawn_app().await;
    let page = app.ws_named("polie").await;
    assert_eq!(page.close_with(1000).await, Some(1000));
    // Before joining too.
    let early = WsClient::connect(app.http).await;
    assert_eq!(early.close_with(1001).await, Some(1001));
}

#[tokio::test]
async fn a_tcp_client_that_never_gives_the_password_is_let_go() {
    let app = spawn_app_with(|config| {
        config.password = Some("sésame".to_owned());
        config.password_timeout = 1;
    })
    .await;
    let said = crate::helpers::refused_tcp(app.tcp).await;
    assert!(said.contains("/pass"), "{said}");
    assert!(
        said.ends_with("* Pas de mot de passe à temps : connexion fermée.\r\n"),
        "{said}"
    );
    // Someone who knows it still gets in.
    TcpClient::connect_with_password(app.tcp, "sésame").await;
}

#[tokio::test]
async fn text_cannot_reorder_or_hide_what_others_see_from_either_transport() {
    let app = spawn_app().await;
    let mut bystander = app.tcp_named("lecteur").await;
    let mut page_reader = app.ws_named("lectrice").await;
    let mut tcp = app.tcp_named("malin").await;
    let mut page = app.ws_named("maligne").await;
    // An override that makes the end of the line read first, and a hidden zero-width space.
    tcp.send("access = denied\u{202e} // ok\u{2069}").await;
    page.send(json!({"type": "say", "text": "mot\u{200b} de\u{2066}passe"}))
        .await;
    assert_eq!(
        bystander.expect("<malin>").await,
        "<malin> access = denied // ok"
    );
    assert_eq!(bystander.expect("<maligne>").await, "<maligne> mot depasse");
    let mut texts = Vec::new();
    while texts.len() < 2 {
        let frame = page_reader.expect("message").await;
        texts.push(frame["text"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(texts, ["access = denied // ok", "mot depasse"]);
    // Right-to-left writing and emoji sequences arrive as written.
    tcp.send("שלום 👩\u{200d}💻").await;
    assert_eq!(
        bystander.expect("<malin>").await,
        "<malin> שלום 👩\u{200d}💻"
    );
}

#[tokio::test]
async fn a_transcript_cell_never_runs_as_a_spreadsheet_formula() {
    let app = spawn_app().await;
    let mut tcp = app.tcp_named("tableur").await;
    let mut page = app.ws_named("calcul").await;
    tcp.send("=HYPERLINK(\"http://piege.example\",\"notes\")")
        .await;
    page.send(json!({"type": "say", "text": "@SUM(1+1)"})).await;
    page.send(json!({"type": "say", "text": "fin"})).await;
    page.expect("message").await;
    loop {
        let frame = page.expect("message").await;
        if frame["text"] == "fin" {
            break;
        }
    }
    let (_, _, body) = crate::helpers::http_get(app.http, "/transcript.csv").await;
    let texts: Vec<String> = csv::Reader::from_reader(body.as_bytes())
        .records()
        .map(|row| row.expect("valid CSV"))
        .filter(|row| &row[2] == "message")
        .map(|row| row[5].to_owned())
        .collect();
    assert_eq!(
        texts,
        [
            "'=HYPERLINK(\"http://piege.example\",\"notes\")",
            "'@SUM(1+1)",
            "fin"
        ]
    );
}

#[tokio::test]
async fn a_class_behind_one_address_gets_in_and_a_guesser_locks_out_only_themself() {
    let app = spawn_app_with(|config| config.password = Some("sésame".to_owned())).await;
    // Every test client comes from 127.0.0.1: one address, like a class behind NAT.
    let mut guesser = tokio::net::TcpStream::connect(app.tcp)
        .await
        .expect("connect");
    let guesses: String = (0..5).map(|n| format!("/pass faux{n}\n")).collect();
    tokio::io::AsyncWriteExt::write_all(&mut guesser, guesses.as_bytes())
        .await
        .expect("write");
    let mut said = String::new();
    tokio::time::timeout(
        crate::helpers::PATIENCE,
        tokio::io::AsyncReadExt::read_to_string(&mut guesser, &mut said),
    )
    .await
    .expect("closed in time")
    .expect("read");
    assert!(
        said.ends_with("* Trop d'essais : attends une minute.\r\n"),
        "{said}"
    );
    let mut class = Vec::new();
    for n in 0..15 {
        class.push(TcpClient::connect_with_password(app.tcp, "sésame").await);
        let mut page = WsClient::connect(app.http).await;
        page.send(json!({"type": "hello", "nick": format!("eleve{n}"), "password": "sésame"}))
            .await;
        assert_eq!(page.welcome().await["nick"], format!("eleve{n}"));
        class.push(TcpClient::connect_with_password(app.tcp, "sésame").await);
        drop(page);
    }
    assert_eq!(class.len(), 30);
}

#[tokio::test]
async fn teacher_token_guesses_are_limited_per_address_on_every_route() {
    let app = spawn_app_with(|config| config.guesses_per_address = 6).await;
    // Through a proxy tchat does not trust, a request is not "the machine itself".
    let forwarded = [("X-Forwarded-For", "10.0.0.9")];
    let (status, _, _) = crate::helpers::http_get_with(app.http, "/metrics", &forwarded).await;
    assert!(status.contains("403"), "{status}");
    for _ in 0..2 {
        let (status, _, _) =
            crate::helpers::http_get_with(app.http, "/transcript.txt?teacher=faux", &forwarded)
                .await;
        assert!(status.contains("403"), "{status}");
    }
    let mut tcp = app.tcp_named("devineur").await;
    for guess in ["faux1", "faux2"] {
        tcp.send(&format!("/op {guess}")).await;
        assert_eq!(tcp.line().await, "* Mauvais jeton de prof.");
    }
    for guess in ["faux3", "faux4"] {
        let mut page = WsClient::connect(app.http).await;
        page.send(json!({"type": "hello", "nick": "devine", "teacher": guess}))
            .await;
        assert_eq!(page.expect_error("bad_token").await["code"], "bad_token");
    }
    // Six wrong guesses from this address in a minute: even the right token waits now.
    let right = format!("/metrics?teacher={}", crate::helpers::TEACHER);
    let (status, _, _) = crate::helpers::http_get_with(app.http, &right, &forwarded).await;
    assert!(status.contains("429"), "{status}");
    tcp.send(&format!("/op {}", crate::helpers::TEACHER)).await;
    assert_eq!(tcp.line().await, "* Trop d'essais : attends une minute.");
    // The machine itself is not held up.
    let (status, _, body) = crate::helpers::http_get(app.http, "/healthz").await;
    assert!(status.contains("200") && body == "ok\n", "{status} {body}");
}

#[tokio::test]
async fn a_reverse_proxy_on_the_same_machine_does_not_make_students_the_machine() {
    let app =
        spawn_app_with(|config| config.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")])
            .await;
    let get = |forwarded: &'static str| async move {
        let (status, _, _) = crate::helpers::http_get_with(
            app.http,
            "/transcript.txt",
            &[("X-Forwarded-For", forwarded)],
        )
        .await;
        status
    };
    assert!(get("192.168.1.40").await.contains("403"), "a student");
    assert!(
        get("127.0.0.1").await.contains("200"),
        "the machine behind its proxy"
    );
    let (status, _, _) =
        crate::helpers::http_get_with(app.http, "/healthz", &[("X-Forwarded-For", "192.168.1.40")])
            .await;
    assert!(status.contains("403"), "{status}");
}

#[tokio::test]
async fn no_secret_reaches_the_log_at_any_level() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log_path = dir.path().join("tchat.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut command = tchat();
    command
        .current_dir(dir.path())
        .env(
            "RUST_LOG",
            "trace,tungstenite=trace,tungstenite::protocol=trace,hyper::proto::h1=trace,axum=trace",
        )
        .args(["--db", ":memory:", "--teacher-token", "jeton-tres-secret"])
        .args(["--password", "mot-de-passe-secret"]);
    let (mut server, http, tcp, _) = crate::helpers::start_binary_logging(command, log);
    let mut page = WsClient::connect(http).await;
    page.send(json!({
        "type": "hello", "nick": "prof", "teacher": "jeton-tres-secret",
        "password": "mot-de-passe-secret"
    }))
    .await;
    page.welcome().await;
    let mut tcp = TcpClient::connect_with_password(tcp, "mot-de-passe-secret").await;
    tcp.send("/op jeton-tres-secret").await;
    tcp.expect("est prof").await;
    tcp.send("/op jeton-tres-faux").await;
    tcp.expect("Mauvais jeton").await;
    let forwarded = [("X-Forwarded-For", "10.0.0.9")];
    crate::helpers::http_get_with(http, "/metrics?teacher=jeton-tres-secret", &forwarded).await;
    server.kill().expect("kill");
    server.wait().expect("reap");
    let log = std::fs::read_to_string(&log_path).expect("read log");
    assert!(
        log.contains("connected"),
        "the log was written: {} bytes",
        log.len()
    );
    for secret in [
        "jeton-tres-secret",
        "mot-de-passe-secret",
        "jeton-tres-faux",
    ] {
        let leaks = log.lines().filter(|line| line.contains(secret)).count();
        assert_eq!(leaks, 0, "{secret} is in {leaks} log lines");
    }
}

/// Sets the soft limit on the size of files `pid` writes (`ulimit -f`); `None` lifts it.
fn file_size_limit(pid: u32, bytes: Option<u64>) {
    use rustix::process::{Pid, Resource, Rlimit, prlimit};
    let pid = i32::try_from(pid)
        .ok()
        .and_then(Pid::from_raw)
        .expect("pid");
    prlimit(
        Some(pid),
        Resource::Fsize,
        Rlimit {
            current: bytes,
            maximum: None,
        },
    )
    .expect("prlimit");
}

#[tokio::test]
async fn nothing_is_shown_that_is_not_saved_and_saving_recovers_by_itself() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("classe.db");
    let mut command = tchat();
    command
        .current_dir(dir.path())
        .args([
            "--max-rate",
            "0",
            "--teacher-token",
            crate::helpers::TEACHER,
        ])
        .arg("--db")
        .arg(&db);
    let (server, http, tcp, _) = start_binary(command);
    let mut teacher = TcpClient::connect(tcp).await;
    teacher
        .send(&format!("/op {}", crate::helpers::TEACHER))
        .await;
    teacher.expect("est prof").await;
    let mut sender = TcpClient::connect(tcp).await;
    let mut watcher = WsClient::connect(http).await;
    watcher
        .send(json!({"type": "hello", "nick": "temoin"}))
        .await;
    watcher.welcome().await;

    // The disk is "full": files may not grow any more.
    let size = |path: &std::path::Path| std::fs::metadata(path).map_or(0, |meta| meta.len());
    let wal = dir.path().join("classe.db-wal");
    file_size_limit(server.id(), Some(size(&db).max(size(&wal)) + 1));
    let long = "x".repeat(1500);
    // Messages go on being shown until one cannot be saved; the teacher sees each, or is
    // told saving fails.
    'sending: for n in 0.. {
        sender.send(&format!("m{n} {long}")).await;
        loop {
            let line = teacher.line().await;
            if line.contains(&format!("> m{n} ")) {
                break;
            }
            if line.contains("ne peut plus être enregistré") {
                break 'sending;
            }
        }
    }
    assert_eq!(
        sender.expect("enregistré").await,
        "* Ton message n'a pas pu être enregistré : personne ne l'a reçu. Réessaie dans un moment."
    );
    let (status, _, body) = crate::helpers::http_get(http, "/healthz").await;
    assert!(
        status.contains("503") && body.starts_with("saving fails"),
        "{status} {body}"
    );
    sender.send("pendant la panne").await;
    assert!(sender.line().await.contains("n'a pas pu être enregistré"));
    // A guest given a number meanwhile keeps it: the number is saved once saving works.
    let guest = TcpClient::connect(tcp).await;

    // Room on the disk again: tchat notices by itself and the class goes on.
    file_size_limit(server.id(), None);
    assert_eq!(
        teacher.expect("de nouveau enregistré").await,
        "* L'historique est de nouveau enregistré : la conversation reprend."
    );
    sender.send("après la panne").await;
    let mut seen = Vec::new();
    loop {
        let frame = watcher.expect("message").await;
        let text = frame["text"].as_str().unwrap_or_default().to_owned();
        assert_ne!(text, "pendant la panne", "shown although not saved");
        let done = text == "après la panne";
        seen.push((frame["id"].as_u64().expect("id"), text));
        if done {
            break;
        }
    }
    let (status, _, _) = crate::helpers::http_get(http, "/healthz").await;
    assert!(status.contains("200"), "{status}");
    drop(server);
    // Everything the watcher was shown is in the database.
    let reader = tchat::store::Reader::open(&db).expect("database");
    let saved: Vec<(u64, String)> = reader
        .since_time(0, None)
        .expect("read")
        .into_iter()
        .filter_map(|event| match event.kind {
            tchat::chat::EventKind::Message { text, .. } => Some((event.id, text)),
            _ => None,
        })
        .collect();
    for shown in &seen {
        assert!(saved.contains(shown), "{} was shown but not saved", shown.0);
    }
    let last_guest: String = rusqlite::Connection::open(&db)
        .expect("the database")
        .query_row(
            "SELECT value FROM meta WHERE key = 'last_guest'",
            [],
            |row| row.get(0),
        )
        .expect("the last guest number given");
    assert_eq!(format!("guest{last_guest}"), guest.nick);
}

#[tokio::test]
async fn a_database_removed_while_running_is_made_again_and_keeps_everything_new() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("classe.db");
    let app = spawn_app_with(|config| config.db = db.clone()).await;
    let (mut page, welcome) = app.ws_resuming("temoin", 0).await;
    let epoch = welcome["epoch"].clone();
    let mut tcp = app.tcp_named("bavard").await;
    for suffix in ["", "-wal", "-shm"] {
        let mut name = db.clone().into_os_string();
        name.push(suffix);
        let _ = std::fs::remove_file(name);
    }
    tcp.send("après la suppression").await;
    let shown = loop {
        let frame = page.expect("message").await;
        if frame["text"] == "après la suppression" {
            break frame["id"].as_u64().expect("id");
        }
    };
    let reader = tchat::store::Reader::open(&db).expect("the database is back");
    let saved = reader.since_time(0, None).expect("read");
    assert!(
        saved.iter().any(|event| event.id == shown),
        "{shown} was shown but not saved"
    );
    app.stop().await;
    // And the conversation is the same one: a page resuming is not told it restarted.
    let app = spawn_app_with(|config| config.db = db.clone()).await;
    let (_, again) = app.ws_resuming("temoin", shown).await;
    assert_eq!(again["epoch"], epoch);
}

/// Sends `bytes` on a fresh HTTP connection and reads the whole answer (the server closes).
async fn raw_http(http: std::net::SocketAddr, bytes: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(http).await.expect("connect");
    // The server may answer and close before everything is written: that is the point.
    let _ = tokio::io::AsyncWriteExt::write_all(&mut stream, bytes).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        crate::helpers::PATIENCE,
        tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut answer),
    )
    .await
    .expect("an answer in time");
    String::from_utf8_lossy(&answer).into_owned()
}

fn has_security_headers(answer: &str) -> bool {
    let head = answer.to_ascii_lowercase();
    head.contains("content-security-policy: default-src 'self'")
        && head.contains("x-content-type-options: nosniff")
        && head.contains("referrer-policy: no-referrer")
}

#[tokio::test]
async fn the_servers_own_error_answers_carry_the_security_headers() {
    let app = spawn_app_with(|config| config.max_per_address = 2).await;
    let garbage = raw_http(app.http, b"\x16\x03\x01 not http at all\r\n\r\n").await;
    assert!(garbage.starts_with("HTTP/1.1 400"), "{garbage}");
    assert!(has_security_headers(&garbage), "{garbage}");
    let huge = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(40_000)
    );
    let too_large = raw_http(app.http, huge.as_bytes()).await;
    assert!(too_large.starts_with("HTTP/1.1 431"), "{too_large}");
    assert!(has_security_headers(&too_large), "{too_large}");
    // Two connections from this address are all it may have: the third is told so.
    let _one = tokio::net::TcpStream::connect(app.http)
        .await
        .expect("connect");
    let _two = tokio::net::TcpStream::connect(app.http)
        .await
        .expect("connect");
    let full = raw_http(app.http, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(full.starts_with("HTTP/1.1 503"), "{full}");
    assert!(has_security_headers(&full), "{full}");
}

#[tokio::test]
async fn half_sent_headers_cannot_hold_the_server() {
    let app = spawn_app_with(|config| {
        config.http_timeout = 1;
        config.max_per_address = 2;
    })
    .await;
    // A head that never ends is cut off at the size limit, one that stalls at the time
    // limit; either way the place it held is given back.
    let endless = format!("GET / HTTP/1.1\r\nX-Pad: {}", "a".repeat(300_000));
    let cut = raw_http(app.http, endless.as_bytes()).await;
    assert!(cut.starts_with("HTTP/1.1 431"), "{cut}");
    let stalled = raw_http(app.http, b"GET / HTTP/1.1\r\nHost: x\r\n").await;
    assert!(stalled.starts_with("HTTP/1.1 408"), "{stalled}");
    // Idle HTTP connections count in the same caps as the chat: two of them fill this
    // address, until the time limit frees them.
    let idle = [
        tokio::net::TcpStream::connect(app.http)
            .await
            .expect("connect"),
        tokio::net::TcpStream::connect(app.http)
            .await
            .expect("connect"),
    ];
    assert_eq!(
        crate::helpers::refused_tcp(app.tcp).await,
        "* Trop de connexions ; réessaie plus tard.\r\n"
    );
    for mut connection in idle {
        let mut answer = String::new();
        let _ = tokio::io::AsyncReadExt::read_to_string(&mut connection, &mut answer).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
    // The places are given back as the connections close.
    crate::helpers::wait_for_a_tcp_place(app.tcp).await;
}

#[tokio::test]
async fn another_sites_name_for_this_machine_opens_neither_the_chat_nor_the_teachers_routes() {
    let app = spawn_app().await;
    let rebound = |path: &str| {
        format!(
            "GET {path} HTTP/1.1\r\nHost: evil.example:8080\r\nConnection: Upgrade\r\n\
             Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        )
    };
    let ws = raw_http(app.http, rebound("/ws").as_bytes()).await;
    assert!(ws.starts_with("HTTP/1.1 403"), "{ws}");
    let transcript = raw_http(app.http, rebound("/transcript.txt").as_bytes()).await;
    assert!(transcript.starts_with("HTTP/1.1 403"), "{transcript}");
    // The page itself is harmless and still served; a name the teacher gave is accepted.
    let page = raw_http(app.http, b"GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n").await;
    assert!(page.starts_with("HTTP/1.1 200"), "{}", &page[..40]);
    let app = spawn_app_with(|config| config.public_hosts = vec!["salle12.lycee.fr".into()]).await;
    let named = "GET /healthz HTTP/1.1\r\nHost: salle12.lycee.fr:8080\r\n\r\n";
    let named = raw_http(app.http, named.as_bytes()).await;
    assert!(named.starts_with("HTTP/1.1 200"), "{named}");
}

#[tokio::test]
async fn a_mute_follows_the_person_across_a_refresh_and_to_the_other_transport() {
    let app = spawn_app().await;
    let mut teacher = app.tcp_teacher("prof").await;
    let (mut page, welcome) = app.ws_resuming("camille", 0).await;
    teacher.send("/mute camille").await;
    page.expect("notice").await;
    // The page reloads and takes its name back with its token: still silenced.
    let token = welcome["token"].as_str().expect("token").to_owned();
    drop(page);
    let mut page = WsClient::connect(app.http).await;
    page.send(json!({"type": "hello", "nick": "camille", "token": token}))
        .await;
    page.welcome().await;
    page.send(json!({"type": "say", "text": "je parle quand même"}))
        .await;
    page.expect_error("muted").await;
    page.close().await;
    // Then comes back with nc under the same name: still silenced.
    let mut tcp = app.tcp_named("camille").await;
    tcp.send("et par TCP ?").await;
    assert!(
        tcp.line()
            .await
            .starts_with("* Tu ne peux pas écrire pour l'instant")
    );
    teacher.send("/unmute camille").await;
    tcp.expect("peut de nouveau écrire").await;
    tcp.send("merci").await;
    teacher.expect("<camille> merci").await;
}

#[tokio::test]
async fn someone_sent_away_cannot_come_straight_back_under_the_same_name() {
    let app = spawn_app().await;
    let mut teacher = app.tcp_teacher("prof").await;
    let mut page = app.ws_named("bob").await;
    teacher.send("/kick bob").await;
    assert_eq!(page.expect("bye").await["reason"], "kicked");
    let mut again = WsClient::connect(app.http).await;
    again.send(json!({"type": "hello", "nick": "bob"})).await;
    let refusal = again.expect_error("kick_cooldown").await;
    assert!(
        refusal["args"]["seconds"]
            .as_u64()
            .is_some_and(|seconds| seconds > 50),
        "{refusal}"
    );
    let mut tcp = app.tcp_client().await;
    tcp.send("/nick bob").await;
    assert!(
        tcp.line()
            .await
            .starts_with("* Tu as été exclu·e : reviens dans")
    );
    // Under another name, the teacher sees who it is.
    tcp.send("/nick bobby").await;
    teacher.expect("maintenant bobby").await;
}

#[tokio::test]
async fn slow_mode_follows_the_person_across_reconnections() {
    let app = spawn_app().await;
    let mut teacher = app.tcp_teacher("prof").await;
    teacher.send("/slow 60").await;
    let mut student = app.tcp_named("rapide").await;
    student.send("premier").await;
    teacher.expect("<rapide> premier").await;
    drop(student);
    teacher.expect("rapide a quitté").await;
    let mut student = app.tcp_named("rapide").await;
    student.send("second").await;
    assert!(
        student
            .line()
            .await
            .starts_with("* Mode lent : attends encore")
    );
}

#[tokio::test]
async fn many_connections_from_one_address_share_one_budget() {
    let app = spawn_app_with(|config| config.max_rate = 2).await;
    let mut bystander = app.ws_named("temoin").await;
    let mut flooders = Vec::new();
    for n in 0..20 {
        flooders.push(app.tcp_named(&format!("multi{n}")).await);
    }
    // Each sends 10 lines: within a person's allowance (a burst of 4) for the first few,
    // but 20 people's worth from one address.
    for flooder in &mut flooders {
        let lines: String = (0..10).map(|k| format!("ligne {k}\n")).collect();
        flooder.send_raw(lines.as_bytes()).await;
    }
    // Each one's departure is published after every line it sent: the room is read until
    // all have left.
    drop(flooders);
    let (mut relayed, mut left) = (0, 0);
    while left < 20 {
        let frame = bystander.next().await;
        match frame["type"].as_str() {
            Some("message") => relayed += 1,
            Some("leave") => left += 1,
            _ => {}
        }
    }
    assert!(
        relayed < 80,
        "one address's budget, not 20 people's allowances: {relayed} of 200"
    );
}

/// A TCP connection to `addr` from the loopback address `from` (127.0.0.0/8 is all this
/// machine): another "laptop" as far as tchat can tell.
async fn connect_from(from: &str, addr: std::net::SocketAddr) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(format!("{from}:0").parse().expect("address"))
        .expect("bind");
    socket.connect(addr).await.expect("connect")
}

#[tokio::test]
async fn arrivals_and_departures_are_not_a_spam_channel() {
    let app = spawn_app_with(|config| config.announce_after = 2).await;
    let mut bystander = app.tcp_client().await;
    let mut teacher = app.tcp_client().await;
    teacher
        .send(&format!("/op {}", crate::helpers::TEACHER))
        .await;
    teacher.expect("est prof").await;
    // A script comes and goes a thousand times from another laptop, without a word.
    for _ in 0..1000 {
        let mut stream = connect_from("127.0.0.2", app.tcp).await;
        let mut greeting = [0u8; 16];
        let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut greeting).await;
    }
    teacher.send("fin du cours").await;
    let mut noise = Vec::new();
    loop {
        let line = bystander.line().await;
        if line.ends_with("fin du cours") {
            break;
        }
        if line.contains("a rejoint") || line.contains("a quitté") {
            noise.push(line);
        }
    }
    // The teacher's own arrival was told (it spoke); the script's were not.
    assert!(
        noise.iter().all(|line| !line.contains("127.0.0.2")),
        "{noise:?}"
    );
    assert!(noise.len() <= 1, "{noise:?}");
    // Addresses are for the teacher alone.
    bystander.send("/arrivals").await;
    assert_eq!(bystander.line().await, "* Seul un prof peut faire ça.");
    // The teacher sees the addresses behind the latest arrivals, and bans the script's.
    teacher.send("/arrivals").await;
    teacher.expect("Dernières arrivées").await;
    let arrival = teacher.line().await;
    assert!(arrival.contains("depuis 127.0.0.2, parti·e"), "{arrival}");
    teacher.send("/ban 127.0.0.2").await;
    assert!(
        teacher
            .expect("a banni une adresse")
            .await
            .contains("(0 connexion")
    );
    let mut banned = connect_from("127.0.0.2", app.tcp).await;
    let mut said = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut banned, &mut said)
        .await
        .expect("read");
    assert_eq!(
        said,
        "* Ton adresse est bannie jusqu'au redémarrage du serveur.\r\n"
    );
    // Banning one's own address is refused, not done.
    teacher.send("/ban 127.0.0.1").await;
    assert_eq!(
        teacher.line().await,
        "* Tu ne peux pas t'envoyer un message privé."
    );
}

#[tokio::test]
async fn arrivals_from_one_address_are_told_at_a_limited_pace() {
    let app = spawn_app_with(|config| config.max_rate = 5).await;
    let mut bystander = app.tcp_named("temoin").await;
    let mut crowd = Vec::new();
    for _ in 0..60 {
        crowd.push(connect_from("127.0.0.3", app.tcp).await);
    }
    let mut mark = app.tcp_named("repere").await;
    mark.send("c'est tout").await;
    let mut told = 0;
    loop {
        let line = bystander.line().await;
        if line == "<repere> c'est tout" {
            break;
        }
        if line.contains("a rejoint") {
            told += 1;
        }
    }
    // A class arriving together is told (40 at once), then one every two seconds.
    assert!((40..=45).contains(&told), "{told} of 60 arrivals told");
    drop(crowd);
}

#[tokio::test]
async fn endless_request_heads_keep_the_server_small() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut command = tchat();
    command
        .current_dir(dir.path())
        .args(["--db", ":memory:", "--max-per-address", "1000"]);
    let (server, http, tcp, _) = start_binary(command);
    let before = rss(server.id());
    // 200 connections at once, each sending 300 KB of a head that never ends.
    let head = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: {}",
        "a".repeat(300 * 1024)
    );
    let mut held = Vec::new();
    for _ in 0..200 {
        let mut stream = tokio::net::TcpStream::connect(http).await.expect("connect");
        let _ = tokio::time::timeout(
            std::time::Duration::from_millis(50),
            tokio::io::AsyncWriteExt::write_all(&mut stream, head.as_bytes()),
        )
        .await;
        held.push(stream);
    }
    let grown = rss(server.id()).saturating_sub(before);
    assert!(
        grown < 8 * 1024 * 1024,
        "the server grew by {} KiB for 200 endless heads",
        grown / 1024
    );
    // A student arriving meanwhile is served.
    let mut student = TcpClient::connect(tcp).await;
    student.send("/who").await;
    student.expect("connecté").await;
    drop(held);
}
