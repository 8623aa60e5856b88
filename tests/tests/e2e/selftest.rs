//! `notion-ingest upload` and `notion-ingest selftest` through the binary,
//! against the mock over HTTP: a faithful Notion passes, one that loses a
//! block type on the way back fails naming it, a bad parent sends nothing.

use std::process::{Command, Output};

use notion_mock::{MockConfig, MockServer, Workspace};
use serde_json::{Value, json};

use crate::support::*;

/// A workspace holding one empty page to write under, with the kitchen
/// sink's people (same e-mails, other ids: the upload matches them).
fn target() -> (Workspace, String) {
    let ws = Workspace::from_json(json!({
        "name": "selftest-target",
        "users": [
            {"key": "ada", "name": "Ada Lovelace", "email": "ada@example.com"},
            {"key": "grace", "name": "Grace Hopper", "email": "grace@example.com"},
            {"key": "ingest-bot", "name": "Ingest Bot", "type": "bot"}
        ],
        "pages": [{"key": "root", "title": "Selftest target"}]
    }))
    .expect("valid target dataset");
    let root = ws.page_ids()[0].clone();
    (ws, root)
}

/// Runs the binary against `server` with the fast flags.
fn notion_ingest(server: &MockServer, args: &[&str]) -> Output {
    Command::new(binary())
        .args(args)
        .args(["--api-url", &server.url(), "--rate", "1000"])
        .env("NOTION_TOKEN", TOKEN)
        .output()
        .unwrap()
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {}\nstderr {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Statuses the mock answered other than 200.
fn refusals(server: &MockServer) -> Vec<(u16, u64)> {
    server
        .stats()
        .per_status
        .into_iter()
        .filter(|(status, _)| *status != 200)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selftest_against_a_faithful_notion_exits_0_and_trashes_the_upload() {
    let (ws, root) = target();
    let server = MockServer::start(ws, MockConfig::unlimited())
        .await
        .unwrap();
    let output = notion_ingest(&server, &["selftest", "--json", "--parent", &root]);
    let report = json_of(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "failures: {:#}",
        report["failures"]
    );
    assert_eq!(report["faithful"], true);
    assert_eq!(report["failures"], json!([]));
    let pages = report["pages_expected"].as_u64().unwrap();
    assert!(pages > 10, "{report:#}");
    assert_eq!(report["pages_found"], pages);
    assert_eq!(report["texts_found"], report["texts_checked"]);
    assert!(report["texts_checked"].as_u64().unwrap() > 100);
    assert!(report["properties_checked"].as_u64().unwrap() > 10);
    // The mock changes nothing but ids, times and URLs: the Markdown of
    // every page is the dataset's as uploaded, ids and URLs aside.
    assert_eq!(report["markdown_identical"], pages, "{report:#}");
    let kinds: Vec<&str> = report["notion_differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert!(!kinds.contains(&"rich_text"), "{kinds:?}");
    for (kind, count) in report["block_types"].as_object().unwrap() {
        assert_eq!(count["found"], count["expected"], "{kind}");
    }
    assert!(report["block_types"].as_object().unwrap().len() > 25);
    assert_eq!(report["cleanup"]["status"], "trashed");
    assert_eq!(refusals(&server), vec![], "every request was valid");
    let requests = &report["requests"];
    assert_eq!(requests["total"], server.stats().total, "{requests:#}");
    eprintln!(
        "selftest against the mock: {requests} in {} s",
        report["seconds"]
    );

    // Only the parent page is left to crawl: the upload is in the trash.
    let out = tempfile::tempdir().unwrap();
    let after = run_pipeline(&server, config(out.path())).await;
    assert_eq!(
        pages_of(out.path()),
        vec!["Selftest target".to_string()],
        "{after:?}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selftest_against_a_notion_that_drops_a_block_type_fails_naming_it() {
    let (ws, root) = target();
    let config = MockConfig {
        drop_block_types: vec!["callout".to_string()],
        ..MockConfig::unlimited()
    };
    let server = MockServer::start(ws, config).await.unwrap();
    let output = notion_ingest(&server, &["selftest", "--parent", &root, "--keep"]);
    server.stop().await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(9), "{stdout}\n{stderr}");
    assert!(stdout.contains("NOT FAITHFUL"), "{stdout}");
    assert!(
        stdout.contains("BlockType: callout: "),
        "the report names the type lost: {stdout}"
    );
    assert!(stdout.contains("MissingText"), "{stdout}");
    assert!(stdout.contains("kept under the parent page"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_parent_exits_2_without_a_request() {
    let (ws, _) = target();
    let server = MockServer::start(ws, MockConfig::unlimited())
        .await
        .unwrap();
    for command in ["selftest", "upload"] {
        let output = notion_ingest(&server, &[command, "--parent", "not-a-page"]);
        assert_eq!(output.status.code(), Some(2), "{command}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("not a Notion page id or URL"), "{stderr}");
    }
    assert_eq!(server.stats().total, 0, "no request was sent");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_writes_the_kitchen_sink_and_running_it_again_writes_nothing() {
    let (ws, root) = target();
    let server = MockServer::start(ws, MockConfig::unlimited())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.jsonl");
    let state = state.to_str().unwrap();
    let args = ["upload", "--json", "--parent", &root, "--state", state];
    let first = notion_ingest(&server, &args);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let report = json_of(&first);
    assert_eq!(refusals(&server), vec![], "every request was valid");
    let writes = report["requests"]["writes"].as_u64().unwrap();
    assert!(writes > 20, "{report:#}");
    let pages = report["pages"].as_array().unwrap().len();

    // A crawl finds every uploaded page under the parent.
    let out = tempfile::tempdir().unwrap();
    run_pipeline(&server, config(out.path())).await;
    assert_eq!(pages_of(out.path()).len(), pages + 1);

    let again = json_of(&notion_ingest(&server, &args));
    assert_eq!(again["requests"]["writes"], 0, "nothing is written twice");
    assert_eq!(again["ids"], report["ids"]);
    server.stop().await;
}

/// Titles of the pages of the published snapshot in `out`, sorted.
fn pages_of(out: &std::path::Path) -> Vec<String> {
    let mut titles: Vec<String> = pages(out)
        .into_iter()
        .filter(|p| p.status == sink::PageStatus::Ok)
        .map(|p| p.title.unwrap_or_default())
        .collect();
    titles.sort();
    titles
}
