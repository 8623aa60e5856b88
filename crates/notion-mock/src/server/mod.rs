//! The HTTP server: an accept loop on hyper (so a fault can close a
//! connection without answering), and the per-request pipeline: rate limit,
//! fault draw, latency, then the API.

mod api;
mod error;
mod hostile;
mod limiter;
mod markdown;
mod query;
mod stats;
mod write;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use axum::body::Body;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, LogNormal};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

pub use hostile::{HostileAnswer, HostileRule};
pub use stats::{RequestEvent, Stats};

use crate::config::{Latency, MockConfig};
use crate::webhooks::{WebhookConfig, WebhookError, WebhookSender};
use crate::workspace::Workspace;
use error::ApiError;
use limiter::{Decision, Limiter};

/// A running mock Notion server on a local port.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use notion_mock::{MockConfig, MockServer, Workspace};
/// let server = MockServer::start(Workspace::kitchen_sink(), MockConfig::unlimited()).await?;
/// let search_url = format!("{}/v1/search", server.url());
/// # let _ = search_url;
/// server.stop().await;
/// # Ok(()) }
/// ```
pub struct MockServer {
    addr: SocketAddr,
    /// The first (often the only) workspace served.
    state: Arc<State>,
    /// Every workspace served, the first one included (see
    /// [`MockServer::start_many`]).
    tenants: Arc<Vec<Arc<State>>>,
    shutdown: Arc<Notify>,
    task: JoinHandle<()>,
}

/// What every request handler shares.
pub(crate) struct State {
    /// The served workspace (behind a lock so it can be edited at runtime).
    pub ws: RwLock<Workspace>,
    /// Behaviour settings.
    pub cfg: MockConfig,
    /// The server's base URL (for `next_url`).
    pub base_url: String,
    limiter: Mutex<Limiter>,
    stats: Mutex<Stats>,
    rng: Mutex<StdRng>,
    started: Instant,
    hostile: hostile::Rules,
    /// The webhook sender, once started.
    webhooks: OnceLock<WebhookSender>,
}

impl State {
    fn new(ws: Workspace, cfg: MockConfig, base_url: String, now: Instant) -> State {
        let mut ws = ws;
        ws.clock_offset = cfg.clock_offset;
        State {
            hostile: hostile::Rules::new(cfg.hostile.clone()),
            ws: RwLock::new(ws),
            limiter: Mutex::new(Limiter::new(cfg.rate.clone(), now)),
            rng: Mutex::new(StdRng::seed_from_u64(cfg.faults.seed)),
            cfg,
            base_url,
            stats: Mutex::new(Stats::default()),
            started: now,
            webhooks: OnceLock::new(),
        }
    }
}

/// What the fault draw decided for one request.
enum Fault {
    None,
    Drop,
    Error(u16),
}

/// The error a service returns to make hyper close the connection unanswered.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for DropConnection {}

