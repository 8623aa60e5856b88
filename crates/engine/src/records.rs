//! The record model, built: a page and its chunks as the sink's
//! [`PageRecord`] and [`ChunkRecord`], the one shape they take from the build
//! stage through the store to Parquet.

use chrono::{DateTime, Utc};
use chunker::Chunk;
use notion_markdown::{RenderedPage, block_url};
use notion_source::crawler::ErrorInfo;
use notion_source::model::Page;
use sink::{ChunkRecord, PageRecord, PageStatus};

/// A page's URL in Notion's id-only form on the page's host
/// (`https://www.notion.so/<id>`), which Notion redirects to the page.
/// Notion lists a page with a title slug in its URL, but a page found
/// through its parent's `child_page` block has none; the id-only form is
/// the same whichever way the crawl found the page, and survives renames.
pub(crate) fn page_url(page: &Page) -> String {
    let base = page
        .url
        .rsplit_once('/')
        .map_or("https://www.notion.so", |(b, _)| b);
    let base = if base.starts_with("https://") {
        base
    } else {
        "https://www.notion.so"
    };
    format!("{base}/{}", page.id.replace('-', ""))
}

/// The page columns every record of a page shares, with `status`.
fn page_record(
    page: &Page,
    title: String,
    status: PageStatus,
    run_id: &str,
    at: DateTime<Utc>,
) -> PageRecord {
    PageRecord {
        page_id: page.id.clone(),
        title: Some(title),
        url: Some(page_url(page)),
        parent_id: page.parent.id().map(str::to_string),
        parent_type: Some(page.parent.type_name().to_string()),
        data_source_id: page.data_source_id().map(str::to_string),
        properties: Some("{}".into()),
        created_time: Some(page.created_time),
        last_edited_time: Some(page.last_edited_time),
        markdown: None,
        markdown_hash: None,
        chunk_count: 0,
        status,
        run_id: run_id.to_string(),
        ingested_at: at,
    }
}

/// The record of a page read, rendered and chunked into `chunks`.
pub(crate) fn built_page(
    page: &Page,
    rendered: &RenderedPage,
    chunks: usize,
    run_id: &str,
    at: DateTime<Utc>,
) -> PageRecord {
    PageRecord {
        properties: Some(rendered.properties.to_string()),
        markdown: Some(rendered.markdown.clone()),
        markdown_hash: Some(sink::content_hash(&rendered.markdown)),
        chunk_count: chunks as u32,
        ..page_record(page, rendered.title.clone(), PageStatus::Ok, run_id, at)
    }
}

/// The record of a page that could not be read.
pub(crate) fn failed_page(
    page: &Page,
    error: &ErrorInfo,
    run_id: &str,
    at: DateTime<Utc>,
) -> PageRecord {
    let status = PageStatus::Failed {
        code: error.code.clone(),
        message: error.message.clone(),
        request_id: error.request_id.clone(),
    };
    page_record(page, page.title(), status, run_id, at)
}

/// The record of a page found and not read (trashed, archived), or of a
/// page whose content is stored but not yet built.
pub(crate) fn skipped_page(
    page: &Page,
    reason: &str,
    run_id: &str,
    at: DateTime<Utc>,
) -> PageRecord {
    let status = PageStatus::Skipped {
        reason: reason.to_string(),
    };
    page_record(page, page.title(), status, run_id, at)
}

/// The chunks of a page, with their ids, hashes and deep links.
pub(crate) fn chunks(
    page: &Page,
    record: &PageRecord,
    rendered: &RenderedPage,
    chunks: &[Chunk],
    tokenizer: &str,
) -> Vec<ChunkRecord> {
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
            ChunkRecord {
                chunk_id: sink::chunk_id(&page.id, index),
                page_id: page.id.clone(),
                chunk_index: index,
                text: chunk.text.clone(),
                embed_text: chunk.embed_text.clone(),
                token_count: chunk.token_count as u32,
                tokenizer: tokenizer.to_string(),
                heading_path: chunk.heading_path.clone(),
                block_ids: chunk.block_ids.clone(),
                url,
                page_title: record.title.clone().unwrap_or_default(),
                page_url: page_url.clone(),
                parent_id: record.parent_id.clone(),
                parent_type: record.parent_type.clone().unwrap_or_default(),
                data_source_id: record.data_source_id.clone(),
                properties: record.properties.clone().unwrap_or_else(|| "{}".into()),
                created_time: page.created_time,
                last_edited_time: page.last_edited_time,
                content_hash: sink::content_hash(&chunk.embed_text),
                run_id: record.run_id.clone(),
                ingested_at: record.ingested_at,
            }
        })
        .collect()
}
