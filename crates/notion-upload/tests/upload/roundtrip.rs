//! Uploading a dataset and crawling it back gives the dataset's pages, as a
//! crawl of the dataset itself reads them, but for the documented differences.

use notion_mock::{MockConfig, Workspace};
use notion_upload::{DifferenceKind, SkipReason, UploadOptions, WriteLimits, plan_summary, upload};

use crate::common::*;

#[tokio::test]
async fn the_kitchen_sink_uploads_and_crawls_back_as_its_own_crawl_reads() {
    let dataset = Workspace::kitchen_sink();
    let original = crawl_dataset(&dataset).await;

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

    assert_uploaded_as_crawled(&original, &dataset, &server, &report).await;

    // What was written differently, and what was not uploaded, is listed.
    use DifferenceKind::*;
    let mut kinds: Vec<DifferenceKind> = report.differences.iter().map(|d| d.kind).collect();
    kinds.sort();
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            HostedFileAsExternal,
            LinkPreviewAsBookmark,
            MeetingNotesAsToggle,
            BlockNotCreatable,
            DataSourceMentionAsDatabase,
            LinkMentionAsText,
            CustomEmojiAsText,
            TargetNotUploaded,
            DocumentLiftedFromBlock,
            ListFormatDropped,
            ComputedProperty,
            FoundBySearch,
        ]
    );
    let mut skipped: Vec<(&str, SkipReason)> = report
        .skipped
        .iter()
        .map(|s| (s.title.as_str(), s.reason))
        .collect();
    skipped.sort_by_key(|s| s.0);
    assert_eq!(
        skipped,
        [
            ("A trashed page", SkipReason::InTrash),
            ("A trashed task", SkipReason::InTrash),
            ("An archived page", SkipReason::Archived),
            ("Private parent", SkipReason::NotShared),
            ("Unshared target", SkipReason::NotShared),
        ]
    );
    assert_eq!(report.pages.len(), original.len());
    let plan = plan_summary(&dataset, &WriteLimits::default()).unwrap();
    assert_eq!(report.requests.writes as usize, plan.writes);
    assert_eq!(report.resumed_at, None);
    server.stop().await;
}
