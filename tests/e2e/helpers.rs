//! The one way tests start tchat: in-process, both listeners on 127.0.0.1 port 0, with
//! clients that talk to it over real sockets and never wait forever.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tchat::i18n::Lang;
use tchat::store::StoreError;
use tchat::{App, Config, StartError};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::terminal::Terminal;

/// How long any single expectation may take before the test fails: generous, as the whole
/// suite runs at once on two cores; a passing test never waits that long.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// The teacher token of every test server.
pub const TEACHER: &str = "jeton-du-prof";

/// A running server.
pub struct TestApp {
    pub tcp: SocketAddr,
    pub http: SocketAddr,
    shutdown: CancellationToken,
    server: Option<JoinHandle<()>>,
}

/// Starts tchat with test defaults (French, a short quiet time), adjusted by `tweak`.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let any = "127.0.0.1:0".parse().expect("address");
    let mut config = Config::with_addresses(any, any);
    config.lang = Some(Lang::Fr);
    config.quiet_ms = 100;
    config.db = ":memory:".into();
    // Most tests send faster than a person types; the flood tests turn this back on.
    config.max_rate = 0;
    // Arrivals are told at once, so that tests need not wait; the churn test waits.
    config.announce_after = 0;
    // Every line a message, however fast a test sends them; the paste tests turn this on.
    config.paste_ms = 0;
    config.teacher_token = Some(TEACHER.to_owned());
    tweak(&mut config);
    // A test that restarts tchat on the same database may find the previous server's
    // storage thread still saving its last events on a busy machine: wait for its lock.
    let give_up = std::time::Instant::now() + PATIENCE;
    let app = loop {
        match App::bind(config.clone()).await {
            Err(StartError::Store(StoreError::Locked { .. }))
                if std::time::Instant::now() < give_up =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            bound => break bound.expect("bind test listeners"),
        }
    };
    let (tcp, http) = (app.tcp_addr(), app.http_addr());
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(app.run(shutdown.clone()));
    TestApp {
        tcp,
        http,
        shutdown,
        server: Some(server),
    }
}

/// A database file in a fresh directory, removed with the directory: for tests that stop
/// tchat and start it again on the same conversation.
pub fn temp_db() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("class.db");
    (dir, path)
}

/// Starts tchat with test defaults.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

impl TestApp {
    /// A raw TCP client that has read its greeting.
    pub async fn tcp_client(&self) -> TcpClient {
        TcpClient::connect(self.tcp).await
    }

    /// A raw TCP client renamed to `nick`, after everyone has seen the rename.
    pub async fn tcp_named(&self, nick: &str) -> TcpClient {
        let mut client = self.tcp_client().await;
        client.send(&format!("/nick {nick}")).await;
        client.expect(&format!("maintenant {nick}")).await;
        client.nick = nick.to_owned();
        client
    }

    /// A TCP client that became a teacher under `nick`.
    pub async fn tcp_teacher(&self, nick: &str) -> TcpClient {
        let mut client = self.tcp_client().await;
        client.send(&format!("/op {TEACHER}")).await;
        client.expect("est prof").await;
        client.send(&format!("/nick {nick}")).await;
        client.expect(&format!("maintenant {nick}")).await;
        client.nick = nick.to_owned();
        client
    }

    /// A WebSocket client that said hello with `nick` and `since`, and its welcome.
    pub async fn ws_resuming(&self, nick: &str, since: u64) -> (WsClient, Value) {
        let mut client = WsClient::connect(self.http).await;
        client
            .send(json!({"type": "hello", "nick": nick, "since": since}))
            .await;
        let welcome = client.welcome().await;
        (client, welcome)
    }

    /// A WebSocket client that said hello with `nick` and read its welcome.
    pub async fn ws_named(&self, nick: &str) -> WsClient {
        let mut client = WsClient::connect(self.http).await;
        client.send(json!({"type": "hello", "nick": nick})).await;
        client.welcome().await;
        client
    }

