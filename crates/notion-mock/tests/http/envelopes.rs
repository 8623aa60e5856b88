//! Envelopes, headers and Notion's error answers.

use serde_json::json;

use crate::common::{Harness, TOKEN, VERSION};

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
