#![allow(dead_code)]
//! Test helpers: a mock workspace to upload into, a client, a crawl, and the
//! canonical form two crawls are compared in.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use notion_mock::{MockConfig, MockServer, Workspace};
use notion_source::client::{ClientConfig, NotionClient, RateLimit, RetryPolicy, SecretToken};
use notion_source::crawler::{CrawlConfig, CrawlEvent, Crawler, Root};
use notion_source::model::PageTree;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub const TOKEN: &str = "secret_mock_token";

/// A workspace holding one empty page to upload under, with the kitchen
/// sink's people under other ids (same e-mails: the upload matches them).
pub fn target_workspace() -> Workspace {
    Workspace::from_json(json!({
        "name": "upload-target",
        "users": [
            {"key": "ada", "name": "Ada Lovelace", "email": "ada@example.com"},
            {"key": "grace", "name": "Grace Hopper", "email": "grace@example.com"},
            {"key": "ingest-bot", "name": "Ingest Bot", "type": "bot"}
        ],
        "pages": [{"key": "root", "title": "Upload target"}]
    }))
    .expect("valid target dataset")
}

/// The id of the target's page.
pub fn root_of(ws: &Workspace) -> String {
    ws.page_ids()[0].clone()
}

pub async fn start(ws: Workspace, cfg: MockConfig) -> MockServer {
    MockServer::start(ws, cfg).await.expect("mock starts")
}

/// A fast client for the mock.
pub fn client(server: &MockServer) -> NotionClient {
    let config = ClientConfig {
        base_url: server.url(),
        rate: RateLimit::PerSecond {
            per_second: 10_000.0,
            burst: 100,
        },
        retry: RetryPolicy {
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(50),
            max_attempts: 12,
            ..RetryPolicy::default()
        },
        ..ClientConfig::default()
    };
    NotionClient::new(SecretToken::new(TOKEN), config).expect("client")
}

/// Every page a crawl reads (from `root`, or everything), by page id.
pub async fn crawl(server: &MockServer, root: Option<&str>) -> HashMap<String, PageTree> {
    let config = CrawlConfig {
        roots: root
            .map(|r| vec![Root::Page(r.to_string())])
            .unwrap_or_default(),
        ..CrawlConfig::default()
    };
    let crawler = Crawler::new(client(server), config);
    let (tx, mut rx) = mpsc::channel(8);
    let run = tokio::spawn(crawler.run(tx, CancellationToken::new()));
    let mut trees = HashMap::new();
    while let Some(event) = rx.recv().await {
        match event {
            CrawlEvent::Page(tree) => {
                let id = tree.page.id.clone();
                assert!(
                    trees.insert(id.clone(), *tree).is_none(),
                    "{id} crawled twice"
                );
            }
            CrawlEvent::Failed(f) => panic!("page {} failed: {:?}", f.page.id, f),
            CrawlEvent::Skipped(_) | CrawlEvent::Unchanged(_) => {}
        }
    }
    run.await.unwrap().expect("crawl succeeds");
    trees
}

/// What a crawl of the dataset itself reads.
pub async fn crawl_dataset(dataset: &Workspace) -> HashMap<String, PageTree> {
    let source = start(dataset.clone(), MockConfig::unlimited()).await;
    let original = crawl(&source, None).await;
    source.stop().await;
    original
}

/// Crawls the upload and compares every page of `original` (a crawl of the
/// dataset) with its upload, by the documented rules; no page is missing or
/// extra (the parent page aside).
pub async fn assert_uploaded_as_crawled(
    original: &HashMap<String, PageTree>,
    dataset: &Workspace,
    server: &MockServer,
    report: &notion_upload::UploadReport,
) {
    let uploaded = crawl(server, None).await;
    assert_eq!(
        uploaded.len(),
        original.len() + 1,
        "every crawled page once, and the parent"
    );
    let to_dataset: HashMap<String, String> = report
        .ids
        .iter()
        .map(|(k, v)| (v.clone(), k.clone()))
        .collect();
    let identity: HashMap<String, String> =
        report.ids.keys().map(|k| (k.clone(), k.clone())).collect();
    let facts = DatasetFacts::of(dataset);
    for (id, tree) in original {
        let notion_id = report
            .ids
            .get(id)
            .unwrap_or_else(|| panic!("{} not uploaded", tree.page.title()));
        let got = canonical(&uploaded[notion_id], &to_dataset);
        let want = canonical(&expected_upload(tree, &facts), &identity);
        assert_same(&tree.page.title(), &got, &want);
    }
}

