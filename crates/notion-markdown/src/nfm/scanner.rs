//! The line scanner: turns Notion-flavoured Markdown into a block tree.
//!
//! It reads structure line by line: tab-indented lines are the children of
//! the block above them (list items in v2, every block in v1); a container
//! tag alone on its line (`<toggle>`, `<callout>`, `<columns>`...) holds
//! the lines up to its matching closing tag; a block tag that fills its line
//! (`<page>`, `<unknown/>`, `<video>`...) is one block; code fences and `$$`
//! blocks are read whole. The Markdown in between goes to pulldown-cmark
//! ([`super::markdown`]).
//!
//! Nesting deeper than [`MAX_DEPTH`] is not followed: the lines are read as
//! Markdown at that depth, so the text stays, flat.

use notion_source::model::{Block, BlockKind, MarkdownVersion};

use super::Document;
use super::build;
use super::elements::{self, Element};
use super::lines::{self, Line};
use super::markdown;
use super::tags::TagKind;

/// Block nesting the scanner follows.
pub(crate) const MAX_DEPTH: usize = 48;

/// The parser's state: the version read and what was found so far.
pub(crate) struct Parser<'d> {
    pub(crate) version: MarkdownVersion,
    pub(crate) doc: &'d mut Document,
}

/// What a line starts, at the level being read.
enum Start<'s> {
    Blank,
    Indented,
    Fence(lines::Fence<'s>),
    Math,
    /// A container's opening tag alone on the line, with its closing line.
    Container(usize),
    /// A block tag that fills its line (or a few lines).
    Leaf,
    /// A v1 `::: callout {…}` fenced div, with its closing `:::` line.
    CalloutDiv(usize),
    Markdown,
}

