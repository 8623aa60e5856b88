//! Envelopes, headers and Notion's error answers.

use serde_json::{Value, json};

use crate::common::{Harness, TOKEN, VERSION, page_by_title};

#[tokio::test]
async fn search_returns_a_list_envelope_with_request_ids() {
    let h = Harness::kitchen_sink().await;
    let a = h.post("/v1/search", json!({})).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["object"], "list");
    assert_eq!(a.body["type"], "page_or_data_source");
    assert!(a.body["page_or_data_source"].is_object());
    let rid = a.body["request_id"].as_str().unwrap();
    assert_eq!(a.headers["x-notion-request-id"].to_str().unwrap(), rid);
    assert!(!a.body["results"].as_array().unwrap().is_empty());
    h.server.stop().await;
}

#[tokio::test]
async fn wrong_token_is_401_and_missing_version_is_400() {
    let h = Harness::kitchen_sink().await;
    let a = h
        .call_with(
            "POST",
            "/v1/search",
            Some(json!({})),
            Some("secret_wrong"),
            Some(VERSION),
        )
        .await;
    assert_eq!(
        (a.status, a.body["code"].as_str()),
        (401, Some("unauthorized"))
    );
    assert_eq!(a.body["object"], "error");
    assert!(a.body["request_id"].is_string());
    let a = h
        .call_with("POST", "/v1/search", Some(json!({})), None, Some(VERSION))
        .await;
    assert_eq!(a.status, 401);
    let a = h
        .call_with("POST", "/v1/search", Some(json!({})), Some(TOKEN), None)
        .await;
    assert_eq!(
        (a.status, a.body["code"].as_str()),
        (400, Some("missing_version"))
    );
    h.server.stop().await;
}

#[tokio::test]
async fn unknown_and_unshared_ids_are_404_everywhere() {
    let h = Harness::kitchen_sink().await;
    let unknown = "0f2b7c1e-8a4d-4c3e-9b5a-1d2e3f405162";
    for path in [
        format!("/v1/pages/{unknown}"),
        format!("/v1/blocks/{unknown}"),
        format!("/v1/blocks/{unknown}/children"),
        format!("/v1/databases/{unknown}"),
        format!("/v1/data_sources/{unknown}"),
    ] {
        let a = h.get(&path).await;
        assert_eq!(
            (a.status, a.body["code"].as_str()),
            (404, Some("object_not_found")),
            "{path}"
        );
        assert!(
            a.body["message"]
                .as_str()
                .unwrap()
                .contains("shared with your integration")
        );
    }
    // The unshared page another page links to: its id is in the link block.
    let home = page_by_title(&h, "Kitchen Sink").await;
    let blocks = h.children(&home).await;
    let unshared: Vec<&str> = blocks
        .iter()
        .filter(|b| b["type"] == "link_to_page")
        .map(|b| b["link_to_page"]["page_id"].as_str().unwrap_or_default())
        .collect();
    let mut not_found = 0;
    for id in unshared.iter().filter(|id| !id.is_empty()) {
        let page = h.get(&format!("/v1/pages/{id}")).await.status;
        let children = h.get(&format!("/v1/blocks/{id}/children")).await.status;
        if page == 404 {
            assert_eq!(children, 404);
            not_found += 1;
        }
    }
    assert_eq!(not_found, 1, "exactly one linked page is unshared");
    let search = h
        .post("/v1/search", json!({"query": "Unshared target"}))
        .await;
    assert_eq!(search.body["results"].as_array().unwrap().len(), 0);
    // Ids without dashes work too.
    let compact = home.replace('-', "");
    assert_eq!(
        h.get(&format!("/v1/pages/{compact}")).await.body["id"],
        home.as_str()
    );
    h.server.stop().await;
}

#[tokio::test]
async fn malformed_requests_are_400_with_notion_codes() {
    let h = Harness::kitchen_sink().await;
    let home = page_by_title(&h, "Kitchen Sink").await;
    let cases = [
        h.get("/v1/blocks/AAA/children").await,
        h.get(&format!("/v1/blocks/{home}/children?page_size=101"))
            .await,
        h.get(&format!("/v1/blocks/{home}/children?page_size=0"))
            .await,
        h.get(&format!("/v1/blocks/{home}/children?start_cursor=nonsense"))
            .await,
        h.post("/v1/search", json!({"page_size": 500})).await,
        h.post(
            "/v1/search",
            json!({"filter": {"property": "object", "value": "database"}}),
        )
        .await,
        h.post(
            "/v1/search",
            json!({"sort": {"timestamp": "created_time", "direction": "ascending"}}),
        )
        .await,
    ];
    for (i, a) in cases.iter().enumerate() {
        assert_eq!(
            (a.status, a.body["code"].as_str()),
            (400, Some("validation_error")),
            "case {i}: {}",
            a.body
        );
        assert!(a.body["request_id"].is_string());
    }
    assert!(
        cases[0].body["message"]
            .as_str()
            .unwrap()
            .contains("should be a valid uuid")
    );
    let a = h.get("/v1/nowhere").await;
    assert_eq!(
        (a.status, a.body["code"].as_str()),
        (400, Some("invalid_request_url"))
    );
    let raw = h
        .http
        .post(format!("{}/v1/search", h.server.url()))
        .bearer_auth(crate::common::TOKEN)
        .header("Notion-Version", VERSION)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 400);
    assert_eq!(raw.json::<Value>().await.unwrap()["code"], "invalid_json");
    h.server.stop().await;
}

