//! `/wire`: the bytes tchat read from a connection, as Python writes them, with what the
//! server made of each read; a teacher watches anyone's live, private messages masked.

use serde_json::json;

use crate::helpers::{TcpClient, TestApp, spawn_app};

/// The rows of a `/wire` answer after its heading, each without its time of day.
async fn wire_rows(client: &mut TcpClient) -> Vec<String> {
    client.send("/wire").await;
    client.expect("Ce que tchat a lu de ta connexion").await;
    let mut rows = Vec::new();
    loop {
        let row = client.line().await;
        rows.push(untimed(&row));
        if row.contains("b'/wire") {
            return rows;
        }
    }
}

/// `*   14:03:07  b'…'  → ligne` without its time: `b'…'  → ligne`; a live row keeps its
/// `[nick]`.
fn untimed(row: &str) -> String {
    let row = row.trim_start_matches(['*', ' ']);
    let (nick, rest) = match row.strip_prefix('[') {
        Some(rest) => {
            let (nick, rest) = rest.split_once("] ").expect("a live row");
            (format!("[{nick}] "), rest)
        }
        None => (String::new(), row),
    };
    let (clock, rest) = rest.split_once("  ").expect("a time first");
    assert_eq!(clock.len(), 8, "HH:MM:SS: {row}");
    format!("{nick}{rest}")
}

/// A teacher watching `nick`'s connection live, past the record so far.
async fn watching(app: &TestApp, nick: &str) -> TcpClient {
    let mut teacher = app.tcp_teacher("prof").await;
    teacher.send(&format!("/wire {nick}")).await;
    let heading = teacher.expect(nick).await;
    let count: usize = match heading.split_once(" : ") {
        Some((_, rest)) => rest
            .split(' ')
            .next()
            .and_then(|count| count.parse().ok())
            .expect("a count"),
        None => 0,
    };
    for _ in 0..count {
        teacher.line().await;
    }
    teacher
}

/// Sends `bytes` from `client`, and returns the read as `teacher`, watching, is shown it.
async fn sent(client: &mut TcpClient, teacher: &mut TcpClient, bytes: &[u8]) -> String {
    client.send_raw(bytes).await;
    live(client, teacher).await
}

/// The next read of `client` that `teacher`, watching, is shown.
async fn live(client: &TcpClient, teacher: &mut TcpClient) -> String {
    let start = format!("* [{}] ", client.nick);
    loop {
        let line = teacher.line().await;
        if line.starts_with(&start) {
            return untimed(&line);
        }
    }
}

#[tokio::test]
async fn telnet_negotiation_is_shown_refused_byte_for_byte() {
    let app = spawn_app().await;
    let mut client = TcpClient::greeted(app.tcp).await;
    let nick = client.nick.clone();
    let mut teacher = watching(&app, &nick).await;
    // IAC WILL NAWS, as a telnet client opens with: refused with IAC DONT NAWS.
    assert_eq!(
        sent(&mut client, &mut teacher, b"\xff\xfb\x1f").await,
        format!(r"[{nick}] b'\xff\xfb\x1f'  → négociation telnet refusée")
    );
    client.raw_until(b"\xff\xfe\x1f").await;
    assert_eq!(
        sent(&mut client, &mut teacher, b"bonjour\r\n").await,
        format!(r"[{nick}] b'bonjour\r\n'  → ligne")
    );
    assert_eq!(
        wire_rows(&mut client).await,
        [
            r"b'\xff\xfb\x1f'  → négociation telnet refusée",
            r"b'bonjour\r\n'  → ligne",
            r"b'/wire\n'  → ligne",
        ]
    );
}

