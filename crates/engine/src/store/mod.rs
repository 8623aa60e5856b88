//! The state store: an SQLite database beside the output (`state.sqlite`)
//! that makes runs incremental, resumable and rebuildable without requests.
//!
//! It is the source of truth for the output:
//! - `runs`: every run, its scope, status, fingerprints and summary; an
//!   unfinished run is resumed by the next start under the same id.
//! - `pages`: per page its status, title, edit time, its raw content as read
//!   (compressed, so Markdown and chunks can be rebuilt with no request), the
//!   [`sink::PageRecord`] the snapshot holds, and its child documents.
//! - `refs` and `objects`: the pages, databases and users each page names,
//!   with the title its last build showed, so a renamed page makes the pages
//!   that name it build again; `users`: people's names.
//! - `listing`: the last listing of the shared hierarchy (`tree`, `select`),
//!   and per page its stored block count (see [`Store::known_pages`]).
//! - `chunks`: every live [`sink::ChunkRecord`], `pending` until a published
//!   change set holds it; `deletes`: chunk ids no published change set has
//!   deleted yet.
//! - `webhook_events` and `webhook_token`: what `serve`'s receiver accepted
//!   ([`EventLog`]).
//!
//! Each page is written in one transaction, so a kill at any moment leaves
//! its old state or its new one. All SQL lives in this module; its public
//! API speaks in the engine's types, never in rusqlite's. Errors are
//! [`StoreError`]s, never turned into "read this page again".

mod events;
mod listing;
mod schema;
mod v1;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use notion_source::crawler::FetchStrategy;
use rusqlite::{Connection, OptionalExtension, params};
use sink::{ChunkRecord, PageRecord};

pub use events::{EventLog, IGNORED};
pub use listing::CachedListing;
pub use schema::SCHEMA_VERSION;

/// File name of the state database in the state directory.
pub const STATE_FILE: &str = "state.sqlite";

/// Each connection's SQLite page cache, in KiB (see [`Store::open`]).
const PAGE_CACHE_KIB: u32 = 256;

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed (I/O, a locked or corrupt database).
    #[error("state store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored value could not be encoded or decoded.
    #[error("state store: bad JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The store was written by a newer release.
    #[error(
        "the state store has schema version {found}; this release reads up to {supported}: upgrade notion-ingest"
    )]
    NewerSchema {
        /// The version found.
        found: i64,
        /// The newest this build knows.
        supported: i64,
    },
    /// A stored value makes no sense.
    #[error("state store: unreadable {what}")]
    Corrupt {
        /// What could not be read.
        what: String,
    },
    /// The file could not be created or opened.
    #[error("cannot open the state store {path}: {source}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// What became of a page, as the store tracks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PageStatus {
    /// Read; its record and chunks are in the snapshot.
    Ok,
    /// The last read failed; chunks an earlier run wrote are kept.
    Failed,
    /// Found but not read (trashed, archived).
    Skipped,
    /// Gone (trashed, deleted, unshared, excluded): its chunks were deleted.
    Deleted,
}

/// How a run ended (or that it is still going).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Going on, or killed: the next start resumes it.
    Running,
    /// Published its change set and snapshot.
    Completed,
    /// Stopped by a signal: the next start resumes it.
    Interrupted,
    /// Stopped by an error.
    Failed,
    /// Given up: its settings no longer match, or it was partial.
    Abandoned,
}

/// What a run covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunScope {
    /// Everything shared (or every configured root): deletions are detected
    /// by absence.
    Complete,
    /// A given list of pages and data sources: nothing else is read or deleted.
    Partial,
}

/// Why a chunk leaves the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeleteReason {
    /// Its page now has fewer chunks.
    ChunkRemoved,
    /// Its page was moved to the trash.
    Trashed,
    /// Its page was archived.
    Archived,
    /// Its page is gone or no longer shared (404).
    NotFound,
    /// Its page left the configured scope (`exclude`, roots).
    Excluded,
    /// The published snapshot held it but the store does not (a store lost or
    /// replaced): deleted to make the output match the store.
    Reconciled,
}

