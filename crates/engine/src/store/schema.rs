//! The state store's tables, their version, and the migrations that bring an
//! older store up to date in place.
//!
//! Version 1 is the layout the first releases wrote (no `meta.schema_version`
//! row): pages and chunks as columns, no raw content. Version 2 keeps each
//! page's raw content (compressed), its references, and the page and chunk
//! records as the sink's record model (JSON), with a `pending` flag for what
//! no published change set holds yet. Version 3 adds how each page's
//! content was read (`pages.fetch`, `blocks` or `markdown`: `crawl.fetch`),
//! each page's block count (`pages.blocks`, filled from the stored content
//! when upgrading), the cached listing of the shared hierarchy (`listing`,
//! for `tree` and `select`) and the webhook tables of `notion-ingest serve`
//! (`webhook_events`, `webhook_token`); a version 2 store gains them in place.

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::StoreError;

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = 3;

/// Tables and indexes of the current version.
const TABLES: &str = r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,          -- local clock, RFC 3339
    notion_started_at TEXT,            -- Notion's clock when the run's first answer came
    ended_at TEXT,
    status TEXT NOT NULL,              -- RunStatus
    scope TEXT NOT NULL,               -- RunScope
    full INTEGER NOT NULL,
    fetch_fingerprint TEXT NOT NULL,   -- what raw content depends on
    build_fingerprint TEXT NOT NULL,   -- what Markdown and chunks depend on
    summary TEXT
);
CREATE TABLE IF NOT EXISTS pages (
    page_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,              -- PageStatus
    title TEXT NOT NULL,
    containers TEXT,                   -- JSON: ids of its parent (and a row's database)
    last_edited_time TEXT NOT NULL,
    raw BLOB,                          -- zstd of the page as read (see raw.rs)
    raw_hash TEXT,
    fetch_fingerprint TEXT,
    built_raw_hash TEXT,               -- raw_hash the record and chunks were built from
    build_fingerprint TEXT,
    markdown_hash TEXT,
    record TEXT NOT NULL,              -- sink::PageRecord as JSON
    children TEXT NOT NULL,            -- ChildDocuments as JSON
    read_run TEXT,                     -- run that last read the content
    seen_run TEXT NOT NULL,            -- last run whose listing or walk found the page
    written_run TEXT NOT NULL,         -- run that last changed the page's record
    fetch TEXT,                        -- FetchStrategy its raw content was read with
    blocks INTEGER                     -- blocks in the raw content; NULL: not known
);
CREATE INDEX IF NOT EXISTS pages_by_seen ON pages (seen_run);
CREATE TABLE IF NOT EXISTS refs (
    page_id TEXT NOT NULL,
    target_id TEXT NOT NULL,
    title_used TEXT,                   -- what the last build showed; NULL: unknown
    PRIMARY KEY (page_id, target_id)
);
CREATE INDEX IF NOT EXISTS refs_by_target ON refs (target_id);
CREATE TABLE IF NOT EXISTS objects (
    id TEXT NOT NULL,                  -- a database or data source
    page_id TEXT NOT NULL,             -- the page whose content names it
    title TEXT NOT NULL,
    PRIMARY KEY (id, page_id)
);
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    page_id TEXT NOT NULL,
    chunk_index INTEGER NOT NULL,
    chunk_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    pending INTEGER NOT NULL,          -- 1 until a published change set holds it
    record TEXT NOT NULL,              -- sink::ChunkRecord as JSON
    PRIMARY KEY (page_id, chunk_index)
);
CREATE INDEX IF NOT EXISTS chunks_pending ON chunks (pending);
CREATE TABLE IF NOT EXISTS deletes (
    chunk_id TEXT PRIMARY KEY,
    page_id TEXT NOT NULL,
    reason TEXT NOT NULL,              -- DeleteReason
    run_id TEXT NOT NULL               -- the run that found it gone
);
CREATE TABLE IF NOT EXISTS webhook_events (
    event_id TEXT PRIMARY KEY,         -- Notion's event id (the same across its retries)
    happened_at TEXT NOT NULL,         -- the event's timestamp
    received_at TEXT NOT NULL,         -- when the receiver accepted it (local clock)
    body BLOB NOT NULL,                -- the raw body as signed
    settled_run TEXT,                  -- NULL: pending; else the run that refreshed it
    settled_at TEXT
);
CREATE INDEX IF NOT EXISTS webhook_events_pending ON webhook_events (settled_run) WHERE settled_run IS NULL;
CREATE TABLE IF NOT EXISTS webhook_token (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    token TEXT NOT NULL                -- the subscription's verification token (never logged)
);
CREATE TABLE IF NOT EXISTS listing (
    id INTEGER PRIMARY KEY CHECK (id = 1),  -- one row: the last listing
    listed_at TEXT NOT NULL,
    listing BLOB NOT NULL              -- zstd of notion_source::hierarchy::Listing as JSON
);
CREATE VIEW IF NOT EXISTS index_titles (id, title) AS
    SELECT page_id, title FROM pages WHERE status IN ('ok', 'failed')
    UNION ALL SELECT id, title FROM objects
    UNION ALL SELECT id, name FROM users;
