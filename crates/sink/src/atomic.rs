//! The file system moves that make publishing atomic: hidden temporary names,
//! fsync of files and directories, rename over an old file or symlink, and the
//! output directory's lock.
//!
//! Readers (pyarrow, polars, DuckDB globs) skip names that start with `.`, so
//! a file under its temporary name is never read; `rename` then makes it
//! appear whole or not at all, and the fsyncs make that survive a power loss.

use std::fs::{self, File, TryLockError};
use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use crate::error::{IoResultExt, SinkError};

/// Suffix of every temporary name the sink uses.
const TEMP_SUFFIX: &str = ".tmp";

/// The hidden temporary name under which `path` is written before the rename:
/// `dir/.name.tmp`.
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}{TEMP_SUFFIX}"))
}

/// Whether a file name is one of the sink's temporary names.
pub(crate) fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(TEMP_SUFFIX)
}

/// Makes the entries of `dir` (creations, renames, removals) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), SinkError> {
    File::open(dir).and_then(|d| d.sync_all()).at(dir)
}

/// Writes `bytes` to `path` so that a reader sees the old file or the whole
/// new one: temporary name, fsync, rename, fsync of the directory.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), SinkError> {
    let temp = temp_path(path);
    let mut file = File::create(&temp).at(&temp)?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .at(&temp)?;
    drop(file);
    publish_file(&temp, path)
}

/// Renames a complete, fsynced temporary file to its final name and makes the
/// rename durable.
pub(crate) fn publish_file(temp: &Path, path: &Path) -> Result<(), SinkError> {
    fs::rename(temp, path).at(path)?;
    sync_dir(parent(path))
}

/// Points the symlink `link` at `target` (a path relative to the link's
/// directory) by renaming a fresh symlink over the old one, so readers
/// resolve either the old target or the new one, never nothing.
///
/// Refuses to replace anything that is not a symlink.
pub(crate) fn replace_symlink(link: &Path, target: &Path) -> Result<(), SinkError> {
    if is_symlink_or_absent(link)? && fs::read_link(link).is_ok_and(|old| old == target) {
        return Ok(());
    }
    let temp = temp_path(link);
    if fs::symlink_metadata(&temp).is_ok() {
        fs::remove_file(&temp).at(&temp)?;
    }
    symlink(target, &temp).at(&temp)?;
    publish_file(&temp, link)
}

/// Whether `path` is a symlink (true) or absent (false); anything else there
/// is refused with [`SinkError::UnexpectedLayout`], as the sink would
/// otherwise replace something it did not make.
pub(crate) fn is_symlink_or_absent(path: &Path) -> Result<bool, SinkError> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Ok(true),
        Ok(_) => Err(SinkError::UnexpectedLayout {
            path: path.to_path_buf(),
            reason: "exists and is not a symlink made by the sink".into(),
        }),
        Err(_) => Ok(false),
    }
}

/// The directory holding `path` (`.` for a bare name).
pub(crate) fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// An exclusive lock on an output directory, held while a run writes or
/// leftovers are cleaned. The operating system releases it when the process
/// dies, so a killed run never blocks the next one.
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    /// The lock file's name in the output directory (hidden from readers).
    const FILE_NAME: &'static str = ".lock";

    /// Takes the lock of `out_dir`, or fails with [`SinkError::Busy`] if a
    /// live process holds it.
    pub(crate) fn acquire(out_dir: &Path) -> Result<Self, SinkError> {
        let path = out_dir.join(Self::FILE_NAME);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .at(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(TryLockError::WouldBlock) => Err(SinkError::Busy(out_dir.to_path_buf())),
            Err(TryLockError::Error(error)) => Err(error).at(&path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_hidden_and_recognised() {
        let temp = temp_path(Path::new("out/chunks/part-1.parquet"));
        assert_eq!(temp, Path::new("out/chunks/.part-1.parquet.tmp"));
        assert!(is_temp_name(&temp.file_name().unwrap().to_string_lossy()));
        assert!(!is_temp_name("part-1.parquet"));
        assert!(!is_temp_name(".lock"));
    }

    #[test]
    fn replace_symlink_swaps_target_and_refuses_real_directories() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("current");
        replace_symlink(&link, Path::new("a")).unwrap();
        replace_symlink(&link, Path::new("b")).unwrap();
        assert_eq!(fs::read_link(&link).unwrap(), Path::new("b"));

        let real = dir.path().join("chunks");
        fs::create_dir(&real).unwrap();
        let error = replace_symlink(&real, Path::new("b")).unwrap_err();
        assert!(
            matches!(error, SinkError::UnexpectedLayout { .. }),
            "{error}"
        );
        assert!(real.is_dir());
    }

    #[test]
    fn a_second_lock_on_the_same_directory_is_busy() {
        let dir = tempfile::tempdir().unwrap();
        let first = DirLock::acquire(dir.path()).unwrap();
        assert!(matches!(
            DirLock::acquire(dir.path()),
            Err(SinkError::Busy(_))
        ));
        drop(first);
        DirLock::acquire(dir.path()).unwrap();
    }
}
