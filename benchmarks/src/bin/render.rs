//! Benchmark: Markdown rendering throughput on one core.
//!
//! Builds a seeded synthetic workspace, turns every crawlable page into the
//! `PageTree` a crawler would hand over (deserialized before timing), and
//! renders them all with `notion_markdown::render_page`, page titles and URLs
//! in the context as the runner would have them. Prints MB of Markdown per
//! second, pages and blocks per second. Ten rounds; the best is reported (the machine is shared and noisy).
//!
//! `cargo run --release -p benchmarks --bin render [pages]` (default 3000).

use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use notion_markdown::{RenderContext, render_page};
use notion_mock::{SyntheticConfig, Workspace};
use notion_source::model::PageTree;

/// Timed rounds; the best is reported.
const ROUNDS: usize = 10;

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

    let mut best = Duration::MAX;
    let mut bytes = 0;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        bytes = trees
            .iter()
            .map(|tree| render_page(tree, &ctx).markdown.len())
            .sum();
        best = best.min(started.elapsed());
    }
    let secs = best.as_secs_f64();
    let mb = bytes as f64 / 1e6;
    println!(
        "corpus: {} pages, {blocks} blocks, {mb:.2} MB of Markdown (synthetic, seed 7)",
        trees.len()
    );
    println!(
        "render: {:.1} ms, {:.1} MB/s, {:.0} pages/s, {:.0} blocks/s (one thread, best of {ROUNDS})",
        secs * 1e3,
        mb / secs,
        trees.len() as f64 / secs,
        blocks as f64 / secs
    );
    Ok(())
}
