//! Benchmark: how close the client runs to Notion's rate limit without
//! tripping it.
//!
//! Pushes 600 requests (block children of the dataset's pages, one page each)
//! through one `NotionClient` with its default pace (3 requests/s, burst 2)
//! from 8 concurrent tasks, against the mock server limited to 3 requests/s
//! (token bucket) with a log-normal latency of 250 ms median. Prints the
//! achieved rate, its ratio to the limit, and the 429s seen.
//!
//! `cargo run --release -p benchmarks --bin client_rate [requests]` (about
//! 200 s for the default 600).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use benchmarks::LIMIT_PER_SECOND;
use notion_mock::{SyntheticConfig, Workspace};

const TASKS: usize = 8;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let requests: usize = match std::env::args().nth(1) {
        Some(n) => n
            .parse()
            .context("the argument is the number of requests")?,
        None => 600,
    };
    let workspace = Workspace::synthetic(&SyntheticConfig {
        pages: 50,
        seed: 7,
        ..SyntheticConfig::default()
    });
    let page_ids = Arc::new(workspace.page_ids());
    let (server, client) = benchmarks::notion_like_mock(workspace).await?;

    println!(
        "client_rate: {requests} requests, {TASKS} tasks, mock limit {LIMIT_PER_SECOND}/s (token bucket, burst 10), log-normal latency 250 ms median"
    );
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (client, next, page_ids) = (client.clone(), next.clone(), page_ids.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= requests {
                        return Ok::<_, anyhow::Error>(());
                    }
                    let page = &page_ids[i % page_ids.len()];
                    client.block_children(page, None).await?;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let wall = started.elapsed();

    let client_stats = client.stats();
    let mock_stats = server.stats();
    server.stop().await;

    // The steady pace: requests after the first burst, over the time they
    // took to arrive at the server.
    let arrivals: Vec<Duration> = mock_stats.timeline.iter().map(|e| e.at).collect();
    let skip = 10.min(arrivals.len().saturating_sub(2));
    let sustained = match (arrivals.get(skip), arrivals.last()) {
        (Some(&first), Some(&last)) if last > first => {
            (arrivals.len() - 1 - skip) as f64 / (last - first).as_secs_f64()
        }
        _ => f64::NAN,
    };
    let overall = requests as f64 / wall.as_secs_f64();
    println!("wall time                 {:.1} s", wall.as_secs_f64());
    println!("requests sent (client)    {}", client_stats.total.requests);
    println!("requests seen (mock)      {}", mock_stats.total);
    println!(
        "overall rate              {overall:.3} req/s ({:.1}% of the limit)",
        100.0 * overall / LIMIT_PER_SECOND
    );
    println!(
        "sustained rate            {sustained:.3} req/s ({:.1}% of the limit, after the first {skip} requests)",
        100.0 * sustained / LIMIT_PER_SECOND
    );
    println!(
        "max rate over 10 s (mock) {:.2} req/s",
        mock_stats.max_rate_10s
    );
    println!(
        "429s (client / mock)      {} / {}",
        client_stats.total.rate_limited, mock_stats.rate_limited
    );
    println!(
        "requests in penalty       {}",
        mock_stats.requests_in_penalty
    );
    println!(
        "time paused               {:.1} s",
        client_stats.paused.as_secs_f64()
    );
    Ok(())
}
