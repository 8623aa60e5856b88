//! Writes both tables across several shards and row groups, then reads them
//! back two ways: raw arrow columns by name (independent of the sink's own
//! column mapping) and as records through the sink's reader.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use arrow_array::types::{Int32Type, TimestampMicrosecondType};
use arrow_array::{Array, cast::AsArray};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::reader::{FileReader, SerializedFileReader};
use serde_json::{Value, json};
use sink::{ChunkRecord, PageRecord, PageStatus, Snapshot, SnapshotWriter};

use crate::fixtures::{run_records, small_config};

/// One cell as JSON: text, number, microseconds since the epoch, list, null.
fn cell(array: &dyn Array, row: usize) -> Value {
    if array.is_null(row) {
        return Value::Null;
    }
    match array.data_type() {
        DataType::Utf8 => json!(array.as_string::<i32>().value(row)),
        DataType::Int32 => json!(array.as_primitive::<Int32Type>().value(row)),
        DataType::Timestamp(TimeUnit::Microsecond, Some(tz)) if tz.as_ref() == "UTC" => {
            json!(array.as_primitive::<TimestampMicrosecondType>().value(row))
        }
        DataType::List(_) => {
            let values = array.as_list::<i32>().value(row);
            Value::Array((0..values.len()).map(|i| cell(&values, i)).collect())
        }
        other => panic!("unexpected column type {other}"),
    }
}

fn micros(time: chrono::DateTime<chrono::Utc>) -> Value {
    json!(time.timestamp_micros())
}

/// What each `chunks` column must hold for a record, written out by hand.
fn expected_chunk_row(c: &ChunkRecord) -> BTreeMap<&'static str, Value> {
    BTreeMap::from([
        ("chunk_id", json!(c.chunk_id)),
        ("page_id", json!(c.page_id)),
        ("chunk_index", json!(c.chunk_index)),
        ("text", json!(c.text)),
        ("embed_text", json!(c.embed_text)),
        ("token_count", json!(c.token_count)),
        ("tokenizer", json!(c.tokenizer)),
        ("heading_path", json!(c.heading_path)),
        ("block_ids", json!(c.block_ids)),
        ("url", json!(c.url)),
        ("page_title", json!(c.page_title)),
        ("page_url", json!(c.page_url)),
        ("parent_id", json!(c.parent_id)),
        ("parent_type", json!(c.parent_type)),
        ("data_source_id", json!(c.data_source_id)),
        ("properties", json!(c.properties)),
        ("created_time", micros(c.created_time)),
        ("last_edited_time", micros(c.last_edited_time)),
        ("content_hash", json!(c.content_hash)),
        ("run_id", json!(c.run_id)),
        ("ingested_at", micros(c.ingested_at)),
    ])
}

/// What each `pages` column must hold for a record, written out by hand.
fn expected_page_row(p: &PageRecord) -> BTreeMap<&'static str, Value> {
    let (code, message, request_id, reason) = match &p.status {
        PageStatus::Ok => (None, None, None, None),
        PageStatus::Failed {
            code,
            message,
            request_id,
        } => (Some(code), Some(message), request_id.as_ref(), None),
        PageStatus::Skipped { reason } => (None, None, None, Some(reason)),
    };
    BTreeMap::from([
        ("page_id", json!(p.page_id)),
        ("title", json!(p.title)),
        ("url", json!(p.url)),
        ("parent_id", json!(p.parent_id)),
        ("parent_type", json!(p.parent_type)),
        ("data_source_id", json!(p.data_source_id)),
        ("properties", json!(p.properties)),
        ("created_time", p.created_time.map_or(Value::Null, micros)),
        (
            "last_edited_time",
            p.last_edited_time.map_or(Value::Null, micros),
        ),
        ("markdown", json!(p.markdown)),
        ("markdown_hash", json!(p.markdown_hash)),
        ("chunk_count", json!(p.chunk_count)),
        ("status", json!(p.status.as_str())),
        ("error_code", json!(code)),
        ("error_message", json!(message)),
        ("request_id", json!(request_id)),
        ("skip_reason", json!(reason)),
        ("run_id", json!(p.run_id)),
        ("ingested_at", micros(p.ingested_at)),
    ])
}

/// Every row of the shards, as column name → cell, read with the parquet
/// crate's arrow reader.
fn raw_rows(files: &[std::path::PathBuf]) -> Vec<BTreeMap<String, Value>> {
    let mut rows = Vec::new();
    for path in files {
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            let batch = batch.unwrap();
            let schema = batch.schema();
            for row in 0..batch.num_rows() {
                let cells = schema.fields().iter().zip(batch.columns());
                rows.push(
                    cells
                        .map(|(field, array)| (field.name().clone(), cell(array, row)))
                        .collect(),
                );
            }
        }
    }
    rows
}

