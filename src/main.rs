//! The `tchat` binary: settings, logging, listeners, and a clean stop on Ctrl-C or SIGTERM.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tchat::chat::{Nick, RoomName};
use tchat::config::{Cli, Export, Task};
use tchat::console::Logs;
use tchat::store::Reader;
use tchat::{App, Config, StartError};
use tchat::{entrances, transcript};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let threads = usize::from(cli.serve.threads);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("tchat: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve_or_export(cli))
}

async fn serve_or_export(cli: Cli) -> ExitCode {
    // Each client is a file descriptor; a whole school must not hit the default soft limit.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    // Logs go to stderr so that stdout keeps only what the teacher needs to read; while the
    // console is open, above its prompt instead.
    let logs = Logs::default();
    tracing_subscriber::fmt()
        .with_env_filter(log_filter())
        .with_writer(logs.clone())
        .with_ansi(std::io::stderr().is_terminal())
        // A log that cannot be written (stderr into a file on a full disk) is lost, not
        // reported with `eprintln!`, which would panic the task that logged.
        .log_internal_errors(false)
        .init();
    let outcome = match cli.command {
        Some(Task::Export(export)) => run_export(&export),
        None => run(cli.serve, logs).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tchat: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config, logs: Logs) -> anyhow::Result<()> {
    #[cfg(unix)]
    let _file_too_large = catch_file_too_large();
    // Decided here, at the binary's edge, where the environment is read.
    let colour = config.color.resolve(
        std::io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
        std::env::var_os("TERM").as_deref(),
    );
    // A service or CI has no terminal: no console there, and nothing else changes.
    let console =
        !config.no_console && std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let console_nick = console.then(|| config.console_nick.clone());
    let mut app = App::bind(config).await.map_err(explain)?;
    print_addresses(&app, colour, console_nick.as_ref());
    if console {
        app = app.with_console(logs);
    }
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        // Ctrl-C at the console stops the server too; a Ctrl-C after it is a signal again.
        tokio::select! {
            () = shutdown_signal() => stop.cancel(),
            () = stop.cancelled() => {}
        }
        // A second Ctrl-C means now, whatever is still being said goodbye to.
        shutdown_signal().await;
        std::process::exit(130);
    });
    app.run(shutdown).await;
    say(format_args!("tchat stopped."));
    Ok(())
}

/// Catches SIGXFSZ ("file size limit exceeded") for as long as the returned stream lives: a
/// file grown past the process's size limit (`ulimit -f`) must be an error tchat handles
/// (events not saved, teachers told), not the signal ending the class. Its number, 25, is
/// Linux's on x86 and ARM; elsewhere nothing is caught.
#[cfg(unix)]
fn catch_file_too_large() -> Option<tokio::signal::unix::Signal> {
    let known = cfg!(all(
        target_os = "linux",
        any(
            target_arch = "x86_64",
            target_arch = "x86",
            target_arch = "aarch64",
            target_arch = "arm"
        )
    ));
    known
        .then(|| tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(25)).ok())
        .flatten()
}

/// One line a teacher can act on when the server cannot start: the address, the operating
/// system's reason once, and the flag to change.
fn explain(error: StartError) -> anyhow::Error {
    let StartError::Listen(error) = error else {
        return error.into();
    };
    let (flag, other_program) = if error.role == "TCP" {
        // LAN Messenger, common on lab PCs, listens on the lesson's port.
        ("--tcp", " (lab PCs often run LAN Messenger on 50000)")
    } else {
        ("--http", "")
    };
    let port = error.addr.port();
    let hint = if error.source.kind() == std::io::ErrorKind::AddrInUse {
        format!(
            "port {port} ({role}) is already in use, perhaps by another program{other_program}; \
             choose another with {flag} ADDR:PORT",
            role = error.role,
        )
    } else {
        format!(
            "{error}: {source}; choose another address with {flag} ADDR:PORT",
            source = error.source
        )
    };
    anyhow::Error::msg(hint)
}

/// Libraries whose most detailed logs would show what clients send: WebSocket frames (a
/// `hello` carries the class password and the teacher token) and HTTP requests
/// (`?teacher=TOKEN`). They never log below `warn`, whatever `RUST_LOG` asks.
const SILENT_ABOUT_SECRETS: [&str; 6] = [
    "tungstenite",
    "tokio_tungstenite",
    "hyper",
    "hyper_util",
    "axum",
    "tower_http",
];

