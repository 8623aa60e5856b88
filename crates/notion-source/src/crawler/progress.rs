//! Live counters of a crawl, shared with the runner's progress display.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde::Serialize;

/// Counters updated while the crawl runs; read them with [`snapshot`](Self::snapshot).
#[derive(Debug, Default)]
pub struct CrawlProgress {
    discovered: AtomicU64,
    crawled: AtomicU64,
    failed: AtomicU64,
    skipped: AtomicU64,
    unchanged: AtomicU64,
    blocks: AtomicU64,
    in_flight: AtomicU64,
    queued: AtomicU64,
    data_sources: AtomicU64,
    malformed_values: AtomicU64,
    anchored: AtomicU64,
    unanchored: AtomicU64,
    listing_done: AtomicBool,
}

/// A point-in-time copy of [`CrawlProgress`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ProgressSnapshot {
    /// Distinct pages found so far (by listing or by the walk).
    pub discovered: u64,
    /// Pages whose block tree was read completely and handed on.
    pub crawled: u64,
    /// Pages that failed for good.
    pub failed: u64,
    /// Pages skipped (archived, trashed).
    pub skipped: u64,
    /// Pages not read because they had not changed since the last run.
    pub unchanged: u64,
    /// Blocks read, at every depth.
    pub blocks: u64,
    /// Pages being read right now.
    pub in_flight: u64,
    /// Pages found and waiting to be read.
    pub queued: u64,
    /// Data sources found.
    pub data_sources: u64,
    /// Values in the pages handed on that did not parse and were kept raw
    /// (a malformed cover, a property value of the wrong shape...).
    pub malformed_values: u64,
    /// Top-level blocks read through the markdown endpoint that got their
    /// block id from the anchors listing (`crawl.anchors = "top-level"`).
    pub anchored: u64,
    /// Top-level blocks read through the markdown endpoint that the anchors
    /// listing had no partner for: they keep no id (chunks in them link to
    /// the page).
    pub unanchored: u64,
    /// Whether every listing (search, queries) has finished.
    pub listing_done: bool,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Counter {
    Discovered,
    Crawled,
    Failed,
    Skipped,
    Unchanged,
    Blocks,
    DataSources,
    MalformedValues,
    Anchored,
    Unanchored,
}

impl CrawlProgress {
    /// A copy of the counters.
    pub fn snapshot(&self) -> ProgressSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ProgressSnapshot {
            discovered: get(&self.discovered),
            crawled: get(&self.crawled),
            failed: get(&self.failed),
            skipped: get(&self.skipped),
            unchanged: get(&self.unchanged),
            blocks: get(&self.blocks),
            in_flight: get(&self.in_flight),
            queued: get(&self.queued),
            data_sources: get(&self.data_sources),
            malformed_values: get(&self.malformed_values),
            anchored: get(&self.anchored),
            unanchored: get(&self.unanchored),
            listing_done: self.listing_done.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn add(&self, counter: Counter, n: u64) {
        let cell = match counter {
            Counter::Discovered => &self.discovered,
            Counter::Crawled => &self.crawled,
            Counter::Failed => &self.failed,
            Counter::Skipped => &self.skipped,
            Counter::Unchanged => &self.unchanged,
            Counter::Blocks => &self.blocks,
            Counter::DataSources => &self.data_sources,
            Counter::MalformedValues => &self.malformed_values,
            Counter::Anchored => &self.anchored,
            Counter::Unanchored => &self.unanchored,
        };
        cell.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn set_queue(&self, in_flight: usize, queued: usize, listing_done: bool) {
        self.in_flight.store(in_flight as u64, Ordering::Relaxed);
        self.queued.store(queued as u64, Ordering::Relaxed);
        self.listing_done.store(listing_done, Ordering::Relaxed);
    }
}
