//! Blocks: the units of a page's content, and every block type's content.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::{Caption, FileSource, Icon, Parent};
use super::rich_text::{EquationContent, RichText};
use super::tagged::{UnknownType, notion_tagged, null_as_default};

/// A block, with its children once a crawler has filled them.
///
/// `children` is not part of Notion's block object: the API says only
/// `has_children`, and a crawler reads the children with further requests.
/// In serialized form a block carries them under `children`.
///
/// Parsing never fails: a block whose type content does not parse, or that
/// has no `type`, becomes [`BlockKind::Unknown`] with its raw JSON and the
/// error; a block without an id keeps its JSON the same way and is never
/// descended into. Cloning and dropping work without recursion, so a tree
/// of any depth cannot overflow the stack.
#[derive(Debug, PartialEq, Serialize)]
pub struct Block {
    /// Block id (UUID with dashes).
    pub id: String,
    /// Where the block lives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<Parent>,
    /// Creation time (cut to the minute by Notion).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_time: Option<DateTime<Utc>>,
    /// Last edit time (cut to the minute by Notion).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_edited_time: Option<DateTime<Utc>>,
    /// Whether the block has children that need their own request.
    pub has_children: bool,
    /// In the trash (API 2026-03-11 name).
    pub in_trash: bool,
    /// Archived (the pre-2026-03-11 name for trashed).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub archived: bool,
    /// The block's type and content.
    #[serde(flatten)]
    pub kind: BlockKind,
    /// Child blocks in document order, filled by the crawler.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Block>,
}

impl<'de> Deserialize<'de> for Block {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Block::from_value(Value::deserialize(deserializer)?))
    }
}

impl Block {
    /// Builds a block from its JSON (Notion's block object, with
    /// `children` filled or not), whatever it holds.
    pub fn from_value(value: Value) -> Block {
        let Value::Object(mut map) = value else {
            return Block::new("", malformed_kind(value, "a block is not an object"));
        };
        let Some(Value::String(id)) = map.remove("id") else {
            return Block::new(
                "",
                malformed_kind(Value::Object(map), "a block without an id"),
            );
        };
        fn take<T: serde::de::DeserializeOwned>(
            map: &mut Map<String, Value>,
            key: &str,
        ) -> Option<T> {
            map.remove(key).and_then(|v| T::deserialize(v).ok())
        }
        let children: Vec<Value> = take(&mut map, "children").unwrap_or_default();
        let mut block = Block {
            parent: take(&mut map, "parent"),
            created_time: take(&mut map, "created_time"),
            last_edited_time: take(&mut map, "last_edited_time"),
            has_children: take(&mut map, "has_children").unwrap_or_default(),
            in_trash: take(&mut map, "in_trash").unwrap_or_default(),
            archived: take(&mut map, "archived").unwrap_or_default(),
            kind: match map.get("type") {
                Some(Value::String(type_name)) => {
                    let type_name = type_name.clone();
                    let content = map.remove(&type_name).unwrap_or(Value::Null);
                    BlockKind::from_parts(&type_name, content)
                }
                _ => malformed_kind(Value::Object(map), "a block without a type"),
            },
            id,
            children: Vec::new(),
        };
        block.children = children.into_iter().map(Block::from_value).collect();
        block
    }
}

/// An unknown-type block content keeping `raw`, for JSON that is no block.
fn malformed_kind(raw: Value, why: &str) -> BlockKind {
    BlockKind::Unknown(UnknownType {
        type_name: String::new(),
        raw,
        error: Some(why.to_string()),
    })
}

impl Clone for Block {
    /// Clones the whole tree, iteratively.
    fn clone(&self) -> Block {
        /// A block being cloned and its children cloned so far.
        struct Frame<'a> {
            source: &'a Block,
            children: Vec<Block>,
        }
        fn frame(source: &Block) -> Frame<'_> {
            Frame {
                source,
                children: Vec::with_capacity(source.children.len()),
            }
        }
        let mut stack = vec![frame(self)];
        loop {
            let top = stack.last_mut().expect("the root frame is popped last");
            if let Some(child) = top.source.children.get(top.children.len()) {
                stack.push(frame(child));
                continue;
            }
            let done = stack.pop().expect("non-empty");
            let block = Block {
                id: done.source.id.clone(),
                parent: done.source.parent.clone(),
                created_time: done.source.created_time,
                last_edited_time: done.source.last_edited_time,
                has_children: done.source.has_children,
                in_trash: done.source.in_trash,
                archived: done.source.archived,
                kind: done.source.kind.clone(),
                children: done.children,
            };
            match stack.last_mut() {
                Some(parent) => parent.children.push(block),
                None => return block,
            }
        }
    }
}

impl Drop for Block {
    /// Drops the tree iteratively: a deep chain of blocks would otherwise
    /// recurse once per level.
    fn drop(&mut self) {
        if self.children.iter().all(|c| c.children.is_empty()) {
            return;
        }
        let mut pending = std::mem::take(&mut self.children);
        while let Some(mut block) = pending.pop() {
            pending.append(&mut block.children);
        }
    }
}

