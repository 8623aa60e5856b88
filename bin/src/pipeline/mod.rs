//! The pipeline: tokio tasks joined by bounded channels.
//!
//! ```text
//! crawler (async, notion-source) ─[CRAWL_BOUND]─▶ render (blocking thread, notion-markdown)
//!   ─[RENDER_BOUND]─▶ chunk (blocking thread, chunker) ─[CHUNK_BOUND]─▶ store (blocking thread, SQLite state)
//! then, once the crawl is over: export (sink: Parquet snapshot + per-run changes)
//! ```
//!
//! Backpressure: when a later stage is slow its input channel fills, the
//! stage before blocks on `send`, and in the end the crawler's page tasks
//! block handing over their trees, so no new page (and no new request)
//! starts. When the rate limiter holds, the later stages simply wait on
//! empty channels. CPU-heavy stages run on blocking threads, never on the
//! async reactor, so they cannot stall the crawler's timers.

mod export;
mod planner;
mod records;
mod stages;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures::StreamExt;
use notion_source::NotionClient;
use notion_source::crawler::{
    CrawlConfig, CrawlError, CrawlProgress, CrawlReport, Crawler, ListingMode,
};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::state::{RunInfo, State};

pub use export::ExportReport;
pub use planner::SAFETY_WINDOW;
pub use stages::StoreReport;

/// Pages that may wait between the crawler and the renderer.
pub const CRAWL_BOUND: usize = 16;
/// Rendered pages that may wait for the chunker.
pub const RENDER_BOUND: usize = 8;
/// Chunked pages that may wait for the store.
pub const CHUNK_BOUND: usize = 8;

/// Everything a pipeline run needs besides the client.
pub struct PipelineConfig {
    /// Output directory.
    pub out_dir: std::path::PathBuf,
    /// What to crawl.
    pub crawl: CrawlConfig,
    /// How to chunk.
    pub chunk: chunker::ChunkConfig,
    /// Re-read every page.
    pub full: bool,
    /// Shard size for the Parquet export.
    pub shard_bytes: u64,
    /// Test hook: a delay per page in the store stage (a slow sink).
    pub store_delay: Option<Duration>,
}

impl PipelineConfig {
    /// The defaults (crawl, chunking, 128 MiB shards, incremental), writing
    /// into `out_dir`.
    pub fn new(out_dir: impl Into<std::path::PathBuf>) -> Self {
        PipelineConfig {
            out_dir: out_dir.into(),
            crawl: CrawlConfig::default(),
            chunk: chunker::ChunkConfig::default(),
            full: false,
            shard_bytes: 128 << 20,
            store_delay: None,
        }
    }
}

/// Live counters of the later stages, for progress and the backpressure test.
#[derive(Debug, Default)]
pub struct StageCounters {
    /// Pages the store has finished with (written, unchanged, failed or skipped).
    pub stored: AtomicU64,
    /// Chunks written.
    pub chunks: AtomicU64,
    /// Tokens in the chunks written.
    pub tokens: AtomicU64,
    /// Highest number of pages read by the crawler but not yet stored.
    pub max_unstored: AtomicU64,
}

impl StageCounters {
    /// Pages stored so far.
    pub fn stored(&self) -> u64 {
        self.stored.load(Ordering::Relaxed)
    }
}

/// What a pipeline run did.
#[derive(Debug, Clone, Serialize)]
pub struct PipelineReport {
    /// The run (new or resumed).
    pub run_id: String,
    /// Whether this continued an unfinished run.
    pub resumed: bool,
    /// What the crawler did.
    pub crawl: CrawlReport,
    /// What the store did.
    pub store: StoreReport,
    /// What the export wrote (none when interrupted).
    pub export: Option<ExportReport>,
    /// Highest count of pages read but not yet stored.
    pub max_unstored_pages: u64,
    /// Wall time.
    pub seconds: f64,
}

