//! notion-source: everything that talks to Notion.
//!
//! - [`model`]: serde types for pages, blocks, rich text, properties, data
//!   sources and the API's envelopes.
//! - [`client`]: the HTTP client: one shared rate limiter, `Retry-After`
//!   pauses, retries with backoff, typed errors, per-endpoint counters,
//!   one-page calls and pagination streams.
//!
//! - [`crawler`]: every page of a workspace, in the fewest requests.
//! - [`secrets`]: scrubbing secrets (the token, and any the caller adds)
//!   from text and log output.

pub mod client;
pub mod crawler;
pub mod hierarchy;
pub mod model;
pub mod secrets;

pub use client::{ClientConfig, ClientError, ClientStats, NotionClient, SecretToken};
pub use model::{Block, BlockKind, Page, PageTree, RichText};
