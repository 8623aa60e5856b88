//! Deep trees: nesting is rendered down to 64 levels, deeper blocks one after
//! another at that level after a marker, with every block's content kept,
//! on a 2 MiB stack (a Tokio blocking thread's) whatever the depth.

use notion_markdown::{RenderedPage, render_page};
use notion_source::model::{
    Block, BlockKind, Callout, Code, EquationContent, ExternalFile, FileSource, Heading,
    MeetingNotes, NumberedListItem, PageTree, RichText, Table, TableRow, TextBlock, TitleContent,
    ToDo,
};

use crate::support::*;

fn text(t: &str) -> Vec<RichText> {
    vec![RichText::plain(t)]
}

fn text_block(t: &str) -> TextBlock {
    TextBlock {
        rich_text: text(t),
        color: None,
    }
}

/// A block at `level` holding `child`, of a container kind that depends on
/// the level (lists, quotes, callouts, toggles, headings, columns, tables,
/// meeting notes...), with the text `L<level>`.
fn container(level: usize, child: Block) -> Block {
    let label = format!("L{level}");
    let id = format!("b{level}");
    let kind = match level % 11 {
        0 => BlockKind::BulletedListItem(text_block(&label)),
        1 => BlockKind::NumberedListItem(NumberedListItem {
            rich_text: text(&label),
            ..NumberedListItem::default()
        }),
        2 => BlockKind::ToDo(ToDo {
            rich_text: text(&label),
            checked: true,
            color: None,
        }),
        3 => BlockKind::Quote(text_block(&label)),
        4 => BlockKind::Callout(Callout {
            rich_text: text(&label),
            ..Callout::default()
        }),
        5 => BlockKind::Toggle(text_block(&label)),
        6 => BlockKind::Heading2(Heading {
            rich_text: text(&label),
            color: None,
            is_toggleable: true,
        }),
        7 => BlockKind::MeetingNotes(MeetingNotes {
            title: text(&label),
            ..MeetingNotes::default()
        }),
        8 => {
            // A table: its row holds the label, the chain goes on after it.
            let mut table = Block::new(
                id,
                BlockKind::Table(Table {
                    table_width: 1,
                    ..Table::default()
                }),
            );
            let row = Block::new(
                format!("row{level}"),
                BlockKind::TableRow(TableRow {
                    cells: vec![text(&label)],
                }),
            );
            table.children = vec![row, child];
            return table;
        }
        9 => {
            // A column list, a column, then a paragraph holding the chain.
            let mut paragraph = Block::new(
                format!("p{level}"),
                BlockKind::Paragraph(text_block(&label)),
            );
            paragraph.children = vec![child];
            let mut column = Block::new(format!("c{level}"), BlockKind::Column(Default::default()));
            column.children = vec![paragraph];
            let mut list = Block::new(id, BlockKind::ColumnList(Default::default()));
            list.children = vec![column];
            return list;
        }
        _ => BlockKind::Paragraph(text_block(&label)),
    };
    let mut block = Block::new(id, kind);
    block.has_children = true;
    block.children = vec![child];
    block
}

/// Leaves that are not text blocks: their content must survive flattening.
fn leaves() -> Vec<Block> {
    vec![
        Block::new(
            "code",
            BlockKind::Code(Code {
                rich_text: text("let deep = true;"),
                caption: text("code caption"),
                language: "rust".into(),
            }),
        ),
        Block::new(
            "eq",
            BlockKind::Equation(EquationContent {
                expression: "e = mc^2".into(),
            }),
        ),
        Block::new(
            "img",
            BlockKind::Image(notion_source::model::Media {
                caption: text("deep diagram"),
                name: None,
                source: FileSource::External(ExternalFile {
                    url: "https://x.org/d.png".into(),
                }),
            }),
        ),
        Block::new(
            "child",
            BlockKind::ChildPage(TitleContent {
                title: "Deep child page".into(),
            }),
        ),
    ]
}

