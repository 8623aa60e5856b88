//! `serve` freshness: the latency from an edit in the mock to the change
//! set that holds it, and the requests each refresh made against the
//! refreshed page's minimum, at Notion's 3 requests/s.
//!
//! `cargo run --release -p benchmarks --bin serve_latency` (optional:
//! `--edits N`, default 100; `--pages N`, default 1000; `--quiet-ms N`,
//! default 1000; `--aggregation-ms N`, default 200).
//!
//! Setup: a synthetic workspace is crawled completely from an unlimited mock
//! (fast); then a Notion-like mock of the same workspace (3 requests/s, burst
//! 10, log-normal latency with a 250 ms median) sends webhooks to an
//! in-process `engine::Server` using the default client pace. Each edit
//! appends a paragraph to a different page and waits until `/metrics` shows
//! a new refresh with nothing pending; the latency is from the edit to then,
//! so it holds the mock's aggregation delay, the quiet period, the page's
//! reads and the change set's publication.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use benchmarks::{flag_pairs, mock_client, notion_like_config};
use engine::{EngineConfig, RunOptions, ServeConfig, Server};
use notion_mock::{MockConfig, MockServer, SyntheticConfig, WebhookConfig, Workspace};
use notion_source::client::{ClientConfig, RateLimit};
use tokio_util::sync::CancellationToken;
use webhooks::{PlannerConfig, Secret};

const HOOK_TOKEN: &str = "secret_benchmark_hook";

#[tokio::main]
async fn main() -> Result<()> {
    let mut edits = 100usize;
    let mut pages = 1000usize;
    let mut quiet_ms = 1000u64;
    let mut aggregation_ms = 200u64;
    for (flag, value) in flag_pairs()? {
        match flag.as_str() {
            "--edits" => edits = value.parse()?,
            "--pages" => pages = value.parse()?,
            "--quiet-ms" => quiet_ms = value.parse()?,
            "--aggregation-ms" => aggregation_ms = value.parse()?,
            other => bail!("unknown flag {other}"),
        }
    }
    let ws = Workspace::synthetic(&SyntheticConfig {
        pages,
        seed: 21,
        ..SyntheticConfig::default()
    });
    let out = tempfile::tempdir()?;

    // The first complete run, from an unlimited mock of the same workspace.
    let fast = MockServer::start(ws.clone(), MockConfig::unlimited()).await?;
    let fast_client = mock_client(
        &fast,
        &MockConfig::default().token,
        RateLimit::PerSecond {
            per_second: 100_000.0,
            burst: 1_000,
        },
    )?;
    engine::run(
        fast_client,
        EngineConfig::local(out.path()),
        RunOptions::default(),
    )
    .await?;
    fast.stop().await;

    let config = notion_like_config();
    let token = config.token.clone();
    let server = MockServer::start(ws.clone(), config).await?;
    let client = mock_client(&server, &token, ClientConfig::default().rate)?;
    let mut serve = ServeConfig::new(
        EngineConfig::local(out.path()),
        "127.0.0.1:0".parse().context("address")?,
    );
    serve.secret = Some(Secret::new(HOOK_TOKEN));
    serve.planner = PlannerConfig {
        quiet: Duration::from_millis(quiet_ms),
        max_wait: Duration::from_secs(300),
    };
    serve.reconcile_every = None;
    let serving = Server::start(client, serve).await?;
    let addr = serving.local_addr();
    let stop = CancellationToken::new();
    let task = tokio::spawn(serving.run(stop.clone()));
    let mut hooks = WebhookConfig::new(
        format!("http://{addr}{}", webhooks::WEBHOOK_PATH),
        HOOK_TOKEN,
    );
    hooks.handshake = false;
    hooks.aggregation = Duration::from_millis(aggregation_ms);
    let sender = server.start_webhooks(hooks).await?;

    let candidates: Vec<String> = ws
        .page_ids()
        .into_iter()
        .filter(|id| {
            ws.page_tree_json(id)
                .is_some_and(|t| t["page"]["parent"]["type"] == "page_id")
        })
        .collect();
    if candidates.len() < edits {
        bail!("only {} pages to edit", candidates.len());
    }
    let step = candidates.len() / edits;
    let mut latencies = Vec::with_capacity(edits);
    let (mut requests, mut minimum) = (0u64, 0u64);
    let http = reqwest::Client::new();
    let started = Instant::now();
    for (i, id) in candidates.iter().step_by(step).take(edits).enumerate() {
        let before = metrics(&http, addr).await?["notion_webhook_refreshes_total"];
        server.reset_stats();
        let at = Instant::now();
        server.edit(|ws| ws.append_paragraph(id, &format!("Benchmark edit {i}.")))?;
        loop {
            let m = metrics(&http, addr).await?;
            if m["notion_webhook_refreshes_total"] > before
                && m["notion_webhook_events_pending"] == 0.0
            {
                break;
            }
            if at.elapsed() > Duration::from_secs(120) {
                bail!("edit {i} was not refreshed within 120 s: {m:?}");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        latencies.push(at.elapsed());
        requests += server.stats().total;
        minimum += 1 + server
            .workspace()
            .page_block_requests(id)
            .context("edited page")?;
    }
    let total = started.elapsed();
    sender.settled().await;
    stop.cancel();
    let report = task.await??;
    server.stop().await;

    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "edits: {edits} on a {pages}-page workspace, quiet period {quiet_ms} ms, mock aggregation {aggregation_ms} ms"
    );
    println!(
        "edit -> published change set: median {:.0} ms, p95 {:.0} ms, min {:.0} ms, max {:.0} ms",
        ms(pct(0.5)),
        ms(pct(0.95)),
        ms(latencies[0]),
        ms(latencies[latencies.len() - 1])
    );
    println!(
        "requests: {requests} for {edits} refreshed pages, minimum {minimum} ({:.3}x); {:.2} per page",
        requests as f64 / minimum as f64,
        requests as f64 / edits as f64
    );
    println!(
        "refreshes: {}, events settled: {}, wall time {:.1} s",
        report.refreshes,
        report.events_settled,
        total.as_secs_f64()
    );
    Ok(())
}

/// `/metrics` as name → value.
async fn metrics(http: &reqwest::Client, addr: SocketAddr) -> Result<BTreeMap<String, f64>> {
    let text = http
        .get(format!("http://{addr}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    Ok(text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .filter_map(|(name, value)| Some((name.to_string(), value.parse().ok()?)))
        .collect())
}
