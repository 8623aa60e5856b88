//! Escaping noise: a metacharacter is escaped only where it would change the
//! Markdown's meaning in its position. The cases reported on real responses
//! (issue 13) come out without a backslash; the same characters where they
//! would start a list, an entity or close a heading keep theirs.

use serde_json::json;

use crate::support::*;

/// Backslash escapes in `markdown` (a backslash before ASCII punctuation).
fn escapes(markdown: &str) -> usize {
    let bytes = markdown.as_bytes();
    let mut count = 0;
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'\\' && bytes[i + 1].is_ascii_punctuation() {
            count += 1;
            i += 2;
        } else {
            i += 1;
        }
    }
    count
}

fn table(cells: &[&str]) -> serde_json::Value {
    with_children(
        block(
            "t",
            "table",
            json!({"table_width": cells.len(), "has_column_header": true}),
        ),
        vec![block(
            "r",
            "table_row",
            json!({"cells": cells.iter().map(|c| vec![text(c)]).collect::<Vec<_>>()}),
        )],
    )
}

#[test]
fn reported_cases_carry_no_escape() {
    // Each case: the Markdown, and what it read back as.
    let cell = body(vec![table(&["0.0", "1. first", "# x", "- y", "AT&T"])]);
    assert_eq!(
        cell,
        "| 0.0 | 1. first | # x | - y | AT&T |\n| --- | --- | --- | --- | --- |\n"
    );
    let heading = body(vec![text_block(
        "h",
        "heading_1",
        vec![text("1. Notion original")],
    )]);
    assert_eq!(heading, "## 1. Notion original\n");
    let row = render(&page_with(
        "Row",
        json!({"File&MediaTitle": {"id": "f", "type": "rich_text", "rich_text": [text("C# & Rust")]}}),
        vec![],
    ))
    .markdown;
    assert_eq!(row, "# Row\n\n- File&MediaTitle: C# & Rust\n");
    let prose = body(vec![text_block(
        "p",
        "paragraph",
        vec![text(
            "Version 0.0.1 costs 5 * 3 = 15 $ or ~ 2 < 4, see issue #42.",
        )],
    )]);
    assert_eq!(
        prose,
        "Version 0.0.1 costs 5 * 3 = 15 $ or ~ 2 < 4, see issue #42.\n"
    );
    for markdown in [&cell, &heading, &row, &prose] {
        assert_eq!(escapes(markdown), 0, "{markdown}");
        assert_eq!(squash(&text_content(markdown)).matches('\\').count(), 0);
    }
    assert_eq!(squash(&text_content(&heading)), "1. Notion original");
    assert_eq!(squash(&text_content(&cell)), "0.0 1. first # x - y AT&T");
}

#[test]
fn escapes_stay_where_the_meaning_would_change() {
    let cases = [
        // A paragraph starting like a list item, a heading, a quote.
        ("paragraph", "1. not a list", "1\\. not a list"),
        ("paragraph", "# not a heading", "\\# not a heading"),
        ("paragraph", "> not a quote", "\\> not a quote"),
        ("paragraph", "- not a bullet", "\\- not a bullet"),
        ("paragraph", "a\n---", "a\\\n\\---"),
        // An entity, a tag, emphasis.
        ("paragraph", "&amp; stays", "\\&amp; stays"),
        ("paragraph", "<b>bold</b>", "\\<b>bold\\</b>"),
        ("paragraph", "*not italic*", "\\*not italic\\*"),
        // A heading whose text ends in `#` after a space would lose it.
        ("heading_1", "Tickets #", "## Tickets \\#"),
        // A pipe ends a table cell.
        ("paragraph", "a | b", "a \\| b"),
    ];
    for (kind, input, expected) in cases {
        let md = body(vec![text_block("b", kind, vec![text(input)])]);
        assert_eq!(md.trim_end(), expected, "{input:?}");
        assert_eq!(
            escapes(&md),
            expected.matches('\\').count() - expected.matches("\\\n").count()
        );
        let read_back = text_content(&md);
        assert_eq!(squash(&read_back), squash(input), "{md}");
    }
}
