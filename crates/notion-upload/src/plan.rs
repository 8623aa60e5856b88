//! The upload plan: every request of an upload, in order, decided from the
//! dataset's shape and the limits alone, so a resumed upload follows the
//! same plan and skips the steps it already made.
//!
//! Documents are created depth first, in the dataset's order: a page with
//! as much of its content as one request takes (up to its first child page
//! or database, which the API puts at the end of the page when it is
//! created), then the rest of its blocks and its child documents in their
//! order, then the levels of its blocks that did not fit (appended to their
//! parent block once its id is known: a read of the parent's children
//! learns the ids of blocks created nested in a request, which answers do not
//! list). Requests are packed greedily: up to 100 blocks per array, two
//! levels of nesting (a column adds none, a `column_list` only at the top, a
//! table with at least one row), 1,000 blocks and the byte budget per request.
//!
//! References to objects created later (a mention of a page further on, a
//! relation to a row not yet created) are written without the target (the
//! mention as its text) and set by a final update once everything exists.
//! A synced copy whose original is not uploaded or comes later is written
//! as an original holding the same content.

use std::collections::{HashMap, HashSet, VecDeque};

use serde_json::{Value, json};

use crate::convert::{BlockNode, Item, Key, Parent, UploadTree};
use crate::error::UploadError;
use crate::limits::WriteLimits;
use crate::report::{Difference, DifferenceKind};

/// The key standing for the upload's parent page.
pub(crate) const ROOT: &str = "";

/// Bytes of a request body beside its blocks: `parent`, brackets, an
/// `after`; a page's properties, icon and cover are counted on top.
const REQUEST_OVERHEAD: usize = 256;

/// Bytes a block's `children` array and separators add to its own JSON.
const BLOCK_OVERHEAD: usize = 16;

/// One request of the upload (a read of block children may take several
/// requests, one per 100 children).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Step {
    /// `POST /v1/pages` with the first blocks; `omit`: relation properties
    /// whose targets do not exist yet. `before`: documents (or rows) its
    /// parent held before it.
    CreatePage {
        page: Key,
        parent: Parent,
        children: Vec<Included>,
        omit: Vec<String>,
        before: usize,
    },
    /// `POST /v1/databases` with the first data source's schema.
    CreateDatabase {
        db: Key,
        parent: Parent,
        omit: Vec<String>,
        before: usize,
    },
    /// `POST /v1/data_sources`: a database's other data sources.
    CreateDataSource {
        ds: Key,
        db: Key,
        omit: Vec<String>,
        before: usize,
    },
    /// `PATCH /v1/data_sources/{id}`: the first data source's name, when it
    /// is not the database's title.
    RenameDataSource { ds: Key },
    /// `PATCH /v1/data_sources/{id}`: properties left out at creation.
    AddProperties { ds: Key, props: Vec<String> },
    /// `PATCH /v1/blocks/{id}/children`. `before`: children the container
    /// held before.
    Append {
        container: Key,
        children: Vec<Included>,
        before: usize,
    },
    /// `GET /v1/blocks/{id}/children` (all pages): learns the ids of the
    /// container's children, `children` in order.
    ReadChildren { container: Key, children: Vec<Key> },
    /// `PATCH /v1/blocks/{id}`: a block's references, once their targets exist.
    PatchBlock { block: Key },
    /// `PATCH /v1/pages/{id}`: relations left out at creation.
    SetRelations { page: Key, props: Vec<String> },
}

impl Step {
    /// What the step does, for errors and logs.
    pub(crate) fn describe(&self) -> String {
        match self {
            Step::CreatePage { page, children, .. } => {
                format!("create page {page} with {} blocks", count(children))
            }
            Step::CreateDatabase { db, .. } => format!("create database {db}"),
            Step::CreateDataSource { ds, .. } => format!("create data source {ds}"),
            Step::RenameDataSource { ds } => format!("rename data source {ds}"),
            Step::AddProperties { ds, props } => {
                format!("add properties {} to data source {ds}", props.join(", "))
            }
            Step::Append {
                container,
                children,
                ..
            } => format!("append {} blocks to {}", count(children), shown(container)),
            Step::ReadChildren { container, .. } => {
                format!("read the children of {}", shown(container))
            }
            Step::PatchBlock { block } => format!("set the references of block {block}"),
            Step::SetRelations { page, props } => {
                format!("set relations {} of page {page}", props.join(", "))
            }
        }
    }

