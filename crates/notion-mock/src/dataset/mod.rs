//! The dataset format: a compact, hand-writable JSON description of a
//! workspace that the loader normalizes into full Notion objects (ids, times,
//! `object`, `plain_text` and annotations get defaults; keys name objects for
//! references). The format is documented in `datasets/README.md`.

pub(crate) mod blocks;
mod expand;
pub(crate) mod pages;
pub(crate) mod properties;
pub(crate) mod rich_text;
mod write;

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use crate::ids::{derive_id, parse_id};
use crate::workspace::Workspace;

pub(crate) use blocks::is_known_block_type;
pub(crate) use write::write;

/// Why a dataset could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// The file could not be read.
    #[error("cannot read dataset {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not JSON.
    #[error("dataset {path} is not valid JSON: {source}")]
    Json {
        /// The file.
        path: String,
        /// The cause.
        source: serde_json::Error,
    },
    /// A part of the dataset does not follow the format.
    #[error("invalid dataset at {at}: {message}")]
    Invalid {
        /// Where in the dataset (a path such as `pages/2/blocks/5`).
        at: String,
        /// What is wrong.
        message: String,
    },
    /// A reference names a key no object has.
    #[error("dataset refers to `{0}`, which no page, block, database, data source or user defines")]
    UnknownReference(String),
    /// Two objects have the same id.
    #[error("dataset defines the id {0} twice")]
    DuplicateId(String),
}

impl DatasetError {
    pub(crate) fn invalid(at: impl Into<String>, message: impl Into<String>) -> Self {
        DatasetError::Invalid {
            at: at.into(),
            message: message.into(),
        }
    }
}

/// Builds a [`Workspace`] from a dataset document.
pub(crate) struct Loader {
    /// Namespace of derived ids (the dataset's `name`).
    pub(crate) ns: String,
    /// Default `created_time`, cut to the minute.
    default_created: String,
    /// Default `last_edited_time`, cut to the minute.
    default_edited: String,
    /// Default author's id.
    default_user: Option<String>,
    /// Users by id (full objects).
    users: HashMap<String, Value>,
    /// The workspace being built.
    pub(crate) ws: Workspace,
    /// Keys referenced by other objects, checked once all is loaded.
    referenced: Vec<String>,
    /// Ids defined so far.
    defined: HashSet<String>,
}

/// Normalizes a list of block specs for page `page_id` on their own (the
/// synthetic generator's page content and edits), with explicit ids where
/// given and ids derived from `at` otherwise. Returns the top-level ids and
/// the blocks' records. Child pages and databases cannot be part of them.
pub(crate) fn load_fragment(
    ws: &Workspace,
    page_id: &str,
    (created, edited): (&str, &str),
    blocks: &Value,
    at: &str,
) -> Result<(Vec<String>, HashMap<String, crate::workspace::BlockRec>), DatasetError> {
    let mut loader = Loader::fragment(ws, created, edited);
    let parent = json!({"type": "page_id", "page_id": page_id});
    let top = loader.load_blocks(blocks, &parent, page_id, true, at)?;
    if !loader.ws.pages.is_empty() || !loader.ws.databases.is_empty() {
        return Err(DatasetError::invalid(
            at,
            "child pages and databases cannot be added as blocks; add them as pages",
        ));
    }
    loader.check_references(ws)?;
    Ok((top, loader.ws.blocks))
}

/// Loads a page spec (with its blocks, child pages and databases) into an
/// existing workspace under `parent`, every object created and last edited
/// at `now`. Returns the new page's id.
pub(crate) fn add_page(
    ws: &mut Workspace,
    spec: &Value,
    parent: Value,
    shared: bool,
    now: &str,
    at: &str,
) -> Result<String, DatasetError> {
    let mut loader = Loader::fragment(ws, now, now);
    loader.defined = ws.pages.keys().chain(ws.blocks.keys()).cloned().collect();
    let id = loader.load_page(spec, parent, shared, None, at)?;
    loader.check_references(ws)?;
    let added = loader.ws;
    ws.pages.extend(added.pages);
    ws.blocks.extend(added.blocks);
    ws.databases.extend(added.databases);
    ws.data_sources.extend(added.data_sources);
    Ok(id)
}

