//! Property-based fuzzing of the response parsers: arbitrary JSON, and
//! real Notion-shaped objects (the kitchen sink's pages and blocks, list
//! envelopes) with one part mutated, fed to every model type. None may
//! panic or overflow the stack; pages, blocks and property values must
//! parse whatever their optional parts hold. Deep nesting, as text and as
//! built trees, is checked separately.

use notion_mock::Workspace;
use notion_source::client::PropertyItem;
use notion_source::crawler::ChildDocuments;
use notion_source::model::{
    Block, BlockKind, DataSource, Database, ErrorBody, FileSource, Icon, ListResponse, Page,
    PageTree, Parent, PropertyValue, RichText, SearchResult, User,
};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

/// Keys Notion objects use, so that arbitrary objects hit real code paths.
const KEYS: &[&str] = &[
    "object",
    "id",
    "type",
    "results",
    "has_more",
    "next_cursor",
    "children",
    "has_children",
    "properties",
    "rich_text",
    "title",
    "parent",
    "created_time",
    "last_edited_time",
    "page_id",
    "synced_block",
    "synced_from",
    "block_id",
    "paragraph",
    "toggle",
    "number",
    "relation",
    "cover",
    "icon",
    "file",
    "external",
    "url",
    "plain_text",
    "text",
    "content",
    "mention",
    "annotations",
    "in_trash",
    "status",
    "code",
    "message",
    "request_id",
    "rollup",
    "array",
    "formula",
    "emoji",
    "caption",
    "cells",
    "table_row",
    "data_sources",
    "name",
    "x",
];

/// Strings Notion objects hold, and troublesome ones.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(KEYS).prop_map(str::to_string),
        Just("2026-07-04T09:08:00.000Z".to_string()),
        Just("59833787-2cf9-4fdf-8782-e53db20768a5".to_string()),
        Just(String::new()),
        ".{0,12}",
    ]
}

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((text(), inner), 0..8)
                .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Parses `value` as `T` from the value and from its text; returns the
/// value parse. Panics are what the tests look for.
fn parse<T: DeserializeOwned>(value: &Value) -> Result<T, serde_json::Error> {
    let _ = serde_json::from_str::<T>(&value.to_string());
    serde_json::from_value(value.clone())
}

/// Feeds `value` to every model type's parser and uses what parses.
fn every_parser(value: &Value) {
    if let Ok(tree) = parse::<PageTree>(value) {
        let _ = ChildDocuments::of(&tree);
        let _ = (tree.block_count(), tree.malformed_values());
        let _ = serde_json::to_value(&tree);
    }
    if let Ok(page) = parse::<Page>(value) {
        let _ = (page.title(), page.malformed_values());
        let again: Page = serde_json::from_value(serde_json::to_value(&page).unwrap()).unwrap();
        assert_eq!(again.id, page.id);
    }
    let block = parse::<Block>(value).expect("any JSON is a block");
    let _ = serde_json::to_value(&block);
    parse::<PropertyValue>(value).expect("any JSON is a property value");
    parse::<SearchResult>(value).expect("any JSON is a search result");
    parse::<PropertyItem>(value).expect("any JSON is a property item");
    let _ = parse::<ListResponse<Block>>(value);
    let _ = parse::<ListResponse<SearchResult>>(value);
    let _ = parse::<RichText>(value);
    let _ = parse::<DataSource>(value);
    let _ = parse::<Database>(value);
    let _ = parse::<User>(value);
    let _ = parse::<ErrorBody>(value);
    let _ = parse::<Parent>(value);
    let _ = parse::<Icon>(value);
    let _ = parse::<FileSource>(value);
}

/// What a mutation does at the place it reaches.
#[derive(Debug, Clone)]
enum Mutation {
    Replace(Value),
    Remove,
    Null,
    /// A string `type` to another block or property type.
    Retype(String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        json_value().prop_map(Mutation::Replace),
        Just(Mutation::Remove),
        Just(Mutation::Null),
        prop::sample::select(vec![
            "paragraph",
            "toggle",
            "synced_block",
            "number",
            "relation",
            "child_page",
            "hologram",
            ""
        ])
        .prop_map(|t| Mutation::Retype(t.to_string())),
    ]
}

/// Applies `mutation` at the place `path` leads to (each step picks a
/// child by index modulo the number of children).
fn mutate(value: &mut Value, path: &[usize], mutation: &Mutation) {
    let mut here = value;
    for (step, &choice) in path.iter().enumerate() {
        let last = step + 1 == path.len();
        let key = match &*here {
            Value::Object(map) if !map.is_empty() => {
                Some(map.keys().nth(choice % map.len()).cloned().unwrap())
            }
            Value::Array(items) if !items.is_empty() => None,
            _ => break,
        };
        if last {
            match (&mut *here, key, mutation) {
                (Value::Object(map), Some(k), Mutation::Remove) => {
                    map.remove(&k);
                }
                (Value::Array(items), None, Mutation::Remove) => {
                    let len = items.len();
                    items.remove(choice % len);
                }
                (Value::Object(map), Some(k), Mutation::Retype(t)) => {
                    map.insert("type".into(), json!(t));
                    map.entry(k).or_insert(Value::Null);
                }
                (Value::Object(map), Some(k), Mutation::Replace(v)) => {
                    map.insert(k, v.clone());
                }
                (Value::Object(map), Some(k), Mutation::Null) => {
                    map.insert(k, Value::Null);
                }
                (Value::Array(items), None, Mutation::Replace(v)) => {
                    let len = items.len();
                    items[choice % len] = v.clone();
                }
                _ => {}
            }
            return;
        }
        here = match (here, key) {
            (Value::Object(map), Some(k)) => map.get_mut(&k).unwrap(),
            (Value::Array(items), None) => {
                let len = items.len();
                &mut items[choice % len]
            }
            _ => return,
        };
    }
}

