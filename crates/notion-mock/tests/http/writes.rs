//! Writes over HTTP: Notion's limits (each accepted at the limit and refused
//! one past it), new ids and times to the minute, written content served by
//! the read endpoints, and writes under the rate limiter.

use notion_mock::{MockConfig, RateLimit, Workspace};
use serde_json::{Value, json};

use crate::common::{Answer, Harness};

/// A workspace with one empty page to write under.
async fn empty() -> (Harness, String) {
    let ws = Workspace::from_json(
        json!({"name": "writes", "pages": [{"key": "root", "title": "Root"}]}),
    )
    .unwrap();
    let root = ws.page_ids()[0].clone();
    (Harness::start(ws, MockConfig::unlimited()).await, root)
}

fn paragraph(text: &str) -> Value {
    json!({"paragraph": {"rich_text": [{"text": {"content": text}}]}})
}

fn nest(mut block: Value, child: Value) -> Value {
    block["paragraph"]["children"] = json!([child]);
    block
}

impl Harness {
    async fn patch(&self, path: &str, body: Value) -> Answer {
        self.call("PATCH", path, Some(body)).await
    }

    async fn append(&self, id: &str, children: Vec<Value>) -> Answer {
        self.patch(
            &format!("/v1/blocks/{id}/children"),
            json!({"children": children}),
        )
        .await
    }
}

/// Asserts a 400 `validation_error` whose message says `says`.
fn refused(answer: &Answer, says: &str) {
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(answer.body["code"], "validation_error");
    assert_eq!(answer.body["object"], "error");
    assert!(answer.body["request_id"].is_string());
    let message = answer.body["message"].as_str().unwrap();
    assert!(message.contains(says), "{message:?} does not say {says:?}");
}

fn ok(answer: &Answer) {
    assert_eq!(answer.status, 200, "{}", answer.body);
}

#[tokio::test]
async fn a_children_array_takes_100_blocks_not_101() {
    let (h, root) = empty().await;
    ok(&h.append(&root, vec![paragraph("x"); 100]).await);
    refused(
        &h.append(&root, vec![paragraph("x"); 101]).await,
        "body.children.length should be ≤ `100`, instead was `101`.",
    );
    assert_eq!(
        h.children(&root).await.len(),
        100,
        "the refused write changed nothing"
    );
}

#[tokio::test]
async fn a_request_nests_two_levels_not_three() {
    let (h, root) = empty().await;
    let two = nest(paragraph("0"), nest(paragraph("1"), paragraph("2")));
    ok(&h.append(&root, vec![two]).await);
    let three = nest(
        paragraph("0"),
        nest(paragraph("1"), nest(paragraph("2"), paragraph("3"))),
    );
    refused(
        &h.append(&root, vec![three]).await,
        "body.children[0].paragraph.children[0].paragraph.children[0].paragraph.children should be not present",
    );
}

#[tokio::test]
async fn a_request_holds_1000_blocks_not_1001() {
    let (h, root) = empty().await;
    // 100 paragraphs holding 9 children each: 1,000 blocks; one more child: 1,001.
    let parent = |children: usize| {
        let mut p = paragraph("p");
        p["paragraph"]["children"] = Value::Array(vec![paragraph("c"); children]);
        p
    };
    let mut blocks: Vec<Value> = (0..100).map(|_| parent(9)).collect();
    ok(&h.append(&root, blocks.clone()).await);
    blocks[0] = parent(10);
    refused(
        &h.append(&root, blocks).await,
        "holds 1001 blocks, more than the limit of `1000`",
    );
}

#[tokio::test]
async fn a_request_body_takes_500000_bytes_not_500001() {
    let (h, root) = empty().await;
    // A small body padded with whitespace (still JSON) to the exact size.
    let body = |bytes: usize| {
        let mut text = serde_json::to_string(&json!({"children": [paragraph("x")]})).unwrap();
        text.extend(std::iter::repeat_n(' ', bytes - text.len()));
        text
    };
    let send = |text: String| {
        let url = format!("{}/v1/blocks/{root}/children", h.server.url());
        h.http
            .patch(url)
            .bearer_auth(crate::common::TOKEN)
            .header("Notion-Version", crate::common::VERSION)
            .header("content-type", "application/json")
            .body(text)
            .send()
    };
    assert_eq!(send(body(500_000)).await.unwrap().status(), 200);
    let answer = send(body(500_001)).await.unwrap();
    assert_eq!(answer.status(), 400);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["code"], "validation_error");
    assert!(
        body["message"].as_str().unwrap().contains("500001 bytes"),
        "{body}"
    );
    assert_eq!(h.children(&root).await.len(), 1);
}

