//! Records with varied content, run helpers, and a reader's-eye view of an
//! output directory (what a glob of `OUT/chunks/*.parquet` picks up).

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use sink::{
    ChunkRecord, Manifest, PageRecord, PageStatus, ShardSettings, SinkConfig, SnapshotWriter,
};

/// A fixed instant plus `seconds`, with microseconds (the stored precision).
pub fn time(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_735_700_000 + seconds, 123_456_000)
        .unwrap()
}

/// The id of page number `page`.
pub fn page_id(page: usize) -> String {
    format!("{:08x}-0000-4000-8000-{:012x}", page + 1, page * 7919)
}

/// Chunk `index` of page `page`, with content that varies by position:
/// unicode, empty lists, missing parents, long text.
pub fn chunk(page: usize, index: u32, run_id: &str) -> ChunkRecord {
    let parent_id = (!page.is_multiple_of(3)).then(|| page_id(page / 3));
    let page_id = page_id(page);
    let text = match (page + index as usize) % 4 {
        0 => format!("Paragraph {index} of page {page}: naïve café — 日本語 ✓"),
        1 => "word ".repeat(50 + index as usize),
        2 => String::new(),
        _ => format!("- item {index}\n- `code` and **bold**\n\n| a | b |\n|---|---|\n| 1 | 2 |"),
    };
    let embed_text = format!("Page {page} > Section\n\n{text}");
    ChunkRecord {
        chunk_id: sink::chunk_id(&page_id, index),
        page_id: page_id.clone(),
        chunk_index: index,
        content_hash: sink::content_hash(&embed_text),
        token_count: 3 + embed_text.len() as u32 / 4,
        text,
        embed_text,
        tokenizer: "cl100k_base".into(),
        heading_path: (0..(index % 3))
            .map(|level| format!("Heading {level} ✎"))
            .collect(),
        block_ids: (0..(1 + index % 2))
            .map(|b| format!("{page_id}-block-{index}-{b}"))
            .collect(),
        url: format!("https://www.notion.so/{}#{index}", page_id.replace('-', "")),
        page_title: format!("Page {page} — title"),
        page_url: format!("https://www.notion.so/{}", page_id.replace('-', "")),
        parent_id,
        parent_type: if page.is_multiple_of(3) {
            "workspace"
        } else {
            "page_id"
        }
        .into(),
        data_source_id: (page % 2 == 1).then(|| format!("ds-{}", page % 5)),
        properties: format!(r#"{{"Status": {{"select": "Done"}}, "Rank": {page}}}"#),
        created_time: time(page as i64 * 60),
        last_edited_time: time(page as i64 * 60 + 30),
        run_id: run_id.into(),
        ingested_at: time(10_000),
    }
}

/// Page number `page`: ok, failed (with and without a request id) or skipped
/// by position.
pub fn page(page: usize, chunk_count: u32, run_id: &str) -> PageRecord {
    let markdown = format!("# Page {page}\n\nBody of page {page}.");
    let status = match page % 5 {
        1 => PageStatus::Failed {
            code: "object_not_found".into(),
            message: "Could not find page".into(),
            request_id: Some(format!("req-{page}")),
        },
        2 => PageStatus::Failed {
            code: "timeout".into(),
            message: String::new(),
            request_id: None,
        },
        3 => PageStatus::Skipped {
            reason: "archived".into(),
        },
        _ => PageStatus::Ok,
    };
    let ok = status == PageStatus::Ok;
    PageRecord {
        page_id: page_id(page),
        title: (page % 5 != 2).then(|| format!("Page {page} — title")),
        url: ok.then(|| format!("https://www.notion.so/{page}")),
        parent_id: (!page.is_multiple_of(3)).then(|| page_id(page / 3)),
        parent_type: Some(
            if page.is_multiple_of(3) {
                "workspace"
            } else {
                "page_id"
            }
            .into(),
        ),
        data_source_id: (page % 2 == 1).then(|| format!("ds-{}", page % 5)),
        properties: ok.then(|| format!(r#"{{"Rank": {page}}}"#)),
        created_time: ok.then(|| time(page as i64 * 60)),
        last_edited_time: (page % 5 != 2).then(|| time(page as i64 * 60 + 30)),
        markdown_hash: ok.then(|| sink::content_hash(&markdown)),
        markdown: ok.then_some(markdown),
        chunk_count: if ok { chunk_count } else { 0 },
        status,
        run_id: run_id.into(),
        ingested_at: time(10_000),
    }
}

/// The records of a run of `pages` pages with `chunks_per_page` chunks each.
pub fn run_records(
    pages: usize,
    chunks_per_page: u32,
    run_id: &str,
) -> (Vec<ChunkRecord>, Vec<PageRecord>) {
    let chunks = (0..pages)
        .flat_map(|p| (0..chunks_per_page).map(move |i| chunk(p, i, run_id)))
        .collect();
    let page_rows = (0..pages)
        .map(|p| page(p, chunks_per_page, run_id))
        .collect();
    (chunks, page_rows)
}

/// Small shards and row groups, so a few hundred rows span several of each.
pub fn small_config(out: &Path) -> SinkConfig {
    SinkConfig {
        shards: ShardSettings {
            target_bytes: 16 << 10,
            row_group_max_rows: 40,
            row_group_max_bytes: 24 << 10,
            zstd_level: 3,
        },
        metadata: vec![
            ("chunker.max_tokens".into(), "512".into()),
            ("chunker.overlap".into(), "64".into()),
        ],
        ..SinkConfig::new(out)
    }
}

/// Writes and publishes a whole run.
pub fn write_run(config: SinkConfig, run_id: &str, pages: usize, chunks_per_page: u32) -> Manifest {
    let (chunks, page_rows) = run_records(pages, chunks_per_page, run_id);
    let mut writer = SnapshotWriter::begin(config, run_id).unwrap();
    for record in chunks {
        writer.push_chunk(record).unwrap();
    }
    for record in page_rows {
        writer.push_page(record).unwrap();
    }
    writer.finish(serde_json::json!({"pages": pages})).unwrap()
}

/// The files a reader globbing `dir/*.parquet` picks up: visible names only,
/// resolved through any symlink.
pub fn visible_parquet_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.unwrap())
        .filter(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.ends_with(".parquet") && !name.starts_with(['.', '_'])
        })
        .map(|entry| entry.path())
        .collect();
    files.sort();
    files
}

/// Every file name below `dir`, recursively (symlinks not followed).
pub fn all_names(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        names.push(entry.file_name().to_string_lossy().into_owned());
        if entry.file_type().unwrap().is_dir() {
            names.extend(all_names(&entry.path()));
        }
    }
    names
}

/// Reads every visible shard of `dir` with the parquet crate (not the sink's
/// reader) and returns the total rows and the distinct `run_id` values.
pub fn read_visible(dir: &Path) -> (usize, Vec<String>) {
    let mut rows = 0;
    let mut runs = Vec::new();
    for path in visible_parquet_files(dir) {
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap())
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            let batch = batch.unwrap();
            rows += batch.num_rows();
            let run_ids = batch.column_by_name("run_id").unwrap();
            let run_ids = run_ids
                .as_any()
                .downcast_ref::<arrow_array::StringArray>()
                .unwrap();
            for run in run_ids.iter().flatten() {
                if !runs.iter().any(|r| r == run) {
                    runs.push(run.to_owned());
                }
            }
        }
    }
    (rows, runs)
}
