//! Lost answers, reruns and state files: an upload never creates anything twice.

use notion_mock::{Faults, MockConfig, Workspace};
use notion_upload::{UploadError, UploadOptions, upload};

use crate::common::*;

#[tokio::test]
async fn lost_answers_and_server_errors_are_checked_before_a_write_is_sent_again() {
    let dataset = Workspace::kitchen_sink();
    let original = crawl_dataset(&dataset).await;
    let target = target_workspace();
    let root = root_of(&target);
    let cfg = MockConfig {
        faults: Faults {
            error_rate: 0.1,
            drop_rate: 0.05,
            seed: 18,
        },
        ..MockConfig::unlimited()
    };
    let server = start(target, cfg).await;
    let dir = tempfile::tempdir().unwrap();
    let report = upload(
        &client(&server),
        &dataset,
        &root,
        &dir.path().join("s.json"),
        &UploadOptions::default(),
    )
    .await
    .expect("the upload gets through the faults");
    let stats = server.stats();
    assert!(
        stats.dropped > 0 && stats.per_status.keys().any(|s| *s >= 500),
        "faults were injected: {stats:?}"
    );
    assert!(
        stats.per_status.keys().all(|s| *s == 200 || *s >= 500),
        "only injected faults, no refusal: {:?}",
        stats.per_status
    );
    let plan =
        notion_upload::plan_summary(&dataset, &notion_upload::WriteLimits::default()).unwrap();
    assert!(
        report.requests.writes as usize > plan.writes,
        "some writes were sent again after a check"
    );
    // No page, block or row twice: the upload reads back as the dataset.
    let calm = {
        let ws = server.workspace();
        start(ws, MockConfig::unlimited()).await
    };
    assert_uploaded_as_crawled(&original, &dataset, &calm, &report).await;
    server.stop().await;
}

#[tokio::test]
async fn a_finished_upload_run_again_writes_nothing_and_another_upload_needs_its_own_state() {
    let dataset = Workspace::kitchen_sink();
    let target = target_workspace();
    let root = root_of(&target);
    let server = start(target, MockConfig::unlimited()).await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.json");
    let client = client(&server);
    let first = upload(&client, &dataset, &root, &state, &UploadOptions::default())
        .await
        .unwrap();
    let again = upload(&client, &dataset, &root, &state, &UploadOptions::default())
        .await
        .unwrap();
    assert_eq!(again.resumed_at, Some(first.steps));
    assert_eq!((again.requests.writes, again.requests.reads), (0, 0));
    assert_eq!(again.ids, first.ids);

    // The same state file for another parent page (or dataset) is refused.
    let other = server
        .workspace()
        .page_ids()
        .into_iter()
        .find(|p| *p != root)
        .unwrap();
    let refused = upload(&client, &dataset, &other, &state, &UploadOptions::default()).await;
    assert!(
        matches!(refused, Err(UploadError::StateMismatch { .. })),
        "{refused:?}"
    );
    // A page that does not exist is a clear error, and nothing is written.
    let before = server.stats().per_endpoint.get("POST /v1/pages").copied();
    let missing = upload(
        &client,
        &dataset,
        "0123456789abcdef0123456789abcdef",
        &dir.path().join("t.json"),
        &UploadOptions::default(),
    )
    .await;
    match missing {
        Err(UploadError::Parent { source, .. }) => assert_eq!(source.status(), Some(404)),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        server.stats().per_endpoint.get("POST /v1/pages").copied(),
        before
    );
    server.stop().await;
}
