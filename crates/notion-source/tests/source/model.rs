//! The API model parses responses of the shapes Notion's API reference shows,
//! including newer and unknown shapes, without losing anything.

use notion_source::model::*;
use serde_json::json;

fn block(value: serde_json::Value) -> Block {
    serde_json::from_value(value).expect("block parses")
}

#[test]
fn paragraph_with_every_rich_text_form() {
    let b = block(json!({
        "object": "block",
        "id": "c02fc1d3-db8b-45c5-a222-27595b15aea7",
        "parent": {"type": "page_id", "page_id": "59833787-2cf9-4fdf-8782-e53db20768a5"},
        "created_time": "2022-03-01T19:05:00.000Z",
        "last_edited_time": "2022-07-06T19:41:00.000Z",
        "created_by": {"object": "user", "id": "ee5f0f84-409a-440f-983a-a5315961c6e4"},
        "last_edited_by": {"object": "user", "id": "ee5f0f84-409a-440f-983a-a5315961c6e4"},
        "has_children": false,
        "archived": false,
        "in_trash": false,
        "type": "paragraph",
        "paragraph": {
            "rich_text": [
                {"type": "text", "text": {"content": "Lacinato ", "link": null},
                 "annotations": {"bold": true, "italic": false, "strikethrough": false, "underline": false, "code": false, "color": "default"},
                 "plain_text": "Lacinato ", "href": null},
                {"type": "text", "text": {"content": "kale", "link": {"url": "https://en.wikipedia.org/wiki/Lacinato_kale"}},
                 "annotations": {"bold": false, "italic": false, "strikethrough": false, "underline": false, "code": false, "color": "default"},
                 "plain_text": "kale", "href": "https://en.wikipedia.org/wiki/Lacinato_kale"},
                {"type": "mention", "mention": {"type": "user", "user": {"object": "user", "id": "b2e19928-b427-4aad-9a9d-fde65479b1d9"}},
                 "annotations": {"bold": false, "italic": false, "strikethrough": false, "underline": false, "code": false, "color": "default"},
                 "plain_text": "@Anonymous", "href": null},
                {"type": "mention", "mention": {"type": "page", "page": {"id": "3c612f56-fdd0-4a30-a4d6-bda7d7426309"}},
                 "plain_text": "This is a test page", "href": "https://www.notion.so/3c612f56fdd04a30a4d6bda7d7426309"},
                {"type": "mention", "mention": {"type": "date", "date": {"start": "2022-12-16", "end": null, "time_zone": null}},
                 "plain_text": "2022-12-16", "href": null},
                {"type": "mention", "mention": {"type": "link_preview", "link_preview": {"url": "https://github.com/makenotion"}},
                 "plain_text": "https://github.com/makenotion", "href": "https://github.com/makenotion"},
                {"type": "mention", "mention": {"type": "template_mention", "template_mention": {"type": "template_mention_date", "template_mention_date": "today"}},
                 "plain_text": "@Today", "href": null},
                {"type": "mention", "mention": {"type": "database", "database": {"id": "a1d8501e-1ac1-43e9-a6bd-ea9fe6c8822b"}},
                 "plain_text": "Grocery list", "href": null},
                {"type": "mention", "mention": {"type": "custom_emoji", "custom_emoji": {"id": "45ce454c", "name": "party", "url": "https://example.com/p.png"}},
                 "plain_text": ":party:", "href": null},
                {"type": "equation", "equation": {"expression": "E = mc^2"},
                 "plain_text": "E = mc^2", "href": null}
            ],
            "color": "default"
        }
    }));
    let BlockKind::Paragraph(p) = &b.kind else {
        panic!("not a paragraph: {:?}", b.kind)
    };
    assert_eq!(p.rich_text.len(), 10);
    assert!(p.rich_text[0].annotations.bold);
    assert!(
        matches!(&p.rich_text[1].kind, RichTextKind::Text(t) if t.link.as_ref().unwrap().url.contains("wikipedia"))
    );
    assert!(
        matches!(&p.rich_text[2].kind, RichTextKind::Mention(Mention::User(u)) if u.id.starts_with("b2e1"))
    );
    assert!(
        matches!(&p.rich_text[3].kind, RichTextKind::Mention(Mention::Page(r)) if r.id.starts_with("3c61"))
    );
    assert!(
        matches!(&p.rich_text[4].kind, RichTextKind::Mention(Mention::Date(d)) if d.start == "2022-12-16")
    );
    assert!(matches!(
        &p.rich_text[5].kind,
        RichTextKind::Mention(Mention::LinkPreview(_))
    ));
    assert!(matches!(
        &p.rich_text[6].kind,
        RichTextKind::Mention(Mention::TemplateMention(_))
    ));
    assert!(matches!(
        &p.rich_text[7].kind,
        RichTextKind::Mention(Mention::Database(_))
    ));
    assert!(
        matches!(&p.rich_text[8].kind, RichTextKind::Mention(Mention::CustomEmoji(c)) if c.name.as_deref() == Some("party"))
    );
    assert!(
        matches!(&p.rich_text[9].kind, RichTextKind::Equation(e) if e.expression == "E = mc^2")
    );
    assert_eq!(
        b.parent.as_ref().unwrap().id(),
        Some("59833787-2cf9-4fdf-8782-e53db20768a5")
    );
}

