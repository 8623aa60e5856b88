//! Content written through the API: pages, block children, databases and
//! data sources created, pages, blocks and data sources updated, as Notion
//! stores them.
//!
//! A request that passed [`crate::write_validation`] becomes full Notion
//! objects: new ids, `created_time` and `last_edited_time` at the current
//! minute (Notion cuts page and block times to the minute), the integration's
//! bot as author, rich text with its `plain_text`, `href` and every
//! annotation, select options added to the schema when a row names a new one.
//! The page whose content changed moves its `last_edited_time` too. Checks
//! that need the workspace are made here: the parent exists, a mentioned page
//! or user exists, a property is in the schema and can be written. A refused
//! write changes nothing. What is written is then served by every read
//! endpoint, like the dataset's own content.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::dataset::blocks::TEXT_BLOCK_TYPES;
use crate::dataset::pages::{long_time, page_url};
use crate::dataset::properties::{make_option, options, property_id};
use crate::dataset::rich_text::{annotations, date_mention, date_value, plain_text, text_run};
use crate::ids::{compact, parse_id};
use crate::workspace::{
    BlockRec, Content, DataSourceRec, DatabaseRec, Node, PageRec, StoredObject, Workspace,
};

/// Why a write was refused (mapped to Notion's error answers by the server).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum WriteError {
    /// 404 `object_not_found`: the parent or target does not exist or is not shared.
    NotFound {
        /// `page`, `block`, `database`, `data source`.
        kind: &'static str,
        /// The id asked for.
        id: String,
    },
    /// 400 `validation_error` with this message.
    Invalid(String),
}

type Written<T> = Result<T, WriteError>;

fn invalid(message: impl Into<String>) -> WriteError {
    WriteError::Invalid(message.into())
}

/// Whether a block type holds children.
fn holds_children(kind: &str) -> bool {
    TEXT_BLOCK_TYPES.contains(&kind)
        || matches!(
            kind,
            "synced_block" | "column_list" | "column" | "table" | "tab"
        )
}

/// Property types whose values Notion computes; a request cannot set them.
/// The one list the mock and the uploader share.
pub const COMPUTED_PROPERTY_TYPES: &[&str] = &[
    "formula",
    "rollup",
    "created_time",
    "created_by",
    "last_edited_time",
    "last_edited_by",
    "unique_id",
    "button",
];

impl Workspace {
    /// The integration's own bot user (`/v1/users/me`), the author of every write.
    pub(crate) fn bot_id(&self) -> String {
        crate::ids::derive_id(&self.name, "integration-bot")
    }

