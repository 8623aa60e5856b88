//! Bad input gets a clear error and loses nothing: a rejected record leaves
//! the writer usable, bad settings are refused before anything is written,
//! and a file of the wrong kind is refused by the reader.

use serde_json::json;
use sink::{PageStatus, ShardSettings, SinkConfig, SinkError, Snapshot, SnapshotWriter};

use crate::fixtures::{chunk, page, read_visible, small_config};

#[test]
fn a_rejected_record_is_named_and_the_run_goes_on() {
    let out = tempfile::tempdir().unwrap();
    let mut writer = SnapshotWriter::begin(small_config(out.path()), "v-1").unwrap();
    writer.push_chunk(chunk(0, 0, "v-1")).unwrap();

    let mut bad = chunk(0, 1, "v-1");
    bad.properties = r#"{"Status": "#.into();
    let error = writer.push_chunk(bad.clone()).unwrap_err();
    assert!(
        matches!(error, SinkError::InvalidRecord { kind: "chunks", .. }),
        "{error}"
    );
    let message = error.to_string();
    assert!(
        message.contains(&bad.chunk_id) && message.contains("properties is not valid JSON"),
        "{message}"
    );

    let mut bad_page = page(0, 1, "v-1");
    bad_page.status = PageStatus::Failed {
        code: String::new(),
        message: "boom".into(),
        request_id: None,
    };
    assert!(
        writer
            .push_page(bad_page)
            .unwrap_err()
            .to_string()
            .contains("error code is empty")
    );
    let mut no_markdown = page(0, 1, "v-1");
    no_markdown.markdown = None;
    assert!(
        writer
            .push_page(no_markdown)
            .unwrap_err()
            .to_string()
            .contains("markdown is missing")
    );

    writer.push_chunk(chunk(0, 2, "v-1")).unwrap();
    let manifest = writer.finish(json!({})).unwrap();
    assert_eq!(manifest.chunks.rows, 2);
    let snapshot = Snapshot::open_published(out.path()).unwrap().unwrap();
    let indexes: Vec<u32> = snapshot
        .chunks(10)
        .flat_map(Result::unwrap)
        .map(|c| c.chunk_index)
        .collect();
    assert_eq!(indexes, [0, 2]);
}

#[test]
fn bad_settings_are_refused_before_anything_is_written() {
    let out = tempfile::tempdir().unwrap();
    let cases = [
        (
            SinkConfig {
                keep_snapshots: 0,
                ..SinkConfig::new(out.path())
            },
            "r",
            "keep_snapshots",
        ),
        (SinkConfig::new(out.path()), ".hidden", "run id"),
        (SinkConfig::new(out.path()), "a/b", "run id"),
        (
            SinkConfig {
                metadata: vec![("notion_ingest.schema_version".into(), "9".into())],
                ..SinkConfig::new(out.path())
            },
            "r",
            "reserved prefix",
        ),
        (
            SinkConfig {
                metadata: vec![("k".into(), "1".into()), ("k".into(), "2".into())],
                ..SinkConfig::new(out.path())
            },
            "r",
            "given twice",
        ),
        (
            SinkConfig {
                shards: ShardSettings {
                    target_bytes: 0,
                    ..ShardSettings::default()
                },
                ..SinkConfig::new(out.path())
            },
            "r",
            "target_bytes",
        ),
    ];
    for (config, run_id, expected) in cases {
        let error = SnapshotWriter::begin(config, run_id).err().unwrap();
        assert!(matches!(error, SinkError::InvalidConfig(_)), "{error}");
        assert!(error.to_string().contains(expected), "{error}");
        assert!(!out.path().join("snapshots/r").exists());
    }
}

#[test]
fn writers_can_move_to_a_blocking_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<SnapshotWriter>();
    assert_send::<sink::ShardWriter<sink::PageRecord>>();
    assert_send::<sink::RecordBatches<sink::ChunkRecord>>();
}

#[test]
fn the_reader_refuses_a_file_of_the_other_table() {
    let out = tempfile::tempdir().unwrap();
    crate::fixtures::write_run(small_config(out.path()), "kinds", 2, 1);
    let snapshot = Snapshot::open_published(out.path()).unwrap().unwrap();
    let mut batches = sink::read_records::<sink::ChunkRecord>(snapshot.page_files(), 10);
    let error = batches.next().unwrap().unwrap_err();
    assert!(
        matches!(
            error,
            SinkError::SchemaMismatch {
                expected: "chunks",
                ..
            }
        ),
        "{error}"
    );
    assert!(
        error.to_string().contains("record type is Some(\"pages\")"),
        "{error}"
    );
    assert!(
        batches.next().is_none(),
        "the iterator goes on after an error"
    );
}

#[test]
fn finishing_after_a_rejected_record_publishes_the_rest() {
    let out = tempfile::tempdir().unwrap();
    let mut writer = SnapshotWriter::begin(small_config(out.path()), "ok").unwrap();
    let mut bad = chunk(1, 0, "ok");
    bad.page_id.clear();
    assert!(writer.push_chunk(bad).is_err());
    writer.push_chunk(chunk(1, 1, "ok")).unwrap();
    writer.finish(json!({})).unwrap();
    assert_eq!(
        read_visible(&out.path().join("chunks")),
        (1, vec!["ok".to_owned()])
    );
}
