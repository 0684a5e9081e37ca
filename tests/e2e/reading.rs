//! Reading the conversation in the page: runs of messages under one name, the time in its own
//! column, day dividers, the line before what arrived while the reader was away, folded
//! arrivals, the phone layout, and a view that keeps following new messages.

use fantoccini::Locator;
use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use serde_json::json;

use std::time::{Duration, Instant};

use crate::chromium::{Browser, Screen};
use crate::helpers::{PATIENCE, TEACHER, TestApp, spawn_app, spawn_app_with};

fn url(app: &TestApp) -> String {
    format!("http://{}/", app.http)
}

/// The log as a reader sees it, one short line per item: `── Hier ──` for a divider,
/// `alice: text` for a message showing its author's name, `…: text` for one that leaves the
/// name to the first message of its run, `* text` for a notice, `▸ summary` for a folded line.
const READ: &str = "return [...document.querySelectorAll('#log > li')].map(item => {
    if (item.classList.contains('divider')) return `── ${item.textContent} ──`;
    if (item.classList.contains('fold')) return `▸ ${item.querySelector('.summary').textContent}`;
    const text = item.querySelector(':scope > .text')?.textContent ?? '';
    const who = item.querySelector(':scope > .who');
    if (!who) return `* ${text}`;
    const seen = who.getBoundingClientRect().width > 2;
    return `${seen ? who.textContent : '…'}: ${text}`;
});";

async fn read(page: &Browser) -> Vec<String> {
    let lines = page.js(READ).await;
    serde_json::from_value(lines).expect("lines of text")
}

