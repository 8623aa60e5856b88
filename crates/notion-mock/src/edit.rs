//! Runtime edits of a workspace, as people make them in Notion: change a
//! block's text, rewrite or extend a page, rename it, add a page, move a
//! page to the trash, archive it, stop sharing it, delete it. Each edit also
//! records the webhook events Notion would send for it (see
//! [`crate::webhooks`]).
//!
//! Every edit of content moves `last_edited_time` the way Notion does: to the
//! current minute (Notion cuts page and block times to the minute), on the
//! edited block and on the page whose content changed (adding or deleting a
//! child page changes its parent's content). A synthetic page's generated
//! content is stored on its first edit, so the edit overrides what the seed
//! would generate. Search sees every edit at once, and so does everything
//! derived from the workspace: [`Workspace::page_ids`],
//! [`Workspace::page_tree_json`], [`Workspace::plain_texts`],
//! [`Workspace::min_requests`].
//!
//! ```
//! use notion_mock::Workspace;
//!
//! let mut ws = Workspace::kitchen_sink();
//! let page = ws.page_ids()[0].clone();
//! ws.set_page_text(&page, &["Rewritten tonight."])?;
//! assert!(ws.plain_texts(&page).contains(&"Rewritten tonight.".to_string()));
//!
//! let gone = ws.trash_page(&page)?; // the page and every page under it
//! assert!(gone.contains(&page) && !ws.page_ids().contains(&page));
//! # Ok::<(), notion_mock::EditError>(())
//! ```
//!
//! A running server is edited through [`MockServer::edit`](crate::MockServer::edit).

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value, json};

use crate::dataset::rich_text::{annotations, text_run};
use crate::dataset::{self, DatasetError};
use crate::ids::parse_id;
use crate::workspace::{Content, Node, StoredObject, Workspace};

/// Why an edit could not be made. A failed edit changes nothing.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// No page has this id.
    #[error("no page with id {0}")]
    UnknownPage(String),
    /// No block (stored or generated) has this id.
    #[error("no block with id {0}")]
    UnknownBlock(String),
    /// The block's type holds no rich text (a divider, an image...).
    #[error("block {id} is a `{kind}` block, which holds no rich text")]
    NoText {
        /// The block.
        id: String,
        /// Its type.
        kind: String,
    },
    /// New content does not follow the dataset format (`datasets/README.md`).
    #[error(transparent)]
    Dataset(#[from] DatasetError),
}

/// The documents under a page: child pages and databases at any depth,
/// database rows, and theirs.
#[derive(Debug, Default)]
struct Subtree {
    pages: Vec<String>,
    databases: Vec<String>,
    data_sources: Vec<String>,
}

impl Workspace {
    /// Sets the text of a block that holds rich text (paragraph, heading,
    /// list item, to-do, toggle, quote, callout, code) to one plain run.
    /// Moves the block's and its page's `last_edited_time` to now.
    pub fn set_block_text(&mut self, block_id: &str, text: &str) -> Result<(), EditError> {
        let unknown = || EditError::UnknownBlock(block_id.to_string());
        let id = parse_id(block_id).ok_or_else(unknown)?;
        let (page, kind) = match self.node(&id) {
            Some(Node::Block(b)) => (b.page.clone(), b.object["type"].as_str().map(str::to_owned)),
            _ => return Err(unknown()),
        };
        let kind = kind.unwrap_or_default();
        let holds_text = |ws: &Workspace| match ws.node(&id) {
            Some(Node::Block(b)) => b.object[&kind].get("rich_text").is_some(),
            _ => false,
        };
        if !holds_text(self) {
            return Err(EditError::NoText { id, kind });
        }
        self.materialize(&page);
        let now = self.now_minute();
        let rec = self.blocks.get_mut(&id).ok_or_else(unknown)?;
        let object = Arc::make_mut(&mut rec.object);
        object[&kind]["rich_text"] = json!([text_run(text, annotations(&Map::new()), None)]);
        object["last_edited_time"] = json!(now);
        self.touch_page(&page, &now);
        self.record_content(&page, &[id]);
        Ok(())
    }

    /// Replaces a page's blocks with one paragraph per string. Its child
    /// pages and databases stay, after the paragraphs, in their order.
    /// Moves the page's `last_edited_time` to now.
    pub fn set_page_text(&mut self, page_id: &str, paragraphs: &[&str]) -> Result<(), EditError> {
        let id = self.existing_page(page_id)?;
        let now = self.now_minute();
        let specs = Value::Array(paragraphs.iter().map(|p| json!({"paragraph": p})).collect());
        let at = self.next_edit_path();
        let (mut top, blocks) = dataset::load_fragment(self, &id, (&now, &now), &specs, &at)?;
        self.materialize(&id);
        let kept = self.documents_of(&id);
        for doc in &kept {
            self.set_parent(doc, json!({"type": "page_id", "page_id": id}));
        }
        self.blocks.retain(|_, b| b.page != id);
        self.blocks.extend(blocks);
        self.record_content(&id, &top);
        top.extend(kept);
        if let Some(page) = self.pages.get_mut(&id) {
            page.content = Content::Blocks(top);
        }
        self.touch_page(&id, &now);
        Ok(())
    }