    /// Whether the step creates something (a lost answer must be checked
    /// before it is sent again).
    pub(crate) fn creates(&self) -> bool {
        matches!(
            self,
            Step::CreatePage { .. }
                | Step::CreateDatabase { .. }
                | Step::CreateDataSource { .. }
                | Step::Append { .. }
        )
    }

    /// Requests the step takes when nothing goes wrong.
    pub(crate) fn requests(&self) -> usize {
        match self {
            Step::ReadChildren { children, .. } => children.len().div_ceil(100).max(1),
            _ => 1,
        }
    }
}

fn shown(key: &str) -> &str {
    if key == ROOT { "the parent page" } else { key }
}

/// Blocks in a list of included trees.
pub(crate) fn count(children: &[Included]) -> usize {
    children.iter().map(|c| 1 + count(&c.children)).sum()
}

/// A block written in a request, with the children written with it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Included {
    pub key: Key,
    pub children: Vec<Included>,
    /// A synced copy written as an original holding its content.
    pub unsynced: bool,
}

/// An upload plan.
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    pub steps: Vec<Step>,
    /// Differences decided while planning (synced copies written unsynced).
    pub differences: Vec<Difference>,
}

/// Plans the upload of a tree.
pub(crate) fn plan(tree: &UploadTree, limits: &WriteLimits) -> Result<Plan, UploadError> {
    let mut planner = Planner {
        tree,
        limits: *limits,
        plan: Plan::default(),
        created: HashSet::from([ROOT.to_string()]),
        known: HashSet::from([ROOT.to_string()]),
        written: HashMap::new(),
        parent_of: HashMap::new(),
        in_request: HashSet::new(),
        patch_blocks: Vec::new(),
        set_relations: Vec::new(),
        add_props: Vec::new(),
        page: String::new(),
    };
    for item in &tree.roots {
        planner.document(item, ROOT)?;
    }
    for (ds, props) in std::mem::take(&mut planner.add_props) {
        planner.plan.steps.push(Step::AddProperties { ds, props });
    }
    for (page, props) in std::mem::take(&mut planner.set_relations) {
        planner.plan.steps.push(Step::SetRelations { page, props });
    }
    for block in std::mem::take(&mut planner.patch_blocks) {
        planner.ensure_known(&block);
        planner.plan.steps.push(Step::PatchBlock { block });
    }
    Ok(planner.plan)
}

/// The remaining room in one request.
struct Budget {
    blocks: usize,
    bytes: usize,
}

impl Budget {
    fn fits(&self, (blocks, bytes): (usize, usize)) -> bool {
        blocks <= self.blocks && bytes <= self.bytes
    }

    fn take(&mut self, (blocks, bytes): (usize, usize)) {
        self.blocks -= blocks;
        self.bytes -= bytes;
    }
}

/// Children still to write into a container.
type Pending = VecDeque<(Key, Vec<Key>)>;

struct Planner<'a> {
    tree: &'a UploadTree,
    limits: WriteLimits,
    plan: Plan,
    /// Objects created by the steps so far.
    created: HashSet<Key>,
    /// Objects whose Notion id the steps so far learn.
    known: HashSet<Key>,
    /// Children written into each container so far, in order (a page's
    /// child pages and databases included; a data source's rows).
    written: HashMap<Key, Vec<Key>>,
    /// The container of each block.
    parent_of: HashMap<Key, Key>,
    /// Blocks in the request being packed.
    in_request: HashSet<Key>,
    patch_blocks: Vec<Key>,
    set_relations: Vec<(Key, Vec<String>)>,
    add_props: Vec<(Key, Vec<String>)>,
    /// The page being planned.
    page: Key,
}

