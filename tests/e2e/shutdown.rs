//! Stopping the server tells every client and closes every connection.

use tokio::io::AsyncWriteExt;

use crate::helpers::spawn_app;

#[tokio::test]
async fn stopping_tells_every_client_then_closes() {
    let app = spawn_app().await;
    let mut tcp = app.tcp_client().await;
    let mut page = app.ws_named("page").await;
    // One that never reads, with its window full, must not hold the stop up...
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(2048).expect("buffer size");
    let _stuck = socket.connect(app.tcp).await.expect("connect");
    let mut talker = app.tcp_named("bavard").await;
    let long = "z".repeat(1500);
    for n in 0..2000 {
        talker.send(&format!("{n} {long}")).await;
    }
    tcp.expect("1999 zzz").await;
    // ...nor one that stopped halfway through an HTTP request.
    let mut half = tokio::net::TcpStream::connect(app.http)
        .await
        .expect("connect");
    half.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");

    let stopped = tokio::spawn(app.stop());

    assert_eq!(
        tcp.expect("s'arrête").await,
        "* Le serveur s'arrête. Au revoir !"
    );
    assert_eq!(tcp.try_line().await, None, "then the connection closes");
    let bye = page.expect("bye").await;
    assert_eq!(bye["reason"], "shutdown");
    assert!(page.try_next().await.is_none(), "then the WebSocket closes");
    stopped.await.expect("run returns in time");
}
