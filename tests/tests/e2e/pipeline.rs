//! The pipeline in-process: kitchen sink to Parquet, fidelity, request
//! count, backpressure.

use std::collections::HashMap;
use std::time::Duration;

use engine::CRAWL_BOUND;
use notion_mock::{SyntheticConfig, Workspace};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kitchen_sink_to_parquet_keeps_every_string_in_the_minimum_requests() {
    let ws = Workspace::kitchen_sink();
    let server = mock(ws.clone()).await;
    let out = tempfile::tempdir().unwrap();
    let report = run_pipeline(&server, config(out.path())).await;
    let stats = server.stats();
    server.stop().await;

    // Requests: exactly the computed minimum of the crawl, plus the listing
    // of users that makes people's names readable.
    assert_eq!(
        stats.total,
        ws.min_requests().total + ws.min_requests().users,
        "requests per endpoint: {:?}",
        stats.per_endpoint
    );
    assert!(
        report.crawl.failures.is_empty(),
        "{:?}",
        report.crawl.failures
    );

    let chunks = chunks(out.path());
    let pages = pages(out.path());
    assert_eq!(
        report.export.as_ref().unwrap().snapshot_chunks,
        chunks.len() as u64
    );

    // Every plain-text string of every crawlable page is in that page's chunks.
    let mut by_page: HashMap<&str, Vec<&sink::ChunkRecord>> = HashMap::new();
    for c in &chunks {
        by_page.entry(c.page_id.as_str()).or_default().push(c);
    }
    let mut checked = 0;
    for page_id in ws.page_ids() {
        let mut page_chunks = by_page.remove(page_id.as_str()).unwrap_or_default();
        page_chunks.sort_by_key(|c| c.chunk_index);
        let text = normalize(
            &page_chunks
                .iter()
                .map(|c| c.text.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        );
        for s in ws.plain_texts(&page_id) {
            let s = normalize(&s);
            if s.is_empty() {
                continue;
            }
            assert!(text.contains(&s), "page {page_id}: {s:?} is in no chunk");
            checked += 1;
        }
        // Chunk indexes are 0..n without gaps.
        for (i, c) in page_chunks.iter().enumerate() {
            assert_eq!(c.chunk_index as usize, i);
        }
    }
    assert!(checked > 100, "only {checked} strings checked");
    // One page row per page found, with its status.
    let ok = pages
        .iter()
        .filter(|p| p.status == sink::PageStatus::Ok)
        .count();
    assert_eq!(ok, ws.page_ids().len());
    assert_eq!(
        pages
            .iter()
            .filter(|p| p.status.as_str() == "skipped")
            .count(),
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_sink_pauses_the_crawler_and_bounds_unwritten_pages() {
    let ws = Workspace::synthetic(&SyntheticConfig {
        pages: 150,
        seed: 3,
        ..SyntheticConfig::default()
    });
    let pages = ws.page_ids().len();
    let server = mock(ws).await;
    let out = tempfile::tempdir().unwrap();
    let delay = Duration::from_millis(25);
    let mut cfg = config(out.path());
    cfg.store_delay = Some(delay);
    let report = run_pipeline(&server, cfg).await;
    let stats = server.stats();
    server.stop().await;

    let in_flight = report.crawl.progress.crawled.min(8) as usize; // pages a crawler task holds while blocked
    let bound = (CRAWL_BOUND + 1) as u64;
    assert!(
        report.max_unstored_pages <= bound,
        "{} pages read but unwritten, bound {bound}",
        report.max_unstored_pages
    );
    let _ = in_flight;
    // Unthrottled, the crawl would take a fraction of a second; held back by
    // the sink, its last request comes no earlier than the sink lets it.
    let last = stats.timeline.iter().map(|e| e.at).max().unwrap();
    let held_back = delay * (pages as u32).saturating_sub(bound as u32 + 8);
    assert!(
        last >= held_back,
        "last request at {last:?}, the sink allows no earlier than {held_back:?}"
    );
    // And the crawler did pause: somewhere requests stopped for a while.
    let mut times: Vec<_> = stats.timeline.iter().map(|e| e.at).collect();
    times.sort();
    let longest_gap = times.windows(2).map(|w| w[1] - w[0]).max().unwrap();
    assert!(
        longest_gap >= delay,
        "no pause in the requests (longest gap {longest_gap:?})"
    );
}
