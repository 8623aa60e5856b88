//! Where output is published: the [`Publisher`] seam, and [`LocalDir`], its
//! implementation for a local output directory.
//!
//! A run builds its files in a local *staging* directory the publisher hands
//! out ([`Publisher::stage`]), with [`SnapshotBuilder`](crate::SnapshotBuilder)
//! and [`ChangesBuilder`](crate::ChangesBuilder); publishing then makes them
//! visible in one step. The protocol needs no symlink and no rename on the
//! publisher's side, so an object store can implement it: upload the staged
//! files under the run's own prefix, then replace one small pointer object
//! with a conditional write. [`LocalDir`] stages in place
//! (`OUT/snapshots/<run_id>/`) and publishes with an atomic symlink swap.
//!
//! Two writers can never both publish: [`Publisher::publish_snapshot`] takes
//! the run id of the snapshot that was current when the run read it, and
//! fails with [`SinkError::Conflict`] if another run published since.

use std::fs;
use std::path::{Path, PathBuf};

use crate::atomic;
use crate::changes::{CHANGES_DIR, CHANGES_FILE, ChangeSet};
use crate::clean;
use crate::error::{IoResultExt, SinkError};
use crate::manifest::{MANIFEST_FILE, Manifest};
use crate::shard::check_name_part;
use crate::snapshot::{CHUNKS_DIR, CURRENT_LINK, PAGES_DIR, SNAPSHOTS_DIR};

/// What a staging directory is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staged {
    /// A run's snapshot (`chunks/`, `pages/`, `manifest.json`).
    Snapshot,
    /// A run's change set (`upserts-*.parquet`, `deletes.parquet`, `changes.json`).
    ChangeSet,
}

/// Where a run's output becomes visible to readers.
///
/// Implementations: [`LocalDir`] (a directory on this machine); an object
/// store (another crate). Methods are blocking; call them from a blocking
/// thread.
pub trait Publisher: Send + Sync + std::fmt::Debug {
    /// A fresh, empty local directory in which to build `run_id`'s `kind`
    /// output. Anything staged earlier for the same run and kind is removed.
    fn stage(&self, kind: Staged, run_id: &str) -> Result<PathBuf, SinkError>;

    /// Publishes a staged change set as `changes/run=<run_id>/` (see
    /// [`ChangeSet::dir`]). A change set is published once: a second one for
    /// the same run is refused with [`SinkError::Conflict`] and its staged
    /// files are removed.
    fn publish_change_set(&self, staged: &Path, set: &ChangeSet) -> Result<(), SinkError>;

    /// Makes a staged snapshot current, provided the current snapshot is still
    /// the one of run `expected` (`None`: nothing published yet); otherwise
    /// nothing changes and the answer is [`SinkError::Conflict`].
    fn publish_snapshot(
        &self,
        staged: &Path,
        manifest: &Manifest,
        expected: Option<&str>,
    ) -> Result<(), SinkError>;

    /// The manifest of the current snapshot, or `None` if none was published.
    /// A pointer to a snapshot that is gone is [`SinkError::DanglingCurrent`].
    fn current(&self) -> Result<Option<Manifest>, SinkError>;

    /// The published change set of `run_id`, if there is one.
    fn change_set(&self, run_id: &str) -> Result<Option<ChangeSet>, SinkError>;

    /// The `chunk_id` and `page_id` of every chunk in the current snapshot
    /// (empty when none is published), for reconciling a store that lost
    /// track of it.
    fn current_chunk_ids(&self) -> Result<Vec<(String, String)>, SinkError>;

    /// Removes what dead runs left behind (unpublished staging areas).
    fn clean(&self) -> Result<(), SinkError>;

    /// Where the output lives, for messages (a path or a URL).
    fn location(&self) -> String;

    /// The state store that lives next to the output, when the output is
    /// remote (object storage); `None` for a local directory, which holds
    /// the state store itself.
    fn remote_state(&self) -> Option<&dyn RemoteState> {
        None
    }

    /// Where each shard of the current snapshot can be read (chunks, then
    /// pages): paths for a local directory, URLs for object storage.
    fn shard_urls(&self) -> Result<Vec<String>, SinkError>;

    /// The Hive-style partitions directly below this output (`key=value`
    /// names such as `workspace=acme`, written by a many-workspace run),
    /// sorted; each is an output of its own.
    fn partitions(&self) -> Result<Vec<String>, SinkError>;
}

