//! The workspace a mock serves: pages, databases, data sources, blocks and
//! users as Notion JSON objects, with the sharing and search flags that
//! decide what an integration sees.
//!
//! Objects are kept by id in maps, each page with its own list of top-level
//! blocks, so an edit (see [`crate::edit`]) replaces one page's record (and
//! moves its `last_edited_time`) without touching the rest. Synthetic
//! workspaces keep only page metadata; their block content is generated from
//! the seed when asked for (see [`crate::synthetic`]) until an edit stores it.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use indexmap::IndexMap;
use serde_json::{Value, json};

use crate::dataset::{self, DatasetError};
use crate::synthetic::{Generator, SyntheticConfig};

/// Relations and people list at most this many references in a page object.
pub(crate) const PROPERTY_REFERENCE_LIMIT: usize = 25;

/// A loaded dataset: the workspace the mock server answers from.
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    /// Dataset name: the namespace of ids derived from keys.
    pub(crate) name: String,
    /// Full user objects.
    pub(crate) users: Vec<Value>,
    /// Pages by id, standalone pages and data source rows, in dataset order.
    pub(crate) pages: IndexMap<String, PageRec>,
    /// Databases by id.
    pub(crate) databases: IndexMap<String, DatabaseRec>,
    /// Data sources by id.
    pub(crate) data_sources: IndexMap<String, DataSourceRec>,
    /// Stored blocks by id (neither pages nor databases, which answer as
    /// `child_page`/`child_database` blocks themselves).
    pub(crate) blocks: HashMap<String, BlockRec>,
    /// Content generator of a synthetic workspace.
    pub(crate) generator: Option<Arc<Generator>>,
    /// What search can return, sorted; built on first use (an edit must reset it).
    pub(crate) search_index: OnceLock<Vec<SearchEntry>>,
    /// Edits made so far (numbers the ids of added objects).
    pub(crate) edit_count: u64,
    /// Changes recorded by edits since they were last taken, for webhooks
    /// (see [`crate::webhooks`]).
    pub(crate) changes: Vec<crate::webhooks::Change>,
}

/// One page or data source search can return.
#[derive(Debug, Clone)]
pub(crate) struct SearchEntry {
    /// Its id.
    pub id: String,
    /// `last_edited_time` to the minute (`2026-03-02T16:45`).
    pub minute: String,
    /// A page (else a data source).
    pub is_page: bool,
    /// The title in lower case, for `query` matching.
    pub title_lower: String,
}

/// A page: its full object (properties untruncated) and what the integration sees.
#[derive(Debug, Clone)]
pub(crate) struct PageRec {
    /// The page object, with every relation and people reference.
    pub object: StoredObject,
    /// Shared with the integration; unshared pages are 404 everywhere.
    pub shared: bool,
    /// Returned by search (Notion's search is not complete).
    pub in_search: bool,
    /// The page's top-level blocks.
    pub content: Content,
}

/// A JSON object kept as compact text (a few times smaller than a parsed
/// `Value`, which matters at 100,000 pages), with the fields that search,
/// queries and crawls read for every page parsed out once.
#[derive(Debug, Clone)]
pub(crate) struct StoredObject {
    json: Box<str>,
    /// `last_edited_time`.
    pub last_edited_time: String,
    /// The plain text of the title property.
    pub title: String,
    /// `in_trash` or (old name) `archived`.
    pub trashed: bool,
    /// `is_archived`.
    pub archived: bool,
    /// The parent's `type`.
    pub parent_type: String,
}

