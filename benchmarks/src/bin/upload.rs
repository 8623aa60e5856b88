//! Benchmark: the upload of a dataset (the kitchen sink by default) against
//! the fewest write requests Notion's limits allow for it, and its time at
//! the mock's Notion-like rate limit.
//!
//! Setup: the mock at 3 requests/s (token bucket, burst 10) with log-normal
//! latency (median 250 ms, sigma 0.5), serving a workspace with one empty
//! page (and the dataset's people, matched by e-mail); the uploader with the
//! client's default pace (3/s, burst 2) and Notion's limits.
//!
//! Figures: write requests planned and sent / the lower bound
//! (`notion_upload::min_requests`: one create per page, database and extra
//! data source, plus per page the largest of its array, depth, block and
//! byte bounds); reads (ids of nested blocks, the parent, the users); the
//! requests per kind; 429s; wall time / (requests sent / 3 s); requests
//! the mock refused (0 expected).
//!
//! `cargo run --release -p benchmarks --bin upload [-- --dataset FILE]`
//! (the kitchen sink takes about a minute).

use std::time::Instant;

use anyhow::{Context, bail};
use benchmarks::LIMIT_PER_SECOND;
use notion_mock::Workspace;
use notion_upload::{UploadOptions, WriteLimits, min_requests, plan_summary, upload};
use serde_json::json;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut dataset_path = None;
    for (flag, value) in benchmarks::flag_pairs()? {
        match flag.as_str() {
            "--dataset" => dataset_path = Some(value),
            other => bail!("unknown flag {other} (flags: --dataset FILE)"),
        }
    }
    let dataset = match &dataset_path {
        Some(path) => Workspace::load(path).with_context(|| format!("loading {path}"))?,
        None => Workspace::kitchen_sink(),
    };
    let name = dataset_path.as_deref().unwrap_or("the kitchen sink");
    let limits = WriteLimits::default();
    let min = min_requests(&dataset, &limits);
    let plan = plan_summary(&dataset, &limits)?;

    let users = dataset.to_json()["users"].clone();
    let target = Workspace::from_json(json!({
        "name": "upload-benchmark",
        "users": users,
        "pages": [{"key": "parent", "title": "Upload benchmark"}],
    }))?;
    let parent = target.page_ids()[0].clone();
    let (server, client) = benchmarks::notion_like_mock(target).await?;
    println!(
        "upload: {name}, mock {LIMIT_PER_SECOND}/s token bucket (burst 10), log-normal latency 250 ms median"
    );

    let dir = tempfile::tempdir()?;
    let started = Instant::now();
    let report = upload(
        &client,
        &dataset,
        &parent,
        &dir.path().join("state.jsonl"),
        &UploadOptions::default(),
    )
    .await?;
    let wall = started.elapsed().as_secs_f64();
    let stats = server.stats();
    let refused: u64 = stats
        .per_status
        .iter()
        .filter(|(status, _)| **status >= 400 && **status != 429)
        .map(|(_, n)| n)
        .sum();
    let sent = report.requests.writes + report.requests.reads;

    println!("| figure | value |");
    println!("|---|---|");
    println!(
        "| lower bound on writes | {} ({} page creates, {} database and data source creates, {} more for content) |",
        min.total, min.pages, min.databases, min.content
    );
    println!(
        "| writes planned / lower bound | {} / {} = {:.3} |",
        plan.writes,
        min.total,
        plan.writes as f64 / min.total as f64
    );
    println!(
        "| writes sent (with resends) / lower bound | {} / {} = {:.3} |",
        report.requests.writes,
        min.total,
        report.requests.writes as f64 / min.total as f64
    );
    println!(
        "| reads sent (planned {} for nested ids) | {} |",
        plan.reads, report.requests.reads
    );
    let kinds: Vec<String> = plan
        .per_kind
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    println!("| planned requests per kind | {} |", kinds.join(", "));
    println!(
        "| 429s (client), requests refused by the mock | {}, {refused} |",
        report.requests.rate_limited
    );
    println!(
        "| wall time / (requests / {LIMIT_PER_SECOND}/s) | {wall:.1} s / {:.1} s = {:.3} |",
        sent as f64 / LIMIT_PER_SECOND,
        wall / (sent as f64 / LIMIT_PER_SECOND)
    );
    println!(
        "| pages, differences, skipped pages | {}, {}, {} |",
        report.pages.len(),
        report.differences.len(),
        report.skipped.len()
    );
    if refused > 0 {
        bail!("the mock refused {refused} requests");
    }
    server.stop().await;
    Ok(())
}
