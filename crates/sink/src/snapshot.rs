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
use crate::publish::{LocalDir, Publisher, Staged};
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

/// Builds one run's snapshot (shards and manifest) in a staging directory,
/// without publishing it: [`Publisher::publish_snapshot`](crate::Publisher::publish_snapshot)
/// does that. Dropping it unfinished leaves the partial files for the
/// publisher's [`clean`](crate::Publisher::clean).
pub struct SnapshotBuilder {
    run_id: String,
    dir: PathBuf,
    metadata: Vec<(String, String)>,
    started_at: DateTime<Utc>,
    tables: (ShardWriter<ChunkRecord>, ShardWriter<PageRecord>),
}

impl SnapshotBuilder {
    /// Starts run `run_id`'s snapshot in `dir` (its `chunks/` and `pages/`
    /// are created), with `config`'s shard settings and metadata.
    pub fn new(
        dir: impl Into<PathBuf>,
        run_id: &str,
        config: &SinkConfig,
    ) -> Result<Self, SinkError> {
        check_name_part("run id", run_id)?;
        let dir = dir.into();
        let prefix = format!("part-{run_id}");
        let tables = (
            ShardWriter::new(
                dir.join(CHUNKS_DIR),
                &prefix,
                &config.shards,
                run_id,
                &config.metadata,
            )?,
            ShardWriter::new(
                dir.join(PAGES_DIR),
                &prefix,
                &config.shards,
                run_id,
                &config.metadata,
            )?,
        );
        Ok(Self {
            run_id: run_id.to_owned(),
            dir,
            metadata: config.metadata.clone(),
            started_at: Utc::now(),
            tables,
        })
    }

    /// The staging directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Adds a chunk. An invalid record is rejected (nothing written, the
    /// builder stays usable); see [`ShardWriter::push`].
    pub fn push_chunk(&mut self, chunk: ChunkRecord) -> Result<(), SinkError> {
        self.tables.0.push(chunk)
    }

    /// Adds a page row. See [`push_chunk`](Self::push_chunk).
    pub fn push_page(&mut self, page: PageRecord) -> Result<(), SinkError> {
        self.tables.1.push(page)
    }

    /// Bytes held in memory by both tables' writers.
    pub fn buffered_bytes(&self) -> usize {
        self.tables.0.buffered_bytes() + self.tables.1.buffered_bytes()
    }

    /// Closes the shards and writes the snapshot's `manifest.json` (which
    /// marks it complete); `summary` is stored in the manifest as is.
    pub fn finish(self, summary: serde_json::Value) -> Result<Manifest, SinkError> {
        let (chunks, pages) = self.tables;
        let chunks = TableManifest::new(CHUNKS_DIR, &chunks.finish()?);
        let pages = TableManifest::new(PAGES_DIR, &pages.finish()?);
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
        atomic::sync_dir(&self.dir)?;
        manifest.write(&self.dir)?;
        Ok(manifest)
    }
}

/// Writes one run's chunks and pages into a new snapshot of a local output
/// directory and publishes it atomically on [`finish`](Self::finish): a
/// [`SnapshotBuilder`] staged and published by [`LocalDir`], under the
/// directory's lock. Dropping it unfinished publishes nothing and removes
/// what it wrote.
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
    publisher: LocalDir,
    /// `None` once finished.
    builder: Option<SnapshotBuilder>,
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
        let out_dir = &config.out_dir;
        fs::create_dir_all(out_dir).at(out_dir)?;
        for name in [CURRENT_LINK, CHUNKS_DIR, PAGES_DIR] {
            atomic::is_symlink_or_absent(&out_dir.join(name))?;
        }
        let lock = DirLock::acquire(out_dir)?;
        clean::clean_locked(out_dir)?;
        if fs::symlink_metadata(out_dir.join(SNAPSHOTS_DIR).join(run_id)).is_ok() {
            return Err(SinkError::RunExists {
                run_id: run_id.to_owned(),
                out_dir: out_dir.clone(),
            });
        }
        let publisher = LocalDir::new(out_dir, config.keep_snapshots);
        let staged = publisher.stage(Staged::Snapshot, run_id)?;
        let builder = match SnapshotBuilder::new(&staged, run_id, &config) {
            Ok(builder) => builder,
            Err(error) => {
                let _ = fs::remove_dir_all(&staged);
                return Err(error);
            }
        };
        Ok(Self {
            publisher,
            builder: Some(builder),
            published: false,
            _lock: lock,
        })
    }

    /// The run id.
    pub fn run_id(&self) -> &str {
        self.builder.as_ref().map_or("", |b| b.run_id.as_str())
    }

    /// Adds a chunk. An invalid record is rejected (nothing written, the
    /// writer stays usable); see [`ShardWriter::push`].
    pub fn push_chunk(&mut self, chunk: ChunkRecord) -> Result<(), SinkError> {
        self.builder_mut()?.push_chunk(chunk)
    }

    /// Adds a page row. See [`push_chunk`](Self::push_chunk).
    pub fn push_page(&mut self, page: PageRecord) -> Result<(), SinkError> {
        self.builder_mut()?.push_page(page)
    }

    /// Bytes held in memory by both tables' writers.
    pub fn buffered_bytes(&self) -> usize {
        self.builder
            .as_ref()
            .map_or(0, SnapshotBuilder::buffered_bytes)
    }

    fn builder_mut(&mut self) -> Result<&mut SnapshotBuilder, SinkError> {
        self.builder
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
        let builder = self.builder.take().expect("finish consumes the writer");
        let staged = builder.dir().to_path_buf();
        let manifest = match builder.finish(summary) {
            Ok(manifest) => manifest,
            Err(error) => {
                let _ = fs::remove_dir_all(&staged);
                return Err(error);
            }
        };
        let expected = match self.publisher.current() {
            Ok(current) => current.map(|m| m.run_id),
            Err(SinkError::DanglingCurrent { run_id, .. }) => Some(run_id),
            Err(error) => {
                let _ = fs::remove_dir_all(&staged);
                return Err(error);
            }
        };
        match self
            .publisher
            .publish_snapshot(&staged, &manifest, expected.as_deref())
        {
            Ok(()) => {
                self.published = true;
                Ok(manifest)
            }
            Err(error) => {
                // Published already if `current` points at it.
                let now = self.publisher.current().ok().flatten();
                if now.is_some_and(|m| m.run_id == manifest.run_id) {
                    self.published = true;
                } else {
                    let _ = fs::remove_dir_all(&staged);
                }
                Err(error)
            }
        }
    }
}

impl Drop for SnapshotWriter {
    /// An unpublished run's snapshot directory is removed (best effort) before
    /// the lock is released.
    fn drop(&mut self) {
        if let Some(builder) = self.builder.take() {
            let staged = builder.dir().to_path_buf();
            drop(builder);
            if !self.published {
                let _ = fs::remove_dir_all(&staged);
            }
        }
    }
}
