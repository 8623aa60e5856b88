//! Constructors for the blocks the parser builds. Blocks the Markdown gives
//! no id to have an empty id.

use notion_source::model::{
    Block, BlockKind, Callout, Column, EquationContent, ExternalFile, FileSource, Heading,
    HostedFile, Media, NumberedListItem, RichText, TextBlock, TitleContent, ToDo, Unsupported,
    UrlBlock,
};

use super::urls::{file_name, is_signed, without_query};

/// A block without id or children.
pub(crate) fn block(kind: BlockKind) -> Block {
    Block::new(String::new(), kind)
}

/// `kind` with `children`.
pub(crate) fn with_children(kind: BlockKind, children: Vec<Block>) -> Block {
    let mut block = block(kind);
    block.has_children = !children.is_empty();
    block.children = children;
    block
}

/// Content of a block that holds only text.
pub(crate) fn text(rich_text: Vec<RichText>) -> TextBlock {
    TextBlock {
        rich_text,
        color: None,
    }
}

pub(crate) fn paragraph(rich_text: Vec<RichText>) -> Block {
    block(BlockKind::Paragraph(text(rich_text)))
}

/// A heading of Markdown level `level` (1 is Notion's `heading_1`; 5 and 6
/// become `heading_4`, the deepest Notion has).
pub(crate) fn heading(level: u8, rich_text: Vec<RichText>, toggleable: bool) -> BlockKind {
    let heading = Heading {
        rich_text,
        color: None,
        is_toggleable: toggleable,
    };
    match level {
        0 | 1 => BlockKind::Heading1(heading),
        2 => BlockKind::Heading2(heading),
        3 => BlockKind::Heading3(heading),
        _ => BlockKind::Heading4(heading),
    }
}

/// A list item: bulleted, numbered (with the list's first number when not 1) or a to-do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemKind {
    Bullet,
    Numbered(Option<u32>),
    ToDo(bool),
}

pub(crate) fn list_item(kind: ItemKind, rich_text: Vec<RichText>) -> BlockKind {
    match kind {
        ItemKind::Bullet => BlockKind::BulletedListItem(text(rich_text)),
        ItemKind::Numbered(start) => BlockKind::NumberedListItem(NumberedListItem {
            rich_text,
            color: None,
            list_start_index: start.filter(|&n| n != 1),
            list_format: None,
        }),
        ItemKind::ToDo(checked) => BlockKind::ToDo(ToDo {
            rich_text,
            checked,
            color: None,
        }),
    }
}

pub(crate) fn callout(rich_text: Vec<RichText>, icon: Option<&str>) -> BlockKind {
    // An icon given as a URL (an image) has no text to show.
    let icon = icon
        .map(str::trim)
        .filter(|i| !i.is_empty() && !i.contains("://") && !i.starts_with('/'))
        .map(|i| notion_source::model::Icon::Emoji(i.to_string()));
    BlockKind::Callout(Callout {
        rich_text,
        icon,
        color: None,
    })
}

pub(crate) fn code(language: &str, code: &str) -> Block {
    block(BlockKind::Code(notion_source::model::Code {
        rich_text: if code.is_empty() {
            Vec::new()
        } else {
            vec![RichText::plain(code)]
        },
        caption: Vec::new(),
        language: language.trim().to_string(),
    }))
}

pub(crate) fn equation(expression: &str) -> Block {
    block(BlockKind::Equation(EquationContent {
        expression: expression.to_string(),
    }))
}

pub(crate) fn column(ratio_percent: Option<&str>) -> BlockKind {
    BlockKind::Column(Column {
        width_ratio: ratio_percent
            .and_then(|r| r.trim().trim_end_matches('%').parse::<f64>().ok())
            .filter(|r| r.is_finite() && *r > 0.0)
            .map(|r| r / 100.0),
    })
}

/// A child page or database block, by id.
pub(crate) fn child(id: &str, title: &str, database: bool) -> Block {
    let content = TitleContent {
        title: title.to_string(),
    };
    let kind = if database {
        BlockKind::ChildDatabase(content)
    } else {
        BlockKind::ChildPage(content)
    };
    Block::new(id, kind)
}

/// The media block types, by the tag that writes them.
pub(crate) fn media(tag: &str, url: &str, caption: Vec<RichText>) -> Block {
    let source = if is_signed(url) {
        // Only what does not expire is kept: the URL without its signature.
        FileSource::File(HostedFile {
            url: without_query(url).to_string(),
            expiry_time: None,
        })
    } else {
        FileSource::External(ExternalFile {
            url: url.to_string(),
        })
    };
    let media = Media {
        caption,
        name: if is_signed(url) { file_name(url) } else { None },
        source,
    };
    block(match tag {
        "video" => BlockKind::Video(media),
        "audio" => BlockKind::Audio(media),
        "file" => BlockKind::File(media),
        "pdf" => BlockKind::Pdf(media),
        _ => BlockKind::Image(media),
    })
}

/// Bookmarks and embeds.
pub(crate) fn url_block(tag: &str, url: &str, caption: Vec<RichText>) -> Block {
    let content = UrlBlock {
        url: url.to_string(),
        caption,
    };
    block(if tag == "embed" {
        BlockKind::Embed(content)
    } else {
        BlockKind::Bookmark(content)
    })
}

/// A block shown only as a placeholder, with its type.
pub(crate) fn placeholder(id: Option<&str>, type_name: &str) -> Block {
    Block::new(
        id.unwrap_or_default(),
        BlockKind::Unsupported(Unsupported {
            block_type: Some(type_name.to_string()),
        }),
    )
}

/// Whether a block built here stands for an `<unknown>` placeholder.
pub(crate) fn is_placeholder(block: &Block) -> bool {
    matches!(block.kind, BlockKind::Unsupported(_))
}
