//! One run, start to end: lock the output, open the store, crawl what the
//! scope asks for into the store, detect deletions, build what changed,
//! export the change set and the snapshot.
//!
//! ```text
//! crawler (async) ─[CRAWL_BOUND]─▶ crawl stage (store raw content)
//!   then: deletions (complete runs) ─▶ build stage (render, chunk) ─▶ export (change set, snapshot)
//! ```

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures::StreamExt;
use notion_source::NotionClient;
use notion_source::crawler::{
    CrawlConfig, CrawlError, CrawlProgress, CrawlReport, Crawler, FetchStrategy, ListingMode,
};
use serde::Serialize;
use sink::{LocalDir, Publisher, ShardSettings, SinkConfig};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::bounds::SharedBounds;
use crate::build::{self, BuildReport};
use crate::crawl::{self, CRAWL_BOUND, CrawlStored, StageCounters};
use crate::export::{self, ExportError, ExportReport, PUBLISHED_SNAPSHOT};
use crate::lease::LeaseKeeper;
use crate::lock::{LockError, OutputLock};
use crate::planner::StatePlanner;
use crate::records;
use crate::removal::{self, RemovalReport, ScopeRules};
use crate::settings::ValidSettings;
use crate::store::{
    DeleteReason, RunInfo, RunScope, RunStart, RunStatus, STATE_FILE, Store, StoreError,
};

/// Bumped when the Markdown rendering changes, so the next run rebuilds
/// every page from the store.
pub const RENDERER_VERSION: u32 = 2;

/// Decoded bytes per Parquet row group of the export. A writer holds its
/// open row group, encoded, until the row group is full; with the sink's
/// default (64 MiB) a 10,000-page export peaked ~40 MB higher than a
/// 1,000-page one (`pipeline_memory` benchmark). 8 MiB keeps the export's
/// memory flat, and row groups still large enough for readers.
const EXPORT_ROW_GROUP_BYTES: usize = 8 << 20;

/// Everything a run needs besides the client and what it covers.
#[derive(Clone)]
pub struct EngineConfig {
    /// Where the state store and the lock live (the output directory for a
    /// local output).
    pub state_dir: PathBuf,
    /// Where output is published.
    pub publisher: Arc<dyn Publisher>,
    /// What to crawl (roots, exclusions, concurrency, data source filters).
    pub crawl: CrawlConfig,
    /// How to chunk.
    pub chunk: chunker::ChunkConfig,
    /// Target size of a Parquet shard, in bytes.
    pub shard_bytes: u64,
    /// Test hook: a delay per page in the crawl stage (a slow store).
    pub store_delay: Option<Duration>,
}

impl std::fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineConfig")
            .field("state_dir", &self.state_dir)
            .field("publisher", &self.publisher.location())
            .field("chunk", &self.chunk)
            .finish_non_exhaustive()
    }
}

impl EngineConfig {
    /// The defaults, writing into the local directory `out_dir`.
    pub fn local(out_dir: impl Into<PathBuf>) -> EngineConfig {
        let out_dir = out_dir.into();
        EngineConfig {
            publisher: Arc::new(LocalDir::new(&out_dir, 2)),
            state_dir: out_dir,
            crawl: CrawlConfig::default(),
            chunk: crate::Settings::default()
                .validate()
                .map(|v| v.chunk)
                .unwrap_or_default(),
            shard_bytes: 128 << 20,
            store_delay: None,
        }
    }

    /// The configuration validated settings describe, writing into their
    /// local output directory.
    pub fn from_settings(settings: &ValidSettings) -> EngineConfig {
        EngineConfig {
            publisher: Arc::new(LocalDir::new(&settings.out_dir, settings.keep_snapshots)),
            state_dir: settings.out_dir.clone(),
            crawl: settings.crawl.clone(),
            chunk: settings.chunk.clone(),
            shard_bytes: settings.shard_bytes,
            store_delay: None,
        }
    }

