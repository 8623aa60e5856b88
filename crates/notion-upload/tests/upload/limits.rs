//! A dataset built to cross every write limit: each request the uploader
//! sends passes the mock's validation, and the content comes back whole.

use std::collections::HashMap;

use notion_mock::{MockConfig, Workspace};
use notion_upload::{
    DifferenceKind, UploadOptions, WriteLimits, min_requests, plan_summary, upload,
};
use serde_json::json;

use crate::common::*;

/// Pages that each cross a limit.
fn stress() -> Workspace {
    let long_link = format!("https://example.com/{}", "p".repeat(1970));
    let chain = json!({"toggle": "1", "children": [{"toggle": "2", "children": [{"toggle": "3", "children": [
        {"toggle": "4", "children": [{"toggle": "5", "children": [{"toggle": "6", "children": [
            {"toggle": "7", "children": [{"toggle": "8", "children": [{"toggle": "9", "children": [
                {"paragraph": "10"}]}]}]}]}]}]}]}]}]});
    let columns_inside = json!({"toggle": "Columns inside", "children": [{"toggle": "deeper", "children": [
        {"column_list": {}, "children": [
            {"column": {}, "children": [{"bulleted_list_item": "a", "children": [
                {"bulleted_list_item": "b", "children": [{"bulleted_list_item": "c"}]}]}]},
            {"column": {}, "children": [{"paragraph": "d"}]}
        ]},
        {"table": {"rows": [["x", "y"]]}}
    ]}]});
    let wide = json!([
        {"repeat": 250, "each": {"paragraph": "Line {i}"}},
        {"toggle": "A toggle of 150", "children": [{"repeat": 150, "each": {"paragraph": "Child {i}"}}]},
        {"table": {"has_column_header": true, "rows": [{"repeat": 150, "each": ["a{i}", "b{i}", "c{i}"]}]}},
        {"column_list": {}, "children": [
            {"column": {}, "children": [{"repeat": 120, "each": {"paragraph": "Left {i}"}}]},
            {"column": {}, "children": [{"repeat": 120, "each": {"paragraph": "Right {i}"}}]}
        ]}
    ]);
    let texts = json!([
        {"paragraph": [{"text": "L".repeat(5000), "bold": true}, {"text": " and a long link", "link": long_link}]},
        {"code": {"language": "rust", "text": "x".repeat(6000), "caption": "c".repeat(2500)}},
        {"equation": "y".repeat(1000)},
        {"heading_2": "🚀".repeat(3000)},
        {"table": {"rows": [[[{"text": "z".repeat(4100), "italic": true}], "short"]]}}
    ]);
    let nested_original = json!([
        {"toggle": "Holder", "children": [
            {"synced_block": null, "key": "nested-original", "children": [
                {"paragraph": "Synced text."},
                {"toggle": "Synced toggle", "children": [{"paragraph": "Deep in the sync."}]}
            ]}
        ]},
        {"paragraph": [{"text": "A mention of a later page: "}, {"mention": {"page": "later"}}]},
        {"link_to_page": "later"}
    ]);
    let runs = json!([
        {"paragraph": [{"repeat": 75, "items": [{"text": "plain {i} "}, {"text": "bold {i} ", "bold": true}]}],
         "children": [{"paragraph": "Under the many runs."}]}
    ]);
    let heavy = json!([
        {"repeat": 4, "each": {"toggle": "Heavy {i}", "children": [
            {"repeat": 100, "as": "j", "each": {"paragraph": "w".repeat(1900)}}]}}
    ]);
    let pages = json!([
        {"key": "copy-first", "title": "A copy before its original", "blocks": [
            {"paragraph": "The original is on a later page."},
            {"synced_block": {"from": "nested-original"}}
        ]},
        {"key": "wide", "title": "Wide", "blocks": wide},
        {"key": "deep", "title": "Deep", "blocks": [chain, columns_inside]},
        {"key": "texts", "title": "Long texts", "blocks": texts},
        {"key": "heavy", "title": "Heavy", "blocks": heavy},
        {"key": "nested-original-page", "title": "A nested original", "blocks": nested_original},
        {"key": "copy-after", "title": "A copy after its original", "blocks": [{"synced_block": {"from": "nested-original"}}]},
        {"key": "runs", "title": "Many runs", "blocks": runs},
        {"key": "later", "title": "Later", "blocks": [{"paragraph": "Created after the pages that point here."}]}
    ]);
    Workspace::from_json(json!({
        "name": "stress",
        "users": [{"key": "ada", "name": "Ada Lovelace", "email": "ada@example.com"}],
        "pages": pages,
    }))
    .expect("valid stress dataset")
}

