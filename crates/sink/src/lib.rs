//! The Parquet sink of notion-ingest: chunk and page records in, ZSTD Parquet
//! shards out, published atomically so readers never see a partial run.
//!
//! - [`SnapshotWriter`] writes one run into `OUT/snapshots/<run_id>/` and, on
//!   [`finish`](SnapshotWriter::finish), swaps it in with one atomic symlink
//!   rename; readers glob `OUT/chunks/*.parquet` and `OUT/pages/*.parquet`.
//! - [`ShardWriter`] is the size-rotating, memory-bounded writer of one table
//!   in one directory, usable on its own for other layouts.
//! - [`Snapshot`] and [`read_records`] read the output back as records.
//! - [`clean_leftovers`] removes what a killed run left behind.
//!
//! The records ([`ChunkRecord`], [`PageRecord`]) are plain data; their columns
//! are documented in `SCHEMA.md`. Unix only (the layout uses symlinks).
//!
//! ```
//! # fn main() -> Result<(), sink::SinkError> {
//! # let out = tempfile::tempdir().unwrap();
//! use chrono::Utc;
//! use sink::{ChunkRecord, SinkConfig, Snapshot, SnapshotWriter};
//!
//! let mut writer = SnapshotWriter::begin(SinkConfig::new(out.path()), "run-1")?;
//! let embed_text = "# Intro\n\nHello.".to_string();
//! writer.push_chunk(ChunkRecord {
//!     chunk_id: sink::chunk_id("2f1b6d3e8a4c4b7e9d0f1a2b3c4d5e6f", 0),
//!     page_id: "2f1b6d3e-8a4c-4b7e-9d0f-1a2b3c4d5e6f".into(),
//!     chunk_index: 0,
//!     text: "Hello.".into(),
//!     content_hash: sink::content_hash(&embed_text),
//!     embed_text,
//!     token_count: 5,
//!     tokenizer: "cl100k_base".into(),
//!     heading_path: vec!["Intro".into()],
//!     block_ids: vec!["b1".into()],
//!     url: "https://www.notion.so/2f1b6d3e8a4c4b7e9d0f1a2b3c4d5e6f#b1".into(),
//!     page_title: "Intro".into(),
//!     page_url: "https://www.notion.so/2f1b6d3e8a4c4b7e9d0f1a2b3c4d5e6f".into(),
//!     parent_id: None,
//!     parent_type: "workspace".into(),
//!     data_source_id: None,
//!     properties: "{}".into(),
//!     created_time: Utc::now(),
//!     last_edited_time: Utc::now(),
//!     run_id: "run-1".into(),
//!     ingested_at: Utc::now(),
//! })?;
//! let manifest = writer.finish(serde_json::json!({}))?;
//! assert_eq!(manifest.chunks.rows, 1);
//!
//! let snapshot = Snapshot::open_published(out.path())?.unwrap();
//! let chunks: Vec<ChunkRecord> = snapshot.chunks(1000).collect::<Result<Vec<_>, _>>()?.concat();
//! assert_eq!(chunks[0].text, "Hello.");
//! # Ok(()) }
//! ```

mod atomic;
mod changes;
mod clean;
mod columns;
mod error;
mod manifest;
#[cfg(feature = "object-store")]
mod object;
mod publish;
mod reader;
mod records;
mod shard;
mod snapshot;

