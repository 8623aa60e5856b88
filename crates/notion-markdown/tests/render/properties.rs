//! Properties: the `Name: value` list under a data source row's title, and
//! the same values as JSON.

use notion_markdown::{RenderContext, render_page};
use serde_json::{Value, json};

use crate::support::*;

/// A row with one property of every type.
fn every_property() -> Value {
    json!({
        "Notes": {"id": "a", "type": "rich_text", "rich_text": [styled("Real", json!({"bold": true})), text(" text")]},
        "Estimate": {"id": "b", "type": "number", "number": 8},
        "Ratio": {"id": "c", "type": "number", "number": 0.25},
        "Stage": {"id": "d", "type": "select", "select": {"id": "s1", "name": "Doing", "color": "blue"}},
        "Tags": {"id": "e", "type": "multi_select", "multi_select": [{"name": "api"}, {"name": "urgent"}]},
        "Status": {"id": "f", "type": "status", "status": {"name": "In progress"}},
        "Due": {"id": "g", "type": "date", "date": {"start": "2026-07-04", "end": "2026-07-06", "time_zone": null}},
        "Owners": {"id": "h", "type": "people", "people": [{"object": "user", "id": "u-1"}, {"object": "user", "id": "u-2", "name": "Grace"}]},
        "Files": {"id": "i", "type": "files", "files": [
            {"name": "spec.pdf", "type": "file", "file": {"url": "https://s3.aws/spec.pdf?X-Amz-Signature=zz"}},
            {"name": "", "type": "external", "external": {"url": "https://example.com/doc"}}
        ]},
        "Done": {"id": "j", "type": "checkbox", "checkbox": true},
        "Link": {"id": "k", "type": "url", "url": "https://example.com/a_b"},
        "Email": {"id": "l", "type": "email", "email": null},
        "Score": {"id": "m", "type": "formula", "formula": {"type": "number", "number": 16}},
        "Late": {"id": "n", "type": "formula", "formula": {"type": "boolean", "boolean": false}},
        "Items": {"id": "o", "type": "relation", "relation": [{"id": "p-1"}, {"id": "p-2"}], "has_more": true},
        "Total": {"id": "p", "type": "rollup", "rollup": {"type": "number", "number": 30, "function": "sum"}},
        "Names": {"id": "q", "type": "rollup", "rollup": {"type": "array", "array": [
            {"type": "title", "title": [text("one")]}, {"type": "title", "title": [text("two")]}
        ], "function": "show_original"}},
        "Created": {"id": "r", "type": "created_time", "created_time": "2026-02-01T08:00:00.000Z"},
        "Creator": {"id": "s", "type": "created_by", "created_by": {"object": "user", "id": "u-1"}},
        "ID": {"id": "t", "type": "unique_id", "unique_id": {"prefix": "TASK", "number": 42}},
        "Verified": {"id": "u", "type": "verification", "verification": {"state": "verified"}},
        "Press": {"id": "v", "type": "button", "button": {}},
        "Where": {"id": "w", "type": "place", "place": {"lat": 48.85, "lon": 2.29, "name": "Eiffel Tower", "address": "Paris"}},
        "Mood": {"id": "x", "type": "sentiment", "sentiment": {"score": 0.9}}
    })
}

#[test]
fn a_row_lists_every_property_readably() {
    let mut ctx = RenderContext::default();
    ctx.user_names.insert("u-1".into(), "Ada".into());
    ctx.page_titles.insert("p-1".into(), "Item one".into());
    ctx.page_urls
        .insert("p-1".into(), "https://www.notion.so/Item-one-p1".into());
    let tree = page_with(
        "Task *one*",
        every_property(),
        vec![text_block("p", "paragraph", vec![text("Body.")])],
    );
    let page = render_page(&tree, &ctx);
    assert_eq!(
        page.markdown,
        "# Task \\*one\\*\n\n\
         - Notes: **Real** text\n\
         - Estimate: 8\n\
         - Ratio: 0.25\n\
         - Stage: Doing\n\
         - Tags: api, urgent\n\
         - Status: In progress\n\
         - Due: 2026-07-04 → 2026-07-06\n\
         - Owners: Ada, Grace\n\
         - Files: spec.pdf, https://example.com/doc\n\
         - Done: Yes\n\
         - Link: https://example.com/a_b\n\
         - Score: 16\n\
         - Late: No\n\
         - Items: [Item one](https://www.notion.so/Item-one-p1), [p-2](https://www.notion.so/p2), and more\n\
         - Total: 30\n\
         - Names: one, two\n\
         - Created: 2026-02-01T08:00:00.000Z\n\
         - Creator: Ada\n\
         - ID: TASK-42\n\
         - Verified: verified\n\
         - Where: Eiffel Tower, Paris\n\
         - Mood: {\"score\":0.9}\n\
         \n\
         Body.\n"
    );
    assert!(!page.markdown.contains("X-Amz"));
    assert_eq!(
        page.properties,
        json!({
            "Name": "Task *one*",
            "Notes": "Real text",
            "Estimate": 8,
            "Ratio": 0.25,
            "Stage": "Doing",
            "Tags": ["api", "urgent"],
            "Status": "In progress",
            "Due": "2026-07-04/2026-07-06",
            "Owners": ["Ada", "Grace"],
            "Files": ["spec.pdf", "https://example.com/doc"],
            "Done": true,
            "Link": "https://example.com/a_b",
            "Email": null,
            "Score": 16,
            "Late": false,
            "Items": ["Item one", "p-2"],
            "Total": 30,
            "Names": ["one", "two"],
            "Created": "2026-02-01T08:00:00.000Z",
            "Creator": "Ada",
            "ID": "TASK-42",
            "Verified": "verified",
            "Press": null,
            "Where": {"lat": 48.85, "lon": 2.29, "name": "Eiffel Tower", "address": "Paris"},
            "Mood": {"score": 0.9}
        })
    );
    // The property list is not a block: spans start at the first block.
    assert_eq!(&page.markdown[page.blocks[0].range.clone()], "Body.");
}

#[test]
fn a_standalone_page_shows_no_property_list() {
    let page = render(&page(
        "Notes",
        vec![text_block("p", "paragraph", vec![text("x")])],
    ));
    assert_eq!(page.markdown, "# Notes\n\nx\n");
    assert_eq!(page.properties, json!({"Name": "Notes"}));
}
