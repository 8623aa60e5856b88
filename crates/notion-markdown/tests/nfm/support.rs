//! Reading pages the way the markdown fetch strategy will: from a mock
//! server over HTTP, with the placeholders fetched again and spliced in
//! (truncated subtrees through the markdown endpoint, unwritable types
//! through the block API), next to the same page read through the block API.

use std::future::Future;
use std::pin::Pin;

use futures::TryStreamExt;
use notion_markdown::nfm::{self, Document, MarkdownVersion, Refetch};
use notion_markdown::{RenderContext, RenderedPage, render_page};

pub use crate::shared::context;
use notion_mock::{MockConfig, MockServer, Workspace};
use notion_source::client::RateLimit;
use notion_source::model::{Block, Page, PageTree};
use notion_source::{ClientConfig, ClientError, NotionClient, SecretToken};

/// A mock server and a client of it.
pub struct Mock {
    pub server: MockServer,
    pub client: NotionClient,
}

impl Mock {
    /// Serves `workspace` without rate limit, answers cut after `block_limit` blocks.
    pub async fn start(workspace: Workspace, block_limit: usize) -> Mock {
        let config = MockConfig {
            markdown_block_limit: block_limit,
            ..MockConfig::unlimited()
        };
        let token = config.token.clone();
        let server = MockServer::start(workspace, config)
            .await
            .expect("mock starts");
        let client = NotionClient::new(
            SecretToken::new(&token),
            ClientConfig {
                base_url: server.url(),
                rate: RateLimit::PerSecond {
                    per_second: 100_000.0,
                    burst: 1000,
                },
                ..ClientConfig::default()
            },
        )
        .expect("client builds");
        Mock { server, client }
    }

    /// A page through the markdown endpoint, every placeholder that can be
    /// read again read and spliced in; also the raw answers' placeholders
    /// that answered 404 (content not shared).
    pub async fn markdown_document(
        &self,
        page_id: &str,
        version: MarkdownVersion,
    ) -> (Document, Vec<String>) {
        let answer = self
            .client
            .page_markdown(page_id, version)
            .await
            .expect("markdown answer");
        let mut doc = nfm::parse(&answer.markdown, version);
        let mut unshared = Vec::new();
        let mut tried = std::collections::HashSet::new();
        loop {
            let next = doc
                .placeholders
                .iter()
                .find(|p| p.refetch() != Refetch::Nothing && !tried.contains(&p.block_id))
                .cloned();
            let Some(placeholder) = next else { break };
            tried.insert(placeholder.block_id.clone());
            let id = placeholder
                .block_id
                .clone()
                .expect("refetchable placeholders have ids");
            match placeholder.refetch() {
                Refetch::Markdown => match self.client.page_markdown(&id, version).await {
                    Ok(answer) => {
                        let replacement = nfm::parse(&answer.markdown, version);
                        doc.splice(&id, replacement)
                            .expect("placeholder is in the tree");
                    }
                    Err(ClientError::Api { body, .. }) if body.status == 404 => unshared.push(id),
                    Err(e) => panic!("refetch {id}: {e}"),
                },
                Refetch::Block => {
                    let block = self.block_tree(&id).await;
                    doc.splice_blocks(&id, vec![block])
                        .expect("placeholder is in the tree");
                }
                Refetch::Nothing => {}
            }
        }
        (doc, unshared)
    }

    /// A block and its subtree through the block API.
    pub async fn block_tree(&self, id: &str) -> Block {
        let mut root = self.client.retrieve_block(id).await.expect("block");
        self.fill(&mut root).await;
        root
    }

    /// Reads a block's children, and theirs (a synced copy's from its original).
    fn fill<'a>(&'a self, block: &'a mut Block) -> Pin<Box<dyn Future<Output = ()> + 'a>> {
        Box::pin(async move {
            if !block.children_to_fetch() && block.synced_from().is_none() {
                return;
            }
            let target = block.synced_from().unwrap_or(&block.id).to_string();
            block.children = self
                .client
                .block_children_all(&target)
                .try_collect()
                .await
                .expect("children");
            for child in &mut block.children {
                self.fill(child).await;
            }
        })
    }
}

/// The URL of [`page`].
pub const PAGE_URL: &str = "https://www.notion.so/Test-0000000000000000000000000000000a";

/// A standalone page titled `Test`, as a listing gives it.
pub fn page() -> Page {
    serde_json::from_value(serde_json::json!({
        "id": "00000000-0000-0000-0000-00000000000a",
        "created_time": "2026-07-04T09:08:00.000Z",
        "last_edited_time": "2026-07-04T09:08:00.000Z",
        "parent": {"type": "workspace", "workspace": true},
        "url": PAGE_URL,
        "properties": {"title": {"id": "title", "type": "title", "title": [
            {"type": "text", "text": {"content": "Test"}, "plain_text": "Test"}]}}
    }))
    .expect("page deserializes")
}

/// Every crawlable page of a workspace as the block walk yields it.
pub fn block_trees(workspace: &Workspace) -> Vec<PageTree> {
    workspace
        .page_ids()
        .into_iter()
        .map(|id| {
            let json = workspace
                .page_tree_json(&id)
                .expect("listed pages have trees");
            serde_json::from_value(json).expect("page trees deserialize")
        })
        .collect()
}

/// The text of Markdown as pulldown-cmark reads it: each run of text
/// (text, code, math) between block boundaries and formatting, whitespace
/// squashed, in order.
pub fn text_pieces(markdown: &str) -> Vec<String> {
    use pulldown_cmark::{Event, Options, Parser, TextMergeStream};
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_MATH;
    TextMergeStream::new(Parser::new_ext(markdown, options))
        .filter_map(|event| match event {
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                Some(squash(&t))
            }
            _ => None,
        })
        .filter(|t| !t.is_empty())
        .collect()
}

/// All the text of Markdown, squashed, pieces joined by spaces.
pub fn text_content(markdown: &str) -> String {
    text_pieces(markdown).join(" ")
}

/// Whitespace runs to one space, trimmed.
pub fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Renders a block-walk tree (the block strategy's output).
pub fn render_blocks(tree: &PageTree, ctx: &RenderContext) -> RenderedPage {
    render_page(tree, ctx)
}
