//! The state file: which steps of the plan are done and which dataset
//! object became which Notion object, so a killed upload resumes where it
//! stopped without creating anything twice.
//!
//! JSON Lines: a header (the upload's fingerprint, its parent page, the
//! users it maps to), written atomically (a temporary file, flushed to
//! disk, renamed), then one line per step done, in plan order, with the ids
//! the step learned, appended and flushed to disk as soon as Notion has
//! answered. Appending keeps each write as small as the step (rewriting one
//! growing document after every step would cost the square of the upload's
//! size). A kill in the middle of a line leaves a line that does not parse:
//! loading stops there (that step counts as not recorded, and the upload
//! checks whether it was made) and cuts it off.
//!
//! ```text
//! {"version":1,"fingerprint":"…","parent":"…","parent_children":0,"users":{"<dataset user>":"<workspace user>"}}
//! {"step":0,"ids":{"<dataset id>":"<notion id>"}}
//! {"step":1,"ids":{}}
//! ```

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::convert::UserMap;
use crate::error::UploadError;
use crate::limits::WriteLimits;

const VERSION: u32 = 1;

/// What ties a state file to one upload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Header {
    pub version: u32,
    /// Of the dataset, the parent page and the limits.
    pub fingerprint: String,
    /// The page the upload goes under.
    pub parent: String,
    /// Children the parent page had before the upload.
    pub parent_children: usize,
    /// The users the upload maps to (fixed on the first run, so a resumed
    /// upload plans the same steps).
    pub users: UserMap,
}

/// One step done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Line {
    step: usize,
    ids: BTreeMap<String, String>,
}

/// An upload's progress.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct State {
    pub header: Header,
    /// Steps done, in plan order.
    pub done: usize,
    /// Dataset key → Notion id.
    pub ids: BTreeMap<String, String>,
    path: PathBuf,
}

impl State {
    /// Starts a state file at `path` (replacing any).
    pub fn create(
        path: &Path,
        fingerprint: String,
        parent: &str,
        parent_children: usize,
        users: UserMap,
    ) -> Result<State, UploadError> {
        let header = Header {
            version: VERSION,
            fingerprint,
            parent: parent.to_string(),
            parent_children,
            users,
        };
        let mut text =
            serde_json::to_string(&header).map_err(|e| state_error(path, e.to_string()))?;
        text.push('\n');
        write_atomically(path, text.as_bytes())?;
        Ok(State {
            header,
            done: 0,
            ids: BTreeMap::new(),
            path: path.to_path_buf(),
        })
    }

    /// The state in `path`, `None` when there is no file. A torn last line
    /// (a kill while it was written) is cut off.
    pub fn load(path: &Path) -> Result<Option<State>, UploadError> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(state_error(path, format!("cannot read it: {e}"))),
        };
        let mut lines = text.split_inclusive('\n');
        let first = lines.next().unwrap_or_default();
        let header: Header = serde_json::from_str(first).map_err(|_| {
            state_error(path, "its first line is not an upload state header".into())
        })?;
        if header.version != VERSION {
            return Err(state_error(
                path,
                format!("version {} is not {VERSION}", header.version),
            ));
        }
        let mut state = State {
            header,
            done: 0,
            ids: BTreeMap::new(),
            path: path.to_path_buf(),
        };
        let mut good_end = first.len();
        for line in lines {
            let parsed = serde_json::from_str::<Line>(line)
                .ok()
                .filter(|l| l.step == state.done && line.ends_with('\n'));
            let Some(parsed) = parsed else { break };
            state.ids.extend(parsed.ids);
            state.done += 1;
            good_end += line.len();
        }
        if good_end < text.len() {
            tracing::warn!(path = %path.display(), "state file ends in a torn line: cut off");
            write_atomically(path, &text.as_bytes()[..good_end])?;
        }
        Ok(Some(state))
    }

    /// Records step `done` with the ids it learned: one line appended and
    /// flushed to disk.
    pub fn record(&mut self, learned: Vec<(String, String)>) -> Result<(), UploadError> {
        let line = Line {
            step: self.done,
            ids: learned.into_iter().collect(),
        };
        let mut text =
            serde_json::to_string(&line).map_err(|e| state_error(&self.path, e.to_string()))?;
        text.push('\n');
        let append = || -> std::io::Result<()> {
            let mut file = OpenOptions::new().append(true).open(&self.path)?;
            file.write_all(text.as_bytes())?;
            file.sync_data()
        };
        append().map_err(|e| state_error(&self.path, format!("cannot write it: {e}")))?;
        self.ids.extend(line.ids);
        self.done += 1;
        Ok(())
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

/// Writes `bytes` to `path` through a temporary file flushed and renamed.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), UploadError> {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".tmp");
    let tmp = path.with_file_name(name);
    let write = || -> std::io::Result<()> {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    };
    write().map_err(|e| state_error(path, format!("cannot write it: {e}")))
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
    fn steps_load_back_in_order_and_a_torn_line_is_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("upload.jsonl");
        assert_eq!(State::load(&path).unwrap(), None);
        let mut state = State::create(&path, "f".into(), "p", 3, UserMap::default()).unwrap();
        state.record(vec![("a".into(), "1".into())]).unwrap();
        state.record(Vec::new()).unwrap();
        assert_eq!(State::load(&path).unwrap(), Some(state.clone()));

        // A kill in the middle of the third line.
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(br#"{"step":2,"ids":{"b":"#).unwrap();
        drop(file);
        let loaded = State::load(&path).unwrap().unwrap();
        assert_eq!((loaded.done, loaded.ids.len()), (2, 1));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap().lines().count(),
            3,
            "the torn line is gone"
        );
        let mut loaded = loaded;
        loaded.record(vec![("b".into(), "2".into())]).unwrap();
        assert_eq!(State::load(&path).unwrap().unwrap().done, 3);

        std::fs::write(&path, "{").unwrap();
        assert!(matches!(State::load(&path), Err(UploadError::State { .. })));
    }
}
