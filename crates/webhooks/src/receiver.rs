//! The HTTP side: an axum [`Router`] with `POST /webhooks/notion`,
//! `GET /healthz` and `GET /metrics`, over any [`EventStore`].
//!
//! A webhook request is checked in this order, and refused at the first
//! failure without changing anything:
//!
//! 1. size: a declared `Content-Length` over [`MAX_BODY_BYTES`] is refused
//!    before reading, and the body is read with that limit (413);
//! 2. an unsigned body is a handshake (`{"verification_token": ...}`) or a 401;
//! 3. the signature: no token known yet, a missing, malformed or wrong
//!    `X-Notion-Signature` give 401;
//! 4. the body must be an [`Event`] (400);
//! 5. the event is persisted on a blocking thread; only then 200 (a
//!    duplicate id also gets 200, and is counted; a store error gets 500
//!    so Notion retries).
//!
//! The handler does nothing else, so it answers in the time of a signature
//! check and one store write, whatever the refresh queue holds.
//!
//! # The verification token
//!
//! The first handshake's token is saved through [`EventStore`] and written
//! to [`ReceiverConfig::token_file`] (mode 0600), and a [`Notice`] (printed
//! on stderr by default) tells the operator to paste that file's content
//! into Notion's Verify form. The token itself is never printed: stderr
//! usually ends up in log collectors (journald, Kubernetes), which more
//! people can read than the service's own files. A handshake with another
//! token while one is in use is refused (409): handshakes are unsigned, so
//! accepting it would let anyone replace the signing key. For the same
//! reason the first handshake is taken from whoever sends it: if someone
//! else got there first, Notion's Verify form refuses the token in the file,
//! and clearing the stored token lets Notion's "Resend token" start over.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::event::{Event, VerificationRequest};
use crate::metrics::{ReceiverCounts, ReceiverMetrics, RefreshGauges, Rejection, render};
use crate::secret::Secret;
use crate::signature::{SIGNATURE_HEADER, verify};
use crate::store::{EventStore, Persisted};

/// The path Notion POSTs to.
pub const WEBHOOK_PATH: &str = "/webhooks/notion";

/// The largest body accepted (1 MiB); Notion's events are a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Something the operator should know, reported through
/// [`ReceiverConfig::notify`]. No notice contains the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A handshake brought a token (new, or resent), now in `file`.
    TokenReceived {
        /// The file holding the token (mode 0600).
        file: PathBuf,
    },
    /// A handshake brought a token, but it could not be written to `file`
    /// (it is stored; use Notion's "Resend token" once the file is writable).
    TokenFileFailed {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        error: String,
    },
    /// A handshake resent the token given by the secret file.
    TokenMatchesSecretFile,
    /// A handshake brought a token other than the one in use, and was refused.
    TokenConflict,
    /// The store failed; the event was answered 500 and Notion will retry.
    StoreFailed {
        /// The store's error.
        error: String,
    },
}

impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Notice::TokenReceived { file } => write!(
                f,
                "Notion sent the verification token of a webhook subscription. It is stored, \
                 and written to {} (readable only by this user). To finish the subscription, \
                 open the connection's Webhooks tab in Notion, click Verify, and paste that \
                 file's content (for example from `cat {}`).",
                file.display(),
                file.display()
            ),
            Notice::TokenFileFailed { file, error } => write!(
                f,
                "Notion sent the verification token of a webhook subscription. It is stored, \
                 but could not be written to {} ({error}); fix that, then use \"Resend token\" \
                 in the connection's Webhooks tab.",
                file.display()
            ),
            Notice::TokenMatchesSecretFile => f.write_str(
                "Notion resent the verification token; it is the one from the webhook secret \
                 file: paste that file's content into the Verify form.",
            ),
            Notice::TokenConflict => f.write_str(
                "Refused a webhook handshake: its verification token differs from the one in \
                 use. If the subscription was deleted and created again, clear the stored \
                 token (or change the webhook secret file) and resend the token from Notion.",
            ),
            Notice::StoreFailed { error } => write!(
                f,
                "Could not persist a webhook event ({error}); answered 500, Notion will retry."
            ),
        }
    }
}