#[tokio::test]
async fn a_text_holds_2000_characters_not_2001() {
    let (h, root) = empty().await;
    ok(&h.append(&root, vec![paragraph(&"a".repeat(2000))]).await);
    refused(
        &h.append(&root, vec![paragraph(&"a".repeat(2001))]).await,
        "body.children[0].paragraph.rich_text[0].text.content.length should be ≤ `2000`, instead was `2001`.",
    );
    let link = |n: usize| json!({"paragraph": {"rich_text": [{"text": {"content": "x", "link": {"url": format!("https://e.com/{}", "a".repeat(n - 14))}}}]}});
    ok(&h.append(&root, vec![link(2000)]).await);
    refused(
        &h.append(&root, vec![link(2001)]).await,
        "text.link.url.length should be ≤ `2000`",
    );
}

#[tokio::test]
async fn a_rich_text_array_holds_100_runs_not_101() {
    let (h, root) = empty().await;
    let runs =
        |n: usize| json!({"paragraph": {"rich_text": vec![json!({"text": {"content": "r"}}); n]}});
    ok(&h.append(&root, vec![runs(100)]).await);
    refused(
        &h.append(&root, vec![runs(101)]).await,
        "body.children[0].paragraph.rich_text.length should be ≤ `100`, instead was `101`.",
    );
}

#[tokio::test]
async fn an_equation_holds_1000_characters_not_1001() {
    let (h, root) = empty().await;
    let equation = |n: usize| json!({"equation": {"expression": "x".repeat(n)}});
    ok(&h.append(&root, vec![equation(1000)]).await);
    refused(
        &h.append(&root, vec![equation(1001)]).await,
        "body.children[0].equation.expression.length should be ≤ `1000`, instead was `1001`.",
    );
    let inline = |n: usize| json!({"paragraph": {"rich_text": [{"type": "equation", "equation": {"expression": "y".repeat(n)}}]}});
    ok(&h.append(&root, vec![inline(1000)]).await);
    refused(
        &h.append(&root, vec![inline(1001)]).await,
        "equation.expression.length should be ≤ `1000`",
    );
}

#[tokio::test]
async fn a_relation_value_holds_100_pages_not_101() {
    let h = Harness::kitchen_sink().await;
    let ws = h.server.workspace();
    // The catalog's data source holds the items the tasks relate to.
    let tasks = h
        .post(
            "/v1/search",
            json!({"filter": {"property": "object", "value": "data_source"}, "query": "Tasks"}),
        )
        .await;
    let tasks = tasks.body["results"][0]["id"].as_str().unwrap().to_string();
    let item = ws
        .page_ids()
        .into_iter()
        .find(|id| ws.plain_texts(id).first().is_some_and(|t| t == "Item 1"))
        .unwrap();
    let row = |n: usize| {
        json!({
            "parent": {"data_source_id": tasks},
            "properties": {"Name": {"title": [{"text": {"content": "Related"}}]}, "Items": {"relation": vec![json!({"id": item}); n]}},
        })
    };
    ok(&h.post("/v1/pages", row(100)).await);
    refused(
        &h.post("/v1/pages", row(101)).await,
        "body.properties.Items.relation.length should be ≤ `100`, instead was `101`.",
    );
}

