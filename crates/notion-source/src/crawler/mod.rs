//! The crawler: every page of a workspace, in the fewest requests Notion
//! allows, at the full rate budget.
//!
//! ```text
//!   listing jobs ──(pages, data sources)──▶ frontier ──▶ page tasks (≤ pages_in_flight)
//!   search / queries / databases                │           read the block tree (tree.rs)
//!        ▲                                      │           send CrawlEvent::Page ──▶ bounded channel
//!        └──── child databases ◀── walk ◀───────┴─ child pages (crawled as pages of their own)
//! ```
//!
//! - Discovery: search (or the configured roots), data source queries, and a
//!   walk of `child_page` / `child_database` blocks, so pages that search
//!   misses are still reached. Every page is crawled once however many ways
//!   it is reached.
//! - Fewest requests: page metadata comes from the listing that found the
//!   page (a child page's from its `child_page` block), never from a
//!   retrieve-page call; no children requests for child pages, child
//!   databases or synced copies; no retrieve-block calls.
//! - Budget kept busy: up to `pages_in_flight` pages are read at once, each
//!   with all its containers of a level requested together; every request
//!   waits for the client's one rate limiter.
//! - Backpressure: a page task hands its tree to a bounded channel and holds
//!   its slot until the channel takes it, so a slow consumer stops new pages
//!   (and new requests) from starting. Listing runs only a little ahead of
//!   the page tasks, so memory stays flat.
//! - Failures: a page that fails for good becomes [`CrawlEvent::Failed`] and
//!   the crawl goes on; only an authentication failure stops it.

mod ids;
mod listing;
mod progress;
mod properties;
mod tree;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use indexmap::IndexMap;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::client::{ClientError, ClientStats, DataSourceQuery, NotionClient};
use crate::model::{
    Block, BlockKind, Page, PageTree, Parent, PropertyKind, PropertyValue, RichText, SearchResult,
};

pub use ids::{Root, normalize_id};
pub use progress::{CrawlProgress, ProgressSnapshot};

use listing::{Found, Listing};
use progress::Counter;
use tree::SyncedCache;

/// What to crawl and how hard.
#[derive(Debug, Clone)]
pub struct CrawlConfig {
    /// Start points; empty means everything search returns.
    pub roots: Vec<Root>,
    /// Ids (pages, databases, data sources) never crawled, nor what is
    /// reachable only through them.
    pub exclude: HashSet<String>,
    /// Pages read at once.
    pub pages_in_flight: usize,
    /// Read relation and people properties beyond the 25 references a page
    /// object lists (one or more page-property requests each).
    pub complete_truncated_properties: bool,
    /// Filters, sorts and property subsets per data source id. Rows a filter
    /// leaves out are not crawled.
    pub data_source_queries: HashMap<String, DataSourceQuery>,
    /// Which listings find pages.
    pub listing: ListingMode,
    /// Decides which pages need reading (all of them when `None`).
    pub planner: Option<Arc<dyn PagePlanner>>,
    /// Pages whose metadata the caller already has, read like listed pages
    /// (before the roots or search).
    pub seed_pages: Vec<Page>,
    /// Crawl the child pages and databases found in pages read (and in
    /// unchanged pages' stored children). Off for a partial crawl of given
    /// pages, which reads those pages and nothing else.
    pub follow_children: bool,
}

impl std::fmt::Debug for dyn PagePlanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PagePlanner")
    }
}

impl Default for CrawlConfig {
    fn default() -> Self {
        CrawlConfig {
            roots: Vec::new(),
            exclude: HashSet::new(),
            pages_in_flight: 8,
            complete_truncated_properties: true,
            data_source_queries: HashMap::new(),
            listing: ListingMode::Complete,
            planner: None,
            seed_pages: Vec::new(),
            follow_children: true,
        }
    }
}

/// What the crawler hands downstream, one per page.
#[derive(Debug)]
pub enum CrawlEvent {
    /// A page read completely.
    Page(Box<PageTree>),
    /// A page that failed for good; everything else goes on.
    Failed(PageFailure),
    /// A page not crawled, and why.
    Skipped(SkippedPage),
    /// A page the [`PagePlanner`] found unchanged since it was last read:
    /// not read again (its child documents were still walked).
    Unchanged(Box<Page>),
}

/// Decides, for every page found, whether it must be read: an incremental
/// run answers [`Plan::Unchanged`] for pages it already holds.
pub trait PagePlanner: Send + Sync {
    /// What to do with `page`, as listed (or as its `child_page` block says).
    fn plan(&self, page: &Page) -> Plan;
}

/// A [`PagePlanner`]'s answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Read the page's blocks.
    Read,
    /// Do not read it; walk on into the child documents it held last time.
    Unchanged(ChildDocuments),
}

