//! From a dataset to what the upload writes: the upload tree.
//!
//! The dataset comes as the mock's dataset file form
//! (`Workspace::to_json`: every page, block, database, data source and row
//! in full Notion JSON). The upload writes what a crawl of the dataset reads
//! (`Workspace::page_ids`): trashed, archived and unshared pages are
//! skipped with their reason, and shared pages below them are created under
//! their nearest uploaded ancestor (or the upload's parent).
//!
//! Every object becomes Notion's request JSON, within the limits of
//! [`WriteLimits`]; what the API cannot write as it is, is written the
//! closest way it can and listed as a [`Difference`] (see
//! [`DifferenceKind`] for each rule). References to other objects of the
//! dataset (mentions, `link_to_page`, synced copies, relations) keep the
//! dataset's ids, which the executor maps to the new ids once they exist.

mod blocks;
mod inline;
mod properties;

use std::collections::{BTreeMap, HashMap, HashSet};

use notion_source::model::User;
use serde_json::{Map, Value};

use crate::limits::WriteLimits;
use crate::report::{Difference, DifferenceKind, SkipReason, SkippedPage};

/// Names an object of the upload: a dataset id, or a key derived from one
/// for an object the upload adds (see [`UploadReport::ids`](crate::UploadReport::ids)).
pub(crate) type Key = String;

/// What the upload writes, organised for planning.
#[derive(Debug, Default)]
pub(crate) struct UploadTree {
    /// Documents created directly under the upload's parent, in order.
    pub roots: Vec<Item>,
    /// Pages (standalone pages and rows) by key.
    pub pages: HashMap<Key, PageDoc>,
    /// Databases by key.
    pub databases: HashMap<Key, DatabaseDoc>,
    /// Blocks by key.
    pub blocks: HashMap<Key, BlockNode>,
    /// What is written differently from the dataset.
    pub differences: Vec<Difference>,
    /// Pages not uploaded.
    pub skipped: Vec<SkippedPage>,
}

/// One entry of a page's content: a block, or a child page or database
/// (which the API creates with their own endpoints, at the end of the page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Item {
    Block(Key),
    Page(Key),
    Database(Key),
}

/// A page to create.
#[derive(Debug, Clone)]
pub(crate) struct PageDoc {
    /// Its title (plain text), to recognise it when checking a lost answer.
    pub title: String,
    /// Property values in request form (a standalone page has only `title`).
    pub properties: Map<String, Value>,
    /// Icon and cover in request form.
    pub icon: Option<Value>,
    pub cover: Option<Value>,
    /// Its content, in order.
    pub content: Vec<Item>,
}

/// A database to create, with its data sources.
#[derive(Debug, Clone)]
pub(crate) struct DatabaseDoc {
    /// Title runs in request form.
    pub title: Vec<Value>,
    /// Its title as plain text.
    pub title_text: String,
    pub is_inline: bool,
    pub icon: Option<Value>,
    /// The first is created with the database.
    pub sources: Vec<SourceDoc>,
}

/// A data source to create.
#[derive(Debug, Clone)]
pub(crate) struct SourceDoc {
    pub key: Key,
    pub name: String,
    /// Property configurations in request form.
    pub schema: Map<String, Value>,
    /// Keys of its rows (pages).
    pub rows: Vec<Key>,
}

/// A block to create.
#[derive(Debug, Clone)]
pub(crate) struct BlockNode {
    /// Its type.
    pub kind: String,
    /// Its type's content in request form, without `children`.
    pub content: Value,
    /// Keys of its children.
    pub children: Vec<Key>,
    /// For a synced block copy: its original, and the original's content
    /// converted again under this copy (written when the original cannot be
    /// referenced).
    pub copy_of: Option<(Key, Vec<Key>)>,
}

/// Which user of the target workspace stands for each user of the dataset:
/// the user with the same id, else the person with the same e-mail.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct UserMap(pub BTreeMap<String, String>);

impl UserMap {
    /// Every dataset user as itself (planning without a workspace).
    pub fn identity(doc: &Value) -> UserMap {
        UserMap(
            dataset_users(doc)
                .filter_map(|u| u["id"].as_str())
                .map(|id| (id.to_string(), id.to_string()))
                .collect(),
        )
    }