#[tokio::test]
async fn every_limit_is_respected_and_the_content_comes_back() {
    let dataset = stress();
    let limits = WriteLimits::default();
    let original = crawl_dataset(&dataset).await;

    let target = target_workspace();
    let root = root_of(&target);
    let server = start(target, MockConfig::unlimited()).await;
    let dir = tempfile::tempdir().unwrap();
    let report = upload(
        &client(&server),
        &dataset,
        &root,
        &dir.path().join("s.json"),
        &UploadOptions::default(),
    )
    .await
    .expect("upload succeeds");
    assert_eq!(
        refusals(&server),
        vec![],
        "every request passed the mock's validation"
    );

    let plan = plan_summary(&dataset, &limits).unwrap();
    assert_eq!(
        report.requests.writes as usize, plan.writes,
        "the run sent the plan's writes"
    );
    assert!(plan.writes >= min_requests(&dataset, &limits).total);

    let kinds = |kind| report.differences.iter().filter(|d| d.kind == kind).count();
    assert_eq!(
        kinds(DifferenceKind::SyncedCopyUnsynced),
        1,
        "{:?}",
        report.differences
    );
    assert_eq!(
        kinds(DifferenceKind::RichTextSplit),
        1,
        "the paragraph of 150 runs"
    );
    assert_eq!(kinds(DifferenceKind::LinkDropped), 0);

    let uploaded = crawl(&server, None).await;
    let to_dataset: HashMap<String, String> = report
        .ids
        .iter()
        .map(|(k, v)| (v.clone(), k.clone()))
        .collect();
    let identity: HashMap<String, String> =
        report.ids.keys().map(|k| (k.clone(), k.clone())).collect();
    let facts = DatasetFacts::of(&dataset);
    let copy_first = original
        .values()
        .find(|t| t.page.title() == "A copy before its original")
        .unwrap()
        .page
        .id
        .clone();
    let runs_page = original
        .values()
        .find(|t| t.page.title() == "Many runs")
        .unwrap()
        .page
        .id
        .clone();
    let caption_page = original
        .values()
        .find(|t| t.page.title() == "Long texts")
        .unwrap()
        .page
        .id
        .clone();
    for (id, tree) in &original {
        let got = canonical(&uploaded[&report.ids[id]], &to_dataset);
        let mut want = canonical(&expected_upload(tree, &facts), &identity);
        if *id == copy_first {
            // Written as an original holding the same content.
            want["blocks"][1]["synced_block"] = json!({});
        }
        if *id == runs_page {
            // 150 runs of alternating formatting: two paragraphs of 100 and 50, children under the last.
            let runs = want["blocks"][0]["paragraph"]["rich_text"]
                .as_array()
                .unwrap()
                .clone();
            let children = want["blocks"][0]["children"].clone();
            want["blocks"] = json!([
                {"type": "paragraph", "paragraph": {"rich_text": runs[..100], "color": "default"}},
                {"type": "paragraph", "paragraph": {"rich_text": runs[100..], "color": "default"}, "children": children},
            ]);
        }
        if *id == caption_page {
            // A caption is one array: its first 100 runs of at most 2,000 characters (the whole 2,500 here).
            assert_eq!(
                got["blocks"][1]["code"]["caption"][0]["text"]["content"]
                    .as_str()
                    .unwrap()
                    .len(),
                2500
            );
            assert_eq!(
                got["blocks"][1]["code"]["rich_text"][0]["text"]["content"]
                    .as_str()
                    .unwrap()
                    .len(),
                6000
            );
        }
        assert_same(&tree.page.title(), &got, &want);
    }
    server.stop().await;
}