    /// The configuration validated settings describe, publishing where they
    /// say: a local directory, or object storage (`s3://`, `gs://`, `az://`,
    /// with the `object-store` feature) with the state store in
    /// `settings.out_dir`.
    pub fn for_settings(settings: &ValidSettings) -> Result<EngineConfig, EngineError> {
        let mut config = EngineConfig::from_settings(settings);
        match &settings.target {
            crate::settings::OutputTarget::Local(dir) => {
                config.publisher = Arc::new(LocalDir::new(dir, settings.keep_snapshots));
            }
            #[cfg(feature = "object-store")]
            crate::settings::OutputTarget::Object(url) => {
                config.publisher = Arc::new(
                    sink::ObjectOutput::open(
                        url,
                        settings.out_dir.join("staging"),
                        settings.keep_snapshots,
                    )?
                    .with_lease_ttl(settings.lease_ttl),
                );
            }
            #[cfg(not(feature = "object-store"))]
            crate::settings::OutputTarget::Object(url) => {
                return Err(sink::SinkError::InvalidConfig(format!(
                    "{url}: this build has no object storage (build with the `object-store` feature)"
                ))
                .into());
            }
        }
        Ok(config)
    }

    /// What raw content depends on: a change reads every page again.
    fn fetch_fingerprint(&self, client: &NotionClient) -> String {
        // Anchors change only what the markdown strategy reads.
        let fetch = match self.crawl.fetch.strategy() {
            FetchStrategy::Blocks => "blocks".to_string(),
            FetchStrategy::Markdown => format!("markdown;anchors={}", self.crawl.anchors),
        };
        format!(
            "fetch={fetch};relations={};version={}",
            self.crawl.complete_truncated_properties,
            client.config().notion_version
        )
    }

    /// What Markdown and chunks depend on: a change rebuilds every page from
    /// the store, without requests.
    fn build_fingerprint(&self) -> String {
        let c = &self.chunk;
        format!(
            "schema={};renderer={RENDERER_VERSION};tokenizer={};max={};overlap={};min={};header={}",
            sink::SCHEMA_VERSION,
            c.tokenizer.name(),
            c.max_tokens,
            c.overlap_tokens,
            c.min_tokens,
            c.contextual_header
        )
    }

    /// The chunker configuration, for the Parquet files' key-value metadata.
    fn sink_config(&self) -> SinkConfig {
        let c = &self.chunk;
        SinkConfig {
            out_dir: self.state_dir.clone(),
            shards: ShardSettings {
                target_bytes: self.shard_bytes,
                row_group_max_bytes: EXPORT_ROW_GROUP_BYTES,
                ..ShardSettings::default()
            },
            metadata: vec![
                ("chunker.tokenizer".into(), c.tokenizer.name().into()),
                ("chunker.max_tokens".into(), c.max_tokens.to_string()),
                (
                    "chunker.overlap_tokens".into(),
                    c.overlap_tokens.to_string(),
                ),
                ("chunker.min_tokens".into(), c.min_tokens.to_string()),
                (
                    "chunker.contextual_header".into(),
                    c.contextual_header.to_string(),
                ),
            ],
            keep_snapshots: 2,
        }
    }
}

/// What a run covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Scope {
    /// Everything shared, or every configured root: pages missing from the
    /// listing are checked and deleted.
    #[default]
    Complete,
    /// Only these pages (their own requests, nothing else: no listing, no
    /// walk into child pages) and the rows of these data sources; nothing
    /// else is read or deleted. What a webhook receiver calls.
    Partial(PartialScope),
}