#[tokio::test]
async fn what_the_api_cannot_create_is_refused() {
    let (h, root) = empty().await;
    for (block, says) in [
        (
            json!({"link_preview": {"url": "https://x.com"}}),
            "link_preview should be not present",
        ),
        (
            json!({"unsupported": {"block_type": "form"}}),
            "unsupported should be not present",
        ),
        (
            json!({"image": {"type": "file", "file": {"url": "https://x.com/a.png"}}}),
            "image.file should be not present",
        ),
        (
            json!({"numbered_list_item": {"rich_text": [], "list_start_index": 3}}),
            "list_start_index should be not present",
        ),
        (
            json!({"paragraph": {"rich_text": [{"mention": {"link_preview": {"url": "https://x.com"}}}]}}),
            "mention.link_preview should be not present",
        ),
        (
            json!({"table": {"table_width": 2, "children": [{"table_row": {"cells": [[]]}}]}}),
            "should be `2` (the table's width)",
        ),
        (
            json!({"column_list": {"children": []}}),
            "column_list.children should be a non-empty array",
        ),
    ] {
        refused(&h.append(&root, vec![block]).await, says);
    }
    let missing = "0123456789abcdef0123456789abcdef";
    let mention = json!({"paragraph": {"rich_text": [{"mention": {"page": {"id": missing}}}]}});
    refused(&h.append(&root, vec![mention]).await, "Could not find page");
    let answer = h.append(missing, vec![paragraph("x")]).await;
    assert_eq!(
        (answer.status, answer.body["code"].as_str()),
        (404, Some("object_not_found"))
    );
}

