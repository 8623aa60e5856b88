//! Housekeeping of an output directory: [`clean_leftovers`] removes what dead
//! runs left behind, and `prune_snapshots` removes published snapshots beyond
//! the number to keep.
//!
//! A snapshot directory with a `manifest.json` is complete; one without is an
//! unfinished run. Both functions run only under the directory's lock, so an
//! unfinished snapshot they see belongs to a process that is gone.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::atomic::{self, DirLock};
use crate::error::{IoResultExt, SinkError};
use crate::manifest::{MANIFEST_FILE, Manifest};
use crate::snapshot::{CURRENT_LINK, SNAPSHOTS_DIR};

/// What [`clean_leftovers`] removed or repaired.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanReport {
    /// Snapshot directories of runs that never finished.
    pub removed_snapshots: Vec<PathBuf>,
    /// Temporary files (`.name.tmp`) in the output directory.
    pub removed_temp_files: Vec<PathBuf>,
    /// Whether `manifest.json` was rewritten from the current snapshot's, as
    /// a run died between publishing and writing it.
    pub repaired_manifest: bool,
}

impl CleanReport {
    /// Whether there was nothing to clean.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// Removes the leftovers of dead runs from `out_dir`: unfinished snapshot
/// directories and temporary files, and rewrites a stale `manifest.json`.
/// Published snapshots are never touched. Fails with [`SinkError::Busy`] if a
/// live run holds the directory; a missing directory has nothing to clean.
///
/// [`crate::SnapshotWriter::begin`] does this itself.
pub fn clean_leftovers(out_dir: impl AsRef<Path>) -> Result<CleanReport, SinkError> {
    let out_dir = out_dir.as_ref();
    if !out_dir.is_dir() {
        return Ok(CleanReport::default());
    }
    let _lock = DirLock::acquire(out_dir)?;
    clean_locked(out_dir)
}

/// [`clean_leftovers`] for a caller that holds the lock.
pub(crate) fn clean_locked(out_dir: &Path) -> Result<CleanReport, SinkError> {
    let mut report = CleanReport::default();
    for snapshot in list_snapshots(out_dir)? {
        if snapshot.completed_at.is_none() && !snapshot.is_current {
            fs::remove_dir_all(&snapshot.path).at(&snapshot.path)?;
            report.removed_snapshots.push(snapshot.path);
        }
    }
    for entry in fs::read_dir(out_dir).at(out_dir)? {
        let entry = entry.at(out_dir)?;
        if atomic::is_temp_name(&entry.file_name().to_string_lossy()) {
            fs::remove_file(entry.path()).at(&entry.path())?;
            report.removed_temp_files.push(entry.path());
        }
    }
    report.repaired_manifest = repair_manifest(out_dir)?;
    Ok(report)
}

/// Rewrites `OUT/manifest.json` from the current snapshot's if it is missing
/// or names another run.
fn repair_manifest(out_dir: &Path) -> Result<bool, SinkError> {
    let current = out_dir.join(CURRENT_LINK);
    if !current.join(MANIFEST_FILE).is_file() {
        return Ok(false);
    }
    let published = Manifest::read(&current)?;
    match Manifest::read(out_dir) {
        Ok(top) if top.run_id == published.run_id => Ok(false),
        _ => published.write(out_dir).map(|()| true),
    }
}

/// Removes complete snapshots other than the current one, oldest first,
/// until `keep` remain (the current one included), and unfinished ones.
/// Returns the removed directories.
pub(crate) fn prune_snapshots(out_dir: &Path, keep: usize) -> Result<Vec<PathBuf>, SinkError> {
    let mut others: Vec<SnapshotDir> = list_snapshots(out_dir)?
        .into_iter()
        .filter(|s| !s.is_current)
        .collect();
    // Newest first; unfinished ones (None) sort last and always go.
    others.sort_by_key(|snapshot| std::cmp::Reverse(snapshot.completed_at));
    let keep_others = keep.saturating_sub(1);
    let mut removed = Vec::new();
    for (rank, snapshot) in others.into_iter().enumerate() {
        if rank >= keep_others || snapshot.completed_at.is_none() {
            fs::remove_dir_all(&snapshot.path).at(&snapshot.path)?;
            removed.push(snapshot.path);
        }
    }
    Ok(removed)
}

/// A directory under `OUT/snapshots`.
struct SnapshotDir {
    path: PathBuf,
    /// When its run finished, from its manifest (the epoch if the manifest
    /// is unreadable, so it is pruned first); `None` for an unfinished run.
    completed_at: Option<DateTime<Utc>>,
    /// Whether `OUT/current` points at it.
    is_current: bool,
}

/// The snapshot directories of `out_dir`, in no particular order.
fn list_snapshots(out_dir: &Path) -> Result<Vec<SnapshotDir>, SinkError> {
    let root = out_dir.join(SNAPSHOTS_DIR);
    if !root.is_dir() {
        return Ok(Vec::new());
    }
    let current = fs::read_link(out_dir.join(CURRENT_LINK))
        .ok()
        .and_then(|target| target.file_name().map(ToOwned::to_owned));
    let mut snapshots = Vec::new();
    for entry in fs::read_dir(&root).at(&root)? {
        let entry = entry.at(&root)?;
        if !entry.file_type().at(&root)?.is_dir() {
            continue;
        }
        let path = entry.path();
        let completed_at = path.join(MANIFEST_FILE).is_file().then(|| {
            Manifest::read(&path).map_or(DateTime::UNIX_EPOCH, |manifest| manifest.finished_at)
        });
        let is_current = current.as_deref() == Some(entry.file_name().as_os_str());
        snapshots.push(SnapshotDir {
            path,
            completed_at,
            is_current,
        });
    }
    Ok(snapshots)
}
