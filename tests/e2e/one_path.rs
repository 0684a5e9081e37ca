//! Every input that changes what others see goes through one path with one set of limits,
//! whatever the transport or frame type: renames included.

use serde_json::json;

use crate::helpers::{TcpClient, spawn_app, spawn_app_with};

/// Reads a bystander's lines until a flooder who renamed itself `PREFIX-n` leaves; returns
/// how many of those renames it was shown on the way.
async fn renames_seen_until_gone(bystander: &mut TcpClient, prefix: &str) -> usize {
    let mut renames = 0;
    let renamed = format!("s'appelle maintenant {prefix}-");
    loop {
        let line = bystander.line().await;
        if line.contains(&renamed) {
            renames += 1;
        } else if line.ends_with("a quitté la conversation") {
            return renames;
        }
    }
}

#[tokio::test]
async fn renames_by_frame_are_flood_limited_like_messages() {
    let app = spawn_app_with(|config| config.max_rate = 2).await;
    let mut bystander = app.tcp_named("temoin").await;
    let mut flooder = app.ws_named("rapide").await;
    for n in 0..50 {
        flooder
            .send(json!({"type": "nick", "nick": format!("r-{n}")}))
            .await;
    }
    let warning = flooder.expect_error("flood").await;
    assert!(
        warning["text"]
            .as_str()
            .is_some_and(|text| text.contains("Doucement")),
        "{warning}"
    );
    // Leaving after the flood: the departure is published after every frame before it.
    flooder.close().await;
    let renames = renames_seen_until_gone(&mut bystander, "r").await;
    assert!(
        (1..=25).contains(&renames),
        "a burst of renames is shown, not {renames} of 50"
    );
}

#[tokio::test]
async fn renames_typed_on_tcp_are_flood_limited_too() {
    let app = spawn_app_with(|config| config.max_rate = 2).await;
    let mut bystander = app.ws_named("temoin").await;
    let mut watcher = app.tcp_named("veilleur").await;
    let mut flooder = app.tcp_named("rapide").await;
    let flood: String = (0..50).map(|n| format!("/nick t-{n}\n")).collect();
    flooder.send_raw(flood.as_bytes()).await;
    assert!(flooder.expect("Doucement").await.starts_with("* Doucement"));
    drop(flooder);
    let renames = renames_seen_until_gone(&mut watcher, "t").await;
    assert!(
        (1..=25).contains(&renames),
        "a burst of renames is shown, not {renames} of 50"
    );
    // The page saw the same: the same events, whatever the transport.
    let mut page_renames = 0;
    loop {
        let frame = bystander.next().await;
        match frame["type"].as_str() {
            Some("nick")
                if frame["new"]
                    .as_str()
                    .is_some_and(|new| new.starts_with("t-")) =>
            {
                page_renames += 1;
            }
            Some("leave") if frame["nick"] != "veilleur" => break,
            _ => {}
        }
    }
    assert_eq!(page_renames, renames);
}

#[tokio::test]
async fn a_muted_or_locked_student_cannot_rename_from_either_transport() {
    let app = spawn_app().await;
    let mut teacher = app.tcp_teacher("prof").await;
    let mut bob = app.tcp_named("bob").await;
    let mut camille = app.ws_named("camille").await;

    teacher.send("/mute bob").await;
    teacher.send("/mute camille").await;
    bob.expect("camille ne peut plus écrire").await;
    bob.send("/nick bobby").await;
    assert!(
        bob.line()
            .await
            .starts_with("* Tu ne peux pas écrire pour l'instant")
    );
    camille.send(json!({"type": "nick", "nick": "cam"})).await;
    camille.expect_error("muted").await;
    camille
        .send(json!({"type": "say", "text": "/nick cam"}))
        .await;
    camille.expect_error("muted").await;

    teacher.send("/unmute bob").await;
    teacher.send("/unmute camille").await;
    teacher.send("/lock").await;
    bob.expect("a verrouillé la conversation").await;
    bob.send("/nick bobby").await;
    assert_eq!(
        bob.line().await,
        "* La conversation est verrouillée : seuls les profs écrivent."
    );
    camille.send(json!({"type": "nick", "nick": "cam"})).await;
    camille.expect_error("locked").await;

    // A teacher may rename in a locked room; nobody was shown a student's rename.
    teacher.send("/nick madame").await;
    loop {
        let line = teacher.line().await;
        assert!(
            !line.contains("bobby") && !line.contains("cam "),
            "a refused rename was shown: {line}"
        );
        if line.ends_with("prof s'appelle maintenant madame") {
            break;
        }
    }
}

#[tokio::test]
async fn user_text_is_never_read_as_a_template() {
    let app = spawn_app().await;
    let mut teacher = app.tcp_teacher("prof").await;
    let mut bob = app.tcp_named("bob").await;
    teacher
        .send("/topic rendu {number} avant {by}, {text} {nick}")
        .await;
    assert_eq!(
        bob.expect("Sujet").await,
        "* Sujet : rendu {number} avant {by}, {text} {nick} (prof)"
    );
    teacher.send("/kick bob {by} {number}").await;
    assert_eq!(
        bob.expect("exclu").await,
        "* Tu as été exclu·e ({by} {number})."
    );
    let newcomer = app.tcp_client().await;
    let mut newcomer = newcomer;
    assert_eq!(
        newcomer.line().await,
        "* Sujet : rendu {number} avant {by}, {text} {nick}"
    );
}
