//! The page audited by axe-core in a real Chromium, in the state a class sees most: joined,
//! 30 people present, a conversation with code, links and mentions going on; then with the
//! `/wire` panel open over it (a student's own view, a teacher watching a student).

use crate::axe::serious_violations;
use crate::chromium::{Browser, Screen};
use crate::helpers::*;

/// Opens the page as a student or as the teacher, joins a room of 30 and audits it.
async fn audit(screen: Screen, teacher: bool) -> Vec<String> {
    let app = spawn_app().await;
    let mut class = Vec::new();
    for n in 1..=28 {
        class.push(app.tcp_named(&format!("eleve{n:02}")).await);
    }
    let page = Browser::open(screen).await;
    let address = format!("http://{}/", app.http);
    if teacher {
        page.visit(&format!("{address}?teacher={TEACHER}")).await;
    } else {
        page.visit(&address).await;
    }
    page.join("lea").await;
    let mut other = app.ws_named("tom").await;
    class[0]
        .send("Bonjour @lea, regarde https://docs.python.org/3/ (la doc)")
        .await;
    class[1].send("/me lève la main").await;
    other
        .send(serde_json::json!({"type": "say", "text": "Mon code :\n```\ndef f(x):\n    return x * 2\n```\net `f(3)` donne 6"}))
        .await;
    page.say("merci !").await;
    page.wait_text("donne 6").await;
    page.wait_text("merci !").await;
    let mut found = serious_violations(&page).await;
    if teacher {
        page.say("/wire eleve01").await;
    } else {
        page.say("/wire").await;
    }
    let state = if teacher { "live" } else { "own" };
    page.wait(
        "the /wire panel",
        &format!("document.getElementById('wire').dataset.state === '{state}' && document.querySelector('#wire-reads li')"),
    )
    .await;
    found.extend(
        serious_violations(&page)
            .await
            .into_iter()
            .map(|violation| format!("with /wire open: {violation}")),
    );
    page.close().await;
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_student_page_on_a_lab_pc_has_no_serious_accessibility_violation() {
    let found = audit(Screen::Desktop, false).await;
    assert!(found.is_empty(), "axe-core found:\n{}", found.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_teacher_page_on_a_lab_pc_has_no_serious_accessibility_violation() {
    let found = audit(Screen::Desktop, true).await;
    assert!(found.is_empty(), "axe-core found:\n{}", found.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_student_page_on_a_phone_has_no_serious_accessibility_violation() {
    let found = audit(Screen::Phone, false).await;
    assert!(found.is_empty(), "axe-core found:\n{}", found.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_teacher_page_on_a_phone_has_no_serious_accessibility_violation() {
    let found = audit(Screen::Phone, true).await;
    assert!(found.is_empty(), "axe-core found:\n{}", found.join("\n"));
}

/// Opens the page in a class split into two groups (eight TCP students, dealt by
/// `/groups 2`) and audits it: as the teacher, watching the second group with the first's
/// line unread; or as a student, in its group.
async fn audit_in_groups(screen: Screen, teacher: bool) -> Vec<String> {
    let app = spawn_app().await;
    let mut class = Vec::new();
    for n in 1..=8 {
        class.push(app.tcp_named(&format!("eleve{n:02}")).await);
    }
    let mut prof = app.tcp_teacher("prof").await;
    let page = Browser::open(screen).await;
    let address = format!("http://{}/", app.http);
    if teacher {
        page.visit(&format!("{address}?teacher={TEACHER}")).await;
    } else {
        page.visit(&address).await;
    }
    page.join("lea").await;
    prof.expect("lea").await;
    prof.send("/groups 2").await;
    let mut groups = Vec::new();
    for student in &mut class {
        let line = student.expect("Tu es maintenant dans le salon").await;
        groups.push(if line.ends_with("groupe-1.") { 1 } else { 2 });
    }
    page.wait(
        "the room list",
        "!document.getElementById('rooms').hidden && document.querySelectorAll('#room-list button').length === 3",
    )
    .await;
    for (student, group) in class.iter_mut().zip(&groups) {
        student.send(&format!("travail du groupe {group}")).await;
    }
    if teacher {
        page.js("document.querySelector('#room-list button[data-room=\"groupe-2\"]').click(); return null;")
            .await;
        page.wait_text("travail du groupe 2").await;
        page.wait(
            "an unread count on group 1",
            "document.querySelector('#room-list button[data-room=\"groupe-1\"]').textContent.includes('non lu')",
        )
        .await;
        page.say("consigne").await;
        page.wait_text("consigne").await;
    } else {
        page.say("merci !").await;
        page.wait_text("merci !").await;
    }
    let found = serious_violations(&page).await;
    page.close().await;
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_teacher_page_on_a_phone_watching_groups_has_no_serious_accessibility_violation() {
    let found = audit_in_groups(Screen::Phone, true).await;
    assert!(found.is_empty(), "axe-core found:\n{}", found.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_student_page_in_a_group_on_a_lab_pc_has_no_serious_accessibility_violation() {
    let found = audit_in_groups(Screen::Desktop, false).await;
    assert!(found.is_empty(), "axe-core found:\n{}", found.join("\n"));
}

/// Every hue a nickname can get, in the light and the dark theme, measured as the browser
/// draws it, against every background a name sits on, as the stylesheet declares them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_nickname_colour_reaches_4_5_to_1_in_both_themes() {
    let app = spawn_app().await;
    let page = Browser::open(Screen::Desktop).await;
    page.visit(&format!("http://{}/", app.http)).await;
    let worst = page
        .js(r#"
            // The :root rules of the stylesheet: the light theme, then the dark one.
            const sheet = [...document.styleSheets].find((s) => s.href && s.href.endsWith("/style.css"));
            const roots = [];
            for (const rule of sheet.cssRules) {
                if (rule.selectorText === ":root") roots.push(["light", rule.style]);
                if (rule.media && rule.media.mediaText.includes("dark")) {
                    for (const inner of rule.cssRules) if (inner.selectorText === ":root") roots.push(["dark", inner.style]);
                }
            }
            const canvas = document.createElement("canvas");
            canvas.width = canvas.height = 1;
            const context = canvas.getContext("2d", {willReadFrequently: true});
            // What the browser draws for a CSS colour, as relative luminance.
            const luminance = (css) => {
                context.clearRect(0, 0, 1, 1);
                context.fillStyle = css;
                context.fillRect(0, 0, 1, 1);
                const [r, g, b] = [...context.getImageData(0, 0, 1, 1).data].map((v) => {
                    const c = v / 255;
                    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
                });
                return 0.2126 * r + 0.7152 * g + 0.0722 * b;
            };
            const contrast = (a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
            // The nickname rule, with its variables filled in from each theme.
            const rule = [...sheet.cssRules].find((r) => r.selectorText === ".nick").style.color;
            const worst = {};
            for (const [theme, style] of roots) {
                const grounds = ["--bg", "--panel", "--mine", "--mention", "--private"]
                    .map((name) => luminance(style.getPropertyValue(name).trim()));
                let lowest = Infinity;
                for (let hue = 0; hue < 360; hue++) {
                    const css = rule
                        .replace("var(--nick-l)", style.getPropertyValue("--nick-l").trim())
                        .replace("var(--hue, 220)", String(hue));
                    const name = luminance(css);
                    for (const ground of grounds) lowest = Math.min(lowest, contrast(name, ground));
                }
                worst[theme] = Math.round(lowest * 100) / 100;
            }
            return worst;
        "#)
        .await;
    let ratio = |theme: &str| worst[theme].as_f64().unwrap_or_default();
    assert!(
        ratio("light") >= 4.5 && ratio("dark") >= 4.5,
        "lowest contrast of a nickname: {worst}"
    );
    page.close().await;
}

/// The nickname prompt is the browser's own modal dialog, which keeps focus inside it; and a
/// lost connection is said once to screen readers, not at each second of its countdown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prompt_keeps_focus_and_a_lost_connection_is_said_once() {
    let app = spawn_app().await;
    let page = Browser::open(Screen::Desktop).await;
    page.visit(&format!("http://{}/", app.http)).await;
    page.wait(
        "the prompt",
        "document.getElementById('nick-dialog').matches(':modal')",
    )
    .await;
    // Tab goes round the prompt (and the browser's own controls), never to the page behind.
    for _ in 0..6 {
        let focused = page
            .client
            .active_element()
            .await
            .expect("a focused element");
        focused
            .send_keys(crate::chromium::TAB)
            .await
            .expect("Tab pressed");
        let inside = "const focused = document.activeElement;
            return focused === document.body || document.getElementById('nick-dialog').contains(focused);";
        assert_eq!(
            page.js(inside).await,
            serde_json::json!(true),
            "Tab left the prompt"
        );
    }
    assert_eq!(
        page.js("document.getElementById('lang').focus(); return document.activeElement.id;")
            .await,
        serde_json::json!("nick"),
        "the page behind the prompt took focus"
    );
    page.join("lea").await;
    page.js(
        "window.said = [];
         new MutationObserver(() => said.push(document.getElementById('status-live').textContent))
             .observe(document.getElementById('status-live'), {childList: true, characterData: true, subtree: true});
         window.shown = new Set();
         new MutationObserver(() => shown.add(document.getElementById('status-text').textContent))
             .observe(document.getElementById('status-text'), {childList: true, characterData: true, subtree: true});
         return null;",
    )
    .await;
    app.stop().await;
    // The visible countdown ticks at least twice; the live region spoke once.
    page.wait("a countdown", "window.shown.size >= 3").await;
    let said = page.js("return window.said;").await;
    assert_eq!(
        said.as_array().map(Vec::len),
        Some(1),
        "the live region said: {said}"
    );
    page.close().await;
}
