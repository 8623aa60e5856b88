//! Notion's validation of write requests, before anything is written: the
//! size limits (100 blocks per array, two levels of nesting, 1,000 blocks and
//! 500 KB per request, 2,000 characters per text, 100 runs per rich-text
//! array, 1,000 characters per equation, 100 items per relation, people or
//! multi-select value) and the shapes the API accepts (the creatable block
//! types and their fields, rich-text runs, files, icons, property values and
//! schemas), as the official SDK's request types describe them
//! (`src/api-endpoints/common.ts`).
//!
//! Nesting, as the SDK's types have it: the blocks of a request's `children`
//! array may hold children, and those children may hold children, but no
//! deeper (`BlockObjectRequest` → `BlockObjectWithSingleLevelOfChildrenRequest`
//! → `BlockObjectRequestWithoutChildren`). A column does not count as a level
//! (`column_list` → `column` → two more levels), a `column_list` only appears
//! at the top of a request, and a `table` needs its rows in the same request.
//!
//! Every violation is a 400 `validation_error` whose message names the path,
//! as Notion's do: ``body failed validation: body.children.length should be ≤
//! `100`, instead was `101`.`` Checks that need the workspace (that a parent,
//! a mentioned page or a property exists) are made where the write is applied.

use serde_json::{Map, Value};

/// Blocks in one `children` array, runs in one rich-text array, items in one
/// relation, people, multi-select or files value.
pub(crate) const MAX_ARRAY: usize = 100;
/// Levels of children below the blocks of a request's `children` array.
pub(crate) const MAX_NESTING: usize = 2;
/// Block objects in one request, at every level.
pub(crate) const MAX_BLOCKS: usize = 1000;
/// Bytes of one request body (⚠ Notion says "500KB"; the mock takes 500,000).
pub(crate) const MAX_BODY_BYTES: usize = 500_000;
/// UTF-16 code units (JavaScript's string length) of a `text.content` or a link URL.
pub(crate) const MAX_TEXT: usize = 2000;
/// UTF-16 code units of an equation's expression.
pub(crate) const MAX_EQUATION: usize = 1000;

/// Why a request was refused: the full message of the `validation_error`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Violation(pub String);

impl Violation {
    fn at(path: &str, what: impl std::fmt::Display) -> Self {
        Violation(format!("body failed validation: {path} {what}"))
    }

    fn too_long(path: &str, limit: usize, was: usize) -> Self {
        Self::at(
            &format!("{path}.length"),
            format!("should be ≤ `{limit}`, instead was `{was}`."),
        )
    }

    fn not_present(path: &str) -> Self {
        Self::at(path, "should be not present.")
    }

    fn expected(path: &str, what: &str) -> Self {
        Self::at(path, format!("should be {what}."))
    }
}

type Checked = Result<(), Violation>;

/// The size of the whole body.
pub(crate) fn body_size(bytes: usize) -> Checked {
    if bytes > MAX_BODY_BYTES {
        return Err(Violation(format!(
            "body failed validation: the request body is {bytes} bytes, more than the limit of `{MAX_BODY_BYTES}`."
        )));
    }
    Ok(())
}

/// `POST /v1/pages`.
pub(crate) fn create_page(body: &Value) -> Checked {
    let obj = object(body, "body")?;
    allowed_keys(
        obj,
        "body",
        &["parent", "properties", "icon", "cover", "children"],
    )?;
    let parent = object(obj.get("parent").unwrap_or(&Value::Null), "body.parent")?;
    if !["page_id", "data_source_id", "database_id"]
        .iter()
        .any(|k| parent.get(*k).is_some_and(Value::is_string))
    {
        return Err(Violation::expected(
            "body.parent",
            "an object with `page_id`, `data_source_id` or `database_id`",
        ));
    }
    let mut checker = Checker::default();
    checker.page_fields(obj)?;
    if let Some(children) = obj.get("children") {
        checker.blocks(children, "body.children", 0)?;
    }
    checker.finish()
}

