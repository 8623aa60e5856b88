//! Rich text in the dataset format: a string is one plain run; a run object
//! carries its annotations as flat keys (`{"text": "x", "bold": true,
//! "link": "https://..."}`), or is an `equation` or a `mention`; a run with a
//! `type` is a full Notion run and only gets its defaults filled.

use serde_json::{Map, Value, json};

use super::{DatasetError, Loader};

const ANNOTATION_KEYS: [&str; 5] = ["bold", "italic", "strikethrough", "underline", "code"];

impl Loader {
    /// Normalizes rich text written as `null`, a string, one run or a list of runs.
    pub(crate) fn runs(&mut self, v: &Value, at: &str) -> Result<Vec<Value>, DatasetError> {
        match v {
            Value::Null => Ok(Vec::new()),
            Value::String(s) if s.is_empty() => Ok(Vec::new()),
            Value::Array(items) => items.iter().map(|r| self.run(r, at)).collect(),
            other => Ok(vec![self.run(other, at)?]),
        }
    }

    fn run(&mut self, v: &Value, at: &str) -> Result<Value, DatasetError> {
        let obj = match v {
            Value::String(s) => return Ok(text_run(s, annotations(&Map::new()), None)),
            Value::Object(obj) => obj,
            _ => {
                return Err(DatasetError::invalid(
                    at,
                    "a rich-text run must be a string or an object",
                ));
            }
        };
        if obj.contains_key("type") {
            return Ok(fill_full_run(obj));
        }
        let ann = annotations(obj);
        if let Some(text) = obj.get("text") {
            let text = text
                .as_str()
                .ok_or_else(|| DatasetError::invalid(at, "`text` must be a string"))?;
            return Ok(text_run(text, ann, obj.get("link").and_then(Value::as_str)));
        }
        if let Some(expr) = obj.get("equation") {
            let expr = expr.as_str().unwrap_or_default();
            return Ok(json!({
                "type": "equation", "equation": {"expression": expr},
                "annotations": ann, "plain_text": expr, "href": null
            }));
        }
        if let Some(mention) = obj.get("mention") {
            let (content, plain, href) = self.mention(mention, at)?;
            let plain = obj.get("plain_text").cloned().unwrap_or(plain);
            return Ok(json!({
                "type": "mention", "mention": content,
                "annotations": ann, "plain_text": plain, "href": href
            }));
        }
        Err(DatasetError::invalid(
            at,
            "a run needs `text`, `equation`, `mention` or `type`",
        ))
    }

    /// A mention's content, plain text (null when it is a title to fill in
    /// once every page is loaded) and href.
    fn mention(&mut self, m: &Value, at: &str) -> Result<(Value, Value, Value), DatasetError> {
        let (kind, arg) = m
            .as_object()
            .and_then(|o| o.iter().next())
            .ok_or_else(|| DatasetError::invalid(at, "a mention is `{\"<kind>\": ...}`"))?;
        let s = arg.as_str().unwrap_or_default();
        Ok(match kind.as_str() {
            "user" => {
                let user = self.user_full(s, at)?;
                let name = user["name"].as_str().unwrap_or("Unknown").to_string();
                (
                    json!({"type": "user", "user": user}),
                    json!(format!("@{name}")),
                    Value::Null,
                )
            }
            "page" | "database" | "data_source" => {
                let id = self.resolve(s);
                let href = json!(format!(
                    "https://www.notion.so/{}",
                    crate::ids::compact(&id)
                ));
                (
                    json!({"type": kind, kind.clone(): {"id": id}}),
                    Value::Null,
                    href,
                )
            }
            "date" => date_mention(arg),
            "link_preview" => (
                json!({"type": "link_preview", "link_preview": {"url": s}}),
                json!(s),
                json!(s),
            ),
            "link_mention" => {
                let href = arg["href"].as_str().unwrap_or(s).to_string();
                let title = arg["title"].as_str().unwrap_or(&href).to_string();
                let mut content = arg.as_object().cloned().unwrap_or_default();
                content.insert("href".into(), json!(href));
                (
                    json!({"type": "link_mention", "link_mention": content}),
                    json!(title),
                    json!(href),
                )
            }
            "template_mention" => {
                let (content, plain) = match s {
                    "me" => (
                        json!({"type": "template_mention_user", "template_mention_user": "me"}),
                        "@Me",
                    ),
                    "now" => (
                        json!({"type": "template_mention_date", "template_mention_date": "now"}),
                        "@Now",
                    ),
                    _ => (
                        json!({"type": "template_mention_date", "template_mention_date": "today"}),
                        "@Today",
                    ),
                };
                (
                    json!({"type": "template_mention", "template_mention": content}),
                    json!(plain),
                    Value::Null,
                )
            }
            "custom_emoji" => {
                let name = arg["name"].as_str().unwrap_or(s).to_string();
                let id = crate::ids::derive_id(&self.ns, &format!("emoji/{name}"));
                let url = arg["url"].as_str().map(str::to_string).unwrap_or_else(|| {
                    format!("https://s3-us-west-2.amazonaws.com/public.notion-static.com/emoji/{name}.png")
                });
                (
                    json!({"type": "custom_emoji", "custom_emoji": {"id": id, "name": name, "url": url}}),
                    json!(format!(":{name}:")),
                    Value::Null,
                )
            }
            other => {
                return Err(DatasetError::invalid(
                    at,
                    format!("unknown mention kind `{other}`"),
                ));
            }
        })
    }
}