/// The pages and data sources of a partial run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartialScope {
    /// Page ids to read again (a 404 or a trashed page becomes deletes).
    pub pages: Vec<String>,
    /// Data source ids whose rows are listed (changed rows are read).
    pub data_sources: Vec<String>,
}

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// What to cover.
    pub scope: Scope,
    /// Read every page again, changed or not.
    pub full: bool,
    /// Publish the snapshot (a change set is always published).
    pub publish_snapshot: bool,
    /// Stops the run: pages read are stored, nothing is published.
    pub cancel: CancellationToken,
    /// Live counters.
    pub watch: Watch,
    /// Bounds shared with other runs in this process (many workspaces):
    /// pages in memory, exports at once. `None`: this run's pipeline alone
    /// bounds it.
    pub bounds: Option<SharedBounds>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            scope: Scope::Complete,
            full: false,
            publish_snapshot: true,
            cancel: CancellationToken::new(),
            watch: Watch::default(),
            bounds: None,
        }
    }
}

/// Handles for watching a running engine.
#[derive(Clone, Default, Debug)]
pub struct Watch {
    /// The crawler's counters.
    pub crawl: Arc<CrawlProgress>,
    /// The later stages' counters.
    pub stages: Arc<StageCounters>,
}

/// What a run did.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// The run (new or resumed).
    pub run_id: String,
    /// Whether this continued an unfinished run.
    pub resumed: bool,
    /// Complete or partial.
    pub scope: &'static str,
    /// What the crawler did.
    pub crawl: CrawlReport,
    /// What the crawl stage stored.
    pub stored: CrawlStored,
    /// What deletion detection found.
    pub removed: RemovalReport,
    /// Partial runs: requested pages Notion no longer has (404, trashed).
    pub partial_gone: u64,
    /// What the build stage built.
    pub build: BuildReport,
    /// Pages built because of new settings or a new renderer, from the store.
    pub rebuilt_from_store: u64,
    /// What the export wrote (none when interrupted).
    pub export: Option<ExportReport>,
    /// State store errors met while planning (each logged; the page was read).
    pub store_errors: u64,
    /// Compressed raw content held by the store: bytes and pages.
    pub raw_store: (u64, u64),
    /// Highest count of pages read but not yet stored.
    pub max_unstored_pages: u64,
    /// Wall time.
    pub seconds: f64,
}

