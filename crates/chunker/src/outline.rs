//! The Markdown structure of a document, found once with pulldown-cmark's
//! offset iterator: where a chunk may end and how strongly (a section break
//! beats a block break, which beats a line break), the headings above every
//! position, and the tables and code fences that need re-wrapping when a chunk
//! starts or ends inside them.

use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// How strong a boundary is: higher values are larger structures.
pub(crate) mod strength {
    /// The end of the document.
    pub(crate) const END: u8 = 255;
    /// Before a top-level heading of `level` (1 is the strongest).
    pub(crate) fn section(level: u8) -> u8 {
        240 - level
    }
    /// Before a block nested `depth` containers deep (lists, items, quotes).
    pub(crate) fn block(depth: usize) -> u8 {
        200 - depth.min(90) as u8
    }
    /// Between lines of a paragraph, rows of a table, lines of code.
    pub(crate) const LINE: u8 = 100;
    /// Right after a heading: a chunk ending here would end with a heading
    /// cut off from its section, so any other boundary is preferred.
    pub(crate) const AFTER_HEADING: u8 = 0;
}

/// A position a chunk may end at (the start of the next line or block).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Boundary {
    pub(crate) pos: usize,
    pub(crate) strength: u8,
}

/// A top-level heading.
#[derive(Debug, Clone)]
struct Heading {
    /// Start of the heading's line.
    pos: usize,
    /// Plain text, Markdown stripped.
    text: String,
    /// The nearest earlier heading of a smaller level.
    parent: Option<usize>,
}

/// A table or code fence: a chunk starting inside `body` repeats `prefix`
/// (the header rows, or the opening fence line); a chunk ending inside an
/// open fence gets `suffix` (the closing fence).
#[derive(Debug, Clone)]
struct Wrapper {
    body: Range<usize>,
    prefix: String,
    /// Closing fence and where the opening line's text ends (fences only).
    suffix: Option<(String, usize)>,
}

/// Boundaries, headings and wrappers of one document.
#[derive(Debug)]
pub(crate) struct Outline {
    boundaries: Vec<Boundary>,
    headings: Vec<Heading>,
    wrappers: Vec<Wrapper>,
    /// Code whose leading indentation is content (not trimmed off a chunk).
    verbatim: Vec<Range<usize>>,
    /// Inline links, images, code and math, kept whole by sentence and word
    /// splits (outermost only, in order).
    atoms: Vec<Range<usize>>,
    /// Tables, code and HTML blocks: split only between their lines.
    rigid: Vec<Range<usize>>,
    lines: Lines,
}

impl Outline {
    /// Parses `text`; any input is accepted.
    pub(crate) fn parse(text: &str) -> Outline {
        let mut builder = Builder {
            text,
            lines: Lines::new(text),
            boundaries: Vec::new(),
            headings: Vec::new(),
            wrappers: Vec::new(),
            verbatim: Vec::new(),
            atoms: Vec::new(),
            rigid: Vec::new(),
            heading_lines: Vec::new(),
            heading_stack: Vec::new(),
        };
        builder.walk();
        builder.finish()
    }

    /// Boundaries in document order; the last is the end of the text.
    pub(crate) fn boundaries(&self) -> &[Boundary] {
        &self.boundaries
    }

    /// The heading whose section contains `pos` (the last one starting at or
    /// before it), if any.
    pub(crate) fn heading_at(&self, pos: usize) -> Option<usize> {
        self.headings
            .partition_point(|h| h.pos <= pos)
            .checked_sub(1)
    }

    /// The heading texts from the outermost section down to `heading`.
    pub(crate) fn heading_path(&self, heading: Option<usize>) -> Vec<&str> {
        let mut path = Vec::new();
        let mut next = heading;
        while let Some(index) = next {
            path.push(self.headings[index].text.as_str());
            next = self.headings[index].parent;
        }
        path.reverse();
        path
    }

    fn wrapper_at(&self, pos: usize) -> Option<&Wrapper> {
        let index = self.wrappers.partition_point(|w| w.body.end <= pos);
        self.wrappers.get(index)
    }

    /// What a chunk starting at `start` must repeat before its text.
    pub(crate) fn prefix_at(&self, start: usize) -> &str {
        match self.wrapper_at(start) {
            Some(w) if w.body.contains(&start) => &w.prefix,
            _ => "",
        }
    }

    /// What a chunk whose text ends at `end` must append to close a fence.
    pub(crate) fn suffix_at(&self, end: usize) -> &str {
        match self.wrapper_at(end) {
            Some(Wrapper {
                body,
                suffix: Some((close, open_end)),
                ..
            }) if *open_end <= end && end < body.end => close,
            _ => "",
        }
    }

