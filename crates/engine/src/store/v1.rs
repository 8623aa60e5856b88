//! Rewriting a version 1 store's page and chunk rows as records (see
//! [`super::schema`]'s migration).

use chrono::{DateTime, Utc};
use rusqlite::{Transaction, params};
use sink::{ChunkRecord, PageRecord, PageStatus as RecordStatus};

use super::StoreError;

fn time(text: &str) -> Result<DateTime<Utc>, StoreError> {
    super::parse_time(text)
}

/// Every v1 page row as a v2 row with its record (no raw content).
pub(super) fn copy_pages(tx: &Transaction<'_>) -> Result<(), StoreError> {
    let mut select = tx.prepare(
        "SELECT page_id, title, url, parent_id, parent_type, data_source_id, properties, created_time,
                last_edited_time, markdown, markdown_hash, chunk_count, status, error_code, error_message,
                request_id, skip_reason, written_run, seen_run, ingested_at, children
         FROM v1_pages",
    )?;
    let mut insert = tx.prepare(
        "INSERT INTO pages (page_id, status, title, containers, last_edited_time, markdown_hash, record,
                            children, seen_run, written_run)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    let mut rows = select.query([])?;
    while let Some(r) = rows.next()? {
        let status: String = r.get(12)?;
        let markdown: String = r.get(9)?;
        let record_status = match status.as_str() {
            "failed" => RecordStatus::Failed {
                code: r
                    .get::<_, Option<String>>(13)?
                    .unwrap_or_else(|| "error".into()),
                message: r.get::<_, Option<String>>(14)?.unwrap_or_default(),
                request_id: r.get(15)?,
            },
            "skipped" | "deleted" => RecordStatus::Skipped {
                reason: r
                    .get::<_, Option<String>>(16)?
                    .unwrap_or_else(|| "skipped".into()),
            },
            _ => RecordStatus::Ok,
        };
        let hash: String = r.get(10)?;
        let record = PageRecord {
            page_id: r.get(0)?,
            title: Some(r.get(1)?),
            url: Some(r.get(2)?),
            parent_id: r.get(3)?,
            parent_type: Some(r.get(4)?),
            data_source_id: r.get(5)?,
            properties: Some(r.get(6)?),
            created_time: Some(time(&r.get::<_, String>(7)?)?),
            last_edited_time: Some(time(&r.get::<_, String>(8)?)?),
            markdown: (status == "ok" || !markdown.is_empty()).then_some(markdown),
            markdown_hash: Some(hash.clone()).filter(|h| !h.is_empty()),
            chunk_count: r.get(11)?,
            status: record_status,
            run_id: r.get(17)?,
            ingested_at: time(&r.get::<_, String>(19)?)?,
        };
        let page_id: String = r.get(0)?;
        insert.execute(params![
            page_id,
            status,
            r.get::<_, String>(1)?,
            serde_json::to_string(
                &r.get::<_, Option<String>>(3)?
                    .into_iter()
                    .collect::<Vec<_>>()
            )?,
            r.get::<_, String>(8)?,
            Some(hash).filter(|h| !h.is_empty()),
            serde_json::to_string(&record)?,
            r.get::<_, String>(20)?,
            r.get::<_, String>(18)?,
            r.get::<_, String>(17)?,
        ])?;
    }
    Ok(())
}

/// Every v1 chunk as a v2 chunk record; chunks of runs that never completed
/// were never published, so they stay pending.
pub(super) fn copy_chunks(tx: &Transaction<'_>) -> Result<(), StoreError> {
    let mut select = tx.prepare(
        "SELECT c.chunk_id, c.page_id, c.chunk_index, c.text, c.embed_text, c.token_count, c.tokenizer, c.heading_path,
                c.block_ids, c.url, p.title, p.url, p.parent_id, p.parent_type, p.data_source_id, p.properties,
                p.created_time, p.last_edited_time, c.content_hash, c.run_id, c.ingested_at,
                c.run_id NOT IN (SELECT run_id FROM v1_runs WHERE status = 'completed')
         FROM v1_chunks c JOIN v1_pages p ON p.page_id = c.page_id",
    )?;
    let mut insert = tx.prepare(
        "INSERT INTO chunks (page_id, chunk_index, chunk_id, run_id, pending, record)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut rows = select.query([])?;
    while let Some(r) = rows.next()? {
        let list = |i: usize| -> Result<Vec<String>, StoreError> {
            Ok(serde_json::from_str(&r.get::<_, String>(i)?)?)
        };
        let record = ChunkRecord {
            chunk_id: r.get(0)?,
            page_id: r.get(1)?,
            chunk_index: r.get(2)?,
            text: r.get(3)?,
            embed_text: r.get(4)?,
            token_count: r.get(5)?,
            tokenizer: r.get(6)?,
            heading_path: list(7)?,
            block_ids: list(8)?,
            url: r.get(9)?,
            page_title: r.get(10)?,
            page_url: r.get(11)?,
            parent_id: r.get(12)?,
            parent_type: r.get(13)?,
            data_source_id: r.get(14)?,
            properties: r.get(15)?,
            created_time: time(&r.get::<_, String>(16)?)?,
            last_edited_time: time(&r.get::<_, String>(17)?)?,
            content_hash: r.get(18)?,
            run_id: r.get(19)?,
            ingested_at: time(&r.get::<_, String>(20)?)?,
        };
        let pending: bool = r.get(21)?;
        insert.execute(params![
            record.page_id,
            record.chunk_index,
            record.chunk_id,
            record.run_id,
            pending,
            serde_json::to_string(&record)?,
        ])?;
    }
    Ok(())
}