/// Waits until `condition` (a JavaScript expression) is true, for as long as the shared
/// helpers' patience; a failure shows the log's last lines only.
async fn wait_briefly(page: &Browser, what: &str, condition: &str) {
    let script = format!("return Boolean({condition});");
    let deadline = Instant::now() + PATIENCE;
    while page.js(&script).await != json!(true) {
        if Instant::now() > deadline {
            let lines = read(page).await;
            let tail = &lines[lines.len().saturating_sub(8)..];
            panic!("timed out waiting for {what}; the log ends with {tail:#?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A condition: the log shows `text`.
fn contains(text: &str) -> String {
    format!(
        "document.getElementById('log').innerText.includes({})",
        json!(text)
    )
}

/// The lines from the one starting with `first` to the one starting with `last`.
fn between(lines: &[String], first: &str, last: &str) -> Vec<String> {
    let find = |prefix: &str| {
        lines
            .iter()
            .position(|line| line.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line starts with {prefix:?} in {lines:#?}"))
    };
    lines[find(first)..=find(last)].to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_of_messages_shows_its_author_once_and_the_time_in_its_own_column() {
    let app = spawn_app().await;
    let page = Browser::open(Screen::Desktop).await;
    page.visit(&url(&app)).await;
    page.join("lecteur").await;
    let mut alice = app.tcp_named("alice").await;
    for text in ["premier", "deuxième", "troisième"] {
        alice.send(text).await;
    }
    page.wait_text("troisième").await;
    let _bob_arrives = app.tcp_named("bob").await;
    alice.send("après l'arrivée").await;
    alice.send("/me sourit").await;
    alice.send("encore moi").await;
    page.wait_text("encore moi").await;

    let lines = read(&page).await;
    assert_eq!(
        between(&lines, "alice: premier", "alice: encore moi"),
        [
            "alice: premier",
            "…: deuxième",
            "…: troisième",
            "▸ bob a rejoint la conversation",
            "alice: après l'arrivée",
            "• alice: sourit",
            "alice: encore moi",
        ]
        .map(String::from),
        "a run under one name, broken by a notice or an action"
    );

    // Each message has its time, in the 24-hour clock, for screen readers too; the later
    // messages of a run show theirs when pointed at.
    let times = page
        .js(
            "return [...document.querySelectorAll('#log .message')].map(item => {
            const time = item.querySelector(':scope > time.time');
            const at = new Date(time.dateTime);
            const pad = (n) => String(n).padStart(2, '0');
            return [time.textContent === `${pad(at.getHours())}:${pad(at.getMinutes())}`,
                    getComputedStyle(time).opacity, time.getBoundingClientRect().right
                        <= item.querySelector(':scope > .text').getBoundingClientRect().left];
        });",
        )
        .await;
    assert_eq!(
        times,
        json!([
            [true, "1", true],
            [true, "0", true],
            [true, "0", true],
            [true, "1", true],
            [true, "1", true],
            [true, "1", true],
        ]),
        "24-hour times in a column of their own, shown once per run"
    );
    let second = page
        .client
        .find(Locator::XPath(
            "//ol[@id='log']/li[span[@class='text' and text()='deuxième']]",
        ))
        .await
        .expect("the second message");
    page.client
        .perform_actions(
            MouseActions::new("mouse".to_owned()).then(PointerAction::MoveToElement {
                element: second,
                duration: None,
                x: 0.0,
                y: 0.0,
            }),
        )
        .await
        .expect("pointer moves");
    page.wait(
        "the time of the message pointed at",
        "[...document.querySelectorAll('#log .message')].some(item => item.textContent.includes('deuxième') && getComputedStyle(item.querySelector('.time')).opacity === '1')",
    )
    .await;

    // How someone connects is the user list's business, not every line's.
    let tcp_on_lines = page
        .js("return [...document.querySelectorAll('#log .message')].filter(item => item.innerText.includes('TCP')).length;")
        .await;
    assert_eq!(tcp_on_lines, json!(0), "no transport on message lines");
    page.close().await;
}

/// Noon, `days` days ago, in the browser's time zone, in Unix milliseconds.
async fn noon(page: &Browser, days: i64) -> i64 {
    let script = format!(
        "const now = new Date(); return new Date(now.getFullYear(), now.getMonth(), now.getDate() - {days}, 12, 0).getTime();"
    );
    page.js(&script).await.as_i64().expect("a time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_over_several_days_has_a_divider_where_the_day_changes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("class.db");
    // A database tchat made, then stopped: its schema, with past days written into it.
    spawn_app_with(|config| config.db = db.clone())
        .await
        .stop()
        .await;
    let page = Browser::open(Screen::Desktop).await;
    let (before, yesterday) = (noon(&page, 2).await, noon(&page, 1).await);
    let minute = 60_000;
    let past = [
        (before, "alice", "il y a deux jours"),
        (yesterday, "alice", "hier, d'abord"),
        (yesterday + minute, "alice", "hier, ensuite"),
        (yesterday + 2 * minute, "alice", "hier, encore"),
        (yesterday + 20 * minute, "alice", "hier, bien plus tard"),
        (yesterday + 187 * minute, "bob", "à quinze heures sept"),
    ];
    write_past_messages(&db, "tcp", &past);
    let app = spawn_app_with(|config| config.db = db.clone()).await;
    page.visit(&url(&app)).await;
    page.join("lecteur").await;
    let mut alice = app.tcp_named("alice").await;
    alice.send("aujourd'hui").await;
    page.wait_text("aujourd'hui").await;

    let lines = read(&page).await;
    let label = lines.first().cloned().unwrap_or_default();
    let day = page
        .js(&format!("return new Date({before}).getDate();"))
        .await;
    let french_date = regex_like_french_date(&label, day.as_i64().unwrap_or_default());
    assert!(
        french_date,
        "the oldest day is named by its date: {lines:#?}"
    );
    assert_eq!(
        between(&lines, "alice: il y a deux jours", "── Aujourd'hui ──"),
        [
            "alice: il y a deux jours",
            "── Hier ──",
            "alice: hier, d'abord",
            "…: hier, ensuite",
            "…: hier, encore",
            "alice: hier, bien plus tard",
            "bob: à quinze heures sept",
            "── Aujourd'hui ──",
        ]
        .map(String::from),
        "dividers where the day changes; a long gap starts a new run"
    );
    assert!(
        lines
            .last()
            .is_some_and(|line| line == "alice: aujourd'hui"),
        "{lines:#?}"
    );
    let structure = page
        .js("return [document.querySelectorAll('#log > :not(li)').length, [...document.querySelectorAll('#log .message')].find(item => item.textContent.includes('quinze')).querySelector('.time').textContent];")
        .await;
    assert_eq!(
        structure,
        json!([0, "15:07"]),
        "the log holds only list items; a 24-hour clock"
    );

    // In English, after a reload: the same, and still a 24-hour clock.
    page.js("const choice = document.getElementById('lang'); choice.value = 'en'; choice.dispatchEvent(new Event('change')); return null;")
        .await;
    page.client.refresh().await.expect("reload");
    page.wait_text("aujourd'hui").await;
    let lines = read(&page).await;
    for divider in ["── Yesterday ──", "── Today ──"] {
        assert!(
            lines.iter().any(|line| line == divider),
            "{divider} in {lines:#?}"
        );
    }
    let time = page
        .js("return [...document.querySelectorAll('#log .message')].find(item => item.textContent.includes('quinze')).querySelector('.time').textContent;")
        .await;
    assert_eq!(time, json!("15:07"), "24 hours in English too");
    page.close().await;
}

/// Whether `line` is a divider naming a French date, such as `── lundi 30 novembre ──`, on
/// day `day` of its month.
fn regex_like_french_date(line: &str, day: i64) -> bool {
    const WEEKDAYS: [&str; 7] = [
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    ];
    const MONTHS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let Some(label) = line
        .strip_prefix("── ")
        .and_then(|rest| rest.strip_suffix(" ──"))
    else {
        return false;
    };
    let words: Vec<&str> = label.split(' ').collect();
    matches!(words.as_slice(), [weekday, number, month, ..]
        if WEEKDAYS.contains(weekday) && *number == day.to_string() && MONTHS.contains(month))
}

/// Hides or shows the page the way a reader does: minimising the window, or bringing it back.
async fn set_hidden(page: &Browser, hidden: bool) {
    if hidden {
        page.client.minimize_window().await.expect("minimise");
        page.wait("the hidden page", "document.visibilityState === 'hidden'")
            .await;
    } else {
        // Setting the window's size restores it, at the size the browser opened with.
        page.client
            .set_window_size(1280, 800)
            .await
            .expect("restore");
        page.wait("the visible page", "document.visibilityState === 'visible'")
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coming_back_to_the_tab_shows_a_line_before_what_arrived_meanwhile() {
    let app = spawn_app().await;
    let page = Browser::open(Screen::Desktop).await;
    page.visit(&url(&app)).await;
    page.join("lecteur").await;
    let mut alice = app.tcp_named("alice").await;
    alice.send("avant").await;
    page.wait_text("avant").await;

    set_hidden(&page, true).await;
    let _carol = app.tcp_named("carol").await;
    alice.send("pendant, un").await;
    alice.send("pendant, deux").await;
    page.wait(
        "the unread count",
        "document.title === '(2) tchat' && document.getElementById('log').textContent.includes('pendant, deux')",
    )
    .await;
    set_hidden(&page, false).await;
    let lines = read(&page).await;
    assert_eq!(
        between(&lines, "alice: avant", "…: pendant, deux"),
        [
            "alice: avant",
            "▸ carol a rejoint la conversation",
            "── Nouveau depuis ton départ ──",
            "alice: pendant, un",
            "…: pendant, deux",
        ]
        .map(String::from),
        "the line goes before the first message that arrived while the tab was hidden"
    );

    alice.send("sous les yeux").await;
    page.wait_text("sous les yeux").await;
    set_hidden(&page, true).await;
    alice.send("encore").await;
    page.wait(
        "the unread count",
        "document.title === '(1) tchat' && document.getElementById('log').textContent.includes('encore')",
    )
    .await;
    set_hidden(&page, false).await;
    let lines = read(&page).await;
    let markers: Vec<_> = lines
        .iter()
        .filter(|line| line.contains("Nouveau depuis"))
        .collect();
    assert_eq!(markers.len(), 1, "one such line at a time: {lines:#?}");
    assert_eq!(
        between(&lines, "…: sous les yeux", "alice: encore"),
        [
            "…: sous les yeux",
            "── Nouveau depuis ton départ ──",
            "alice: encore",
        ]
        .map(String::from)
    );
    page.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arrivals_in_a_row_fold_into_one_line_that_opens() {
    let app = spawn_app().await;
    let page = Browser::open(Screen::Desktop).await;
    page.visit(&url(&app)).await;
    page.join("lecteur").await;
    page.say("bonjour").await;
    page.wait_text("bonjour").await;
    let mut students = Vec::new();
    for n in 1..=5 {
        students.push(app.tcp_named(&format!("eleve{n}")).await);
    }
    let summary = "eleve1, eleve2 et 3 autres ont rejoint la conversation";
    page.wait(
        "the folded arrivals",
        &format!(
            "[...document.querySelectorAll('#log .fold-toggle')].some(b => b.textContent.includes({}))",
            json!(summary)
        ),
    )
    .await;
    let folded = "const folds = document.querySelectorAll('#log .fold');
        const button = folds[0].querySelector('button');
        const shown = [...folds[0].querySelectorAll('li')].filter(item => item.checkVisibility());
        return [folds.length, button.getAttribute('aria-expanded'), shown.length];";
    assert_eq!(
        page.js(folded).await,
        json!([1, "false", 0]),
        "one line for ten notices, closed"
    );
    page.client
        .find(Locator::Css("#log .fold-toggle"))
        .await
        .expect("the folded line's button")
        .click()
        .await
        .expect("click");
    assert_eq!(
        page.js(folded).await,
        json!([1, "true", 10]),
        "open: each arrival and rename"
    );
    let log = page.log_text().await;
    assert!(
        log.contains("s'appelle maintenant eleve3"),
        "each notice readable once open"
    );

    // A message ends the run: what follows folds on its own.
    students[0].send("je dois partir").await;
    drop(students.remove(0));
    // One after the other, so that the page is told in this order.
    page.wait_text("eleve1 a quitté la conversation").await;
    drop(students.remove(0));
    page.wait(
        "the departures folded",
        "document.getElementById('log').innerText.includes('eleve1 et eleve2 ont quitté la conversation')",
    )
    .await;
    let lines = read(&page).await;
    assert_eq!(
        between(&lines, "eleve1: je dois partir", "▸ eleve1 et eleve2"),
        [
            "eleve1: je dois partir",
            "▸ eleve1 et eleve2 ont quitté la conversation",
        ]
        .map(String::from)
    );
    page.close().await;
}

/// Where the nick and the text of the last message are, and how wide the log is.
const GEOMETRY: &str = "const item = [...document.querySelectorAll('#log .message')].pop();
    const box = (css) => item.querySelector(css).getBoundingClientRect();
    const [who, text, time] = [box('.who'), box('.text'), box('.time')];
    return { log: document.getElementById('log').clientWidth, text: text.width,
             nickAbove: who.bottom <= text.top + 1, timeAbove: time.bottom <= text.top + 1,
             nickBeside: who.right <= text.left && time.right <= who.left };";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_the_name_and_time_go_above_so_the_text_gets_the_width() {
    let app = spawn_app().await;
    let mut alice = app.tcp_named("alice_au_long_pseudo").await;
    let long = "Une phrase assez longue pour remplir plusieurs lignes sur un téléphone, \
                afin de voir qu'elle prend toute la largeur de l'écran.";
    for screen in [Screen::Phone, Screen::Desktop] {
        let page = Browser::open(screen).await;
        page.visit(&url(&app)).await;
        page.join(&format!("lecteur{}", matches!(screen, Screen::Phone)))
            .await;
        alice.send(long).await;
        page.wait_text("toute la largeur").await;
        let at = page.js(GEOMETRY).await;
        let log = at["log"].as_f64().unwrap_or_default();
        let text = at["text"].as_f64().unwrap_or_default();
        match screen {
            Screen::Phone => {
                assert!(text >= 0.9 * log, "the text takes the width: {at}");
                assert_eq!(
                    (&at["nickAbove"], &at["timeAbove"]),
                    (&json!(true), &json!(true)),
                    "{at}"
                );
            }
            Screen::Desktop => {
                assert_eq!(at["nickBeside"], json!(true), "columns on a PC: {at}");
            }
        }
        page.close().await;
    }
}

/// True when the log shows its end: scrolled to the bottom, the last line in view.
const AT_BOTTOM: &str = "(() => {
    const view = document.getElementById('log-view');
    const last = document.getElementById('log').lastElementChild.getBoundingClientRect();
    return view.scrollTop + view.clientHeight >= view.scrollHeight - 8
        && last.bottom <= view.getBoundingClientRect().bottom + 1;
})()";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_view_keeps_following_when_a_banner_comes_or_goes() {
    let app = spawn_app().await;
    let page = Browser::open(Screen::Desktop).await;
    page.visit(&format!("{}?teacher={TEACHER}", url(&app)))
        .await;
    page.join("mme_martin").await;
    let mut student = app.tcp_named("bavard").await;
    let mut burst = String::new();
    for n in 1..=80 {
        burst.push_str(&format!("ligne {n}\n"));
    }
    student.send_raw(burst.as_bytes()).await;
    wait_briefly(&page, "ligne 80", &contains("ligne 80")).await;
    assert_eq!(
        page.js(&format!("return {AT_BOTTOM};")).await,
        json!(true),
        "at the bottom"
    );

    let steps = [
        (
            "/topic Les sockets",
            "!document.getElementById('topic').hidden",
        ),
        ("/lock", "!document.getElementById('locked').hidden"),
        ("/unlock", "document.getElementById('locked').hidden"),
        ("/topic", "document.getElementById('topic').hidden"),
    ];
    for (n, (command, banner)) in steps.into_iter().enumerate() {
        page.say(command).await;
        wait_briefly(&page, command, banner).await;
        let text = format!("après {command}");
        if command == "/lock" {
            page.say(&text).await;
        } else {
            student.send(&text).await;
        }
        for more in 0..5 {
            student.send(&format!("suite {n}.{more}")).await;
        }
        wait_briefly(&page, &text, &contains(&text)).await;
        let last = if command == "/lock" {
            text.clone()
        } else {
            format!("suite {n}.4")
        };
        wait_briefly(&page, &last, &contains(&last)).await;
        wait_briefly(
            &page,
            &format!("the view at the bottom after {command}"),
            AT_BOTTOM,
        )
        .await;
        let still = page.js(&format!("return {AT_BOTTOM};")).await;
        assert_eq!(
            still,
            json!(true),
            "still at the bottom a moment later, after {command}"
        );
    }
    page.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_of_a_conversation_to_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("class.db");
    spawn_app_with(|config| config.db = db.clone())
        .await
        .stop()
        .await;
    for (screen, name) in [(Screen::Desktop, "desktop"), (Screen::Phone, "phone")] {
        let page = Browser::open(screen).await;
        let yesterday = noon(&page, 1).await;
        let minute = 60_000;
        let past = [
            (
                yesterday,
                "mme_durand",
                "Pour demain : lire le chapitre 3 sur les sockets.",
            ),
            (
                yesterday + minute,
                "mme_durand",
                "Et essayer le client Python vu en cours.",
            ),
            (yesterday + 3 * minute, "yanis", "D'accord, merci !"),
        ];
        write_past_messages(&db, "web", &past);
        let app = spawn_app_with(|config| config.db = db.clone()).await;
        page.visit(&url(&app)).await;
        page.join(&format!("élève-{name}")).await;
        let mut crowd = Vec::new();
        for nick in ["lea", "malik", "ines", "tom"] {
            crowd.push(app.tcp_named(nick).await);
        }
        let mut prof = app.tcp_named("mme_durand").await;
        prof.send("Bonjour à tous ! On reprend là où on s'était arrêtés.")
            .await;
        prof.send("Ouvrez https://example.org/cours/sockets.pdf, page 12.")
            .await;
        page.wait_text("page 12").await;
        set_hidden(&page, true).await;
        prof.send("Qui a réussi à faire tourner le client ?").await;
        crowd[1].send("Moi, mais il s'arrête après le premier message : je crois que la boucle de lecture ne gère pas la fin de ligne, et du coup recv attend indéfiniment.").await;
        page.wait(
            "the messages sent while away",
            "document.getElementById('log').textContent.includes('indéfiniment')",
        )
        .await;
        set_hidden(&page, false).await;
        page.say("/me lève la main").await;
        page.say("Moi aussi ça bloque").await;
        page.wait_text("ça bloque").await;
        page.js("document.querySelector('#log .fold-toggle').click(); document.getElementById('log-view').scrollTop = 1e9; return null;")
            .await;
        let path = page.screenshot(&format!("reading-{name}")).await;
        assert!(std::fs::metadata(&path).is_ok_and(|meta| meta.len() > 1000));
        page.close().await;
        app.stop().await;
    }
}

/// Writes `past` messages (time, nickname, text) as the conversation's only events, straight
/// into the database of a server that is not running: a history that spans several days.
fn write_past_messages(db: &std::path::Path, via: &str, past: &[(i64, &str, &str)]) {
    let sqlite = rusqlite::Connection::open(db).expect("the database");
    sqlite.execute("DELETE FROM events", []).expect("emptied");
    for (id, (ts, nick, text)) in (1_i64..).zip(past) {
        sqlite
            .execute(
                "INSERT INTO events (id, ts, kind, nick, via, text) VALUES (?1, ?2, 'message', ?3, ?4, ?5)",
                rusqlite::params![id, ts, nick, via, text],
            )
            .expect("an event written");
    }
}
