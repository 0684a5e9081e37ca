//! The `tchat` binary as a teacher runs it.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::helpers::{
    PATIENCE, TcpClient, http_get, one_line_failure, start_binary, start_binary_logging, tchat,
};

#[test]
fn a_port_in_use_is_one_clear_line_exit_code_1_and_leaves_no_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let taken_at = format!("127.0.0.1:{port}");
    for (flag, other) in [("--tcp", "--http"), ("--http", "--tcp")] {
        let (line, stderr) = one_line_failure(tchat().current_dir(dir.path()).args([
            flag,
            &taken_at,
            other,
            "127.0.0.1:0",
        ]));
        assert!(line.contains(&format!("port {port}")), "{stderr}");
        assert!(line.contains(&format!("{flag} ADDR:PORT")), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(
            line.matches("in use").count(),
            1,
            "the reason once: {stderr}"
        );
        // LAN Messenger is the usual culprit on the lesson's TCP port, never on the page's.
        assert_eq!(line.contains("LAN Messenger"), flag == "--tcp", "{stderr}");
    }
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("read dir")
        .flatten()
        .map(|entry| entry.file_name())
        .collect();
    assert!(left.is_empty(), "a failed start leaves {left:?} behind");
}

#[tokio::test]
async fn it_runs_from_any_directory_and_sigterm_says_goodbye_and_exits_0() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut command = tchat();
    command.current_dir(dir.path());
    let (mut child, http, tcp, startup) = start_binary(command);
    assert!(
        startup.contains(&format!("http://{http}/join")),
        "{startup}"
    );
    assert!(
        startup.contains(&format!("http://{http}/?teacher=")),
        "{startup}"
    );
    assert!(startup.contains("/op "), "{startup}");

    let (status, _, body) = http_get(http, "/static/connection.js").await;
    assert!(
        status.contains("200") && body.contains("WebSocket"),
        "{status}"
    );
    let mut client = TcpClient::connect(tcp).await;

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    assert_eq!(
        client.expect("s'arrête").await,
        "* Le serveur s'arrête. Au revoir !"
    );
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "tchat did not exit");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn the_log_names_a_client_by_the_nickname_it_leaves_with() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log_path = dir.path().join("tchat.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut command = tchat();
    command.current_dir(dir.path()).args(["--db", ":memory:"]);
    let (mut child, _, tcp, _) = start_binary_logging(command, log);
    let mut client = TcpClient::connect(tcp).await;
    client.send("/nick renomme").await;
    client.expect("maintenant renomme").await;
    client.send("/quit").await;
    assert_eq!(client.rest().await, "* Au revoir !\r\n");
    child.kill().expect("kill");
    child.wait().expect("reap");
    let log = std::fs::read_to_string(&log_path).expect("read log");
    let departure = log
        .lines()
        .find(|line| line.contains("disconnected"))
        .unwrap_or_else(|| panic!("no departure logged:\n{log}"));
    assert!(departure.contains("nick=renomme"), "{departure}");
    assert!(departure.contains("via=tcp"), "{departure}");
}
