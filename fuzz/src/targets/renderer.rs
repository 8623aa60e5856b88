//! The renderer target: page trees of every block type (known, unknown,
//! malformed, trashed), nested a few levels or a hundred thousand, with
//! huge lines, thousands of runs and odd Unicode, and an arbitrary render
//! context. The Markdown must end with a line break, never hold a signed
//! file URL, give the same bytes twice, keep its block spans and headings
//! in bounds, and read back (through pulldown-cmark) with every text a
//! reader sees, in order. The page is then chunked with an arbitrary
//! configuration and the chunks checked like the chunker target's.

use std::collections::HashMap;

use chunker::{BlockSpan, ChunkConfig, Chunker, Document};
use notion_markdown::{RenderContext, RenderedPage, render_page};
use notion_source::model::{
    Block, BlockKind, Page, PageTree, PropertyKind, RichText, RichTextKind, UnknownType, plain_text,
};
use pulldown_cmark::{Event, Options, Parser, TagEnd};
use serde_json::{Value, json};

use super::{Broken, ensure};
use crate::notion_json::NotionJson;
use crate::rng::Rng;
use crate::text::{SIGNED_URL_MARKER, odd_text, odd_url};
use crate::tree::{OwnedTree, build};

pub(super) fn generate(rng: &mut Rng) -> Vec<u8> {
    let mut g = NotionJson::new(rng);
    if g.rng().chance(8) {
        g.max_text = 300_000; // huge lines
    }
    if g.rng().chance(5) {
        g.max_runs = 2_000; // long runs of formatting changes
    }
    let mut page = g.page();
    // A page without an id is refused by the model (the parsers target
    // covers that); the renderer needs a page that parses.
    if page["id"].as_str().is_none_or(str::is_empty) {
        page["id"] = json!("page");
    }
    let mut blocks: Vec<Value> = Vec::new();
    let count = if g.rng().chance(10) {
        g.rng().size(3_000)
    } else {
        g.rng().size(200)
    };
    let max_depth = *g.rng().pick(&[1, 3, 8, 70, 200]);
    let mut depth = 0usize;
    for i in 0..count {
        depth = match g.rng().below(10) {
            0..=4 => depth + 1,
            5..=7 => depth,
            8 => g.rng().below(depth + 1),
            _ => 0,
        }
        .min(max_depth)
        .min(blocks.len().min(depth + 1));
        let block_type = g.block_type(false);
        let id = if g.rng().chance(3) {
            "dup".to_string()
        } else {
            format!("b{i}")
        };
        blocks.push(json!([depth, g.block(block_type, id)]));
        let (child_type, children) = match block_type {
            "table" => ("table_row", g.rng().size(8)),
            "column_list" => ("column", g.rng().size(4)),
            _ => ("", 0),
        };
        for j in 0..children {
            blocks.push(json!([depth + 1, g.block(child_type, format!("b{i}-{j}"))]));
        }
    }
    let mut input = json!({"page": page, "blocks": blocks});
    if g.rng().chance(15) {
        let levels = *g.rng().pick(&[65, 130, 1_100, 20_000, 100_000]);
        // Repeated once per level: small blocks, or the page gets too big to matter.
        g.max_runs = 3;
        g.max_text = 40;
        let kinds: Vec<Value> = (0..g.rng().between(1, 4))
            .map(|k| {
                let block_type = g.block_type(true);
                g.block(block_type, format!("chain{k}"))
            })
            .collect();
        input["chain"] = json!({"levels": levels, "blocks": kinds});
    }
    let names = |g: &mut NotionJson<'_>, url: bool| -> Value {
        let mut map = serde_json::Map::new();
        for id in crate::notion_json::IDS {
            if g.rng().chance(50) {
                let value = if url {
                    odd_url(g.rng())
                } else {
                    odd_text(g.rng(), 100)
                };
                map.insert((*id).to_string(), json!(value));
            }
        }
        Value::Object(map)
    };
    input["context"] = json!({
        "user_names": names(&mut g, false),
        "page_titles": names(&mut g, false),
        "page_urls": names(&mut g, true),
    });
    input["chunk"] = serde_json::to_value(super::chunker::config(rng)).expect("configs serialize");
    serde_json::to_vec(&input).expect("renderer inputs serialize")
}

