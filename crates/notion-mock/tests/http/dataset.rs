//! The kitchen sink and synthetic workspaces, checked against a crawl over HTTP.

use notion_mock::{MockConfig, SyntheticConfig, Workspace};
use serde_json::json;

use crate::common::{Harness, crawl, page_by_title, without_signatures};

fn count(stats: &notion_mock::Stats, endpoint: &str) -> u64 {
    stats.per_endpoint.get(endpoint).copied().unwrap_or(0)
}

#[tokio::test]
async fn kitchen_sink_minimum_matches_a_crawl_and_a_hand_count() {
    let ws = Workspace::kitchen_sink();
    let min = ws.min_requests();
    // Counted by hand from datasets/kitchen-sink.json: one search page; the
    // Tasks, Projects and Catalog databases; Tasks, Catalog and the two
    // Projects data sources; one long relation list (30 items).
    assert_eq!(min.search, 1);
    assert_eq!(min.retrieve_database, 3);
    assert_eq!(min.query, 4);
    assert_eq!(min.property_items, 1);
    // 12 standalone pages + 40 catalog rows + 3 live tasks + 3 projects, the
    // big page needing 3 requests for its 250 blocks.
    assert_eq!(ws.page_ids().len(), 58);
    assert_eq!(min.page_children, 57 + 3);
    // Blocks with children: the big page's 50 toggles of 150 (2 requests
    // each); on the home page a toggleable heading, 3 bullets, 3 numbered
    // items, a to-do, toggle, quote, callout, template, a column list and its
    // 2 columns, a tab, the synced original (its copy adds nothing), 2 tables
    // and the meeting notes; a table on Languages; a toggle on Level 2; 7
    // levels of Deep nesting.
    assert_eq!(min.block_children, 100 + 20 + 1 + 1 + 7);

    let h = Harness::start(ws.clone(), MockConfig::unlimited()).await;
    let c = crawl(&h).await;
    assert_eq!(count(&c.stats, "POST /v1/search"), min.search);
    assert_eq!(
        count(&c.stats, "GET /v1/databases/{id}"),
        min.retrieve_database
    );
    assert_eq!(
        count(&c.stats, "POST /v1/data_sources/{id}/query"),
        min.query
    );
    assert_eq!(
        count(&c.stats, "GET /v1/blocks/{id}/children"),
        min.page_children + min.block_children
    );
    assert_eq!(
        count(&c.stats, "GET /v1/pages/{id}/properties/{property_id}"),
        min.property_items
    );
    let crawled: Vec<String> = c.trees.keys().cloned().collect();
    let mut expected = ws.page_ids();
    expected.sort();
    assert_eq!(crawled, expected);
    h.server.stop().await;
}

#[tokio::test]
async fn page_tree_json_is_what_a_crawl_assembles() {
    let ws = Workspace::kitchen_sink();
    let h = Harness::start(ws.clone(), MockConfig::unlimited()).await;
    let c = crawl(&h).await;
    for (id, tree) in &c.trees {
        let expected = ws.page_tree_json(id).unwrap();
        assert_eq!(
            without_signatures(&tree["blocks"]),
            without_signatures(&expected["blocks"]),
            "blocks of page {id}"
        );
        if tree["page"]["parent"]["type"] != "page_id"
            || expected["page"]["properties"].as_object().unwrap().len() > 1
        {
            assert_eq!(
                without_signatures(&tree["page"]),
                without_signatures(&expected["page"]),
                "page {id}"
            );
        }
    }
    h.server.stop().await;
}

#[tokio::test]
async fn the_big_page_takes_103_block_children_requests() {
    let h = Harness::kitchen_sink().await;
    let id = page_by_title(&h, "A big page").await;
    h.server.reset_stats();
    let (top, requests) = h
        .collect(
            "GET",
            &format!("/v1/blocks/{id}/children"),
            json!(null),
            100,
        )
        .await;
    assert_eq!((top.len(), requests), (250, 3));
    let mut total = requests;
    for block in top.iter().filter(|b| b["has_children"] == true) {
        let (children, n) = h
            .collect(
                "GET",
                &format!("/v1/blocks/{}/children", block["id"].as_str().unwrap()),
                json!(null),
                100,
            )
            .await;
        assert_eq!(children.len(), 150);
        assert!(children.iter().all(|c| c["has_children"] == false));
        total += n;
    }
    assert_eq!(top.iter().filter(|b| b["has_children"] == true).count(), 50);
    assert_eq!(total, 103);
    assert_eq!(
        h.server.stats().per_endpoint["GET /v1/blocks/{id}/children"],
        103
    );
    h.server.stop().await;
}