    /// Adds a paragraph at the end of a page and returns the new block's id.
    /// Moves the page's `last_edited_time` to now.
    pub fn append_paragraph(&mut self, page_id: &str, text: &str) -> Result<String, EditError> {
        let id = self.existing_page(page_id)?;
        let now = self.now_minute();
        let at = self.next_edit_path();
        let spec = json!([{"paragraph": text}]);
        let (top, blocks) = dataset::load_fragment(self, &id, (&now, &now), &spec, &at)?;
        self.materialize(&id);
        self.blocks.extend(blocks);
        if let Some(page) = self.pages.get_mut(&id)
            && let Content::Blocks(ids) = &mut page.content
        {
            ids.extend(top.iter().cloned());
        }
        self.record_content(&id, &top);
        self.touch_page(&id, &now);
        Ok(top.into_iter().next().unwrap_or_default())
    }

    /// Adds a page with `title` and `blocks` (a list of block specs in the
    /// dataset format, child pages and databases included) at the top level
    /// (`parent: None`) or at the end of the page `parent`, whose
    /// `last_edited_time` moves to now. The new page is shared when its
    /// parent is, and returned by search. Returns its id.
    pub fn add_page(
        &mut self,
        parent: Option<&str>,
        title: &str,
        blocks: Value,
    ) -> Result<String, EditError> {
        let parent_id = parent.map(|p| self.existing_page(p)).transpose()?;
        let (parent_json, shared) = match &parent_id {
            None => (json!({"type": "workspace", "workspace": true}), true),
            Some(p) => (
                json!({"type": "page_id", "page_id": p}),
                self.pages.get(p).is_some_and(|rec| rec.shared),
            ),
        };
        let now = self.now_minute();
        let at = self.next_edit_path();
        let spec = json!({"title": title, "blocks": blocks});
        let id = dataset::add_page(self, &spec, parent_json, shared, &now, &at)?;
        if let Some(parent) = parent_id {
            self.materialize(&parent);
            if let Some(rec) = self.pages.get_mut(&parent)
                && let Content::Blocks(ids) = &mut rec.content
            {
                ids.push(id.clone());
            }
            self.touch_page(&parent, &now);
        }
        self.reset_search();
        let sub = self.subtree(&id);
        self.record_created(&id, &sub.pages, &sub.databases, &sub.data_sources);
        Ok(id)
    }

    /// Moves a page to the trash (`in_trash`, and the older `archived`),
    /// with every page under it. Moves the `last_edited_time` of the page
    /// and of its parent page (whose content loses the `child_page` block)
    /// to now. Returns the pages put in the trash: the page, then those under it.
    pub fn trash_page(&mut self, page_id: &str) -> Result<Vec<String>, EditError> {
        let pages = self.flag_subtree(page_id, |o| {
            o["in_trash"] = json!(true);
            o["archived"] = json!(true);
        })?;
        self.record_removed(&pages[0], true);
        Ok(pages)
    }

    /// Archives a page (`is_archived`), with every page under it; times
    /// move as for [`Workspace::trash_page`]. Returns the pages archived.
    pub fn archive_page(&mut self, page_id: &str) -> Result<Vec<String>, EditError> {
        let pages = self.flag_subtree(page_id, |o| o["is_archived"] = json!(true))?;
        self.record_removed(&pages[0], false);
        Ok(pages)
    }

    /// Stops sharing a page with the integration, with everything under it
    /// (as removing a connection does in Notion): they answer 404 and
    /// search leaves them out. No content changes, so no time moves; the
    /// `child_page` block in a parent that stays shared remains. Returns the
    /// pages no longer shared.
    pub fn unshare_page(&mut self, page_id: &str) -> Result<Vec<String>, EditError> {
        let id = self.existing_page(page_id)?;
        let sub = self.subtree(&id);
        let pages: Vec<String> = std::iter::once(id).chain(sub.pages).collect();
        for p in &pages {
            if let Some(rec) = self.pages.get_mut(p) {
                rec.shared = false;
            }
        }
        for d in &sub.databases {
            if let Some(rec) = self.databases.get_mut(d) {
                rec.shared = false;
            }
        }
        for d in &sub.data_sources {
            if let Some(rec) = self.data_sources.get_mut(d) {
                rec.shared = false;
            }
        }
        self.reset_search();
        Ok(pages)
    }

