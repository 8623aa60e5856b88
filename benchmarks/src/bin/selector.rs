//! Benchmark: the selector on a 40,000-page workspace: how long a filter
//! keystroke takes (the state update, then drawing the screen off-screen),
//! and the memory the hierarchy and the selector hold.
//!
//! The workspace is a seeded synthetic one, listed through the mock with no
//! rate limit; timing starts once the hierarchy is built. Each query is
//! typed one character at a time and erased the same way; every keystroke
//! is timed (`App::handle`, then `render_text` at 120 x 40).
//!
//! `cargo run --release -p benchmarks --bin selector [-- --pages 40000 --seed 7]`
//! (about 30 seconds).

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use benchmarks::LiveBytes;
use notion_mock::{MockConfig, MockServer, SyntheticConfig, Workspace};
use notion_source::client::RateLimit;
use notion_source::hierarchy::{self, Hierarchy, RunCostModel, Selection};
use selector::{App, Key};

#[global_allocator]
static HEAP: LiveBytes = LiveBytes::new();

/// Queries typed (no spaces: space toggles). Single letters match nearly
/// everything; long ones narrow to a few nodes or none.
const QUERIES: [&str; 5] = ["roadmap", "pipelinecache", "naive42", "e", "zqxv"];

/// Target for one keystroke (issue 17).
const TARGET: Duration = Duration::from_millis(50);

fn mb(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (mut pages, mut seed) = (40_000usize, 7u64);
    for (flag, value) in benchmarks::flag_pairs()? {
        match flag.as_str() {
            "--pages" => pages = value.parse().context("--pages takes a number")?,
            "--seed" => seed = value.parse().context("--seed takes a number")?,
            other => bail!("unknown flag {other} (flags: --pages N, --seed S)"),
        }
    }

    let ws = Workspace::synthetic(&SyntheticConfig {
        pages,
        seed,
        ..SyntheticConfig::default()
    });
    let config = MockConfig::unlimited();
    let token = config.token.clone();
    let server = MockServer::start(ws, config).await?;
    let fast = RateLimit::PerSecond {
        per_second: 100_000.0,
        burst: 1_000,
    };
    let client = benchmarks::mock_client(&server, &token, fast)?;
    let listing = hierarchy::list(&client).await?;
    drop(client);
    server.stop().await;

    let heap_start = HEAP.live();
    let built = Instant::now();
    let tree = Hierarchy::build(&listing);
    let build_time = built.elapsed();
    let heap_tree = HEAP.live() - heap_start;
    let app_start = Instant::now();
    let mut app = App::new(&tree, &Selection::default(), RunCostModel::default(), None);
    let app_time = app_start.elapsed();
    let heap_app = HEAP.live() - heap_start - heap_tree;
    selector::render_text(&mut app, 120, 40);

    let mut handle_times = Vec::new();
    let mut total_times = Vec::new();
    let mut slowest = (Duration::ZERO, String::new(), 0usize);
    let mut peak_heap = HEAP.live();
    for query in QUERIES {
        let strokes = query
            .chars()
            .map(Key::Char)
            .chain(query.chars().map(|_| Key::Backspace));
        for key in strokes {
            let started = Instant::now();
            app.handle(key);
            let handled = started.elapsed();
            selector::render_text(&mut app, 120, 40);
            let total = started.elapsed();
            handle_times.push(handled);
            total_times.push(total);
            peak_heap = peak_heap.max(HEAP.live());
            if total > slowest.0 {
                slowest = (
                    total,
                    format!("{:?} after {:?}", key, app.filter()),
                    app.rows().len(),
                );
            }
        }
    }
    // A toggle of the largest top-level subtree, and Enter.
    let biggest = tree
        .top_level()
        .max_by_key(|&i| tree.subtree(i).len())
        .unwrap_or(0);
    while app.cursor_node() != Some(biggest) {
        app.handle(Key::Down);
    }
    let started = Instant::now();
    app.handle(Key::Toggle);
    selector::render_text(&mut app, 120, 40);
    let toggle_time = started.elapsed();
    let started = Instant::now();
    let outcome = app.handle(Key::Enter);
    let enter_time = started.elapsed();

    handle_times.sort();
    total_times.sort();
    println!(
        "selector benchmark: {} nodes ({} pages), seed {seed}",
        tree.len(),
        tree.page_count()
    );
    println!(
        "  build: hierarchy {:.1} ms, selector state {:.1} ms",
        build_time.as_secs_f64() * 1e3,
        app_time.as_secs_f64() * 1e3
    );
    println!(
        "  keystrokes: {} (queries {QUERIES:?}, typed then erased)",
        total_times.len()
    );
    for (name, times) in [
        ("state update", &handle_times),
        ("update + draw", &total_times),
    ] {
        println!(
            "  {name:14} median {:.2} ms, p95 {:.2} ms, max {:.2} ms",
            percentile(times, 0.5).as_secs_f64() * 1e3,
            percentile(times, 0.95).as_secs_f64() * 1e3,
            times.last().copied().unwrap_or_default().as_secs_f64() * 1e3
        );
    }
    println!(
        "  slowest keystroke: {:.2} ms ({}, {} rows shown)",
        slowest.0.as_secs_f64() * 1e3,
        slowest.1,
        slowest.2
    );
    println!(
        "  toggle of a {}-node subtree + draw: {:.2} ms; Enter: {:.2} ms ({})",
        tree.subtree(biggest).len(),
        toggle_time.as_secs_f64() * 1e3,
        enter_time.as_secs_f64() * 1e3,
        if outcome.is_some() {
            "accepted"
        } else {
            "refused"
        }
    );
    println!(
        "  heap: hierarchy {:.1} MB, selector state {:.1} MB, peak live heap while typing {:.1} MB; process RSS {:.1} MB (peak {:.1} MB, the in-process mock included)",
        mb(heap_tree),
        mb(heap_app),
        mb(peak_heap),
        benchmarks::proc_status_mb("VmRSS"),
        benchmarks::proc_status_mb("VmHWM")
    );
    let worst = total_times.last().copied().unwrap_or_default();
    println!(
        "  target: every keystroke under {} ms: {}",
        TARGET.as_millis(),
        if worst < TARGET { "met" } else { "NOT met" }
    );
    Ok(())
}
