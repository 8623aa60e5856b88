//! The end of a run: deletion detection, then the Parquet export of the
//! state store — the full snapshot notebooks read, and the run's changes
//! (upserts and deletes) a vector store applies.

use std::path::Path;

use anyhow::{Context, Result};
use notion_source::NotionClient;
use rusqlite::params;
use serde::Serialize;
use sink::{
    ChangesWriter, ChunkRecord, DeleteRecord, PageRecord, PageStatus, ShardSettings, SinkConfig,
    SnapshotWriter,
};

use super::Run;
use crate::state::{State, parse_ts};

/// What the export wrote.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExportReport {
    /// Chunks in the published snapshot.
    pub snapshot_chunks: u64,
    /// Pages in the published snapshot.
    pub snapshot_pages: u64,
    /// Chunks this run wrote (new or changed pages).
    pub upserts: u64,
    /// Chunk ids this run asks consumers to delete.
    pub deletes: u64,
    /// Pages whose chunks this run deletes because they were trashed,
    /// archived, unshared or deleted.
    pub deleted_pages: u64,
}

/// Pages the store holds that this run's complete listing did not find:
/// each is retrieved once; if Notion answers 404, or says it is trashed or
/// archived, it becomes a tombstone.
pub(crate) async fn tombstone_unseen(
    client: &NotionClient,
    state: &mut State,
    run: &Run,
) -> Result<()> {
    for page_id in state.unseen_pages(&run.run_id)? {
        let reason = match client.retrieve_page(&page_id, &["title"]).await {
            Ok(page) if page.in_trash || page.archived => "trashed",
            Ok(page) if page.is_archived => "archived",
            Ok(_) => {
                // Still there, only missed by the listing: keep it.
                state.mark_seen(&run.run_id, &page_id)?;
                continue;
            }
            Err(e) if e.is_not_found() => "not_found",
            Err(e) => {
                tracing::warn!(%page_id, error = %e, "cannot tell whether a page was deleted; keeping it");
                continue;
            }
        };
        state.tombstone(run, &page_id, reason)?;
    }
    Ok(())
}

/// Decoded bytes per Parquet row group of the export. A writer holds its
/// open row group, encoded, until the row group is full; with the sink's
/// default (64 MiB) a 10,000-page export peaked ~40 MB higher than a
/// 1,000-page one (`pipeline_memory` benchmark). 8 MiB keeps the export's
/// memory flat, and row groups still large enough for readers.
const EXPORT_ROW_GROUP_BYTES: usize = 8 << 20;

/// Writes the run's change set, then the snapshot (every live page and
/// chunk), and publishes both.
pub(crate) fn export(
    state: &State,
    run: &Run,
    out_dir: &Path,
    shard_bytes: u64,
    metadata: Vec<(String, String)>,
    mut summary: serde_json::Value,
) -> Result<ExportReport> {
    let shards = ShardSettings {
        target_bytes: shard_bytes,
        row_group_max_bytes: EXPORT_ROW_GROUP_BYTES,
        ..ShardSettings::default()
    };
    let config = SinkConfig {
        out_dir: out_dir.to_path_buf(),
        shards,
        metadata,
        keep_snapshots: 2,
    };
    let mut report = ExportReport::default();

    // The run's changes first, so the snapshot's manifest can name them.
    let mut changes =
        ChangesWriter::begin(&config, &run.run_id).context("cannot start the change set")?;
    for_each_chunk(state, Some(&run.run_id), |chunk| {
        report.upserts += 1;
        changes.push_upsert(chunk).map_err(Into::into)
    })?;
    for_each_delete(state, &run.run_id, |delete| {
        report.deletes += 1;
        changes.push_delete(delete).map_err(Into::into)
    })?;
    let change_set = changes.finish().context("cannot publish the change set")?;

    // A resumed run that was killed after publishing its snapshot is done.
    if let Some(published) = sink::Snapshot::open_published(out_dir)?
        && published.manifest().run_id == run.run_id
    {
        report.snapshot_chunks = published.manifest().chunks.rows;
        report.snapshot_pages = published.manifest().pages.rows;
        return Ok(report);
    }
    summary["changes"] = serde_json::to_value(&change_set)?;
    let mut writer =
        SnapshotWriter::begin(config, &run.run_id).context("cannot start the snapshot")?;
    for_each_chunk(state, None, |chunk| {
        report.snapshot_chunks += 1;
        writer.push_chunk(chunk).map_err(Into::into)
    })?;
    for_each_page(state, |page| {
        report.snapshot_pages += 1;
        writer.push_page(page).map_err(Into::into)
    })?;
    writer
        .finish(summary)
        .context("cannot publish the snapshot")?;
    Ok(report)
}

