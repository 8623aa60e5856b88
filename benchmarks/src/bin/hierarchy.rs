//! Benchmark: listing the shared hierarchy of a 40,000-page workspace at
//! Notion's rate: wall time, requests against search pages plus distinct
//! block parents, and the memory the listing holds.
//!
//! The workspace is `Workspace::synthetic` (40,000 pages, seed 7) with
//! `--holders` pages added (default 50), each holding a toggle with two
//! pages and a column list whose column holds a toggle with one page: four
//! distinct block parents per holder, the only block lookups the listing
//! needs. The mock runs as a child process (this binary with
//! `--serve-mock`), limited like Notion (3 requests/s, burst 10, log-normal
//! latency with a 250 ms median), so this process's memory is the
//! listing's alone; the client keeps its default pace.
//!
//! `cargo run --release -p benchmarks --bin hierarchy [-- --pages 40000 --seed 7 --holders 50]`
//! (about requests / 3 seconds: 4 minutes at the defaults).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};
use benchmarks::LiveBytes;
use notion_mock::{MockServer, SyntheticConfig, Workspace};
use notion_source::client::{ClientConfig, NotionClient, SecretToken};
use notion_source::hierarchy::{self, Hierarchy, ListingCost, NodeKind};
use serde_json::{Value, json};

#[global_allocator]
static HEAP: LiveBytes = LiveBytes::new();

/// Block parents each holder page adds: a toggle, a column list, a column,
/// and a toggle inside the column.
const BLOCKS_PER_HOLDER: u64 = 4;

struct Args {
    pages: usize,
    seed: u64,
    holders: usize,
    serve: bool,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        pages: 40_000,
        seed: 7,
        holders: 50,
        serve: false,
    };
    for (flag, value) in benchmarks::flag_pairs()? {
        match flag.as_str() {
            "--pages" => args.pages = value.parse().context("--pages takes a number")?,
            "--seed" => args.seed = value.parse().context("--seed takes a number")?,
            "--holders" => args.holders = value.parse().context("--holders takes a number")?,
            "--serve-mock" => args.serve = value == "1",
            other => bail!("unknown flag {other} (flags: --pages N, --seed S, --holders H)"),
        }
    }
    Ok(args)
}

/// The synthetic workspace with the holder pages added.
fn workspace(args: &Args) -> anyhow::Result<Workspace> {
    let mut ws = Workspace::synthetic(&SyntheticConfig {
        pages: args.pages,
        seed: args.seed,
        ..SyntheticConfig::default()
    });
    let hosts = ws.page_ids();
    for h in 0..args.holders {
        let host = &hosts[(h * 7919) % hosts.len()];
        let blocks = json!([
            {"toggle": "Two pages inside", "children": [
                {"child_page": {"title": format!("In toggle {h} a")}},
                {"child_page": {"title": format!("In toggle {h} b")}},
            ]},
            {"column_list": {}, "children": [{"column": {}, "children": [
                {"toggle": "Deeper", "children": [{"child_page": {"title": format!("In column {h}")}}]},
            ]}]},
        ]);
        ws.add_page(Some(host), &format!("Holder {h}"), blocks)?;
    }
    Ok(ws)
}

