//! Stopping the server tells every client and closes every connection.

use crate::helpers::spawn_app;

#[tokio::test]
async fn stopping_tells_every_client_then_closes() {
    let app = spawn_app().await;
    let mut tcp = app.tcp_client().await;
    let mut page = app.ws_named("page").await;
    // One that never reads must not hold the stop up.
    let _stuck = tokio::net::TcpStream::connect(app.tcp)
        .await
        .expect("connect");

    let stopped = tokio::spawn(app.stop());

    assert_eq!(
        tcp.expect("s'arrête").await,
        "* Le serveur s'arrête. Au revoir !"
    );
    assert_eq!(tcp.try_line().await, None, "then the connection closes");
    let bye = page.expect("bye").await;
    assert_eq!(bye["reason"], "shutdown");
    assert!(page.try_next().await.is_none(), "then the WebSocket closes");
    stopped.await.expect("run returns");
}