    /// Stops the server and waits until `run` has returned.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            timeout(PATIENCE, server)
                .await
                .expect("server stops in time")
                .expect("server task");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A TCP client like `nc`: writes bytes, reads CRLF lines.
pub struct TcpClient {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    /// The nickname the server gave, read from the greeting.
    pub nick: String,
    /// The greeting line.
    pub greeting: String,
}

impl TcpClient {
    /// Every line read up to the one holding `needle`, that one included.
    pub async fn lines_until(&mut self, needle: &str) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let line = self.line().await;
            let done = line.contains(needle);
            lines.push(line);
            if done {
                return lines;
            }
        }
    }

    /// The room this client was put in, from its `Tu es maintenant dans le salon NAME.`.
    pub async fn room_entered(&mut self) -> String {
        let line = self.expect("Tu es maintenant dans le salon").await;
        line.rsplit(' ')
            .next()
            .unwrap_or_default()
            .trim_end_matches('.')
            .to_owned()
    }

    /// Connects, reads the greeting and presses Enter, as a person at `nc` does: a client
    /// that ends its lines is sent everything as it comes.
    pub async fn connect(addr: SocketAddr) -> Self {
        let mut client = Self::greeted(addr).await;
        client.send("").await;
        client
    }

    /// Connects and reads the greeting, having sent nothing: until it sends, the server only
    /// answers it.
    pub async fn greeted(addr: SocketAddr) -> Self {
        Self::greeted_on(TcpStream::connect(addr).await.expect("connect")).await
    }

    /// Connects from loopback address `local` (another machine of the lab, as the server
    /// sees it), reads the greeting and presses Enter.
    pub async fn connect_from(local: std::net::IpAddr, addr: SocketAddr) -> Self {
        let mut client = Self::greeted_on(stream_from(local, addr).await).await;
        client.send("").await;
        client
    }

    /// Reads the greeting on a connection made.
    async fn greeted_on(stream: TcpStream) -> Self {
        let (reader, writer) = stream.into_split();
        let mut client = Self {
            reader: BufReader::new(reader),
            writer,
            nick: String::new(),
            greeting: String::new(),
        };
        let greeting = client.line().await;
        let nick = greeting
            .split_once(", ")
            .and_then(|(_, rest)| rest.split_once(' '))
            .map(|(nick, _)| nick.to_owned())
            .expect("the greeting names the nickname");
        client.nick = nick;
        client.greeting = greeting;
        client
    }

    /// Connects to a room with a password: answers the prompt, then reads the greeting.
    pub async fn connect_with_password(addr: SocketAddr, password: &str) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (reader, mut writer) = stream.into_split();
        let mut reader = BufReader::new(reader);
        let mut prompt = String::new();
        timeout(PATIENCE, reader.read_line(&mut prompt))
            .await
            .expect("a prompt")
            .expect("read");
        assert!(prompt.contains("/pass"), "{prompt}");
        writer
            .write_all(format!("/pass {password}\n").as_bytes())
            .await
            .expect("write");
        let mut client = Self {
            reader,
            writer,
            nick: String::new(),
            greeting: String::new(),
        };
        let greeting = client.expect("Bienvenue").await;
        client.nick = greeting
            .split_once(", ")
            .and_then(|(_, rest)| rest.split_once(' '))
            .map(|(nick, _)| nick.to_owned())
            .expect("the greeting names the nickname");
        client.greeting = greeting;
        client
    }

    /// Sends `text` and a newline.
    pub async fn send(&mut self, text: &str) {
        self.send_raw(format!("{text}\n").as_bytes()).await;
    }

    /// The writing half, for tests that need to notice the connection failing.
    pub fn writer(&mut self) -> &mut OwnedWriteHalf {
        &mut self.writer
    }

    /// Sends bytes as they are.
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.expect("write");
    }

    /// The next line, without its CR LF. Fails the test on timeout or end of stream.
    pub async fn line(&mut self) -> String {
        self.try_line()
            .await
            .expect("connection closed while a line was expected")
    }

    /// Splits the client: every line it is sent, as it comes, on a channel (closed at end of
    /// stream), and the half that writes, for a test that writes and reads at once.
    pub fn split(self) -> (tokio::sync::mpsc::UnboundedReceiver<String>, OwnedWriteHalf) {
        let (lines, received) = tokio::sync::mpsc::unbounded_channel();
        let mut reader = self.reader;
        tokio::spawn(async move {
            let mut raw = Vec::new();
            while reader
                .read_until(b'\n', &mut raw)
                .await
                .is_ok_and(|read| read > 0)
            {
                let line = String::from_utf8_lossy(&raw).trim_end().to_owned();
                if lines.send(line).is_err() {
                    return;
                }
                raw.clear();
            }
        });
        (received, self.writer)
    }

    /// The next line, or `None` at end of stream.
    pub async fn try_line(&mut self) -> Option<String> {
        let mut raw = Vec::new();
        let read = timeout(PATIENCE, self.reader.read_until(b'\n', &mut raw))
            .await
            .expect("timed out waiting for a line")
            .expect("read");
        if read == 0 {
            return None;
        }
        assert!(raw.ends_with(b"\r\n"), "lines end with CR LF: {raw:?}");
        raw.truncate(raw.len() - 2);
        Some(String::from_utf8(raw).expect("the server only sends UTF-8"))
    }

    /// Reads lines until one contains `needle`, and returns it.
    pub async fn expect(&mut self, needle: &str) -> String {
        loop {
            let line = self.line().await;
            if line.contains(needle) {
                return line;
            }
        }
    }

    /// Raw bytes up to and including the first occurrence of `needle`.
    pub async fn raw_until(&mut self, needle: &[u8]) -> Vec<u8> {
        let mut raw = Vec::new();
        while !raw.windows(needle.len()).any(|window| window == needle) {
            let mut byte = [0u8; 1];
            timeout(PATIENCE, self.reader.read_exact(&mut byte))
                .await
                .expect("timed out waiting for bytes")
                .expect("read");
            raw.push(byte[0]);
        }
        raw
    }

    /// Reads everything up to the end of the stream.
    pub async fn rest(&mut self) -> String {
        let mut rest = String::new();
        timeout(PATIENCE, self.reader.read_to_string(&mut rest))
            .await
            .expect("timed out waiting for the connection to close")
            .expect("read");
        rest
    }
}

