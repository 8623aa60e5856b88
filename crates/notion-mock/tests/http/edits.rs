//! The edit API: edits are served at once, `last_edited_time` moves to the
//! minute on the edited block and page, synthetic content is overridden,
//! and what the workspace says a crawl finds (`page_ids`, `page_tree_json`,
//! `min_requests`) stays what a crawl over HTTP finds.

use notion_mock::{EditError, MockConfig, SyntheticConfig, Workspace};
use serde_json::{Value, json};

use crate::common::*;

/// The current minute in Notion's form, and the next one (an edit made
/// between two readings of the clock carries one of them).
fn minutes_now() -> [String; 2] {
    let now = chrono::Utc::now();
    let f = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:00.000Z").to_string();
    [f(now), f(now + chrono::Duration::minutes(1))]
}

fn synthetic(pages: usize, seed: u64) -> Workspace {
    Workspace::synthetic(&SyntheticConfig {
        pages,
        seed,
        ..SyntheticConfig::default()
    })
}

/// Checks that a crawl over HTTP finds exactly the pages and trees the
/// served workspace describes, in its minimum of block-children requests.
async fn assert_crawl_matches_workspace(h: &Harness) {
    let ws = h.server.workspace();
    let c = crawl(h).await;
    let mut expected = ws.page_ids();
    expected.sort();
    assert_eq!(c.trees.keys().cloned().collect::<Vec<_>>(), expected);
    for (id, tree) in &c.trees {
        assert_eq!(
            without_signatures(&tree["blocks"]),
            without_signatures(&ws.page_tree_json(id).unwrap()["blocks"]),
            "page {id}"
        );
    }
    let min = ws.min_requests();
    assert_eq!(
        c.stats.per_endpoint["GET /v1/blocks/{id}/children"],
        min.page_children + min.block_children
    );
}

/// A page of the crawl with a paragraph block, and that block's id.
fn page_with_paragraph(ws: &Workspace) -> (String, String) {
    ws.page_ids()
        .into_iter()
        .find_map(|page| {
            let tree = ws.page_tree_json(&page)?;
            let block = tree["blocks"]
                .as_array()?
                .iter()
                .find(|b| b["type"] == "paragraph")?;
            Some((page, block["id"].as_str()?.to_string()))
        })
        .expect("a page with a paragraph")
}

#[tokio::test]
async fn a_block_edit_is_served_and_moves_block_and_page_to_the_minute() {
    let ws = synthetic(80, 11);
    let (page, block) = page_with_paragraph(&ws);
    let h = Harness::start(ws, MockConfig::unlimited()).await;
    let before = h.get(&format!("/v1/pages/{page}")).await.body;

    let minutes = minutes_now();
    h.server
        .edit(|ws| ws.set_block_text(&block, "Edited tonight."))
        .unwrap();

    let served = h.get(&format!("/v1/blocks/{block}")).await.body;
    assert_eq!(
        served["paragraph"]["rich_text"][0]["plain_text"],
        "Edited tonight."
    );
    assert!(minutes.contains(&served["last_edited_time"].as_str().unwrap().to_string()));
    let after = h.get(&format!("/v1/pages/{page}")).await.body;
    assert!(minutes.contains(&after["last_edited_time"].as_str().unwrap().to_string()));
    assert_ne!(after["last_edited_time"], before["last_edited_time"]);
    assert_eq!(after["created_time"], before["created_time"]);
    // The page's other blocks are what the seed generated.
    let original = h.server.workspace();
    let tree = original.page_tree_json(&page).unwrap();
    assert_eq!(
        tree["blocks"].as_array().unwrap().len(),
        h.children(&page).await.len()
    );
    // Search sorted by last edit puts the edited page first.
    let search = h
        .post(
            "/v1/search",
            json!({"sort": {"timestamp": "last_edited_time", "direction": "descending"}}),
        )
        .await;
    assert_eq!(search.body["results"][0]["id"], page.as_str());
    assert!(
        h.server
            .workspace()
            .plain_texts(&page)
            .contains(&"Edited tonight.".to_string())
    );
    assert_crawl_matches_workspace(&h).await;
    h.server.stop().await;
}