    /// Whether `pos` lies strictly inside an inline link, image, code span
    /// or formula.
    pub(crate) fn inside_atom(&self, pos: usize) -> bool {
        let index = self.atoms.partition_point(|r| r.end <= pos);
        self.atoms.get(index).is_some_and(|r| r.start < pos)
    }

    /// Whether `range` meets a table, a code block or an HTML block, whose
    /// lines are not split to fill a chunk up.
    pub(crate) fn touches_rigid(&self, range: Range<usize>) -> bool {
        let index = self.rigid.partition_point(|r| r.end <= range.start);
        self.rigid.get(index).is_some_and(|r| r.start < range.end)
    }

    /// The start of the line containing `pos`.
    pub(crate) fn line_start(&self, pos: usize) -> usize {
        self.lines.start_of(pos)
    }

    /// Whether `pos` lies in code whose indentation must be kept.
    pub(crate) fn in_verbatim(&self, pos: usize) -> bool {
        let index = self.verbatim.partition_point(|r| r.end <= pos);
        self.verbatim.get(index).is_some_and(|r| r.contains(&pos))
    }
}

struct Builder<'t> {
    text: &'t str,
    lines: Lines,
    boundaries: Vec<Boundary>,
    headings: Vec<Heading>,
    wrappers: Vec<Wrapper>,
    verbatim: Vec<Range<usize>>,
    atoms: Vec<Range<usize>>,
    rigid: Vec<Range<usize>>,
    /// Every heading's range, nested ones included.
    heading_lines: Vec<Range<usize>>,
    /// Open headings as (level, index), for parents.
    heading_stack: Vec<(u8, usize)>,
}

/// A table being read: where it starts and where its first body row starts.
struct OpenTable {
    start: usize,
    body_start: Option<usize>,
}