/// Opens `/ws` with extra request headers (Origin, X-Forwarded-For); the HTTP status if
/// the server refused the upgrade.
pub async fn ws_with_headers(http: SocketAddr, headers: &[(&str, &str)]) -> Result<WsClient, u16> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{http}/ws")
        .into_client_request()
        .expect("request");
    for (name, value) in headers {
        request.headers_mut().insert(
            tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes())
                .expect("header name"),
            value.parse().expect("header value"),
        );
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(WsClient { socket }),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Err(response.status().as_u16())
        }
        Err(error) => panic!("WebSocket handshake: {error}"),
    }
}

/// A WebSocket client like the page: JSON text frames.
pub struct WsClient {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl WsClient {
    /// Every frame read up to the message saying `text`, that one included.
    pub async fn frames_until(&mut self, text: &str) -> Vec<Value> {
        let mut frames = Vec::new();
        loop {
            let frame = self.next().await;
            let done = frame["type"] == "message" && frame["text"] == text;
            frames.push(frame);
            if done {
                return frames;
            }
        }
    }

    /// Opens `/ws` without saying anything yet.
    pub async fn connect(http: SocketAddr) -> Self {
        let (socket, _) = tokio_tungstenite::connect_async(format!("ws://{http}/ws"))
            .await
            .expect("WebSocket handshake");
        Self { socket }
    }

    /// Sends a JSON frame.
    pub async fn send(&mut self, frame: Value) {
        self.send_text(&frame.to_string()).await;
    }

    /// Sends a text frame as it is.
    pub async fn send_text(&mut self, text: &str) {
        self.socket
            .send(Message::text(text))
            .await
            .expect("send frame");
    }

    /// Sends a binary frame.
    pub async fn send_binary(&mut self, bytes: &[u8]) {
        self.socket
            .send(Message::binary(bytes.to_vec()))
            .await
            .expect("send frame");
    }

    /// Closes the connection as a page does when it goes away.
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }

    /// Queues `count` pings of `payload` and flushes once, without reading anything. Stops
    /// early if the server drops the connection, as it may do to a client that never reads:
    /// true if every ping was sent.
    pub async fn ping_without_reading(&mut self, payload: &[u8], count: usize) -> bool {
        for _ in 0..count {
            let ping = Message::Ping(payload.to_vec().into());
            if self.socket.feed(ping).await.is_err() {
                return false;
            }
        }
        self.socket.flush().await.is_ok()
    }

