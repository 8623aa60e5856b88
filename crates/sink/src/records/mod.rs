//! The two record types the sink writes, [`ChunkRecord`] and [`PageRecord`],
//! the [`Record`] trait that lets one shard writer and one reader serve both,
//! and the id and hash functions whose results go into the records.
//!
//! Records are plain data: the sink knows nothing of Notion's API types. A
//! record's fields are named like its table's columns; `SCHEMA.md` documents
//! each one.

mod chunk;
mod delete;
mod page;

pub use chunk::ChunkRecord;
pub use delete::DeleteRecord;
pub use page::{PageRecord, PageStatus};

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The UUID namespace of chunk ids: UUIDv5 of the URL
/// `https://github.com/notion-ingest/notion-ingest/chunk-id` in the URL
/// namespace.
pub const CHUNK_ID_NAMESPACE: Uuid = Uuid::from_u128(0x8ae22bbe_4152_5e9b_88ba_e00d24038f73);

/// The deterministic id of chunk number `index` of a page: the UUIDv5 of
/// `"{page_id}#{index}"` in [`CHUNK_ID_NAMESPACE`], so a re-run gives the same
/// ids and overwrites the same vectors in a vector store.
///
/// A page id that is a UUID is first written in its canonical hyphenated
/// lowercase form, so Notion's dashed and undashed spellings give the same id.
///
/// ```
/// let dashed = sink::chunk_id("2f1b6d3e-8a4c-4b7e-9d0f-1a2b3c4d5e6f", 0);
/// let undashed = sink::chunk_id("2F1B6D3E8A4C4B7E9D0F1A2B3C4D5E6F", 0);
/// assert_eq!(dashed, undashed);
/// assert_ne!(dashed, sink::chunk_id("2f1b6d3e-8a4c-4b7e-9d0f-1a2b3c4d5e6f", 1));
/// ```
pub fn chunk_id(page_id: &str, index: u32) -> String {
    let page = match Uuid::try_parse(page_id) {
        Ok(uuid) => uuid.hyphenated().to_string(),
        Err(_) => page_id.to_owned(),
    };
    Uuid::new_v5(&CHUNK_ID_NAMESPACE, format!("{page}#{index}").as_bytes()).to_string()
}

/// The SHA-256 of `text` in lowercase hex: the `content_hash` of a chunk (of
/// its `embed_text`) and the `markdown_hash` of a page.
///
/// ```
/// assert_eq!(
///     sink::content_hash("abc"),
///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// );
/// ```
pub fn content_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A record type the sink can write and read: [`ChunkRecord`] or
/// [`PageRecord`]. Sealed: its methods are the sink's internals.
pub trait Record: sealed::RecordType {}

impl<R: sealed::RecordType> Record for R {}

pub(crate) mod sealed {
    use arrow_array::ArrayRef;
    use arrow_array::RecordBatch;
    use arrow_schema::Schema;

    use crate::columns::ColumnSpec;

    /// What the shard writer and the reader need of a record type.
    pub trait RecordType: Sized + Send + 'static {
        /// The table name: `chunks` or `pages`.
        const KIND: &'static str;
        /// The table's columns, in file order.
        const COLUMNS: &'static [ColumnSpec];
        /// The id named in error messages.
        fn id(&self) -> &str;
        /// Checks what the types cannot: non-empty ids, valid JSON, numbers
        /// that fit the columns.
        fn validate(&self) -> Result<(), String>;
        /// About how many bytes the record takes in memory and in a decoded
        /// arrow batch; used to bound buffers and row groups.
        fn approx_bytes(&self) -> usize;
        /// One array per column of `schema` (the schema of
        /// [`Self::COLUMNS`]), in order, derived from the records by
        /// `serde_arrow`.
        fn to_columns(schema: &Schema, rows: &[Self]) -> Result<Vec<ArrayRef>, String>;
        /// The records of a batch read back from a shard, by column name.
        fn from_batch(batch: &RecordBatch) -> Result<Vec<Self>, String>;
    }
}

/// Checks that a required id is not empty.
fn require_non_empty(name: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        Err(format!("{name} is empty"))
    } else {
        Ok(())
    }
}

/// Checks that a count or index fits the `Int32` column that stores it.
fn require_int32(name: &str, value: u32) -> Result<(), String> {
    if i32::try_from(value).is_ok() {
        Ok(())
    } else {
        Err(format!("{name} {value} exceeds {}", i32::MAX))
    }
}

/// Checks that a `properties` value is JSON text.
fn require_json(name: &str, value: &str) -> Result<(), String> {
    serde_json::from_str::<serde::de::IgnoredAny>(value)
        .map(drop)
        .map_err(|error| format!("{name} is not valid JSON: {error}"))
}

