//! The client and the crawler against a hostile server: the mock with
//! [`HostileRule`]s (canned answers, bodies cut short) and a clock that runs
//! ahead. One test per failure mode of issues 12 and 13; each failed (or
//! hung) before the fix.
//!
//! Tests that would hang or spin without the fix run on a thread of their
//! own and fail when it does not finish in time.

use std::future::Future;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use notion_mock::{HostileRule, Latency, MockConfig, MockServer, Workspace};
use notion_source::client::{ClientConfig, ClientError, NotionClient, RetryPolicy, SecretToken};
use notion_source::crawler::{
    CrawlConfig, CrawlError, CrawlEvent, CrawlReport, Crawler, MAX_DEPTH, NotSharedKind,
    PageFailure,
};
use notion_source::model::{Block, BlockKind, Marker, PageTree, PropertyKind};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::common;
use common::{Logs, expected_tree, page_titled, shape};

const TOKEN: &str = "secret_mock_token";

/// A client for `server`: no waiting for the limiter, short backoffs.
fn client(server: &MockServer) -> NotionClient {
    NotionClient::new(SecretToken::new(TOKEN), config(server)).unwrap()
}

fn config(server: &MockServer) -> ClientConfig {
    ClientConfig {
        base_url: server.url(),
        rate: notion_source::client::RateLimit::PerSecond {
            per_second: 10_000.0,
            burst: 100,
        },
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            pause_jitter: Duration::from_millis(5),
            ..RetryPolicy::default()
        },
        ..ClientConfig::default()
    }
}

/// Three small pages, one with a toggle.
fn workspace() -> Workspace {
    Workspace::from_json(json!({
        "name": "hostile",
        "pages": [
            {"key": "alpha", "title": "Alpha", "blocks": [
                {"paragraph": "Alpha text"},
                {"toggle": "Fold", "children": [{"paragraph": "Inside the fold"}]},
            ]},
            {"key": "beta", "title": "Beta", "blocks": [{"paragraph": "Beta text"}]},
            {"key": "gamma", "title": "Gamma", "blocks": [{"paragraph": "Gamma text"}]},
        ],
    }))
    .expect("valid dataset")
}

/// A mock serving `ws` with `rules`, no rate limit.
async fn serve(ws: Workspace, rules: Vec<HostileRule>) -> MockServer {
    let cfg = MockConfig {
        hostile: rules,
        ..MockConfig::unlimited()
    };
    MockServer::start(ws, cfg).await.unwrap()
}

/// Everything a crawl produced.
struct Crawl {
    trees: Vec<PageTree>,
    failed: Vec<PageFailure>,
    result: Result<CrawlReport, CrawlError>,
}

impl Crawl {
    fn report(&self) -> &CrawlReport {
        self.result.as_ref().expect("the crawl ends with a report")
    }

    fn tree(&self, id: &str) -> &PageTree {
        self.trees
            .iter()
            .find(|t| t.page.id == id)
            .unwrap_or_else(|| panic!("page {id} was not crawled; failed: {:?}", self.failed))
    }

    fn failure(&self, id: &str) -> &PageFailure {
        self.failed
            .iter()
            .find(|f| f.page.id == id)
            .unwrap_or_else(|| panic!("page {id} did not fail"))
    }
}

/// Crawls with `client`, collecting every event.
async fn crawl(client: NotionClient, config: CrawlConfig, cancel: CancellationToken) -> Crawl {
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let run = tokio::spawn(Crawler::new(client, config).run(tx, cancel));
    let (mut trees, mut failed) = (Vec::new(), Vec::new());
    while let Some(event) = rx.recv().await {
        match event {
            CrawlEvent::Page(tree, _) => trees.push(*tree),
            CrawlEvent::Failed(failure) => failed.push(failure),
            CrawlEvent::Skipped(_) | CrawlEvent::Unchanged(_) => {}
        }
    }
    Crawl {
        trees,
        failed,
        result: run.await.unwrap(),
    }
}

/// Crawls everything `server` shares with the default settings.
async fn crawl_all(server: &MockServer) -> Crawl {
    crawl(
        client(server),
        CrawlConfig::default(),
        CancellationToken::new(),
    )
    .await
}

/// Every search answered 429 with this `Retry-After`.
fn search_rate_limited(retry_after: &str) -> HostileRule {
    HostileRule::json(
        "POST",
        "/v1/search",
        429,
        error_object(429, "rate_limited", "wait"),
    )
    .header("retry-after", retry_after)
}

/// A mock serving the small workspace, every answer `latency` late.
async fn slow_mock(latency: Duration) -> MockServer {
    let cfg = MockConfig {
        latency: Latency::Fixed(latency),
        ..MockConfig::unlimited()
    };
    MockServer::start(workspace(), cfg).await.unwrap()
}

