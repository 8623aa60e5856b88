//! The corpus: one directory per target (`corpus/<target>/`), one file per
//! input, named by a hash of its bytes. Hand-picked seeds and every input
//! that ever failed live there; each run replays them all first.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::targets::Target;

/// The files of `target`'s corpus under `root`, sorted by name (none when
/// the directory does not exist).
pub fn inputs(root: &Path, target: Target) -> io::Result<Vec<PathBuf>> {
    let dir = root.join(target.name());
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Saves `input` in `target`'s corpus under `root`; returns its path.
pub fn save(root: &Path, target: Target, input: &[u8]) -> io::Result<PathBuf> {
    let dir = root.join(target.name());
    fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{:016x}.json", fnv1a(input)));
    fs::write(&path, input)?;
    Ok(path)
}

/// FNV-1a, 64 bits: a stable name for an input.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_inputs_are_listed_under_a_stable_name() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(
            inputs(dir.path(), Target::Chunker)
                .expect("lists")
                .is_empty()
        );
        let first = save(dir.path(), Target::Chunker, b"{}").expect("saves");
        let again = save(dir.path(), Target::Chunker, b"{}").expect("saves");
        assert_eq!(first, again);
        assert_eq!(inputs(dir.path(), Target::Chunker).expect("lists"), [first]);
    }
}
