//! Notion-flavoured Markdown (what `GET /v1/pages/{id}/markdown` answers)
//! to the Markdown [`render_page`](crate::render_page) writes.
//!
//! The Markdown is read into the block tree the block API would have given
//! ([`parse`] → [`Document`]), and that tree is rendered by the block
//! renderer, so both fetch strategies write the same Markdown for the same
//! content. Reading goes in two layers: a line scanner for Notion's block
//! tags, tab-indented children, code fences and `$$` blocks, and
//! pulldown-cmark for the Markdown between them and for inline text (with
//! Notion's inline tags: `<mention>`, `<date />`, `<u>`, `<span>`...).
//! Both versions are read: v2 (`markdown_version=v2`, the default from API
//! version 2026-12-01) and v1 (the "enhanced Markdown" before it).
//!
//! What the Markdown does not say is not made up:
//!
//! - Block ids: only blocks with a `url` (child pages and databases, synced
//!   blocks, placeholders) have one; every other block's id is empty, and
//!   [`Converted::page`] has spans only for blocks with ids.
//! - Placeholders (`<unknown url="…" alt="type"/>`: a truncated subtree,
//!   unshared content, or a type the endpoint cannot write) are listed in
//!   [`Document::placeholders`] with their ids and offsets; fetch each again
//!   ([`Placeholder::refetch`] says how) and [`Document::splice`] in what
//!   comes back. One never fetched is written as the block renderer writes
//!   an unsupported block: a marker, listed in `unsupported`.
//! - Signed file URLs (`prod-files-secure`, `X-Amz-…`) are never written:
//!   a Notion-hosted file links to its page, named by its caption or file name.
//! - Colours, comment anchors and column widths are dropped, as the block
//!   renderer drops them.
//!
//! Anything else the scanner does not recognise (an unknown tag, a closing
//! tag with nothing to close) stays in the text as written, and is counted
//! in [`Unrecognised`].
//!
//! ```
//! use notion_markdown::nfm::{self, ConvertOptions};
//! use notion_source::model::Page;
//!
//! let page: Page = serde_json::from_value(serde_json::json!({
//!     "id": "11111111-1111-1111-1111-111111111111",
//!     "created_time": "2026-07-04T09:08:00.000Z",
//!     "last_edited_time": "2026-07-04T09:08:00.000Z",
//!     "parent": {"type": "workspace", "workspace": true},
//!     "url": "https://www.notion.so/Plan-11111111111111111111111111111111",
//!     "properties": {"title": {"id": "title", "type": "title", "title": [
//!         {"type": "text", "text": {"content": "Plan"}, "plain_text": "Plan"}]}}
//! })).unwrap();
//! let markdown = "# Goals\n\n<toggle>\nShip **v1**\n\n- tests\n</toggle>\n\n\
//!     <page url=\"https://www.notion.so/Notes-22222222222222222222222222222222\">Notes</page>\n\n\
//!     <unknown url=\"https://www.notion.so/1111#33333333333333333333333333333333\" alt=\"embed\"/>";
//! let converted = nfm::convert(markdown, &page, &ConvertOptions::default());
//! assert_eq!(
//!     converted.page.markdown,
//!     "# Plan\n\n## Goals\n\nShip **v1**\n\n- tests\n\n\
//!      [Notes](https://www.notion.so/22222222222222222222222222222222)\n\n\
//!      <!-- unsupported: embed -->\n"
//! );
//! assert_eq!(converted.child_pages[0].title, "Notes");
//! assert_eq!(
//!     converted.placeholders[0].block_id.as_deref(),
//!     Some("33333333-3333-3333-3333-333333333333")
//! );
//! ```

mod build;
mod document;
mod elements;
mod inline;
mod lines;
mod markdown;
mod prepare;
mod reader;
mod scanner;
mod table;
mod tags;
mod urls;

use std::collections::BTreeMap;

use notion_source::model::{Block, Page};
use serde::Serialize;

pub use document::SpliceError;
pub use notion_source::model::{MarkdownVersion, Refetch};
pub use reader::Reader;

use crate::{RenderContext, RenderedPage};

