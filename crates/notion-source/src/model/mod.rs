//! serde types for the read side of the Notion API (version 2025-09-03, and
//! the newer 2026-03-11 shapes).
//!
//! Notion adds types and fields without warning, so every tagged type has an
//! `Unknown` variant that keeps the raw JSON, and unknown fields are ignored:
//! a new block type never fails a page. Pages, blocks and property values
//! parse leniently too: a malformed optional field or value is kept raw
//! (and counted by `malformed_values`), never costing its page.

pub(crate) mod tagged;

mod block;
mod common;
mod list;
mod malformed;
mod markdown;
mod marker;
mod page;
mod property;
mod rich_text;

pub use block::*;
pub use common::*;
pub use list::*;
pub use markdown::*;
pub use marker::Marker;
pub use page::*;
pub use property::*;
pub use rich_text::*;
pub use tagged::UnknownType;
