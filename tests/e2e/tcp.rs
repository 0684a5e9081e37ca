//! What a netcat, telnet or Python-socket user sees.

use std::time::Duration;

use crate::helpers::{TcpClient, spawn_app, spawn_app_with};

#[tokio::test]
async fn the_server_speaks_first_with_the_nickname_and_a_help_hint() {
    let app = spawn_app().await;
    let client = app.tcp_client().await;
    assert!(client.nick.starts_with("guest"), "{}", client.greeting);
    assert!(client.greeting.contains(&client.nick));
    assert!(client.greeting.contains("/help"));
}

#[tokio::test]
async fn guests_get_distinct_nicknames() {
    let app = spawn_app().await;
    let a = app.tcp_client().await;
    let b = app.tcp_client().await;
    assert_ne!(a.nick, b.nick);
}

#[tokio::test]
async fn the_sender_is_not_echoed_its_own_line() {
    let app = spawn_app().await;
    let mut alice = app.tcp_named("alice").await;
    let mut bob = app.tcp_named("bob").await;
    alice.send("hello").await;
    bob.expect("<alice> hello").await;
    alice.send("/who").await;
    loop {
        let line = alice.line().await;
        assert!(!line.contains("<alice>"), "echoed: {line}");
        if line.contains("connecté") {
            break;
        }
    }
}

#[tokio::test]
async fn crlf_and_lf_lines_both_work_and_blank_lines_are_ignored() {
    let app = spawn_app().await;
    let mut listener = app.tcp_client().await;
    let mut talker = app.tcp_named("putty").await;
    talker.send_raw(b"one\r\n\r\n\ntwo\n   \r\nthree\r\n").await;
    assert_eq!(listener.expect("one").await, "<putty> one");
    assert_eq!(listener.line().await, "<putty> two");
    assert_eq!(listener.line().await, "<putty> three");
}

#[tokio::test]
async fn an_emoji_split_across_two_segments_arrives_whole() {
    let app = spawn_app().await;
    let mut listener = app.tcp_client().await;
    let mut talker = app.tcp_named("emoji").await;
    let bytes = "ça va 😀\n".as_bytes();
    let cut = bytes.len() - 3;
    talker.send_raw(&bytes[..cut]).await;
    // Time is the point here: the two halves must reach the server in separate reads.
    tokio::time::sleep(Duration::from_millis(30)).await;
    talker.send_raw(&bytes[cut..]).await;
    assert_eq!(listener.expect("ça va").await, "<emoji> ça va 😀");
}

#[tokio::test]
async fn invalid_utf8_is_replaced_and_the_connection_stays_usable() {
    let app = spawn_app().await;
    let mut listener = app.tcp_client().await;
    let mut talker = app.tcp_named("latin1").await;
    talker.send_raw(b"caf\xe9 cr\xe8me\n").await;
    assert_eq!(
        listener.expect("caf").await,
        "<latin1> caf\u{fffd} cr\u{fffd}me"
    );
    talker.send("encore là").await;
    assert_eq!(listener.line().await, "<latin1> encore là");
}

#[tokio::test]
async fn telnet_negotiation_is_never_relayed_and_is_refused() {
    let app = spawn_app().await;
    let mut listener = app.tcp_client().await;
    let mut telnet = app.tcp_named("telnet").await;
    // WILL NAWS, DO SUPPRESS-GO-AHEAD, a window-size subnegotiation, then a line.
    telnet
        .send_raw(b"\xff\xfb\x1f\xff\xfd\x03\xff\xfa\x1f\x00\x50\x00\x18\xff\xf0bonjour\r\n")
        .await;
    assert_eq!(listener.expect("bonjour").await, "<telnet> bonjour");
    telnet.send("/who").await;
    let raw = telnet.raw_until(b"connect").await;
    let has = |needle: &[u8]| raw.windows(needle.len()).any(|window| window == needle);
    assert!(has(b"\xff\xfe\x1f"), "DONT NAWS in {raw:?}");
    assert!(has(b"\xff\xfc\x03"), "WONT SUPPRESS-GO-AHEAD in {raw:?}");
}

#[tokio::test]
async fn a_telnet_client_sending_one_character_per_packet_keeps_its_line_whole() {
    let app = spawn_app_with(|config| config.quiet_ms = 40).await;
    let mut listener = app.tcp_client().await;
    // Connected and silent: nothing has put it in line mode yet but the telnet command.
    let mut telnet = app.tcp_client().await;
    listener.expect("a rejoint").await;
    telnet.send_raw(b"\xff\xfd\x01").await;
    for byte in b"bonjour" {
        telnet.send_raw(&[*byte]).await;
        // Longer than the quiet time: only line mode keeps these together.
        tokio::time::sleep(Duration::from_millis(80)).await;
    }
    telnet.send_raw(b"\r\n").await;
    let expected = format!("<{}> bonjour", telnet.nick);
    assert_eq!(listener.expect(&telnet.nick).await, expected);
}