impl StoredObject {
    /// Stores a page object.
    pub fn new(v: &Value) -> Self {
        StoredObject {
            json: v.to_string().into_boxed_str(),
            last_edited_time: v["last_edited_time"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            title: crate::dataset::rich_text::plain_text(&title_runs(v)),
            trashed: is_trashed(v),
            archived: v["is_archived"].as_bool() == Some(true),
            parent_type: v["parent"]["type"].as_str().unwrap_or_default().to_string(),
        }
    }

    /// The object, parsed.
    pub fn value(&self) -> Value {
        serde_json::from_str(&self.json).unwrap_or(Value::Null)
    }

    /// Whether the text contains `needle` (a cheap check before parsing).
    pub fn contains(&self, needle: &str) -> bool {
        self.json.contains(needle)
    }
}

/// Where a page's top-level blocks come from.
#[derive(Debug, Clone)]
pub(crate) enum Content {
    /// Ids of stored blocks, child pages and child databases, in order.
    Blocks(Vec<String>),
    /// Generated from the synthetic seed; the page's number in the generator.
    Generated(u32),
}

/// A block: its object without `has_children` (computed when served).
/// Cheap to clone (shared parts), as generated blocks are handed out by value.
#[derive(Debug, Clone)]
pub(crate) struct BlockRec {
    /// The block object.
    pub object: Arc<Value>,
    /// Ids of its children in order.
    pub children: Arc<Vec<String>>,
    /// The page whose content the block is.
    pub page: String,
}

/// A database: a container of data sources.
#[derive(Debug, Clone)]
pub(crate) struct DatabaseRec {
    /// The database object (2025-09-03 shape, with `data_sources`).
    pub object: Value,
    /// Shared with the integration.
    pub shared: bool,
    /// Its data sources' ids.
    pub data_sources: Vec<String>,
}

/// A data source: schema and rows.
#[derive(Debug, Clone)]
pub(crate) struct DataSourceRec {
    /// The data source object, with the schema under `properties`.
    pub object: Value,
    /// Shared with the integration (rows share it).
    pub shared: bool,
    /// Returned by search.
    pub in_search: bool,
    /// Ids of its row pages, in the dataset's order.
    pub rows: Vec<String>,
}

/// Anything `GET /v1/blocks/{id}` can answer with: a block, or a page or
/// database in its block form.
pub(crate) enum Node<'a> {
    Block(Cow<'a, BlockRec>),
    Page(&'a PageRec),
    Database(&'a DatabaseRec),
}

impl Workspace {
    /// Loads a workspace from the dataset format (see `datasets/README.md`).
    pub fn from_json(v: Value) -> Result<Workspace, DatasetError> {
        dataset::load(v)
    }

    /// Loads a workspace from a dataset file.
    pub fn load(path: impl AsRef<Path>) -> Result<Workspace, DatasetError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| DatasetError::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        let value: Value = serde_json::from_str(&text).map_err(|e| DatasetError::Json {
            path: path.display().to_string(),
            source: e,
        })?;
        Workspace::from_json(value)
    }

    /// The hand-written kitchen-sink workspace (`datasets/kitchen-sink.json`):
    /// every block type, rich-text form and property type, and the hard cases.
    pub fn kitchen_sink() -> Workspace {
        const KITCHEN_SINK: &str = include_str!("../../../datasets/kitchen-sink.json");
        static LOADED: std::sync::OnceLock<Workspace> = std::sync::OnceLock::new();
        LOADED
            .get_or_init(|| {
                let value: Value =
                    serde_json::from_str(KITCHEN_SINK).expect("kitchen-sink.json is valid JSON");
                Workspace::from_json(value).expect("kitchen-sink.json is a valid dataset")
            })
            .clone()
    }

    /// A seeded synthetic workspace of `cfg.pages` pages.
    pub fn synthetic(cfg: &SyntheticConfig) -> Workspace {
        crate::synthetic::generate(cfg)
    }

    /// Every page a complete crawl yields: shared, neither trashed nor
    /// archived, and reachable through search, a data source query or a
    /// `child_page` block of another such page. In crawl order.
    pub fn page_ids(&self) -> Vec<String> {
        crate::crawl::plan(self).pages
    }

    /// The expected crawler output for a page: `{"page": <page object as
    /// search returns it>, "blocks": [<block with "children": [...]>]}`.
    /// Synced-block copies carry their original's children; `child_page` and
    /// `child_database` blocks carry none. Hosted file URLs are the dataset's
    /// (a server re-signs them on every answer). `None` for an unknown id.
    pub fn page_tree_json(&self, page_id: &str) -> Option<Value> {
        let id = crate::ids::parse_id(page_id)?;
        let page = self.pages.get(&id)?;
        let blocks = self.tree(&self.top_level_ids(page));
        Some(json!({"page": self.render_page(page, None), "blocks": blocks}))
    }

    /// Every plain-text string a reader sees on a page, in document order: the
    /// title, rich-text property runs (rows), every rich-text run of every
    /// block (captions and table cells included), code, equations, and child
    /// page and database titles. Empty for an unknown id.
    pub fn plain_texts(&self, page_id: &str) -> Vec<String> {
        let Some(tree) = self.page_tree_json(page_id) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if let Some(props) = tree["page"]["properties"].as_object() {
            for prop in props.values() {
                let kind = prop["type"].as_str().unwrap_or_default();
                if kind == "title" || kind == "rich_text" {
                    collect_plain_texts(&prop[kind], &mut out);
                }
            }
        }
        for block in tree["blocks"].as_array().into_iter().flatten() {
            collect_block_texts(block, &mut out);
        }
        out
    }

    /// The workspace in the dataset file form (every object written out in
    /// full), for saving generated datasets; [`Workspace::from_json`] reads it back.
    pub fn to_json(&self) -> Value {
        dataset::write(self)
    }

    /// Ids of a page's top-level blocks.
    pub(crate) fn top_level_ids(&self, page: &PageRec) -> Vec<String> {
        match &page.content {
            Content::Blocks(ids) => ids.clone(),
            Content::Generated(n) => self
                .generator
                .as_ref()
                .map(|g| g.page_content(self, *n).top.clone())
                .unwrap_or_default(),
        }
    }

    /// Every shared page and data source not marked absent from search, in
    /// ascending order of last edit (to the minute), then id.
    pub(crate) fn search_index(&self) -> &[SearchEntry] {
        self.search_index.get_or_init(|| {
            let pages = self
                .pages
                .iter()
                .filter(|(_, p)| p.shared && p.in_search)
                .map(|(id, p)| (id, &p.object.last_edited_time, p.object.title.clone(), true));
            let sources = self
                .data_sources
                .iter()
                .filter(|(_, d)| d.shared && d.in_search)
                .map(|(id, d)| {
                    let runs = d.object["title"].as_array().map_or(&[][..], Vec::as_slice);
                    let title = crate::dataset::rich_text::plain_text(runs);
                    (
                        id,
                        d.object["last_edited_time"].as_str().unwrap_or_default(),
                        title,
                        false,
                    )
                });
            let mut entries: Vec<SearchEntry> = pages
                .map(|(id, edited, title, is_page)| (id, edited.as_str(), title, is_page))
                .chain(sources)
                .map(|(id, edited, title, is_page)| SearchEntry {
                    id: id.clone(),
                    minute: edited.get(..16).unwrap_or_default().to_string(),
                    is_page,
                    title_lower: title.to_lowercase(),
                })
                .collect();
            entries.sort_by(|a, b| (&a.minute, &a.id).cmp(&(&b.minute, &b.id)));
            entries
        })
    }

    /// A page the integration may see.
    pub(crate) fn shared_page(&self, id: &str) -> Option<&PageRec> {
        self.pages.get(id).filter(|p| p.shared)
    }

    /// A database the integration may see.
    pub(crate) fn shared_database(&self, id: &str) -> Option<&DatabaseRec> {
        self.databases.get(id).filter(|d| d.shared)
    }

    /// A data source the integration may see.
    pub(crate) fn shared_data_source(&self, id: &str) -> Option<&DataSourceRec> {
        self.data_sources.get(id).filter(|d| d.shared)
    }

    /// Whether a page has any top-level block (without generating them).
    pub(crate) fn has_blocks(&self, page: &PageRec) -> bool {
        match (&page.content, &self.generator) {
            (Content::Blocks(ids), _) => !ids.is_empty(),
            (Content::Generated(n), Some(generator)) => generator.child_counts(*n).0 > 0,
            (Content::Generated(_), None) => false,
        }
    }

    /// Looks up anything with a block form by (normalized) id.
    pub(crate) fn node(&self, id: &str) -> Option<Node<'_>> {
        if let Some(b) = self.blocks.get(id) {
            return Some(Node::Block(Cow::Borrowed(b)));
        }
        if let Some(p) = self.pages.get(id) {
            return Some(Node::Page(p));
        }
        if let Some(d) = self.databases.get(id) {
            return Some(Node::Database(d));
        }
        // A generated block exists while its page's content is still the
        // generated one (an edit replaces it with stored blocks).
        let generator = self.generator.as_ref()?;
        generator
            .block(self, id)
            .filter(|b| {
                self.pages
                    .get(&b.page)
                    .is_some_and(|p| matches!(p.content, Content::Generated(_)))
            })
            .map(|b| Node::Block(Cow::Owned(b)))
    }

    /// Whether the integration may see a node.
    pub(crate) fn node_shared(&self, node: &Node<'_>) -> bool {
        match node {
            Node::Block(b) => self.pages.get(&b.page).is_some_and(|p| p.shared),
            Node::Page(p) => p.shared,
            Node::Database(d) => d.shared,
        }
    }

    /// The ids a `blocks/{id}/children` request lists for a node: a page's
    /// blocks, a block's children, and for a synced-block copy its original's.
    pub(crate) fn child_ids(&self, node: &Node<'_>) -> Vec<String> {
        match node {
            Node::Page(p) => self.top_level_ids(p),
            Node::Database(_) => Vec::new(),
            Node::Block(b) => match synced_from(&b.object) {
                Some(original) => match self.node(&original) {
                    Some(Node::Block(o)) => o.children.to_vec(),
                    _ => Vec::new(),
                },
                None => b.children.to_vec(),
            },
        }
    }

    /// The block object for a node, with `has_children` as Notion reports it.
    pub(crate) fn render_block(&self, node: &Node<'_>) -> Value {
        match node {
            Node::Block(b) => {
                let mut obj = Value::clone(&b.object);
                let has_children = !self.child_ids(node).is_empty();
                insert_after(
                    &mut obj,
                    "last_edited_by",
                    "has_children",
                    json!(has_children),
                );
                obj
            }
            Node::Page(p) => {
                let o = &p.object.value();
                let title = &p.object.title;
                json!({
                    "object": "block", "id": o["id"], "parent": o["parent"],
                    "created_time": o["created_time"], "last_edited_time": o["last_edited_time"],
                    "created_by": o["created_by"], "last_edited_by": o["last_edited_by"],
                    "has_children": self.has_blocks(p),
                    "archived": o["archived"], "in_trash": o["in_trash"],
                    "type": "child_page", "child_page": {"title": title},
                })
            }
            Node::Database(d) => {
                let o = &d.object;
                let title = crate::dataset::rich_text::plain_text(
                    o["title"].as_array().map(Vec::as_slice).unwrap_or(&[]),
                );
                json!({
                    "object": "block", "id": o["id"], "parent": o["parent"],
                    "created_time": minute(&o["created_time"]), "last_edited_time": minute(&o["last_edited_time"]),
                    "created_by": o["created_by"], "last_edited_by": o["last_edited_by"],
                    "has_children": false, "archived": false, "in_trash": o["in_trash"],
                    "type": "child_database", "child_database": {"title": title},
                })
            }
        }
    }

    /// A page object as Notion answers it (see [`render_page_object`]).
    pub(crate) fn render_page(&self, page: &PageRec, only: Option<&[String]>) -> Value {
        render_page_object(page.object.value(), only)
    }

    /// Block objects with their `children` filled, recursively.
    fn tree(&self, ids: &[String]) -> Vec<Value> {
        ids.iter()
            .filter_map(|id| {
                let node = self.node(id)?;
                let mut obj = self.render_block(&node);
                let children = match node {
                    Node::Block(_) => self.tree(&self.child_ids(&node)),
                    _ => Vec::new(),
                };
                obj["children"] = Value::Array(children);
                Some(obj)
            })
            .collect()
    }

    /// Page ids of a data source's rows the integration sees in a query
    /// (shared, not trashed).
    pub(crate) fn query_rows(&self, ds: &DataSourceRec) -> Vec<(&str, &PageRec)> {
        ds.rows
            .iter()
            .filter_map(|id| self.pages.get_key_value(id))
            .filter(|(_, p)| p.shared && !p.object.trashed)
            .map(|(id, p)| (id.as_str(), p))
            .collect()
    }
}

/// A page object as Notion answers it: relation and people properties cut to
/// 25 references with `has_more`, optionally only some properties
/// (`filter_properties`, by id or name).
pub(crate) fn render_page_object(mut obj: Value, only: Option<&[String]>) -> Value {
    if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
        if let Some(only) = only {
            props.retain(|name, v| {
                let id = crate::ids::percent_decode(v["id"].as_str().unwrap_or_default());
                only.iter().any(|w| *w == id || w == name)
            });
        }
        for prop in props.values_mut() {
            let kind = prop["type"].as_str().unwrap_or_default().to_string();
            if kind != "relation" && kind != "people" {
                continue;
            }
            if let Some(list) = prop.get_mut(&kind).and_then(Value::as_array_mut) {
                let more = list.len() > PROPERTY_REFERENCE_LIMIT;
                list.truncate(PROPERTY_REFERENCE_LIMIT);
                if kind == "relation" || more {
                    prop["has_more"] = json!(more);
                }
            }
        }
    }
    obj
}

