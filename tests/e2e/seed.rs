//! The seed activity's clients work unmodified: first as byte-for-byte imitations over a
//! raw socket, then as the real Python 3 scripts in `tests/seed/`.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{PATIENCE, spawn_app};

#[tokio::test]
async fn a_client_that_never_sends_newlines_and_quits_with_z() {
    let app = spawn_app().await;
    let mut watcher = app.tcp_client().await;
    let mut seed = TcpStream::connect(app.tcp).await.expect("connect");

    seed.write_all("bonjour".as_bytes()).await.expect("send");
    let line = watcher.expect("bonjour").await;
    let nick = line
        .strip_prefix('<')
        .and_then(|rest| rest.split_once("> "))
        .map(|(nick, _)| nick.to_owned())
        .expect("a message line");
    assert_eq!(line, format!("<{nick}> bonjour"));

    seed.write_all("ça marche".as_bytes()).await.expect("send");
    assert_eq!(watcher.line().await, format!("<{nick}> ça marche"));

    seed.write_all(b"z").await.expect("send");
    drop(seed);
    assert_eq!(
        watcher.line().await,
        format!("* {nick} a quitté la conversation"),
        "z ends the session and is not relayed"
    );
}

#[tokio::test]
async fn a_client_that_reads_the_greeting_first_and_quits_with_fin() {
    let app = spawn_app().await;
    let mut watcher = app.tcp_named("marcel").await;
    let mut seed = TcpStream::connect(app.tcp).await.expect("connect");
    let mut buffer = [0u8; 1024];

    let greeting = recv(&mut seed, &mut buffer).await;
    assert!(
        greeting.contains("Bienvenue") && greeting.contains("/help"),
        "{greeting}"
    );

    seed.write_all(b"salut").await.expect("send");
    watcher.expect("> salut").await;
    watcher.send("coucou").await;
    assert_eq!(recv(&mut seed, &mut buffer).await, "<marcel> coucou\r\n");

    seed.write_all(b"FIN").await.expect("send");
    assert!(recv(&mut seed, &mut buffer).await.contains("Au revoir !"));
    assert_eq!(
        recv(&mut seed, &mut buffer).await,
        "",
        "then the server closes"
    );
}

async fn recv(stream: &mut TcpStream, buffer: &mut [u8]) -> String {
    let n = tokio::time::timeout(PATIENCE, stream.read(buffer))
        .await
        .expect("an answer in time")
        .expect("read");
    String::from_utf8(buffer[..n].to_vec()).expect("UTF-8")
}

/// Runs a seed script with `python3 -u`, its stdin piped.
fn python(script: &str, port: u16) -> std::process::Child {
    Command::new("python3")
        .arg("-u")
        .arg(format!(
            "{}/tests/seed/{script}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .args(["127.0.0.1", &port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 is installed")
}

fn type_line(child: &mut std::process::Child, line: &str) {
    let stdin = child.stdin.as_mut().expect("stdin");
    writeln!(stdin, "{line}").expect("write to the script");
    stdin.flush().expect("flush");
}

async fn finished(mut child: std::process::Child) -> String {
    drop(child.stdin.take());
    let deadline = std::time::Instant::now() + PATIENCE;
    while child.try_wait().expect("wait").is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "the script did not finish"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let output = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    stdout
}

#[tokio::test]
async fn the_python_client_that_quits_with_z() {
    let app = spawn_app().await;
    let mut watcher = app.tcp_client().await;
    let mut script = python("client_z.py", app.tcp.port());
    watcher.expect("a rejoint").await;

    type_line(&mut script, "Bonjour la classe");
    let line = watcher.expect("Bonjour la classe").await;
    let nick = line[1..line.find('>').expect("a message line")].to_owned();
    type_line(&mut script, "z");
    assert_eq!(
        watcher.line().await,
        format!("* {nick} a quitté la conversation")
    );
    let stdout = finished(script).await;
    assert!(stdout.contains("Connection on"), "{stdout}");
}

#[tokio::test]
async fn the_python_client_that_reads_first_and_quits_with_fin() {
    let app = spawn_app().await;
    let mut watcher = app.tcp_named("marcel").await;
    let mut script = python("client_fin.py", app.tcp.port());
    watcher.expect("a rejoint").await;

    type_line(&mut script, "Bonjour monsieur");
    watcher.expect("Bonjour monsieur").await;
    watcher.send("Bonjour, bienvenue !").await;
    type_line(&mut script, "FIN");
    watcher.expect("a quitté").await;
    // After the goodbye the script asks for one more line, then sees the connection closed.
    type_line(&mut script, "");
    let stdout = finished(script).await;
    assert!(stdout.contains("S> * Bienvenue sur tchat"), "{stdout}");
    assert!(stdout.contains("<marcel> Bonjour, bienvenue !"), "{stdout}");
    assert!(stdout.contains("Au revoir !"), "{stdout}");
    assert!(stdout.contains("Connexion interrompue."), "{stdout}");
}
