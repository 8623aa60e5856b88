//! Reading one page's block tree: every container, every cursor, children
//! assembled in document order, with the fewest requests.
//!
//! - A container's cursor pages are read one after another (each needs the
//!   previous cursor); the children of the blocks on a level are read
//!   concurrently, so a page with many toggles keeps several requests queued
//!   at the rate limiter.
//! - `child_page` and `child_database` blocks are not descended into: they are
//!   documents of their own (the crawler crawls them as pages).
//! - A synced block's content is read once per run, from its original, and
//!   shared by the original and every copy through [`SyncedCache`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::future::{BoxFuture, FutureExt, Shared, try_join_all};
use serde_json::json;

use crate::client::{ClientError, NotionClient};
use crate::model::{Block, BlockKind, UnknownType};

/// A shared, cloneable result of reading a synced block's content.
type SyncedFuture = Shared<BoxFuture<'static, Result<Arc<Vec<Block>>, FetchError>>>;

/// The content of synced blocks, read once per run and shared by the
/// original and all its copies, on any page. It holds every original read
/// until the run ends: memory grows with the workspace's synced content
/// (usually small), not with its pages.
#[derive(Clone, Default)]
pub(crate) struct SyncedCache {
    entries: Arc<Mutex<HashMap<String, SyncedFuture>>>,
}

impl SyncedCache {
    /// The children of synced block `original_id`, reading them on first use.
    fn children(&self, client: &NotionClient, original_id: &str) -> SyncedFuture {
        let mut entries = self.entries.lock().expect("synced cache lock");
        entries
            .entry(original_id.to_string())
            .or_insert_with(|| {
                let (client, cache, id) = (client.clone(), self.clone(), original_id.to_string());
                async move { read_children(&client, &cache, &id).await.map(Arc::new) }
                    .boxed()
                    .shared()
            })
            .clone()
    }
}

/// An error shared by every page that waited on the same request.
pub(crate) type FetchError = Arc<ClientError>;

/// Reads the children of `container_id` (a page or a block), and theirs, down
/// to the leaves. Fails on the first error that outlasted the client's
/// retries, except that an unreadable synced original only marks its copy.
pub(crate) fn read_children<'a>(
    client: &'a NotionClient,
    cache: &'a SyncedCache,
    container_id: &'a str,
) -> BoxFuture<'a, Result<Vec<Block>, FetchError>> {
    async move {
        let mut blocks = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = client
                .block_children(container_id, cursor.as_deref())
                .await
                .map_err(Arc::new)?;
            blocks.extend(page.results);
            match page.next_cursor {
                Some(next) if page.has_more => cursor = Some(next),
                _ => break,
            }
        }
        let fills = blocks.iter().enumerate().filter_map(|(index, block)| {
            fill(client, cache, block).map(|f| f.map(move |r| r.map(|c| (index, c))))
        });
        for (index, content) in try_join_all(fills).await? {
            let block = &mut blocks[index];
            match content {
                Content::Children(children) => block.children = children,
                Content::Shared(children) => block.children = children.as_ref().clone(),
                Content::Unreadable(error) => mark_unreadable_synced(block, &error),
            }
        }
        Ok(blocks)
    }
    .boxed()
}

/// What fills a block's `children`.
enum Content {
    /// Read for this block alone.
    Children(Vec<Block>),
    /// A synced block's content, shared with its copies.
    Shared(Arc<Vec<Block>>),
    /// A synced original that cannot be read (not shared, deleted).
    Unreadable(FetchError),
}

/// The future that reads what goes under `block`, if anything must be read.
fn fill<'a>(
    client: &'a NotionClient,
    cache: &'a SyncedCache,
    block: &'a Block,
) -> Option<BoxFuture<'a, Result<Content, FetchError>>> {
    let synced_source = match (&block.kind, block.synced_from()) {
        (_, Some(original)) => Some(original),
        (BlockKind::SyncedBlock(_), None) if block.has_children => Some(block.id.as_str()),
        _ => None,
    };
    if let Some(original) = synced_source {
        let shared = cache.children(client, original);
        let is_copy = original != block.id;
        return Some(
            async move {
                match shared.await {
                    Ok(children) => Ok(Content::Shared(children)),
                    // A copy whose original is gone is marked, not fatal.
                    Err(error)
                        if is_copy && error.status().is_some_and(|s| s == 404 || s == 403) =>
                    {
                        Ok(Content::Unreadable(error))
                    }
                    Err(error) => Err(error),
                }
            }
            .boxed(),
        );
    }
    block.children_to_fetch().then(|| {
        read_children(client, cache, &block.id)
            .map(|r| r.map(Content::Children))
            .boxed()
    })
}

/// Replaces a synced copy whose original cannot be read by an unknown-type
/// block that says why, so the renderer marks it instead of dropping it.
fn mark_unreadable_synced(block: &mut Block, error: &ClientError) {
    let raw = match &block.kind {
        BlockKind::SyncedBlock(s) => serde_json::to_value(s).unwrap_or_default(),
        _ => json!({}),
    };
    block.kind = BlockKind::Unknown(UnknownType {
        type_name: "synced_block".into(),
        raw,
        error: Some(format!(
            "the original synced block could not be read ({})",
            error.code().unwrap_or("error")
        )),
    });
}