#[test]
fn kitchen_sink_covers_every_block_type_and_text_form() {
    let ws = Workspace::kitchen_sink();
    let mut types = std::collections::BTreeSet::new();
    let mut runs = std::collections::BTreeSet::new();
    let mut annotations = std::collections::BTreeSet::new();
    fn walk(
        v: &serde_json::Value,
        types: &mut std::collections::BTreeSet<String>,
        runs: &mut std::collections::BTreeSet<String>,
        ann: &mut std::collections::BTreeSet<String>,
    ) {
        match v {
            serde_json::Value::Object(m) => {
                if m.get("object") == Some(&json!("block")) {
                    types.insert(m["type"].as_str().unwrap().to_string());
                }
                if let Some(a) = m.get("annotations").and_then(|a| a.as_object()) {
                    let kind = m["type"].as_str().unwrap();
                    runs.insert(if kind == "mention" {
                        format!("mention:{}", m["mention"]["type"].as_str().unwrap())
                    } else {
                        kind.to_string()
                    });
                    for (k, x) in a {
                        if x == true || (k == "color" && x != "default") {
                            ann.insert(k.clone());
                        }
                    }
                }
                m.values().for_each(|x| walk(x, types, runs, ann));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, types, runs, ann)),
            _ => {}
        }
    }
    for id in ws.page_ids() {
        walk(
            &ws.page_tree_json(&id).unwrap(),
            &mut types,
            &mut runs,
            &mut annotations,
        );
    }
    // Every block type but the old name of meeting notes, and `hologram`,
    // a type no reference names.
    let expected = notion_mock::BLOCK_TYPES
        .iter()
        .filter(|t| **t != "transcription")
        .chain(&["hologram"]);
    for t in expected {
        assert!(types.contains(*t), "no {t} block");
    }
    for r in [
        "text",
        "equation",
        "mention:user",
        "mention:page",
        "mention:database",
        "mention:data_source",
        "mention:date",
        "mention:link_preview",
        "mention:link_mention",
        "mention:template_mention",
        "mention:custom_emoji",
    ] {
        assert!(runs.contains(r), "no {r} run");
    }
    assert_eq!(annotations.len(), 6, "{annotations:?}");
}

#[test]
fn plain_texts_hold_what_a_reader_sees() {
    let ws = Workspace::kitchen_sink();
    let all: Vec<String> = ws
        .page_ids()
        .iter()
        .flat_map(|id| ws.plain_texts(id))
        .collect();
    for needle in [
        "你好，世界。这是一个用于测试的段落。",
        "こんにちは世界。これはテスト用の段落です。",
        "مرحبا بالعالم. هذه فقرة للاختبار.",
        "Literal *stars*, _underscores_, [brackets](not a link), # hash, | pipes |, <angle> tags, back\\slash, `one tick` and ``two ticks``.",
        "pipe | inside a cell\nand a line break",
        "\\int_0^1 x^2 \\, dx = \\frac{1}{3}",
        "A Rust program",
        "Synced content, written once.",
        "Write the mock server",
        "@Grace Hopper",
        "Languages and symbols",
    ] {
        assert!(all.iter().any(|t| t == needle), "missing {needle:?}");
    }
    // The synced copy shows the original's text; unknown types show nothing.
    let copy = ws
        .page_ids()
        .into_iter()
        .find(|id| ws.plain_texts(id).first().map(String::as_str) == Some("Synced copy"))
        .expect("the synced copy page");
    assert!(
        ws.plain_texts(&copy)
            .iter()
            .any(|t| t == "Synced content, written once.")
    );
    assert!(!all.iter().any(|t| t.contains("no one has heard of")));
}

