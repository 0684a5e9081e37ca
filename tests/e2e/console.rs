//! The console: the terminal tchat runs in is the lesson's `S> ` server, driven here through
//! a pseudo-terminal as a teacher types at it.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{
    PATIENCE, Running, TcpClient, WsClient, start_binary, start_binary_in_terminal, tchat,
};
use crate::terminal::{Terminal, cursor_row, rows};

/// tchat in a terminal of its own, once its console shows the prompt.
async fn in_terminal(
    args: &[&str],
) -> (
    Running,
    Terminal,
    std::net::SocketAddr,
    std::net::SocketAddr,
) {
    let mut command = tchat();
    command
        .args(["--db", ":memory:", "--announce-after", "0"])
        .args(args);
    let (child, mut terminal, http, tcp) = start_binary_in_terminal(command).await;
    terminal
        .wait_for("the prompt", |screen| cursor_row(screen) == "S>")
        .await;
    (child, terminal, http, tcp)
}

/// Waits for tchat to exit, and its exit code.
async fn exit_code(child: &mut Running) -> Option<i32> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code();
        }
        assert!(Instant::now() < deadline, "tchat did not exit");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_console_speaks_as_the_teacher_and_shows_the_class() {
    let (_child, mut terminal, http, tcp) = in_terminal(&[]).await;
    let startup = terminal.text();
    assert!(
        startup.contains("This terminal is the console") && startup.contains("as prof"),
        "{startup}"
    );
    let mut student = TcpClient::connect(tcp).await;
    let mut page = WsClient::connect(http).await;
    page.send(json!({"type": "hello", "nick": "page"})).await;
    let welcome = page.welcome().await;
    // The class sees the console as it sees a teacher on the page.
    let users = welcome["users"].as_array().cloned().unwrap_or_default();
    let prof = users.iter().find(|user| user["nick"] == "prof");
    let prof = prof.unwrap_or_else(|| panic!("prof is here: {welcome}"));
    assert_eq!(
        (&prof["via"], &prof["teacher"]),
        (&json!("web"), &json!(true))
    );

    terminal.type_keys("bonjour la classe\r");
    assert_eq!(
        student.expect("bonjour").await,
        "<prof (prof)> bonjour la classe"
    );
    let said = page.expect("message").await;
    assert_eq!(said["from"], "prof", "{said}");
    assert_eq!(said["text"], "bonjour la classe", "{said}");
    assert_eq!(
        (&said["via"], &said["teacher"]),
        (&json!("web"), &json!(true))
    );

    student.send("salut prof").await;
    let line = format!("<{}> salut prof", student.nick);
    terminal
        .wait_for("the student's line", |screen| rows(screen).contains(&line))
        .await;

    terminal.type_keys("/topic Les sockets\r");
    student.expect("Sujet : Les sockets").await;
    terminal.type_keys("/lock\r");
    student.expect("a verrouillé la conversation").await;
    student.send("encore un mot").await;
    student.expect("La conversation est verrouillée").await;
}

#[tokio::test]
async fn a_log_line_leaves_the_line_being_typed_whole() {
    let (_child, mut terminal, _, tcp) = in_terminal(&[]).await;
    let mut student = TcpClient::connect(tcp).await;
    terminal
        .wait_for("the first arrival", |screen| {
            rows(screen)
                .iter()
                .any(|row| row.contains("connected") && row.contains("via=tcp"))
        })
        .await;

    terminal.type_keys("la suite");
    terminal
        .wait_for("the partial line", |screen| {
            cursor_row(screen) == "S> la suite"
        })
        .await;
    // A newcomer is logged while the teacher is halfway through a line.
    let newcomer = TcpClient::connect(tcp).await;
    let logged = format!("nick={}", newcomer.nick);
    terminal
        .wait_for("the log line above the prompt", |screen| {
            let rows = rows(screen);
            let log = rows.iter().find(|row| row.contains(&logged));
            log.is_some_and(|row| !row.contains("la suite")) && cursor_row(screen) == "S> la suite"
        })
        .await;

    terminal.type_keys(" arrive\r");
    assert_eq!(
        student.expect("la suite").await,
        "<prof (prof)> la suite arrive"
    );
}

#[tokio::test]
async fn ctrl_c_at_the_console_stops_tchat_and_gives_the_terminal_back() {
    let (mut child, mut terminal, _, tcp) = in_terminal(&[]).await;
    let mut student = TcpClient::connect(tcp).await;
    terminal.type_keys("à demain\x03");
    loop {
        let line = student.line().await;
        assert!(
            !line.contains("demain"),
            "a line left with Ctrl-C is not said"
        );
        if line.contains("s'arrête") {
            assert_eq!(line, "* Le serveur s'arrête. Au revoir !");
            break;
        }
    }
    terminal.wait_for_text("tchat stopped.").await;
    assert_eq!(exit_code(&mut child).await, Some(0));
    assert!(terminal.is_cooked(), "the terminal is left in raw mode");
}

#[tokio::test]
async fn ctrl_d_closes_the_console_and_tchat_goes_on() {
    let (mut child, mut terminal, _, tcp) = in_terminal(&[]).await;
    let mut student = TcpClient::connect(tcp).await;
    terminal.type_keys("\x04");
    student.expect("prof a quitté la conversation").await;
    terminal.wait_for_text("The console is closed").await;
    assert!(terminal.is_cooked(), "the terminal is left in raw mode");

    let mut other = TcpClient::connect(tcp).await;
    other.send("toujours là ?").await;
    student.expect("toujours là ?").await;
    // The log goes on in the terminal.
    let logged = format!("nick={}", other.nick);
    terminal
        .wait_for("the log", |screen| {
            rows(screen).iter().any(|row| row.contains(&logged))
        })
        .await;

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    assert_eq!(exit_code(&mut child).await, Some(0));
}

#[tokio::test]
async fn without_a_terminal_or_with_no_console_there_is_no_console() {
    // A service or CI: standard input is no terminal.
    let mut command = tchat();
    command
        .args(["--db", ":memory:", "--announce-after", "0"])
        .stdin(std::process::Stdio::null());
    let (_service, _, tcp, startup) = start_binary(command);
    assert!(!startup.contains("console"), "{startup}");
    assert_nobody_else(tcp).await;

    // A terminal, but the teacher asked for none.
    let mut command = tchat();
    command.args(["--db", ":memory:", "--announce-after", "0", "--no-console"]);
    let (_quiet, terminal, _, tcp) = start_binary_in_terminal(command).await;
    assert!(!terminal.text().contains("console"), "{}", terminal.text());
    assert_nobody_else(tcp).await;
    assert!(terminal.is_cooked(), "nothing takes the terminal over");
}

/// A client of `tcp` finds itself alone: no teacher joined from a console.
async fn assert_nobody_else(tcp: std::net::SocketAddr) {
    let mut student = TcpClient::connect(tcp).await;
    student.send("/who").await;
    let count = student.expect("connectée").await;
    assert!(count.contains("1 personne"), "{count}");
}
