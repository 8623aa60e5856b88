//! Benchmark: how many workspaces one process crawls at once, each at
//! Notion's full 3 requests/s, with CPU and peak memory per workspace.
//!
//! N synthetic workspaces, each served by its own Notion-like mock (3
//! requests/s token bucket, 250 ms median latency, its own token), are
//! crawled concurrently in this process by `engine::run`, each with its own
//! client at the default pace, into its own output directory — what `run`
//! does with `[[workspace]]` entries. The mocks run in this process too, so
//! the CPU figure includes serving (an upper bound for the crawler alone).
//!
//! Reports: wall time, requests, the rate each workspace achieved against
//! its 3/s, CPU seconds (user + system, `/proc/self/stat`) and peak resident
//! memory (`VmHWM`) above the idle process, per workspace.
//!
//! `cargo run --release -p benchmarks --bin workspaces [-- --workspaces 200 --pages 10]`

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
    let (mut workspaces, mut pages) = (200usize, 10usize);
    for (flag, value) in benchmarks::flag_pairs()? {
        match flag.as_str() {
            "--workspaces" => workspaces = value.parse().context("--workspaces N")?,
            "--pages" => pages = value.parse().context("--pages N")?,
            other => bail!("unknown flag {other} (flags: --workspaces N, --pages N)"),
        }
    }
    let idle_mb = benchmarks::proc_status_mb("VmRSS");
    let mut servers: Vec<MockServer> = Vec::new();
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
        servers.push(MockServer::start(ws, config).await?);
    }
    let served_mb = benchmarks::proc_status_mb("VmRSS");
    let dir = tempfile::tempdir()?;
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, server) in servers.iter().enumerate() {
        let client = benchmarks::mock_client(
            server,
            &format!("secret_workspace_{i}"),
            notion_source::client::ClientConfig::default().rate,
        )?;
        let config = engine::EngineConfig::local(dir.path().join(format!("workspace={i}")));
        tasks.push(tokio::spawn(engine::run(
            client,
            config,
            engine::RunOptions::default(),
        )));
    }
    let mut requests = 0u64;
    let mut slowest = 0f64;
    let mut rates = Vec::new();
    for task in tasks {
        let report = task.await??;
        let sent = report.crawl.client.total.requests;
        requests += sent;
        slowest = slowest.max(report.seconds);
        rates.push(sent as f64 / report.seconds);
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_before;
    let peak_mb = benchmarks::proc_status_mb("VmHWM");
    rates.sort_by(f64::total_cmp);
    let median_rate = rates[rates.len() / 2];
    println!(
        "workspaces: {workspaces} x {pages} synthetic pages, each its own Notion-like mock (3 req/s, 250 ms median latency)"
    );
    println!(
        "wall: {wall:.1} s (slowest workspace {slowest:.1} s); requests: {requests} (minimum {minimum})"
    );
    println!(
        "rate per workspace: median {median_rate:.2} req/s, lowest {:.2} req/s (limit 3)",
        rates[0]
    );
    println!(
        "CPU: {cpu:.1} s total, {:.3} s per workspace, {:.1}% of one core per workspace while crawling",
        cpu / workspaces as f64,
        100.0 * cpu / workspaces as f64 / wall
    );
    println!(
        "memory: idle {idle_mb:.0} MB, with the mocks {served_mb:.0} MB, peak {peak_mb:.0} MB: {:.2} MB per workspace (mock and crawler)",
        (peak_mb - idle_mb) / workspaces as f64
    );
    for server in servers {
        server.stop().await;
    }
    Ok(())
}