/// Which listings find pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingMode {
    /// Search, every data source's query, and every child database: the
    /// complete set of pages even where search misses some.
    Complete,
    /// Search only (plus the queries of data sources that have a filter):
    /// the cheapest listing, for incremental runs; rows that search misses
    /// wait for the next complete run.
    SearchOnly,
    /// No search: only the configured roots and the seed pages (a partial
    /// crawl of given pages and data sources).
    RootsOnly,
}

/// A page that could not be read.
#[derive(Debug, Clone)]
pub struct PageFailure {
    /// The page's metadata, as listed.
    pub page: Box<Page>,
    /// What went wrong.
    pub error: ErrorInfo,
}

/// A page that was found but not crawled.
#[derive(Debug, Clone)]
pub struct SkippedPage {
    /// The page's metadata, as listed.
    pub page: Box<Page>,
    /// Why.
    pub reason: SkipReason,
}

/// Why a page was not crawled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// In the trash.
    Trashed,
    /// Archived.
    Archived,
}

impl SkipReason {
    /// A short machine-readable name (`trashed`, `archived`).
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Trashed => "trashed",
            SkipReason::Archived => "archived",
        }
    }
}

/// A failure, reduced to what a report needs: Notion's status, code,
/// message and request id (never the token).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ErrorInfo {
    /// HTTP status, when Notion answered.
    pub status: Option<u16>,
    /// Notion's error code, or `transport_error`, `decode_error`...
    pub code: String,
    /// What happened.
    pub message: String,
    /// Notion's request id, to quote to Notion's support.
    pub request_id: Option<String>,
}

impl From<&ClientError> for ErrorInfo {
    fn from(error: &ClientError) -> Self {
        let code = match error {
            ClientError::Api { .. } => error.code().unwrap_or("api_error").to_string(),
            ClientError::Transport { .. } => "transport_error".into(),
            ClientError::Decode { .. } => "decode_error".into(),
            ClientError::Pagination { .. } => "pagination_error".into(),
            _ => "client_error".into(),
        };
        ErrorInfo {
            status: error.status(),
            code,
            message: error.to_string(),
            request_id: error.request_id().map(str::to_string),
        }
    }
}

impl std::fmt::Display for ErrorInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)?;
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

/// Why a crawl stopped before the end.
#[derive(Debug, thiserror::Error)]
pub enum CrawlError {
    /// Notion refused the token (401): nothing else can work.
    #[error("Notion refused the integration token: {0}")]
    Unauthorized(ErrorInfo),
    /// The downstream channel closed: whoever consumed pages is gone.
    #[error("the page channel closed before the crawl ended")]
    ChannelClosed,
}

/// How a crawl went.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CrawlReport {
    /// Final counters.
    pub progress: ProgressSnapshot,
    /// Pages that failed for good, with their errors.
    pub failures: Vec<(String, ErrorInfo)>,
    /// Listing requests that failed for good (the crawl may have missed
    /// what they would have found).
    pub listing_errors: Vec<ErrorInfo>,
    /// Every listing finished: the set of pages found is complete.
    pub listing_complete: bool,
    /// Stopped by the cancellation token.
    pub cancelled: bool,
    /// The client's counters at the end.
    pub client: ClientStats,
}

/// Crawls a workspace through a [`NotionClient`].
pub struct Crawler {
    client: NotionClient,
    config: CrawlConfig,
    progress: Arc<CrawlProgress>,
}

/// The documents a page holds that are crawled on their own: its child
/// pages (with metadata built from their `child_page` blocks) and the
/// databases of its `child_database` blocks.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChildDocuments {
    /// Child pages, in document order.
    pub pages: Vec<Page>,
    /// Child database ids, in document order.
    pub databases: Vec<String>,
}

impl ChildDocuments {
    /// The child pages and databases of a page's block tree. Synced content
    /// is not walked: its child pages belong to the original's page.
    pub fn of(tree: &PageTree) -> ChildDocuments {
        walk(&tree.page, &tree.blocks)
    }
}

type Walked = ChildDocuments;

/// How a page task ended.
enum PageOutcome {
    Done(Walked),
    Failed { page_id: String, error: ErrorInfo },
    Cancelled,
    ChannelClosed,
}

/// How many listing requests run at once (search and a query, say).
const LISTINGS_IN_FLIGHT: usize = 2;

impl Crawler {
    /// A crawler over `client` with `config`.
    pub fn new(client: NotionClient, config: CrawlConfig) -> Crawler {
        Crawler {
            client,
            config,
            progress: Arc::default(),
        }
    }

    /// Uses `progress` for the live counters (to watch a crawl that runs
    /// inside something else).
    pub fn with_progress(mut self, progress: Arc<CrawlProgress>) -> Crawler {
        self.progress = progress;
        self
    }

