//! The state store: an SQLite database in the output directory
//! (`OUT/state.sqlite`) that makes runs incremental and resumable.
//!
//! It is the source of truth for what the output holds:
//! - `runs`: every run, its start and end, status and counts. A run that did
//!   not finish (killed, interrupted) is resumed by the next start, under the
//!   same run id.
//! - `pages`: per page its metadata, `last_edited_time`, Markdown and hash,
//!   chunk count, status (ok, failed, skipped, deleted), the run that wrote it
//!   and the last run that saw it, and the child pages and databases it holds
//!   (so an unchanged page's children are reached without reading it).
//! - `chunks`: every live chunk, with the run that wrote it.
//! - `deletes`: per run, the chunk ids a consumer must delete.
//!
//! Each page is written in one transaction, so a kill at any moment leaves
//! either the page's old state or its new one. The Parquet snapshot and the
//! per-run change files are exported from here at the end of a run.
//! The integration token is never stored.

use std::path::Path;

use anyhow::{Context, Result};
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, params};

/// File name of the state database inside the output directory.
pub const STATE_FILE: &str = "state.sqlite";

const SCHEMA: &str = r#"
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    status TEXT NOT NULL,          -- running | completed | interrupted | failed
    full INTEGER NOT NULL,
    config TEXT NOT NULL,          -- fingerprint of what shapes chunks
    summary TEXT                   -- JSON counts
);
CREATE TABLE IF NOT EXISTS pages (
    page_id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    url TEXT NOT NULL,
    parent_id TEXT,
    parent_type TEXT NOT NULL,
    data_source_id TEXT,
    properties TEXT NOT NULL,
    created_time TEXT NOT NULL,
    last_edited_time TEXT NOT NULL,
    markdown TEXT NOT NULL,
    markdown_hash TEXT NOT NULL,
    chunk_count INTEGER NOT NULL,
    status TEXT NOT NULL,          -- ok | failed | skipped | deleted
    error_code TEXT,
    error_message TEXT,
    request_id TEXT,
    skip_reason TEXT,
    written_run TEXT NOT NULL,     -- run that last wrote the row
    seen_run TEXT NOT NULL,        -- last run whose listing or walk found the page
    ingested_at TEXT NOT NULL,
    children TEXT NOT NULL         -- JSON: {"pages": [page objects], "databases": [ids]}
);
CREATE TABLE IF NOT EXISTS chunks (
    page_id TEXT NOT NULL,
    chunk_index INTEGER NOT NULL,
    chunk_id TEXT NOT NULL,
    text TEXT NOT NULL,
    embed_text TEXT NOT NULL,
    token_count INTEGER NOT NULL,
    tokenizer TEXT NOT NULL,
    heading_path TEXT NOT NULL,    -- JSON array
    block_ids TEXT NOT NULL,       -- JSON array
    url TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    run_id TEXT NOT NULL,
    ingested_at TEXT NOT NULL,
    PRIMARY KEY (page_id, chunk_index)
);
CREATE INDEX IF NOT EXISTS chunks_by_run ON chunks (run_id);
CREATE TABLE IF NOT EXISTS deletes (
    run_id TEXT NOT NULL,
    chunk_id TEXT NOT NULL,
    page_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (run_id, chunk_id)
);
"#;

/// Formats a timestamp the way the store keeps it (sortable as text).
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses a stored timestamp.
pub fn parse_ts(text: &str) -> Result<DateTime<Utc>> {
    Ok(DateTime::parse_from_rfc3339(text)
        .with_context(|| format!("bad timestamp {text:?} in the state store"))?
        .with_timezone(&Utc))
}

/// The run being made: new, or an unfinished one resumed.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// The run's id (also in every chunk it writes).
    pub run_id: String,
    /// When the run started (its `ingested_at`).
    pub started_at: DateTime<Utc>,
    /// Whether this continues a run that did not finish.
    pub resumed: bool,
    /// The last completed run, if any: its id and start.
    pub previous: Option<(String, DateTime<Utc>)>,
    /// Whether every page must be read again.
    pub full: bool,
}

/// What the store knows of a page, for change detection.
#[derive(Debug, Clone)]
pub struct PageEntry {
    /// Notion's last edit time when the page was last written.
    pub last_edited_time: String,
    /// Hash of the Markdown last written.
    pub markdown_hash: String,
    /// `ok`, `failed`, `skipped` or `deleted`.
    pub status: String,
    /// The run that last wrote it.
    pub written_run: String,
    /// The child pages and databases it held (JSON).
    pub children: String,
}