/// Why a pipeline run failed as a whole.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// Notion refused the token.
    #[error(transparent)]
    Crawl(#[from] CrawlError),
    /// Anything else (I/O, the state store, the export).
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Handles for watching a running pipeline.
#[derive(Clone, Default)]
pub struct Watch {
    /// The crawler's counters.
    pub crawl: Arc<CrawlProgress>,
    /// The later stages' counters.
    pub stages: Arc<StageCounters>,
}

/// Runs the whole pipeline once: crawl, render, chunk, store; then, unless
/// cancelled, detect deletions and export the snapshot and the run's changes.
pub async fn run(
    client: NotionClient,
    config: PipelineConfig,
    cancel: CancellationToken,
    watch: Watch,
) -> Result<PipelineReport, PipelineError> {
    let started = Instant::now();
    let out_dir = config.out_dir.clone();
    sink::clean_leftovers(&out_dir).context("cannot clean the leftovers of an earlier run")?;
    let mut state = State::open(&out_dir)?;
    let run = state.begin_run(config.full, &fingerprint(&config.chunk))?;
    if run.resumed {
        tracing::info!(run_id = %run.run_id, "resuming a run that did not finish");
    }

    // An incremental run lists with search only and skips unchanged pages.
    let mut crawl_config = config.crawl.clone();
    if run.previous.is_some() && !run.full {
        crawl_config.listing = ListingMode::SearchOnly;
    }
    crawl_config.planner = Some(Arc::new(planner::StatePlanner::new(
        State::open(&out_dir)?,
        &run,
    )));
    let crawler = Crawler::new(client.clone(), crawl_config).with_progress(watch.crawl.clone());
    let crawl_progress = watch.crawl.clone();
    let (crawled_tx, crawled_rx) = mpsc::channel(CRAWL_BOUND);
    let (rendered_tx, rendered_rx) = mpsc::channel(RENDER_BOUND);
    let (chunked_tx, chunked_rx) = mpsc::channel(CHUNK_BOUND);

    let crawl = tokio::spawn(crawler.run(crawled_tx, cancel.clone()));
    let user_names = user_names(&client).await;
    let render =
        tokio::task::spawn_blocking(move || stages::render(crawled_rx, rendered_tx, user_names));
    let chunker =
        chunker::Chunker::new(config.chunk.clone()).context("invalid chunk configuration")?;
    let chunk =
        tokio::task::spawn_blocking(move || stages::chunk(&chunker, rendered_rx, chunked_tx));
    let store_run = run.clone();
    let counters = watch.stages.clone();
    let progress = crawl_progress.clone();
    let delay = config.store_delay;
    let store = tokio::task::spawn_blocking(move || {
        stages::store(state, &store_run, chunked_rx, &counters, &progress, delay)
    });

    let crawl_result = crawl.await.context("the crawler task failed")?;
    render.await.context("the render stage failed")??;
    chunk.await.context("the chunk stage failed")??;
    let (mut state, store) = store.await.context("the store stage failed")??;

    let crawl = match crawl_result {
        Ok(report) => report,
        Err(error) => {
            state.end_run(
                &run.run_id,
                "failed",
                &serde_json::json!({"error": error.to_string()}),
            )?;
            return Err(error.into());
        }
    };
    let export = if crawl.cancelled {
        state.end_run(&run.run_id, "interrupted", &serde_json::json!({}))?;
        None
    } else {
        if crawl.listing_complete {
            export::tombstone_unseen(&client, &mut state, &run).await?;
        } else {
            tracing::warn!("the listing did not complete; deletions are not detected in this run");
        }
        // Pages seen in the trash by the crawl and pages gone from the
        // listing alike.
        let deleted = state.pages_removed(&run.run_id)?;
        let out = out_dir.clone();
        let summary =
            serde_json::json!({"crawl": &crawl, "store": &store, "deleted_pages": deleted});
        let shard_bytes = config.shard_bytes;
        let metadata = chunk_metadata(&config.chunk);
        let export_run = run.clone();
        let (mut state, report) = tokio::task::spawn_blocking(move || {
            let report = export::export(&state, &export_run, &out, shard_bytes, metadata, summary);
            (state, report)
        })
        .await
        .context("the export failed")?;
        let mut report = report?;
        report.deleted_pages = deleted;
        state.end_run(
            &run.run_id,
            "completed",
            &serde_json::to_value(&report).unwrap_or_default(),
        )?;
        Some(report)
    };
    Ok(PipelineReport {
        run_id: run.run_id.clone(),
        resumed: run.resumed,
        crawl,
        store,
        export,
        max_unstored_pages: watch.stages.max_unstored.load(Ordering::Relaxed),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The workspace's user names by id, so people and mentions read as names
/// (one request per 100 users). An integration without user capability
/// gets 403: people then show as ids, and the run goes on.
async fn user_names(client: &NotionClient) -> HashMap<String, String> {
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
                    "cannot list users; people will show as ids"
                );
                break;
            }
        }
    }
    names
}

/// What shapes the chunks: a run with a different fingerprint re-reads every page.
fn fingerprint(chunk: &chunker::ChunkConfig) -> String {
    format!(
        "schema={};renderer={};tokenizer={};max={};overlap={};min={};header={}",
        sink::SCHEMA_VERSION,
        RENDERER_VERSION,
        chunk.tokenizer.name(),
        chunk.max_tokens,
        chunk.overlap_tokens,
        chunk.min_tokens,
        chunk.contextual_header
    )
}

/// Bumped when the Markdown rendering changes, so the next run re-renders.
const RENDERER_VERSION: u32 = 1;

/// The chunker configuration, for the Parquet files' key-value metadata.
fn chunk_metadata(chunk: &chunker::ChunkConfig) -> Vec<(String, String)> {
    vec![
        ("chunker.tokenizer".into(), chunk.tokenizer.name().into()),
        ("chunker.max_tokens".into(), chunk.max_tokens.to_string()),
        (
            "chunker.overlap_tokens".into(),
            chunk.overlap_tokens.to_string(),
        ),
        ("chunker.min_tokens".into(), chunk.min_tokens.to_string()),
        (
            "chunker.contextual_header".into(),
            chunk.contextual_header.to_string(),
        ),
    ]
}

/// Keeps the run info type in scope for submodules.
pub(crate) type Run = RunInfo;
