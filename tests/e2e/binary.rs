//! The `tchat` binary as a teacher runs it.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::helpers::{PATIENCE, TcpClient, http_get, one_line_failure, start_binary, tchat};

#[test]
fn a_port_in_use_is_one_clear_line_and_exit_code_1() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let (line, stderr) = one_line_failure(tchat().args([
        "--tcp",
        &format!("127.0.0.1:{port}"),
        "--http",
        "127.0.0.1:0",
    ]));
    assert!(line.contains(&port.to_string()), "{stderr}");
    assert!(line.contains("--tcp"), "{stderr}");
    assert!(line.contains("LAN Messenger"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test]
async fn it_runs_from_any_directory_and_sigterm_says_goodbye_and_exits_0() {
    let mut command = tchat();
    command.current_dir(std::env::temp_dir());
    let (mut child, http, tcp, startup) = start_binary(command);
    assert!(
        startup.contains('▀') || startup.contains('▄'),
        "a QR code:\n{startup}"
    );
    assert!(
        startup.contains(&format!("http://{http}/join")),
        "{startup}"
    );
    assert!(
        startup.contains(&format!("http://{http}/?teacher=")),
        "{startup}"
    );
    assert!(startup.contains("/op "), "{startup}");

    let (status, _, body) = http_get(http, "/static/app.js").await;
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
