//! Reading one page's block tree: every container, every cursor, children
//! assembled in document order, with the fewest requests.
//!
//! - Iterative: the blocks read so far sit in an arena and the containers
//!   still to read in a work set, so no depth of nesting can overflow the
//!   stack. The containers known at any moment are read concurrently (a page
//!   with many toggles keeps several requests queued at the rate limiter); a
//!   container's cursor pages are read one after another.
//! - Bounded: a page's tree holds at most [`MAX_DEPTH`] levels, and a block
//!   whose children lead back to one of its ancestors (a cycle) is not
//!   descended into. Where the crawler stops, the block's children are
//!   replaced by a [`Marker`] block saying why.
//! - `child_page` and `child_database` blocks are not descended into: they are
//!   documents of their own (the crawler crawls them as pages).
//! - A synced block's content is read once per run, from its original, and
//!   shared by the original and every copy through [`SyncedCache`]. When a
//!   copy's original cannot be read (404/403: it lives on a page not shared
//!   with the integration), the copy's own children are read instead; when
//!   those cannot be read either, the copy becomes a
//!   [`Marker::SyncedNotShared`] block. Either way the original is reported
//!   as not shared.
//! - Synced blocks inside a synced original's content are read in place,
//!   without the cache, so that one cached read never waits for another
//!   (which could wait for the first: a deadlock).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::future::{BoxFuture, FutureExt, Shared};
use futures::stream::{FuturesUnordered, StreamExt};

use crate::client::{ClientError, Cursors, Endpoint, NotionClient};
use crate::model::{Block, BlockKind, Marker};

/// The most levels of blocks a page's tree holds: a block at this depth
/// (top-level blocks are at depth 1) keeps a [`Marker::TooDeep`] block
/// instead of its children. Notion pages rarely go past a few dozen.
pub const MAX_DEPTH: usize = 256;

/// A tree as read: its top-level blocks (children filled) and the synced
/// originals met on the way that are not shared with the integration.
#[derive(Debug, Default)]
pub(crate) struct Tree {
    pub blocks: Vec<Block>,
    /// Ids of unreadable synced originals, in the order met.
    pub not_shared: Vec<String>,
}

/// A shared, cloneable result of reading a synced block's content.
type SyncedFuture = Shared<BoxFuture<'static, Result<Arc<Tree>, FetchError>>>;

/// The content of synced blocks, read once per run and shared by the
/// original and all its copies, on any page. It holds every original read
/// until the run ends: memory grows with the workspace's synced content
/// (usually small), not with its pages.
#[derive(Clone, Default)]
pub(crate) struct SyncedCache {
    entries: Arc<Mutex<HashMap<String, SyncedFuture>>>,
}

impl SyncedCache {
    /// The content of synced block `original_id`, reading it on first use.
    fn content(&self, client: &NotionClient, original_id: &str) -> SyncedFuture {
        let mut entries = self.entries.lock().expect("synced cache lock");
        entries
            .entry(original_id.to_string())
            .or_insert_with(|| {
                let (client, cache, id) = (client.clone(), self.clone(), original_id.to_string());
                async move {
                    read_tree(&client, &cache, &id, Scope::SyncedContent)
                        .await
                        .map(Arc::new)
                }
                .boxed()
                .shared()
            })
            .clone()
    }
}

/// An error shared by every page that waited on the same request.
pub(crate) type FetchError = Arc<ClientError>;

/// What is being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// A page: synced blocks come from the shared cache.
    Page,
    /// A synced original's content (for the cache): synced blocks inside
    /// it are read in place.
    SyncedContent,
}

/// A block read so far, with where it sits.
struct Node {
    block: Block,
    depth: usize,
    parent: Option<usize>,
    /// The id whose children fill this block, once asked for (its own id, a
    /// synced copy's original).
    container: Option<String>,
    /// Arena indices of its children, in document order.
    children: Vec<usize>,
    /// Read through a synced copy whose original is not shared: a block here
    /// that cannot be read is marked, not fatal.
    fallback: bool,
}

/// A read to make for a node (or the root when `None`).
enum Job {
    /// The children of `container`, as arena nodes.
    Children { container: String },
    /// A synced copy's original read in place; 404/403 falls back to the
    /// copy's own children.
    Original { original: String },
    /// A synced block's content through the cache.
    Cached { original: String },
    /// A synced copy's own children, its original being unreadable.
    CopyFallback { original: String, copy: String },
}

/// What a job came back with.
enum Fetched {
    Blocks(Vec<Block>),
    Tree(Arc<Tree>),
}

