//! The client over real HTTP against the mock Notion server: pagination,
//! rate limits, retries, errors and content, each checked against what the
//! mock served and counted.

use std::time::Duration;

use futures::TryStreamExt;
use notion_mock::{Faults, MockConfig, MockServer, RateLimit as MockRate, Workspace};
use notion_source::client::{
    ClientConfig, ClientError, DataSourceQuery, Endpoint, NotionClient, RateLimit, RetryPolicy,
    SearchQuery, SecretToken,
};
use notion_source::model::SearchResult;
use serde_json::{Value, json};

use crate::common;

/// Starting a mock and a client that talks to it.
mod support {
    use super::*;

    /// A client pointed at `server`, fast enough that tests take
    /// milliseconds: 1000 requests/s, short backoffs.
    pub fn fast_config(server: &MockServer) -> ClientConfig {
        ClientConfig {
            base_url: server.url(),
            rate: RateLimit::PerSecond {
                per_second: 1000.0,
                burst: 50,
            },
            retry: RetryPolicy {
                base_delay: Duration::from_millis(5),
                max_delay: Duration::from_millis(50),
                pause_jitter: Duration::from_millis(20),
                ..RetryPolicy::default()
            },
            ..ClientConfig::default()
        }
    }

    /// The token the mock accepts.
    pub fn token() -> SecretToken {
        SecretToken::new(MockConfig::default().token)
    }

    /// A mock serving `workspace` and a client with `config(server)`.
    pub async fn start(
        workspace: Workspace,
        mock: MockConfig,
        config: impl FnOnce(&MockServer) -> ClientConfig,
    ) -> (MockServer, NotionClient) {
        let server = MockServer::start(workspace, mock)
            .await
            .expect("mock starts");
        let client = NotionClient::new(token(), config(&server)).expect("client builds");
        (server, client)
    }

    /// `pages` plain pages, one long page of `blocks` paragraphs and an inline
    /// database of `rows` rows.
    pub fn paging_workspace(pages: usize, blocks: usize, rows: usize) -> Workspace {
        Workspace::from_json(json!({
            "name": "paging",
            "pages": [
                {"repeat": pages, "each": {"key": "page-{i}", "title": "Page {i}"}},
                {"key": "long", "title": "Long", "blocks": [
                    {"repeat": blocks, "each": {"paragraph": "Block {i}"}},
                    {"child_database": {"key": "table", "title": "Table", "schema": {"Name": "title"},
                        "rows": [{"repeat": rows, "each": {"title": "Row {i}"}}]}},
                ]},
            ],
        }))
        .expect("valid dataset")
    }

    /// The ids of the top-level blocks of a page, as the mock says they are.
    pub fn top_level_block_ids(workspace: &Workspace, page_id: &str) -> Vec<String> {
        let tree = workspace.page_tree_json(page_id).expect("page exists");
        tree["blocks"]
            .as_array()
            .expect("blocks")
            .iter()
            .map(|b| b["id"].as_str().expect("id").to_string())
            .collect()
    }

    /// The top-level block ids of each page, as the mock says they are.
    pub fn expected_children(workspace: &Workspace, page_ids: &[String]) -> Vec<Vec<String>> {
        page_ids
            .iter()
            .map(|id| top_level_block_ids(workspace, id))
            .collect()
    }

    /// The top-level block ids of each page, read through the client.
    pub async fn children_of_every_page(
        client: &NotionClient,
        page_ids: &[String],
    ) -> Result<Vec<Vec<String>>, ClientError> {
        let mut trees = Vec::new();
        for id in page_ids {
            let blocks: Vec<_> = client.block_children_all(id).try_collect().await?;
            trees.push(blocks.iter().map(|b| b.id.clone()).collect());
        }
        Ok(trees)
    }

    /// The id of a search result.
    pub fn result_id(result: &SearchResult) -> String {
        match result {
            SearchResult::Page(p) => p.id.clone(),
            SearchResult::DataSource(d) => d.id.clone(),
            SearchResult::Database(d) => d.id.clone(),
            SearchResult::Unknown(v) => v["id"].as_str().unwrap_or_default().to_string(),
        }
    }

