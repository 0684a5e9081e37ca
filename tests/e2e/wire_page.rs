//! `/wire` in the page, in a real Chromium: the panel showing what the server read from a
//! connection beside the frames the page itself sent and received, and a teacher watching a
//! student's bytes live from the user list, private messages masked.

use serde_json::{Value, json};

use crate::chromium::{Browser, Screen};
use crate::helpers::{TEACHER, TestApp, spawn_app};

/// The WebDriver key code for Escape.
const ESCAPE: &str = "\u{E00C}";

fn url(app: &TestApp) -> String {
    format!("http://{}/", app.http)
}

/// The server's reads as the panel lists them.
const READS: &str = "return [...document.querySelectorAll('#wire-reads li')].map(row => ({
    time: row.querySelector('time').textContent,
    bytes: row.querySelector('code')?.textContent ?? null,
    masked: row.querySelector('.wire-masked')?.textContent ?? null,
    made: row.querySelector('.wire-made').textContent,
}));";

/// The page's own frames as the panel lists them, oldest first.
const FRAMES: &str = "return [...document.querySelectorAll('#wire-frames li')].map(row => ({
    sent: row.classList.contains('sent'),
    text: row.querySelector('code').textContent,
}));";

/// A JavaScript condition: the panel lists a read whose bytes are `literal`.
fn read_shown(literal: &str) -> String {
    format!(
        "[...document.querySelectorAll('#wire-reads code')].some(code => code.textContent === {})",
        json!(literal)
    )
}