/// Whether `name` is a Hive-style partition (`key=value`, neither empty).
pub fn is_partition(name: &str) -> bool {
    name.split_once('=')
        .is_some_and(|(key, value)| !key.is_empty() && !value.is_empty())
}

/// A state store kept next to a remote output: downloaded when a run
/// starts, uploaded at checkpoints and at the end with a conditional write,
/// so a worker on a fresh machine continues where the last one stopped and
/// two workers never both replace it.
pub trait RemoteState: Send + Sync + std::fmt::Debug {
    /// Replaces the local file `local` with the remote state store; `false`
    /// (and `local` removed) when there is none yet.
    fn download_state(&self, local: &Path) -> Result<bool, SinkError>;

    /// Uploads `local` as the state store, provided nobody replaced it
    /// since this process downloaded or last uploaded it; otherwise
    /// [`SinkError::Conflict`].
    fn upload_state(&self, local: &Path) -> Result<(), SinkError>;

    /// How long a lease lasts unless renewed; renew well within it
    /// (a third of it).
    fn lease_ttl(&self) -> std::time::Duration;

    /// Takes the output's lease for `holder` (a conditional create, or a
    /// conditional replace of an expired lease), so two workers never run
    /// on the same output; [`SinkError::Leased`] when another holder's
    /// lease has not expired.
    fn acquire_lease(&self, holder: &str) -> Result<(), SinkError>;

    /// Extends the lease this process holds by [`lease_ttl`](Self::lease_ttl)
    /// from now; [`SinkError::Conflict`] when another worker took it over
    /// (this one's had expired).
    fn renew_lease(&self) -> Result<(), SinkError>;

    /// Gives up the lease this process holds (marks it expired, if nobody
    /// took it over), so the next worker need not wait for it to expire.
    fn release_lease(&self) -> Result<(), SinkError>;
}

/// A local output directory:
///
/// ```text
/// OUT/
///   chunks -> current/chunks, pages -> current/pages
///   current -> snapshots/<run_id>         swapped atomically on publish
///   manifest.json                         copy of the current manifest, written last
///   snapshots/<run_id>/                   staged and published in place
///   changes/run=<run_id>/                 staged as changes/.run=<run_id>.tmp, then renamed
/// ```
#[derive(Debug, Clone)]
pub struct LocalDir {
    out_dir: PathBuf,
    keep_snapshots: usize,
}

impl LocalDir {
    /// The output directory `out_dir`, keeping `keep_snapshots` published
    /// snapshots (at least 1; the current one included).
    pub fn new(out_dir: impl Into<PathBuf>, keep_snapshots: usize) -> Self {
        LocalDir {
            out_dir: out_dir.into(),
            keep_snapshots: keep_snapshots.max(1),
        }
    }

    /// The output directory.
    pub fn out_dir(&self) -> &Path {
        &self.out_dir
    }

    fn change_set_dir(&self, run_id: &str) -> PathBuf {
        self.out_dir.join(CHANGES_DIR).join(format!("run={run_id}"))
    }
}

impl Publisher for LocalDir {
    fn stage(&self, kind: Staged, run_id: &str) -> Result<PathBuf, SinkError> {
        check_name_part("run id", run_id)?;
        fs::create_dir_all(&self.out_dir).at(&self.out_dir)?;
        for name in [CURRENT_LINK, CHUNKS_DIR, PAGES_DIR] {
            atomic::is_symlink_or_absent(&self.out_dir.join(name))?;
        }
        let dir = match kind {
            Staged::Snapshot => {
                let dir = self.out_dir.join(SNAPSHOTS_DIR).join(run_id);
                let current = fs::read_link(self.out_dir.join(CURRENT_LINK)).ok();
                if current.is_some_and(|target| target.ends_with(run_id)) {
                    return Err(SinkError::RunExists {
                        run_id: run_id.to_owned(),
                        out_dir: self.out_dir.clone(),
                    });
                }
                dir
            }
            Staged::ChangeSet => atomic::temp_path(&self.change_set_dir(run_id)),
        };
        if fs::symlink_metadata(&dir).is_ok() {
            fs::remove_dir_all(&dir).at(&dir)?;
        }
        fs::create_dir_all(&dir).at(&dir)?;
        Ok(dir)
    }

    fn publish_change_set(&self, staged: &Path, set: &ChangeSet) -> Result<(), SinkError> {
        let target = self.change_set_dir(&set.run_id);
        if fs::symlink_metadata(&target).is_ok() {
            // The refused set is dropped; the published one stays as it was.
            let _ = fs::remove_dir_all(staged);
            return Err(SinkError::Conflict(format!(
                "the change set of run {} is already published at {}",
                set.run_id,
                target.display()
            )));
        }
        atomic::sync_dir(staged)?;
        fs::rename(staged, &target).at(&target)?;
        atomic::sync_dir(atomic::parent(&target))
    }

