//! The build stage: stored raw content → Markdown → chunks → records, after
//! the crawl, for every page whose content, settings or referenced titles
//! changed.
//!
//! ```text
//! load (store, decode, titles) ─[BUILD_BOUND]─▶ render + chunk ─[BUILD_BOUND]─▶ write (store, one transaction per page)
//! ```
//!
//! Building after the crawl is what makes the output a pure function of the
//! workspace: every title a page's links, mentions and relations show comes
//! from the store's index of every page, database and user known, complete
//! by then, so neither crawl order nor concurrency can change a byte. The
//! titles a build showed are stored with the page; a title that changes later
//! makes the page build again (no request needed). The same stage rebuilds
//! the whole output from the store when the chunk settings, the tokenizer or
//! the renderer change.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use chunker::{Chunker, Document};
use notion_markdown::{RenderContext, RenderedPage, render_page};
use notion_source::crawler::{PageBudget, PageHold};
use notion_source::model::PageTree;
use serde::Serialize;

use crate::bounds::hold_blocking;
use crate::crawl::StageCounters;
use crate::raw;
use crate::records;
use crate::store::{BuiltPage, RunInfo, Store, StoreError};

/// Pages that may wait between two build steps.
pub const BUILD_BOUND: usize = 8;

/// What the build stage did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BuildReport {
    /// Pages built.
    pub pages_built: u64,
    /// Pages built whose record changed (new or changed Markdown, metadata
    /// or chunks).
    pub pages_written: u64,
    /// Pages built whose record and chunks came out the same.
    pub pages_unchanged: u64,
    /// Pages whose stored content could not be decoded (read again next run).
    pub pages_failed: u64,
    /// Chunks written anew.
    pub chunks: u64,
    /// Tokens in the chunks written anew.
    pub tokens: u64,
    /// Blocks shown only as a marker, by type.
    pub unsupported_blocks: HashMap<String, u64>,
    /// Referenced pages, databases and users no title was known for (not
    /// shared with the integration, or deleted), by id, with the pages that
    /// reference them.
    pub unresolved_refs: u64,
}

/// A page on its way through the stage.
struct Job {
    /// Its place in the shared page budget, given back once written.
    _hold: PageHold,
    page_id: String,
    raw_hash: String,
    record: sink::PageRecord,
    titles_used: Vec<(String, Option<String>)>,
    work: Work,
}

enum Work {
    Decoded(Box<PageTree>, RenderContext),
    Rendered(Box<PageTree>, RenderedPage, Vec<chunker::Chunk>),
    Failed(String),
}

