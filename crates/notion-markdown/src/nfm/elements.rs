//! Notion's block tags and the blocks they become: containers, whose lines
//! run to a closing tag (`<toggle>`, `<callout>`, `<columns>`, v1's
//! `<details>`...), and leaves, which fill their line (`<page>`,
//! `<unknown/>`, `<video>`, `<p color="red">…</p>`...).
//!
//! A container with a title (toggle, callout, quote, `<p>`) takes the
//! Markdown directly after its opening tag, up to the first blank line
//! (v1: the first line), as its own text; `<p />` there is an empty title.
//! The rest are its children.

use notion_source::model::{Block, BlockKind, MarkdownVersion, RichText, SyncedBlock, SyncedFrom};

use super::build::{self, ItemKind};
use super::inline::parse_inline;
use super::lines::{self, Line};
use super::scanner::Parser;
use super::tags::{Tag, TagKind};
use super::urls::{id_in_url, page_id_in_url};
use super::{ChildDocument, Placeholder, table};

/// A container tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Element {
    Toggle,
    Callout,
    Quote,
    Paragraph,
    /// v1's `<details>` with a `<summary>` line.
    Details,
    Columns,
    Column,
    SyncedOriginal,
    SyncedReference,
    Tabs,
    /// One tab: a paragraph (its label) holding the tab's content.
    Tab,
    MeetingNotes,
    /// A part of meeting notes (summary, notes, transcript): its blocks, inline.
    Section,
    BulletedList,
    NumberedList,
    ListItem,
    Table,
}

/// The container a tag name opens.
pub(crate) fn container(name: &str, version: MarkdownVersion) -> Option<Element> {
    let v1 = version == MarkdownVersion::V1;
    Some(match name {
        "toggle" => Element::Toggle,
        "callout" => Element::Callout,
        "quote" => Element::Quote,
        "p" => Element::Paragraph,
        "details" if v1 => Element::Details,
        "columns" => Element::Columns,
        "column" => Element::Column,
        "synced-block" | "synced_block" => Element::SyncedOriginal,
        "synced-block-reference" | "synced_block_reference" => Element::SyncedReference,
        "tabs" => Element::Tabs,
        "tab" => Element::Tab,
        "meeting-notes" => Element::MeetingNotes,
        "meeting-notes-section-notes"
        | "meeting-notes-section-summary"
        | "meeting-notes-section-transcript"
        | "notes"
        | "transcript" => Element::Section,
        "summary" if v1 => Element::Section,
        "ul" => Element::BulletedList,
        "ol" => Element::NumberedList,
        "li" => Element::ListItem,
        "table" => Element::Table,
        _ => return None,
    })
}

/// A leaf tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Leaf {
    /// `<unknown url alt/>`: a block the endpoint did not write.
    Unknown,
    Page,
    Database,
    Media,
    /// `<bookmark>`, `<embed>`.
    Link,
    Equation,
    ToDo,
    Heading(u8),
    Paragraph,
    ListItem,
    /// A block with nothing to read (`<table-of-contents/>`).
    Nothing,
    /// A named object (`<external_object_instance>`): its text as a paragraph.
    Text,
    /// A custom block: a placeholder like `<unknown>`.
    Custom,
}

/// The leaf a tag name is.
pub(crate) fn leaf(name: &str) -> Option<Leaf> {
    Some(match name {
        "unknown" => Leaf::Unknown,
        "page" | "folder" => Leaf::Page,
        "database" => Leaf::Database,
        "image" | "video" | "audio" | "file" | "pdf" => Leaf::Media,
        "bookmark" | "embed" => Leaf::Link,
        "equation" => Leaf::Equation,
        "todo" => Leaf::ToDo,
        "h1" => Leaf::Heading(1),
        "h2" => Leaf::Heading(2),
        "h3" => Leaf::Heading(3),
        "h4" | "h5" | "h6" => Leaf::Heading(4),
        "p" | "empty-block" => Leaf::Paragraph,
        "li" => Leaf::ListItem,
        "table-of-contents" | "table_of_contents" => Leaf::Nothing,
        "external_object_instance" | "external-object-instance" => Leaf::Text,
        "custom-block" => Leaf::Custom,
        _ => return None,
    })
}

/// How many lines a leaf's content may run over (a title with line breaks).
const LEAF_LINES: usize = 64;

