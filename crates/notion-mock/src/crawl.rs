//! What a complete crawl of a workspace reads, and the fewest requests it
//! can do that with ([`MinRequests`]).
//!
//! The walk mirrors a crawler that starts from search: search results give
//! pages and data sources; every crawled page's blocks are read, nested
//! children included; `child_page` blocks lead to pages, `child_database`
//! blocks to databases and their data sources; data source queries give rows,
//! which are pages too. A page is crawled when it is shared and neither
//! trashed nor archived.

use std::collections::{BTreeMap, HashSet, VecDeque};

use serde::Serialize;
use serde_json::Value;

use crate::workspace::{Content, Node, Workspace, synced_from};

/// Items per page of every list endpoint.
const PAGE_SIZE: u64 = 100;
/// References a page object lists per relation or people property.
const INLINE_REFERENCES: usize = crate::workspace::PROPERTY_REFERENCE_LIMIT;

/// The fewest requests a complete crawl started from search needs, term by term.
///
/// - `search`: `ceil(search results / 100)`, at least 1.
/// - `retrieve_database`: 1 per database reached through a `child_database`
///   block of a crawled page.
/// - `query`: `max(1, ceil(rows / 100))` per data source reached (from search
///   or a database).
/// - `page_children`: `max(1, ceil(top-level blocks / 100))` per crawled page
///   (shared, not trashed or archived, reached by search, a query or a
///   `child_page` block).
/// - `block_children`: `ceil(children / 100)` per block whose children must be
///   read: it has children and is not a `child_page`, `child_database` or
///   synced-block copy; a copy is filled from its original, whose children are
///   read once, also when the original sits on a page that is not crawled.
/// - `property_items`: `ceil(n / 100)` per relation or people property of a
///   crawled page with more than 25 references.
///
/// `users` is not part of `total`: it is the `GET /v1/users` requests
/// (`max(1, ceil(users / 100))`) a runner adds to show people's names.
///
/// No retrieve-page request is needed: search and queries return page
/// objects, and a page reached only through its `child_page` block is not a
/// data source row, so its one property (the title), its id, times and
/// parent are all in the block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MinRequests {
    /// `POST /v1/search` requests.
    pub search: u64,
    /// `GET /v1/databases/{id}` requests.
    pub retrieve_database: u64,
    /// `POST /v1/data_sources/{id}/query` requests.
    pub query: u64,
    /// `GET /v1/blocks/{page_id}/children` requests.
    pub page_children: u64,
    /// `GET /v1/blocks/{block_id}/children` requests for nested blocks.
    pub block_children: u64,
    /// `GET /v1/pages/{id}/properties/{property}` requests.
    pub property_items: u64,
    /// The sum of the crawl's terms (all of the above).
    pub total: u64,
    /// `GET /v1/users` requests to list the workspace's users (not in `total`).
    pub users: u64,
}

/// The result of walking a workspace as a complete crawl would.
#[derive(Debug, Default)]
pub(crate) struct CrawlPlan {
    /// Crawled page ids, in the order the walk reached them.
    pub pages: Vec<String>,
    /// The request counts.
    pub min: MinRequests,
}

fn pages_of(n: usize) -> u64 {
    (n as u64).div_ceil(PAGE_SIZE)
}