    /// Dataset users matched to the workspace's users.
    pub fn matching(doc: &Value, workspace: &[User]) -> UserMap {
        let mut map = BTreeMap::new();
        for user in dataset_users(doc) {
            let Some(id) = user["id"].as_str() else {
                continue;
            };
            let email = user["person"]["email"].as_str();
            let found = workspace.iter().find(|w| w.id == id).or_else(|| {
                workspace.iter().find(|w| {
                    email.is_some() && w.person.as_ref().and_then(|p| p.email.as_deref()) == email
                })
            });
            if let Some(found) = found {
                map.insert(id.to_string(), found.id.clone());
            }
        }
        UserMap(map)
    }
}

/// The users of a dataset document.
fn dataset_users(doc: &Value) -> impl Iterator<Item = &Value> {
    doc["users"].as_array().into_iter().flatten()
}

/// Where a document is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Parent {
    /// The upload's parent page.
    Root,
    /// A page of the upload.
    Page(Key),
    /// A data source of the upload (a row).
    DataSource(Key),
}

/// Builds the upload tree of a dataset document (`Workspace::to_json`);
/// `visible`: the pages a crawl of it reads (`Workspace::page_ids`).
pub(crate) fn convert(
    doc: &Value,
    visible: &[String],
    limits: &WriteLimits,
    users: &UserMap,
) -> UploadTree {
    let mut converter = Converter {
        limits: *limits,
        users: users.clone(),
        visible: visible.iter().cloned().collect(),
        uploaded: HashSet::new(),
        ds_database: HashMap::new(),
        block_specs: HashMap::new(),
        tree: UploadTree::default(),
        page: String::new(),
    };
    let pages = doc["pages"].as_array().cloned().unwrap_or_default();
    for page in &pages {
        converter.index(page, true);
    }
    for page in &pages {
        let items = converter.page(page, None);
        converter.tree.roots.extend(items);
    }
    converter.tree
}

/// The state of a conversion.
struct Converter {
    limits: WriteLimits,
    users: UserMap,
    /// Pages a crawl of the dataset reads.
    visible: HashSet<String>,
    /// Pages, databases and data sources the upload creates.
    uploaded: HashSet<String>,
    /// Data source → its database.
    ds_database: HashMap<String, String>,
    /// Every block spec by id (synced originals are converted again under their copies).
    block_specs: HashMap<String, Value>,
    tree: UploadTree,
    /// The page (or database) whose content is being converted.
    page: String,
}

impl Converter {
    /// Records what the upload creates and every block spec, before converting.
    fn index(&mut self, page: &Value, parent_shared: bool) {
        let id = id_of(page);
        if self.visible.contains(&id) {
            self.uploaded.insert(id.clone());
        }
        let shared = page["shared"].as_bool().unwrap_or(parent_shared);
        self.index_blocks(
            page["blocks"].as_array().map_or(&[][..], Vec::as_slice),
            shared,
        );
    }

    fn index_blocks(&mut self, blocks: &[Value], shared: bool) {
        for block in blocks {
            if let Some(child) = block.get("child_page") {
                self.index(child, shared);
            } else if let Some(db) = block.get("child_database") {
                let db_id = id_of(db);
                let db_shared = db["shared"].as_bool().unwrap_or(shared);
                if db_shared {
                    self.uploaded.insert(db_id.clone());
                }
                for ds in db["data_sources"].as_array().into_iter().flatten() {
                    let ds_id = id_of(ds);
                    self.ds_database.insert(ds_id.clone(), db_id.clone());
                    if db_shared {
                        self.uploaded.insert(ds_id);
                    }
                    for row in ds["rows"].as_array().into_iter().flatten() {
                        self.index(row, db_shared);
                    }
                }
            } else {
                self.block_specs.insert(id_of(block), block.clone());
                self.index_blocks(
                    block["children"].as_array().map_or(&[][..], Vec::as_slice),
                    shared,
                );
            }
        }
    }

    /// A page (with its content; a row with its schema); returns the items
    /// to put where it stands: the page, or, for a page not uploaded, the
    /// uploaded documents found below it (they go up to its place).
    fn page(&mut self, spec: &Value, row_schema: Option<&Map<String, Value>>) -> Vec<Item> {
        let id = id_of(spec);
        let title = properties::page_title(spec);
        if !self.uploaded.contains(&id) {
            let reason = if spec["in_trash"].as_bool() == Some(true) {
                SkipReason::InTrash
            } else if spec["archived"].as_bool() == Some(true) {
                SkipReason::Archived
            } else if spec["shared"].as_bool() == Some(false) {
                SkipReason::NotShared
            } else {
                SkipReason::NotReachable
            };
            self.tree.skipped.push(SkippedPage {
                dataset_id: id,
                title,
                reason,
            });
            return self.documents_below(spec["blocks"].as_array().map_or(&[][..], Vec::as_slice));
        }
        let outer = std::mem::replace(&mut self.page, id.clone());
        if spec["in_search"].as_bool() == Some(false) {
            self.differ(DifferenceKind::FoundBySearch, &id, title.as_str());
        }
        let properties = match row_schema {
            Some(schema) => self.row_properties(&id, spec, schema),
            None => self.title_property(&id, spec),
        };
        let icon = self.icon(&spec["icon"], &id);
        let cover = self.file(&spec["cover"], &id);
        let content = self.content(spec["blocks"].as_array().map_or(&[][..], Vec::as_slice));
        self.page = outer;
        self.tree.pages.insert(
            id.clone(),
            PageDoc {
                title,
                properties,
                icon,
                cover,
                content,
            },
        );
        vec![Item::Page(id)]
    }