/// `RUST_LOG` (or `tchat=info`), with [`SILENT_ABOUT_SECRETS`] at `warn`: whatever
/// `RUST_LOG` says of them, or of any of their modules, is left out.
fn log_filter() -> EnvFilter {
    let asked = std::env::var("RUST_LOG").unwrap_or_else(|_| "tchat=info".to_owned());
    let about_secrets = |directive: &str| {
        let target = directive
            .split(['=', '['])
            .next()
            .unwrap_or_default()
            .trim();
        SILENT_ABOUT_SECRETS
            .iter()
            .any(|silent| target == *silent || target.starts_with(&format!("{silent}::")))
    };
    let kept: Vec<&str> = asked
        .split(',')
        .filter(|directive| !about_secrets(directive))
        .collect();
    let mut filter =
        EnvFilter::try_new(kept.join(",")).unwrap_or_else(|_| EnvFilter::new("tchat=info"));
    for target in SILENT_ABOUT_SECRETS {
        if let Ok(directive) = format!("{target}=warn").parse() {
            filter = filter.add_directive(directive);
        }
    }
    filter
}

/// `tchat export`: the transcript on stdout.
fn run_export(export: &Export) -> anyhow::Result<()> {
    let since = match &export.since {
        Some(text) => transcript::parse_since(text).map_err(anyhow::Error::msg)?,
        None => i64::MIN,
    };
    let catalog = export
        .lang
        .unwrap_or_else(tchat::i18n::Lang::from_locale)
        .catalog();
    let room = export
        .room
        .as_deref()
        .map(RoomName::parse)
        .transpose()
        .map_err(|error| anyhow::anyhow!("{}", catalog.error(&error)))?;
    let reader = Reader::open(&export.db)?;
    let events: Vec<_> = reader
        .since_time(since, room.as_ref())
        .map_err(|error| anyhow::anyhow!("cannot read {}: {error}", export.db.display()))?
        .into_iter()
        .map(std::sync::Arc::new)
        .collect();
    let text = transcript::render(&events, export.format, catalog, room.as_ref());
    std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())
        .map_err(|error| anyhow::anyhow!("cannot write the transcript: {error}"))
}

/// What the teacher reads at startup: where students connect, the QR code of the page (in
/// `colour` only), the teacher's own address, and the console's nickname if this terminal is
/// the console. The token appears here and nowhere else (never in the logs).
fn print_addresses(app: &App, colour: bool, console: Option<&Nick>) {
    let entrances = app.entrances();
    let mut text = String::from("tchat is running. Students join at:\n");
    for (url, tcp) in &entrances.addresses {
        text.push_str(&format!(
            "  Page: {url}\n  TCP:  nc {} {}\n",
            tcp.ip(),
            tcp.port()
        ));
    }
    let main = entrances.main_url();
    // Without colour the terminal's own scheme would decide whether the code is dark on
    // light, and half the time it would not scan: better none, as /join shows one.
    if colour && let Some(qr) = entrances::qr_terminal(main) {
        text.push_str(&qr);
        text.push('\n');
    }
    text.push_str(&format!(
        "To project for the class: {main}join\n\
         Teacher (keep it to yourself): {main}?teacher={token}\n  \
         (on a TCP client: /op {token})\n",
        token = app.teacher_token()
    ));
    if let Some(cluster) = app.cluster() {
        text.push_str(&format!(
            "This is node {} of the cluster at {}: one conversation with every node \
             (give them all the same --teacher-token).\n",
            cluster.node,
            cluster.urls.join(",")
        ));
    }
    if let Some(nick) = console {
        text.push_str(&format!(
            "This terminal is the console: what you type is said to the class as {nick}, \
             teacher commands included (/help lists them).\n  \
             Ctrl-D closes the console and tchat goes on.\n"
        ));
    }
    text.push_str("Stop with Ctrl-C.");
    say(format_args!("{text}"));
}

/// Prints a line for the teacher. A closed or full stdout (`tchat | head`) is no reason to
/// stop serving the class, so write errors are ignored rather than panicking like `println!`.
fn say(text: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
    let _ = stdout.flush();
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
