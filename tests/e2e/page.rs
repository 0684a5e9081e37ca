//! The page in a real headless Chromium, as students use it.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::chromium::{Browser, Screen, TAB, UP};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};

fn url(app: &TestApp) -> String {
    format!("http://{}/", app.http)
}

/// Classes and texts of the log's messages, for precise checks.
const MESSAGES: &str = "return [...document.querySelectorAll('#log .message')].map(item => ({
    nick: item.querySelector('.nick')?.textContent,
    via: item.querySelector('.via')?.textContent,
    text: item.querySelector('.text')?.textContent,
    classes: item.className,
}));";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_pages_and_a_tcp_client_share_one_conversation() {
    let app = spawn_app().await;
    let a = Browser::open(Screen::Desktop).await;
    a.visit(&url(&app)).await;
    a.join("alice").await;
    let b = Browser::open(Screen::Desktop).await;
    b.visit(&url(&app)).await;
    b.join("bruno").await;
    let mut tcp = app.tcp_named("charlie").await;

    a.say("Bonjour depuis la page A").await;
    b.wait_text("Bonjour depuis la page A").await;
    assert_eq!(
        tcp.expect("page A").await,
        "<alice> Bonjour depuis la page A"
    );

    tcp.send("Salut depuis nc").await;
    for page in [&a, &b] {
        page.wait_text("Salut depuis nc").await;
        let messages = page.js(MESSAGES).await;
        let last = messages
            .as_array()
            .and_then(|all| all.last())
            .cloned()
            .unwrap_or_default();
        assert_eq!(last["nick"], "charlie", "{messages}");
        assert_eq!(
            last["via"],
            Value::Null,
            "the transport is shown in the user list, not on each line: {messages}"
        );
        assert_eq!(last["text"], "Salut depuis nc", "{messages}");
        let users = page
            .js("return document.getElementById('user-list').innerText;")
            .await;
        let users = users.as_str().unwrap_or_default();
        assert!(
            users.contains("charlie") && users.contains("TCP"),
            "{users}"
        );
        assert!(
            users.contains("alice") && users.contains("bruno"),
            "{users}"
        );
    }
    let own = a.js(MESSAGES).await;
    assert!(
        own[0]["classes"]
            .as_str()
            .unwrap_or_default()
            .contains("mine"),
        "one's own messages stand out: {own}"
    );
    a.close().await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_in_a_message_is_shown_as_text_and_runs_nothing() {
    let app = spawn_app().await;
    let a = Browser::open(Screen::Desktop).await;
    a.visit(&url(&app)).await;
    a.join("mallory").await;
    let b = Browser::open(Screen::Desktop).await;
    b.visit(&url(&app)).await;
    b.join("victime").await;

    let attack = r#"<img src=x onerror="document.title='pwned'"> et https://example.org/a?b=1"#;
    a.say(attack).await;
    b.wait_text("<img src=x").await;
    for page in [&a, &b] {
        assert_ne!(page.js("return document.title;").await, json!("pwned"));
        assert_eq!(
            page.js("return document.querySelectorAll('#log img').length;")
                .await,
            json!(0)
        );
    }
    let link = b
        .js("const a = document.querySelector('#log a'); return [a.href, a.rel, a.target];")
        .await;
    assert_eq!(
        link,
        json!(["https://example.org/a?b=1", "noopener noreferrer", "_blank"])
    );
    a.close().await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_reconnects_after_a_restart_with_no_gap_no_duplicate_and_sends_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("class.db");
    let app = spawn_app_with(|config| config.db = db.clone()).await;
    let (tcp_addr, http_addr) = (app.tcp, app.http);
    let page = Browser::open(Screen::Desktop).await;
    page.visit(&url(&app)).await;
    page.join("persévérante").await;
    let mut tcp = app.tcp_named("marcel").await;
    tcp.send("avant la coupure").await;
    page.wait_text("avant la coupure").await;

    app.stop().await;
    page.wait(
        "the offline state",
        "document.getElementById('status').dataset.state === 'offline'",
    )
    .await;
    page.say("écrit hors ligne").await;
    page.wait(
        "the pending line",
        "document.querySelectorAll('#log .pending').length === 1",
    )
    .await;

    let app = spawn_app_with(|config| {
        config.db = db.clone();
        config.tcp = tcp_addr;
        config.http = http_addr;
    })
    .await;
    let mut tcp = app.tcp_named("marcel").await;
    // Said while the page is still waiting to retry: it must arrive with the resume.
    tcp.send("pendant la coupure").await;
    page.wait(
        "the reconnection",
        "document.getElementById('status').dataset.state === 'online'",
    )
    .await;
    page.wait_text("pendant la coupure").await;
    assert_eq!(
        tcp.expect("hors ligne").await,
        "<persévérante> écrit hors ligne"
    );
    page.say("de retour").await;
    assert_eq!(tcp.expect("de retour").await, "<persévérante> de retour");
    page.wait(
        "the echo",
        "document.querySelectorAll('#log .pending').length === 0",
    )
    .await;
    page.wait_text("de retour").await;

    let texts = page.js(MESSAGES).await;
    let count = |wanted: &str| {
        texts
            .as_array()
            .map_or(0, |all| all.iter().filter(|m| m["text"] == wanted).count())
    };
    for text in [
        "avant la coupure",
        "pendant la coupure",
        "écrit hors ligne",
        "de retour",
    ] {
        assert_eq!(count(text), 1, "{text} once: {texts}");
    }
    page.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mentions_unread_count_actions_and_a_remembered_nickname() {
    let app = spawn_app().await;
    let alice = Browser::open(Screen::Desktop).await;
    alice.visit(&url(&app)).await;
    alice.join("alice").await;
    let bruno = Browser::open(Screen::Desktop).await;
    bruno.visit(&url(&app)).await;
    bruno.join("bruno").await;

    // Bruno minimises the browser: the chat is hidden.
    bruno.client.minimize_window().await.expect("minimise");
    bruno
        .wait("the hidden page", "document.visibilityState === 'hidden'")
        .await;
    alice.say("bonjour tout le monde").await;
    alice.say("@bruno tu es là ?").await;
    alice.say("/me fait coucou").await;
    bruno.wait_text("fait coucou").await;
    let state = bruno
        .js("return [document.visibilityState, document.title];")
        .await;
    assert_eq!(
        state,
        json!(["hidden", "(3) tchat"]),
        "unread count in the title"
    );

    let messages = bruno.js(MESSAGES).await;
    let all = messages.as_array().cloned().unwrap_or_default();
    let find = |text: &str| {
        all.iter()
            .find(|m| m["text"].as_str().is_some_and(|t| t.contains(text)))
            .cloned()
            .unwrap_or_default()
    };
    assert!(
        find("tu es là").to_string().contains("mention"),
        "{messages}"
    );
    assert!(
        !find("tout le monde").to_string().contains("mention"),
        "{messages}"
    );
    let action = find("fait coucou");
    assert!(
        action["classes"]
            .as_str()
            .unwrap_or_default()
            .contains("action"),
        "{messages}"
    );
    assert_eq!(action["nick"], "alice");
    assert_eq!(
        bruno
            .js("return document.querySelector('#log .action .bullet')?.textContent;")
            .await,
        json!("•")
    );

    // Back from a reload, the page joins again under the same name without asking.
    bruno.client.refresh().await.expect("reload");
    bruno
        .wait(
            "the automatic join",
            "!document.getElementById('chat').hidden",
        )
        .await;
    let status = bruno
        .js("return document.getElementById('status-text').textContent;")
        .await;
    assert!(
        status.as_str().unwrap_or_default().contains("bruno"),
        "{status}"
    );
    assert_eq!(
        bruno
            .js("return !document.getElementById('nick-dialog').open;")
            .await,
        json!(true)
    );
    alice.close().await;
    bruno.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_nickname_is_explained_and_input_helpers_work() {
    let app = spawn_app().await;
    let _holder = app.tcp_named("camille").await;
    let page = Browser::open(Screen::Desktop).await;
    page.visit(&url(&app)).await;
    page.join_attempt("camille").await;
    page.wait(
        "the explanation",
        "document.getElementById('nick-error').textContent.includes('camille')",
    )
    .await;
    page.join("camille2").await;
    let status = page
        .js("return document.getElementById('status-text').textContent;")
        .await;
    assert!(
        status.as_str().unwrap_or_default().contains("camille2"),
        "{status}"
    );

    // Tab completes a nickname; the up arrow brings the last line back.
    page.type_into("#msg", &format!("cam{TAB}coucou\u{E007}"))
        .await;
    page.wait_text("camille: coucou").await;
    page.type_into("#msg", UP).await;
    assert_eq!(
        page.js("return document.getElementById('msg').value;")
            .await,
        json!("camille: coucou")
    );
    page.close().await;
}

/// How long a page may show nothing new while it should be catching up before a test
/// gives up: a busy machine is slow, but a page that stops for this long has stopped.
const STALL: Duration = Duration::from_secs(120);

/// What a page shows of a long conversation, in a few words: how many list items it keeps
/// (those folded inside others too) and its last two messages.
const GLANCE: &str = "const log = document.getElementById('log');
    const texts = [...log.querySelectorAll('.message .text')].map(text => text.textContent);
    return { items: log.getElementsByTagName('li').length, last: texts.slice(-2) };";

/// Waits until the page's last message is `wanted`, for as long as the page keeps showing
/// new ones: no deadline a busy machine could miss. A failure says where the page stopped,
/// in one line.
async fn wait_for_last_message(page: &Browser, wanted: &str) -> Value {
    let mut glance = Value::Null;
    let mut moved = Instant::now();
    loop {
        // A page busy with a flood may not answer in the driver's time: that is no progress,
        // not a failure.
        let now = page
            .client
            .execute(GLANCE, Vec::new())
            .await
            .unwrap_or_else(|_| glance.clone());
        if now["last"].as_array().and_then(|last| last.last()) == Some(&json!(wanted)) {
            return now;
        }
        if now != glance {
            glance = now;
            moved = Instant::now();
        }
        assert!(
            moved.elapsed() < STALL,
            "the page stopped before showing {wanted:?}; it shows {glance}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_messages_keep_the_page_small_and_responsive() {
    let app = spawn_app().await;
    let page = Browser::open(Screen::Desktop).await;
    page.visit(&url(&app)).await;
    page.join("lecteur").await;
    let mut tcp = app.tcp_named("bavard").await;
    // A crowd that never reads, present for the newcomer below.
    let mut crowd = Vec::new();
    for n in 0..60 {
        crowd.push(app.tcp_named(&format!("eleve{n:02}")).await);
    }
    let mut burst = String::new();
    for n in 0..10_000 {
        burst.push_str(&format!("message {n}\n"));
    }
    tcp.send_raw(burst.as_bytes()).await;
    let glance = wait_for_last_message(&page, "message 9999").await;
    assert_eq!(
        glance["last"],
        json!(["message 9998", "message 9999"]),
        "the newest messages last, in order"
    );
    assert!(
        glance["items"].as_u64().is_some_and(|items| items <= 1000),
        "the page keeps at most 1000 items: {glance}"
    );

    // Still responsive: a line typed after the flood is sent and shown.
    page.say("toujours réactif").await;
    assert_eq!(tcp.expect("réactif").await, "<lecteur> toujours réactif");
    let glance = wait_for_last_message(&page, "toujours réactif").await;
    assert!(
        glance["items"].as_u64().is_some_and(|items| items <= 1000),
        "{glance}"
    );

    // In a full room, a newcomer's welcome comes in parts; the page puts them together.
    let newcomer = Browser::open(Screen::Desktop).await;
    newcomer.visit(&url(&app)).await;
    newcomer.join("nouveau").await;
    wait_for_last_message(&newcomer, "toujours réactif").await;
    let texts = newcomer
        .js("return [...document.querySelectorAll('#log .message .text')].map(t => t.textContent);")
        .await;
    let texts: Vec<_> = texts
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|text| text.as_str())
        .collect();
    let expected: Vec<_> = (9901..10_000)
        .map(|n| format!("message {n}"))
        .chain(["toujours réactif".to_owned()])
        .collect();
    let first_difference = texts
        .iter()
        .zip(&expected)
        .position(|(shown, wanted)| shown != wanted);
    assert!(
        texts.len() == expected.len() && first_difference.is_none(),
        "the last 100 messages, in order: {} shown, first difference {:?}",
        texts.len(),
        first_difference.map(|at| (at, texts[at], &expected[at]))
    );
    let users = newcomer
        .js("return document.querySelectorAll('#user-list li').length;")
        .await;
    assert_eq!(users, json!(63), "everyone in the user list");
    newcomer.close().await;
    page.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_on_a_phone_and_a_lab_pc() {
    let app = spawn_app().await;
    let mut tcp = app.tcp_named("Mme_Durand").await;
    for (screen, name) in [(Screen::Phone, "phone"), (Screen::Desktop, "desktop")] {
        let page = Browser::open(screen).await;
        page.visit(&url(&app)).await;
        page.join(&format!("élève-{name}")).await;
        tcp.send(&format!(
            "Bienvenue élève-{name} ! Ouvrez https://example.org/cours.pdf"
        ))
        .await;
        page.say("/me lève la main").await;
        page.say("Bonjour Mme_Durand, on commence quand ?").await;
        page.wait_text("on commence quand").await;
        page.wait_text("cours.pdf").await;
        page.wait(
            "the online state",
            "document.getElementById('status').dataset.state === 'online'",
        )
        .await;
        let width = page.js("return [document.documentElement.clientWidth, document.documentElement.scrollWidth];").await;
        if let Screen::Phone = screen {
            assert_eq!(width, json!([360, 360]), "nothing wider than a phone");
        }
        let path = page.screenshot(name).await;
        assert!(std::fs::metadata(&path).is_ok_and(|meta| meta.len() > 1000));
        page.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_teacher_page_asks_the_password_and_moderates_from_the_user_list() {
    let app = spawn_app_with(|config| config.password = Some("sésame".to_owned())).await;
    let page = Browser::open(Screen::Desktop).await;
    page.visit(&format!(
        "{}?teacher={}",
        url(&app),
        crate::helpers::TEACHER
    ))
    .await;
    assert_eq!(
        page.js("return location.search;").await,
        json!(""),
        "the token leaves the address bar"
    );
    page.join_attempt("mme_martin").await;
    page.wait(
        "the password field",
        "!document.getElementById('password-row').hidden",
    )
    .await;
    page.type_into("#password", "sésame").await;
    page.type_into("#nick", crate::chromium::ENTER).await;
    page.wait("the welcome", "!document.getElementById('chat').hidden")
        .await;

    let mut student = crate::helpers::TcpClient::connect_with_password(app.tcp, "sésame").await;
    student.send("/nick turbulent").await;
    page.wait_text("turbulent").await;
    page.wait(
        "the teacher's menu button",
        "document.querySelector('#user-list .more[data-nick=\"turbulent\"]')",
    )
    .await;
    page.js("document.querySelector('#user-list .more[data-nick=\"turbulent\"]').click();
             [...document.querySelectorAll('#person-menu [role=menuitem]')].find(item => item.textContent === 'Exclure…').click();
             return null;")
        .await;
    page.wait("the question", "document.getElementById('confirm').open")
        .await;
    page.js("document.getElementById('confirm-ok').click(); return null;")
        .await;
    assert_eq!(student.expect("exclu").await, "* Tu as été exclu·e.");
    page.wait(
        "the student gone from the list",
        "!document.getElementById('user-list').innerText.includes('turbulent')",
    )
    .await;

    page.js("document.querySelector('details.settings').open = true; return null;")
        .await;
    page.type_into("#topic-input", "Les sockets\u{E007}").await;
    page.wait(
        "the topic banner",
        "document.getElementById('topic').textContent.includes('Les sockets')",
    )
    .await;
    page.close().await;
}

/// The token a server without `--teacher-token` keeps with its history.
fn kept_token(db: &std::path::Path) -> String {
    rusqlite::Connection::open(db)
        .expect("the database")
        .query_row(
            "SELECT value FROM meta WHERE key = 'teacher_token'",
            [],
            |row| row.get(0),
        )
        .expect("a teacher token kept with the history")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_teacher_stays_the_teacher_across_a_restart_and_a_wrong_token_is_asked_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("class.db");
    let start = |addresses: Option<(std::net::SocketAddr, std::net::SocketAddr)>| {
        let db = db.clone();
        spawn_app_with(move |config| {
            config.db = db;
            config.teacher_token = None;
            if let Some((tcp, http)) = addresses {
                config.tcp = tcp;
                config.http = http;
            }
        })
    };
    let app = start(None).await;
    let token = kept_token(&db);
    let teacher_tools = "!document.getElementById('teacher-tools').hidden";
    let page = Browser::open(Screen::Desktop).await;
    page.visit(&format!("{}?teacher={token}", url(&app))).await;
    page.join("mme_durand").await;
    page.wait("the teacher's tools", teacher_tools).await;

    let addresses = (app.tcp, app.http);
    app.stop().await;
    page.wait(
        "the offline state",
        "document.getElementById('status').dataset.state === 'offline'",
    )
    .await;
    let app = start(Some(addresses)).await;
    assert_eq!(kept_token(&db), token, "the same token after the restart");
    page.wait(
        "the reconnection",
        "document.getElementById('status').dataset.state === 'online'",
    )
    .await;
    let mut student = app.tcp_named("eleve").await;
    student.send("/who").await;
    student.expect("mme_durand (navigateur, prof)").await;
    assert_eq!(
        page.js(&format!("return {teacher_tools};")).await,
        json!(true)
    );

    // A page holding a token the server does not know asks for it again.
    let stale = Browser::open(Screen::Desktop).await;
    stale
        .visit(&format!("{}?teacher=ancien-jeton", url(&app)))
        .await;
    stale.join_attempt("m_martin").await;
    stale
        .wait(
            "the token asked again",
            "!document.getElementById('token-row').hidden && document.getElementById('nick-dialog').open",
        )
        .await;
    stale.type_into("#teacher-token", &token).await;
    stale.type_into("#nick", crate::chromium::ENTER).await;
    stale.wait("the teacher's tools", teacher_tools).await;
    stale.close().await;
    page.close().await;
}