/// The block types the endpoint writes as Markdown: a placeholder of one
/// of these is a truncated or unshared subtree, to ask the endpoint for again.
pub(crate) fn written_as_markdown(type_name: &str) -> bool {
    matches!(
        type_name,
        "paragraph"
            | "heading_1"
            | "heading_2"
            | "heading_3"
            | "heading_4"
            | "bulleted_list_item"
            | "numbered_list_item"
            | "to_do"
            | "toggle"
            | "quote"
            | "callout"
            | "code"
            | "equation"
            | "divider"
            | "table"
            | "table_row"
            | "column_list"
            | "column"
            | "synced_block"
            | "child_page"
            | "child_database"
            | "page"
            | "database"
            | "image"
            | "video"
            | "audio"
            | "file"
            | "pdf"
            | "table_of_contents"
            | "meeting_notes"
            | "transcription"
            | "tab"
    )
}

/// What follows `::: callout` on a v1 fenced-div opener, if the line is one.
pub(crate) fn callout_div(trimmed: &str) -> Option<&str> {
    let rest = trimmed.strip_prefix(":::")?.trim_start();
    let rest = rest.strip_prefix("callout")?;
    (rest.is_empty() || rest.starts_with([' ', '\t', '{'])).then_some(rest)
}

/// Splits a v1 block-attribute suffix (`Text {color="red"}`) off a line:
/// the line without it, and its attributes.
pub(crate) fn v1_suffix(line: &str) -> (&str, Vec<(String, String)>) {
    let trimmed = line.trim_end();
    let Some(open) = trimmed.rfind(" {").filter(|_| trimmed.ends_with('}')) else {
        return (line, Vec::new());
    };
    let inner = &trimmed[open + 2..trimmed.len() - 1];
    // Read the attributes as a tag's: `{color="red"}` is `<x color="red">`.
    match super::tags::scan(&format!("<x {inner}>")) {
        Some(tag) if !tag.attrs.is_empty() && tag.attrs.iter().all(|(_, v)| !v.is_empty()) => {
            (&trimmed[..open], tag.attrs)
        }
        _ => (line, Vec::new()),
    }
}