#[test]
fn synthetic_workspaces_are_seeded_and_shaped() {
    let cfg = SyntheticConfig {
        pages: 300,
        seed: 42,
        ..Default::default()
    };
    let a = Workspace::synthetic(&cfg);
    let b = Workspace::synthetic(&cfg);
    let ids = a.page_ids();
    assert_eq!(ids, b.page_ids());
    assert!(ids.len() > 250 && ids.len() <= 300, "{}", ids.len());
    assert_eq!(a.page_tree_json(&ids[7]), b.page_tree_json(&ids[7]));
    let other = Workspace::synthetic(&SyntheticConfig {
        seed: 43,
        ..cfg.clone()
    });
    assert_ne!(
        other.page_tree_json(&other.page_ids()[7]),
        a.page_tree_json(&ids[7])
    );
    let sizes: Vec<usize> = ids
        .iter()
        .map(|id| {
            a.page_tree_json(id).unwrap()["blocks"]
                .as_array()
                .unwrap()
                .len()
        })
        .collect();
    assert!(sizes.iter().any(|n| *n > 100), "a page over 100 blocks");
    let min = a.min_requests();
    assert!(min.query >= 1 && min.retrieve_database >= 1 && min.block_children > 0);
}

#[tokio::test]
async fn synthetic_pages_over_http_match_page_tree_json() {
    let ws = Workspace::synthetic(&SyntheticConfig {
        pages: 60,
        seed: 5,
        ..Default::default()
    });
    let h = Harness::start(ws.clone(), MockConfig::unlimited()).await;
    let c = crawl(&h).await;
    let min = ws.min_requests();
    assert_eq!(
        c.stats.per_endpoint["GET /v1/blocks/{id}/children"],
        min.page_children + min.block_children
    );
    assert_eq!(c.trees.len(), ws.page_ids().len());
    for (id, tree) in &c.trees {
        assert_eq!(
            tree["blocks"],
            ws.page_tree_json(id).unwrap()["blocks"],
            "page {id}"
        );
    }
    h.server.stop().await;
}

#[test]
fn bad_datasets_are_clear_errors() {
    let unknown = Workspace::from_json(
        json!({"pages": [{"title": "A", "blocks": [{"link_to_page": "nowhere"}]}]}),
    );
    assert!(unknown.unwrap_err().to_string().contains("nowhere"));
    let dup = Workspace::from_json(
        json!({"pages": [{"key": "a", "title": "A"}, {"key": "a", "title": "B"}]}),
    );
    assert!(dup.unwrap_err().to_string().contains("twice"));
    let bad_block =
        Workspace::from_json(json!({"pages": [{"title": "A", "blocks": ["just a string"]}]}));
    assert!(
        bad_block
            .unwrap_err()
            .to_string()
            .contains("pages/0/blocks/0")
    );
    let bad_time =
        Workspace::from_json(json!({"pages": [{"title": "A", "created_time": "yesterday"}]}));
    assert!(bad_time.is_err());
    let bad_repeat = Workspace::from_json(json!({"pages": [{"repeat": "x", "each": {}}]}));
    assert!(bad_repeat.is_err());
}

#[test]
fn to_json_round_trips() {
    let ws = Workspace::kitchen_sink();
    let again = Workspace::from_json(ws.to_json()).expect("written form loads");
    assert_eq!(again.page_ids(), ws.page_ids());
    for id in ws.page_ids() {
        assert_eq!(
            again.page_tree_json(&id),
            ws.page_tree_json(&id),
            "page {id}"
        );
    }
    assert_eq!(again.min_requests(), ws.min_requests());
    let synthetic = Workspace::synthetic(&SyntheticConfig {
        pages: 40,
        seed: 3,
        ..Default::default()
    });
    let again = Workspace::from_json(synthetic.to_json()).expect("written synthetic loads");
    let id = &synthetic.page_ids()[3];
    assert_eq!(again.page_tree_json(id), synthetic.page_tree_json(id));
}