/// A page to store, with its page-level columns.
#[derive(Debug, Clone)]
pub struct PageRow {
    pub page_id: String,
    pub title: String,
    pub url: String,
    pub parent_id: Option<String>,
    pub parent_type: String,
    pub data_source_id: Option<String>,
    pub properties: String,
    pub created_time: String,
    pub last_edited_time: String,
    pub markdown: String,
    pub markdown_hash: String,
    pub status: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub request_id: Option<String>,
    pub skip_reason: Option<String>,
    pub children: String,
}

/// A chunk to store.
#[derive(Debug, Clone)]
pub struct ChunkRow {
    pub chunk_index: u32,
    pub chunk_id: String,
    pub text: String,
    pub embed_text: String,
    pub token_count: u32,
    pub tokenizer: String,
    pub heading_path: Vec<String>,
    pub block_ids: Vec<String>,
    pub url: String,
    pub content_hash: String,
}

/// What writing a page changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// New or changed chunks were written.
    Changed,
    /// The Markdown was the same as stored: nothing rewritten.
    Unchanged,
}

/// The state database.
pub struct State {
    conn: Connection,
}

impl State {
    /// Opens (creating if needed) `OUT/state.sqlite`.
    pub fn open(out_dir: &Path) -> Result<State> {
        std::fs::create_dir_all(out_dir)
            .with_context(|| format!("cannot create {}", out_dir.display()))?;
        let path = out_dir.join(STATE_FILE);
        let conn = Connection::open(&path)
            .with_context(|| format!("cannot open the state store {}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.execute_batch(SCHEMA)
            .context("cannot create the state store's tables")?;
        Ok(State { conn })
    }

    /// A second connection to the same database, for reads from another thread.
    pub fn reader(out_dir: &Path) -> Result<State> {
        State::open(out_dir)
    }

    /// Starts a run, or resumes the last one if it did not finish. A resumed
    /// run keeps its id and start time, so its output is the same as if it
    /// had never stopped. `full` forces every page to be read again.
    pub fn begin_run(&mut self, full: bool, config: &str) -> Result<RunInfo> {
        let previous = self
            .conn
            .query_row(
                "SELECT run_id, started_at FROM runs WHERE status = 'completed' ORDER BY started_at DESC LIMIT 1",
                [],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()?
            .map(|(id, at)| Ok::<_, anyhow::Error>((id, parse_ts(&at)?)))
            .transpose()?;
        let unfinished = self
            .conn
            .query_row(
                "SELECT run_id, started_at, full, config FROM runs WHERE status IN ('running', 'interrupted') ORDER BY started_at DESC LIMIT 1",
                [],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?, r.get::<_, String>(3)?)),
            )
            .optional()?;
        if let Some((run_id, started_at, was_full, was_config)) = unfinished {
            if was_config == config {
                self.conn.execute(
                    "UPDATE runs SET status = 'running' WHERE run_id = ?1",
                    params![run_id],
                )?;
                return Ok(RunInfo {
                    run_id,
                    started_at: parse_ts(&started_at)?,
                    resumed: true,
                    previous,
                    full: full || was_full,
                });
            }
            // The configuration changed: the unfinished run cannot be continued as it was.
            self.conn.execute(
                "UPDATE runs SET status = 'abandoned' WHERE run_id = ?1",
                params![run_id],
            )?;
        }
        let started_at = Utc::now();
        let run_id = format!(
            "{}-{}",
            started_at.format("%Y%m%dT%H%M%S%3fZ"),
            &uuid::Uuid::new_v4().simple().to_string()[..6]
        );
        let config_changed = self.last_config()?.is_some_and(|c| c != config);
        let full = full || config_changed;
        self.conn.execute(
            "INSERT INTO runs (run_id, started_at, status, full, config) VALUES (?1, ?2, 'running', ?3, ?4)",
            params![run_id, ts(started_at), full, config],
        )?;
        Ok(RunInfo {
            run_id,
            started_at,
            resumed: false,
            previous,
            full,
        })
    }

    fn last_config(&self) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT config FROM runs WHERE status = 'completed' ORDER BY started_at DESC LIMIT 1", [], |r| r.get(0))
            .optional()?)
    }

    /// Ends a run with a status and its summary.
    pub fn end_run(
        &mut self,
        run_id: &str,
        status: &str,
        summary: &serde_json::Value,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE runs SET status = ?2, ended_at = ?3, summary = ?4 WHERE run_id = ?1",
            params![run_id, status, ts(Utc::now()), summary.to_string()],
        )?;
        Ok(())
    }

    /// What the store knows of a page.
    pub fn page(&self, page_id: &str) -> Result<Option<PageEntry>> {
        Ok(self
            .conn
            .query_row(
                "SELECT last_edited_time, markdown_hash, status, written_run, children FROM pages WHERE page_id = ?1",
                params![page_id],
                |r| {
                    Ok(PageEntry {
                        last_edited_time: r.get(0)?,
                        markdown_hash: r.get(1)?,
                        status: r.get(2)?,
                        written_run: r.get(3)?,
                        children: r.get(4)?,
                    })
                },
            )
            .optional()?)
    }

    /// Notes that a run found a page (listing or walk) without rewriting it.
    pub fn mark_seen(&mut self, run_id: &str, page_id: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE pages SET seen_run = ?2 WHERE page_id = ?1",
            params![page_id, run_id],
        )?;
        Ok(())
    }

    /// Writes a page read successfully and its chunks in one transaction. When the page's
    /// Markdown hash is unchanged and it was ok, nothing is rewritten (the
    /// page is only marked seen). Chunks beyond the new count are recorded as
    /// deletes of this run.
    pub fn write_page(
        &mut self,
        run: &RunInfo,
        page: &PageRow,
        chunks: &[ChunkRow],
    ) -> Result<Written> {
        let tx = self.conn.transaction()?;
        let old: Option<(String, String)> = tx
            .query_row(
                "SELECT markdown_hash, status FROM pages WHERE page_id = ?1",
                params![page.page_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if page.status == "ok"
            && old
                .as_ref()
                .is_some_and(|(hash, status)| hash == &page.markdown_hash && status == "ok")
            && !run.full
        {
            tx.execute(
                "UPDATE pages SET seen_run = ?2, last_edited_time = ?3, children = ?4 WHERE page_id = ?1",
                params![page.page_id, run.run_id, page.last_edited_time, page.children],
            )?;
            tx.commit()?;
            return Ok(Written::Unchanged);
        }
        let run_id = &run.run_id;
        let ingested = ts(run.started_at);
        // Chunks the page no longer has are deleted; the others are overwritten.
        tx.execute(
            "INSERT OR IGNORE INTO deletes (run_id, chunk_id, page_id, reason)
             SELECT ?1, chunk_id, page_id, 'chunk_removed' FROM chunks WHERE page_id = ?2 AND chunk_index >= ?3",
            params![run_id, page.page_id, chunks.len() as i64],
        )?;
        tx.execute(
            "DELETE FROM chunks WHERE page_id = ?1",
            params![page.page_id],
        )?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO chunks (page_id, chunk_index, chunk_id, text, embed_text, token_count, tokenizer, heading_path, block_ids, url, content_hash, run_id, ingested_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?;
            for c in chunks {
                insert.execute(params![
                    page.page_id,
                    c.chunk_index,
                    c.chunk_id,
                    c.text,
                    c.embed_text,
                    c.token_count,
                    c.tokenizer,
                    serde_json::to_string(&c.heading_path)?,
                    serde_json::to_string(&c.block_ids)?,
                    c.url,
                    c.content_hash,
                    run_id,
                    ingested,
                ])?;
            }
        }
        // A chunk id deleted earlier in this run and written again is not a delete.
        tx.execute(
            "DELETE FROM deletes WHERE run_id = ?1 AND page_id = ?2 AND chunk_id IN (SELECT chunk_id FROM chunks WHERE page_id = ?2)",
            params![run_id, page.page_id],
        )?;
        upsert_page(&tx, run, page, Some(chunks.len()))?;
        tx.commit()?;
        Ok(Written::Changed)
    }

    /// Records that a page failed in this run. A page written before keeps
    /// its chunks (nothing is lost to a passing failure); its row says
    /// `failed` with the error until a run reads it again.
    pub fn record_failure(&mut self, run: &RunInfo, page: &PageRow) -> Result<()> {
        let updated = self.conn.execute(
            "UPDATE pages SET status = 'failed', error_code = ?3, error_message = ?4, request_id = ?5, seen_run = ?2 WHERE page_id = ?1",
            params![page.page_id, run.run_id, page.error_code, page.error_message, page.request_id],
        )?;
        if updated == 0 {
            self.insert_without_chunks(run, page)?;
        }
        Ok(())
    }

    /// Records a page found but not crawled (archived, trashed). A page
    /// written before becomes a tombstone: its chunks are deleted. Its row
    /// is then the one a page first met in the trash gets (no Markdown, the
    /// listed time), so the snapshot does not depend on the page's history.
    pub fn record_skip(&mut self, run: &RunInfo, page: &PageRow) -> Result<()> {
        let reason = page.skip_reason.as_deref().unwrap_or("skipped");
        match self.page(&page.page_id)? {
            Some(entry)
                if entry.status == "skipped" && entry.last_edited_time == page.last_edited_time =>
            {
                self.mark_seen(&run.run_id, &page.page_id)?
            }
            entry => {
                if entry.is_some_and(|e| e.status == "ok" || e.status == "failed") {
                    self.tombstone(run, &page.page_id, reason)?;
                }
                self.insert_without_chunks(run, page)?;
            }
        }
        Ok(())
    }

    fn insert_without_chunks(&mut self, run: &RunInfo, page: &PageRow) -> Result<()> {
        upsert_page(&self.conn, run, page, None)
    }

    /// Marks a page deleted (trashed, archived, unshared, gone): all its
    /// chunks become deletes of this run.
    pub fn tombstone(&mut self, run: &RunInfo, page_id: &str, reason: &str) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "INSERT OR IGNORE INTO deletes (run_id, chunk_id, page_id, reason)
             SELECT ?1, chunk_id, page_id, ?3 FROM chunks WHERE page_id = ?2",
            params![run.run_id, page_id, reason],
        )?;
        tx.execute("DELETE FROM chunks WHERE page_id = ?1", params![page_id])?;
        tx.execute(
            "UPDATE pages SET status = 'deleted', skip_reason = ?3, chunk_count = 0, written_run = ?2, seen_run = ?2, markdown = '', ingested_at = ?4
             WHERE page_id = ?1",
            params![page_id, run.run_id, reason, ts(run.started_at)],
        )?;
        tx.commit()?;
        Ok(n)
    }

    /// Pages whose chunks this run deleted because the page went away
    /// (trashed, archived, unshared, deleted), not because it shrank.
    pub fn pages_removed(&self, run_id: &str) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(DISTINCT page_id) FROM deletes WHERE run_id = ?1 AND reason != 'chunk_removed'",
            params![run_id],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    /// Pages that were ok before this run and that this run has not seen.
    pub fn unseen_pages(&self, run_id: &str) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare(
            "SELECT page_id FROM pages WHERE status = 'ok' AND seen_run != ?1 ORDER BY page_id",
        )?;
        let ids = stmt
            .query_map(params![run_id], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(ids)
    }

    /// The connection, for the exporters.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// Writes a page's row as this run's. `chunk_count` is `None` for a page