/// A 404 `object_not_found` for `method` on `path`.
fn not_found(method: &str, path: &str) -> HostileRule {
    HostileRule::json(
        method,
        path,
        404,
        error_object(404, "object_not_found", "Could not find it"),
    )
}

/// The id of the `index`th top-level block of page `page`.
fn block_id(ws: &Workspace, page: &str, index: usize) -> String {
    expected_tree(ws, page).blocks[index].id.clone()
}

/// Runs `test` on a single-threaded runtime of its own thread and fails if
/// it has not finished within `limit`: a crawl that hangs or spins fails
/// the test instead of hanging it.
fn within<T, F, Fut>(limit: Duration, test: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = T>,
{
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _ = tx.send(runtime.block_on(test()));
    });
    match rx.recv_timeout(limit) {
        Ok(value) => value,
        Err(_) => panic!("did not finish within {limit:?}: hung or spinning"),
    }
}

/// Requests the mock saw whose path starts with `prefix`.
fn requests_to(server: &MockServer, prefix: &str) -> usize {
    server
        .stats()
        .timeline
        .iter()
        .filter(|e| e.path.starts_with(prefix))
        .count()
}

/// A Notion error object.
fn error_object(status: u16, code: &str, message: &str) -> Value {
    json!({"object": "error", "status": status, "code": code, "message": message})
}

/// A block children list.
fn children_list(results: Vec<Value>, next_cursor: Option<&str>) -> Value {
    json!({"object": "list", "results": results, "has_more": next_cursor.is_some(),
           "next_cursor": next_cursor, "type": "block", "block": {}})
}

/// A toggle block object with children to read.
fn toggle(id: &str, text: &str) -> Value {
    json!({"object": "block", "id": id, "has_children": true, "type": "toggle",
           "toggle": {"rich_text": [{"type": "text", "text": {"content": text}, "plain_text": text}]}})
}

/// The depth of the deepest block.
fn depth(blocks: &[Block]) -> usize {
    let mut deepest = 0;
    let mut stack: Vec<(&Block, usize)> = blocks.iter().map(|b| (b, 1)).collect();
    while let Some((block, d)) = stack.pop() {
        deepest = deepest.max(d);
        stack.extend(block.children.iter().map(|c| (c, d + 1)));
    }
    deepest
}

/// Issue 12.1: cancelling ends the crawl at once, whatever it waits for.
mod cancellation {
    use super::*;

    /// Cancels after `wait_for` says so and checks that the crawl returns,
    /// cancelled, within two seconds.
    async fn cancel_when(
        server: &MockServer,
        wait_for: impl Fn(&notion_source::crawler::ProgressSnapshot, &MockServer) -> bool,
    ) {
        let cancel = CancellationToken::new();
        let crawler = Crawler::new(client(server), CrawlConfig::default());
        let progress = crawler.progress();
        let (tx, mut rx) = tokio::sync::mpsc::channel(4);
        let run = tokio::spawn(crawler.run(tx, cancel.clone()));
        let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
        // Let the first requests go out.
        tokio::time::sleep(Duration::from_millis(300)).await;
        while !wait_for(&progress.snapshot(), server) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let cancelled_at = Instant::now();
        cancel.cancel();
        let report = run.await.unwrap().expect("a cancelled crawl still reports");
        let took = cancelled_at.elapsed();
        drain.await.unwrap();
        assert!(report.cancelled);
        assert!(!report.listing_complete);
        assert!(
            report.failures.is_empty(),
            "cancelled pages are not failures"
        );
        assert!(
            took < Duration::from_secs(2),
            "took {took:?} after the cancel"
        );
    }

    #[test]
    fn during_the_first_listing() {
        within(Duration::from_secs(20), || async {
            let server = slow_mock(Duration::from_secs(60)).await;
            // The search is in flight (its answer takes a minute).
            cancel_when(&server, |p, _| !p.listing_done).await;
        });
    }

    #[test]
    fn while_paused_on_a_one_minute_retry_after() {
        within(Duration::from_secs(20), || async {
            let rule = search_rate_limited("60");
            let server = serve(workspace(), vec![rule]).await;
            cancel_when(&server, |_, s| s.stats().total >= 1).await;
        });
    }

    #[test]
    fn with_pages_in_flight() {
        within(Duration::from_secs(30), || async {
            let server = slow_mock(Duration::from_secs(3)).await;
            cancel_when(&server, |p, _| p.in_flight > 0).await;
        });
    }

    #[tokio::test]
    async fn a_call_paused_on_retry_after_ends_when_its_token_fires() {
        let rule = search_rate_limited("60");
        let server = serve(workspace(), vec![rule]).await;
        let cancel = CancellationToken::new();
        let client = client(&server).with_cancellation(cancel.clone());
        let call =
            tokio::spawn(async move { client.search(&Default::default(), None).await.map(|_| ()) });
        while server.stats().total == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let cancelled_at = Instant::now();
        cancel.cancel();
        let error = call.await.unwrap().unwrap_err();
        assert!(error.is_cancelled(), "{error}");
        assert!(cancelled_at.elapsed() < Duration::from_secs(1));
        assert_eq!(server.stats().total, 1, "nothing was sent during the pause");
    }
}