/// A chain `levels` deep ending in the leaves; returns the tree and the
/// texts a reader must find, in order.
fn deep_tree(levels: usize) -> (PageTree, Vec<String>) {
    let mut leaf_holder = Block::new("leaf", BlockKind::Paragraph(text_block("the leaf")));
    leaf_holder.children = leaves();
    let mut block = leaf_holder;
    for level in (0..levels).rev() {
        block = container(level, block);
    }
    let mut tree = page("Deep", Vec::new());
    tree.blocks = vec![block];
    let mut expected: Vec<String> = (0..levels).map(|level| format!("L{level}")).collect();
    expected.extend(
        [
            "the leaf",
            "let deep = true;",
            "code caption",
            "e = mc^2",
            "deep diagram",
            "Deep child page",
        ]
        .map(String::from),
    );
    (tree, expected)
}

/// Takes a tree apart level by level, so that dropping it does not recurse
/// once per level (`Block`'s own drop is recursive).
fn dismantle(mut tree: PageTree) {
    let mut stack = std::mem::take(&mut tree.blocks);
    while let Some(mut block) = stack.pop() {
        stack.append(&mut block.children);
    }
}

/// Renders a chain `levels` deep on a 2 MiB stack; returns the rendering
/// and the texts to find.
fn render_deep(levels: usize) -> (RenderedPage, Vec<String>, usize) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let (tree, expected) = deep_tree(levels);
            let blocks = count_blocks(&tree);
            let page = render_page(&tree, &Default::default());
            dismantle(tree);
            (page, expected, blocks)
        })
        .expect("thread starts")
        .join()
        .expect("no stack overflow")
}

fn count_blocks(tree: &PageTree) -> usize {
    let mut stack: Vec<&Block> = tree.blocks.iter().collect();
    let mut count = 0;
    while let Some(block) = stack.pop() {
        count += 1;
        stack.extend(block.children.iter());
    }
    count
}

#[test]
fn a_hundred_thousand_levels_render_every_block_and_mark_the_flattening() {
    let (page, expected, blocks) = render_deep(100_000);
    let md = &page.markdown;
    let content = text_content(md);
    assert_eq!(first_missing_in_order(&content, &expected), None);
    assert_eq!(
        md.matches("<!-- flattened: nested more than 64 levels deep -->")
            .count(),
        1
    );
    // The block 64 levels down (level 63 counting a column list and its column as two).
    assert_eq!(page.flattened.len(), 1);
    assert!(page.flattened[0].starts_with('b') || page.flattened[0].starts_with('p'));
    // Every block with text of its own has a span (a column list and its
    // column write nothing of their own once flattened).
    let spans: std::collections::HashSet<&str> =
        page.blocks.iter().map(|b| b.block_id.as_str()).collect();
    for level in 0..100_000 {
        let id = match level % 11 {
            8 => format!("row{level}"),
            9 => format!("p{level}"),
            _ => format!("b{level}"),
        };
        assert!(spans.contains(id.as_str()), "{id} has no span");
    }
    assert!(page.blocks.len() <= blocks);
    for span in &page.blocks {
        assert!(span.range.start < span.range.end && span.range.end <= md.len());
    }
    let widest = md.lines().map(str::len).max().unwrap_or(0);
    assert!(widest < 1_000, "a line {widest} bytes wide");
    assert!(page.unsupported.is_empty(), "{:?}", &page.unsupported[..1]);
}

#[test]
fn shallow_trees_are_not_flattened() {
    // 50 levels, 58 deep with the columns.
    let (page, expected, _) = render_deep(50);
    assert!(page.flattened.is_empty());
    assert!(!page.markdown.contains("flattened"));
    assert_eq!(
        first_missing_in_order(&text_content(&page.markdown), &expected),
        None
    );
}

#[test]
fn content_below_the_depth_limit_keeps_its_kind() {
    // A code block, an equation, an image and a child page 70 levels down
    // keep their content (before, only rich text survived flattening).
    let (page, _, _) = render_deep(70);
    let md = &page.markdown;
    let tail = &md[md.find("the leaf").expect("leaf written")..];
    assert!(tail.contains("```rust\n"), "{tail}");
    assert!(md.contains("$$ e = mc^2 $$"));
    assert!(md.contains("[deep diagram](https://x.org/d.png)"));
    assert!(md.contains("[Deep child page](https://www.notion.so/child)"));
    assert_eq!(page.flattened.len(), 1);
}
