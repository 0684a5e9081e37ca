//! The page and its static files, compiled into the binary so tchat runs from any directory.

use std::net::SocketAddr;
use std::sync::LazyLock;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use crate::chat::MAX_NICK_CHARS;
use crate::entrances::{python_client, qr_svg};
use crate::i18n::Lang;
use crate::session::Context;

/// `static/`, embedded (in debug builds too, thanks to the `debug-embed` feature).
#[derive(RustEmbed)]
#[folder = "static/"]
struct Static;

/// The chat page, with the limits it enforces and the sentences it speaks with, as values
/// from this server.
#[derive(Template, WebTemplate)]
#[template(path = "index.html")]
pub(super) struct Index {
    /// `--max-length`: the message box takes no more.
    max_length: usize,
    /// The longest nickname.
    max_nick: usize,
    /// Every catalog, as JSON for the page's `sentences` block.
    sentences: &'static str,
}

pub(super) async fn index(State(context): State<Context>) -> Index {
    Index {
        max_length: context.config.max_length,
        max_nick: MAX_NICK_CHARS,
        sentences: &SENTENCES,
    }
}

/// Every language's catalog, `{"fr": {"name": "sentence", …}, …}`, made once. `<` is
/// escaped so that no sentence can end the `<script>` block it is put in.
static SENTENCES: LazyLock<String> = LazyLock::new(|| {
    let catalogs: serde_json::Map<String, serde_json::Value> = Lang::ALL
        .into_iter()
        .map(|lang| {
            let sentences = lang
                .catalog()
                .entries()
                .into_iter()
                .map(|(name, sentence)| (name.to_owned(), sentence.into()))
                .collect();
            (lang.code().to_owned(), serde_json::Value::Object(sentences))
        })
        .collect();
    serde_json::Value::Object(catalogs)
        .to_string()
        .replace('<', "\\u003c")
});

/// How many addresses the board lists: more would not fit on a projector without scrolling
/// (tchat prints every one at startup).
const BOARD_ADDRESSES: usize = 3;

/// The page to project on the board: the addresses, the QR code, the other ways in.
#[derive(Template, WebTemplate)]
#[template(path = "join.html")]
pub(super) struct Join {
    qr: String,
    main_url: String,
    /// The first few addresses, the main one first.
    addresses: Vec<(String, SocketAddr)>,
    /// How many more there are.
    hidden: usize,
    /// The Python client, for the main address.
    python: String,
}

pub(super) async fn join(State(context): State<Context>) -> Join {
    let entrances = &context.entrances;
    let main_url = entrances.main_url().to_owned();
    let (python_host, python_port) = entrances
        .addresses
        .first()
        .map_or(("127.0.0.1".to_owned(), 50000), |(_, tcp)| {
            (tcp.ip().to_string(), tcp.port())
        });
    let shown = entrances.addresses.len().min(BOARD_ADDRESSES);
    Join {
        qr: qr_svg(&main_url).unwrap_or_default(),
        main_url,
        addresses: entrances.addresses[..shown].to_vec(),
        hidden: entrances.addresses.len() - shown,
        python: python_client(&python_host, python_port),
    }
}

/// A file from `static/`, with its type and an ETag so browsers revalidate cheaply.
pub(super) async fn file(Path(path): Path<String>, headers: HeaderMap) -> Response {
    let Some(file) = Static::get(&path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!(
        "\"{}\"",
        file.metadata
            .sha256_hash()
            .iter()
            .take(12)
            .map(|byte| format!("{byte:02x}"))
            .collect::<String>()
    );
    let cache = [
        (header::ETAG, etag.clone()),
        (header::CACHE_CONTROL, "no-cache".to_owned()),
    ];
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|value| value.as_bytes() == etag.as_bytes())
    {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    let mime = HeaderValue::from_str(file.metadata.mimetype())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (cache, [(header::CONTENT_TYPE, mime)], file.data).into_response()
}
