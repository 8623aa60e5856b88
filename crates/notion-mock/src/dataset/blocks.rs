//! Blocks in the dataset format: `{"<type>": <content>, ...}`, the first key
//! naming the type. Text blocks take their rich text as the content
//! (`{"paragraph": "Hello"}`); other keys beside the type (`checked`,
//! `language`, `color`) join the content; `children` holds child blocks.
//! `child_page` and `child_database` take a whole page or database spec.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::{DatasetError, Loader};
use crate::workspace::BlockRec;

/// Keys of a block spec that are not part of its type's content.
const COMMON_KEYS: &[&str] = &[
    "id",
    "key",
    "children",
    "created_time",
    "last_edited_time",
    "created_by",
    "last_edited_by",
    "object",
    "type",
    "has_children",
    "archived",
    "in_trash",
    "parent",
];

/// Every block type of Notion's API reference, in its order, the old names
/// with the new (`transcription`, `meeting_notes`) and `unsupported` (what
/// the API returns for a block it cannot show). The one list the mock, the
/// uploader and the fuzzer share.
pub const BLOCK_TYPES: &[&str] = &[
    "paragraph",
    "heading_1",
    "heading_2",
    "heading_3",
    "heading_4",
    "bulleted_list_item",
    "numbered_list_item",
    "to_do",
    "toggle",
    "quote",
    "template",
    "callout",
    "code",
    "equation",
    "divider",
    "breadcrumb",
    "table_of_contents",
    "column_list",
    "column",
    "tab",
    "table",
    "table_row",
    "child_page",
    "child_database",
    "synced_block",
    "link_to_page",
    "link_preview",
    "bookmark",
    "embed",
    "image",
    "video",
    "pdf",
    "file",
    "audio",
    "meeting_notes",
    "transcription",
    "unsupported",
];

/// The [`BLOCK_TYPES`] whose content is rich text plus a colour (in a
/// dataset, `{"paragraph": "Hello"}`): the reference lists them first,
/// `paragraph` to `callout`.
pub const TEXT_BLOCK_TYPES: &[&str] = BLOCK_TYPES.split_at(12).0;

/// The [`BLOCK_TYPES`] whose content is a file (hosted or external),
/// `image` to `audio`.
pub const MEDIA_BLOCK_TYPES: &[&str] = BLOCK_TYPES.split_at(29).1.split_at(5).0;

/// Whether Notion documents this block type (a reader sees its content;
/// other types are shown as a marker).
pub(crate) fn is_known_block_type(kind: &str) -> bool {
    kind != "unsupported" && BLOCK_TYPES.contains(&kind)
}

/// Host of Notion-hosted files (signed S3 URLs).
pub(crate) const HOSTED_FILES: &str = "https://prod-files-secure.s3.us-west-2.amazonaws.com";

impl Loader {
    /// Loads a list of block specs; returns the ids in order.
    pub(crate) fn load_blocks(
        &mut self,
        specs: &Value,
        parent: &Value,
        page_id: &str,
        shared: bool,
        at: &str,
    ) -> Result<Vec<String>, DatasetError> {
        let list = match specs {
            Value::Null => return Ok(Vec::new()),
            Value::Array(list) => list,
            _ => return Err(DatasetError::invalid(at, "blocks must be a list")),
        };
        list.iter()
            .enumerate()
            .map(|(i, spec)| self.load_block(spec, parent, page_id, shared, &format!("{at}/{i}")))
            .collect()
    }

    fn load_block(
        &mut self,
        spec: &Value,
        parent: &Value,
        page_id: &str,
        shared: bool,
        at: &str,
    ) -> Result<String, DatasetError> {
        let obj = spec
            .as_object()
            .ok_or_else(|| DatasetError::invalid(at, "a block must be an object"))?;
        let kind = match obj.get("type").and_then(Value::as_str) {
            Some(k) if obj.get("object").and_then(Value::as_str) == Some("block") => k.to_string(),
            _ => obj
                .keys()
                .find(|k| !COMMON_KEYS.contains(&k.as_str()))
                .cloned()
                .ok_or_else(|| DatasetError::invalid(at, "a block needs a type key"))?,
        };
        match kind.as_str() {
            "child_page" => return self.load_page(&obj[&kind], parent.clone(), shared, None, at),
            "child_database" => return self.load_database(&obj[&kind], parent.clone(), shared, at),
            _ => {}
        }
        let id = self.object_id(spec, at)?;
        let (created, edited) = self.times(spec, at)?;
        let author = self.user_ref(obj.get("created_by").and_then(Value::as_str));
        let mut base = match &obj[&kind] {
            Value::Object(m) => m.clone(),
            _ => Map::new(),
        };
        for (k, v) in obj {
            if *k != kind && !COMMON_KEYS.contains(&k.as_str()) {
                base.insert(k.clone(), v.clone());
            }
        }
        let shorthand = match &obj[&kind] {
            Value::Object(_) => Value::Null,
            other => other.clone(),
        };
        let mut children: Vec<Value> = obj
            .get("children")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let content = self.block_content(&kind, shorthand, base, &id, &mut children, at)?;
        let child_parent = json!({"type": "block_id", "block_id": id});
        let children = self.load_blocks(
            &Value::Array(children),
            &child_parent,
            page_id,
            shared,
            &format!("{at}/children"),
        )?;
        let object = json!({
            "object": "block", "id": id, "parent": parent,
            "created_time": created, "last_edited_time": edited,
            "created_by": author, "last_edited_by": author,
            "archived": false, "in_trash": false, "type": kind, kind.clone(): content,
        });
        self.ws.blocks.insert(
            id.clone(),
            BlockRec {
                object: Arc::new(object),
                children: Arc::new(children),
                page: page_id.to_string(),
            },
        );
        Ok(id)
    }

