//! Rich text, files and icons in request form.
//!
//! Runs keep their annotations (only those that differ from the default are
//! sent). Mentions the API cannot create become text with the same
//! annotations: link previews and link mentions their linked title or URL,
//! custom emoji `:name:`, users the workspace lacks `@Name`, pages that are
//! not uploaded their title; a data source mention becomes a mention of its
//! database. A page or database mention keeps its `plain_text` (not sent) so
//! the executor can write it as text until its target exists.

use serde_json::{Map, Value, json};

use super::Converter;
use crate::limits::utf16_len;
use crate::report::DifferenceKind;
use crate::text;

const FLAGS: [&str; 5] = ["bold", "italic", "strikethrough", "underline", "code"];

impl Converter {
    /// Rich text (answer form) as request runs fitted to the limits: one
    /// array per `max_arrays` at most (the rest is dropped, with a difference).
    pub(super) fn rich_text(
        &mut self,
        runs: &Value,
        object: &str,
        max_arrays: usize,
    ) -> Vec<Vec<Value>> {
        let converted: Vec<Value> = runs
            .as_array()
            .into_iter()
            .flatten()
            .map(|run| self.run(run, object))
            .collect();
        let mut arrays = text::fit(&converted, self.limits.text, self.limits.rich_text);
        if arrays.len() > max_arrays {
            self.differ(
                DifferenceKind::RichTextSplit,
                object,
                format!(
                    "{} runs, the first {} kept",
                    converted.len(),
                    max_arrays * self.limits.rich_text
                ),
            );
            arrays.truncate(max_arrays);
        }
        arrays
    }

    /// One run in request form.
    fn run(&mut self, run: &Value, object: &str) -> Value {
        let ann = request_annotations(&run["annotations"]);
        let plain = run["plain_text"].as_str().unwrap_or_default();
        let out = match run["type"].as_str().unwrap_or("text") {
            "text" => {
                let content = run["text"]["content"].as_str().unwrap_or(plain);
                let mut link = run["text"]["link"]["url"].as_str();
                if link.is_some_and(|url| utf16_len(url) > self.limits.text) {
                    self.differ(
                        DifferenceKind::LinkDropped,
                        object,
                        content.chars().take(40).collect::<String>(),
                    );
                    link = None;
                }
                text_run(content, link)
            }
            "equation" => {
                let expression = run["equation"]["expression"].as_str().unwrap_or(plain);
                if utf16_len(expression) > self.limits.equation {
                    self.differ(
                        DifferenceKind::EquationAsCode,
                        object,
                        format!("{} characters", expression.chars().count()),
                    );
                    let mut code = text_run(expression, None);
                    code["annotations"] = json!({"code": true});
                    return code;
                }
                json!({"type": "equation", "equation": {"expression": expression}})
            }
            "mention" => self.mention(&run["mention"], plain, object),
            _ => text_run(plain, None),
        };
        with_annotations(out, ann)
    }

    /// A mention in request form, or the text that stands for it.
    fn mention(&mut self, m: &Value, plain: &str, object: &str) -> Value {
        let kind = m["type"].as_str().unwrap_or_default();
        let inner = &m[kind];
        let target = inner["id"].as_str().unwrap_or_default();
        match kind {
            "user" => match self.users.0.get(target) {
                Some(id) => {
                    json!({"type": "mention", "mention": {"type": "user", "user": {"id": id}}})
                }
                None => {
                    self.differ(DifferenceKind::UserNotInWorkspace, object, plain);
                    text_run(plain, None)
                }
            },
            "page" | "database" | "data_source" => {
                let (kind, target) = if kind == "data_source" {
                    let db = self.ds_database.get(target).cloned().unwrap_or_default();
                    if self.uploaded.contains(&db) {
                        self.differ(DifferenceKind::DataSourceMentionAsDatabase, object, plain);
                    }
                    ("database", db)
                } else {
                    (kind, target.to_string())
                };
                if self.uploaded.contains(&target) {
                    json!({"type": "mention", "mention": {"type": kind, kind: {"id": target}}, "plain_text": plain})
                } else {
                    self.differ(
                        DifferenceKind::TargetNotUploaded,
                        object,
                        format!("mention of {target}"),
                    );
                    text_run(plain, None)
                }
            }
            "date" => {
                let mut date = Map::new();
                for key in ["start", "end", "time_zone"] {
                    if !inner[key].is_null() {
                        date.insert(key.into(), inner[key].clone());
                    }
                }
                json!({"type": "mention", "mention": {"type": "date", "date": date}})
            }
            "template_mention" => {
                json!({"type": "mention", "mention": {"type": "template_mention", "template_mention": inner}})
            }
            "link_preview" | "link_mention" => {
                let url = inner["url"]
                    .as_str()
                    .or(inner["href"].as_str())
                    .unwrap_or(plain);
                self.differ(DifferenceKind::LinkMentionAsText, object, url);
                let label = if kind == "link_mention" {
                    inner["title"]
                        .as_str()
                        .filter(|t| !t.is_empty())
                        .unwrap_or(url)
                } else {
                    url
                };
                text_run(
                    label,
                    Some(url).filter(|u| utf16_len(u) <= self.limits.text),
                )
            }
            "custom_emoji" => {
                let name = inner["name"].as_str().map(|n| format!(":{n}:"));
                let label = name.as_deref().unwrap_or(plain);
                self.differ(DifferenceKind::CustomEmojiAsText, object, label);
                text_run(label, None)
            }
            _ => text_run(plain, None),
        }
    }

    /// A file object in request form: external as is, a Notion-hosted file
    /// as an external file without its signature; `None` for none.
    pub(super) fn file(&mut self, f: &Value, object: &str) -> Option<Value> {
        match f["type"].as_str()? {
            "external" => {
                Some(json!({"type": "external", "external": {"url": f["external"]["url"]}}))
            }
            "file" => {
                let url = f["file"]["url"].as_str()?;
                let stable = url.split('?').next().unwrap_or(url);
                self.differ(DifferenceKind::HostedFileAsExternal, object, stable);
                Some(json!({"type": "external", "external": {"url": stable}}))
            }
            other => {
                self.differ(
                    DifferenceKind::HostedFileAsExternal,
                    object,
                    format!("a {other} file, left out"),
                );
                None
            }
        }
    }

    /// An icon in request form.
    pub(super) fn icon(&mut self, icon: &Value, object: &str) -> Option<Value> {
        match icon["type"].as_str()? {
            "emoji" => Some(json!({"type": "emoji", "emoji": icon["emoji"]})),
            "external" | "file" => self.file(icon, object),
            other => {
                self.differ(DifferenceKind::IconDropped, object, other);
                None
            }
        }
    }
}

/// A plain text run in request form.
pub(super) fn text_run(content: &str, link: Option<&str>) -> Value {
    json!({"type": "text", "text": {"content": content, "link": link.map(|url| json!({"url": url}))}})
}

/// The annotations that differ from the default, or `None`.
fn request_annotations(ann: &Value) -> Option<Value> {
    let mut out = Map::new();
    for flag in FLAGS {
        if ann[flag].as_bool() == Some(true) {
            out.insert(flag.into(), json!(true));
        }
    }
    if let Some(color) = ann["color"].as_str().filter(|c| *c != "default") {
        out.insert("color".into(), json!(color));
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

fn with_annotations(mut run: Value, ann: Option<Value>) -> Value {
    if let Some(ann) = ann {
        run["annotations"] = ann;
    }
    run
}