impl Block {
    /// Creates a block of the given kind with no children (tests, examples).
    pub fn new(id: impl Into<String>, kind: BlockKind) -> Self {
        Block {
            id: id.into(),
            parent: None,
            created_time: None,
            last_edited_time: None,
            has_children: false,
            in_trash: false,
            archived: false,
            kind,
            children: Vec::new(),
        }
    }

    /// Whether the block is trashed or archived.
    pub fn is_trashed(&self) -> bool {
        self.in_trash || self.archived
    }

    /// Whether a crawler must read this block's children through its own
    /// `blocks/{id}/children` requests. Child pages and child databases are
    /// documents of their own; a synced-block copy is filled from its original.
    pub fn children_to_fetch(&self) -> bool {
        self.has_children
            && !matches!(
                self.kind,
                BlockKind::ChildPage(_) | BlockKind::ChildDatabase(_)
            )
            && !self.is_synced_copy()
    }

    /// The original's id, when this block is a copy of a synced block.
    pub fn synced_from(&self) -> Option<&str> {
        match &self.kind {
            BlockKind::SyncedBlock(SyncedBlock {
                synced_from: Some(from),
            }) => Some(&from.block_id),
            _ => None,
        }
    }

    fn is_synced_copy(&self) -> bool {
        self.synced_from().is_some()
    }

    /// The block's rich text, for the types that have one.
    pub fn rich_text(&self) -> Option<&[RichText]> {
        use BlockKind::*;
        Some(match &self.kind {
            Paragraph(b) | BulletedListItem(b) | Quote(b) | Toggle(b) | Template(b) => &b.rich_text,
            Heading1(h) | Heading2(h) | Heading3(h) | Heading4(h) => &h.rich_text,
            NumberedListItem(b) => &b.rich_text,
            ToDo(b) => &b.rich_text,
            Callout(b) => &b.rich_text,
            Code(b) => &b.rich_text,
            _ => return None,
        })
    }

    /// Visits this block and all its descendants, depth first, in document
    /// order (iteratively: any depth is safe).
    pub fn walk<'a>(&'a self, visit: &mut impl FnMut(&'a Block)) {
        let mut stack = vec![self];
        while let Some(block) = stack.pop() {
            visit(block);
            stack.extend(block.children.iter().rev());
        }
    }
}

notion_tagged! {
    /// A block's type and content. Every type of the API reference, old and new.
    pub enum BlockKind {
        /// A paragraph.
        Paragraph(TextBlock) = "paragraph",
        /// Heading level 1.
        Heading1(Heading) = "heading_1",
        /// Heading level 2.
        Heading2(Heading) = "heading_2",
        /// Heading level 3.
        Heading3(Heading) = "heading_3",
        /// Heading level 4 (API 2026-03-11).
        Heading4(Heading) = "heading_4",
        /// A bulleted list item.
        BulletedListItem(TextBlock) = "bulleted_list_item",
        /// A numbered list item.
        NumberedListItem(NumberedListItem) = "numbered_list_item",
        /// A to-do item.
        ToDo(ToDo) = "to_do",
        /// A toggle: a summary line with hidden children.
        Toggle(TextBlock) = "toggle",
        /// A quote.
        Quote(TextBlock) = "quote",
        /// A template button (deprecated by Notion, still returned).
        Template(TextBlock) = "template",
        /// A callout box with an icon.
        Callout(Callout) = "callout",
        /// A code block.
        Code(Code) = "code",
        /// A block equation.
        Equation(EquationContent) = "equation",
        /// A horizontal rule.
        Divider(Empty) = "divider",
        /// A breadcrumb (navigation only).
        Breadcrumb(Empty) = "breadcrumb",
        /// A table of contents (navigation only).
        TableOfContents(Empty) = "table_of_contents",
        /// A row of columns; its children are `column` blocks.
        ColumnList(Empty) = "column_list",
        /// One column.
        Column(Column) = "column",
        /// A tab container (API 2026-03-11).
        Tab(Empty) = "tab",
        /// A table; its children are `table_row` blocks.
        Table(Table) = "table",
        /// A table row.
        TableRow(TableRow) = "table_row",
        /// A page nested in this page: a document of its own.
        ChildPage(TitleContent) = "child_page",
        /// A database nested in this page: rows are read through its data sources.
        ChildDatabase(TitleContent) = "child_database",
        /// A synced block: an original (`synced_from` null) or a copy.
        SyncedBlock(SyncedBlock) = "synced_block",
        /// A link to another page or database.
        LinkToPage(LinkToPage) = "link_to_page",
        /// A link preview.
        LinkPreview(UrlBlock) = "link_preview",
        /// A bookmark.
        Bookmark(UrlBlock) = "bookmark",
        /// An embed.
        Embed(UrlBlock) = "embed",
        /// An image.
        Image(Media) = "image",
        /// A video.
        Video(Media) = "video",
        /// A PDF.
        Pdf(Media) = "pdf",
        /// A file.
        File(Media) = "file",
        /// An audio file.
        Audio(Media) = "audio",
        /// AI meeting notes (API 2026-03-11 name).
        MeetingNotes(MeetingNotes) = "meeting_notes",
        /// AI meeting notes (the pre-2026-03-11 name).
        Transcription(MeetingNotes) = "transcription",
        /// A block the API cannot return.
        Unsupported(Unsupported) = "unsupported",
    }
}