/// `PATCH /v1/pages/{id}`.
pub(crate) fn update_page(body: &Value) -> Checked {
    let obj = object(body, "body")?;
    allowed_keys(
        obj,
        "body",
        &["properties", "icon", "cover", "in_trash", "archived"],
    )?;
    for key in ["in_trash", "archived"] {
        if obj.get(key).is_some_and(|v| !v.is_boolean()) {
            return Err(Violation::expected(&format!("body.{key}"), "a boolean"));
        }
    }
    Checker::default().page_fields(obj)
}

/// `PATCH /v1/blocks/{id}/children`.
pub(crate) fn append_children(body: &Value) -> Checked {
    let obj = object(body, "body")?;
    allowed_keys(obj, "body", &["children", "after"])?;
    if obj.get("after").is_some_and(|a| !a.is_string()) {
        return Err(Violation::expected("body.after", "a string"));
    }
    let mut checker = Checker::default();
    match obj.get("children") {
        Some(children) => checker.blocks(children, "body.children", 0)?,
        None => return Err(Violation::expected("body.children", "defined")),
    }
    checker.finish()
}

/// `PATCH /v1/blocks/{id}`: a block's content (its type's fields) or `in_trash`.
pub(crate) fn update_block(body: &Value) -> Checked {
    let obj = object(body, "body")?;
    let mut checker = Checker::default();
    for (key, value) in obj {
        match key.as_str() {
            "in_trash" | "archived" if value.is_boolean() => {}
            "type" => {}
            kind => match content_keys(kind) {
                Some(keys) => {
                    let path = format!("body.{kind}");
                    let content = object(value, &path)?;
                    let keys: Vec<&str> =
                        keys.iter().copied().filter(|k| *k != "children").collect();
                    allowed_keys(content, &path, &keys)?;
                    checker.content(kind, content, &path)?;
                }
                None => return Err(Violation::not_present(&format!("body.{kind}"))),
            },
        }
    }
    Ok(())
}

/// `POST /v1/databases` (API 2025-09-03).
pub(crate) fn create_database(body: &Value) -> Checked {
    let obj = object(body, "body")?;
    allowed_keys(
        obj,
        "body",
        &[
            "parent",
            "title",
            "description",
            "is_inline",
            "initial_data_source",
            "icon",
            "cover",
        ],
    )?;
    let parent = object(obj.get("parent").unwrap_or(&Value::Null), "body.parent")?;
    if !parent.get("page_id").is_some_and(Value::is_string) {
        return Err(Violation::expected(
            "body.parent",
            "an object with `page_id`",
        ));
    }
    let mut checker = Checker::default();
    for key in ["title", "description"] {
        if let Some(runs) = obj.get(key) {
            checker.rich_text(runs, &format!("body.{key}"))?;
        }
    }
    if obj.get("is_inline").is_some_and(|v| !v.is_boolean()) {
        return Err(Violation::expected("body.is_inline", "a boolean"));
    }
    checker.icon_and_cover(obj)?;
    if let Some(initial) = obj.get("initial_data_source") {
        let initial = object(initial, "body.initial_data_source")?;
        allowed_keys(initial, "body.initial_data_source", &["properties"])?;
        if let Some(props) = initial.get("properties") {
            schema(props, "body.initial_data_source.properties", false)?;
        }
    }
    Ok(())
}

/// `POST /v1/data_sources`.
pub(crate) fn create_data_source(body: &Value) -> Checked {
    let obj = object(body, "body")?;
    allowed_keys(obj, "body", &["parent", "properties", "title", "icon"])?;
    let parent = object(obj.get("parent").unwrap_or(&Value::Null), "body.parent")?;
    if !parent.get("database_id").is_some_and(Value::is_string) {
        return Err(Violation::expected(
            "body.parent",
            "an object with `database_id`",
        ));
    }
    let mut checker = Checker::default();
    if let Some(title) = obj.get("title") {
        checker.rich_text(title, "body.title")?;
    }
    match obj.get("properties") {
        Some(props) => schema(props, "body.properties", false),
        None => Err(Violation::expected("body.properties", "defined")),
    }
}