impl Builder<'_> {
    fn walk(&mut self) {
        let text = self.text;
        let options =
            Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
        let mut depth = 0usize;
        // A top-level heading being read: (line start, level, text).
        let mut heading: Option<(usize, u8, String)> = None;
        let mut table: Option<OpenTable> = None;
        for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
            match event {
                Event::Start(tag) => {
                    let line = self.lines.start_of(range.start);
                    if matches!(tag, Tag::Heading { .. }) {
                        self.heading_lines.push(range.clone());
                    }
                    match &tag {
                        Tag::Heading { level, .. } if depth == 0 => {
                            let level = *level as u8;
                            self.boundary(line, strength::section(level));
                            heading = Some((line, level, String::new()));
                        }
                        Tag::TableRow => {
                            // No boundary before the first body row: a header
                            // alone is not worth a chunk.
                            if let Some(open) = &mut table {
                                match open.body_start {
                                    None => open.body_start = Some(line),
                                    Some(_) => self.boundary(line, strength::LINE),
                                }
                            }
                        }
                        Tag::TableHead | Tag::TableCell => {}
                        tag if is_block(tag) => self.boundary(line, strength::block(depth)),
                        _ => {}
                    }
                    if matches!(tag, Tag::Link { .. } | Tag::Image { .. }) {
                        self.atom(range.clone());
                    }
                    if matches!(tag, Tag::Table(_) | Tag::CodeBlock(_) | Tag::HtmlBlock) {
                        self.rigid.push(line..range.end);
                    }
                    match &tag {
                        Tag::CodeBlock(CodeBlockKind::Fenced(_)) => self.fence(range),
                        Tag::CodeBlock(CodeBlockKind::Indented) => {
                            self.lines(line..range.end);
                            self.verbatim.push(line..range.end);
                        }
                        Tag::HtmlBlock => self.lines(line..range.end),
                        Tag::Table(_) => {
                            table = Some(OpenTable {
                                start: range.start,
                                body_start: None,
                            })
                        }
                        _ => {}
                    }
                    if is_container(&tag) {
                        depth += 1;
                    }
                }
                Event::End(tag_end) => match tag_end {
                    TagEnd::List(_)
                    | TagEnd::Item
                    | TagEnd::BlockQuote(_)
                    | TagEnd::FootnoteDefinition => {
                        depth = depth.saturating_sub(1);
                    }
                    TagEnd::Heading(_) => {
                        if let Some((pos, level, raw)) = heading.take() {
                            self.heading(pos, level, &raw);
                        }
                    }
                    TagEnd::Table => {
                        if let Some(OpenTable {
                            start,
                            body_start: Some(body_start),
                        }) = table.take()
                        {
                            let line = self.lines.start_of(start);
                            let mut prefix = blank_markers(&text[line..start]);
                            prefix.push_str(&text[start..body_start]);
                            self.wrappers.push(Wrapper {
                                body: body_start..range.end,
                                prefix,
                                suffix: None,
                            });
                        }
                    }
                    _ => {}
                },
                Event::Code(t) | Event::InlineMath(t) => {
                    self.atom(range);
                    if let Some((_, _, raw)) = &mut heading {
                        raw.push_str(&t);
                    }
                }
                Event::Text(t) | Event::DisplayMath(t) => {
                    if let Some((_, _, raw)) = &mut heading {
                        raw.push_str(&t);
                    }
                }
                Event::SoftBreak | Event::HardBreak => match &mut heading {
                    Some((_, _, raw)) => raw.push(' '),
                    None => {
                        let next_line = self.lines.next_start(range.start, text.len());
                        self.boundary(next_line, strength::LINE);
                    }
                },
                Event::Rule => {
                    let line = self.lines.start_of(range.start);
                    self.boundary(line, strength::block(depth));
                }
                _ => {}
            }
        }
    }

    /// An inline span to keep whole, unless inside one already recorded.
    fn atom(&mut self, range: Range<usize>) {
        if self.atoms.last().is_none_or(|last| last.end <= range.start) {
            self.atoms.push(range);
        }
    }

    fn boundary(&mut self, pos: usize, strength: u8) {
        self.boundaries.push(Boundary { pos, strength });
    }

    /// A boundary at the start of every line strictly inside `range`.
    fn lines(&mut self, range: Range<usize>) {
        let mut pos = range.start;
        while let Some(offset) = self.text[pos..range.end].find('\n') {
            pos += offset + 1;
            if pos >= range.end {
                break;
            }
            self.boundary(pos, strength::LINE);
        }
    }

    fn heading(&mut self, pos: usize, level: u8, raw: &str) {
        while self.heading_stack.last().is_some_and(|&(l, _)| l >= level) {
            self.heading_stack.pop();
        }
        let parent = self.heading_stack.last().map(|&(_, index)| index);
        self.heading_stack.push((level, self.headings.len()));
        self.headings.push(Heading {
            pos,
            text: collapse_whitespace(raw),
            parent,
        });
    }

    /// A fenced code block: boundaries between its lines (never right after
    /// the opening line nor right before the closing one) and its wrapper.
    fn fence(&mut self, range: Range<usize>) {
        let text = self.text;
        let line = self.lines.start_of(range.start);
        let Some(newline) = text[range.start..range.end].find('\n') else {
            return; // An opening line and nothing else.
        };
        let body_start = range.start + newline + 1;
        let marker_char = text[range.start..].chars().next().unwrap_or('`');
        let marker_len = text[range.start..]
            .bytes()
            .take_while(|&b| b as char == marker_char)
            .count();
        let marker = &text[range.start..range.start + marker_len];
        let body_end = closing_line(text, &self.lines, range.clone(), marker_char, marker_len)
            .filter(|&close| close >= body_start)
            .unwrap_or(range.end);
        if body_end <= body_start {
            return;
        }
        // Line boundaries inside the body, except before the first body line.
        let first_line_end = self.lines.next_start(body_start, text.len());
        if first_line_end < body_end {
            self.boundary(first_line_end, strength::LINE);
            self.lines(first_line_end..body_end);
        }
        let indent = blank_markers(&text[line..range.start]);
        let mut prefix = indent.clone();
        prefix.push_str(&text[range.start..body_start]);
        let open_end = text[..body_start].trim_end_matches(['\n', '\r']).len();
        let close = format!("\n{indent}{marker}");
        self.wrappers.push(Wrapper {
            body: body_start..body_end,
            prefix,
            suffix: Some((close, open_end)),
        });
        self.verbatim.push(body_start..body_end);
    }

    fn finish(mut self) -> Outline {
        let len = self.text.len();
        self.boundaries.retain(|b| b.pos > 0 && b.pos < len);
        self.boundaries.sort_by_key(|b| b.pos);
        self.boundaries.dedup_by(|later, earlier| {
            if later.pos == earlier.pos {
                earlier.strength = earlier.strength.max(later.strength);
                true
            } else {
                false
            }
        });
        for boundary in &mut self.boundaries {
            let content_end = self.text[..boundary.pos].trim_end().len();
            let heading = self
                .heading_lines
                .partition_point(|h| h.start < content_end);
            if heading > 0 && content_end <= self.heading_lines[heading - 1].end {
                boundary.strength = strength::AFTER_HEADING;
            }
        }
        self.boundaries.push(Boundary {
            pos: len,
            strength: strength::END,
        });
        self.wrappers.sort_by_key(|w| w.body.start);
        self.verbatim.sort_by_key(|r| r.start);
        self.rigid.sort_by_key(|r| r.start);
        Outline {
            boundaries: self.boundaries,
            headings: self.headings,
            wrappers: self.wrappers,
            verbatim: self.verbatim,
            atoms: self.atoms,
            rigid: self.rigid,
            lines: self.lines,
        }
    }
}