/// A renderer input, decoded.
struct Decoded {
    tree: OwnedTree,
    ctx: RenderContext,
    chunk: ChunkConfig,
}

fn decode(input: &[u8]) -> Result<Decoded, String> {
    let value: Value = serde_json::from_slice(input).map_err(|e| e.to_string())?;
    let field = |name: &str| value.get(name).cloned().unwrap_or(Value::Null);
    let page: Page = serde_json::from_value(field("page")).map_err(|e| format!("page: {e}"))?;
    let mut flat: Vec<(usize, Block)> = Vec::new();
    for entry in field("blocks").as_array().into_iter().flatten() {
        let (depth, block): (usize, Block) =
            serde_json::from_value(entry.clone()).map_err(|e| format!("block: {e}"))?;
        flat.push((depth, block));
    }
    let chain = field("chain");
    let levels = chain.get("levels").and_then(Value::as_u64).unwrap_or(0) as usize;
    let kinds: Vec<Block> = match chain.get("blocks") {
        Some(blocks) => {
            serde_json::from_value(blocks.clone()).map_err(|e| format!("chain: {e}"))?
        }
        None => Vec::new(),
    };
    if !kinds.is_empty() {
        let base = flat.last().map_or(0, |(depth, _)| depth + 1);
        for level in 0..levels {
            let kind = &kinds[level % kinds.len()];
            let mut block = Block::new(format!("{}-{level}", kind.id), kind.kind.clone());
            block.has_children = true;
            flat.push((base + level, block));
        }
    }
    let map = |name: &str| -> Result<HashMap<String, String>, String> {
        match value.get("context").and_then(|c| c.get(name)) {
            Some(v) => serde_json::from_value(v.clone()).map_err(|e| format!("{name}: {e}")),
            None => Ok(HashMap::new()),
        }
    };
    let ctx = RenderContext {
        user_names: map("user_names")?,
        page_titles: map("page_titles")?,
        page_urls: map("page_urls")?,
    };
    let chunk = match value.get("chunk") {
        Some(c) => serde_json::from_value(c.clone()).map_err(|e| format!("chunk: {e}"))?,
        None => ChunkConfig::default(),
    };
    Ok(Decoded {
        tree: OwnedTree(PageTree {
            page,
            blocks: build(flat),
        }),
        ctx,
        chunk,
    })
}

pub(super) fn check(input: &[u8]) -> Result<(), Broken> {
    let Decoded { tree, ctx, chunk } = decode(input).map_err(Broken::Decode)?;
    let page = render_page(&tree.0, &ctx);
    let md = &page.markdown;
    ensure(md.ends_with('\n'), || {
        "the Markdown does not end with a line break".into()
    })?;
    ensure(!md.contains(SIGNED_URL_MARKER), || {
        "a signed file URL was written".into()
    })?;
    ensure(render_page(&tree.0, &ctx) == page, || {
        "two renderings differ".into()
    })?;
    let mut last_start = 0;
    for span in &page.blocks {
        let r = &span.range;
        ensure(r.start < r.end && md.get(r.clone()).is_some(), || {
            format!(
                "span of {} at {r:?} is empty or not on char boundaries",
                span.block_id
            )
        })?;
        ensure(r.start >= last_start, || {
            format!("span of {} out of order", span.block_id)
        })?;
        last_start = r.start;
    }
    for heading in &page.headings {
        let marker = "#".repeat(usize::from(heading.level)) + " ";
        ensure(
            (1..=6).contains(&heading.level)
                && md
                    .get(heading.offset..)
                    .is_some_and(|rest| rest.starts_with(&marker)),
            || format!("heading {heading:?} is not at a `#` of its level"),
        )?;
    }
    let expected = expected_texts(&tree.0);
    let content = squash(&text_content(md));
    if let Some(missing) = first_missing_in_order(&content, &expected) {
        return Err(Broken::Invariant(format!(
            "{missing:?} is not read back from the Markdown (in order)"
        )));
    }
    if let Ok(chunker) = Chunker::new(chunk) {
        // A huge page under a tiny budget is chunked in part (the chunker
        // target covers size); any prefix is Markdown too.
        let md = &md[..md.floor_char_boundary(super::chunker::byte_budget(chunker.config()))];
        let blocks = spans(&page);
        let doc = Document {
            markdown: md,
            title: Some(&page.title),
            blocks: &blocks,
        };
        super::chunker::check_chunks(&chunker, &doc)?;
    }
    Ok(())
}

