//! Sharing code in the page: the message box keeps lines, messages show code blocks and
//! inline code in a monospace font with a working copy button, links are found the way
//! people write them, and the `@` list is driven from the keyboard.

use serde_json::{Value, json};
use tchat::wire::line::CONTINUATION;

use crate::axe::serious_violations;
use crate::chromium::{Browser, ENTER, Screen, TAB, UP};
use crate::helpers::{TestApp, WsClient, spawn_app, spawn_app_with};

/// WebDriver key codes: Shift and Control stay down until NULL releases them.
const SHIFT: &str = "\u{E008}";
const CONTROL: &str = "\u{E009}";
const NULL: &str = "\u{E000}";
const DOWN: &str = "\u{E015}";
const ESCAPE: &str = "\u{E00C}";

fn url(app: &TestApp) -> String {
    format!("http://{}/", app.http)
}

/// Shift+Enter: a new line in the message box.
fn new_line() -> String {
    format!("{SHIFT}{ENTER}{NULL}")
}

/// A page that joined as `nick`.
async fn page(app: &TestApp, screen: Screen, nick: &str) -> Browser {
    let page = Browser::open(screen).await;
    page.visit(&url(app)).await;
    page.join(nick).await;
    page
}

/// The message box's text.
async fn draft(page: &Browser) -> Value {
    page.js("return document.getElementById('msg').value;")
        .await
}

