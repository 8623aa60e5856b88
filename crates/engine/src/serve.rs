//! `notion-ingest serve`: keeps the output fresh between complete runs by
//! refreshing the pages Notion's webhooks name.
//!
//! ```text
//! Notion ─POST─▶ Receiver (verify, persist in the state store, 200)
//!                   │ EventLog::arrivals
//!                   ▼
//!          refresh loop: RefreshPlanner (debounce) ─▶ partial run ─▶ change set
//!                        every --reconcile-every ─▶ complete incremental run
//! ```
//!
//! [`Server::start`] takes the output's lock (held until the server stops, so
//! a nightly `run` on the same output fails at once with "busy"), opens the
//! [`EventLog`], and binds the listener. [`Server::run`] serves the receiver
//! and runs the refresh loop until `shutdown` is cancelled:
//!
//! - events persisted by the receiver are planned by [`RefreshPlanner`]: an
//!   entity quiet for the quiet period becomes part of one refresh batch;
//! - a batch becomes one partial run ([`Scope::Partial`]): the pages named
//!   (trashed or gone ones become deletes) and the data sources named
//!   (their rows edited since they were last read). One run at a time, all
//!   through the same client, so they share its rate limiter;
//! - events about databases, and deleted data sources, are settled by a
//!   complete incremental run (deletions by absence), started at once;
//! - each run publishes a change set; the snapshot is published with it at
//!   most every [`ServeConfig::snapshot_interval`], and a stale snapshot is
//!   published on its own (a run with nothing to read) once the interval
//!   has passed;
//! - every [`ServeConfig::reconcile_every`], a complete incremental run,
//!   because webhook delivery is best effort;
//! - events are marked settled only once the run that refreshed them has
//!   published; a run that fails or is stopped leaves them pending, and a
//!   restart (after a crash or `kill -9` too) refreshes them.
//!
//! On shutdown the server stops accepting connections, stops a run in
//! progress (what it read is stored; its events stay pending, persisted) and
//! returns.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use notion_source::NotionClient;
use notion_source::crawler::CrawlError;
use tokio_util::sync::CancellationToken;
use webhooks::{
    Notice, PlannerConfig, Receiver, ReceiverConfig, RefreshBatch, RefreshGauges, RefreshPlanner,
    Secret,
};

use crate::lock::{LockError, OutputLock};
use crate::run::{EngineConfig, EngineError, PartialScope, RunOptions, RunReport, Scope};
use crate::store::{EventLog, IGNORED, StoreError};

/// The file, in the state directory, a handshake's verification token is
/// written to for the operator (mode 0600).
pub const TOKEN_FILE: &str = ".webhook-verification-token";

/// How long settled events are kept to recognise Notion's late retries.
const KEEP_SETTLED: Duration = Duration::from_secs(3 * 24 * 3600);

/// How `serve` runs.
#[derive(Clone)]
pub struct ServeConfig {
    /// The engine's configuration (output, crawl, chunking).
    pub engine: EngineConfig,
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The verification token from `--webhook-secret-file` (else the one a
    /// handshake stored).
    pub secret: Option<Secret>,
    /// Debouncing: the quiet period, and the longest an edited entity waits.
    pub planner: PlannerConfig,
    /// The snapshot is published at most this often (change sets always).
    pub snapshot_interval: Duration,
    /// Run a complete incremental run this often (`None`: never); the first
    /// one is due this long after the last completed one (at once if none).
    pub reconcile_every: Option<Duration>,
    /// How long to wait before retrying after a run failed.
    pub retry_after_failure: Duration,
    /// What to do with the receiver's notices (by default, print on stderr).
    pub notify: Arc<dyn Fn(&Notice) + Send + Sync>,
}

impl std::fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeConfig")
            .field("engine", &self.engine)
            .field("listen", &self.listen)
            .field("secret", &self.secret)
            .field("planner", &self.planner)
            .field("snapshot_interval", &self.snapshot_interval)
            .field("reconcile_every", &self.reconcile_every)
            .finish_non_exhaustive()
    }
}