#[tokio::test]
async fn rewriting_a_synthetic_page_overrides_its_generated_blocks() {
    let ws = synthetic(120, 4);
    // A page with child pages among its generated blocks.
    let page = ws
        .page_ids()
        .into_iter()
        .find(|p| {
            let blocks = ws.page_tree_json(p).unwrap()["blocks"].clone();
            let kinds: Vec<&str> = blocks
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["type"].as_str().unwrap())
                .collect();
            kinds.contains(&"child_page")
                && kinds.iter().filter(|k| **k != "child_page").count() > 3
        })
        .expect("a page with child pages and blocks");
    let old_blocks = ws.page_tree_json(&page).unwrap()["blocks"].clone();
    let old_block = old_blocks
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] != "child_page" && b["type"] != "child_database")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let other = ws.page_ids().into_iter().find(|p| *p != page).unwrap();
    let other_tree = ws.page_tree_json(&other).unwrap();
    let h = Harness::start(ws, MockConfig::unlimited()).await;

    h.server
        .edit(|ws| ws.set_page_text(&page, &["First.", "Second."]))
        .unwrap();

    let children = h.children(&page).await;
    let kinds: Vec<&str> = children
        .iter()
        .map(|b| b["type"].as_str().unwrap())
        .collect();
    assert_eq!(&kinds[..2], ["paragraph", "paragraph"]);
    assert!(
        kinds[2..]
            .iter()
            .all(|k| *k == "child_page" || *k == "child_database")
    );
    let kept: Vec<&Value> = old_blocks
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "child_page" || b["type"] == "child_database")
        .collect();
    assert_eq!(
        ids(&children[2..]),
        ids(&kept.into_iter().cloned().collect::<Vec<_>>())
    );
    // The generated block is gone, everywhere.
    assert_eq!(h.get(&format!("/v1/blocks/{old_block}")).await.status, 404);
    let edited = h.server.workspace();
    assert_eq!(edited.page_of(&old_block), None);
    assert_eq!(
        edited.page_of(children[0]["id"].as_str().unwrap()),
        Some(page.clone())
    );
    // Other pages are untouched.
    assert_eq!(edited.page_tree_json(&other).unwrap(), other_tree);

    // Appending adds a block at the end.
    let added = h
        .server
        .edit(|ws| ws.append_paragraph(&page, "Third."))
        .unwrap();
    let children = h.children(&page).await;
    assert_eq!(children.last().unwrap()["id"], added.as_str());
    assert_eq!(
        children.last().unwrap()["paragraph"]["rich_text"][0]["plain_text"],
        "Third."
    );
    assert_crawl_matches_workspace(&h).await;
    h.server.stop().await;
}

#[tokio::test]
async fn an_added_page_is_found_by_search_and_under_its_parent() {
    let ws = synthetic(60, 2);
    let parent = ws.page_ids()[3].clone();
    let h = Harness::start(ws, MockConfig::unlimited()).await;
    let minutes = minutes_now();
    let child = h
        .server
        .edit(|ws| {
            ws.add_page(
                Some(&parent),
                "Fresh notes",
                json!([{"heading_2": "Agenda"}, {"bulleted_list_item": "Ship it"}]),
            )
        })
        .unwrap();
    let top = h
        .server
        .edit(|ws| ws.add_page(None, "Top level", json!([{"paragraph": "Hello"}])))
        .unwrap();

    let page = h.get(&format!("/v1/pages/{child}")).await.body;
    assert_eq!(page["parent"]["page_id"], parent.as_str());
    assert!(minutes.contains(&page["created_time"].as_str().unwrap().to_string()));
    let last = h.children(&parent).await.pop().unwrap();
    assert_eq!(last["id"], child.as_str());
    assert_eq!(last["child_page"]["title"], "Fresh notes");
    let parent_page = h.get(&format!("/v1/pages/{parent}")).await.body;
    assert!(
        minutes.contains(
            &parent_page["last_edited_time"]
                .as_str()
                .unwrap()
                .to_string()
        )
    );
    let (found, _) = h.collect("POST", "/v1/search", json!({}), 100).await;
    let found = ids(&found);
    assert!(found.contains(&child) && found.contains(&top));
    let ws = h.server.workspace();
    assert!(ws.page_ids().contains(&child) && ws.page_ids().contains(&top));
    assert_eq!(
        ws.plain_texts(&child),
        ["Fresh notes", "Agenda", "Ship it"].map(String::from)
    );
    assert_crawl_matches_workspace(&h).await;
    h.server.stop().await;
}