    /// Uploaded documents anywhere in blocks that are not themselves uploaded.
    fn documents_below(&mut self, blocks: &[Value]) -> Vec<Item> {
        let mut items = Vec::new();
        for block in blocks {
            if let Some(child) = block.get("child_page") {
                items.extend(self.page(child, None));
            } else if let Some(db) = block.get("child_database") {
                items.extend(self.database(db));
            } else {
                items.extend(
                    self.documents_below(
                        block["children"].as_array().map_or(&[][..], Vec::as_slice),
                    ),
                );
            }
        }
        items
    }

    /// A page's content: blocks, and child documents in their place;
    /// documents nested in blocks come right after their top-level block.
    fn content(&mut self, blocks: &[Value]) -> Vec<Item> {
        let mut items = Vec::new();
        for spec in blocks {
            if let Some(child) = spec.get("child_page") {
                items.extend(self.page(child, None));
            } else if let Some(db) = spec.get("child_database") {
                items.extend(self.database(db));
            } else {
                let mut lifted = Vec::new();
                let keys = self.block(spec, "", &mut lifted);
                items.extend(keys.into_iter().map(Item::Block));
                items.extend(lifted);
            }
        }
        items
    }

    /// A database with its data sources and rows.
    fn database(&mut self, spec: &Value) -> Vec<Item> {
        let id = id_of(spec);
        if !self.uploaded.contains(&id) {
            for ds in spec["data_sources"].as_array().into_iter().flatten() {
                for row in ds["rows"].as_array().into_iter().flatten() {
                    self.tree.skipped.push(SkippedPage {
                        dataset_id: id_of(row),
                        title: properties::page_title(row),
                        reason: SkipReason::NotShared,
                    });
                }
            }
            return Vec::new();
        }
        let outer = std::mem::replace(&mut self.page, id.clone());
        let title = self
            .rich_text(&spec["title"], &id, 1)
            .into_iter()
            .next()
            .unwrap_or_default();
        let title_text = plain(&spec["title"]);
        let icon = self.icon(&spec["icon"], &id);
        let mut sources = Vec::new();
        for ds in spec["data_sources"].as_array().into_iter().flatten() {
            let ds_id = id_of(ds);
            let config = ds["schema"].as_object().cloned().unwrap_or_default();
            let schema = self.schema(&ds_id, &config);
            let mut rows = Vec::new();
            for row in ds["rows"].as_array().into_iter().flatten() {
                for item in self.page(row, Some(&config)) {
                    match item {
                        Item::Page(key) => rows.push(key),
                        // Rows hold no documents of their own outside their content.
                        other => self.tree.roots.push(other),
                    }
                }
            }
            sources.push(SourceDoc {
                key: ds_id,
                name: ds["name"].as_str().unwrap_or_default().to_string(),
                schema,
                rows,
            });
        }
        self.page = outer;
        self.tree.databases.insert(
            id.clone(),
            DatabaseDoc {
                title,
                title_text,
                is_inline: spec["inline"].as_bool().unwrap_or(false),
                icon,
                sources,
            },
        );
        vec![Item::Database(id)]
    }

    /// Records a difference on the current page.
    fn differ(&mut self, kind: DifferenceKind, object: &str, detail: impl Into<String>) {
        self.tree.differences.push(Difference {
            kind,
            object: object.to_string(),
            page: self.page.clone(),
            detail: detail.into(),
        });
    }
}

/// An object's id (dataset specs carry theirs).
fn id_of(spec: &Value) -> String {
    spec["id"].as_str().unwrap_or_default().to_string()
}

/// The plain text of runs in Notion's answer form.
fn plain(runs: &Value) -> String {
    runs.as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["plain_text"].as_str())
        .collect()
}
