//! The server's hostile side and its clock: canned answers, answers cut
//! short, a clock ahead of the local one, and property ids decoded from the
//! path exactly once.

use chrono::{DateTime, TimeDelta, Utc};
use notion_mock::{HostileRule, MockConfig, Workspace};
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn canned_answers_match_method_and_path_and_run_out() {
    let cfg = MockConfig {
        hostile: vec![
            HostileRule::json(
                "POST",
                "/v1/search",
                200,
                json!({"object": "error", "status": 404, "code": "object_not_found", "message": "x"}),
            )
            .times(2),
            HostileRule::raw("GET", "/v1/users*", 429, "{}").header("retry-after", "100000"),
        ],
        ..MockConfig::unlimited()
    };
    let h = Harness::start(Workspace::kitchen_sink(), cfg).await;
    for _ in 0..2 {
        let canned = h.post("/v1/search", json!({})).await;
        assert_eq!(
            (canned.status, canned.body["object"].as_str()),
            (200, Some("error"))
        );
    }
    let real = h.post("/v1/search", json!({})).await;
    assert_eq!(
        real.body["object"], "list",
        "the rule ran out after two uses"
    );
    let limited = h.get("/v1/users?page_size=3").await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.headers["retry-after"], "100000");
    assert_eq!(h.get("/v1/users/me").await.status, 429, "a prefix rule");
    assert_eq!(
        h.get("/v1/comments").await.status,
        200,
        "other paths get the API"
    );
    let stats = h.server.stats();
    assert_eq!(stats.total, 6, "canned answers are counted");
}

#[tokio::test]
async fn a_truncated_answer_is_the_apis_body_cut_short() {
    let ws = Workspace::kitchen_sink();
    let page = ws.page_ids()[0].clone();
    let path = format!("/v1/blocks/{page}/children");
    let cfg = MockConfig {
        hostile: vec![HostileRule::truncated("GET", &path, 40).times(1)],
        ..MockConfig::unlimited()
    };
    let h = Harness::start(ws, cfg).await;
    let url = format!("{}{path}", h.server.url());
    let send = || {
        h.http
            .get(&url)
            .bearer_auth(TOKEN)
            .header("Notion-Version", VERSION)
            .send()
    };
    let cut = send().await.unwrap();
    assert_eq!(cut.status(), 200);
    let text = cut.text().await.unwrap();
    assert_eq!(text.len(), 40);
    assert!(text.starts_with("{\"object\":\"list\""), "{text}");
    assert!(
        serde_json::from_str::<serde_json::Value>(&text)
            .unwrap_err()
            .is_eof()
    );
    let whole = send().await.unwrap().text().await.unwrap();
    assert!(whole.len() > 40 && whole.starts_with(&text));
}

#[tokio::test]
async fn a_clock_ten_minutes_ahead_dates_answers_and_edits() {
    let ahead = TimeDelta::minutes(10);
    let ws = Workspace::kitchen_sink();
    let page = ws.page_ids()[0].clone();
    let cfg = MockConfig {
        clock_offset: ahead,
        ..MockConfig::unlimited()
    };
    let h = Harness::start(ws, cfg).await;
    let before = Utc::now();
    let answer = h.get(&format!("/v1/pages/{page}")).await;
    let date = answer.headers["date"].to_str().unwrap();
    let served = DateTime::parse_from_rfc2822(date)
        .unwrap()
        .with_timezone(&Utc);
    let skew = served - before;
    assert!(
        skew > TimeDelta::minutes(9) && skew < TimeDelta::minutes(11),
        "Date {date} is {skew} from the local clock"
    );
    h.server
        .edit(|ws| ws.append_paragraph(&page, "Written ahead of time."))
        .unwrap();
    let edited = h.get(&format!("/v1/pages/{page}")).await;
    let stamp: DateTime<Utc> = edited.body["last_edited_time"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let lead = stamp - before;
    assert!(
        lead > TimeDelta::minutes(8) && lead <= TimeDelta::minutes(11),
        "edit stamped {stamp}, {lead} after the local clock"
    );
    // The error answers carry the server's date too.
    let missing = h.get("/v1/pages/00000000000000000000000000000000").await;
    assert_eq!(missing.status, 404);
    assert!(missing.headers.contains_key("date"));
}

#[tokio::test]
async fn property_ids_in_the_path_are_decoded_once() {
    let ws = Workspace::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../datasets/percent-ids.json"
    ))
    .expect("valid dataset");
    let h = Harness::start(ws, MockConfig::unlimited()).await;
    let db = h
        .get(&format!(
            "/v1/blocks/{}/children",
            page_by_title(&h, "Home").await
        ))
        .await;
    let db_id = db.body["results"][0]["id"].as_str().unwrap().to_string();
    let database = h.get(&format!("/v1/databases/{db_id}")).await;
    let source = database.body["data_sources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let rows = h
        .post(&format!("/v1/data_sources/{source}/query"), json!({}))
        .await;
    let hub = rows.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["properties"]["Links"]["relation"]
                .as_array()
                .unwrap()
                .len()
                == 25
        })
        .expect("the hub row lists 25 of its 26 links")
        .clone();
    assert_eq!(hub["properties"]["Links"]["id"], "%60%5B%3E%7B");
    let hub_id = hub["id"].as_str().unwrap();
    let once = h
        .get(&format!("/v1/pages/{hub_id}/properties/%60%5B%3E%7B"))
        .await;
    assert_eq!(once.status, 200, "{}", once.body);
    assert_eq!(once.body["results"].as_array().unwrap().len(), 26);
    let twice = h
        .get(&format!(
            "/v1/pages/{hub_id}/properties/%2560%255B%253E%257B"
        ))
        .await;
    assert_eq!(twice.status, 404, "an id encoded twice is another id");
}