/// The original's id when a block object is a synced-block copy.
pub(crate) fn synced_from(block: &Value) -> Option<String> {
    block["synced_block"]["synced_from"]["block_id"]
        .as_str()
        .map(str::to_string)
}

/// Whether a page object is trashed (query results leave those out).
pub(crate) fn is_trashed(page: &Value) -> bool {
    page["in_trash"].as_bool() == Some(true) || page["archived"].as_bool() == Some(true)
}

/// The runs of a page object's title property.
pub(crate) fn title_runs(page: &Value) -> Vec<Value> {
    page["properties"]
        .as_object()
        .and_then(|props| props.values().find(|p| p["type"] == "title"))
        .and_then(|p| p["title"].as_array().cloned())
        .unwrap_or_default()
}

/// A timestamp cut to the minute, in Notion's form.
pub(crate) fn minute(v: &Value) -> Value {
    match v
        .as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
    {
        Some(t) => json!(
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%dT%H:%M:00.000Z")
                .to_string()
        ),
        None => v.clone(),
    }
}

/// Inserts `key` after `after` in an object (keeps Notion's field order).
fn insert_after(obj: &mut Value, after: &str, key: &str, value: Value) {
    let Some(map) = obj.as_object_mut() else {
        return;
    };
    let at = map
        .keys()
        .position(|k| k == after)
        .map_or(map.len(), |i| i + 1);
    map.shift_insert(at, key.to_string(), value);
}

fn collect_block_texts(block: &Value, out: &mut Vec<String>) {
    let kind = block["type"].as_str().unwrap_or_default();
    if crate::dataset::is_known_block_type(kind) {
        let content = &block[kind];
        match kind {
            "equation" => push_text(content["expression"].as_str(), out),
            "child_page" | "child_database" => push_text(content["title"].as_str(), out),
            _ => collect_plain_texts(content, out),
        }
    }
    for child in block["children"].as_array().into_iter().flatten() {
        collect_block_texts(child, out);
    }
}

/// Every `plain_text` string inside a JSON value, in order.
fn collect_plain_texts(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(s)) = map.get("plain_text") {
                push_text(Some(s), out);
                return;
            }
            map.values().for_each(|x| collect_plain_texts(x, out));
        }
        Value::Array(items) => items.iter().for_each(|x| collect_plain_texts(x, out)),
        _ => {}
    }
}

fn push_text(s: Option<&str>, out: &mut Vec<String>) {
    if let Some(s) = s.filter(|s| !s.is_empty()) {
        out.push(s.to_string());
    }
}
