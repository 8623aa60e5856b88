//! The crawl's bookkeeping ([`Frontier`]): what was seen, what waits to be
//! read, which listing comes next, what is not shared, and the events no
//! page task sends (skipped, unchanged and unparseable pages). Also the walk
//! of a page's tree for the child documents it holds.

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::sync::Arc;

use chrono::DateTime;
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::client::ClientError;
use crate::model::{
    Block, BlockKind, Page, Parent, PropertyKind, PropertyValue, RichText, SearchResult,
};

use super::listing::{self, Found, Listing};
use super::progress::{Counter, CrawlProgress};
use super::report::{ErrorInfo, NotShared, NotSharedKind, PageFailure, SkipReason, SkippedPage};
use super::{ChildDocuments, CrawlConfig, CrawlEvent, ListingMode, PagePlanner, Plan, Root};

/// The child pages and databases of a block tree, in document order. Synced
/// content is not walked: its child pages belong to the original's page.
pub(crate) fn walk(page: &Page, blocks: &[Block]) -> ChildDocuments {
    let mut walked = ChildDocuments::default();
    let mut stack: Vec<&Block> = blocks.iter().rev().collect();
    while let Some(block) = stack.pop() {
        if block.is_trashed() {
            continue;
        }
        match &block.kind {
            BlockKind::ChildPage(_) | BlockKind::ChildDatabase(_) if block.id.is_empty() => {}
            BlockKind::ChildPage(child) => {
                walked
                    .pages
                    .push(page_from_block(page, block, &child.title))
            }
            BlockKind::ChildDatabase(_) => walked.databases.push(block.id.clone()),
            BlockKind::SyncedBlock(_) => {}
            _ => stack.extend(block.children.iter().rev()),
        }
    }
    walked
}

/// A child page's metadata, built from its `child_page` block (no request):
/// id, title, times, parent and URL are all there is for a page that is not
/// a data source row.
fn page_from_block(parent_page: &Page, block: &Block, title: &str) -> Page {
    let mut properties = IndexMap::new();
    properties.insert(
        "title".to_string(),
        PropertyValue {
            id: "title".into(),
            value: PropertyKind::Title(vec![RichText::plain(title)]),
            has_more: None,
        },
    );
    let host = if parent_page.url.contains("app.notion.com") {
        "https://app.notion.com/p"
    } else {
        "https://www.notion.so"
    };
    Page {
        id: block.id.clone(),
        created_time: block.created_time.unwrap_or(parent_page.created_time),
        last_edited_time: block
            .last_edited_time
            .unwrap_or(parent_page.last_edited_time),
        created_by: None,
        last_edited_by: None,
        parent: block.parent.clone().unwrap_or(Parent::Page {
            page_id: parent_page.id.clone(),
        }),
        in_trash: block.in_trash,
        archived: block.archived,
        is_archived: false,
        is_locked: false,
        properties,
        url: format!("{host}/{}", block.id.replace('-', "")),
        public_url: None,
        icon: None,
        cover: None,
        malformed: Map::new(),
    }
}

/// What is known of a listed page object that did not parse: its id, and
/// its times and parent when they parsed (the Unix epoch and the workspace
/// otherwise), so it can be reported as failed.
fn unparsed_page(id: &str, raw: &Value) -> Page {
    let time = |key: &str| {
        raw.get(key)
            .and_then(|v| DateTime::deserialize(v).ok())
            .unwrap_or(DateTime::UNIX_EPOCH)
    };
    Page {
        id: id.to_string(),
        created_time: time("created_time"),
        last_edited_time: time("last_edited_time"),
        created_by: None,
        last_edited_by: None,
        parent: raw
            .get("parent")
            .and_then(|p| Parent::deserialize(p).ok())
            .unwrap_or(Parent::Workspace),
        in_trash: false,
        archived: false,
        is_archived: false,
        is_locked: false,
        properties: IndexMap::new(),
        url: format!("https://www.notion.so/{}", id.replace('-', "")),
        public_url: None,
        icon: None,
        cover: None,
        malformed: Map::new(),
    }
}

/// How a page was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FoundBy<'a> {
    /// Search or a root lookup.
    Listing,
    /// The query of this data source.
    QueryOf(&'a str),
    /// A `child_page` block.
    Walk,
}

