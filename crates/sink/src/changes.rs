//! A run's changes for consumers that keep a vector store in sync:
//! `OUT/changes/run=<run_id>/upserts-NNNNN.parquet` (the chunks of new and
//! changed pages, `chunks` schema) and `deletes.parquet` (chunk ids to
//! delete, [`DeleteRecord`]). Applying every run's upserts then deletes, in
//! run order, to an empty table gives the current snapshot.
//!
//! The run's directory is written under a hidden staging name and renamed
//! into place when complete, so a consumer never sees half a change set.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::atomic::{self, DirLock};
use crate::error::{IoResultExt, SinkError};
use crate::manifest::{ShardInfo, TableManifest};
use crate::publish::{LocalDir, Publisher, Staged};
use crate::records::{ChunkRecord, DeleteRecord};
use crate::shard::{ShardWriter, WrittenShard, check_name_part};
use crate::snapshot::SinkConfig;

/// The directory of change sets, under the output directory.
pub const CHANGES_DIR: &str = "changes";
/// The summary file of a change set.
pub const CHANGES_FILE: &str = "changes.json";

/// What a run's change set holds (`changes.json` in its directory).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSet {
    /// The run.
    pub run_id: String,
    /// The directory, relative to the output directory.
    pub dir: String,
    /// The upserted chunks.
    pub upserts: TableManifest,
    /// The deleted chunk ids.
    pub deletes: TableManifest,
}

/// Builds one run's change set in a staging directory, without publishing
/// it: [`Publisher::publish_change_set`](crate::Publisher::publish_change_set)
/// does that.
pub struct ChangesBuilder {
    run_id: String,
    dir: PathBuf,
    upserts: ShardWriter<ChunkRecord>,
    deletes: ShardWriter<DeleteRecord>,
}

impl ChangesBuilder {
    /// Starts run `run_id`'s change set in the staging directory `dir`.
    pub fn new(
        dir: impl Into<PathBuf>,
        run_id: &str,
        config: &SinkConfig,
    ) -> Result<Self, SinkError> {
        check_name_part("run id", run_id)?;
        let dir = dir.into();
        let upserts = ShardWriter::new(&dir, "upserts", &config.shards, run_id, &config.metadata)?;
        let deletes = ShardWriter::new(&dir, "deletes", &config.shards, run_id, &config.metadata)?;
        Ok(ChangesBuilder {
            run_id: run_id.to_owned(),
            dir,
            upserts,
            deletes,
        })
    }

    /// The staging directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Adds a chunk of a new or changed page.
    pub fn push_upsert(&mut self, chunk: ChunkRecord) -> Result<(), SinkError> {
        self.upserts.push(chunk)
    }

    /// Adds a chunk id to delete.
    pub fn push_delete(&mut self, delete: DeleteRecord) -> Result<(), SinkError> {
        self.deletes.push(delete)
    }

    /// Completes the files and writes `changes.json`.
    pub fn finish(self) -> Result<ChangeSet, SinkError> {
        let upserts = self.upserts.finish()?;
        let mut deletes = self.deletes.finish()?;
        // One file of deletes is the common case: give it the plain name.
        if let [only] = deletes.as_mut_slice() {
            let plain = self.dir.join("deletes.parquet");
            fs::rename(&only.path, &plain).at(&plain)?;
            only.path = plain;
        }
        let set = ChangeSet {
            run_id: self.run_id.clone(),
            dir: format!("{CHANGES_DIR}/run={}", self.run_id),
            upserts: files(&upserts),
            deletes: files(&deletes),
        };
        let json =
            serde_json::to_vec_pretty(&set).map_err(|e| SinkError::InvalidConfig(e.to_string()))?;
        atomic::write_atomically(&self.dir.join(CHANGES_FILE), &json)?;
        atomic::sync_dir(&self.dir)?;
        Ok(set)
    }
}

/// Writes one run's change set into a local output directory and publishes
/// it on [`finish`](Self::finish): a [`ChangesBuilder`] staged and published
/// by [`LocalDir`], under the directory's lock. Dropping it unfinished leaves
/// only a hidden staging directory, removed by the next writer.
pub struct ChangesWriter {
    publisher: LocalDir,
    builder: ChangesBuilder,
    _lock: DirLock,
}

impl ChangesWriter {
    /// Starts the change set of `run_id` in `config.out_dir`. Takes the
    /// output directory's lock and removes staging directories left by dead
    /// writers. A change set already published for the same run is refused
    /// ([`SinkError::Conflict`]) on [`finish`](Self::finish): a published
    /// change set never changes.
    pub fn begin(config: &SinkConfig, run_id: &str) -> Result<Self, SinkError> {
        check_name_part("run id", run_id)?;
        let changes = config.out_dir.join(CHANGES_DIR);
        fs::create_dir_all(&changes).at(&changes)?;
        let lock = DirLock::acquire(&config.out_dir)?;
        clean_staging(&changes)?;
        let publisher = LocalDir::new(&config.out_dir, config.keep_snapshots);
        let staged = publisher.stage(Staged::ChangeSet, run_id)?;
        let builder = ChangesBuilder::new(staged, run_id, config)?;
        Ok(ChangesWriter {
            publisher,
            builder,
            _lock: lock,
        })
    }

    /// Adds a chunk of a new or changed page.
    pub fn push_upsert(&mut self, chunk: ChunkRecord) -> Result<(), SinkError> {
        self.builder.push_upsert(chunk)
    }

    /// Adds a chunk id to delete.
    pub fn push_delete(&mut self, delete: DeleteRecord) -> Result<(), SinkError> {
        self.builder.push_delete(delete)
    }

    /// Completes the files and publishes the run's directory.
    pub fn finish(self) -> Result<ChangeSet, SinkError> {
        let staged = self.builder.dir().to_path_buf();
        let set = self.builder.finish()?;
        self.publisher.publish_change_set(&staged, &set)?;
        Ok(set)
    }
}

/// The manifest of files that sit in the change set's own directory.
fn files(written: &[WrittenShard]) -> TableManifest {
    let shards: Vec<ShardInfo> = written
        .iter()
        .map(|s| ShardInfo {
            path: s
                .path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            rows: s.rows,
            bytes: s.bytes,
        })
        .collect();
    TableManifest {
        rows: shards.iter().map(|s| s.rows).sum(),
        bytes: shards.iter().map(|s| s.bytes).sum(),
        shards,
    }
}

/// Removes hidden staging directories of change sets.
fn clean_staging(changes: &Path) -> Result<(), SinkError> {
    for entry in fs::read_dir(changes).at(changes)? {
        let entry = entry.at(changes)?;
        if atomic::is_temp_name(&entry.file_name().to_string_lossy()) {
            fs::remove_dir_all(entry.path()).at(&entry.path())?;
        }
    }
    Ok(())
}
