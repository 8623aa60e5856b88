//! Benchmark: a complete crawl of a synthetic workspace against the mock's
//! Notion-like rate limit, measured against the fewest requests the
//! workspace allows and the time those take at the limit.
//!
//! Setup: a seeded synthetic workspace (1,000 pages by default), the mock at
//! 3 requests/s (token bucket, burst 10) with log-normal latency (median
//! 250 ms, sigma 0.5), the crawler with the client's default pace (3/s, burst
//! 2) and default configuration, its channel drained as fast as possible.
//!
//! Figures (targets in brackets): requests / minimum [1.00], achieved rate /
//! limit [>= 0.97], 429s [0], wall time / (minimum / rate) [<= 1.05], and the
//! time to the first page. A timeline of tenths of the run (rate, pages in
//! flight, pages queued, listing done) shows where the budget went unused.
//!
//! `--fetch markdown` crawls with the markdown strategy (one
//! `GET /v1/pages/{id}/markdown` per page) and measures against its own
//! minimum (`Workspace::min_requests_markdown` at the mock's block limit);
//! it also prints the ratio to the block walk's minimum. `--anchors
//! top-level` (the default) or `none` says whether the markdown strategy
//! also lists each page's top-level blocks for citations; its minimum then
//! counts those requests (`MarkdownMinRequests::total_with_anchors`).
//!
//! `cargo run --release -p benchmarks --bin crawl [-- --pages N --seed S --fetch blocks|markdown --anchors top-level|none]`
//! (the default run takes about minimum / 3 seconds: some 34 minutes for
//! `blocks`, 6 for `markdown`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use benchmarks::LIMIT_PER_SECOND;
use engine::settings::{Anchors, FetchStrategy, fetch_for};
use notion_mock::{SyntheticConfig, Workspace};
use notion_source::crawler::{CrawlConfig, CrawlEvent, CrawlProgress, Crawler};
use tokio::sync::{Mutex, mpsc};
use tokio_util::sync::CancellationToken;

/// The mock's limit and the client's default pace.
/// The runner's bound between crawler and renderer.
const CHANNEL_BOUND: usize = 16;
/// Slices of the run in the timeline.
const SLICES: usize = 10;

struct Args {
    pages: usize,
    seed: u64,
    fetch: FetchStrategy,
    anchors: Anchors,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        pages: 1000,
        seed: 7,
        fetch: FetchStrategy::Blocks,
        anchors: Anchors::default(),
    };
    for (flag, value) in benchmarks::flag_pairs()? {
        match flag.as_str() {
            "--pages" => args.pages = value.parse().context("--pages takes a number")?,
            "--seed" => args.seed = value.parse().context("--seed takes a number")?,
            "--fetch" => args.fetch = value.parse()?,
            "--anchors" => args.anchors = value.parse()?,
            other => bail!(
                "unknown flag {other} (flags: --pages N, --seed S, --fetch STRATEGY, --anchors ANCHORS)"
            ),
        }
    }
    Ok(args)
}

/// One sample of the crawler's queue, taken every 250 ms.
#[derive(Clone, Copy)]
struct Sample {
    at: Duration,
    in_flight: u64,
    queued: u64,
    listing_done: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let workspace = Workspace::synthetic(&SyntheticConfig {
        pages: args.pages,
        seed: args.seed,
        ..SyntheticConfig::default()
    });
    let min = workspace.min_requests();
    let min_markdown =
        workspace.min_requests_markdown(benchmarks::notion_like_config().markdown_block_limit);
    let minimum = match args.fetch {
        FetchStrategy::Blocks => min.total,
        FetchStrategy::Markdown if args.anchors == Anchors::TopLevel => {
            min_markdown.total_with_anchors()
        }
        FetchStrategy::Markdown => min_markdown.total,
    };
    let (server, client) = benchmarks::notion_like_mock(workspace).await?;
    let ideal = minimum as f64 / LIMIT_PER_SECOND;
    println!(
        "crawl ({}, anchors {}): {} synthetic pages (seed {}), mock {LIMIT_PER_SECOND}/s token bucket (burst 10), log-normal latency 250 ms median; minimum {} requests = {:.0} s at the limit (block walk's minimum {}, markdown's {})",
        args.fetch,
        args.anchors,
        args.pages,
        args.seed,
        minimum,
        ideal,
        min.total,
        min_markdown.total
    );

    let progress = Arc::new(CrawlProgress::default());
    let config = CrawlConfig {
        fetch: fetch_for(args.fetch),
        anchors: args.anchors,
        ..CrawlConfig::default()
    };
    let crawler = Crawler::new(client.clone(), config).with_progress(progress.clone());
    let (tx, mut rx) = mpsc::channel(CHANNEL_BOUND);
    let started = Instant::now();
    let crawl = tokio::spawn(crawler.run(tx, CancellationToken::new()));
    let samples = Arc::new(Mutex::new(Vec::<Sample>::new()));
    let sampler = tokio::spawn(sample(progress.clone(), samples.clone(), started));

