//! The Markdown between Notion's block tags, read with pulldown-cmark:
//! paragraphs, headings, lists and to-dos, quotes, code, pipe tables,
//! dividers and lone images become blocks; an HTML block (a tag Notion
//! would have escaped) becomes a paragraph of its literal text.
//!
//! Nesting is kept as block children up to a depth limit; deeper quotes
//! and lists are written flat, in order, so nothing is lost.

use notion_source::model::{Block, BlockKind, RichText, Table, TableRow};
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Parser, Tag, TagEnd};

use super::Document;
use super::build::{self, ItemKind};
use super::inline::{Inline, is_inline_event, options};
use super::tags;

/// What an open block-level element collects.
enum Frame<'a> {
    /// The run itself, a quote or a list item: child blocks, and the text
    /// that comes first (a quote's or item's own text).
    Container {
        kind: Container,
        text: Option<Vec<RichText>>,
        blocks: Vec<Block>,
        /// Inline events outside any paragraph (a tight list item's text).
        loose: Vec<Event<'a>>,
    },
    /// A list: the number of its next item (ordered lists), and whether
    /// no item came yet.
    List {
        next: Option<u64>,
        first: bool,
    },
    /// Inline content of a paragraph, heading or table cell.
    Inline {
        target: InlineTarget,
        events: Vec<Event<'a>>,
    },
    Code {
        language: String,
        text: String,
    },
    Table {
        rows: Vec<Vec<Vec<RichText>>>,
        row: Vec<Vec<RichText>>,
    },
    /// Something whose content goes to the enclosing frame as it is
    /// (footnotes, definitions, nesting past the limit, an HTML block's text).
    Through,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    Root,
    Quote,
    Item(ItemKind),
    /// A quote or item nested past the limit: written flat.
    Flat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InlineTarget {
    Paragraph,
    Heading(u8),
    Cell,
}

/// Reads a run of Markdown lines into blocks; `depth` is how deep the run
/// sits, `max_depth` how deep blocks may nest.
pub(crate) fn blocks(text: &str, doc: &mut Document, depth: usize, max_depth: usize) -> Vec<Block> {
    let text = super::prepare::prepare(text);
    let mut walker = Walker {
        doc,
        frames: vec![Frame::Container {
            kind: Container::Root,
            text: None,
            blocks: Vec::new(),
            loose: Vec::new(),
        }],
        containers: 1,
        depth,
        max_depth,
    };
    let mut parser = Parser::new_ext(&text, options());
    for event in parser.by_ref() {
        walker.event(event);
    }
    while walker.frames.len() > 1 {
        walker.close();
    }
    let mut blocks = match walker.frames.pop() {
        Some(Frame::Container { blocks, .. }) => blocks,
        _ => Vec::new(),
    };
    // Link reference definitions the preparation did not catch (a label
    // over several lines): CommonMark keeps them out of the document; their
    // text is kept after the run's blocks.
    let mut definitions: Vec<std::ops::Range<usize>> = parser
        .reference_definitions()
        .iter()
        .map(|(_, definition)| definition.span.clone())
        .collect();
    definitions.sort_by_key(|span| span.start);
    for span in definitions {
        if let Some(source) = text.get(span).map(str::trim).filter(|s| !s.is_empty()) {
            doc.unrecognised.link_definitions += 1;
            blocks.push(build::paragraph(vec![RichText::plain(source)]));
        }
    }
    blocks
}

struct Walker<'a, 'd> {
    doc: &'d mut Document,
    frames: Vec<Frame<'a>>,
    /// Container frames among `frames`.
    containers: usize,
    depth: usize,
    max_depth: usize,
}

