//! Publishing: a run replaces the previous one in one step, the manifest
//! describes what is there, old snapshots are pruned, and the output directory
//! is guarded (lock, foreign files, reused run ids).

use std::fs;
use std::path::Path;

use serde_json::json;
use sink::{Manifest, SinkConfig, SinkError, Snapshot, SnapshotWriter};

use crate::fixtures::{read_visible, small_config, visible_parquet_files, write_run};

fn snapshot_names(out: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(out.join(sink::SNAPSHOTS_DIR))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_second_run_replaces_the_first_whole() {
    let out = tempfile::tempdir().unwrap();
    let first = write_run(small_config(out.path()), "run-a", 12, 5);
    assert_eq!(
        read_visible(&out.path().join("chunks")),
        (60, vec!["run-a".to_owned()])
    );

    let second = write_run(small_config(out.path()), "run-b", 7, 3);
    assert_eq!(
        read_visible(&out.path().join("chunks")),
        (21, vec!["run-b".to_owned()])
    );
    assert_eq!(
        read_visible(&out.path().join("pages")),
        (7, vec!["run-b".to_owned()])
    );
    assert_eq!(Manifest::read(out.path()).unwrap(), second);

    // The previous snapshot is kept (default keep_snapshots = 2) and intact.
    assert_eq!(snapshot_names(out.path()), ["run-a", "run-b"]);
    let previous = Snapshot::open(out.path().join("snapshots/run-a")).unwrap();
    assert_eq!(previous.manifest(), &first);
    assert_eq!(
        previous
            .chunks(1000)
            .map(|b| b.unwrap().len())
            .sum::<usize>(),
        60
    );

    // A third run prunes the first.
    write_run(small_config(out.path()), "run-c", 1, 1);
    assert_eq!(snapshot_names(out.path()), ["run-b", "run-c"]);
}

#[test]
fn keep_snapshots_one_keeps_only_the_current() {
    let out = tempfile::tempdir().unwrap();
    let config = SinkConfig {
        keep_snapshots: 1,
        ..small_config(out.path())
    };
    write_run(config.clone(), "one", 2, 2);
    write_run(config, "two", 2, 2);
    assert_eq!(snapshot_names(out.path()), ["two"]);
}

#[test]
fn layout_is_symlinks_into_the_current_snapshot() {
    let out = tempfile::tempdir().unwrap();
    write_run(small_config(out.path()), "layout", 3, 2);
    let link = |name: &str| fs::read_link(out.path().join(name)).unwrap();
    assert_eq!(link("current"), Path::new("snapshots/layout"));
    assert_eq!(link("chunks"), Path::new("current/chunks"));
    assert_eq!(link("pages"), Path::new("current/pages"));
    for file in visible_parquet_files(&out.path().join("chunks")) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("part-layout-") && name.ends_with(".parquet"),
            "{name}"
        );
    }
}

#[test]
fn the_manifest_lists_every_shard_with_rows_and_bytes() {
    let out = tempfile::tempdir().unwrap();
    let manifest = write_run(small_config(out.path()), "m-1", 25, 4);
    assert_eq!(manifest.schema_version, sink::SCHEMA_VERSION);
    assert_eq!(manifest.run_id, "m-1");
    assert_eq!(manifest.snapshot, "snapshots/m-1");
    assert!(manifest.started_at <= manifest.finished_at);
    assert_eq!(manifest.summary, json!({"pages": 25}));
    assert_eq!(manifest.metadata["chunker.max_tokens"], "512");
    assert_eq!((manifest.chunks.rows, manifest.pages.rows), (100, 25));
    assert_eq!(manifest.totals.rows, 125);
    let shard_count = manifest.chunks.shards.len() + manifest.pages.shards.len();
    assert_eq!(manifest.totals.shards, shard_count as u64);

    // Paths resolve from the output directory and from the snapshot alike;
    // they are exactly the files a reader's glob finds.
    for root in [out.path().to_path_buf(), out.path().join("snapshots/m-1")] {
        let mut listed = manifest.chunks.shard_paths(&root);
        listed.sort();
        assert_eq!(listed, visible_parquet_files(&root.join("chunks")));
        for shard in manifest.chunks.shards.iter().chain(&manifest.pages.shards) {
            assert_eq!(
                fs::metadata(root.join(&shard.path)).unwrap().len(),
                shard.bytes
            );
        }
    }
    let bytes: u64 = manifest
        .chunks
        .shards
        .iter()
        .chain(&manifest.pages.shards)
        .map(|s| s.bytes)
        .sum();
    assert_eq!(manifest.totals.bytes, bytes);
    let rows: u64 = manifest.chunks.shards.iter().map(|s| s.rows).sum();
    assert_eq!(rows, manifest.chunks.rows);
    assert_eq!(
        Manifest::read(&out.path().join("current")).unwrap(),
        manifest
    );
}