#[test]
fn unknown_block_type_keeps_its_json() {
    let b = block(json!({
        "object": "block", "id": "x1", "has_children": true,
        "type": "hologram", "hologram": {"depth": 3, "rich_text": []},
        "some_new_field": {"a": 1}
    }));
    match &b.kind {
        BlockKind::Unknown(u) => {
            assert_eq!(u.type_name, "hologram");
            assert_eq!(u.raw, json!({"depth": 3, "rich_text": []}));
            assert!(u.error.is_none());
        }
        other => panic!("expected unknown, got {other:?}"),
    }
    assert!(b.has_children);
    // It survives a round trip through our own serialization.
    let again: Block = serde_json::from_value(serde_json::to_value(&b).unwrap()).unwrap();
    assert_eq!(again, b);
}

#[test]
fn malformed_known_block_falls_back_to_unknown_with_the_error() {
    let b = block(json!({"id": "x2", "type": "table", "table": {"table_width": "wide"}}));
    match &b.kind {
        BlockKind::Unknown(u) => {
            assert_eq!(u.type_name, "table");
            assert!(u.error.as_deref().unwrap().contains("invalid type"));
        }
        other => panic!("expected unknown, got {other:?}"),
    }
}

#[test]
fn unknown_mention_and_rich_text_types_parse() {
    let rt: RichText = serde_json::from_value(json!({
        "type": "mention", "mention": {"type": "hologram_mention", "hologram_mention": {"x": 1}},
        "plain_text": "holo", "href": null
    }))
    .unwrap();
    assert!(
        matches!(&rt.kind, RichTextKind::Mention(Mention::Unknown(u)) if u.type_name == "hologram_mention")
    );
    let rt: RichText =
        serde_json::from_value(json!({"type": "sparkle", "sparkle": {}, "plain_text": "✨"}))
            .unwrap();
    assert!(matches!(&rt.kind, RichTextKind::Unknown(u) if u.type_name == "sparkle"));
    assert_eq!(rt.plain_text, "✨");
}

