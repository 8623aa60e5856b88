//! Every list endpoint returns every item exactly once across cursors, for
//! generated sizes and page sizes.

use notion_mock::{MockConfig, Workspace};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::common::{Harness, ids};

/// A workspace of one page with `n` paragraphs (the last one holding `n`
/// more), and a data source of `n` rows with `n` relations on the first row.
fn workspace(n: usize) -> Workspace {
    Workspace::from_json(json!({
        "name": format!("paging-{n}"),
        "users": [{"repeat": n, "each": {"key": "user-{i}", "name": "User {i}"}}],
        "pages": [{
            "key": "page", "title": "Paging",
            "blocks": [
                {"repeat": n, "each": {"paragraph": "Paragraph {i}"}},
                {"toggle": "Nested", "children": [{"repeat": n, "each": {"to_do": "Child {i}"}}]},
                {"child_database": {"key": "db", "title": "Rows", "schema": {"Name": "title", "Links": {"type": "relation", "target": "db/data-source"}},
                    "rows": [{"repeat": n, "each": {"key": "row-{i}", "properties": {"Name": "Row {i}", "Links": [{"repeat": n, "as": "j", "each": "row-{j}"}]}}}]}}
            ]
        }]
    }))
    .expect("valid dataset")
}

fn assert_exactly_once(items: &[Value], expected: usize) {
    let all = ids(items);
    let unique: std::collections::HashSet<&String> = all.iter().collect();
    assert_eq!((all.len(), unique.len()), (expected, expected));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn every_list_returns_every_item_once(n in 1usize..130, page_size in 1usize..=100) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let h = Harness::start(workspace(n), MockConfig::unlimited()).await;
            let (search, _) = h.collect("POST", "/v1/search", json!({}), page_size).await;
            // The page, the n rows and the data source.
            assert_exactly_once(&search, n + 2);
            let page = search.iter().find(|p| p["parent"]["type"] == "workspace").unwrap()["id"].as_str().unwrap().to_string();
            let (blocks, requests) = h.collect("GET", &format!("/v1/blocks/{page}/children"), Value::Null, page_size).await;
            assert_exactly_once(&blocks, n + 2);
            assert_eq!(requests, (n + 2).div_ceil(page_size));
            let toggle = blocks.iter().find(|b| b["type"] == "toggle").unwrap()["id"].as_str().unwrap().to_string();
            let (children, _) = h.collect("GET", &format!("/v1/blocks/{toggle}/children"), Value::Null, page_size).await;
            assert_exactly_once(&children, n);
            let ds = search.iter().find(|p| p["object"] == "data_source").unwrap()["id"].as_str().unwrap().to_string();
            let (rows, _) = h.collect("POST", &format!("/v1/data_sources/{ds}/query"), json!({}), page_size).await;
            assert_exactly_once(&rows, n);
            let (users, _) = h.collect("GET", "/v1/users", Value::Null, page_size).await;
            assert_exactly_once(&users, n);
            let row = rows.iter().find(|r| r["properties"]["Name"]["title"][0]["plain_text"] == "Row 1").unwrap();
            let path = format!("/v1/pages/{}/properties/{}", row["id"].as_str().unwrap(), row["properties"]["Links"]["id"].as_str().unwrap());
            let (links, _) = h.collect("GET", &path, Value::Null, page_size).await;
            let link_ids: Vec<Value> = links.iter().map(|l| l["relation"].clone()).collect();
            assert_exactly_once(&link_ids, n);
            h.server.stop().await;
        });
    }
}