/// A page of the crawl with child pages whose parent is of `parent_type`
/// (`workspace`: a top-level page, where a connection is granted).
fn page_with_subtree(ws: &Workspace, parent_type: &str) -> String {
    ws.page_ids()
        .into_iter()
        .find(|p| {
            let tree = ws.page_tree_json(p).unwrap();
            tree["page"]["parent"]["type"] == parent_type
                && tree["blocks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|b| b["type"] == "child_page")
        })
        .expect("a page with child pages")
}

#[tokio::test]
async fn trashed_archived_unshared_and_deleted_pages_leave_the_crawl_with_their_subtrees() {
    let ws = synthetic(120, 8);
    let h = Harness::start(ws.clone(), MockConfig::unlimited()).await;
    let pages_before = ws.page_ids();

    // Trash: the page and its subtree say so; the page's time moves.
    let victim = page_with_subtree(&h.server.workspace(), "page_id");
    let minutes = minutes_now();
    let trashed = h.server.edit(|ws| ws.trash_page(&victim)).unwrap();
    assert!(trashed.len() > 1 && trashed[0] == victim);
    let page = h.get(&format!("/v1/pages/{victim}")).await.body;
    assert_eq!(
        (page["in_trash"].clone(), page["archived"].clone()),
        (json!(true), json!(true))
    );
    let parent = page["parent"]["page_id"].as_str().unwrap();
    let host = h.get(&format!("/v1/pages/{parent}")).await.body;
    for edited in [&page, &host] {
        assert!(minutes.contains(&edited["last_edited_time"].as_str().unwrap().to_string()));
    }
    let under = h.get(&format!("/v1/pages/{}", trashed[1])).await.body;
    assert_eq!(under["in_trash"], true);
    let now_crawled = h.server.workspace().page_ids();
    assert!(trashed.iter().all(|p| !now_crawled.contains(p)));
    assert_crawl_matches_workspace(&h).await;

    // Archive.
    let victim = page_with_subtree(&h.server.workspace(), "page_id");
    let archived = h.server.edit(|ws| ws.archive_page(&victim)).unwrap();
    assert_eq!(
        h.get(&format!("/v1/pages/{victim}")).await.body["is_archived"],
        true
    );
    assert!(!h.server.workspace().page_ids().contains(&archived[0]));

    // Unshare: 404 everywhere, out of search, no time moved.
    let victim = page_with_subtree(&h.server.workspace(), "workspace");
    let unshared = h.server.edit(|ws| ws.unshare_page(&victim)).unwrap();
    for p in &unshared {
        assert_eq!(h.get(&format!("/v1/pages/{p}")).await.status, 404);
    }
    let (found, _) = h.collect("POST", "/v1/search", json!({}), 100).await;
    assert!(ids(&found).iter().all(|id| !unshared.contains(id)));
    assert_crawl_matches_workspace(&h).await;

    // Delete: 404, gone from its parent's children, the parent's time moves.
    let victim = page_with_subtree(&h.server.workspace(), "page_id");
    let parent = h.get(&format!("/v1/pages/{victim}")).await.body["parent"].clone();
    let deleted = h.server.edit(|ws| ws.delete_page(&victim)).unwrap();
    assert_eq!(h.get(&format!("/v1/pages/{victim}")).await.status, 404);
    let parent = parent["page_id"].as_str().unwrap();
    assert!(!ids(&h.children(parent).await).contains(&victim));
    let host = h.get(&format!("/v1/pages/{parent}")).await.body;
    assert!(
        minutes_now()
            .iter()
            .chain(&minutes)
            .any(|m| host["last_edited_time"] == m.as_str())
    );
    assert_crawl_matches_workspace(&h).await;

    // Every page that left the crawl is one of those the edits named.
    let after = h.server.workspace().page_ids();
    let named: Vec<&String> = [&trashed, &archived, &unshared, &deleted]
        .into_iter()
        .flatten()
        .collect();
    for p in &pages_before {
        assert_eq!(!after.contains(p), named.contains(&p), "page {p}");
    }
    h.server.stop().await;
}

#[tokio::test]
async fn bad_edits_are_clear_errors_and_change_nothing() {
    let ws = Workspace::kitchen_sink();
    let h = Harness::start(ws.clone(), MockConfig::unlimited()).await;
    let missing = "0f2b7c1e-8a4d-4c3e-9b5a-1d2e3f405162";
    let e = h.server.edit(|ws| ws.trash_page(missing)).unwrap_err();
    assert!(matches!(e, EditError::UnknownPage(_)), "{e}");
    let e = h
        .server
        .edit(|ws| ws.set_block_text("nope", "x"))
        .unwrap_err();
    assert!(matches!(e, EditError::UnknownBlock(_)), "{e}");
    let page = ws.page_ids()[0].clone();
    let divider = ws
        .page_ids()
        .into_iter()
        .find_map(|p| {
            let tree = ws.page_tree_json(&p)?;
            let blocks = tree["blocks"].as_array()?.clone();
            blocks.into_iter().find(|b| b["type"] == "divider")
        })
        .expect("a divider");
    let e = h
        .server
        .edit(|ws| ws.set_block_text(divider["id"].as_str().unwrap(), "x"))
        .unwrap_err();
    assert!(e.to_string().contains("`divider`"), "{e}");
    let e = h
        .server
        .edit(|ws| ws.add_page(Some(&page), "Bad", json!([{"paragraph": 7, "children": 3}])))
        .unwrap_err();
    assert!(matches!(e, EditError::Dataset(_)), "{e}");
    let after = h.server.workspace();
    assert_eq!(after.page_ids(), ws.page_ids());
    for p in ws.page_ids() {
        assert_eq!(after.page_tree_json(&p), ws.page_tree_json(&p));
    }
    h.server.stop().await;
}

#[tokio::test]
async fn stats_record_each_requests_path() {
    let h = Harness::kitchen_sink().await;
    let page = h.server.workspace().page_ids()[0].clone();
    h.get(&format!("/v1/blocks/{page}/children")).await;
    let stats = h.server.stats();
    let event = stats.timeline.last().unwrap();
    assert_eq!(event.endpoint, "GET /v1/blocks/{id}/children");
    assert_eq!(event.path, format!("/v1/blocks/{page}/children"));
    h.server.stop().await;
}
