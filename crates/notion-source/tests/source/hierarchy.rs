//! The shared hierarchy against the mock Notion server over real HTTP: what
//! it holds (golden text and JSON of the kitchen sink) and what it costs
//! (search pages plus one lookup per distinct block parent, counted by the
//! mock).

use std::collections::BTreeSet;

use notion_mock::{MockConfig, MockServer, SyntheticConfig, Workspace};
use notion_source::hierarchy::{
    self, Hierarchy, Listing, NodeInfo, NodeInfos, NodeKind, RenderOptions, Selection,
};
use serde_json::{Value, json};

use crate::common::fast_client;

async fn listed(ws: Workspace) -> (Listing, notion_mock::Stats) {
    let server = MockServer::start(ws, MockConfig::unlimited())
        .await
        .unwrap();
    let listing = hierarchy::list(&fast_client(&server)).await.unwrap();
    let stats = server.stats();
    server.stop().await;
    (listing, stats)
}

fn text(tree: &Hierarchy, options: &RenderOptions<'_>) -> String {
    let mut out = Vec::new();
    hierarchy::write_text(tree, options, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn json_lines(tree: &Hierarchy, options: &RenderOptions<'_>) -> String {
    let mut out = Vec::new();
    hierarchy::write_json_lines(tree, options, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn endpoint(stats: &notion_mock::Stats, name: &str) -> u64 {
    stats.per_endpoint.get(name).copied().unwrap_or(0)
}

fn title_of(tree: &Hierarchy, index: usize) -> &str {
    &tree.node(index).title
}

fn by_title(tree: &Hierarchy, title: &str) -> Option<usize> {
    (0..tree.len()).find(|&i| title_of(tree, i) == title)
}

#[tokio::test]
async fn kitchen_sink_golden_text_and_json() {
    let (listing, stats) = listed(Workspace::kitchen_sink()).await;
    let tree = Hierarchy::build(&listing);

    // The hard cases, checked by name before the snapshots.
    let level_3 = by_title(&tree, "Level 3").expect("a page under a toggle is listed");
    let parent = tree.node(level_3).parent.expect("it hangs under its page");
    assert_eq!(
        title_of(&tree, parent),
        "Level 2",
        "the toggle resolves to its page"
    );
    let orphan = by_title(&tree, "Shared below a private page").unwrap();
    assert_eq!(
        tree.node(orphan).parent,
        None,
        "an unshared parent makes a top-level entry"
    );
    for absent in ["A trashed page", "Private parent", "An archived page"] {
        assert!(by_title(&tree, absent).is_none(), "{absent} is not listed");
    }
    let tasks = (0..tree.len())
        .find(|&i| tree.node(i).kind == NodeKind::DataSource && title_of(&tree, i) == "Tasks")
        .expect("the Tasks data source");
    assert_eq!(
        tree.node(tasks).counts.pages,
        3,
        "three rows; the trashed row is absent"
    );
    let projects = by_title(&tree, "Projects").unwrap();
    assert_eq!(tree.node(projects).kind, NodeKind::Database);
    assert_eq!(
        tree.children(projects).count(),
        2,
        "a database with two data sources"
    );
    assert_eq!(
        listing.removed, 3,
        "trashed page, trashed row, archived page"
    );

    // Requests: search pages, one per distinct block parent, one database
    // (the one whose two data sources cannot name it).
    assert_eq!(listing.requests.search, endpoint(&stats, "POST /v1/search"));
    assert_eq!(
        listing.requests.blocks,
        endpoint(&stats, "GET /v1/blocks/{id}")
    );
    assert_eq!(
        listing.requests.databases,
        endpoint(&stats, "GET /v1/databases/{id}")
    );
    assert_eq!(listing.requests.databases, 1);
    assert_eq!(stats.total, listing.requests.total());
    assert_eq!(listing.blocks.len() as u64, listing.requests.blocks);

    insta::assert_snapshot!("kitchen_sink_text", text(&tree, &RenderOptions::default()));
    insta::assert_snapshot!(
        "kitchen_sink_json",
        json_lines(&tree, &RenderOptions::default())
    );

    // Marks, extra facts, --from and --depth.
    let level_1 = &tree.node(by_title(&tree, "Level 1").unwrap()).id;
    let hidden = &tree.node(by_title(&tree, "Level 2").unwrap()).id;
    let selection = Selection::parse(&[format!("page:{level_1}")], &[hidden.as_str()]).unwrap();
    let mut info = NodeInfos::new();
    info.insert(
        hidden.clone(),
        NodeInfo {
            walked_only: false,
            stored_blocks: Some(12),
        },
    );
    info.insert(
        tree.node(level_3).id.clone(),
        NodeInfo {
            walked_only: true,
            stored_blocks: None,
        },
    );
    let home = tree
        .node(by_title(&tree, "Kitchen Sink").unwrap())
        .url
        .clone();
    let options = RenderOptions {
        depth: Some(4),
        from: Some(&home),
        selection: Some(&selection),
        info: Some(&info),
    };
    insta::assert_snapshot!("kitchen_sink_marked_text", text(&tree, &options));
    insta::assert_snapshot!("kitchen_sink_marked_json", json_lines(&tree, &options));

    let unknown = RenderOptions {
        from: Some("page:00000000-0000-0000-0000-000000000000"),
        ..RenderOptions::default()
    };
    let err = hierarchy::write_text(&tree, &unknown, &mut Vec::new()).unwrap_err();
    assert!(
        err.to_string().contains("not in the shared hierarchy"),
        "{err}"
    );
}

#[tokio::test]
async fn a_listing_round_trips_through_serde_to_the_same_tree() {
    let (listing, _) = listed(Workspace::kitchen_sink()).await;
    let cached = serde_json::to_string(&listing).unwrap();
    let back: Listing = serde_json::from_str(&cached).unwrap();
    assert_eq!(back, listing);
    let (a, b) = (Hierarchy::build(&listing), Hierarchy::build(&back));
    assert_eq!(
        text(&a, &RenderOptions::default()),
        text(&b, &RenderOptions::default())
    );
}

/// A synthetic workspace with pages in toggles and columns added: every
/// page search returns is a node, and the listing costs exactly the search
/// pages plus one request per distinct block parent.
#[tokio::test]
async fn synthetic_workspace_costs_search_pages_plus_distinct_block_parents() {
    let mut ws = Workspace::synthetic(&SyntheticConfig {
        pages: 1_500,
        seed: 11,
        absent_from_search_share: 0.0,
        ..SyntheticConfig::default()
    });
    // 20 holder pages, each with a toggle holding two pages and a column
    // list whose one column holds a toggle that holds a page: the toggle,
    // the column list, the column and the inner toggle are 4 distinct block
    // parents per holder (the column list is reached from the column).
    let host = ws.page_ids()[0].clone();
    let mut holders = Vec::new();
    for h in 0..20 {
        let blocks = json!([
            {"toggle": "Two pages inside", "children": [
                {"child_page": {"title": format!("In toggle {h} a")}},
                {"child_page": {"title": format!("In toggle {h} b")}},
            ]},
            {"column_list": {}, "children": [
                {"column": {}, "children": [
                    {"toggle": "Deeper", "children": [{"child_page": {"title": format!("In column {h}")}}]},
                ]},
            ]},
        ]);
        holders.push(
            ws.add_page(Some(&host), &format!("Holder {h}"), blocks)
                .unwrap(),
        );
    }
    let expected_pages: BTreeSet<String> = ws.page_ids().into_iter().collect();

    let (listing, stats) = listed(ws).await;
    let tree = Hierarchy::build(&listing);

    let pages: BTreeSet<String> = tree
        .nodes()
        .iter()
        .filter(|n| n.kind == NodeKind::Page)
        .map(|n| n.id.clone())
        .collect();
    assert_eq!(pages, expected_pages, "every crawlable page, nothing else");
    for holder in &holders {
        let h = tree.find(holder).unwrap();
        let children: Vec<&str> = tree.children(h).map(|c| title_of(&tree, c)).collect();
        assert_eq!(children.len(), 3, "{children:?}");
        assert_eq!(tree.node(h).counts.pages, 3);
    }

    let search_results = listing
        .entries
        .iter()
        .filter(|e| e.kind != NodeKind::Database)
        .count() as u64
        + listing.removed;
    assert_eq!(
        endpoint(&stats, "POST /v1/search"),
        search_results.div_ceil(100)
    );
    assert_eq!(
        endpoint(&stats, "GET /v1/blocks/{id}"),
        4 * holders.len() as u64
    );
    assert_eq!(
        stats.total,
        endpoint(&stats, "POST /v1/search") + endpoint(&stats, "GET /v1/blocks/{id}"),
        "no other request: {:?}",
        stats.per_endpoint
    );
    assert_eq!(listing.requests.total(), stats.total);
    let ds_count = tree
        .nodes()
        .iter()
        .filter(|n| n.kind == NodeKind::DataSource)
        .count();
    let db_count = tree
        .nodes()
        .iter()
        .filter(|n| n.kind == NodeKind::Database)
        .count();
    assert!(
        ds_count > 0 && ds_count == db_count,
        "each database from its one data source"
    );
    let json = json_lines(&tree, &RenderOptions::default());
    let first: Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert!(first["counts"]["pages"].as_u64().is_some(), "{first}");
}