    /// `POST /v1/pages`: a page under a page, or a row of a data source.
    /// Returns the new page's id.
    pub(crate) fn create_page(&mut self, body: &Value) -> Written<String> {
        let now = self.now_minute();
        let id = uuid::Uuid::new_v4().to_string();
        let parent = &body["parent"];
        let (parent_json, shared, row_of) = if let Some(raw) = parent["page_id"].as_str() {
            let page = self.target_page(raw)?;
            let shared = self.pages[&page].shared;
            (json!({"type": "page_id", "page_id": page}), shared, None)
        } else {
            let ds = match (
                parent["data_source_id"].as_str(),
                parent["database_id"].as_str(),
            ) {
                (Some(raw), _) => parse_id(raw)
                    .filter(|id| self.shared_data_source(id).is_some())
                    .ok_or_else(|| not_found("data source", raw))?,
                (None, Some(raw)) => {
                    let db = parse_id(raw)
                        .and_then(|id| self.shared_database(&id))
                        .ok_or_else(|| not_found("database", raw))?;
                    match db.data_sources.as_slice() {
                        [only] => only.clone(),
                        _ => {
                            return Err(invalid(
                                "Databases with multiple data sources are not supported in this API version. Use a data source parent.",
                            ));
                        }
                    }
                }
                (None, None) => {
                    return Err(invalid(
                        "body failed validation: body.parent should be defined.",
                    ));
                }
            };
            let rec = &self.data_sources[&ds];
            let database = rec.object["parent"]["database_id"].clone();
            (
                json!({"type": "data_source_id", "data_source_id": ds, "database_id": database}),
                rec.shared,
                Some(ds),
            )
        };
        let bot = self.bot_ref();
        let mut schema = row_of.as_ref().map(|ds| self.schema_of(ds));
        let given = body["properties"].as_object().cloned().unwrap_or_default();
        let properties = match &mut schema {
            Some(schema) => {
                let number = row_of
                    .as_ref()
                    .map_or(0, |ds| self.data_sources[ds].rows.len() + 1);
                let ctx = RowValues {
                    ws: self,
                    now: &now,
                    bot: &bot,
                    number,
                };
                ctx.all(schema, &given)?
            }
            None => self.page_title_property(&given)?,
        };
        let mut builder = Builder::new(self, &id, &now);
        let top = match body.get("children") {
            Some(children) => {
                builder.blocks(children, &json!({"type": "page_id", "page_id": id}))?
            }
            None => Vec::new(),
        };
        let icon = body.get("icon").map_or(Value::Null, icon_value);
        let cover = body.get("cover").map_or(Value::Null, file_value);
        let blocks = builder.done;
        let title = plain_text(
            properties
                .values()
                .find(|p| p["type"] == "title")
                .and_then(|p| p["title"].as_array())
                .map_or(&[][..], Vec::as_slice),
        );
        let object = json!({
            "object": "page", "id": id, "created_time": now, "last_edited_time": now,
            "created_by": bot, "last_edited_by": bot, "cover": cover, "icon": icon,
            "parent": parent_json, "archived": false, "in_trash": false, "is_archived": false,
            "is_locked": false, "properties": properties, "url": page_url(&title, &id), "public_url": null,
        });
        // Nothing can fail from here on: commit.
        self.blocks.extend(blocks);
        self.pages.insert(
            id.clone(),
            PageRec {
                object: StoredObject::new(&object),
                shared,
                in_search: true,
                content: Content::Blocks(top),
            },
        );
        match row_of {
            Some(ds) => {
                let rec = self.data_sources.get_mut(&ds).expect("checked above");
                rec.rows.push(id.clone());
                if let Some(schema) = schema {
                    rec.object["properties"] = Value::Object(schema);
                }
            }
            None => {
                let host = parent_json["page_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                self.add_document(&host, &id, &now);
            }
        }
        self.reset_search();
        Ok(id)
    }

    /// `PATCH /v1/blocks/{id}/children`: blocks appended at the end of a
    /// page or block, or after its child `after`. Returns the new top-level ids.
    pub(crate) fn append_children(&mut self, raw: &str, body: &Value) -> Written<Vec<String>> {
        let target = parse_id(raw).ok_or_else(|| not_found("block", raw))?;
        let (page, parent_json) = match self.node(&target) {
            Some(node) if self.node_shared(&node) => match node {
                Node::Page(_) => (
                    target.clone(),
                    json!({"type": "page_id", "page_id": target}),
                ),
                Node::Block(b) => {
                    let kind = b.object["type"].as_str().unwrap_or_default();
                    if !holds_children(kind) || crate::workspace::synced_from(&b.object).is_some() {
                        return Err(invalid(format!(
                            "Block type {kind} does not support children."
                        )));
                    }
                    (
                        b.page.clone(),
                        json!({"type": "block_id", "block_id": target}),
                    )
                }
                Node::Database(_) => {
                    return Err(invalid(
                        "Block type child_database does not support children.",
                    ));
                }
            },
            _ => return Err(not_found("block", raw)),
        };
        let now = self.now_minute();
        self.materialize(&page);
        let siblings = self.child_list(&target);
        let at = match body["after"].as_str() {
            None => siblings.len(),
            Some(after) => {
                let after = parse_id(after).unwrap_or_default();
                siblings
                    .iter()
                    .position(|c| *c == after)
                    .map(|i| i + 1)
                    .ok_or_else(|| {
                        invalid(format!("The block {after} is not a child of {target}."))
                    })?
            }
        };
        let mut builder = Builder::new(self, &page, &now);
        let top = builder.blocks(&body["children"], &parent_json)?;
        let blocks = builder.done;
        self.blocks.extend(blocks);
        let mut list = siblings;
        list.splice(at..at, top.iter().cloned());
        self.set_child_list(&target, list);
        if let Some(rec) = self.blocks.get_mut(&target) {
            Arc::make_mut(&mut rec.object)["last_edited_time"] = json!(now);
        }
        self.touch_page(&page, &now);
        Ok(top)
    }

    /// `PATCH /v1/blocks/{id}`: new content for the block's type, or `in_trash`.
    pub(crate) fn update_block(&mut self, raw: &str, body: &Value) -> Written<String> {
        let id = parse_id(raw).ok_or_else(|| not_found("block", raw))?;
        let page = match self.node(&id) {
            Some(node @ Node::Block(_)) if self.node_shared(&node) => match node {
                Node::Block(b) => b.page.clone(),
                _ => unreachable!(),
            },
            _ => return Err(not_found("block", raw)),
        };
        self.materialize(&page);
        let now = self.now_minute();
        let mut object = Value::clone(&self.blocks[&id].object);
        let kind = object["type"].as_str().unwrap_or_default().to_string();
        if let Some(content) = body.get(&kind).and_then(Value::as_object) {
            let mut builder = Builder::new(self, &page, &now);
            let normalized = builder.content(&kind, content)?;
            for (key, value) in normalized.as_object().into_iter().flatten() {
                if content.contains_key(key) || key == "type" {
                    object[&kind][key] = value.clone();
                }
            }
        } else if let Some(other) = body.as_object().and_then(|o| {
            o.keys()
                .find(|k| !["type", "in_trash", "archived"].contains(&k.as_str()))
        }) {
            return Err(invalid(format!(
                "body failed validation: body.{other} should be not present (the block is a {kind})."
            )));
        }
        let trash = body["in_trash"].as_bool().or(body["archived"].as_bool()) == Some(true);
        object["last_edited_time"] = json!(now);
        if trash {
            object["in_trash"] = json!(true);
            object["archived"] = json!(true);
            let parent = object["parent"]["block_id"]
                .as_str()
                .or(object["parent"]["page_id"].as_str())
                .unwrap_or_default()
                .to_string();
            let mut list = self.child_list(&parent);
            list.retain(|c| *c != id);
            self.set_child_list(&parent, list);
        }
        if let Some(rec) = self.blocks.get_mut(&id) {
            rec.object = Arc::new(object);
        }
        self.touch_page(&page, &now);
        Ok(id)
    }

    /// `PATCH /v1/pages/{id}`: properties, icon, cover, or the trash.
    pub(crate) fn update_page_fields(&mut self, raw: &str, body: &Value) -> Written<String> {
        let id = parse_id(raw)
            .filter(|id| self.shared_page(id).is_some())
            .ok_or_else(|| not_found("page", raw))?;
        let now = self.now_minute();
        let object = self.pages[&id].object.value();
        let given = body["properties"].as_object().cloned().unwrap_or_default();
        let mut properties = object["properties"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let row_of = object["parent"]["data_source_id"]
            .as_str()
            .map(str::to_string);
        let mut schema = row_of.as_ref().map(|ds| self.schema_of(ds));
        match &mut schema {
            Some(schema) => {
                let bot = self.bot_ref();
                let ctx = RowValues {
                    ws: self,
                    now: &now,
                    bot: &bot,
                    number: 0,
                };
                for (name, value) in &given {
                    let (name, config) = ctx.lookup(schema, name)?;
                    let converted = ctx.value(schema, &name, &config, value)?;
                    properties.insert(name, converted);
                }
            }
            None => properties.extend(self.page_title_property(&given)?),
        }
        let icon = body.get("icon").map(icon_value);
        let cover = body.get("cover").map(file_value);
        let trash = body["in_trash"].as_bool().or(body["archived"].as_bool());
        let bot = self.bot_ref();
        if let (Some(ds), Some(schema)) = (&row_of, schema)
            && let Some(rec) = self.data_sources.get_mut(ds)
        {
            rec.object["properties"] = Value::Object(schema);
        }
        self.update_page(&id, |o| {
            o["properties"] = Value::Object(properties);
            if let Some(icon) = icon {
                o["icon"] = icon;
            }
            if let Some(cover) = cover {
                o["cover"] = cover;
            }
            o["last_edited_by"] = bot;
        });
        self.touch_page(&id, &now);
        match trash {
            Some(true) => {
                self.trash_page(&id).map_err(|e| invalid(e.to_string()))?;
            }
            Some(false) => self.update_page(&id, |o| {
                o["in_trash"] = json!(false);
                o["archived"] = json!(false);
            }),
            None => {}
        }
        self.reset_search();
        Ok(id)
    }

    /// `POST /v1/databases`: a database on a page, with its first data source.
    /// Returns the database's id.
    pub(crate) fn create_database(&mut self, body: &Value) -> Written<String> {
        let raw = body["parent"]["page_id"].as_str().unwrap_or_default();
        let page = self.target_page(raw)?;
        let now = self.now_minute();
        let id = uuid::Uuid::new_v4().to_string();
        let ds_id = uuid::Uuid::new_v4().to_string();
        let builder = Builder::new(self, &page, &now);
        let title = builder.runs(body.get("title").unwrap_or(&Value::Null))?;
        let description = builder.runs(body.get("description").unwrap_or(&Value::Null))?;
        let name = plain_text(&title);
        let schema = self.schema(&ds_id, &body["initial_data_source"]["properties"])?;
        let parent = json!({"type": "page_id", "page_id": page});
        let shared = self.pages[&page].shared;
        let bot = self.bot_ref();
        let time = long_time(&now);
        let object = json!({
            "object": "database", "id": id, "title": title, "description": description,
            "icon": body.get("icon").map_or(Value::Null, icon_value),
            "cover": body.get("cover").map_or(Value::Null, file_value), "parent": parent,
            "is_inline": body["is_inline"].as_bool().unwrap_or(false), "in_trash": false,
            "is_locked": false, "created_time": time, "last_edited_time": time,
            "created_by": bot, "last_edited_by": bot,
            "data_sources": [{"id": ds_id, "name": name}], "url": page_url("", &id),
            "public_url": null, "archived": false,
        });
        let source = self.data_source_object(&ds_id, &id, &parent, &title, schema, &now);
        self.data_sources.insert(
            ds_id.clone(),
            DataSourceRec {
                object: source,
                shared,
                in_search: true,
                rows: Vec::new(),
            },
        );
        self.databases.insert(
            id.clone(),
            DatabaseRec {
                object,
                shared,
                data_sources: vec![ds_id],
            },
        );
        self.add_document(&page, &id, &now);
        self.reset_search();
        Ok(id)
    }

    /// `POST /v1/data_sources`: another data source in a database. Returns its id.
    pub(crate) fn create_data_source(&mut self, body: &Value) -> Written<String> {
        let raw = body["parent"]["database_id"].as_str().unwrap_or_default();
        let db = parse_id(raw)
            .filter(|id| self.shared_database(id).is_some())
            .ok_or_else(|| not_found("database", raw))?;
        let now = self.now_minute();
        let id = uuid::Uuid::new_v4().to_string();
        let title =
            Builder::new(self, &db, &now).runs(body.get("title").unwrap_or(&Value::Null))?;
        let schema = self.schema(&id, &body["properties"])?;
        let rec = &self.databases[&db];
        let (parent, shared) = (rec.object["parent"].clone(), rec.shared);
        let source = self.data_source_object(&id, &db, &parent, &title, schema, &now);
        self.data_sources.insert(
            id.clone(),
            DataSourceRec {
                object: source,
                shared,
                in_search: true,
                rows: Vec::new(),
            },
        );
        let rec = self.databases.get_mut(&db).expect("checked above");
        rec.data_sources.push(id.clone());
        if let Some(list) = rec.object["data_sources"].as_array_mut() {
            list.push(json!({"id": id, "name": plain_text(&title)}));
        }
        rec.object["last_edited_time"] = json!(long_time(&now));
        self.reset_search();
        Ok(id)
    }

    /// `PATCH /v1/data_sources/{id}`: a new title; properties added, changed,
    /// renamed (`{"name": ...}`) or removed (`null`). Rows follow the schema.
    pub(crate) fn update_data_source(&mut self, raw: &str, body: &Value) -> Written<String> {
        let id = parse_id(raw)
            .filter(|id| self.shared_data_source(id).is_some())
            .ok_or_else(|| not_found("data source", raw))?;
        let now = self.now_minute();
        let mut schema = self.schema_of(&id);
        let mut renamed: Vec<(String, String)> = Vec::new();
        let mut removed: Vec<String> = Vec::new();
        for (name, config) in body["properties"].as_object().into_iter().flatten() {
            let existing = schema
                .iter()
                .find(|(n, p)| *n == name || p["id"] == name.as_str())
                .map(|(n, _)| n.clone());
            if config.is_null() {
                let existing = existing
                    .ok_or_else(|| invalid(format!("{name} is not a property that exists.")))?;
                if schema[&existing]["type"] == "title" {
                    return Err(invalid("The title property cannot be removed."));
                }
                schema.shift_remove(&existing);
                removed.push(existing);
                continue;
            }
            let new_name = config["name"].as_str().unwrap_or(name).to_string();
            let has_type = config.as_object().is_some_and(|o| {
                o.keys()
                    .any(|k| !["name", "description", "type"].contains(&k.as_str()))
            });
            let prop = if has_type {
                let mut one = Map::new();
                one.insert(new_name.clone(), config.clone());
                let converted = self.schema_entries(&id, &Value::Object(one))?;
                let mut prop = converted[&new_name].clone();
                if let Some(old) = existing.as_ref().and_then(|n| schema.get(n)) {
                    prop["id"] = old["id"].clone();
                }
                prop
            } else {
                let old = existing
                    .as_ref()
                    .and_then(|n| schema.get(n))
                    .ok_or_else(|| invalid(format!("{name} is not a property that exists.")))?;
                let mut prop = old.clone();
                prop["name"] = json!(new_name);
                prop
            };
            if let Some(old) = existing.filter(|old| *old != new_name) {
                schema.shift_remove(&old);
                renamed.push((old, new_name.clone()));
            }
            schema.insert(new_name, prop);
        }
        if schema.values().filter(|p| p["type"] == "title").count() != 1 {
            return Err(invalid("A data source needs exactly one title property."));
        }
        let title = match body.get("title") {
            Some(t) => Some(Builder::new(self, &id, &now).runs(t)?),
            None => None,
        };
        let bot = self.bot_ref();
        let rows = self.data_sources[&id].rows.clone();
        for row in rows {
            let ctx = RowValues {
                ws: self,
                now: &now,
                bot: &bot,
                number: 0,
            };
            let old = self
                .pages
                .get(&row)
                .map(|p| p.object.value())
                .unwrap_or_default();
            let mut props = old["properties"].as_object().cloned().unwrap_or_default();
            for (from, to) in &renamed {
                if let Some(v) = props.shift_remove(from) {
                    props.insert(to.clone(), v);
                }
            }
            for name in &removed {
                props.shift_remove(name);
            }
            let mut ordered = Map::new();
            for (name, config) in &schema {
                let value = match props.remove(name) {
                    Some(v) => v,
                    None => ctx.empty(config),
                };
                ordered.insert(name.clone(), value);
            }
            self.update_page(&row, |o| o["properties"] = Value::Object(ordered));
        }
        let rec = self.data_sources.get_mut(&id).expect("checked above");
        rec.object["properties"] = Value::Object(schema);
        rec.object["last_edited_time"] = json!(long_time(&now));
        if let Some(title) = title {
            let name = plain_text(&title);
            rec.object["title"] = Value::Array(title);
            let db = rec.object["parent"]["database_id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if let Some(db) = self.databases.get_mut(&db) {
                for entry in db.object["data_sources"]
                    .as_array_mut()
                    .into_iter()
                    .flatten()
                {
                    if entry["id"] == id.as_str() {
                        entry["name"] = json!(name);
                    }
                }
            }
        }
        self.reset_search();
        Ok(id)
    }

    /// A partial user object for the integration's bot.
    fn bot_ref(&self) -> Value {
        json!({"object": "user", "id": self.bot_id()})
    }

    /// A shared page a write may target, by raw id.
    fn target_page(&self, raw: &str) -> Written<String> {
        parse_id(raw)
            .filter(|id| self.shared_page(id).is_some())
            .ok_or_else(|| not_found("page", raw))
    }

    /// A data source's schema.
    fn schema_of(&self, ds: &str) -> Map<String, Value> {
        self.data_sources[ds].object["properties"]
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    /// The title of a page under a page: any single title value.
    fn page_title_property(&self, given: &Map<String, Value>) -> Written<Map<String, Value>> {
        let mut props = Map::new();
        for (name, value) in given {
            let runs = value
                .get("title")
                .filter(|_| name == "title" || value.get("type").is_none_or(|t| t == "title"))
                .ok_or_else(|| invalid(format!("{name} is not a property that exists.")))?;
            let runs = Builder::new(self, "", "").runs(runs)?;
            props.insert(
                "title".into(),
                json!({"id": "title", "type": "title", "title": runs}),
            );
        }
        if props.is_empty() {
            props.insert(
                "title".into(),
                json!({"id": "title", "type": "title", "title": []}),
            );
        }
        Ok(props)
    }

    /// A new child page or database goes at the end of its page's content.
    fn add_document(&mut self, host: &str, doc: &str, now: &str) {
        self.materialize(host);
        if let Some(rec) = self.pages.get_mut(host)
            && let Content::Blocks(ids) = &mut rec.content
        {
            ids.push(doc.to_string());
        }
        self.touch_page(host, now);
    }

    /// The ids listed under a page or block (stored content only).
    fn child_list(&self, id: &str) -> Vec<String> {
        if let Some(page) = self.pages.get(id) {
            return match &page.content {
                Content::Blocks(ids) => ids.clone(),
                Content::Generated(_) => Vec::new(),
            };
        }
        self.blocks
            .get(id)
            .map(|b| b.children.to_vec())
            .unwrap_or_default()
    }

    fn set_child_list(&mut self, id: &str, list: Vec<String>) {
        if let Some(page) = self.pages.get_mut(id) {
            page.content = Content::Blocks(list);
        } else if let Some(block) = self.blocks.get_mut(id) {
            block.children = Arc::new(list);
        }
    }

    /// A data source object, shaped like the dataset loader's.
    fn data_source_object(
        &self,
        id: &str,
        database: &str,
        database_parent: &Value,
        title: &[Value],
        schema: Map<String, Value>,
        now: &str,
    ) -> Value {
        let bot = self.bot_ref();
        let time = long_time(now);
        json!({
            "object": "data_source", "id": id, "created_time": time, "last_edited_time": time,
            "created_by": bot, "last_edited_by": bot, "title": title, "description": [],
            "icon": null, "cover": null, "properties": schema,
            "parent": {"type": "database_id", "database_id": database},
            "database_parent": database_parent, "url": page_url(&plain_text(title), id),
            "public_url": null, "archived": false, "in_trash": false,
        })
    }

    /// A schema from request configs; a title property `Name` is added when none is given.
    fn schema(&self, ds_id: &str, configs: &Value) -> Written<Map<String, Value>> {
        let mut out = self.schema_entries(ds_id, configs)?;
        match out.values().filter(|p| p["type"] == "title").count() {
            0 => {
                out.shift_insert(
                    0,
                    "Name".into(),
                    json!({"id": "title", "name": "Name", "type": "title", "description": null, "title": {}}),
                );
            }
            1 => {}
            _ => return Err(invalid("A data source can have only one title property.")),
        }
        Ok(out)
    }

    /// Property configs in Notion's answer form (`{id, name, type, description, <type>}`).
    fn schema_entries(&self, ds_id: &str, configs: &Value) -> Written<Map<String, Value>> {
        let mut out = Map::new();
        for (name, config) in configs.as_object().into_iter().flatten() {
            let obj = config.as_object().cloned().unwrap_or_default();
            let kind = obj
                .get("type")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| {
                    obj.keys()
                        .find(|k| !["type", "name", "description"].contains(&k.as_str()))
                        .cloned()
                })
                .ok_or_else(|| invalid(format!("{name} needs a property type.")))?;
            let given = obj.get(&kind).cloned().unwrap_or(json!({}));
            let settings = match kind.as_str() {
                "number" => json!({"format": given["format"].as_str().unwrap_or("number")}),
                "select" | "multi_select" | "status" => {
                    let defaults = [
                        ("Not started", "default"),
                        ("In progress", "blue"),
                        ("Done", "green"),
                    ];
                    let mut options = options(ds_id, name, &given["options"]);
                    if kind == "status" && options.is_empty() {
                        options = defaults
                            .iter()
                            .enumerate()
                            .map(|(i, (n, c))| make_option(ds_id, name, n, Some(c), i))
                            .collect();
                    }
                    if kind == "status" {
                        json!({"options": options, "groups": []})
                    } else {
                        json!({"options": options})
                    }
                }
                "relation" => {
                    let raw = given["data_source_id"].as_str().unwrap_or_default();
                    let target = parse_id(raw)
                        .filter(|t| self.data_sources.contains_key(t))
                        .ok_or_else(|| not_found("data source", raw))?;
                    let database =
                        self.data_sources[&target].object["parent"]["database_id"].clone();
                    let kind = if given.get("dual_property").is_some() {
                        "dual_property"
                    } else {
                        "single_property"
                    };
                    json!({"data_source_id": target, "database_id": database, "type": kind, kind: given.get(kind).cloned().unwrap_or(json!({}))})
                }
                "formula" => json!({"expression": given["expression"].as_str().unwrap_or("")}),
                "unique_id" => json!({"prefix": given["prefix"]}),
                _ => given,
            };
            let id = if kind == "title" {
                "title".to_string()
            } else {
                property_id(ds_id, name)
            };
            out.insert(
                name.clone(),
                json!({"id": id, "name": name, "type": kind, "description": obj.get("description").cloned().unwrap_or(Value::Null), kind.clone(): settings}),
            );
        }
        Ok(out)
    }
}

fn not_found(kind: &'static str, id: &str) -> WriteError {
    WriteError::NotFound {
        kind,
        id: parse_id(id).unwrap_or_else(|| id.to_string()),
    }
}

/// Normalizes request blocks and rich text into stored objects for one page.
struct Builder<'a> {
    ws: &'a Workspace,
    page: String,
    now: String,
    bot: Value,
    done: HashMap<String, BlockRec>,
}

impl<'a> Builder<'a> {
    fn new(ws: &'a Workspace, page: &str, now: &str) -> Self {
        Builder {
            ws,
            page: page.to_string(),
            now: now.to_string(),
            bot: ws.bot_ref(),
            done: HashMap::new(),
        }
    }