/// The approximate in-memory size of optional text.
fn optional_len(value: &Option<String>) -> usize {
    value.as_ref().map_or(0, String::len)
}

#[cfg(test)]
mod tests {
    use super::sealed::RecordType;
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn namespace_is_the_documented_uuid5() {
        let derived = Uuid::new_v5(
            &Uuid::NAMESPACE_URL,
            b"https://github.com/notion-ingest/notion-ingest/chunk-id",
        );
        assert_eq!(CHUNK_ID_NAMESPACE, derived);
    }

    #[test]
    fn chunk_id_is_uuid5_of_page_and_index() {
        let page = "2f1b6d3e-8a4c-4b7e-9d0f-1a2b3c4d5e6f";
        let expected = Uuid::new_v5(&CHUNK_ID_NAMESPACE, format!("{page}#7").as_bytes());
        assert_eq!(chunk_id(page, 7), expected.to_string());
        assert_eq!(expected.get_version_num(), 5);
    }

    #[test]
    fn non_uuid_page_ids_are_used_verbatim() {
        let expected = Uuid::new_v5(&CHUNK_ID_NAMESPACE, b"not-a-uuid#0").to_string();
        assert_eq!(chunk_id("not-a-uuid", 0), expected);
    }

    #[test]
    fn json_check_rejects_truncated_json() {
        assert!(require_json("properties", r#"{"a": [1, 2]}"#).is_ok());
        let error = require_json("properties", r#"{"a": [1, 2"#).unwrap_err();
        assert!(error.contains("properties is not valid JSON"), "{error}");
    }

    /// Any chunk: arbitrary unicode text, lists, optional ids and times.
    fn any_chunk() -> impl Strategy<Value = ChunkRecord> {
        let text = ".{0,40}";
        let time = (0i64..4_000_000_000_000_000)
            .prop_map(|us| chrono::DateTime::from_timestamp_micros(us).unwrap());
        let ids = (
            text,
            text,
            0..=i32::MAX as u32,
            text,
            text,
            0..=i32::MAX as u32,
        );
        let lists = (
            proptest::collection::vec(text, 0..4),
            proptest::collection::vec(text, 0..4),
        );
        let page = (
            text,
            text,
            proptest::option::of(text),
            text,
            proptest::option::of(text),
        );
        (ids, lists, page, (time.clone(), time.clone(), time)).prop_map(
            |(
                (page_id, chunk_text, chunk_index, embed_text, url, token_count),
                (heading_path, block_ids),
                page,
                times,
            )| {
                let (page_title, page_url, parent_id, parent_type, data_source_id) = page;
                ChunkRecord {
                    chunk_id: chunk_id(&page_id, chunk_index),
                    content_hash: content_hash(&embed_text),
                    page_id,
                    chunk_index,
                    text: chunk_text,
                    embed_text,
                    token_count,
                    tokenizer: "o200k_base".into(),
                    heading_path,
                    block_ids,
                    url,
                    page_title,
                    page_url,
                    parent_id,
                    parent_type,
                    data_source_id,
                    properties: "{}".into(),
                    created_time: times.0,
                    last_edited_time: times.1,
                    run_id: "r".into(),
                    ingested_at: times.2,
                }
            },
        )
    }

    proptest! {
        #[test]
        fn chunks_survive_arrow_columns(chunks in proptest::collection::vec(any_chunk(), 0..20)) {
            let schema = crate::columns::schema_of(ChunkRecord::COLUMNS);
            let columns = ChunkRecord::to_columns(&schema, &chunks).unwrap();
            let batch = arrow_array::RecordBatch::try_new(schema, columns).unwrap();
            let read = ChunkRecord::from_batch(&batch).unwrap();
            prop_assert_eq!(read, chunks);
        }

        #[test]
        fn chunk_id_ignores_uuid_spelling(raw in any::<u128>(), index in any::<u32>()) {
            let uuid = Uuid::from_u128(raw);
            let simple_upper = uuid.simple().to_string().to_uppercase();
            prop_assert_eq!(chunk_id(&uuid.hyphenated().to_string(), index), chunk_id(&simple_upper, index));
        }

        #[test]
        fn chunk_ids_differ_across_indexes(raw in any::<u128>(), a in any::<u32>(), b in any::<u32>()) {
            prop_assume!(a != b);
            let page = Uuid::from_u128(raw).to_string();
            prop_assert_ne!(chunk_id(&page, a), chunk_id(&page, b));
        }
    }
}