fn list(value: &Value) -> Vec<Value> {
    value.as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wire_shows_a_page_the_frames_the_server_read_and_those_it_sent_and_received() {
    let app = spawn_app().await;
    let page = Browser::open(Screen::Phone).await;
    page.visit(&url(&app)).await;
    page.join("zoe").await;
    page.say("bonjour").await;
    page.wait_text("bonjour").await;
    page.say("/wire").await;
    page.wait(
        "the panel",
        "!document.getElementById('wire').hidden && document.querySelector('#wire-reads li')",
    )
    .await;
    assert_eq!(
        page.js(
            "return [document.getElementById('wire-title').textContent, document.activeElement.id];"
        )
        .await,
        json!(["Ce que tchat a lu de ta connexion", "wire"]),
        "the panel is named and takes focus"
    );

    let reads = list(&page.js(READS).await);
    let said = r#"b'{"type":"say","text":"bonjour"}'"#;
    let bonjour = reads
        .iter()
        .find(|read| read["bytes"] == said)
        .unwrap_or_else(|| panic!("the say frame as Python bytes: {reads:?}"));
    assert_eq!(bonjour["made"], "→ trame WebSocket");
    let time = bonjour["time"].as_str().unwrap_or_default();
    assert!(
        time.len() == 8 && time.split(':').all(|part| part.len() == 2),
        "HH:MM:SS: {time}"
    );
    assert_eq!(
        reads.last().map(|read| read["bytes"].clone()),
        Some(json!(r#"b'{"type":"say","text":"/wire"}'"#)),
        "the /wire that asked, last: {reads:?}"
    );

    // Beside it, the frames as the page sent and received them: the hello first, then the
    // same say frame going up, and the server's answers coming down.
    let frames = list(&page.js(FRAMES).await);
    let text = |frame: &Value| frame["text"].as_str().unwrap_or_default().to_owned();
    assert!(
        frames[0]["sent"] == true
            && text(&frames[0]).starts_with(r#"{"type":"hello","nick":"zoe""#),
        "{frames:?}"
    );
    assert!(
        frames
            .iter()
            .any(|frame| frame["sent"] == true
                && text(frame) == r#"{"type":"say","text":"bonjour"}"#),
        "{frames:?}"
    );
    let welcome = frames
        .iter()
        .find(|frame| text(frame).starts_with(r#"{"type":"welcome""#))
        .unwrap_or_else(|| panic!("the welcome received: {frames:?}"));
    assert!(welcome["sent"] == false && text(welcome).contains(r#""token":"•••""#));
    assert!(
        frames.iter().any(|frame| frame["sent"] == false
            && text(frame).starts_with(r#"{"type":"wire","nick":"zoe","via":"web","own":true"#)),
        "the answer to /wire itself: {frames:?}"
    );
    assert!(
        frames
            .iter()
            .all(|frame| text(frame).chars().count() <= 128),
        "each frame cut short: {frames:?}"
    );
    let token = page.js("return localStorage.getItem('tchat.token');").await;
    let token = token.as_str().expect("a resume token");
    let panel = page
        .js("return document.getElementById('wire').textContent;")
        .await;
    assert!(
        !panel.as_str().unwrap_or_default().contains(token),
        "the resume token is masked"
    );

    // Nothing wider than the phone, and a screenshot for a person to look at.
    assert_eq!(
        page.js(
            "return [document.documentElement.clientWidth, document.documentElement.scrollWidth];"
        )
        .await,
        json!([360, 360])
    );
    page.screenshot("wire-own-phone").await;

    // In English too.
    page.js("const lang = document.getElementById('lang'); lang.value = 'en'; lang.dispatchEvent(new Event('change')); return null;")
        .await;
    assert_eq!(
        page.js("return [document.getElementById('wire-title').textContent, document.querySelector('#wire-reads .wire-made').textContent];")
            .await,
        json!(["What tchat read from your connection", "→ WebSocket frame"])
    );

    // Escape closes it, and focus goes back to the message box.
    page.js("document.getElementById('wire').focus(); return null;")
        .await;
    page.press(ESCAPE).await;
    page.wait(
        "the panel closed, focus back",
        "document.getElementById('wire').hidden && document.activeElement.id === 'msg'",
    )
    .await;
    page.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_teacher_watches_a_tcp_student_live_from_the_user_list_private_messages_masked() {
    let app = spawn_app().await;
    let mut student = app.tcp_named("eleve").await;
    let mut alice = app.tcp_named("alice").await;
    let page = Browser::open(Screen::Desktop).await;
    page.visit(&format!("{}?teacher={TEACHER}", url(&app)))
        .await;
    page.join("mme_martin").await;

    let more = r#"document.querySelector('#user-list .more[data-nick="eleve"]')"#;
    page.wait("eleve's menu button", more).await;
    page.js(&format!(
        "{more}.click();
         [...document.querySelectorAll('#person-menu [role=menuitem]')].find(item => item.textContent === 'Voir les octets').click();
         return null;"
    ))
    .await;
    page.wait(
        "the live panel",
        "!document.getElementById('wire').hidden && document.getElementById('wire').dataset.state === 'live'",
    )
    .await;
    assert_eq!(
        page.js("return ['wire-title', 'wire-via', 'wire-status'].map(id => document.getElementById(id).textContent);")
            .await,
        json!(["Ce que tchat a lu de eleve", "Connexion : TCP", "en direct"])
    );
    // The client's first Enter and its /nick may have been read at once.
    let nick_read = format!(
        "[...document.querySelectorAll('#wire-reads code')].some(code => code.textContent.endsWith({}))",
        json!(r"/nick eleve\n'")
    );
    page.wait("the record so far", &nick_read).await;

    // A line the student sends now appears as it is read.
    student.send("bonjour").await;
    page.wait("the live read", &read_shown(r"b'bonjour\n'"))
        .await;
    let reads = list(&page.js(READS).await);
    let bonjour = reads
        .iter()
        .find(|read| read["bytes"] == r"b'bonjour\n'")
        .cloned()
        .unwrap_or_default();
    assert_eq!(bonjour["made"], "→ ligne", "{reads:?}");

    // A private message to someone else shows as its size, masked, and nothing of it.
    let private = "/msg alice rendez-vous secret à midi";
    student.send(private).await;
    alice.expect("secret").await;
    page.wait(
        "the masked read",
        "[...document.querySelectorAll('#wire-reads .wire-masked')].length === 1",
    )
    .await;
    let masked = list(&page.js(READS).await)
        .into_iter()
        .find(|read| !read["masked"].is_null())
        .unwrap_or_default();
    assert_eq!(
        masked,
        json!({
            "time": masked["time"],
            "bytes": null,
            "masked": format!("{} octets", private.len() + 1),
            "made": "→ ligne, message privé masqué",
        })
    );
    let panel = page
        .js("return document.getElementById('wire').textContent;")
        .await;
    let panel = panel.as_str().unwrap_or_default();
    for word in ["alice", "rendez-vous", "secret", "midi", "/msg"] {
        assert!(!panel.contains(word), "{word:?} in the panel: {panel}");
    }
    page.screenshot("wire-teacher-live").await;

    // Closing stops the live view, and focus goes back to the menu button.
    page.js("document.getElementById('wire-close').click(); return null;")
        .await;
    page.wait(
        "the panel closed, focus back",
        &format!("document.getElementById('wire').hidden && document.activeElement === {more}"),
    )
    .await;
    // Asked after the panel's `/wire off`, one's own view is answered after it: from then
    // on, the server sends no more of the student's reads.
    page.say("/wire").await;
    page.wait(
        "one's own view",
        "document.getElementById('wire').dataset.state === 'own'",
    )
    .await;
    student.send("plus vu").await;
    page.wait_text("plus vu").await;
    page.wait(
        "the message among the page's frames",
        r#"[...document.querySelectorAll('#wire-frames code')].some(code => code.textContent.includes('"text":"plus vu"'))"#,
    )
    .await;
    let frames = list(&page.js(FRAMES).await);
    let text = |frame: &Value| frame["text"].as_str().unwrap_or_default().to_owned();
    let off = frames
        .iter()
        .position(|frame| {
            frame["sent"] == true && text(frame) == r#"{"type":"say","text":"/wire off"}"#
        })
        .unwrap_or_else(|| panic!("the panel's /wire off: {frames:?}"));
    assert_eq!(
        text(&frames[off + 1]),
        r#"{"type":"unwatched"}"#,
        "{frames:?}"
    );
    let after: Vec<_> = frames[off..].iter().map(text).collect();
    assert!(
        after.iter().all(|frame| !frame.contains(r#""live":true"#)),
        "no live read after /wire off: {after:?}"
    );
    assert!(
        !page.log_text().await.contains("Tu ne regardes plus"),
        "the panel's own /wire off is not said in the log"
    );
    page.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_panel_watches_one_person_at_a_time_and_a_typed_wire_off_is_said() {
    let app = spawn_app().await;
    let mut first = app.tcp_named("premier").await;
    let mut second = app.tcp_named("second").await;
    let page = Browser::open(Screen::Desktop).await;
    page.visit(&format!("{}?teacher={TEACHER}", url(&app)))
        .await;
    page.join("mme_martin").await;
    let live_on = |nick: &str| {
        format!(
            "document.getElementById('wire').dataset.state === 'live' && document.getElementById('wire-title').textContent.endsWith(' {nick}')"
        )
    };
    page.say("/wire premier").await;
    page.wait("premier watched", &live_on("premier")).await;

    // Typed while watching premier, /wire second moves the panel, and the server with it.
    page.say("/wire second").await;
    page.wait("second watched", &live_on("second")).await;
    first.send("plus regardé").await;
    page.wait_text("plus regardé").await;
    second.send("regardé").await;
    page.wait("second's read", &read_shown(r"b'regard\xc3\xa9\n'"))
        .await;
    let panel = page
        .js("return document.getElementById('wire-reads').textContent;")
        .await;
    let panel = panel.as_str().unwrap_or_default();
    assert!(
        !panel.contains("premier") && !panel.contains("plus regard"),
        "only second's reads: {panel}"
    );

    // A /wire off typed by the teacher stops the live view and is said, as any answer is.
    page.say("/wire off").await;
    page.wait(
        "the live view stopped",
        "document.getElementById('wire').dataset.state === 'stopped' && document.getElementById('wire-status').textContent === 'direct arrêté'",
    )
    .await;
    page.wait_text("Tu ne regardes plus les octets de personne.")
        .await;
    page.close().await;
}