/// The crawl's bookkeeping: what was seen, what waits to be read, what
/// listing comes next, and the events to hand on that no page task sends.
pub(crate) struct Frontier {
    /// Pages waiting to be read.
    pub(crate) pages: VecDeque<Page>,
    /// Listing requests waiting to be made.
    pub(crate) listings: VecDeque<Listing>,
    /// Skipped, unchanged and unparseable pages to report, in the order found.
    pub(crate) outbox: Vec<CrawlEvent>,
    /// Pages that failed for good, with their errors.
    pub(crate) failures: Vec<(String, ErrorInfo)>,
    seen_pages: HashSet<String>,
    seen_data_sources: HashSet<String>,
    seen_databases: HashSet<String>,
    /// Cursors each listing has handed out (listing key, cursor).
    seen_cursors: HashSet<(String, String)>,
    /// Excluded ids, grown with the pages found under them.
    excluded: HashSet<String>,
    /// Data sources whose rows come only from their (filtered) query.
    filtered: HashSet<String>,
    listing: ListingMode,
    planner: Option<Arc<dyn PagePlanner>>,
    /// Pages that hold a `child_database` block, by database id.
    database_referrers: BTreeMap<String, BTreeSet<String>>,
    /// Not shared, with the pages that reference each.
    not_shared: BTreeMap<(NotSharedKind, String), BTreeSet<String>>,
    /// Whether unchanged pages' stored children are crawled too.
    follow_children: bool,
    /// Whether walked child pages wait in [`Frontier::deferred`] (the
    /// markdown strategy, until the listings end).
    defer_walked: bool,
    /// Child pages found in pages read through the markdown endpoint while
    /// listings still ran. A `<page>` tag has no edit times, so a page
    /// metadata built from it is not the listing's: held back until search
    /// has ended, a page search lists is always crawled with the listing's
    /// metadata, whatever order the answers came in (the output stays a
    /// function of the workspace). Walked pages search misses keep their
    /// parent's times.
    deferred: Vec<Page>,
}

impl Frontier {
    pub(crate) fn new(config: &CrawlConfig) -> Frontier {
        let listings = if config.roots.is_empty() && config.listing != ListingMode::RootsOnly {
            VecDeque::from([Listing::Search { cursor: None }])
        } else {
            config
                .roots
                .iter()
                .map(|root| match root {
                    Root::Page(id) => Listing::RootPage { id: id.clone() },
                    Root::Database(id) => Listing::Database { id: id.clone() },
                    Root::DataSource(id) => Listing::Query {
                        data_source_id: id.clone(),
                        cursor: None,
                        since: None,
                    },
                    Root::Any(id) => Listing::RootAny { id: id.clone() },
                })
                .collect()
        };
        let mut seen_data_sources = HashSet::new();
        for root in &config.roots {
            if let Root::DataSource(id) = root {
                seen_data_sources.insert(id.clone());
            }
        }
        Frontier {
            pages: VecDeque::new(),
            listings,
            outbox: Vec::new(),
            failures: Vec::new(),
            seen_pages: HashSet::new(),
            seen_data_sources,
            seen_databases: HashSet::new(),
            seen_cursors: HashSet::new(),
            excluded: config.exclude.clone(),
            filtered: config
                .data_source_queries
                .iter()
                .filter(|(_, q)| q.filter.is_some())
                .map(|(id, _)| id.clone())
                .collect(),
            // Configured roots are listed completely: there is no search to rely on.
            listing: if config.roots.is_empty() {
                config.listing
            } else {
                ListingMode::Complete
            },
            planner: config.planner.clone(),
            database_referrers: BTreeMap::new(),
            not_shared: BTreeMap::new(),
            follow_children: config.follow_children,
            defer_walked: matches!(config.fetch, super::Fetch::Markdown(_)),
            deferred: Vec::new(),
        }
    }

    pub(crate) fn next_page(&mut self) -> Option<Page> {
        self.pages.pop_front()
    }

    pub(crate) fn next_listing(&mut self) -> Option<Listing> {
        self.listings.pop_front()
    }

    /// List more only when few pages wait: listing far ahead of the page
    /// reads would hold the whole workspace's metadata in memory.
    pub(crate) fn wants_listing(&self, in_flight: usize) -> bool {
        !self.listings.is_empty() && self.pages.len() < in_flight * 4
    }