impl ServeConfig {
    /// The defaults (30 s quiet period, snapshot every 10 minutes, a
    /// complete run every 24 hours) for `engine`, listening on `listen`.
    pub fn new(engine: EngineConfig, listen: SocketAddr) -> ServeConfig {
        ServeConfig {
            engine,
            listen,
            secret: None,
            planner: PlannerConfig::default(),
            snapshot_interval: Duration::from_secs(600),
            reconcile_every: Some(Duration::from_secs(24 * 3600)),
            retry_after_failure: Duration::from_secs(30),
            notify: Arc::new(|notice| eprintln!("{notice}")),
        }
    }
}

/// Why `serve` could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Another process holds the output.
    #[error(transparent)]
    Busy(#[from] LockError),
    /// The state store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The address could not be listened on.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The HTTP server failed.
    #[error("the webhook server failed: {0}")]
    Http(std::io::Error),
    /// Notion refused the integration token: refreshing cannot work.
    #[error(transparent)]
    Unauthorized(EngineError),
    /// A background task died.
    #[error("the {0} task stopped unexpectedly")]
    Task(&'static str),
}

/// What a `serve` session did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServeReport {
    /// Partial runs that published a change set.
    pub refreshes: u64,
    /// Complete incremental runs that published.
    pub reconciles: u64,
    /// Runs that failed or were stopped (their events stay pending).
    pub failed_runs: u64,
    /// Events settled (refreshed or ignored).
    pub events_settled: u64,
    /// Events still pending at the end (refreshed by the next start).
    pub events_pending: u64,
}

/// A started server: the lock is held, the port bound.
pub struct Server {
    client: NotionClient,
    config: ServeConfig,
    log: Arc<EventLog>,
    receiver: Arc<Receiver<EventLog>>,
    gauges: Arc<RefreshGauges>,
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    _lock: OutputLock,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Takes the output's lock, opens the event log and binds the address.
    pub async fn start(client: NotionClient, config: ServeConfig) -> Result<Server, ServeError> {
        let lock = OutputLock::acquire(&config.engine.state_dir)?;
        let dir = config.engine.state_dir.clone();
        let log = tokio::task::spawn_blocking(move || EventLog::open(&dir))
            .await
            .map_err(|_| ServeError::Task("store"))??;
        let log = Arc::new(log);
        let gauges = Arc::new(RefreshGauges::default());
        gauges.set_pending(log.pending_count()?);
        let receiver = Receiver::new(
            log.clone(),
            ReceiverConfig {
                secret: config.secret.clone(),
                token_file: config.engine.state_dir.join(TOKEN_FILE),
                gauges: gauges.clone(),
                notify: config.notify.clone(),
            },
        )?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| ServeError::Bind {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| ServeError::Bind {
            addr: config.listen,
            source,
        })?;
        Ok(Server {
            client,
            config,
            log,
            receiver,
            gauges,
            listener,
            addr,
            _lock: lock,
        })
    }

    /// The address actually listened on (a port 0 picked a free one).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether a verification token is known (events can be accepted).
    pub fn is_verified(&self) -> bool {
        self.receiver.is_verified()
    }

    /// The file a handshake's token is written to.
    pub fn token_file(&self) -> PathBuf {
        self.config.engine.state_dir.join(TOKEN_FILE)
    }

    /// Serves until `shutdown` is cancelled, then stops accepting, stops a
    /// run in progress (its events stay pending) and returns.
    pub async fn run(self, shutdown: CancellationToken) -> Result<ServeReport, ServeError> {
        let router = self.receiver.router();
        let stop = shutdown.clone();
        let http = tokio::spawn(async move {
            axum::serve(self.listener, router)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
        });
        let mut refresher = Refresher {
            client: self.client,
            config: self.config,
            log: self.log,
            gauges: self.gauges,
            report: ServeReport::default(),
            shutdown: shutdown.clone(),
        };
        let result = refresher.run().await;
        // Stop the HTTP side too if the loop stopped on its own (an error).
        shutdown.cancel();
        let served = http.await.map_err(|_| ServeError::Task("http"))?;
        let mut report = result?;
        served.map_err(ServeError::Http)?;
        report.events_pending = refresher.log.pending_count()?;
        Ok(report)
    }
}

