//! The `markdown` fetch strategy: a page read with one
//! `GET /v1/pages/{id}/markdown` (`markdown_version=v2`, sent explicitly)
//! instead of a walk of its block tree.
//!
//! - The answer is read into blocks by a [`MarkdownReader`] (the crawler
//!   knows no Markdown: `notion-markdown`'s `nfm::Reader` is the one the
//!   engine passes in).
//! - Placeholders (`<unknown url alt/>`) are read again, all of a round at
//!   once: a truncated subtree through the same endpoint, a type the
//!   endpoint cannot write with `GET /v1/blocks/{id}` (and its children,
//!   walked as the block strategy walks them), and what comes back is put
//!   where the placeholder stood. A placeholder whose re-read answers 404
//!   (or 403) is content not shared with the integration: it stays in the
//!   page as a marker and is reported in
//!   [`CrawlReport::not_shared`](super::CrawlReport::not_shared).
//! - A placeholder's block is read once per crawl however many pages show
//!   it (a synced block's content is on every page that holds a copy): the
//!   answers are kept in a [`RefetchCache`] for the rest of the crawl.
//! - Child pages and databases are the `<page>` and `<database>` tags,
//!   which the reader turns into `child_page` / `child_database` blocks:
//!   the walk finds them as it finds the block strategy's.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use futures::future::{BoxFuture, FutureExt, Shared, join_all};

use crate::client::NotionClient;
use crate::model::{Block, MarkdownVersion, Page, PageTree, Refetch};

use super::report::NotSharedKind;
use super::tree::{self, FetchError, Scope, SyncedCache};

/// How the crawler reads a page's content (`crawl.fetch`).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum FetchStrategy {
    /// Walk the block tree: `GET /v1/blocks/{id}/children` for the page and
    /// every block with children.
    #[default]
    Blocks,
    /// One `GET /v1/pages/{id}/markdown` per page, plus a request per
    /// placeholder the answer leaves.
    Markdown,
}

impl FetchStrategy {
    /// Every strategy, in the order `--help` lists them.
    pub const ALL: [FetchStrategy; 2] = [FetchStrategy::Blocks, FetchStrategy::Markdown];

    /// The name the configuration and the `pages` table use (`blocks`, `markdown`).
    pub fn as_str(self) -> &'static str {
        match self {
            FetchStrategy::Blocks => "blocks",
            FetchStrategy::Markdown => "markdown",
        }
    }
}

impl std::fmt::Display for FetchStrategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A fetch strategy name that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fetch strategy {0:?}: expected `blocks` or `markdown`")]
pub struct UnknownFetchStrategy(pub String);

impl std::str::FromStr for FetchStrategy {
    type Err = UnknownFetchStrategy;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FetchStrategy::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| UnknownFetchStrategy(s.to_string()))
    }
}

/// How the crawler reads pages, with what it needs for it.
#[derive(Clone, Default)]
pub enum Fetch {
    /// The block walk.
    #[default]
    Blocks,
    /// The markdown endpoint, its answers read by this reader.
    Markdown(Arc<dyn MarkdownReader>),
}

impl Fetch {
    /// Which strategy this is.
    pub fn strategy(&self) -> FetchStrategy {
        match self {
            Fetch::Blocks => FetchStrategy::Blocks,
            Fetch::Markdown(_) => FetchStrategy::Markdown,
        }
    }
}

impl std::fmt::Debug for Fetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.strategy().as_str())
    }
}

/// Reads the markdown endpoint's answers into blocks.
pub trait MarkdownReader: Send + Sync {
    /// Reads one answer, written in `version`. Never fails: what is not
    /// understood stays as text.
    fn parse(&self, markdown: &str, version: MarkdownVersion) -> Box<dyn MarkdownDocument>;
}

/// An answer read into blocks, with placeholders to fill.
pub trait MarkdownDocument: Send {
    /// The placeholders still in the blocks, in document order.
    fn placeholders(&self) -> Vec<PlaceholderRef>;
    /// Puts the endpoint's answer for `block_id` (Markdown in `version`)
    /// where its placeholder stands; returns how many placeholders it replaced.
    fn splice_markdown(
        &mut self,
        block_id: &str,
        markdown: &str,
        version: MarkdownVersion,
    ) -> usize;
    /// Puts `blocks` (read through the block API) where the placeholder of
    /// `block_id` stands; returns how many placeholders it replaced.
    fn splice_blocks(&mut self, block_id: &str, blocks: Vec<Block>) -> usize;
    /// The page's tree, as the block strategy hands it on.
    fn into_tree(self: Box<Self>, page: Page) -> PageTree;
}

/// A placeholder of a [`MarkdownDocument`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceholderRef {
    /// The block it stands for (`None`: the tag named none).
    pub block_id: Option<String>,
    /// The block's type, as the tag gives it.
    pub type_name: String,
    /// How to read the block.
    pub refetch: Refetch,
}

/// The version this strategy asks for, always explicitly.
pub const MARKDOWN_VERSION: MarkdownVersion = MarkdownVersion::V2;

/// What reading a placeholder's block gave.
#[derive(Debug)]
enum Refetched {
    /// The endpoint's answer for the block's subtree.
    Markdown(String),
    /// The block through the block API, children filled, and the synced
    /// originals met beneath it that are not shared.
    Blocks(Vec<Block>, Vec<String>),
    /// 404 or 403: not shared with the integration.
    NotShared,
}