/// Builds `page_ids` from the store at `dir` (three threads: load, render and
/// chunk, write), writing through `store`; each page loaded holds a place in
/// `budget` until it is written.
#[allow(clippy::too_many_arguments)]
pub(crate) fn build(
    dir: &Path,
    store: &mut Store,
    run: &RunInfo,
    page_ids: Vec<String>,
    chunker: &Chunker,
    counters: &StageCounters,
    budget: Option<&PageBudget>,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<BuildReport, StoreError> {
    counters
        .to_build
        .store(page_ids.len() as u64, Ordering::Relaxed);
    let reader = Store::open(dir)?;
    let (loaded_tx, loaded_rx) = sync_channel(BUILD_BOUND);
    let (built_tx, built_rx) = sync_channel(BUILD_BOUND);
    std::thread::scope(|scope| {
        let load = scope.spawn(move || load(reader, page_ids, loaded_tx, budget, cancel));
        scope.spawn(move || render(chunker, loaded_rx, built_tx));
        let report = write(store, run, built_rx, chunker, counters);
        let loaded = load.join().expect("the build's load thread panicked");
        let report = report?;
        loaded?;
        Ok(report)
    })
}

/// Loads each page's content and the titles of what it references.
fn load(
    store: Store,
    page_ids: Vec<String>,
    output: SyncSender<Job>,
    budget: Option<&PageBudget>,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<(), StoreError> {
    for page_id in page_ids {
        let Some(hold) = hold_blocking(budget, cancel) else {
            break;
        };
        if cancel.is_cancelled() {
            break;
        }
        let Some(content) = store.content(&page_id)? else {
            continue;
        };
        let titles = store.titles(&content.refs)?;
        let titles_used = content
            .refs
            .iter()
            .map(|id| (id.clone(), titles.get(id).cloned()))
            .collect();
        let work = match raw::decode(&content.raw) {
            Ok(tree) => Work::Decoded(Box::new(tree), context(titles)),
            Err(error) => Work::Failed(error.to_string()),
        };
        let job = Job {
            _hold: hold,
            page_id,
            raw_hash: content.raw_hash,
            record: content.record,
            titles_used,
            work,
        };
        if output.send(job).is_err() {
            break;
        }
    }
    Ok(())
}

/// The render context of a page: the index's titles for the pages and
/// databases it names, and the names of the people it names.
fn context(titles: HashMap<String, String>) -> RenderContext {
    let titles: HashMap<String, String> = titles
        .into_iter()
        .map(|(id, title)| {
            let title = if title.is_empty() {
                "Untitled".to_string()
            } else {
                title
            };
            (id, title)
        })
        .collect();
    RenderContext {
        user_names: titles.clone(),
        page_titles: titles,
        ..RenderContext::default()
    }
}

/// Renders and chunks each page.
fn render(chunker: &Chunker, input: Receiver<Job>, output: SyncSender<Job>) {
    for mut job in input {
        if let Work::Decoded(tree, ctx) = job.work {
            let rendered = render_page(&tree, &ctx);
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
            job.work = Work::Rendered(tree, rendered, chunks);
        }
        if output.send(job).is_err() {
            break;
        }
    }
}

/// Writes each built page into the store.
fn write(
    store: &mut Store,
    run: &RunInfo,
    input: Receiver<Job>,
    chunker: &Chunker,
    counters: &StageCounters,
) -> Result<BuildReport, StoreError> {
    let mut report = BuildReport::default();
    let tokenizer = chunker.config().tokenizer.name();
    for job in input {
        let (tree, rendered, chunks) = match job.work {
            Work::Rendered(tree, rendered, chunks) => (tree, rendered, chunks),
            Work::Failed(error) => {
                tracing::error!(page_id = %job.page_id, %error, "stored content cannot be read; the page will be read again");
                report.pages_failed += 1;
                let info = notion_source::crawler::ErrorInfo {
                    status: None,
                    code: "stored_content_unreadable".into(),
                    message: error,
                    request_id: None,
                };
                let title = job.record.title.clone().unwrap_or_default();
                let record = sink::PageRecord {
                    status: sink::PageStatus::Failed {
                        code: info.code.clone(),
                        message: info.message.clone(),
                        request_id: None,
                    },
                    run_id: run.run_id.clone(),
                    ingested_at: run.started_at,
                    ..job.record
                };
                let edited = record.last_edited_time.unwrap_or(run.started_at);
                store.record_failure(run, &job.page_id, &title, edited, &record)?;
                continue;
            }
            Work::Decoded(..) => unreachable!("the render step renders every decoded page"),
        };
        for u in &rendered.unsupported {
            *report
                .unsupported_blocks
                .entry(u.type_name.clone())
                .or_default() += 1;
        }
        report.unresolved_refs +=
            job.titles_used.iter().filter(|(_, t)| t.is_none()).count() as u64;
        let record = records::built_page(
            &tree.page,
            &rendered,
            chunks.len(),
            &run.run_id,
            run.started_at,
        );
        let chunk_records = records::chunks(&tree.page, &record, &rendered, &chunks, tokenizer);
        let built = BuiltPage {
            record,
            chunks: chunk_records,
            titles_used: job.titles_used,
            raw_hash: job.raw_hash,
            build_fingerprint: run.build_fingerprint.clone(),
        };
        let written = store.write_built(run, &job.page_id, &built)?;
        report.pages_built += 1;
        if written.record_changed {
            report.pages_written += 1;
        } else {
            report.pages_unchanged += 1;
        }
        let tokens = written.tokens_upserted;
        report.chunks += written.chunks_upserted;
        report.tokens += tokens;
        counters.built.fetch_add(1, Ordering::Relaxed);
        counters
            .chunks
            .fetch_add(written.chunks_upserted, Ordering::Relaxed);
        counters.tokens.fetch_add(tokens, Ordering::Relaxed);
    }
    Ok(report)
}