"#;

/// Creates the tables, or upgrades an older store in place.
///
/// A store already at [`SCHEMA_VERSION`] is only read, so opening a second
/// connection (the planner's, the build's reader) never takes the write lock
/// while the run's own connection writes. An upgrade takes the write lock
/// first (`BEGIN IMMEDIATE`, waiting out the busy timeout) and reads the
/// version again under it, so two connections opening an old store at once
/// upgrade it once.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    if supported(version(conn)?)? == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version = supported(version(&tx)?)?;
    if version == 1 {
        from_v1(&tx)?;
    }
    if version == 2 {
        from_v2(&tx)?;
    }
    tx.execute_batch(TABLES)?;
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![SCHEMA_VERSION.to_string()],
    )?;
    tx.commit()?;
    Ok(())
}

/// `version`, unless the store was written by a newer release.
fn supported(version: i64) -> Result<i64, StoreError> {
    if version > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(version)
}

/// The store's schema version: 0 for an empty database, 1 for the first
/// layout (a `pages` table but no version row).
fn version(conn: &Connection) -> Result<i64, StoreError> {
    let has_meta: bool = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
            [],
            |_| Ok(true),
        )
        .optional()?
        .unwrap_or(false);
    if has_meta {
        let value: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(value) = value {
            return value.parse().map_err(|_| StoreError::Corrupt {
                what: format!("schema_version {value:?}"),
            });
        }
    }
    let has_pages: bool = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'pages'",
            [],
            |_| Ok(true),
        )
        .optional()?
        .unwrap_or(false);
    Ok(if has_pages { 1 } else { 0 })
}

/// Version 1 → 2: the old tables are renamed aside, their rows rewritten as
/// records, and dropped. Pages keep no raw content (it was never stored), so
/// the next run that needs to rebuild them reads them again. Chunks are
/// carried over as published (a v1 run published every change set it
/// wrote); unpublished deletes are kept.
fn from_v1(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tracing::info!("upgrading the state store from schema version 1 to {SCHEMA_VERSION}");
    for table in ["runs", "pages", "chunks", "deletes"] {
        tx.execute_batch(&format!("ALTER TABLE {table} RENAME TO v1_{table}"))?;
    }
    tx.execute_batch("DROP INDEX IF EXISTS chunks_by_run")?;
    tx.execute_batch(TABLES)?;
    tx.execute(
        "INSERT INTO runs (run_id, started_at, ended_at, status, scope, full, fetch_fingerprint, build_fingerprint, summary)
         SELECT run_id, started_at, ended_at, status, 'complete', full, '', config, summary FROM v1_runs",
        [],
    )?;
    super::v1::copy_pages(tx)?;
    super::v1::copy_chunks(tx)?;
    tx.execute(
        "INSERT OR IGNORE INTO deletes (chunk_id, page_id, reason, run_id)
         SELECT chunk_id, page_id, reason, run_id FROM v1_deletes
         WHERE run_id IN (SELECT run_id FROM v1_runs WHERE status NOT IN ('completed'))",
        [],
    )?;
    for table in ["runs", "pages", "chunks", "deletes"] {
        tx.execute_batch(&format!("DROP TABLE v1_{table}"))?;
    }
    Ok(())
}

/// Version 2 → 3: `pages.fetch` and `pages.blocks` (the webhook and
/// listing tables are created with the others). Every version 2 store read
/// pages with the block walk; `fetch` says so for pages whose stored content
/// a run with that fetch fingerprint read. The block count is counted from
/// the stored content (a page whose content cannot be read keeps NULL, "not
/// known").
fn from_v2(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tracing::info!("upgrading the state store from schema version 2 to {SCHEMA_VERSION}");
    tx.execute_batch(
        "ALTER TABLE pages ADD COLUMN fetch TEXT;
         ALTER TABLE pages ADD COLUMN blocks INTEGER;
         UPDATE pages SET fetch = 'blocks' WHERE raw IS NOT NULL AND fetch_fingerprint LIKE 'fetch=blocks;%';",
    )?;
    let mut select = tx.prepare("SELECT page_id, raw FROM pages WHERE raw IS NOT NULL")?;
    let mut update = tx.prepare("UPDATE pages SET blocks = ?2 WHERE page_id = ?1")?;
    let mut rows = select.query([])?;
    while let Some(r) = rows.next()? {
        let page_id: String = r.get(0)?;
        let raw: Vec<u8> = r.get(1)?;
        if let Ok(blocks) = crate::raw::block_count(&raw) {
            update.execute(params![page_id, blocks as i64])?;
        }
    }
    Ok(())
}

