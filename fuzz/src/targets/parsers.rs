//! The parsers target: response bodies shaped like Notion's (pages, blocks,
//! lists, search results, property items, users, databases, data sources,
//! errors), mutated: values of the wrong type, missing and unknown fields,
//! unknown `type` tags, huge numbers (`1e400`), deep nesting, lone
//! surrogate escapes, truncation, bytes that are not UTF-8. Every model
//! must parse or refuse without a panic, a stack overflow or a hang; a page
//! tree that parses must render.

use notion_markdown::{RenderContext, render_page};
use notion_source::client::PropertyItem;
use notion_source::model::{
    Block, DataSource, Database, ErrorBody, ListResponse, Page, PageTree, PropertyValue, RichText,
    SearchResult, User,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::Broken;
use crate::notion_json::NotionJson;
use crate::rng::Rng;
use crate::tree::dismantle;

/// A response body shaped like one of Notion's.
fn seed(g: &mut NotionJson<'_>) -> Value {
    let block = |g: &mut NotionJson<'_>| {
        let block_type = g.block_type(false);
        g.block(block_type, "b-1".into())
    };
    match g.rng().below(10) {
        0 => g.page(),
        1 => block(g),
        2 => {
            let results: Vec<Value> = (0..g.rng().size(10)).map(|_| block(g)).collect();
            json!({"object": "list", "results": results, "next_cursor": null, "has_more": false,
                   "type": "block", "block": {}, "request_id": "r"})
        }
        3 => {
            let results: Vec<Value> = (0..g.rng().size(5)).map(|_| g.page()).collect();
            json!({"object": "list", "results": results, "next_cursor": "c", "has_more": true,
                   "type": "page_or_data_source", "page_or_data_source": {}})
        }
        4 => {
            let property = g.property();
            let kind = property["type"].as_str().unwrap_or("title").to_string();
            let mut item = property;
            item["object"] = json!("property_item");
            json!({"object": "list", "results": [item], "next_cursor": null, "has_more": false,
                   "type": "property_item", "property_item": {"id": "p", "type": kind, "next_url": null}})
        }
        5 => json!({"object": "list", "results": [
            {"object": "user", "id": "u-1", "type": "person", "name": "Ada", "person": {"email": "a@b.c"}},
            {"object": "user", "id": "u-2", "type": "bot", "name": null, "bot": {}}
        ], "next_cursor": null, "has_more": false, "type": "user", "user": {}}),
        6 => json!({"object": "database", "id": "db-1", "title": g.rich_text(),
                    "data_sources": [{"id": "ds-1", "name": "Rows"}],
                    "parent": {"type": "page_id", "page_id": "p-1"}, "is_inline": true}),
        7 => json!({"object": "data_source", "id": "ds-1", "title": g.rich_text(),
                    "parent": {"type": "database_id", "database_id": "db-1"},
                    "properties": {"Name": {"id": "title", "name": "Name", "type": "title", "title": {}}}}),
        8 => {
            json!({"object": "error", "status": 404, "code": "object_not_found", "message": "Could not find",
                    "request_id": "r"})
        }
        _ => {
            let blocks: Vec<Value> = (0..g.rng().size(6))
                .map(|_| {
                    let mut b = block(g);
                    b["children"] = json!([block(g)]);
                    b
                })
                .collect();
            json!({"page": g.page(), "blocks": blocks})
        }
    }
}