    /// Panics if `ids` holds a duplicate.
    pub fn assert_unique(ids: &[String]) {
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "an item came twice");
    }

    /// Requests needed for `items` at `page_size` per page (at least one).
    pub fn pages_needed(items: usize, page_size: usize) -> u64 {
        items.div_ceil(page_size).max(1) as u64
    }
}

use support::*;

/// Every item exactly once across cursor boundaries, in as few requests as
/// the page size allows.
mod paging {
    use super::*;
    use notion_source::model::PageTree;
    use proptest::prelude::*;

    async fn check_every_item_once(pages: usize, blocks: usize, rows: usize, page_size: u32) {
        let workspace = paging_workspace(pages, blocks, rows);
        let long_page = workspace
            .page_ids()
            .into_iter()
            .find(|id| {
                let tree: PageTree =
                    serde_json::from_value(workspace.page_tree_json(id).unwrap()).unwrap();
                tree.page.title() == "Long"
            })
            .expect("the long page");
        let expected_blocks = top_level_block_ids(&workspace, &long_page);
        let (server, client) = start(workspace, MockConfig::unlimited(), |s| ClientConfig {
            page_size,
            ..fast_config(s)
        })
        .await;
        let size = page_size as usize;

        let found: Vec<_> = client
            .search_all(SearchQuery::default())
            .try_collect()
            .await
            .unwrap();
        let found: Vec<String> = found.iter().map(result_id).collect();
        assert_unique(&found);
        // Plain pages, the long page, the rows and the data source.
        assert_eq!(found.len(), pages + 1 + rows + 1);

        let children: Vec<_> = client
            .block_children_all(&long_page)
            .try_collect()
            .await
            .unwrap();
        let children: Vec<String> = children.iter().map(|b| b.id.clone()).collect();
        assert_eq!(children, expected_blocks, "every block once, in order");
        assert_eq!(children.len(), blocks + 1);

        let table = client
            .retrieve_database(expected_blocks.last().unwrap())
            .await
            .unwrap();
        let data_source = &table.data_sources[0].id;
        let found_rows: Vec<_> = client
            .query_data_source_all(data_source, DataSourceQuery::default())
            .try_collect()
            .await
            .unwrap();
        let found_rows: Vec<String> = found_rows.iter().map(result_id).collect();
        assert_unique(&found_rows);
        assert_eq!(found_rows.len(), rows);

        let stats = client.stats();
        let requests = |e: Endpoint| stats.per_endpoint.get(&e).map_or(0, |s| s.requests);
        assert_eq!(requests(Endpoint::Search), pages_needed(found.len(), size));
        assert_eq!(
            requests(Endpoint::BlockChildren),
            pages_needed(blocks + 1, size)
        );
        assert_eq!(
            requests(Endpoint::QueryDataSource),
            pages_needed(rows, size)
        );
        let mock = server.stats();
        assert_eq!(
            mock.total, stats.total.requests,
            "client and mock count alike"
        );
        assert_eq!(
            mock.per_endpoint
                .get("GET /v1/blocks/{id}/children")
                .copied(),
            Some(requests(Endpoint::BlockChildren))
        );
        server.stop().await;
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(6))]

        #[test]
        fn every_item_exactly_once(
            pages in 0usize..230,
            blocks in 0usize..230,
            rows in 0usize..230,
            page_size in prop_oneof![1u32..=7, 8u32..=100],
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(check_every_item_once(pages, blocks, rows, page_size));
        }
    }

    #[tokio::test]
    async fn boundaries_at_exact_multiples_of_the_page_size() {
        check_every_item_once(9, 19, 10, 10).await;
        check_every_item_once(0, 0, 0, 100).await;
    }
}

/// 429s pause the whole client; nothing is sent inside a Retry-After window.
mod rate_limits {
    use super::*;