impl<'a> Walker<'a, '_> {
    fn event(&mut self, event: Event<'a>) {
        match event {
            Event::Html(html) => self.html(&html),
            Event::Rule => self.push_block(build::block(BlockKind::Divider(Default::default()))),
            Event::TaskListMarker(checked) => {
                for frame in self.frames.iter_mut().rev() {
                    if let Frame::Container {
                        kind: Container::Item(kind),
                        ..
                    } = frame
                    {
                        *kind = ItemKind::ToDo(checked);
                        break;
                    }
                }
            }
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => self.end_row(),
            event if is_inline_event(&event) => self.inline_event(event),
            Event::Start(tag) => self.start(tag),
            Event::End(_) => self.close(),
            // Every other event is inline.
            event => self.inline_event(event),
        }
    }

    /// Inline content: to the paragraph, heading or cell being read, into a
    /// code block's text, or kept until the container's next block.
    fn inline_event(&mut self, event: Event<'a>) {
        match self.frames.last_mut() {
            Some(Frame::Inline { events, .. }) => events.push(event),
            Some(Frame::Code { text, .. }) => {
                if let Event::Text(t) = event {
                    text.push_str(&t);
                }
            }
            Some(Frame::Container { loose, .. }) => loose.push(event),
            _ => {
                // Text straight in a list, table or other element: keep it.
                let mut inline = Inline::new();
                inline.push(event, self.doc);
                let runs = inline.finish(self.doc);
                self.push_text(runs);
            }
        }
    }

    fn start(&mut self, tag: Tag<'a>) {
        self.flush_loose();
        let deep = self.depth + self.containers > self.max_depth;
        let frame = match tag {
            Tag::Paragraph => Frame::Inline {
                target: InlineTarget::Paragraph,
                events: Vec::new(),
            },
            Tag::Heading { level, .. } => Frame::Inline {
                target: InlineTarget::Heading(heading_level(level)),
                events: Vec::new(),
            },
            Tag::TableCell => Frame::Inline {
                target: InlineTarget::Cell,
                events: Vec::new(),
            },
            Tag::BlockQuote(_) => container(if deep {
                Container::Flat
            } else {
                Container::Quote
            }),
            Tag::List(start) => Frame::List {
                next: start,
                first: true,
            },
            Tag::TableHead | Tag::TableRow => return,
            Tag::Item => {
                let kind = match self.frames.last_mut() {
                    Some(Frame::List {
                        next: Some(n),
                        first,
                    }) => {
                        // Only the first item says where numbering starts.
                        let start = std::mem::replace(first, false)
                            .then(|| u32::try_from(*n).unwrap_or(u32::MAX));
                        *n = n.saturating_add(1);
                        ItemKind::Numbered(start)
                    }
                    _ => ItemKind::Bullet,
                };
                container(if deep {
                    Container::Flat
                } else {
                    Container::Item(kind)
                })
            }
            Tag::CodeBlock(kind) => Frame::Code {
                language: match kind {
                    CodeBlockKind::Fenced(info) => info.to_string(),
                    CodeBlockKind::Indented => String::new(),
                },
                text: String::new(),
            },
            Tag::Table(_) => Frame::Table {
                rows: Vec::new(),
                row: Vec::new(),
            },
            _ => Frame::Through,
        };
        if matches!(frame, Frame::Container { .. }) {
            self.containers += 1;
        }
        self.frames.push(frame);
    }

    /// Ends the innermost frame and hands what it built to its parent.
    fn close(&mut self) {
        if self.frames.len() <= 1 {
            return;
        }
        self.flush_loose();
        let Some(frame) = self.frames.pop() else {
            return;
        };
        if matches!(frame, Frame::Container { .. }) {
            self.containers -= 1;
        }
        match frame {
            Frame::Inline { target, events } => self.close_inline(target, events),
            Frame::Container {
                kind,
                text,
                mut blocks,
                ..
            } => {
                let text = text.unwrap_or_default();
                match kind {
                    Container::Quote => {
                        let block =
                            build::with_children(BlockKind::Quote(build::text(text)), blocks);
                        self.push_block(block);
                    }
                    Container::Item(item) => {
                        let block = build::with_children(build::list_item(item, text), blocks);
                        self.push_block(block);
                    }
                    Container::Flat | Container::Root => {
                        if !text.is_empty() {
                            blocks.insert(0, build::paragraph(text));
                        }
                        for block in blocks {
                            self.push_block(block);
                        }
                    }
                }
            }
            Frame::Code { language, text } => {
                let text = text.strip_suffix('\n').unwrap_or(&text);
                self.push_block(build::code(&language, text));
            }
            Frame::Table { mut rows, row } => {
                if !row.is_empty() {
                    rows.push(row);
                }
                self.push_block(table(rows, true, false));
            }
            Frame::List { .. } | Frame::Through => {}
        }
    }

    fn close_inline(&mut self, target: InlineTarget, events: Vec<Event<'a>>) {
        if target == InlineTarget::Paragraph
            && let Some(block) = lone_block(&events, self.doc)
        {
            self.push_block(block);
            return;
        }
        let mut inline = Inline::new();
        for event in events {
            inline.push(event, self.doc);
        }
        let runs = inline.finish(self.doc);
        match target {
            InlineTarget::Paragraph => self.push_text(runs),
            InlineTarget::Heading(level) => {
                self.push_block(build::block(build::heading(level, runs, false)));
            }
            InlineTarget::Cell => {
                if let Some(Frame::Table { row, .. }) = self.frames.last_mut() {
                    row.push(runs);
                }
            }
        }
    }

    fn end_row(&mut self) {
        if let Some(Frame::Table { rows, row }) = self.frames.last_mut() {
            rows.push(std::mem::take(row));
        }
    }

    /// Turns a container's loose inline events into its text or a paragraph.
    fn flush_loose(&mut self) {
        let events = match self.frames.last_mut() {
            Some(Frame::Container { loose, .. }) if !loose.is_empty() => std::mem::take(loose),
            _ => return,
        };
        let mut inline = Inline::new();
        for event in events {
            inline.push(event, self.doc);
        }
        let runs = inline.finish(self.doc);
        self.push_text(runs);
    }

    /// A paragraph's text: the container's own text when it has none yet
    /// and no block came before, else a paragraph block.
    fn push_text(&mut self, runs: Vec<RichText>) {
        if let Some(Frame::Container {
            kind, text, blocks, ..
        }) = self.frames.last_mut()
            && matches!(kind, Container::Quote | Container::Item(_))
            && text.is_none()
            && blocks.is_empty()
        {
            *text = Some(runs);
            return;
        }
        self.push_block(build::paragraph(runs));
    }

    /// Adds a block to the innermost container (past the nesting limit,
    /// the innermost one that is not flat: nothing is moved twice).
    fn push_block(&mut self, block: Block) {
        for frame in self.frames.iter_mut().rev() {
            if let Frame::Container { kind, blocks, .. } = frame
                && *kind != Container::Flat
            {
                blocks.push(block);
                return;
            }
        }
    }

    /// An HTML block: the literal text, as a paragraph, its tag counted.
    fn html(&mut self, html: &str) {
        if let Some(Frame::Inline { events, .. }) = self.frames.last_mut() {
            events.push(Event::Text(html.to_string().into()));
            return;
        }
        let trimmed = html.trim_start();
        if let Some(tag) = tags::scan(trimmed) {
            *self.doc.unrecognised.tags.entry(tag.name).or_default() += 1;
        }
        let text = html.trim_end_matches(['\n', '\r']);
        if !text.trim().is_empty() {
            self.push_text(vec![RichText::plain(text)]);
        }
    }
}