/// Panics with the first lines where two canonical pages differ.
pub fn assert_same(title: &str, got: &Value, want: &Value) {
    if got != want {
        let (g, w) = (
            serde_json::to_string_pretty(got).unwrap(),
            serde_json::to_string_pretty(want).unwrap(),
        );
        let first = g
            .lines()
            .zip(w.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        let context = |s: &str| {
            s.lines()
                .skip(first.saturating_sub(6))
                .take(20)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "page {title:?} differs at line {first}:\n--- uploaded\n{}\n--- expected\n{}",
            context(&g),
            context(&w)
        );
    }
}

/// Statuses the mock answered, other than 200.
pub fn refusals(server: &MockServer) -> Vec<(u16, u64)> {
    server
        .stats()
        .per_status
        .into_iter()
        .filter(|(status, _)| *status != 200)
        .collect()
}

/// A crawled page in a form two uploads of the same content share: ids of
/// pages, databases and synced originals mapped through `ids` (to dataset
/// ids), block ids, times, authors, URLs, option and property ids dropped,
/// users by name, adjacent text runs with the same formatting merged (Notion
/// may split or join them), values Notion computes left out.
pub fn canonical(tree: &PageTree, ids: &HashMap<String, String>) -> Value {
    let mut page = serde_json::to_value(&tree.page).unwrap();
    let blocks = serde_json::to_value(&tree.blocks).unwrap();
    let mut props = Map::new();
    for (name, prop) in page["properties"].as_object_mut().into_iter().flatten() {
        let kind = prop["type"].as_str().unwrap_or_default().to_string();
        if COMPUTED.contains(&kind.as_str()) {
            continue;
        }
        let mut value = prop[&kind].take();
        if kind == "verification" {
            value["verified_by"] = Value::Null;
        }
        props.insert(name.clone(), value);
    }
    let mut out = json!({
        "icon": page["icon"], "cover": page["cover"], "properties": props, "blocks": blocks,
    });
    clean(&mut out, ids);
    out
}

/// Property types whose values Notion computes.
const COMPUTED: &[&str] = &[
    "formula",
    "rollup",
    "created_time",
    "created_by",
    "last_edited_time",
    "last_edited_by",
    "unique_id",
    "button",
];

/// Keys that differ between any two copies of the same content.
const DROPPED: &[&str] = &[
    "id",
    "parent",
    "created_time",
    "last_edited_time",
    "created_by",
    "last_edited_by",
    "has_children",
    "archived",
    "in_trash",
    "object",
    "url",
    "public_url",
    "request_id",
    "expiry_time",
    "has_more",
];

fn clean(v: &mut Value, ids: &HashMap<String, String>) {
    match v {
        Value::Object(map) => {
            // References: mapped, kept under a neutral key.
            for key in ["page_id", "database_id", "block_id", "data_source_id"] {
                if let Some(Value::String(id)) = map.get(key) {
                    let mapped = ids
                        .get(id)
                        .cloned()
                        .unwrap_or_else(|| format!("unmapped {id}"));
                    map.insert(key.into(), json!(mapped));
                }
            }
            let is_user = map.get("object").and_then(Value::as_str) == Some("user")
                || (map.contains_key("person") && map.contains_key("name"));
            if is_user {
                let name = map.get("name").cloned().unwrap_or(Value::Null);
                map.clear();
                map.insert("user".into(), name);
                return;
            }
            let mention_kind = map
                .get("type")
                .and_then(Value::as_str)
                .filter(|t| matches!(*t, "page" | "database" | "data_source"))
                .map(str::to_string);
            let ref_id = mention_kind
                .as_ref()
                .and_then(|kind| map.get(kind))
                .and_then(|inner| inner["id"].as_str())
                .map(str::to_string);
            for key in DROPPED {
                map.remove(*key);
            }
            if let (Some(kind), Some(id)) = (mention_kind, ref_id) {
                let mapped = ids
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| format!("unmapped {id}"));
                map.insert(kind, json!({"target": mapped}));
            }
            // A text run's href is its link; a mention's is a URL of the workspace.
            if map.get("type").and_then(Value::as_str) == Some("mention") {
                map.remove("href");
            }
            map.retain(|_, v| !v.is_null());
            // A page known only from its `child_page` block gets a title run
            // with an empty colour from the crawler: the default.
            if map.get("color").and_then(Value::as_str) == Some("") {
                map.insert("color".into(), json!("default"));
            }
            for value in map.values_mut() {
                clean(value, ids);
            }
            for key in ["rich_text", "caption", "title"] {
                if let Some(Value::Array(runs)) = map.get_mut(key) {
                    merge_runs(runs);
                }
            }
            if let Some(Value::Array(cells)) = map.get_mut("cells") {
                for cell in cells.iter_mut() {
                    if let Value::Array(runs) = cell {
                        merge_runs(runs);
                    }
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|x| clean(x, ids)),
        _ => {}
    }
}

/// Adjacent text runs with the same formatting and link, merged.
fn merge_runs(runs: &mut Vec<Value>) {
    let mut out: Vec<Value> = Vec::new();
    for run in runs.drain(..) {
        if let Some(last) = out.last_mut()
            && last["type"] == "text"
            && run["type"] == "text"
            && last["annotations"] == run["annotations"]
            && last["text"]["link"] == run["text"]["link"]
        {
            let content = format!(
                "{}{}",
                last["text"]["content"].as_str().unwrap_or_default(),
                run["text"]["content"].as_str().unwrap_or_default()
            );
            last["text"]["content"] = json!(content);
            last["plain_text"] = json!(content);
            continue;
        }
        out.push(run);
    }
    *runs = out;
}

/// Ids of the dataset's pages, databases and data sources that a crawl of it
/// reads, and of its databases' data sources (`ds → db`).
pub struct DatasetFacts {
    pub uploaded: HashSet<String>,
    pub ds_database: HashMap<String, String>,
    pub titles: HashMap<String, String>,
}

impl DatasetFacts {
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
                    let db_id = db["id"].as_str().unwrap().to_string();
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
                        facts
                            .ds_database
                            .insert(ds["id"].as_str().unwrap().to_string(), db_id.clone());
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
    let mut page = serde_json::to_value(&tree.page).unwrap();
    let mut blocks = serde_json::to_value(&tree.blocks).unwrap();
    rewrite(&mut page, facts);
    let mut top = Vec::new();
    for mut block in blocks.as_array_mut().unwrap().drain(..) {
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
    for block in top.as_array().unwrap() {
        if let Err(e) = serde_json::from_value::<notion_source::model::Block>(block.clone()) {
            panic!("{e}: {}", serde_json::to_string(block).unwrap());
        }
    }
    serde_json::from_value(json!({"page": page, "blocks": top})).expect("rewritten tree parses")
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
            *child = json!({"id": format!("{}/link", id.as_str().unwrap()), "type": "link_to_page",
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
            block.as_object_mut().unwrap().remove("link_preview");
        }
        "meeting_notes" | "transcription" => {
            let title = block[&kind]["title"].clone();
            block["type"] = json!("toggle");
            block["toggle"] = json!({"rich_text": title, "color": "default"});
            block.as_object_mut().unwrap().remove(&kind);
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
                let stable = url.split('?').next().unwrap().to_string();
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
                        mention["link_preview"]["url"].as_str().unwrap(),
                        mention["link_preview"]["url"].as_str(),
                    )),
                    "link_mention" => {
                        let href = mention["link_mention"]["href"].as_str().unwrap();
                        Some(text(
                            mention["link_mention"]["title"].as_str().unwrap_or(href),
                            Some(href),
                        ))
                    }
                    "custom_emoji" => Some(text(
                        &format!(":{}:", mention["custom_emoji"]["name"].as_str().unwrap()),
                        None,
                    )),
                    "data_source" => {
                        let db = facts.ds_database[mention["data_source"]["id"].as_str().unwrap()]
                            .clone();
                        let mut run = Value::Object(map.clone());
                        run["mention"] = json!({"type": "database", "database": {"id": db}});
                        run["plain_text"] = json!(facts.titles[&db]);
                        Some(run)
                    }
                    "page" | "database"
                        if !facts
                            .uploaded
                            .contains(mention[kind]["id"].as_str().unwrap()) =>
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