/// Child mode: serve the workspace, print its address, print the mock's
/// statistics when a line arrives on stdin.
async fn serve(args: &Args) -> anyhow::Result<()> {
    let ws = workspace(args)?;
    let pages = ws.page_ids().len();
    let config = benchmarks::notion_like_config();
    let token = config.token.clone();
    let server = MockServer::start(ws, config).await?;
    println!(
        "{}",
        json!({"url": server.url(), "token": token, "pages": pages})
    );
    let mut line = String::new();
    tokio::task::spawn_blocking(move || std::io::stdin().lock().read_line(&mut line)).await??;
    println!("{}", serde_json::to_string(&server.stats())?);
    server.stop().await;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    if args.serve {
        return serve(&args).await;
    }
    let mut child = Command::new(std::env::current_exe()?)
        .args(["--serve-mock", "1", "--pages", &args.pages.to_string()])
        .args([
            "--seed",
            &args.seed.to_string(),
            "--holders",
            &args.holders.to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("starting the mock process")?;
    let mut from_mock = BufReader::new(child.stdout.take().context("mock stdout")?);
    let mut line = String::new();
    from_mock.read_line(&mut line)?;
    let ready: Value = serde_json::from_str(&line).context("the mock's address")?;
    let crawlable = ready["pages"].as_u64().unwrap_or_default();

    let client = NotionClient::new(
        SecretToken::new(ready["token"].as_str().unwrap_or_default()),
        ClientConfig {
            base_url: ready["url"].as_str().unwrap_or_default().to_string(),
            ..ClientConfig::default()
        },
    )?;
    let estimate = ListingCost::from_object_count(crawlable).estimate(benchmarks::LIMIT_PER_SECOND);
    let (heap_before, rss_before) = (HEAP.live(), benchmarks::proc_status_mb("VmRSS"));
    let started = Instant::now();
    let listing = hierarchy::list(&client).await?;
    let wall = started.elapsed();
    let heap_listing = HEAP.live() - heap_before;
    let built = Instant::now();
    let tree = Hierarchy::build(&listing);
    let build_time = built.elapsed();
    let heap_tree = HEAP.live() - heap_before - heap_listing;
    let rss_after = benchmarks::proc_status_mb("VmRSS");
    let cache_bytes = serde_json::to_vec(&listing)?.len();

    child
        .stdin
        .take()
        .context("mock stdin")?
        .write_all(b"stats\n")?;
    line.clear();
    from_mock.read_line(&mut line)?;
    let stats: Value = serde_json::from_str(&line).context("the mock's statistics")?;
    child.wait()?;

    let endpoint = |name: &str| stats["per_endpoint"][name].as_u64().unwrap_or(0);
    let (search, blocks) = (endpoint("POST /v1/search"), endpoint("GET /v1/blocks/{id}"));
    let total = stats["total"].as_u64().unwrap_or(0);
    let expected_blocks = BLOCKS_PER_HOLDER * args.holders as u64;
    let count = |kind| tree.nodes().iter().filter(|n| n.kind == kind).count();
    let mb = |b: usize| b as f64 / (1024.0 * 1024.0);
    println!(
        "hierarchy benchmark: synthetic {} pages (seed {}) + {} holder pages with {} pages under blocks; {crawlable} crawlable pages",
        args.pages,
        args.seed,
        args.holders,
        3 * args.holders
    );
    println!(
        "  nodes: {} ({} pages, {} databases, {} data sources); {} trashed or archived left out",
        tree.len(),
        count(NodeKind::Page),
        count(NodeKind::Database),
        count(NodeKind::DataSource),
        listing.removed
    );
    println!(
        "  requests (mock): {total} = {search} search + {blocks} block lookups (expected {expected_blocks} distinct block parents) + {} other; client counted {}",
        total - search - blocks,
        listing.requests.total()
    );
    println!(
        "  429s: {}, requests in a Retry-After window: {}",
        stats["rate_limited"], stats["requests_in_penalty"]
    );
    println!(
        "  estimate before listing (search pages for {crawlable} pages, lower bound): {estimate}"
    );
    println!(
        "  listing wall time {:.1} s ({:.3} requests/s), tree build {:.1} ms",
        wall.as_secs_f64(),
        total as f64 / wall.as_secs_f64(),
        build_time.as_secs_f64() * 1e3
    );
    println!(
        "  memory after the listing: listing {:.1} MB + hierarchy {:.1} MB on the heap; RSS {:.1} MB before, {:.1} MB after (peak {:.1} MB); listing as JSON (cache) {:.1} MB",
        mb(heap_listing),
        mb(heap_tree),
        rss_before,
        rss_after,
        benchmarks::proc_status_mb("VmHWM"),
        mb(cache_bytes)
    );
    let exact = total == search + expected_blocks && blocks == expected_blocks;
    println!(
        "  requests = search pages + distinct block parents: {}",
        if exact { "yes" } else { "NO" }
    );
    Ok(())
}
