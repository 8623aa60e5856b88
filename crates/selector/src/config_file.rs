//! Writing a selection into a configuration file: `crawl.roots` and
//! `crawl.exclude` are set (created when missing), one id per line with the
//! node's title as a comment; every other byte of the file (comments,
//! order, spacing, other keys) stays as it was. The file is replaced
//! atomically (a temporary file beside it, then a rename), so a crash never
//! leaves half a config.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use toml_edit::{Array, DocumentMut, Item, Table, Value};

use notion_source::hierarchy::{Hierarchy, Selection, display_title};

/// Why a selection could not be written. The file is left untouched.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The file exists but cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The config file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The file is not valid TOML.
    #[error("{} is not valid TOML: {source}", path.display())]
    Parse {
        /// The config file.
        path: PathBuf,
        /// Where and why.
        source: Box<toml_edit::TomlError>,
    },
    /// `crawl` is something other than a table.
    #[error("{}: `crawl` is not a table, so it cannot hold `roots` and `exclude`", path.display())]
    NotATable {
        /// The config file.
        path: PathBuf,
    },
    /// The new file could not be written or moved into place.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The config file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

/// Writes `selection` into the config file at `path` (see the module docs).
pub fn write_selection(path: &Path, selection: &Selection) -> Result<(), WriteError> {
    write_selection_titled(path, selection, None)
}

/// Like [`write_selection`], with each id followed by its node's title from
/// `tree` as a comment.
pub fn write_selection_titled(
    path: &Path,
    selection: &Selection,
    tree: Option<&Hierarchy>,
) -> Result<(), WriteError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(WriteError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let edited = with_selection(&text, selection, tree).map_err(|e| match e {
        Edit::Parse(source) => WriteError::Parse {
            path: path.to_path_buf(),
            source: Box::new(source),
        },
        Edit::NotATable => WriteError::NotATable {
            path: path.to_path_buf(),
        },
    })?;
    replace_file(path, edited.as_bytes()).map_err(|source| WriteError::Write {
        path: path.to_path_buf(),
        source,
    })
}

enum Edit {
    Parse(toml_edit::TomlError),
    NotATable,
}

/// The config text with the selection set.
fn with_selection(
    text: &str,
    selection: &Selection,
    tree: Option<&Hierarchy>,
) -> Result<String, Edit> {
    let mut doc: DocumentMut = text.parse().map_err(Edit::Parse)?;
    let crawl = doc
        .entry("crawl")
        .or_insert_with(|| Item::Table(Table::new()))
        .as_table_like_mut()
        .ok_or(Edit::NotATable)?;
    let title = |id: &str| tree.and_then(|t| t.find(id).map(|i| display_title(&t.node(i).title)));
    let roots: Vec<(String, Option<String>)> = selection
        .roots
        .iter()
        .map(|r| (r.to_string(), title(r.id())))
        .collect();
    let exclude: Vec<(String, Option<String>)> = selection
        .exclude
        .iter()
        .map(|id| (id.clone(), title(id)))
        .collect();
    for (key, items) in [("roots", roots), ("exclude", exclude)] {
        let mut array = Value::Array(id_array(&items));
        // Keep the spacing around the old value (`roots = [...]  # note`).
        if let Some(old) = crawl.get(key).and_then(Item::as_value) {
            *array.decor_mut() = old.decor().clone();
        }
        match crawl.get_mut(key) {
            Some(item) => *item = Item::Value(array),
            None => {
                crawl.insert(key, Item::Value(array));
            }
        }
    }
    Ok(doc.to_string())
}

/// `[]`, or one id per line, each followed by its title as a comment.
fn id_array(items: &[(String, Option<String>)]) -> Array {
    let comment = |title: &Option<String>| {
        title
            .as_ref()
            .map(|t| format!(" # {t}"))
            .unwrap_or_default()
    };
    let mut array = Array::new();
    let mut previous: Option<&Option<String>> = None;
    for (id, title) in items {
        let mut value = Value::from(id.as_str());
        let prefix = match previous {
            None => "\n    ".to_string(),
            Some(t) => format!("{}\n    ", comment(t)),
        };
        value.decor_mut().set_prefix(prefix);
        value.decor_mut().set_suffix("");
        array.push_formatted(value);
        previous = Some(title);
    }
    if let Some(last) = previous {
        array.set_trailing_comma(true);
        array.set_trailing(format!("{}\n", comment(last)));
    }
    array
}

/// Writes `bytes` to a temporary file beside `path`, syncs it, and renames
/// it over `path` (keeping the old file's permissions).
fn replace_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config.toml".into());
    let temp = dir.join(format!(".{name}.select-{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        if let Ok(old) = std::fs::metadata(path) {
            file.set_permissions(old.permissions())?;
        }
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use notion_source::crawler::Root;

    #[test]
    fn arrays_are_one_id_per_line_with_titles_and_empty_ones_stay_short() {
        let selection = Selection {
            roots: vec![Root::Page("a".into()), Root::DataSource("b".into())],
            exclude: vec![],
        };
        let text = with_selection("", &selection, None).ok().unwrap();
        assert_eq!(
            text,
            "[crawl]\nroots = [\n    \"page:a\",\n    \"data_source:b\",\n]\nexclude = []\n"
        );
        let items = [("x".to_string(), Some("Title".to_string()))];
        assert_eq!(id_array(&items).to_string(), "[\n    \"x\", # Title\n]");
    }
}
