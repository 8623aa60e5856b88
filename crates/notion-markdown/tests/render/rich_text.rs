//! Inline formatting, mentions and escaping, read back with pulldown-cmark.

use notion_markdown::{RenderContext, render_page};
use serde_json::{Value, json};

use crate::support::*;

/// The Markdown of one paragraph holding `runs`.
fn paragraph(runs: Vec<Value>) -> String {
    body(vec![text_block("p", "paragraph", runs)])
        .trim_end()
        .to_string()
}

#[test]
fn annotations_become_markdown_and_underline_and_colour_are_dropped() {
    let md = paragraph(vec![
        styled("bold", json!({"bold": true})),
        text(" "),
        styled("italic", json!({"italic": true})),
        text(" "),
        styled("struck", json!({"strikethrough": true})),
        text(" "),
        styled("code", json!({"code": true})),
        text(" "),
        styled(
            "under",
            json!({"underline": true, "color": "red_background"}),
        ),
    ]);
    assert_eq!(md, "**bold** *italic* ~~struck~~ `code` under");
}

#[test]
fn same_annotations_merge_and_edge_spaces_go_outside_markers() {
    assert_eq!(
        paragraph(vec![
            styled("a", json!({"bold": true})),
            styled("b ", json!({"bold": true})),
            text("c")
        ]),
        "**ab** c"
    );
    assert_eq!(
        paragraph(vec![
            text("x"),
            styled(" bold ", json!({"bold": true})),
            text("y")
        ]),
        "x **bold** y"
    );
    assert_eq!(
        paragraph(vec![
            styled("a ", json!({"bold": true})),
            styled("b", json!({"bold": true, "italic": true})),
            styled(" c", json!({"bold": true})),
        ]),
        "**a *b* c**"
    );
    assert_eq!(
        paragraph(vec![
            styled("x", json!({"code": true})),
            styled("y", json!({"code": true}))
        ]),
        "`xy`"
    );
}

#[test]
fn longer_lasting_marks_open_outermost() {
    let md = paragraph(vec![
        styled("both", json!({"bold": true, "italic": true})),
        styled(" italic", json!({"italic": true})),
    ]);
    assert_eq!(md, "***both** italic*");
    let chars = styled_chars(&md);
    assert!(chars[..4].iter().all(|c| c.bold && c.italic));
    assert!(chars[4..].iter().all(|c| !c.bold && c.italic));
}

#[test]
fn markers_that_would_not_parse_fall_back_to_html() {
    // A closing `**` after punctuation and before a letter does not close in CommonMark.
    let md = paragraph(vec![styled("重要。", json!({"bold": true})), text("这是")]);
    assert_eq!(md, "<strong>重要。</strong>这是");
    let chars = styled_chars(&md);
    assert_eq!(chars.iter().filter(|c| c.bold).count(), 3);
    // A closing `*` followed by an opening `**` would read as one run `***`.
    let md = paragraph(vec![
        styled("a", json!({"italic": true})),
        styled("b", json!({"bold": true})),
    ]);
    let chars = styled_chars(&md);
    assert!(
        chars[0].italic && !chars[0].bold && chars[1].bold && !chars[1].italic,
        "{md}"
    );
}

#[test]
fn links_and_formatted_links() {
    let md = paragraph(vec![
        text("see "),
        linked("docs", "https://example.com/a_(b)"),
        text(" and "),
        {
            let mut run = linked("this", "/0123abcd");
            run["annotations"] = json!({"bold": true});
            run
        },
        text("!"),
        linked("x", "https://x.org"),
    ]);
    assert_eq!(
        md,
        r"see [docs](https://example.com/a_\(b\)) and **[this](https://www.notion.so/0123abcd)**\![x](https://x.org)"
    );
    let links: Vec<Option<String>> = styled_chars(&md).into_iter().map(|c| c.link).collect();
    assert_eq!(links[3], Some("https://example.com/a_(b)".into()));
    assert!(!events(&md).iter().any(|e| matches!(
        e,
        pulldown_cmark::Event::Start(pulldown_cmark::Tag::Image { .. })
    )));
}

