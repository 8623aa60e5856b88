//! Block spans and heading paths: where each block's Markdown sits, and which
//! headings enclose an offset.

use serde_json::json;

use crate::support::*;

#[test]
fn container_spans_cover_their_children_and_come_first() {
    let page = render(&page(
        "T",
        vec![with_children(
            text_block("parent", "bulleted_list_item", vec![text("parent")]),
            vec![text_block(
                "child",
                "bulleted_list_item",
                vec![text("child")],
            )],
        )],
    ));
    let ids: Vec<&str> = page.blocks.iter().map(|b| b.block_id.as_str()).collect();
    assert_eq!(ids, ["parent", "child"]);
    let md = &page.markdown;
    assert_eq!(&md[page.blocks[0].range.clone()], "- parent\n  - child");
    assert_eq!(&md[page.blocks[1].range.clone()], "- child");
}

#[test]
fn a_block_span_holds_its_caption_and_table_rows_hold_their_line() {
    let code = block(
        "code",
        "code",
        json!({"rich_text": [text("x = 1")], "language": "python", "caption": [text("Setup")]}),
    );
    let table = with_children(
        block(
            "table",
            "table",
            json!({"table_width": 2, "has_column_header": true}),
        ),
        vec![
            block(
                "head",
                "table_row",
                json!({"cells": [[text("k")], [text("v")]]}),
            ),
            block(
                "row",
                "table_row",
                json!({"cells": [[text("a")], [text("1")]]}),
            ),
        ],
    );
    let page = render(&page("T", vec![code, table]));
    let text_of = |id: &str| {
        let span = page.blocks.iter().find(|b| b.block_id == id).expect("span");
        &page.markdown[span.range.clone()]
    };
    assert_eq!(text_of("code"), "```python\nx = 1\n```\n\nSetup");
    assert_eq!(text_of("table"), "| k | v |\n| --- | --- |\n| a | 1 |");
    assert_eq!(text_of("head"), "| k | v |");
    assert_eq!(text_of("row"), "| a | 1 |");
}

#[test]
fn quoted_and_indented_blocks_span_their_own_markdown_only() {
    let page = render(&page(
        "T",
        vec![with_children(
            text_block("q", "quote", vec![text("outer")]),
            vec![text_block("p", "paragraph", vec![text("inner")])],
        )],
    ));
    let inner = page.blocks.iter().find(|b| b.block_id == "p").unwrap();
    assert_eq!(&page.markdown[inner.range.clone()], "inner");
    assert_eq!(
        &page.markdown[inner.range.start - 2..inner.range.start],
        "> "
    );
}

#[test]
fn heading_paths_follow_the_outline() {
    let page = render(&page(
        "Guide",
        vec![
            text_block("intro", "paragraph", vec![text("intro")]),
            text_block("h1", "heading_1", vec![text("Install")]),
            text_block("h2", "heading_2", vec![text("On Linux")]),
            text_block("linux", "paragraph", vec![text("apt")]),
            text_block("h3", "heading_3", vec![text("Arch")]),
            text_block("h2b", "heading_2", vec![text("On *macOS*")]),
            text_block("mac", "paragraph", vec![text("brew")]),
            text_block("h1b", "heading_1", vec![text("Use")]),
            text_block("use", "paragraph", vec![text("run")]),
        ],
    ));
    let path_at = |id: &str| {
        let span = page.blocks.iter().find(|b| b.block_id == id).expect("span");
        page.heading_path_at(span.range.start)
    };
    assert_eq!(path_at("intro"), ["Guide"]);
    assert_eq!(path_at("linux"), ["Guide", "Install", "On Linux"]);
    assert_eq!(path_at("mac"), ["Guide", "Install", "On *macOS*"]);
    assert_eq!(path_at("use"), ["Guide", "Use"]);
    assert_eq!(path_at("h2"), ["Guide", "Install", "On Linux"]);
    assert_eq!(page.heading_path_at(0), ["Guide"]);
    let levels: Vec<u8> = page.headings.iter().map(|h| h.level).collect();
    assert_eq!(levels, [1, 2, 3, 4, 3, 2]);
}
