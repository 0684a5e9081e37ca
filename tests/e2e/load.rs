//! A smoke run of the load generator against the in-process server: a few clients for a
//! second, every message delivered to everyone it is owed to. (The benchmark itself is not a
//! test.)

use std::process::Command;

use crate::helpers::{TEACHER, spawn_app};

/// Runs `tchat-load run` for a second against a fresh server with `args` added, and
/// returns what it printed, having checked that it succeeded: nothing lost, no client failed,
/// nothing delivered outside its room.
async fn load_run(args: &'static [&'static str]) -> String {
    let app = spawn_app().await;
    let (tcp, http) = (app.tcp.to_string(), app.http.to_string());
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_tchat-load"))
            .args(["run", "--tcp", &tcp, "--http", &http])
            .args([
                "--rate",
                "10",
                "--duration",
                "1",
                "--teacher-token",
                TEACHER,
            ])
            .args(args)
            .output()
            .expect("run tchat-load")
    })
    .await
    .expect("load generator");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The run itself fails when a message is lost or reaches someone outside its room.
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("(lost 0, outside their room 0)"),
        "{stdout}"
    );
    stdout
}

#[tokio::test]
async fn the_load_generator_delivers_everything_on_a_small_run() {
    let args = &["--tcp-clients", "3", "--ws-clients", "3", "--senders", "4"];
    let stdout = load_run(args).await;
    assert!(stdout.contains("clients 6 (failed 0)"), "{stdout}");
}

#[tokio::test]
async fn the_load_generator_keeps_each_rooms_messages_in_that_room() {
    let args = &[
        "--tcp-clients",
        "4",
        "--ws-clients",
        "4",
        "--senders",
        "4",
        "--rooms",
        "2",
    ];
    let stdout = load_run(args).await;
    assert!(stdout.contains("clients 8 (failed 0)"), "{stdout}");
}