macro_rules! text_enum {
    ($ty:ty { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// The value as stored and written in the output.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// Parses a stored value.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(PageStatus { Ok => "ok", Failed => "failed", Skipped => "skipped", Deleted => "deleted" });
text_enum!(RunStatus {
    Running => "running",
    Completed => "completed",
    Interrupted => "interrupted",
    Failed => "failed",
    Abandoned => "abandoned",
});
text_enum!(RunScope { Complete => "complete", Partial => "partial" });
text_enum!(DeleteReason {
    ChunkRemoved => "chunk_removed",
    Trashed => "trashed",
    Archived => "archived",
    NotFound => "not_found",
    Excluded => "excluded",
    Reconciled => "reconciled",
});

/// Formats a time as the store keeps it (RFC 3339, milliseconds, sortable).
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses a stored time.
pub(crate) fn parse_time(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StoreError::Corrupt {
            what: format!("timestamp {text:?}"),
        })
}

fn parse_enum<T>(text: &str, parse: fn(&str) -> Option<T>, what: &str) -> Result<T, StoreError> {
    parse(text).ok_or_else(|| StoreError::Corrupt {
        what: format!("{what} {text:?}"),
    })
}

/// What starts a run.
#[derive(Debug, Clone)]
pub struct RunStart {
    /// What it covers.
    pub scope: RunScope,
    /// Read every page again.
    pub full: bool,
    /// What raw content depends on (the fetch strategy, properties completion).
    pub fetch_fingerprint: String,
    /// What Markdown and chunks depend on (renderer, chunker settings).
    pub build_fingerprint: String,
}

/// The run being made: new, or an unfinished one resumed.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// The run's id (in every record it writes).
    pub run_id: String,
    /// When the run started, on the local clock (its `ingested_at`).
    pub started_at: DateTime<Utc>,
    /// Whether this continues a run that did not finish.
    pub resumed: bool,
    /// The last completed complete-scope run, if any.
    pub previous: Option<PreviousRun>,
    /// Every page is read again.
    pub full: bool,
    /// What the run covers.
    pub scope: RunScope,
    /// See [`RunStart::fetch_fingerprint`].
    pub fetch_fingerprint: String,
    /// See [`RunStart::build_fingerprint`].
    pub build_fingerprint: String,
}

/// A finished run the planner compares against.
#[derive(Debug, Clone)]
pub struct PreviousRun {
    /// Its id.
    pub run_id: String,
    /// When it started on the local clock.
    pub started_at: DateTime<Utc>,
    /// When it started on Notion's clock, when known.
    pub notion_started_at: Option<DateTime<Utc>>,
}

/// What the planner needs to know of a stored page.
#[derive(Debug, Clone)]
pub struct PlanEntry {
    /// Its status.
    pub status: PageStatus,
    /// Notion's edit time when it was last read or listed.
    pub last_edited_time: DateTime<Utc>,
    /// The run that last read its content.
    pub read_run: Option<String>,
    /// Whether its raw content is stored.
    pub has_raw: bool,
    /// The fetch fingerprint its raw content was read with.
    pub fetch_fingerprint: Option<String>,
    /// Its child documents, as JSON.
    pub children: String,
}

/// A page's content as read, to store.
#[derive(Debug, Clone)]
pub struct ReadPage<'a> {
    /// Page id.
    pub page_id: &'a str,
    /// Title as listed.
    pub title: &'a str,
    /// Notion's edit time.
    pub last_edited_time: DateTime<Utc>,
    /// The ids of its parent and, for a data source row, its database.
    pub containers: Vec<String>,
    /// The compressed raw content.
    pub raw: &'a [u8],
    /// A hash of the uncompressed raw content.
    pub raw_hash: &'a str,
    /// See [`RunStart::fetch_fingerprint`].
    pub fetch_fingerprint: &'a str,
    /// How its content was read (the `pages.fetch` column).
    pub fetch: FetchStrategy,
    /// Its child documents, as JSON.
    pub children: &'a str,
    /// Pages, databases and users its content names.
    pub refs: &'a BTreeSet<String>,
    /// Databases its content shows with their titles (`child_database`).
    pub objects: &'a [(String, String)],
    /// Blocks in its content, at every depth.
    pub blocks: u64,
    /// The record kept until the page is built (a new page's placeholder).
    pub record: &'a PageRecord,
}

/// What a build of a page produced.
#[derive(Debug, Clone)]
pub struct BuiltPage {
    /// The page record.
    pub record: PageRecord,
    /// Its chunks, in order.
    pub chunks: Vec<ChunkRecord>,
    /// The titles the build showed for the page's references (`None`: unknown).
    pub titles_used: Vec<(String, Option<String>)>,
    /// The raw hash built from.
    pub raw_hash: String,
    /// The build fingerprint.
    pub build_fingerprint: String,
}

/// What storing a built page changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    /// Chunks written anew (they go into the change set).
    pub chunks_upserted: u64,
    /// Tokens in those chunks.
    pub tokens_upserted: u64,
    /// Chunk ids deleted because the page has fewer chunks.
    pub chunks_removed: u64,
    /// Whether the page's record changed.
    pub record_changed: bool,
}

/// A stored page's content, to build it.
#[derive(Debug, Clone)]
pub struct StoredContent {
    /// The compressed raw content.
    pub raw: Vec<u8>,
    /// Its hash.
    pub raw_hash: String,
    /// The page's current record (for its status and history).
    pub record: PageRecord,
    /// The ids its content names.
    pub refs: Vec<String>,
}

/// A page with content, with what the store knows of where it lives.
#[derive(Debug, Clone)]
pub struct LivePage {
    /// Page id.
    pub page_id: String,
    /// Its ancestors as far as the store knows them, nearest first (pages,
    /// databases, blocks).
    pub ancestors: Vec<String>,
    /// Whether the run asked about found it (listing or walk).
    pub seen: bool,
}