/// How a [`Receiver`] is set up.
pub struct ReceiverConfig {
    /// The token from `--webhook-secret-file`: used instead of a stored one,
    /// and never written anywhere.
    pub secret: Option<Secret>,
    /// Where a handshake's token is written for the operator (mode 0600).
    pub token_file: PathBuf,
    /// The refresh side's numbers, shown by `/metrics`.
    pub gauges: Arc<RefreshGauges>,
    /// What to do with a [`Notice`]; by default, print it on stderr.
    pub notify: Arc<dyn Fn(&Notice) + Send + Sync>,
}

impl ReceiverConfig {
    /// A configuration writing handshake tokens to `token_file`, printing
    /// notices on stderr, with no secret file and fresh gauges.
    pub fn new(token_file: impl Into<PathBuf>) -> ReceiverConfig {
        ReceiverConfig {
            secret: None,
            token_file: token_file.into(),
            gauges: Arc::default(),
            notify: Arc::new(|notice| eprintln!("{notice}")),
        }
    }
}

/// Where the token in use came from.
#[derive(Clone)]
enum Token {
    /// None yet: events are refused until a handshake.
    Unknown,
    /// From a handshake (stored through the [`EventStore`]).
    Stored(Secret),
    /// From the secret file.
    Configured(Secret),
}

impl Token {
    fn secret(&self) -> Option<&Secret> {
        match self {
            Token::Unknown => None,
            Token::Stored(s) | Token::Configured(s) => Some(s),
        }
    }
}

/// The webhook receiver: verifies, persists and counts. Share it in an
/// `Arc`; [`Receiver::router`] serves it.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use webhooks::{MemoryStore, Receiver, ReceiverConfig};
///
/// let store = Arc::new(MemoryStore::default());
/// let receiver = Receiver::new(store, ReceiverConfig::new("/var/lib/notion/webhook-token"))?;
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// axum::serve(listener, receiver.router()).await?;
/// # Ok(()) }
/// ```
pub struct Receiver<S> {
    store: Arc<S>,
    token: RwLock<Token>,
    /// Serializes handshakes (two at once must not both be "the first").
    handshake: tokio::sync::Mutex<()>,
    token_file: PathBuf,
    gauges: Arc<RefreshGauges>,
    notify: Arc<dyn Fn(&Notice) + Send + Sync>,
    metrics: ReceiverMetrics,
}

impl<S: EventStore> Receiver<S> {
    /// A receiver over `store`, using the configured secret or else the
    /// token the store holds from an earlier handshake.
    pub fn new(store: Arc<S>, config: ReceiverConfig) -> Result<Arc<Receiver<S>>, S::Error> {
        let token = match config.secret {
            Some(secret) => Token::Configured(secret),
            None => match store.verification_token()? {
                Some(secret) => Token::Stored(secret),
                None => Token::Unknown,
            },
        };
        Ok(Arc::new(Receiver {
            store,
            token: RwLock::new(token),
            handshake: tokio::sync::Mutex::new(()),
            token_file: config.token_file,
            gauges: config.gauges,
            notify: config.notify,
            metrics: ReceiverMetrics::default(),
        }))
    }