    /// Sends a close frame with `code` and returns the code of the server's answering close
    /// frame (`None` if the connection ended without one).
    pub async fn close_with(mut self, code: u16) -> Option<u16> {
        use tokio_tungstenite::tungstenite::protocol::CloseFrame;
        let frame = CloseFrame {
            code: code.into(),
            reason: "".into(),
        };
        self.socket
            .send(Message::Close(Some(frame)))
            .await
            .expect("send close");
        loop {
            match timeout(PATIENCE, self.socket.next())
                .await
                .expect("timed out waiting for the close")
            {
                Some(Ok(Message::Close(frame))) => return frame.map(|frame| frame.code.into()),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// The raw text of every frame until one of type `kind`, that one included.
    pub async fn raw_until(&mut self, kind: &str) -> Vec<String> {
        let mut frames = Vec::new();
        loop {
            let message = timeout(PATIENCE, self.socket.next())
                .await
                .expect("timed out waiting for a frame")
                .expect("connection closed")
                .expect("frame");
            if let Message::Text(text) = message {
                let done = serde_json::from_str::<Value>(text.as_str())
                    .is_ok_and(|frame| frame["type"] == kind);
                frames.push(text.as_str().to_owned());
                if done {
                    return frames;
                }
            }
        }
    }

    /// Reads frames until an `error` with this `code`, and returns it.
    pub async fn expect_error(&mut self, code: &str) -> Value {
        loop {
            let frame = self.expect("error").await;
            if frame["code"] == code {
                return frame;
            }
        }
    }

    /// The next JSON frame, or `None` once the server has closed.
    pub async fn try_next(&mut self) -> Option<Value> {
        loop {
            let message = timeout(PATIENCE, self.socket.next())
                .await
                .expect("timed out waiting for a frame")?;
            match message {
                Ok(Message::Text(text)) => {
                    return Some(serde_json::from_str(text.as_str()).expect("frames are JSON"));
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// The next JSON frame.
    pub async fn next(&mut self) -> Value {
        self.try_next().await.expect("connection closed")
    }

    /// Reads frames until one has this `type`, and returns it.
    pub async fn expect(&mut self, kind: &str) -> Value {
        loop {
            let frame = self.next().await;
            if frame["type"] == kind {
                return frame;
            }
        }
    }

    /// Reads frames until the `welcome`, with the `roster` and `backlog` parts sent ahead of
    /// it put back into its `users` and `history`, as the page does.
    pub async fn welcome(&mut self) -> Value {
        let (mut users, mut history) = (Vec::new(), Vec::new());
        loop {
            let mut frame = self.next().await;
            match frame["type"].as_str() {
                Some("roster") => users.extend(list(&frame["users"])),
                Some("backlog") => history.extend(list(&frame["events"])),
                Some("welcome") => {
                    users.extend(list(&frame["users"]));
                    history.extend(list(&frame["history"]));
                    frame["users"] = Value::Array(users);
                    frame["history"] = Value::Array(history);
                    return frame;
                }
                _ => {}
            }
        }
    }
}

/// Everything a TCP connection to `tcp` is sent before the server closes it: what a client
/// turned away at the door reads.
pub async fn refused_tcp(tcp: SocketAddr) -> String {
    let mut stream = TcpStream::connect(tcp).await.expect("connect");
    let mut text = String::new();
    timeout(PATIENCE, stream.read_to_string(&mut text))
        .await
        .expect("closed in time")
        .expect("read");
    text
}

/// A TCP connection to `addr` from loopback address `local` (127.0.0.0/8 is all this
/// machine's): another machine of the lab, as the server sees it.
pub async fn stream_from(local: std::net::IpAddr, addr: SocketAddr) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket
        .bind(SocketAddr::new(local, 0))
        .expect("bind a loopback address");
    socket.connect(addr).await.expect("connect")
}

/// Waits until a new TCP client is let in again (its greeting comes), once a place at the
/// door has been given back.
pub async fn wait_for_a_tcp_place(tcp: SocketAddr) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let mut probe = TcpStream::connect(tcp).await.expect("connect");
        let mut first = [0u8; 64];
        let n = timeout(PATIENCE, probe.read(&mut first))
            .await
            .expect("an answer in time")
            .expect("read");
        if String::from_utf8_lossy(&first[..n]).contains("Bienvenue") {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no place was given back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One HTTP/1.1 GET over a raw socket: status line, headers (lower-cased names), body.
pub async fn http_get(http: SocketAddr, path: &str) -> (String, Vec<(String, String)>, String) {
    http_get_with(http, path, &[]).await
}

/// [`http_get`] with extra request headers.
pub async fn http_get_with(
    http: SocketAddr,
    path: &str,
    extra: &[(&str, &str)],
) -> (String, Vec<(String, String)>, String) {
    let mut stream = TcpStream::connect(http).await.expect("connect");
    let extra: String = extra
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {http}\r\n{extra}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = String::new();
    timeout(PATIENCE, stream.read_to_string(&mut raw))
        .await
        .expect("response in time")
        .expect("read");
    let (head, body) = raw.split_once("\r\n\r\n").expect("a header block");
    let mut lines = head.lines();
    let status = lines.next().unwrap_or_default().to_owned();
    let headers = lines
        .filter_map(|line| line.split_once(": "))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

/// The resident memory of process `pid`, in bytes.
pub fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("process status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .expect("VmRSS")
        * 1024
}

/// The `tchat` binary, in French, logging only to its own stderr.
pub fn tchat() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tchat"));
    command.env("TCHAT_LANG", "fr").env_remove("RUST_LOG");
    command
}

/// Runs `command` and checks it failed as a teacher should see it: exit code 1 and one line
/// on stderr. Returns that line and the whole of stderr (for assertion messages).
pub fn one_line_failure(command: &mut std::process::Command) -> (String, String) {
    let output = command.output().expect("run tchat");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let lines: Vec<_> = stderr
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    (lines[0].to_owned(), stderr)
}

/// A `tchat` process, killed when dropped if it still runs: a failed test leaves no server
/// behind holding its database.
pub struct Running(pub std::process::Child);

impl std::ops::Deref for Running {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Running {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// A `tchat` process started from `command` on free ports, once it has printed everything
/// it prints at startup: the process, its HTTP and TCP addresses, and that output.
pub fn start_binary(command: std::process::Command) -> (Running, SocketAddr, SocketAddr, String) {
    start_binary_logging(command, std::process::Stdio::null())
}

/// [`start_binary`], with its log (stderr) going to `log`.
pub fn start_binary_logging(
    mut command: std::process::Command,
    log: impl Into<std::process::Stdio>,
) -> (Running, SocketAddr, SocketAddr, String) {
    use std::io::BufRead;
    let mut child = command
        .args(["--tcp", "127.0.0.1:0", "--http", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("run tchat");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut startup = String::new();
    while !startup.contains(STARTED) {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).expect("stdout") > 0,
            "tchat did not start:\n{startup}"
        );
        startup.push_str(&line);
    }
    let (http, tcp) = addresses(&startup);
    // Dropping stdout here also checks that tchat survives its stdout being closed.
    (Running(child), http, tcp, startup)
}

/// The last line tchat prints at startup.
const STARTED: &str = "Stop with Ctrl-C";

/// A `tchat` process started from `command` on free ports in a terminal of its own, as a
/// teacher starts it, once it has printed everything it prints at startup: the process,
/// the terminal, its HTTP and TCP addresses, and that output.
pub async fn start_binary_in_terminal(
    mut command: std::process::Command,
) -> (Running, Terminal, SocketAddr, SocketAddr) {
    let (mut terminal, program_side) = Terminal::open();
    let clone = || program_side.try_clone().expect("clone the terminal");
    let child = command
        .args(["--tcp", "127.0.0.1:0", "--http", "127.0.0.1:0"])
        .stdin(clone())
        .stdout(clone())
        .stderr(program_side)
        .spawn()
        .expect("run tchat");
    // Only the program holds its side now: the terminal ends when it does.
    drop(command);
    let child = Running(child);
    terminal.wait_for_text(STARTED).await;
    let (http, tcp) = addresses(&terminal.text());
    (child, terminal, http, tcp)
}

/// The HTTP and TCP addresses in tchat's startup output.
pub fn addresses(startup: &str) -> (SocketAddr, SocketAddr) {
    let (mut http, mut tcp) = (None, None);
    for line in startup.lines() {
        if let Some(url) = line.split("http://").nth(1) {
            http = http.or(url.trim().trim_end_matches('/').parse::<SocketAddr>().ok());
        }
        if let Some(nc) = line.split("nc ").nth(1) {
            tcp = tcp.or(nc.trim().replace(' ', ":").parse::<SocketAddr>().ok());
        }
    }
    (http.expect("http address"), tcp.expect("tcp address"))
}

fn list(value: &Value) -> Vec<Value> {
    value.as_array().cloned().unwrap_or_default()
}
