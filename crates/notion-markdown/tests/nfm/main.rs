//! Tests of the Notion-flavoured Markdown converter (`notion_markdown::nfm`):
//! hand-written examples of each construct, property tests on arbitrary
//! input, and the kitchen sink and a synthetic workspace read through the
//! mock's markdown endpoint over HTTP, against the block renderer's output.

mod examples;
mod robustness;
#[path = "../shared/mod.rs"]
mod shared;
mod support;
mod workspaces;
