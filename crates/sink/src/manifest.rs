//! [`Manifest`]: the `manifest.json` that describes one published snapshot —
//! its shards, row counts, schema version, run, times and the caller's summary.
//!
//! The same manifest is written twice: into the snapshot directory (where it
//! marks the snapshot complete, and is swapped in with the data) and, last of
//! all, as `OUT/manifest.json`. Shard paths are relative to the directory that
//! holds the manifest: `chunks/part-….parquet` resolves in both places.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::atomic;
use crate::error::{IoResultExt, SinkError};
use crate::shard::WrittenShard;

/// The manifest's file name.
pub const MANIFEST_FILE: &str = "manifest.json";

/// What a published snapshot holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`crate::SCHEMA_VERSION`] of the shards.
    pub schema_version: u32,
    /// The run that wrote the snapshot.
    pub run_id: String,
    /// When the run began writing.
    pub started_at: DateTime<Utc>,
    /// When the run finished writing, just before publishing.
    pub finished_at: DateTime<Utc>,
    /// The snapshot directory, relative to the output directory.
    pub snapshot: String,
    /// The `chunks` table.
    pub chunks: TableManifest,
    /// The `pages` table.
    pub pages: TableManifest,
    /// Sums over both tables.
    pub totals: Totals,
    /// The caller's key-value metadata, also in every shard.
    pub metadata: BTreeMap<String, String>,
    /// The caller's summary of the run (counts, errors, timings, …).
    pub summary: serde_json::Value,
}

/// One table's shards and counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableManifest {
    /// Rows in all shards.
    pub rows: u64,
    /// Bytes of all shards.
    pub bytes: u64,
    /// The shards, in order.
    pub shards: Vec<ShardInfo>,
}

/// One shard of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// Path relative to the manifest's directory, e.g. `chunks/part-r1-00000.parquet`.
    pub path: String,
    /// Rows in the shard.
    pub rows: u64,
    /// Size of the shard in bytes.
    pub bytes: u64,
}

/// Sums over both tables.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Rows of both tables.
    pub rows: u64,
    /// Bytes of all shards.
    pub bytes: u64,
    /// Number of shards.
    pub shards: u64,
}

impl TableManifest {
    /// The manifest of a table whose shards sit in the directory `table`
    /// (`chunks` or `pages`) under the manifest's directory.
    pub(crate) fn new(table: &str, written: &[WrittenShard]) -> Self {
        let shards: Vec<ShardInfo> = written
            .iter()
            .map(|shard| {
                let name = shard.path.file_name().unwrap_or_default().to_string_lossy();
                ShardInfo {
                    path: format!("{table}/{name}"),
                    rows: shard.rows,
                    bytes: shard.bytes,
                }
            })
            .collect();
        Self {
            rows: shards.iter().map(|s| s.rows).sum(),
            bytes: shards.iter().map(|s| s.bytes).sum(),
            shards,
        }
    }

    /// The shards' paths under `root`, the manifest's directory.
    pub fn shard_paths(&self, root: &Path) -> Vec<PathBuf> {
        self.shards
            .iter()
            .map(|shard| root.join(&shard.path))
            .collect()
    }
}

impl Totals {
    /// The sums over `tables`.
    pub(crate) fn of(tables: &[&TableManifest]) -> Self {
        Self {
            rows: tables.iter().map(|t| t.rows).sum(),
            bytes: tables.iter().map(|t| t.bytes).sum(),
            shards: tables.iter().map(|t| t.shards.len() as u64).sum(),
        }
    }
}

impl Manifest {
    /// Reads the manifest in `dir` (an output or snapshot directory).
    pub fn read(dir: &Path) -> Result<Self, SinkError> {
        let path = dir.join(MANIFEST_FILE);
        let text = fs::read(&path).at(&path)?;
        serde_json::from_slice(&text).map_err(|source| SinkError::Manifest { path, source })
    }

    /// Writes the manifest into `dir` atomically (temporary name, fsync,
    /// rename).
    pub(crate) fn write(&self, dir: &Path) -> Result<(), SinkError> {
        let path = dir.join(MANIFEST_FILE);
        let mut text = serde_json::to_vec_pretty(self).map_err(|source| SinkError::Manifest {
            path: path.clone(),
            source,
        })?;
        text.push(b'\n');
        atomic::write_atomically(&path, &text)
    }
}
