//! The page-as-Markdown endpoint's answers (`GET /v1/pages/{id}/markdown`):
//! a page's blocks, or one block's subtree, written as Notion-flavoured
//! Markdown (v2, or v1 for older API versions), from the workspace's JSON.
//!
//! Like Notion, an answer stops after a number of blocks (Notion: about
//! 20,000 records; [`crate::MockConfig::markdown_block_limit`]): every block
//! past the limit is an `<unknown url alt/>` placeholder listed in
//! `unknown_block_ids`, and asking for that id returns its subtree. Child
//! pages and databases the integration cannot see, and the block types the
//! endpoint cannot write (bookmark, embed, link preview, link to page,
//! breadcrumb, template, unsupported, and types it does not know), are
//! placeholders too: asking for an unshared one again answers 404, and an
//! unwritable type comes back as the same placeholder (read it with the
//! block API). Notion-hosted file URLs are signed afresh in every answer.
//!
//! This writer is the mock's own, written from Notion's description of the
//! format; it shares no code with the converter it tests.

mod blocks;
mod cost;
mod inline;

pub use cost::MarkdownMinRequests;

use serde_json::{Value, json};

use crate::workspace::{Node, Workspace};

/// A version of Notion-flavoured Markdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Syntax {
    /// "Enhanced Markdown", the default before API version 2026-12-01.
    V1,
    /// Notion-flavoured Markdown, the default from 2026-12-01.
    V2,
}

/// Why a block was written as a placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// Past the answer's block limit: asking for it returns its subtree.
    Truncated,
    /// A child page or database the integration cannot see: asking answers 404.
    Unshared,
    /// A type the endpoint cannot write: read it with the block API.
    Unsupported,
}

/// A block written as `<unknown>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placeholder {
    pub(crate) id: String,
    pub(crate) type_name: String,
    pub(crate) reason: Reason,
}

/// One answer of the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    /// The id asked for.
    pub(crate) id: String,
    pub(crate) markdown: String,
    /// Set when blocks were cut by the limit or not shared.
    pub(crate) truncated: bool,
    /// Every placeholder, in document order.
    pub(crate) placeholders: Vec<Placeholder>,
}

impl Answer {
    /// The answer as Notion's JSON (`object: page_markdown`).
    pub(crate) fn to_json(&self) -> Value {
        let ids: Vec<&str> = self.placeholders.iter().map(|p| p.id.as_str()).collect();
        json!({
            "object": "page_markdown", "id": self.id, "markdown": self.markdown,
            "truncated": self.truncated, "unknown_block_ids": ids,
        })
    }
}

/// The answer for a page id (its blocks) or a block id (the block and its
/// subtree); `None` when neither is there for the integration.
pub(crate) fn answer(
    ws: &Workspace,
    id: &str,
    syntax: Syntax,
    block_limit: usize,
) -> Option<Answer> {
    let (page, ids) = match ws.shared_page(id) {
        Some(page) => (id.to_string(), ws.top_level_ids(page)),
        None => match ws.node(id).filter(|n| ws.node_shared(n))? {
            Node::Block(block) => (block.page.clone(), vec![id.to_string()]),
            Node::Page(_) | Node::Database(_) => return None,
        },
    };
    let mut writer = blocks::Writer {
        ws,
        syntax,
        budget: block_limit.max(1),
        page,
        truncated: false,
        placeholders: Vec::new(),
    };
    let markdown = writer.blocks(&ids);
    Some(Answer {
        id: id.to_string(),
        markdown,
        truncated: writer.truncated,
        placeholders: writer.placeholders,
    })
}