impl MockServer {
    /// Starts a server on `127.0.0.1` on a free port.
    pub async fn start(ws: Workspace, cfg: MockConfig) -> std::io::Result<MockServer> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), ws, cfg).await
    }

    /// Starts a server on the given address.
    pub async fn start_on(
        addr: SocketAddr,
        ws: Workspace,
        cfg: MockConfig,
    ) -> std::io::Result<MockServer> {
        Self::start_many_on(addr, vec![(ws, cfg)]).await
    }

    /// Starts one server on `127.0.0.1` on a free port that serves many
    /// workspaces at once, as Notion serves many integrations: each
    /// workspace has its own token (its [`MockConfig::token`], which picks
    /// the workspace a request reads), its own rate limit, latency, faults
    /// and statistics. A token no workspace has is answered 401. Tokens
    /// must differ; the first workspace is the one [`MockServer::edit`],
    /// [`MockServer::stats`] and webhooks act on ([`MockServer::stats_of`]
    /// gives any one's statistics).
    ///
    /// ```no_run
    /// # async fn demo() -> std::io::Result<()> {
    /// use notion_mock::{MockConfig, MockServer, SyntheticConfig, Workspace};
    /// let tenants = (0..3)
    ///     .map(|i| {
    ///         let ws = Workspace::synthetic(&SyntheticConfig { seed: i, ..SyntheticConfig::default() });
    ///         (ws, MockConfig { token: format!("secret_ws_{i}"), ..MockConfig::default() })
    ///     })
    ///     .collect();
    /// let server = MockServer::start_many(tenants).await?;
    /// // ... crawl server.url() with "secret_ws_0", "secret_ws_1", "secret_ws_2" ...
    /// assert_eq!(server.stats_of(2).unwrap().rate_limited, 0);
    /// server.stop().await;
    /// # Ok(()) }
    /// ```
    pub async fn start_many(tenants: Vec<(Workspace, MockConfig)>) -> std::io::Result<MockServer> {
        Self::start_many_on(SocketAddr::from(([127, 0, 0, 1], 0)), tenants).await
    }

    /// [`MockServer::start_many`] on the given address.
    pub async fn start_many_on(
        addr: SocketAddr,
        tenants: Vec<(Workspace, MockConfig)>,
    ) -> std::io::Result<MockServer> {
        let invalid = |message: &str| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, message.to_owned())
        };
        if tenants.is_empty() {
            return Err(invalid("a mock server needs at least one workspace"));
        }
        let mut tokens = std::collections::HashSet::new();
        if !tenants
            .iter()
            .all(|(_, cfg)| tokens.insert(cfg.token.clone()))
        {
            return Err(invalid(
                "two workspaces of one mock server have the same token",
            ));
        }
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let now = Instant::now();
        let base_url = format!("http://{addr}");
        let states: Vec<Arc<State>> = tenants
            .into_iter()
            .map(|(ws, cfg)| Arc::new(State::new(ws, cfg, base_url.clone(), now)))
            .collect();
        let tenants = Arc::new(states);
        let shutdown = Arc::new(Notify::new());
        let task = tokio::spawn(accept_loop(listener, tenants.clone(), shutdown.clone()));
        Ok(MockServer {
            addr,
            state: tenants[0].clone(),
            tenants,
            shutdown,
            task,
        })
    }

    /// How many workspaces this server serves (1 unless started with
    /// [`MockServer::start_many`]).
    pub fn workspace_count(&self) -> usize {
        self.tenants.len()
    }

    /// The request statistics of workspace `index` (in the order given to
    /// [`MockServer::start_many`]), `None` past the last one.
    pub fn stats_of(&self, index: usize) -> Option<Stats> {
        self.tenants
            .get(index)
            .map(|state| state.stats.lock().expect("stats lock").snapshot())
    }

    /// The base URL, `http://127.0.0.1:PORT` (requests go to `/v1/...` under it).
    pub fn url(&self) -> String {
        self.state.base_url.clone()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Edits the served workspace with the [`Workspace`] edit methods
    /// (`set_block_text`, `add_page`, `trash_page`...); requests see the
    /// edit as soon as this returns.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use notion_mock::{MockConfig, MockServer, Workspace};
    /// let server = MockServer::start(Workspace::kitchen_sink(), MockConfig::unlimited()).await?;
    /// let page = server.workspace().page_ids()[0].clone();
    /// server.edit(|ws| ws.append_paragraph(&page, "Added tonight."))?;
    /// server.edit(|ws| ws.trash_page(&page))?;
    /// # Ok(()) }
    /// ```
    pub fn edit<R>(&self, edit: impl FnOnce(&mut Workspace) -> R) -> R {
        let mut ws = self.state.ws.write().expect("workspace lock");
        let result = edit(&mut ws);
        let changes = std::mem::take(&mut ws.changes);
        if let Some(webhooks) = self.state.webhooks.get() {
            webhooks.push(changes);
        }
        result
    }

    /// Starts sending webhooks for the edits made from now on through
    /// [`MockServer::edit`]: POSTs the handshake to `cfg.url` and fails if
    /// it is not answered 2xx. The returned handle lists the deliveries and
    /// waits for them to settle.
    pub async fn start_webhooks(&self, cfg: WebhookConfig) -> Result<WebhookSender, WebhookError> {
        if self.state.webhooks.get().is_some() {
            return Err(WebhookError::AlreadyStarted);
        }
        let origin = crate::webhooks::Origin::of(&self.state.ws.read().expect("workspace lock"));
        let sender = crate::webhooks::start(origin, cfg).await?;
        self.state
            .webhooks
            .set(sender.clone())
            .map_err(|_| WebhookError::AlreadyStarted)?;
        Ok(sender)
    }

    /// A copy of the served workspace as it is now, edits included (for
    /// `page_ids`, `page_tree_json`, `min_requests`...).
    pub fn workspace(&self) -> Workspace {
        self.state.ws.read().expect("workspace lock").clone()
    }

    /// A snapshot of the request statistics.
    pub fn stats(&self) -> Stats {
        self.state.stats.lock().expect("stats lock").snapshot()
    }

    /// Clears the request statistics.
    pub fn reset_stats(&self) {
        *self.state.stats.lock().expect("stats lock") = Stats::default();
    }

    /// Stops accepting, closes every open connection and waits for the server task.
    pub async fn stop(self) {
        self.shutdown.notify_one();
        let _ = self.task.await;
    }
}

