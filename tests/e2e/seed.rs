//! The seed activity's clients work unmodified: first as byte-for-byte imitations over a
//! raw socket, then as the real Python 3 scripts in `tests/seed/`.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::helpers::{PATIENCE, TcpClient, TestApp, spawn_app};

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

/// A long line of accented text: twenty of them are far more than 1024 bytes, and a cut at
/// byte 1024 would likely fall inside a character.
fn accented(n: usize) -> String {
    format!(
        "message {n} : élève, façon, déjà vu, où ça ? {}",
        "é".repeat(40)
    )
}

/// Someone who has said twenty long accented messages: the history a newcomer is shown.
async fn twenty_accented_messages(app: &TestApp) -> TcpClient {
    let mut alice = app.tcp_named("alice").await;
    for n in 1..=20 {
        alice.send(&accented(n)).await;
    }
    // Alice's own lines are not sent back to her: a rename after them shows they are saved.
    alice.send("/nick alice2").await;
    alice.expect("maintenant alice2").await;
    alice
}

/// One `recv(1024)` as the lesson's script does it: at most 1024 bytes, decoded as UTF-8.
/// Whatever tchat sends the script fits and ends on a whole line.
async fn recv_1024(stream: &mut TcpStream) -> String {
    let mut buffer = [0u8; 1024];
    let text = recv(stream, &mut buffer).await;
    assert!(
        text.is_empty() || text.ends_with("\r\n"),
        "a whole line: {text:?}"
    );
    text
}

#[tokio::test]
async fn a_client_that_reads_the_greeting_first_is_answered_each_time_it_sends() {
    let app = spawn_app().await;
    let mut alice = twenty_accented_messages(&app).await;
    let mut seed = TcpStream::connect(app.tcp).await.expect("connect");

    let greeting = recv_1024(&mut seed).await;
    assert!(greeting.starts_with("* Bienvenue"), "{greeting}");
    assert!(
        greeting.contains("/history"),
        "says how to see more: {greeting}"
    );
    assert!(greeting.contains(&accented(20)), "the newest: {greeting}");
    assert!(
        !greeting.contains(&accented(1)),
        "not the oldest: {greeting}"
    );

    // Nobody else talks: the script is answered with its own message, not left waiting.
    seed.write_all("salut à tous".as_bytes())
        .await
        .expect("send");
    let answer = recv_1024(&mut seed).await;
    let (nick, _) = answer
        .strip_prefix('<')
        .and_then(|rest| rest.split_once("> "))
        .expect("its own message first");
    assert_eq!(answer, format!("<{nick}> salut à tous\r\n"));
    alice.expect("salut à tous").await;

    // While it waits for its user, the class talks: its next answer is its own line, then
    // what was said meanwhile, oldest first, in whole lines of at most 1024 bytes.
    for n in 21..=30 {
        alice.send(&accented(n)).await;
    }
    alice.send("/nick alice3").await;
    alice.expect("maintenant alice3").await;
    seed.write_all(b"et alors ?").await.expect("send");
    let answer = recv_1024(&mut seed).await;
    assert!(
        answer.starts_with(&format!("<{nick}> et alors ?\r\n<alice2> {}", accented(21))),
        "{answer}"
    );
    assert!(!answer.contains(&accented(30)), "too much for one answer");
    // What did not fit comes with the next answers.
    let mut seen = answer;
    for _ in 0..10 {
        if seen.contains("maintenant alice3") {
            break;
        }
        seed.write_all(b"/who").await.expect("send");
        seen.push_str(&recv_1024(&mut seed).await);
    }
    for n in 21..=30 {
        assert!(
            seen.contains(&accented(n)),
            "message {n} arrives in time: {seen}"
        );
    }

    // A busy class says more than a script's user reads: the newest lines are kept, and the
    // answer says how many older ones went by.
    for n in 31..=70 {
        alice.send(&accented(n)).await;
    }
    alice.send("/nick alice4").await;
    alice.expect("maintenant alice4").await;
    seed.write_all(b"encore").await.expect("send");
    let answer = recv_1024(&mut seed).await;
    assert!(
        answer.starts_with(&format!("<{nick}> encore\r\n* 25 messages plus anciens")),
        "{answer}"
    );
    let mut seen = answer;
    for _ in 0..10 {
        if seen.contains("maintenant alice4") {
            break;
        }
        seed.write_all(b"/who").await.expect("send");
        seen.push_str(&recv_1024(&mut seed).await);
    }
    assert!(seen.contains(&accented(70)), "the newest arrive: {seen}");

    seed.write_all(b"FIN").await.expect("send");
    assert!(
        recv(&mut seed, &mut [0u8; 1024])
            .await
            .contains("Au revoir !")
    );
    assert_eq!(
        recv(&mut seed, &mut [0u8; 1024]).await,
        "",
        "then the server closes"
    );
}

