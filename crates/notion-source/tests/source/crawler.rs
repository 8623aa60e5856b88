//! The crawler against the mock Notion server over real HTTP: every page
//! once, every block once and in document order, in the fewest requests.

use std::collections::{BTreeMap, HashSet};

use notion_mock::{Faults, MockConfig, MockServer, Workspace};
use notion_source::crawler::{CrawlConfig, CrawlEvent, CrawlReport, Crawler, Root};
use notion_source::model::PageTree;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::common;
use common::{expected_tree, fast_client, page_titled, shape};

struct Crawl {
    trees: Vec<PageTree>,
    skipped: Vec<String>,
    failed: Vec<String>,
    report: CrawlReport,
}

async fn crawl(server: &MockServer, config: CrawlConfig) -> Crawl {
    let crawler = Crawler::new(fast_client(server), config);
    let (tx, mut rx) = mpsc::channel(4);
    let run = tokio::spawn(crawler.run(tx, CancellationToken::new()));
    let (mut trees, mut skipped, mut failed) = (vec![], vec![], vec![]);
    while let Some(event) = rx.recv().await {
        match event {
            CrawlEvent::Page(tree, _) => trees.push(*tree),
            CrawlEvent::Skipped(s) => skipped.push(s.page.title()),
            CrawlEvent::Failed(f) => failed.push(f.page.id),
            CrawlEvent::Unchanged(p) => panic!("no planner, yet {} is unchanged", p.id),
        }
    }
    let report = run.await.unwrap().expect("crawl succeeds");
    Crawl {
        trees,
        skipped,
        failed,
        report,
    }
}

#[tokio::test]
async fn kitchen_sink_every_page_once_every_block_in_order_in_the_minimum_requests() {
    let ws = Workspace::kitchen_sink();
    let min = ws.min_requests();
    let server = MockServer::start(ws.clone(), MockConfig::unlimited())
        .await
        .unwrap();
    let out = crawl(&server, CrawlConfig::default()).await;

    let crawled: Vec<&str> = out.trees.iter().map(|t| t.page.id.as_str()).collect();
    let unique: HashSet<&str> = crawled.iter().copied().collect();
    assert_eq!(unique.len(), crawled.len(), "a page was crawled twice");
    let expected: HashSet<String> = ws.page_ids().into_iter().collect();
    let got: HashSet<String> = unique.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        got, expected,
        "crawled pages differ from the dataset's crawlable pages"
    );

    for tree in &out.trees {
        let want = expected_tree(&ws, &tree.page.id);
        assert_eq!(
            shape(&tree.blocks),
            shape(&want.blocks),
            "blocks of {} ({})",
            tree.page.title(),
            tree.page.id
        );
        assert_eq!(tree.page.title(), want.page.title());
    }
    let mut skipped = out.skipped.clone();
    skipped.sort();
    assert_eq!(
        skipped,
        ["A trashed page", "A trashed task", "An archived page"],
        "removed pages are skipped and reported"
    );
    assert!(out.failed.is_empty(), "failures: {:?}", out.report.failures);
    assert!(out.report.listing_complete);

    let stats = server.stats();
    assert_eq!(
        stats.total, min.total,
        "requests {:?} against the minimum {min:?}",
        stats.per_endpoint
    );
    assert_eq!(out.report.client.total.requests, min.total);
    server.stop().await;
}

#[tokio::test]
async fn the_big_page_takes_103_block_children_requests() {
    let ws = Workspace::kitchen_sink();
    let big = page_titled(&ws, "A big page");
    let server = MockServer::start(ws.clone(), MockConfig::unlimited())
        .await
        .unwrap();
    let out = crawl(
        &server,
        CrawlConfig {
            roots: vec![Root::Page(big.clone())],
            ..Default::default()
        },
    )
    .await;
    let stats = server.stats();
    let children: u64 = stats
        .per_endpoint
        .iter()
        .filter(|(k, _)| k.contains("children"))
        .map(|(_, v)| *v)
        .sum();
    assert_eq!(children, 3 + 50 + 50, "{:?}", stats.per_endpoint);
    let tree = out.trees.iter().find(|t| t.page.id == big).unwrap();
    assert_eq!(tree.blocks.len(), 250);
    assert_eq!(tree.block_count(), 250 + 50 * 150);
    server.stop().await;
}