    #[tokio::test]
    async fn a_429_storm_is_survived_with_nothing_lost_and_no_request_in_penalty() {
        let workspace = paging_workspace(2, 5, 0);
        let page_ids = workspace.page_ids();
        let expected = expected_children(&workspace, &page_ids);
        let mock = MockConfig {
            rate: MockRate::TokenBucket {
                per_second: 3.0,
                burst: 1,
            },
            ..MockConfig::default()
        };
        // Above the mock's rate, no burst: 429s until the second episode
        // slows the client below it. Requests stay 200 ms apart, so the
        // client has read a 429 long before its next request is due.
        let (server, client) = start(workspace, mock, |s| ClientConfig {
            rate: RateLimit::PerSecond {
                per_second: 5.0,
                burst: 1,
            },
            retry: RetryPolicy {
                slowdown: 0.5,
                ..fast_config(s).retry
            },
            ..fast_config(s)
        })
        .await;

        // Two tasks share the one client, each reading every page.
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let (client, page_ids) = (client.clone(), page_ids.clone());
                tokio::spawn(async move { children_of_every_page(&client, &page_ids).await })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap(), expected, "nothing lost");
        }

        let stats = client.stats();
        let mock = server.stats();
        assert!(mock.rate_limited > 0, "the storm happened");
        assert_eq!(
            mock.requests_in_penalty, 0,
            "no request inside a Retry-After window"
        );
        assert_eq!(stats.total.rate_limited, mock.rate_limited);
        assert_eq!(stats.total.errors, 0);
        assert!(stats.total.retries >= stats.total.rate_limited);
        assert!(
            stats.paused >= Duration::from_secs(1),
            "paused {:?}",
            stats.paused
        );
        assert!(
            stats.rate_per_second < 5.0,
            "repeated 429s slowed the client"
        );
        server.stop().await;
    }

    #[tokio::test]
    async fn a_window_budget_is_kept_without_a_429() {
        let budget = 12;
        let window = Duration::from_secs(1);
        let workspace = paging_workspace(2, 3, 0);
        let page = workspace.page_ids()[0].clone();
        let mock = MockConfig {
            rate: MockRate::Window { budget, window },
            ..MockConfig::default()
        };
        let (server, client) = start(workspace, mock, |s| ClientConfig {
            rate: RateLimit::Window { budget, window },
            ..fast_config(s)
        })
        .await;
        let calls: Vec<_> = (0..20)
            .map(|_| client.block_children(&page, None))
            .collect();
        for result in futures::future::join_all(calls).await {
            result.unwrap();
        }
        let mock = server.stats();
        assert_eq!(mock.total, 20);
        assert_eq!(mock.rate_limited, 0, "the client kept to the window budget");
        server.stop().await;
    }
}

/// 5xx answers (an HTML 502 among them) and dropped connections are retried.
mod faults {
    use super::*;

    #[tokio::test]
    async fn server_errors_and_dropped_connections_are_retried_and_nothing_is_lost() {
        let workspace = paging_workspace(20, 30, 0);
        let page_ids = workspace.page_ids();
        let mock = MockConfig {
            faults: Faults {
                error_rate: 0.25,
                drop_rate: 0.1,
                seed: 11,
            },
            ..MockConfig::unlimited()
        };
        let expected = expected_children(&workspace, &page_ids);
        let (server, client) = start(workspace, mock, |s| ClientConfig {
            page_size: 10,
            retry: RetryPolicy {
                max_attempts: 12,
                ..fast_config(s).retry
            },
            ..fast_config(s)
        })
        .await;

        let got = children_of_every_page(&client, &page_ids).await.unwrap();
        let results: Vec<_> = client
            .search_all(SearchQuery::default())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(got, expected, "nothing lost");
        assert_eq!(
            results.len(),
            page_ids.len() + 1,
            "the pages and the data source"
        );

        let stats = client.stats();
        let mock = server.stats();
        let server_errors: u64 = [500, 502, 503]
            .iter()
            .filter_map(|s| mock.per_status.get(s))
            .sum();
        assert!(
            server_errors > 0 && mock.per_status.contains_key(&502),
            "{:?}",
            mock.per_status
        );
        assert!(
            stats.total.retries >= server_errors,
            "every error answer was retried"
        );
        assert!(mock.dropped > 0, "some connections were dropped");
        assert_eq!(
            mock.total, stats.total.requests,
            "every attempt reached the mock"
        );
        assert_eq!(stats.total.errors, 0);
        server.stop().await;
    }