#[tokio::test]
async fn a_client_that_ends_its_lines_is_sent_everything_as_it_comes() {
    let app = spawn_app().await;
    let mut alice = app.tcp_named("alice").await;
    let mut reader = TcpClient::greeted(app.tcp).await;
    reader.send("présent").await;
    alice.expect("présent").await;
    alice.send("bonjour").await;
    assert_eq!(
        reader.line().await,
        "<alice> bonjour",
        "without sending again, and without its own line sent back"
    );
    alice.send("encore").await;
    assert_eq!(reader.line().await, "<alice> encore");
}

async fn recv(stream: &mut TcpStream, buffer: &mut [u8]) -> String {
    let n = tokio::time::timeout(PATIENCE, stream.read(buffer))
        .await
        .expect("an answer in time")
        .expect("read");
    String::from_utf8(buffer[..n].to_vec()).expect("UTF-8")
}

/// A seed script run with `python3 -u` against `port`, its standard streams piped.
fn seed_script(script: &str, port: u16) -> Command {
    let mut command = Command::new("python3");
    command
        .arg("-u")
        .arg(format!(
            "{}/tests/seed/{script}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .args(["127.0.0.1", &port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs a seed script, its stdin piped.
fn python(script: &str, port: u16) -> std::process::Child {
    seed_script(script, port)
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
    let mut alice = twenty_accented_messages(&app).await;
    let mut bob = app.tcp_named("bob").await;
    let mut script = Script::start("client_fin.py", app.tcp.port());
    let greeting = script.answer().await;
    assert!(greeting.contains("Bienvenue sur tchat"), "{greeting}");

    script.type_line("Bonjour monsieur").await;
    let answer = script.answer().await;
    assert!(
        answer.contains("> Bonjour monsieur"),
        "answered at once: {answer}"
    );
    alice.expect("Bonjour monsieur").await;

    // Several students talk while the script waits for its user.
    for n in 1..=6 {
        alice.send(&accented(100 + n)).await;
        bob.send(&format!(
            "réponse {n} : d'accord, ça me va {}",
            "à".repeat(30)
        ))
        .await;
    }
    bob.send("/nick bob2").await;
    alice.expect("maintenant bob2").await;
    let mut heard = String::new();
    for line in ["Et maintenant ?", "Encore ?", "Toujours là"] {
        script.type_line(line).await;
        heard.push_str(&script.answer().await);
    }
    for n in 1..=6 {
        assert!(heard.contains(&accented(100 + n)), "{heard}");
        assert!(heard.contains(&format!("réponse {n} :")), "{heard}");
    }

    script.type_line("FIN").await;
    assert!(script.answer().await.contains("Au revoir !"));
    alice.expect("a quitté").await;
    // After the goodbye the script asks for one more line, then sees the connection closed.
    script.type_line("").await;
    let stdout = script.finished().await;
    assert!(stdout.contains("Connexion interrompue."), "{stdout}");
}

/// A seed script run with `python3 -u`, typed into and read from as it runs.
struct Script {
    child: tokio::process::Child,
    stdout: tokio::process::ChildStdout,
    /// Everything the script printed so far.
    printed: String,
    /// How much of it was handed out as answers.
    read: usize,
}

impl Script {
    fn start(script: &str, port: u16) -> Self {
        let mut child = tokio::process::Command::from(seed_script(script, port))
            .kill_on_drop(true)
            .spawn()
            .expect("python3 is installed");
        let stdout = child.stdout.take().expect("stdout");
        Self {
            child,
            stdout,
            printed: String::new(),
            read: 0,
        }
    }

    async fn type_line(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().expect("stdin");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("write to the script");
    }

    /// The next answer the script printed: what follows its next `S> `, up to the `C> `
    /// prompt it then shows its user.
    async fn answer(&mut self) -> String {
        loop {
            let unread = &self.printed[self.read..];
            if let Some(start) = unread.find("S> ")
                && let Some(end) = unread[start..].find("C> ")
            {
                let answer = unread[start + 3..start + end].to_owned();
                self.read += start + end + 3;
                return answer;
            }
            let mut chunk = [0u8; 4096];
            let n = timeout(PATIENCE, self.stdout.read(&mut chunk))
                .await
                .unwrap_or_else(|_| panic!("the script answers; it printed:\n{}", self.printed))
                .expect("read");
            assert!(n > 0, "the script ended; it printed:\n{}", self.printed);
            self.printed.push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    }

    async fn finished(mut self) -> String {
        drop(self.child.stdin.take());
        let mut rest = Vec::new();
        let mut stderr = Vec::new();
        let mut err = self.child.stderr.take().expect("stderr");
        let both = async {
            tokio::join!(
                self.stdout.read_to_end(&mut rest),
                err.read_to_end(&mut stderr)
            )
        };
        let _ = timeout(PATIENCE, both).await.expect("the script ends");
        let status = self.child.wait().await.expect("wait");
        self.printed.push_str(&String::from_utf8_lossy(&rest));
        let stderr = String::from_utf8_lossy(&stderr);
        assert!(status.success(), "{}\n{stderr}", self.printed);
        self.printed
    }
}
