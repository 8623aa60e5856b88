//! One server, many workspaces: each token reads its own workspace, under
//! its own rate limit, latency and statistics.

use std::time::{Duration, Instant};

use notion_mock::{Latency, MockConfig, MockServer, RateLimit, SyntheticConfig, Workspace};
use serde_json::json;

use crate::common::{Harness, VERSION};

fn token(i: usize) -> String {
    format!("secret_tenant_{i}")
}

fn workspace(seed: u64) -> Workspace {
    Workspace::synthetic(&SyntheticConfig {
        pages: 5,
        seed,
        ..SyntheticConfig::default()
    })
}

async fn ids_of(h: &Harness, token: &str, page: &str) -> u16 {
    h.call_with(
        "GET",
        &format!("/v1/pages/{page}"),
        None,
        Some(token),
        Some(VERSION),
    )
    .await
    .status
}

#[tokio::test]
async fn each_token_reads_its_own_workspace_under_its_own_limits() {
    let workspaces: Vec<Workspace> = (0..3).map(|i| workspace(100 + i)).collect();
    let pages: Vec<Vec<String>> = workspaces.iter().map(Workspace::page_ids).collect();
    let configs = [
        // Workspace 0: a tight token bucket.
        MockConfig {
            token: token(0),
            rate: RateLimit::TokenBucket {
                per_second: 0.5,
                burst: 2,
            },
            ..MockConfig::default()
        },
        // Workspace 1: no limit, no latency.
        MockConfig {
            token: token(1),
            ..MockConfig::unlimited()
        },
        // Workspace 2: no limit, 300 ms per answer.
        MockConfig {
            token: token(2),
            latency: Latency::Fixed(Duration::from_millis(300)),
            ..MockConfig::unlimited()
        },
    ];
    let server = MockServer::start_many(workspaces.into_iter().zip(configs).collect())
        .await
        .unwrap();
    assert_eq!(server.workspace_count(), 3);
    let h = Harness {
        server,
        http: reqwest::Client::new(),
    };

    // A token reads its workspace's pages and no other's.
    assert_eq!(ids_of(&h, &token(1), &pages[1][0]).await, 200);
    assert_eq!(ids_of(&h, &token(1), &pages[2][0]).await, 404);
    let started = Instant::now();
    assert_eq!(ids_of(&h, &token(2), &pages[2][0]).await, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "workspace 2's latency applies to its token"
    );
    // An unknown token: 401, counted against no workspace.
    let refused = h
        .call_with(
            "POST",
            "/v1/search",
            Some(json!({})),
            Some("secret_nobody"),
            Some(VERSION),
        )
        .await;
    assert_eq!(
        (refused.status, refused.body["code"].as_str()),
        (401, Some("unauthorized"))
    );

    // Workspace 0 runs out of its burst; workspace 1 does not notice.
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(ids_of(&h, &token(0), &pages[0][0]).await);
    }
    assert_eq!(statuses, [200, 200, 429]);
    for _ in 0..5 {
        assert_eq!(ids_of(&h, &token(1), &pages[1][1]).await, 200);
    }

    let stats: Vec<_> = (0..3).map(|i| h.server.stats_of(i).unwrap()).collect();
    assert_eq!(
        stats
            .iter()
            .map(|s| (s.total, s.rate_limited))
            .collect::<Vec<_>>(),
        [(3, 1), (7, 0), (1, 0)]
    );
    assert!(h.server.stats_of(3).is_none());
    h.server.stop().await;
}

#[tokio::test]
async fn two_workspaces_with_one_token_are_refused() {
    let config = MockConfig {
        token: token(0),
        ..MockConfig::unlimited()
    };
    let refused =
        MockServer::start_many(vec![(workspace(1), config.clone()), (workspace(2), config)]).await;
    assert!(refused.is_err());
    assert!(MockServer::start_many(Vec::new()).await.is_err());
}
