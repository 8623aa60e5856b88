//! Benchmark: how many workspaces one process crawls at once, each at
//! Notion's full 3 requests/s, with CPU and peak memory per workspace.
//!
//! N synthetic workspaces are served by one Notion-like mock in this process
//! (`MockServer::start_many`: each workspace its own token, its own
//! 3 requests/s token bucket and 250 ms median latency, as Notion serves
//! many integrations). One `notion-ingest run` — a separate process, the
//! real binary — crawls them all at once from a config file of
//! `[[workspace]]` entries, at the default pace, sharing one budget of
//! pages in memory (`--pages-in-memory`). The figures are the crawler's own:
//! its CPU (`/proc/PID/stat`) and peak resident memory (`VmHWM`), sampled
//! while it runs, with its resident memory over time; the mock's are apart.
//!
//! Reports: wall time, requests against the minimum, the rate each
//! workspace's crawl achieved against its 3/s (requests over the span
//! between its first and last request, as its mock saw them), 429s.
//!
//! `cargo run --release -p benchmarks --bin workspaces [-- --workspaces 200 --pages 50 --pages-in-memory 1000 --rate 3 --bin PATH]`
//! (`--rate` raises each workspace's limit and the run's pace together, to
//! measure large workspaces' memory in minutes, not hours; `PATH` defaults
//! to the `notion-ingest` built beside this benchmark: `cargo build
//! --release --workspace --bins` first).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use notion_mock::{MockServer, RateLimit, SyntheticConfig, Workspace};

/// CPU seconds (user + system) of process `pid` (`self` for this one).
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
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

/// A `/proc/PID/status` field in MB (0 once the process is gone).
fn status_mb(pid: u32, field: &str) -> f64 {
    benchmarks::status_kb(&pid.to_string(), field).map_or(0.0, |kb| kb as f64 / 1024.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (mut workspaces, mut pages, mut pages_in_memory) = (200usize, 10usize, 1000usize);
    let mut rate = benchmarks::LIMIT_PER_SECOND;
    let mut bin = std::env::current_exe()?
        .parent()
        .context("the benchmark has no directory")?
        .join("notion-ingest");
    for (flag, value) in benchmarks::flag_pairs()? {
        match flag.as_str() {
            "--workspaces" => workspaces = value.parse().context("--workspaces N")?,
            "--pages" => pages = value.parse().context("--pages N")?,
            "--pages-in-memory" => {
                pages_in_memory = value.parse().context("--pages-in-memory N")?
            }
            "--rate" => rate = value.parse().context("--rate R")?,
            "--bin" => bin = PathBuf::from(value),
            other => bail!(
                "unknown flag {other} (flags: --workspaces N, --pages N, --pages-in-memory N, --rate R, --bin PATH)"
            ),
        }
    }
    if !bin.exists() {
        bail!(
            "{} is missing: `cargo build --release --workspace --bins`, or pass --bin PATH",
            bin.display()
        );
    }
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
        config.rate = RateLimit::TokenBucket {
            per_second: rate,
            burst: 10,
        };
        config.token = format!("secret_workspace_{i}");
        tenants.push((ws, config));
    }
    let server = MockServer::start_many(tenants).await?;
    let dir = tempfile::tempdir()?;
    let mut config = String::new();
    for i in 0..workspaces {
        config.push_str(&format!(
            "[[workspace]]\nname = \"w{i}\"\ntoken_env = \"WS_TOKEN_{i}\"\napi_url = \"{}\"\nrate = {rate}\n\n",
            server.url()
        ));
    }
    let config_path = dir.path().join("workspaces.toml");
    std::fs::write(&config_path, config)?;
    let mock_cpu_before = cpu_seconds("self");
    let started = Instant::now();
    let mut command = tokio::process::Command::new(&bin);
    command
        .args(["run", "--no-progress", "--json", "--pages-in-memory"])
        .arg(pages_in_memory.to_string())
        .arg("--config")
        .arg(&config_path)
        .arg("--out")
        .arg(dir.path().join("out"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for i in 0..workspaces {
        command.env(format!("WS_TOKEN_{i}"), format!("secret_workspace_{i}"));
    }
    let child = command.spawn().context("cannot start notion-ingest")?;
    let pid = child.id().context("the run has no pid")?;
    let output = child.wait_with_output();
    tokio::pin!(output);
    // Sample the run while it goes: its CPU and peak memory are read just
    // before it exits (the last sample), its memory every 2 s.
    let (mut cpu, mut peak_mb, mut series) = (0.0, 0.0, Vec::new());
    let mut last_series = Instant::now() - Duration::from_secs(10);
    let output = loop {
        tokio::select! {
            output = &mut output => break output?,
            () = tokio::time::sleep(Duration::from_millis(100)) => {
                let (c, p) = (cpu_seconds(&pid.to_string()), status_mb(pid, "VmHWM"));
                if p > 0.0 {
                    (cpu, peak_mb) = (c, p);
                }
                if last_series.elapsed() >= Duration::from_secs(10) {
                    last_series = Instant::now();
                    series.push(format!(
                        "{:.0}s {:.0}MB",
                        started.elapsed().as_secs_f64(),
                        status_mb(pid, "VmRSS")
                    ));
                }
            }
        }
    };
    let wall = started.elapsed().as_secs_f64();
    let mock_cpu = cpu_seconds("self") - mock_cpu_before;
    if !output.status.success() {
        bail!("the run failed: {:?}", output.status);
    }
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let held = &report["pages_in_memory"];
    // Each crawl's rate as its mock saw it: requests between the first and
    // the last, over that span.
    let mut requests = 0;
    let mut rates: Vec<f64> = (0..workspaces)
        .filter_map(|i| server.stats_of(i))
        .filter_map(|stats| {
            requests += stats.total;
            let first = stats.timeline.iter().map(|e| e.at).min()?;
            let last = stats.timeline.iter().map(|e| e.at).max()?;
            let span = (last - first).as_secs_f64();
            (span > 0.0).then(|| (stats.timeline.len() - 1) as f64 / span)
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    let limited: u64 = (0..workspaces)
        .filter_map(|i| server.stats_of(i))
        .map(|s| s.rate_limited)
        .sum();
    println!(
        "workspaces: {workspaces} x {pages} synthetic pages, one Notion-like mock serving them all (each {rate} req/s, 250 ms median latency); `notion-ingest run --pages-in-memory {pages_in_memory}` over them"
    );
    println!(
        "wall: {wall:.1} s; requests: {requests} (minimum {minimum}); answered 429: {limited}"
    );
    println!(
        "crawl rate per workspace: median {:.2} req/s, lowest {:.2} req/s, highest {:.2} req/s (limit {rate})",
        rates[rates.len() / 2],
        rates[0],
        rates[rates.len() - 1]
    );
    println!(
        "the run's CPU: {cpu:.1} s, {:.3} s per workspace ({:.1}% of one core over the run); the mock's: {mock_cpu:.1} s",
        cpu / workspaces as f64,
        100.0 * cpu / wall
    );
    println!(
        "the run's peak memory: {peak_mb:.0} MB, {:.2} MB per workspace; pages in memory at most {} (budget {}); resident over time: {}",
        peak_mb / workspaces as f64,
        held["peak"],
        held["budget"],
        series.join(", ")
    );
    println!(
        "the mock's memory (this process): peak {:.0} MB",
        benchmarks::proc_status_mb("VmHWM")
    );
    server.stop().await;
    Ok(())
}
