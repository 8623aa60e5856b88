//! [`SnapshotWriter`]: one run's output, written aside and published in one
//! atomic step.
//!
//! The output directory looks like this (`->` is a symlink):
//!
//! ```text
//! OUT/
//!   chunks -> current/chunks          what readers glob: OUT/chunks/*.parquet
//!   pages  -> current/pages
//!   current -> snapshots/<run_id>     swapped atomically when a run finishes
//!   manifest.json                     copy of the current snapshot's manifest, written last
//!   snapshots/<run_id>/{chunks,pages}/part-<run_id>-00000.parquet
//!   snapshots/<run_id>/manifest.json  present once the snapshot is complete
//!   .lock                             held by the live run
//! ```
//!
//! A run writes only into its own `snapshots/<run_id>/`. [`SnapshotWriter::finish`]
//! closes the shards, writes the snapshot's manifest, then renames a fresh
//! `current` symlink over the old one: from that instant every reader sees the
//! new run's chunks and pages together, and before it the old run's, never a
//! mix. `OUT/manifest.json` follows, then snapshots beyond
//! [`SinkConfig::keep_snapshots`] are removed. Shard names carry the run id,
//! so a reader that listed the old run's files and opens them after the swap
//! gets "not found" rather than another run's file of the same name.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::atomic::{self, DirLock};
use crate::clean;
use crate::error::{IoResultExt, SinkError};
use crate::manifest::{Manifest, TableManifest, Totals};
use crate::records::{ChunkRecord, PageRecord};
use crate::shard::{SCHEMA_VERSION, ShardSettings, ShardWriter, check_name_part};

/// The directory of all snapshots, under the output directory.
pub const SNAPSHOTS_DIR: &str = "snapshots";
/// The symlink to the published snapshot, under the output directory.
pub const CURRENT_LINK: &str = "current";
/// The chunk table's directory (in a snapshot) and symlink (in the output).
pub const CHUNKS_DIR: &str = "chunks";
/// The page table's directory (in a snapshot) and symlink (in the output).
pub const PAGES_DIR: &str = "pages";

/// Where and how a run writes.
#[derive(Debug, Clone, PartialEq)]
pub struct SinkConfig {
    /// The output directory (`OUT`).
    pub out_dir: PathBuf,
    /// Shard and row-group sizes and compression, for both tables.
    pub shards: ShardSettings,
    /// Key-value metadata stored in every shard and the manifest, e.g. the
    /// chunker's configuration. Keys may not start with `notion_ingest.`.
    pub metadata: Vec<(String, String)>,
    /// How many published snapshots to keep, the current one included (at
    /// least 1). The default, 2, leaves the previous run's files in place
    /// for readers still reading them.
    pub keep_snapshots: usize,
}

impl Default for SinkConfig {
    /// `./notion-ingest-out`, default shard settings, no metadata, keep 2.
    fn default() -> Self {
        Self::new("notion-ingest-out")
    }
}

impl SinkConfig {
    /// The default configuration writing into `out_dir`.
    pub fn new(out_dir: impl Into<PathBuf>) -> Self {
        Self {
            out_dir: out_dir.into(),
            shards: ShardSettings::default(),
            metadata: Vec::new(),
            keep_snapshots: 2,
        }
    }
}

/// Writes one run's chunks and pages into a new snapshot and publishes it
/// atomically on [`finish`](Self::finish). Dropping it unfinished publishes
/// nothing and removes what it wrote.
///
/// ```
/// # fn main() -> Result<(), sink::SinkError> {
/// # let dir = tempfile::tempdir().unwrap();
/// use sink::{SinkConfig, SnapshotWriter, Snapshot};
///
/// let writer = SnapshotWriter::begin(SinkConfig::new(dir.path()), "run-1")?;
/// // writer.push_chunk(...)?; writer.push_page(...)?;
/// let manifest = writer.finish(serde_json::json!({"pages_failed": 0}))?;
/// assert_eq!(manifest.run_id, "run-1");
///
/// let published = Snapshot::open_published(dir.path())?.expect("a snapshot is published");
/// assert_eq!(published.manifest(), &manifest);
/// assert!(dir.path().join("chunks").is_dir()); // the symlink into the snapshot
/// # Ok(()) }
/// ```
pub struct SnapshotWriter {
    out_dir: PathBuf,
    run_id: String,
    snapshot_dir: PathBuf,
    metadata: Vec<(String, String)>,
    keep_snapshots: usize,
    started_at: DateTime<Utc>,
    /// `None` once finished.
    tables: Option<(ShardWriter<ChunkRecord>, ShardWriter<PageRecord>)>,
    /// Set once `current` points at this run: from then on its files are
    /// never removed by this writer.
    published: bool,
    /// Held for the writer's lifetime; dropped last.
    _lock: DirLock,
}

