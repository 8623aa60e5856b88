//! The block walker: writes a page's title, property list and block tree,
//! recording where each block and heading lands.
//!
//! Each block writes its own Markdown through the [`MarkdownWriter`], which
//! repeats container prefixes (list indentation, `> `) on every line, so a
//! block never needs to know how deep it sits. A block that turns out to
//! write nothing (an empty paragraph, a breadcrumb, a column of such) is
//! rolled back, separator and span included.
//!
//! Nesting is rendered as such down to [`MAX_DEPTH`] levels, so the walk's
//! recursion is bounded whatever the tree. Deeper blocks are written one
//! after another at that level, walked with an explicit stack, after a
//! `<!-- flattened: … -->` marker.

use notion_source::model::{
    Block, BlockKind, FileSource, LinkToPage, Media, PageTree, PropertyKind, RichText, UnknownType,
    UrlBlock,
};

use crate::escape::{InlineContext, code_fence, comment_safe, math_is_delimitable};
use crate::inline::{InlineRun, render_inline};
use crate::links::{absolute, block_url, id_url, page_url};
use crate::properties::page_properties;
use crate::rich_text::{inline_runs, unlinked_runs};
use crate::writer::{MarkdownWriter, Separator};
use crate::{
    BlockSpan, HeadingSpan, NotSharedBlock, NotSharedKind, RenderContext, RenderedPage,
    UnsupportedBlock,
};

/// Renders a whole page; see [`crate::render_page`].
pub(crate) fn render<'a>(tree: &'a PageTree, ctx: &'a RenderContext) -> RenderedPage {
    let page = &tree.page;
    let page_url = if page.url.is_empty() {
        page_url(&page.id, ctx)
    } else {
        page.url.clone()
    };
    let mut r = Renderer {
        ctx,
        page_url,
        w: MarkdownWriter::new(),
        spans: Vec::new(),
        headings: Vec::new(),
        unsupported: Vec::new(),
        not_shared: Vec::new(),
        flattened: Vec::new(),
        scratch: String::new(),
        depth: 0,
        current: None,
        deferred: None,
    };
    let title = page.properties.values().find_map(|p| match &p.value {
        PropertyKind::Title(runs) => Some(runs.as_slice()),
        _ => None,
    });
    r.title(title.unwrap_or_default());
    let (properties, lines) = page_properties(page, ctx);
    r.property_list(&lines);
    r.children(&tree.blocks, FirstChild::Separated(Separator::Blank));
    RenderedPage {
        markdown: r.w.finish(),
        title: page.title(),
        // A block without an id (read from Markdown that gave none) has
        // nothing to link to: no span.
        blocks: r
            .spans
            .into_iter()
            .filter(|span| !span.block_id.is_empty())
            .collect(),
        headings: r.headings,
        properties,
        unsupported: r.unsupported,
        not_shared: r.not_shared,
        flattened: r.flattened,
    }
}

/// The walker's state: the output and what has been recorded about it.
pub(crate) struct Renderer<'a> {
    pub(crate) ctx: &'a RenderContext,
    /// The page's URL, for deep links to its blocks.
    page_url: String,
    pub(crate) w: MarkdownWriter,
    spans: Vec<BlockSpan>,
    headings: Vec<HeadingSpan>,
    unsupported: Vec<UnsupportedBlock>,
    not_shared: Vec<NotSharedBlock>,
    flattened: Vec<String>,
    /// Reused buffer for inline Markdown.
    pub(crate) scratch: String,
    /// How many blocks enclose the one being written.
    depth: usize,
    /// The block being written, if any.
    current: Option<&'a Block>,
    /// While a block nested deeper than [`MAX_DEPTH`] is written: its
    /// children, to be written after it at the same level.
    deferred: Option<Vec<&'a Block>>,
}

/// Nesting rendered as such; deeper blocks are written one after another at
/// this level (no indentation growing with depth, no recursion without end).
pub(crate) const MAX_DEPTH: usize = 64;

