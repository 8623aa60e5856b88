//! Benchmark: Markdown rendering throughput on one core.
//!
//! Builds a seeded synthetic workspace, turns every crawlable page into the
//! `PageTree` a crawler would hand over (deserialized before timing), and
//! renders them all with `notion_markdown::render_page`, page titles and URLs
//! in the context as the runner would have them. Prints MB of Markdown per
//! second, pages and blocks per second (ten rounds: the best and the median,
//! the machine being shared and noisy), and heap allocations per block, a
//! figure noise does not move.
//!
//! `cargo run --release -p benchmarks --bin render [pages]` (default 3000).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use notion_markdown::{RenderContext, render_page};
use notion_mock::{SyntheticConfig, Workspace};
use notion_source::model::PageTree;

/// Timed rounds; the best and the median are reported.
const ROUNDS: usize = 10;

/// The system allocator, counting allocations.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn main() -> anyhow::Result<()> {
    let pages: usize = match std::env::args().nth(1) {
        Some(n) => n.parse().context("the argument is the number of pages")?,
        None => 3000,
    };
    let workspace = Workspace::synthetic(&SyntheticConfig {
        pages,
        seed: 7,
        ..SyntheticConfig::default()
    });
    let trees: Vec<PageTree> = workspace
        .page_ids()
        .iter()
        .map(|id| {
            let json = workspace
                .page_tree_json(id)
                .context("listed pages have trees")?;
            serde_json::from_value(json).context("page trees deserialize")
        })
        .collect::<anyhow::Result<_>>()?;
    ensure!(!trees.is_empty(), "the workspace has pages");
    let mut ctx = RenderContext::default();
    for tree in &trees {
        ctx.page_titles
            .insert(tree.page.id.clone(), tree.page.title());
        ctx.page_urls
            .insert(tree.page.id.clone(), tree.page.url.clone());
    }
    let blocks: usize = trees.iter().map(PageTree::block_count).sum();

    let mut times = Vec::with_capacity(ROUNDS);
    let mut bytes = 0;
    let mut allocations = 0;
    for _ in 0..ROUNDS {
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        let started = Instant::now();
        bytes = trees
            .iter()
            .map(|tree| render_page(tree, &ctx).markdown.len())
            .sum();
        times.push(started.elapsed());
        allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    }
    times.sort();
    let (best, median) = (times[0], times[ROUNDS / 2]);
    let mb = bytes as f64 / 1e6;
    println!(
        "corpus: {} pages, {blocks} blocks, {mb:.2} MB of Markdown (synthetic, seed 7)",
        trees.len()
    );
    let rate = |time: Duration| {
        let secs = time.as_secs_f64();
        format!(
            "{:.1} ms, {:.1} MB/s, {:.0} pages/s, {:.0} blocks/s",
            secs * 1e3,
            mb / secs,
            trees.len() as f64 / secs,
            blocks as f64 / secs
        )
    };
    println!("render, best of {ROUNDS}: {} (one thread)", rate(best));
    println!("render, median:     {}", rate(median));
    println!(
        "allocations: {:.1} per block, {:.0} per page",
        allocations as f64 / blocks as f64,
        allocations as f64 / trees.len() as f64
    );
    Ok(())
}