#[test]
fn every_block_type_of_the_reference_parses_to_its_variant() {
    let rt = json!([{"type": "text", "text": {"content": "x", "link": null}, "plain_text": "x", "href": null}]);
    let cases = vec![
        ("paragraph", json!({"rich_text": rt, "color": "default"})),
        (
            "heading_1",
            json!({"rich_text": rt, "is_toggleable": true, "color": "default"}),
        ),
        (
            "heading_2",
            json!({"rich_text": rt, "is_toggleable": false, "color": "default"}),
        ),
        (
            "heading_3",
            json!({"rich_text": rt, "is_toggleable": false, "color": "default"}),
        ),
        (
            "heading_4",
            json!({"rich_text": rt, "is_toggleable": false, "color": "default"}),
        ),
        (
            "bulleted_list_item",
            json!({"rich_text": rt, "color": "default"}),
        ),
        (
            "numbered_list_item",
            json!({"rich_text": rt, "color": "default", "list_start_index": 3, "list_format": "roman"}),
        ),
        (
            "to_do",
            json!({"rich_text": rt, "checked": true, "color": "default"}),
        ),
        ("toggle", json!({"rich_text": rt, "color": "default"})),
        ("quote", json!({"rich_text": rt, "color": "default"})),
        ("template", json!({"rich_text": rt})),
        (
            "callout",
            json!({"rich_text": rt, "icon": {"type": "emoji", "emoji": "💡"}, "color": "gray_background"}),
        ),
        (
            "code",
            json!({"rich_text": rt, "caption": [], "language": "rust"}),
        ),
        ("equation", json!({"expression": "e^{i\\pi} + 1 = 0"})),
        ("divider", json!({})),
        ("breadcrumb", json!({})),
        ("table_of_contents", json!({"color": "default"})),
        ("column_list", json!({})),
        ("column", json!({"width_ratio": 0.5})),
        ("tab", json!({})),
        (
            "table",
            json!({"table_width": 2, "has_column_header": true, "has_row_header": false}),
        ),
        ("table_row", json!({"cells": [rt, rt]})),
        ("child_page", json!({"title": "Lacinato kale"})),
        ("child_database", json!({"title": "My database"})),
        ("synced_block", json!({"synced_from": null})),
        (
            "synced_block",
            json!({"synced_from": {"type": "block_id", "block_id": "abc"}}),
        ),
        ("link_to_page", json!({"type": "page_id", "page_id": "p1"})),
        (
            "link_preview",
            json!({"url": "https://github.com/example/repo/pull/1234"}),
        ),
        (
            "bookmark",
            json!({"caption": [], "url": "https://companywebsite.com"}),
        ),
        (
            "embed",
            json!({"caption": [], "url": "https://www.figma.com/file/x"}),
        ),
        (
            "image",
            json!({"caption": [], "type": "external", "external": {"url": "https://example.com/a.png"}}),
        ),
        (
            "image",
            json!({"caption": rt, "type": "file", "file": {"url": "https://prod-files-secure.s3.us-west-2.amazonaws.com/a.png?X-Amz-Expires=3600", "expiry_time": "2026-07-04T10:08:00.000Z"}}),
        ),
        (
            "video",
            json!({"caption": [], "type": "external", "external": {"url": "https://youtu.be/x"}}),
        ),
        (
            "pdf",
            json!({"caption": [], "type": "file", "file": {"url": "https://s3/x.pdf", "expiry_time": "2026-07-04T10:08:00.000Z"}}),
        ),
        (
            "file",
            json!({"caption": [], "type": "file", "file": {"url": "https://s3/x.zip", "expiry_time": "2026-07-04T10:08:00.000Z"}, "name": "x.zip"}),
        ),
        (
            "audio",
            json!({"caption": [], "type": "file_upload", "file_upload": {"id": "u1"}}),
        ),
        (
            "meeting_notes",
            json!({"title": rt, "status": "notes_ready", "children": {"summary_block_id": "s", "notes_block_id": "n", "transcript_block_id": "t"}}),
        ),
        (
            "transcription",
            json!({"title": rt, "children": {"summary_block_id": "s"}}),
        ),
        ("unsupported", json!({"block_type": "form"})),
    ];
    // The model knows the block types the mock (the independent oracle) knows.
    assert_eq!(BlockKind::TYPE_NAMES, notion_mock::BLOCK_TYPES);
    let tested: std::collections::BTreeSet<&str> = cases.iter().map(|(t, _)| *t).collect();
    assert_eq!(tested, BlockKind::TYPE_NAMES.iter().copied().collect());
    for (type_name, content) in cases {
        let b = block(json!({"object": "block", "id": "b", "type": type_name, type_name: content}));
        assert_eq!(b.kind.type_name(), type_name);
        assert!(
            !matches!(b.kind, BlockKind::Unknown(_)),
            "{type_name} fell back to unknown: {:?}",
            b.kind
        );
        let again: Block = serde_json::from_value(serde_json::to_value(&b).unwrap()).unwrap();
        assert_eq!(again, b, "{type_name} round trip");
    }
}

#[test]
fn synced_copy_and_child_containers_need_no_children_request() {
    let copy = block(
        json!({"id": "c", "has_children": true, "type": "synced_block", "synced_block": {"synced_from": {"type": "block_id", "block_id": "orig"}}}),
    );
    assert_eq!(copy.synced_from(), Some("orig"));
    assert!(!copy.children_to_fetch());
    let page = block(
        json!({"id": "p", "has_children": true, "type": "child_page", "child_page": {"title": "T"}}),
    );
    assert!(!page.children_to_fetch());
    let toggle = block(
        json!({"id": "t", "has_children": true, "type": "toggle", "toggle": {"rich_text": []}}),
    );
    assert!(toggle.children_to_fetch());
}