impl SnapshotWriter {
    /// Starts run `run_id` in `config.out_dir` (created if missing): takes the
    /// directory's lock ([`SinkError::Busy`] if another run holds it), cleans
    /// the leftovers of dead runs (see [`crate::clean_leftovers`]) and creates
    /// `snapshots/<run_id>/`.
    ///
    /// `run_id` must be new to the directory, 1 to 128 ASCII letters, digits,
    /// `-`, `_` or `.`, not starting with `.` or `_`.
    pub fn begin(config: SinkConfig, run_id: &str) -> Result<Self, SinkError> {
        check_name_part("run id", run_id)?;
        if config.keep_snapshots == 0 {
            return Err(SinkError::InvalidConfig(
                "keep_snapshots must be at least 1".into(),
            ));
        }
        let out_dir = config.out_dir;
        fs::create_dir_all(&out_dir).at(&out_dir)?;
        for name in [CURRENT_LINK, CHUNKS_DIR, PAGES_DIR] {
            atomic::is_symlink_or_absent(&out_dir.join(name))?;
        }
        let lock = DirLock::acquire(&out_dir)?;
        clean::clean_locked(&out_dir)?;

        let snapshot_dir = out_dir.join(SNAPSHOTS_DIR).join(run_id);
        if fs::symlink_metadata(&snapshot_dir).is_ok() {
            return Err(SinkError::RunExists {
                run_id: run_id.to_owned(),
                out_dir,
            });
        }
        let prefix = format!("part-{run_id}");
        let tables = ShardWriter::new(
            snapshot_dir.join(CHUNKS_DIR),
            &prefix,
            &config.shards,
            run_id,
            &config.metadata,
        )
        .and_then(|chunks| {
            let pages = ShardWriter::new(
                snapshot_dir.join(PAGES_DIR),
                &prefix,
                &config.shards,
                run_id,
                &config.metadata,
            )?;
            Ok((chunks, pages))
        });
        let tables = match tables {
            Ok(tables) => tables,
            Err(error) => {
                let _ = fs::remove_dir_all(&snapshot_dir);
                return Err(error);
            }
        };
        Ok(Self {
            out_dir,
            run_id: run_id.to_owned(),
            snapshot_dir,
            metadata: config.metadata,
            keep_snapshots: config.keep_snapshots,
            started_at: Utc::now(),
            tables: Some(tables),
            published: false,
            _lock: lock,
        })
    }

    /// The run id.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Adds a chunk. An invalid record is rejected (nothing written, the
    /// writer stays usable); see [`ShardWriter::push`].
    pub fn push_chunk(&mut self, chunk: ChunkRecord) -> Result<(), SinkError> {
        self.tables_mut()?.0.push(chunk)
    }

    /// Adds a page row. See [`push_chunk`](Self::push_chunk).
    pub fn push_page(&mut self, page: PageRecord) -> Result<(), SinkError> {
        self.tables_mut()?.1.push(page)
    }

    /// Bytes held in memory by both tables' writers.
    pub fn buffered_bytes(&self) -> usize {
        self.tables.as_ref().map_or(0, |(chunks, pages)| {
            chunks.buffered_bytes() + pages.buffered_bytes()
        })
    }

    fn tables_mut(
        &mut self,
    ) -> Result<&mut (ShardWriter<ChunkRecord>, ShardWriter<PageRecord>), SinkError> {
        self.tables
            .as_mut()
            .ok_or_else(|| SinkError::WriterFailed("the run was already finished".into()))
    }

    /// Closes the shards and publishes the snapshot: snapshot manifest, atomic
    /// swap of `current`, `OUT/manifest.json`, then removal of snapshots
    /// beyond `keep_snapshots` (best effort: what cannot be removed now is
    /// retried by the next run). `summary` is stored in the manifest as is.
    ///
    /// On an error before the swap nothing is published and the run's files
    /// are removed; the previous snapshot stays current.
    pub fn finish(mut self, summary: serde_json::Value) -> Result<Manifest, SinkError> {
        let (chunks, pages) = self.tables.take().expect("finish consumes the writer");
        let chunks = TableManifest::new(CHUNKS_DIR, &chunks.finish()?);
        let pages = TableManifest::new(PAGES_DIR, &pages.finish()?);
        for dir in [
            &self.snapshot_dir,
            atomic::parent(&self.snapshot_dir),
            &self.out_dir,
        ] {
            atomic::sync_dir(dir)?;
        }
        let manifest = Manifest {
            schema_version: SCHEMA_VERSION,
            run_id: self.run_id.clone(),
            started_at: self.started_at,
            finished_at: Utc::now(),
            snapshot: format!("{SNAPSHOTS_DIR}/{}", self.run_id),
            totals: Totals::of(&[&chunks, &pages]),
            chunks,
            pages,
            metadata: self.metadata.iter().cloned().collect(),
            summary,
        };
        manifest.write(&self.snapshot_dir)?;

        atomic::replace_symlink(
            &self.out_dir.join(CURRENT_LINK),
            Path::new(&manifest.snapshot),
        )?;
        self.published = true;
        for table in [CHUNKS_DIR, PAGES_DIR] {
            atomic::replace_symlink(
                &self.out_dir.join(table),
                &Path::new(CURRENT_LINK).join(table),
            )?;
        }
        manifest.write(&self.out_dir)?;
        let _ = clean::prune_snapshots(&self.out_dir, self.keep_snapshots);
        Ok(manifest)
    }
}

impl Drop for SnapshotWriter {
    /// An unpublished run's snapshot directory is removed (best effort) before
    /// the lock is released.
    fn drop(&mut self) {
        drop(self.tables.take());
        if !self.published {
            let _ = fs::remove_dir_all(&self.snapshot_dir);
        }
    }
}