pub(super) fn show(input: &[u8]) -> String {
    match decode(input) {
        Ok(Decoded { tree, ctx, chunk }) => {
            let started = std::time::Instant::now();
            let page = render_page(&tree.0, &ctx);
            let rendered = started.elapsed();
            let content = squash(&text_content(&page.markdown));
            let read = started.elapsed() - rendered;
            let chunks = Chunker::new(chunk).map(|chunker| {
                let md = &page.markdown;
                let md =
                    &md[..md.floor_char_boundary(super::chunker::byte_budget(chunker.config()))];
                let blocks = spans(&page);
                let doc = Document {
                    markdown: md,
                    title: Some(&page.title),
                    blocks: &blocks,
                };
                super::chunker::show_chunks(&chunker, &doc)
            });
            let chunked = started.elapsed() - rendered - read;
            format!(
                "{}\n--- read back ---\n{content}\n--- expected, in order ---\n{:#?}\n\
                 --- rendered in {rendered:?}, read back in {read:?}, chunked in {chunked:?}:\n{}",
                page.markdown,
                expected_texts(&tree.0),
                chunks.unwrap_or_else(|e| e.to_string()),
            )
        }
        Err(e) => format!("input does not decode: {e}"),
    }
}

/// The page's block spans, as the chunker takes them.
fn spans(page: &RenderedPage) -> Vec<BlockSpan> {
    page.blocks
        .iter()
        .map(|b| BlockSpan {
            id: b.block_id.clone(),
            range: b.range.clone(),
        })
        .collect()
}