impl Parser<'_> {
    /// Reads `lines` (at nesting `depth`) into blocks.
    pub(crate) fn blocks(&mut self, lines: &[Line<'_>], depth: usize) -> Vec<Block> {
        let closers = self.pair_containers(lines);
        let mut out: Vec<Block> = Vec::new();
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i];
            match self.start(lines, i, &closers, depth) {
                Start::Blank => i += 1,
                Start::Indented => {
                    let end = indented_end(lines, i);
                    let group: Vec<Line<'_>> = lines[i..end].iter().map(|l| l.dedented()).collect();
                    let children = self.blocks(&group, depth + 1);
                    attach(&mut out, children);
                    i = end;
                }
                Start::Fence(fence) => {
                    let (end, close) = lines::fence_end(lines, i, fence);
                    let body = &lines[i + 1..close.unwrap_or(end)];
                    let code: Vec<&str> = body.iter().map(|l| l.text).collect();
                    out.push(build::code(fence.info, &code.join("\n")));
                    i = end;
                }
                Start::Math => {
                    let close = lines::math_end(lines, i).unwrap_or(lines.len());
                    let body: Vec<&str> =
                        lines[i + 1..close].iter().map(|l| l.text.trim()).collect();
                    out.push(build::equation(&body.join("\n")));
                    i = close + 1;
                }
                Start::Container(close) => {
                    let tag = lines::whole_line_tag(line.text).expect("classified as a tag");
                    let blocks = self.container(&tag, &lines[i + 1..close], depth + 1);
                    out.extend(blocks);
                    i = close + 1;
                }
                Start::CalloutDiv(close) => {
                    let block = self.callout_div(line.text, &lines[i + 1..close], depth + 1);
                    out.push(block);
                    i = close + 1;
                }
                Start::Leaf => match self.leaf(lines, i) {
                    Some((blocks, end)) => {
                        out.extend(blocks);
                        i = end;
                    }
                    None => i = self.markdown_run(lines, i, &closers, depth, &mut out),
                },
                Start::Markdown => i = self.markdown_run(lines, i, &closers, depth, &mut out),
            }
        }
        out
    }

    /// What line `i` starts.
    fn start<'s>(
        &self,
        lines: &[Line<'s>],
        i: usize,
        closers: &[Option<usize>],
        depth: usize,
    ) -> Start<'s> {
        let line = lines[i];
        if line.is_blank() {
            return Start::Blank;
        }
        let deep = depth >= MAX_DEPTH;
        if line.is_indented() {
            return if deep {
                Start::Markdown
            } else {
                Start::Indented
            };
        }
        if let Some(fence) = lines::fence(line.text) {
            return Start::Fence(fence);
        }
        if lines::is_math_fence(line.text) && lines::math_end(lines, i).is_some() {
            return Start::Math;
        }
        if deep {
            return Start::Markdown;
        }
        if let Some(close) = closers.get(i).copied().flatten() {
            return if line.text.trim_start().starts_with(":::") {
                Start::CalloutDiv(close)
            } else {
                Start::Container(close)
            };
        }
        match lines::leading_tag(line.text) {
            Some(tag) if tag.kind != TagKind::Close && elements::leaf(&tag.name).is_some() => {
                Start::Leaf
            }
            _ => Start::Markdown,
        }
    }

    /// For each line, the index of the line that closes the container it
    /// opens (a container tag alone on its line, or a v1 `::: callout`),
    /// pairing tags of one name like brackets. Lines inside code fences and
    /// indented lines are not looked at.
    fn pair_containers(&self, lines: &[Line<'_>]) -> Vec<Option<usize>> {
        let mut closers = vec![None; lines.len()];
        let mut open: Vec<(String, usize)> = Vec::new();
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i];
            if line.is_indented() || line.is_blank() {
                i += 1;
                continue;
            }
            if let Some(fence) = lines::fence(line.text) {
                i = lines::fence_end(lines, i, fence).0;
                continue;
            }
            let trimmed = line.text.trim();
            if self.version == MarkdownVersion::V1 && trimmed.starts_with(":::") {
                if trimmed == ":::" {
                    close_pair(&mut open, &mut closers, ":::", i);
                } else if elements::callout_div(trimmed).is_some() {
                    open.push((":::".to_string(), i));
                }
            } else if let Some(tag) = lines::whole_line_tag(trimmed)
                && elements::container(&tag.name, self.version).is_some()
            {
                match tag.kind {
                    TagKind::Open => open.push((tag.name, i)),
                    TagKind::Close => close_pair(&mut open, &mut closers, &tag.name, i),
                    TagKind::SelfClosing => {}
                }
            }
            i += 1;
        }
        closers
    }

    /// Reads Markdown lines from `start` to the next structural line, adds
    /// their blocks to `out`, and returns where reading goes on. In v1 every
    /// line is a block of its own (but a pipe table's rows stay together).
    fn markdown_run(
        &mut self,
        lines: &[Line<'_>],
        start: usize,
        closers: &[Option<usize>],
        depth: usize,
        out: &mut Vec<Block>,
    ) -> usize {
        let mut end = start + 1;
        let v1 = self.version == MarkdownVersion::V1;
        while end < lines.len() {
            let continues = if v1 {
                lines[end].text.trim_start().starts_with('|')
                    && lines[end - 1].text.trim_start().starts_with('|')
            } else {
                matches!(
                    self.start(lines, end, closers, depth),
                    Start::Blank | Start::Markdown
                )
            };
            if !continues {
                break;
            }
            end += 1;
        }
        let mut text = String::new();
        let mut attrs = Vec::new();
        for line in &lines[start..end] {
            let body = if depth >= MAX_DEPTH {
                line.text.trim_start_matches('\t')
            } else {
                line.text
            };
            let body = if v1 {
                let (body, suffix) = elements::v1_suffix(body);
                attrs.extend(suffix);
                body
            } else {
                body
            };
            text.push_str(body);
            text.push('\n');
        }
        let mut blocks = markdown::blocks(&text, self.doc, depth, MAX_DEPTH);
        // v1: `## Title {toggle="true"}` is a toggleable heading.
        if attrs.iter().any(|(k, v)| k == "toggle" && v == "true")
            && let Some(Block {
                kind:
                    BlockKind::Heading1(h)
                    | BlockKind::Heading2(h)
                    | BlockKind::Heading3(h)
                    | BlockKind::Heading4(h),
                ..
            }) = blocks.last_mut()
        {
            h.is_toggleable = true;
        }
        out.append(&mut blocks);
        end
    }

    /// Reads an element's content lines (a title, a body) as blocks one level down.
    pub(crate) fn body(&mut self, lines: &[Line<'_>], depth: usize) -> Vec<Block> {
        // v1 bodies are tab-indented under their tags: read them a level down.
        let indented = lines.iter().all(|l| l.is_blank() || l.is_indented());
        if indented && lines.iter().any(|l| !l.is_blank()) {
            let dedented: Vec<Line<'_>> = lines.iter().map(|l| l.dedented()).collect();
            self.blocks(&dedented, depth)
        } else {
            self.blocks(lines, depth)
        }
    }

    /// Which element a container tag is.
    pub(crate) fn element(&self, name: &str) -> Option<Element> {
        elements::container(name, self.version)
    }
}

/// Pairs a closing line with the nearest open one of `name`; openers
/// above it are left without a pair.
fn close_pair(
    open: &mut Vec<(String, usize)>,
    closers: &mut [Option<usize>],
    name: &str,
    at: usize,
) {
    if let Some(pos) = open.iter().rposition(|(n, _)| n == name) {
        closers[open[pos].1] = Some(at);
        open.truncate(pos);
    }
}

/// The end of the indented group starting at `start`: indented lines and
/// the blank lines between them.
fn indented_end(lines: &[Line<'_>], start: usize) -> usize {
    let mut end = start;
    let mut last_indented = start;
    while end < lines.len() && (lines[end].is_indented() || lines[end].is_blank()) {
        if lines[end].is_indented() {
            last_indented = end;
        }
        end += 1;
    }
    last_indented + 1
}

/// Puts indented children under the block above them, or after it when it
/// cannot hold children (a child page, a placeholder, a table, a table of
/// contents).
fn attach(out: &mut Vec<Block>, mut children: Vec<Block>) {
    match out.last_mut() {
        Some(parent)
            if !build::is_placeholder(parent)
                && !matches!(
                    parent.kind,
                    BlockKind::ChildPage(_)
                        | BlockKind::ChildDatabase(_)
                        | BlockKind::Table(_)
                        | BlockKind::TableRow(_)
                        | BlockKind::TableOfContents(_)
                ) =>
        {
            parent.has_children = true;
            parent.children.append(&mut children);
        }
        _ => out.append(&mut children),
    }
}