#[tokio::test]
async fn written_pages_and_blocks_are_served_with_new_ids_and_times_to_the_minute() {
    let (h, root) = empty().await;
    let created = h
        .post(
            "/v1/pages",
            json!({
                "parent": {"page_id": root},
                "properties": {"title": {"title": [{"text": {"content": "Written"}, "annotations": {"bold": true}}]}},
                "icon": {"emoji": "📝"},
                "children": [
                    {"heading_2": {"rich_text": [{"text": {"content": "Notes"}}]}},
                    {"toggle": {"rich_text": [{"text": {"content": "More"}}], "children": [paragraph("Inside")]}},
                ],
            }),
        )
        .await;
    ok(&created);
    let page = created.body["id"].as_str().unwrap().to_string();
    let minute = |t: &Value| t.as_str().unwrap().ends_with(":00.000Z");
    assert!(minute(&created.body["created_time"]) && minute(&created.body["last_edited_time"]));
    assert_eq!(
        created.body["properties"]["title"]["title"][0]["plain_text"],
        "Written"
    );
    assert_eq!(
        created.body["properties"]["title"]["title"][0]["annotations"]["bold"],
        true
    );

    // The page is under its parent, found by search, readable with its blocks.
    let under_root = h.children(&root).await;
    assert_eq!(under_root.len(), 1);
    assert_eq!(
        (under_root[0]["type"].as_str(), under_root[0]["id"].as_str()),
        (Some("child_page"), Some(page.as_str()))
    );
    let found = h.post("/v1/search", json!({"query": "Written"})).await;
    assert_eq!(found.body["results"][0]["id"], page.as_str());
    let blocks = h.children(&page).await;
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[1]["has_children"], true);
    assert!(minute(&blocks[1]["created_time"]));
    let inner = h.children(blocks[1]["id"].as_str().unwrap()).await;
    assert_eq!(
        inner[0]["paragraph"]["rich_text"][0]["plain_text"],
        "Inside"
    );

    // An append after the first block lists the new top-level blocks only.
    let appended = h
        .patch(
            &format!("/v1/blocks/{page}/children"),
            json!({"children": [nest(paragraph("Between"), paragraph("Nested"))], "after": blocks[0]["id"]}),
        )
        .await;
    ok(&appended);
    let listed = appended.body["results"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_ne!(listed[0]["id"], blocks[0]["id"]);
    let order: Vec<String> = h
        .children(&page)
        .await
        .iter()
        .map(|b| b["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(order, ["heading_2", "paragraph", "toggle"]);

    // Moving the page to the trash takes it out of its parent and search.
    ok(&h
        .patch(&format!("/v1/pages/{page}"), json!({"in_trash": true}))
        .await);
    let page_now = h.get(&format!("/v1/pages/{page}")).await;
    assert_eq!(page_now.body["in_trash"], true);
    assert!(!h.server.workspace().page_ids().contains(&page));
}

#[tokio::test]
async fn databases_data_sources_and_rows_are_created_and_queried() {
    let (h, root) = empty().await;
    let db = h
        .post(
            "/v1/databases",
            json!({
                "parent": {"type": "page_id", "page_id": root},
                "title": [{"text": {"content": "Tasks"}}],
                "is_inline": true,
                "initial_data_source": {"properties": {
                    "Name": {"title": {}},
                    "Stage": {"select": {"options": [{"name": "Todo", "color": "red"}]}},
                    "Estimate": {"number": {"format": "number"}},
                }},
            }),
        )
        .await;
    ok(&db);
    let db_id = db.body["id"].as_str().unwrap().to_string();
    let ds = db.body["data_sources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(db.body["is_inline"], true);
    let second = h
        .post(
            "/v1/data_sources",
            json!({"parent": {"type": "database_id", "database_id": db_id}, "title": [{"text": {"content": "Archive"}}],
                   "properties": {"Title": {"title": {}}, "Link": {"relation": {"data_source_id": ds, "single_property": {}}}}}),
        )
        .await;
    ok(&second);
    assert_eq!(
        h.get(&format!("/v1/databases/{db_id}")).await.body["data_sources"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let row = h
        .post(
            "/v1/pages",
            json!({"parent": {"data_source_id": ds}, "properties": {
                "Name": {"title": [{"text": {"content": "First"}}]},
                "Stage": {"select": {"name": "Doing"}},
                "Estimate": {"number": 3},
            }}),
        )
        .await;
    ok(&row);
    // A new option joins the schema.
    let schema = h.get(&format!("/v1/data_sources/{ds}")).await;
    let options: Vec<&str> = schema.body["properties"]["Stage"]["select"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(options, ["Todo", "Doing"]);
    let rows = h
        .post(&format!("/v1/data_sources/{ds}/query"), json!({}))
        .await;
    assert_eq!(rows.body["results"].as_array().unwrap().len(), 1);
    assert_eq!(
        rows.body["results"][0]["properties"]["Estimate"]["number"],
        3
    );
    refused(
        &h.post(
            "/v1/pages",
            json!({"parent": {"data_source_id": ds}, "properties": {"Nope": {"number": 1}}}),
        )
        .await,
        "Nope is not a property that exists.",
    );
    // The database block sits on its page.
    let on_page = h.children(&root).await;
    assert_eq!(on_page[0]["type"], "child_database");
    assert_eq!(on_page[0]["child_database"]["title"], "Tasks");
    // Renaming the data source and adding a property.
    ok(&h.patch(&format!("/v1/data_sources/{ds}"), json!({"title": [{"text": {"content": "Open"}}], "properties": {"Done": {"checkbox": {}}}})).await);
    let db_now = h.get(&format!("/v1/databases/{db_id}")).await;
    assert_eq!(db_now.body["data_sources"][0]["name"], "Open");
    let rows = h
        .post(&format!("/v1/data_sources/{ds}/query"), json!({}))
        .await;
    assert_eq!(
        rows.body["results"][0]["properties"]["Done"]["checkbox"],
        false
    );
}

#[tokio::test]
async fn writes_wait_their_turn_in_the_rate_limiter() {
    let ws = Workspace::from_json(
        json!({"name": "writes", "pages": [{"key": "root", "title": "Root"}]}),
    )
    .unwrap();
    let root = ws.page_ids()[0].clone();
    let cfg = MockConfig {
        rate: RateLimit::TokenBucket {
            per_second: 1.0,
            burst: 2,
        },
        ..MockConfig::default()
    };
    let h = Harness::start(ws, cfg).await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(h.append(&root, vec![paragraph("x")]).await.status);
    }
    assert_eq!(statuses, [200, 200, 429]);
    let written = h.server.workspace().page_tree_json(&root).unwrap();
    assert_eq!(
        written["blocks"].as_array().unwrap().len(),
        2,
        "a limited write writes nothing"
    );
    assert_eq!(
        h.server.stats().per_endpoint["PATCH /v1/blocks/{id}/children"],
        3
    );
}