/// The largest number an ordered list item can carry in Markdown.
const MAX_LIST_NUMBER: u32 = 999_999_999;

/// How a container's first child is separated from what the container wrote.
#[derive(Debug, Clone, Copy)]
enum FirstChild {
    /// A fixed separator.
    Separated(Separator),
    /// After a list item's text: a line break for a nested list that may
    /// interrupt a paragraph (bullets, or numbers starting at 1), else a blank line.
    AfterListText,
}

/// The kind of list a block is an item of; consecutive items of one kind form one list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListKind {
    Bullet,
    Numbered,
}

fn list_kind(block: &Block) -> Option<ListKind> {
    match block.kind {
        BlockKind::BulletedListItem(_) | BlockKind::ToDo(_) => Some(ListKind::Bullet),
        BlockKind::NumberedListItem(_) => Some(ListKind::Numbered),
        _ => None,
    }
}

/// What to restore when a block rolls back.
struct Checkpoint {
    writer: (usize, bool),
    spans: usize,
    headings: usize,
    unsupported: usize,
    not_shared: usize,
    flattened: usize,
}

impl<'a> Renderer<'a> {
    /// `# Title`, the page's one top-level heading.
    fn title(&mut self, title: &[RichText]) {
        let runs = inline_runs(title, self.ctx);
        let offset = self.w.begin(Separator::Blank);
        self.w.write("# ");
        let text = if self.render_inline(&runs, InlineContext::Heading) {
            self.w.write(&self.scratch);
            runs_text(&runs)
        } else {
            self.w.write("Untitled");
            "Untitled".to_string()
        };
        self.headings.push(HeadingSpan {
            offset,
            level: 1,
            text,
        });
    }

