//! One bound on pages in memory across workspaces: runs in one process
//! sharing an [`engine::SharedBounds`] never hold more pages between the
//! crawler and the store than its budget, whatever the number of
//! workspaces, and write the same rows as runs that share nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use engine::{RunOptions, SharedBounds, Watch};
use notion_mock::{SyntheticConfig, Workspace};

use crate::support::*;

/// The shared budget under test: fewer pages than one workspace's own
/// pipeline holds when its store is slow (pages in flight + the channel).
const BUDGET: usize = 4;

/// Three workspaces run at once with a slow store; returns each one's
/// chunks and the most pages seen read but not yet stored, all
/// workspaces together, by a sampler running beside them.
async fn three_runs(bounds: Option<SharedBounds>) -> (Vec<Vec<(String, String)>>, u64) {
    let mut servers = Vec::new();
    for seed in 0..3 {
        let ws = Workspace::synthetic(&SyntheticConfig {
            pages: 40,
            seed: 60 + seed,
            ..SyntheticConfig::default()
        });
        servers.push(mock(ws).await);
    }
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let watches: Vec<Watch> = (0..3).map(|_| Watch::default()).collect();
    let done = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn({
        let (watches, done) = (watches.clone(), done.clone());
        async move {
            let mut most = 0;
            while !done.load(Ordering::Relaxed) {
                // Read by the crawler (counted once handed on) minus taken
                // by the store: read before the store's count, so a page
                // the store takes meanwhile is never counted twice.
                let read: Vec<u64> = watches
                    .iter()
                    .map(|w| {
                        let p = w.crawl.snapshot();
                        p.crawled + p.failed
                    })
                    .collect();
                let held: u64 = watches
                    .iter()
                    .zip(read)
                    .map(|(w, read)| {
                        read.saturating_sub(w.stages.stored_read.load(Ordering::Relaxed))
                    })
                    .sum();
                most = most.max(held);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            most
        }
    });
    let runs: Vec<_> = servers
        .iter()
        .zip(&dirs)
        .zip(&watches)
        .map(|((server, dir), watch)| {
            let mut config = config(dir.path());
            config.store_delay = Some(Duration::from_millis(10));
            let options = RunOptions {
                watch: watch.clone(),
                bounds: bounds.clone(),
                ..RunOptions::default()
            };
            tokio::spawn(engine::run(fast_client(server), config, options))
        })
        .collect();
    for run in runs {
        let report = run.await.unwrap().expect("the run completes");
        assert!(
            report.crawl.failures.is_empty(),
            "{:?}",
            report.crawl.failures
        );
    }
    done.store(true, Ordering::Relaxed);
    let most = sampler.await.unwrap();
    for server in servers {
        server.stop().await;
    }
    let rows = dirs
        .iter()
        .map(|dir| {
            let mut rows: Vec<_> = chunks(dir.path())
                .into_iter()
                .map(|c| (c.chunk_id, c.content_hash))
                .collect();
            rows.sort();
            rows
        })
        .collect();
    (rows, most)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspaces_sharing_a_page_budget_never_hold_more_pages_than_it() {
    let bounds = SharedBounds::new(BUDGET, 1);
    let (bounded, most_bounded) = three_runs(Some(bounds.clone())).await;
    assert!(
        most_bounded <= BUDGET as u64,
        "{most_bounded} pages read but not stored across workspaces, budget {BUDGET}"
    );
    assert_eq!(bounds.pages.held(), 0, "every place is given back");

    // The same three workspaces sharing nothing: each holds its own
    // pipeline's worth, which the sampler sees (so it can see a breach).
    let (unbounded, most_unbounded) = three_runs(None).await;
    assert!(
        most_unbounded > BUDGET as u64,
        "without a shared budget the sampler saw only {most_unbounded} pages"
    );
    assert!(bounded.iter().all(|rows| !rows.is_empty()));
    assert_eq!(bounded, unbounded, "the budget changes no row");
}
