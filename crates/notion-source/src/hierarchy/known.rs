//! What a crawl's state adds to a listing: the pages search does not list
//! (only the walk of their parent found them), placed under the document
//! that holds them, and the block counts stored for pages already read.

use std::collections::HashSet;

use super::NodeKind;
use super::listing::{Entry, Listing, ParentRef};
use super::render::{NodeInfo, NodeInfos};

/// A page a previous crawl stored, as far as the hierarchy cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownPage {
    /// Its id, with dashes.
    pub id: String,
    /// Its title as stored.
    pub title: String,
    /// The page, database or data source that holds it, when known.
    pub parent: Option<String>,
    /// Blocks its stored content holds, when known.
    pub stored_blocks: Option<u64>,
}

/// The listing with the known pages it lacks added (marked `walked_only`),
/// and the facts of every known page ([`NodeInfo`]). Entries keep the
/// listing's order; the added ones follow in the order given.
///
/// ```
/// use notion_source::hierarchy::{with_known_pages, Entry, Hierarchy, KnownPage, Listing, NodeKind, ParentRef};
///
/// let mut listing = Listing::default();
/// listing.entries.push(Entry::new("a", NodeKind::Page, "Handbook", ParentRef::Workspace));
/// let known = [KnownPage { id: "b".into(), title: "Walked".into(), parent: Some("a".into()), stored_blocks: Some(7) }];
/// let (listing, info) = with_known_pages(&listing, &known);
/// let tree = Hierarchy::build(&listing);
/// assert_eq!(tree.node(tree.find("b").unwrap()).parent, tree.find("a"));
/// assert!(info["b"].walked_only);
/// ```
pub fn with_known_pages(listing: &Listing, known: &[KnownPage]) -> (Listing, NodeInfos) {
    let listed: HashSet<&str> = listing.entries.iter().map(|e| e.id.as_str()).collect();
    let mut merged = listing.clone();
    let mut info = NodeInfos::with_capacity(known.len());
    for page in known {
        let walked_only = !listed.contains(page.id.as_str());
        if walked_only {
            let parent = page
                .parent
                .clone()
                .map_or(ParentRef::Workspace, ParentRef::Document);
            merged
                .entries
                .push(Entry::new(&page.id, NodeKind::Page, &page.title, parent));
        }
        info.insert(
            page.id.clone(),
            NodeInfo {
                walked_only,
                stored_blocks: page.stored_blocks,
            },
        );
    }
    (merged, info)
}
