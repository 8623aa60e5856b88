//! The fewest write requests Notion's limits allow for an upload, computed
//! from the dataset's shape: the yardstick the uploader is measured against.
//!
//! Documents: every page (and row) needs its own create request, every
//! database one, and every data source beyond a database's first one more.
//!
//! Content, per page, the largest of four bounds, each a count of requests
//! that must be distinct:
//!
//! - **Arrays**: a block or page with `c` children needs `⌈c/100⌉` children
//!   arrays. At most one of them rides in the request that creates it; every
//!   other one is a request whose target is that container, and requests
//!   with different targets are different requests. So the page needs
//!   `1 + Σ (⌈c/100⌉ − 1)` requests over its containers.
//! - **Depth**: a request reaches three levels below its target (its
//!   blocks, their children, theirs; a column adds no level), so a chain of
//!   `d` nested blocks needs `⌈d/3⌉` requests.
//! - **Blocks**: at most 1,000 blocks per request: `⌈n/1000⌉`.
//! - **Bytes**: at most the byte limit per request: `⌈bytes/limit⌉`.
//!
//! Not counted: reads an uploader needs to learn the ids of blocks created
//! nested in a request (answers list only the top level), updates that set
//! references to objects created later, renames of data sources. A lower
//! bound an uploader may not reach.

use serde::Serialize;

use crate::convert::{Item, Key, UploadTree};
use crate::limits::WriteLimits;
use crate::plan::json_len;

/// The fewest write requests an upload needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MinRequests {
    /// Pages and rows: one create each.
    pub pages: usize,
    /// Databases and their further data sources: one create each.
    pub databases: usize,
    /// Requests beyond a page's create that its content needs at least.
    pub content: usize,
    /// The sum.
    pub total: usize,
}

/// Computes the bound over an upload tree.
pub(crate) fn min_requests(tree: &UploadTree, limits: &WriteLimits) -> MinRequests {
    let mut min = MinRequests {
        pages: tree.pages.len(),
        databases: tree
            .databases
            .values()
            .map(|d| d.sources.len().max(1))
            .sum(),
        ..MinRequests::default()
    };
    for doc in tree.pages.values() {
        let top: Vec<&Key> = doc
            .content
            .iter()
            .filter_map(|i| match i {
                Item::Block(k) => Some(k),
                _ => None,
            })
            .collect();
        let mut shape = Shape::default();
        shape.container(top.len(), limits);
        for key in &top {
            shape.block(tree, key, 1, limits);
        }
        let page = [
            1 + shape.extra_arrays,
            shape.depth.div_ceil(limits.nesting + 1),
            shape.blocks.div_ceil(limits.blocks),
            shape.bytes.div_ceil(limits.bytes),
        ]
        .into_iter()
        .max()
        .unwrap_or(1)
        .max(1);
        min.content += page - 1;
    }
    min.total = min.pages + min.databases + min.content;
    min
}

/// A page's content, measured.
#[derive(Default)]
struct Shape {
    extra_arrays: usize,
    depth: usize,
    blocks: usize,
    bytes: usize,
}

impl Shape {
    fn container(&mut self, children: usize, limits: &WriteLimits) {
        self.extra_arrays += children.div_ceil(limits.children).saturating_sub(1);
    }

    fn block(&mut self, tree: &UploadTree, key: &Key, depth: usize, limits: &WriteLimits) {
        let node = &tree.blocks[key];
        self.blocks += 1;
        self.bytes += json_len(&node.content);
        self.depth = self.depth.max(depth);
        self.container(node.children.len(), limits);
        let child_depth = if node.kind == "column" {
            depth
        } else {
            depth + 1
        };
        for child in &node.children {
            self.block(tree, child, child_depth, limits);
        }
    }
}
