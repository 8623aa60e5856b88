//! Listing what is shared, in the fewest requests: search for pages and data
//! sources, one `GET /v1/blocks/{id}` per distinct block between a page (or
//! an inline database) and the document that holds it, and a database
//! retrieve only where its data sources cannot stand for it.
//!
//! Block lookups run while search goes on, so the rate limiter stays busy;
//! each block is asked for once however many pages sit under it.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;

use futures::stream::{FuturesUnordered, StreamExt};
use serde::{Deserialize, Serialize};

use crate::client::{ClientError, Endpoint, NotionClient, SearchQuery};
use crate::model::{
    Block, DataSource, Database, ListResponse, Page, Parent, SearchResult, plain_text,
};

use super::{HierarchyError, NodeKind};

/// Block and database lookups in flight at once (they all wait for the
/// client's one rate limiter; several hide the latency).
const LOOKUPS_IN_FLIGHT: usize = 8;

/// Where an object of the listing hangs, as Notion says (before blocks are
/// resolved to the document that holds them).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum ParentRef {
    /// The workspace's top level, or a parent kind this crate does not know.
    Workspace,
    /// A page, database or data source.
    Document(String),
    /// A block (a toggle, a column...), resolved through [`Listing::blocks`].
    Block(String),
    /// A block Notion does not show the integration (404): its page is not shared.
    NotFound,
}

impl ParentRef {
    /// The parent of an object, as the listing keeps it.
    pub fn of(parent: Option<&Parent>) -> ParentRef {
        match parent {
            Some(Parent::Block { block_id }) => ParentRef::Block(block_id.clone()),
            Some(
                Parent::Page { page_id: id }
                | Parent::Database { database_id: id }
                | Parent::DataSource {
                    data_source_id: id, ..
                },
            ) => ParentRef::Document(id.clone()),
            Some(Parent::Workspace | Parent::Unknown { .. }) | None => ParentRef::Workspace,
        }
    }
}

/// One page, database or data source the integration sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Its id, with dashes.
    pub id: String,
    /// What it is.
    pub kind: NodeKind,
    /// Its title as plain text (may be empty).
    pub title: String,
    /// Where it hangs.
    pub parent: ParentRef,
    /// Its URL in Notion.
    pub url: String,
}

impl Entry {
    /// An entry with the id-only Notion URL (for tests and callers that add
    /// pages known from elsewhere, such as a crawl's walk).
    pub fn new(id: &str, kind: NodeKind, title: &str, parent: ParentRef) -> Entry {
        Entry {
            id: id.to_string(),
            kind,
            title: title.to_string(),
            parent,
            url: id_url(id),
        }
    }
}

/// Requests a listing made, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingRequests {
    /// `POST /v1/search` pages.
    pub search: u64,
    /// `GET /v1/blocks/{id}`: one per distinct block parent.
    pub blocks: u64,
    /// `GET /v1/databases/{id}`.
    pub databases: u64,
}

impl ListingRequests {
    /// All requests.
    pub fn total(&self) -> u64 {
        self.search + self.blocks + self.databases
    }
}

/// What a listing found: plain data, so it can be cached and built into a
/// [`Hierarchy`](super::Hierarchy) again.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Listing {
    /// Pages, databases and data sources, in the order found.
    pub entries: Vec<Entry>,
    /// Every block looked up, with its own parent.
    pub blocks: BTreeMap<String, ParentRef>,
    /// The requests made.
    pub requests: ListingRequests,
    /// Trashed or archived objects search returned, left out.
    pub removed: u64,
}

/// Lists everything shared with the integration (see the module docs).
/// Stops at the first request that fails for good; a block Notion answers
/// 404 for (its page is not shared) is not a failure.
pub async fn list(client: &NotionClient) -> Result<Listing, HierarchyError> {
    let mut run = Run::default();
    run.drive(client, Some(search_page(client.clone(), None)))
        .await?;
    for database in run.databases_to_retrieve() {
        run.queue.push_back((Lookup::Database, database));
    }
    // Databases, and the blocks that hold inline ones.
    run.drive(client, None).await?;
    Ok(run.listing)
}

