//! Data source schemas and row property values in the dataset format.
//!
//! A schema maps property names to a type name (`"Status": "status"`) or an
//! object with the type's settings (`{"type": "select", "options": ["A"]}`,
//! `{"type": "relation", "target": "<data source key>"}`). A row gives values
//! in short forms by the schema's type (see `datasets/README.md`); a value
//! with a `type` key is taken as Notion's full form.

use serde_json::{Map, Value, json};

use super::rich_text::date_value;
use super::{DatasetError, Loader};
use crate::ids::{derive_id, stable_hash};

/// Option colours, given in turn to options that name none.
const COLORS: [&str; 10] = [
    "default", "gray", "brown", "orange", "yellow", "green", "blue", "purple", "pink", "red",
];

/// The schema being filled while a data source's rows load.
pub(crate) struct RowContext {
    /// Property configs by name (select options are added as rows use them).
    pub schema: Map<String, Value>,
    /// Next `unique_id` number.
    pub next_number: i64,
}

impl Loader {
    /// Normalizes a schema; a title property named `Name` is added when none is given.
    pub(crate) fn schema(
        &mut self,
        spec: &Value,
        ds_id: &str,
        at: &str,
    ) -> Result<Map<String, Value>, DatasetError> {
        let mut out = Map::new();
        for (name, prop) in spec.as_object().into_iter().flatten() {
            let kind = prop.as_str().or(prop["type"].as_str()).ok_or_else(|| {
                DatasetError::invalid(format!("{at}/{name}"), "a property needs a type")
            })?;
            let config = match prop.get(kind) {
                Some(c @ Value::Object(_)) => c.clone(),
                _ => self.property_config(kind, prop, ds_id, name),
            };
            let id = match prop["id"].as_str() {
                // An explicit id, as Notion would return it (percent-encoded).
                Some(id) => id.to_string(),
                None if kind == "title" => "title".to_string(),
                None => property_id(ds_id, name),
            };
            out.insert(
                name.clone(),
                json!({"id": id, "name": name, "type": kind, "description": null, kind: config}),
            );
        }
        if !out.values().any(|p| p["type"] == "title") {
            out.shift_insert(0, "Name".into(), json!({"id": "title", "name": "Name", "type": "title", "description": null, "title": {}}));
        }
        Ok(out)
    }

    fn property_config(&mut self, kind: &str, prop: &Value, ds_id: &str, name: &str) -> Value {
        match kind {
            "number" => json!({"format": prop["format"].as_str().unwrap_or("number")}),
            "select" | "multi_select" | "status" => {
                let options = options(ds_id, name, &prop["options"]);
                if kind == "status" {
                    json!({"options": options, "groups": []})
                } else {
                    json!({"options": options})
                }
            }
            "formula" => json!({"expression": prop["expression"].as_str().unwrap_or("")}),
            "relation" => {
                let target = self.resolve(prop["target"].as_str().unwrap_or(ds_id));
                json!({"data_source_id": target, "type": "single_property", "single_property": {}})
            }
            "rollup" => json!({
                "relation_property_name": prop["relation"], "rollup_property_name": prop["property"],
                "function": prop["function"].as_str().unwrap_or("show_original"),
            }),
            "unique_id" => json!({"prefix": prop["prefix"]}),
            _ => json!({}),
        }
    }