    /// A data source row's properties, one `- Name: value` line each, under the title.
    fn property_list(&mut self, lines: &[Vec<InlineRun<'_>>]) {
        for (i, line) in lines.iter().enumerate() {
            self.w.begin(if i == 0 {
                Separator::Blank
            } else {
                Separator::Line
            });
            self.w.write("- ");
            self.w.push_indent(2);
            self.write_inline(line, InlineContext::Block);
            self.w.pop_prefix();
        }
    }

    /// Renders sibling blocks in order, numbering lists and keeping list items tight.
    fn children(&mut self, blocks: impl IntoIterator<Item = &'a Block>, first: FirstChild) {
        if self.depth >= MAX_DEPTH {
            match &mut self.deferred {
                Some(deferred) => deferred.extend(blocks),
                None => self.flattened(blocks),
            }
            return;
        }
        let mut first = Some(first);
        let mut previous: Option<(ListKind, u32)> = None;
        for block in blocks.into_iter().filter(|b| !b.is_trashed()) {
            let kind = list_kind(block);
            let number = list_number(block, previous);
            let separator = match first {
                Some(FirstChild::Separated(separator)) => separator,
                Some(FirstChild::AfterListText) => match kind {
                    Some(ListKind::Bullet) => Separator::Line,
                    Some(ListKind::Numbered) if number == 1 => Separator::Line,
                    _ => Separator::Blank,
                },
                None if kind.is_some() && kind == previous.map(|(k, _)| k) => Separator::Line,
                None => Separator::Blank,
            };
            if self.block(block, separator, number) {
                first = None;
                previous = kind.map(|k| (k, number));
            }
        }
    }

    /// Renders blocks that follow what a block wrote, as separate blocks.
    pub(crate) fn blocks_after(&mut self, blocks: impl IntoIterator<Item = &'a Block>) {
        self.children(blocks, FirstChild::Separated(Separator::Blank));
    }

    /// Blocks nested deeper than [`MAX_DEPTH`], and all their descendants:
    /// each written whole but for its children, which follow it at the same
    /// level (walked with a stack, not recursion), after a marker. The
    /// enclosing block is listed in [`RenderedPage::flattened`].
    fn flattened(&mut self, blocks: impl IntoIterator<Item = &'a Block>) {
        let mut pending: Vec<(&'a Block, u32)> = Vec::new();
        push_numbered(&mut pending, blocks.into_iter().collect());
        let checkpoint = self.checkpoint();
        self.w.begin(Separator::Blank);
        self.w.write(&format!(
            "<!-- flattened: nested more than {MAX_DEPTH} levels deep -->"
        ));
        let mut shown = false;
        while let Some((block, number)) = pending.pop() {
            self.deferred = Some(Vec::new());
            shown |= self.block(block, Separator::Blank, number);
            let children = self.deferred.take().unwrap_or_default();
            push_numbered(&mut pending, children);
        }
        if shown {
            if let Some(parent) = self.current {
                self.flattened.push(parent.id.clone());
            }
        } else {
            self.rollback(checkpoint);
        }
    }

    /// Renders one block and its children; returns false (and writes nothing)
    /// when the block has nothing to show.
    fn block(&mut self, block: &'a Block, separator: Separator, number: u32) -> bool {
        let checkpoint = self.checkpoint();
        let span = self.open_span(block);
        let start = self.w.begin(separator);
        self.depth += 1;
        let outer = self.current.replace(block);
        let content_start = self.block_content(block, start, number);
        self.current = outer;
        self.depth -= 1;
        if self.w.len() == content_start {
            self.rollback(checkpoint);
            return false;
        }
        self.close_span(span, start);
        true
    }

    /// Writes a block's Markdown; returns the offset where its content starts
    /// (after a list or quote marker), to tell whether it wrote anything.
    fn block_content(&mut self, block: &'a Block, start: usize, number: u32) -> usize {
        let children = block.children.as_slice();
        match &block.kind {
            BlockKind::Paragraph(b) | BlockKind::Toggle(b) | BlockKind::Template(b) => {
                self.text_then_children(&b.rich_text, children);
            }
            BlockKind::Heading1(h) => self.heading(2, &h.rich_text, children),
            BlockKind::Heading2(h) => self.heading(3, &h.rich_text, children),
            BlockKind::Heading3(h) => self.heading(4, &h.rich_text, children),
            BlockKind::Heading4(h) => self.heading(5, &h.rich_text, children),
            BlockKind::BulletedListItem(b) => {
                return self.list_item("- ", "", &b.rich_text, children);
            }
            BlockKind::NumberedListItem(b) => {
                return self.list_item(&format!("{number}. "), "", &b.rich_text, children);
            }
            BlockKind::ToDo(b) => {
                let checkbox = if b.checked { "[x]" } else { "[ ]" };
                return self.list_item("- ", checkbox, &b.rich_text, children);
            }
            BlockKind::Quote(b) => return self.quote(None, &b.rich_text, children),
            BlockKind::Callout(c) => {
                let icon = c.icon.as_ref().and_then(|i| i.as_text());
                return self.quote(icon.as_deref(), &c.rich_text, children);
            }
            BlockKind::Code(code) => {
                self.code_block(
                    &code.language,
                    &notion_source::model::plain_text(&code.rich_text),
                );
                self.caption(&code.caption);
                self.blocks_after(children);
            }
            BlockKind::Equation(equation) => {
                self.display_math(&equation.expression);
                self.blocks_after(children);
            }
            BlockKind::Divider(_) => {
                self.w.write("---");
                self.blocks_after(children);
            }
            // Navigation only: nothing to read (but children, should any come).
            BlockKind::Breadcrumb(_)
            | BlockKind::TableOfContents(_)
            | BlockKind::ColumnList(_)
            | BlockKind::Column(_)
            | BlockKind::Tab(_)
            | BlockKind::SyncedBlock(_) => {
                self.children(children, FirstChild::Separated(Separator::None));
            }
            BlockKind::Table(table) => self.table(table, children),
            BlockKind::TableRow(row) => {
                self.stray_table_row(row);
                self.blocks_after(children);
            }
            BlockKind::ChildPage(page) | BlockKind::ChildDatabase(page) => {
                let url = page_url(&block.id, self.ctx);
                // The context's title wins: the page may have been renamed
                // since the block was read.
                let title = self
                    .ctx
                    .page_titles
                    .get(&block.id)
                    .map_or(page.title.as_str(), String::as_str);
                let title = if title.trim().is_empty() {
                    "Untitled"
                } else {
                    title
                };
                self.link_line(vec![InlineRun::text(title)], &url);
                self.blocks_after(children);
            }
            BlockKind::LinkToPage(target) => {
                self.link_to_page(block, target);
                self.blocks_after(children);
            }
            BlockKind::LinkPreview(link) | BlockKind::Bookmark(link) | BlockKind::Embed(link) => {
                self.url_block(link);
                self.blocks_after(children);
            }
            BlockKind::Image(media) => self.media(block, media, "Image"),
            BlockKind::Video(media) => self.media(block, media, "Video"),
            BlockKind::Pdf(media) => self.media(block, media, "PDF"),
            BlockKind::File(media) => self.media(block, media, "File"),
            BlockKind::Audio(media) => self.media(block, media, "Audio"),
            BlockKind::MeetingNotes(notes) | BlockKind::Transcription(notes) => {
                let shown =
                    self.write_inline(&inline_runs(&notes.title, self.ctx), InlineContext::Block);
                if children.iter().any(|c| !c.is_trashed()) {
                    self.children(
                        children,
                        FirstChild::Separated(if shown {
                            Separator::Blank
                        } else {
                            Separator::None
                        }),
                    );
                } else {
                    self.w.begin(if shown {
                        Separator::Blank
                    } else {
                        Separator::None
                    });
                    self.marker(block, "content not available");
                }
            }
            BlockKind::Unsupported(_) => {
                self.marker(block, "unsupported");
                self.blocks_after(children);
            }
            BlockKind::Unknown(unknown) if is_unshared_synced(unknown) => {
                self.w.write("<!-- not shared: synced block -->");
                self.not_shared.push(NotSharedBlock {
                    block_id: block.id.clone(),
                    kind: NotSharedKind::SyncedBlock,
                    original_id: unknown
                        .raw
                        .pointer("/synced_from/block_id")
                        .and_then(serde_json::Value::as_str)
                        .map(str::to_string),
                });
                self.blocks_after(children);
            }
            BlockKind::Unknown(unknown) => {
                self.marker(block, "unsupported");
                // A new block type usually still carries its text: keep it.
                let text: Option<Vec<RichText>> = unknown
                    .raw
                    .get("rich_text")
                    .and_then(|v| serde_json::from_value(v.clone()).ok());
                if let Some(text) = text.filter(|t| !t.is_empty()) {
                    self.w.begin(Separator::Blank);
                    self.write_inline(&inline_runs(&text, self.ctx), InlineContext::Block);
                }
                self.blocks_after(children);
            }
        }
        start
    }

    /// Text as a paragraph, then the children beneath it (a toggle's summary
    /// and content, a paragraph's indented blocks).
    fn text_then_children(&mut self, text: &[RichText], children: &'a [Block]) {
        let shown = self.write_inline(&inline_runs(text, self.ctx), InlineContext::Block);
        let separator = if shown {
            Separator::Blank
        } else {
            Separator::None
        };
        self.children(children, FirstChild::Separated(separator));
    }

    /// A heading one level below its Notion level (the title is the only `#`).
    fn heading(&mut self, level: u8, text: &[RichText], children: &'a [Block]) {
        let runs = inline_runs(text, self.ctx);
        let shown = self.render_inline(&runs, InlineContext::Heading);
        if shown {
            let offset = self.w.len();
            for _ in 0..level {
                self.w.write("#");
            }
            self.w.write(" ");
            self.w.write(&self.scratch);
            self.headings.push(HeadingSpan {
                offset,
                level,
                text: runs_text(&runs),
            });
        }
        let separator = if shown {
            Separator::Blank
        } else {
            Separator::None
        };
        self.children(children, FirstChild::Separated(separator));
    }

    /// A list item: its marker, its text, and its children indented beneath.
    /// `checkbox` (`[ ]` or `[x]`, to-dos) comes first in the item's text.
    fn list_item(
        &mut self,
        marker: &str,
        checkbox: &str,
        text: &[RichText],
        children: &'a [Block],
    ) -> usize {
        self.w.write(marker);
        self.w.push_indent(marker.len());
        self.w.write(checkbox);
        let content_start = self.w.len();
        let runs = inline_runs(text, self.ctx);
        let shown = self.render_inline(&runs, InlineContext::Block);
        if shown {
            if !checkbox.is_empty() {
                self.w.write(" ");
            }
            self.w.write(&self.scratch);
        }
        let first = match (shown, checkbox.is_empty()) {
            (true, _) => FirstChild::AfterListText,
            // `- ` then the first child on the same line: `- - nested`.
            (false, true) => FirstChild::Separated(Separator::None),
            // A blank line would end an item holding only its checkbox.
            (false, false) => FirstChild::Separated(Separator::Line),
        };
        self.children(children, first);
        self.w.pop_prefix();
        content_start
    }

    /// A quote or callout: `> `, the icon, the text, and the children inside the quote.
    fn quote(&mut self, icon: Option<&str>, text: &[RichText], children: &'a [Block]) -> usize {
        self.w.write("> ");
        self.w.push_prefix("> ");
        let content_start = self.w.len();
        // The icon is text like any other (escaped: an icon is whatever Notion sends).
        let mut runs = Vec::with_capacity(text.len() + 2);
        if let Some(icon) = icon {
            runs.push(InlineRun::text(icon));
            runs.push(InlineRun::text(" "));
        }
        runs.extend(inline_runs(text, self.ctx));
        let shown = self.write_inline(&runs, InlineContext::Block);
        let separator = if shown {
            Separator::Blank
        } else {
            Separator::None
        };
        self.children(children, FirstChild::Separated(separator));
        self.w.pop_prefix();
        content_start
    }

    /// A fenced code block with its language.
    fn code_block(&mut self, language: &str, code: &str) {
        // Every line of the code must get the containers' prefix: a lone
        // `\r` ends a line in Markdown too.
        let code = code.replace("\r\n", "\n").replace('\r', "\n");
        let code = code.as_str();
        let fence = code_fence(code);
        self.w.write(&fence);
        self.w.write(&code_language(language));
        self.w.write("\n");
        self.w.write(code);
        if !code.is_empty() && !code.ends_with('\n') {
            self.w.write("\n");
        }
        self.w.write(&fence);
    }

    /// A block equation: `$$ … $$`, or a `math` code block when `$$` cannot
    /// hold it literally.
    fn display_math(&mut self, expression: &str) {
        let expression = expression.trim();
        if expression.is_empty() {
            return;
        }
        if math_is_delimitable(expression) {
            self.w.write("$$ ");
            self.w.write(&expression.replace(['\r', '\n'], " "));
            self.w.write(" $$");
        } else {
            self.code_block("math", expression);
        }
    }

    /// A caption, as a paragraph after the block it belongs to.
    fn caption(&mut self, caption: &[RichText]) {
        let runs = inline_runs(caption, self.ctx);
        if self.render_inline(&runs, InlineContext::Block) {
            self.w.begin(Separator::Blank);
            self.w.write(&self.scratch);
        }
    }

    /// A line that is one link: `label` (its own links dropped) linking to `url`,
    /// or the URL itself when the label is blank.
    fn link_line<'t>(&mut self, mut label: Vec<InlineRun<'t>>, url: &'t str) {
        if label.iter().all(|run| run.text.trim().is_empty()) {
            label = vec![InlineRun::text(url)];
        }
        for run in &mut label {
            run.marks.link = Some(url.to_string());
        }
        self.write_inline(&label, InlineContext::Block);
    }

    fn link_to_page(&mut self, block: &Block, target: &LinkToPage) {
        let (id, fallback) = match target {
            LinkToPage::PageId(id) => (id, "Untitled page"),
            LinkToPage::DatabaseId(id) => (id, "Untitled database"),
            LinkToPage::CommentId(_) => {
                let url = block_url(&self.page_url, &block.id);
                self.link_line(vec![InlineRun::text("Link to a comment")], &url);
                return;
            }
            LinkToPage::Unknown(_) => {
                self.marker(block, "unsupported");
                return;
            }
        };
        let title = self
            .ctx
            .page_titles
            .get(id)
            .map_or(fallback, String::as_str);
        let url = match self.ctx.page_urls.get(id) {
            Some(url) => url.clone(),
            None => id_url(id),
        };
        self.link_line(vec![InlineRun::text(title)], &url);
    }

    /// Bookmarks, embeds and link previews: a link, labelled by the caption when there is one.
    fn url_block(&mut self, link: &UrlBlock) {
        let url = absolute(&link.url);
        let label = unlinked_runs(&link.caption, self.ctx);
        self.link_line(label, &url);
    }

    /// Images, videos, PDFs, files and audio: a link labelled by the file's
    /// name, then the caption as a paragraph; without a name, the caption
    /// labels the link (else the name in an external URL, else the type). A
    /// Notion-hosted file's URL is signed and expires, so the link goes to
    /// the block in Notion instead.
    fn media(&mut self, block: &'a Block, media: &Media, type_label: &str) {
        let (url, external_name) = match &media.source {
            FileSource::External(file) => (file.url.clone(), file_name_in_url(&file.url)),
            FileSource::File(_) | FileSource::FileUpload(_) | FileSource::Unknown(_) => {
                (block_url(&self.page_url, &block.id), None)
            }
        };
        let name = media.name.as_deref().filter(|n| !n.trim().is_empty());
        let caption = unlinked_runs(&media.caption, self.ctx);
        let has_caption = caption.iter().any(|run| !run.text.trim().is_empty());
        match (name, has_caption) {
            (Some(name), true) => {
                self.link_line(vec![InlineRun::text(name)], &url);
                self.caption(&media.caption);
            }
            (None, true) => self.link_line(caption, &url),
            (name, false) => {
                let label = name.or(external_name).unwrap_or(type_label);
                self.link_line(vec![InlineRun::text(label)], &url);
            }
        }
        self.blocks_after(&block.children);
    }

    /// `<!-- unsupported: TYPE -->`, and the block listed as unsupported.
    fn marker(&mut self, block: &Block, what: &str) {
        let type_name = match &block.kind {
            BlockKind::Unsupported(u) => {
                u.block_type.clone().unwrap_or_else(|| "unsupported".into())
            }
            kind => kind.type_name().to_string(),
        };
        self.w
            .write(&format!("<!-- {what}: {} -->", comment_safe(&type_name)));
        self.unsupported.push(UnsupportedBlock {
            block_id: block.id.clone(),
            type_name,
        });
    }

    /// Renders inline runs into `scratch`; returns whether anything was written.
    pub(crate) fn render_inline(&mut self, runs: &[InlineRun<'_>], context: InlineContext) -> bool {
        self.scratch.clear();
        render_inline(runs, context, &mut self.scratch);
        !self.scratch.is_empty()
    }

    /// Renders inline runs and writes them; returns whether anything was written.
    pub(crate) fn write_inline(&mut self, runs: &[InlineRun<'_>], context: InlineContext) -> bool {
        let shown = self.render_inline(runs, context);
        self.w.write(&self.scratch);
        shown
    }

    /// Records a span for `block` (its range is set by [`close_span`](Self::close_span)).
    pub(crate) fn open_span(&mut self, block: &Block) -> usize {
        self.spans.push(BlockSpan {
            block_id: block.id.clone(),
            range: 0..0,
        });
        self.spans.len() - 1
    }

    /// Ends the span `index`, which started at `start`, here.
    pub(crate) fn close_span(&mut self, index: usize, start: usize) {
        self.spans[index].range = start..self.w.len();
    }

    fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            writer: self.w.checkpoint(),
            spans: self.spans.len(),
            headings: self.headings.len(),
            unsupported: self.unsupported.len(),
            not_shared: self.not_shared.len(),
            flattened: self.flattened.len(),
        }
    }

    fn rollback(&mut self, checkpoint: Checkpoint) {
        self.w.rollback(checkpoint.writer);
        self.spans.truncate(checkpoint.spans);
        self.headings.truncate(checkpoint.headings);
        self.unsupported.truncate(checkpoint.unsupported);
        self.not_shared.truncate(checkpoint.not_shared);
        self.flattened.truncate(checkpoint.flattened);
    }
}

/// The number a block gets as an item of a numbered list, after `previous`
/// (the list kind and number of the sibling before it); 0 for other blocks.
fn list_number(block: &Block, previous: Option<(ListKind, u32)>) -> u32 {
    match (&block.kind, previous) {
        (BlockKind::NumberedListItem(_), Some((ListKind::Numbered, n))) => n + 1,
        (BlockKind::NumberedListItem(item), _) => item.list_start_index.unwrap_or(1),
        _ => 0,
    }
    // A Markdown list number has at most nine digits.
    .min(MAX_LIST_NUMBER)
}

/// Pushes `siblings` (not trashed) with their list numbers onto a stack of
/// blocks to write, so that they pop in document order.
fn push_numbered<'a>(stack: &mut Vec<(&'a Block, u32)>, siblings: Vec<&'a Block>) {
    let mut previous = None;
    let start = stack.len();
    for block in siblings.into_iter().filter(|b| !b.is_trashed()) {
        let number = list_number(block, previous);
        previous = list_kind(block).map(|kind| (kind, number));
        stack.push((block, number));
    }
    stack[start..].reverse();
}

