//! The state file: which steps of the plan are done and which dataset
//! object became which Notion object, so a killed upload resumes where it
//! stopped without creating anything twice.
//!
//! JSON, rewritten after every step that succeeded: written to a temporary
//! file, flushed to disk, then renamed over the old one (a crash leaves the
//! old state or the new, never half of one). A fingerprint of the dataset,
//! the parent page and the limits ties it to one upload.
//!
//! ```json
//! {"version": 1, "fingerprint": "…", "parent": "…", "parent_children": 0,
//!  "users": {"<dataset user>": "<workspace user>"}, "done": 42,
//!  "ids": {"<dataset id>": "<notion id>"}}
//! ```

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::convert::UserMap;
use crate::error::UploadError;
use crate::limits::WriteLimits;

const VERSION: u32 = 1;

/// An upload's progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct State {
    pub version: u32,
    /// Ties the file to one dataset, parent and limits.
    pub fingerprint: String,
    /// The page the upload goes under.
    pub parent: String,
    /// Children the parent page had before the upload.
    pub parent_children: usize,
    /// The users the upload maps to (fixed on the first run, so a resumed
    /// upload plans the same steps).
    pub users: UserMap,
    /// Steps done, in plan order.
    pub done: usize,
    /// Dataset key → Notion id.
    pub ids: BTreeMap<String, String>,
}

impl State {
    /// A fresh state.
    pub fn new(fingerprint: String, parent: &str, parent_children: usize, users: UserMap) -> State {
        State {
            version: VERSION,
            fingerprint,
            parent: parent.to_string(),
            parent_children,
            users,
            done: 0,
            ids: BTreeMap::new(),
        }
    }

    /// The state in `path`, `None` when there is no file.
    pub fn load(path: &Path) -> Result<Option<State>, UploadError> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(state_error(path, format!("cannot read it: {e}"))),
        };
        let state: State = serde_json::from_str(&text)
            .map_err(|e| state_error(path, format!("not an upload state: {e}")))?;
        if state.version != VERSION {
            return Err(state_error(
                path,
                format!("version {} is not {VERSION}", state.version),
            ));
        }
        Ok(Some(state))
    }

    /// Writes the state atomically: a temporary file, flushed, renamed over `path`.
    pub fn save(&self, path: &Path) -> Result<(), UploadError> {
        let tmp = temp_path(path);
        let write = || -> std::io::Result<()> {
            let mut file = File::create(&tmp)?;
            file.write_all(&serde_json::to_vec(self).map_err(std::io::Error::other)?)?;
            file.sync_all()?;
            fs::rename(&tmp, path)?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                File::open(dir)?.sync_all()?;
            }
            Ok(())
        };
        write().map_err(|e| state_error(path, format!("cannot write it: {e}")))
    }
}

/// The fingerprint of an upload: the dataset's JSON, the parent page and the limits.
pub(crate) fn fingerprint(
    dataset: &serde_json::Value,
    parent: &str,
    limits: &WriteLimits,
) -> String {
    let mut hash = Sha256::new();
    hash.update(serde_json::to_vec(dataset).unwrap_or_default());
    hash.update(parent.as_bytes());
    hash.update(format!("{limits:?}").as_bytes());
    hex::encode(hash.finalize())
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}

fn state_error(path: &Path, detail: String) -> UploadError {
    UploadError::State {
        path: path.to_path_buf(),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_state_loads_back_and_a_missing_file_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("upload.json");
        assert_eq!(State::load(&path).unwrap(), None);
        let mut state = State::new("f".into(), "p", 3, UserMap::default());
        state.done = 7;
        state.ids.insert("a".into(), "b".into());
        state.save(&path).unwrap();
        assert_eq!(State::load(&path).unwrap(), Some(state));
        assert!(!temp_path(&path).exists());
        std::fs::write(&path, "{").unwrap();
        assert!(matches!(State::load(&path), Err(UploadError::State { .. })));
    }
}
