//! Writes a small sample output directory with the sink, for trying readers
//! on (`.ci/read_output.py` reads it in CI until the runner's `demo` command
//! produces the real thing).
//!
//! ```sh
//! cargo run --release -p sink --example write_sample -- OUT
//! ```
//!
//! Two runs are written one after the other, so `OUT` shows the second run
//! published over the first (whose snapshot is kept as the previous one).
//! Shards are kept tiny so each table spans several files. The chunks are cut
//! at headings and their token counts are word counts: this is a sample of
//! the sink, not of the chunker.

use std::path::PathBuf;

use chrono::{Duration, TimeZone, Utc};
use sink::{ChunkRecord, PageRecord, PageStatus, ShardSettings, SinkConfig, SnapshotWriter};

/// Sample pages: title and Markdown body.
const PAGES: &[(&str, &str)] = &[
    (
        "Onboarding",
        "# Welcome\n\nRead the handbook first.\n\n## Accounts\n\nAsk IT for a laptop.\n\n## Tools\n\n- Notion\n- Slack",
    ),
    (
        "Runbook: database failover",
        "# When\n\nPrimary is down for 5 minutes.\n\n# How\n\n1. Promote the replica.\n2. Update DNS.",
    ),
    (
        "Café menu ☕",
        "# Drinks\n\nEspresso, latte, matcha.\n\n# Food\n\nCroissants on Fridays.",
    ),
    (
        "Q3 planning",
        "# Goals\n\nShip incremental sync.\n\n# Risks\n\nRate limits at 3 requests/s.",
    ),
    (
        "Glossary",
        "# Terms\n\n**Chunk**: a token-bounded piece of a page.",
    ),
    ("Empty page", ""),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(std::env::args().nth(1).ok_or("usage: write_sample OUT")?);
    let stamp = Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
    for (run, pages) in [(1, 4), (2, PAGES.len())] {
        let run_id = format!("sample-{stamp}-{run}");
        let config = SinkConfig {
            shards: ShardSettings {
                target_bytes: 1 << 10,
                row_group_max_rows: 2,
                ..ShardSettings::default()
            },
            metadata: vec![
                ("chunker.tokenizer".into(), "cl100k_base".into()),
                ("chunker.max_tokens".into(), "512".into()),
            ],
            ..SinkConfig::new(&out)
        };
        let mut writer = SnapshotWriter::begin(config, &run_id)?;
        for (number, (title, markdown)) in PAGES.iter().take(pages).enumerate() {
            let chunks = sample_chunks(number, title, markdown, &run_id);
            let page = sample_page(number, title, markdown, chunks.len() as u32, &run_id);
            for chunk in chunks {
                writer.push_chunk(chunk)?;
            }
            writer.push_page(page)?;
        }
        let failed = sample_failed_page(&run_id);
        writer.push_page(failed)?;
        let manifest = writer.finish(serde_json::json!({"pages_ok": pages, "pages_failed": 1}))?;
        println!(
            "{run_id}: {} chunks in {} shards, {} pages in {} shards",
            manifest.chunks.rows,
            manifest.chunks.shards.len(),
            manifest.pages.rows,
            manifest.pages.shards.len()
        );
    }
    println!("published into {}", out.display());
    Ok(())
}

fn page_id(number: usize) -> String {
    format!("1c2d3e4f-0000-4000-8000-{number:012}")
}

fn page_url(number: usize) -> String {
    format!("https://www.notion.so/{}", page_id(number).replace('-', ""))
}

/// One chunk per top section of the page (cut before each `# ` heading).
fn sample_chunks(number: usize, title: &str, markdown: &str, run_id: &str) -> Vec<ChunkRecord> {
    let created =
        Utc.with_ymd_and_hms(2025, 1, 6, 9, 0, 0).unwrap() + Duration::days(number as i64);
    let sections = markdown.split("\n\n# ").filter(|s| !s.trim().is_empty());
    sections
        .enumerate()
        .map(|(index, section)| {
            let text = if index == 0 {
                section.to_owned()
            } else {
                format!("# {section}")
            };
            let heading = text
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("# ")
                .to_owned();
            let embed_text = format!("{title} > {heading}\n\n{text}");
            let block_id = format!("{}-{index:04}", &page_id(number)[..23]);
            ChunkRecord {
                chunk_id: sink::chunk_id(&page_id(number), index as u32),
                page_id: page_id(number),
                chunk_index: index as u32,
                token_count: embed_text.split_whitespace().count() as u32,
                content_hash: sink::content_hash(&embed_text),
                text,
                embed_text,
                tokenizer: "cl100k_base".into(),
                heading_path: vec![heading],
                url: format!("{}#{}", page_url(number), block_id.replace('-', "")),
                block_ids: vec![block_id],
                page_title: title.into(),
                page_url: page_url(number),
                parent_id: None,
                parent_type: "workspace".into(),
                data_source_id: None,
                properties: format!(r#"{{"title": {}}}"#, serde_json::json!(title)),
                created_time: created,
                last_edited_time: created + Duration::hours(3),
                run_id: run_id.into(),
                ingested_at: Utc::now(),
            }
        })
        .collect()
}

fn sample_page(
    number: usize,
    title: &str,
    markdown: &str,
    chunk_count: u32,
    run_id: &str,
) -> PageRecord {
    let created =
        Utc.with_ymd_and_hms(2025, 1, 6, 9, 0, 0).unwrap() + Duration::days(number as i64);
    PageRecord {
        page_id: page_id(number),
        title: Some(title.into()),
        url: Some(page_url(number)),
        parent_id: None,
        parent_type: Some("workspace".into()),
        data_source_id: None,
        properties: Some(format!(r#"{{"title": {}}}"#, serde_json::json!(title))),
        created_time: Some(created),
        last_edited_time: Some(created + Duration::hours(3)),
        markdown: Some(markdown.into()),
        markdown_hash: Some(sink::content_hash(markdown)),
        chunk_count,
        status: PageStatus::Ok,
        run_id: run_id.into(),
        ingested_at: Utc::now(),
    }
}

/// A page the integration cannot read, as the crawler reports it.
fn sample_failed_page(run_id: &str) -> PageRecord {
    let status = PageStatus::Failed {
        code: "object_not_found".into(),
        message: "Could not find page with ID 1c2d3e4f-0000-4000-8000-000000000999.".into(),
        request_id: Some("4b3a2c1d-0000-4000-8000-000000000001".into()),
    };
    PageRecord::id_only(page_id(999), status, run_id, Utc::now())
}
