//! Data source queries: Notion's filter JSON, sorts and the result cap.

use notion_mock::{MockConfig, Workspace};
use serde_json::{Value, json};

use crate::common::{Harness, data_source_by_name};

async fn names(h: &Harness, ds: &str, body: Value) -> Vec<String> {
    let a = h.post(&format!("/v1/data_sources/{ds}/query"), body).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["properties"]["Name"]["title"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["plain_text"].as_str().unwrap())
                .collect()
        })
        .collect()
}

const MOCK: &str = "Write the mock server";
const DOCS: &str = "Document the dataset format";
const EMPTY: &str = "Empty values everywhere";

#[tokio::test]
async fn property_timestamp_and_compound_filters() {
    let h = Harness::kitchen_sink().await;
    let ds = data_source_by_name(&h, "Tasks").await;
    // No filter: every live row in dataset order; the trashed row is left out.
    assert_eq!(names(&h, &ds, json!({})).await, [MOCK, DOCS, EMPTY]);
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            json!({"property": "Name", "title": {"contains": "DATASET"}}),
            vec![DOCS],
        ),
        (
            json!({"property": "Name", "rich_text": {"starts_with": "write"}}),
            vec![MOCK],
        ),
        (
            json!({"property": "Notes", "rich_text": {"contains": "envelopes"}}),
            vec![MOCK],
        ),
        (
            json!({"property": "Notes", "rich_text": {"is_empty": true}}),
            vec![DOCS, EMPTY],
        ),
        (
            json!({"property": "Estimate", "number": {"greater_than": 3}}),
            vec![MOCK],
        ),
        (
            json!({"property": "Estimate", "number": {"less_than_or_equal_to": 3}}),
            vec![DOCS],
        ),
        (
            json!({"property": "Estimate", "number": {"is_not_empty": true}}),
            vec![MOCK, DOCS],
        ),
        (
            json!({"property": "Done", "checkbox": {"equals": true}}),
            vec![DOCS],
        ),
        (
            json!({"property": "Done", "checkbox": {"does_not_equal": true}}),
            vec![MOCK, EMPTY],
        ),
        (
            json!({"property": "Stage", "select": {"equals": "Doing"}}),
            vec![MOCK],
        ),
        (
            json!({"property": "Status", "status": {"does_not_equal": "Not started"}}),
            vec![MOCK, EMPTY],
        ),
        (
            json!({"property": "Tags", "multi_select": {"contains": "urgent"}}),
            vec![MOCK],
        ),
        (
            json!({"property": "Tags", "multi_select": {"does_not_contain": "docs"}}),
            vec![MOCK, EMPTY],
        ),
        (
            json!({"property": "Due", "date": {"on_or_after": "2026-07-04"}}),
            vec![MOCK, DOCS],
        ),
        (
            json!({"property": "Due", "date": {"before": "2026-07-05"}}),
            vec![MOCK],
        ),
        (
            json!({"property": "Due", "date": {"after": "2026-07-04"}}),
            vec![DOCS],
        ),
        (
            json!({"property": "Due", "date": {"is_empty": true}}),
            vec![EMPTY],
        ),
        (
            json!({"timestamp": "created_time", "created_time": {"on_or_after": "2026-02-10"}}),
            vec![DOCS, EMPTY],
        ),
        (
            json!({"timestamp": "last_edited_time", "last_edited_time": {"before": "2026-02-15T00:00:00Z"}}),
            vec![DOCS],
        ),
        (
            json!({"and": [
                {"property": "Estimate", "number": {"is_not_empty": true}},
                {"or": [
                    {"property": "Stage", "select": {"equals": "Backlog"}},
                    {"property": "Tags", "multi_select": {"contains": "urgent"}}
                ]}
            ]}),
            vec![MOCK, DOCS],
        ),
        (
            json!({"or": [
                {"property": "Done", "checkbox": {"equals": true}},
                {"property": "Name", "title": {"ends_with": "everywhere"}}
            ]}),
            vec![DOCS, EMPTY],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            names(&h, &ds, json!({"filter": filter})).await,
            expected,
            "{filter}"
        );
    }
    h.server.stop().await;
}