#[tokio::test]
async fn blocks_report_children_like_notion() {
    let h = Harness::kitchen_sink().await;
    let home = page_by_title(&h, "Kitchen Sink").await;
    let blocks = h.children(&home).await;
    let mut checked = 0;
    for b in &blocks {
        let id = b["id"].as_str().unwrap();
        let children = h.children(id).await;
        match b["type"].as_str().unwrap() {
            "child_database" => assert_eq!(b["has_children"], false),
            "child_page" => {
                // A child page's children are the page's blocks.
                assert_eq!(b["has_children"], !children.is_empty());
                assert_eq!(h.get(&format!("/v1/pages/{id}")).await.status, 200);
            }
            _ => assert_eq!(b["has_children"], !children.is_empty(), "{}", b["type"]),
        }
        for t in ["created_time", "last_edited_time"] {
            assert!(
                b[t].as_str().unwrap().ends_with(":00.000Z"),
                "{t} cut to the minute"
            );
        }
        checked += 1;
    }
    assert!(checked > 50);
    // The synced copy answers with its original's children.
    let copy_page = page_by_title(&h, "Synced copy").await;
    let copy_blocks = h.children(&copy_page).await;
    let copy = copy_blocks
        .iter()
        .find(|b| b["type"] == "synced_block")
        .unwrap();
    assert_eq!(copy["has_children"], true);
    let original = copy["synced_block"]["synced_from"]["block_id"]
        .as_str()
        .unwrap();
    let via_copy = h
        .collect(
            "GET",
            &format!("/v1/blocks/{}/children", copy["id"].as_str().unwrap()),
            Value::Null,
            100,
        )
        .await
        .0;
    let via_original = h.children(original).await;
    assert_eq!(
        crate::common::ids(&via_copy),
        crate::common::ids(&via_original)
    );
    assert_eq!(via_copy.len(), 2);
    h.server.stop().await;
}

#[tokio::test]
async fn hosted_files_are_resigned_on_every_answer() {
    let h = Harness::kitchen_sink().await;
    let home = page_by_title(&h, "Kitchen Sink").await;
    let image = |blocks: &[Value]| -> Value {
        blocks
            .iter()
            .find(|b| b["type"] == "image" && b["image"]["type"] == "file")
            .unwrap()["image"]["file"]
            .clone()
    };
    let first = image(&h.children(&home).await);
    let second = image(&h.children(&home).await);
    let url = first["url"].as_str().unwrap();
    assert!(url.contains("X-Amz-Signature=") && url.contains("X-Amz-Expires=3600"));
    assert_ne!(first["url"], second["url"]);
    assert_eq!(
        url.split('?').next(),
        second["url"].as_str().unwrap().split('?').next()
    );
    let expiry =
        chrono::DateTime::parse_from_rfc3339(second["expiry_time"].as_str().unwrap()).unwrap();
    let ahead = expiry.with_timezone(&chrono::Utc) - chrono::Utc::now();
    assert!(ahead > chrono::Duration::minutes(59), "{ahead}");
    h.server.stop().await;
}