    /// Stores a `children` array; returns the new ids in order.
    fn blocks(&mut self, v: &Value, parent: &Value) -> Written<Vec<String>> {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|b| self.block(b, parent))
            .collect()
    }

    fn block(&mut self, v: &Value, parent: &Value) -> Written<String> {
        let obj = v.as_object().cloned().unwrap_or_default();
        let kind = obj
            .get("type")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| obj.keys().find(|k| *k != "object").cloned())
            .unwrap_or_default();
        let content = obj
            .get(&kind)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let id = uuid::Uuid::new_v4().to_string();
        let normalized = self.content(&kind, &content)?;
        let children = match content.get("children") {
            Some(list) => self.blocks(list, &json!({"type": "block_id", "block_id": id}))?,
            None => Vec::new(),
        };
        let object = json!({
            "object": "block", "id": id, "parent": parent,
            "created_time": self.now, "last_edited_time": self.now,
            "created_by": self.bot, "last_edited_by": self.bot,
            "archived": false, "in_trash": false, "type": kind, kind.clone(): normalized,
        });
        self.done.insert(
            id.clone(),
            BlockRec {
                object: Arc::new(object),
                children: Arc::new(children),
                page: self.page.clone(),
            },
        );
        Ok(id)
    }

    /// A type's content as Notion answers it (without `children`).
    fn content(&mut self, kind: &str, c: &Map<String, Value>) -> Written<Value> {
        let runs = |key: &str| self.runs(c.get(key).unwrap_or(&Value::Null));
        let color = || c.get("color").cloned().unwrap_or(json!("default"));
        Ok(match kind {
            "paragraph" | "bulleted_list_item" | "numbered_list_item" | "quote" | "toggle"
            | "template" => {
                let mut out = json!({"rich_text": runs("rich_text")?, "color": color()});
                if let Some(icon) = c.get("icon") {
                    out["icon"] = icon_value(icon);
                }
                out
            }
            "heading_1" | "heading_2" | "heading_3" | "heading_4" => json!({
                "rich_text": runs("rich_text")?, "is_toggleable": c.get("is_toggleable").and_then(Value::as_bool).unwrap_or(false), "color": color(),
            }),
            "to_do" => json!({
                "rich_text": runs("rich_text")?, "checked": c.get("checked").and_then(Value::as_bool).unwrap_or(false), "color": color(),
            }),
            "callout" => json!({
                "rich_text": runs("rich_text")?,
                "icon": c.get("icon").map_or(json!({"type": "emoji", "emoji": "💡"}), icon_value),
                "color": color(),
            }),
            "code" => json!({
                "caption": runs("caption")?, "rich_text": runs("rich_text")?,
                "language": c.get("language").cloned().unwrap_or(json!("plain text")),
            }),
            "equation" => json!({"expression": c.get("expression").cloned().unwrap_or(json!(""))}),
            "table_of_contents" => json!({"color": color()}),
            "link_to_page" => {
                let (key, kind) = if c.contains_key("database_id") {
                    ("database_id", "database")
                } else {
                    ("page_id", "page")
                };
                let raw = c.get(key).and_then(Value::as_str).unwrap_or_default();
                let id = parse_id(raw)
                    .filter(|id| match kind {
                        "page" => self.ws.shared_page(id).is_some(),
                        _ => self.ws.shared_database(id).is_some(),
                    })
                    .ok_or_else(|| invalid(format!("Could not find {kind} with ID: {raw}.")))?;
                json!({"type": key, key: id})
            }
            "table" => json!({
                "table_width": c.get("table_width").cloned().unwrap_or(json!(0)),
                "has_column_header": c.get("has_column_header").and_then(Value::as_bool).unwrap_or(false),
                "has_row_header": c.get("has_row_header").and_then(Value::as_bool).unwrap_or(false),
            }),
            "table_row" => {
                let cells: Vec<Value> = c
                    .get("cells")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|cell| self.runs(cell).map(Value::Array))
                    .collect::<Written<_>>()?;
                json!({"cells": cells})
            }
            "column" => match c.get("width_ratio") {
                Some(r) => json!({"width_ratio": r}),
                None => json!({}),
            },
            "synced_block" => match c.get("synced_from").and_then(|f| f["block_id"].as_str()) {
                None => json!({"synced_from": null}),
                Some(raw) => {
                    let original = parse_id(raw)
                        .filter(|id| match self.ws.node(id) {
                            Some(Node::Block(b)) => {
                                b.object["type"] == "synced_block"
                                    && crate::workspace::synced_from(&b.object).is_none()
                            }
                            _ => false,
                        })
                        .ok_or_else(|| {
                            invalid(format!(
                                "Could not find original synced block with ID: {raw}."
                            ))
                        })?;
                    json!({"synced_from": {"type": "block_id", "block_id": original}})
                }
            },
            "embed" | "bookmark" => {
                json!({"caption": runs("caption")?, "url": c.get("url").cloned().unwrap_or(json!(""))})
            }
            "image" | "video" | "pdf" | "audio" | "file" => {
                let mut out = Map::new();
                out.insert("caption".into(), Value::Array(runs("caption")?));
                if let Value::Object(file) = file_value(&Value::Object(c.clone())) {
                    out.extend(file);
                }
                if kind == "file" {
                    let name = c
                        .get("name")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .or_else(|| {
                            c.get("external")
                                .and_then(|e| e["url"].as_str())
                                .and_then(|u| {
                                    u.split('?').next()?.rsplit('/').next().map(str::to_string)
                                })
                        });
                    out.insert("name".into(), json!(name));
                }
                Value::Object(out)
            }
            // divider, breadcrumb, column_list, tab
            _ => json!({}),
        })
    }

    /// Request runs as stored runs.
    fn runs(&self, v: &Value) -> Written<Vec<Value>> {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|r| self.run(r))
            .collect()
    }

    fn run(&self, v: &Value) -> Written<Value> {
        let obj = v.as_object().cloned().unwrap_or_default();
        let ann = annotations(
            obj.get("annotations")
                .and_then(Value::as_object)
                .unwrap_or(&Map::new()),
        );
        let kind = obj
            .get("type")
            .and_then(Value::as_str)
            .or_else(|| {
                ["text", "mention", "equation"]
                    .into_iter()
                    .find(|k| obj.contains_key(*k))
            })
            .unwrap_or("text");
        match kind {
            "equation" => {
                let expr = obj["equation"]["expression"].as_str().unwrap_or_default();
                Ok(
                    json!({"type": "equation", "equation": {"expression": expr}, "annotations": ann, "plain_text": expr, "href": null}),
                )
            }
            "mention" => {
                let (mention, plain, href) = self.mention(&obj["mention"])?;
                Ok(
                    json!({"type": "mention", "mention": mention, "annotations": ann, "plain_text": plain, "href": href}),
                )
            }
            _ => {
                let text = &obj["text"];
                Ok(text_run(
                    text["content"].as_str().unwrap_or_default(),
                    ann,
                    text["link"]["url"].as_str(),
                ))
            }
        }
    }

    /// A mention's stored content, plain text and href; the mentioned page,
    /// database or user must exist.
    fn mention(&self, m: &Value) -> Written<(Value, Value, Value)> {
        let kind = m["type"]
            .as_str()
            .or_else(|| {
                m.as_object()?
                    .keys()
                    .find(|k| *k != "type")
                    .map(String::as_str)
            })
            .unwrap_or_default();
        let inner = &m[kind];
        let raw = inner["id"].as_str().unwrap_or_default();
        Ok(match kind {
            "user" => {
                let user = parse_id(raw)
                    .and_then(|id| self.ws.users.iter().find(|u| u["id"] == id.as_str()))
                    .cloned()
                    .ok_or_else(|| invalid(format!("Could not find user with ID: {raw}.")))?;
                let name = user["name"].as_str().unwrap_or("Unknown").to_string();
                (
                    json!({"type": "user", "user": user}),
                    json!(format!("@{name}")),
                    Value::Null,
                )
            }
            "page" | "database" => {
                let id = parse_id(raw)
                    .filter(|id| match kind {
                        "page" => self.ws.pages.contains_key(id),
                        _ => self.ws.databases.contains_key(id),
                    })
                    .ok_or_else(|| invalid(format!("Could not find {kind} with ID: {raw}.")))?;
                let title = match kind {
                    "page" => self.ws.shared_page(&id).map(|p| p.object.title.clone()),
                    _ => self.ws.shared_database(&id).map(|d| {
                        plain_text(d.object["title"].as_array().map_or(&[][..], Vec::as_slice))
                    }),
                };
                let title = title
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| "Untitled".into());
                (
                    json!({"type": kind, kind: {"id": id}}),
                    json!(title),
                    json!(format!("https://www.notion.so/{}", compact(&id))),
                )
            }
            "date" => date_mention(inner),
            "template_mention" => {
                let plain = match (
                    inner["template_mention_date"].as_str(),
                    inner["template_mention_user"].as_str(),
                ) {
                    (Some("now"), _) => "@Now",
                    (Some(_), _) => "@Today",
                    (None, Some(_)) => "@Me",
                    (None, None) => "@Today",
                };
                (
                    json!({"type": "template_mention", "template_mention": inner}),
                    json!(plain),
                    Value::Null,
                )
            }
            _ => {
                let name = inner["name"].as_str().unwrap_or("emoji");
                let content = json!({"id": parse_id(raw).unwrap_or_else(|| raw.to_string()), "name": name, "url": inner["url"]});
                (
                    json!({"type": "custom_emoji", "custom_emoji": content}),
                    json!(format!(":{name}:")),
                    Value::Null,
                )
            }
        })
    }
}

