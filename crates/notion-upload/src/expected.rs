//! What a crawl of an upload should read: a crawl of the dataset (a
//! [`PageTree`] per page, as the mock serves the dataset) rewritten by the
//! documented rules of what the API cannot write as it is
//! ([`DifferenceKind`](crate::DifferenceKind)): hosted files as external
//! ones, link previews as bookmarks, meeting notes as toggles, blocks the
//! API cannot create left out, pages and databases nested in blocks lifted
//! onto their page with a link in their place, mentions the API cannot
//! create as text, list formats dropped.
//!
//! The self-test compares what it crawls back with this; the upload's
//! round-trip tests compare with it too.

use std::collections::{HashMap, HashSet};

use notion_mock::Workspace;
use notion_source::model::PageTree;
use serde_json::{Value, json};

/// Ids of the dataset's pages, databases and data sources that a crawl of it
/// reads, and of its databases' data sources (`ds → db`).
#[derive(Debug, Clone, Default)]
pub struct DatasetFacts {
    /// Pages and shared databases a crawl of the dataset reads.
    pub uploaded: HashSet<String>,
    /// Data source id → its database's id.
    pub ds_database: HashMap<String, String>,
    /// Database id → its title.
    pub titles: HashMap<String, String>,
}

impl DatasetFacts {
    /// The facts of `ws`.
    pub fn of(ws: &Workspace) -> DatasetFacts {
        let doc = ws.to_json();
        let mut facts = DatasetFacts {
            uploaded: ws.page_ids().into_iter().collect(),
            ds_database: HashMap::new(),
            titles: HashMap::new(),
        };
        fn walk(blocks: &Value, facts: &mut DatasetFacts) {
            for block in blocks.as_array().into_iter().flatten() {
                if let Some(page) = block.get("child_page") {
                    walk(&page["blocks"], facts);
                } else if let Some(db) = block.get("child_database") {
                    let db_id = db["id"].as_str().unwrap_or_default().to_string();
                    if db["shared"] != false {
                        facts.uploaded.insert(db_id.clone());
                    }
                    let title: String = db["title"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|r| r["plain_text"].as_str())
                        .collect();
                    facts.titles.insert(db_id.clone(), title);
                    for ds in db["data_sources"].as_array().into_iter().flatten() {
                        facts.ds_database.insert(str_of(&ds["id"]), db_id.clone());
                        for row in ds["rows"].as_array().into_iter().flatten() {
                            walk(&row["blocks"], facts);
                        }
                    }
                } else {
                    walk(&block["children"], facts);
                }
            }
        }
        for page in doc["pages"].as_array().into_iter().flatten() {
            walk(&page["blocks"], &mut facts);
        }
        facts
    }
}

/// The expected upload of a crawled dataset page, by the documented rules of
/// what the API cannot write (see `DifferenceKind`): applied to the page's
/// JSON before [`canonical`].
pub fn expected_upload(tree: &PageTree, facts: &DatasetFacts) -> PageTree {
    let mut page = serde_json::to_value(&tree.page).unwrap_or_default();
    let blocks = serde_json::to_value(&tree.blocks).unwrap_or_default();
    rewrite(&mut page, facts);
    let mut top = Vec::new();
    for mut block in array(blocks) {
        let mut lifted = Vec::new();
        if let Some(children) = block.get_mut("children").and_then(Value::as_array_mut) {
            lift(children, &mut lifted);
        }
        if let Some(kept) = rewrite_block(block, facts) {
            top.push(kept);
        }
        top.extend(lifted);
    }
    let mut top = Value::Array(top);
    rewrite(&mut top, facts);
    match serde_json::from_value(json!({"page": page, "blocks": top})) {
        Ok(tree) => tree,
        // Only values read from a `PageTree` are rewritten, into shapes the
        // model reads: this cannot happen; the tree as crawled is the closest.
        Err(_) => tree.clone(),
    }
}

/// Child pages and databases nested in blocks go up (a link stays).
fn lift(children: &mut [Value], lifted: &mut Vec<Value>) {
    for child in children.iter_mut() {
        let kind = child["type"].as_str().unwrap_or_default().to_string();
        if kind == "child_page" || kind == "child_database" {
            let field = if kind == "child_page" {
                "page_id"
            } else {
                "database_id"
            };
            let id = child["id"].clone();
            lifted.push(child.clone());
            *child = json!({"id": format!("{}/link", str_of(&id)), "type": "link_to_page",
                "link_to_page": {"type": field, field: id}, "has_children": false, "children": []});
            continue;
        }
        if let Some(grand) = child.get_mut("children").and_then(Value::as_array_mut) {
            lift(grand, lifted);
        }
    }
}