pub use changes::{CHANGES_DIR, CHANGES_FILE, ChangeSet, ChangesBuilder, ChangesWriter};
pub use clean::{CleanReport, clean_leftovers};
pub use error::SinkError;
pub use manifest::{MANIFEST_FILE, Manifest, ShardInfo, TableManifest, Totals};
#[cfg(feature = "object-store")]
pub use object::{
    CURRENT_OBJECT, CurrentPointer, DEFAULT_LEASE_TTL, LEASE_OBJECT, Lease, ObjectOutput,
    STATE_OBJECT, Scheme,
};
pub use publish::{LocalDir, Publisher, RemoteState, Staged, is_partition};
pub use reader::{RecordBatches, Snapshot, read_records};
pub use records::{
    CHUNK_ID_NAMESPACE, ChunkRecord, DeleteRecord, PageRecord, PageStatus, Record, chunk_id,
    content_hash,
};
pub use shard::{
    METADATA_RECORD_TYPE, METADATA_RUN_ID, METADATA_SCHEMA_VERSION, RESERVED_METADATA_PREFIX,
    SCHEMA_VERSION, ShardSettings, ShardWriter, WrittenShard,
};
pub use snapshot::{
    CHUNKS_DIR, CURRENT_LINK, PAGES_DIR, SNAPSHOTS_DIR, SinkConfig, SnapshotBuilder, SnapshotWriter,
};

/// The column names of the `chunks` table, in file order.
pub fn chunk_columns() -> impl Iterator<Item = &'static str> {
    <ChunkRecord as records::sealed::RecordType>::COLUMNS
        .iter()
        .map(|c| c.name)
}

/// The column names of the `pages` table, in file order.
pub fn page_columns() -> impl Iterator<Item = &'static str> {
    <PageRecord as records::sealed::RecordType>::COLUMNS
        .iter()
        .map(|c| c.name)
}

#[cfg(test)]
mod schema_doc_tests {
    //! `SCHEMA.md` documents every column with its type and nullability.

    use crate::columns::{ColumnSpec, ColumnType};
    use crate::records::sealed::RecordType;

    const SCHEMA_MD: &str = include_str!("../SCHEMA.md");

    /// The `| column | type | nullable |` cells of the table under `heading`.
    fn documented_columns(heading: &str) -> Vec<(String, String, String)> {
        let section = SCHEMA_MD.split(heading).nth(1).expect("section present");
        let section = section.split("\n### ").next().unwrap();
        section
            .lines()
            .filter(|line| line.starts_with("| `"))
            .map(|line| {
                let cells: Vec<&str> = line.split(" | ").collect();
                let name = cells[0].trim_start_matches("| ").trim_matches('`');
                (
                    name.to_owned(),
                    cells[1].replace('\\', ""),
                    cells[2].to_owned(),
                )
            })
            .collect()
    }

    fn expected(columns: &[ColumnSpec]) -> Vec<(String, String, String)> {
        let type_name = |ty| match ty {
            ColumnType::Text => "string",
            ColumnType::TextList => "list<string>",
            ColumnType::Int32 => "int32",
            ColumnType::TimestampUtc => "timestamp[us, UTC]",
        };
        let nullable = |spec: &ColumnSpec| if spec.nullable { "yes" } else { "no" };
        columns
            .iter()
            .map(|spec| {
                (
                    spec.name.to_owned(),
                    type_name(spec.ty).to_owned(),
                    nullable(spec).to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn every_chunk_column_is_documented() {
        assert_eq!(
            documented_columns("### Table `chunks`"),
            expected(crate::ChunkRecord::COLUMNS)
        );
    }

    #[test]
    fn the_readme_carries_this_schema_verbatim() {
        let readme = include_str!("../../../README.md");
        assert!(
            readme.contains(SCHEMA_MD.trim()),
            "README.md's \"Parquet schema\" section must be crates/sink/SCHEMA.md, unchanged"
        );
    }

    #[test]
    fn every_delete_column_is_documented() {
        assert_eq!(
            documented_columns("### Table `deletes` (change sets)"),
            expected(crate::DeleteRecord::COLUMNS)
        );
    }

    #[test]
    fn every_page_column_is_documented() {
        assert_eq!(
            documented_columns("### Table `pages`"),
            expected(crate::PageRecord::COLUMNS)
        );
    }

    #[test]
    fn the_documented_version_and_namespace_are_the_code_s() {
        assert!(SCHEMA_MD.contains(&format!("Schema version: **{}**", crate::SCHEMA_VERSION)));
        assert!(SCHEMA_MD.contains(&crate::CHUNK_ID_NAMESPACE.to_string()));
    }
}