/// Whether an `Unknown` block is a synced copy whose content is not shared
/// with the integration, as the crawler marks it: type `synced_block_not_shared`,
/// or `synced_block` with an error saying the original could not be read.
fn is_unshared_synced(unknown: &UnknownType) -> bool {
    match unknown.type_name.as_str() {
        "synced_block_not_shared" => true,
        "synced_block" => unknown
            .error
            .as_deref()
            .is_some_and(|e| e.contains("could not be read")),
        _ => false,
    }
}

/// The plain text of inline runs, on one line: a heading's text for heading paths.
fn runs_text(runs: &[InlineRun<'_>]) -> String {
    let text: String = runs.iter().map(|r| r.text.as_ref()).collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The info string for Notion's code language name (`plain text`, `c++`, ...).
fn code_language(language: &str) -> String {
    let language = language.trim().to_lowercase();
    let mapped = match language.as_str() {
        "" | "plain text" | "plain_text" => "",
        "c++" => "cpp",
        "c#" => "csharp",
        "f#" => "fsharp",
        "vb.net" | "visual basic" => "vbnet",
        "java/c/c++/c#" => "java",
        other => other,
    };
    mapped
        .chars()
        .map(|c| if c.is_whitespace() { '-' } else { c })
        .filter(|&c| c != '`')
        .collect()
}

/// The last segment of a URL's path, when it looks like a file name
/// (`https://x.org/a/diagram.png?v=2` → `diagram.png`).
fn file_name_in_url(url: &str) -> Option<&str> {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.split(['?', '#']).next()?;
    let (_, path) = path.split_once('/')?;
    let name = path.rsplit('/').next()?;
    name.contains('.').then_some(name)
}