/// Streams the chunk ids this run deletes, in page and chunk-id order.
fn for_each_delete(
    state: &State,
    run_id: &str,
    mut f: impl FnMut(DeleteRecord) -> Result<()>,
) -> Result<()> {
    let mut stmt = state
        .conn()
        .prepare("SELECT chunk_id, page_id, reason FROM deletes WHERE run_id = ?1 ORDER BY page_id, chunk_id")?;
    let mut rows = stmt.query(params![run_id])?;
    while let Some(r) = rows.next()? {
        f(DeleteRecord {
            chunk_id: r.get(0)?,
            page_id: r.get(1)?,
            reason: r.get(2)?,
            run_id: run_id.to_string(),
        })?;
    }
    Ok(())
}

/// Streams chunk records joined with their page's columns, in page and
/// chunk order; only the chunks written by `run_id` when given.
pub(crate) fn for_each_chunk(
    state: &State,
    run_id: Option<&str>,
    mut f: impl FnMut(ChunkRecord) -> Result<()>,
) -> Result<()> {
    let mut stmt = state.conn().prepare(
        "SELECT c.chunk_id, c.page_id, c.chunk_index, c.text, c.embed_text, c.token_count, c.tokenizer, c.heading_path,
                c.block_ids, c.url, p.title, p.url, p.parent_id, p.parent_type, p.data_source_id, p.properties,
                p.created_time, p.last_edited_time, c.content_hash, c.run_id, c.ingested_at
         FROM chunks c JOIN pages p ON p.page_id = c.page_id
         WHERE ?1 IS NULL OR c.run_id = ?1
         ORDER BY c.page_id, c.chunk_index",
    )?;
    let mut rows = stmt.query(params![run_id])?;
    while let Some(r) = rows.next()? {
        let json_list = |i: usize| -> Result<Vec<String>> {
            Ok(serde_json::from_str(&r.get::<_, String>(i)?)?)
        };
        f(ChunkRecord {
            chunk_id: r.get(0)?,
            page_id: r.get(1)?,
            chunk_index: r.get(2)?,
            text: r.get(3)?,
            embed_text: r.get(4)?,
            token_count: r.get(5)?,
            tokenizer: r.get(6)?,
            heading_path: json_list(7)?,
            block_ids: json_list(8)?,
            url: r.get(9)?,
            page_title: r.get(10)?,
            page_url: r.get(11)?,
            parent_id: r.get(12)?,
            parent_type: r.get(13)?,
            data_source_id: r.get(14)?,
            properties: r.get(15)?,
            created_time: parse_ts(&r.get::<_, String>(16)?)?,
            last_edited_time: parse_ts(&r.get::<_, String>(17)?)?,
            content_hash: r.get(18)?,
            run_id: r.get(19)?,
            ingested_at: parse_ts(&r.get::<_, String>(20)?)?,
        })?;
    }
    Ok(())
}

/// Streams the page records of every page that is not deleted, in id order.
fn for_each_page(state: &State, mut f: impl FnMut(PageRecord) -> Result<()>) -> Result<()> {
    let mut stmt = state.conn().prepare(
        "SELECT page_id, title, url, parent_id, parent_type, data_source_id, properties, created_time, last_edited_time,
                markdown, markdown_hash, chunk_count, status, error_code, error_message, request_id, skip_reason,
                written_run, ingested_at
         FROM pages WHERE status != 'deleted' ORDER BY page_id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let status: String = r.get(12)?;
        let ok = status == "ok";
        let page_status = match status.as_str() {
            "ok" => PageStatus::Ok,
            "failed" => PageStatus::Failed {
                code: r
                    .get::<_, Option<String>>(13)?
                    .unwrap_or_else(|| "error".into()),
                message: r.get::<_, Option<String>>(14)?.unwrap_or_default(),
                request_id: r.get(15)?,
            },
            _ => PageStatus::Skipped {
                reason: r
                    .get::<_, Option<String>>(16)?
                    .unwrap_or_else(|| "skipped".into()),
            },
        };
        let markdown: String = r.get(9)?;
        f(PageRecord {
            page_id: r.get(0)?,
            title: Some(r.get(1)?),
            url: Some(r.get(2)?),
            parent_id: r.get(3)?,
            parent_type: Some(r.get(4)?),
            data_source_id: r.get(5)?,
            properties: Some(r.get(6)?),
            created_time: Some(parse_ts(&r.get::<_, String>(7)?)?),
            last_edited_time: Some(parse_ts(&r.get::<_, String>(8)?)?),
            markdown: (ok || !markdown.is_empty()).then_some(markdown),
            markdown_hash: Some(r.get::<_, String>(10)?).filter(|h| !h.is_empty()),
            chunk_count: r.get(11)?,
            status: page_status,
            run_id: r.get(17)?,
            ingested_at: parse_ts(&r.get::<_, String>(18)?)?,
        })?;
    }
    Ok(())
}