/// Loads a dataset document.
pub(crate) fn load(doc: Value) -> Result<Workspace, DatasetError> {
    let doc = expand::expand_repeats(doc)?;
    let name = doc["name"].as_str().unwrap_or("dataset").to_string();
    let defaults = &doc["defaults"];
    let created = defaults["created_time"]
        .as_str()
        .unwrap_or("2026-01-05T09:00:00.000Z");
    let edited = defaults["last_edited_time"].as_str().unwrap_or(created);
    let mut loader = Loader {
        ns: name.clone(),
        default_created: minute_str(created, "defaults/created_time")?,
        default_edited: minute_str(edited, "defaults/last_edited_time")?,
        default_user: None,
        users: HashMap::new(),
        ws: Workspace {
            name,
            ..Workspace::default()
        },
        referenced: Vec::new(),
        defined: HashSet::new(),
    };
    for (i, user) in doc["users"].as_array().into_iter().flatten().enumerate() {
        loader.add_user(user, &format!("users/{i}"))?;
    }
    loader.default_user = match defaults["user"].as_str() {
        Some(key) => Some(loader.resolve(key)),
        None => loader
            .ws
            .users
            .first()
            .and_then(|u| u["id"].as_str().map(str::to_string)),
    };
    for (i, page) in doc["pages"].as_array().into_iter().flatten().enumerate() {
        let at = format!("pages/{i}");
        loader.load_page(
            page,
            json!({"type": "workspace", "workspace": true}),
            true,
            None,
            &at,
        )?;
    }
    loader.finish()
}

impl Loader {
    /// A loader for objects added to the existing workspace `ws` (its name,
    /// users and default author), with default times `created` and `edited`.
    fn fragment(ws: &Workspace, created: &str, edited: &str) -> Loader {
        Loader {
            ns: ws.name.clone(),
            default_created: created.to_string(),
            default_edited: edited.to_string(),
            default_user: ws
                .users
                .first()
                .and_then(|u| u["id"].as_str().map(str::to_string)),
            users: ws
                .users
                .iter()
                .filter_map(|u| Some((u["id"].as_str()?.to_string(), u.clone())))
                .collect(),
            ws: Workspace::default(),
            referenced: Vec::new(),
            defined: HashSet::new(),
        }
    }

    /// Checks that every key referenced by a fragment names an object of
    /// the fragment or of the workspace `ws` it joins.
    fn check_references(&self, ws: &Workspace) -> Result<(), DatasetError> {
        for key in &self.referenced {
            let id = derive_id(&self.ns, key);
            let known = self.defined.contains(&id)
                || ws.pages.contains_key(&id)
                || ws.blocks.contains_key(&id)
                || ws.databases.contains_key(&id)
                || ws.data_sources.contains_key(&id)
                || ws.users.iter().any(|u| u["id"] == id.as_str());
            if !known {
                return Err(DatasetError::UnknownReference(key.clone()));
            }
        }
        Ok(())
    }

    /// The id a reference names: an id as is, or the id derived from a key.
    pub(crate) fn resolve(&mut self, reference: &str) -> String {
        match parse_id(reference) {
            Some(id) => id,
            None => {
                self.referenced.push(reference.to_string());
                derive_id(&self.ns, reference)
            }
        }
    }

    /// The id of an object spec: its `id`, else derived from its `key`, else
    /// from its place in the dataset.
    pub(crate) fn object_id(&mut self, spec: &Value, at: &str) -> Result<String, DatasetError> {
        let id = if let Some(id) = spec.get("id").and_then(Value::as_str) {
            parse_id(id)
                .ok_or_else(|| DatasetError::invalid(at, format!("`{id}` is not a uuid")))?
        } else if let Some(key) = spec.get("key").and_then(Value::as_str) {
            if parse_id(key).is_some() {
                return Err(DatasetError::invalid(at, "a key must not look like an id"));
            }
            derive_id(&self.ns, key)
        } else {
            derive_id(&self.ns, at)
        };
        if !self.defined.insert(id.clone()) {
            return Err(DatasetError::DuplicateId(id));
        }
        Ok(id)
    }

    fn add_user(&mut self, spec: &Value, at: &str) -> Result<(), DatasetError> {
        let id = self.object_id(spec, at)?;
        let name = spec["name"].as_str().unwrap_or("Unnamed");
        let user = match spec["type"].as_str().unwrap_or("person") {
            "bot" => json!({
                "object": "user", "id": id, "name": name, "avatar_url": spec["avatar_url"],
                "type": "bot", "bot": spec.get("bot").cloned().unwrap_or(json!({})),
            }),
            _ => json!({
                "object": "user", "id": id, "name": name, "avatar_url": spec["avatar_url"],
                "type": "person", "person": {"email": spec["email"].as_str().or(spec["person"]["email"].as_str())},
            }),
        };
        self.users.insert(id, user.clone());
        self.ws.users.push(user);
        Ok(())
    }

