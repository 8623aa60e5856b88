//! Property-based tests over generated rich text and block trees: whatever
//! the input, pulldown-cmark reads back every text run in order with its
//! formatting, and the block spans are in bounds, on char boundaries and
//! nested like the blocks.

use notion_markdown::{RenderContext, RenderedPage, render_page};
use notion_source::model::{
    Annotations, Block, BlockKind, Callout, Code, EquationContent, ExternalFile, FileSource,
    Heading, HostedFile, Icon, Link, Media, NumberedListItem, PageTree, RichText, RichTextKind,
    Table, TableRow, TextBlock, TextContent, TitleContent, ToDo, UnknownType, UrlBlock,
};
use proptest::prelude::*;

use crate::support::*;

/// Text that is hard to write in Markdown: metacharacters, CJK punctuation,
/// emoji, line breaks, spaces at the edges, and fragments that start blocks,
/// entities, HTML and math (`1. `, `&amp;`, `<a>`, `---`, ` #`, `$ `).
fn tricky_text() -> impl Strategy<Value = String> {
    let chars = proptest::string::string_regex(
        r"[a-z0-9 *_\[\]#|<>\\`~$&!.,:;()\-+={}%?/^'重要。这是日本語😀é\n]{1,8}",
    )
    .unwrap();
    let fragment = prop_oneof![
        1 => chars,
        2 => prop::sample::select(vec![
            "1. ", "1.", "2) ", "0.0", "&amp;", "&#35;", "&#x41;", "&x", "&", "---", "--", "==",
            "# ", "#", " #", "##", "+ ", "- ", "* ", "> ", "<a>", "</b>", "<!--", "< 5", "\\",
            "\\*", "\\a", "_", "__", "~", "~~", "~~~", "```", " $ ", "$", "$$", " * ", " _ ",
            " ~ ", "|", "[x]", "![", "\n", "\n\n", "   ", "\t", "\u{B}", "\u{C}", "\0",
        ])
        .prop_map(str::to_string),
    ];
    prop::collection::vec(fragment, 1..4).prop_map(|parts| parts.concat())
}

fn url() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("https://example.com/a_(b)".to_string()),
        Just("https://x.org/?q=a b|c<d>".to_string()),
        Just("/0123456789abcdef".to_string()),
        Just("https://example.com/".to_string()),
    ]
}

fn rich_text_run() -> impl Strategy<Value = RichText> {
    let annotations = (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::bool::weighted(0.15),
    )
        .prop_map(|(bold, italic, strikethrough, code)| Annotations {
            bold,
            italic,
            strikethrough,
            code,
            ..Annotations::default()
        });
    let text = (tricky_text(), prop::option::weighted(0.2, url())).prop_map(|(content, link)| {
        let mut run = RichText::plain(&content);
        if let RichTextKind::Text(t) = &mut run.kind {
            t.link = link.clone().map(|url| Link { url });
        }
        run.href = link;
        run
    });
    let equation = proptest::string::string_regex(r"[a-z0-9+^_{}\\ ]{1,8}")
        .unwrap()
        .prop_map(|expression| RichText {
            plain_text: expression.clone(),
            href: None,
            annotations: Annotations::default(),
            kind: RichTextKind::Equation(EquationContent { expression }),
        });
    (prop_oneof![9 => text, 1 => equation], annotations).prop_map(|(mut run, annotations)| {
        run.annotations = annotations;
        run
    })
}

fn rich_text() -> impl Strategy<Value = Vec<RichText>> {
    prop::collection::vec(rich_text_run(), 0..5)
}