fn page_json() -> serde_json::Value {
    json!({
        "object": "page",
        "id": "59833787-2cf9-4fdf-8782-e53db20768a5",
        "created_time": "2022-03-01T19:05:00.000Z",
        "last_edited_time": "2022-07-06T20:25:00.000Z",
        "created_by": {"object": "user", "id": "ee5f0f84-409a-440f-983a-a5315961c6e4"},
        "last_edited_by": {"object": "user", "id": "0c3e9826-b8f7-4f73-927d-2caaf86f1103"},
        "cover": {"type": "external", "external": {"url": "https://upload.wikimedia.org/x.jpg"}},
        "icon": {"type": "emoji", "emoji": "🥬"},
        "parent": {"type": "data_source_id", "data_source_id": "d9824bdc-8445-4327-be8b-5b47500af6ce", "database_id": "a1d8501e-1ac1-43e9-a6bd-ea9fe6c8822b"},
        "archived": false,
        "in_trash": false,
        "is_archived": false,
        "is_locked": false,
        "properties": {
            "Name": {"id": "title", "type": "title", "title": [{"type": "text", "text": {"content": "Tuscan kale", "link": null}, "plain_text": "Tuscan kale", "href": null}]},
            "Description": {"id": "_Tc_", "type": "rich_text", "rich_text": []},
            "Price": {"id": "BJXS", "type": "number", "number": 2.5},
            "Store availability": {"id": "%3AUPp", "type": "multi_select", "multi_select": [{"id": "t|O@", "name": "Gus's Community Market", "color": "yellow"}]},
            "Food group": {"id": "A%40Hk", "type": "select", "select": {"id": "5e8e7e8f", "name": "🥬 Vegetable", "color": "pink"}},
            "Status": {"id": "st", "type": "status", "status": null},
            "Last ordered": {"id": "Jsfb", "type": "date", "date": {"start": "2022-02-22", "end": null, "time_zone": null}},
            "Responsible": {"id": "pe", "type": "people", "people": [{"object": "user", "id": "u1", "name": "Ada", "type": "person", "person": {"email": "ada@example.com"}}, {"object": "group", "id": "g1", "name": "Team"}]},
            "Photos": {"id": "fi", "type": "files", "files": [{"name": "kale.png", "type": "external", "external": {"url": "https://example.com/kale.png"}}]},
            "In stock": {"id": "cb", "type": "checkbox", "checkbox": true},
            "Link": {"id": "ur", "type": "url", "url": null},
            "Email": {"id": "em", "type": "email", "email": "a@b.c"},
            "Phone": {"id": "ph", "type": "phone_number", "phone_number": "+1 555"},
            "Cost of next trip": {"id": "WOd%3B", "type": "formula", "formula": {"type": "number", "number": 0}},
            "Recipes": {"id": "YfIu", "type": "relation", "relation": [{"id": "90eeeed8-2cdd-4af4-9cc1-3d24aff5f63c"}], "has_more": true},
            "Total": {"id": "ro", "type": "rollup", "rollup": {"type": "array", "array": [{"type": "title", "title": []}, {"type": "number", "number": 3}], "function": "show_original"}},
            "Created": {"id": "ct", "type": "created_time", "created_time": "2022-03-01T19:05:00.000Z"},
            "Creator": {"id": "cby", "type": "created_by", "created_by": {"object": "user", "id": "u1"}},
            "Edited": {"id": "et", "type": "last_edited_time", "last_edited_time": "2022-03-01T19:05:00.000Z"},
            "Editor": {"id": "eby", "type": "last_edited_by", "last_edited_by": {"object": "user", "id": "u1"}},
            "ID": {"id": "uid", "type": "unique_id", "unique_id": {"prefix": "TASK", "number": 42}},
            "Verified": {"id": "ver", "type": "verification", "verification": {"state": "verified", "verified_by": null, "date": null}},
            "Go": {"id": "btn", "type": "button", "button": {}},
            "Where": {"id": "pl", "type": "place", "place": {"lat": 1.0, "lon": 2.0, "name": "Oslo"}},
            "Mood": {"id": "new", "type": "emotion", "emotion": {"level": 3}}
        },
        "url": "https://app.notion.com/p/Tuscan-kale-598337872cf94fdf8782e53db20768a5",
        "public_url": null
    })
}