#[test]
fn an_empty_run_publishes_empty_shards_with_the_schema() {
    let out = tempfile::tempdir().unwrap();
    let writer = SnapshotWriter::begin(SinkConfig::new(out.path()), "empty").unwrap();
    let manifest = writer.finish(json!(null)).unwrap();
    assert_eq!(
        (manifest.chunks.shards.len(), manifest.pages.shards.len()),
        (1, 1)
    );
    assert_eq!(manifest.totals.rows, 0);
    assert_eq!(read_visible(&out.path().join("chunks")), (0, vec![]));
    let snapshot = Snapshot::open_published(out.path()).unwrap().unwrap();
    assert_eq!(
        snapshot.chunks(10).map(|b| b.unwrap().len()).sum::<usize>(),
        0
    );
}

#[test]
fn nothing_is_published_before_the_first_finish() {
    let out = tempfile::tempdir().unwrap();
    assert!(Snapshot::open_published(out.path()).unwrap().is_none());
    let writer = SnapshotWriter::begin(SinkConfig::new(out.path()), "pending").unwrap();
    assert!(Snapshot::open_published(out.path()).unwrap().is_none());
    assert!(!out.path().join("chunks").exists());
    drop(writer);
}

#[test]
fn a_second_writer_on_the_same_directory_is_busy() {
    let out = tempfile::tempdir().unwrap();
    let writer = SnapshotWriter::begin(SinkConfig::new(out.path()), "first").unwrap();
    let error = SnapshotWriter::begin(SinkConfig::new(out.path()), "second")
        .err()
        .unwrap();
    assert!(matches!(error, SinkError::Busy(_)), "{error}");
    assert!(matches!(
        sink::clean_leftovers(out.path()),
        Err(SinkError::Busy(_))
    ));
    writer.finish(json!({})).unwrap();
    SnapshotWriter::begin(SinkConfig::new(out.path()), "second").unwrap();
}

#[test]
fn a_run_id_cannot_be_published_twice() {
    let out = tempfile::tempdir().unwrap();
    write_run(small_config(out.path()), "same", 1, 1);
    let error = SnapshotWriter::begin(small_config(out.path()), "same")
        .err()
        .unwrap();
    assert!(matches!(error, SinkError::RunExists { .. }), "{error}");
    assert_eq!(read_visible(&out.path().join("chunks")).0, 1);
}

#[test]
fn foreign_files_in_the_managed_names_are_refused_and_kept() {
    let out = tempfile::tempdir().unwrap();
    fs::create_dir(out.path().join("chunks")).unwrap();
    fs::write(out.path().join("chunks/theirs.parquet"), b"not ours").unwrap();
    let error = SnapshotWriter::begin(SinkConfig::new(out.path()), "r")
        .err()
        .unwrap();
    assert!(
        matches!(error, SinkError::UnexpectedLayout { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("chunks"), "{error}");
    assert_eq!(
        fs::read(out.path().join("chunks/theirs.parquet")).unwrap(),
        b"not ours"
    );
}

#[test]
fn a_missing_top_manifest_is_repaired_from_the_current_snapshot() {
    let out = tempfile::tempdir().unwrap();
    let manifest = write_run(small_config(out.path()), "repair", 2, 1);
    // As if the run died between the symlink swap and writing manifest.json.
    fs::remove_file(out.path().join("manifest.json")).unwrap();
    let report = sink::clean_leftovers(out.path()).unwrap();
    assert!(report.repaired_manifest);
    assert_eq!(Manifest::read(out.path()).unwrap(), manifest);
    assert!(sink::clean_leftovers(out.path()).unwrap().is_empty());
}