/// A lookup of one object by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    Block,
    Database,
}

/// What a lookup came back with.
enum Answer {
    Block(Box<Block>),
    Database(Box<Database>),
}

type Pending<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type LookupDone = (Lookup, String, Result<Answer, ClientError>);
/// A search page in flight, with the cursor it was asked with.
type SearchPage = Pending<(
    Option<String>,
    Result<ListResponse<SearchResult>, ClientError>,
)>;

fn search_page(client: NotionClient, cursor: Option<String>) -> SearchPage {
    Box::pin(async move {
        let page = client
            .search(&SearchQuery::default(), cursor.as_deref())
            .await;
        (cursor, page)
    })
}

fn lookup(client: NotionClient, kind: Lookup, id: String) -> Pending<LookupDone> {
    Box::pin(async move {
        let answer = match kind {
            Lookup::Block => client
                .retrieve_block(&id)
                .await
                .map(|b| Answer::Block(Box::new(b))),
            Lookup::Database => client
                .retrieve_database(&id)
                .await
                .map(|d| Answer::Database(Box::new(d))),
        };
        (kind, id, answer)
    })
}

/// A listing under way.
#[derive(Default)]
struct Run {
    listing: Listing,
    /// Ids of entries taken (search may return an object twice).
    seen: HashSet<String>,
    /// Blocks asked for or queued.
    asked: HashSet<String>,
    /// Lookups to make.
    queue: VecDeque<(Lookup, String)>,
    /// Data sources found, by database: (title, where the database lives).
    sources: BTreeMap<String, Vec<(String, Option<Parent>)>>,
}

impl Run {
    /// Runs search (when `search` is given) and the queued lookups, with
    /// those they call for, until all are done.
    async fn drive(
        &mut self,
        client: &NotionClient,
        mut search: Option<SearchPage>,
    ) -> Result<(), HierarchyError> {
        let mut lookups: FuturesUnordered<Pending<LookupDone>> = FuturesUnordered::new();
        loop {
            while lookups.len() < LOOKUPS_IN_FLIGHT {
                let Some((kind, id)) = self.queue.pop_front() else {
                    break;
                };
                lookups.push(lookup(client.clone(), kind, id));
            }
            if search.is_none() && lookups.is_empty() {
                return Ok(());
            }
            tokio::select! {
                (cursor, page) = async { search.as_mut().expect("guarded by the condition").await }, if search.is_some() => {
                    let page = page?;
                    self.listing.requests.search += 1;
                    search = next_cursor(&page, cursor.as_deref())?
                        .map(|next| search_page(client.clone(), Some(next)));
                    page.results.into_iter().for_each(|r| self.add_result(r));
                }
                Some(done) = lookups.next(), if !lookups.is_empty() => self.take(done)?,
            }
        }
    }