fn as_owned_keys(row: BTreeMap<&'static str, Value>) -> BTreeMap<String, Value> {
    row.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// The name and arrow type of every column of a shard, in file order.
fn column_types(path: &Path) -> Vec<(String, DataType)> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
    let fields = builder.schema().fields().iter();
    fields
        .map(|f| (f.name().clone(), f.data_type().clone()))
        .collect()
}

#[test]
fn every_column_reads_back_as_written() {
    let out = tempfile::tempdir().unwrap();
    let (chunks, pages) = run_records(40, 9, "rt-1");
    let mut writer = SnapshotWriter::begin(small_config(out.path()), "rt-1").unwrap();
    for chunk in chunks.iter().cloned() {
        writer.push_chunk(chunk).unwrap();
    }
    for page in pages.iter().cloned() {
        writer.push_page(page).unwrap();
    }
    let manifest = writer.finish(json!({})).unwrap();
    assert!(
        manifest.chunks.shards.len() >= 3,
        "expected several chunk shards: {:?}",
        manifest.chunks
    );

    let snapshot = Snapshot::open_published(out.path()).unwrap().unwrap();
    let expected: Vec<_> = chunks
        .iter()
        .map(|c| as_owned_keys(expected_chunk_row(c)))
        .collect();
    assert_eq!(raw_rows(&snapshot.chunk_files()), expected);
    let expected: Vec<_> = pages
        .iter()
        .map(|p| as_owned_keys(expected_page_row(p)))
        .collect();
    assert_eq!(raw_rows(&snapshot.page_files()), expected);

    let read_chunks: Vec<ChunkRecord> = snapshot.chunks(17).flat_map(Result::unwrap).collect();
    assert_eq!(read_chunks, chunks);
    let read_pages: Vec<PageRecord> = snapshot.pages(5).flat_map(Result::unwrap).collect();
    assert_eq!(read_pages, pages);
}

#[test]
fn columns_have_the_documented_types_and_order() {
    let out = tempfile::tempdir().unwrap();
    crate::fixtures::write_run(small_config(out.path()), "types", 2, 2);
    let snapshot = Snapshot::open_published(out.path()).unwrap().unwrap();
    let timestamp = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let text_list =
        |t: &DataType| matches!(t, DataType::List(item) if item.data_type() == &DataType::Utf8);

    let chunks = column_types(&snapshot.chunk_files()[0]);
    let names: Vec<&str> = chunks.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, sink::chunk_columns().collect::<Vec<_>>());
    let chunks: BTreeMap<_, _> = chunks.into_iter().collect();
    assert_eq!(chunks["chunk_index"], DataType::Int32);
    assert_eq!(chunks["token_count"], DataType::Int32);
    assert_eq!(chunks["created_time"], timestamp);
    assert_eq!(chunks["ingested_at"], timestamp);
    assert!(text_list(&chunks["heading_path"]) && text_list(&chunks["block_ids"]));
    assert_eq!(chunks["text"], DataType::Utf8);

    let pages = column_types(&snapshot.page_files()[0]);
    let names: Vec<&str> = pages.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, sink::page_columns().collect::<Vec<_>>());
    let pages: BTreeMap<_, _> = pages.into_iter().collect();
    assert_eq!(pages["chunk_count"], DataType::Int32);
    assert_eq!(pages["last_edited_time"], timestamp);
    assert_eq!(pages["status"], DataType::Utf8);
}

#[test]
fn files_are_zstd_with_dictionaries_statistics_and_metadata() {
    let out = tempfile::tempdir().unwrap();
    crate::fixtures::write_run(small_config(out.path()), "enc-1", 30, 6);
    let snapshot = Snapshot::open_published(out.path()).unwrap().unwrap();

    for path in snapshot.chunk_files() {
        let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
        let metadata = reader.metadata();
        let kv: BTreeMap<String, Option<String>> = metadata
            .file_metadata()
            .key_value_metadata()
            .unwrap()
            .iter()
            .map(|kv| (kv.key.clone(), kv.value.clone()))
            .collect();
        assert_eq!(
            kv[sink::METADATA_SCHEMA_VERSION].as_deref(),
            Some(sink::SCHEMA_VERSION.to_string().as_str())
        );
        assert_eq!(kv[sink::METADATA_RECORD_TYPE].as_deref(), Some("chunks"));
        assert_eq!(kv[sink::METADATA_RUN_ID].as_deref(), Some("enc-1"));
        assert_eq!(kv["chunker.max_tokens"].as_deref(), Some("512"));

        assert!(metadata.num_row_groups() >= 1);
        for group in metadata.row_groups() {
            assert!(
                group.num_rows() <= 40,
                "row group of {} rows",
                group.num_rows()
            );
            for column in group.columns() {
                assert!(
                    matches!(column.compression(), Compression::ZSTD(_)),
                    "{:?}",
                    column.column_path()
                );
                let name = column.column_path().parts()[0].as_str();
                let dictionary = column.dictionary_page_offset().is_some();
                match name {
                    "page_id" | "run_id" | "tokenizer" | "page_title" | "parent_type" => {
                        assert!(dictionary, "{name} is not dictionary-encoded");
                        assert!(
                            column
                                .statistics()
                                .is_some_and(|s| s.min_bytes_opt().is_some()),
                            "{name} has no statistics"
                        );
                    }
                    "text" | "embed_text" | "chunk_id" | "content_hash" => {
                        assert!(!dictionary, "{name} is dictionary-encoded");
                        assert!(
                            column
                                .statistics()
                                .is_none_or(|s| s.min_bytes_opt().is_none()),
                            "{name} has min/max"
                        );
                    }
                    _ => {}
                }
            }
        }
    }
}

