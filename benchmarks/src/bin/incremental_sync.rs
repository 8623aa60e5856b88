//! Benchmark: the requests a nightly incremental run makes after 1% of a
//! workspace changed, against those of a full crawl of the same workspace.
//!
//! Setup: a seeded synthetic workspace (10,000 pages by default) served by
//! the mock without a rate limit or latency (requests are counted, not
//! timed: the crawl benchmark shows a crawl's wall time is its requests
//! divided by the rate, so times below are requests / 3 per second).
//!
//! 1. A first run crawls everything into an empty output directory.
//! 2. A run with nothing changed (the floor: the listing alone).
//! 3. 1% of the pages change through the mock's edit API, spread over the
//!    kinds of edit a night brings: a block's text changed, a paragraph
//!    appended, a page's content rewritten, a child page added, a page
//!    trashed. Edited pages are ones search lists (see README,
//!    "Incremental runs", for what an incremental listing cannot see).
//! 4. The incremental run; then a full crawl of the edited workspace into
//!    a fresh directory, whose snapshot the incremental one must equal.
//!
//! Figures: requests of each run per endpoint, incremental / full, the
//! pages rewritten against the pages edited, upserts and deletes, and
//! whether the two snapshots are identical (chunk ids, hashes and text).
//!
//! `cargo run --release -p benchmarks --bin incremental_sync [-- --pages N --seed S --changed 0.01]`
//! (about 3 minutes for 10,000 pages on 2 cores).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use benchmarks::LIMIT_PER_SECOND;
use engine::{EngineConfig, RunOptions, RunReport as PipelineReport};
use futures::TryStreamExt;
use notion_mock::{MockConfig, MockServer, Stats, SyntheticConfig, Workspace};
use notion_source::client::{NotionClient, RateLimit, SearchQuery};
use notion_source::model::SearchResult;
use serde_json::json;

struct Args {
    pages: usize,
    seed: u64,
    changed: f64,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        pages: 10_000,
        seed: 11,
        changed: 0.01,
    };
    for (flag, value) in benchmarks::flag_pairs()? {
        match flag.as_str() {
            "--pages" => args.pages = value.parse().context("--pages takes a number")?,
            "--seed" => args.seed = value.parse().context("--seed takes a number")?,
            "--changed" => {
                args.changed = value.parse().context("--changed takes a share")?;
                if !(0.0..=1.0).contains(&args.changed) {
                    bail!("--changed takes a share between 0 and 1");
                }
            }
            other => bail!("unknown flag {other} (flags: --pages N, --seed S, --changed SHARE)"),
        }
    }
    Ok(args)
}

/// One run as measured.
struct Measured {
    label: &'static str,
    stats: Stats,
    report: PipelineReport,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let workspace = Workspace::synthetic(&SyntheticConfig {
        pages: args.pages,
        seed: args.seed,
        ..SyntheticConfig::default()
    });
    let config = MockConfig::unlimited();
    let token = config.token.clone();
    let server = MockServer::start(workspace, config).await?;
    let unpaced = RateLimit::PerSecond {
        per_second: 100_000.0,
        burst: 1_000,
    };
    let client = benchmarks::mock_client(&server, &token, unpaced)?;
    println!(
        "incremental_sync: synthetic workspace of {} pages (seed {}), {:.1}% changed, mock without rate limit; times are requests / {LIMIT_PER_SECOND}/s",
        args.pages,
        args.seed,
        args.changed * 100.0
    );

    let out = tempfile::tempdir()?;
    let first = measured(&server, &client, out.path(), "first run (full crawl)").await?;
    let unchanged = measured(&server, &client, out.path(), "nothing changed").await?;

    let listed = searchable_pages(&client).await?;
    let edits = edit_workspace(&server, &listed, args.changed, args.seed)?;
    println!(
        "\nedited {} pages ({} under trashed pages went with them): {} block text changed, {} paragraph appended, {} content rewritten, {} child page added, {} trashed",
        edits.kinds.iter().sum::<usize>(),
        edits.pages.len() - edits.kinds.iter().sum::<usize>(),
        edits.kinds[0],
        edits.kinds[1],
        edits.kinds[2],
        edits.kinds[3],
        edits.kinds[4]
    );
    let incremental = measured(&server, &client, out.path(), "incremental (1% changed)").await?;
    let fresh = tempfile::tempdir()?;
    let full = measured(&server, &client, fresh.path(), "full crawl of the edited").await?;
    server.stop().await;

    println!();
    for run in [&first, &unchanged, &incremental, &full] {
        report(run);
    }
    let (inc, all) = (incremental.stats.total, full.stats.total);
    println!(
        "\nincremental / full requests: {inc} / {all} = {:.4} ({:.1}x fewer); at {LIMIT_PER_SECOND}/s {} against {}",
        inc as f64 / all as f64,
        all as f64 / inc.max(1) as f64,
        at_limit(inc),
        at_limit(all),
    );
    let export = incremental.report.export.as_ref().context("no export")?;
    println!(
        "pages rewritten {} for {} edited ({} trashed, {} with a new child page); upserts {} chunks, deletes {} chunks ({} pages removed)",
        incremental.report.build.pages_written,
        edits.kinds.iter().sum::<usize>(),
        edits.kinds[4],
        edits.kinds[3],
        export.upserts,
        export.deletes,
        export.deleted_pages,
    );
    let same = snapshot(out.path())? == snapshot(fresh.path())?;
    println!(
        "incremental snapshot equals the full crawl's (chunk ids, hashes, text): {}",
        if same { "yes" } else { "NO" }
    );
    if !same {
        bail!("the incremental snapshot differs from a full crawl's");
    }
    Ok(())
}

