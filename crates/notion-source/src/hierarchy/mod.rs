//! The shared hierarchy: every page, database and data source the
//! integration can see, arranged as Notion nests them, built from listing
//! requests only (no block content is read).
//!
//! - [`listing`](list): search (pages and data sources), one
//!   `GET /v1/blocks/{id}` per distinct block on the way from a page in a
//!   toggle or column up to its page, and `GET /v1/databases/{id}` only for
//!   a database whose data sources cannot stand for it. The result, a
//!   [`Listing`], is plain serde data, so it can be cached.
//! - [`Hierarchy`]: the listing as a tree, siblings sorted by title then
//!   id, with the number of pages under each node. Anything whose parent is
//!   not in the listing (not shared, trashed, or unknown) is a top-level
//!   entry; trashed and archived objects are left out and counted.
//! - [`Selection`]: what a configuration's `crawl.roots` and
//!   `crawl.exclude` select, node by node ([`Mark`]), and the minimal
//!   roots and excludes that select a given set of nodes.
//! - Renderers ([`write_text`], [`write_json_lines`]): an indented tree and
//!   one JSON object per node, both deterministic.
//! - [`with_known_pages`]: what a previous crawl's state adds (pages only
//!   its walk found, stored block counts).
//! - Costs ([`ListingCost`], [`RunCostModel`], [`Estimate`]): what a listing
//!   and a first run cost in requests and seconds, known before they start.
//!
//! ```
//! use notion_source::hierarchy::{Entry, Hierarchy, Listing, NodeKind, ParentRef};
//!
//! let mut listing = Listing::default();
//! listing.entries.push(Entry::new("a", NodeKind::Page, "Handbook", ParentRef::Workspace));
//! listing.entries.push(Entry::new("b", NodeKind::Page, "Onboarding", ParentRef::Document("a".into())));
//! let tree = Hierarchy::build(&listing);
//! let top = tree.find("a").unwrap();
//! assert_eq!(tree.node(top).counts.pages, 1);
//! assert_eq!(tree.children(top).map(|i| tree.node(i).title.as_str()).collect::<Vec<_>>(), ["Onboarding"]);
//! ```

mod cost;
mod known;
mod listing;
mod render;
mod selection;
mod tree;

pub use cost::{Estimate, LISTING_NOTICE_SECONDS, ListingCost, RunCostModel, thousands};
pub use known::{KnownPage, with_known_pages};
pub use listing::{Entry, Listing, ListingRequests, ParentRef, list};
pub use render::{NodeInfo, NodeInfos, RenderOptions, display_title, write_json_lines, write_text};
pub use selection::{Mark, Selection};
pub use tree::{Counts, Hierarchy, Node};

use serde::{Deserialize, Serialize};

use crate::client::ClientError;

/// What a node of the hierarchy is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// A page (a standalone page or a data source row).
    Page,
    /// A database: a container of data sources.
    Database,
    /// A data source: a table of rows.
    DataSource,
}

impl NodeKind {
    /// The name used in JSON and text output (`page`, `database`, `data_source`).
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Page => "page",
            NodeKind::Database => "database",
            NodeKind::DataSource => "data_source",
        }
    }
}

/// Why a listing or a rendering failed.
#[derive(Debug, thiserror::Error)]
pub enum HierarchyError {
    /// A listing request failed for good (after the client's retries).
    #[error("listing the shared hierarchy failed: {0}")]
    Client(#[from] ClientError),
    /// `--from` named an id that is not in the hierarchy.
    #[error("{0} is not in the shared hierarchy")]
    UnknownNode(String),
    /// A root or exclude is neither a Notion id nor a Notion URL.
    #[error("not a Notion id or URL: {0:?}")]
    BadId(String),
    /// Writing the output failed.
    #[error("cannot write the hierarchy: {0}")]
    Io(#[from] std::io::Error),
}
