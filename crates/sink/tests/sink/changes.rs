//! Change sets: upserts and deletes published as one directory per run.

use sink::{CHANGES_DIR, ChangesWriter, ChunkRecord, DeleteRecord, read_records};

use crate::fixtures::{chunk, small_config};

fn delete(id: &str, run: &str) -> DeleteRecord {
    DeleteRecord {
        chunk_id: id.into(),
        page_id: "p".into(),
        reason: "not_found".into(),
        run_id: run.into(),
    }
}

#[test]
fn a_change_set_is_published_whole_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_config(dir.path());
    let mut writer = ChangesWriter::begin(&config, "r1").unwrap();
    let upserts: Vec<ChunkRecord> = (0..50)
        .map(|i| chunk(i / 5, (i % 5) as u32, "r1"))
        .collect();
    for u in &upserts {
        writer.push_upsert(u.clone()).unwrap();
    }
    writer.push_delete(delete("gone-1", "r1")).unwrap();
    writer.push_delete(delete("gone-2", "r1")).unwrap();
    let run_dir = dir.path().join(CHANGES_DIR).join("run=r1");
    assert!(!run_dir.exists(), "nothing is visible before finish");
    let set = writer.finish().unwrap();

    assert_eq!(set.upserts.rows, 50);
    assert_eq!(set.deletes.rows, 2);
    assert!(run_dir.join("deletes.parquet").is_file());
    assert!(run_dir.join("changes.json").is_file());
    let files: Vec<_> = set
        .upserts
        .shards
        .iter()
        .map(|s| run_dir.join(&s.path))
        .collect();
    let back: Vec<ChunkRecord> = read_records::<ChunkRecord>(files, 16)
        .flat_map(|b| b.unwrap())
        .collect();
    assert_eq!(back, upserts);
    let deletes: Vec<DeleteRecord> =
        read_records::<DeleteRecord>([run_dir.join("deletes.parquet")], 16)
            .flat_map(|b| b.unwrap())
            .collect();
    assert_eq!(
        deletes
            .iter()
            .map(|d| d.chunk_id.as_str())
            .collect::<Vec<_>>(),
        ["gone-1", "gone-2"]
    );
}

#[test]
fn a_dropped_writer_leaves_nothing_visible_and_a_published_set_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_config(dir.path());
    let mut writer = ChangesWriter::begin(&config, "r2").unwrap();
    for i in 0..30 {
        writer.push_upsert(chunk(i, 0, "r2")).unwrap();
    }
    drop(writer);
    let changes = dir.path().join(CHANGES_DIR);
    let visible: Vec<_> = std::fs::read_dir(&changes)
        .unwrap()
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(visible.is_empty(), "a dropped writer published {visible:?}");

    // A published change set is never replaced: consumers may have applied
    // it already. Publishing the same run again is a conflict, and the
    // first set stays as it was.
    let mut writer = ChangesWriter::begin(&config, "r2").unwrap();
    for i in 0..3 {
        writer.push_upsert(chunk(i, 0, "r2")).unwrap();
    }
    let set = writer.finish().unwrap();
    assert_eq!(set.upserts.rows, 3);
    // An empty table is still one (empty) file, so consumers can always read it.
    assert_eq!(set.deletes.rows, 0);
    assert_eq!(set.deletes.shards.len(), 1);
    let mut again = ChangesWriter::begin(&config, "r2").unwrap();
    again.push_upsert(chunk(0, 0, "r2")).unwrap();
    let error = again.finish().unwrap_err();
    assert!(matches!(error, sink::SinkError::Conflict(_)), "{error}");
    let run_dir = changes.join("run=r2");
    let files: Vec<_> = set
        .upserts
        .shards
        .iter()
        .map(|s| run_dir.join(&s.path))
        .collect();
    let upserts: Vec<ChunkRecord> = read_records::<ChunkRecord>(files, 64)
        .flat_map(|b| b.unwrap())
        .collect();
    assert_eq!(upserts.len(), 3, "the published set was kept");
    let hidden = std::fs::read_dir(&changes)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .count();
    assert_eq!(
        hidden, 0,
        "the staging directory of the dropped writer was cleaned"
    );
}
