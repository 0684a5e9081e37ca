//! The page takes what it enforces and what it says from the server, as values: the
//! message length limit, the sentences in its reader's language whatever the server's own,
//! a kick's reason, and the teacher's controls for teachers alone.

use serde_json::json;
use tchat::i18n::Lang;

use crate::chromium::{Browser, Screen};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};

fn url(app: &TestApp) -> String {
    format!("http://{}/", app.http)
}

/// Opens the settings and says whether the teacher's controls and the language choice can
/// be seen, by layout (not by attribute).
const SETTINGS_VISIBILITY: &str = "document.querySelector('details.settings').open = true;
    return [document.getElementById('teacher-tools').checkVisibility(),
            document.getElementById('lang').checkVisibility()];";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_students_page_never_shows_the_teacher_tools_and_a_teachers_does() {
    let app = spawn_app().await;
    let student = Browser::open(Screen::Desktop).await;
    student.visit(&url(&app)).await;
    student.join("eleve").await;
    assert_eq!(
        student.js(SETTINGS_VISIBILITY).await,
        json!([false, true]),
        "a student sees the settings, not the teacher's controls"
    );
    let teacher = Browser::open(Screen::Desktop).await;
    teacher
        .visit(&format!(
            "{}?teacher={}",
            url(&app),
            crate::helpers::TEACHER
        ))
        .await;
    teacher.join("mme_durand").await;
    assert_eq!(teacher.js(SETTINGS_VISIBILITY).await, json!([true, true]));
    student.close().await;
    teacher.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_enforces_the_servers_message_length() {
    let app = spawn_app_with(|config| config.max_length = 500).await;
    let mut tcp = app.tcp_named("lecteur").await;
    let page = Browser::open(Screen::Desktop).await;
    page.visit(&url(&app)).await;
    page.join("bavarde").await;
    page.type_into("#msg", &"a".repeat(600)).await;
    assert_eq!(
        page.js("return document.getElementById('msg').value.length;")
            .await,
        json!(500),
        "the box takes --max-length characters, no more"
    );
    page.type_into("#msg", crate::chromium::ENTER).await;
    assert_eq!(
        tcp.expect("<bavarde>").await,
        format!("<bavarde> {}", "a".repeat(500)),
        "and the server takes all of them"
    );
    page.close().await;

    let roomy = spawn_app_with(|config| config.max_length = 5000).await;
    let page = Browser::open(Screen::Desktop).await;
    page.visit(&url(&roomy)).await;
    assert_eq!(
        page.js("return document.getElementById('msg').maxLength;")
            .await,
        json!(5000)
    );
    page.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_french_page_on_an_english_server_speaks_french_and_tcp_follows_lang() {
    let app = spawn_app_with(|config| config.lang = Some(Lang::En)).await;
    let page = Browser::open(Screen::Desktop).await;
    page.visit(&url(&app)).await;
    page.join("francoise").await;
    page.say("/danse").await;
    page.wait_text("Commande inconnue : /danse. Tape /help.")
        .await;
    page.say("/msg personne coucou").await;
    page.wait_text("Personne ne s'appelle personne ici.").await;
    page.say("/help").await;
    page.wait_text("/nick NAME — changer de pseudo").await;
    let mut tcp = crate::helpers::TcpClient::connect(app.tcp).await;
    assert!(
        tcp.greeting.starts_with("* Welcome to tchat"),
        "{}",
        tcp.greeting
    );
    page.wait_text("a rejoint la conversation (TCP)").await;
    tcp.send("/danse").await;
    assert_eq!(tcp.line().await, "* Unknown command: /danse. Type /help.");
    let log = page.log_text().await;
    assert!(
        !log.contains("Unknown") && !log.contains("joined"),
        "nothing in the server's language: {log}"
    );
    page.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kick_reason_reaches_the_page_kicked_and_everyone_else() {
    let app = spawn_app().await;
    let mut teacher = app.tcp_teacher("prof").await;
    let kicked = Browser::open(Screen::Desktop).await;
    kicked.visit(&url(&app)).await;
    kicked.join("camille").await;
    let other = Browser::open(Screen::Desktop).await;
    other.visit(&url(&app)).await;
    other.join("bruno").await;
    teacher.expect("bruno a rejoint").await;
    teacher.send("/kick camille trop bavarde").await;
    kicked.wait_text("Tu as été exclu·e (trop bavarde).").await;
    other
        .wait_text("camille a été exclu·e par prof (trop bavarde)")
        .await;
    let status = kicked
        .js("return document.getElementById('status-text').textContent;")
        .await;
    assert!(
        status.as_str().unwrap_or_default().contains("exclu"),
        "{status}"
    );
    kicked.close().await;
    other.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_follows_the_readers_language_switch() {
    let app = spawn_app().await;
    let page = Browser::open(Screen::Desktop).await;
    page.visit(&url(&app)).await;
    page.join("polyglotte").await;
    page.js("const choice = document.getElementById('lang'); choice.value = 'en'; choice.dispatchEvent(new Event('change')); return null;")
        .await;
    page.say("/danse").await;
    page.wait_text("Unknown command: /danse. Type /help.").await;
    page.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_rename_is_explained_in_the_rename_dialog() {
    let app = spawn_app().await;
    let mut teacher = app.tcp_teacher("prof").await;
    let page = Browser::open(Screen::Desktop).await;
    page.visit(&url(&app)).await;
    page.join("bavard").await;
    teacher.expect("bavard a rejoint").await;
    teacher.send("/mute bavard").await;
    page.wait_text("bavard ne peut plus écrire").await;
    page.js("document.getElementById('rename').click(); return null;")
        .await;
    page.js("document.getElementById('nick').value = ''; return null;")
        .await;
    page.type_into("#nick", &format!("discret{}", crate::chromium::ENTER))
        .await;
    page.wait(
        "the refusal in the dialog",
        "document.getElementById('nick-error').textContent.includes('Tu ne peux pas écrire')",
    )
    .await;
    assert_eq!(
        page.js("return [!document.getElementById('nick-dialog').open, document.getElementById('nick-submit').textContent];")
            .await,
        json!([false, "Renommer"]),
        "the dialog stays open, still renaming"
    );
    page.close().await;
}