    /// Deletes a page for good, with everything under it: 404 everywhere,
    /// its block gone from its parent, whose `last_edited_time` moves to now.
    /// Returns the pages deleted.
    pub fn delete_page(&mut self, page_id: &str) -> Result<Vec<String>, EditError> {
        let id = self.existing_page(page_id)?;
        let sub = self.subtree(&id);
        let now = self.now_minute();
        self.record_removed(&id, true);
        self.detach(&id, &now);
        let pages: HashSet<String> = std::iter::once(id.clone())
            .chain(sub.pages.iter().cloned())
            .collect();
        self.blocks.retain(|_, b| !pages.contains(&b.page));
        for p in &pages {
            self.pages.shift_remove(p);
        }
        for d in &sub.databases {
            self.databases.shift_remove(d);
        }
        for d in &sub.data_sources {
            self.data_sources.shift_remove(d);
        }
        self.reset_search();
        Ok(std::iter::once(id).chain(sub.pages).collect())
    }

    /// Sets a page's title (its `title` property) to one plain run. Moves
    /// the page's `last_edited_time` to now.
    pub fn set_title(&mut self, page_id: &str, title: &str) -> Result<(), EditError> {
        let id = self.existing_page(page_id)?;
        let mut changed = Vec::new();
        self.update_page(&id, |o| {
            let props = o["properties"].as_object_mut().into_iter().flatten();
            for (name, prop) in props.filter(|(_, p)| p["type"] == "title") {
                prop["title"] = json!([text_run(title, annotations(&Map::new()), None)]);
                changed.push(prop["id"].as_str().unwrap_or(name).to_string());
            }
        });
        let now = self.now_minute();
        self.touch_page(&id, &now);
        self.record_properties(&id, &changed);
        Ok(())
    }

    /// The page whose content holds a block (a page's own id gives the
    /// page): which page a `blocks/{id}/children` request reads. `None` for
    /// an unknown id.
    pub fn page_of(&self, id: &str) -> Option<String> {
        let id = parse_id(id)?;
        if self.pages.contains_key(&id) {
            return Some(id);
        }
        match self.node(&id)? {
            Node::Block(b) => Some(b.page.clone()),
            _ => None,
        }
    }

    /// The page's id in normal form, if the workspace has it.
    fn existing_page(&self, page_id: &str) -> Result<String, EditError> {
        parse_id(page_id)
            .filter(|id| self.pages.contains_key(id))
            .ok_or_else(|| EditError::UnknownPage(page_id.to_string()))
    }

    /// Where the ids of objects an edit adds are derived from.
    fn next_edit_path(&mut self) -> String {
        self.edit_count += 1;
        format!("edits/{}", self.edit_count)
    }

    /// Stores a synthetic page's generated content, so edits can change it.
    pub(crate) fn materialize(&mut self, page_id: &str) {
        let Some(Content::Generated(n)) = self.pages.get(page_id).map(|p| &p.content) else {
            return;
        };
        let n = *n;
        let Some(generator) = self.generator.clone() else {
            return;
        };
        let generated = generator.page_content(self, n);
        self.blocks.extend(
            generated
                .blocks
                .iter()
                .map(|(id, b)| (id.clone(), b.clone())),
        );
        if let Some(page) = self.pages.get_mut(page_id) {
            page.content = Content::Blocks(generated.top.clone());
        }
    }

    /// Rewrites a page's stored object.
    pub(crate) fn update_page(&mut self, page_id: &str, f: impl FnOnce(&mut Value)) {
        if let Some(page) = self.pages.get_mut(page_id) {
            let mut object = page.object.value();
            f(&mut object);
            page.object = StoredObject::new(&object);
        }
    }

    /// Moves a page's `last_edited_time` (and any `last_edited_time`
    /// property of a row) to `now`.
    pub(crate) fn touch_page(&mut self, page_id: &str, now: &str) {
        self.update_page(page_id, |o| {
            o["last_edited_time"] = json!(now);
            for prop in o["properties"]
                .as_object_mut()
                .into_iter()
                .flat_map(|p| p.values_mut())
            {
                if prop["type"] == "last_edited_time" {
                    prop["last_edited_time"] = json!(now);
                }
            }
        });
        self.reset_search();
    }

    /// Sets a flag on a page and every page under it; moves the page's time.
    fn flag_subtree(
        &mut self,
        page_id: &str,
        flag: impl Fn(&mut Value),
    ) -> Result<Vec<String>, EditError> {
        let id = self.existing_page(page_id)?;
        let pages: Vec<String> = std::iter::once(id.clone())
            .chain(self.subtree(&id).pages)
            .collect();
        for p in &pages {
            self.update_page(p, &flag);
        }
        let now = self.now_minute();
        self.touch_page(&id, &now);
        // Its `child_page` block left the parent's content.
        if let Some(host) = self.host_page(&id) {
            self.touch_page(&host, &now);
        }
        Ok(pages)
    }

