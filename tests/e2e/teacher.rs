//! The teacher in control, from either transport.

use serde_json::json;

use crate::helpers::{TEACHER, TcpClient, WsClient, spawn_app};

#[tokio::test]
async fn op_needs_the_token_and_students_cannot_moderate() {
    let app = spawn_app().await;
    let mut student = app.tcp_named("bob").await;
    student.send("/op devine").await;
    assert_eq!(student.line().await, "* Mauvais jeton de prof.");
    student.send("/kick bob").await;
    assert_eq!(student.line().await, "* Seul un prof peut faire ça.");
    let mut teacher = app.tcp_teacher("mme_martin").await;
    assert!(student.expect("est prof").await.ends_with("est prof"));
    teacher.send("Bonjour la classe").await;
    assert_eq!(
        student.expect("Bonjour la classe").await,
        "<mme_martin (prof)> Bonjour la classe"
    );
    teacher.send("/help").await;
    assert_eq!(
        teacher.expect("Commandes du prof").await,
        "* Commandes du prof :"
    );
}

#[tokio::test]
async fn a_teacher_page_joins_with_the_token_and_its_messages_are_marked() {
    let app = spawn_app().await;
    let mut tcp = app.tcp_named("bob").await;
    let mut page = WsClient::connect(app.http).await;
    page.send(json!({"type": "hello", "nick": "prof", "teacher": TEACHER}))
        .await;
    let welcome = page.welcome().await;
    assert_eq!(welcome["teacher"], true);
    assert_eq!(welcome["nick"], "prof", "a teacher may use a reserved name");
    page.send(json!({"type": "say", "text": "Ouvrez vos cahiers"}))
        .await;
    assert_eq!(
        tcp.expect("cahiers").await,
        "<prof (prof)> Ouvrez vos cahiers"
    );
    let echo = page.expect("message").await;
    assert_eq!(echo["teacher"], true);
    page.send(json!({"type": "say", "text": "/help"})).await;
    let help = page.expect("help").await;
    assert!(
        help["teacher"]
            .as_array()
            .is_some_and(|list| list.len() == 14)
    );

    let mut wrong = WsClient::connect(app.http).await;
    wrong
        .send(json!({"type": "hello", "nick": "faux", "teacher": "nope"}))
        .await;
    assert_eq!(wrong.expect("error").await["code"], "bad_token");
}

#[tokio::test]
async fn kick_sends_a_student_away_with_the_reason() {
    let app = spawn_app().await;
    let mut teacher = app.tcp_teacher("prof").await;
    let mut bob = app.tcp_named("bob").await;
    let mut page = app.ws_named("camille").await;
    teacher.send("/kick bob bavardage").await;
    assert_eq!(
        bob.expect("exclu").await,
        "* Tu as été exclu·e (bavardage)."
    );
    assert_eq!(bob.try_line().await, None);
    assert_eq!(
        teacher.expect("bob a été").await,
        "* bob a été exclu·e par prof (bavardage)"
    );
    let notice = page.expect("notice").await;
    assert_eq!(
        (
            &notice["kind"],
            &notice["nick"],
            &notice["by"],
            &notice["text"]
        ),
        (
            &json!("kick"),
            &json!("bob"),
            &json!("prof"),
            &json!("bavardage")
        )
    );

    // A kicked page is told why and the connection closes.
    let mut other = app.ws_named("dora").await;
    teacher.send("/kick dora").await;
    let bye = other.expect("bye").await;
    assert_eq!(bye["reason"], "kicked");
    assert!(other.try_next().await.is_none());
}

#[tokio::test]
async fn mute_lock_slow_and_private_rules_apply_to_students_only() {
    let app = spawn_app().await;
    let mut teacher = app.tcp_teacher("prof").await;
    let mut bob = app.tcp_named("bob").await;
    let mut carol = app.tcp_named("carol").await;

    teacher.send("/mute bob 1").await;
    bob.expect("ne peut plus écrire").await;
    bob.send("je parle quand même").await;
    assert!(
        bob.line()
            .await
            .starts_with("* Tu ne peux pas écrire pour l'instant")
    );
    bob.send("/msg prof pardon").await;
    assert_eq!(
        bob.line().await,
        "-> *prof* pardon",
        "a muted student may still write to the teacher"
    );
    teacher.send("/unmute bob").await;
    bob.expect("peut de nouveau").await;
    bob.send("merci").await;
    assert_eq!(carol.expect("merci").await, "<bob> merci");

    teacher.send("/lock").await;
    carol.expect("verrouillé").await;
    carol.send("hé").await;
    assert_eq!(
        carol.expect("verrouillée").await,
        "* La conversation est verrouillée : seuls les profs écrivent."
    );
    teacher.send("moi je peux").await;
    assert_eq!(
        carol.expect("moi je peux").await,
        "<prof (prof)> moi je peux"
    );
    teacher.send("/unlock").await;
    carol.expect("rouvert").await;

    teacher.send("/slow 30").await;
    carol.expect("Mode lent").await;
    carol.send("un").await;
    carol.send("deux").await;
    assert!(
        carol
            .expect("attends")
            .await
            .starts_with("* Mode lent : attends encore")
    );
    assert_eq!(bob.expect("<carol>").await, "<carol> un");
    teacher.send("/slow 0").await;
    bob.expect("Fin du mode lent").await;

    teacher.send("/private off").await;
    carol.expect("coupé les messages privés").await;
    carol.send("/msg bob psst").await;
    assert!(
        carol
            .expect("privés entre élèves sont coupés")
            .await
            .starts_with("* Les messages")
    );
    carol.send("/msg prof question").await;
    assert_eq!(carol.expect("question").await, "-> *prof* question");
    assert_eq!(teacher.expect("question").await, "*carol* question");
}

