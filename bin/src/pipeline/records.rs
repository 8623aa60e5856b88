//! Rows for the state store, built from a page, its Markdown and its chunks.

use chunker::Chunk;
use notion_markdown::{RenderedPage, block_url};
use notion_source::crawler::{ChildDocuments, ErrorInfo};
use notion_source::model::Page;

use crate::state::{ChunkRow, PageRow, ts};

/// A page's URL in Notion's id-only form on the page's host
/// (`https://www.notion.so/<id>`), which Notion redirects to the page.
/// Notion lists a page with a title slug in its URL, but a page found
/// through its parent's `child_page` block has none; the id-only form is
/// the same whichever way the crawl found the page, and survives renames.
fn page_url(page: &Page) -> String {
    let base = page
        .url
        .rsplit_once('/')
        .map_or("https://www.notion.so", |(b, _)| b);
    format!("{base}/{}", page.id.replace('-', ""))
}

/// The page-level columns every row of a page shares.
fn base_row(page: &Page, status: &str) -> PageRow {
    PageRow {
        page_id: page.id.clone(),
        title: page.title(),
        url: page_url(page),
        parent_id: page.parent.id().map(str::to_string),
        parent_type: page.parent.type_name().to_string(),
        data_source_id: page.data_source_id().map(str::to_string),
        properties: "{}".into(),
        created_time: ts(page.created_time),
        last_edited_time: ts(page.last_edited_time),
        markdown: String::new(),
        markdown_hash: String::new(),
        status: status.into(),
        error_code: None,
        error_message: None,
        request_id: None,
        skip_reason: None,
        children: "{}".into(),
    }
}

/// A page read, rendered and chunked.
pub(crate) fn page_row(page: &Page, rendered: &RenderedPage, children: &ChildDocuments) -> PageRow {
    PageRow {
        title: rendered.title.clone(),
        properties: rendered.properties.to_string(),
        markdown: rendered.markdown.clone(),
        markdown_hash: sink::content_hash(&rendered.markdown),
        children: serde_json::to_string(children).unwrap_or_else(|_| "{}".into()),
        ..base_row(page, "ok")
    }
}

/// A page that failed for good.
pub(crate) fn failed_row(page: &Page, error: &ErrorInfo) -> PageRow {
    PageRow {
        error_code: Some(error.code.clone()),
        error_message: Some(error.message.clone()),
        request_id: error.request_id.clone(),
        ..base_row(page, "failed")
    }
}

/// A page found and not crawled.
pub(crate) fn skipped_row(page: &Page, reason: &str) -> PageRow {
    PageRow {
        skip_reason: Some(reason.into()),
        ..base_row(page, "skipped")
    }
}

/// The chunks of a page, with their ids, hashes and deep links.
pub(crate) fn chunk_rows(
    page: &Page,
    rendered: &RenderedPage,
    chunks: &[Chunk],
    tokenizer: &str,
) -> Vec<ChunkRow> {
    let page_url = page_url(page);
    chunks
        .iter()
        .map(|chunk| {
            let index = chunk.index as u32;
            let url = chunk
                .block_ids
                .iter()
                .find(|id| rendered.blocks.iter().any(|b| &b.block_id == *id))
                .map(|id| block_url(&page_url, id))
                .unwrap_or_else(|| page_url.clone());
            ChunkRow {
                chunk_index: index,
                chunk_id: sink::chunk_id(&page.id, index),
                text: chunk.text.clone(),
                embed_text: chunk.embed_text.clone(),
                token_count: chunk.token_count as u32,
                tokenizer: tokenizer.to_string(),
                heading_path: chunk.heading_path.clone(),
                block_ids: chunk.block_ids.clone(),
                url,
                content_hash: sink::content_hash(&chunk.embed_text),
            }
        })
        .collect()
}