    let (mut pages, mut failed, mut skipped, mut first_page) = (0u64, 0u64, 0u64, None);
    while let Some(event) = rx.recv().await {
        match event {
            CrawlEvent::Page(..) => {
                pages += 1;
                first_page.get_or_insert_with(|| started.elapsed());
            }
            CrawlEvent::Failed(_) => failed += 1,
            CrawlEvent::Skipped(_) | CrawlEvent::Unchanged(_) => skipped += 1,
        }
    }
    let report = crawl.await??;
    let wall = started.elapsed();
    sampler.abort();
    let stats = server.stats();
    server.stop().await;

    let requests = stats.total;
    let arrivals: Vec<Duration> = stats.timeline.iter().map(|e| e.at).collect();
    let achieved = requests as f64 / wall.as_secs_f64();
    let span_rate = match (arrivals.first(), arrivals.last()) {
        (Some(&a), Some(&b)) if b > a => (arrivals.len() - 1) as f64 / (b - a).as_secs_f64(),
        _ => f64::NAN,
    };
    println!();
    println!("pages read / failed / skipped  {pages} / {failed} / {skipped}");
    println!(
        "requests / minimum             {requests} / {minimum} = {:.3}   (target 1.00)",
        requests as f64 / minimum as f64
    );
    println!(
        "requests / block walk minimum  {requests} / {} = {:.3}",
        min.total,
        requests as f64 / min.total as f64
    );
    println!(
        "achieved rate / limit          {achieved:.3} / {LIMIT_PER_SECOND} = {:.3}   (target >= 0.97; first to last arrival: {span_rate:.3} req/s)",
        achieved / LIMIT_PER_SECOND
    );
    println!(
        "429s (mock / client)           {} / {}   (target 0; requests in penalty {})",
        stats.rate_limited, report.client.total.rate_limited, stats.requests_in_penalty
    );
    println!(
        "wall time / (minimum / rate)   {:.1} s / {ideal:.1} s = {:.3}   (target <= 1.05)",
        wall.as_secs_f64(),
        wall.as_secs_f64() / ideal
    );
    println!(
        "time to first page             {:.2} s",
        first_page.unwrap_or_default().as_secs_f64()
    );
    println!(
        "peak rate 1 s / 10 s (mock)    {:.0} / {:.2} req/s",
        stats.max_rate_1s, stats.max_rate_10s
    );

    println!("\nrequests per endpoint (mock) against the minimum's terms:");
    for (endpoint, count) in &stats.per_endpoint {
        println!("  {endpoint:<44} {count}");
    }
    println!(
        "  minimum: search {}, retrieve_database {}, query {}, page children {}, block children {}, property items {}",
        min.search,
        min.retrieve_database,
        min.query,
        min.page_children,
        min.block_children,
        min.property_items
    );
    if args.fetch == FetchStrategy::Markdown {
        println!("  markdown minimum: {min_markdown:?}");
        let p = report.progress;
        println!(
            "  top-level blocks anchored / unanchored: {} / {}",
            p.anchored, p.unanchored
        );
    }

    let samples = samples.lock().await.clone();
    println!(
        "\ntimeline (tenths of the run): requests/s, mean pages in flight, mean pages queued, listing done"
    );
    let slice = wall / SLICES as u32;
    for i in 0..SLICES {
        let (from, to) = (slice * i as u32, slice * (i as u32 + 1));
        let count = arrivals.iter().filter(|t| **t >= from && **t < to).count();
        let inside: Vec<&Sample> = samples
            .iter()
            .filter(|s| s.at >= from && s.at < to)
            .collect();
        let mean = |f: fn(&Sample) -> u64| {
            inside.iter().map(|s| f(s) as f64).sum::<f64>() / inside.len().max(1) as f64
        };
        println!(
            "  {:>6.0}-{:<6.0} s  {:>5.2} req/s  in flight {:>4.1}  queued {:>6.1}  listing done {}",
            from.as_secs_f64(),
            to.as_secs_f64(),
            count as f64 / slice.as_secs_f64(),
            mean(|s| s.in_flight),
            mean(|s| s.queued),
            inside.last().is_some_and(|s| s.listing_done)
        );
    }
    let longest_gap = arrivals
        .windows(2)
        .map(|w| w[1] - w[0])
        .max()
        .unwrap_or_default();
    println!(
        "longest gap between arrivals   {:.2} s",
        longest_gap.as_secs_f64()
    );
    Ok(())
}

/// Records the crawler's queue every 250 ms until aborted.
async fn sample(progress: Arc<CrawlProgress>, samples: Arc<Mutex<Vec<Sample>>>, started: Instant) {
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tick.tick().await;
        let p = progress.snapshot();
        samples.lock().await.push(Sample {
            at: started.elapsed(),
            in_flight: p.in_flight,
            queued: p.queued,
            listing_done: p.listing_done,
        });
    }
}