#[tokio::test]
async fn ban_refuses_the_address_until_restart() {
    let app = spawn_app().await;
    let mut teacher = app.tcp_teacher("prof").await;
    let mut page = app.ws_named("bob").await;
    teacher.send("/ban bob").await;
    assert_eq!(page.expect("bye").await["reason"], "banned");
    assert_eq!(
        teacher.expect("banni").await,
        "* bob a été banni·e par prof"
    );
    // Every test client shares 127.0.0.1: it is now refused at the door, on both listeners.
    assert_eq!(
        crate::helpers::refused_tcp(app.tcp).await,
        "* Ton adresse est bannie jusqu'au redémarrage du serveur.\r\n"
    );
    assert_eq!(
        crate::helpers::ws_with_headers(app.http, &[]).await.err(),
        Some(403)
    );
    // Those already in stay.
    teacher.send("/who").await;
    teacher.expect("connecté").await;
}

#[tokio::test]
async fn delete_removes_a_message_for_everyone_and_for_newcomers() {
    let app = spawn_app().await;
    let mut teacher = app.tcp_teacher("prof").await;
    let mut page = app.ws_named("lecteur").await;
    let mut bob = app.tcp_named("bob").await;
    bob.send("un gros mot").await;
    let message = page.expect("message").await;
    let id = message["id"].as_u64().expect("id");
    teacher.send(&format!("/delete {id}")).await;
    let notice = page.expect("notice").await;
    assert_eq!(
        (&notice["kind"], &notice["number"]),
        (&json!("delete"), &json!(id))
    );
    assert_eq!(
        bob.expect("supprimé").await,
        "* Un message de bob a été supprimé par prof"
    );
    let late = app.ws_named("retard").await;
    drop(late);
    let mut newcomer = TcpClient::connect(app.tcp).await;
    newcomer.send("/history").await;
    let mut seen = Vec::new();
    loop {
        let line = newcomer.line().await;
        if line.contains("Derniers messages") {
            break;
        }
        seen.push(line);
    }
    teacher.send("/delete 999999").await;
    assert_eq!(
        teacher.expect("Pas de message").await,
        "* Pas de message n°999999."
    );
    let (_again, welcome) = app.ws_resuming("curieux", 0).await;
    let texts = welcome["history"].to_string();
    assert!(!texts.contains("un gros mot"), "{texts}");
}

#[tokio::test]
async fn topic_and_announcements_reach_everyone_and_newcomers_see_the_topic() {
    let app = spawn_app().await;
    let mut teacher = app.tcp_teacher("prof").await;
    let mut bob = app.tcp_named("bob").await;
    teacher.send("/topic Les sockets en Python").await;
    assert_eq!(
        bob.expect("Sujet").await,
        "* Sujet : Les sockets en Python (prof)"
    );
    teacher.send("/announce Contrôle vendredi").await;
    assert_eq!(
        bob.expect("ANNONCE").await,
        "* ANNONCE de prof : Contrôle vendredi"
    );
    let newcomer = TcpClient::connect(app.tcp).await;
    let mut newcomer = newcomer;
    assert_eq!(newcomer.line().await, "* Sujet : Les sockets en Python");
    let page = app.ws_named("page").await;
    drop(page);
    let mut page = WsClient::connect(app.http).await;
    page.send(json!({"type": "hello", "nick": "page2"})).await;
    let welcome = page.welcome().await;
    assert_eq!(welcome["room"]["topic"], "Les sockets en Python");
}

#[tokio::test]
async fn nobody_else_can_take_a_teacher_name_or_a_reserved_one() {
    let app = spawn_app().await;
    let teacher = app.tcp_teacher("mme_martin").await;
    drop(teacher);
    let mut student = app.tcp_named("bob").await;
    for name in [
        "mme_martin",
        "MME_MARTIN",
        "prof",
        "Serveur",
        "ｐｒｏｆ",
        "pr\u{43e}f",
        "admin",
    ] {
        student.send(&format!("/nick {name}")).await;
        let line = student.line().await;
        assert!(line.contains("est réservé"), "{name}: {line}");
    }
    let _alice = app.tcp_named("alice").await;
    student.send("/nick \u{430}lice").await;
    assert_eq!(
        student.expect("pris").await,
        "* Le pseudo \u{430}lice est déjà pris.",
        "a Cyrillic а is not a new name"
    );
}