/// Reads the tree under `root_id` (a page, or a synced original for the
/// cache), down to the leaves or the bounds. Fails on the first error that
/// outlasted the client's retries, except that unreadable synced content
/// only marks its copy.
pub(crate) async fn read_tree(
    client: &NotionClient,
    cache: &SyncedCache,
    root_id: &str,
    scope: Scope,
) -> Result<Tree, FetchError> {
    let mut arena = Arena {
        nodes: Vec::new(),
        roots: Vec::new(),
        root_id,
        scope,
        not_shared: Vec::new(),
    };
    let mut work = FuturesUnordered::new();
    work.push(run(
        client,
        cache,
        None,
        Job::Children {
            container: root_id.to_string(),
        },
    ));
    while let Some((target, job, result)) = work.next().await {
        let follow = match result {
            Ok(Fetched::Blocks(blocks)) => arena.add_children(target, &job, blocks),
            Ok(Fetched::Tree(tree)) => {
                let node = target.expect("cached content fills a block");
                arena.attach(node, &tree);
                Vec::new()
            }
            Err(error) => arena.failed(target, job, error)?,
        };
        for (node, job) in follow {
            work.push(run(client, cache, node, job));
        }
    }
    Ok(arena.finish())
}

/// Runs one job.
fn run<'a>(
    client: &'a NotionClient,
    cache: &'a SyncedCache,
    target: Option<usize>,
    job: Job,
) -> BoxFuture<'a, (Option<usize>, Job, Result<Fetched, FetchError>)> {
    async move {
        let result = match &job {
            Job::Children { container: id }
            | Job::Original { original: id }
            | Job::CopyFallback { copy: id, .. } => {
                read_container(client, id).await.map(Fetched::Blocks)
            }
            Job::Cached { original } => cache.content(client, original).await.map(Fetched::Tree),
        };
        (target, job, result)
    }
    .boxed()
}

/// Reads every cursor page of one container's children.
async fn read_container(client: &NotionClient, id: &str) -> Result<Vec<Block>, FetchError> {
    let mut blocks = Vec::new();
    let mut cursors = Cursors::new(Endpoint::BlockChildren);
    let mut cursor: Option<String> = None;
    loop {
        let page = client
            .block_children(id, cursor.as_deref())
            .await
            .map_err(Arc::new)?;
        blocks.extend(page.results);
        cursor = cursors
            .next(page.has_more, page.next_cursor)
            .map_err(Arc::new)?;
        if cursor.is_none() {
            return Ok(blocks);
        }
    }
}

/// The blocks read so far and what is known about them.
struct Arena<'r> {
    nodes: Vec<Node>,
    /// Top-level blocks, in document order.
    roots: Vec<usize>,
    root_id: &'r str,
    scope: Scope,
    not_shared: Vec<String>,
}

