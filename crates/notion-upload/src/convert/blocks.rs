//! Blocks in request form.
//!
//! Each creatable type keeps the fields the API takes; the others are
//! written the closest way the API allows, each rule a [`DifferenceKind`]:
//! a link preview becomes a bookmark, meeting notes a toggle, a hosted file
//! an external one, a page or database inside a block moves after its
//! top-level block (a link stays in its place), a block with more than 100
//! runs of text becomes several blocks of its type (its children under the
//! last); `unsupported` and unknown types are left out.

use notion_mock::{MEDIA_BLOCK_TYPES, TEXT_BLOCK_TYPES};
use serde_json::{Map, Value, json};

use super::{BlockNode, Converter, Item, Key, id_of};
use crate::report::DifferenceKind;

impl Converter {
    /// A block (answer form, with `children`) as upload nodes; returns their
    /// keys, in order (none for a block left out, several for one whose text
    /// needs several blocks). Documents found in its children are converted
    /// and added to `lifted`; a link to each stands in its place. `prefix`
    /// makes distinct keys for a synced original's content converted again
    /// under a copy.
    pub(super) fn block(&mut self, spec: &Value, prefix: &str, lifted: &mut Vec<Item>) -> Vec<Key> {
        let id = id_of(spec);
        let key = format!("{prefix}{id}");
        let kind = spec["type"].as_str().unwrap_or_default().to_string();
        let content = spec[&kind].clone();
        let children_specs = spec["children"].as_array().cloned().unwrap_or_default();
        let (kind, content) = match self.block_content(&kind, &content, &key) {
            Some(converted) => converted,
            None => return Vec::new(),
        };
        let mut children: Vec<Key> = Vec::new();
        for (i, child) in children_specs.iter().enumerate() {
            if child.get("child_page").is_some() || child.get("child_database").is_some() {
                let docs = match child.get("child_page") {
                    Some(page) => self.page(page, None),
                    None => self.database(&child["child_database"]),
                };
                for doc in docs {
                    let (Item::Page(target) | Item::Database(target)) = &doc else {
                        continue;
                    };
                    let field = if matches!(doc, Item::Page(_)) {
                        "page_id"
                    } else {
                        "database_id"
                    };
                    let link = format!("{target}/link");
                    self.differ(
                        DifferenceKind::DocumentLiftedFromBlock,
                        target,
                        format!("from block {id}"),
                    );
                    self.tree.blocks.insert(
                        link.clone(),
                        BlockNode {
                            kind: "link_to_page".into(),
                            content: json!({"type": field, field: target}),
                            children: Vec::new(),
                            copy_of: None,
                        },
                    );
                    children.push(link);
                    lifted.push(doc);
                }
                continue;
            }
            let mut child_keys = self.block(child, prefix, lifted);
            if kind == "tab" {
                child_keys = child_keys
                    .into_iter()
                    .enumerate()
                    .map(|(j, k)| self.tab_item(k, &format!("{key}/tab{i}-{j}")))
                    .collect();
            }
            children.extend(child_keys);
        }
        let copy_of = match content["synced_from"]["block_id"].as_str() {
            Some(original) => {
                let original = original.to_string();
                let spec = self.block_specs.get(&original).cloned().unwrap_or_default();
                let mut inner_lifted = Vec::new();
                let fallback: Vec<Key> = spec["children"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|c| self.block(c, &format!("{key}/"), &mut inner_lifted))
                    .collect();
                Some((original, fallback))
            }
            None => None,
        };
        // Text longer than one array: several blocks of the type.
        let arrays = match content.get("rich_text") {
            Some(Value::Array(runs)) if TEXT_BLOCK_TYPES.contains(&kind.as_str()) => {
                let arrays = crate::text::fit(runs, self.limits.text, self.limits.rich_text);
                if arrays.len() > 1 {
                    self.differ(
                        DifferenceKind::RichTextSplit,
                        &key,
                        format!("{} blocks", arrays.len()),
                    );
                }
                arrays
            }
            _ => Vec::new(),
        };
        if arrays.len() <= 1 {
            let mut content = content;
            if let Some(runs) = arrays.into_iter().next() {
                content["rich_text"] = Value::Array(runs);
            }
            self.tree.blocks.insert(
                key.clone(),
                BlockNode {
                    kind,
                    content,
                    children,
                    copy_of,
                },
            );
            return vec![key];
        }
        let count = arrays.len();
        let mut keys = Vec::with_capacity(count);
        for (i, runs) in arrays.into_iter().enumerate() {
            let part_key = if i == 0 {
                key.clone()
            } else {
                format!("{key}/{}", i + 1)
            };
            let mut part = content.clone();
            part["rich_text"] = Value::Array(runs);
            let last = i + 1 == count;
            self.tree.blocks.insert(
                part_key.clone(),
                BlockNode {
                    kind: kind.clone(),
                    content: part,
                    children: if last {
                        std::mem::take(&mut children)
                    } else {
                        Vec::new()
                    },
                    copy_of: None,
                },
            );
            keys.push(part_key);
        }
        keys
    }

    /// A tab holds paragraphs: another block goes inside an empty one.
    fn tab_item(&mut self, key: Key, wrapper: &str) -> Key {
        if self
            .tree
            .blocks
            .get(&key)
            .is_some_and(|b| b.kind == "paragraph")
        {
            return key;
        }
        self.differ(DifferenceKind::TabItemWrapped, &key, "");
        self.tree.blocks.insert(
            wrapper.to_string(),
            BlockNode {
                kind: "paragraph".into(),
                content: json!({"rich_text": []}),
                children: vec![key],
                copy_of: None,
            },
        );
        wrapper.to_string()
    }