/// `PATCH /v1/data_sources/{id}`: a new title, properties added, changed
/// (a config, or `name` to rename) or removed (`null`).
pub(crate) fn update_data_source(body: &Value) -> Checked {
    let obj = object(body, "body")?;
    allowed_keys(obj, "body", &["title", "properties", "icon", "in_trash"])?;
    if let Some(title) = obj.get("title") {
        Checker::default().rich_text(title, "body.title")?;
    }
    match obj.get("properties") {
        Some(props) => schema(props, "body.properties", true),
        None => Ok(()),
    }
}

/// The block types the API creates, and the fields of each type's content
/// (`None`: the type cannot be created: `child_page` and `child_database`
/// come from the page and database endpoints; `link_preview`,
/// `meeting_notes`, `transcription` and `unsupported` only come back).
fn content_keys(kind: &str) -> Option<&'static [&'static str]> {
    const TEXT: &[&str] = &["rich_text", "color", "children"];
    Some(match kind {
        "paragraph" => &["rich_text", "color", "icon", "children"],
        "heading_1" | "heading_2" | "heading_3" | "heading_4" => {
            &["rich_text", "color", "is_toggleable", "children"]
        }
        "bulleted_list_item" | "numbered_list_item" | "quote" | "toggle" => TEXT,
        "to_do" => &["rich_text", "color", "checked", "children"],
        "template" => &["rich_text", "children"],
        "callout" => &["rich_text", "color", "icon", "children"],
        "synced_block" => &["synced_from", "children"],
        "code" => &["rich_text", "language", "caption"],
        "equation" => &["expression"],
        "divider" | "breadcrumb" => &[],
        "table_of_contents" => &["color"],
        "tab" => &["children"],
        "link_to_page" => &["type", "page_id", "database_id", "comment_id"],
        "table" => &[
            "table_width",
            "has_column_header",
            "has_row_header",
            "children",
        ],
        "table_row" => &["cells"],
        "column_list" => &["children"],
        "column" => &["children", "width_ratio"],
        "embed" | "bookmark" => &["url", "caption"],
        "image" | "video" | "pdf" | "audio" => &["type", "external", "file_upload", "caption"],
        "file" => &["type", "external", "file_upload", "caption", "name"],
        _ => return None,
    })
}

/// Block types whose `children` must be given in the request that creates them.
fn needs_children(kind: &str) -> bool {
    matches!(kind, "column_list" | "column" | "table" | "tab")
}

/// Mention types the API creates (`link_preview`, `link_mention` and
/// `data_source` mentions only come back).
const CREATABLE_MENTIONS: &[&str] = &[
    "user",
    "date",
    "page",
    "database",
    "template_mention",
    "custom_emoji",
];

const ANNOTATIONS: &[&str] = &[
    "bold",
    "italic",
    "strikethrough",
    "underline",
    "code",
    "color",
];

/// Walks a request, counting its blocks.
#[derive(Default)]
struct Checker {
    blocks: usize,
}

impl Checker {
    fn finish(self) -> Checked {
        if self.blocks > MAX_BLOCKS {
            return Err(Violation(format!(
                "body failed validation: the request holds {} blocks, more than the limit of `{MAX_BLOCKS}`.",
                self.blocks
            )));
        }
        Ok(())
    }

    /// A `children` array whose blocks sit `level` levels below the request's top.
    fn blocks(&mut self, v: &Value, path: &str, level: usize) -> Checked {
        let list = v
            .as_array()
            .ok_or_else(|| Violation::expected(path, "an array"))?;
        if list.len() > MAX_ARRAY {
            return Err(Violation::too_long(path, MAX_ARRAY, list.len()));
        }
        for (i, block) in list.iter().enumerate() {
            self.block(block, &format!("{path}[{i}]"), level)?;
        }
        Ok(())
    }

