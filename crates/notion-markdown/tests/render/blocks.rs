//! Block by block: each Notion block type on small hand-written trees.

use serde_json::json;

use crate::support::*;

#[test]
fn title_is_the_only_top_level_heading_and_headings_shift_down() {
    let md = render(&page(
        "Plan",
        vec![
            text_block("h1", "heading_1", vec![text("One")]),
            text_block("h2", "heading_2", vec![text("Two")]),
            text_block("h3", "heading_3", vec![text("Three")]),
            text_block("h4", "heading_4", vec![text("Four")]),
        ],
    ))
    .markdown;
    assert_eq!(
        md,
        "# Plan\n\n## One\n\n### Two\n\n#### Three\n\n##### Four\n"
    );
}

#[test]
fn untitled_page_still_has_its_heading() {
    let md = render(&page(
        "",
        vec![text_block("p", "paragraph", vec![text("x")])],
    ))
    .markdown;
    assert_eq!(md, "# Untitled\n\nx\n");
}

#[test]
fn toggleable_heading_and_toggle_show_their_children_beneath() {
    let heading = with_children(
        block(
            "h",
            "heading_2",
            json!({"rich_text": [text("Details")], "is_toggleable": true}),
        ),
        vec![text_block("p", "paragraph", vec![text("hidden")])],
    );
    let toggle = with_children(
        text_block("t", "toggle", vec![text("Summary")]),
        vec![text_block("q", "paragraph", vec![text("inside")])],
    );
    assert_eq!(
        body(vec![heading, toggle]),
        "### Details\n\nhidden\n\nSummary\n\ninside\n"
    );
}

#[test]
fn lists_nest_at_any_depth_and_numbering_restarts_per_list() {
    let deep = with_children(
        text_block("a", "bulleted_list_item", vec![text("one")]),
        vec![with_children(
            text_block("b", "numbered_list_item", vec![text("two")]),
            vec![with_children(
                text_block("c", "bulleted_list_item", vec![text("three")]),
                vec![text_block("d", "to_do", vec![text("four")])],
            )],
        )],
    );
    let blocks = vec![
        deep,
        text_block("e", "bulleted_list_item", vec![text("sibling")]),
        text_block("n1", "numbered_list_item", vec![text("first")]),
        text_block("n2", "numbered_list_item", vec![text("second")]),
        text_block("p", "paragraph", vec![text("break")]),
        block(
            "m1",
            "numbered_list_item",
            json!({"rich_text": [text("fifth")], "list_start_index": 5}),
        ),
        text_block("m2", "numbered_list_item", vec![text("sixth")]),
    ];
    assert_eq!(
        body(blocks),
        "- one\n  1. two\n     - three\n       - [ ] four\n- sibling\n\n1. first\n2. second\n\nbreak\n\n5. fifth\n6. sixth\n"
    );
}

#[test]
fn nested_list_not_starting_at_one_is_set_apart() {
    // Only a list starting at 1 may interrupt a paragraph: a blank line keeps it nested.
    let item = with_children(
        text_block("a", "bulleted_list_item", vec![text("item")]),
        vec![block(
            "b",
            "numbered_list_item",
            json!({"rich_text": [text("third")], "list_start_index": 3}),
        )],
    );
    let md = body(vec![item]);
    assert_eq!(md, "- item\n\n  3. third\n");
    let items = events(&md)
        .iter()
        .filter(|e| matches!(e, pulldown_cmark::Event::Start(pulldown_cmark::Tag::Item)))
        .count();
    assert_eq!(items, 2);
}

#[test]
fn to_dos_are_task_list_items() {
    let md = body(vec![
        block(
            "a",
            "to_do",
            json!({"rich_text": [text("open")], "checked": false}),
        ),
        block(
            "b",
            "to_do",
            json!({"rich_text": [text("done")], "checked": true}),
        ),
    ]);
    assert_eq!(md, "- [ ] open\n- [x] done\n");
    let markers: Vec<bool> = events(&md)
        .into_iter()
        .filter_map(|e| match e {
            pulldown_cmark::Event::TaskListMarker(checked) => Some(checked),
            _ => None,
        })
        .collect();
    assert_eq!(markers, [false, true]);
}

#[test]
fn empty_list_item_puts_its_first_child_on_its_line() {
    let item = with_children(
        text_block("a", "bulleted_list_item", vec![]),
        vec![text_block("b", "bulleted_list_item", vec![text("nested")])],
    );
    assert_eq!(body(vec![item]), "- - nested\n");
}

