//! The page around the conversation, in a real Chromium: the first screen, the user list
//! (transports, teachers first, a new teacher's badge for everyone at once), the teacher's
//! menu for each student, and sentences with a count.

use serde_json::{Value, json};

use crate::chromium::{Browser, ENTER, Screen, UP};
use crate::helpers::{TEACHER, TestApp, spawn_app};

/// The WebDriver key codes for Escape and the down arrow.
const ESCAPE: &str = "\u{E00C}";
const DOWN: &str = "\u{E015}";

fn url(app: &TestApp) -> String {
    format!("http://{}/", app.http)
}

fn teacher_url(app: &TestApp) -> String {
    format!("http://{}/?teacher={TEACHER}", app.http)
}

/// The user list as the reader sees it, top to bottom.
const USERS: &str = "return [...document.querySelectorAll('#user-list li')].map(item => ({
    nick: item.querySelector('.nick')?.textContent,
    teacher: Boolean(item.querySelector('.teacher-badge')),
    via: item.querySelector('.via-badge')?.textContent,
}));";

fn person(nick: &str, teacher: bool, via: &str) -> Value {
    json!({"nick": nick, "teacher": teacher, "via": via})
}

/// What has focus: its id, its text, its role and the person it is for.
const FOCUS: &str = "const at = document.activeElement;
    return {id: at.id, text: at.textContent, role: at.getAttribute('role'), nick: at.dataset.nick ?? null};";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_screen_invites_to_choose_a_nickname() {
    let app = spawn_app().await;
    let page = Browser::open(Screen::Desktop).await;
    page.visit(&url(&app)).await;
    let first = page
        .js(
            "return {status: document.getElementById('status-text').textContent,
                     text: document.body.innerText, focus: document.activeElement.id,
                     dialog: document.getElementById('nick-dialog').open};",
        )
        .await;
    assert_eq!(
        first["status"], "Choisis un pseudo pour entrer dans la conversation",
        "{first}"
    );
    assert_eq!(
        (&first["dialog"], &first["focus"]),
        (&json!(true), &json!("nick"))
    );
    page.screenshot("first-screen").await;
    let text = first["text"].as_str().unwrap_or_default();
    assert!(!text.contains("Déconnecté"), "{text}");
    assert!(
        !text
            .split(|c: char| !c.is_ascii_digit())
            .any(|number| number == "0"),
        "no count of nobody before joining: {text}"
    );

    // The same in English.
    page.js("localStorage.setItem('tchat.lang', 'en'); return null;")
        .await;
    page.visit(&url(&app)).await;
    let text = page.js("return document.body.innerText;").await;
    let text = text.as_str().unwrap_or_default();
    assert!(
        text.contains("Choose a nickname to join the conversation")
            && !text.contains("Disconnected"),
        "{text}"
    );

    // Once the page tries to join, the status is the connection's.
    page.join("alice").await;
    page.wait(
        "the online status",
        "document.getElementById('status-text').textContent === 'Connected as alice'",
    )
    .await;
    assert_eq!(
        page.js("return document.getElementById('users-heading').textContent;")
            .await,
        json!("1 person connected")
    );
    page.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_user_list_shows_transports_teachers_first_and_new_teachers_at_once() {
    let app = spawn_app().await;
    let _zoe = app.tcp_named("zoe").await;
    let _martin = app.tcp_teacher("martin").await;
    let page = Browser::open(Screen::Desktop).await;
    page.visit(&url(&app)).await;
    page.join("alice").await;
    page.wait(
        "three people",
        "document.querySelectorAll('#user-list li').length === 3",
    )
    .await;
    assert_eq!(
        page.js(USERS).await,
        json!([
            person("martin", true, "TCP"),
            person("alice", false, "web"),
            person("zoe", false, "TCP"),
        ])
    );

    // A student gives the token: everyone's list shows the new teacher, without a reload.
    let mut yann = app.tcp_named("yann").await;
    page.wait(
        "yann in the list",
        "[...document.querySelectorAll('#user-list .nick')].some(nick => nick.textContent === 'yann')",
    )
    .await;
    yann.send(&format!("/op {TEACHER}")).await;
    yann.expect("est prof").await;
    page.wait(
        "yann's badge",
        "[...document.querySelectorAll('#user-list li')].some(item => item.querySelector('.nick')?.textContent === 'yann' && item.querySelector('.teacher-badge'))",
    )
    .await;

    // A page opened at the teacher's address: the same.
    let teacher = Browser::open(Screen::Desktop).await;
    teacher.visit(&teacher_url(&app)).await;
    teacher.join("mme_durand").await;
    page.wait(
        "mme_durand's badge",
        "[...document.querySelectorAll('#user-list li')].some(item => item.querySelector('.nick')?.textContent === 'mme_durand' && item.querySelector('.teacher-badge'))",
    )
    .await;
    assert_eq!(
        page.js(USERS).await,
        json!([
            person("martin", true, "TCP"),
            person("mme_durand", true, "web"),
            person("yann", true, "TCP"),
            person("alice", false, "web"),
            person("zoe", false, "TCP"),
        ])
    );
    assert_eq!(
        page.js("return document.getElementById('users-heading').textContent;")
            .await,
        json!("5 personnes connectées")
    );
    // A student has no moderation buttons at all.
    assert_eq!(
        page.js("return document.querySelectorAll('#user-list .more').length;")
            .await,
        json!(0)
    );
    teacher.close().await;
    page.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_teachers_menu_works_from_the_keyboard_and_kick_asks_first() {
    let app = spawn_app().await;
    let mut bavard = app.tcp_named("bavard").await;
    let mut turbulent = app.tcp_named("turbulent").await;
    let page = Browser::open(Screen::Desktop).await;
    page.visit(&teacher_url(&app)).await;
    page.join("mme_martin").await;
    page.wait(
        "a menu button for each student",
        "document.querySelectorAll('#user-list .more').length === 2",
    )
    .await;
    assert_eq!(
        page.js("return [...document.querySelectorAll('#user-list li')].map(item => item.querySelectorAll('button').length);")
            .await,
        json!([1, 2, 2]),
        "one name and one menu button per student, nothing for the teacher herself"
    );

    // Enter opens bavard's menu on its first item; the arrow moves; Enter mutes.
    page.js(
        "document.querySelector('#user-list .more[data-nick=\"bavard\"]').focus(); return null;",
    )
    .await;
    page.press(ENTER).await;
    page.wait(
        "the menu, focused",
        "!document.getElementById('person-menu').hidden && document.activeElement.getAttribute('role') === 'menuitem'",
    )
    .await;
    assert_eq!(
        page.js("return document.querySelector('.more[data-nick=\"bavard\"]').getAttribute('aria-expanded');")
            .await,
        json!("true")
    );
    page.press(DOWN).await;
    assert_eq!(page.js(FOCUS).await["text"], "Faire taire 5 min");
    page.screenshot("teacher-menu").await;
    page.press(ENTER).await;
    assert!(
        bavard
            .expect("ne peut plus écrire")
            .await
            .contains("bavard ne peut plus écrire pendant 5 min (mme_martin)")
    );
    page.wait_text("bavard ne peut plus écrire").await;
    page.wait(
        "bavard marked as silenced",
        "document.querySelector('#user-list .who[data-nick=\"bavard\"] .muted-badge')?.textContent === 'muet·te'",
    )
    .await;
    page.wait(
        "the focus back on the menu button",
        "document.getElementById('person-menu').hidden && document.activeElement.dataset.nick === 'bavard' && document.activeElement.classList.contains('more')",
    )
    .await;

    // Escape closes the menu and gives the focus back.
    page.press(ENTER).await;
    page.wait("the menu", "!document.getElementById('person-menu').hidden")
        .await;
    page.press(ESCAPE).await;
    page.wait(
        "the menu closed",
        "document.getElementById('person-menu').hidden && document.activeElement.dataset.nick === 'bavard'",
    )
    .await;
    assert_eq!(
        page.js("return document.activeElement.getAttribute('aria-expanded');")
            .await,
        json!("false")
    );

    // Unmute, from the same menu: the mark goes.
    page.press(ENTER).await;
    page.press(&format!("{DOWN}{DOWN}")).await;
    assert_eq!(page.js(FOCUS).await["text"], "Rendre la parole");
    page.press(ENTER).await;
    bavard.expect("peut de nouveau écrire").await;
    page.wait(
        "the mark gone",
        "document.querySelector('#user-list .who[data-nick=\"bavard\"]') && !document.querySelector('#user-list .muted-badge')",
    )
    .await;

    // Kick asks first; Escape there sends nobody away.
    page.js(
        "document.querySelector('#user-list .more[data-nick=\"turbulent\"]').focus(); return null;",
    )
    .await;
    page.press(UP).await; // opens on the last item, the ban
    page.press(UP).await;
    assert_eq!(page.js(FOCUS).await["text"], "Exclure…");
    page.press(ENTER).await;
    page.wait(
        "the question",
        "document.getElementById('confirm').open && document.activeElement.id === 'confirm-reason'",
    )
    .await;
    let question = page
        .js("return document.getElementById('confirm-text').textContent;")
        .await;
    assert!(
        question
            .as_str()
            .unwrap_or_default()
            .starts_with("Exclure turbulent ?"),
        "{question}"
    );
    page.screenshot("teacher-kick-question").await;
    page.press(ESCAPE).await;
    page.wait(
        "the question gone, the focus back",
        "!document.getElementById('confirm').open && document.activeElement.dataset.nick === 'turbulent'",
    )
    .await;

    // Asked again and confirmed, with a reason: the first thing turbulent is told.
    page.press(UP).await;
    page.press(UP).await;
    page.press(ENTER).await;
    page.wait(
        "the question",
        "document.getElementById('confirm').open && document.activeElement.id === 'confirm-reason'",
    )
    .await;
    page.press(&format!("bavardage{ENTER}")).await;
    assert_eq!(
        turbulent.expect("exclu").await,
        "* Tu as été exclu·e (bavardage)."
    );
    page.wait(
        "turbulent gone from the list",
        "!document.getElementById('user-list').innerText.includes('turbulent')",
    )
    .await;
    page.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_message_asks_first() {
    let app = spawn_app().await;
    let mut student = app.tcp_named("eleve").await;
    let page = Browser::open(Screen::Desktop).await;
    page.visit(&teacher_url(&app)).await;
    page.join("mme_martin").await;
    student.send("un message regrettable").await;
    page.wait_text("un message regrettable").await;
    let delete = "document.querySelector('#log .message .delete').click(); return null;";
    page.js(delete).await;
    page.wait("the question", "document.getElementById('confirm').open")
        .await;
    let question = page
        .js("return document.getElementById('confirm-text').textContent;")
        .await;
    assert!(
        question
            .as_str()
            .unwrap_or_default()
            .contains("un message regrettable"),
        "{question}"
    );
    page.js("document.getElementById('confirm-cancel').click(); return null;")
        .await;
    page.wait(
        "the question gone",
        "!document.getElementById('confirm').open",
    )
    .await;
    // Cancelled: a later message still follows it in the log.
    student.send("et la suite").await;
    page.wait_text("et la suite").await;
    assert!(page.log_text().await.contains("un message regrettable"));

    page.js(delete).await;
    page.wait("the question", "document.getElementById('confirm').open")
        .await;
    page.js("document.getElementById('confirm-ok').click(); return null;")
        .await;
    page.wait(
        "the message gone",
        "!document.getElementById('log').innerText.includes('un message regrettable')",
    )
    .await;
    page.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_agree_with_their_number_on_the_page() {
    let app = spawn_app().await;
    let page = Browser::open(Screen::Desktop).await;
    page.visit(&url(&app)).await;
    page.join("seule").await;
    let heading = "return document.getElementById('users-heading').textContent;";
    assert_eq!(page.js(heading).await, json!("1 personne connectée"));
    let mut other = app.tcp_named("autre").await;
    page.wait(
        "two people",
        "document.getElementById('users-heading').textContent === '2 personnes connectées'",
    )
    .await;
    page.say("/who").await;
    page.wait_text("2 personnes connectées :").await;
    page.js("const choice = document.getElementById('lang'); choice.value = 'en'; choice.dispatchEvent(new Event('change')); return null;")
        .await;
    assert_eq!(page.js(heading).await, json!("2 people connected"));
    page.say("/who").await;
    page.wait_text("2 people connected:").await;
    // Scrolled up, the button down says how many arrived, in agreement with the number.
    let mut long = app.ws_named("bavard").await;
    let text: Vec<String> = (1..=80).map(|n| format!("ligne {n}")).collect();
    long.send(json!({"type": "say", "text": text.join("\n")}))
        .await;
    page.wait_text("ligne 80").await;
    page.js("const view = document.getElementById('log-view'); view.scrollTop = 0; view.dispatchEvent(new Event('scroll')); return null;")
        .await;
    let jump = "return document.getElementById('jump').textContent;";
    other.send("un").await;
    page.wait(
        "one new message",
        "document.getElementById('jump').textContent.startsWith('1 ')",
    )
    .await;
    assert_eq!(page.js(jump).await, json!("1 new message ↓"));
    other.send("deux").await;
    page.wait(
        "two new messages",
        "document.getElementById('jump').textContent.startsWith('2 ')",
    )
    .await;
    assert_eq!(page.js(jump).await, json!("2 new messages ↓"));
    page.close().await;
}