impl Planner<'_> {
    fn document(&mut self, item: &Item, host: &str) -> Result<(), UploadError> {
        let parent = if host == ROOT {
            Parent::Root
        } else {
            Parent::Page(host.to_string())
        };
        match item {
            Item::Page(key) => self.page(key, parent),
            Item::Database(key) => self.database(key, parent),
            Item::Block(_) => Ok(()),
        }
    }

    fn page(&mut self, key: &Key, parent: Parent) -> Result<(), UploadError> {
        let outer = std::mem::replace(&mut self.page, key.clone());
        let result = self.page_steps(key, parent);
        self.page = outer;
        result
    }

    fn page_steps(&mut self, key: &Key, parent: Parent) -> Result<(), UploadError> {
        let doc = &self.tree.pages[key];
        let omit: Vec<String> = doc
            .properties
            .iter()
            .filter(|(_, v)| {
                v["relation"].as_array().is_some_and(|refs| {
                    refs.iter()
                        .any(|r| !self.created.contains(r["id"].as_str().unwrap_or_default()))
                })
            })
            .map(|(name, _)| name.clone())
            .collect();
        if !omit.is_empty() {
            self.set_relations.push((key.clone(), omit.clone()));
        }
        let first_doc = doc
            .content
            .iter()
            .position(|i| !matches!(i, Item::Block(_)))
            .unwrap_or(doc.content.len());
        let prefix: Vec<Key> = doc.content[..first_doc]
            .iter()
            .filter_map(|i| match i {
                Item::Block(k) => Some(k.clone()),
                _ => None,
            })
            .collect();
        let page_bytes =
            json_len(&json!({"properties": doc.properties, "icon": doc.icon, "cover": doc.cover}));
        let mut budget = Budget {
            blocks: self.limits.blocks,
            bytes: self
                .limits
                .bytes
                .saturating_sub(REQUEST_OVERHEAD + page_bytes),
        };
        let mut pending = Pending::new();
        self.prepare(&prefix);
        self.in_request.clear();
        let (children, used) = self.pack(&prefix, 0, &mut budget, &mut pending);
        let container = match &parent {
            Parent::Root => ROOT.to_string(),
            Parent::Page(p) | Parent::DataSource(p) => p.clone(),
        };
        let before = self.written.get(&container).map_or(0, Vec::len);
        self.record(key, &children);
        self.plan.steps.push(Step::CreatePage {
            page: key.clone(),
            parent,
            children,
            omit,
            before,
        });
        self.written.entry(container).or_default().push(key.clone());
        self.created.insert(key.clone());
        self.known.insert(key.clone());
        let mut run: Vec<Key> = prefix[used..].to_vec();
        for item in &doc.content[first_doc..] {
            match item {
                Item::Block(k) => run.push(k.clone()),
                other => {
                    self.append_all(key, std::mem::take(&mut run), &mut pending)?;
                    self.document(other, key)?;
                }
            }
        }
        self.append_all(key, run, &mut pending)?;
        while let Some((container, rest)) = pending.pop_front() {
            self.append_all(&container, rest, &mut pending)?;
        }
        Ok(())
    }

    fn database(&mut self, key: &Key, parent: Parent) -> Result<(), UploadError> {
        let doc = &self.tree.databases[key];
        let container = match &parent {
            Parent::Root => ROOT.to_string(),
            Parent::Page(p) | Parent::DataSource(p) => p.clone(),
        };
        for (i, source) in doc.sources.iter().enumerate() {
            let omit = self.unready_properties(source);
            if !omit.is_empty() {
                self.add_props.push((source.key.clone(), omit.clone()));
            }
            if i == 0 {
                let before = self.written.get(&container).map_or(0, Vec::len);
                self.plan.steps.push(Step::CreateDatabase {
                    db: key.clone(),
                    parent: parent.clone(),
                    omit,
                    before,
                });
                self.written
                    .entry(container.clone())
                    .or_default()
                    .push(key.clone());
                self.created.insert(key.clone());
                self.known.insert(key.clone());
                if source.name != doc.title_text {
                    self.plan.steps.push(Step::RenameDataSource {
                        ds: source.key.clone(),
                    });
                }
            } else {
                self.plan.steps.push(Step::CreateDataSource {
                    ds: source.key.clone(),
                    db: key.clone(),
                    omit,
                    before: i,
                });
            }
            self.created.insert(source.key.clone());
            self.known.insert(source.key.clone());
        }
        for source in &doc.sources {
            for row in &source.rows {
                self.page(row, Parent::DataSource(source.key.clone()))?;
            }
        }
        Ok(())
    }

    /// Relation properties whose target data source does not exist yet, and
    /// rollups through them.
    fn unready_properties(&self, source: &crate::convert::SourceDoc) -> Vec<String> {
        let mut omit: Vec<String> = source
            .schema
            .iter()
            .filter(|(_, c)| {
                c["relation"]["data_source_id"]
                    .as_str()
                    .is_some_and(|t| !self.created.contains(t))
            })
            .map(|(n, _)| n.clone())
            .collect();
        let rollups: Vec<String> = source
            .schema
            .iter()
            .filter(|(_, c)| {
                c["rollup"]["relation_property_name"]
                    .as_str()
                    .is_some_and(|through| omit.iter().any(|o| o == through))
            })
            .map(|(n, _)| n.clone())
            .collect();
        omit.extend(rollups);
        omit
    }

    /// Appends `keys` to `container` in as few requests as the limits allow.
    fn append_all(
        &mut self,
        container: &Key,
        mut keys: Vec<Key>,
        pending: &mut Pending,
    ) -> Result<(), UploadError> {
        while !keys.is_empty() {
            self.ensure_known(container);
            self.prepare(&keys);
            self.in_request.clear();
            let mut budget = Budget {
                blocks: self.limits.blocks,
                bytes: self.limits.bytes.saturating_sub(REQUEST_OVERHEAD),
            };
            let (children, used) = self.pack(&keys, 0, &mut budget, pending);
            if used == 0 {
                return Err(UploadError::TooLarge {
                    object: keys[0].clone(),
                    detail: format!(
                        "its smallest form is more than {} bytes or {} blocks",
                        self.limits.bytes, self.limits.blocks
                    ),
                });
            }
            let before = self.written.get(container).map_or(0, Vec::len);
            self.record(container, &children);
            self.known.extend(children.iter().map(|c| c.key.clone()));
            self.plan.steps.push(Step::Append {
                container: container.clone(),
                children,
                before,
            });
            keys.drain(..used);
        }
        Ok(())
    }

    /// Packs the first blocks of `keys` (siblings at `level` in the
    /// request) into the budget; the children that do not
    /// fit go to `pending`. Returns what is included and how many of `keys`.
    fn pack(
        &mut self,
        keys: &[Key],
        level: usize,
        budget: &mut Budget,
        pending: &mut Pending,
    ) -> (Vec<Included>, usize) {
        let mut out = Vec::new();
        for key in keys {
            if out.len() == self.limits.children {
                break;
            }
            let node = &self.tree.blocks[key];
            if !self.fits_level(node, level) {
                break;
            }
            let unsynced = match &node.copy_of {
                Some((original, _)) if self.known.contains(original) => false,
                // Created in this very request: wait for its id.
                Some((original, _))
                    if self.in_request.contains(original) || self.created.contains(original) =>
                {
                    break;
                }
                Some((original, _)) => {
                    self.plan.differences.push(Difference {
                        kind: DifferenceKind::SyncedCopyUnsynced,
                        object: key.clone(),
                        page: self.page.clone(),
                        detail: format!("original {original}"),
                    });
                    true
                }
                None => false,
            };
            let children: &[Key] = match (&node.copy_of, unsynced) {
                (Some((_, content)), true) => content,
                _ => &node.children,
            };
            if !budget.fits(self.min_cost(key, children)) {
                break;
            }
            budget.take((1, self.cost(key)));
            self.in_request.insert(key.clone());
            let mut included = Included {
                key: key.clone(),
                children: Vec::new(),
                unsynced,
            };
            if !children.is_empty() {
                let child_level = if node.kind == "column" {
                    level
                } else {
                    level + 1
                };
                let used = if child_level <= self.limits.nesting {
                    let (kids, used) = self.pack(children, child_level, budget, pending);
                    included.children = kids;
                    used
                } else {
                    0
                };
                if used < children.len() {
                    pending.push_back((key.clone(), children[used..].to_vec()));
                }
            }
            if self.has_unready_refs(node) {
                self.patch_blocks.push(key.clone());
            }
            out.push(included);
        }
        let used = out.len();
        (out, used)
    }

    /// Whether a block may sit at `level` of a request: a `column_list`
    /// only at the top, blocks that need children (tables, tabs, columns)
    /// only where their children may follow.
    fn fits_level(&self, node: &BlockNode, level: usize) -> bool {
        match node.kind.as_str() {
            "column_list" => level == 0,
            "column" => level <= self.limits.nesting,
            "table" | "tab" => level < self.limits.nesting,
            _ => true,
        }
    }

    /// Blocks and bytes a block takes at least: itself, and the first child
    /// of a block that cannot be created without children.
    fn min_cost(&self, key: &Key, children: &[Key]) -> (usize, usize) {
        let node = &self.tree.blocks[key];
        let own = (1, self.cost(key));
        match children.first() {
            Some(first)
                if matches!(
                    node.kind.as_str(),
                    "column_list" | "column" | "table" | "tab"
                ) =>
            {
                let child = &self.tree.blocks[first];
                let (b, n) = self.min_cost(first, &child.children);
                (own.0 + b, own.1 + n)
            }
            _ => own,
        }
    }

    /// Bytes a block's own JSON takes in a request (at most).
    fn cost(&self, key: &Key) -> usize {
        let node = &self.tree.blocks[key];
        json_len(&json!({"type": node.kind, (node.kind.clone()): node.content})) + BLOCK_OVERHEAD
    }

    /// Whether a block refers to a page or database not created yet.
    fn has_unready_refs(&self, node: &BlockNode) -> bool {
        let mut unready = false;
        visit_refs(&node.content, &mut |target| {
            unready |= !self.created.contains(target);
        });
        if node.kind == "link_to_page" {
            for field in ["page_id", "database_id"] {
                if let Some(target) = node.content[field].as_str() {
                    unready |= !self.created.contains(target);
                }
            }
        }
        unready
    }

    /// Learns the ids of synced originals that copies among `keys` (and
    /// their content) point to, before a request that holds them.
    fn prepare(&mut self, keys: &[Key]) {
        let mut originals = Vec::new();
        let mut stack: Vec<&Key> = keys.iter().collect();
        while let Some(key) = stack.pop() {
            let node = &self.tree.blocks[key];
            if let Some((original, _)) = &node.copy_of
                && self.created.contains(original)
                && !self.known.contains(original)
            {
                originals.push(original.clone());
            }
            stack.extend(node.children.iter());
        }
        for original in originals {
            self.ensure_known(&original);
        }
    }

    /// Makes sure the id of a created object is known, reading its
    /// container's children (and, first, its container's) when needed.
    fn ensure_known(&mut self, key: &Key) {
        if self.known.contains(key) {
            return;
        }
        let Some(container) = self.parent_of.get(key).cloned() else {
            return;
        };
        self.ensure_known(&container);
        let children = self.written.get(&container).cloned().unwrap_or_default();
        self.known.extend(children.iter().cloned());
        self.plan.steps.push(Step::ReadChildren {
            container,
            children,
        });
    }

    /// Records blocks written into `container` (and theirs, recursively).
    fn record(&mut self, container: &str, included: &[Included]) {
        for inc in included {
            self.written
                .entry(container.to_string())
                .or_default()
                .push(inc.key.clone());
            self.parent_of
                .insert(inc.key.clone(), container.to_string());
            self.created.insert(inc.key.clone());
            self.record(&inc.key, &inc.children);
        }
    }
}

/// Calls `f` with every page or database a block's content mentions.
pub(crate) fn visit_refs(v: &Value, f: &mut impl FnMut(&str)) {
    match v {
        Value::Object(map) => {
            if map.get("type").and_then(Value::as_str) == Some("mention") {
                let m = &map["mention"];
                if let Some(kind @ ("page" | "database")) = m["type"].as_str()
                    && let Some(id) = m[kind]["id"].as_str()
                {
                    f(id);
                }
                return;
            }
            map.values().for_each(|x| visit_refs(x, f));
        }
        Value::Array(items) => items.iter().for_each(|x| visit_refs(x, f)),
        _ => {}
    }
}

/// Bytes of a value's JSON.
pub(crate) fn json_len(v: &Value) -> usize {
    serde_json::to_vec(v).map_or(0, |b| b.len())
}