    fn block(&mut self, v: &Value, path: &str, level: usize) -> Checked {
        self.blocks += 1;
        let obj = object(v, path)?;
        let kind = match obj.get("type").and_then(Value::as_str) {
            Some(kind) => kind.to_string(),
            None => obj
                .keys()
                .find(|k| *k != "object")
                .cloned()
                .ok_or_else(|| Violation::expected(path, "a block with a type"))?,
        };
        for key in obj.keys() {
            if key != "object" && key != "type" && *key != kind {
                return Err(Violation::not_present(&format!("{path}.{key}")));
            }
        }
        let content_path = format!("{path}.{kind}");
        let keys = content_keys(&kind).ok_or_else(|| Violation::not_present(&content_path))?;
        let content = object(obj.get(&kind).unwrap_or(&Value::Null), &content_path)?;
        allowed_keys(content, &content_path, keys)?;
        if kind == "column_list" && level > 0 {
            return Err(Violation::not_present(&content_path));
        }
        self.content(&kind, content, &content_path)?;
        let children_path = format!("{content_path}.children");
        let children = content.get("children");
        let has_children = children
            .and_then(Value::as_array)
            .is_some_and(|c| !c.is_empty());
        if needs_children(&kind) && !has_children {
            return Err(Violation::expected(&children_path, "a non-empty array"));
        }
        let Some(children) = children else {
            return Ok(());
        };
        if kind == "synced_block" && !content.get("synced_from").is_none_or(Value::is_null) {
            return Err(Violation::not_present(&children_path));
        }
        // A column's blocks sit at the column's own level.
        let child_level = if kind == "column" { level } else { level + 1 };
        if has_children && child_level > MAX_NESTING {
            return Err(Violation::not_present(&children_path));
        }
        self.blocks(children, &children_path, child_level)?;
        let list = children.as_array().map_or(&[][..], Vec::as_slice);
        let child_type = |b: &Value| {
            b.get("type")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| b.as_object()?.keys().find(|k| *k != "object").cloned())
        };
        let only = |want: &str| list.iter().all(|b| child_type(b).as_deref() == Some(want));
        match kind.as_str() {
            "column_list" if !only("column") => Err(Violation::expected(
                &children_path,
                "an array of `column` blocks",
            )),
            "table" if !only("table_row") => Err(Violation::expected(
                &children_path,
                "an array of `table_row` blocks",
            )),
            "tab" if !only("paragraph") => Err(Violation::expected(
                &children_path,
                "an array of `paragraph` blocks",
            )),
            "table" => {
                let width = content
                    .get("table_width")
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                for (i, row) in list.iter().enumerate() {
                    let cells = row["table_row"]["cells"].as_array().map_or(0, Vec::len);
                    if cells as u64 != width {
                        return Err(Violation::at(
                            &format!("{children_path}[{i}].table_row.cells.length"),
                            format!(
                                "should be `{width}` (the table's width), instead was `{cells}`."
                            ),
                        ));
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A block type's content fields.
    fn content(&mut self, kind: &str, content: &Map<String, Value>, path: &str) -> Checked {
        for key in ["rich_text", "caption"] {
            if let Some(runs) = content.get(key) {
                self.rich_text(runs, &format!("{path}.{key}"))?;
            }
        }
        let text_type = content_keys(kind).is_some_and(|k| k.first() == Some(&"rich_text"));
        if text_type && !content.contains_key("rich_text") {
            return Err(Violation::expected(&format!("{path}.rich_text"), "defined"));
        }
        match kind {
            "equation" => {
                let expr = content
                    .get("expression")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        Violation::expected(&format!("{path}.expression"), "a string")
                    })?;
                check_length(expr, &format!("{path}.expression"), MAX_EQUATION)?;
            }
            "table_row" => {
                let cells = content
                    .get("cells")
                    .and_then(Value::as_array)
                    .ok_or_else(|| Violation::expected(&format!("{path}.cells"), "an array"))?;
                for (i, cell) in cells.iter().enumerate() {
                    self.rich_text(cell, &format!("{path}.cells[{i}]"))?;
                }
            }
            "table" if !content.get("table_width").is_some_and(Value::is_u64) => {
                return Err(Violation::expected(
                    &format!("{path}.table_width"),
                    "a number",
                ));
            }
            "image" | "video" | "pdf" | "audio" | "file" => file(content, path)?,
            "callout" | "paragraph" => {
                if let Some(icon) = content.get("icon") {
                    check_icon(icon, &format!("{path}.icon"))?;
                }
            }
            "link_to_page"
                if !["page_id", "database_id", "comment_id"]
                    .iter()
                    .any(|k| content.get(*k).is_some_and(Value::is_string)) =>
            {
                return Err(Violation::expected(
                    path,
                    "an object with `page_id` or `database_id`",
                ));
            }
            "synced_block" => match content.get("synced_from") {
                Some(Value::Null) | None => {}
                Some(from) if from["block_id"].is_string() => {}
                Some(_) => {
                    return Err(Violation::expected(
                        &format!("{path}.synced_from"),
                        "null or an object with `block_id`",
                    ));
                }
            },
            "embed" | "bookmark" => {
                let url = content
                    .get("url")
                    .and_then(Value::as_str)
                    .ok_or_else(|| Violation::expected(&format!("{path}.url"), "a string"))?;
                check_length(url, &format!("{path}.url"), MAX_TEXT)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// A rich-text array.
    fn rich_text(&mut self, v: &Value, path: &str) -> Checked {
        let runs = v
            .as_array()
            .ok_or_else(|| Violation::expected(path, "an array"))?;
        if runs.len() > MAX_ARRAY {
            return Err(Violation::too_long(path, MAX_ARRAY, runs.len()));
        }
        runs.iter()
            .enumerate()
            .try_for_each(|(i, run)| rich_text_run(run, &format!("{path}[{i}]")))
    }

    /// Properties, icon and cover of a created or updated page.
    fn page_fields(&mut self, obj: &Map<String, Value>) -> Checked {
        self.icon_and_cover(obj)?;
        let Some(props) = obj.get("properties") else {
            return Ok(());
        };
        let props = object(props, "body.properties")?;
        for (name, value) in props {
            self.property_value(value, &format!("body.properties.{name}"))?;
        }
        Ok(())
    }

    fn icon_and_cover(&mut self, obj: &Map<String, Value>) -> Checked {
        if let Some(icon) = obj.get("icon").filter(|i| !i.is_null()) {
            check_icon(icon, "body.icon")?;
        }
        if let Some(cover) = obj.get("cover").filter(|c| !c.is_null()) {
            let cover = object(cover, "body.cover")?;
            file(cover, "body.cover")?;
        }
        Ok(())
    }

    /// A page property value in request form (`{"title": [...]}`, `{"select": {"name": ...}}`...).
    fn property_value(&mut self, v: &Value, path: &str) -> Checked {
        let obj = object(v, path)?;
        let kind = match obj.get("type").and_then(Value::as_str) {
            Some(kind) => kind.to_string(),
            None => obj
                .keys()
                .find(|k| *k != "id")
                .cloned()
                .ok_or_else(|| Violation::expected(path, "a property value"))?,
        };
        let inner = obj.get(&kind).unwrap_or(&Value::Null);
        let inner_path = format!("{path}.{kind}");
        match kind.as_str() {
            "title" | "rich_text" => self.rich_text(inner, &inner_path),
            "relation" | "people" | "multi_select" | "files" => {
                let list = inner
                    .as_array()
                    .ok_or_else(|| Violation::expected(&inner_path, "an array"))?;
                if list.len() > MAX_ARRAY {
                    return Err(Violation::too_long(&inner_path, MAX_ARRAY, list.len()));
                }
                if kind == "files" {
                    for (i, f) in list.iter().enumerate() {
                        file(
                            object(f, &format!("{inner_path}[{i}]"))?,
                            &format!("{inner_path}[{i}]"),
                        )?;
                    }
                }
                Ok(())
            }
            "number" if !(inner.is_number() || inner.is_null()) => {
                Err(Violation::expected(&inner_path, "a number or `null`"))
            }
            "checkbox" if !inner.is_boolean() => Err(Violation::expected(&inner_path, "a boolean")),
            "url" | "email" | "phone_number" if !(inner.is_string() || inner.is_null()) => {
                Err(Violation::expected(&inner_path, "a string or `null`"))
            }
            "select" | "status" if !(inner.is_object() || inner.is_null()) => {
                Err(Violation::expected(&inner_path, "an object or `null`"))
            }
            "date" if !(inner["start"].is_string() || inner.is_null()) => Err(Violation::expected(
                &inner_path,
                "an object with `start` or `null`",
            )),
            "number" | "checkbox" | "url" | "email" | "phone_number" | "select" | "status"
            | "date" | "place" | "verification" => Ok(()),
            other => Err(Violation::at(
                path,
                format!("should be a writable property value, instead was a `{other}` value."),
            )),
        }
    }
}

/// One rich-text run: `text` (content and link at most 2,000 characters),
/// `equation` (at most 1,000) or a creatable `mention`.
fn rich_text_run(v: &Value, path: &str) -> Checked {
    let obj = object(v, path)?;
    allowed_keys(
        obj,
        path,
        &[
            "type",
            "text",
            "mention",
            "equation",
            "annotations",
            "plain_text",
            "href",
        ],
    )?;
    let kind = match obj.get("type").and_then(Value::as_str) {
        Some(kind) => kind,
        None => ["text", "mention", "equation"]
            .into_iter()
            .find(|k| obj.contains_key(*k))
            .ok_or_else(|| Violation::expected(path, "a text, mention or equation run"))?,
    };
    if let Some(ann) = obj.get("annotations") {
        allowed_keys(
            object(ann, &format!("{path}.annotations"))?,
            &format!("{path}.annotations"),
            ANNOTATIONS,
        )?;
    }
    let inner_path = format!("{path}.{kind}");
    let inner = object(obj.get(kind).unwrap_or(&Value::Null), &inner_path)?;
    match kind {
        "text" => {
            allowed_keys(inner, &inner_path, &["content", "link"])?;
            let content = inner
                .get("content")
                .and_then(Value::as_str)
                .ok_or_else(|| Violation::expected(&format!("{inner_path}.content"), "a string"))?;
            check_length(content, &format!("{inner_path}.content"), MAX_TEXT)?;
            match inner.get("link") {
                None | Some(Value::Null) => Ok(()),
                Some(link) => {
                    let url = link["url"].as_str().ok_or_else(|| {
                        Violation::expected(&format!("{inner_path}.link.url"), "a string")
                    })?;
                    check_length(url, &format!("{inner_path}.link.url"), MAX_TEXT)
                }
            }
        }
        "equation" => {
            let expr = inner
                .get("expression")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    Violation::expected(&format!("{inner_path}.expression"), "a string")
                })?;
            check_length(expr, &format!("{inner_path}.expression"), MAX_EQUATION)
        }
        "mention" => {
            let mention_kind = inner
                .get("type")
                .and_then(Value::as_str)
                .or_else(|| inner.keys().find(|k| *k != "type").map(String::as_str))
                .ok_or_else(|| Violation::expected(&inner_path, "a mention"))?;
            if !CREATABLE_MENTIONS.contains(&mention_kind) {
                return Err(Violation::not_present(&format!(
                    "{inner_path}.{mention_kind}"
                )));
            }
            Ok(())
        }
        _ => Err(Violation::not_present(&inner_path)),
    }
}

/// A file object as requests give it: `external` (a URL) or `file_upload`
/// (an id). A Notion-hosted `file` URL cannot be written back.
fn file(obj: &Map<String, Value>, path: &str) -> Checked {
    let kind = obj.get("type").and_then(Value::as_str).or_else(|| {
        ["external", "file_upload"]
            .into_iter()
            .find(|k| obj.contains_key(*k))
    });
    match kind {
        Some("external") => {
            let url = obj["external"]["url"]
                .as_str()
                .ok_or_else(|| Violation::expected(&format!("{path}.external.url"), "a string"))?;
            check_length(url, &format!("{path}.external.url"), MAX_TEXT)
        }
        Some("file_upload") if obj["file_upload"]["id"].is_string() => Ok(()),
        Some("file") => Err(Violation::not_present(&format!("{path}.file"))),
        _ => Err(Violation::expected(
            path,
            "an `external` or `file_upload` file",
        )),
    }
}

fn check_icon(v: &Value, path: &str) -> Checked {
    let obj = object(v, path)?;
    let kind = obj.get("type").and_then(Value::as_str).or_else(|| {
        ["emoji", "external", "custom_emoji", "file_upload"]
            .into_iter()
            .find(|k| obj.contains_key(*k))
    });
    match kind {
        Some("emoji") if obj["emoji"].is_string() => Ok(()),
        Some("custom_emoji") if obj["custom_emoji"]["id"].is_string() => Ok(()),
        Some("external" | "file_upload") => file(obj, path),
        _ => Err(Violation::expected(
            path,
            "an `emoji`, `external`, `custom_emoji` or `file_upload` icon",
        )),
    }
}

/// Property configurations (`{"Stage": {"select": {"options": [...]}}}`);
/// in an update, `null` removes a property and `{"name": ...}` renames it.
fn schema(v: &Value, path: &str, update: bool) -> Checked {
    const KINDS: &[&str] = &[
        "title",
        "rich_text",
        "number",
        "select",
        "multi_select",
        "status",
        "date",
        "people",
        "files",
        "checkbox",
        "url",
        "email",
        "phone_number",
        "formula",
        "relation",
        "rollup",
        "created_time",
        "created_by",
        "last_edited_time",
        "last_edited_by",
        "unique_id",
        "verification",
        "button",
        "place",
        "location",
        "last_visited_time",
    ];
    for (name, config) in object(v, path)? {
        let prop_path = format!("{path}.{name}");
        if update && config.is_null() {
            continue;
        }
        let obj = object(config, &prop_path)?;
        let kinds: Vec<&String> = obj
            .keys()
            .filter(|k| !["type", "name", "description"].contains(&k.as_str()))
            .collect();
        match kinds.as_slice() {
            [] if update && obj.contains_key("name") => {}
            [kind] if KINDS.contains(&kind.as_str()) => {
                let inner_path = format!("{prop_path}.{kind}");
                let inner = object(&obj[kind.as_str()], &inner_path)?;
                if let Some(options) = inner.get("options") {
                    let list = options.as_array().ok_or_else(|| {
                        Violation::expected(&format!("{inner_path}.options"), "an array")
                    })?;
                    if list.iter().any(|o| !o["name"].is_string()) {
                        return Err(Violation::expected(
                            &format!("{inner_path}.options"),
                            "an array of options with a `name`",
                        ));
                    }
                }
                if kind.as_str() == "relation"
                    && !inner.get("data_source_id").is_some_and(Value::is_string)
                {
                    return Err(Violation::expected(
                        &format!("{inner_path}.data_source_id"),
                        "a string",
                    ));
                }
            }
            _ => {
                return Err(Violation::expected(
                    &prop_path,
                    "a property configuration with one type",
                ));
            }
        }
    }
    Ok(())
}

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, Violation> {
    v.as_object()
        .ok_or_else(|| Violation::expected(path, "an object"))
}

fn allowed_keys(obj: &Map<String, Value>, path: &str, allowed: &[&str]) -> Checked {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(key) => Err(Violation::not_present(&format!("{path}.{key}"))),
        None => Ok(()),
    }
}

/// A string's length as Notion measures it (UTF-16 code units, JavaScript's `length`).
fn check_length(s: &str, path: &str, limit: usize) -> Checked {
    let len = s.encode_utf16().count();
    if len > limit {
        return Err(Violation::too_long(path, limit, len));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paragraph(text: &str) -> Value {
        json!({"paragraph": {"rich_text": [{"text": {"content": text}}]}})
    }

    fn with_children(mut block: Value, children: Vec<Value>) -> Value {
        let kind = block.as_object().unwrap().keys().next().unwrap().clone();
        block[&kind]["children"] = Value::Array(children);
        block
    }

    fn append(children: Vec<Value>) -> Checked {
        append_children(&json!({ "children": children }))
    }

    #[test]
    fn a_hundred_children_pass_and_a_hundred_and_one_fail() {
        assert_eq!(append(vec![paragraph("x"); 100]), Ok(()));
        let err = append(vec![paragraph("x"); 101]).unwrap_err();
        assert_eq!(
            err.0,
            "body failed validation: body.children.length should be ≤ `100`, instead was `101`."
        );
    }

    #[test]
    fn two_levels_of_nesting_pass_and_three_fail() {
        let two = with_children(
            paragraph("0"),
            vec![with_children(paragraph("1"), vec![paragraph("2")])],
        );
        assert_eq!(append(vec![two]), Ok(()));
        let three = with_children(
            paragraph("0"),
            vec![with_children(
                paragraph("1"),
                vec![with_children(paragraph("2"), vec![paragraph("3")])],
            )],
        );
        let err = append(vec![three]).unwrap_err();
        assert!(
            err.0.contains("body.children[0].paragraph.children[0].paragraph.children[0].paragraph.children should be not present"),
            "{}",
            err.0
        );
    }

    #[test]
    fn a_column_adds_no_level_and_a_column_list_only_sits_at_the_top() {
        let column = |inner: Value| json!({"column": {"children": [inner]}});
        let deep = with_children(paragraph("x"), vec![paragraph("y")]);
        let list =
            json!({"column_list": {"children": [column(deep.clone()), column(paragraph("z"))]}});
        assert_eq!(append(vec![list.clone()]), Ok(()));
        let nested = with_children(paragraph("host"), vec![list]);
        assert!(append(vec![nested]).is_err());
    }

    #[test]
    fn text_and_equation_lengths_count_utf16_units() {
        assert_eq!(append(vec![paragraph(&"a".repeat(2000))]), Ok(()));
        let err = append(vec![paragraph(&"a".repeat(2001))]).unwrap_err();
        assert!(
            err.0.contains(
                "rich_text[0].text.content.length should be ≤ `2000`, instead was `2001`"
            )
        );
        // 1,000 emoji are 2,000 UTF-16 units; one more is too many.
        assert_eq!(append(vec![paragraph(&"🚀".repeat(1000))]), Ok(()));
        assert!(append(vec![paragraph(&format!("{}a", "🚀".repeat(1000)))]).is_err());
        let eq = |n: usize| json!({"equation": {"expression": "x".repeat(n)}});
        assert_eq!(append(vec![eq(1000)]), Ok(()));
        assert!(append(vec![eq(1001)]).is_err());
    }

    #[test]
    fn uncreatable_types_hosted_files_and_readonly_mentions_are_refused() {
        for block in [
            json!({"link_preview": {"url": "https://x"}}),
            json!({"unsupported": {"block_type": "form"}}),
            json!({"child_page": {"title": "x"}}),
            json!({"image": {"type": "file", "file": {"url": "https://x"}}}),
            json!({"paragraph": {"rich_text": [{"mention": {"link_preview": {"url": "https://x"}}}]}}),
            json!({"numbered_list_item": {"rich_text": [], "list_start_index": 3}}),
            json!({"table": {"table_width": 2, "children": [{"table_row": {"cells": [[]]}}]}}),
        ] {
            assert!(append(vec![block.clone()]).is_err(), "{block}");
        }
    }
}