async fn accept_loop(listener: TcpListener, tenants: Arc<Vec<Arc<State>>>, shutdown: Arc<Notify>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.notified() => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let tenants = tenants.clone();
                connections.spawn(async move {
                    let service = service_fn(move |req| serve(tenants.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

/// The request pipeline: hostile rules, stats and rate limit, fault draw,
/// latency, API; every answer carries the server clock's `Date`.
async fn serve(
    tenants: Arc<Vec<Arc<State>>>,
    req: Request<Incoming>,
) -> Result<Response<Body>, DropConnection> {
    let Some(state) = tenant(&tenants, &req) else {
        // Many workspaces and a token none of them has: Notion's 401,
        // counted against no workspace.
        let response = api::error_response(&ApiError::unauthorized());
        return Ok(with_date(&tenants[0], response));
    };
    serve_api(state, req)
        .await
        .map(|response| with_date(state, response))
}

/// The workspace a request reads: the only one, or the one whose token it
/// carries (the first for `/__mock/` requests without one); `None` for an
/// unknown token on a server of many workspaces.
fn tenant<'a>(tenants: &'a [Arc<State>], req: &Request<Incoming>) -> Option<&'a Arc<State>> {
    if let [only] = tenants {
        return Some(only);
    }
    let bearer = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match bearer {
        Some(token) => tenants.iter().find(|state| state.cfg.token == token),
        None if req.uri().path().starts_with("/__mock/") => tenants.first(),
        None => None,
    }
}

/// Adds the `Date` header, from the server's clock (the local one moved by
/// the configured offset), unless the answer has one.
fn with_date(state: &State, mut response: Response<Body>) -> Response<Body> {
    let now = chrono::Utc::now() + state.cfg.clock_offset;
    let date = now.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    if let Ok(value) = hyper::header::HeaderValue::from_str(&date) {
        response
            .headers_mut()
            .entry(hyper::header::DATE)
            .or_insert(value);
    }
    response
}

async fn serve_api(
    state: &Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Body>, DropConnection> {
    let req = req.map(Body::new);
    let path = req.uri().path().to_string();
    if path.starts_with("/__mock/") {
        return Ok(api::mock_admin(state, &path));
    }
    let arrived = Instant::now();
    let endpoint = api::endpoint_label(req.method().as_str(), &path);
    if let Some(answer) = state.hostile.answer(req.method().as_str(), &path) {
        let response = match answer {
            hostile::HostileAnswer::Canned {
                status,
                headers,
                body,
            } => hostile::canned(status, &headers, &body),
            hostile::HostileAnswer::Truncated { bytes } => {
                hostile::truncate(api::handle(state, req).await, bytes).await
            }
        };
        let event = RequestEvent {
            at: arrived - state.started,
            endpoint,
            path,
            status: response.status().as_u16(),
        };
        state.stats.lock().expect("stats lock").record(event, false);
        return Ok(response);
    }
    let decision = state.limiter.lock().expect("limiter lock").check(arrived);
    let (fault, delay) = draw(state, decision == Decision::Allow);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let in_penalty = matches!(
        decision,
        Decision::Limited {
            in_penalty: true,
            ..
        }
    );
    let event = |status| RequestEvent {
        at: arrived - state.started,
        endpoint: endpoint.clone(),
        path: path.clone(),
        status,
    };
    let response = match (decision, fault) {
        (_, Fault::Drop) => {
            state
                .stats
                .lock()
                .expect("stats lock")
                .record(event(0), in_penalty);
            return Err(DropConnection);
        }
        (Decision::Limited { retry_after, .. }, _) => {
            let reason = state.limiter.lock().expect("limiter lock").reason();
            api::error_response(&ApiError::rate_limited(retry_after, reason))
        }
        (_, Fault::Error(502)) => api::bad_gateway(),
        (_, Fault::Error(status)) => api::error_response(&ApiError::server_error(status)),
        (_, Fault::None) => api::handle(state, req).await,
    };
    let status = response.status().as_u16();
    state
        .stats
        .lock()
        .expect("stats lock")
        .record(event(status), in_penalty);
    Ok(response)
}

/// Draws the fault (only for requests the limiter let through) and the latency.
fn draw(state: &State, allowed: bool) -> (Fault, Duration) {
    let faults = &state.cfg.faults;
    let mut rng = state.rng.lock().expect("rng lock");
    let fault = if !allowed {
        Fault::None
    } else if faults.drop_rate > 0.0 && rng.random_bool(faults.drop_rate.clamp(0.0, 1.0)) {
        Fault::Drop
    } else if faults.error_rate > 0.0 && rng.random_bool(faults.error_rate.clamp(0.0, 1.0)) {
        Fault::Error([500, 502, 503][rng.random_range(0..3)])
    } else {
        Fault::None
    };
    let delay = match &state.cfg.latency {
        Latency::None => Duration::ZERO,
        Latency::Fixed(d) => *d,
        Latency::LogNormal { median, sigma } => {
            let mu = median.as_secs_f64().max(1e-6).ln();
            match LogNormal::new(mu, sigma.max(0.0)) {
                Ok(dist) => Duration::from_secs_f64(dist.sample(&mut *rng).min(120.0)),
                Err(_) => *median,
            }
        }
    };
    (fault, delay)
}