    /// A row's property values, in schema order.
    pub(crate) fn row_properties(
        &mut self,
        spec: &Value,
        row: &mut RowContext,
        (created, edited): (&str, &str),
        (created_by, edited_by): (&Value, &Value),
        at: &str,
    ) -> Result<Map<String, Value>, DatasetError> {
        let given = spec["properties"].as_object().cloned().unwrap_or_default();
        if let Some(unknown) = given.keys().find(|k| !row.schema.contains_key(*k)) {
            return Err(DatasetError::invalid(
                at,
                format!("property `{unknown}` is not in the schema"),
            ));
        }
        let mut out = Map::new();
        let names: Vec<String> = row.schema.keys().cloned().collect();
        for name in names {
            let config = row.schema[&name].clone();
            let kind = config["type"].as_str().unwrap_or_default().to_string();
            let v = given.get(&name).cloned().unwrap_or(Value::Null);
            let prop_at = format!("{at}/properties/{name}");
            let value = if v.get("type").is_some() && v.get(&kind).is_some() {
                v[&kind].clone()
            } else {
                match kind.as_str() {
                    "title" | "rich_text" => Value::Array(self.runs(&v, &prop_at)?),
                    "number" | "place" => v,
                    "select" | "status" => match v.as_str() {
                        Some(option) => option_value(row, &name, option),
                        None => Value::Null,
                    },
                    "multi_select" => Value::Array(
                        v.as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .map(|o| option_value(row, &name, o))
                            .collect(),
                    ),
                    "date" => date_value(&v),
                    "people" => Value::Array(
                        v.as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .map(|u| self.user_full(u, &prop_at))
                            .collect::<Result<_, _>>()?,
                    ),
                    "files" => Value::Array(
                        v.as_array()
                            .into_iter()
                            .flatten()
                            .map(|f| self.named_file(f, &prop_at))
                            .collect::<Result<_, _>>()?,
                    ),
                    "checkbox" => json!(v.as_bool().unwrap_or(false)),
                    "url" | "email" | "phone_number" => v,
                    "formula" => tagged_or(&v, json!({"type": "string", "string": null})),
                    "relation" => Value::Array(
                        v.as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .map(|r| json!({"id": self.resolve(r)}))
                            .collect(),
                    ),
                    "rollup" => {
                        let mut r = tagged_or(&v, json!({"type": "number", "number": null}));
                        r["function"] = config["rollup"]["function"].clone();
                        r
                    }
                    "created_time" => json!(created),
                    "last_edited_time" => json!(edited),
                    "created_by" => created_by.clone(),
                    "last_edited_by" => edited_by.clone(),
                    "unique_id" => {
                        let number = v.as_i64().unwrap_or(row.next_number);
                        row.next_number = number + 1;
                        json!({"prefix": config["unique_id"]["prefix"], "number": number})
                    }
                    "verification" => json!({
                        "state": v["state"].as_str().unwrap_or("unverified"),
                        "verified_by": match v["verified_by"].as_str() {
                            Some(u) => self.user_full(u, &prop_at)?,
                            None => Value::Null,
                        },
                        "date": if v["date"].is_null() { Value::Null } else { date_value(&v["date"]) },
                    }),
                    "button" => json!({}),
                    _ => v,
                }
            };
            out.insert(
                name,
                json!({"id": config["id"], "type": kind, kind.clone(): value}),
            );
        }
        Ok(out)
    }
}

/// `{"number": 3}` → `{"type": "number", "number": 3}`; `null` → the default.
fn tagged_or(v: &Value, default: Value) -> Value {
    match v.as_object().and_then(|o| o.iter().next()) {
        Some((kind, inner)) => json!({"type": kind, kind.clone(): inner}),
        None => default,
    }
}

/// The option named `name` of a select-like property, added to the schema if new.
fn option_value(row: &mut RowContext, prop: &str, name: &str) -> Value {
    let config = &mut row.schema[prop];
    let kind = config["type"].as_str().unwrap_or_default().to_string();
    let options = &mut config[&kind]["options"];
    if !options.is_array() {
        *options = json!([]);
    }
    let list = options.as_array_mut().expect("options is an array");
    if let Some(found) = list.iter().find(|o| o["name"] == name) {
        return json!({"id": found["id"], "name": name, "color": found["color"]});
    }
    let option = make_option(prop, prop, name, None, list.len());
    list.push(option.clone());
    json!({"id": option["id"], "name": name, "color": option["color"]})
}

/// Schema options from a list of names or `{name, color}` objects.
pub(crate) fn options(ds_id: &str, prop: &str, list: &Value) -> Vec<Value> {
    list.as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, o)| {
            make_option(
                ds_id,
                prop,
                o.as_str().or(o["name"].as_str()).unwrap_or(""),
                o["color"].as_str(),
                i,
            )
        })
        .collect()
}

pub(crate) fn make_option(
    ds_id: &str,
    prop: &str,
    name: &str,
    color: Option<&str>,
    index: usize,
) -> Value {
    json!({
        "id": derive_id(ds_id, &format!("{prop}/{name}")),
        "name": name,
        "color": color.unwrap_or(COLORS[index % COLORS.len()]),
        "description": null,
    })
}

/// A short, URL-encoded property id derived from the data source and name,
/// shaped like Notion's (`%3AUPp`, `BJXS`).
pub(crate) fn property_id(ds_id: &str, name: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:=;?";
    let mut h = stable_hash(&[ds_id.as_bytes(), name.as_bytes()]);
    let mut id = String::new();
    for _ in 0..4 {
        let c = ALPHABET[(h % ALPHABET.len() as u64) as usize];
        h /= ALPHABET.len() as u64;
        if c.is_ascii_alphanumeric() {
            id.push(c as char);
        } else {
            id.push_str(&format!("%{c:02X}"));
        }
    }
    id
}
