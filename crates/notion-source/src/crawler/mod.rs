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
//! - Fetch strategies ([`CrawlConfig::fetch`]): a page's content is its
//!   block tree (`blocks`, `tree`), or one page-as-Markdown answer with its
//!   placeholders read again and spliced (`markdown`, see the `markdown`
//!   module), read into the same blocks by a [`MarkdownReader`]. With
//!   `markdown`, child pages found in pages wait until the listings end, so
//!   a page search lists always gets the listing's metadata (a `<page>` tag
//!   has no edit times). With [`CrawlConfig::anchors`] at
//!   [`Anchors::TopLevel`], the page's top-level blocks are listed once more
//!   and their ids given to the blocks the Markdown gave (the `anchors`
//!   module), so chunks cite blocks.
//! - Budget kept busy: up to `pages_in_flight` pages are read at once, each
//!   with all its containers of a level requested together; every request
//!   waits for the client's one rate limiter.
//! - Backpressure: a page task hands its tree to a bounded channel and holds
//!   its slot until the channel takes it, so a slow consumer stops new pages
//!   (and new requests) from starting. Listing runs only a little ahead of
//!   the page tasks, so memory stays flat. With a [`PageBudget`] shared by
//!   many crawls ([`CrawlConfig::page_budget`]), a page also holds a place in
//!   it from its first request until its consumer drops the event: one bound
//!   on pages in memory across every workspace of a process.
//! - Failures: a page that fails for good becomes [`CrawlEvent::Failed`] and
//!   the crawl goes on; every page a listing returns ends as a page, a
//!   failure with a reason (also one whose object did not parse) or a skip.
//!   Only a refused token (401) or a `Retry-After` beyond the client's cap
//!   stops the crawl ([`CrawlError`]).
//! - Hostile answers: a page's tree is read iteratively and bounded
//!   ([`MAX_DEPTH`] levels, cycles cut, both marked with a
//!   [`Marker`](crate::model::Marker)); a listing whose cursor comes back
//!   ends with a pagination error; what pages reference but Notion does not
//!   share (linked databases, synced originals) is listed in
//!   [`CrawlReport::not_shared`], not counted as a failure.
//! - Cancellation: every request the crawl makes ends as soon as the token
//!   fires (a `Retry-After` pause included), and [`Crawler::run`] returns
//!   with `cancelled: true`.

mod anchors;
mod budget;
mod frontier;
mod ids;
mod listing;
mod markdown;
mod progress;
mod properties;
mod report;
mod tree;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::client::{ClientError, DataSourceQuery, NotionClient};
use crate::model::{Page, PageTree};

pub use anchors::{Anchors, UnknownAnchors};
pub use budget::{PageBudget, PageHold};
pub use ids::{Root, normalize_id};
pub use markdown::{
    Fetch, FetchStrategy, MARKDOWN_VERSION, MarkdownDocument, MarkdownReader, PlaceholderRef,
    UnknownFetchStrategy,
};
pub use progress::{CrawlProgress, ProgressSnapshot};
pub use report::{
    CrawlError, CrawlReport, ErrorInfo, NotShared, NotSharedKind, PageFailure, SkipReason,
    SkippedPage,
};
pub use tree::MAX_DEPTH;

use frontier::{Frontier, walk};
use listing::Listing;
use markdown::RefetchCache;
use progress::Counter;
use tree::{Scope, SyncedCache};

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
    /// How page content is read: the block walk, or the markdown endpoint
    /// (`crawl.fetch`).
    pub fetch: Fetch,
    /// With the markdown strategy, whether top-level blocks get their ids
    /// from a block-children listing (`crawl.anchors`); the block walk has
    /// them all.
    pub anchors: Anchors,
    /// Places for pages in memory shared with other crawls (many workspaces
    /// in one process); `None`: only `pages_in_flight` and the channel bound
    /// this crawl.
    pub page_budget: Option<PageBudget>,
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
            fetch: Fetch::Blocks,
            anchors: Anchors::default(),
            page_budget: None,
        }
    }
}