/// without content (failed, skipped): no Markdown, no chunks, no children.
fn upsert_page(
    conn: &Connection,
    run: &RunInfo,
    page: &PageRow,
    chunk_count: Option<usize>,
) -> Result<()> {
    let (markdown, hash, children) = match chunk_count {
        Some(_) => (
            page.markdown.as_str(),
            page.markdown_hash.as_str(),
            page.children.as_str(),
        ),
        None => ("", "", "{}"),
    };
    conn.execute(
        "INSERT INTO pages (page_id, title, url, parent_id, parent_type, data_source_id, properties, created_time, last_edited_time,
                            markdown, markdown_hash, chunk_count, status, error_code, error_message, request_id, skip_reason,
                            written_run, seen_run, ingested_at, children)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18, ?19, ?20)
         ON CONFLICT (page_id) DO UPDATE SET
            title = excluded.title, url = excluded.url, parent_id = excluded.parent_id, parent_type = excluded.parent_type,
            data_source_id = excluded.data_source_id, properties = excluded.properties, created_time = excluded.created_time,
            last_edited_time = excluded.last_edited_time, markdown = excluded.markdown, markdown_hash = excluded.markdown_hash,
            chunk_count = excluded.chunk_count, status = excluded.status, error_code = excluded.error_code,
            error_message = excluded.error_message, request_id = excluded.request_id, skip_reason = excluded.skip_reason,
            written_run = excluded.written_run, seen_run = excluded.seen_run, ingested_at = excluded.ingested_at,
            children = excluded.children",
        params![
            page.page_id,
            page.title,
            page.url,
            page.parent_id,
            page.parent_type,
            page.data_source_id,
            page.properties,
            page.created_time,
            page.last_edited_time,
            markdown,
            hash,
            chunk_count.unwrap_or(0) as i64,
            page.status,
            page.error_code,
            page.error_message,
            page.request_id,
            page.skip_reason,
            run.run_id,
            ts(run.started_at),
            children,
        ],
    )?;
    Ok(())
}