impl Parser<'_> {
    /// The blocks a container element holds; `body` is the lines between
    /// its tags.
    pub(crate) fn container(&mut self, tag: &Tag, body: &[Line<'_>], depth: usize) -> Vec<Block> {
        let Some(element) = self.element(&tag.name) else {
            return self.blocks(body, depth);
        };
        let titled = |parser: &mut Self| parser.titled(body, depth);
        let block = match element {
            Element::Toggle => {
                let (title, children) = titled(self);
                let kind = match tag.attr("heading").map(str::trim) {
                    Some(level @ ("h1" | "h2" | "h3" | "h4" | "h5" | "h6")) => {
                        let level = level[1..].parse().unwrap_or(1);
                        build::heading(level, title, true)
                    }
                    _ => BlockKind::Toggle(build::text(title)),
                };
                build::with_children(kind, children)
            }
            Element::Callout => {
                let (title, children) = titled(self);
                build::with_children(build::callout(title, tag.attr("icon")), children)
            }
            Element::Quote => {
                let (title, children) = titled(self);
                build::with_children(BlockKind::Quote(build::text(title)), children)
            }
            Element::Paragraph | Element::Tab => {
                let (title, children) = titled(self);
                build::with_children(BlockKind::Paragraph(build::text(title)), children)
            }
            Element::ListItem => {
                let (title, children) = titled(self);
                build::with_children(build::list_item(ItemKind::Bullet, title), children)
            }
            Element::Details => {
                let (title, rest) = self.summary(body);
                let children = self.body(rest, depth);
                build::with_children(BlockKind::Toggle(build::text(title)), children)
            }
            Element::MeetingNotes => {
                let (title, children) = titled(self);
                build::with_children(
                    BlockKind::MeetingNotes(notion_source::model::MeetingNotes {
                        title,
                        ..Default::default()
                    }),
                    children,
                )
            }
            Element::Columns => build::with_children(
                BlockKind::ColumnList(Default::default()),
                self.body(body, depth),
            ),
            Element::Column => {
                build::with_children(build::column(tag.attr("ratio")), self.body(body, depth))
            }
            Element::Tabs => {
                build::with_children(BlockKind::Tab(Default::default()), self.body(body, depth))
            }
            Element::SyncedOriginal => {
                let mut block = build::with_children(
                    BlockKind::SyncedBlock(SyncedBlock { synced_from: None }),
                    self.body(body, depth),
                );
                block.id = tag.attr("url").and_then(id_in_url).unwrap_or_default();
                block
            }
            Element::SyncedReference => {
                let from = tag.attr("url").and_then(id_in_url);
                build::with_children(
                    BlockKind::SyncedBlock(SyncedBlock {
                        synced_from: from.map(|block_id| SyncedFrom { block_id }),
                    }),
                    self.body(body, depth),
                )
            }
            Element::Section => return self.body(body, depth),
            Element::BulletedList | Element::NumberedList => {
                let mut items = self.body(body, depth);
                if element == Element::NumberedList {
                    let start = tag.attr("start").and_then(|s| s.trim().parse().ok());
                    for (i, item) in items.iter_mut().enumerate() {
                        if let BlockKind::BulletedListItem(text) = &mut item.kind {
                            let rich_text = std::mem::take(&mut text.rich_text);
                            let start = if i == 0 { start } else { None };
                            item.kind = build::list_item(ItemKind::Numbered(start), rich_text);
                        }
                    }
                }
                return items;
            }
            Element::Table => {
                let text: Vec<&str> = body.iter().map(|l| l.text).collect();
                return table::parse(tag, &text.join("\n"), self.doc);
            }
        };
        vec![block]
    }

    /// A titled container's own text and its children.
    fn titled(&mut self, body: &[Line<'_>], depth: usize) -> (Vec<RichText>, Vec<Block>) {
        // v1 bodies are tab-indented under their tags.
        let indented = body.iter().all(|l| l.is_blank() || l.is_indented());
        let dedented: Vec<Line<'_>>;
        let body = if indented {
            dedented = body.iter().map(|l| l.dedented()).collect();
            &dedented[..]
        } else {
            body
        };
        let Some(first) = body.first().filter(|l| !l.is_blank()) else {
            return (Vec::new(), self.blocks(body, depth));
        };
        if let Some(tag) = lines::whole_line_tag(first.text)
            && matches!(tag.name.as_str(), "p" | "empty-block")
            && tag.kind == TagKind::SelfClosing
        {
            return (Vec::new(), self.blocks(&body[1..], depth));
        }
        if lines::starts_block(first.text)
            || lines::leading_tag(first.text).is_some_and(|t| leaf(&t.name).is_some())
        {
            return (Vec::new(), self.blocks(body, depth));
        }
        let mut end = 1;
        if self.version == MarkdownVersion::V2 {
            while end < body.len()
                && !body[end].is_blank()
                && !body[end].is_indented()
                && !lines::starts_block(body[end].text)
            {
                end += 1;
            }
        }
        let title_lines: Vec<&str> = body[..end]
            .iter()
            .map(|l| match self.version {
                MarkdownVersion::V1 => v1_suffix(l.text).0,
                MarkdownVersion::V2 => l.text,
            })
            .collect();
        let title = parse_inline(&title_lines.join("\n"), self.doc);
        (title, self.blocks(&body[end..], depth))
    }

    /// v1 `<details>`: the `<summary>…</summary>` line as the title, and the rest.
    fn summary<'a, 's>(&mut self, body: &'a [Line<'s>]) -> (Vec<RichText>, &'a [Line<'s>]) {
        let Some(first) = body.iter().position(|l| !l.is_blank()) else {
            return (Vec::new(), body);
        };
        let text = body[first].text.trim();
        match text
            .strip_prefix("<summary>")
            .and_then(|t| t.strip_suffix("</summary>"))
        {
            Some(title) => (parse_inline(title, self.doc), &body[first + 1..]),
            None => (Vec::new(), body),
        }
    }

    /// v1 `::: callout {icon="💡" color="…"}` … `:::` (text after
    /// `callout` on the opening line is the callout's title).
    pub(crate) fn callout_div(&mut self, opener: &str, body: &[Line<'_>], depth: usize) -> Block {
        let rest = callout_div(opener.trim()).unwrap_or_default();
        let (text, attrs) = v1_suffix(rest);
        let icon = attrs
            .iter()
            .find(|(k, _)| k == "icon")
            .map(|(_, v)| v.as_str());
        let (title, children) = if text.trim().is_empty() {
            self.titled(body, depth)
        } else {
            (parse_inline(text.trim(), self.doc), self.body(body, depth))
        };
        build::with_children(build::callout(title, icon), children)
    }

    /// The leaf tag on line `i` (its content may run over a few lines):
    /// its blocks and the line after it, or `None` when the tag does not
    /// fill its line(s).
    pub(crate) fn leaf(&mut self, lines: &[Line<'_>], i: usize) -> Option<(Vec<Block>, usize)> {
        let first = lines[i].text.trim();
        let tag = lines::leading_tag(first)?;
        let kind = leaf(&tag.name)?;
        let rest = &first[tag.len..];
        let closing = format!("</{}>", tag.name);
        let (content, end) = match tag.kind {
            TagKind::SelfClosing if rest.trim().is_empty() => (String::new(), i + 1),
            TagKind::Open => {
                let mut content = rest.to_string();
                let mut end = i;
                loop {
                    if content.trim_end().to_ascii_lowercase().ends_with(&closing) {
                        let cut = content.trim_end().len() - closing.len();
                        content.truncate(cut);
                        break;
                    }
                    end += 1;
                    if end >= lines.len() || end > i + LEAF_LINES || lines[end].is_blank() {
                        return None;
                    }
                    content.push('\n');
                    content.push_str(lines[end].text.trim());
                }
                (content, end + 1)
            }
            _ => return None,
        };
        let offset = lines[i].offset + (lines[i].text.len() - lines[i].text.trim_start().len());
        Some((self.leaf_blocks(kind, &tag, &content, offset), end))
    }

    fn leaf_blocks(&mut self, kind: Leaf, tag: &Tag, content: &str, offset: usize) -> Vec<Block> {
        let url = tag
            .attr("url")
            .or(tag.attr("source"))
            .or(tag.attr("src"))
            .unwrap_or_default()
            .trim();
        let block = match kind {
            Leaf::Unknown | Leaf::Custom => {
                let id = id_in_url(url);
                let type_name = tag
                    .nonempty_attr("alt")
                    .map(str::trim)
                    .unwrap_or(if kind == Leaf::Custom {
                        "custom_block"
                    } else {
                        "unknown"
                    })
                    .to_string();
                self.doc.placeholders.push(Placeholder {
                    block_id: id.clone(),
                    type_name: type_name.clone(),
                    url: url.to_string(),
                    offset,
                });
                let mut blocks = vec![build::placeholder(id.as_deref(), &type_name)];
                if !content.trim().is_empty() {
                    blocks.push(build::paragraph(parse_inline(content, self.doc)));
                }
                return blocks;
            }
            Leaf::Page | Leaf::Database => {
                let title = notion_source::model::plain_text(&parse_inline(content, self.doc));
                let database = kind == Leaf::Database;
                let Some(id) = page_id_in_url(url) else {
                    // No id to crawl: the title, linked, so nothing is lost.
                    let runs = parse_inline(
                        &format!("[{}]({url})", content.replace(['[', ']'], "")),
                        self.doc,
                    );
                    return vec![build::paragraph(runs)];
                };
                let child = ChildDocument {
                    id: id.clone(),
                    title: title.clone(),
                };
                let list = if database {
                    &mut self.doc.child_databases
                } else {
                    &mut self.doc.child_pages
                };
                if !list.iter().any(|c| c.id == id) {
                    list.push(child);
                }
                build::child(&id, &title, database)
            }
            Leaf::Media => build::media(&tag.name, url, parse_inline(content, self.doc)),
            Leaf::Link => build::url_block(&tag.name, url, parse_inline(content, self.doc)),
            Leaf::Equation => build::equation(content.trim()),
            Leaf::ToDo => build::block(build::list_item(
                ItemKind::ToDo(tag.flag("checked")),
                parse_inline(content, self.doc),
            )),
            Leaf::Heading(level) => build::block(build::heading(
                level,
                parse_inline(content, self.doc),
                false,
            )),
            Leaf::Paragraph | Leaf::Text => build::paragraph(parse_inline(content, self.doc)),
            Leaf::ListItem => build::block(build::list_item(
                ItemKind::Bullet,
                parse_inline(content, self.doc),
            )),
            Leaf::Nothing => build::block(BlockKind::TableOfContents(Default::default())),
        };
        vec![block]
    }
}