    /// Takes in what a listing found, then what continues it. Returns the
    /// error of a listing that broke the pagination contract (a missing or
    /// repeated cursor): its results are kept, the listing ends there.
    pub(crate) fn add_listed(
        &mut self,
        job: &Listing,
        outcome: listing::ListingOutcome,
        progress: &CrawlProgress,
    ) -> Option<ClientError> {
        let queried = match job {
            Listing::Query { data_source_id, .. } => Some(data_source_id.as_str()),
            _ => None,
        };
        match outcome.found {
            Found::DataSources(ids) => ids
                .into_iter()
                .for_each(|id| self.add_data_source(id, progress)),
            Found::Results(results) => {
                for result in results {
                    match result {
                        SearchResult::Page(page) => self.add_page(
                            *page,
                            queried.map_or(FoundBy::Listing, FoundBy::QueryOf),
                            progress,
                        ),
                        SearchResult::DataSource(ds) => {
                            if ds
                                .parent
                                .as_ref()
                                .and_then(Parent::id)
                                .is_some_and(|db| self.excluded.contains(db))
                            {
                                self.excluded.insert(ds.id.clone());
                            }
                            self.add_data_source(ds.id, progress)
                        }
                        SearchResult::Database(db) => self.add_database(db.id),
                        SearchResult::Unknown(raw) => self.add_unparsed(raw, progress),
                    }
                }
            }
        }
        let next = match outcome.next {
            Ok(next) => next,
            Err(error) => return Some(error),
        };
        let next = next?;
        if let Some((key, cursor, endpoint)) = next.cursor()
            && !self.seen_cursors.insert((key, cursor.to_string()))
        {
            return Some(ClientError::Pagination {
                endpoint,
                detail: format!(
                    "next_cursor {cursor:?} was already used in this listing: it ends here"
                ),
            });
        }
        self.listings.push_front(next);
        None
    }

    /// A listing result that did not parse. A page with an id becomes a
    /// failed page with the parse error; a data source or database with an
    /// id is still listed (its id is all a listing needs); anything else is
    /// only logged.
    fn add_unparsed(&mut self, raw: Value, progress: &CrawlProgress) {
        let object = raw.get("object").and_then(Value::as_str).unwrap_or("");
        let id = match raw.get("id") {
            Some(Value::String(id)) if !id.is_empty() => id.clone(),
            _ => {
                tracing::warn!(
                    object,
                    "a listing returned an item without an id; it is ignored"
                );
                return;
            }
        };
        match object {
            "data_source" => return self.add_data_source(id, progress),
            "database" => return self.add_database(id),
            "page" => {}
            other => {
                tracing::warn!(
                    object = other,
                    id,
                    "a listing returned an object of an unknown kind; it is ignored"
                );
                return;
            }
        }
        if self.excluded.contains(&id) || !self.seen_pages.insert(id.clone()) {
            return;
        }
        let why = Page::deserialize(&raw)
            .err()
            .map_or_else(|| "unknown".to_string(), |e| e.to_string());
        let error = ErrorInfo {
            status: None,
            code: "decode_error".into(),
            message: format!("the page object the listing returned did not parse: {why}"),
            request_id: None,
        };
        tracing::warn!(page_id = %id, message = %error.message, "page failed");
        progress.add(Counter::Discovered, 1);
        progress.add(Counter::Failed, 1);
        self.failures.push((id.clone(), error.clone()));
        self.outbox.push(CrawlEvent::Failed(PageFailure {
            page: Box::new(unparsed_page(&id, &raw)),
            error,
        }));
    }

    /// Takes in the child pages and databases held by page `from`.
    pub(crate) fn add_walked(
        &mut self,
        from: &str,
        walked: ChildDocuments,
        progress: &CrawlProgress,
    ) {
        for page in walked.pages {
            if self.defer_walked {
                self.deferred.push(page);
            } else {
                self.add_page(page, FoundBy::Walk, progress);
            }
        }
        for id in walked.databases {
            self.database_referrers
                .entry(id.clone())
                .or_default()
                .insert(from.to_string());
            self.add_database(id);
        }
    }

    /// Records what page `from` shows that is not shared (synced originals,
    /// placeholders the markdown endpoint answered 404 for).
    pub(crate) fn add_not_shared(&mut self, from: &str, found: Vec<(NotSharedKind, String)>) {
        for key in found {
            self.not_shared
                .entry(key)
                .or_default()
                .insert(from.to_string());
        }
    }