    #[tokio::test]
    async fn an_html_502_is_an_api_error_not_a_parse_failure() {
        let workspace = paging_workspace(1, 1, 0);
        let page = workspace.page_ids()[0].clone();
        let mock = MockConfig {
            faults: Faults {
                error_rate: 1.0,
                drop_rate: 0.0,
                seed: 3,
            },
            ..MockConfig::unlimited()
        };
        let (server, client) = start(workspace, mock, |s| ClientConfig {
            retry: RetryPolicy {
                max_attempts: 1,
                ..fast_config(s).retry
            },
            ..fast_config(s)
        })
        .await;
        let mut seen_502 = false;
        for _ in 0..30 {
            let error = client.block_children(&page, None).await.unwrap_err();
            let body = error
                .api_error()
                .unwrap_or_else(|| panic!("not an API error: {error}"));
            assert!([500, 502, 503].contains(&body.status), "{error}");
            if body.status == 502 {
                seen_502 = true;
                assert_eq!(body.code, "bad_gateway");
                assert!(
                    body.message.contains('<'),
                    "keeps the start of the HTML: {}",
                    body.message
                );
            } else {
                assert!(
                    body.request_id.is_some(),
                    "JSON errors keep the request id: {error}"
                );
            }
        }
        assert!(seen_502, "30 faults include a 502");
        server.stop().await;
    }
}

/// 4xx errors fail at once, typed, and never show the token.
mod errors {
    use super::*;
    use common::Logs;

    const LEAKY_TOKEN: &str = "secret_do_not_print_4242";

    fn assert_no_token(text: &str) {
        assert!(!text.contains(LEAKY_TOKEN), "the token leaked: {text}");
        assert!(
            !text.contains("do_not_print"),
            "part of the token leaked: {text}"
        );
    }

    #[tokio::test]
    async fn unauthorized_and_not_found_fail_fast_with_notions_codes_and_no_token() {
        let logs = Logs::default();
        let _guard = logs.capture();

        let workspace = paging_workspace(1, 1, 0);
        let page = workspace.page_ids()[0].clone();
        let server = MockServer::start(workspace, MockConfig::unlimited())
            .await
            .unwrap();
        let wrong = NotionClient::new(SecretToken::new(LEAKY_TOKEN), fast_config(&server)).unwrap();

        let error = wrong.retrieve_page(&page, &[]).await.unwrap_err();
        assert_eq!(
            (error.status(), error.code()),
            (Some(401), Some("unauthorized"))
        );
        assert!(error.request_id().is_some());
        assert_eq!(server.stats().total, 1, "401 is not retried");

        let right = NotionClient::new(token(), fast_config(&server)).unwrap();
        let missing = "5b7a1c2e-0000-4000-8000-000000000000";
        let error = right.retrieve_page(missing, &[]).await.unwrap_err();
        assert!(error.is_not_found(), "{error}");
        assert_eq!(error.code(), Some("object_not_found"));
        assert_eq!(server.stats().total, 2, "404 is not retried");
        let error = right.block_children("not-a-uuid", None).await.unwrap_err();
        assert_eq!(
            (error.status(), error.code()),
            (Some(400), Some("validation_error"))
        );
        assert_eq!(server.stats().total, 3, "400 is not retried");
        assert_eq!(right.stats().total.errors, 2);

        for error in [
            wrong.retrieve_page(&page, &[]).await.unwrap_err(),
            wrong
                .block_children_all(&page)
                .try_collect::<Vec<_>>()
                .await
                .unwrap_err(),
        ] {
            assert_no_token(&format!("{error} {error:?}"));
        }
        assert_no_token(&format!("{wrong:?} {:?}", wrong.config()));
        drop(_guard);
        let logs = logs.text();
        assert!(
            logs.contains("notion request"),
            "the requests were logged: {logs}"
        );
        assert_no_token(&logs);
        server.stop().await;
    }

    #[tokio::test]
    async fn plain_http_to_a_remote_host_is_refused_before_anything_is_sent() {
        for base_url in [
            "http://api.notion.com",
            "http://192.168.1.10:8080",
            "http://localhost.example",
        ] {
            let config = ClientConfig {
                base_url: base_url.to_string(),
                ..ClientConfig::default()
            };
            let error = NotionClient::new(SecretToken::new(LEAKY_TOKEN), config).unwrap_err();
            assert!(
                matches!(error, ClientError::Config(_)),
                "{base_url}: {error}"
            );
            assert!(error.to_string().contains("https"), "{error}");
            assert_no_token(&format!("{error} {error:?}"));
        }
    }
}

/// Endpoint shapes: unknown block types, large relations, databases, users.
mod content {
    use super::*;
    use notion_source::model::{BlockKind, PageTree, PropertyKind};