#[test]
fn mentions_read_as_text_and_links() {
    let runs = vec![
        json!({"type": "mention", "mention": {"type": "user", "user": {"object": "user", "id": "u-1"}}, "plain_text": "@Ada L."}),
        text(" "),
        json!({"type": "mention", "mention": {"type": "user", "user": {"object": "user", "id": "u-2"}}, "plain_text": "@Bob"}),
        text(" "),
        json!({"type": "mention", "mention": {"type": "page", "page": {"id": "p-1"}}, "plain_text": "Old title", "href": "https://www.notion.so/p1"}),
        text(" "),
        json!({"type": "mention", "mention": {"type": "database", "database": {"id": "d-1"}}, "plain_text": "Tasks", "href": "https://www.notion.so/d1"}),
        text(" "),
        json!({"type": "mention", "mention": {"type": "date", "date": {"start": "2026-07-04", "end": "2026-07-10", "time_zone": null}}, "plain_text": "July 4, 2026 → July 10, 2026"}),
        text(" "),
        json!({"type": "mention", "mention": {"type": "link_preview", "link_preview": {"url": "https://github.com/o/r"}}, "plain_text": "https://github.com/o/r", "href": "https://github.com/o/r"}),
        text(" "),
        json!({"type": "mention", "mention": {"type": "link_mention", "link_mention": {"href": "https://rust-lang.org", "title": "Rust"}}, "plain_text": "https://rust-lang.org", "href": "https://rust-lang.org"}),
        text(" "),
        json!({"type": "mention", "mention": {"type": "custom_emoji", "custom_emoji": {"id": "e1", "name": "party-parrot", "url": "https://s3/e.png"}}, "plain_text": ":party-parrot:"}),
        text(" "),
        json!({"type": "mention", "mention": {"type": "template_mention", "template_mention": {"type": "template_mention_date", "template_mention_date": "today"}}, "plain_text": "@Today"}),
    ];
    let mut ctx = RenderContext::default();
    ctx.user_names.insert("u-1".into(), "Ada Lovelace".into());
    ctx.page_titles.insert("p-1".into(), "New title".into());
    let tree = page("T", vec![text_block("p", "paragraph", runs)]);
    let md = render_page(&tree, &ctx).markdown;
    assert_eq!(
        md,
        "# T\n\n@Ada Lovelace @Bob [New title](https://www.notion.so/p1) [Tasks](https://www.notion.so/d1) \
         2026-07-04 → 2026-07-10 [https://github.com/o/r](https://github.com/o/r) [Rust](https://rust-lang.org) \
         :party-parrot: @Today\n"
    );
}

#[test]
fn inline_equations_are_math() {
    let md = paragraph(vec![
        text("area "),
        json!({"type": "equation", "equation": {"expression": "\\pi r^2"}, "plain_text": "\\pi r^2"}),
        text(" {sic}"),
    ]);
    assert_eq!(md, r"area $\pi r^2$ \{sic\}");
    assert!(events(&md).contains(&pulldown_cmark::Event::InlineMath(r"\pi r^2".into())));
}

const METACHARACTERS: &str =
    r"* _ [ ] # | < > \ ` ~ $ & *emph* _u_ [l](u) <b> `c` # h \* 1. 2) - + = ! {x}";

#[test]
fn metacharacters_render_literally_everywhere() {
    let table = with_children(
        block(
            "t",
            "table",
            json!({"table_width": 1, "has_column_header": true}),
        ),
        vec![block(
            "r",
            "table_row",
            json!({"cells": [[text(METACHARACTERS)]]}),
        )],
    );
    let places = vec![
        text_block("p", "paragraph", vec![text(METACHARACTERS)]),
        text_block("h", "heading_1", vec![text(METACHARACTERS)]),
        text_block("l", "bulleted_list_item", vec![text(METACHARACTERS)]),
        text_block("q", "quote", vec![text(METACHARACTERS)]),
        table,
        text_block(
            "s",
            "paragraph",
            vec![text("# starts\n> lines\n- like\n1. blocks\n```\n---")],
        ),
    ];
    for place in places {
        let md = body(vec![place]);
        let read_back = squash(&text_content(&md));
        let expected = if md.contains("starts") {
            squash("# starts > lines - like 1. blocks ``` ---")
        } else {
            squash(METACHARACTERS)
        };
        assert_eq!(read_back, expected, "markdown was:\n{md}");
        let events = events(&md);
        let structure = events
            .iter()
            .filter(|e| matches!(e, pulldown_cmark::Event::Start(_)))
            .count();
        assert!(structure <= 4, "metacharacters made structure: {events:?}");
    }
}

#[test]
fn line_breaks_are_hard_breaks_in_paragraphs_and_spaces_in_headings() {
    assert_eq!(paragraph(vec![text("one\ntwo")]), "one\\\ntwo");
    assert_eq!(
        body(vec![text_block("h", "heading_1", vec![text("one\ntwo")])]),
        "## one two\n"
    );
}
