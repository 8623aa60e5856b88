//! Request bodies of the plan's steps, with the dataset's references mapped
//! to the Notion ids the upload has learned so far.
//!
//! A mention of a page or database not created yet is written as its text,
//! a `link_to_page` to one as a link to the upload's parent page; the plan
//! sets both once the target exists. The `plain_text` the conversion keeps
//! on page and database mentions for this is never sent.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::convert::{Key, Parent, UploadTree};
use crate::plan::{Included, ROOT};

/// Builds bodies from the upload tree and the ids known.
pub(crate) struct Bodies<'a> {
    pub tree: &'a UploadTree,
    pub ids: &'a BTreeMap<String, String>,
    /// The upload's parent page.
    pub root: &'a str,
}

impl Bodies<'_> {
    /// The Notion id of a key (the parent page for [`ROOT`]).
    pub fn id(&self, key: &str) -> Option<&str> {
        if key == ROOT {
            return Some(self.root);
        }
        self.ids.get(key).map(String::as_str)
    }

    /// `POST /v1/pages`.
    pub fn create_page(
        &self,
        page: &Key,
        parent: &Parent,
        children: &[Included],
        omit: &[String],
    ) -> Value {
        let doc = &self.tree.pages[page];
        let parent = match parent {
            Parent::Root => json!({"page_id": self.root}),
            Parent::Page(p) => json!({"page_id": self.id(p)}),
            Parent::DataSource(ds) => json!({"data_source_id": self.id(ds)}),
        };
        let properties: Map<String, Value> = doc
            .properties
            .iter()
            .filter(|(name, _)| !omit.contains(name))
            .map(|(name, v)| (name.clone(), self.property_value(v)))
            .collect();
        let mut body = json!({"parent": parent, "properties": properties});
        if let Some(icon) = &doc.icon {
            body["icon"] = icon.clone();
        }
        if let Some(cover) = &doc.cover {
            body["cover"] = cover.clone();
        }
        if !children.is_empty() {
            body["children"] = self.blocks(children);
        }
        body
    }

    /// `PATCH /v1/pages/{id}` setting relations.
    pub fn set_relations(&self, page: &Key, props: &[String]) -> Value {
        let doc = &self.tree.pages[page];
        let properties: Map<String, Value> = props
            .iter()
            .filter_map(|name| Some((name.clone(), self.property_value(doc.properties.get(name)?))))
            .collect();
        json!({"properties": properties})
    }

    /// `POST /v1/databases` with the first data source's schema.
    pub fn create_database(&self, db: &Key, parent: &Parent, omit: &[String]) -> Value {
        let doc = &self.tree.databases[db];
        let page = match parent {
            Parent::Page(p) => self.id(p).unwrap_or_default(),
            _ => self.root,
        };
        let schema = doc
            .sources
            .first()
            .map(|s| self.schema(&s.schema, omit))
            .unwrap_or_default();
        let mut body = json!({
            "parent": {"type": "page_id", "page_id": page},
            "title": doc.title,
            "is_inline": doc.is_inline,
            "initial_data_source": {"properties": schema},
        });
        if let Some(icon) = &doc.icon {
            body["icon"] = icon.clone();
        }
        body
    }

    /// `POST /v1/data_sources`.
    pub fn create_data_source(&self, ds: &Key, db: &Key, omit: &[String]) -> Value {
        let source = self.source(ds);
        json!({
            "parent": {"type": "database_id", "database_id": self.id(db)},
            "title": [text(&source.name)],
            "properties": self.schema(&source.schema, omit),
        })
    }

    /// `PATCH /v1/data_sources/{id}` renaming it.
    pub fn rename_data_source(&self, ds: &Key) -> Value {
        json!({"title": [text(&self.source(ds).name)]})
    }

    /// `PATCH /v1/data_sources/{id}` adding properties.
    pub fn add_properties(&self, ds: &Key, props: &[String]) -> Value {
        let schema = &self.source(ds).schema;
        let configs: Map<String, Value> = props
            .iter()
            .filter_map(|name| Some((name.clone(), self.resolve_schema_entry(schema.get(name)?))))
            .collect();
        json!({"properties": configs})
    }

    /// `PATCH /v1/blocks/{id}/children`.
    pub fn append(&self, children: &[Included]) -> Value {
        json!({"children": self.blocks(children)})
    }

    /// `PATCH /v1/blocks/{id}` with a block's content, references resolved.
    pub fn patch_block(&self, block: &Key) -> Value {
        let node = &self.tree.blocks[block];
        json!({(node.kind.clone()): self.content(block, false)})
    }

    fn source(&self, ds: &Key) -> &crate::convert::SourceDoc {
        self.tree
            .databases
            .values()
            .flat_map(|d| d.sources.iter())
            .find(|s| s.key == *ds)
            .expect("the plan names data sources of the tree")
    }

    fn schema(&self, schema: &Map<String, Value>, omit: &[String]) -> Map<String, Value> {
        schema
            .iter()
            .filter(|(name, _)| !omit.contains(name))
            .map(|(name, c)| (name.clone(), self.resolve_schema_entry(c)))
            .collect()
    }

    fn resolve_schema_entry(&self, config: &Value) -> Value {
        let mut config = config.clone();
        if let Some(target) = config["relation"]["data_source_id"].as_str()
            && let Some(id) = self.id(target)
        {
            config["relation"]["data_source_id"] = json!(id);
        }
        config
    }

    fn property_value(&self, v: &Value) -> Value {
        let mut v = v.clone();
        if let Some(refs) = v["relation"].as_array_mut() {
            for r in refs {
                if let Some(id) = r["id"].as_str().and_then(|k| self.id(k)) {
                    r["id"] = json!(id);
                }
            }
        } else {
            v = self.resolve_runs(v);
        }
        v
    }

    /// Included blocks as request blocks.
    fn blocks(&self, included: &[Included]) -> Value {
        Value::Array(
            included
                .iter()
                .map(|inc| {
                    let node = &self.tree.blocks[&inc.key];
                    let mut content = self.content(&inc.key, inc.unsynced);
                    if !inc.children.is_empty() {
                        content["children"] = self.blocks(&inc.children);
                    }
                    json!({"type": node.kind, (node.kind.clone()): content})
                })
                .collect(),
        )
    }

    /// A block's content with references resolved (placeholders for targets
    /// not created yet).
    fn content(&self, key: &Key, unsynced: bool) -> Value {
        let node = &self.tree.blocks[key];
        let mut content = self.resolve_runs(node.content.clone());
        match node.kind.as_str() {
            "link_to_page" => {
                let field = if content["database_id"].is_string() {
                    "database_id"
                } else {
                    "page_id"
                };
                let target = content[field].as_str().unwrap_or_default().to_string();
                content = match self.id(&target) {
                    Some(id) => json!({"type": field, field: id}),
                    None => json!({"type": "page_id", "page_id": self.root}),
                };
            }
            "synced_block" if unsynced => content["synced_from"] = Value::Null,
            "synced_block" => {
                if let Some(original) = node.copy_of.as_ref().and_then(|(o, _)| self.id(o)) {
                    content["synced_from"] = json!({"type": "block_id", "block_id": original});
                }
            }
            _ => {}
        }
        content
    }

    /// Mentions of created pages and databases get their ids; others become
    /// their text. The kept `plain_text` is removed.
    fn resolve_runs(&self, v: Value) -> Value {
        match v {
            Value::Object(mut map) => {
                if map.get("type").and_then(Value::as_str) == Some("mention") {
                    let plain = map.remove("plain_text");
                    let kind = map["mention"]["type"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                    if kind == "page" || kind == "database" {
                        let target = map["mention"][&kind]["id"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string();
                        match self.id(&target) {
                            Some(id) => map["mention"][&kind]["id"] = json!(id),
                            None => {
                                let mut run = text(
                                    plain.as_ref().and_then(Value::as_str).unwrap_or("Untitled"),
                                );
                                if let Some(ann) = map.remove("annotations") {
                                    run["annotations"] = ann;
                                }
                                return run;
                            }
                        }
                    }
                    return Value::Object(map);
                }
                Value::Object(
                    map.into_iter()
                        .map(|(k, v)| (k, self.resolve_runs(v)))
                        .collect(),
                )
            }
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|x| self.resolve_runs(x)).collect())
            }
            other => other,
        }
    }
}

/// A plain text run.
fn text(content: &str) -> Value {
    json!({"type": "text", "text": {"content": content, "link": null}})
}