#[tokio::test]
async fn long_relations_are_cut_at_25_and_paged_in_full() {
    let h = Harness::kitchen_sink().await;
    let tasks = crate::common::data_source_by_name(&h, "Tasks").await;
    let rows = h
        .post(
            &format!("/v1/data_sources/{tasks}/query"),
            json!({"filter": {"property": "Name", "title": {"equals": "Write the mock server"}}}),
        )
        .await;
    let row = &rows.body["results"][0];
    let items = &row["properties"]["Items"];
    assert_eq!(items["relation"].as_array().unwrap().len(), 25);
    assert_eq!(items["has_more"], true);
    let path = format!(
        "/v1/pages/{}/properties/{}",
        row["id"].as_str().unwrap(),
        items["id"].as_str().unwrap()
    );
    let first = h.get(&format!("{path}?page_size=10")).await;
    assert_eq!(first.body["type"], "property_item");
    assert_eq!(first.body["property_item"]["type"], "relation");
    assert!(
        first.body["property_item"]["next_url"]
            .as_str()
            .unwrap()
            .starts_with(&h.server.url())
    );
    let (all, requests) = h.collect("GET", &path, Value::Null, 10).await;
    assert_eq!((all.len(), requests), (30, 3));
    let unique: std::collections::HashSet<&str> = all
        .iter()
        .map(|i| i["relation"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(unique.len(), 30);
    // A simple property is one property item.
    let estimate = &row["properties"]["Estimate"];
    let one = h
        .get(&format!(
            "/v1/pages/{}/properties/{}",
            row["id"].as_str().unwrap(),
            estimate["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        (one.body["object"].as_str(), one.body["number"].as_f64()),
        (Some("property_item"), Some(8.0))
    );
    // filter_properties keeps only the named properties.
    let only = h
        .get(&format!(
            "/v1/pages/{}?filter_properties=title&filter_properties={}",
            row["id"].as_str().unwrap(),
            estimate["id"].as_str().unwrap()
        ))
        .await;
    let names: Vec<&String> = only.body["properties"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(names, ["Name", "Estimate"]);
    h.server.stop().await;
}

#[tokio::test]
async fn databases_list_their_data_sources_and_search_filters_and_sorts() {
    let h = Harness::kitchen_sink().await;
    let level3 = page_by_title(&h, "Level 3").await;
    let blocks = h.children(&level3).await;
    let db = blocks
        .iter()
        .find(|b| b["type"] == "child_database")
        .unwrap();
    let a = h
        .get(&format!("/v1/databases/{}", db["id"].as_str().unwrap()))
        .await;
    assert_eq!(a.body["object"], "database");
    let names: Vec<&str> = a.body["data_sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Active projects", "Archived projects"]);
    let ds = h
        .get(&format!(
            "/v1/data_sources/{}",
            a.body["data_sources"][0]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(ds.body["properties"]["Budget"]["number"]["format"], "euro");
    // Old-style database query fails with two data sources.
    let old = h
        .post(
            &format!("/v1/databases/{}/query", db["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(old.status, 400);

    let (pages, _) = h.collect("POST", "/v1/search", json!({"filter": {"property": "object", "value": "page"}, "sort": {"timestamp": "last_edited_time", "direction": "ascending"}}), 100).await;
    assert!(pages.iter().all(|p| p["object"] == "page"));
    let times: Vec<&str> = pages
        .iter()
        .map(|p| p["last_edited_time"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    // Archived and trashed pages are listed with their flags; the hidden page is not.
    assert!(pages.iter().any(|p| p["in_trash"] == true));
    assert!(pages.iter().any(|p| p["is_archived"] == true));
    let (sources, _) = h
        .collect(
            "POST",
            "/v1/search",
            json!({"filter": {"property": "object", "value": "data_source"}}),
            2,
        )
        .await;
    assert_eq!(sources.len(), 4);
    let hidden = h
        .post("/v1/search", json!({"query": "Hidden from search"}))
        .await;
    assert_eq!(hidden.body["results"].as_array().unwrap().len(), 0);
    let users = h.get("/v1/users").await;
    assert_eq!(users.body["results"].as_array().unwrap().len(), 3);
    assert_eq!(h.get("/v1/users/me").await.body["type"], "bot");
    h.server.stop().await;
}

#[tokio::test]
async fn stats_are_served_over_http() {
    let h = Harness::kitchen_sink().await;
    h.post("/v1/search", json!({})).await;
    h.get("/v1/blocks/AAA").await;
    let stats: Value = h
        .http
        .get(format!("{}/__mock/stats", h.server.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["total"], 2);
    assert_eq!(stats["per_endpoint"]["POST /v1/search"], 1);
    assert_eq!(stats["per_endpoint"]["GET /v1/blocks/{id}"], 1);
    assert_eq!(stats["per_status"]["400"], 1);
    assert_eq!(stats["timeline"].as_array().unwrap().len(), 2);
    h.server.reset_stats();
    assert_eq!(h.server.stats().total, 0);
    h.server.stop().await;
}

#[tokio::test]
async fn stop_closes_open_connections_and_frees_the_port() {
    let h = Harness::kitchen_sink().await;
    assert_eq!(h.post("/v1/search", json!({})).await.status, 200);
    let url = h.server.url();
    let addr = h.server.addr();
    // The client keeps its connection open; stopping must not wait for it.
    tokio::time::timeout(std::time::Duration::from_secs(5), h.server.stop())
        .await
        .expect("stop returns");
    assert!(
        h.http
            .post(format!("{url}/v1/search"))
            .send()
            .await
            .is_err()
    );
    // The address can be bound again with start_on.
    let again = notion_mock::MockServer::start_on(
        addr,
        notion_mock::Workspace::kitchen_sink(),
        notion_mock::MockConfig::unlimited(),
    )
    .await
    .expect("port reusable");
    assert_eq!(again.url(), url);
    again.stop().await;
}
