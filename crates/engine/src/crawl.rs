//! The crawl stage: the crawler's events, one per page, into the state
//! store, on a blocking thread, one transaction per page.
//!
//! A page read is stored as raw content (see [`crate::raw`]); Markdown and
//! chunks are built later, from the store, once every title the page's links
//! and mentions need is known (see [`crate::build`]). This stage is the
//! crawler's only consumer: when it is slow (a slow disk), its bounded input
//! channel fills and the crawler stops starting pages, so no request is
//! sent ahead of what the store can take.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use notion_source::crawler::{
    ChildDocuments, CrawlEvent, CrawlProgress, FetchStrategy, SkipReason,
};
use notion_source::model::Page;
use serde::Serialize;
use tokio::sync::mpsc::Receiver;

use crate::raw;
use crate::records;
use crate::store::{DeleteReason, ReadPage, RunInfo, Store, StoreError};

/// Pages that may wait between the crawler and the store.
pub const CRAWL_BOUND: usize = 16;

/// What the crawl stage stored.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CrawlStored {
    /// Pages read whose content differs from what was stored (new or edited).
    pub pages_changed: u64,
    /// Pages read again whose content had not changed.
    pub pages_same: u64,
    /// Pages that failed.
    pub pages_failed: u64,
    /// Pages skipped (archived, trashed).
    pub pages_skipped: u64,
    /// Pages not read because they had not changed.
    pub pages_unchanged: u64,
    /// Bytes of compressed raw content written.
    pub raw_bytes: u64,
}

/// Live counters of the stage, for progress and the backpressure test.
#[derive(Debug, Default)]
pub struct StageCounters {
    /// Pages the store has taken (stored, unchanged, failed or skipped).
    pub stored: AtomicU64,
    /// Of those, pages the crawler read (stored or failed): the crawler's
    /// `crawled + failed` minus this is what sits between the two.
    pub stored_read: AtomicU64,
    /// Highest number of pages read by the crawler but not yet stored.
    pub max_unstored: AtomicU64,
    /// Pages built (rendered and chunked).
    pub built: AtomicU64,
    /// Pages to build in this run, once known.
    pub to_build: AtomicU64,
    /// Chunks written.
    pub chunks: AtomicU64,
    /// Tokens in the chunks written.
    pub tokens: AtomicU64,
}

impl StageCounters {
    /// Pages stored so far.
    pub fn stored(&self) -> u64 {
        self.stored.load(Ordering::Relaxed)
    }
}

/// Stores each crawled page (read with `fetch`) until the crawler closes
/// the channel.
pub(crate) fn store_pages(
    store: &mut Store,
    run: &RunInfo,
    fetch: FetchStrategy,
    mut input: Receiver<CrawlEvent>,
    counters: &StageCounters,
    crawl: &CrawlProgress,
    delay: Option<Duration>,
) -> Result<CrawlStored, StoreError> {
    let mut report = CrawlStored::default();
    while let Some(event) = input.blocking_recv() {
        if let Some(delay) = delay {
            std::thread::sleep(delay);
        }
        // A read page's place in the shared page budget, given back once
        // the page is stored and counted.
        let mut hold = None;
        match event {
            CrawlEvent::Page(tree, page_hold) => {
                hold = Some(page_hold);
                let page = &tree.page;
                let children = ChildDocuments::of(&tree);
                match raw::encode(&tree) {
                    Ok(encoded) => {
                        let title = raw::title(page);
                        let placeholder = records::skipped_page(
                            page,
                            "not built yet",
                            &run.run_id,
                            run.started_at,
                        );
                        let changed = store.store_read(
                            run,
                            &ReadPage {
                                page_id: &page.id,
                                title: &title,
                                last_edited_time: page.last_edited_time,
                                containers: containers(page),
                                raw: &encoded.bytes,
                                raw_hash: &encoded.hash,
                                fetch_fingerprint: &run.fetch_fingerprint,
                                fetch,
                                children: &serde_json::to_string(&children)?,
                                refs: &encoded.refs,
                                objects: &encoded.objects,
                                blocks: encoded.blocks,
                                record: &placeholder,
                            },
                        )?;
                        report.raw_bytes += encoded.bytes.len() as u64;
                        if changed {
                            report.pages_changed += 1;
                        } else {
                            report.pages_same += 1;
                        }
                    }
                    Err(error) => {
                        report.pages_failed += 1;
                        let info = notion_source::crawler::ErrorInfo {
                            status: None,
                            code: "encode_error".into(),
                            message: error.to_string(),
                            request_id: None,
                        };
                        record_failure(store, run, page, &info)?;
                    }
                }
            }
            CrawlEvent::Failed(failure) => {
                report.pages_failed += 1;
                record_failure(store, run, &failure.page, &failure.error)?;
            }
            CrawlEvent::Skipped(skipped) => {
                report.pages_skipped += 1;
                let page = &skipped.page;
                let reason = match skipped.reason {
                    SkipReason::Trashed => DeleteReason::Trashed,
                    SkipReason::Archived => DeleteReason::Archived,
                };
                let record = records::skipped_page(
                    page,
                    skipped.reason.as_str(),
                    &run.run_id,
                    run.started_at,
                );
                store.record_skip(
                    run,
                    &page.id,
                    &page.title(),
                    page.last_edited_time,
                    reason,
                    &record,
                )?;
            }
            CrawlEvent::Unchanged(page) => {
                report.pages_unchanged += 1;
                store.mark_seen(&run.run_id, &page.id)?;
            }
        }
        let stored_read = report.pages_changed + report.pages_same + report.pages_failed;
        counters.stored_read.store(stored_read, Ordering::Relaxed);
        counters.stored.fetch_add(1, Ordering::Relaxed);
        drop(hold);
        // Pages the crawler finished reading that the store has not taken:
        // they sit in the channel and this stage's hands.
        let progress = crawl.snapshot();
        let unstored = (progress.crawled + progress.failed).saturating_sub(stored_read);
        counters.max_unstored.fetch_max(unstored, Ordering::Relaxed);
    }
    Ok(report)
}

/// Records that `page` could not be read, with why.
fn record_failure(
    store: &mut Store,
    run: &RunInfo,
    page: &Page,
    error: &notion_source::crawler::ErrorInfo,
) -> Result<(), StoreError> {
    let record = records::failed_page(page, error, &run.run_id, run.started_at);
    store.record_failure(run, &page.id, &page.title(), page.last_edited_time, &record)
}

/// The ids above a page the store can walk up through: its parent and, for
/// a data source row, the row's database.
fn containers(page: &Page) -> Vec<String> {
    let mut ids: Vec<String> = page.parent.id().map(str::to_string).into_iter().collect();
    if let notion_source::model::Parent::DataSource {
        database_id: Some(database),
        ..
    } = &page.parent
    {
        ids.push(database.clone());
    }
    ids
}