    /// The content object of a block type, from its shorthand and other keys.
    /// May add child specs (a table's `rows`).
    fn block_content(
        &mut self,
        kind: &str,
        shorthand: Value,
        mut base: Map<String, Value>,
        id: &str,
        children: &mut Vec<Value>,
        at: &str,
    ) -> Result<Value, DatasetError> {
        let text_of = |base: &mut Map<String, Value>, shorthand: &Value| {
            if !shorthand.is_null() {
                shorthand.clone()
            } else {
                base.remove("text")
                    .or_else(|| base.remove("rich_text"))
                    .unwrap_or(Value::Null)
            }
        };
        if TEXT_BLOCK_TYPES.contains(&kind) {
            let text = text_of(&mut base, &shorthand);
            let mut c = Map::new();
            c.insert("rich_text".into(), Value::Array(self.runs(&text, at)?));
            match kind {
                "to_do" => {
                    c.insert(
                        "checked".into(),
                        json!(
                            base.remove("checked")
                                .and_then(|v| v.as_bool())
                                .unwrap_or(false)
                        ),
                    );
                }
                k if k.starts_with("heading_") => {
                    let toggle = base
                        .remove("is_toggleable")
                        .and_then(|v| v.as_bool())
                        .unwrap_or(!children.is_empty());
                    c.insert("is_toggleable".into(), json!(toggle));
                }
                "callout" => {
                    let icon = base.remove("icon").unwrap_or(json!("💡"));
                    c.insert("icon".into(), self.icon(&icon, id, at)?);
                }
                _ => {}
            }
            c.insert(
                "color".into(),
                base.remove("color").unwrap_or(json!("default")),
            );
            c.extend(base);
            return Ok(Value::Object(c));
        }
        if MEDIA_BLOCK_TYPES.contains(&kind) {
            let spec = if shorthand.is_null() {
                Value::Object(base)
            } else {
                json!({"url": shorthand})
            };
            let mut file = self.file_object(&spec, id, at)?;
            let caption = self.runs(&spec["caption"], at)?;
            let obj = file.as_object_mut().expect("file object");
            obj.shift_insert(0, "caption".into(), Value::Array(caption));
            if kind == "file" {
                let name = spec["name"]
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| file_name(&spec));
                obj.insert("name".into(), json!(name));
            }
            return Ok(file);
        }
        Ok(match kind {
            "code" => {
                let text = text_of(&mut base, &shorthand);
                json!({
                    "caption": self.runs(base.get("caption").unwrap_or(&Value::Null), at)?,
                    "rich_text": self.runs(&text, at)?,
                    "language": base.get("language").and_then(Value::as_str).unwrap_or("plain text"),
                })
            }
            "equation" => {
                json!({"expression": shorthand.as_str().or(base.get("expression").and_then(Value::as_str)).unwrap_or("")})
            }
            "table" => {
                let rows = base.remove("rows").unwrap_or(json!([]));
                let rows = rows.as_array().cloned().unwrap_or_default();
                let width = rows
                    .iter()
                    .filter_map(Value::as_array)
                    .map(Vec::len)
                    .max()
                    .unwrap_or(0);
                for row in rows.into_iter().rev() {
                    children.insert(0, json!({"table_row": {"cells": row}}));
                }
                json!({
                    "table_width": base.get("table_width").and_then(Value::as_u64).unwrap_or(width as u64),
                    "has_column_header": base.get("has_column_header").and_then(Value::as_bool).unwrap_or(false),
                    "has_row_header": base.get("has_row_header").and_then(Value::as_bool).unwrap_or(false),
                })
            }
            "table_row" => {
                let cells = base
                    .get("cells")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let cells: Vec<Value> = cells
                    .iter()
                    .map(|c| self.runs(c, at).map(Value::Array))
                    .collect::<Result<_, _>>()?;
                json!({"cells": cells})
            }
            "table_of_contents" => {
                json!({"color": base.get("color").cloned().unwrap_or(json!("default"))})
            }
            "synced_block" => {
                let from = shorthand
                    .as_str()
                    .or(base.get("from").and_then(Value::as_str))
                    .or(base.get("synced_from").and_then(|f| f["block_id"].as_str()))
                    .map(str::to_string);
                match from {
                    Some(r) => {
                        json!({"synced_from": {"type": "block_id", "block_id": self.resolve(&r)}})
                    }
                    None => json!({"synced_from": null}),
                }
            }
            "link_to_page" => {
                if let Some(r) = shorthand
                    .as_str()
                    .or(base.get("page").and_then(Value::as_str))
                {
                    json!({"type": "page_id", "page_id": self.resolve(r)})
                } else if let Some(r) = base.get("database").and_then(Value::as_str) {
                    json!({"type": "database_id", "database_id": self.resolve(r)})
                } else {
                    Value::Object(base)
                }
            }
            "bookmark" | "embed" => json!({
                "caption": self.runs(base.get("caption").unwrap_or(&Value::Null), at)?,
                "url": shorthand.as_str().or(base.get("url").and_then(Value::as_str)).unwrap_or(""),
            }),
            "link_preview" => {
                json!({"url": shorthand.as_str().or(base.get("url").and_then(Value::as_str)).unwrap_or("")})
            }
            "meeting_notes" | "transcription" => {
                let title = text_of(&mut base, &shorthand);
                let title = self.runs(base.get("title").unwrap_or(&title), at)?;
                let mut refs = Map::new();
                for (k, v) in base
                    .get("children")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    refs.insert(k.clone(), json!(v.as_str().map(|r| self.resolve(r))));
                }
                json!({
                    "title": title,
                    "status": base.get("status").cloned().unwrap_or(json!("notes_ready")),
                    "children": refs,
                    "calendar_event": base.get("calendar_event").cloned().unwrap_or(Value::Null),
                    "recording": base.get("recording").cloned().unwrap_or(Value::Null),
                })
            }
            "unsupported" => {
                json!({"block_type": shorthand.as_str().or(base.get("block_type").and_then(Value::as_str))})
            }
            _ => {
                if let Value::String(s) = shorthand {
                    base.insert("text".into(), json!(s));
                }
                Value::Object(base)
            }
        })
    }

    /// A file object: `{"url": ...}` is external, `{"url": "name.png",
    /// "hosted": true}` is Notion-hosted (signed URL, `expiry_time`); a value
    /// with `type` is taken as is.
    pub(crate) fn file_object(
        &mut self,
        spec: &Value,
        owner: &str,
        at: &str,
    ) -> Result<Value, DatasetError> {
        if let Some(kind) = spec["type"].as_str() {
            let mut out = Map::new();
            out.insert("type".into(), json!(kind));
            out.insert(kind.into(), spec[kind].clone());
            return Ok(Value::Object(out));
        }
        let url = spec
            .as_str()
            .or(spec["url"].as_str())
            .ok_or_else(|| DatasetError::invalid(at, "a file needs a `url`"))?;
        if spec["hosted"].as_bool() == Some(true) {
            let name = url.rsplit('/').next().unwrap_or(url);
            let file_id = crate::ids::derive_id(owner, url);
            let workspace_id = crate::ids::derive_id(&self.ns, "workspace");
            let url = format!("{HOSTED_FILES}/{workspace_id}/{file_id}/{name}");
            Ok(json!({"type": "file", "file": {
                "url": crate::files::sign(&url, owner, &self.default_edited),
                "expiry_time": crate::files::expiry(&self.default_edited),
            }}))
        } else {
            Ok(json!({"type": "external", "external": {"url": url}}))
        }
    }

    /// A named file of a `files` property.
    pub(crate) fn named_file(&mut self, spec: &Value, at: &str) -> Result<Value, DatasetError> {
        let mut file = self.file_object(spec, at, at)?;
        let name = spec["name"]
            .as_str()
            .map(str::to_string)
            .or_else(|| file_name(spec));
        file.as_object_mut().expect("file object").shift_insert(
            0,
            "name".into(),
            json!(name.unwrap_or_default()),
        );
        Ok(file)
    }
}

fn file_name(spec: &Value) -> Option<String> {
    spec.as_str()
        .or(spec["url"].as_str())
        .and_then(|u| u.split('?').next())
        .and_then(|u| u.rsplit('/').next())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::{BLOCK_TYPES, MEDIA_BLOCK_TYPES, TEXT_BLOCK_TYPES};

    /// The groups are cut from the one list at their first and last types.
    #[test]
    fn the_text_and_media_types_are_cut_at_their_ends() {
        assert_eq!(BLOCK_TYPES.len(), 37);
        let ends = |group: &[&'static str]| (group[0], group[group.len() - 1]);
        assert_eq!(ends(TEXT_BLOCK_TYPES), ("paragraph", "callout"));
        assert_eq!(ends(MEDIA_BLOCK_TYPES), ("image", "audio"));
    }
}
