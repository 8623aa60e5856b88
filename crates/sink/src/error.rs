//! The one error type of the sink, [`SinkError`], and a helper that attaches
//! the path to an I/O error so every message says which file failed.

use std::io;
use std::path::{Path, PathBuf};

/// Everything that can go wrong while writing, publishing, cleaning or reading
/// the sink's output.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// A setting of [`crate::SinkConfig`] or [`crate::ShardSettings`], a run id
    /// or a file prefix is unusable.
    #[error("invalid sink configuration: {0}")]
    InvalidConfig(String),

    /// A pushed record was rejected; nothing of it was written and the writer
    /// is still usable.
    #[error("invalid {kind} record {id:?}: {reason}")]
    InvalidRecord {
        /// `chunks` or `pages`.
        kind: &'static str,
        /// The record's chunk id or page id.
        id: String,
        /// What is wrong with it.
        reason: String,
    },

    /// Another live process holds the output directory's lock.
    #[error("another run is writing to {0} (its lock file .lock is held)")]
    Busy(PathBuf),

    /// The run id already has a snapshot in the output directory.
    #[error("run {run_id:?} already has a snapshot in {out_dir}; use a new run id")]
    RunExists {
        /// The run id passed to `begin`.
        run_id: String,
        /// The output directory.
        out_dir: PathBuf,
    },

    /// Something in the output directory is not what the sink made, so it
    /// refuses to touch it.
    #[error("{path}: {reason}; refusing to overwrite it")]
    UnexpectedLayout {
        /// The offending path.
        path: PathBuf,
        /// What was found there.
        reason: String,
    },

    /// A file system operation failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },

    /// The Parquet library failed to write or read a file.
    #[error("Parquet error on {path}: {source}")]
    Parquet {
        /// The shard involved.
        path: PathBuf,
        /// The underlying error.
        source: parquet::errors::ParquetError,
    },

    /// A file read back is not a shard of the expected record type and schema
    /// version.
    #[error("{path}: not a {expected} shard of schema version {version}: {reason}", version = crate::SCHEMA_VERSION)]
    SchemaMismatch {
        /// The file read.
        path: PathBuf,
        /// `chunks` or `pages`.
        expected: &'static str,
        /// What differs.
        reason: String,
    },

    /// A manifest could not be written or parsed.
    #[error("manifest {path}: {source}")]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// The underlying error.
        source: serde_json::Error,
    },

    /// Publishing would overwrite what another run published (a lost race
    /// between two writers, or a change set published twice).
    #[error("publish conflict: {0}")]
    Conflict(String),

    /// The pointer to the current snapshot names a snapshot that is gone.
    #[error(
        "{link} points at snapshot {run_id:?}, which is missing; the next run republishes the snapshot from its state store (or remove {link} by hand)"
    )]
    DanglingCurrent {
        /// The pointer (`OUT/current`).
        link: PathBuf,
        /// The run its target names.
        run_id: String,
    },

    /// An object store (S3, GCS, Azure) refused or failed a request. The
    /// message names the object, never a credential.
    #[cfg(feature = "object-store")]
    #[error("object store error on {location}: {source}")]
    Object {
        /// The object or prefix involved (`s3://bucket/prefix/...`).
        location: String,
        /// The underlying error.
        source: object_store::Error,
    },

    /// An earlier write failed, so the writer's shard is incomplete; the run
    /// cannot be finished (its snapshot is never published).
    #[error("the writer failed earlier ({0}); this run cannot be published")]
    WriterFailed(String),
}

/// Attaches a path to the error of an I/O result.
pub(crate) trait IoResultExt<T> {
    /// Turns `io::Error` into [`SinkError::Io`] naming `path`.
    fn at(self, path: &Path) -> Result<T, SinkError>;
}

impl<T> IoResultExt<T> for io::Result<T> {
    fn at(self, path: &Path) -> Result<T, SinkError> {
        self.map_err(|source| SinkError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}