    /// Queues the child pages held back until the listings ended (see
    /// [`Frontier::deferred`]); from now on walked pages are queued at once.
    pub(crate) fn release_deferred(&mut self, progress: &CrawlProgress) {
        self.defer_walked = false;
        for page in std::mem::take(&mut self.deferred) {
            self.add_page(page, FoundBy::Walk, progress);
        }
    }

    /// Takes in a listing that failed for good. A database that a crawled
    /// page shows (a `child_database` block) and Notion does not find is
    /// recorded as not shared (true); anything else is the caller's listing
    /// error (false).
    pub(crate) fn listing_failed(&mut self, job: &Listing, error: &ClientError) -> bool {
        match job {
            Listing::Database { id }
                if error.is_not_found() && self.database_referrers.contains_key(id) =>
            {
                self.not_shared
                    .entry((NotSharedKind::Database, id.clone()))
                    .or_default();
                true
            }
            _ => false,
        }
    }

    /// What is not shared, sorted by kind and id, each with the pages that
    /// reference it.
    pub(crate) fn not_shared(&self) -> Vec<NotShared> {
        self.not_shared
            .iter()
            .map(|((kind, id), from)| {
                let mut referenced_from: BTreeSet<String> = from.clone();
                if *kind == NotSharedKind::Database {
                    referenced_from.extend(
                        self.database_referrers
                            .get(id)
                            .into_iter()
                            .flatten()
                            .cloned(),
                    );
                }
                NotShared {
                    id: id.clone(),
                    kind: *kind,
                    referenced_from: referenced_from.into_iter().collect(),
                }
            })
            .collect()
    }

    /// Queues a page unless seen, excluded, filtered out or unchanged; a
    /// removed or unchanged page goes to the outbox instead.
    /// Takes in a page the caller already has ([`CrawlConfig::seed_pages`]),
    /// as if a listing had found it.
    pub(crate) fn add_seed(&mut self, page: Page, progress: &CrawlProgress) {
        self.add_page(page, FoundBy::Listing, progress);
    }

    fn add_page(&mut self, page: Page, found_by: FoundBy<'_>, progress: &CrawlProgress) {
        let parent = page.parent.id().map(str::to_string);
        if self.excluded.contains(&page.id)
            || parent.as_ref().is_some_and(|p| self.excluded.contains(p))
        {
            self.excluded.insert(page.id.clone());
            return;
        }
        // A filtered data source's rows count only when its own query returns them.
        let row_of = page.data_source_id();
        if row_of.is_some_and(|ds| self.filtered.contains(ds))
            && found_by != FoundBy::QueryOf(row_of.unwrap_or_default())
        {
            return;
        }
        if !self.seen_pages.insert(page.id.clone()) {
            return;
        }
        progress.add(Counter::Discovered, 1);
        if page.is_removed() {
            // A child page trashed with its block is simply gone; listings report theirs.
            if found_by != FoundBy::Walk {
                progress.add(Counter::Skipped, 1);
                let reason = if page.in_trash || page.archived {
                    SkipReason::Trashed
                } else {
                    SkipReason::Archived
                };
                self.outbox.push(CrawlEvent::Skipped(SkippedPage {
                    page: Box::new(page),
                    reason,
                }));
            }
            return;
        }
        match self.planner.as_ref().map(|p| p.plan(&page)) {
            Some(Plan::Unchanged(children)) => {
                progress.add(Counter::Unchanged, 1);
                let id = page.id.clone();
                self.outbox.push(CrawlEvent::Unchanged(Box::new(page)));
                if self.follow_children {
                    self.add_walked(&id, children, progress);
                }
            }
            _ => self.pages.push_back(page),
        }
    }

    fn add_data_source(&mut self, id: String, progress: &CrawlProgress) {
        if self.excluded.contains(&id) || !self.seen_data_sources.insert(id.clone()) {
            return;
        }
        if self.listing == ListingMode::SearchOnly && !self.filtered.contains(&id) {
            return;
        }
        progress.add(Counter::DataSources, 1);
        self.listings.push_back(Listing::Query {
            data_source_id: id,
            cursor: None,
            since: None,
        });
    }

    fn add_database(&mut self, id: String) {
        if self.listing == ListingMode::SearchOnly
            || self.excluded.contains(&id)
            || !self.seen_databases.insert(id.clone())
        {
            return;
        }
        self.listings.push_back(Listing::Database { id });
    }
}
