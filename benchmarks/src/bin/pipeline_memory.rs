//! Benchmark: peak memory and end-to-end throughput of `notion-ingest run`
//! on synthetic workspaces of growing size.
//!
//! For each size the mock runs as its own process (`notion-ingest mock
//! --rate 0`, no rate limit, no latency) so its memory is not counted, and
//! `notion-ingest run --rate 1000` (the highest rate the settings accept) crawls it into a fresh output directory.
//! The runner's `VmHWM` (peak resident set) is read from `/proc/<pid>/status`
//! every 10 ms; the high-water mark when the export starts (`OUT/changes`
//! or `OUT/snapshots` appears) separates the crawl/render/chunk/store phase
//! from the Parquet export. Throughput comes from the run's `--json` summary and the
//! published snapshot (Markdown bytes read back from the pages table).
//!
//! Targets: the largest workspace under 200 MB, and within 1.2 times the
//! peak of the smallest.
//!
//! `cargo run --release -p benchmarks --bin pipeline_memory [-- --pages 1000,10000 --seed 7 --bin PATH]`
//! (builds `notion-ingest` first unless `--bin` is given; about 2 minutes).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;

/// Token the mock accepts and the runner sends.
const TOKEN: &str = "secret_benchmark_token";
/// How often the runner's memory is read.
const POLL: Duration = Duration::from_millis(10);
/// Target: the largest workspace's peak against the smallest's.
const GROWTH_TARGET: f64 = 1.2;
/// Target: the largest workspace's peak, in MB.
const PEAK_TARGET_MB: f64 = 200.0;

struct Args {
    pages: Vec<usize>,
    seed: u64,
    bin: Option<PathBuf>,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        pages: vec![1000, 10_000],
        seed: 7,
        bin: None,
    };
    for (flag, value) in benchmarks::flag_pairs()? {
        match flag.as_str() {
            "--pages" => {
                args.pages = value
                    .split(',')
                    .map(|n| n.trim().parse())
                    .collect::<Result<_, _>>()
                    .context("--pages takes numbers separated by commas")?
            }
            "--seed" => args.seed = value.parse().context("--seed takes a number")?,
            "--bin" => args.bin = Some(PathBuf::from(value)),
            other => bail!("unknown flag {other} (flags: --pages N[,N...], --seed S, --bin PATH)"),
        }
    }
    if args.pages.is_empty() {
        bail!("--pages needs at least one size");
    }
    Ok(args)
}

/// What one run measured.
struct Measured {
    pages: usize,
    minimum_requests: u64,
    requests: u64,
    pages_written: u64,
    chunks: u64,
    tokens: u64,
    wall: Duration,
    peak_kb: u64,
    peak_before_export_kb: Option<u64>,
    markdown_bytes: u64,
    parquet_bytes: u64,
}

fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let bin = match &args.bin {
        Some(bin) => bin.clone(),
        None => build_runner()?,
    };
    println!(
        "pipeline_memory: {} run against `{} mock --rate 0` (separate process), `run --rate 1000`, seed {}",
        bin.display(),
        bin.display(),
        args.seed
    );
    let mut results = Vec::new();
    for &pages in &args.pages {
        let measured = measure(&bin, pages, args.seed)?;
        report(&measured);
        results.push(measured);
    }
    if let (Some(first), Some(last)) = (results.first(), results.last())
        && results.len() > 1
    {
        let growth = last.peak_kb as f64 / first.peak_kb as f64;
        let peak_mb = mb(last.peak_kb * 1024);
        println!(
            "\n{} pages against {} pages: peak {:.1} MB / {:.1} MB = {growth:.2} (target <= {GROWTH_TARGET}: {}); {:.1} MB against {PEAK_TARGET_MB} MB ({})",
            last.pages,
            first.pages,
            peak_mb,
            mb(first.peak_kb * 1024),
            verdict(growth <= GROWTH_TARGET),
            peak_mb,
            verdict(peak_mb < PEAK_TARGET_MB),
        );
    }
    Ok(())
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}

/// Builds `notion-ingest` in release mode next to this benchmark's binary
/// and returns its path.
fn build_runner() -> anyhow::Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "-p",
            "notion-ingest",
            "--bin",
            "notion-ingest",
        ])
        .status()
        .context("cannot run cargo to build notion-ingest")?;
    if !status.success() {
        bail!("building notion-ingest failed (pass --bin PATH to use a built one)");
    }
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .context("the benchmark binary has no directory")?
        .join("notion-ingest");
    if !bin.exists() {
        bail!("{} not found after the build", bin.display());
    }
    Ok(bin)
}