    /// A type's content in request form (rich text not yet fitted for text
    /// types), possibly as another type; `None` for a block left out.
    fn block_content(&mut self, kind: &str, c: &Value, key: &str) -> Option<(String, Value)> {
        let color = || {
            c["color"]
                .as_str()
                .filter(|col| *col != "default")
                .map(|col| json!(col))
        };
        let mut out = Map::new();
        let kind = match kind {
            k if TEXT_BLOCK_TYPES.contains(&k) => {
                out.insert(
                    "rich_text".into(),
                    Value::Array(self.runs_unfitted(&c["rich_text"], key)),
                );
                if k != "template"
                    && let Some(color) = color()
                {
                    out.insert("color".into(), color);
                }
                match k {
                    "to_do" => {
                        out.insert(
                            "checked".into(),
                            json!(c["checked"].as_bool().unwrap_or(false)),
                        );
                    }
                    "callout" => {
                        if let Some(icon) = self.icon(&c["icon"], key) {
                            out.insert("icon".into(), icon);
                        }
                    }
                    h if h.starts_with("heading_") => {
                        out.insert(
                            "is_toggleable".into(),
                            json!(c["is_toggleable"].as_bool().unwrap_or(false)),
                        );
                    }
                    "numbered_list_item"
                        if !c["list_start_index"].is_null() || !c["list_format"].is_null() =>
                    {
                        self.differ(DifferenceKind::ListFormatDropped, key, "");
                    }
                    _ => {}
                }
                k
            }
            "code" => {
                out.insert("rich_text".into(), self.array(&c["rich_text"], key));
                out.insert("caption".into(), self.array(&c["caption"], key));
                out.insert("language".into(), c["language"].clone());
                "code"
            }
            "equation" => {
                let expression = c["expression"].as_str().unwrap_or_default();
                if crate::limits::utf16_len(expression) > self.limits.equation {
                    self.differ(
                        DifferenceKind::EquationAsCode,
                        key,
                        format!("{} characters", expression.chars().count()),
                    );
                    let runs = crate::text::split_long_runs(
                        &[super::inline::text_run(expression, None)],
                        self.limits.text,
                    );
                    out.insert(
                        "rich_text".into(),
                        Value::Array(runs.into_iter().take(self.limits.rich_text).collect()),
                    );
                    out.insert("language".into(), json!("latex"));
                    return Some(("code".into(), Value::Object(out)));
                }
                out.insert("expression".into(), json!(expression));
                "equation"
            }
            "divider" | "breadcrumb" | "column_list" | "tab" => kind,
            "table_of_contents" => {
                if let Some(color) = color() {
                    out.insert("color".into(), color);
                }
                kind
            }
            "column" => {
                if !c["width_ratio"].is_null() {
                    out.insert("width_ratio".into(), c["width_ratio"].clone());
                }
                kind
            }
            "table" => {
                for field in ["table_width", "has_column_header", "has_row_header"] {
                    out.insert(field.into(), c[field].clone());
                }
                kind
            }
            "table_row" => {
                let cells: Vec<Value> = c["cells"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|cell| self.array(cell, key))
                    .collect();
                out.insert("cells".into(), Value::Array(cells));
                kind
            }
            "synced_block" => {
                let from = match c["synced_from"]["block_id"].as_str() {
                    Some(original) => json!({"type": "block_id", "block_id": original}),
                    None => Value::Null,
                };
                out.insert("synced_from".into(), from);
                kind
            }
            "link_to_page" => {
                let field = if c["type"] == "database_id" {
                    "database_id"
                } else {
                    "page_id"
                };
                let target = c[field].as_str().unwrap_or_default();
                if !self.uploaded.contains(target) {
                    self.differ(
                        DifferenceKind::TargetNotUploaded,
                        key,
                        format!("link to {target}"),
                    );
                    return None;
                }
                out.insert("type".into(), json!(field));
                out.insert(field.into(), json!(target));
                kind
            }
            "bookmark" | "embed" | "link_preview" => {
                let url = c["url"].as_str().unwrap_or_default();
                out.insert("url".into(), json!(url));
                out.insert("caption".into(), self.array(&c["caption"], key));
                if kind == "link_preview" {
                    self.differ(DifferenceKind::LinkPreviewAsBookmark, key, url);
                    return Some(("bookmark".into(), Value::Object(out)));
                }
                kind
            }
            k if MEDIA_BLOCK_TYPES.contains(&k) => {
                let file = self.file(c, key)?;
                out.insert("caption".into(), self.array(&c["caption"], key));
                if let Value::Object(file) = file {
                    out.extend(file);
                }
                if k == "file" && c["name"].is_string() {
                    out.insert("name".into(), c["name"].clone());
                }
                k
            }
            "meeting_notes" | "transcription" => {
                self.differ(DifferenceKind::MeetingNotesAsToggle, key, "");
                out.insert(
                    "rich_text".into(),
                    Value::Array(self.runs_unfitted(&c["title"], key)),
                );
                "toggle"
            }
            other => {
                let shown = match other {
                    "unsupported" => c["block_type"].as_str().unwrap_or(other),
                    _ => other,
                };
                self.differ(DifferenceKind::BlockNotCreatable, key, shown);
                return None;
            }
        };
        Some((kind.to_string(), Value::Object(out)))
    }

    /// A rich-text array that must fit one array (captions, cells, code).
    fn array(&mut self, runs: &Value, object: &str) -> Value {
        Value::Array(
            self.rich_text(runs, object, 1)
                .into_iter()
                .next()
                .unwrap_or_default(),
        )
    }

    /// Runs converted one by one; the caller fits them.
    fn runs_unfitted(&mut self, runs: &Value, object: &str) -> Vec<Value> {
        self.rich_text(runs, object, usize::MAX).concat()
    }
}
