//! One run at a time per output: an exclusive lock on `.lock` in the state
//! directory, held for the whole run. The operating system releases it when
//! the process ends, however it ends, so a killed run never blocks the next.
//! A second run on the same output fails at once with
//! [`EngineError::Busy`](crate::EngineError::Busy), before any request.

use std::fs::{File, TryLockError};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The lock file's name (hidden from Parquet readers).
pub const LOCK_FILE: &str = ".lock";

/// A held lock; dropping it releases the lock.
#[derive(Debug)]
pub struct OutputLock {
    _file: File,
    path: PathBuf,
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another live process holds it.
    #[error("another notion-ingest run is using {0} (it holds {0}/.lock); wait for it to finish")]
    Busy(PathBuf),
    /// Another worker holds the lease of the object storage output.
    #[error(transparent)]
    Leased(sink::SinkError),
    /// The lock file could not be created.
    #[error("cannot create the lock file {path}: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl OutputLock {
    /// Takes the lock of `dir` (created if missing), or fails at once.
    pub fn acquire(dir: &Path) -> Result<OutputLock, LockError> {
        let path = dir.join(LOCK_FILE);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => Ok(OutputLock { _file: file, path }),
            Err(TryLockError::WouldBlock) => Err(LockError::Busy(dir.to_path_buf())),
            Err(TryLockError::Error(error)) => Err(io(error)),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_busy_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = OutputLock::acquire(dir.path()).unwrap();
        assert!(matches!(
            OutputLock::acquire(dir.path()),
            Err(LockError::Busy(_))
        ));
        drop(first);
        OutputLock::acquire(dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join(LOCK_FILE)).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(mode.permissions().mode() & 0o777, 0o600);
    }
}