#[test]
fn code_block_fence_outgrows_backticks_inside_and_keeps_its_caption() {
    let code = block(
        "c",
        "code",
        json!({"rich_text": [text("let s = \"```\";\n")], "language": "rust", "caption": [text("Fences *inside*")]}),
    );
    let plain = block(
        "d",
        "code",
        json!({"rich_text": [text("x")], "language": "plain text"}),
    );
    let cpp = block(
        "e",
        "code",
        json!({"rich_text": [text("int main();")], "language": "c++"}),
    );
    assert_eq!(
        body(vec![code, plain, cpp]),
        "````rust\nlet s = \"```\";\n````\n\nFences \\*inside\\*\n\n```\nx\n```\n\n```cpp\nint main();\n```\n"
    );
}

#[test]
fn code_inside_a_list_item_is_indented_with_it() {
    let item = with_children(
        text_block("a", "numbered_list_item", vec![text("step")]),
        vec![block(
            "c",
            "code",
            json!({"rich_text": [text("a\n\nb")], "language": "shell"}),
        )],
    );
    let md = body(vec![item]);
    assert_eq!(md, "1. step\n\n   ```shell\n   a\n\n   b\n   ```\n");
    let code: String = events(&md)
        .into_iter()
        .skip_while(|e| {
            !matches!(
                e,
                pulldown_cmark::Event::Start(pulldown_cmark::Tag::CodeBlock(_))
            )
        })
        .filter_map(|e| match e {
            pulldown_cmark::Event::Text(t) => Some(t.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(code, "a\n\nb\n");
}

#[test]
fn quotes_and_callouts_hold_their_children() {
    let quote = with_children(
        text_block("q", "quote", vec![text("Said")]),
        vec![text_block("l", "bulleted_list_item", vec![text("point")])],
    );
    let callout = with_children(
        block(
            "c",
            "callout",
            json!({"rich_text": [text("Note")], "icon": {"type": "emoji", "emoji": "💡"}}),
        ),
        vec![text_block("p", "paragraph", vec![text("more")])],
    );
    assert_eq!(
        body(vec![quote, callout]),
        "> Said\n>\n> - point\n\n> 💡 Note\n>\n> more\n"
    );
}

#[test]
fn equations_and_dividers() {
    let md = body(vec![
        block("e", "equation", json!({"expression": "E = mc^2"})),
        block("d", "divider", json!({})),
        block("f", "equation", json!({"expression": "a $ b"})),
    ]);
    assert_eq!(md, "$$ E = mc^2 $$\n\n---\n\n```math\na $ b\n```\n");
    let math: Vec<String> = events(&md)
        .into_iter()
        .filter_map(|e| match e {
            pulldown_cmark::Event::DisplayMath(m) => Some(m.trim().to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(math, ["E = mc^2"]);
}

fn row(id: &str, cells: &[&str]) -> serde_json::Value {
    let cells: Vec<_> = cells.iter().map(|c| vec![text(c)]).collect();
    block(id, "table_row", json!({"cells": cells}))
}

#[test]
fn tables_with_and_without_header() {
    let with_header = with_children(
        block(
            "t",
            "table",
            json!({"table_width": 2, "has_column_header": true}),
        ),
        vec![
            row("r1", &["Name", "Value"]),
            row("r2", &["a|b", "line\nbreak"]),
        ],
    );
    let without = with_children(
        block(
            "u",
            "table",
            json!({"table_width": 2, "has_column_header": false}),
        ),
        vec![row("r3", &["x", "y"])],
    );
    let md = body(vec![with_header, without]);
    assert_eq!(
        md,
        "| Name | Value |\n| --- | --- |\n| a\\|b | line<br>break |\n\n|  |  |\n| --- | --- |\n| x | y |\n"
    );
    let cells: Vec<String> = text_content(&md)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(cells, ["Name", "Value", "a|b", "line", "break", "x", "y"]);
}

#[test]
fn rows_wider_than_the_table_keep_their_cells() {
    let table = with_children(
        block(
            "t",
            "table",
            json!({"table_width": 1, "has_column_header": true}),
        ),
        vec![row("r1", &["h"]), row("r2", &["a", "b"])],
    );
    assert_eq!(body(vec![table]), "| h |  |\n| --- | --- |\n| a | b |\n");
}

#[test]
fn columns_and_synced_blocks_are_flattened_in_reading_order() {
    let columns = with_children(
        block("cl", "column_list", json!({})),
        vec![
            with_children(
                block("c1", "column", json!({})),
                vec![text_block("a", "paragraph", vec![text("left")])],
            ),
            with_children(
                block("c2", "column", json!({})),
                vec![text_block("b", "paragraph", vec![text("right")])],
            ),
        ],
    );
    let synced = with_children(
        block(
            "s",
            "synced_block",
            json!({"synced_from": {"type": "block_id", "block_id": "orig"}}),
        ),
        vec![text_block("c", "paragraph", vec![text("shared")])],
    );
    assert_eq!(body(vec![columns, synced]), "left\n\nright\n\nshared\n");
}

#[test]
fn child_pages_databases_and_page_links() {
    let mut ctx = notion_markdown::RenderContext::default();
    ctx.page_titles.insert("p-2".into(), "Roadmap".into());
    ctx.page_urls
        .insert("p-2".into(), "https://www.notion.so/Roadmap-p2".into());
    let tree = page(
        "T",
        vec![
            block("cp-1", "child_page", json!({"title": "Sub page"})),
            block("cd-1", "child_database", json!({"title": "Tasks"})),
            block(
                "l1",
                "link_to_page",
                json!({"type": "page_id", "page_id": "p-2"}),
            ),
            block(
                "l2",
                "link_to_page",
                json!({"type": "database_id", "database_id": "d-9"}),
            ),
        ],
    );
    let md = notion_markdown::render_page(&tree, &ctx).markdown;
    assert_eq!(
        md,
        "# T\n\n[Sub page](https://www.notion.so/cp1)\n\n[Tasks](https://www.notion.so/cd1)\n\n\
         [Roadmap](https://www.notion.so/Roadmap-p2)\n\n[Untitled database](https://www.notion.so/d9)\n"
    );
}

#[test]
fn bookmarks_embeds_and_previews_are_links_with_their_captions() {
    let md = body(vec![
        block(
            "b",
            "bookmark",
            json!({"url": "https://example.com/a_b", "caption": [text("Example")]}),
        ),
        block(
            "e",
            "embed",
            json!({"url": "https://example.com/embed", "caption": []}),
        ),
        block(
            "l",
            "link_preview",
            json!({"url": "https://github.com/o/r/pull/1"}),
        ),
    ]);
    assert_eq!(
        md,
        "[Example](https://example.com/a_b)\n\n[https://example.com/embed](https://example.com/embed)\n\n\
         [https://github.com/o/r/pull/1](https://github.com/o/r/pull/1)\n"
    );
}

#[test]
fn hosted_files_link_to_the_block_and_never_leak_the_signed_url() {
    let signed = "https://prod-files-secure.s3.us-west-2.amazonaws.com/ws/f/report.pdf?X-Amz-Signature=abc123&X-Amz-Expires=3600";
    let md = body(vec![
        block(
            "0000-aaaa",
            "pdf",
            json!({"type": "file", "file": {"url": signed, "expiry_time": "2026-07-04T10:00:00.000Z"}, "caption": [text("Q3 report")]}),
        ),
        block(
            "0000-bbbb",
            "file",
            json!({"type": "file", "file": {"url": signed}, "caption": [], "name": "data.csv"}),
        ),
        block(
            "0000-cccc",
            "image",
            json!({"type": "file", "file": {"url": signed}, "caption": []}),
        ),
        block(
            "0000-dddd",
            "video",
            json!({"type": "external", "external": {"url": "https://cdn.example.com/v/intro.mp4?t=1"}, "caption": []}),
        ),
        block(
            "0000-eeee",
            "audio",
            json!({"type": "file_upload", "file_upload": {"id": "up-1"}, "caption": []}),
        ),
    ]);
    assert_eq!(
        md,
        format!(
            "[Q3 report]({PAGE_URL}#0000aaaa)\n\n[data.csv]({PAGE_URL}#0000bbbb)\n\n[Image]({PAGE_URL}#0000cccc)\n\n\
             [intro.mp4](https://cdn.example.com/v/intro.mp4?t=1)\n\n[Audio]({PAGE_URL}#0000eeee)\n"
        )
    );
    for leak in ["amazonaws", "X-Amz", "abc123", "report.pdf"] {
        assert!(!md.contains(leak), "{leak} leaked into {md}");
    }
}

#[test]
fn navigation_renders_nothing_and_unknown_types_are_marked_not_dropped() {
    let tree = page(
        "T",
        vec![
            block("bc", "breadcrumb", json!({})),
            block("toc", "table_of_contents", json!({"color": "default"})),
            block("u1", "unsupported", json!({"block_type": "form"})),
            with_children(
                block(
                    "u2",
                    "heading_9",
                    json!({"rich_text": [text("Future text")]}),
                ),
                vec![text_block("k", "paragraph", vec![text("kid")])],
            ),
        ],
    );
    let page = render(&tree);
    assert_eq!(
        page.markdown,
        "# T\n\n<!-- unsupported: form -->\n\n<!-- unsupported: heading_9 -->\n\nFuture text\n\nkid\n"
    );
    let listed: Vec<(&str, &str)> = page
        .unsupported
        .iter()
        .map(|u| (u.block_id.as_str(), u.type_name.as_str()))
        .collect();
    assert_eq!(listed, [("u1", "form"), ("u2", "heading_9")]);
    assert!(
        page.blocks
            .iter()
            .all(|b| b.block_id != "bc" && b.block_id != "toc")
    );
}

#[test]
fn meeting_notes_show_their_title_and_mark_what_cannot_be_shown() {
    let tree = page(
        "T",
        vec![
            block(
                "m",
                "meeting_notes",
                json!({"title": [text("Weekly sync")], "status": "notes_ready"}),
            ),
            with_children(
                block("t", "transcription", json!({"title": [text("Retro")]})),
                vec![text_block("s", "paragraph", vec![text("summary")])],
            ),
        ],
    );
    let page = render(&tree);
    assert_eq!(
        page.markdown,
        "# T\n\nWeekly sync\n\n<!-- content not available: meeting_notes -->\n\nRetro\n\nsummary\n"
    );
    assert_eq!(page.unsupported.len(), 1);
    assert_eq!(page.unsupported[0].type_name, "meeting_notes");
}

#[test]
fn tabs_show_their_children_and_templates_their_text_and_children() {
    let tab = with_children(
        block("tab", "tab", json!({})),
        vec![text_block("a", "paragraph", vec![text("in tab")])],
    );
    let template = with_children(
        text_block("tpl", "template", vec![text("Add task")]),
        vec![text_block("b", "to_do", vec![text("new")])],
    );
    assert_eq!(
        body(vec![tab, template]),
        "in tab\n\nAdd task\n\n- [ ] new\n"
    );
}

#[test]
fn empty_blocks_leave_no_trace() {
    let page = render(&page(
        "T",
        vec![
            text_block("e1", "paragraph", vec![]),
            text_block("e2", "paragraph", vec![text("   ")]),
            with_children(
                block("cl", "column_list", json!({})),
                vec![block("c", "column", json!({}))],
            ),
            text_block("p", "paragraph", vec![text("real")]),
            text_block("e3", "quote", vec![]),
        ],
    ));
    assert_eq!(page.markdown, "# T\n\nreal\n");
    let ids: Vec<&str> = page.blocks.iter().map(|b| b.block_id.as_str()).collect();
    assert_eq!(ids, ["p"]);
}

#[test]
fn trashed_blocks_are_skipped() {
    let mut trashed = text_block("x", "paragraph", vec![text("gone")]);
    trashed["in_trash"] = json!(true);
    assert_eq!(
        body(vec![
            trashed,
            text_block("y", "paragraph", vec![text("kept")])
        ]),
        "kept\n"
    );
}

#[test]
fn very_deep_trees_keep_their_text_without_growing_indentation() {
    use notion_source::model::{Block, BlockKind, RichText, TextBlock};
    // 2 MiB, a Tokio worker's stack: rendering must not recurse once per level without end.
    let rendered = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let text = |t: &str| TextBlock {
                rich_text: vec![RichText::plain(t)],
                color: None,
            };
            let mut block = Block::new("leaf", BlockKind::Paragraph(text("the leaf")));
            for level in 0..3000 {
                let mut parent = Block::new(
                    format!("b{level}"),
                    BlockKind::BulletedListItem(text("level")),
                );
                parent.children = vec![block];
                block = parent;
            }
            let mut tree = page("Deep", Vec::new());
            tree.blocks = vec![block];
            let page = render(&tree);
            // Drop the tree here, level by level, so the test's own drop does not recurse.
            let mut next = tree.blocks.pop();
            while let Some(mut b) = next {
                next = b.children.pop();
            }
            page
        })
        .expect("thread starts")
        .join()
        .expect("no stack overflow");
    assert!(rendered.markdown.ends_with("the leaf\n"));
    assert_eq!(rendered.blocks.len(), 3001);
    let widest = rendered.markdown.lines().map(str::len).max().unwrap_or(0);
    assert!(widest < 200, "lines {widest} bytes wide");
}

#[test]
fn named_media_with_a_caption_show_both() {
    let signed =
        "https://prod-files-secure.s3.us-west-2.amazonaws.com/ws/f/q3.csv?X-Amz-Signature=abc";
    let kinds = ["file", "image", "video", "pdf", "audio"];
    let blocks = kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            block(
                &format!("0000-000{i}"),
                kind,
                json!({"type": "file", "file": {"url": signed}, "name": format!("q3-{kind}.bin"),
                       "caption": [text("Numbers for "), linked("Q3", "https://example.com/q3")]}),
            )
        })
        .collect();
    let md = body(blocks);
    let expected: String = kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            format!(
                "[q3-{kind}.bin]({PAGE_URL}#0000000{i})\n\nNumbers for [Q3](https://example.com/q3)\n"
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(md, expected);
    assert!(!md.contains("X-Amz") && !md.contains("amazonaws"));
    // An external file keeps its own URL; without a name its caption labels the link.
    let external = body(vec![
        block(
            "e1",
            "file",
            json!({"type": "external", "external": {"url": "https://x.org/a.zip"}, "name": "Archive", "caption": [text("All of it")]}),
        ),
        block(
            "e2",
            "image",
            json!({"type": "external", "external": {"url": "https://x.org/b.png"}, "caption": [text("Diagram")]}),
        ),
    ]);
    assert_eq!(
        external,
        "[Archive](https://x.org/a.zip)\n\nAll of it\n\n[Diagram](https://x.org/b.png)\n"
    );
}

#[test]
fn synced_copies_that_are_not_shared_get_their_own_marker() {
    let mut tree = page(
        "T",
        vec![
            text_block("a", "paragraph", vec![text("before")]),
            block(
                "s1",
                "synced_block",
                json!({"synced_from": {"block_id": "orig-1"}}),
            ),
            block(
                "s2",
                "synced_block",
                json!({"synced_from": {"block_id": "orig-2"}}),
            ),
            text_block("b", "paragraph", vec![text("after")]),
            block("s3", "synced_block", json!({})),
        ],
    );
    // The crawler's marks, as the model holds them: an `Unknown` block.
    use notion_source::model::{BlockKind, UnknownType};
    tree.blocks[1].kind = BlockKind::Unknown(UnknownType {
        type_name: "synced_block".into(),
        raw: json!({"synced_from": {"block_id": "orig-1"}}),
        error: Some("the original synced block could not be read (object_not_found)".into()),
    });
    tree.blocks[2].kind = BlockKind::Unknown(UnknownType {
        type_name: "synced_block_not_shared".into(),
        raw: json!({"synced_from": {"block_id": "orig-2"}}),
        error: None,
    });
    // A synced block whose content did not parse is unsupported, not unshared.
    tree.blocks[4].kind = BlockKind::Unknown(UnknownType {
        type_name: "synced_block".into(),
        raw: json!({"synced_from": 7}),
        error: Some("invalid type: integer `7`, expected struct SyncedFrom".into()),
    });
    let page = render(&tree);
    assert_eq!(
        page.markdown,
        "# T\n\nbefore\n\n<!-- not shared: synced block -->\n\n<!-- not shared: synced block -->\n\n\
         after\n\n<!-- unsupported: synced_block -->\n"
    );
    let not_shared: Vec<(&str, Option<&str>)> = page
        .not_shared
        .iter()
        .map(|n| (n.block_id.as_str(), n.original_id.as_deref()))
        .collect();
    assert_eq!(not_shared, [("s1", Some("orig-1")), ("s2", Some("orig-2"))]);
    assert!(
        page.not_shared
            .iter()
            .all(|n| n.kind == notion_markdown::NotSharedKind::SyncedBlock)
    );
    assert_eq!(page.unsupported.len(), 1);
    assert_eq!(page.unsupported[0].block_id, "s3");
}
