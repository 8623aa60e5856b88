#![allow(dead_code)]
//! Test helpers: a mock workspace to upload into, a client, a crawl, and the
//! canonical form two crawls are compared in.

use std::collections::HashMap;
use std::time::Duration;

use notion_mock::{COMPUTED_PROPERTY_TYPES, MockConfig, MockServer, Workspace};
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
            CrawlEvent::Page(tree, _) => {
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
        if COMPUTED_PROPERTY_TYPES.contains(&kind.as_str()) {
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

pub use notion_upload::expected::{DatasetFacts, expected_upload};