    /// Live counters, for progress display.
    pub fn progress(&self) -> Arc<CrawlProgress> {
        self.progress.clone()
    }

    /// Crawls until every page found is read, sending one [`CrawlEvent`] per
    /// page into `events`. Stops starting pages and listings when `cancel`
    /// fires; pages already read are still handed on.
    pub async fn run(
        self,
        events: mpsc::Sender<CrawlEvent>,
        cancel: CancellationToken,
    ) -> Result<CrawlReport, CrawlError> {
        let mut state = Frontier::new(&self.config);
        for page in self.config.seed_pages.clone() {
            state.add_page(page, FoundBy::Listing, &self.progress);
        }
        if !send_all(&events, &mut state.outbox).await {
            return Err(CrawlError::ChannelClosed);
        }
        let synced = SyncedCache::default();
        let mut pages: JoinSet<PageOutcome> = JoinSet::new();
        let mut listings: JoinSet<(Listing, Result<listing::ListingOutcome, ClientError>)> =
            JoinSet::new();
        let mut failures = Vec::new();
        let mut listing_errors = Vec::new();
        let mut fatal = None;
        let in_flight = self.config.pages_in_flight.max(1);

        loop {
            while pages.len() < in_flight && !cancel.is_cancelled() {
                let Some(page) = state.next_page() else { break };
                pages.spawn(read_page(
                    self.client.clone(),
                    synced.clone(),
                    page,
                    self.config.complete_truncated_properties,
                    events.clone(),
                    cancel.clone(),
                    self.progress.clone(),
                ));
            }
            while listings.len() < LISTINGS_IN_FLIGHT
                && state.wants_listing(in_flight)
                && !cancel.is_cancelled()
            {
                let Some(job) = state.next_listing() else {
                    break;
                };
                let client = self.client.clone();
                let queries = self.config.data_source_queries.clone();
                listings.spawn(async move {
                    let query_for = |id: &str| queries.get(id).cloned().unwrap_or_default();
                    let outcome = listing::run(&client, &job, query_for).await;
                    (job, outcome)
                });
            }
            self.progress.set_queue(
                pages.len(),
                state.pages.len(),
                listings.is_empty() && state.listings.is_empty(),
            );
            if pages.is_empty() && listings.is_empty() {
                break;
            }
            tokio::select! {
                _ = cancel.cancelled(), if !listings.is_empty() => listings.abort_all(),
                Some(joined) = pages.join_next(), if !pages.is_empty() => match joined {
                    Ok(PageOutcome::Done(walked)) => {
                        if self.config.follow_children {
                            state.add_walked(walked, &self.progress);
                        }
                        if !send_all(&events, &mut state.outbox).await {
                            fatal.get_or_insert(CrawlError::ChannelClosed);
                            cancel.cancel();
                        }
                    }
                    Ok(PageOutcome::Failed { page_id, error }) => {
                        if error.status == Some(401) {
                            fatal.get_or_insert(CrawlError::Unauthorized(error.clone()));
                            cancel.cancel();
                        }
                        failures.push((page_id, error));
                    }
                    Ok(PageOutcome::Cancelled) => {}
                    Ok(PageOutcome::ChannelClosed) => {
                        fatal.get_or_insert(CrawlError::ChannelClosed);
                        cancel.cancel();
                    }
                    Err(join_error) if join_error.is_panic() => std::panic::resume_unwind(join_error.into_panic()),
                    Err(_) => {}
                },
                Some(joined) = listings.join_next(), if !listings.is_empty() => {
                    let Ok((job, outcome)) = joined else { continue };
                    match outcome {
                        Ok(outcome) => {
                            state.add_listed(&job, outcome, &self.progress);
                            if !send_all(&events, &mut state.outbox).await {
                                fatal.get_or_insert(CrawlError::ChannelClosed);
                                cancel.cancel();
                            }
                        }
                        Err(error) => {
                            let info = ErrorInfo::from(&error);
                            tracing::warn!(?job, code = %info.code, "a listing request failed for good; the crawl goes on without it");
                            if info.status == Some(401) {
                                fatal.get_or_insert(CrawlError::Unauthorized(info.clone()));
                                cancel.cancel();
                            }
                            listing_errors.push(info);
                        }
                    }
                }
            }
        }
        if let Some(error) = fatal {
            return Err(error);
        }
        let cancelled = cancel.is_cancelled();
        self.progress.set_queue(0, state.pages.len(), !cancelled);
        Ok(CrawlReport {
            progress: self.progress.snapshot(),
            failures,
            listing_complete: listing_errors.is_empty() && !cancelled,
            listing_errors,
            cancelled,
            client: self.client.stats(),
        })
    }
}

/// Sends the outbox's events in order; false when the channel is closed.
async fn send_all(events: &mpsc::Sender<CrawlEvent>, outbox: &mut Vec<CrawlEvent>) -> bool {
    for event in outbox.drain(..) {
        if events.send(event).await.is_err() {
            return false;
        }
    }
    true
}