/// Content of blocks that hold only rich text (paragraph, list item, toggle, quote).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextBlock {
    /// The text.
    #[serde(default, deserialize_with = "null_as_default")]
    pub rich_text: Vec<RichText>,
    /// Colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

/// A heading.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Heading {
    /// The text.
    #[serde(default, deserialize_with = "null_as_default")]
    pub rich_text: Vec<RichText>,
    /// Colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// A toggleable heading holds children.
    #[serde(default)]
    pub is_toggleable: bool,
}

/// A numbered list item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NumberedListItem {
    /// The text.
    #[serde(default, deserialize_with = "null_as_default")]
    pub rich_text: Vec<RichText>,
    /// Colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Number of the first item of the list, when not 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_start_index: Option<u32>,
    /// `numbers`, `letters` or `roman`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_format: Option<String>,
}

/// A to-do item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToDo {
    /// The text.
    #[serde(default, deserialize_with = "null_as_default")]
    pub rich_text: Vec<RichText>,
    /// Ticked.
    #[serde(default)]
    pub checked: bool,
    /// Colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

/// A callout.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Callout {
    /// The text.
    #[serde(default, deserialize_with = "null_as_default")]
    pub rich_text: Vec<RichText>,
    /// The icon shown at its left.
    #[serde(default)]
    pub icon: Option<Icon>,
    /// Colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

/// A code block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Code {
    /// The code, as rich text.
    #[serde(default, deserialize_with = "null_as_default")]
    pub rich_text: Vec<RichText>,
    /// The caption under it.
    #[serde(default, deserialize_with = "null_as_default")]
    pub caption: Caption,
    /// Language name as Notion spells it (`rust`, `plain text`, `c++`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub language: String,
}

/// Content of blocks with nothing but unknown or cosmetic fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Empty {}

/// A column of a column list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// Share of the row's width.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width_ratio: Option<f64>,
}

/// A table's shape.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// Number of columns.
    #[serde(default)]
    pub table_width: u32,
    /// The first row is a header.
    #[serde(default)]
    pub has_column_header: bool,
    /// The first column is a header.
    #[serde(default)]
    pub has_row_header: bool,
}

/// A table row: one rich-text array per cell.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TableRow {
    /// The cells, left to right.
    #[serde(default, deserialize_with = "null_as_default")]
    pub cells: Vec<Vec<RichText>>,
}

/// A child page's or child database's title.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TitleContent {
    /// The title.
    #[serde(default, deserialize_with = "null_as_default")]
    pub title: String,
}

/// A synced block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncedBlock {
    /// `None` for the original; the original's id for a copy.
    #[serde(default)]
    pub synced_from: Option<SyncedFrom>,
}

/// The original a synced-block copy shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncedFrom {
    /// The original synced block's id.
    pub block_id: String,
}

notion_tagged! {
    /// The target of a `link_to_page` block.
    pub enum LinkToPage {
        /// A page.
        PageId(String) = "page_id",
        /// A database.
        DatabaseId(String) = "database_id",
        /// A comment.
        CommentId(String) = "comment_id",
    }
}

/// Bookmark, embed and link preview content.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UrlBlock {
    /// The URL.
    #[serde(default, deserialize_with = "null_as_default")]
    pub url: String,
    /// The caption (absent on link previews).
    #[serde(default, deserialize_with = "null_as_default")]
    pub caption: Caption,
}

/// Image, video, PDF, file and audio content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Media {
    /// The caption.
    #[serde(default, deserialize_with = "null_as_default")]
    pub caption: Caption,
    /// The file's name (file blocks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Where the file lives.
    #[serde(flatten)]
    pub source: FileSource,
}

/// AI meeting notes. The summary, notes and transcript are blocks of their
/// own, referenced by id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MeetingNotes {
    /// The meeting's title.
    #[serde(default, deserialize_with = "null_as_default")]
    pub title: Vec<RichText>,
    /// `transcription_not_started`, `transcription_paused`, `notes_ready`...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Ids of the blocks that hold the summary, the notes and the transcript.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<MeetingNotesChildren>,
    /// The calendar event, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar_event: Option<Value>,
}

/// The blocks a meeting-notes block points to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MeetingNotesChildren {
    /// Summary block id.
    #[serde(default)]
    pub summary_block_id: Option<String>,
    /// Notes block id.
    #[serde(default)]
    pub notes_block_id: Option<String>,
    /// Transcript block id.
    #[serde(default)]
    pub transcript_block_id: Option<String>,
}

/// A block the API cannot return.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Unsupported {
    /// The block's real type, when Notion says it.
    #[serde(default)]
    pub block_type: Option<String>,
}
