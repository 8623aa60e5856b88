//! A mock Notion API server over real HTTP, and the workspaces it serves.
//!
//! The server speaks Notion's read API (paths under `/v1/`, version
//! 2025-09-03 shapes): search, pages and page property items, pages as
//! Notion-flavoured Markdown (v1 and v2, see `markdown`), blocks and block
//! children, databases, data sources and their queries, users. It
//! answers like Notion: the same list envelopes and error objects, a
//! `request_id` in every body and in `x-notion-request-id`, opaque cursors,
//! 404 `object_not_found` for anything not shared, 400 `validation_error`
//! for bad ids, page sizes, cursors and filters, and 429 `rate_limited` with
//! `Retry-After` from a token bucket or a per-window budget. It can add
//! log-normal latency and inject seeded 500/502/503 answers and dropped
//! connections, and counts everything it sees ([`Stats`], also served as JSON
//! at `GET /__mock/stats`). Its clock may run ahead or behind
//! ([`MockConfig::clock_offset`]: every answer's `Date` and the edit times
//! come from it), and [`HostileRule`]s make it misbehave on purpose (canned
//! answers, bodies cut short) for hostile-server tests.
//!
//! It is an independent oracle for the crawler: it works on Notion JSON and
//! shares no code with `notion-source`. A [`Workspace`] comes from a dataset
//! file (`datasets/README.md` describes the format), the bundled
//! [`Workspace::kitchen_sink`], or the seeded generator
//! [`Workspace::synthetic`]. [`Workspace::min_requests`] says how many
//! requests a complete crawl needs at least (see [`MinRequests`] for the
//! terms; [`Workspace::min_requests_markdown`] for a crawl through the
//! markdown endpoint), and [`Workspace::page_tree_json`] what the crawler should produce
//! for each page. The edit methods of [`Workspace`] (and
//! [`MockServer::edit`] on a running server) change a block, add a page,
//! trash, archive, unshare or delete one, with `last_edited_time` moving as
//! in Notion: to the current minute, on the edited block and its page.
//! [`MockServer::start_webhooks`] makes a running server send the signed
//! webhook events Notion would send for those edits (see [`WebhookConfig`]).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use notion_mock::{MockConfig, MockServer, Workspace};
//!
//! let ws = Workspace::kitchen_sink();
//! let min = ws.min_requests();
//! let server = MockServer::start(ws, MockConfig::unlimited()).await?;
//! // ... crawl `server.url()` with token "secret_mock_token" ...
//! assert!(server.stats().total >= min.total);
//! server.stop().await;
//! # Ok(()) }
//! ```

mod config;
mod crawl;
mod create;
mod dataset;
mod edit;
mod files;
mod ids;
mod markdown;
mod server;
mod synthetic;
mod webhooks;
mod workspace;
mod write_validation;

pub use config::{Faults, Latency, MockConfig, RateLimit};
pub use crawl::MinRequests;
pub use create::COMPUTED_PROPERTY_TYPES;
pub use dataset::DatasetError;
pub use dataset::blocks::{BLOCK_TYPES, MEDIA_BLOCK_TYPES, TEXT_BLOCK_TYPES};
pub use edit::EditError;
pub use markdown::MarkdownMinRequests;
pub use server::{HostileAnswer, HostileRule, MockServer, RequestEvent, Stats};
pub use synthetic::SyntheticConfig;
pub use webhooks::{Delivery, WebhookConfig, WebhookError, WebhookSender};
pub use workspace::Workspace;