/// The kitchen sink's page trees as Notion JSON (all but the big page,
/// whose 7,750 blocks would only slow the cases down).
fn kitchen_sink_trees() -> &'static [Value] {
    static TREES: std::sync::OnceLock<Vec<Value>> = std::sync::OnceLock::new();
    TREES.get_or_init(|| {
        let ws = Workspace::kitchen_sink();
        ws.page_ids()
            .iter()
            .filter_map(|id| ws.page_tree_json(id))
            .filter(|tree| tree.to_string().len() < 64 * 1024)
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_json_never_panics_a_parser(value in json_value()) {
        every_parser(&value);
    }

    /// A real page or block with one part changed still parses, and a page
    /// stays a page whatever happens to its optional fields.
    #[test]
    fn mutated_notion_objects_never_panic_and_pages_survive_bad_optional_fields(
        which in any::<prop::sample::Index>(),
        path in prop::collection::vec(any::<usize>(), 1..8),
        change in mutation(),
    ) {
        let trees = kitchen_sink_trees();
        let mut tree = trees[which.index(trees.len())].clone();
        mutate(&mut tree, &path, &change);
        every_parser(&tree);
        every_parser(&tree["page"]);
        every_parser(&json!({"object": "list", "results": tree["blocks"], "has_more": false}));
        for block in tree["blocks"].as_array().into_iter().flatten() {
            every_parser(block);
        }
        // Only the four required fields can cost a page.
        let page = &tree["page"];
        let required = ["id", "created_time", "last_edited_time", "parent"];
        let original = &trees[which.index(trees.len())]["page"];
        if required.iter().all(|k| page.get(*k) == original.get(*k)) {
            prop_assert!(parse::<Page>(page).is_ok(), "{page}");
        }
    }

    /// Every search result is a page, a data source, a database or an
    /// unknown object kept raw: a list of them always parses.
    #[test]
    fn a_search_list_parses_item_by_item(items in prop::collection::vec(json_value(), 0..6)) {
        let list = json!({"object": "list", "results": items, "has_more": false, "next_cursor": null});
        let parsed = parse::<ListResponse<SearchResult>>(&list).expect("a list parses");
        prop_assert_eq!(parsed.results.len(), items.len());
        let blocks = parse::<ListResponse<Block>>(&list).expect("a list of blocks parses");
        prop_assert_eq!(blocks.results.len(), items.len());
    }
}

#[test]
fn deeply_nested_text_is_an_error_not_a_stack_overflow() {
    let depth = 100_000;
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = format!("{}{}", "{\"children\":[".repeat(depth), "]}".repeat(depth));
    for text in [&arrays, &objects] {
        assert!(serde_json::from_str::<PageTree>(text).is_err());
        assert!(serde_json::from_str::<Block>(text).is_err());
        assert!(serde_json::from_str::<Page>(text).is_err());
        assert!(serde_json::from_str::<SearchResult>(text).is_err());
        assert!(serde_json::from_str::<PropertyValue>(text).is_err());
    }
    // An unknown key is skipped however deep it goes.
    let list = serde_json::from_str::<ListResponse<Block>>(&objects).unwrap();
    assert!(list.results.is_empty());
    let _ = serde_json::from_str::<ListResponse<Block>>(&arrays);
}

#[test]
fn a_block_tree_200000_deep_clones_walks_and_drops_without_recursion() {
    // Run on a small stack: anything recursive per level would overflow it.
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let depth = 200_000;
            let mut chain = Block::new("leaf", BlockKind::Divider(Default::default()));
            for i in 0..depth {
                let mut parent = Block::new(format!("b{i}"), BlockKind::Toggle(Default::default()));
                parent.children.push(chain);
                chain = parent;
            }
            let page: Page = serde_json::from_value(json!({
                "object": "page", "id": "p", "created_time": "2026-01-01T00:00:00.000Z",
                "last_edited_time": "2026-01-01T00:00:00.000Z", "parent": {"type": "workspace", "workspace": true},
            }))
            .unwrap();
            let tree = PageTree {
                page,
                blocks: vec![chain],
            };
            let copy = tree.clone();
            assert_eq!(copy.block_count(), depth + 1);
            assert_eq!(tree.malformed_values(), 0);
            assert_eq!(ChildDocuments::of(&copy), ChildDocuments::default());
            drop(copy);
            drop(tree);
        })
        .unwrap()
        .join()
        .expect("no stack overflow");
}