    /// The routes: `POST /webhooks/notion`, `GET /healthz`, `GET /metrics`.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route(WEBHOOK_PATH, post(receive::<S>))
            .route("/healthz", get(healthz::<S>))
            .route("/metrics", get(metrics::<S>))
            .with_state(self.clone())
    }

    /// The receiver's counters now.
    pub fn counts(&self) -> ReceiverCounts {
        self.metrics.counts()
    }

    /// Whether a verification token is known (events can be accepted).
    pub fn is_verified(&self) -> bool {
        self.current_token().is_some()
    }

    /// `/metrics`' body.
    pub fn metrics_text(&self) -> String {
        render(&self.metrics.counts(), &self.gauges)
    }

    fn current_token(&self) -> Option<Secret> {
        self.token
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .secret()
            .cloned()
    }

    fn refuse(&self, reason: Rejection) -> Response {
        self.metrics.rejected(reason);
        let status = match reason {
            Rejection::MissingSignature | Rejection::BadSignature | Rejection::NotVerified => {
                StatusCode::UNAUTHORIZED
            }
            Rejection::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::Malformed => StatusCode::BAD_REQUEST,
            Rejection::TokenConflict => StatusCode::CONFLICT,
        };
        (status, axum::Json(json!({"error": reason.label()}))).into_response()
    }

    fn store_failed(&self, error: String) -> Response {
        self.metrics.store_error();
        (self.notify)(&Notice::StoreFailed { error });
        let body = json!({"error": "store_failed"});
        (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
    }

    /// Handles an unsigned body: a handshake, or a refusal.
    async fn handshake(self: Arc<Self>, body: &[u8]) -> Response {
        let Ok(request) = serde_json::from_slice::<VerificationRequest>(body) else {
            return self.refuse(Rejection::MissingSignature);
        };
        let token = request.verification_token;
        if token.expose().trim().is_empty() {
            return self.refuse(Rejection::Malformed);
        }
        let _one_at_a_time = self.handshake.lock().await;
        let current = self.token.read().unwrap_or_else(|e| e.into_inner()).clone();
        match current {
            Token::Configured(secret) if secret.matches(&token) => {
                (self.notify)(&Notice::TokenMatchesSecretFile);
            }
            Token::Stored(secret) if secret.matches(&token) => self.write_token_file(&token),
            Token::Configured(_) | Token::Stored(_) => {
                (self.notify)(&Notice::TokenConflict);
                return self.refuse(Rejection::TokenConflict);
            }
            Token::Unknown => {
                let store = self.store.clone();
                let saved = token.clone();
                let result =
                    tokio::task::spawn_blocking(move || store.save_verification_token(&saved))
                        .await;
                match result {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => return self.store_failed(e.to_string()),
                    Err(e) => return self.store_failed(e.to_string()),
                }
                *self.token.write().unwrap_or_else(|e| e.into_inner()) =
                    Token::Stored(token.clone());
                self.write_token_file(&token);
            }
        }
        self.metrics.handshake();
        (
            StatusCode::OK,
            axum::Json(json!({"status": "verification_token_received"})),
        )
            .into_response()
    }

    fn write_token_file(&self, token: &Secret) {
        let notice = match write_private(&self.token_file, token.expose()) {
            Ok(()) => Notice::TokenReceived {
                file: self.token_file.clone(),
            },
            Err(e) => Notice::TokenFileFailed {
                file: self.token_file.clone(),
                error: e.to_string(),
            },
        };
        (self.notify)(&notice);
    }

    /// Handles a signed body: verify, parse, persist.
    async fn event(self: Arc<Self>, signature: &str, body: axum::body::Bytes) -> Response {
        let Some(token) = self.current_token() else {
            return self.refuse(Rejection::NotVerified);
        };
        if verify(&token, Some(signature), &body).is_err() {
            return self.refuse(Rejection::BadSignature);
        }
        let Ok(event) = serde_json::from_slice::<Event>(&body) else {
            return self.refuse(Rejection::Malformed);
        };
        let store = self.store.clone();
        let persisted = tokio::task::spawn_blocking(move || store.persist(&event, &body)).await;
        match persisted {
            Ok(Ok(Persisted::New)) => {
                self.metrics.received();
                (StatusCode::OK, axum::Json(json!({"status": "accepted"}))).into_response()
            }
            Ok(Ok(Persisted::Duplicate)) => {
                self.metrics.deduplicated();
                (StatusCode::OK, axum::Json(json!({"status": "duplicate"}))).into_response()
            }
            Ok(Err(e)) => self.store_failed(e.to_string()),
            Err(e) => self.store_failed(e.to_string()),
        }
    }
}

async fn receive<S: EventStore>(
    State(rx): State<Arc<Receiver<S>>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    rx.metrics.request();
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return rx.refuse(Rejection::TooLarge);
    }
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(e) if is_length_limit(&e) => return rx.refuse(Rejection::TooLarge),
        Err(_) => return rx.refuse(Rejection::Malformed),
    };
    match headers.get(SIGNATURE_HEADER) {
        None => rx.handshake(&body).await,
        Some(value) => match value.to_str() {
            Ok(signature) => rx.event(signature, body).await,
            Err(_) => rx.refuse(Rejection::BadSignature),
        },
    }
}

/// Whether reading a body failed on the size limit.
fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

async fn healthz<S: EventStore>(State(rx): State<Arc<Receiver<S>>>) -> Response {
    let body = json!({"status": "ok", "verified": rx.is_verified()});
    (StatusCode::OK, axum::Json(body)).into_response()
}

async fn metrics<S: EventStore>(State(rx): State<Arc<Receiver<S>>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        rx.metrics_text(),
    )
        .into_response()
}

/// Writes `text` to `path` readable only by the owner: a temporary file
/// created with mode 0600, synced, then renamed over `path`.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)
}
