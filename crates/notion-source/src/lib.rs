//! notion-source: everything that talks to Notion.
//!
//! - [`model`]: serde types for pages, blocks, rich text, properties, data
//!   sources and the API's envelopes.
//!
//! The client (rate limiter, retries, pagination) and the crawler live beside
//! it in this crate.

pub mod model;

pub use model::{Block, BlockKind, Page, PageTree, RichText};