/// The arrow fields of the three tables exactly as the hand-written column
/// builders produced them before the arrays were derived with `serde_arrow`:
/// names, order, types (plain `Utf8`, `List` of non-null `item`, `Int32`,
/// microsecond UTC timestamps), nullability, no field metadata. Frozen here so
/// that a change of the record types or of the derivation cannot change the
/// files under `SCHEMA_VERSION` unnoticed.
fn frozen_fields(table: &str) -> Vec<arrow_schema::Field> {
    use arrow_schema::Field;
    let text = |name: &str, nullable| Field::new(name, DataType::Utf8, nullable);
    let int32 = |name: &str| Field::new(name, DataType::Int32, false);
    let time = |name: &str, nullable| {
        Field::new(
            name,
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            nullable,
        )
    };
    let list = |name: &str| {
        let item = Field::new("item", DataType::Utf8, false);
        Field::new(name, DataType::List(std::sync::Arc::new(item)), false)
    };
    match table {
        "chunks" => vec![
            text("chunk_id", false),
            text("page_id", false),
            int32("chunk_index"),
            text("text", false),
            text("embed_text", false),
            int32("token_count"),
            text("tokenizer", false),
            list("heading_path"),
            list("block_ids"),
            text("url", false),
            text("page_title", false),
            text("page_url", false),
            text("parent_id", true),
            text("parent_type", false),
            text("data_source_id", true),
            text("properties", false),
            time("created_time", false),
            time("last_edited_time", false),
            text("content_hash", false),
            text("run_id", false),
            time("ingested_at", false),
        ],
        "pages" => vec![
            text("page_id", false),
            text("title", true),
            text("url", true),
            text("parent_id", true),
            text("parent_type", true),
            text("data_source_id", true),
            text("properties", true),
            time("created_time", true),
            time("last_edited_time", true),
            text("markdown", true),
            text("markdown_hash", true),
            int32("chunk_count"),
            text("status", false),
            text("error_code", true),
            text("error_message", true),
            text("request_id", true),
            text("skip_reason", true),
            text("run_id", false),
            time("ingested_at", false),
        ],
        "deletes" => ["chunk_id", "page_id", "reason", "run_id"]
            .map(|name| text(name, false))
            .to_vec(),
        other => panic!("no table {other}"),
    }
}

/// The arrow fields stored in a shard (the `ARROW:schema` hint readers use).
fn stored_fields(path: &Path) -> Vec<arrow_schema::Field> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
    let fields = builder.schema().fields().iter();
    fields.map(|field| field.as_ref().clone()).collect()
}

#[test]
fn the_arrow_schema_is_the_frozen_one() {
    let out = tempfile::tempdir().unwrap();
    crate::fixtures::write_run(small_config(out.path()), "frozen", 10, 3);
    let snapshot = Snapshot::open_published(out.path()).unwrap().unwrap();
    for path in snapshot.chunk_files() {
        assert_eq!(stored_fields(&path), frozen_fields("chunks"), "{path:?}");
    }
    for path in snapshot.page_files() {
        assert_eq!(stored_fields(&path), frozen_fields("pages"), "{path:?}");
    }

    let config = small_config(out.path());
    let mut changes = sink::ChangesWriter::begin(&config, "frozen-2").unwrap();
    changes
        .push_delete(sink::DeleteRecord {
            chunk_id: "gone".into(),
            page_id: "p".into(),
            reason: "not_found".into(),
            run_id: "frozen-2".into(),
        })
        .unwrap();
    changes.finish().unwrap();
    let deletes = out
        .path()
        .join(sink::CHANGES_DIR)
        .join("run=frozen-2")
        .join("deletes.parquet");
    assert_eq!(stored_fields(&deletes), frozen_fields("deletes"));
}