/// Reads one page: its truncated properties, its block tree; hands the tree
/// on and returns the child pages and databases it holds.
async fn read_page(
    client: NotionClient,
    synced: SyncedCache,
    mut page: Page,
    complete_properties: bool,
    events: mpsc::Sender<CrawlEvent>,
    cancel: CancellationToken,
    progress: Arc<CrawlProgress>,
) -> PageOutcome {
    let read = async {
        if complete_properties {
            properties::complete_truncated(&client, &mut page)
                .await
                .map_err(|e| ErrorInfo::from(&e))?;
        }
        tree::read_children(&client, &synced, &page.id)
            .await
            .map_err(|e| ErrorInfo::from(e.as_ref()))
    };
    let result = tokio::select! {
        result = read => result,
        _ = cancel.cancelled() => return PageOutcome::Cancelled,
    };
    match result {
        Ok(blocks) => {
            let walked = walk(&page, &blocks);
            let tree = PageTree { page, blocks };
            progress.add(Counter::Blocks, tree.block_count() as u64);
            if events.send(CrawlEvent::Page(Box::new(tree))).await.is_err() {
                return PageOutcome::ChannelClosed;
            }
            progress.add(Counter::Crawled, 1);
            PageOutcome::Done(walked)
        }
        Err(error) => {
            tracing::warn!(page_id = %page.id, code = %error.code, request_id = ?error.request_id, "page failed");
            progress.add(Counter::Failed, 1);
            let page_id = page.id.clone();
            let failure = PageFailure {
                page: Box::new(page),
                error: error.clone(),
            };
            if events.send(CrawlEvent::Failed(failure)).await.is_err() {
                return PageOutcome::ChannelClosed;
            }
            PageOutcome::Failed { page_id, error }
        }
    }
}

/// The child pages and databases of a block tree, in document order. Synced
/// content is not walked: its child pages belong to the original's page.
fn walk(page: &Page, blocks: &[Block]) -> Walked {
    let mut walked = Walked::default();
    let mut stack: Vec<&Block> = blocks.iter().rev().collect();
    while let Some(block) = stack.pop() {
        if block.is_trashed() {
            continue;
        }
        match &block.kind {
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
struct Frontier {
    /// Pages waiting to be read.
    pages: VecDeque<Page>,
    /// Listing requests waiting to be made.
    listings: VecDeque<Listing>,
    /// Skipped and unchanged pages to report, in the order found.
    outbox: Vec<CrawlEvent>,
    seen_pages: HashSet<String>,
    seen_data_sources: HashSet<String>,
    seen_databases: HashSet<String>,
    /// Excluded ids, grown with the pages found under them.
    excluded: HashSet<String>,
    /// Data sources whose rows come only from their (filtered) query.
    filtered: HashSet<String>,
    listing: ListingMode,
    planner: Option<Arc<dyn PagePlanner>>,
    follow_children: bool,
}

impl Frontier {
    fn new(config: &CrawlConfig) -> Frontier {
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
            seen_pages: HashSet::new(),
            seen_data_sources,
            seen_databases: HashSet::new(),
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
            follow_children: config.follow_children,
        }
    }

    fn next_page(&mut self) -> Option<Page> {
        self.pages.pop_front()
    }

    fn next_listing(&mut self) -> Option<Listing> {
        self.listings.pop_front()
    }

    /// List more only when few pages wait: listing far ahead of the page
    /// reads would hold the whole workspace's metadata in memory.
    fn wants_listing(&self, in_flight: usize) -> bool {
        !self.listings.is_empty() && self.pages.len() < in_flight * 4
    }

    /// Takes in what a listing found.
    fn add_listed(
        &mut self,
        job: &Listing,
        outcome: listing::ListingOutcome,
        progress: &CrawlProgress,
    ) {
        let queried = match job {
            Listing::Query { data_source_id, .. } => Some(data_source_id.as_str()),
            _ => None,
        };
        if let Some(next) = outcome.next {
            self.listings.push_front(next);
        }
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
                        SearchResult::Unknown(_) => {}
                    }
                }
            }
        }
    }

    /// Takes in the child pages and databases a page held.
    fn add_walked(&mut self, walked: Walked, progress: &CrawlProgress) {
        for page in walked.pages {
            self.add_page(page, FoundBy::Walk, progress);
        }
        for id in walked.databases {
            self.add_database(id);
        }
    }

    /// Queues a page unless seen, excluded, filtered out or unchanged; a
    /// removed or unchanged page goes to the outbox instead.
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
                self.outbox.push(CrawlEvent::Unchanged(Box::new(page)));
                if self.follow_children {
                    self.add_walked(children, progress);
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