/// Row property values: request values checked against the schema and
/// stored in Notion's answer form.
struct RowValues<'a> {
    ws: &'a Workspace,
    now: &'a str,
    bot: &'a Value,
    /// The `unique_id` number of a new row.
    number: usize,
}

impl RowValues<'_> {
    /// Every schema property of a new row: given values, else empty or computed ones.
    fn all(
        &self,
        schema: &mut Map<String, Value>,
        given: &Map<String, Value>,
    ) -> Written<Map<String, Value>> {
        let mut values = Map::new();
        for (name, value) in given {
            let (name, config) = self.lookup(schema, name)?;
            let converted = self.value(schema, &name, &config, value)?;
            values.insert(name, converted);
        }
        let mut out = Map::new();
        for (name, config) in schema.iter() {
            let value = match values.remove(name) {
                Some(v) => v,
                None => self.empty(config),
            };
            out.insert(name.clone(), value);
        }
        Ok(out)
    }

    /// A schema property by name or id.
    fn lookup(&self, schema: &Map<String, Value>, key: &str) -> Written<(String, Value)> {
        schema
            .iter()
            .find(|(name, p)| *name == key || p["id"] == key)
            .map(|(n, p)| (n.clone(), p.clone()))
            .ok_or_else(|| invalid(format!("{key} is not a property that exists.")))
    }

    /// An empty (or computed) value of a property.
    fn empty(&self, config: &Value) -> Value {
        let kind = config["type"].as_str().unwrap_or_default();
        let value = match kind {
            "title" | "rich_text" | "multi_select" | "people" | "files" | "relation" => json!([]),
            "checkbox" => json!(false),
            "formula" => json!({"type": "string", "string": null}),
            "rollup" => {
                json!({"type": "number", "number": null, "function": config["rollup"]["function"]})
            }
            "created_time" | "last_edited_time" => json!(self.now),
            "created_by" | "last_edited_by" => self.bot.clone(),
            "unique_id" => json!({"prefix": config["unique_id"]["prefix"], "number": self.number}),
            "verification" => json!({"state": "unverified", "verified_by": null, "date": null}),
            "button" => json!({}),
            _ => Value::Null,
        };
        let mut out = json!({"id": config["id"], "type": kind, kind: value});
        if kind == "relation" {
            out["has_more"] = json!(false);
        }
        out
    }

    /// A request value in answer form; select options the schema lacks are added to it.
    fn value(
        &self,
        schema: &mut Map<String, Value>,
        name: &str,
        config: &Value,
        v: &Value,
    ) -> Written<Value> {
        let kind = config["type"].as_str().unwrap_or_default().to_string();
        if COMPUTED_PROPERTY_TYPES.contains(&kind.as_str()) {
            return Err(invalid(format!(
                "{name} is a {kind} property, which cannot be written."
            )));
        }
        let given_kind = v
            .get("type")
            .and_then(Value::as_str)
            .or_else(|| {
                v.as_object()?
                    .keys()
                    .find(|k| *k != "id" && *k != "type")
                    .map(String::as_str)
            })
            .unwrap_or_default();
        if given_kind != kind {
            return Err(invalid(format!("{name} is expected to be {kind}.")));
        }
        let inner = &v[&kind];
        let builder = Builder::new(self.ws, "", self.now);
        let value = match kind.as_str() {
            "title" | "rich_text" => Value::Array(builder.runs(inner)?),
            "select" | "status" => match inner {
                Value::Null => Value::Null,
                option => option_in(schema, name, option, kind == "select")?,
            },
            "multi_select" => Value::Array(
                inner
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|o| option_in(schema, name, o, true))
                    .collect::<Written<_>>()?,
            ),
            "date" if inner.is_null() => Value::Null,
            "date" => date_value(inner),
            "people" => Value::Array(
                inner
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|u| {
                        let raw = u["id"].as_str().unwrap_or_default();
                        parse_id(raw)
                            .and_then(|id| self.ws.users.iter().find(|x| x["id"] == id.as_str()))
                            .cloned()
                            .ok_or_else(|| invalid(format!("Could not find user with ID: {raw}.")))
                    })
                    .collect::<Written<_>>()?,
            ),
            "relation" => Value::Array(
                inner
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|r| {
                        let raw = r["id"].as_str().unwrap_or_default();
                        parse_id(raw)
                            .filter(|id| self.ws.pages.contains_key(id))
                            .map(|id| json!({"id": id}))
                            .ok_or_else(|| invalid(format!("Could not find page with ID: {raw}.")))
                    })
                    .collect::<Written<_>>()?,
            ),
            "files" => Value::Array(
                inner
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|f| {
                        let mut named = Map::new();
                        named.insert("name".into(), f.get("name").cloned().unwrap_or(json!("")));
                        if let Value::Object(file) = file_value(f) {
                            named.extend(file);
                        }
                        Value::Object(named)
                    })
                    .collect(),
            ),
            "verification" => json!({
                "state": inner["state"].as_str().unwrap_or("unverified"),
                "verified_by": if inner["state"] == "verified" { self.bot.clone() } else { Value::Null },
                "date": if inner["date"].is_null() { Value::Null } else { date_value(&inner["date"]) },
            }),
            // number, checkbox, url, email, phone_number, place
            _ => inner.clone(),
        };
        let mut out = json!({"id": config["id"], "type": kind, kind.clone(): value});
        if kind == "relation" {
            out["has_more"] = json!(false);
        }
        Ok(out)
    }
}