    fn publish_snapshot(
        &self,
        staged: &Path,
        manifest: &Manifest,
        expected: Option<&str>,
    ) -> Result<(), SinkError> {
        let found = match self.current() {
            Ok(current) => current.map(|m| m.run_id),
            // A dangling pointer names a snapshot that is gone: replacing it
            // is the repair.
            Err(SinkError::DanglingCurrent { run_id, .. }) => Some(run_id),
            Err(error) => return Err(error),
        };
        if found.as_deref() != expected {
            return Err(SinkError::Conflict(format!(
                "{} was published by run {} while this run expected {}",
                self.out_dir.display(),
                found.as_deref().unwrap_or("(none)"),
                expected.unwrap_or("(none)")
            )));
        }
        let expected_dir = self.out_dir.join(SNAPSHOTS_DIR).join(&manifest.run_id);
        if staged != expected_dir {
            return Err(SinkError::InvalidConfig(format!(
                "a local snapshot must be staged at {}",
                expected_dir.display()
            )));
        }
        for dir in [staged, atomic::parent(staged), &self.out_dir] {
            atomic::sync_dir(dir)?;
        }
        atomic::replace_symlink(
            &self.out_dir.join(CURRENT_LINK),
            Path::new(&manifest.snapshot),
        )?;
        for table in [CHUNKS_DIR, PAGES_DIR] {
            atomic::replace_symlink(
                &self.out_dir.join(table),
                &Path::new(CURRENT_LINK).join(table),
            )?;
        }
        manifest.write(&self.out_dir)?;
        let _ = clean::prune_snapshots(&self.out_dir, self.keep_snapshots);
        Ok(())
    }

    fn current(&self) -> Result<Option<Manifest>, SinkError> {
        let link = self.out_dir.join(CURRENT_LINK);
        let target = match fs::read_link(&link) {
            Ok(target) => target,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(error).at(&link),
        };
        let dir = self.out_dir.join(&target);
        if !dir.join(MANIFEST_FILE).is_file() {
            return Err(SinkError::DanglingCurrent {
                link,
                run_id: target
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            });
        }
        Manifest::read(&dir).map(Some)
    }

    fn change_set(&self, run_id: &str) -> Result<Option<ChangeSet>, SinkError> {
        let path = self.change_set_dir(run_id).join(CHANGES_FILE);
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|source| SinkError::Manifest { path, source }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error).at(&path),
        }
    }

    fn current_chunk_ids(&self) -> Result<Vec<(String, String)>, SinkError> {
        let Some(manifest) = self.current()? else {
            return Ok(Vec::new());
        };
        let dir = self.out_dir.join(&manifest.snapshot);
        let mut ids = Vec::new();
        for path in manifest.chunks.shard_paths(&dir) {
            ids.extend(crate::reader::chunk_ids_in(&path)?);
        }
        Ok(ids)
    }

    fn clean(&self) -> Result<(), SinkError> {
        if !self.out_dir.is_dir() {
            return Ok(());
        }
        clean::clean_locked(&self.out_dir)?;
        let changes = self.out_dir.join(CHANGES_DIR);
        if changes.is_dir() {
            for entry in fs::read_dir(&changes).at(&changes)? {
                let entry = entry.at(&changes)?;
                if atomic::is_temp_name(&entry.file_name().to_string_lossy()) {
                    fs::remove_dir_all(entry.path()).at(&entry.path())?;
                }
            }
        }
        Ok(())
    }

    fn location(&self) -> String {
        self.out_dir.display().to_string()
    }

    fn shard_urls(&self) -> Result<Vec<String>, SinkError> {
        let Some(manifest) = self.current()? else {
            return Ok(Vec::new());
        };
        let dir = self.out_dir.join(&manifest.snapshot);
        Ok(manifest
            .chunks
            .shard_paths(&dir)
            .into_iter()
            .chain(manifest.pages.shard_paths(&dir))
            .map(|p| p.display().to_string())
            .collect())
    }

    fn partitions(&self) -> Result<Vec<String>, SinkError> {
        let entries = match fs::read_dir(&self.out_dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).at(&self.out_dir),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.at(&self.out_dir)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if is_partition(&name) && entry.path().is_dir() {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }
}