#[tokio::test]
async fn a_page_missing_from_search_is_found_by_the_walk() {
    let ws = Workspace::kitchen_sink();
    let server = MockServer::start(ws.clone(), MockConfig::unlimited())
        .await
        .unwrap();
    let out = crawl(&server, CrawlConfig::default()).await;
    let hidden = out
        .trees
        .iter()
        .find(|t| t.page.title() == "Hidden from search")
        .expect("hidden page crawled");
    assert!(!hidden.blocks.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn faults_lose_nothing() {
    let ws = Workspace::kitchen_sink();
    let config = MockConfig {
        faults: Faults {
            error_rate: 0.05,
            drop_rate: 0.05,
            seed: 7,
        },
        ..MockConfig::unlimited()
    };
    let server = MockServer::start(ws.clone(), config).await.unwrap();
    let out = crawl(&server, CrawlConfig::default()).await;
    assert!(out.failed.is_empty(), "failures: {:?}", out.report.failures);
    let by_id: BTreeMap<&str, &PageTree> =
        out.trees.iter().map(|t| (t.page.id.as_str(), t)).collect();
    assert_eq!(by_id.len(), ws.page_ids().len());
    for id in ws.page_ids() {
        assert_eq!(
            shape(&by_id[id.as_str()].blocks),
            shape(&expected_tree(&ws, &id).blocks)
        );
    }
    assert!(
        out.report.client.total.retries > 0,
        "faults were injected, so some requests were retried"
    );
    server.stop().await;
}

#[tokio::test]
async fn excluded_pages_and_their_children_are_not_crawled() {
    let ws = Workspace::kitchen_sink();
    let deep = page_titled(&ws, "Deep nesting");
    let server = MockServer::start(ws.clone(), MockConfig::unlimited())
        .await
        .unwrap();
    let out = crawl(
        &server,
        CrawlConfig {
            exclude: [deep.clone()].into(),
            ..Default::default()
        },
    )
    .await;
    assert!(out.trees.iter().all(|t| t.page.id != deep));
    assert_eq!(out.trees.len(), ws.page_ids().len() - 1);
    server.stop().await;
}

#[tokio::test]
async fn queries_cut_at_the_result_cap_are_split_into_created_time_windows() {
    let ws = Workspace::synthetic(&notion_mock::SyntheticConfig {
        pages: 300,
        seed: 11,
        row_share: 0.6,
        ..Default::default()
    });
    // A cap of 20 results per query (Notion's is 10,000) cuts every larger data source.
    let config = MockConfig {
        query_result_limit: 20,
        ..MockConfig::unlimited()
    };
    let server = MockServer::start(ws.clone(), config).await.unwrap();
    let out = crawl(&server, CrawlConfig::default()).await;
    let got: HashSet<String> = out.trees.iter().map(|t| t.page.id.clone()).collect();
    let want: HashSet<String> = ws.page_ids().into_iter().collect();
    assert_eq!(got.len(), out.trees.len(), "a page was crawled twice");
    assert_eq!(got, want, "rows beyond the cap were missed");
    let queries = server.stats().per_endpoint["POST /v1/data_sources/{id}/query"];
    assert!(
        queries > ws.min_requests().query,
        "the cap was hit, so windows cost extra queries ({queries})"
    );
    server.stop().await;
}

/// Deletes one page from the mock at the moment the crawler plans to read
/// it: the page vanishes between its listing and its block reads.
struct VanishOnPlan {
    server: std::sync::Arc<MockServer>,
    page_id: String,
}

impl notion_source::crawler::PagePlanner for VanishOnPlan {
    fn plan(&self, page: &notion_source::model::Page) -> notion_source::crawler::Plan {
        if page.id == self.page_id {
            self.server
                .edit(|ws| ws.delete_page(&self.page_id))
                .expect("page deleted");
        }
        notion_source::crawler::Plan::Read
    }
}

#[tokio::test]
async fn a_page_that_vanishes_mid_crawl_is_reported_and_the_rest_is_crawled() {
    let ws = Workspace::kitchen_sink();
    let victim = page_titled(&ws, "Languages and symbols");
    let server = std::sync::Arc::new(
        MockServer::start(ws.clone(), MockConfig::unlimited())
            .await
            .unwrap(),
    );
    let planner = VanishOnPlan {
        server: server.clone(),
        page_id: victim.clone(),
    };
    let config = CrawlConfig {
        planner: Some(std::sync::Arc::new(planner)),
        ..Default::default()
    };
    let out = crawl(&server, config).await;

    assert_eq!(out.failed, std::slice::from_ref(&victim));
    let (page_id, error) = &out.report.failures[0];
    assert_eq!(page_id, &victim);
    assert_eq!(error.status, Some(404));
    assert_eq!(error.code, "object_not_found");
    assert!(
        error.request_id.is_some(),
        "the failure keeps Notion's request id"
    );
    let crawled: HashSet<String> = out.trees.iter().map(|t| t.page.id.clone()).collect();
    let others: HashSet<String> = ws
        .page_ids()
        .into_iter()
        .filter(|id| id != &victim)
        .collect();
    assert_eq!(crawled, others, "every other page is crawled");
}
