//! notion-source: everything that talks to Notion.
//!
//! - [`model`]: serde types for pages, blocks, rich text, properties, data
//!   sources and the API's envelopes.
//! - [`client`]: the HTTP client: one shared rate limiter, `Retry-After`
//!   pauses, retries with backoff, typed errors, per-endpoint counters,
//!   one-page calls and pagination streams.
//!
//! The crawler lives beside them in this crate.

pub mod client;
pub mod crawler;
pub mod hierarchy;
pub mod model;

pub use client::{ClientConfig, ClientError, ClientStats, NotionClient, SecretToken};
pub use model::{Block, BlockKind, Page, PageTree, RichText};
