//! Page titles, row property values and data source schemas in request form.
//!
//! Values Notion computes (formula, rollup, unique id, created and edited
//! time and by, button) are not written: the schema keeps the property and
//! Notion fills its own values. Relations keep the dataset's page ids (the
//! executor maps them), people the workspace's users, files their external
//! form; empty values are not sent.

use std::collections::HashSet;

use notion_mock::COMPUTED_PROPERTY_TYPES;
use serde_json::{Map, Value, json};

use super::{Converter, plain};
use crate::report::DifferenceKind;

/// A page's title as plain text (a row's from its title property).
pub(super) fn page_title(spec: &Value) -> String {
    if let Some(props) = spec["properties"].as_object()
        && let Some(title) = props.values().find(|p| p["type"] == "title")
    {
        return plain(&title["title"]);
    }
    plain(&spec["title"])
}

impl Converter {
    /// A standalone page's `title` property.
    pub(super) fn title_property(&mut self, id: &str, spec: &Value) -> Map<String, Value> {
        let runs = self
            .rich_text(&spec["title"], id, 1)
            .into_iter()
            .next()
            .unwrap_or_default();
        let mut props = Map::new();
        props.insert("title".into(), json!({"title": runs}));
        props
    }

    /// A row's writable, non-empty values, by property name.
    pub(super) fn row_properties(
        &mut self,
        id: &str,
        spec: &Value,
        schema: &Map<String, Value>,
    ) -> Map<String, Value> {
        let mut out = Map::new();
        for (name, value) in spec["properties"].as_object().into_iter().flatten() {
            let kind = value["type"].as_str().unwrap_or_default();
            if COMPUTED_PROPERTY_TYPES.contains(&kind) || !schema.contains_key(name) {
                continue;
            }
            if let Some(v) = self.value(id, name, kind, &value[kind]) {
                out.insert(name.clone(), json!({kind: v}));
            }
        }
        out
    }

    /// One value in request form; `None` for an empty one.
    fn value(&mut self, id: &str, name: &str, kind: &str, v: &Value) -> Option<Value> {
        let items = |list: &Value| list.as_array().cloned().unwrap_or_default();
        let value = match kind {
            "title" | "rich_text" => {
                let runs = self
                    .rich_text(v, id, 1)
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                (!runs.is_empty()).then(|| Value::Array(runs))?
            }
            "select" | "status" => json!({"name": v["name"].as_str()?}),
            "multi_select" => {
                let names: Vec<Value> = items(v)
                    .iter()
                    .filter_map(|o| o["name"].as_str())
                    .map(|n| json!({"name": n}))
                    .collect();
                Value::Array(self.truncated(names, id, name))
            }
            "date" => {
                let mut date = Map::new();
                for key in ["start", "end", "time_zone"] {
                    if !v[key].is_null() {
                        date.insert(key.into(), v[key].clone());
                    }
                }
                v["start"].as_str()?;
                Value::Object(date)
            }
            "people" => {
                let mut people = Vec::new();
                for user in items(v) {
                    let user_id = user["id"].as_str().unwrap_or_default();
                    match self.users.0.get(user_id) {
                        Some(mapped) => people.push(json!({"id": mapped})),
                        None => {
                            let who = user["name"].as_str().unwrap_or(user_id).to_string();
                            self.differ(
                                DifferenceKind::UserNotInWorkspace,
                                id,
                                format!("{name}: {who}"),
                            );
                        }
                    }
                }
                Value::Array(self.truncated(people, id, name))
            }
            "files" => {
                let mut files = Vec::new();
                for f in items(v) {
                    if let Some(Value::Object(file)) = self.file(&f, id) {
                        let mut named = Map::new();
                        named.insert("name".into(), f["name"].clone());
                        named.extend(file);
                        files.push(Value::Object(named));
                    }
                }
                Value::Array(files)
            }
            "relation" => {
                let mut refs = Vec::new();
                for r in items(v) {
                    let target = r["id"].as_str().unwrap_or_default();
                    if self.uploaded.contains(target) {
                        refs.push(json!({"id": target}));
                    } else {
                        self.differ(
                            DifferenceKind::TargetNotUploaded,
                            id,
                            format!("{name}: relation to {target}"),
                        );
                    }
                }
                Value::Array(self.truncated(refs, id, name))
            }
            "checkbox" => json!(v.as_bool()?),
            "verification" => {
                let mut out = Map::new();
                out.insert("state".into(), json!(v["state"].as_str()?));
                if v["state"] == "verified" && v["date"]["start"].is_string() {
                    out.insert("date".into(), json!({"start": v["date"]["start"]}));
                }
                Value::Object(out)
            }
            // number, url, email, phone_number, place
            _ => v.clone(),
        };
        match &value {
            Value::Null => None,
            Value::Array(list) if list.is_empty() => None,
            _ => Some(value),
        }
    }

    /// At most `limits.items` items.
    fn truncated(&mut self, mut items: Vec<Value>, id: &str, name: &str) -> Vec<Value> {
        if items.len() > self.limits.items {
            self.differ(
                DifferenceKind::ItemsTruncated,
                id,
                format!("{name}: {} items", items.len()),
            );
            items.truncate(self.limits.items);
        }
        items
    }

    /// A data source's schema (answer form) as request configs. A relation
    /// to a data source that is not uploaded, and rollups through it, are left out.
    pub(super) fn schema(&mut self, ds: &str, schema: &Map<String, Value>) -> Map<String, Value> {
        let mut out = Map::new();
        let mut dropped: HashSet<String> = HashSet::new();
        for (name, prop) in schema {
            let kind = prop["type"].as_str().unwrap_or_default();
            let settings = &prop[kind];
            let config = match kind {
                "number" => json!({"format": settings["format"]}),
                "select" | "multi_select" | "status" => {
                    let options: Vec<Value> = settings["options"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|o| json!({"name": o["name"], "color": o["color"]}))
                        .collect();
                    json!({"options": options})
                }
                "formula" => json!({"expression": settings["expression"]}),
                "relation" => {
                    let target = settings["data_source_id"].as_str().unwrap_or_default();
                    if !self.uploaded.contains(target) {
                        self.differ(
                            DifferenceKind::TargetNotUploaded,
                            ds,
                            format!("{name}: relation to {target}"),
                        );
                        dropped.insert(name.clone());
                        continue;
                    }
                    let kind = if settings["type"] == "dual_property" {
                        "dual_property"
                    } else {
                        "single_property"
                    };
                    json!({"data_source_id": target, kind: {}})
                }
                "rollup" => {
                    let through = settings["relation_property_name"]
                        .as_str()
                        .unwrap_or_default();
                    if dropped.contains(through) || !schema.contains_key(through) {
                        dropped.insert(name.clone());
                        continue;
                    }
                    json!({
                        "relation_property_name": through,
                        "rollup_property_name": settings["rollup_property_name"],
                        "function": settings["function"],
                    })
                }
                "unique_id" => json!({"prefix": settings["prefix"]}),
                _ => json!({}),
            };
            if COMPUTED_PROPERTY_TYPES.contains(&kind) {
                self.differ(
                    DifferenceKind::ComputedProperty,
                    ds,
                    format!("{name} ({kind})"),
                );
            }
            out.insert(name.clone(), json!({kind: config}));
        }
        out
    }
}
