//! Helpers: block trees written as compact JSON, and reading Markdown back
//! with pulldown-cmark (text content, styles, structure).

use notion_markdown::{RenderContext, RenderedPage, render_page};
use notion_source::model::PageTree;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use serde_json::{Value, json};

/// The page URL every test page has.
pub const PAGE_URL: &str = "https://www.notion.so/Test-Page-0000000000000000000000000000000a";

/// A standalone page titled `title` holding `blocks`.
pub fn page(title: &str, blocks: Vec<Value>) -> PageTree {
    page_with(title, json!({}), blocks)
}

/// A page with extra `properties` (besides the title) and a data source parent.
pub fn page_with(title: &str, properties: Value, blocks: Vec<Value>) -> PageTree {
    let mut props = json!({"Name": {"id": "title", "type": "title", "title": [text(title)]}});
    let is_row = properties.as_object().is_some_and(|p| !p.is_empty());
    for (name, value) in properties.as_object().unwrap() {
        props[name] = value.clone();
    }
    let parent = if is_row {
        json!({"type": "data_source_id", "data_source_id": "ds-1", "database_id": "db-1"})
    } else {
        json!({"type": "workspace", "workspace": true})
    };
    serde_json::from_value(json!({
        "page": {
            "id": "00000000-0000-0000-0000-00000000000a",
            "created_time": "2026-07-04T09:08:00.000Z",
            "last_edited_time": "2026-07-04T09:08:00.000Z",
            "parent": parent,
            "url": PAGE_URL,
            "properties": props,
        },
        "blocks": blocks,
    }))
    .expect("test tree deserializes")
}

/// A block of `kind` with the given content.
pub fn block(id: &str, kind: &str, content: Value) -> Value {
    json!({"object": "block", "id": id, "type": kind, kind: content})
}

/// A block holding only rich text.
pub fn text_block(id: &str, kind: &str, runs: Vec<Value>) -> Value {
    block(id, kind, json!({"rich_text": runs}))
}

/// `block` with `children`.
pub fn with_children(mut block: Value, children: Vec<Value>) -> Value {
    block["has_children"] = json!(!children.is_empty());
    block["children"] = Value::Array(children);
    block
}

/// A plain text run.
pub fn text(content: &str) -> Value {
    json!({"type": "text", "text": {"content": content, "link": null}, "plain_text": content, "href": null})
}

/// A text run with annotations, e.g. `styled("x", json!({"bold": true}))`.
pub fn styled(content: &str, annotations: Value) -> Value {
    let mut run = text(content);
    run["annotations"] = annotations;
    run
}

/// A linked text run.
pub fn linked(content: &str, url: &str) -> Value {
    json!({"type": "text", "text": {"content": content, "link": {"url": url}}, "plain_text": content, "href": url})
}

/// Renders with an empty context.
pub fn render(tree: &PageTree) -> RenderedPage {
    render_page(tree, &RenderContext::default())
}

/// The Markdown of `blocks` on a page titled `T`, without the title line.
pub fn body(blocks: Vec<Value>) -> String {
    let md = render(&page("T", blocks)).markdown;
    md.strip_prefix("# T\n\n").unwrap_or(&md).to_string()
}

/// The parser options the renderer writes for.
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_MATH
}

/// Every event pulldown-cmark reads from `markdown`.
pub fn events(markdown: &str) -> Vec<Event<'_>> {
    Parser::new_ext(markdown, options()).collect()
}

/// The text a reader sees: text, code, math and line breaks; `<br>` as a
/// line break; a line break after each block.
pub fn text_content(markdown: &str) -> String {
    let mut out = String::new();
    for event in events(markdown) {
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
pub fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Inline style of one character as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Styled {
    pub ch: char,
    pub bold: bool,
    pub italic: bool,
    pub strikethrough: bool,
    /// Inside inline code or math.
    pub literal: bool,
    pub link: Option<String>,
}

/// The non-whitespace characters of `markdown`'s text with their styles,
/// counting HTML fallbacks (`<strong>`, `<em>`, `<del>`) like Markdown marks.
pub fn styled_chars(markdown: &str) -> Vec<Styled> {
    let (mut bold, mut italic, mut strike) = (0i32, 0i32, 0i32);
    let mut links: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let mut push =
        |text: &str, bold: i32, italic: i32, strike: i32, literal: bool, link: Option<&String>| {
            for ch in text.chars().filter(|c| !c.is_whitespace()) {
                out.push(Styled {
                    ch,
                    bold: bold > 0,
                    italic: italic > 0,
                    strikethrough: strike > 0,
                    literal,
                    link: link.cloned(),
                });
            }
        };
    for event in events(markdown) {
        match event {
            Event::Start(Tag::Strong) => bold += 1,
            Event::End(TagEnd::Strong) => bold -= 1,
            Event::Start(Tag::Emphasis) => italic += 1,
            Event::End(TagEnd::Emphasis) => italic -= 1,
            Event::Start(Tag::Strikethrough) => strike += 1,
            Event::End(TagEnd::Strikethrough) => strike -= 1,
            Event::Start(Tag::Link { dest_url, .. }) => links.push(dest_url.to_string()),
            Event::End(TagEnd::Link) => {
                links.pop();
            }
            Event::InlineHtml(html) => match html.as_ref() {
                "<strong>" => bold += 1,
                "</strong>" => bold -= 1,
                "<em>" => italic += 1,
                "</em>" => italic -= 1,
                "<del>" => strike += 1,
                "</del>" => strike -= 1,
                "</a>" => {
                    links.pop();
                }
                tag => {
                    if let Some(href) = tag
                        .strip_prefix("<a href=\"")
                        .and_then(|t| t.strip_suffix("\">"))
                    {
                        let href = href
                            .replace("&quot;", "\"")
                            .replace("&lt;", "<")
                            .replace("&gt;", ">");
                        links.push(href.replace("&amp;", "&"));
                    }
                }
            },
            Event::Text(t) => push(&t, bold, italic, strike, false, links.last()),
            Event::Code(t) | Event::InlineMath(t) => {
                push(&t, bold, italic, strike, true, links.last())
            }
            _ => {}
        }
    }
    out
}

/// Whether each of `needles` (whitespace squashed) occurs in `haystack`
/// (squashed) in order; returns the first one missing.
pub fn first_missing_in_order<'n>(haystack: &str, needles: &'n [String]) -> Option<&'n str> {
    let haystack = squash(haystack);
    let mut from = 0;
    for needle in needles {
        let needle_squashed = squash(needle);
        if needle_squashed.is_empty() {
            continue;
        }
        match haystack[from..].find(&needle_squashed) {
            Some(at) => from += at + needle_squashed.len(),
            None => return Some(needle),
        }
    }
    None
}