/// The state database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Writes a consistent copy of the whole store to `path` (which must not
    /// exist), for uploading next to a remote output.
    pub fn copy_to(&self, path: &Path) -> Result<(), StoreError> {
        self.conn
            .execute("VACUUM INTO ?1", [path.to_string_lossy().as_ref()])?;
        Ok(())
    }

    /// Opens (creating if needed, readable by its owner only) the store in
    /// `dir`, upgrading an older schema in place.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let open_error = |source| StoreError::Open {
            path: dir.join(STATE_FILE),
            source,
        };
        std::fs::create_dir_all(dir).map_err(open_error)?;
        let path = dir.join(STATE_FILE);
        create_private(&path).map_err(open_error)?;
        let mut conn = Connection::open(&path)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        // A page cache of 256 KiB per connection, not SQLite's default 2 MiB:
        // a run over many workspaces holds two or three connections to each
        // workspace's store, and the default caches filled as large stores
        // grew (2 MB per workspace of 1,000 pages, BENCHMARKS.md "Many
        // workspaces"); the operating system's file cache still holds the
        // database, and a single workspace's run was no slower.
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -{};",
            PAGE_CACHE_KIB
        ))?;
        // Every transaction here writes. In WAL mode a deferred one that reads
        // before its first write fails at once with "database is locked" (no
        // busy wait) when another connection committed in between (`serve`'s
        // event log beside a run); taking the write lock first makes it wait.
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        schema::migrate(&mut conn)?;
        Ok(Store { conn, path })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    // ---- runs ------------------------------------------------------------

    /// Starts a run, or resumes the last one if it did not finish and has the
    /// same scope and fingerprints (a partial run is never resumed: its
    /// caller queues its work again).
    pub fn begin_run(&mut self, start: &RunStart) -> Result<RunInfo, StoreError> {
        let previous = self
            .conn
            .query_row(
                "SELECT run_id, started_at, notion_started_at FROM runs
                 WHERE status = 'completed' AND scope = 'complete' ORDER BY started_at DESC LIMIT 1",
                [],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?)),
            )
            .optional()?
            .map(|(run_id, at, notion)| {
                Ok::<_, StoreError>(PreviousRun {
                    run_id,
                    started_at: parse_time(&at)?,
                    notion_started_at: notion.as_deref().map(parse_time).transpose()?,
                })
            })
            .transpose()?;
        let unfinished = self
            .conn
            .query_row(
                "SELECT run_id, started_at, full, scope, fetch_fingerprint, build_fingerprint FROM runs
                 WHERE status IN ('running', 'interrupted') ORDER BY started_at DESC LIMIT 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, bool>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                },
            )
            .optional()?;
        if let Some((run_id, started_at, was_full, scope, fetch, build)) = unfinished {
            let same = scope == RunScope::Complete.as_str()
                && start.scope == RunScope::Complete
                && fetch == start.fetch_fingerprint
                && build == start.build_fingerprint;
            if same {
                self.set_run_status(&run_id, RunStatus::Running)?;
                return Ok(RunInfo {
                    run_id,
                    started_at: parse_time(&started_at)?,
                    resumed: true,
                    previous,
                    full: start.full || was_full,
                    scope: start.scope,
                    fetch_fingerprint: fetch,
                    build_fingerprint: build,
                });
            }
            self.set_run_status(&run_id, RunStatus::Abandoned)?;
        }
        let started_at = Utc::now();
        let run_id = format!(
            "{}-{}",
            started_at.format("%Y%m%dT%H%M%S%3fZ"),
            &uuid::Uuid::new_v4().simple().to_string()[..6]
        );
        self.conn.execute(
            "INSERT INTO runs (run_id, started_at, status, scope, full, fetch_fingerprint, build_fingerprint)
             VALUES (?1, ?2, 'running', ?3, ?4, ?5, ?6)",
            params![
                run_id,
                format_time(started_at),
                start.scope.as_str(),
                start.full,
                start.fetch_fingerprint,
                start.build_fingerprint
            ],
        )?;
        Ok(RunInfo {
            run_id,
            started_at,
            resumed: false,
            previous,
            full: start.full,
            scope: start.scope,
            fetch_fingerprint: start.fetch_fingerprint.clone(),
            build_fingerprint: start.build_fingerprint.clone(),
        })
    }

    fn set_run_status(&mut self, run_id: &str, status: RunStatus) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE runs SET status = ?2 WHERE run_id = ?1",
            params![run_id, status.as_str()],
        )?;
        Ok(())
    }

    /// Records when the run started on Notion's clock (kept if already set:
    /// a resumed run keeps its first value).
    pub fn set_notion_start(&mut self, run_id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE runs SET notion_started_at = ?2 WHERE run_id = ?1 AND notion_started_at IS NULL",
            params![run_id, format_time(at)],
        )?;
        Ok(())
    }

    /// Ends a run with a status and its summary.
    pub fn end_run(
        &mut self,
        run_id: &str,
        status: RunStatus,
        summary: &serde_json::Value,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE runs SET status = ?2, ended_at = ?3, summary = ?4 WHERE run_id = ?1",
            params![
                run_id,
                status.as_str(),
                format_time(Utc::now()),
                summary.to_string()
            ],
        )?;
        Ok(())
    }

    /// The summary the last completed run stored (its [`RunReport`](crate::RunReport)
    /// as JSON), with its run id; `None` before the first completed run.
    pub fn last_completed_summary(
        &self,
    ) -> Result<Option<(String, serde_json::Value)>, StoreError> {
        let row: Option<(String, Option<String>)> = self
            .conn
            .query_row(
                "SELECT run_id, summary FROM runs WHERE status = ?1 \
                 ORDER BY ended_at DESC, run_id DESC LIMIT 1",
                params![RunStatus::Completed.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(row.map(|(run_id, summary)| {
            let summary = summary
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or(serde_json::Value::Null);
            (run_id, summary)
        }))
    }

    // ---- meta ------------------------------------------------------------

    /// A value of the `meta` table.
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Sets a value of the `meta` table.
    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    // ---- users -----------------------------------------------------------

    /// Replaces the workspace's user names.
    pub fn set_users(&mut self, users: &HashMap<String, String>) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM users", [])?;
        {
            let mut insert = tx.prepare("INSERT INTO users (id, name) VALUES (?1, ?2)")?;
            for (id, name) in users {
                insert.execute(params![id, name])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    // ---- pages: crawling -------------------------------------------------

    /// What the store knows of a page, for the planner.
    pub fn plan_entry(&self, page_id: &str) -> Result<Option<PlanEntry>, StoreError> {
        self.conn
            .query_row(
                "SELECT status, last_edited_time, read_run, raw IS NOT NULL, fetch_fingerprint, children
                 FROM pages WHERE page_id = ?1",
                params![page_id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, bool>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                },
            )
            .optional()?
            .map(|(status, edited, read_run, has_raw, fetch, children)| {
                Ok(PlanEntry {
                    status: parse_enum(&status, PageStatus::parse, "page status")?,
                    last_edited_time: parse_time(&edited)?,
                    read_run,
                    has_raw,
                    fetch_fingerprint: fetch,
                    children,
                })
            })
            .transpose()
    }

    /// Notes that a run found a page (listing or walk) without reading it.
    pub fn mark_seen(&mut self, run_id: &str, page_id: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE pages SET seen_run = ?2 WHERE page_id = ?1",
            params![page_id, run_id],
        )?;
        Ok(())
    }

    /// Stores a page's content as read, in one transaction. Returns whether
    /// the content differs from what was stored (when it does not, nothing
    /// needs building).
    pub fn store_read(&mut self, run: &RunInfo, page: &ReadPage<'_>) -> Result<bool, StoreError> {
        let tx = self.conn.transaction()?;
        let old: Option<(Option<String>, String)> = tx
            .query_row(
                "SELECT raw_hash, status FROM pages WHERE page_id = ?1",
                params![page.page_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let containers = serde_json::to_string(&page.containers)?;
        let changed = match &old {
            Some((Some(hash), status)) => hash != page.raw_hash || status != "ok",
            _ => true,
        };
        if old.is_none() {
            tx.execute(
                "INSERT INTO pages (page_id, status, title, containers, last_edited_time, record, children, seen_run, written_run)
                 VALUES (?1, 'ok', ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                params![
                    page.page_id,
                    page.title,
                    containers,
                    format_time(page.last_edited_time),
                    serde_json::to_string(page.record)?,
                    page.children,
                    run.run_id
                ],
            )?;
        }
        tx.execute(
            "UPDATE pages SET status = 'ok', title = ?2, containers = ?3, last_edited_time = ?4, raw = ?5,
                    raw_hash = ?6, fetch_fingerprint = ?7, children = ?8, read_run = ?9, seen_run = ?9,
                    fetch = ?10, blocks = ?11
             WHERE page_id = ?1",
            params![
                page.page_id,
                page.title,
                containers,
                format_time(page.last_edited_time),
                page.raw,
                page.raw_hash,
                page.fetch_fingerprint,
                page.children,
                run.run_id,
                page.fetch.as_str(),
                page.blocks as i64
            ],
        )?;
        if changed {
            tx.execute(
                "DELETE FROM refs WHERE page_id = ?1 AND target_id NOT IN (SELECT value FROM json_each(?2))",
                params![page.page_id, serde_json::to_string(page.refs)?],
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO refs (page_id, target_id, title_used) VALUES (?1, ?2, NULL)",
            )?;
            for target in page.refs {
                insert.execute(params![page.page_id, target])?;
            }
            drop(insert);
            tx.execute(
                "DELETE FROM objects WHERE page_id = ?1",
                params![page.page_id],
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT OR REPLACE INTO objects (id, page_id, title) VALUES (?1, ?2, ?3)",
            )?;
            for (id, title) in page.objects {
                insert.execute(params![id, page.page_id, title])?;
            }
        }
        tx.commit()?;
        Ok(changed)
    }

    /// Records that a page could not be read in this run. A page written
    /// before keeps its chunks (a passing failure loses nothing); its record
    /// says `failed` with the error until a run reads it again.
    pub fn record_failure(
        &mut self,
        run: &RunInfo,
        page_id: &str,
        title: &str,
        last_edited_time: DateTime<Utc>,
        record: &PageRecord,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let old: Option<String> = tx
            .query_row(
                "SELECT record FROM pages WHERE page_id = ?1 AND status IN ('ok', 'failed')",
                params![page_id],
                |r| r.get(0),
            )
            .optional()?;
        let record = match old {
            Some(old) => {
                let mut kept: PageRecord = serde_json::from_str(&old)?;
                kept.status = record.status.clone();
                kept.run_id = record.run_id.clone();
                kept.ingested_at = record.ingested_at;
                kept
            }
            None => record.clone(),
        };
        tx.execute(
            "INSERT INTO pages (page_id, status, title, last_edited_time, record, children, seen_run, written_run)
             VALUES (?1, 'failed', ?2, ?3, ?4, '{}', ?5, ?5)
             ON CONFLICT (page_id) DO UPDATE SET status = 'failed', title = excluded.title,
                record = excluded.record, seen_run = excluded.seen_run, written_run = excluded.written_run",
            params![
                page_id,
                title,
                format_time(last_edited_time),
                serde_json::to_string(&record)?,
                run.run_id
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Records a page found but not read (trashed, archived). A page that had
    /// content is tombstoned first (its chunks become deletes). A page that
    /// was already skipped with the same edit time is only marked seen, so
    /// its record does not depend on the page's history.
    pub fn record_skip(
        &mut self,
        run: &RunInfo,
        page_id: &str,
        title: &str,
        last_edited_time: DateTime<Utc>,
        reason: DeleteReason,
        record: &PageRecord,
    ) -> Result<(), StoreError> {
        let old: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT status, last_edited_time FROM pages WHERE page_id = ?1",
                params![page_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((status, edited)) = &old {
            if status == "skipped" && *edited == format_time(last_edited_time) {
                return self.mark_seen(&run.run_id, page_id);
            }
            if status == "ok" || status == "failed" {
                self.tombstone(run, page_id, reason)?;
            }
        }
        self.conn.execute(
            "INSERT INTO pages (page_id, status, title, last_edited_time, record, children, seen_run, written_run)
             VALUES (?1, 'skipped', ?2, ?3, ?4, '{}', ?5, ?5)
             ON CONFLICT (page_id) DO UPDATE SET status = 'skipped', title = excluded.title,
                last_edited_time = excluded.last_edited_time, record = excluded.record, raw = NULL,
                raw_hash = NULL, built_raw_hash = NULL, seen_run = excluded.seen_run,
                written_run = excluded.written_run",
            params![
                page_id,
                title,
                format_time(last_edited_time),
                serde_json::to_string(record)?,
                run.run_id
            ],
        )?;
        Ok(())
    }

    /// Marks a page gone: all its chunks become deletes, its content, record,
    /// references and objects are dropped. Returns the chunks deleted.
    pub fn tombstone(
        &mut self,
        run: &RunInfo,
        page_id: &str,
        reason: DeleteReason,
    ) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "INSERT OR REPLACE INTO deletes (chunk_id, page_id, reason, run_id)
             SELECT chunk_id, page_id, ?3, ?2 FROM chunks WHERE page_id = ?1",
            params![page_id, run.run_id, reason.as_str()],
        )?;
        tx.execute("DELETE FROM chunks WHERE page_id = ?1", params![page_id])?;
        tx.execute("DELETE FROM refs WHERE page_id = ?1", params![page_id])?;
        tx.execute("DELETE FROM objects WHERE page_id = ?1", params![page_id])?;
        tx.execute(
            "UPDATE pages SET status = 'deleted', raw = NULL, raw_hash = NULL, built_raw_hash = NULL,
                    markdown_hash = NULL, seen_run = ?2, written_run = ?2
             WHERE page_id = ?1",
            params![page_id, run.run_id],
        )?;
        tx.commit()?;
        Ok(n)
    }

    /// Every page with content (ok or failed), with its ancestors as the
    /// store knows them and whether run `run_id` found it, in id order.
    pub fn live_pages(&self, run_id: &str) -> Result<Vec<LivePage>, StoreError> {
        let ids: Vec<(String, bool)> = self
            .conn
            .prepare(
                "SELECT page_id, seen_run = ?1 FROM pages WHERE status IN ('ok', 'failed') ORDER BY page_id",
            )?
            .query_map(params![run_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Where each page and database sits: its own parents, and the page
        // whose content lists it (for pages under blocks, and databases).
        let mut up: HashMap<String, Vec<String>> = HashMap::new();
        let mut stmt = self
            .conn
            .prepare("SELECT page_id, containers, children FROM pages WHERE status != 'deleted'")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let page_id: String = r.get(0)?;
            let containers: Vec<String> = r
                .get::<_, Option<String>>(1)?
                .map(|json| serde_json::from_str(&json))
                .transpose()?
                .unwrap_or_default();
            up.entry(page_id.clone()).or_default().extend(containers);
            let children: serde_json::Value = serde_json::from_str(&r.get::<_, String>(2)?)?;
            let listed = children["pages"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p["id"].as_str())
                .chain(
                    children["databases"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|d| d.as_str()),
                );
            for child in listed {
                up.entry(child.to_string())
                    .or_default()
                    .push(page_id.clone());
            }
        }
        Ok(ids
            .into_iter()
            .map(|(page_id, seen)| {
                let mut ancestors = Vec::new();
                let mut visited = BTreeSet::from([page_id.clone()]);
                let mut queue = vec![page_id.clone()];
                while let Some(id) = queue.pop() {
                    for next in up.get(&id).into_iter().flatten() {
                        if visited.insert(next.clone()) {
                            ancestors.push(next.clone());
                            queue.push(next.clone());
                        }
                    }
                }
                LivePage {
                    page_id,
                    ancestors,
                    seen,
                }
            })
            .collect())
    }

    // ---- pages: building -------------------------------------------------

    /// The pages whose record and chunks must be built: content read since
    /// the last build, a different build fingerprint, or a referenced title
    /// that is not the one the last build showed. In page id order.
    pub fn pages_to_build(&self, build_fingerprint: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT page_id FROM pages p
             WHERE status = 'ok' AND raw IS NOT NULL AND (
                built_raw_hash IS NOT raw_hash OR build_fingerprint IS NOT ?1
                OR EXISTS (SELECT 1 FROM refs r WHERE r.page_id = p.page_id
                           AND r.title_used IS NOT (SELECT MIN(title) FROM index_titles t WHERE t.id = r.target_id)))
             ORDER BY page_id",
        )?;
        let ids = stmt
            .query_map(params![build_fingerprint], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(ids)
    }

    /// Pages whose content is not stored although their record is stale for
    /// `build_fingerprint` (a store upgraded from version 1): they must be
    /// read again to be rebuilt.
    pub fn needs_read_to_build(
        &self,
        page_id: &str,
        build_fingerprint: &str,
    ) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM pages WHERE page_id = ?1 AND status = 'ok' AND raw IS NULL
                 AND build_fingerprint IS NOT ?2",
                params![page_id, build_fingerprint],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// A page's stored content, to build it.
    pub fn content(&self, page_id: &str) -> Result<Option<StoredContent>, StoreError> {
        let row: Option<(Vec<u8>, String, String)> = self
            .conn
            .query_row(
                "SELECT raw, raw_hash, record FROM pages WHERE page_id = ?1 AND raw IS NOT NULL",
                params![page_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((raw, raw_hash, record)) = row else {
            return Ok(None);
        };
        let refs = self
            .conn
            .prepare_cached("SELECT target_id FROM refs WHERE page_id = ?1 ORDER BY target_id")?
            .query_map(params![page_id], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(Some(StoredContent {
            raw,
            raw_hash,
            record: serde_json::from_str(&record)?,
            refs,
        }))
    }

    /// The titles (and user names) the index holds for `ids`; an id the index
    /// does not know is absent.
    pub fn titles(&self, ids: &[String]) -> Result<HashMap<String, String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT MIN(title) FROM index_titles WHERE id = ?1")?;
        let mut titles = HashMap::new();
        for id in ids {
            let title: Option<String> = stmt.query_row(params![id], |r| r.get(0))?;
            if let Some(title) = title {
                titles.insert(id.clone(), title);
            }
        }
        Ok(titles)
    }

    /// Whether an id names a user the store knows.
    pub fn user_ids(&self, ids: &[String]) -> Result<BTreeSet<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM users WHERE id = ?1")?;
        let mut users = BTreeSet::new();
        for id in ids {
            if stmt.exists(params![id])? {
                users.insert(id.clone());
            }
        }
        Ok(users)
    }

    /// Stores a built page in one transaction: its record and the chunks that
    /// changed (pending until a change set publishes them), deletes for the
    /// chunks it no longer has, and the titles its references showed. A
    /// record or chunk equal to the stored one but for its run and time is
    /// kept as it was.
    pub fn write_built(
        &mut self,
        run: &RunInfo,
        page_id: &str,
        built: &BuiltPage,
    ) -> Result<Written, StoreError> {
        let tx = self.conn.transaction()?;
        let mut written = Written::default();
        let old: HashMap<u32, ChunkRecord> = {
            let mut stmt =
                tx.prepare_cached("SELECT chunk_index, record FROM chunks WHERE page_id = ?1")?;
            let rows = stmt.query_map(params![page_id], |r| {
                Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?))
            })?;
            let mut old = HashMap::new();
            for row in rows {
                let (index, json) = row?;
                old.insert(index, serde_json::from_str(&json)?);
            }
            old
        };
        {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO chunks (page_id, chunk_index, chunk_id, run_id, pending, record)
                 VALUES (?1, ?2, ?3, ?4, 1, ?5)
                 ON CONFLICT (page_id, chunk_index) DO UPDATE SET chunk_id = excluded.chunk_id,
                    run_id = excluded.run_id, pending = 1, record = excluded.record",
            )?;
            let mut undelete = tx.prepare_cached("DELETE FROM deletes WHERE chunk_id = ?1")?;
            for chunk in &built.chunks {
                if old
                    .get(&chunk.chunk_index)
                    .is_some_and(|o| same_chunk(o, chunk))
                {
                    continue;
                }
                upsert.execute(params![
                    page_id,
                    chunk.chunk_index,
                    chunk.chunk_id,
                    run.run_id,
                    serde_json::to_string(chunk)?
                ])?;
                undelete.execute(params![chunk.chunk_id])?;
                written.chunks_upserted += 1;
                written.tokens_upserted += u64::from(chunk.token_count);
            }
        }
        let count = built.chunks.len() as u32;
        written.chunks_removed = tx.execute(
            "INSERT OR REPLACE INTO deletes (chunk_id, page_id, reason, run_id)
             SELECT chunk_id, page_id, 'chunk_removed', ?3 FROM chunks WHERE page_id = ?1 AND chunk_index >= ?2",
            params![page_id, count, run.run_id],
        )? as u64;
        tx.execute(
            "DELETE FROM chunks WHERE page_id = ?1 AND chunk_index >= ?2",
            params![page_id, count],
        )?;
        let old_record: Option<PageRecord> = tx
            .query_row(
                "SELECT record FROM pages WHERE page_id = ?1",
                params![page_id],
                |r| r.get::<_, String>(0),
            )
            .optional()?
            .map(|json| serde_json::from_str(&json))
            .transpose()?;
        written.record_changed = written.chunks_upserted > 0
            || written.chunks_removed > 0
            || !old_record.is_some_and(|old| same_page(&old, &built.record));
        if written.record_changed {
            tx.execute(
                "UPDATE pages SET record = ?2, markdown_hash = ?3, written_run = ?4 WHERE page_id = ?1",
                params![
                    page_id,
                    serde_json::to_string(&built.record)?,
                    built.record.markdown_hash,
                    run.run_id
                ],
            )?;
        }
        tx.execute(
            "UPDATE pages SET built_raw_hash = ?2, build_fingerprint = ?3 WHERE page_id = ?1",
            params![page_id, built.raw_hash, built.build_fingerprint],
        )?;
        {
            let mut set = tx.prepare_cached(
                "UPDATE refs SET title_used = ?3 WHERE page_id = ?1 AND target_id = ?2",
            )?;
            for (target, title) in &built.titles_used {
                set.execute(params![page_id, target, title])?;
            }
        }
        tx.commit()?;
        Ok(written)
    }

    // ---- export ----------------------------------------------------------

    /// Calls `f` with every live chunk (only the pending ones when `pending`),
    /// in page and chunk order.
    pub fn for_each_chunk<E: From<StoreError>>(
        &self,
        pending: bool,
        mut f: impl FnMut(ChunkRecord) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut stmt = self
            .conn
            .prepare("SELECT record FROM chunks WHERE pending >= ?1 ORDER BY page_id, chunk_index")
            .map_err(StoreError::from)?;
        let mut rows = stmt.query(params![pending]).map_err(StoreError::from)?;
        while let Some(r) = rows.next().map_err(StoreError::from)? {
            let json: String = r.get(0).map_err(StoreError::from)?;
            f(serde_json::from_str(&json).map_err(StoreError::from)?)?;
        }
        Ok(())
    }

    /// Calls `f` with every pending delete (chunk id, page id, reason, run id),
    /// in page and chunk id order.
    pub fn for_each_delete<E: From<StoreError>>(
        &self,
        mut f: impl FnMut(sink::DeleteRecord) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT chunk_id, page_id, reason, run_id FROM deletes ORDER BY page_id, chunk_id",
            )
            .map_err(StoreError::from)?;
        let mut rows = stmt.query([]).map_err(StoreError::from)?;
        while let Some(r) = rows.next().map_err(StoreError::from)? {
            let row = (|| {
                Ok::<_, rusqlite::Error>(sink::DeleteRecord {
                    chunk_id: r.get(0)?,
                    page_id: r.get(1)?,
                    reason: r.get(2)?,
                    run_id: r.get(3)?,
                })
            })()
            .map_err(StoreError::from)?;
            f(row)?;
        }
        Ok(())
    }

    /// Calls `f` with the record of every page that is not deleted, in id order.
    pub fn for_each_page<E: From<StoreError>>(
        &self,
        mut f: impl FnMut(PageRecord) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut stmt = self
            .conn
            .prepare("SELECT record FROM pages WHERE status != 'deleted' ORDER BY page_id")
            .map_err(StoreError::from)?;
        let mut rows = stmt.query([]).map_err(StoreError::from)?;
        while let Some(r) = rows.next().map_err(StoreError::from)? {
            let json: String = r.get(0).map_err(StoreError::from)?;
            f(serde_json::from_str(&json).map_err(StoreError::from)?)?;
        }
        Ok(())
    }

    /// Counts of what the next change set will hold: (pending chunks, pending
    /// deletes, pages whose deletes are not `chunk_removed`).
    pub fn pending_counts(&self) -> Result<(u64, u64, u64), StoreError> {
        let (chunks, deletes, pages): (i64, i64, i64) = self.conn.query_row(
            "SELECT (SELECT COUNT(*) FROM chunks WHERE pending = 1),
                    (SELECT COUNT(*) FROM deletes),
                    (SELECT COUNT(DISTINCT page_id) FROM deletes WHERE reason != 'chunk_removed')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        Ok((chunks as u64, deletes as u64, pages as u64))
    }

    /// After a change set was published: nothing is pending any more.
    pub fn mark_published(&mut self) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute("UPDATE chunks SET pending = 0 WHERE pending = 1", [])?;
        tx.execute("DELETE FROM deletes", [])?;
        tx.commit()?;
        Ok(())
    }

    /// Reconciles with a published snapshot the store did not write (the
    /// store was lost, replaced, or the snapshot changed behind its back):
    /// every live chunk becomes pending again, and every published chunk id
    /// the store does not hold becomes a delete. Returns the deletes added.
    pub fn reconcile(
        &mut self,
        run: &RunInfo,
        published: &[(String, String)],
    ) -> Result<u64, StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute("UPDATE chunks SET pending = 1", [])?;
        let mut added = 0;
        {
            let mut live = tx.prepare_cached("SELECT 1 FROM chunks WHERE chunk_id = ?1")?;
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO deletes (chunk_id, page_id, reason, run_id) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (id, page_id) in published {
                if !live.exists(params![id])? {
                    added += insert.execute(params![
                        id,
                        page_id,
                        DeleteReason::Reconciled.as_str(),
                        run.run_id
                    ])? as u64;
                }
            }
        }
        tx.commit()?;
        Ok(added)
    }

    /// How each page's stored content was read (`pages.fetch`), by page id;
    /// `None` for pages never read (failed, skipped) or stored before the
    /// column existed by a run whose fetch fingerprint does not say.
    pub fn fetch_strategies(&self) -> Result<BTreeMap<String, Option<FetchStrategy>>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT page_id, fetch FROM pages ORDER BY page_id")?;
        let mut rows = stmt.query([])?;
        let mut out = BTreeMap::new();
        while let Some(r) = rows.next()? {
            let fetch: Option<String> = r.get(1)?;
            let fetch = match fetch {
                Some(name) => Some(name.parse().map_err(|_| StoreError::Corrupt {
                    what: format!("fetch strategy {name:?}"),
                })?),
                None => None,
            };
            out.insert(r.get(0)?, fetch);
        }
        Ok(out)
    }

    /// Page counts by status.
    pub fn page_counts(&self) -> Result<HashMap<PageStatus, u64>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT status, COUNT(*) FROM pages GROUP BY status")?;
        let mut rows = stmt.query([])?;
        let mut counts = HashMap::new();
        while let Some(r) = rows.next()? {
            let status: String = r.get(0)?;
            counts.insert(
                parse_enum(&status, PageStatus::parse, "page status")?,
                r.get::<_, i64>(1)? as u64,
            );
        }
        Ok(counts)
    }

    /// Bytes of compressed raw content stored, and the pages holding some.
    pub fn raw_bytes(&self) -> Result<(u64, u64), StoreError> {
        let (bytes, pages): (i64, i64) = self.conn.query_row(
            "SELECT COALESCE(SUM(LENGTH(raw)), 0), COUNT(raw) FROM pages",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((bytes as u64, pages as u64))
    }
}

/// Whether two chunks are the same but for the run that wrote them.
fn same_chunk(a: &ChunkRecord, b: &ChunkRecord) -> bool {
    ChunkRecord {
        run_id: String::new(),
        ingested_at: DateTime::UNIX_EPOCH,
        ..a.clone()
    } == ChunkRecord {
        run_id: String::new(),
        ingested_at: DateTime::UNIX_EPOCH,
        ..b.clone()
    }
}

/// Whether two page records are the same but for the run that wrote them.
fn same_page(a: &PageRecord, b: &PageRecord) -> bool {
    PageRecord {
        run_id: String::new(),
        ingested_at: DateTime::UNIX_EPOCH,
        ..a.clone()
    } == PageRecord {
        run_id: String::new(),
        ingested_at: DateTime::UNIX_EPOCH,
        ..b.clone()
    }
}

/// Creates `path` readable and writable by its owner only, if it does not
/// exist (SQLite gives its journal files the same mode).
fn create_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}