/// Runs the pipeline into `out` and keeps the mock's count of its requests.
async fn measured(
    server: &MockServer,
    client: &NotionClient,
    out: &Path,
    label: &'static str,
) -> anyhow::Result<Measured> {
    server.reset_stats();
    let started = Instant::now();
    let report = engine::run(
        client.clone(),
        EngineConfig::local(out),
        RunOptions::default(),
    )
    .await?;
    eprintln!("{label}: {:.1} s", started.elapsed().as_secs_f64());
    Ok(Measured {
        label,
        stats: server.stats(),
        report,
    })
}

fn report(run: &Measured) {
    let per_endpoint: Vec<String> = run
        .stats
        .per_endpoint
        .iter()
        .map(|(endpoint, n)| format!("{endpoint} {n}"))
        .collect();
    println!(
        "{:<28} {:>7} requests ({}), {} pages rewritten, {} unchanged; [{}]",
        run.label,
        run.stats.total,
        at_limit(run.stats.total),
        run.report.build.pages_written,
        run.report.crawl.progress.unchanged,
        per_endpoint.join(", ")
    );
}

/// `requests` at Notion's average rate, as hours, minutes or seconds.
fn at_limit(requests: u64) -> String {
    let seconds = requests as f64 / LIMIT_PER_SECOND;
    if seconds >= 3600.0 {
        format!("{:.2} h", seconds / 3600.0)
    } else if seconds >= 60.0 {
        format!("{:.1} min", seconds / 60.0)
    } else {
        format!("{seconds:.0} s")
    }
}

/// Ids of the pages search returns.
async fn searchable_pages(client: &NotionClient) -> anyhow::Result<Vec<String>> {
    let results: Vec<SearchResult> = client
        .search_all(SearchQuery::default())
        .try_collect()
        .await?;
    let mut ids: Vec<String> = results
        .into_iter()
        .filter_map(|r| match r {
            SearchResult::Page(p) => Some(p.id),
            _ => None,
        })
        .collect();
    ids.sort();
    Ok(ids)
}

/// What [`edit_workspace`] did.
struct Edits {
    /// Pages edited, and pages trashed with a page above them.
    pages: BTreeSet<String>,
    /// Counts per kind: block text, appended, rewritten, child added, trashed.
    kinds: [usize; 5],
}

/// Edits `share` of the crawled pages, each of them one of the listed ones,
/// cycling through the kinds of edit (one in ten pages trashed or given a
/// child page).
fn edit_workspace(
    server: &MockServer,
    listed: &[String],
    share: f64,
    seed: u64,
) -> anyhow::Result<Edits> {
    let ws = server.workspace();
    let crawled: BTreeSet<String> = ws.page_ids().into_iter().collect();
    let mut candidates: Vec<&String> = listed.iter().filter(|p| crawled.contains(*p)).collect();
    let wanted = ((crawled.len() as f64 * share).round() as usize).min(candidates.len());
    // A seeded shuffle (splitmix64), so a seed names the same edits.
    let mut state = seed;
    for i in (1..candidates.len()).rev() {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        candidates.swap(i, ((z ^ (z >> 31)) % (i as u64 + 1)) as usize);
    }
    let mut edits = Edits {
        pages: BTreeSet::new(),
        kinds: [0; 5],
    };
    for (n, page) in candidates.into_iter().take(wanted).enumerate() {
        if edits.pages.contains(page) {
            continue; // under a page trashed before
        }
        let paragraph = ws.page_tree_json(page).and_then(|tree| {
            tree["blocks"]
                .as_array()?
                .iter()
                .find(|b| b["type"] == "paragraph")
                .and_then(|b| b["id"].as_str().map(str::to_string))
        });
        let kind = match n % 10 {
            0..=3 if paragraph.is_some() => 0,
            0..=5 => 1,
            6 | 7 => 2,
            8 => 3,
            _ => 4,
        };
        let text = format!("Edited tonight, page {n}.");
        server.edit(|ws| -> anyhow::Result<()> {
            match kind {
                0 => ws.set_block_text(paragraph.as_deref().unwrap(), &text)?,
                1 => drop(ws.append_paragraph(page, &text)?),
                2 => ws.set_page_text(page, &[&text, "A second paragraph."])?,
                3 => drop(ws.add_page(
                    Some(page),
                    &format!("Notes {n}"),
                    json!([{"heading_2": "Decisions"}, {"paragraph": text}]),
                )?),
                _ => edits.pages.extend(ws.trash_page(page)?),
            }
            Ok(())
        })?;
        edits.pages.insert(page.clone());
        edits.kinds[kind] += 1;
    }
    Ok(edits)
}

/// A published snapshot's chunks: id to content hash and text.
fn snapshot(out: &Path) -> anyhow::Result<BTreeMap<String, (String, String)>> {
    let snapshot = sink::Snapshot::open_published(out)?.context("no published snapshot")?;
    let mut chunks = BTreeMap::new();
    for batch in sink::read_records::<sink::ChunkRecord>(snapshot.chunk_files(), 4096) {
        for c in batch? {
            chunks.insert(c.chunk_id, (c.content_hash, c.text));
        }
    }
    Ok(chunks)
}