/// What the crawler hands downstream, one per page.
#[derive(Debug)]
pub enum CrawlEvent {
    /// A page read completely, with its place in the crawl's
    /// [`PageBudget`]: drop it once the page is stored.
    Page(Box<PageTree>, PageHold),
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

/// How a page task ended.
enum PageOutcome {
    /// Read and handed on: the child documents it holds, and what it shows
    /// that is not shared.
    Done {
        page_id: String,
        walked: ChildDocuments,
        not_shared: Vec<(NotSharedKind, String)>,
    },
    Failed {
        page_id: String,
        error: ErrorInfo,
    },
    /// Stopped the crawl (the page is not reported failed).
    Fatal(CrawlError),
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
    /// page into `events`. When `cancel` fires, every request in flight ends
    /// at once (pauses included) and no page or listing starts; pages
    /// already read are still handed on, and the report says `cancelled`.
    pub async fn run(
        self,
        events: mpsc::Sender<CrawlEvent>,
        cancel: CancellationToken,
    ) -> Result<CrawlReport, CrawlError> {
        let client = self.client.with_cancellation(cancel.clone());
        let mut state = Frontier::new(&self.config);
        for page in self.config.seed_pages.clone() {
            state.add_seed(page, &self.progress);
        }
        let synced = SyncedCache::default();
        let refetched = RefetchCache::default();
        let mut pages: JoinSet<PageOutcome> = JoinSet::new();
        let mut listings: JoinSet<(Listing, Result<listing::ListingOutcome, ClientError>)> =
            JoinSet::new();
        let mut listing_errors = Vec::new();
        let mut fatal = None;
        let in_flight = self.config.pages_in_flight.max(1);
        let mut listings_aborted = false;

        loop {
            // Skipped, unchanged and unparseable pages, before the pages
            // found after them start.
            if !send_all(&events, &mut state.outbox).await {
                fatal.get_or_insert(CrawlError::ChannelClosed);
                cancel.cancel();
            }
            if listings.is_empty() && state.listings.is_empty() {
                state.release_deferred(&self.progress);
            }
            while pages.len() < in_flight && !cancel.is_cancelled() {
                let Some(page) = state.next_page() else { break };
                pages.spawn(read_page(
                    client.clone(),
                    Readers {
                        fetch: self.config.fetch.clone(),
                        anchors: self.config.anchors,
                        synced: synced.clone(),
                        refetched: refetched.clone(),
                        budget: self.config.page_budget.clone(),
                    },
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
                let client = client.clone();
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
                // Listings end by themselves once cancelled (their requests
                // do); aborting them is a backstop, done once: an
                // always-ready branch here would spin.
                () = cancel.cancelled(), if !listings_aborted && !listings.is_empty() => {
                    listings.abort_all();
                    listings_aborted = true;
                }
                Some(joined) = pages.join_next(), if !pages.is_empty() => match joined {
                    Ok(PageOutcome::Done { page_id, walked, not_shared }) => {
                        if self.config.follow_children {
                            state.add_walked(&page_id, walked, &self.progress);
                        }
                        state.add_not_shared(&page_id, not_shared);
                    }
                    Ok(PageOutcome::Failed { page_id, error }) => {
                        if error.status == Some(401) {
                            fatal.get_or_insert(CrawlError::Unauthorized(error.clone()));
                            cancel.cancel();
                        }
                        state.failures.push((page_id, error));
                    }
                    Ok(PageOutcome::Fatal(error)) => {
                        fatal.get_or_insert(error);
                        cancel.cancel();
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
                    let error = match outcome {
                        Ok(outcome) => state.add_listed(&job, outcome, &self.progress),
                        Err(error) if error.is_cancelled() => None,
                        Err(error) if state.listing_failed(&job, &error) => {
                            tracing::info!(?job, "a database a page shows is not shared with the integration");
                            None
                        }
                        Err(error) => Some(error),
                    };
                    if let Some(error) = error {
                        let info = ErrorInfo::from(&error);
                        tracing::warn!(?job, code = %info.code, message = %info.message, "a listing request failed for good; the crawl goes on without it");
                        if let Some(stop) = CrawlError::fatal(&error) {
                            fatal.get_or_insert(stop);
                            cancel.cancel();
                        }
                        listing_errors.push(info);
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
            failures: std::mem::take(&mut state.failures),
            listing_complete: listing_errors.is_empty() && !cancelled,
            listing_errors,
            cancelled,
            not_shared: state.not_shared(),
            server_time_first: self.client.server_time_first(),
            server_time_last: self.client.server_time_last(),
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

/// How a page task reads content, with the caches shared by all of them.
struct Readers {
    fetch: Fetch,
    anchors: Anchors,
    synced: SyncedCache,
    refetched: RefetchCache,
    budget: Option<PageBudget>,
}

/// Reads one page: its truncated properties, its content (block tree or
/// markdown); hands the tree on and returns the child pages and databases
/// it holds.
async fn read_page(
    client: NotionClient,
    readers: Readers,
    mut page: Page,
    complete_properties: bool,
    events: mpsc::Sender<CrawlEvent>,
    cancel: CancellationToken,
    progress: Arc<CrawlProgress>,
) -> PageOutcome {
    // A place in the shared budget before the first request.
    let hold = tokio::select! {
        hold = PageHold::of(readers.budget.as_ref()) => hold,
        () = cancel.cancelled() => return PageOutcome::Cancelled,
    };
    let read = async {
        type Read = (Vec<crate::model::Block>, Vec<(NotSharedKind, String)>);
        if complete_properties {
            properties::complete_truncated(&client, &mut page)
                .await
                .map_err(Arc::new)?;
        }
        let Readers {
            fetch,
            anchors,
            synced,
            refetched,
            budget: _,
        } = &readers;
        match fetch {
            Fetch::Blocks => {
                let read = tree::read_tree(&client, synced, &page.id, Scope::Page).await?;
                let not_shared = read
                    .not_shared
                    .into_iter()
                    .map(|id| (NotSharedKind::SyncedOriginal, id))
                    .collect();
                Ok::<Read, tree::FetchError>((read.blocks, not_shared))
            }
            Fetch::Markdown(reader) => {
                let mut read =
                    markdown::read_page(&client, reader.as_ref(), refetched, synced, page.clone())
                        .await?;
                if *anchors == Anchors::TopLevel {
                    let m = anchors::anchor(&client, &page.id, &mut read.tree.blocks).await?;
                    progress.add(Counter::Anchored, m.matched);
                    progress.add(Counter::Unanchored, m.unmatched);
                }
                Ok((read.tree.blocks, read.not_shared))
            }
        }
    };
    let result = tokio::select! {
        result = read => result,
        () = cancel.cancelled() => return PageOutcome::Cancelled,
    };
    match result {
        Ok((blocks, not_shared)) => {
            let walked = walk(&page, &blocks);
            let tree = PageTree { page, blocks };
            let page_id = tree.page.id.clone();
            progress.add(Counter::Blocks, tree.block_count() as u64);
            progress.add(Counter::MalformedValues, tree.malformed_values());
            if events
                .send(CrawlEvent::Page(Box::new(tree), hold))
                .await
                .is_err()
            {
                return PageOutcome::ChannelClosed;
            }
            progress.add(Counter::Crawled, 1);
            PageOutcome::Done {
                page_id,
                walked,
                not_shared,
            }
        }
        Err(error) if error.is_cancelled() => PageOutcome::Cancelled,
        Err(error) => {
            if let Some(stop @ CrawlError::RateLimitedTooLong { .. }) = CrawlError::fatal(&error) {
                return PageOutcome::Fatal(stop);
            }
            let error = ErrorInfo::from(error.as_ref());
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
