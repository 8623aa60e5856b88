//! Uploading a dataset and crawling it back gives the dataset's pages, as a
//! crawl of the dataset itself reads them, but for the documented differences.

use std::collections::HashMap;

use notion_mock::{MockConfig, Workspace};
use notion_upload::{UploadOptions, upload};
use serde_json::Value;

use crate::common::*;

#[tokio::test]
async fn the_kitchen_sink_uploads_and_crawls_back_as_its_own_crawl_reads() {
    let dataset = Workspace::kitchen_sink();
    let source = start(dataset.clone(), MockConfig::unlimited()).await;
    let original = crawl(&source, None).await;
    source.stop().await;

    let target = target_workspace();
    let root = root_of(&target);
    let server = start(target, MockConfig::unlimited()).await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("upload.json");
    let report = upload(
        &client(&server),
        &dataset,
        &root,
        &state,
        &UploadOptions::default(),
    )
    .await
    .expect("upload succeeds");
    assert_eq!(
        refusals(&server),
        vec![],
        "every request passed the mock's validation"
    );

    let uploaded = crawl(&server, None).await;
    let to_dataset: HashMap<String, String> = report
        .ids
        .iter()
        .map(|(k, v)| (v.clone(), k.clone()))
        .collect();
    let identity: HashMap<String, String> =
        report.ids.keys().map(|k| (k.clone(), k.clone())).collect();
    let facts = DatasetFacts::of(&dataset);
    assert_eq!(
        uploaded.len(),
        original.len() + 1,
        "every crawled page, and the parent"
    );
    for (id, tree) in &original {
        let notion_id = report
            .ids
            .get(id)
            .unwrap_or_else(|| panic!("{} not uploaded", tree.page.title()));
        let got = canonical(&uploaded[notion_id], &to_dataset);
        let want = canonical(&expected_upload(tree, &facts), &identity);
        if got != want {
            let (g, w) = (
                serde_json::to_string_pretty(&got).unwrap(),
                serde_json::to_string_pretty(&want).unwrap(),
            );
            let first = g
                .lines()
                .zip(w.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            let context = |s: &str| {
                s.lines()
                    .skip(first.saturating_sub(8))
                    .take(24)
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            panic!(
                "page {:?} differs at line {first}:\n--- uploaded\n{}\n--- expected\n{}",
                tree.page.title(),
                context(&g),
                context(&w)
            );
        }
    }
    let _ = Value::Null;
    server.stop().await;
}