#[tokio::test]
async fn a_character_split_between_two_reads_is_shown_as_its_bytes() {
    let app = spawn_app().await;
    let mut client = TcpClient::greeted(app.tcp).await;
    let nick = client.nick.clone();
    let mut teacher = watching(&app, &nick).await;
    let mut watcher = app.tcp_client().await;
    sent(&mut client, &mut teacher, b"\n").await;
    // "café" with its é cut in two: the first read waits for the rest of the character.
    assert_eq!(
        sent(&mut client, &mut teacher, b"caf\xc3").await,
        format!(r"[{nick}] b'caf\xc3'  → en attente de la suite")
    );
    assert_eq!(
        sent(&mut client, &mut teacher, b"\xa9\r\n").await,
        format!(r"[{nick}] b'\xa9\r\n'  → ligne")
    );
    watcher.expect(&format!("<{nick}> café")).await;
    assert_eq!(
        wire_rows(&mut client).await,
        [
            r"b'\n'  → ligne",
            r"b'caf\xc3'  → en attente de la suite",
            r"b'\xa9\r\n'  → ligne",
            r"b'/wire\n'  → ligne",
        ]
    );
}

#[tokio::test]
async fn a_chunk_mode_message_is_shown_as_sent_and_answered() {
    let app = spawn_app().await;
    let mut seed = TcpClient::greeted(app.tcp).await;
    let nick = seed.nick.clone();
    seed.send_raw("salut é".as_bytes()).await;
    assert_eq!(seed.line().await, format!("<{nick}> salut é"));
    seed.send_raw(b"/wire").await;
    seed.expect("Ce que tchat a lu de ta connexion : 2 lectures")
        .await;
    let chunk = "message après le silence, sans fin de ligne";
    assert_eq!(
        untimed(&seed.line().await),
        format!(r"b'salut \xc3\xa9'  → {chunk}")
    );
    assert_eq!(untimed(&seed.line().await), format!(r"b'/wire'  → {chunk}"));
}

#[tokio::test]
async fn invalid_utf8_is_shown_replaced() {
    let app = spawn_app().await;
    let mut client = TcpClient::greeted(app.tcp).await;
    let nick = client.nick.clone();
    let mut teacher = watching(&app, &nick).await;
    let mut watcher = app.tcp_client().await;
    assert_eq!(
        sent(&mut client, &mut teacher, b"caf\xe9\n").await,
        format!(r"[{nick}] b'caf\xe9\n'  → ligne, UTF-8 invalide remplacé par �")
    );
    watcher.expect(&format!("<{nick}> caf�")).await;
}

#[tokio::test]
async fn a_teacher_watches_live_and_private_messages_are_masked() {
    let app = spawn_app().await;
    let mut alice = app.tcp_named("alice").await;
    let mut bob = app.tcp_named("bob").await;
    let mut teacher = watching(&app, "bob").await;

    bob.send("/msg alice rendez-vous à midi").await;
    alice.expect("rendez-vous").await;
    let masked = live(&bob, &mut teacher).await;
    assert_eq!(masked, "[bob] (31 octets)  → ligne, message privé masqué");
    assert!(!masked.contains("midi"));
    assert_eq!(
        sent(&mut bob, &mut teacher, b"coucou\n").await,
        r"[bob] b'coucou\n'  → ligne"
    );
    // Its sender sees its own private message.
    assert!(
        wire_rows(&mut bob)
            .await
            .contains(&r"b'/msg alice rendez-vous \xc3\xa0 midi\n'  → ligne".to_owned())
    );
    teacher.expect("[bob]").await;

    // A student may not watch anyone else.
    alice.send("/wire bob").await;
    alice.expect("Seul un prof").await;

    teacher.send("/wire off").await;
    teacher.expect("Tu ne regardes plus").await;
    bob.send("plus vu").await;
    loop {
        let line = teacher.line().await;
        assert!(!line.contains("[bob]"), "no longer watched: {line}");
        if line == "<bob> plus vu" {
            break;
        }
    }
}

#[tokio::test]
async fn the_page_gets_its_own_frames() {
    let app = spawn_app().await;
    let mut page = app.ws_named("zoe").await;
    page.send(json!({"type": "say", "text": "bonjour"})).await;
    page.expect("message").await;
    page.send(json!({"type": "say", "text": "/wire"})).await;
    let wire = page.expect("wire").await;
    assert_eq!(wire["own"], true);
    let reads = wire["reads"].as_array().expect("reads");
    assert_eq!(reads[0]["bytes"], r#"b'{"text":"bonjour","type":"say"}'"#);
    assert_eq!(reads[0]["made"], json!(["frame"]));
    assert_eq!(reads.len(), 2);
}