/// Walks the workspace like a complete crawl.
pub(crate) fn plan(ws: &Workspace) -> CrawlPlan {
    let mut min = MinRequests::default();
    let mut pages = Vec::new();
    let mut seen_pages = HashSet::new();
    let mut seen_sources = HashSet::new();
    // Blocks whose children are read, with their child counts.
    let mut read_blocks = BTreeMap::new();
    let mut queue: VecDeque<String> = VecDeque::new();
    let mut sources: VecDeque<String> = VecDeque::new();

    let found = search_results(ws);
    min.search = pages_of(found.len()).max(1);
    for (id, is_page) in found {
        if is_page {
            queue.push_back(id.to_string());
        } else {
            sources.push_back(id.to_string());
        }
    }

    loop {
        if let Some(id) = queue.pop_front() {
            let Some(page) = ws.pages.get(&id) else {
                continue;
            };
            let removed = page.object.trashed || page.object.archived;
            if !page.shared || removed || !seen_pages.insert(id.clone()) {
                continue;
            }
            if page.object.parent_type == "data_source_id" {
                min.property_items += long_reference_lists(&page.object.value());
            }
            let mut found = Found::default();
            match (&page.content, &ws.generator) {
                // Generated content: its shape is known without generating it.
                (Content::Generated(n), Some(generator)) => {
                    let (top, counts) = generator.child_counts(*n);
                    min.page_children += pages_of(top).max(1);
                    min.block_children += counts.into_iter().map(pages_of).sum::<u64>();
                    for child in generator.child_ids(*n) {
                        match ws.node(child) {
                            Some(Node::Page(_)) => found.pages.push(child.clone()),
                            Some(Node::Database(_)) => found.databases.push(child.clone()),
                            _ => {}
                        }
                    }
                }
                _ => {
                    let top = ws.top_level_ids(page);
                    min.page_children += pages_of(top.len()).max(1);
                    walk_blocks(ws, &top, &mut read_blocks, &mut found);
                }
            }
            queue.extend(found.pages);
            for db in found.databases {
                let Some(rec) = ws.databases.get(&db) else {
                    continue;
                };
                if rec.shared {
                    min.retrieve_database += 1;
                    sources.extend(rec.data_sources.iter().cloned());
                }
            }
            pages.push(id);
        } else if let Some(ds_id) = sources.pop_front() {
            let Some(ds) = ws.data_sources.get(&ds_id) else {
                continue;
            };
            if !ds.shared || !seen_sources.insert(ds_id) {
                continue;
            }
            let rows = ws.query_rows(ds);
            min.query += pages_of(rows.len()).max(1);
            for (id, _) in rows {
                let id = id.to_string();
                queue.push_back(id);
            }
        } else {
            break;
        }
    }
    min.block_children += read_blocks.values().map(|n| pages_of(*n)).sum::<u64>();
    min.total = min.search
        + min.retrieve_database
        + min.query
        + min.page_children
        + min.block_children
        + min.property_items;
    min.users = pages_of(ws.users.len()).max(1);
    CrawlPlan { pages, min }
}

/// What search returns: `(id, is a page)` for every shared page and data
/// source not marked absent from search, in workspace order.
pub(crate) fn search_results(ws: &Workspace) -> Vec<(&str, bool)> {
    ws.search_index()
        .iter()
        .map(|e| (e.id.as_str(), e.is_page))
        .collect()
}

#[derive(Default)]
struct Found {
    pages: Vec<String>,
    databases: Vec<String>,
}

/// Visits blocks depth first, recording blocks whose children must be read
/// and the child pages and databases met.
fn walk_blocks(
    ws: &Workspace,
    ids: &[String],
    read: &mut BTreeMap<String, usize>,
    found: &mut Found,
) {
    for id in ids {
        let Some(node) = ws.node(id) else { continue };
        match &node {
            Node::Page(_) => found.pages.push(id.clone()),
            Node::Database(_) => found.databases.push(id.clone()),
            Node::Block(b) => {
                // A copy is filled from its original: read the original once.
                let target = synced_from(&b.object).unwrap_or_else(|| id.clone());
                let Some(target_node) = ws.node(&target) else {
                    continue;
                };
                let children = ws.child_ids(&target_node);
                if !children.is_empty() && !read.contains_key(&target) {
                    read.insert(target, children.len());
                    walk_blocks(ws, &children, read, found);
                }
            }
        }
    }
}

/// Page-property requests for relation and people lists over 25 references.
fn long_reference_lists(page: &Value) -> u64 {
    page["properties"]
        .as_object()
        .into_iter()
        .flat_map(|props| props.values())
        .filter(|p| p["type"] == "relation" || p["type"] == "people")
        .filter_map(|p| p[p["type"].as_str().unwrap_or_default()].as_array())
        .filter(|list| list.len() > INLINE_REFERENCES)
        .map(|list| pages_of(list.len()))
        .sum()
}

impl Workspace {
    /// The fewest requests a complete crawl started from search needs (see
    /// [`MinRequests`] for the terms).
    pub fn min_requests(&self) -> MinRequests {
        plan(self).min
    }

    /// The block-children requests reading one page's blocks needs (a page
    /// read again by a partial run): its top-level list, at least one
    /// request, and the children of every block under it that has some, 100
    /// a request, as [`Workspace::page_tree_json`] shows them (child pages
    /// and databases are not entered). `None` for a page the workspace does
    /// not hold.
    pub fn page_block_requests(&self, page_id: &str) -> Option<u64> {
        let tree = self.page_tree_json(page_id)?;
        let top = tree["blocks"].as_array().map_or(&[][..], Vec::as_slice);
        let mut n = pages_of(top.len()).max(1);
        let mut stack: Vec<&Value> = top.iter().collect();
        while let Some(block) = stack.pop() {
            let kind = block["type"].as_str().unwrap_or_default();
            if block["has_children"] == true && kind != "child_page" && kind != "child_database" {
                let children = block["children"].as_array().map_or(&[][..], Vec::as_slice);
                n += pages_of(children.len()).max(1);
                stack.extend(children);
            }
        }
        Some(n)
    }
}