/// Blocks a chunk may start at.
fn is_block(tag: &Tag<'_>) -> bool {
    matches!(
        tag,
        Tag::Paragraph
            | Tag::Heading { .. }
            | Tag::BlockQuote(_)
            | Tag::CodeBlock(_)
            | Tag::HtmlBlock
            | Tag::List(_)
            | Tag::Item
            | Tag::FootnoteDefinition(_)
            | Tag::Table(_)
    )
}

/// Blocks whose children are nested one level deeper.
fn is_container(tag: &Tag<'_>) -> bool {
    matches!(
        tag,
        Tag::List(_) | Tag::Item | Tag::BlockQuote(_) | Tag::FootnoteDefinition(_)
    )
}

/// Where the lines of a text start, to find the line of any position by
/// binary search (scanning back for a newline would make a long line of
/// many blocks, such as a hundred thousand nested list markers, quadratic).
#[derive(Debug)]
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Lines {
        let newlines = text.bytes().enumerate().filter(|&(_, b)| b == b'\n');
        Lines {
            starts: std::iter::once(0)
                .chain(newlines.map(|(i, _)| i + 1))
                .collect(),
        }
    }

    /// The start of the line containing `pos`.
    fn start_of(&self, pos: usize) -> usize {
        let after = self.starts.partition_point(|&s| s <= pos);
        self.starts[after.saturating_sub(1)]
    }

    /// The start of the line after the one containing `pos`, or `len`.
    fn next_start(&self, pos: usize, len: usize) -> usize {
        let after = self.starts.partition_point(|&s| s <= pos);
        self.starts.get(after).copied().unwrap_or(len)
    }
}

/// The start of a fence's closing line, if it has one.
fn closing_line(
    text: &str,
    lines: &Lines,
    range: Range<usize>,
    marker_char: char,
    marker_len: usize,
) -> Option<usize> {
    let end = text[..range.end]
        .trim_end_matches(['\n', '\r'])
        .len()
        .max(range.start);
    let start = lines.start_of(end);
    let line = text[start..end]
        .trim_start_matches([' ', '\t', '>'])
        .trim_end();
    let run = line.chars().take_while(|&c| c == marker_char).count();
    (run >= marker_len && run == line.chars().count() && start > range.start).then_some(start)
}

/// Container markers before a block on its first line, with list markers
/// turned into spaces so the text can be repeated on a line of its own.
fn blank_markers(line_prefix: &str) -> String {
    line_prefix
        .chars()
        .map(|c| if c == '>' || c == '\t' { c } else { ' ' })
        .collect()
}

/// Words separated by single spaces.
fn collapse_whitespace(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_nest_by_level() {
        let text = "# A\n\n## B\n\ntext\n\n### C\n\n## D *em*\n\nmore\n";
        let outline = Outline::parse(text);
        let at =
            |needle: &str| outline.heading_path(outline.heading_at(text.find(needle).unwrap()));
        assert_eq!(at("text"), ["A", "B"]);
        assert_eq!(at("### C"), ["A", "B", "C"]);
        assert_eq!(at("more"), ["A", "D em"]);
        assert!(outline.heading_path(outline.heading_at(0)).len() == 1);
    }

    #[test]
    fn fences_get_prefix_and_suffix_inside_their_body() {
        let text = "> ```py\n> one\n> two\n> ```\n";
        let outline = Outline::parse(text);
        let two = text.find("> two").unwrap();
        assert_eq!(outline.prefix_at(two), "> ```py\n");
        assert_eq!(outline.suffix_at(two - 1), "\n> ```");
        assert_eq!(outline.suffix_at(text.len() - 1), "");
        assert!(outline.boundaries().iter().any(|b| b.pos == two));
        let one = text.find("> one").unwrap();
        assert!(!outline.boundaries().iter().any(|b| b.pos == one));
    }

    #[test]
    fn tables_repeat_their_header_rows() {
        let text = "- | a | b |\n  |---|---|\n  | 1 | 2 |\n  | 3 | 4 |\n";
        let outline = Outline::parse(text);
        let row = text.find("  | 3").unwrap();
        assert_eq!(outline.prefix_at(row), "  | a | b |\n  |---|---|\n");
        assert!(
            outline
                .boundaries()
                .iter()
                .any(|b| b.pos == row && b.strength == strength::LINE)
        );
    }
}