/// The texts of the messages in the log, oldest first.
async fn message_texts(page: &Browser) -> Value {
    page.js("return [...document.querySelectorAll('#log .message .text')].map(t => t.textContent);")
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shift_enter_starts_a_new_line_the_box_grows_and_enter_sends() {
    let app = spawn_app().await;
    let alice = page(&app, Screen::Desktop, "alice").await;
    let mut bob = app.ws_named("bob").await;
    let box_is = alice
        .js("const box = document.getElementById('msg');
             return [box.localName, document.getElementById(box.getAttribute('aria-describedby')).textContent];")
        .await;
    assert_eq!(
        box_is,
        json!([
            "textarea",
            "Entrée envoie, Maj+Entrée passe à la ligne, @ propose les pseudos."
        ]),
        "a text area that says how it works"
    );
    alice.say("premier").await;
    bob.expect("message").await;
    let one_line = alice
        .js("return document.getElementById('msg').offsetHeight;")
        .await;

    alice
        .type_into("#msg", &format!("def f():{}    return 1", new_line()))
        .await;
    assert_eq!(draft(&alice).await, json!("def f():\n    return 1"));
    let two_lines = alice
        .js("return document.getElementById('msg').offsetHeight;")
        .await;
    assert!(
        two_lines.as_f64() > one_line.as_f64(),
        "the box grows with its lines: {one_line} then {two_lines}"
    );
    assert_eq!(
        message_texts(&alice).await,
        json!(["premier"]),
        "Shift+Enter sends nothing"
    );

    // ↑ on the second line moves the caret; on the first, it recalls the last line sent,
    // and ↓ gives the draft back.
    alice.type_into("#msg", UP).await;
    assert_eq!(draft(&alice).await, json!("def f():\n    return 1"));
    alice.type_into("#msg", UP).await;
    assert_eq!(draft(&alice).await, json!("premier"));
    alice.type_into("#msg", DOWN).await;
    assert_eq!(draft(&alice).await, json!("def f():\n    return 1"));

    alice.type_into("#msg", ENTER).await;
    let message = bob.expect("message").await;
    assert_eq!(
        message["text"],
        json!("def f():\n    return 1"),
        "{message}"
    );
    assert_eq!(draft(&alice).await, json!(""));
    alice
        .wait(
            "the box back to one line",
            &format!("Math.abs(document.getElementById('msg').offsetHeight - {one_line}) <= 1"),
        )
        .await;
    alice.close().await;
}

/// Formats each input with the page's own module and describes what it built.
const FORMAT_TABLE: &str = r#"
const inputs = arguments[0];
return import('/static/format.js').then(({ format }) => inputs.map((text) => {
  const box = document.createElement('div');
  box.append(format(text));
  return {
    hrefs: [...box.querySelectorAll('a')].map((a) => a.getAttribute('href')),
    safe: [...box.querySelectorAll('a')].every((a) => a.rel === 'noopener noreferrer' && a.target === '_blank'),
    blocks: [...box.querySelectorAll('.code-block')].map((b) => [b.querySelector('.code-lang').textContent, b.querySelector('pre code').textContent]),
    inline: [...box.querySelectorAll('.inline-code')].map((c) => c.textContent),
    tags: [...new Set([...box.querySelectorAll('*')].map((e) => e.localName))].sort(),
    linkInCode: box.querySelector('code a') !== null,
  };
}));
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_and_code_are_found_as_people_write_them() {
    let app = spawn_app().await;
    let page = Browser::open(Screen::Desktop).await;
    page.visit(&url(&app)).await;
    let wiki = "https://en.wikipedia.org/wiki/Python_(programming_language)";
    // Input, then the links it holds.
    let links: &[(&str, &[&str])] = &[
        (&format!("voir {wiki} !"), &[wiki]),
        (&format!("({wiki})"), &[wiki]),
        ("(voir https://x.org/a)", &["https://x.org/a"]),
        ("https://x.org/a).", &["https://x.org/a"]),
        ("[doc](https://x.org/doc)", &["https://x.org/doc"]),
        (
            "'https://x.org/q?a=1&b=2#c', dit-il.",
            &["https://x.org/q?a=1&b=2#c"],
        ),
        (
            "www.python.org/downloads.",
            &["https://www.python.org/downloads"],
        ),
        ("www.example.museum", &["https://www.example.museum/"]),
        (
            "docs.python.org/3/ et python.org, voilà",
            &["https://docs.python.org/3/", "https://python.org/"],
        ),
        ("(python.org)", &["https://python.org/"]),
        ("Python.ORG", &["https://python.org/"]),
        ("moi.github.io/projet", &["https://moi.github.io/projet"]),
        ("éducation.gouv.fr", &["https://xn--ducation-90a.gouv.fr/"]),
        ("http://127.0.0.1:8080/x", &["http://127.0.0.1:8080/x"]),
        (
            "script.py main.rs index.html README.md node.js config.json",
            &[],
        ),
        ("example.museum e.g. v1.2.3 3.14 alice@python.org", &[]),
        ("javascript:alert(1) data:text/html,x ftp://x.org", &[]),
        ("`https://x.org` n'est pas un lien", &[]),
    ];
    let inputs: Vec<&str> = links.iter().map(|(text, _)| *text).collect();
    let found = page
        .client
        .execute(FORMAT_TABLE, vec![json!(inputs)])
        .await
        .expect("format.js runs");
    for ((input, hrefs), got) in links.iter().zip(found.as_array().expect("one per input")) {
        assert_eq!(got["hrefs"], json!(hrefs), "links in {input:?}: {got}");
        assert_eq!(got["safe"], json!(true), "{input:?}: {got}");
    }

    // Input, then its code blocks ([language, code]) and inline code.
    let code: &[(&str, Value, Value)] = &[
        (
            "```python\ndef f():\n    return '<b>'\n```",
            json!([["python", "def f():\n    return '<b>'"]]),
            json!([]),
        ),
        (
            "avant\n```\n  x = 1\n\n  y = 2\n```\naprès `y` et `<script>alert(1)</script>`",
            json!([["", "  x = 1\n\n  y = 2"]]),
            json!(["y", "<script>alert(1)</script>"]),
        ),
        ("`` a`b `` et ```c```", json!([]), json!(["a`b", "c"])),
        ("un ` seul, et des ``deux``", json!([]), json!(["deux"])),
        ("il manque un ` ici", json!([]), json!([])),
        ("```", json!([]), json!([])),
        ("```python", json!([]), json!([])),
        (
            "```\nnon fermé\n  https://x.org",
            json!([["", "non fermé\n  https://x.org"]]),
            json!([]),
        ),
        (
            "texte ``` au milieu\n````\n```\n````",
            json!([["", "```"]]),
            json!([]),
        ),
        (
            "<img src=x onerror=alert(1)> & `<b>`",
            json!([]),
            json!(["<b>"]),
        ),
    ];
    let inputs: Vec<&str> = code.iter().map(|(text, _, _)| *text).collect();
    let found = page
        .client
        .execute(FORMAT_TABLE, vec![json!(inputs)])
        .await
        .expect("format.js runs");
    for ((input, blocks, inline), got) in code.iter().zip(found.as_array().expect("one per input"))
    {
        assert_eq!(&got["blocks"], blocks, "blocks in {input:?}: {got}");
        assert_eq!(&got["inline"], inline, "inline code in {input:?}: {got}");
        assert_eq!(got["linkInCode"], json!(false), "{input:?}: {got}");
        for tag in got["tags"].as_array().into_iter().flatten() {
            assert!(
                ["a", "button", "code", "div", "pre", "span"].contains(&tag.as_str().unwrap_or("")),
                "only the formatter's own elements in {input:?}: {got}"
            );
        }
    }
    page.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_and_inline_code_from_a_tcp_client_reach_the_page() {
    let app = spawn_app().await;
    let page = page(&app, Screen::Desktop, "lectrice").await;
    let mut tcp = app.tcp_named("mme_durand").await;
    tcp.send(
        "Lisez https://en.wikipedia.org/wiki/Python_(programming_language) (ou https://x.org/a), \
         www.python.org, docs.python.org/3/ ; pas script.py. Tapez `print(\"<b>\")` puis `https://x.org/b`",
    )
    .await;
    page.wait_text("Tapez").await;
    let shown = page
        .js("const text = document.querySelector('#log .message .text');
             return {
               hrefs: [...text.querySelectorAll('a')].map((a) => [a.href, a.rel, a.target]),
               code: [...text.querySelectorAll('code')].map((c) => [c.textContent, getComputedStyle(c).fontFamily]),
               bold: text.querySelectorAll('b').length,
             };")
        .await;
    let link = |href: &str| json!([href, "noopener noreferrer", "_blank"]);
    assert_eq!(
        shown["hrefs"],
        json!([
            link("https://en.wikipedia.org/wiki/Python_(programming_language)"),
            link("https://x.org/a"),
            link("https://www.python.org/"),
            link("https://docs.python.org/3/"),
        ]),
        "{shown}"
    );
    assert_eq!(shown["bold"], json!(0), "{shown}");
    let code = shown["code"].as_array().cloned().unwrap_or_default();
    assert_eq!(code.len(), 2, "{shown}");
    assert_eq!(code[0][0], json!("print(\"<b>\")"), "{shown}");
    assert_eq!(code[1][0], json!("https://x.org/b"), "{shown}");
    for font in code.iter().map(|c| c[1].as_str().unwrap_or_default()) {
        assert!(
            font.contains("monospace"),
            "inline code is monospace: {font}"
        );
    }
    page.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mention_list_is_driven_with_arrows_enter_tab_and_escape() {
    let app = spawn_app().await;
    let mut pierre = app.tcp_named("pierre").await;
    let _prune = app.tcp_named("prune").await;
    let _paul = app.tcp_named("paul").await;
    let page = page(&app, Screen::Desktop, "alice").await;
    page.wait(
        "everyone in the user list",
        "document.querySelectorAll('#user-list li').length === 4",
    )
    .await;
    const LIST: &str = "const box = document.getElementById('suggestions');
        return {
          open: !box.hidden,
          nicks: [...box.children].map((o) => o.textContent),
          selected: [...box.children].map((o) => o.getAttribute('aria-selected')),
          active: document.getElementById('msg').getAttribute('aria-activedescendant'),
        };";

    page.type_into("#msg", "@p").await;
    let list = page.js(LIST).await;
    assert_eq!(list["open"], json!(true), "{list}");
    let nicks: Vec<String> = serde_json::from_value(list["nicks"].clone()).expect("nicks");
    let mut sorted = nicks.clone();
    sorted.sort();
    assert_eq!(sorted, ["paul", "pierre", "prune"], "{list}");
    assert_eq!(
        list["selected"],
        json!(["true", "false", "false"]),
        "{list}"
    );
    assert_eq!(list["active"], json!("suggestion-0"), "{list}");

    page.type_into("#msg", DOWN).await;
    let list = page.js(LIST).await;
    assert_eq!(
        list["selected"],
        json!(["false", "true", "false"]),
        "{list}"
    );
    assert_eq!(list["active"], json!("suggestion-1"), "{list}");
    // Up from the first wraps to the last.
    page.type_into("#msg", &format!("{UP}{UP}")).await;
    let list = page.js(LIST).await;
    assert_eq!(
        list["selected"],
        json!(["false", "false", "true"]),
        "{list}"
    );
    assert_eq!(list["active"], json!("suggestion-2"), "{list}");

    // Enter completes the selected nickname and sends nothing.
    page.type_into("#msg", ENTER).await;
    assert_eq!(draft(&page).await, json!(format!("@{} ", nicks[2])));
    let list = page.js(LIST).await;
    assert_eq!(list["open"], json!(false), "{list}");
    assert_eq!(list["active"], Value::Null, "{list}");

    // Enter on a half-typed `@pr` completes it too; Tab completes the selected one.
    page.js("document.getElementById('msg').value = ''; return null;")
        .await;
    page.type_into("#msg", &format!("salut @pr{ENTER}")).await;
    assert_eq!(draft(&page).await, json!("salut @prune "));
    page.type_into("#msg", &format!("et @pi{TAB}ça va ?{ENTER}"))
        .await;
    assert_eq!(
        pierre.expect("salut").await,
        "<alice> salut @prune et @pierre ça va ?"
    );

    // Escape closes the list and leaves the text; then Enter sends it as it is.
    page.type_into("#msg", "@pa").await;
    page.wait("the list", "!document.getElementById('suggestions').hidden")
        .await;
    page.type_into("#msg", ESCAPE).await;
    let list = page.js(LIST).await;
    assert_eq!(list["open"], json!(false), "{list}");
    assert_eq!(draft(&page).await, json!("@pa"));
    page.type_into("#msg", ENTER).await;
    assert_eq!(pierre.expect("@pa").await, "<alice> @pa");
    page.wait(
        "the echo",
        "document.querySelectorAll('#log .message').length === 2",
    )
    .await;
    assert_eq!(
        message_texts(&page).await,
        json!(["salut @prune et @pierre ça va ?", "@pa"]),
        "nothing else was sent"
    );
    page.close().await;
}

/// A function a student pastes: twelve lines, three levels of indentation.
const FUNCTION: &str = r#"def moyenne_par_eleve(notes):
    """Moyenne de chaque élève, arrondie au dixième."""
    resultats = {}
    for eleve, liste in notes.items():
        if not liste:
            resultats[eleve] = None
            continue
        total = 0
        for note in liste:
            total += note
        resultats[eleve] = round(total / len(liste), 1)
    return resultats"#;

/// What the first code block of the newest message shows: its code, language and font.
const LAST_BLOCK: &str = "const items = document.querySelectorAll('#log .message');
    const block = items[items.length - 1]?.querySelector('.code-block');
    const code = block?.querySelector('pre code');
    return code ? {
      code: code.textContent,
      lang: block.querySelector('.code-lang').textContent,
      font: getComputedStyle(code).fontFamily,
      button: block.querySelector('.copy').textContent,
      messages: items.length,
    } : null;";

/// Clicks the copy button of the newest code block, as a person would, and returns the
/// labels the button showed since (it says "copied" for a moment, then goes back).
async fn click_copy(page: &Browser) -> Value {
    page.js(
        "const button = document.querySelector('#log .message:last-child .code-block .copy');
             window.copyLabels = [];
             new MutationObserver(() => window.copyLabels.push(button.textContent))
               .observe(button, { childList: true, characterData: true, subtree: true });
             return null;",
    )
    .await;
    page.client
        .find(fantoccini::Locator::Css(
            "#log .message:last-child .code-block .copy",
        ))
        .await
        .expect("a copy button")
        .click()
        .await
        .expect("click");
    page.wait("the button's answer", "window.copyLabels.length > 0")
        .await;
    page.js("return window.copyLabels;").await
}

/// Pastes the clipboard into the emptied message box until it holds `expected` (copying
/// may finish after the click), and returns what the box last held.
async fn paste_back(page: &Browser, expected: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        page.js("document.getElementById('msg').value = ''; return null;")
            .await;
        page.type_into("#msg", &format!("{CONTROL}v{NULL}")).await;
        let pasted = draft(page).await;
        if pasted == json!(expected) || std::time::Instant::now() > deadline {
            return pasted;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_block_shows_exactly_the_code_and_its_button_copies_it() {
    let app = spawn_app().await;
    let page = page(&app, Screen::Desktop, "alice").await;
    let mut bob = app.ws_named("bob").await;
    let code = "<script>alert('x')</script>\nif a < b && c:\n    print(\"`ok`\")";
    bob.send(json!({"type": "say", "text": format!("Voici :\n```html\n{code}\n```\net `a < b`")}))
        .await;
    page.wait(
        "the code block",
        "document.querySelector('#log .code-block pre code')",
    )
    .await;
    let block = page.js(LAST_BLOCK).await;
    assert_eq!(block["code"], json!(code), "{block}");
    assert_eq!(block["lang"], json!("html"), "{block}");
    assert!(
        block["font"]
            .as_str()
            .unwrap_or_default()
            .contains("monospace"),
        "{block}"
    );
    assert_eq!(block["button"], json!("Copier le code"), "{block}");
    let inline = page
        .js("return [...document.querySelectorAll('#log .inline-code')].map((c) => c.textContent);")
        .await;
    assert_eq!(inline, json!(["a < b"]));
    assert_eq!(
        page.js("return document.querySelectorAll('#log script, #log a').length;")
            .await,
        json!(0),
        "HTML in code stays text"
    );

    let labels = click_copy(&page).await;
    assert_eq!(labels[0], json!("Copié ✓"), "{labels}");
    assert_eq!(
        paste_back(&page, code).await,
        json!(code),
        "the clipboard holds the code"
    );
    page.close().await;
}

/// The machine's first IPv4 address other than loopback: a page opened there is not a
/// secure context, as on `http://<lab-ip>`.
fn lan_address() -> std::net::IpAddr {
    if_addrs::get_if_addrs()
        .expect("network interfaces")
        .into_iter()
        .find(|interface| !interface.is_loopback() && interface.ip().is_ipv4())
        .expect("this test needs an IPv4 address other than loopback")
        .ip()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_plain_http_the_copy_button_selects_and_copies_the_code() {
    let app = spawn_app_with(|config| config.http = "0.0.0.0:0".parse().expect("address")).await;
    let page = Browser::open(Screen::Desktop).await;
    let lan = lan_address();
    page.visit(&format!("http://{lan}:{}/", app.http.port()))
        .await;
    page.join("alice").await;
    assert_eq!(
        page.js("return [isSecureContext, typeof navigator.clipboard];")
            .await,
        json!([false, "undefined"]),
        "no clipboard API over plain http"
    );
    // Through the address the page uses: the server refuses a Host that names no machine.
    let mut bob = WsClient::connect((lan, app.http.port()).into()).await;
    bob.send(json!({"type": "hello", "nick": "bob"})).await;
    bob.welcome().await;
    bob.send(json!({"type": "say", "text": format!("```python\n{FUNCTION}\n```")}))
        .await;
    page.wait(
        "the code block",
        "document.querySelector('#log .code-block pre code')",
    )
    .await;

    let labels = click_copy(&page).await;
    assert_eq!(labels[0], json!("Copié ✓"), "{labels}");
    assert_eq!(
        page.js("return getSelection().toString();").await,
        json!(FUNCTION),
        "the block's text is selected"
    );
    assert_eq!(
        paste_back(&page, FUNCTION).await,
        json!(FUNCTION),
        "and copied"
    );
    page.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pasted_function_arrives_as_one_message_in_pages_and_indented_on_tcp() {
    let app = spawn_app().await;
    let alice = page(&app, Screen::Desktop, "alice").await;
    let bruno = page(&app, Screen::Desktop, "bruno").await;
    let mut bob = app.tcp_named("bob").await;
    bruno.wait_text("bob").await;
    let before = bruno.js(LAST_BLOCK).await;
    assert_eq!(before, Value::Null);

    // A real paste: the function goes on the clipboard by a cut (Ctrl+A, Ctrl+X: a page
    // script may not write there itself), then comes back with Ctrl+V.
    alice
        .client
        .execute(
            "document.getElementById('msg').value = arguments[0]; return null;",
            vec![json!(FUNCTION)],
        )
        .await
        .expect("the box takes the function");
    alice.type_into("#msg", &format!("{CONTROL}ax{NULL}")).await;
    assert_eq!(draft(&alice).await, json!(""), "cut");
    alice.type_into("#msg", &format!("{CONTROL}v{NULL}")).await;
    assert_eq!(
        draft(&alice).await,
        json!(FUNCTION),
        "pasted with its lines and indentation"
    );
    alice.type_into("#msg", ENTER).await;

    bruno
        .wait(
            "the code block",
            "document.querySelector('#log .code-block pre code')",
        )
        .await;
    let block = bruno.js(LAST_BLOCK).await;
    assert_eq!(block["code"], json!(FUNCTION), "{block}");
    assert!(
        block["font"]
            .as_str()
            .unwrap_or_default()
            .contains("monospace"),
        "{block}"
    );
    let texts = message_texts(&bruno).await;
    assert_eq!(
        texts.as_array().map(Vec::len),
        Some(1),
        "one message: {texts}"
    );

    let mut lines = FUNCTION.lines();
    let first = bob.expect("<alice>").await;
    assert_eq!(
        first,
        format!("<alice> {}", lines.next().unwrap_or_default())
    );
    let mut rest = Vec::new();
    for _ in 0..11 {
        rest.push(bob.line().await);
    }
    let expected: Vec<String> = lines.map(|line| format!("{CONTINUATION}{line}")).collect();
    assert_eq!(rest, expected, "the following lines, indented");
    alice.close().await;
    bruno.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_of_code_on_a_phone_and_a_lab_pc() {
    let app = spawn_app().await;
    let mut bob = app.ws_named("Mme_Durand").await;
    for (screen, name) in [
        (Screen::Phone, "code-phone"),
        (Screen::Desktop, "code-desktop"),
    ] {
        let page = page(&app, screen, &format!("élève-{name}")).await;
        bob.send(json!({"type": "say", "text": format!(
            "Corrigé de l'exercice 3 (voir docs.python.org/3/tutorial/) :\n```python\n{FUNCTION}\n```\nAppelez `moyenne_par_eleve({{\"Ana\": [12, 15]}})` pour tester."
        )}))
        .await;
        page.say("merci ! et pour `main.rs` ?").await;
        page.wait_text("pour tester").await;
        page.wait_text("main.rs").await;
        page.wait(
            "the online state",
            "document.getElementById('status').dataset.state === 'online'",
        )
        .await;
        let width = page
            .js("return [document.documentElement.clientWidth, document.documentElement.scrollWidth];")
            .await;
        if let Screen::Phone = screen {
            assert_eq!(width, json!([360, 360]), "the block scrolls, not the page");
        }
        let path = page.screenshot(name).await;
        assert!(std::fs::metadata(&path).is_ok_and(|meta| meta.len() > 1000));
        if let Screen::Desktop = screen {
            // Code blocks, their buttons and the open `@` list, audited.
            page.type_into("#msg", "@Mme").await;
            page.wait("the list", "!document.getElementById('suggestions').hidden")
                .await;
            let found = serious_violations(&page).await;
            assert!(found.is_empty(), "axe-core found:\n{}", found.join("\n"));
        }
        page.close().await;
    }
}