/// A child process killed when dropped (the mock runs until told to stop).
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the mock and returns it with its URL and the minimum requests it
/// announced.
fn start_mock(bin: &Path, pages: usize, seed: u64) -> anyhow::Result<(KillOnDrop, String, u64)> {
    let child = Command::new(bin)
        .args(["mock", "--port", "0", "--rate", "0", "--token", TOKEN])
        .args([
            "--synthetic",
            &pages.to_string(),
            "--seed",
            &seed.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start the mock")?;
    let mut mock = KillOnDrop(child);
    let stderr = mock.0.stderr.take().context("the mock's stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    let (mut url, mut minimum) = (None, None);
    while url.is_none() || minimum.is_none() {
        let line = lines
            .next()
            .context("the mock exited before announcing its URL")??;
        if let Some(rest) = line.strip_prefix("Mock Notion API at ") {
            url = rest.split_whitespace().next().map(str::to_string);
        }
        if let Some(rest) = line.strip_prefix("A complete crawl needs at least ") {
            minimum = rest.split_whitespace().next().and_then(|n| n.parse().ok());
        }
    }
    // Keep draining the mock's stderr so it can never block on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Ok((mock, url.unwrap_or_default(), minimum.unwrap_or_default()))
}

fn measure(bin: &Path, pages: usize, seed: u64) -> anyhow::Result<Measured> {
    let (_mock, url, minimum_requests) = start_mock(bin, pages, seed)?;
    let out = tempfile::tempdir().context("cannot create the output directory")?;
    let started = Instant::now();
    let mut run = Command::new(bin)
        .args([
            "run",
            "--api-url",
            &url,
            "--rate",
            "1000",
            "--json",
            "--no-progress",
        ])
        .arg("--out")
        .arg(out.path())
        .env("NOTION_TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start notion-ingest run")?;
    let pid = run.id();
    let mut stdout = run.stdout.take().context("the runner's stdout")?;
    let mut stderr = run.stderr.take().context("the runner's stderr")?;
    let summary = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).map(|_| text)
    });
    let logs = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).map(|_| text)
    });

    // The export's first act is to create one of these directories.
    let export_dirs = [out.path().join("changes"), out.path().join("snapshots")];
    let (mut peak_kb, mut peak_before_export_kb) = (0, None);
    let status = loop {
        // VmHWM only grows, so the last reading before exit is the peak.
        if let Some(hwm) = benchmarks::status_kb(&pid.to_string(), "VmHWM") {
            peak_kb = peak_kb.max(hwm);
        }
        if peak_before_export_kb.is_none() && export_dirs.iter().any(|d| d.exists()) {
            peak_before_export_kb = Some(peak_kb);
        }
        if let Some(status) = run.try_wait()? {
            break status;
        }
        std::thread::sleep(POLL);
    };
    let wall = started.elapsed();
    let summary = summary.join().expect("stdout reader")?;
    let logs = logs.join().expect("stderr reader")?;
    if !status.success() {
        bail!("notion-ingest run failed ({status}) on {pages} pages:\n{logs}");
    }
    let summary: Value = serde_json::from_str(&summary)
        .with_context(|| format!("the run's --json summary is not JSON:\n{summary}"))?;
    let count = |pointer: &str| {
        summary
            .pointer(pointer)
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };

    let snapshot =
        sink::Snapshot::open_published(out.path())?.context("the run published no snapshot")?;
    let mut markdown_bytes = 0;
    for batch in snapshot.pages(1000) {
        markdown_bytes += batch?
            .iter()
            .map(|p| p.markdown.as_ref().map_or(0, String::len) as u64)
            .sum::<u64>();
    }
    Ok(Measured {
        pages,
        minimum_requests,
        requests: count("/requests"),
        pages_written: count("/pages/written"),
        chunks: count("/chunks_written"),
        tokens: count("/tokens_written"),
        wall,
        peak_kb,
        peak_before_export_kb,
        markdown_bytes,
        parquet_bytes: snapshot.manifest().totals.bytes,
    })
}

fn report(m: &Measured) {
    let secs = m.wall.as_secs_f64();
    println!("\n{} pages (synthetic)", m.pages);
    println!(
        "  requests / minimum        {} / {}",
        m.requests, m.minimum_requests
    );
    println!(
        "  pages written, chunks     {}, {} ({} tokens)",
        m.pages_written, m.chunks, m.tokens
    );
    println!("  wall time                 {secs:.1} s");
    println!(
        "  throughput                {:.0} pages/s, {:.0} chunks/s, {:.2} MB/s of Markdown, {:.2} MB/s of Parquet",
        m.pages_written as f64 / secs,
        m.chunks as f64 / secs,
        mb(m.markdown_bytes) / secs,
        mb(m.parquet_bytes) / secs
    );
    println!(
        "  output                    {:.1} MB of Markdown, {:.1} MB of Parquet",
        mb(m.markdown_bytes),
        mb(m.parquet_bytes)
    );
    println!(
        "  peak RSS (VmHWM)          {:.1} MB (before the export: {})",
        mb(m.peak_kb * 1024),
        m.peak_before_export_kb
            .map_or("not seen".into(), |kb| format!("{:.1} MB", mb(kb * 1024)))
    );
}