/// The texts a reader of the page in Notion sees, in document order (what
/// the Markdown must hold): the title, then every block's text, captions,
/// table cells, code, equations, file names and page titles. Mentions are
/// left out (they are written as names and dates, not as their plain text),
/// so are properties (written before the blocks).
fn expected_texts(tree: &PageTree) -> Vec<String> {
    let mut out = Vec::new();
    let title = tree.page.properties.values().find_map(|p| match &p.value {
        PropertyKind::Title(runs) => Some(runs.as_slice()),
        _ => None,
    });
    runs(title.unwrap_or_default(), &mut out);
    let mut stack: Vec<&Block> = tree.blocks.iter().rev().collect();
    while let Some(block) = stack.pop() {
        if block.is_trashed() {
            continue;
        }
        let mut next: Vec<&Block> = block.children.iter().collect();
        match &block.kind {
            BlockKind::Paragraph(b)
            | BlockKind::Toggle(b)
            | BlockKind::Template(b)
            | BlockKind::BulletedListItem(b)
            | BlockKind::Quote(b) => runs(&b.rich_text, &mut out),
            BlockKind::Heading1(h)
            | BlockKind::Heading2(h)
            | BlockKind::Heading3(h)
            | BlockKind::Heading4(h) => runs(&h.rich_text, &mut out),
            BlockKind::NumberedListItem(b) => runs(&b.rich_text, &mut out),
            BlockKind::ToDo(b) => runs(&b.rich_text, &mut out),
            BlockKind::Callout(c) => {
                if let Some(icon) = c.icon.as_ref().and_then(|i| i.as_text()) {
                    out.push(icon);
                }
                runs(&c.rich_text, &mut out);
            }
            BlockKind::Code(code) => {
                out.push(plain_text(&code.rich_text));
                runs(&code.caption, &mut out);
            }
            BlockKind::Equation(e) => out.push(e.expression.trim().to_string()),
            BlockKind::Table(_) => {
                let live = block.children.iter().filter(|b| !b.is_trashed());
                for row in live.clone() {
                    if let BlockKind::TableRow(r) = &row.kind {
                        r.cells.iter().for_each(|cell| runs(cell, &mut out));
                    }
                }
                next = live
                    .flat_map(|b| match b.kind {
                        BlockKind::TableRow(_) => b.children.iter().collect::<Vec<_>>(),
                        _ => vec![b],
                    })
                    .collect();
            }
            BlockKind::TableRow(r) => r.cells.iter().for_each(|cell| runs(cell, &mut out)),
            BlockKind::ChildPage(p) | BlockKind::ChildDatabase(p) => {
                out.push(if p.title.trim().is_empty() {
                    "Untitled".into()
                } else {
                    p.title.clone()
                })
            }
            BlockKind::Bookmark(u) | BlockKind::Embed(u) | BlockKind::LinkPreview(u) => {
                runs(&u.caption, &mut out)
            }
            BlockKind::Image(m)
            | BlockKind::Video(m)
            | BlockKind::Pdf(m)
            | BlockKind::File(m)
            | BlockKind::Audio(m) => {
                if let Some(name) = m.name.as_ref().filter(|n| !n.trim().is_empty()) {
                    out.push(name.clone());
                }
                runs(&m.caption, &mut out);
            }
            BlockKind::MeetingNotes(n) | BlockKind::Transcription(n) => runs(&n.title, &mut out),
            BlockKind::Unknown(UnknownType { raw, .. }) => {
                let text: Option<Vec<RichText>> = raw
                    .get("rich_text")
                    .and_then(|v| serde_json::from_value(v.clone()).ok());
                runs(&text.unwrap_or_default(), &mut out);
            }
            _ => {}
        }
        stack.extend(next.into_iter().rev());
    }
    out
}

/// The text of each run a reader sees as such (mentions aside).
fn runs(runs: &[RichText], out: &mut Vec<String>) {
    for run in runs {
        match &run.kind {
            RichTextKind::Text(text) => out.push(if run.plain_text.is_empty() {
                text.content.clone()
            } else {
                run.plain_text.clone()
            }),
            RichTextKind::Equation(e) => out.push(e.expression.clone()),
            RichTextKind::Unknown(_) => out.push(run.plain_text.clone()),
            RichTextKind::Mention(_) => {}
        }
    }
}

/// The text a reader sees in `markdown`: text, code, math; a line break
/// (or `<br>`) and the end of each block as a line break.
fn text_content(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_MATH;
    let mut out = String::with_capacity(markdown.len());
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                out.push_str(&t)
            }
            Event::SoftBreak | Event::HardBreak => out.push('\n'),
            Event::InlineHtml(html) if html.as_ref() == "<br>" => out.push('\n'),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::TableCell
                | TagEnd::Item
                | TagEnd::CodeBlock,
            ) => out.push('\n'),
            _ => {}
        }
    }
    out
}

/// `text` with every run of whitespace made one space, trimmed.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first of `needles` (squashed; blank ones skipped) not found in
/// `haystack` (squashed) after the previous one.
fn first_missing_in_order<'n>(haystack: &str, needles: &'n [String]) -> Option<&'n str> {
    let mut from = 0;
    for needle in needles {
        let squashed = squash(needle);
        if squashed.is_empty() {
            continue;
        }
        match haystack[from..].find(&squashed) {
            Some(at) => from += at + squashed.len(),
            None => return Some(needle),
        }
    }
    None
}
