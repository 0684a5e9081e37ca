//! `/join`, the page projected for the class: it fits the common projector sizes without
//! scrolling, its Python client is readable from the back of the room, and that client,
//! run for real, ends cleanly however the session ends.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::chromium::{Browser, Screen};
use crate::helpers::{PATIENCE, TestApp, http_get, spawn_app};

/// The projectors and board screens a school has: 4:3, 16:9, 16:10 and the laptop in between.
const SIZES: [(u32, u32); 5] = [
    (1024, 768),
    (1280, 720),
    (1280, 800),
    (1366, 768),
    (1920, 1080),
];

/// Makes the page's viewport exactly `width` × `height` (the window's frame, if any, added).
async fn viewport(browser: &Browser, width: u32, height: u32) {
    let wanted = (i64::from(width), i64::from(height));
    let (mut outer_w, mut outer_h) = wanted;
    for _ in 0..5 {
        browser
            .client
            .set_window_size(outer_w as u32, outer_h as u32)
            .await
            .expect("window size");
        let inner = settled_viewport(browser, wanted).await;
        if inner == wanted {
            return;
        }
        outer_w += wanted.0 - inner.0;
        outer_h += wanted.1 - inner.1;
    }
    panic!("could not make the viewport {width}×{height}");
}

/// The viewport's size once a resize has reached the page: `wanted`, or the same size read
/// three times in a row.
async fn settled_viewport(browser: &Browser, wanted: (i64, i64)) -> (i64, i64) {
    let deadline = Instant::now() + PATIENCE;
    let (mut last, mut same) = ((0, 0), 0);
    loop {
        let inner = browser
            .js("return [window.innerWidth, window.innerHeight];")
            .await;
        let size = (
            inner[0].as_i64().unwrap_or(0),
            inner[1].as_i64().unwrap_or(0),
        );
        same = if size == last { same + 1 } else { 0 };
        last = size;
        if size == wanted || same >= 3 || Instant::now() > deadline {
            return size;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_join_page_fits_every_projector_without_scrolling() {
    let app = spawn_app().await;
    let board = Browser::open(Screen::Desktop).await;
    board
        .client
        .goto(&format!("http://{}/join", app.http))
        .await
        .expect("the join page loads");
    for (width, height) in SIZES {
        viewport(&board, width, height).await;
        let measured = board
            .js("const root = document.documentElement;
                 const qr = document.querySelector('.qr').getBoundingClientRect();
                 const ways = document.querySelector('.ways').getBoundingClientRect();
                 return {
                   scrollWidth: root.scrollWidth, scrollHeight: root.scrollHeight,
                   innerWidth, innerHeight,
                   besides: qr.right <= ways.left,
                   snippet: parseFloat(getComputedStyle(document.querySelector('pre code')).fontSize),
                   widest: [...document.querySelectorAll('body *')]
                     .map(element => [Math.round(element.getBoundingClientRect().right), element.tagName + '.' + element.className])
                     .sort((a, b) => b[0] - a[0])[0],
                 };")
            .await;
        if matches!((width, height), (1024, 768) | (1920, 1080)) {
            board.screenshot(&format!("join-{width}x{height}")).await;
        }
        let number = |key: &str| measured[key].as_f64().unwrap_or(f64::NAN);
        assert!(
            number("scrollHeight") <= number("innerHeight")
                && number("scrollWidth") <= number("innerWidth"),
            "{width}×{height}: the page scrolls: {measured}"
        );
        assert_eq!(
            measured["besides"],
            json!(true),
            "{width}×{height}: the QR code beside the instructions: {measured}"
        );
        if (width, height) == (1920, 1080) {
            assert!(
                number("snippet") >= 24.0,
                "the Python client is readable from the back: {measured}"
            );
        }
    }
    board.close().await;
}

/// The Python client exactly as the board shows it, for this server.
async fn python_client(app: &TestApp) -> String {
    let (_, _, body) = http_get(app.http, "/join").await;
    let start = body.find("<pre><code>").expect("the Python client") + "<pre><code>".len();
    let end = start + body[start..].find("</code></pre>").expect("its end");
    // Undoes the template's HTML escaping: the page shows these characters as they are.
    body[start..end]
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Runs the client with `python3`, its stdin piped, its output collected. Python leaves
/// Ctrl-C ignored when it starts with SIGINT ignored, as a command put in the background by
/// a non-interactive shell does (a CI runner may start the tests so): the client is started
/// as from a terminal, where Ctrl-C raises `KeyboardInterrupt`.
fn run_python(code: &str) -> std::process::Child {
    let as_from_a_terminal =
        format!("import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n{code}");
    Command::new("python3")
        .args(["-c", &as_from_a_terminal])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 is installed")
}

/// Waits until process `pid`'s main thread is blocked reading its input pipe (Linux's
/// `/proc`); elsewhere, returns at once.
async fn waiting_for_input(pid: u32) {
    let wchan = format!("/proc/{pid}/wchan");
    let deadline = Instant::now() + PATIENCE;
    while let Ok(waiting_in) = std::fs::read_to_string(&wchan) {
        if waiting_in.contains("pipe_read") {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the client never waited for input: {waiting_in}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Waits for the client to end on its own; its exit status and what it wrote.
async fn ended(mut child: std::process::Child) -> (Option<i32>, String, String) {
    let deadline = Instant::now() + PATIENCE;
    while child.try_wait().expect("child state").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().expect("output");
            panic!(
                "the Python client did not end; it wrote:\n{}\n{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let output = child.wait_with_output().expect("output");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn assert_clean((status, stdout, stderr): &(Option<i32>, String, String), case: &str) {
    assert_eq!(*status, Some(0), "{case}: exit status\n{stdout}\n{stderr}");
    assert!(
        !stderr.contains("Traceback") && !stderr.contains("Exception"),
        "{case}: {stderr}"
    );
}

#[tokio::test]
async fn the_boards_python_client_ends_cleanly_however_the_session_ends() {
    let app = spawn_app().await;
    let code = python_client(&app).await;
    let mut listener = app.tcp_named("lecteur").await;

    // `/quit`: the lines before it are sent, the server says goodbye, the client ends, even
    // with its input still open.
    let mut client = run_python(&code);
    let mut stdin = client.stdin.take().expect("stdin");
    stdin
        .write_all("/nick python\nbonjour depuis Python\n/quit\n".as_bytes())
        .expect("typing");
    assert_eq!(
        listener.expect("depuis Python").await,
        "<python> bonjour depuis Python"
    );
    let quit = ended(client).await;
    drop(stdin);
    assert_clean(&quit, "/quit");
    assert!(quit.1.contains("Au revoir"), "{}", quit.1);

    // The end of its input (Ctrl-D, or a file piped in): it says so and ends.
    let mut client = run_python(&code);
    client
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"/nick python2\ndernier mot\n")
        .expect("typing");
    listener.expect("dernier mot").await;
    assert_clean(&ended(client).await, "end of input");

    // Ctrl-C while it waits for a line (once a line went through, it is in its loop).
    let mut client = run_python(&code);
    let stdin = client.stdin.take();
    if let Some(mut stdin) = stdin.as_ref() {
        stdin.write_all(b"/nick python3\n").expect("typing");
    }
    listener.expect("maintenant python3").await;
    // As a person does: Ctrl-C while it waits at `input()`. A SIGINT in the instant between
    // a line sent and the next read is set aside by Python until the read returns, for any
    // program blocked in `input()`, so the test waits until the client is reading.
    waiting_for_input(client.id()).await;
    let pid = i32::try_from(client.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .expect("pid");
    rustix::process::kill_process(pid, rustix::process::Signal::INT).expect("SIGINT");
    assert_clean(&ended(client).await, "Ctrl-C");
    drop(stdin);

    // The server sends it away, then stops, while it waits for a line.
    let mut teacher = app.tcp_teacher("prof").await;
    for (nick, end) in [("python4", "kick"), ("python5", "stop")] {
        let mut client = run_python(&code);
        let stdin = client.stdin.take();
        if let Some(mut stdin) = stdin.as_ref() {
            stdin
                .write_all(format!("/nick {nick}\n").as_bytes())
                .expect("typing");
        }
        listener.expect(&format!("maintenant {nick}")).await;
        if end == "kick" {
            teacher.send(&format!("/kick {nick}")).await;
            assert_clean(&ended(client).await, "sent away");
        } else {
            app.stop().await;
            let stopped = ended(client).await;
            assert_clean(&stopped, "the server stopping");
            assert!(stopped.1.contains("Le serveur s'arrête"), "{}", stopped.1);
            break;
        }
        drop(stdin);
    }
}