/// The refresh loop's state.
struct Refresher {
    client: NotionClient,
    config: ServeConfig,
    log: Arc<EventLog>,
    gauges: Arc<RefreshGauges>,
    report: ServeReport,
    shutdown: CancellationToken,
}

/// What kind of run to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunKind {
    /// A partial run over a refresh batch.
    Refresh,
    /// A complete incremental run.
    Reconcile,
    /// A run with nothing to read, to publish the snapshot.
    Snapshot,
}

impl Refresher {
    async fn run(&mut self) -> Result<ServeReport, ServeError> {
        let planner = RefreshPlanner::new(self.config.planner.clone());
        let arrivals = self.log.arrivals();
        let now = Instant::now();
        let mut next_reconcile = match self.config.reconcile_every {
            None => None,
            Some(every) => Some(match self.log.last_complete_run()? {
                None => now,
                Some(at) => {
                    let age = (Utc::now() - at).to_std().unwrap_or_default();
                    now + every.saturating_sub(age)
                }
            }),
        };
        let mut last_snapshot = now;
        let mut snapshot_stale = self.log.snapshot_behind()?;
        let mut retry_at: Option<Instant> = None;
        loop {
            if self.shutdown.is_cancelled() {
                break;
            }
            let now = Instant::now();
            let retry_ok = retry_at.is_none_or(|at| at <= now);
            if retry_ok && next_reconcile.is_some_and(|at| at <= now) {
                if self.reconcile(&[]).await? {
                    next_reconcile = self.config.reconcile_every.map(|every| now + every);
                    last_snapshot = Instant::now();
                    snapshot_stale = false;
                    retry_at = None;
                } else {
                    retry_at = Some(Instant::now() + self.config.retry_after_failure);
                }
                continue;
            }
            let log = self.log.clone();
            let pending = tokio::task::spawn_blocking(move || log.pending())
                .await
                .map_err(|_| ServeError::Task("store"))??;
            self.gauges.set_pending(pending.len() as u64);
            let plan = planner.plan(&pending, Utc::now());
            let batch = plan.batch;
            if !batch.events.is_empty() && retry_ok {
                let snapshot_due = last_snapshot.elapsed() >= self.config.snapshot_interval;
                match self.refresh(&batch, snapshot_due).await? {
                    Some(published_snapshot) => {
                        retry_at = None;
                        if published_snapshot {
                            last_snapshot = Instant::now();
                            snapshot_stale = false;
                        } else {
                            snapshot_stale |= !batch.is_empty();
                        }
                    }
                    None => retry_at = Some(Instant::now() + self.config.retry_after_failure),
                }
                continue;
            }
            if retry_ok
                && snapshot_stale
                && last_snapshot.elapsed() >= self.config.snapshot_interval
            {
                if self
                    .execute(RunKind::Snapshot, Scope::Partial(PartialScope::default()))
                    .await?
                    .is_some()
                {
                    last_snapshot = Instant::now();
                    snapshot_stale = false;
                } else {
                    retry_at = Some(Instant::now() + self.config.retry_after_failure);
                }
                continue;
            }
            // Nothing to do now: wait for the earliest of what may be due.
            let mut wake: Vec<Instant> = Vec::new();
            if let Some(at) = plan.next_due {
                let wait = (at - Utc::now()).to_std().unwrap_or_default();
                wake.push(Instant::now() + wait);
            }
            wake.extend(next_reconcile);
            wake.extend(retry_at);
            if snapshot_stale {
                wake.push(last_snapshot + self.config.snapshot_interval);
            }
            let until = wake
                .into_iter()
                .min()
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                _ = self.shutdown.cancelled() => break,
                _ = arrivals.notified() => {}
                _ = tokio::time::sleep_until(until.into()) => {}
            }
        }
        let log = self.log.clone();
        let before = Utc::now() - chrono::Duration::from_std(KEEP_SETTLED).unwrap_or_default();
        let _ = tokio::task::spawn_blocking(move || log.prune_settled(before)).await;
        Ok(self.report.clone())
    }

    /// Refreshes one batch. `Some(snapshot published)` once it is settled,
    /// `None` when the run failed or was stopped (its events stay pending).
    async fn refresh(
        &mut self,
        batch: &RefreshBatch,
        snapshot_due: bool,
    ) -> Result<Option<bool>, ServeError> {
        let ignored = batch.ignored_total();
        if batch.is_empty() {
            self.settle(batch.events.iter(), IGNORED)?;
            self.gauges.add_ignored(ignored);
            return Ok(Some(false));
        }
        let needs_complete = !batch.databases_to_read.is_empty()
            || !batch.databases_deleted.is_empty()
            || !batch.data_sources_deleted.is_empty();
        if needs_complete {
            // Deletions of containers are found by absence.
            let events: Vec<String> = batch.events.iter().cloned().collect();
            return Ok(self.reconcile(&events).await?.then_some(true));
        }
        let mut pages: Vec<String> = batch.pages_to_read.iter().cloned().collect();
        pages.extend(batch.pages_to_delete.iter().cloned());
        pages.sort();
        pages.dedup();
        let scope = PartialScope {
            pages,
            data_sources: batch.data_sources_to_query.iter().cloned().collect(),
        };
        let kind = RunKind::Refresh;
        let options_snapshot = snapshot_due;
        let Some(report) = self
            .execute_with(kind, Scope::Partial(scope), options_snapshot)
            .await?
        else {
            return Ok(None);
        };
        self.settle(batch.events.iter(), &report.run_id)?;
        self.gauges.add_ignored(ignored);
        Ok(Some(
            report.export.as_ref().is_some_and(|e| e.snapshot_published),
        ))
    }

    /// A complete incremental run; `events` are settled by it. Whether it published.
    async fn reconcile(&mut self, events: &[String]) -> Result<bool, ServeError> {
        let Some(report) = self.execute(RunKind::Reconcile, Scope::Complete).await? else {
            return Ok(false);
        };
        self.settle(events.iter(), &report.run_id)?;
        Ok(true)
    }

    async fn execute(
        &mut self,
        kind: RunKind,
        scope: Scope,
    ) -> Result<Option<RunReport>, ServeError> {
        let snapshot = kind != RunKind::Refresh;
        self.execute_with(kind, scope, snapshot).await
    }

    /// Runs the engine once. `None` when the run failed or was stopped;
    /// an error only when serving cannot go on (Notion refused the token).
    async fn execute_with(
        &mut self,
        kind: RunKind,
        scope: Scope,
        publish_snapshot: bool,
    ) -> Result<Option<RunReport>, ServeError> {
        let before = self.client.stats().total.requests;
        let options = RunOptions {
            scope,
            publish_snapshot,
            cancel: self.shutdown.child_token(),
            ..RunOptions::default()
        };
        let result =
            crate::run::run_locked(self.client.clone(), self.config.engine.clone(), options).await;
        let requests = self.client.stats().total.requests - before;
        match result {
            Ok(report) if report.export.is_some() => {
                self.gauges.add_refresh(requests);
                self.gauges.set_last_publish(std::time::SystemTime::now());
                match kind {
                    RunKind::Reconcile => self.report.reconciles += 1,
                    RunKind::Refresh => self.report.refreshes += 1,
                    RunKind::Snapshot => {}
                }
                tracing::info!(
                    run_id = %report.run_id,
                    ?kind,
                    requests,
                    upserts = report.export.as_ref().map_or(0, |e| e.upserts),
                    deletes = report.export.as_ref().map_or(0, |e| e.deletes),
                    "published a change set"
                );
                Ok(Some(report))
            }
            Ok(report) => {
                tracing::info!(run_id = %report.run_id, ?kind, "the run was stopped; its events stay pending");
                self.report.failed_runs += 1;
                Ok(None)
            }
            Err(error @ EngineError::Crawl(CrawlError::Unauthorized(_))) => {
                Err(ServeError::Unauthorized(error))
            }
            Err(error) => {
                tracing::warn!(?kind, %error, "a refresh failed; its events stay pending and are retried");
                self.report.failed_runs += 1;
                Ok(None)
            }
        }
    }

    fn settle<'a>(
        &mut self,
        ids: impl IntoIterator<Item = &'a String>,
        run_id: &str,
    ) -> Result<(), ServeError> {
        let n = self.log.settle(ids, run_id)?;
        self.report.events_settled += n;
        self.gauges.set_pending(self.log.pending_count()?);
        Ok(())
    }
}