/// Issue 12.2: a 200 of the wrong shape is an error, a body cut short is
/// retried.
mod wrong_shapes {
    use super::*;

    #[tokio::test]
    async fn a_200_holding_an_error_object_fails_the_page_not_empties_it() {
        let ws = workspace();
        let beta = page_titled(&ws, "Beta");
        let rule = HostileRule::json(
            "GET",
            &format!("/v1/blocks/{beta}/children"),
            200,
            error_object(404, "object_not_found", "Could not find block"),
        );
        let server = serve(ws, vec![rule]).await;
        let out = crawl_all(&server).await;
        let failure = out.failure(&beta);
        assert_eq!(failure.error.code, "decode_error");
        assert!(
            failure.error.message.contains("error object"),
            "{}",
            failure.error
        );
        assert!(
            out.trees.iter().all(|t| t.page.id != beta),
            "no empty page for it"
        );
        assert_eq!(out.trees.len(), 2, "the other pages are crawled");
        assert_eq!(out.report().failures.len(), 1);
    }

    #[tokio::test]
    async fn lists_without_results_and_objects_of_another_kind_are_decode_errors() {
        let bodies = [
            json!({"object": "list", "has_more": false}),
            json!({"object": "list", "results": {"not": "an array"}}),
            json!({"object": "page", "id": "x", "results": []}),
            json!({"results": []}),
            json!([]),
        ];
        let rules = bodies
            .iter()
            .map(|b| HostileRule::json("GET", "/v1/blocks/b/children", 200, b.clone()).times(1))
            .collect();
        let server = serve(workspace(), rules).await;
        let client = client(&server);
        for body in &bodies {
            let error = client.block_children("b", None).await.unwrap_err();
            assert!(
                matches!(error, ClientError::Decode { .. }),
                "{body}: {error}"
            );
        }
        assert_eq!(server.stats().total, bodies.len() as u64, "not retried");
    }

    #[tokio::test]
    async fn a_body_cut_short_is_retried_then_fails_like_a_dropped_connection() {
        let ws = workspace();
        let (alpha, beta) = (page_titled(&ws, "Alpha"), page_titled(&ws, "Beta"));
        let expected = expected_tree(&ws, &alpha);
        let rules = vec![
            HostileRule::truncated("GET", &format!("/v1/blocks/{alpha}/children"), 60).times(1),
            HostileRule::truncated("GET", &format!("/v1/blocks/{beta}/children"), 60),
        ];
        let server = serve(ws, rules).await;
        let out = crawl_all(&server).await;
        assert_eq!(
            shape(&out.tree(&alpha).blocks),
            shape(&expected.blocks),
            "retried and complete"
        );
        assert_eq!(shape(&expected.blocks).len(), 3);
        assert_eq!(
            requests_to(&server, &format!("/v1/blocks/{alpha}/children")),
            2
        );
        let failure = out.failure(&beta);
        assert_eq!(failure.error.code, "decode_error");
        assert_eq!(
            requests_to(&server, &format!("/v1/blocks/{beta}/children")),
            3,
            "the retry budget (max_attempts 3) is spent, no more"
        );
    }
}

/// Issue 12.5: deep nesting and cycles are cut and marked.
mod depth_and_cycles {
    use super::*;

    fn chain_id(i: usize) -> String {
        format!("00000000-0000-4000-8000-{i:012}")
    }

    #[test]
    fn blocks_nested_1100_deep_stop_at_the_depth_limit_with_a_marker() {
        within(Duration::from_secs(120), || async {
            let ws = workspace();
            let alpha = page_titled(&ws, "Alpha");
            let mut rules = vec![HostileRule::json(
                "GET",
                &format!("/v1/blocks/{alpha}/children"),
                200,
                children_list(vec![toggle(&chain_id(1), "level 1")], None),
            )];
            for i in 1..=1100 {
                let next = if i < 1100 {
                    vec![toggle(&chain_id(i + 1), &format!("level {}", i + 1))]
                } else {
                    Vec::new()
                };
                rules.push(HostileRule::json(
                    "GET",
                    &format!("/v1/blocks/{}/children", chain_id(i)),
                    200,
                    children_list(next, None),
                ));
            }
            let server = serve(ws, rules).await;
            let out = crawl_all(&server).await;
            let tree = out.tree(&alpha);
            assert_eq!(
                depth(&tree.blocks),
                MAX_DEPTH + 1,
                "256 levels and the marker"
            );
            let mut deepest = &tree.blocks[0];
            while let Some(child) = deepest.children.first() {
                deepest = child;
            }
            assert_eq!(Marker::of(deepest), Some(Marker::TooDeep));
            assert_eq!(
                requests_to(&server, "/v1/blocks/00000000-0000-4000-8000-"),
                MAX_DEPTH - 1,
                "no request below the limit"
            );
            let cloned = tree.clone();
            assert_eq!(cloned.block_count(), tree.block_count());
            assert_eq!(tree.block_count(), MAX_DEPTH + 1);
        });
    }