/// The schema option a select-like value names (by id or name); a select
/// adds an unknown name as a new option, a status refuses it.
fn option_in(
    schema: &mut Map<String, Value>,
    prop: &str,
    v: &Value,
    may_add: bool,
) -> Written<Value> {
    let config = schema.get_mut(prop).expect("looked up");
    let kind = config["type"].as_str().unwrap_or_default().to_string();
    if !config[&kind]["options"].is_array() {
        config[&kind]["options"] = json!([]);
    }
    let options = config[&kind]["options"].as_array_mut().expect("an array");
    let found = options.iter().find(|o| {
        (v["id"].is_string() && o["id"] == v["id"])
            || (v["name"].is_string() && o["name"] == v["name"])
    });
    if let Some(o) = found {
        return Ok(json!({"id": o["id"], "name": o["name"], "color": o["color"]}));
    }
    let name = v["name"]
        .as_str()
        .filter(|_| may_add)
        .ok_or_else(|| invalid(format!("Invalid {kind} option for {prop}: {v}.")))?;
    let option = make_option(prop, prop, name, v["color"].as_str(), options.len());
    options.push(option.clone());
    Ok(json!({"id": option["id"], "name": name, "color": option["color"]}))
}

/// A file object in answer form (`external` kept; a `file_upload` is kept by id).
fn file_value(v: &Value) -> Value {
    if v.is_null() {
        return Value::Null;
    }
    let kind = v["type"]
        .as_str()
        .or_else(|| {
            ["external", "file_upload"]
                .into_iter()
                .find(|k| v.get(*k).is_some())
        })
        .unwrap_or("external");
    json!({"type": kind, kind: v[kind]})
}

/// An icon in answer form.
fn icon_value(v: &Value) -> Value {
    if v.is_null() {
        return Value::Null;
    }
    let kind = v["type"]
        .as_str()
        .or_else(|| {
            ["emoji", "external", "custom_emoji", "file_upload"]
                .into_iter()
                .find(|k| v.get(*k).is_some())
        })
        .unwrap_or("emoji");
    json!({"type": kind, kind: v[kind]})
}