    #[tokio::test]
    async fn kitchen_sink_unknown_blocks_keep_their_json() {
        let workspace = Workspace::kitchen_sink();
        // The mock's own idea of every page's blocks, to find the unknown types.
        let mut unknown = Vec::new();
        for id in workspace.page_ids() {
            let tree: PageTree =
                serde_json::from_value(workspace.page_tree_json(&id).unwrap()).unwrap();
            for block in &tree.blocks {
                block.walk(&mut |b| {
                    if let BlockKind::Unknown(u) = &b.kind
                        && u.error.is_none()
                    {
                        unknown.push((b.id.clone(), u.type_name.clone(), u.raw.clone()));
                    }
                });
            }
        }
        assert!(
            !unknown.is_empty(),
            "the kitchen sink holds an unknown block type"
        );
        let (server, client) = start(workspace, MockConfig::unlimited(), fast_config).await;
        for (id, type_name, raw) in unknown {
            let block = client.retrieve_block(&id).await.unwrap();
            match &block.kind {
                BlockKind::Unknown(u) => {
                    assert_eq!(u.type_name, type_name);
                    assert_eq!(without_signatures(&u.raw), without_signatures(&raw));
                    assert!(!u.raw.is_null());
                }
                other => panic!("{id}: {other:?}"),
            }
        }
        server.stop().await;
    }

    /// Hosted file URLs are re-signed on every answer; compare without them.
    fn without_signatures(value: &Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .filter(|(k, _)| k.as_str() != "url" && k.as_str() != "expiry_time")
                    .map(|(k, v)| (k.clone(), without_signatures(v)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(without_signatures).collect()),
            other => other.clone(),
        }
    }

    #[tokio::test]
    async fn kitchen_sink_relations_beyond_25_databases_and_users() {
        let workspace = Workspace::kitchen_sink();
        let (server, client) = start(workspace, MockConfig::unlimited(), |s| ClientConfig {
            page_size: 10,
            ..fast_config(s)
        })
        .await;
        let results: Vec<_> = client
            .search_all(SearchQuery::default())
            .try_collect()
            .await
            .unwrap();

        let mut long_relations = 0;
        for result in &results {
            let SearchResult::Page(page) = result else {
                continue;
            };
            for value in page.properties.values() {
                let (PropertyKind::Relation(listed), Some(true)) = (&value.value, value.has_more)
                else {
                    continue;
                };
                let items: Vec<_> = client
                    .page_property_all(&page.id, &value.id)
                    .try_collect()
                    .await
                    .unwrap();
                let ids: Vec<String> = items
                    .into_iter()
                    .flat_map(|item| match item.value {
                        PropertyKind::Relation(refs) => {
                            refs.into_iter().map(|r| r.id).collect::<Vec<_>>()
                        }
                        other => panic!("a relation item is {other:?}"),
                    })
                    .collect();
                assert!(ids.len() > 25, "{} references", ids.len());
                assert_unique(&ids);
                let listed: Vec<String> = listed.iter().map(|r| r.id.clone()).collect();
                assert_eq!(listed.len(), 25);
                assert!(
                    listed.iter().all(|id| ids.contains(id)),
                    "the listed 25 are among all"
                );
                long_relations += 1;
            }
        }
        assert!(
            long_relations > 0,
            "the kitchen sink has a relation of more than 25"
        );

        let mut data_sources = 0;
        for result in &results {
            let SearchResult::DataSource(ds) = result else {
                continue;
            };
            let fetched = client.retrieve_data_source(&ds.id).await.unwrap();
            assert_eq!(fetched.id, ds.id);
            assert!(fetched.properties.values().any(|p| p.type_name == "title"));
            if let Some(notion_source::model::Parent::Database { database_id }) = &fetched.parent {
                let database = client.retrieve_database(database_id).await.unwrap();
                assert!(database.data_sources.iter().any(|r| r.id == ds.id));
            }
            data_sources += 1;
        }
        assert!(data_sources > 0);

        let users: Vec<_> = client.list_users_all().try_collect().await.unwrap();
        assert!(!users.is_empty());
        let page_one = client.list_users(None).await.unwrap();
        assert_eq!(
            page_one.results.first().map(|u| &u.id),
            users.first().map(|u| &u.id)
        );
        server.stop().await;
    }
}
