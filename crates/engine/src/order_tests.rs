//! Property: the Markdown the engine builds does not depend on the order in
//! which the crawler hands pages over (the crawl stage's input), because
//! every title a page shows comes from the store's index once the crawl is
//! over.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use notion_mock::{SyntheticConfig, Workspace};
use notion_source::crawler::{CrawlEvent, CrawlProgress};
use notion_source::model::PageTree;
use proptest::prelude::*;
use tokio_util::sync::CancellationToken;

use crate::crawl::{self, StageCounters};
use crate::store::{RunScope, RunStart, Store};

/// The kitchen sink's pages and those of a synthetic workspace whose pages
/// mention and link to each other.
fn trees() -> &'static Vec<PageTree> {
    static TREES: OnceLock<Vec<PageTree>> = OnceLock::new();
    TREES.get_or_init(|| {
        let synthetic = Workspace::synthetic(&SyntheticConfig {
            pages: 40,
            seed: 9,
            reference_share: 0.5,
            ..SyntheticConfig::default()
        });
        [Workspace::kitchen_sink(), synthetic]
            .iter()
            .flat_map(|ws| {
                ws.page_ids()
                    .into_iter()
                    .map(|id| serde_json::from_value(ws.page_tree_json(&id).unwrap()).unwrap())
                    .collect::<Vec<PageTree>>()
            })
            .collect()
    })
}

/// Stores the pages in `order`, builds them, and returns every page's Markdown.
fn build_in(order: &[usize]) -> BTreeMap<String, Option<String>> {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let run = store
        .begin_run(&RunStart {
            scope: RunScope::Complete,
            full: false,
            fetch_fingerprint: "f".into(),
            build_fingerprint: "b".into(),
        })
        .unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(crate::CRAWL_BOUND);
    let order = order.to_vec();
    let feeder = std::thread::spawn(move || {
        for i in order {
            let event = CrawlEvent::Page(Box::new(trees()[i].clone()), Default::default());
            tx.blocking_send(event).unwrap();
        }
    });
    let counters = StageCounters::default();
    crawl::store_pages(
        &mut store,
        &run,
        notion_source::crawler::FetchStrategy::Blocks,
        rx,
        &counters,
        &CrawlProgress::default(),
        None,
    )
    .unwrap();
    feeder.join().unwrap();
    let ids = store.pages_to_build("b").unwrap();
    let chunker = chunker::Chunker::new(chunker::ChunkConfig::default()).unwrap();
    crate::build::build(
        dir.path(),
        &mut store,
        &run,
        ids,
        &chunker,
        &counters,
        // One page at a time: the load step waits for each page's write.
        Some(&notion_source::crawler::PageBudget::new(1)),
        &CancellationToken::new(),
    )
    .unwrap();
    let mut markdown = BTreeMap::new();
    store
        .for_each_page(|page| {
            markdown.insert(page.page_id, page.markdown);
            Ok::<_, crate::store::StoreError>(())
        })
        .unwrap();
    markdown
}

fn in_order() -> &'static BTreeMap<String, Option<String>> {
    static REFERENCE: OnceLock<BTreeMap<String, Option<String>>> = OnceLock::new();
    REFERENCE.get_or_init(|| build_in(&(0..trees().len()).collect::<Vec<_>>()))
}

#[test]
fn pages_link_to_each_other_so_order_could_matter() {
    let linked = in_order()
        .values()
        .flatten()
        .filter(|m| m.contains("](https://www.notion.so/"))
        .count();
    assert!(linked > 10, "only {linked} pages link to pages");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn any_arrival_order_builds_the_same_markdown(
        order in Just((0..trees().len()).collect::<Vec<usize>>()).prop_shuffle()
    ) {
        prop_assert_eq!(&build_in(&order), in_order());
    }
}