/// Turns a store of this version back into what version 2 wrote (tests
/// of the upgrade).
#[cfg(test)]
pub(crate) fn downgrade_to_v2(conn: &Connection) {
    conn.execute_batch(
        "DROP TABLE listing; DROP TABLE webhook_events; DROP TABLE webhook_token;
         ALTER TABLE pages DROP COLUMN blocks; ALTER TABLE pages DROP COLUMN fetch;
         UPDATE meta SET value = '2' WHERE key = 'schema_version';",
    )
    .unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{PageStatus, Store};

    /// The tables the first releases wrote (schema version 1).
    const V1: &str = r#"
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE runs (run_id TEXT PRIMARY KEY, started_at TEXT NOT NULL, ended_at TEXT, status TEXT NOT NULL,
        full INTEGER NOT NULL, config TEXT NOT NULL, summary TEXT);
    CREATE TABLE pages (page_id TEXT PRIMARY KEY, title TEXT NOT NULL, url TEXT NOT NULL, parent_id TEXT,
        parent_type TEXT NOT NULL, data_source_id TEXT, properties TEXT NOT NULL, created_time TEXT NOT NULL,
        last_edited_time TEXT NOT NULL, markdown TEXT NOT NULL, markdown_hash TEXT NOT NULL,
        chunk_count INTEGER NOT NULL, status TEXT NOT NULL, error_code TEXT, error_message TEXT, request_id TEXT,
        skip_reason TEXT, written_run TEXT NOT NULL, seen_run TEXT NOT NULL, ingested_at TEXT NOT NULL,
        children TEXT NOT NULL);
    CREATE TABLE chunks (page_id TEXT NOT NULL, chunk_index INTEGER NOT NULL, chunk_id TEXT NOT NULL,
        text TEXT NOT NULL, embed_text TEXT NOT NULL, token_count INTEGER NOT NULL, tokenizer TEXT NOT NULL,
        heading_path TEXT NOT NULL, block_ids TEXT NOT NULL, url TEXT NOT NULL, content_hash TEXT NOT NULL,
        run_id TEXT NOT NULL, ingested_at TEXT NOT NULL, PRIMARY KEY (page_id, chunk_index));
    CREATE INDEX chunks_by_run ON chunks (run_id);
    CREATE TABLE deletes (run_id TEXT NOT NULL, chunk_id TEXT NOT NULL, page_id TEXT NOT NULL,
        reason TEXT NOT NULL, PRIMARY KEY (run_id, chunk_id));
    INSERT INTO runs VALUES ('r1', '2026-01-01T00:00:00.000Z', '2026-01-01T00:10:00.000Z', 'completed', 0, 'cfg', '{}');
    INSERT INTO pages VALUES ('p1', 'Plan', 'https://www.notion.so/p1', NULL, 'workspace', NULL, '{"Name":"Plan"}',
        '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '# Plan\n\nHello.\n', 'h1', 1, 'ok', NULL, NULL, NULL,
        NULL, 'r1', 'r1', '2026-01-01T00:00:00.000Z', '{"pages":[],"databases":[]}');
    INSERT INTO pages VALUES ('p2', 'Gone', 'https://www.notion.so/p2', 'p1', 'page_id', NULL, '{}',
        '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '', '', 0, 'failed', 'object_not_found', 'nope',
        'req-1', NULL, 'r1', 'r1', '2026-01-01T00:00:00.000Z', '{}');
    INSERT INTO chunks VALUES ('p1', 0, 'c1', 'Hello.', '# Plan\n\nHello.', 4, 'o200k_base', '["Plan"]', '["b1"]',
        'https://www.notion.so/p1#b1', 'hash-c1', 'r1', '2026-01-01T00:00:00.000Z');
    "#;

    #[test]
    fn each_connection_caps_its_page_cache() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let cache: i64 = store
            .conn
            .query_row("PRAGMA cache_size", [], |row| row.get(0))
            .unwrap();
        // Negative: a size in KiB, not in pages.
        assert_eq!(cache, -i64::from(crate::store::PAGE_CACHE_KIB));
    }

    #[test]
    fn opening_a_current_store_never_waits_for_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        // Another connection holds the write lock (the run's, mid-transaction).
        let writer = Connection::open(dir.path().join(crate::store::STATE_FILE)).unwrap();
        writer.execute_batch("BEGIN IMMEDIATE").unwrap();
        // The planner's and the build's connections open beside it: only reads.
        let reader = Store::open(dir.path()).expect("opens while another connection writes");
        assert_eq!(
            reader.meta("schema_version").unwrap(),
            Some(SCHEMA_VERSION.to_string())
        );
        writer.execute_batch("COMMIT").unwrap();
    }

    #[test]
    fn a_version_1_store_is_upgraded_in_place() {
        let dir = tempfile::tempdir().unwrap();
        Connection::open(dir.path().join(crate::store::STATE_FILE))
            .unwrap()
            .execute_batch(V1)
            .unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(
            store.meta("schema_version").unwrap(),
            Some(SCHEMA_VERSION.to_string())
        );
        let mut pages = Vec::new();
        store
            .for_each_page(|p| {
                pages.push(p);
                Ok::<_, StoreError>(())
            })
            .unwrap();
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[0].markdown.as_deref(), Some(r"# Plan\n\nHello.\n"));
        assert!(matches!(
            &pages[1].status,
            sink::PageStatus::Failed { code, request_id, .. }
                if code == "object_not_found" && request_id.as_deref() == Some("req-1")
        ));
        let mut chunks = Vec::new();
        store
            .for_each_chunk(false, |c| {
                chunks.push(c);
                Ok::<_, StoreError>(())
            })
            .unwrap();
        assert_eq!(chunks.len(), 1);
        assert_eq!(
            (chunks[0].chunk_id.as_str(), chunks[0].page_title.as_str()),
            ("c1", "Plan")
        );
        // Published by a completed v1 run: nothing pending.
        assert_eq!(store.pending_counts().unwrap(), (0, 0, 0));
        assert_eq!(store.page_counts().unwrap()[&PageStatus::Ok], 1);
        // Opening again is a no-op.
        drop(store);
        Store::open(dir.path()).unwrap();
    }

    #[test]
    fn a_version_2_store_is_upgraded_to_3_in_place() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        let raw = zstd::bulk::compress(
            br#"{"format":"blocks/1","page":{},"blocks":[{"depth":0},{"depth":1},{"depth":0}]}"#,
            3,
        )
        .unwrap();
        let conn = Connection::open(dir.path().join(crate::store::STATE_FILE)).unwrap();
        // Back to the version 2 layout, with three pages: one whose content
        // counts three blocks, one whose content is unreadable, one failed.
        downgrade_to_v2(&conn);
        let fingerprint = "fetch=blocks;relations=true;version=v";
        for (id, status, raw) in [
            ("p1", "ok", Some(raw.as_slice())),
            ("p2", "ok", Some(b"garbage".as_slice())),
            ("p3", "failed", None),
        ] {
            conn.execute(
                "INSERT INTO pages (page_id, status, title, last_edited_time, raw, fetch_fingerprint, record, children, seen_run, written_run)
                 VALUES (?1, ?2, 'T', '2026-01-01T00:00:00.000Z', ?3, ?4, '{}', '{}', 'r1', 'r1')",
                params![id, status, raw, raw.map(|_| fingerprint)],
            )
            .unwrap();
        }
        drop(conn);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(
            store.meta("schema_version").unwrap(),
            Some(SCHEMA_VERSION.to_string())
        );
        let known: Vec<_> = store
            .known_pages()
            .unwrap()
            .into_iter()
            .map(|p| (p.id, p.stored_blocks))
            .collect();
        assert_eq!(
            known,
            [
                ("p1".to_string(), Some(3)),
                ("p2".to_string(), None),
                ("p3".to_string(), None)
            ]
        );
        assert!(store.cached_listing().unwrap().is_none());
        let fetch = store.fetch_strategies().unwrap();
        let blocks = Some(notion_source::crawler::FetchStrategy::Blocks);
        assert_eq!(fetch.get("p1"), Some(&blocks));
        assert_eq!(fetch.get("p2"), Some(&blocks));
        assert_eq!(fetch.get("p3"), Some(&None));
        drop(store);
        Store::open(dir.path()).unwrap();
    }

    #[test]
    fn a_store_from_a_newer_release_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        Connection::open(dir.path().join(crate::store::STATE_FILE))
            .unwrap()
            .execute(
                "UPDATE meta SET value = '99' WHERE key = 'schema_version'",
                [],
            )
            .unwrap();
        let error = Store::open(dir.path()).unwrap_err();
        assert!(
            matches!(error, StoreError::NewerSchema { found: 99, .. }),
            "{error}"
        );
    }
}