#[test]
fn page_with_every_property_type() {
    let page: Page = serde_json::from_value(page_json()).unwrap();
    assert_eq!(page.title(), "Tuscan kale");
    assert_eq!(
        page.data_source_id(),
        Some("d9824bdc-8445-4327-be8b-5b47500af6ce")
    );
    let names: Vec<_> = page.properties.keys().cloned().collect();
    assert_eq!(names[0], "Name", "property order is Notion's order");
    let kinds: Vec<_> = page
        .properties
        .values()
        .map(|p| p.value.type_name().to_string())
        .collect();
    for p in page.properties.values() {
        if p.value.type_name() != "emotion" {
            assert!(
                !matches!(p.value, PropertyKind::Unknown(_)),
                "{} fell back: {:?}",
                p.id,
                p.value
            );
        }
    }
    assert!(
        matches!(&page.properties["Mood"].value, PropertyKind::Unknown(u) if u.raw["level"] == 3)
    );
    assert_eq!(page.properties["Recipes"].has_more, Some(true));
    assert!(kinds.contains(&"rollup".to_string()));
    let again: Page = serde_json::from_value(serde_json::to_value(&page).unwrap()).unwrap();
    assert_eq!(again, page);
}

#[test]
fn trashed_and_archived_pages_are_removed_in_both_api_versions() {
    let mut old = page_json();
    old["archived"] = json!(true);
    assert!(serde_json::from_value::<Page>(old).unwrap().is_removed());
    let mut new = page_json();
    new.as_object_mut().unwrap().remove("archived");
    new["in_trash"] = json!(true);
    assert!(serde_json::from_value::<Page>(new).unwrap().is_removed());
}

#[test]
fn search_list_envelope_with_pages_and_data_sources() {
    let list: ListResponse<SearchResult> = serde_json::from_value(json!({
        "object": "list",
        "results": [
            page_json(),
            {"object": "data_source", "id": "ds1", "title": [{"type": "text", "text": {"content": "Tasks"}, "plain_text": "Tasks"}],
             "properties": {"Name": {"id": "title", "name": "Name", "type": "title", "title": {}}},
             "parent": {"type": "database_id", "database_id": "db1"},
             "database_parent": {"type": "page_id", "page_id": "p0"},
             "created_time": "2025-09-03T10:00:00.123+00:00", "last_edited_time": "2025-09-03T10:00:00.123+00:00"},
            {"object": "hologram", "id": "h"}
        ],
        "next_cursor": "e6c6f8ff-c70e-4970-91ba-98f03e0d7fc6",
        "has_more": true,
        "type": "page_or_data_source",
        "page_or_data_source": {},
        "request_id": "a5cdb1ae-a0d3-4a9b-a9d9-3ec5d4fc4ab5"
    }))
    .unwrap();
    assert!(matches!(&list.results[0], SearchResult::Page(_)));
    assert!(
        matches!(&list.results[1], SearchResult::DataSource(d) if d.title_text() == "Tasks" && d.properties["Name"].type_name == "title")
    );
    assert!(matches!(&list.results[2], SearchResult::Unknown(_)));
    assert!(list.has_more);
    assert_eq!(
        list.request_id.as_deref(),
        Some("a5cdb1ae-a0d3-4a9b-a9d9-3ec5d4fc4ab5")
    );
}

#[test]
fn database_lists_its_data_sources() {
    let db: Database = serde_json::from_value(json!({
        "object": "database", "id": "db1",
        "title": [{"type": "text", "text": {"content": "Projects"}, "plain_text": "Projects"}],
        "data_sources": [{"id": "ds1", "name": "Projects"}, {"id": "ds2", "name": "Archive"}],
        "parent": {"type": "page_id", "page_id": "p0"}, "is_inline": true,
        "created_time": "2025-09-03T10:00:00.000Z", "last_edited_time": "2025-09-03T10:00:00.000Z"
    }))
    .unwrap();
    assert_eq!(db.data_sources.len(), 2);
    assert_eq!(db.data_sources[1].name, "Archive");
}

#[test]
fn error_object_parses() {
    let e: ErrorBody = serde_json::from_value(json!({
        "object": "error", "status": 429, "code": "rate_limited",
        "message": "You have been rate limited. Please try again in a few minutes.",
        "additional_data": {"rate_limit_reason": "per_connection"},
        "request_id": "r-1"
    }))
    .unwrap();
    assert_eq!(e.status, 429);
    assert_eq!(e.code, "rate_limited");
    assert_eq!(
        e.additional_data.unwrap()["rate_limit_reason"],
        "per_connection"
    );
}

#[test]
fn page_tree_serializes_with_nested_children() {
    let tree: PageTree = serde_json::from_value(json!({
        "page": page_json(),
        "blocks": [
            {"id": "t", "has_children": true, "type": "toggle", "toggle": {"rich_text": []},
             "children": [{"id": "c", "type": "paragraph", "paragraph": {"rich_text": []}}]}
        ]
    }))
    .unwrap();
    assert_eq!(tree.block_count(), 2);
    assert_eq!(tree.blocks[0].children[0].id, "c");
}