    /// Takes in a finished lookup.
    fn take(&mut self, (kind, id, answer): LookupDone) -> Result<(), HierarchyError> {
        match kind {
            Lookup::Block => self.listing.requests.blocks += 1,
            Lookup::Database => self.listing.requests.databases += 1,
        }
        match answer {
            Ok(Answer::Block(block)) => {
                let parent = ParentRef::of(block.parent.as_ref());
                self.ask_block(&parent);
                self.listing.blocks.insert(id, parent);
            }
            Ok(Answer::Database(db)) => self.add_database(*db),
            Err(e) if e.is_not_found() => {
                if kind == Lookup::Block {
                    self.listing.blocks.insert(id, ParentRef::NotFound);
                }
            }
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    /// Queues a block parent for lookup, once.
    fn ask_block(&mut self, parent: &ParentRef) {
        if let ParentRef::Block(id) = parent
            && self.asked.insert(id.clone())
        {
            self.queue.push_back((Lookup::Block, id.clone()));
        }
    }

    fn add_entry(&mut self, entry: Entry) {
        if self.seen.insert(entry.id.clone()) {
            self.ask_block(&entry.parent);
            self.listing.entries.push(entry);
        }
    }

    fn add_result(&mut self, result: SearchResult) {
        match result {
            SearchResult::Page(page) => self.add_page(*page),
            SearchResult::DataSource(ds) => self.add_data_source(*ds),
            SearchResult::Database(db) => self.add_database(*db),
            SearchResult::Unknown(_) => {}
        }
    }

    fn add_page(&mut self, page: Page) {
        if page.is_removed() {
            self.listing.removed += 1;
            return;
        }
        let title = page.title();
        let url = non_empty_url(Some(page.url), &page.id);
        self.add_entry(Entry {
            parent: ParentRef::of(Some(&page.parent)),
            kind: NodeKind::Page,
            title,
            url,
            id: page.id,
        });
    }

    fn add_data_source(&mut self, ds: DataSource) {
        if ds.in_trash || ds.archived {
            self.listing.removed += 1;
            return;
        }
        let parent = ParentRef::of(ds.parent.as_ref());
        if let ParentRef::Document(database) = &parent {
            self.sources
                .entry(database.clone())
                .or_default()
                .push((ds.title_text(), ds.database_parent.clone()));
        }
        let title = ds.title_text();
        let url = non_empty_url(ds.url, &ds.id);
        self.add_entry(Entry {
            id: ds.id,
            kind: NodeKind::DataSource,
            title,
            parent,
            url,
        });
    }

    fn add_database(&mut self, db: Database) {
        if db.in_trash || db.archived {
            self.listing.removed += 1;
            return;
        }
        let url = non_empty_url(db.url, &db.id);
        self.add_entry(Entry {
            title: plain_text(&db.title),
            parent: ParentRef::of(db.parent.as_ref()),
            kind: NodeKind::Database,
            url,
            id: db.id,
        });
    }

    /// The databases of the data sources found. A database seen through
    /// exactly one data source that says where the database lives is made
    /// from it (title and place), with no request; the others are
    /// retrieved, for their own title and place.
    fn databases_to_retrieve(&mut self) -> Vec<String> {
        let mut retrieve = Vec::new();
        for (database, sources) in std::mem::take(&mut self.sources) {
            if self.seen.contains(&database) {
                continue;
            }
            match sources.as_slice() {
                [(title, Some(place))] => self.add_entry(Entry {
                    url: id_url(&database),
                    id: database,
                    kind: NodeKind::Database,
                    title: title.clone(),
                    parent: ParentRef::of(Some(place)),
                }),
                _ => retrieve.push(database),
            }
        }
        retrieve
    }
}

/// The cursor of the next search page, or an error when the list breaks its
/// contract (more without a cursor, or the same cursor again).
fn next_cursor<T>(
    page: &ListResponse<T>,
    used: Option<&str>,
) -> Result<Option<String>, ClientError> {
    let broken = |detail: &str| ClientError::Pagination {
        endpoint: Endpoint::Search,
        detail: detail.to_string(),
    };
    match (page.has_more, &page.next_cursor) {
        (false, _) => Ok(None),
        (true, None) => Err(broken("has_more is true but next_cursor is null")),
        (true, Some(next)) if Some(next.as_str()) == used => {
            Err(broken("next_cursor repeats the cursor just used"))
        }
        (true, Some(next)) => Ok(Some(next.clone())),
    }
}

fn non_empty_url(url: Option<String>, id: &str) -> String {
    url.filter(|u| !u.is_empty()).unwrap_or_else(|| id_url(id))
}

/// Notion's id-only URL for an object.
fn id_url(id: &str) -> String {
    format!("https://www.notion.so/{}", id.replace('-', ""))
}