/// The characters a reader should see for `runs`, with their formatting.
fn expected_styles(runs: &[RichText]) -> Vec<Styled> {
    let mut out = Vec::new();
    for run in runs {
        let (text, literal) = match &run.kind {
            RichTextKind::Equation(e) => (e.expression.as_str(), true),
            _ => (run.plain_text.as_str(), run.annotations.code),
        };
        let link = match &run.kind {
            RichTextKind::Text(TextContent {
                link: Some(link), ..
            }) => Some(absolute(&link.url)),
            _ => None,
        };
        for ch in text.chars().filter(|c| !c.is_whitespace()) {
            out.push(Styled {
                ch,
                bold: run.annotations.bold,
                italic: run.annotations.italic,
                strikethrough: run.annotations.strikethrough,
                literal,
                link: link.clone(),
            });
        }
    }
    out
}

/// The URL as the Markdown's link destination reads back (relative Notion
/// links made absolute, spaces percent-encoded).
fn absolute(url: &str) -> String {
    let url = if url.starts_with('/') {
        format!("https://www.notion.so{url}")
    } else {
        url.to_string()
    };
    url.replace(' ', "%20")
}

fn page_tree(blocks: Vec<Block>) -> PageTree {
    let mut tree = page("Generated *page*", Vec::new());
    tree.blocks = blocks;
    tree
}