/// Changes one node of `value` somewhere, the way a hostile or newer server might.
fn mutate(g: &mut NotionJson<'_>, node: &mut Value) {
    // Go down a random path first.
    match node {
        Value::Array(items) if !items.is_empty() && g.rng().chance(60) => {
            let i = g.rng().below(items.len());
            return mutate(g, &mut items[i]);
        }
        Value::Object(map) if !map.is_empty() && g.rng().chance(60) => {
            let i = g.rng().below(map.len());
            if let Some(child) = map.values_mut().nth(i) {
                return mutate(g, child);
            }
        }
        _ => {}
    }
    match g.rng().below(8) {
        0 => *node = g.junk(3),
        1 => *node = Value::Null,
        2 => {
            if let Value::Object(map) = node
                && !map.is_empty()
            {
                let i = g.rng().below(map.len());
                let key = map.keys().nth(i).cloned().unwrap_or_default();
                map.remove(&key);
            }
        }
        3 => {
            if let Value::Object(map) = node {
                map.insert("type".into(), json!(g.block_type(false)));
            }
        }
        4 => {
            // Nesting past serde_json's recursion limit (128), which it must refuse.
            let depth = g.rng().size(200);
            let mut nested = node.take();
            for _ in 0..depth {
                nested = if g.rng().chance(50) {
                    json!([nested])
                } else {
                    json!({"children": [nested], "type": "paragraph"})
                };
            }
            *node = nested;
        }
        5 => {
            if let Value::Array(items) = node
                && let Some(first) = items.first().cloned()
            {
                let copies = g.rng().size(100);
                items.extend(std::iter::repeat_n(first, copies));
            }
        }
        6 => *node = json!(g.rng().next_u64()),
        _ => *node = json!(""),
    }
}

/// Byte-level damage: a lone surrogate escape, a number out of range,
/// truncation, bytes that are not UTF-8.
fn damage(rng: &mut Rng, bytes: &mut Vec<u8>) {
    let at = rng.below(bytes.len() + 1);
    match rng.below(6) {
        0 => {
            // Inside a string, if `at` falls in one: a lone surrogate.
            bytes.splice(at..at, br"\ud800".iter().copied());
        }
        1 => {
            if let Some(colon) = bytes[at..].iter().position(|&b| b == b':') {
                let at = at + colon + 1;
                bytes.splice(at..at, b"1e400,\"x\":".iter().copied());
            }
        }
        2 => bytes.truncate(at),
        3 => {
            bytes.splice(at..at, [0xFF, 0xC3, 0x28]);
        }
        4 => {
            let depth = rng.size(100_000);
            let nesting = "[{\"children\":".repeat(depth);
            bytes.splice(at..at, nesting.bytes());
        }
        _ => {
            let len = bytes.len();
            if len > 0 {
                bytes[at.min(len - 1)] ^= 1 << rng.below(8);
            }
        }
    }
}

pub(super) fn generate(rng: &mut Rng) -> Vec<u8> {
    let mut g = NotionJson::new(rng);
    let mut value = seed(&mut g);
    for _ in 0..g.rng().size(8) {
        mutate(&mut g, &mut value);
    }
    let mut bytes = serde_json::to_vec(&value).expect("JSON values serialize");
    for _ in 0..rng.size(3) {
        damage(rng, &mut bytes);
    }
    bytes
}

/// Parses `input` as `T`, whatever the outcome.
fn parse<T: DeserializeOwned>(input: &[u8]) -> Option<T> {
    serde_json::from_slice(input).ok()
}

pub(super) fn show(input: &[u8]) -> String {
    let parsed =
        |name: &str, ok: bool| format!("{name}: {}\n", if ok { "parsed" } else { "refused" });
    [
        parsed("Page", parse::<Page>(input).is_some()),
        parsed(
            "ListResponse<Block>",
            parse::<ListResponse<Block>>(input).is_some(),
        ),
        parsed(
            "ListResponse<SearchResult>",
            parse::<ListResponse<SearchResult>>(input).is_some(),
        ),
        parsed("PageTree", parse::<PageTree>(input).is_some()),
    ]
    .concat()
}

pub(super) fn check(input: &[u8]) -> Result<(), Broken> {
    drop(parse::<Page>(input));
    if let Some(block) = parse::<Block>(input) {
        dismantle(vec![block]);
    }
    drop(parse::<Database>(input));
    drop(parse::<DataSource>(input));
    drop(parse::<ErrorBody>(input));
    drop(parse::<PropertyValue>(input));
    drop(parse::<Vec<RichText>>(input));
    if let Some(list) = parse::<ListResponse<Block>>(input) {
        dismantle(list.results);
    }
    drop(parse::<ListResponse<SearchResult>>(input));
    drop(parse::<ListResponse<PropertyItem>>(input));
    drop(parse::<ListResponse<User>>(input));
    drop(parse::<Value>(input));
    if let Some(mut tree) = parse::<PageTree>(input) {
        let rendered = render_page(&tree, &RenderContext::default());
        drop(rendered);
        dismantle(std::mem::take(&mut tree.blocks));
    }
    Ok(())
}