    #[test]
    fn children_that_cycle_back_to_an_ancestor_are_cut_and_marked() {
        within(Duration::from_secs(30), || async {
            let ws = workspace();
            let (alpha, beta) = (page_titled(&ws, "Alpha"), page_titled(&ws, "Beta"));
            let (x, y, z) = (chain_id(1), chain_id(2), chain_id(3));
            let rule = |container: &str, child: Value| {
                HostileRule::json(
                    "GET",
                    &format!("/v1/blocks/{container}/children"),
                    200,
                    children_list(vec![child], None),
                )
            };
            let rules = vec![
                rule(&alpha, toggle(&x, "x")),
                rule(&x, toggle(&y, "y")),
                rule(&y, toggle(&x, "x again")),
                // A block that claims to be the page it sits in.
                rule(&beta, toggle(&z, "z")),
                rule(&z, toggle(&beta, "the page itself")),
            ];
            let server = serve(ws, rules).await;
            let out = crawl_all(&server).await;
            let x_again = &out.tree(&alpha).blocks[0].children[0].children[0];
            assert_eq!(x_again.id, x);
            assert_eq!(Marker::of(&x_again.children[0]), Some(Marker::Cycle));
            let page_again = &out.tree(&beta).blocks[0].children[0];
            assert_eq!(page_again.id, beta);
            assert_eq!(Marker::of(&page_again.children[0]), Some(Marker::Cycle));
            assert_eq!(requests_to(&server, &format!("/v1/blocks/{x}/children")), 1);
            assert_eq!(
                requests_to(&server, &format!("/v1/blocks/{beta}/children")),
                1
            );
        });
    }
}

/// Issue 12.6: a cursor that comes back ends its listing with an error.
mod repeated_cursors {
    use super::*;

    fn search_page(ws: &Workspace, id: &str, next_cursor: &str) -> Value {
        json!({"object": "list", "results": [ws.page_tree_json(id).unwrap()["page"]],
               "has_more": true, "next_cursor": next_cursor, "type": "page_or_data_source"})
    }

    #[test]
    fn a_search_repeating_its_cursor_ends_with_a_pagination_error() {
        within(Duration::from_secs(30), || async {
            let ws = workspace();
            let alpha = page_titled(&ws, "Alpha");
            let rule =
                HostileRule::json("POST", "/v1/search", 200, search_page(&ws, &alpha, "same"));
            let server = serve(ws, vec![rule]).await;
            let out = crawl_all(&server).await;
            let report = out.report();
            assert_eq!(report.listing_errors.len(), 1);
            let error = &report.listing_errors[0];
            assert_eq!(error.code, "pagination_error");
            assert!(error.message.contains("POST /v1/search"), "{error}");
            assert!(!report.listing_complete);
            assert_eq!(out.trees.len(), 1, "what the listing found is crawled");
            assert_eq!(requests_to(&server, "/v1/search"), 2);
        });
    }

    #[test]
    fn a_search_cycling_through_two_cursors_ends_too() {
        within(Duration::from_secs(30), || async {
            let ws = workspace();
            let (alpha, beta) = (page_titled(&ws, "Alpha"), page_titled(&ws, "Beta"));
            let rules = vec![
                HostileRule::json("POST", "/v1/search", 200, search_page(&ws, &alpha, "a"))
                    .times(1),
                HostileRule::json("POST", "/v1/search", 200, search_page(&ws, &beta, "b")).times(1),
                HostileRule::json("POST", "/v1/search", 200, search_page(&ws, &alpha, "a")),
            ];
            let server = serve(ws, rules).await;
            let out = crawl_all(&server).await;
            assert_eq!(out.report().listing_errors[0].code, "pagination_error");
            assert_eq!(requests_to(&server, "/v1/search"), 3);
            assert_eq!(out.trees.len(), 2);
        });
    }

    #[test]
    fn block_children_repeating_their_cursor_fail_the_page() {
        within(Duration::from_secs(30), || async {
            let ws = workspace();
            let gamma = page_titled(&ws, "Gamma");
            let path = format!("/v1/blocks/{gamma}/children");
            let body = children_list(
                vec![json!({"object": "block", "id": "p1", "type": "divider", "divider": {}})],
                Some("again"),
            );
            let server = serve(ws, vec![HostileRule::json("GET", &path, 200, body)]).await;
            let out = crawl_all(&server).await;
            let failure = out.failure(&gamma);
            assert_eq!(failure.error.code, "pagination_error");
            assert!(
                failure
                    .error
                    .message
                    .contains("GET /v1/blocks/{id}/children")
            );
            assert_eq!(requests_to(&server, &path), 2);
        });
    }

