//! The fewest requests a crawl that reads pages through the markdown
//! endpoint needs ([`MarkdownMinRequests`]).

use std::collections::HashSet;

use serde::Serialize;

use super::blocks::writes;
use super::{Reason, Syntax, answer};
use crate::crawl::plan;
use crate::workspace::{Node, Workspace, synced_from};

/// Items per page of a block-children list.
const PAGE_SIZE: u64 = 100;

/// The fewest requests a complete crawl needs when it reads each page with
/// one `GET /v1/pages/{id}/markdown` (v2), term by term.
///
/// - Listing, as for the block walk ([`crate::MinRequests`]): `search`,
///   `retrieve_database`, `query`, `property_items`.
/// - `page_markdown`: 1 per crawled page.
/// - `refetch_markdown`: 1 per placeholder of a truncated block (which
///   answers its subtree, maybe with placeholders of its own) or of an
///   unshared child page or database (which answers 404).
/// - `retrieve_block`: 1 per placeholder of a type the endpoint cannot
///   write (truncated or not), read with `GET /v1/blocks/{id}`.
/// - `block_children`: for those blocks that have children, the children
///   requests of a block walk of their subtrees (`ceil(children / 100)` per
///   block with children; a synced copy reads its original's).
/// - `anchors`: with `crawl.anchors = "top-level"`, a
///   `GET /v1/blocks/{page}/children` per 100 top-level blocks of every
///   crawled page that has any (none for an empty page). Not in `total`:
///   [`total_with_anchors`](Self::total_with_anchors) adds it.
///
/// A block id met on several pages (in a synced block) is read once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MarkdownMinRequests {
    /// `POST /v1/search` requests.
    pub search: u64,
    /// `GET /v1/databases/{id}` requests.
    pub retrieve_database: u64,
    /// `POST /v1/data_sources/{id}/query` requests.
    pub query: u64,
    /// `GET /v1/pages/{id}/properties/{property}` requests.
    pub property_items: u64,
    /// `GET /v1/pages/{id}/markdown` requests for pages.
    pub page_markdown: u64,
    /// `GET /v1/pages/{id}/markdown` requests for placeholders' blocks.
    pub refetch_markdown: u64,
    /// `GET /v1/blocks/{id}` requests for blocks the endpoint cannot write.
    pub retrieve_block: u64,
    /// `GET /v1/blocks/{id}/children` requests beneath those.
    pub block_children: u64,
    /// `GET /v1/blocks/{page}/children` requests for top-level anchors (not in `total`).
    pub anchors: u64,
    /// The sum of all of the above but `anchors`.
    pub total: u64,
}

impl MarkdownMinRequests {
    /// The fewest requests with `crawl.anchors = "top-level"`.
    pub fn total_with_anchors(&self) -> u64 {
        self.total + self.anchors
    }
}

impl Workspace {
    /// The fewest requests a complete crawl through the markdown endpoint
    /// needs, when a server cuts answers after `block_limit` blocks (see
    /// [`MarkdownMinRequests`]).
    pub fn min_requests_markdown(&self, block_limit: usize) -> MarkdownMinRequests {
        let crawl = plan(self);
        let mut min = MarkdownMinRequests {
            search: crawl.min.search,
            retrieve_database: crawl.min.retrieve_database,
            query: crawl.min.query,
            property_items: crawl.min.property_items,
            ..MarkdownMinRequests::default()
        };
        let mut seen: HashSet<String> = HashSet::new();
        let mut walked: HashSet<String> = HashSet::new();
        for page in &crawl.pages {
            min.page_markdown += 1;
            if let Some(node) = self.node(page) {
                min.anchors += (self.child_ids(&node).len() as u64).div_ceil(PAGE_SIZE);
            }
            let mut pending = vec![page.clone()];
            while let Some(id) = pending.pop() {
                let Some(answer) = answer(self, &id, Syntax::V2, block_limit) else {
                    continue;
                };
                for placeholder in answer.placeholders.into_iter().rev() {
                    if !seen.insert(placeholder.id.clone()) {
                        continue;
                    }
                    // A truncated block of a type the endpoint cannot write
                    // would come back as a placeholder again: read it as one.
                    let reason = match placeholder.reason {
                        Reason::Truncated if !writes(&placeholder.type_name) => Reason::Unsupported,
                        reason => reason,
                    };
                    match reason {
                        Reason::Truncated => {
                            min.refetch_markdown += 1;
                            pending.push(placeholder.id);
                        }
                        Reason::Unshared => min.refetch_markdown += 1,
                        Reason::Unsupported => {
                            min.retrieve_block += 1;
                            min.block_children +=
                                self.subtree_children(&placeholder.id, &mut walked);
                        }
                    }
                }
            }
        }
        min.total = min.search
            + min.retrieve_database
            + min.query
            + min.property_items
            + min.page_markdown
            + min.refetch_markdown
            + min.retrieve_block
            + min.block_children;
        min
    }

    /// Block-children requests to read a block's subtree (child pages and
    /// databases not entered; a synced copy reads its original's children,
    /// each original once).
    fn subtree_children(&self, id: &str, walked: &mut HashSet<String>) -> u64 {
        let mut requests = 0;
        let mut pending = vec![id.to_string()];
        while let Some(id) = pending.pop() {
            let Some(node) = self.node(&id) else { continue };
            let Node::Block(block) = &node else { continue };
            let target = synced_from(&block.object).unwrap_or_else(|| id.clone());
            if !walked.insert(target) {
                continue;
            }
            let children = self.child_ids(&node);
            requests += (children.len() as u64).div_ceil(PAGE_SIZE);
            pending.extend(children);
        }
        requests
    }
}
