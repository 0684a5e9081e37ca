//! Messages of several lines: code pasted in the page or in a terminal arrives as it was
//! written, as one message, on both transports.

use serde_json::json;

use crate::helpers::*;

/// A 12-line Python function with indentation, a blank line and a comment.
const FUNCTION: &str = "def moyenne(notes):
    # La moyenne d'une liste de notes
    if not notes:
        return None

    total = 0
    for note in notes:
        total += note
    n = len(notes)
    if n > 1:
        print(f\"{n} notes\")
    return total / n";

/// A server that gathers lines sent together into one message, as by default, with a pause
/// long enough that a machine busy with other tests never splits a test's paste.
async fn pasting_app(tweak: impl FnOnce(&mut tchat::Config)) -> TestApp {
    spawn_app_with(|config| {
        config.paste_ms = 1000;
        tweak(config);
    })
    .await
}

#[tokio::test]
async fn code_from_the_page_arrives_whole_in_pages_and_indented_in_terminals() {
    let app = spawn_app().await;
    let mut reader = app.ws_named("lea").await;
    let mut terminal = app.tcp_named("tom").await;
    let mut writer = app.ws_named("alice").await;
    writer.send(json!({"type": "say", "text": FUNCTION})).await;

    let message = reader.expect("message").await;
    assert_eq!(
        message["text"], FUNCTION,
        "the page gets the code unchanged"
    );

    let mut lines = FUNCTION.lines();
    let first = terminal.expect("<alice>").await;
    assert_eq!(
        first,
        format!("<alice> {}", lines.next().unwrap_or_default())
    );
    for expected in lines {
        assert_eq!(terminal.line().await, format!("  | {expected}"));
    }
    app.stop().await;
}

#[tokio::test]
async fn a_terminal_paste_sent_line_by_line_is_one_message_and_mutes_nobody() {
    let app = pasting_app(|config| config.max_rate = 5).await;
    let mut reader = app.ws_named("lea").await;
    let mut paster = app.tcp_named("tom").await;
    // As `nc` sends a paste from a terminal: one write per line, back to back.
    let pasted: Vec<String> = (1..=25).map(|n| format!("    ligne {n}")).collect();
    for line in &pasted {
        paster.send(line).await;
    }
    let message = reader.expect("message").await;
    assert_eq!(
        message["text"],
        pasted.join("\n"),
        "one message, indents kept"
    );

    // After the pause, the next line is a message of its own.
    paster.send("toujours là").await;
    let last = reader.expect("message").await;
    assert_eq!(last["text"], "toujours là", "the paster was not silenced");
    app.stop().await;
}

#[tokio::test]
async fn a_command_in_a_terminal_write_runs_alone_and_blank_lines_say_nothing() {
    let app = pasting_app(|_| {}).await;
    let mut reader = app.ws_named("lea").await;
    let mut script = app.tcp_client().await;
    script
        .send_raw(b"\n\n/nick bob\r\nbonjour\r\n\r\n// pas une commande\r\n/me salue\r\n")
        .await;
    let renamed = reader.expect("nick").await;
    assert_eq!(renamed["new"], "bob");
    let message = reader.expect("message").await;
    assert_eq!(message["text"], "bonjour\n\n// pas une commande");
    let action = reader.expect("message").await;
    assert_eq!(
        (action["text"].as_str(), action["action"].as_bool()),
        (Some("salue"), Some(true))
    );
    app.stop().await;
}

#[tokio::test]
async fn a_message_past_the_line_limit_is_refused_and_a_longer_paste_comes_in_parts() {
    let app = pasting_app(|config| config.max_length = 5000).await;
    let mut reader = app.ws_named("lea").await;
    let mut writer = app.ws_named("alice").await;
    let too_many = vec!["x"; 201].join("\n");
    writer.send(json!({"type": "say", "text": too_many})).await;
    let refusal = writer.expect_error("too_many_lines").await;
    assert_eq!(refusal["args"]["max"], 200);

    let mut paster = app.tcp_named("tom").await;
    let pasted: String = (1..=250).map(|n| format!("{n}\n")).collect();
    paster.send_raw(pasted.as_bytes()).await;
    let first = reader.expect("message").await;
    let second = reader.expect("message").await;
    let count = |frame: &serde_json::Value| frame["text"].as_str().map(|text| text.lines().count());
    assert_eq!((count(&first), count(&second)), (Some(200), Some(50)));
    app.stop().await;
}

#[tokio::test]
async fn only_what_is_said_keeps_its_lines() {
    let app = spawn_app().await;
    let mut teacher = app.tcp_teacher("prof").await;
    let mut page = app.ws_named("lea").await;
    page.send(json!({"type": "say", "text": "/topic un\nsujet"}))
        .await;
    page.expect_error("usage").await;
    teacher.send_raw(b"/topic un sujet\n").await;
    teacher.expect("un sujet").await;
    page.send(json!({"type": "say", "text": "/me  montre\n  du code"}))
        .await;
    let action = page.expect("message").await;
    assert_eq!(action["text"], "montre\n  du code");
    app.stop().await;
}

#[tokio::test]
async fn a_flood_is_told_to_the_student_and_the_teachers_not_to_the_class() {
    let app = spawn_app_with(|config| config.max_rate = 5).await;
    let mut teacher = app.tcp_teacher("prof").await;
    let mut bystander = app.ws_named("lea").await;
    let mut flooder = app.ws_named("tom").await;
    for n in 0..60 {
        flooder
            .send(json!({"type": "say", "text": format!("spam {n}")}))
            .await;
    }
    flooder.expect_error("flood").await;
    flooder.expect_error("muted").await;
    teacher.expect("tom écrit trop vite").await;
    teacher.expect("tom écrivait trop vite").await;

    // The class sees the messages let through, then nothing about the mute.
    teacher.send("la suite").await;
    loop {
        let frame = bystander.next().await;
        assert!(
            frame["type"] != "notice",
            "the class was told of the flood: {frame}"
        );
        if frame["text"] == "la suite" {
            break;
        }
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_paste_shows_in_the_page_as_one_code_block() {
    let app = pasting_app(|config| config.max_rate = 5).await;
    let page = crate::chromium::Browser::open(crate::chromium::Screen::Desktop).await;
    page.visit(&format!("http://{}/", app.http)).await;
    page.join("lea").await;
    let mut paster = app.tcp_named("tom").await;
    page.wait_text("tom").await;
    for line in FUNCTION.lines() {
        paster.send(line).await;
    }
    page.wait(
        "the code block",
        "document.querySelector('#log .message .code-block pre code')",
    )
    .await;
    let shown = page
        .js("const messages = [...document.querySelectorAll('#log .message')].filter(m => m.textContent.includes('moyenne'));
             return [messages.length, messages[0].querySelector('pre code').textContent,
                     getComputedStyle(messages[0].querySelector('pre code')).fontFamily.includes('monospace')];")
        .await;
    assert_eq!(shown, json!([1, FUNCTION, true]), "one monospace block");
    page.close().await;
}
