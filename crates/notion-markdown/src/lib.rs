//! notion-markdown: flattens a Notion page's block tree into GitHub-flavoured
//! Markdown, with a map from the Markdown back to the blocks.
//!
//! [`render_page`] takes the [`PageTree`] a crawler produced and returns a
//! [`RenderedPage`]: the Markdown (the page title as its one `#` heading, a
//! data source row's properties as a `Name: value` list, then every block),
//! the byte range each block occupies, every heading with its level (for
//! heading paths), the properties as JSON, and the blocks that could only be
//! marked, not shown.
//!
//! Everything a reader sees in Notion is kept: every rich-text run (escaped
//! so it renders literally), captions, table cells, equations, mentions as
//! readable text. Notion-hosted file URLs, which are signed and expire within
//! the hour, are never written: a link to the block in Notion stands instead.
//!
//! ```
//! use notion_markdown::{RenderContext, render_page};
//! use notion_source::model::PageTree;
//!
//! let tree: PageTree = serde_json::from_value(serde_json::json!({
//!     "page": {
//!         "id": "11111111-1111-1111-1111-111111111111",
//!         "created_time": "2026-07-04T09:08:00.000Z",
//!         "last_edited_time": "2026-07-04T09:08:00.000Z",
//!         "parent": {"type": "workspace", "workspace": true},
//!         "url": "https://www.notion.so/Plan-11111111111111111111111111111111",
//!         "properties": {"title": {"id": "title", "type": "title", "title": [
//!             {"type": "text", "text": {"content": "Plan"}, "plain_text": "Plan"}]}}
//!     },
//!     "blocks": [{
//!         "id": "22222222-2222-2222-2222-222222222222",
//!         "type": "heading_1",
//!         "heading_1": {"rich_text": [{"type": "text", "text": {"content": "Goals"}, "plain_text": "Goals"}]}
//!     }, {
//!         "id": "33333333-3333-3333-3333-333333333333",
//!         "type": "bulleted_list_item",
//!         "bulleted_list_item": {"rich_text": [{"type": "text", "text": {"content": "ship *v1*"}, "plain_text": "ship *v1*"}]}
//!     }]
//! })).unwrap();
//!
//! let page = render_page(&tree, &RenderContext::default());
//! assert_eq!(page.markdown, "# Plan\n\n## Goals\n\n- ship \\*v1\\*\n");
//! let item = &page.blocks[1];
//! assert_eq!(&page.markdown[item.range.clone()], "- ship \\*v1\\*");
//! assert_eq!(page.heading_path_at(item.range.start), ["Plan", "Goals"]);
//! ```

mod blocks;
mod escape;
mod inline;
mod links;
pub mod nfm;
mod properties;
mod rich_text;
mod table;
mod writer;

use std::collections::HashMap;
use std::ops::Range;

use notion_source::model::PageTree;
use serde::Serialize;

pub use links::block_url;

/// Best-effort lookups the renderer uses to make references readable. Ids
/// are Notion's, with dashes. A missing entry falls back to what the page
/// itself carries (a mention's own text, Notion's id-only URL).
#[derive(Debug, Clone, Default)]
pub struct RenderContext {
    /// User id → display name, for mentions and people properties.
    pub user_names: HashMap<String, String>,
    /// Page or database id → title, for mentions, links and relations.
    pub page_titles: HashMap<String, String>,
    /// Page or database id → URL in Notion, for links.
    pub page_urls: HashMap<String, String>,
}

/// A page rendered to Markdown, with its map back to the blocks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RenderedPage {
    /// The Markdown, ending with a line break.
    pub markdown: String,
    /// The page title as plain text (empty when the page has none; the
    /// Markdown then says `Untitled`).
    pub title: String,
    /// Every rendered block in document order, parents before their
    /// children; a container's range covers its children's. (Blocks nested
    /// more than 64 levels deep are written one after another, each with its
    /// own span, inside the range of their ancestor 64 levels down.)
    pub blocks: Vec<BlockSpan>,
    /// Every heading in document order, the page title first.
    pub headings: Vec<HeadingSpan>,
    /// The page's properties by name as readable JSON (`"Status": "Done"`,
    /// `"Tags": ["a", "b"]`, `null` when empty), title included.
    pub properties: serde_json::Value,
    /// Blocks that could only be written as a marker (`<!-- unsupported: TYPE -->`).
    pub unsupported: Vec<UnsupportedBlock>,
    /// Content a reader sees in Notion that is not shared with the
    /// integration, written as a marker (`<!-- not shared: synced block -->`).
    pub not_shared: Vec<NotSharedBlock>,
    /// Ids of the blocks, 64 levels deep, whose descendants were written one
    /// after another instead of nested (after a `<!-- flattened: … -->`
    /// marker). Their text is all there; only the nesting is lost.
    pub flattened: Vec<String>,
}

/// Where one block's Markdown sits in [`RenderedPage::markdown`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockSpan {
    /// The block id, with dashes.
    pub block_id: String,
    /// Byte range of the block's Markdown (without the indentation or quote
    /// prefix of its first line); always on `char` boundaries.
    pub range: Range<usize>,
}

/// A Markdown heading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeadingSpan {
    /// Byte offset of the heading's first `#`.
    pub offset: usize,
    /// Markdown level: 1 for the page title, 2 for Notion's `heading_1`, and so on, up to 6.
    pub level: u8,
    /// The heading's text, without Markdown.
    pub text: String,
}

/// A block the renderer could not show, only mark.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnsupportedBlock {
    /// The block id, with dashes.
    pub block_id: String,
    /// Its type as Notion names it (`unsupported` blocks give their real type when known).
    pub type_name: String,
}

/// A block whose content the integration cannot read, marked in the Markdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotSharedBlock {
    /// The block id, with dashes.
    pub block_id: String,
    /// What is not shared.
    pub kind: NotSharedKind,
    /// The id of the original the block shows, when known (a synced copy's original).
    pub original_id: Option<String>,
}

/// What kind of content is not shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotSharedKind {
    /// A synced block copy whose original (and its own children) could not be read.
    SyncedBlock,
}

impl RenderedPage {
    /// The titles of the headings that enclose `offset`, outermost first
    /// (the page title, then the section, subsection...). A heading encloses
    /// everything after it up to the next heading of its level or above.
    pub fn heading_path_at(&self, offset: usize) -> Vec<String> {
        let before = self.headings.partition_point(|h| h.offset <= offset);
        let mut path: Vec<&HeadingSpan> = Vec::new();
        for heading in &self.headings[..before] {
            while path.last().is_some_and(|h| h.level >= heading.level) {
                path.pop();
            }
            path.push(heading);
        }
        path.into_iter().map(|h| h.text.clone()).collect()
    }
}

/// Renders a page and its block tree to Markdown.
///
/// Never fails: a block type the renderer does not know is written as a
/// visible marker and listed in [`RenderedPage::unsupported`], and its text
/// and children, if any, are still written. Synced content that is not
/// shared is marked and listed in [`RenderedPage::not_shared`]. Recursion is
/// bounded (64 levels), so any depth of nesting renders on a small stack.
pub fn render_page(tree: &PageTree, ctx: &RenderContext) -> RenderedPage {
    blocks::render(tree, ctx)
}