/// A plain text run with the given annotations and optional link.
pub(crate) fn text_run(content: &str, annotations: Value, link: Option<&str>) -> Value {
    json!({
        "type": "text",
        "text": {"content": content, "link": link.map(|url| json!({"url": url}))},
        "annotations": annotations,
        "plain_text": content,
        "href": link,
    })
}

/// The annotations object from a run's flat keys (all false, colour `default`).
pub(crate) fn annotations(obj: &Map<String, Value>) -> Value {
    let mut ann = Map::new();
    for key in ANNOTATION_KEYS {
        ann.insert(
            key.into(),
            json!(obj.get(key).and_then(Value::as_bool).unwrap_or(false)),
        );
    }
    ann.insert(
        "color".into(),
        json!(
            obj.get("color")
                .and_then(Value::as_str)
                .unwrap_or("default")
        ),
    );
    Value::Object(ann)
}

/// A date value from `"2026-07-04"` or `{start, end?, time_zone?}`.
pub(crate) fn date_value(v: &Value) -> Value {
    match v {
        Value::String(s) => json!({"start": s, "end": null, "time_zone": null}),
        Value::Object(o) => json!({
            "start": o.get("start").cloned().unwrap_or(Value::Null),
            "end": o.get("end").cloned().unwrap_or(Value::Null),
            "time_zone": o.get("time_zone").cloned().unwrap_or(Value::Null),
        }),
        _ => Value::Null,
    }
}

/// A date mention's content, plain text (`start → end`) and href, from
/// `"2026-07-04"` or `{start, end?, time_zone?}`.
pub(crate) fn date_mention(v: &Value) -> (Value, Value, Value) {
    let date = date_value(v);
    let plain = match date["end"].as_str() {
        Some(end) => format!("{} → {end}", date["start"].as_str().unwrap_or_default()),
        None => date["start"].as_str().unwrap_or_default().to_string(),
    };
    (
        json!({"type": "date", "date": date}),
        json!(plain),
        Value::Null,
    )
}

/// Fills the defaults of a run written in Notion's full form.
fn fill_full_run(obj: &Map<String, Value>) -> Value {
    let mut run = obj.clone();
    let kind = obj["type"].as_str().unwrap_or_default();
    if !run.get("annotations").is_some_and(Value::is_object) {
        run.insert("annotations".into(), annotations(&Map::new()));
    }
    if !run.contains_key("plain_text") {
        let plain = match kind {
            "text" => obj["text"]["content"].clone(),
            "equation" => obj["equation"]["expression"].clone(),
            _ => Value::Null,
        };
        run.insert("plain_text".into(), plain);
    }
    run.entry("href").or_insert(Value::Null);
    Value::Object(run)
}

/// Concatenated plain text of normalized runs.
pub(crate) fn plain_text(runs: &[Value]) -> String {
    runs.iter()
        .filter_map(|r| r["plain_text"].as_str())
        .collect()
}