    #[test]
    fn property_items_repeating_their_cursor_end_the_stream() {
        within(Duration::from_secs(30), || async {
            let ws = workspace();
            let alpha = page_titled(&ws, "Alpha");
            let path = format!("/v1/pages/{alpha}/properties/rel");
            let body = json!({"object": "list", "type": "property_item", "has_more": true, "next_cursor": "p",
                "results": [{"object": "property_item", "id": "rel", "type": "relation", "relation": {"id": "r1"}}]});
            let server = serve(ws, vec![HostileRule::json("GET", &path, 200, body)]).await;
            let client = client(&server);
            let error = client
                .page_property_all(&alpha, "rel")
                .try_collect::<Vec<_>>()
                .await
                .unwrap_err();
            assert!(matches!(error, ClientError::Pagination { .. }), "{error}");
            assert!(
                error.to_string().contains("/properties/{property_id}"),
                "{error}"
            );
            assert_eq!(requests_to(&server, &path), 2);
        });
    }
}

/// Issue 12.7: a `Retry-After` beyond the cap stops the crawl at once.
mod long_retry_after {
    use super::*;

    #[tokio::test]
    async fn a_28_hour_retry_after_stops_the_crawl_with_its_own_error() {
        let server = serve(workspace(), vec![search_rate_limited("100000")]).await;
        let logs = Logs::default();
        let guard = logs.capture();
        let started = Instant::now();
        let out = tokio::time::timeout(Duration::from_secs(10), crawl_all(&server))
            .await
            .expect("no 28-hour pause");
        drop(guard);
        assert!(started.elapsed() < Duration::from_secs(2));
        match &out.result {
            Err(CrawlError::RateLimitedTooLong { retry_after, error }) => {
                assert_eq!(*retry_after, Duration::from_secs(100_000));
                assert_eq!(error.code, "rate_limited_too_long");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(server.stats().total, 1);
        let logs = logs.text();
        assert!(logs.contains("wait 100000s"), "the wait is logged: {logs}");
    }

    #[tokio::test]
    async fn the_cap_is_configurable_and_every_pause_is_logged() {
        let rules = vec![search_rate_limited("1").times(1), search_rate_limited("2")];
        let server = serve(workspace(), rules).await;
        let client = NotionClient::new(
            SecretToken::new(TOKEN),
            ClientConfig {
                retry: RetryPolicy {
                    max_retry_after: Duration::from_millis(1500),
                    pause_jitter: Duration::ZERO,
                    ..config(&server).retry
                },
                ..config(&server)
            },
        )
        .unwrap();
        let logs = Logs::default();
        let guard = logs.capture();
        let error = client.search(&Default::default(), None).await.unwrap_err();
        drop(guard);
        match &error {
            ClientError::RateLimitedTooLong {
                retry_after, limit, ..
            } => assert_eq!((retry_after.as_secs(), limit.as_millis()), (2, 1500)),
            other => panic!("{other}"),
        }
        assert_eq!(
            server.stats().total,
            2,
            "a 1 s pause is waited out, 2 s is not"
        );
        let logs = logs.text();
        assert!(logs.contains("waits 1.0s as Retry-After asks"), "{logs}");
        assert!(logs.contains("reason: unspecified"), "{logs}");
    }
}

/// Issue 12.10: one bad value costs at most that value.
mod bad_values {
    use super::*;

    /// A search answer listing `pages` (page objects), as text.
    fn search_text(pages: Vec<Value>) -> String {
        json!({"object": "list", "results": pages, "has_more": false, "next_cursor": null,
               "type": "page_or_data_source"})
        .to_string()
    }

    fn rows_workspace() -> Workspace {
        Workspace::from_json(json!({
            "name": "numbers",
            "pages": [{"key": "home", "title": "Home", "blocks": [
                {"child_database": {"key": "db", "title": "Scores", "schema": {"Name": "title", "Score": "number"},
                    "rows": [
                        {"key": "one", "properties": {"Name": "One", "Score": 1}, "blocks": [{"paragraph": "first"}]},
                        {"key": "two", "properties": {"Name": "Two", "Score": 424242}, "blocks": [{"paragraph": "second"}]},
                        {"key": "three", "properties": {"Name": "Three", "Score": 3}, "blocks": [{"paragraph": "third"}]},
                    ]}},
            ]}],
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn a_number_beyond_f64_costs_only_its_value() {
        let ws = rows_workspace();
        let rows: Vec<String> = ws
            .page_ids()
            .into_iter()
            .filter(|id| {
                ws.page_tree_json(id).unwrap()["page"]["properties"]
                    .get("Score")
                    .is_some()
            })
            .collect();
        assert_eq!(rows.len(), 3);
        let pages = rows
            .iter()
            .map(|id| ws.page_tree_json(id).unwrap()["page"].clone())
            .collect();
        let text = search_text(pages).replace("\"number\":424242", "\"number\":1e400");
        assert!(text.contains("1e400"));
        let server = serve(ws, vec![HostileRule::raw("POST", "/v1/search", 200, text)]).await;
        let out = crawl_all(&server).await;
        assert_eq!(out.trees.len(), 3, "every row is crawled: {:?}", out.failed);
        let two = out.trees.iter().find(|t| t.page.title() == "Two").unwrap();
        match &two.page.properties["Score"].value {
            PropertyKind::Unknown(u) => {
                assert_eq!((u.type_name.as_str(), &u.raw), ("number", &json!("1e400")));
                assert!(u.error.is_some());
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(out.report().progress.malformed_values, 1);
        assert_eq!(out.report().client.total.repaired, 1);
        let one = out.trees.iter().find(|t| t.page.title() == "One").unwrap();
        assert_eq!(
            one.page.properties["Score"].value,
            PropertyKind::Number(Some(1.0))
        );
    }

    #[tokio::test]
    async fn a_lone_surrogate_becomes_a_replacement_character_on_every_run() {
        let ws = workspace();
        let beta = page_titled(&ws, "Beta");
        let body = r#"{"object":"list","has_more":false,"next_cursor":null,"results":[
            {"object":"block","id":"s1","type":"paragraph","has_children":false,
             "paragraph":{"rich_text":[{"type":"text","text":{"content":"a\ud800b"},"plain_text":"a\ud800b"}]}}]}"#;
        let rule = HostileRule::raw("GET", &format!("/v1/blocks/{beta}/children"), 200, body);
        let server = serve(ws, vec![rule]).await;
        for run in 0..2 {
            let out = crawl_all(&server).await;
            let text =
                notion_source::model::plain_text(out.tree(&beta).blocks[0].rich_text().unwrap());
            assert_eq!(text, "a\u{fffd}b", "run {run}");
            assert!(out.failed.is_empty());
            assert_eq!(
                out.report().client.total.repaired,
                2,
                "content and plain text"
            );
        }
    }

    #[tokio::test]
    async fn a_listed_page_that_does_not_parse_is_reported_failed_with_the_reason() {
        let ws = workspace();
        let alpha = page_titled(&ws, "Alpha");
        let broken_id = "0c0c0c0c-0000-4000-8000-000000000001";
        let pages = vec![
            ws.page_tree_json(&alpha).unwrap()["page"].clone(),
            json!({"object": "page", "id": broken_id, "created_time": "yesterday-ish",
                   "last_edited_time": "2026-01-01T00:00:00.000Z", "parent": {"type": "workspace", "workspace": true}}),
            json!({"object": "page", "no_id": true}),
        ];
        let rule = HostileRule::raw("POST", "/v1/search", 200, search_text(pages));
        let server = serve(ws, vec![rule]).await;
        let out = crawl_all(&server).await;
        assert_eq!(out.trees.len(), 1);
        let failure = out.failure(broken_id);
        assert_eq!(failure.error.code, "decode_error");
        assert!(
            failure.error.message.contains("created_time"),
            "{}",
            failure.error
        );
        assert_eq!(
            failure.page.last_edited_time.to_rfc3339(),
            "2026-01-01T00:00:00+00:00"
        );
        let report = out.report();
        assert_eq!(report.failures.len(), 1);
        assert_eq!(report.progress.failed, 1);
        assert_eq!(report.progress.discovered, 2);
    }
}

/// Issue 12.11: a server echoing the token never gets it into errors,
/// reports, logs or content.
mod echoed_token {
    use super::*;

    fn assert_clean(what: &str, text: &str) {
        assert!(
            !text.contains(TOKEN),
            "the token leaked into {what}: {text}"
        );
    }

    #[tokio::test]
    async fn every_echo_of_the_token_is_scrubbed() {
        let ws = workspace();
        let (beta, gamma) = (page_titled(&ws, "Beta"), page_titled(&ws, "Gamma"));
        let echo = format!("Invalid header Authorization: Bearer {TOKEN}");
        let rules = vec![
            HostileRule::json(
                "GET",
                &format!("/v1/blocks/{gamma}/children"),
                400,
                json!({"object": "error", "status": 400, "code": "validation_error", "message": echo,
                       "request_id": format!("req-{TOKEN}"), "additional_data": {"header": echo}}),
            )
            .header("x-notion-request-id", &format!("hdr-{TOKEN}")),
            HostileRule::raw(
                "GET",
                &format!("/v1/blocks/{beta}/children"),
                500,
                format!("<html>upstream said {echo}</html>"),
            ),
        ];
        let server = serve(ws, rules).await;
        let logs = Logs::default();
        let guard = logs.capture();
        let client = client(&server);
        let errors = [
            client.block_children(&gamma, None).await.unwrap_err(),
            client.block_children(&beta, None).await.unwrap_err(),
        ];
        let out = crawl(client, CrawlConfig::default(), CancellationToken::new()).await;
        drop(guard);
        for error in &errors {
            assert_clean("a client error", &format!("{error} {error:?}"));
            assert!(error.to_string().contains("[REDACTED]"), "{error}");
        }
        assert_eq!(out.failed.len(), 2);
        for failure in &out.failed {
            assert_clean(
                "a failure",
                &format!("{} {:?}", failure.error, failure.error),
            );
        }
        assert_clean("the report", &serde_json::to_string(out.report()).unwrap());
        let logs = logs.text();
        assert!(logs.contains("page failed"), "{logs}");
        assert_clean("the logs", &logs);
    }

    #[tokio::test]
    async fn the_token_in_content_is_scrubbed_too() {
        let ws = workspace();
        let beta = page_titled(&ws, "Beta");
        let body = children_list(
            vec![json!({"object": "block", "id": "t1", "type": "paragraph",
            "paragraph": {"rich_text": [{"type": "text", "text": {"content": TOKEN}, "plain_text": TOKEN}]}})],
            None,
        );
        let rule = HostileRule::json("GET", &format!("/v1/blocks/{beta}/children"), 200, body);
        let server = serve(ws, vec![rule]).await;
        let out = crawl_all(&server).await;
        let tree = serde_json::to_string(out.tree(&beta)).unwrap();
        assert_clean("a page", &tree);
        assert!(tree.contains("[REDACTED]"));
    }
}

/// Issue 13: fidelity on real response shapes.
mod fidelity {
    use super::*;

    #[tokio::test]
    async fn a_page_with_a_malformed_cover_is_crawled_and_the_cover_kept_raw() {
        let ws = workspace();
        let alpha = page_titled(&ws, "Alpha");
        let mut page = ws.page_tree_json(&alpha).unwrap()["page"].clone();
        page["cover"] = json!({});
        page["icon"] = json!({"type": 7});
        page["properties"]["Odd"] = json!({"id": "odd", "shape": "unknown"});
        let body =
            json!({"object": "list", "results": [page], "has_more": false, "next_cursor": null});
        let server = serve(ws, vec![HostileRule::json("POST", "/v1/search", 200, body)]).await;
        let out = crawl_all(&server).await;
        let tree = out.tree(&alpha);
        assert_eq!(tree.page.cover, None);
        assert_eq!(tree.page.malformed["cover"], json!({}));
        assert_eq!(tree.page.malformed["icon"], json!({"type": 7}));
        assert!(matches!(
            tree.page.properties["Odd"].value,
            PropertyKind::Unknown(_)
        ));
        assert_eq!(tree.page.title(), "Alpha");
        assert_eq!(tree.blocks.len(), 2, "its content is read");
        assert_eq!(out.report().progress.malformed_values, 3);
    }

    fn synced_workspace() -> Workspace {
        Workspace::from_json(json!({
            "name": "synced-unshared",
            "pages": [
                {"key": "private", "title": "Private", "shared": false, "blocks": [
                    {"key": "original", "synced_block": null, "children": [
                        {"paragraph": "Shared words"},
                        {"toggle": "More", "children": [{"paragraph": "Deep words"}]},
                    ]},
                ]},
                {"key": "public", "title": "Public", "blocks": [
                    {"paragraph": "Before"},
                    {"key": "copy", "synced_block": {"from": "original"}},
                ]},
            ],
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn a_synced_copy_of_an_unshared_original_is_read_from_the_copy() {
        let ws = synced_workspace();
        let public = page_titled(&ws, "Public");
        let copy = ws.page_tree_json(&public).unwrap()["blocks"][1].clone();
        let original = copy["synced_block"]["synced_from"]["block_id"]
            .as_str()
            .unwrap()
            .to_string();
        let server = serve(ws, Vec::new()).await;
        let out = crawl_all(&server).await;
        let tree = out.tree(&public);
        let copy_block = &tree.blocks[1];
        assert!(
            matches!(copy_block.kind, BlockKind::SyncedBlock(_)),
            "{:?}",
            copy_block.kind
        );
        let texts: Vec<String> = copy_block
            .children
            .iter()
            .map(|b| notion_source::model::plain_text(b.rich_text().unwrap_or_default()))
            .collect();
        assert_eq!(texts, ["Shared words", "More"]);
        // The toggle's own children live on the unshared page: marked.
        let toggle = &copy_block.children[1];
        assert_eq!(
            Marker::of(&toggle.children[0]),
            Some(Marker::SyncedNotShared)
        );
        let report = out.report();
        assert!(out.failed.is_empty(), "{:?}", report.failures);
        assert_eq!(report.not_shared.len(), 1);
        let not_shared = &report.not_shared[0];
        assert_eq!(
            (not_shared.kind, not_shared.id.as_str()),
            (NotSharedKind::SyncedOriginal, original.as_str())
        );
        assert_eq!(not_shared.referenced_from, [public]);
    }

    #[tokio::test]
    async fn a_synced_copy_whose_own_children_fail_too_is_marked_not_shared() {
        let ws = synced_workspace();
        let public = page_titled(&ws, "Public");
        let copy_id = block_id(&ws, &public, 1);
        let rule = not_found("GET", &format!("/v1/blocks/{copy_id}/children"));
        let server = serve(ws, vec![rule]).await;
        let out = crawl_all(&server).await;
        let copy = &out.tree(&public).blocks[1];
        assert_eq!(Marker::of(copy), Some(Marker::SyncedNotShared));
        assert_eq!(copy.kind.type_name(), "synced_block_not_shared");
        match &copy.kind {
            BlockKind::Unknown(u) => assert!(u.error.as_deref().unwrap().contains("not shared")),
            other => panic!("{other:?}"),
        }
        assert!(out.failed.is_empty());
        assert_eq!(
            out.report().not_shared[0].kind,
            NotSharedKind::SyncedOriginal
        );
    }

    #[tokio::test]
    async fn a_linked_database_that_is_not_shared_is_reported_not_failed() {
        let ws = Workspace::from_json(json!({
            "name": "linked",
            "pages": [{"key": "home", "title": "Home", "blocks": [
                {"paragraph": "A linked view below"},
                {"child_database": {"key": "elsewhere", "title": "Elsewhere", "schema": {"Name": "title"}, "rows": []}},
            ]}],
        }))
        .unwrap();
        let home = page_titled(&ws, "Home");
        let database = block_id(&ws, &home, 1);
        let rule = not_found("GET", &format!("/v1/databases/{database}"));
        let server = serve(ws, vec![rule]).await;
        let out = crawl_all(&server).await;
        let report = out.report();
        assert!(
            report.listing_errors.is_empty(),
            "{:?}",
            report.listing_errors
        );
        assert!(report.failures.is_empty());
        assert!(report.listing_complete);
        assert_eq!(report.not_shared.len(), 1);
        let linked = &report.not_shared[0];
        assert_eq!(
            (linked.kind, linked.id.as_str()),
            (NotSharedKind::Database, database.as_str())
        );
        assert_eq!(linked.referenced_from, [home]);
        assert_eq!(serde_json::to_value(linked).unwrap()["kind"], "database");
    }

    #[tokio::test]
    async fn a_relation_of_26_with_a_percent_encoded_property_id_is_read_whole() {
        let ws = Workspace::load(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../datasets/percent-ids.json"
        ))
        .expect("valid dataset");
        let server = serve(ws, Vec::new()).await;
        let out = crawl_all(&server).await;
        assert!(out.failed.is_empty(), "{:?}", out.report().failures);
        let hub = out.trees.iter().find(|t| t.page.title() == "Hub").unwrap();
        let links = &hub.page.properties["Links"];
        assert_eq!(links.id, "%60%5B%3E%7B");
        match &links.value {
            PropertyKind::Relation(refs) => assert_eq!(refs.len(), 26),
            other => panic!("{other:?}"),
        }
        let paths: Vec<String> = server
            .stats()
            .timeline
            .iter()
            .filter(|e| e.path.contains("/properties/"))
            .map(|e| e.path.clone())
            .collect();
        assert_eq!(paths.len(), 1);
        assert!(paths[0].ends_with("/properties/%60%5B%3E%7B"), "{paths:?}");
    }
}

/// Notion's clock, from the `Date` of answers.
#[tokio::test]
async fn the_servers_clock_ten_minutes_ahead_is_read_from_its_answers() {
    let cfg = MockConfig {
        clock_offset: chrono::TimeDelta::minutes(10),
        ..MockConfig::unlimited()
    };
    let server = MockServer::start(workspace(), cfg).await.unwrap();
    let client = client(&server);
    assert_eq!(client.server_time_first(), None);
    let before = chrono::Utc::now();
    let out = crawl(
        client.clone(),
        CrawlConfig::default(),
        CancellationToken::new(),
    )
    .await;
    let report = out.report();
    let (first, last) = (
        report.server_time_first.unwrap(),
        report.server_time_last.unwrap(),
    );
    for at in [first, last] {
        let ahead = at - before;
        assert!(
            ahead > chrono::TimeDelta::minutes(9) && ahead < chrono::TimeDelta::minutes(11),
            "{at} is {ahead} from the local clock"
        );
    }
    assert!(first <= last);
    assert_eq!(client.server_time_first(), Some(first));
}