    /// A full user object by reference.
    pub(crate) fn user_full(&mut self, reference: &str, at: &str) -> Result<Value, DatasetError> {
        let id = self.resolve(reference);
        self.users
            .get(&id)
            .cloned()
            .ok_or_else(|| DatasetError::invalid(at, format!("no user `{reference}`")))
    }

    /// A partial user (`{object, id}`) by reference, or the default author.
    pub(crate) fn user_ref(&mut self, reference: Option<&str>) -> Value {
        let id = match reference {
            Some(r) => Some(self.resolve(r)),
            None => self.default_user.clone(),
        };
        match id {
            Some(id) => json!({"object": "user", "id": id}),
            None => Value::Null,
        }
    }

    /// `(created_time, last_edited_time)` of a spec, defaulted and cut to the minute.
    pub(crate) fn times(&self, spec: &Value, at: &str) -> Result<(String, String), DatasetError> {
        let created = match spec["created_time"].as_str() {
            Some(t) => minute_str(t, at)?,
            None => self.default_created.clone(),
        };
        let edited = match spec["last_edited_time"].as_str() {
            Some(t) => minute_str(t, at)?,
            None => self.default_edited.clone().max(created.clone()),
        };
        Ok((created, edited))
    }

    /// Checks references, fills mention titles and relation targets.
    fn finish(mut self) -> Result<Workspace, DatasetError> {
        for key in &self.referenced {
            if !self.defined.contains(&derive_id(&self.ns, key)) {
                return Err(DatasetError::UnknownReference(key.clone()));
            }
        }
        let titles = self.titles();
        let ws = &mut self.ws;
        for page in ws.pages.values_mut() {
            if page.object.contains("\"mention\"") {
                let mut object = page.object.value();
                fill_mention_titles(&mut object, &titles);
                page.object = crate::workspace::StoredObject::new(&object);
            }
        }
        for block in ws.blocks.values_mut() {
            fill_mention_titles(std::sync::Arc::make_mut(&mut block.object), &titles);
        }
        let ds_database: HashMap<String, Value> = ws
            .data_sources
            .iter()
            .map(|(id, ds)| (id.clone(), ds.object["parent"]["database_id"].clone()))
            .collect();
        for ds in ws.data_sources.values_mut() {
            for prop in ds.object["properties"]
                .as_object_mut()
                .into_iter()
                .flat_map(|p| p.values_mut())
            {
                if prop["type"] == "relation" {
                    let target = prop["relation"]["data_source_id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                    if let Some(db) = ds_database.get(&target) {
                        prop["relation"]["database_id"] = db.clone();
                    }
                }
            }
        }
        Ok(self.ws)
    }

    /// Titles of pages, databases and data sources by id.
    fn titles(&self) -> HashMap<String, String> {
        let mut titles = HashMap::new();
        for (id, p) in &self.ws.pages {
            titles.insert(id.clone(), p.object.title.clone());
        }
        for (id, d) in &self.ws.databases {
            titles.insert(
                id.clone(),
                rich_text::plain_text(d.object["title"].as_array().map_or(&[][..], Vec::as_slice)),
            );
        }
        for (id, d) in &self.ws.data_sources {
            titles.insert(
                id.clone(),
                rich_text::plain_text(d.object["title"].as_array().map_or(&[][..], Vec::as_slice)),
            );
        }
        titles
    }
}

/// Sets the `plain_text` of page, database and data source mentions written
/// without one to the target's title (`Untitled` when it has none).
fn fill_mention_titles(v: &mut Value, titles: &HashMap<String, String>) {
    match v {
        Value::Object(map) => {
            if map.get("type").and_then(Value::as_str) == Some("mention")
                && map.get("plain_text").is_some_and(Value::is_null)
            {
                let kind = map["mention"]["type"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let id = map["mention"][&kind]["id"].as_str().unwrap_or_default();
                let title = titles
                    .get(id)
                    .filter(|t| !t.is_empty())
                    .map_or("Untitled", String::as_str);
                map.insert("plain_text".into(), json!(title));
            }
            map.values_mut()
                .for_each(|x| fill_mention_titles(x, titles));
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|x| fill_mention_titles(x, titles)),
        _ => {}
    }
}

/// An RFC 3339 timestamp cut to the minute, in Notion's UTC form.
pub(crate) fn minute_str(t: &str, at: &str) -> Result<String, DatasetError> {
    let parsed = chrono::DateTime::parse_from_rfc3339(t)
        .map_err(|e| DatasetError::invalid(at, format!("bad timestamp `{t}`: {e}")))?;
    Ok(parsed
        .with_timezone(&chrono::Utc)
        .format("%Y-%m-%dT%H:%M:00.000Z")
        .to_string())
}