/// Notion-flavoured Markdown read into blocks, with what it points to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// The block tree, in document order; blocks without a `url` in the
    /// Markdown have an empty id.
    pub blocks: Vec<Block>,
    /// Pages the Markdown holds as `<page>` (or `<folder>`) tags: documents of their own.
    pub child_pages: Vec<ChildDocument>,
    /// Databases the Markdown holds as `<database>` tags.
    pub child_databases: Vec<ChildDocument>,
    /// `<unknown>` placeholders still in the tree, in document order.
    pub placeholders: Vec<Placeholder>,
    /// What was kept as text without being understood.
    pub unrecognised: Unrecognised,
}

/// A child page or database found in the Markdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChildDocument {
    /// Its id, with dashes.
    pub id: String,
    /// Its title as the tag gives it.
    pub title: String,
}

/// An `<unknown url="…" alt="type"/>` placeholder: a block the answer did
/// not write out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placeholder {
    /// The block's id, from the fragment of its URL (`None` when the URL has none).
    pub block_id: Option<String>,
    /// The block's type, from `alt` (`unknown` when absent).
    pub type_name: String,
    /// The URL the tag gives.
    pub url: String,
    /// Byte offset of the tag in the Markdown it was read from.
    pub offset: usize,
}

impl Placeholder {
    /// How to read the block: by its type, through the Markdown endpoint
    /// when the endpoint can write that type, else through the block API.
    pub fn refetch(&self) -> Refetch {
        match &self.block_id {
            None => Refetch::Nothing,
            Some(_) if elements::written_as_markdown(&self.type_name) => Refetch::Markdown,
            Some(_) => Refetch::Block,
        }
    }
}

/// Counts of what was kept as text without being understood.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Unrecognised {
    /// Tags kept as literal text, by name (an unknown tag, a block tag that
    /// does not stand alone on its line, a container tag never closed).
    pub tags: BTreeMap<String, u32>,
    /// Inline closing tags with nothing to close, and mentions never closed.
    pub unmatched: u32,
    /// Markdown link reference definitions (`[label]: url`), which Notion
    /// does not write: kept as text.
    pub link_definitions: u32,
}

impl Unrecognised {
    /// Everything counted.
    pub fn total(&self) -> u32 {
        self.tags.values().sum::<u32>() + self.unmatched + self.link_definitions
    }
}

/// How to convert.
#[derive(Debug, Clone, Default)]
pub struct ConvertOptions {
    /// The version the Markdown is written in.
    pub version: MarkdownVersion,
    /// Names, titles and URLs for references, as for [`crate::render_page`].
    pub context: RenderContext,
}

/// A page converted: what [`crate::render_page`] returns, and what the
/// Markdown pointed to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Converted {
    /// The Markdown, headings, properties and unsupported blocks, as the
    /// block renderer gives them; `blocks` holds spans only for blocks whose
    /// id the Markdown gave.
    pub page: RenderedPage,
    /// Child pages to crawl, as `child_page` blocks are crawled.
    pub child_pages: Vec<ChildDocument>,
    /// Child databases to crawl.
    pub child_databases: Vec<ChildDocument>,
    /// Placeholders left in the page.
    pub placeholders: Vec<Placeholder>,
    /// What was kept as text without being understood.
    pub unrecognised: Unrecognised,
}

/// Reads Notion-flavoured Markdown into blocks. Never fails: what it does
/// not recognise stays as text, counted in [`Document::unrecognised`].
pub fn parse(markdown: &str, version: MarkdownVersion) -> Document {
    let mut doc = Document::default();
    let lines = lines::split(markdown);
    let blocks = scanner::Parser {
        version,
        doc: &mut doc,
    }
    .blocks(&lines, 0);
    doc.blocks = blocks;
    doc
}

/// Converts a page's Notion-flavoured Markdown to the Markdown
/// [`crate::render_page`] writes: [`parse`], then [`Document::render`].
/// `page` is the page object from the listing (title, properties, URL: the
/// Markdown holds none of them).
pub fn convert(markdown: &str, page: &Page, options: &ConvertOptions) -> Converted {
    parse(markdown, options.version).render(page, &options.context)
}