type RefetchFuture = Shared<BoxFuture<'static, Result<Arc<Refetched>, FetchError>>>;

/// Placeholders' blocks, read once per crawl and shared by every page that
/// shows them. Holds every answer until the crawl ends: memory grows with
/// the workspace's truncated and unwritable content (rare and small next to
/// its pages).
#[derive(Clone, Default)]
pub(crate) struct RefetchCache {
    entries: Arc<Mutex<HashMap<String, RefetchFuture>>>,
}

impl RefetchCache {
    fn get(
        &self,
        client: &NotionClient,
        synced: &SyncedCache,
        id: &str,
        how: Refetch,
    ) -> RefetchFuture {
        let mut entries = self.entries.lock().expect("refetch cache lock");
        entries
            .entry(id.to_string())
            .or_insert_with(|| {
                let (client, synced, id) = (client.clone(), synced.clone(), id.to_string());
                async move { refetch(&client, &synced, &id, how).await.map(Arc::new) }
                    .boxed()
                    .shared()
            })
            .clone()
    }
}

/// Reads a placeholder's block.
async fn refetch(
    client: &NotionClient,
    synced: &SyncedCache,
    id: &str,
    how: Refetch,
) -> Result<Refetched, FetchError> {
    let result = match how {
        Refetch::Markdown => client
            .page_markdown(id, MARKDOWN_VERSION)
            .await
            .map(|answer| Refetched::Markdown(answer.markdown)),
        Refetch::Block | Refetch::Nothing => match client.retrieve_block(id).await {
            Ok(mut block) => {
                let mut not_shared = Vec::new();
                if block.children_to_fetch() {
                    let read = tree::read_tree(client, synced, &block.id, Scope::Page).await?;
                    block.children = read.blocks;
                    not_shared = read.not_shared;
                }
                Ok(Refetched::Blocks(vec![block], not_shared))
            }
            Err(error) => Err(error),
        },
    };
    match result {
        Ok(refetched) => Ok(refetched),
        Err(error) if error.status().is_some_and(|s| s == 404 || s == 403) => {
            Ok(Refetched::NotShared)
        }
        Err(error) => Err(Arc::new(error)),
    }
}

/// A page read through the markdown endpoint.
pub(crate) struct MarkdownRead {
    pub tree: PageTree,
    /// Content not shared, by kind and id, in the order met.
    pub not_shared: Vec<(NotSharedKind, String)>,
}

/// Reads `page` through the markdown endpoint: the page's answer, then
/// every placeholder's block, round after round until none is left to read.
/// Fails on the first error that outlasted the client's retries (a 404 on
/// the page itself included); a 404 on a placeholder is content not shared.
pub(crate) async fn read_page(
    client: &NotionClient,
    reader: &dyn MarkdownReader,
    cache: &RefetchCache,
    synced: &SyncedCache,
    page: Page,
) -> Result<MarkdownRead, FetchError> {
    let answer = client
        .page_markdown(&page.id, MARKDOWN_VERSION)
        .await
        .map_err(Arc::new)?;
    let mut doc = reader.parse(&answer.markdown, MARKDOWN_VERSION);
    let mut tried: HashSet<String> = HashSet::new();
    let mut not_shared = Vec::new();
    loop {
        let round: Vec<(String, PlaceholderRef)> = doc
            .placeholders()
            .into_iter()
            .filter(|p| p.refetch != Refetch::Nothing)
            .filter_map(|p| Some((p.block_id.clone()?, p)))
            .filter(|(id, _)| tried.insert(id.clone()))
            .collect();
        if round.is_empty() {
            break;
        }
        let answers = join_all(
            round
                .iter()
                .map(|(id, p)| cache.get(client, synced, id, p.refetch)),
        )
        .await;
        for ((id, placeholder), answer) in round.into_iter().zip(answers) {
            match answer?.as_ref() {
                Refetched::Markdown(markdown) => {
                    doc.splice_markdown(&id, markdown, MARKDOWN_VERSION);
                }
                Refetched::Blocks(blocks, originals) => {
                    doc.splice_blocks(&id, blocks.clone());
                    not_shared.extend(
                        originals
                            .iter()
                            .map(|o| (NotSharedKind::SyncedOriginal, o.clone())),
                    );
                }
                Refetched::NotShared => {
                    let kind = match placeholder.type_name.as_str() {
                        "child_page" => NotSharedKind::Page,
                        "child_database" => NotSharedKind::Database,
                        _ => NotSharedKind::Block,
                    };
                    tracing::info!(page_id = %page.id, block_id = %id, kind = kind.as_str(), "content the page shows is not shared with the integration");
                    not_shared.push((kind, id));
                }
            }
        }
    }
    Ok(MarkdownRead {
        tree: doc.into_tree(page),
        not_shared,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategies_read_and_write_their_names() {
        for f in FetchStrategy::ALL {
            assert_eq!(f.as_str().parse::<FetchStrategy>(), Ok(f));
            assert_eq!(
                serde_json::to_value(f).unwrap(),
                serde_json::json!(f.as_str())
            );
        }
        let error = "walk".parse::<FetchStrategy>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown fetch strategy \"walk\": expected `blocks` or `markdown`"
        );
    }
}