/// Why a run failed as a whole.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Another run holds the output.
    #[error(transparent)]
    Busy(#[from] LockError),
    /// The crawl stopped (Notion refused the token, …).
    #[error(transparent)]
    Crawl(#[from] CrawlError),
    /// The state store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing or publishing the output failed.
    #[error(transparent)]
    Export(#[from] ExportError),
    /// Publishing failed.
    #[error(transparent)]
    Sink(#[from] sink::SinkError),
    /// The chunk settings are unusable.
    #[error("invalid chunk settings: {0}")]
    Chunk(#[from] chunker::ChunkError),
    /// A stage's thread died.
    #[error("the {0} stage stopped unexpectedly")]
    Stage(&'static str),
}

/// Runs once: see the module documentation.
pub async fn run(
    client: NotionClient,
    config: EngineConfig,
    options: RunOptions,
) -> Result<RunReport, EngineError> {
    let _lock = OutputLock::acquire(&config.state_dir)?;
    run_locked(client, config, options).await
}

/// [`run`] for a caller that already holds the output's lock (`serve`,
/// which holds it for as long as it runs).
pub(crate) async fn run_locked(
    client: NotionClient,
    config: EngineConfig,
    options: RunOptions,
) -> Result<RunReport, EngineError> {
    let started = Instant::now();
    let chunker = chunker::Chunker::new(config.chunk.clone())?;
    let publisher = config.publisher.clone();
    let Some(remote) = publisher.remote_state() else {
        return execute(client, config, options, chunker, started).await;
    };
    // A remote output: first its lease, so no other worker runs on it
    // (renewed in the background; lost, it stops this run unpublished).
    let lease = LeaseKeeper::acquire(publisher.clone(), options.cancel.clone())?;
    let result = run_remote(client, config, options, chunker, started, remote).await;
    match lease.release().await {
        Some(lost) => Err(lost.into()),
        None => result,
    }
}

/// [`run`] on a remote output once its lease is held: the state store lives
/// next to the output. Download it, run, and upload it however the run
/// ended, so the next worker continues.
async fn run_remote(
    client: NotionClient,
    config: EngineConfig,
    options: RunOptions,
    chunker: chunker::Chunker,
    started: Instant,
    remote: &dyn sink::RemoteState,
) -> Result<RunReport, EngineError> {
    remote.download_state(&config.state_dir.join(STATE_FILE))?;
    let state_dir = config.state_dir.clone();
    let result = execute(client, config, options, chunker, started).await;
    let uploaded = Store::open(&state_dir).map(|store| upload_state(&store, &state_dir, remote));
    match (result, uploaded) {
        (Ok(report), Ok(Ok(()))) => Ok(report),
        (Ok(_), Ok(Err(error))) => Err(error),
        (Ok(_), Err(error)) => Err(error.into()),
        (Err(error), uploaded) => {
            if let Ok(Err(e)) | Err(e) = uploaded.map_err(EngineError::from) {
                tracing::warn!(error = %e, "cannot upload the state store after a failed run");
            }
            Err(error)
        }
    }
}

/// Uploads a consistent copy of `store` through `remote` (a checkpoint, or
/// the end of a run).
fn upload_state(
    store: &Store,
    state_dir: &std::path::Path,
    remote: &dyn sink::RemoteState,
) -> Result<(), EngineError> {
    let copy = state_dir.join("state.upload.sqlite");
    let _ = std::fs::remove_file(&copy);
    store.copy_to(&copy)?;
    let uploaded = remote.upload_state(&copy);
    let _ = std::fs::remove_file(&copy);
    Ok(uploaded?)
}

/// [`run`] once the output is locked (and a remote state store downloaded).
async fn execute(
    client: NotionClient,
    config: EngineConfig,
    options: RunOptions,
    chunker: chunker::Chunker,
    started: Instant,
) -> Result<RunReport, EngineError> {
    let publisher = config.publisher.clone();
    let mut store = Store::open(&config.state_dir)?;
    publisher.clean()?;
    let scope = match &options.scope {
        Scope::Complete => RunScope::Complete,
        Scope::Partial(_) => RunScope::Partial,
    };
    let start = RunStart {
        scope,
        full: options.full,
        fetch_fingerprint: config.fetch_fingerprint(&client),
        build_fingerprint: config.build_fingerprint(),
    };
    let mut run = store.begin_run(&start)?;
    if run.resumed && finish_published(&mut store, &run, publisher.as_ref())? {
        run = store.begin_run(&start)?;
    }
    if run.resumed {
        tracing::info!(run_id = %run.run_id, "resuming a run that did not finish");
    }

    // Partial runs: the requested pages' metadata, 404s as deletes.
    let mut crawl_config = config.crawl.clone();
    let mut partial_gone = 0;
    match &options.scope {
        Scope::Complete => {
            if run.previous.is_some() && !run.full {
                crawl_config.listing = ListingMode::SearchOnly;
            }
        }
        Scope::Partial(partial) => {
            crawl_config.listing = ListingMode::RootsOnly;
            crawl_config.follow_children = false;
            crawl_config.roots = partial
                .data_sources
                .iter()
                .map(|id| notion_source::crawler::Root::DataSource(id.clone()))
                .collect();
            for page_id in &partial.pages {
                match client.retrieve_page(page_id, &[]).await {
                    Ok(page) => crawl_config.seed_pages.push(page),
                    Err(error) if error.is_not_found() => {
                        store.tombstone(&run, page_id, DeleteReason::NotFound)?;
                        partial_gone += 1;
                    }
                    Err(error) => {
                        tracing::warn!(%page_id, %error, "cannot read a page to refresh; it stays as it was");
                        if error.status() == Some(401) {
                            let info = notion_source::crawler::ErrorInfo::from(&error);
                            store.end_run(
                                &run.run_id,
                                RunStatus::Failed,
                                &serde_json::json!({"error": info.to_string()}),
                            )?;
                            return Err(CrawlError::Unauthorized(info).into());
                        }
                    }
                }
            }
        }
    }
    let planner = Arc::new(StatePlanner::new(Store::open(&config.state_dir)?, &run));
    crawl_config.planner = Some(planner.clone());
    let page_budget = options.bounds.as_ref().map(|b| b.pages.clone());
    crawl_config.page_budget = page_budget.clone();
    let rules = ScopeRules::of(&crawl_config.roots, &crawl_config.exclude);

    // Crawl into the store.
    let watch = options.watch.clone();
    let crawler = Crawler::new(client.clone(), crawl_config).with_progress(watch.crawl.clone());
    let (crawled_tx, crawled_rx) = mpsc::channel(CRAWL_BOUND);
    let crawl_task = tokio::spawn(crawler.run(crawled_tx, options.cancel.clone()));
    let users = match scope {
        RunScope::Complete => Some(user_names(&client).await),
        RunScope::Partial => None,
    };
    let store_run = run.clone();
    let counters = watch.stages.clone();
    let progress = watch.crawl.clone();
    let delay = config.store_delay;
    let fetch = config.crawl.fetch.strategy();
    let stored = tokio::task::spawn_blocking(move || {
        let result = crawl::store_pages(
            &mut store, &store_run, fetch, crawled_rx, &counters, &progress, delay,
        );
        (store, result)
    });
    let crawl_result = crawl_task.await.map_err(|_| EngineError::Stage("crawl"))?;
    let (mut store, stored) = stored.await.map_err(|_| EngineError::Stage("store"))?;
    let stored = stored?;
    if let Some(Some(users)) = users {
        store.set_users(&users)?;
    }
    if let Some(remote) = publisher.remote_state() {
        // A checkpoint: what the crawl read survives the loss of this machine.
        let checkpoint = upload_state(&store, &config.state_dir, remote);
        if let Err(error) = checkpoint {
            store.end_run(
                &run.run_id,
                RunStatus::Failed,
                &serde_json::json!({"error": error.to_string()}),
            )?;
            return Err(error);
        }
    }
    let store_errors = planner.store_errors.load(Ordering::Relaxed);

    let crawl = match crawl_result {
        Ok(report) => report,
        Err(error) => {
            // What was read is stored; a run stopped by Notion (a 401, a
            // Retry-After past the cap) is resumed by the next start.
            let status = match error {
                CrawlError::RateLimitedTooLong { .. } => RunStatus::Interrupted,
                _ => RunStatus::Failed,
            };
            store.end_run(
                &run.run_id,
                status,
                &serde_json::json!({"error": error.to_string()}),
            )?;
            return Err(error.into());
        }
    };
    let mut report = RunReport {
        run_id: run.run_id.clone(),
        resumed: run.resumed,
        scope: scope.as_str(),
        crawl,
        stored,
        removed: RemovalReport::default(),
        partial_gone,
        build: BuildReport::default(),
        rebuilt_from_store: 0,
        export: None,
        store_errors,
        raw_store: (0, 0),
        max_unstored_pages: 0,
        seconds: 0.0,
    };
    if let Some(at) = report.crawl.server_time_first {
        store.set_notion_start(&run.run_id, at)?;
    }
    let interrupted = |store: &mut Store, report: RunReport| -> Result<RunReport, EngineError> {
        store.end_run(
            &report.run_id,
            RunStatus::Interrupted,
            &serde_json::json!({}),
        )?;
        Ok(finish(report, &watch, started))
    };
    if report.crawl.cancelled {
        return interrupted(&mut store, report);
    }

    // Deletions by absence.
    if scope == RunScope::Complete {
        if report.crawl.listing_complete {
            report.removed = removal::remove_unseen(&client, &mut store, &run, &rules).await?;
        } else {
            tracing::warn!("the listing did not complete; deletions are not detected in this run");
        }
    }

    // Build what changed, from the store.
    let to_build = store.pages_to_build(&run.build_fingerprint)?;
    report.rebuilt_from_store = to_build
        .len()
        .saturating_sub(report.stored.pages_changed as usize)
        as u64;
    let build_run = run.clone();
    let dir = config.state_dir.clone();
    let counters = watch.stages.clone();
    let cancel = options.cancel.clone();
    let (mut store, built) = tokio::task::spawn_blocking(move || {
        let result = build::build(
            &dir,
            &mut store,
            &build_run,
            to_build,
            &chunker,
            &counters,
            page_budget.as_ref(),
            &cancel,
        );
        (store, result)
    })
    .await
    .map_err(|_| EngineError::Stage("build"))?;
    report.build = built?;
    if options.cancel.is_cancelled() {
        return interrupted(&mut store, report);
    }

    // Publish (in turn with other runs of this process).
    let export_turn = match &options.bounds {
        Some(bounds) => match bounds.export_turn(&options.cancel).await {
            Some(turn) => Some(turn),
            None => return interrupted(&mut store, report),
        },
        None => None,
    };
    let summary = serde_json::json!({
        "crawl": &report.crawl,
        "stored": &report.stored,
        "removed": &report.removed,
        "build": &report.build,
    });
    let sink_config = config.sink_config();
    let export_run = run.clone();
    let publish_snapshot = options.publish_snapshot;
    let (mut store, exported) = tokio::task::spawn_blocking(move || {
        let result = export::export(
            &mut store,
            &export_run,
            publisher.as_ref(),
            &sink_config,
            summary,
            publish_snapshot,
        );
        drop(export_turn);
        (store, result)
    })
    .await
    .map_err(|_| EngineError::Stage("export"))?;
    let exported = match exported {
        Ok(exported) => exported,
        Err(error) => {
            store.end_run(
                &run.run_id,
                RunStatus::Failed,
                &serde_json::json!({"error": error.to_string()}),
            )?;
            return Err(error.into());
        }
    };
    report.export = Some(exported);
    report.raw_store = store.raw_bytes()?;
    let report = finish(report, &watch, started);
    store.end_run(
        &run.run_id,
        RunStatus::Completed,
        &serde_json::to_value(&report).unwrap_or_default(),
    )?;
    Ok(report)
}

fn finish(mut report: RunReport, watch: &Watch, started: Instant) -> RunReport {
    report.max_unstored_pages = watch.stages.max_unstored.load(Ordering::Relaxed);
    report.seconds = started.elapsed().as_secs_f64();
    report
}

/// A resumed run whose change set was already published (a kill between
/// publishing it and noting it): what it published is noted, and the run
/// ends, so its change set is never written twice. Returns whether it ended.
fn finish_published(
    store: &mut Store,
    run: &RunInfo,
    publisher: &dyn Publisher,
) -> Result<bool, EngineError> {
    if publisher.change_set(&run.run_id)?.is_none() {
        return Ok(false);
    }
    store.mark_published()?;
    if let Ok(Some(current)) = publisher.current()
        && current.run_id == run.run_id
    {
        store.set_meta(PUBLISHED_SNAPSHOT, &run.run_id)?;
    }
    store.end_run(
        &run.run_id,
        RunStatus::Completed,
        &serde_json::json!({"note": "its change set was published before the process stopped"}),
    )?;
    Ok(true)
}

/// The workspace's user names by id, so people and mentions read as names
/// (one request per 100 users). An integration without user capability
/// gets 403: the names stored earlier stay, and the run goes on.
async fn user_names(client: &NotionClient) -> Option<HashMap<String, String>> {
    let mut names = HashMap::new();
    let mut users = std::pin::pin!(client.list_users_all());
    while let Some(user) = users.next().await {
        match user {
            Ok(user) => {
                if let Some(name) = user.name {
                    names.insert(user.id, name);
                }
            }
            Err(error) => {
                tracing::warn!(
                    code = error.code().unwrap_or("error"),
                    "cannot list users; people will show as Notion names them"
                );
                return None;
            }
        }
    }
    Some(names)
}

/// Keeps the records module's page URL in the public API.
pub fn page_url(page: &notion_source::model::Page) -> String {
    records::page_url(page)
}