#[tokio::test]
async fn escape_sequences_and_control_characters_are_stripped() {
    let app = spawn_app().await;
    let mut listener = app.tcp_client().await;
    let mut talker = app.tcp_named("hacker").await;
    talker
        .send_raw(b"\x1b[2J\x1b[H\x1b[1;31mrouge\x1b[0m\x07 \x1b]0;titre\x07fin!\x08\n")
        .await;
    let line = listener.expect("rouge").await;
    assert_eq!(line, "<hacker> rouge fin");
    assert!(!line.chars().any(char::is_control));
}

#[tokio::test]
async fn a_message_too_long_is_refused_with_a_clear_error() {
    let app = spawn_app().await;
    let mut listener = app.tcp_client().await;
    let mut talker = app.tcp_named("verbose").await;
    talker.send(&"x".repeat(2001)).await;
    assert_eq!(
        talker.line().await,
        "* Message trop long (maximum 2000 caractères)."
    );
    talker.send("court").await;
    assert_eq!(listener.expect("<verbose>").await, "<verbose> court");
    // A megabyte without a newline is told and cut off, never buffered or relayed.
    let _ = tokio::io::AsyncWriteExt::write_all(talker.writer(), &vec![b'y'; 1 << 20]).await;
    assert_eq!(
        talker.line().await,
        "* Ligne beaucoup trop longue (maximum 2000 caractères) : connexion fermée."
    );
    assert_eq!(talker.try_line().await, None);
    assert_eq!(
        listener.expect("verbose a quitté").await,
        "* verbose a quitté la conversation"
    );
}

#[tokio::test]
async fn nickname_rules_hold_and_a_refused_name_keeps_the_old_one() {
    let app = spawn_app().await;
    let mut alice = app.tcp_named("alice").await;
    let mut other = app.tcp_client().await;

    other.send("/nick ALICE").await;
    assert_eq!(other.line().await, "* Le pseudo ALICE est déjà pris.");
    other.send("/nick deux mots").await;
    assert!(other.line().await.starts_with("* Pseudo invalide"));
    other.send(&format!("/nick {}", "n".repeat(25))).await;
    assert!(other.line().await.starts_with("* Pseudo invalide"));
    other.send("/nick <bob>").await;
    assert!(other.line().await.starts_with("* Pseudo invalide"));
    other.send("/nick").await;
    assert_eq!(other.line().await, "* Utilisation : /nick NAME");

    other.send("toujours moi").await;
    let line = alice.expect("toujours").await;
    assert_eq!(line, format!("<{}> toujours moi", other.nick));

    other.send("/nick Zoé-2.0").await;
    assert_eq!(
        alice.line().await,
        format!("* {} s'appelle maintenant Zoé-2.0", other.nick)
    );
}

#[tokio::test]
async fn help_lists_every_command_and_unknown_commands_are_explained() {
    let app = spawn_app().await;
    let mut client = app.tcp_client().await;
    client.send("/help").await;
    assert_eq!(client.line().await, "* Commandes :");
    let mut listed = String::new();
    for _ in 0..11 {
        listed.push_str(&client.line().await);
    }
    for command in [
        "/help", "/nick", "/me", "/who", "/msg", "/history", "/wire", "/quit", "/op", "/rooms",
        "/join",
    ] {
        assert!(listed.contains(command), "{command} in {listed}");
    }
    client.send("/danse").await;
    assert_eq!(
        client.line().await,
        "* Commande inconnue : /danse. Tape /help."
    );
}

#[tokio::test]
async fn quit_says_goodbye_and_closes() {
    let app = spawn_app().await;
    let mut watcher = app.tcp_client().await;
    let mut leaver = app.tcp_named("leaver").await;
    leaver.send("/quit").await;
    assert_eq!(leaver.rest().await, "* Au revoir !\r\n");
    assert_eq!(
        watcher.expect("leaver a quitté").await,
        "* leaver a quitté la conversation"
    );
}

#[tokio::test]
async fn a_client_that_never_reads_does_not_slow_anyone_down() {
    let app = spawn_app().await;
    // A socket with a small receive window, and nobody reading it.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("buffer size");
    let _stuck = socket.connect(app.tcp).await.expect("connect");

    let mut reader = app.tcp_client().await;
    let mut sender = app.tcp_named("sender").await;
    let padding = "x".repeat(100);
    let writer = tokio::spawn(async move {
        for n in 0..2000 {
            sender.send(&format!("{n} {padding}")).await;
        }
        sender
    });
    for n in 0..2000 {
        let line = reader.expect("<sender>").await;
        assert!(
            line.starts_with(&format!("<sender> {n} ")),
            "expected message {n}, got {line}"
        );
    }
    let _sender = writer.await.expect("sender task");
}

#[tokio::test]
async fn a_client_that_leaves_without_a_word_is_announced() {
    let app = spawn_app().await;
    let mut watcher = app.tcp_client().await;
    let gone = app.tcp_named("ghost").await;
    drop(gone);
    assert_eq!(
        watcher.expect("ghost a quitté").await,
        "* ghost a quitté la conversation"
    );
    // The name is free again.
    let mut again = TcpClient::connect(app.tcp).await;
    again.send("/nick ghost").await;
    again.expect("maintenant ghost").await;
}
