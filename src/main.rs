//! The `tchat` binary: settings, logging, listeners, and a clean stop on Ctrl-C or SIGTERM.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use tchat::{App, BindError, Config};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    // Logs go to stderr so that stdout keeps only what the teacher needs to read.
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("tchat=info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tchat: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    let app = App::bind(config).await.map_err(explain)?;
    print_addresses(app.http_addr(), app.tcp_addr());
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        stop.cancel();
    });
    app.run(shutdown).await;
    println!("tchat stopped.");
    Ok(())
}

/// One line a teacher can act on when a port cannot be opened.
fn explain(error: BindError) -> anyhow::Error {
    let flag = if error.role == "TCP" {
        "--tcp"
    } else {
        "--http"
    };
    let hint = if error.source.kind() == std::io::ErrorKind::AddrInUse {
        format!(
            "port {} is already in use, perhaps by another program (lab PCs often run LAN \
             Messenger on 50000); choose another with {flag} ADDR:PORT",
            error.addr.port()
        )
    } else {
        format!("choose another address with {flag} ADDR:PORT")
    };
    anyhow::Error::new(error).context(hint)
}

fn print_addresses(http: SocketAddr, tcp: SocketAddr) {
    let shown = |addr: SocketAddr| {
        if addr.ip().is_unspecified() {
            SocketAddr::new([127, 0, 0, 1].into(), addr.port())
        } else {
            addr
        }
    };
    println!("tchat is running.");
    println!("  Web page:    http://{}/", shown(http));
    println!("  TCP clients: nc {} {}", shown(tcp).ip(), tcp.port());
    println!("Stop with Ctrl-C.");
}

/// Resolves on Ctrl-C, or on SIGTERM where there is one.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
