//! The pipeline's blocking stages: render, chunk, store. Each reads its
//! bounded input channel, does its work, and blocks on its bounded output
//! channel when the next stage is behind.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Result;
use chunker::{Chunk, Chunker, Document};
use notion_markdown::{RenderContext, RenderedPage, render_page};
use notion_source::crawler::{ChildDocuments, CrawlEvent, CrawlProgress, ErrorInfo, SkipReason};
use notion_source::model::Page;
use serde::Serialize;
use tokio::sync::mpsc::{Receiver, Sender};

use super::records;
use super::{Run, StageCounters};
use crate::state::{State, Written};

/// A page on its way through the stages.
pub(crate) struct Work {
    pub page: Box<Page>,
    pub kind: WorkKind,
}

/// What is known of the page so far.
pub(crate) enum WorkKind {
    /// Rendered, waiting for the chunker.
    Rendered {
        rendered: RenderedPage,
        children: ChildDocuments,
    },
    /// Chunked, waiting for the store.
    Chunked {
        rendered: RenderedPage,
        children: ChildDocuments,
        chunks: Vec<Chunk>,
        tokenizer: &'static str,
    },
    /// Failed for good in the crawler.
    Failed(ErrorInfo),
    /// Not crawled (archived, trashed).
    Skipped(SkipReason),
    /// Unchanged since the last run: not read again.
    Unchanged,
}

/// Renders each crawled page to Markdown. Titles of the pages seen so far
/// make links and relations readable; links to pages use Notion's id-only
/// URLs (known URLs would depend on the order pages arrive in).
pub(crate) fn render(
    mut input: Receiver<CrawlEvent>,
    output: Sender<Work>,
    user_names: HashMap<String, String>,
) -> Result<()> {
    let mut ctx = RenderContext {
        user_names,
        ..RenderContext::default()
    };
    while let Some(event) = input.blocking_recv() {
        let work = match event {
            CrawlEvent::Page(tree) => {
                let title = tree.page.title();
                ctx.page_titles.insert(tree.page.id.clone(), title);
                // No page URLs: links to pages are Notion's id-only URLs,
                // the same whichever pages this run happened to render first.
                let rendered = render_page(&tree, &ctx);
                let children = ChildDocuments::of(&tree);
                for child in &children.pages {
                    ctx.page_titles
                        .entry(child.id.clone())
                        .or_insert_with(|| child.title());
                }
                Work {
                    page: Box::new(tree.page),
                    kind: WorkKind::Rendered { rendered, children },
                }
            }
            CrawlEvent::Failed(failure) => Work {
                page: failure.page,
                kind: WorkKind::Failed(failure.error),
            },
            CrawlEvent::Skipped(skipped) => Work {
                page: skipped.page,
                kind: WorkKind::Skipped(skipped.reason),
            },
            CrawlEvent::Unchanged(page) => Work {
                page,
                kind: WorkKind::Unchanged,
            },
        };
        if output.blocking_send(work).is_err() {
            break;
        }
    }
    Ok(())
}

/// Splits each rendered page into chunks.
pub(crate) fn chunk(
    chunker: &Chunker,
    mut input: Receiver<Work>,
    output: Sender<Work>,
) -> Result<()> {
    while let Some(work) = input.blocking_recv() {
        let work = match work.kind {
            WorkKind::Rendered { rendered, children } => {
                let blocks: Vec<chunker::BlockSpan> = rendered
                    .blocks
                    .iter()
                    .map(|b| chunker::BlockSpan {
                        id: b.block_id.clone(),
                        range: b.range.clone(),
                    })
                    .collect();
                // The Markdown opens with the title as its one `#` heading, so the
                // heading path already starts with it: no separate title.
                let chunks = chunker.chunk(&Document {
                    markdown: &rendered.markdown,
                    title: None,
                    blocks: &blocks,
                });
                Work {
                    page: work.page,
                    kind: WorkKind::Chunked {
                        rendered,
                        children,
                        chunks,
                        tokenizer: chunker.config().tokenizer.name(),
                    },
                }
            }
            other => Work {
                page: work.page,
                kind: other,
            },
        };
        if output.blocking_send(work).is_err() {
            break;
        }
    }
    Ok(())
}

/// What the store stage did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StoreReport {
    /// Pages written (new or changed).
    pub pages_written: u64,
    /// Pages read again whose Markdown had not changed (nothing rewritten).
    pub pages_unchanged: u64,
    /// Pages that failed.
    pub pages_failed: u64,
    /// Pages skipped (archived, trashed).
    pub pages_skipped: u64,
    /// Chunks written.
    pub chunks: u64,
    /// Tokens in the chunks written.
    pub tokens: u64,
    /// Blocks shown only as a marker, by type.
    pub unsupported_blocks: HashMap<String, u64>,
}

/// Writes each page into the state store, one transaction per page.
pub(crate) fn store(
    mut state: State,
    run: &Run,
    mut input: Receiver<Work>,
    counters: &StageCounters,
    crawl: &CrawlProgress,
    delay: Option<Duration>,
) -> Result<(State, StoreReport)> {
    let mut report = StoreReport::default();
    while let Some(work) = input.blocking_recv() {
        if let Some(delay) = delay {
            std::thread::sleep(delay);
        }
        match work.kind {
            WorkKind::Chunked {
                rendered,
                children,
                chunks,
                tokenizer,
            } => {
                let page_row = records::page_row(&work.page, &rendered, &children);
                let chunk_rows = records::chunk_rows(&work.page, &rendered, &chunks, tokenizer);
                for u in &rendered.unsupported {
                    *report
                        .unsupported_blocks
                        .entry(u.type_name.clone())
                        .or_default() += 1;
                }
                match state.write_page(run, &page_row, &chunk_rows)? {
                    Written::Changed => {
                        report.pages_written += 1;
                        report.chunks += chunk_rows.len() as u64;
                        let tokens: u64 = chunk_rows.iter().map(|c| u64::from(c.token_count)).sum();
                        report.tokens += tokens;
                        counters
                            .chunks
                            .fetch_add(chunk_rows.len() as u64, Ordering::Relaxed);
                        counters.tokens.fetch_add(tokens, Ordering::Relaxed);
                    }
                    Written::Unchanged => report.pages_unchanged += 1,
                }
            }
            WorkKind::Failed(error) => {
                report.pages_failed += 1;
                state.record_failure(run, &records::failed_row(&work.page, &error))?;
            }
            WorkKind::Skipped(reason) => {
                report.pages_skipped += 1;
                state.record_skip(run, &records::skipped_row(&work.page, reason.as_str()))?;
            }
            WorkKind::Unchanged => {
                report.pages_unchanged += 1;
                state.mark_seen(&run.run_id, &work.page.id)?;
            }
            WorkKind::Rendered { .. } => unreachable!("the chunk stage passes no rendered page on"),
        }
        counters.stored.fetch_add(1, Ordering::Relaxed);
        // Pages the crawler finished reading that the store has not yet
        // taken: they sit in the channels and the stages' hands.
        let stored_read = report.pages_written + report.pages_unchanged + report.pages_failed;
        let progress = crawl.snapshot();
        let unstored = (progress.crawled + progress.failed).saturating_sub(stored_read);
        counters.max_unstored.fetch_max(unstored, Ordering::Relaxed);
    }
    Ok((state, report))
}
