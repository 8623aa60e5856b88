//! The notion-ingest engine: turns a Notion workspace into token-aware
//! chunks in Parquet, incrementally, resumably, and as a pure function of the
//! workspace's content and the settings.
//!
//! ```text
//! crawler ─▶ crawl stage ─▶ state store (raw content, titles, records) ─▶ build stage ─▶ export ─▶ Publisher
//! (notion-source)            (store)                                      (notion-markdown, chunker)  (sink)
//! ```
//!
//! - [`run`] runs once over a [`Scope`]: everything shared (deletions found
//!   by absence) or a given list of pages and data sources (a webhook's
//!   refresh, at exactly those pages' requests).
//! - [`Server`] is `serve`: a webhook receiver whose events become partial
//!   runs (and a complete incremental run now and then), holding the
//!   output's lock while it runs.
//! - [`Settings`] is the configuration (TOML-shaped, one set of defaults),
//!   checked completely by [`Settings::validate`] before any request.
//! - [`store::Store`] is the typed state store; [`sink::Publisher`] is where
//!   output goes (a local directory here; object storage elsewhere).
//!
//! ```no_run
//! # async fn demo(client: notion_source::NotionClient) -> Result<(), engine::EngineError> {
//! let config = engine::EngineConfig::local("notion-ingest-out");
//! let report = engine::run(client, config, engine::RunOptions::default()).await?;
//! println!("{} chunks published", report.export.map_or(0, |e| e.snapshot_chunks));
//! # Ok(()) }
//! ```

mod bounds;
mod build;
mod crawl;
mod export;
mod lease;
mod lock;
#[cfg(test)]
mod order_tests;
mod planner;
mod raw;
mod records;
mod removal;
mod run;
mod serve;
pub mod settings;
pub mod store;

pub use bounds::SharedBounds;
pub use build::{BUILD_BOUND, BuildReport};
pub use crawl::{CRAWL_BOUND, CrawlStored, StageCounters};
pub use export::{ExportError, ExportReport};
pub use lock::{LOCK_FILE, LockError, OutputLock};
pub use planner::SAFETY_WINDOW;
pub use removal::RemovalReport;
pub use run::{
    EngineConfig, EngineError, PartialScope, RENDERER_VERSION, RunOptions, RunReport, Scope, Watch,
    page_url, run,
};
pub use serve::{ServeConfig, ServeError, ServeReport, Server, TOKEN_FILE};
pub use settings::{Settings, SettingsError, ValidSettings};