#[tokio::test]
async fn sorts_order_rows() {
    let h = Harness::kitchen_sink().await;
    let ds = data_source_by_name(&h, "Tasks").await;
    let by_estimate = names(
        &h,
        &ds,
        json!({"sorts": [{"property": "Estimate", "direction": "descending"}]}),
    )
    .await;
    assert_eq!(by_estimate, [MOCK, DOCS, EMPTY], "empty values last");
    let by_created = names(
        &h,
        &ds,
        json!({"sorts": [{"timestamp": "created_time", "direction": "descending"}]}),
    )
    .await;
    assert_eq!(by_created, [EMPTY, DOCS, MOCK]);
    let by_name = names(
        &h,
        &ds,
        json!({"sorts": [{"property": "Name", "direction": "ascending"}]}),
    )
    .await;
    assert_eq!(by_name, [DOCS, EMPTY, MOCK]);
    h.server.stop().await;
}

#[tokio::test]
async fn bad_filters_are_validation_errors() {
    let h = Harness::kitchen_sink().await;
    let ds = data_source_by_name(&h, "Tasks").await;
    for filter in [
        json!({"property": "Nope", "title": {"contains": "x"}}),
        json!({"property": "Estimate", "title": {"contains": "x"}}),
        json!({"property": "Estimate", "number": {"contains": "x"}}),
        json!({"property": "Estimate", "number": {"greater_than": "three"}}),
        json!({"property": "Due", "date": {"after": "not a date"}}),
        json!({"timestamp": "deleted_time", "deleted_time": {"after": "2026-01-01"}}),
        json!({"and": [{"or": [{"and": [{"property": "Done", "checkbox": {"equals": true}}]}]}]}),
        json!("just text"),
    ] {
        let a = h
            .post(
                &format!("/v1/data_sources/{ds}/query"),
                json!({"filter": filter}),
            )
            .await;
        assert_eq!(
            (a.status, a.body["code"].as_str()),
            (400, Some("validation_error")),
            "{filter}"
        );
    }
    let a = h
        .post(
            &format!("/v1/data_sources/{ds}/query"),
            json!({"sorts": [{"property": "Nope", "direction": "ascending"}]}),
        )
        .await;
    assert_eq!(a.status, 400);
    h.server.stop().await;
}

#[tokio::test]
async fn queries_stop_at_the_result_limit() {
    let cfg = MockConfig {
        query_result_limit: 25,
        ..MockConfig::unlimited()
    };
    let h = Harness::start(Workspace::kitchen_sink(), cfg).await;
    let catalog = data_source_by_name(&h, "Catalog").await;
    let path = format!("/v1/data_sources/{catalog}/query");
    let (rows, requests) = h.collect("POST", &path, json!({}), 10).await;
    assert_eq!((rows.len(), requests), (25, 3));
    let last = h.post(&path, json!({"page_size": 100})).await;
    assert_eq!(last.body["has_more"], false);
    assert_eq!(last.body["request_status"]["type"], "incomplete");
    assert_eq!(
        last.body["request_status"]["incomplete_reason"],
        "query_result_limit_reached"
    );
    // Under the limit the status is absent.
    let tasks = data_source_by_name(&h, "Tasks").await;
    let all = h
        .post(&format!("/v1/data_sources/{tasks}/query"), json!({}))
        .await;
    assert!(all.body.get("request_status").is_none());
    // filter_properties trims the row objects.
    let trimmed = h
        .post(
            &format!("/v1/data_sources/{tasks}/query?filter_properties=title"),
            json!({}),
        )
        .await;
    assert_eq!(
        trimmed.body["results"][0]["properties"]
            .as_object()
            .unwrap()
            .len(),
        1
    );
    h.server.stop().await;
}