    /// The page whose content holds a page's `child_page` block, if any.
    fn host_page(&self, page_id: &str) -> Option<String> {
        let parent = self.pages.get(page_id)?.object.value()["parent"].clone();
        match parent["type"].as_str()? {
            "page_id" => parse_id(parent["page_id"].as_str()?),
            "block_id" => self.page_of(parent["block_id"].as_str()?),
            _ => None,
        }
    }

    /// Sets the `parent` of a page or database object.
    fn set_parent(&mut self, doc: &str, parent: Value) {
        if self.pages.contains_key(doc) {
            self.update_page(doc, |o| o["parent"] = parent);
        } else if let Some(db) = self.databases.get_mut(doc) {
            db.object["parent"] = parent;
        }
    }

    /// Takes a page out of whatever lists it (its parent page's or block's
    /// children, its data source's rows); the parent page's time moves.
    fn detach(&mut self, page_id: &str, now: &str) {
        let parent = match self.pages.get(page_id) {
            Some(p) => p.object.value()["parent"].clone(),
            None => return,
        };
        let id_of = |key: &str| parent[key].as_str().and_then(parse_id);
        match parent["type"].as_str() {
            Some("page_id") => {
                let Some(host) = id_of("page_id") else { return };
                self.materialize(&host);
                if let Some(rec) = self.pages.get_mut(&host)
                    && let Content::Blocks(ids) = &mut rec.content
                {
                    ids.retain(|c| c != page_id);
                }
                self.touch_page(&host, now);
            }
            Some("block_id") => {
                let Some(block) = id_of("block_id") else {
                    return;
                };
                let Some(host) = self.page_of(&block) else {
                    return;
                };
                self.materialize(&host);
                if let Some(rec) = self.blocks.get_mut(&block) {
                    Arc::make_mut(&mut rec.children).retain(|c| c != page_id);
                }
                self.touch_page(&host, now);
            }
            Some("data_source_id") => {
                let Some(ds) = id_of("data_source_id") else {
                    return;
                };
                if let Some(rec) = self.data_sources.get_mut(&ds) {
                    rec.rows.retain(|r| r != page_id);
                }
            }
            _ => {}
        }
    }

    /// Child pages and databases anywhere in a page's own content, in order.
    fn documents_of(&self, page_id: &str) -> Vec<String> {
        fn visit(ws: &Workspace, ids: &[String], out: &mut Vec<String>) {
            for id in ids {
                if ws.pages.contains_key(id) || ws.databases.contains_key(id) {
                    out.push(id.clone());
                } else if let Some(block) = ws.blocks.get(id) {
                    visit(ws, &block.children, out);
                }
            }
        }
        let mut out = Vec::new();
        match (self.pages.get(page_id).map(|p| &p.content), &self.generator) {
            (Some(Content::Generated(n)), Some(generator)) => {
                out.extend(generator.child_ids(*n).iter().cloned())
            }
            (Some(Content::Blocks(ids)), _) => visit(self, ids, &mut out),
            _ => {}
        }
        out
    }

    /// Everything under a page, depth first.
    fn subtree(&self, page_id: &str) -> Subtree {
        let mut out = Subtree::default();
        let mut seen = HashSet::from([page_id.to_string()]);
        let mut stack = vec![page_id.to_string()];
        while let Some(page) = stack.pop() {
            for doc in self.documents_of(&page) {
                if !seen.insert(doc.clone()) {
                    continue;
                }
                if self.pages.contains_key(&doc) {
                    out.pages.push(doc.clone());
                    stack.push(doc);
                    continue;
                }
                let Some(db) = self.databases.get(&doc) else {
                    continue;
                };
                for ds in &db.data_sources {
                    out.data_sources.push(ds.clone());
                    let rows = self.data_sources.get(ds).map_or(&[][..], |d| &d.rows);
                    for row in rows {
                        if seen.insert(row.clone()) {
                            out.pages.push(row.clone());
                            stack.push(row.clone());
                        }
                    }
                }
                out.databases.push(doc);
            }
        }
        out
    }

    /// Drops the search index; the next search rebuilds it.
    pub(crate) fn reset_search(&mut self) {
        self.search_index = OnceLock::new();
    }
}

impl Workspace {
    /// The server's now (the local clock moved by the clock offset), cut to
    /// the minute in Notion's form.
    pub(crate) fn now_minute(&self) -> String {
        (chrono::Utc::now() + self.clock_offset)
            .format("%Y-%m-%dT%H:%M:00.000Z")
            .to_string()
    }
}