/// A block as the upload writes it; `None` when it cannot be written.
fn rewrite_block(mut block: Value, facts: &DatasetFacts) -> Option<Value> {
    let kind = block["type"].as_str().unwrap_or_default().to_string();
    match kind.as_str() {
        "unsupported" | "hologram" => return None,
        "link_preview" => {
            let url = block["link_preview"]["url"].clone();
            block["type"] = json!("bookmark");
            block["bookmark"] = json!({"url": url, "caption": []});
            remove(&mut block, "link_preview");
        }
        "meeting_notes" | "transcription" => {
            let title = block[&kind]["title"].clone();
            block["type"] = json!("toggle");
            block["toggle"] = json!({"rich_text": title, "color": "default"});
            remove(&mut block, &kind);
        }
        "numbered_list_item" => {
            block[&kind]["list_start_index"] = Value::Null;
            block[&kind]["list_format"] = Value::Null;
        }
        "link_to_page" => {
            let target = block[&kind]["page_id"]
                .as_str()
                .or(block[&kind]["database_id"].as_str())
                .unwrap_or_default();
            if !facts.uploaded.contains(target) {
                return None;
            }
        }
        _ => {}
    }
    if let Some(children) = block.get_mut("children").and_then(Value::as_array_mut) {
        let kept: Vec<Value> = children
            .drain(..)
            .filter_map(|c| rewrite_block(c, facts))
            .collect();
        *children = kept;
    }
    Some(block)
}

/// Hosted files, mentions the API cannot create, in any JSON.
fn rewrite(v: &mut Value, facts: &DatasetFacts) {
    match v {
        Value::Object(map) => {
            if map.get("type").and_then(Value::as_str) == Some("file")
                && let Some(url) = map.get("file").and_then(|f| f["url"].as_str())
            {
                let stable = url.split('?').next().unwrap_or(url).to_string();
                map.remove("file");
                map.insert("type".into(), json!("external"));
                map.insert("external".into(), json!({"url": stable}));
            }
            if map.get("type").and_then(Value::as_str) == Some("mention") {
                let annotations = map["annotations"].clone();
                let plain = map["plain_text"].as_str().unwrap_or_default().to_string();
                let mention = map["mention"].clone();
                let kind = mention["type"].as_str().unwrap_or_default();
                let text = |content: &str, link: Option<&str>| {
                    json!({"type": "text", "text": {"content": content, "link": link.map(|u| json!({"url": u}))},
                        "annotations": annotations, "plain_text": content, "href": link})
                };
                let replaced = match kind {
                    "link_preview" => Some(text(
                        mention["link_preview"]["url"].as_str().unwrap_or_default(),
                        mention["link_preview"]["url"].as_str(),
                    )),
                    "link_mention" => {
                        let href = mention["link_mention"]["href"].as_str().unwrap_or_default();
                        Some(text(
                            mention["link_mention"]["title"].as_str().unwrap_or(href),
                            Some(href),
                        ))
                    }
                    "custom_emoji" => Some(text(
                        &format!(":{}:", str_of(&mention["custom_emoji"]["name"])),
                        None,
                    )),
                    "data_source" => {
                        let ds = str_of(&mention["data_source"]["id"]);
                        facts.ds_database.get(&ds).map(|db| {
                            let mut run = Value::Object(map.clone());
                            run["mention"] = json!({"type": "database", "database": {"id": db}});
                            run["plain_text"] =
                                json!(facts.titles.get(db).cloned().unwrap_or_default());
                            run
                        })
                    }
                    "page" | "database"
                        if !facts.uploaded.contains(&str_of(&mention[kind]["id"])) =>
                    {
                        Some(text(&plain, None))
                    }
                    _ => None,
                };
                if let Some(run) = replaced {
                    *v = run;
                    return;
                }
            }
            map.values_mut().for_each(|x| rewrite(x, facts));
        }
        Value::Array(items) => items.iter_mut().for_each(|x| rewrite(x, facts)),
        _ => {}
    }
}

/// A JSON string's text ("" when it is not a string).
fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// The items of a JSON array (none when it is not one).
fn array(v: Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items,
        _ => Vec::new(),
    }
}

/// Removes a key from a JSON object.
fn remove(v: &mut Value, key: &str) {
    if let Some(map) = v.as_object_mut() {
        map.remove(key);
    }
}