/// The blocks that hold one line of inline text, each in its own Markdown
/// context: a paragraph, a heading, a list item, a quote, a table cell.
fn inline_holders(runs: &[RichText]) -> Vec<Block> {
    let text = TextBlock {
        rich_text: runs.to_vec(),
        color: None,
    };
    let heading = Heading {
        rich_text: runs.to_vec(),
        color: None,
        is_toggleable: false,
    };
    let mut table = Block::new(
        "t",
        BlockKind::Table(Table {
            table_width: 1,
            has_column_header: false,
            has_row_header: false,
        }),
    );
    table.children = vec![Block::new(
        "r",
        BlockKind::TableRow(TableRow {
            cells: vec![runs.to_vec()],
        }),
    )];
    vec![
        Block::new("p", BlockKind::Paragraph(text.clone())),
        Block::new("h", BlockKind::Heading1(heading)),
        Block::new("li", BlockKind::BulletedListItem(text.clone())),
        Block::new("q", BlockKind::Quote(text)),
        table,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// The round trip: in every inline context, pulldown-cmark reads back
    /// exactly the characters written, with their formatting.
    #[test]
    fn inline_formatting_reads_back_exactly(runs in rich_text()) {
        for holder in inline_holders(&runs) {
            let tree = page_tree(vec![holder]);
            let md = render_page(&tree, &RenderContext::default()).markdown;
            let body = md.strip_prefix("# Generated \\*page\\*\n").expect("title first");
            prop_assert_eq!(styled_chars(body), expected_styles(&runs), "markdown was:\n{}", md);
        }
    }
}

/// A block of any kind, with children for the kinds that have them.
fn block_tree() -> impl Strategy<Value = Block> {
    let leaf = prop_oneof![
        rich_text().prop_map(|t| BlockKind::Paragraph(TextBlock {
            rich_text: t,
            color: None
        })),
        (rich_text(), 1u8..=4).prop_map(|(t, level)| {
            let h = Heading {
                rich_text: t,
                color: None,
                is_toggleable: false,
            };
            match level {
                1 => BlockKind::Heading1(h),
                2 => BlockKind::Heading2(h),
                3 => BlockKind::Heading3(h),
                _ => BlockKind::Heading4(h),
            }
        }),
        (rich_text(), "[a-z+# ]{0,8}", rich_text()).prop_map(|(t, language, caption)| {
            BlockKind::Code(Code {
                rich_text: t,
                caption,
                language,
            })
        }),
        "[a-z0-9+^{}$\\\\ ]{0,10}"
            .prop_map(|expression| BlockKind::Equation(EquationContent { expression })),
        Just(BlockKind::Divider(Default::default())),
        Just(BlockKind::Breadcrumb(Default::default())),
        (url(), rich_text())
            .prop_map(|(url, caption)| BlockKind::Bookmark(UrlBlock { url, caption })),
        (url(), rich_text(), any::<bool>()).prop_map(|(url, caption, hosted)| BlockKind::Image(
            Media {
                caption,
                name: None,
                source: if hosted {
                    FileSource::File(HostedFile {
                        url: "https://s3.aws/secret?X-Amz-Signature=leak".into(),
                        expiry_time: None,
                    })
                } else {
                    FileSource::External(ExternalFile { url })
                },
            }
        )),
        tricky_text().prop_map(|title| BlockKind::ChildPage(TitleContent { title })),
        Just(BlockKind::Unknown(UnknownType {
            type_name: "ai_block".into(),
            raw: serde_json::json!({}),
            error: None
        })),
        (
            1u32..4,
            any::<bool>(),
            prop::collection::vec(prop::collection::vec(rich_text(), 0..4), 1..4)
        )
            .prop_map(|(width, has_column_header, rows)| {
                // Rows are attached as children below.
                let _ = rows;
                BlockKind::Table(Table {
                    table_width: width,
                    has_column_header,
                    has_row_header: false,
                })
            }),
    ];
    let leaf = (
        leaf,
        prop::collection::vec(prop::collection::vec(rich_text(), 0..4), 1..4),
    )
        .prop_map(|(kind, rows)| {
            let mut block = Block::new("", kind);
            if matches!(block.kind, BlockKind::Table(_)) {
                block.children = rows
                    .into_iter()
                    .map(|cells| Block::new("", BlockKind::TableRow(TableRow { cells })))
                    .collect();
            }
            block
        });
    leaf.prop_recursive(4, 48, 4, |inner| {
        let children = prop::collection::vec(inner, 0..4);
        let container = prop_oneof![
            rich_text().prop_map(|t| BlockKind::Paragraph(TextBlock {
                rich_text: t,
                color: None
            })),
            rich_text().prop_map(|t| BlockKind::BulletedListItem(TextBlock {
                rich_text: t,
                color: None
            })),
            (rich_text(), prop::option::of(0u32..12)).prop_map(|(t, start)| {
                BlockKind::NumberedListItem(NumberedListItem {
                    rich_text: t,
                    color: None,
                    list_start_index: start,
                    list_format: None,
                })
            }),
            (rich_text(), any::<bool>()).prop_map(|(t, checked)| BlockKind::ToDo(ToDo {
                rich_text: t,
                checked,
                color: None
            })),
            rich_text().prop_map(|t| BlockKind::Toggle(TextBlock {
                rich_text: t,
                color: None
            })),
            rich_text().prop_map(|t| BlockKind::Quote(TextBlock {
                rich_text: t,
                color: None
            })),
            (rich_text(), any::<bool>()).prop_map(|(t, icon)| BlockKind::Callout(Callout {
                rich_text: t,
                icon: icon.then(|| Icon::Emoji("💡".into())),
                color: None,
            })),
            rich_text().prop_map(|t| BlockKind::Heading2(Heading {
                rich_text: t,
                color: None,
                is_toggleable: true
            })),
            Just(BlockKind::ColumnList(Default::default())),
            Just(BlockKind::SyncedBlock(Default::default())),
        ];
        (container, children).prop_map(|(kind, children)| {
            let mut block = Block::new("", kind);
            block.has_children = !children.is_empty();
            block.children = children;
            block
        })
    })
}

/// Gives every block a unique id, in document order.
fn number_blocks(blocks: &mut [Block], next: &mut usize) {
    for block in blocks {
        block.id = format!("b{next}");
        *next += 1;
        number_blocks(&mut block.children, next);
    }
}

/// Every text a reader should find, in document order.
fn expected_texts(blocks: &[Block], out: &mut Vec<String>) {
    let runs = |runs: &[RichText], out: &mut Vec<String>| {
        for run in runs {
            out.push(match &run.kind {
                RichTextKind::Equation(e) => e.expression.clone(),
                _ => run.plain_text.clone(),
            });
        }
    };
    for block in blocks {
        match &block.kind {
            BlockKind::Code(code) => {
                out.push(notion_source::model::plain_text(&code.rich_text));
                runs(&code.caption, out);
            }
            BlockKind::Equation(e) => out.push(e.expression.clone()),
            BlockKind::TableRow(row) => row.cells.iter().for_each(|cell| runs(cell, out)),
            BlockKind::Bookmark(b) => runs(&b.caption, out),
            BlockKind::Image(m) => runs(&m.caption, out),
            BlockKind::ChildPage(p) => out.push(p.title.clone()),
            _ => runs(block.rich_text().unwrap_or_default(), out),
        }
        expected_texts(&block.children, out);
    }
}

fn check_spans(page: &RenderedPage, blocks: &[Block]) -> Result<(), TestCaseError> {
    let md = &page.markdown;
    let mut parents: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    fn parent_links(
        blocks: &[Block],
        parent: Option<&str>,
        out: &mut std::collections::HashMap<String, String>,
    ) {
        for b in blocks {
            if let Some(p) = parent {
                out.insert(b.id.clone(), p.to_string());
            }
            parent_links(&b.children, Some(&b.id), out);
        }
    }
    parent_links(blocks, None, &mut parents);
    let by_id: std::collections::HashMap<&str, &std::ops::Range<usize>> = page
        .blocks
        .iter()
        .map(|s| (s.block_id.as_str(), &s.range))
        .collect();
    prop_assert_eq!(by_id.len(), page.blocks.len(), "block ids repeat");
    let mut last_start = 0;
    for span in &page.blocks {
        let r = &span.range;
        prop_assert!(
            r.start < r.end && r.end <= md.len(),
            "{} out of bounds: {:?}",
            span.block_id,
            r
        );
        prop_assert!(md.is_char_boundary(r.start) && md.is_char_boundary(r.end));
        prop_assert!(r.start >= last_start, "spans out of document order");
        last_start = r.start;
        // Every rendered ancestor contains the span.
        let mut id = span.block_id.as_str();
        while let Some(parent) = parents.get(id) {
            if let Some(p) = by_id.get(parent.as_str()) {
                prop_assert!(
                    p.start <= r.start && r.end <= p.end,
                    "{} escapes its parent {}",
                    span.block_id,
                    parent
                );
            }
            id = parent;
        }
    }
    // Spans are disjoint or nested.
    for a in &page.blocks {
        for b in &page.blocks {
            let (a, b) = (&a.range, &b.range);
            let disjoint = a.end <= b.start || b.end <= a.start;
            let nested =
                (a.start <= b.start && b.end <= a.end) || (b.start <= a.start && a.end <= b.end);
            prop_assert!(disjoint || nested, "spans {:?} and {:?} overlap", a, b);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn any_tree_renders_faithfully(mut blocks in prop::collection::vec(block_tree(), 0..6)) {
        number_blocks(&mut blocks, &mut 0);
        let tree = page_tree(blocks.clone());
        let page = render_page(&tree, &RenderContext::default());
        let md = &page.markdown;

        let mut expected = vec![tree.page.title()];
        expected_texts(&blocks, &mut expected);
        let content = text_content(md);
        let missing = first_missing_in_order(&content, &expected);
        prop_assert!(missing.is_none(), "{:?} missing from\n{}\n--- read back as ---\n{}", missing, md, content);

        check_spans(&page, &blocks)?;

        let parsed_headings: Vec<String> = headings_read_back(md);
        let listed: Vec<String> = page.headings.iter().map(|h| squash(&h.text)).collect();
        prop_assert_eq!(parsed_headings, listed, "markdown was:\n{}", md);
        prop_assert!(!md.contains("X-Amz"), "signed URL leaked");
    }
}

/// The text of every heading pulldown-cmark finds.
fn headings_read_back(md: &str) -> Vec<String> {
    use pulldown_cmark::{Event, Tag, TagEnd};
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for event in events(md) {
        match event {
            Event::Start(Tag::Heading { .. }) => current = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => out.push(squash(&current.take().unwrap_or_default())),
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) => {
                if let Some(c) = current.as_mut() {
                    c.push_str(&t);
                }
            }
            _ => {}
        }
    }
    out
}