fn container<'a>(kind: Container) -> Frame<'a> {
    Frame::Container {
        kind,
        text: None,
        blocks: Vec::new(),
        loose: Vec::new(),
    }
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// A paragraph that is one image (`![caption](url)`) or one display
/// equation (`$$x$$`): that block.
fn lone_block(events: &[Event<'_>], doc: &mut Document) -> Option<Block> {
    let significant: Vec<&Event<'_>> = events
        .iter()
        .filter(|e| !matches!(e, Event::Text(t) if t.trim().is_empty()))
        .filter(|e| !matches!(e, Event::SoftBreak | Event::HardBreak))
        .collect();
    match significant.as_slice() {
        [Event::DisplayMath(expression)] => Some(build::equation(expression.trim())),
        [
            Event::Start(Tag::Image { dest_url, .. }),
            inner @ ..,
            Event::End(TagEnd::Image),
        ] if !inner
            .iter()
            .any(|e| matches!(e, Event::Start(Tag::Image { .. }))) =>
        {
            let mut inline = Inline::new();
            for event in inner {
                inline.push((*event).clone(), doc);
            }
            let caption = inline.finish(doc);
            Some(build::media("image", dest_url, caption))
        }
        _ => None,
    }
}

/// A table block from its rows of cells.
pub(crate) fn table(rows: Vec<Vec<Vec<RichText>>>, column_header: bool, row_header: bool) -> Block {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let children = rows
        .into_iter()
        .map(|cells| build::block(BlockKind::TableRow(TableRow { cells })))
        .collect();
    build::with_children(
        BlockKind::Table(Table {
            table_width: u32::try_from(width).unwrap_or(u32::MAX),
            has_column_header: column_header,
            has_row_header: row_header,
        }),
        children,
    )
}