impl Arena<'_> {
    /// Adds the children a job read under `target`; returns the reads they
    /// need in turn.
    fn add_children(
        &mut self,
        target: Option<usize>,
        job: &Job,
        blocks: Vec<Block>,
    ) -> Vec<(Option<usize>, Job)> {
        let (depth, fallback) = match target {
            Some(parent) => (
                self.nodes[parent].depth + 1,
                self.nodes[parent].fallback || matches!(job, Job::CopyFallback { .. }),
            ),
            None => (1, false),
        };
        let mut follow = Vec::new();
        for block in blocks {
            let index = self.nodes.len();
            self.nodes.push(Node {
                block,
                depth,
                parent: target,
                container: None,
                children: Vec::new(),
                fallback,
            });
            match target {
                Some(parent) => self.nodes[parent].children.push(index),
                None => self.roots.push(index),
            }
            if let Some(job) = self.plan(index) {
                follow.push((Some(index), job));
            }
        }
        follow
    }

    /// The read a new node needs, if any, after the depth and cycle checks
    /// (which may cut its children instead).
    fn plan(&mut self, index: usize) -> Option<Job> {
        let block = &self.nodes[index].block;
        let synced_source = match (&block.kind, block.synced_from()) {
            (_, Some(original)) => Some(original.to_string()),
            (BlockKind::SyncedBlock(_), None) if block.has_children => Some(block.id.clone()),
            _ => None,
        };
        let (container, job) = match synced_source {
            Some(original) if self.scope == Scope::Page => {
                (original.clone(), Job::Cached { original })
            }
            Some(original) if original != block.id => {
                (original.clone(), Job::Original { original })
            }
            Some(own) => (own.clone(), Job::Children { container: own }),
            None if block.children_to_fetch() && !block.id.is_empty() => {
                let own = block.id.clone();
                (own.clone(), Job::Children { container: own })
            }
            None => return None,
        };
        self.check(index, &container).then(|| {
            self.nodes[index].container = Some(container);
            job
        })
    }

    /// Whether node `index` may be filled from `container`: not past
    /// [`MAX_DEPTH`], and `container` is not already being read above it.
    /// When not, its children become a marker.
    fn check(&mut self, index: usize, container: &str) -> bool {
        let node = &self.nodes[index];
        if node.depth >= MAX_DEPTH {
            let reason =
                format!("nested deeper than {MAX_DEPTH} levels: the crawler reads no further");
            Marker::TooDeep.cut_children(&mut self.nodes[index].block, reason);
            return false;
        }
        let mut above = node.parent;
        let mut cycle = container == self.root_id;
        while let (Some(i), false) = (above, cycle) {
            cycle = self.nodes[i].container.as_deref() == Some(container);
            above = self.nodes[i].parent;
        }
        if cycle {
            let reason = format!(
                "the children of block {} lead back to {container}, which contains it: the crawler reads no further",
                node.block.id
            );
            Marker::Cycle.cut_children(&mut self.nodes[index].block, reason);
        }
        !cycle
    }

    /// Puts a synced block's cached content under node `index`, cut to the
    /// depth left.
    fn attach(&mut self, index: usize, tree: &Tree) {
        let node = &mut self.nodes[index];
        let mut children = tree.blocks.clone();
        clip(&mut children, MAX_DEPTH - node.depth);
        node.block.children = children;
        self.not_shared.extend(tree.not_shared.iter().cloned());
    }

    /// Handles a failed job: unreadable synced content is marked (and the
    /// copy's own children tried); anything else fails the tree.
    fn failed(
        &mut self,
        target: Option<usize>,
        job: Job,
        error: FetchError,
    ) -> Result<Vec<(Option<usize>, Job)>, FetchError> {
        let unreadable = error.status().is_some_and(|s| s == 404 || s == 403);
        let Some(index) = target.filter(|_| unreadable) else {
            return Err(error);
        };
        let node = &mut self.nodes[index];
        match job {
            Job::Cached { original } | Job::Original { original } if original != node.block.id => {
                self.not_shared.push(original.clone());
                let copy = node.block.id.clone();
                Ok(vec![(target, Job::CopyFallback { original, copy })])
            }
            Job::CopyFallback { original, .. } => {
                mark_not_shared(&mut node.block, &original, &error);
                Ok(Vec::new())
            }
            Job::Children { .. } if node.fallback => {
                let reason = format!(
                    "this content comes from a synced block whose original is not shared with the integration, and it could not be read ({})",
                    error.code().unwrap_or("error")
                );
                Marker::SyncedNotShared.cut_children(&mut node.block, reason);
                Ok(Vec::new())
            }
            _ => Err(error),
        }
    }

    /// Assembles the tree: children go into their parents from the last
    /// node read to the first (a child always comes after its parent).
    fn finish(self) -> Tree {
        let Arena {
            nodes,
            roots,
            not_shared,
            ..
        } = self;
        let mut child_lists = Vec::with_capacity(nodes.len());
        let mut built: Vec<Option<Block>> = Vec::with_capacity(nodes.len());
        for node in nodes {
            child_lists.push(node.children);
            built.push(Some(node.block));
        }
        for index in (0..built.len()).rev() {
            if child_lists[index].is_empty() {
                continue;
            }
            let children: Vec<Block> = child_lists[index]
                .iter()
                .filter_map(|&child| built[child].take())
                .collect();
            if let Some(block) = built[index].as_mut() {
                block.children = children;
            }
        }
        Tree {
            blocks: roots.iter().filter_map(|&r| built[r].take()).collect(),
            not_shared,
        }
    }
}

/// Cuts `blocks` (at depth 1) to `levels` levels: a block at the last level
/// keeps a [`Marker::TooDeep`] instead of its children.
fn clip(blocks: &mut [Block], levels: usize) {
    let mut stack: Vec<(&mut Block, usize)> = blocks.iter_mut().map(|b| (b, 1)).collect();
    while let Some((block, depth)) = stack.pop() {
        if block.children.is_empty() || Marker::of(block).is_some() {
            continue;
        }
        if depth >= levels {
            let reason =
                format!("nested deeper than {MAX_DEPTH} levels: the crawler reads no further");
            Marker::TooDeep.cut_children(block, reason);
        } else {
            stack.extend(block.children.iter_mut().map(|c| (c, depth + 1)));
        }
    }
}

/// Replaces a synced copy whose content cannot be read at all (neither from
/// its original nor its own children) by a [`Marker::SyncedNotShared`]
/// block that says why, so the renderer marks it instead of dropping it.
fn mark_not_shared(block: &mut Block, original: &str, error: &ClientError) {
    let raw = match &block.kind {
        BlockKind::SyncedBlock(s) => serde_json::to_value(s).unwrap_or_default(),
        _ => serde_json::json!({}),
    };
    block.children.clear();
    block.kind = Marker::SyncedNotShared.kind(
        raw,
        format!(
            "the original synced block {original} is not shared with the integration, and this copy's content could not be read either ({})",
            error.code().unwrap_or("error")
        ),
    );
}
