//! Benchmark: how many workspaces one process crawls at once, each at
//! Notion's full 3 requests/s, with CPU and peak memory per workspace.
//!
//! N synthetic workspaces, served by one Notion-like mock server as Notion
//! serves many integrations (`MockServer::start_many`: each workspace its
//! own token, its own 3 requests/s token bucket and 250 ms median latency), are
//! crawled concurrently in this process by `engine::run`, each with its own
//! client at the default pace, into its own output directory, all sharing
//! one [`engine::SharedBounds`] (pages in memory, exports at once) — what
//! `run` does with `[[workspace]]` entries. The mocks run in this process
//! too, so the CPU figure includes serving (an upper bound for the crawler
//! alone).
//!
//! Reports: wall time, requests, the rate each workspace's crawl achieved
//! against its 3/s (requests over the span between its first and last
//! request, as its mock saw them), CPU seconds (user + system,
//! `/proc/self/stat`) and peak resident memory (`VmHWM`) above the process
//! with its mocks loaded, per workspace.
//!
//! `cargo run --release -p benchmarks --bin workspaces [-- --workspaces 200 --pages 10 --pages-in-memory 1000]`

use std::time::Instant;

use anyhow::{Context, bail};
use notion_mock::{MockServer, SyntheticConfig, Workspace};

fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Fields 14 and 15 of stat (utime, stime), counted from after the name.
    (ticks(11) + ticks(12)) / 100.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (mut workspaces, mut pages, mut pages_in_memory) = (200usize, 10usize, 1000usize);
    for (flag, value) in benchmarks::flag_pairs()? {
        match flag.as_str() {
            "--workspaces" => workspaces = value.parse().context("--workspaces N")?,
            "--pages" => pages = value.parse().context("--pages N")?,
            "--pages-in-memory" => {
                pages_in_memory = value.parse().context("--pages-in-memory N")?
            }
            other => bail!(
                "unknown flag {other} (flags: --workspaces N, --pages N, --pages-in-memory N)"
            ),
        }
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let bounds = engine::SharedBounds::new(pages_in_memory, cores);
    let idle_mb = benchmarks::proc_status_mb("VmRSS");
    let mut tenants = Vec::new();
    let mut minimum = 0;
    for i in 0..workspaces {
        let ws = Workspace::synthetic(&SyntheticConfig {
            pages,
            seed: i as u64,
            ..SyntheticConfig::default()
        });
        let min = ws.min_requests();
        minimum += min.total + min.users;
        let mut config = benchmarks::notion_like_config();
        config.token = format!("secret_workspace_{i}");
        tenants.push((ws, config));
    }
    let server = MockServer::start_many(tenants).await?;
    let served_mb = benchmarks::proc_status_mb("VmRSS");
    let dir = tempfile::tempdir()?;
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..workspaces {
        let client = benchmarks::mock_client(
            &server,
            &format!("secret_workspace_{i}"),
            notion_source::client::ClientConfig::default().rate,
        )?;
        let config = engine::EngineConfig::local(dir.path().join(format!("workspace={i}")));
        let options = engine::RunOptions {
            bounds: Some(bounds.clone()),
            ..engine::RunOptions::default()
        };
        tasks.push(tokio::spawn(engine::run(client, config, options)));
    }
    let mut requests = 0u64;
    let mut slowest = 0f64;
    for task in tasks {
        let report = task.await??;
        requests += report.crawl.client.total.requests;
        slowest = slowest.max(report.seconds);
    }
    // Each crawl's rate as its mock saw it: requests between the first and
    // the last, over that span.
    let mut rates: Vec<f64> = (0..workspaces)
        .filter_map(|i| server.stats_of(i))
        .filter_map(|stats| {
            let first = stats.timeline.iter().map(|e| e.at).min()?;
            let last = stats.timeline.iter().map(|e| e.at).max()?;
            let span = (last - first).as_secs_f64();
            (span > 0.0).then(|| (stats.timeline.len() - 1) as f64 / span)
        })
        .collect();
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_before;
    let peak_mb = benchmarks::proc_status_mb("VmHWM");
    rates.sort_by(f64::total_cmp);
    let median_rate = rates[rates.len() / 2];
    println!(
        "workspaces: {workspaces} x {pages} synthetic pages, one Notion-like mock serving them all (each 3 req/s, 250 ms median latency); pages in memory at most {pages_in_memory}, exports at once {cores}"
    );
    println!(
        "wall: {wall:.1} s (slowest workspace {slowest:.1} s); requests: {requests} (minimum {minimum})"
    );
    println!(
        "crawl rate per workspace: median {median_rate:.2} req/s, lowest {:.2} req/s, highest {:.2} req/s (limit 3)",
        rates[0],
        rates[rates.len() - 1]
    );
    println!(
        "CPU: {cpu:.1} s total, {:.3} s per workspace, {:.1}% of one core per workspace while crawling",
        cpu / workspaces as f64,
        100.0 * cpu / workspaces as f64 / wall
    );
    println!(
        "memory: idle {idle_mb:.0} MB, with the mocks {served_mb:.0} MB, peak {peak_mb:.0} MB: {:.2} MB per workspace above the loaded mocks",
        (peak_mb - served_mb) / workspaces as f64
    );
    let limited: u64 = (0..workspaces)
        .filter_map(|i| server.stats_of(i))
        .map(|s| s.rate_limited)
        .sum();
    println!("answered 429 (over a workspace's 3 req/s): {limited}");
    server.stop().await;
    Ok(())
}
