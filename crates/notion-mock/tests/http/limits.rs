//! Rate limiting, penalties, latency and injected faults.

use std::time::{Duration, Instant};

use notion_mock::{Faults, Latency, MockConfig, RateLimit, Workspace};
use serde_json::json;

use crate::common::{Answer, Harness};

/// The `Retry-After` header in seconds.
fn retry_after(a: &Answer) -> u64 {
    a.headers["retry-after"].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn token_bucket_answers_429_with_retry_after_and_counts_penalty_requests() {
    let cfg = MockConfig {
        rate: RateLimit::TokenBucket {
            per_second: 1.0,
            burst: 3,
        },
        ..MockConfig::default()
    };
    let h = Harness::start(Workspace::kitchen_sink(), cfg).await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(h.post("/v1/search", json!({})).await.status);
    }
    assert_eq!(statuses, [200, 200, 200]);
    let limited = h.post("/v1/search", json!({})).await;
    assert_eq!(
        (limited.status, limited.body["code"].as_str()),
        (429, Some("rate_limited"))
    );
    let retry = retry_after(&limited);
    assert!((1..=2).contains(&retry));
    assert!(limited.body["additional_data"]["rate_limit_reason"].is_string());
    // Two more inside the window: refused and counted.
    for _ in 0..2 {
        assert_eq!(h.post("/v1/search", json!({})).await.status, 429);
    }
    let stats = h.server.stats();
    assert_eq!(
        (stats.rate_limited, stats.requests_in_penalty, stats.total),
        (3, 2, 6)
    );
    assert_eq!(stats.per_status[&429], 3);
    assert!(stats.max_rate_1s >= 6.0);
    // Waiting out Retry-After is enough.
    let retry = retry_after(&h.post("/v1/search", json!({})).await);
    tokio::time::sleep(Duration::from_secs(retry) + Duration::from_millis(50)).await;
    assert_eq!(h.post("/v1/search", json!({})).await.status, 200);
    h.server.stop().await;
}

#[tokio::test]
async fn window_budget_refuses_until_the_window_ends() {
    let window = Duration::from_secs(2);
    let cfg = MockConfig {
        rate: RateLimit::Window { budget: 4, window },
        ..MockConfig::default()
    };
    let h = Harness::start(Workspace::kitchen_sink(), cfg).await;
    let mut ok = 0;
    for _ in 0..4 {
        ok += u32::from(h.post("/v1/search", json!({})).await.status == 200);
    }
    assert_eq!(ok, 4);
    let limited = h.post("/v1/search", json!({})).await;
    assert_eq!(limited.status, 429);
    let retry = retry_after(&limited);
    assert!((1..=2).contains(&retry));
    tokio::time::sleep(Duration::from_secs(retry) + Duration::from_millis(50)).await;
    assert_eq!(h.post("/v1/search", json!({})).await.status, 200);
    assert_eq!(h.server.stats().requests_in_penalty, 0);
    h.server.stop().await;
}

#[tokio::test]
async fn faults_happen_at_the_configured_rate() {
    let cfg = MockConfig {
        faults: Faults {
            error_rate: 0.3,
            drop_rate: 0.1,
            seed: 11,
        },
        ..MockConfig::unlimited()
    };
    let h = Harness::start(Workspace::kitchen_sink(), cfg).await;
    let n = 400;
    let (mut dropped, mut errors, mut html) = (0, 0, 0);
    for _ in 0..n {
        let req = h
            .http
            .get(format!("{}/v1/users", h.server.url()))
            .bearer_auth(crate::common::TOKEN)
            .header("Notion-Version", crate::common::VERSION);
        match req.send().await {
            Err(_) => dropped += 1,
            Ok(resp) => {
                let status = resp.status().as_u16();
                let html_body = resp.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html");
                if status >= 500 {
                    errors += 1;
                    assert!([500, 502, 503].contains(&status));
                    html += u32::from(html_body && status == 502);
                } else {
                    assert_eq!(status, 200);
                }
            }
        }
    }
    // Expected: 40 dropped, 108 errors (0.3 of the 360 left); generous bounds.
    assert!((20..=65).contains(&dropped), "dropped {dropped}");
    assert!((75..=145).contains(&errors), "errors {errors}");
    assert!(html > 10, "502s come as HTML");
    let stats = h.server.stats();
    assert_eq!(stats.dropped, dropped);
    assert_eq!(stats.total, n);
    h.server.stop().await;
}

#[tokio::test]
async fn latency_delays_requests_without_queueing_them() {
    let delay = Duration::from_millis(300);
    let cfg = MockConfig {
        latency: Latency::Fixed(delay),
        ..MockConfig::unlimited()
    };
    let h = Harness::start(Workspace::kitchen_sink(), cfg).await;
    let started = Instant::now();
    let answers = futures::future::join_all((0..8).map(|_| h.post("/v1/search", json!({})))).await;
    let elapsed = started.elapsed();
    assert!(answers.iter().all(|a| a.status == 200));
    assert!(elapsed >= delay, "{elapsed:?}");
    assert!(
        elapsed < delay * 4,
        "8 requests ran concurrently: {elapsed:?}"
    );
    h.server.stop().await;
}
