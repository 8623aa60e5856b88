//! Inline Notion-flavoured Markdown to Notion rich text: pulldown-cmark's
//! inline events (emphasis, code, math, links, breaks) plus Notion's inline
//! tags (`<u>`, `<b>`/`<i>`/`<s>`, `<span>`, `<br />`, `<mention>` and the
//! v1 `<mention-*>` family, `<date />`).
//!
//! Colours and comment anchors are dropped. A tag this module does not know,
//! or a closing tag with nothing to close, stays in the text as written and
//! is counted. Links to signed file URLs keep their text, not their URL.

use notion_source::model::{
    Annotations, DateValue, IdRef, Link, Mention, RichText, RichTextKind, TextContent, User,
};
use pulldown_cmark::{Event, Options, Parser, Tag as MdTag, TagEnd};

use super::Document as Findings;
use super::tags::{self, Tag, TagKind};
use super::urls::{id_in_url, is_signed};

/// The Markdown extensions Notion-flavoured Markdown uses.
pub(crate) fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_MATH
}

/// Parses `text` as inline content only (a title, a tag's content, a table
/// cell): whatever block syntax it holds is read as text, lines joined by
/// line breaks.
pub(crate) fn parse_inline(text: &str, findings: &mut Findings) -> Vec<RichText> {
    // A no-break space first: the text cannot open a block (a heading, a
    // list, a quote), and it counts as the start of the line for emphasis.
    let forced = format!("\u{a0}{text}");
    let mut inline = Inline::new();
    let mut first_text = true;
    let mut blocks = 0usize;
    for event in Parser::new_ext(&forced, options()) {
        match event {
            Event::Start(
                tag @ (MdTag::Paragraph | MdTag::Heading { .. } | MdTag::CodeBlock(_)),
            ) => {
                if blocks > 0 {
                    inline.text("\n");
                }
                blocks += 1;
                // A fence's info string is text too.
                if let MdTag::CodeBlock(pulldown_cmark::CodeBlockKind::Fenced(info)) = tag
                    && !info.is_empty()
                {
                    inline.text(&info);
                    inline.text("\n");
                }
            }
            Event::Text(t) if first_text => {
                first_text = false;
                inline.push(
                    Event::Text(t.strip_prefix('\u{a0}').unwrap_or(&t).to_string().into()),
                    findings,
                );
            }
            Event::Start(_) | Event::End(_) if !is_inline_event(&event) => {}
            Event::Html(html) => inline.text(&html),
            event => {
                first_text = false;
                inline.push(event, findings);
            }
        }
    }
    inline.finish(findings)
}

/// Whether an event belongs to inline content (as opposed to block structure).
pub(crate) fn is_inline_event(event: &Event<'_>) -> bool {
    match event {
        Event::Start(tag) => matches!(
            tag,
            MdTag::Emphasis
                | MdTag::Strong
                | MdTag::Strikethrough
                | MdTag::Link { .. }
                | MdTag::Image { .. }
                | MdTag::Superscript
                | MdTag::Subscript
        ),
        Event::End(end) => matches!(
            end,
            TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Link
                | TagEnd::Image
                | TagEnd::Superscript
                | TagEnd::Subscript
        ),
        _ => true,
    }
}

/// Inline tags kept open at once; more are kept as text (no real text
/// nests styles this deep, and the limit keeps reading linear).
const MAX_OPEN_TAGS: usize = 32;

/// A style an inline tag turns on until its closing tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Bold,
    Italic,
    Strikethrough,
    Underline,
    /// A `<span>` (colour, comment anchors): no style we keep, but its
    /// closing tag must find it.
    Plain,
}

/// An inline tag that is open.
struct OpenTag {
    name: String,
    style: Style,
}

/// A `<mention>` whose closing tag has not come yet: its label so far, and
/// the text to put back if it never closes.
struct PendingMention {
    tag: Tag,
    raw: String,
    label: String,
}

/// Builds rich text from inline events, keeping the styles in force.
pub(crate) struct Inline {
    runs: Vec<RichText>,
    bold: u32,
    italic: u32,
    strikethrough: u32,
    open_tags: Vec<OpenTag>,
    /// Open links (and images, read as links); `None` for a dropped signed URL.
    links: Vec<Option<String>>,
    /// The titles of the open links.
    titles: Vec<String>,
    mention: Option<PendingMention>,
}

impl Inline {
    pub(crate) fn new() -> Self {
        Inline {
            runs: Vec::new(),
            bold: 0,
            italic: 0,
            strikethrough: 0,
            open_tags: Vec::new(),
            links: Vec::new(),
            titles: Vec::new(),
            mention: None,
        }
    }

    /// Takes one inline event.
    pub(crate) fn push(&mut self, event: Event<'_>, findings: &mut Findings) {
        match event {
            Event::Text(t) => self.text(&t),
            Event::Code(code) => {
                if self.capture(&code) {
                    return;
                }
                let mut annotations = self.annotations();
                annotations.code = true;
                self.push_text(&code, annotations);
            }
            Event::InlineMath(expression) | Event::DisplayMath(expression) => {
                if self.capture(&expression) {
                    return;
                }
                self.runs.push(equation(&expression, self.annotations()));
            }
            Event::SoftBreak | Event::HardBreak => self.text("\n"),
            Event::InlineHtml(html) | Event::Html(html) => self.html(&html, findings),
            Event::Start(MdTag::Emphasis) => self.italic += 1,
            Event::End(TagEnd::Emphasis) => self.italic = self.italic.saturating_sub(1),
            Event::Start(MdTag::Strong) => self.bold += 1,
            Event::End(TagEnd::Strong) => self.bold = self.bold.saturating_sub(1),
            Event::Start(MdTag::Strikethrough) => self.strikethrough += 1,
            Event::End(TagEnd::Strikethrough) => {
                self.strikethrough = self.strikethrough.saturating_sub(1);
            }
            Event::Start(
                MdTag::Link {
                    dest_url, title, ..
                }
                | MdTag::Image {
                    dest_url, title, ..
                },
            ) => {
                let url = dest_url.to_string();
                self.links
                    .push((!is_signed(&url) && !url.is_empty()).then_some(url));
                self.titles.push(title.to_string());
            }
            Event::End(TagEnd::Link | TagEnd::Image) => {
                self.links.pop();
                // A link's title (`[a](url "title")`) is text a reader sees on hover: kept.
                if let Some(title) = self.titles.pop().filter(|t| !t.is_empty()) {
                    self.text(&format!(" ({title})"));
                }
            }
            Event::TaskListMarker(checked) => self.text(if checked { "[x] " } else { "[ ] " }),
            Event::FootnoteReference(label) => self.text(&format!("[^{label}]")),
            Event::Rule => self.text("---"),
            Event::Start(_) | Event::End(_) => {}
        }
    }

    /// Plain text in the current style.
    pub(crate) fn text(&mut self, text: &str) {
        if text.is_empty() || self.capture(text) {
            return;
        }
        let annotations = self.annotations();
        self.push_text(text, annotations);
    }

    /// The rich text; a mention left open is put back as text and counted.
    pub(crate) fn finish(mut self, findings: &mut Findings) -> Vec<RichText> {
        if let Some(pending) = self.mention.take() {
            findings.unrecognised.unmatched += 1;
            self.text(&pending.raw);
        }
        self.runs
    }

    /// Adds text to a pending mention's label; false when none is pending.
    fn capture(&mut self, text: &str) -> bool {
        match &mut self.mention {
            Some(pending) => {
                pending.label.push_str(text);
                pending.raw.push_str(text);
                true
            }
            None => false,
        }
    }

    fn annotations(&self) -> Annotations {
        let styled = |style: Style| self.open_tags.iter().any(|t| t.style == style);
        Annotations {
            bold: self.bold > 0 || styled(Style::Bold),
            italic: self.italic > 0 || styled(Style::Italic),
            strikethrough: self.strikethrough > 0 || styled(Style::Strikethrough),
            underline: styled(Style::Underline),
            code: false,
            color: "default".to_string(),
        }
    }

    fn link(&self) -> Option<&str> {
        self.links.iter().rev().find_map(|l| l.as_deref())
    }

    /// Appends a text run, merged into the last one when they look alike.
    fn push_text(&mut self, text: &str, annotations: Annotations) {
        let link = self.link().map(str::to_string);
        if let Some(last) = self.runs.last_mut()
            && last.annotations == annotations
            && last.href == link
            && let RichTextKind::Text(content) = &mut last.kind
        {
            content.content.push_str(text);
            last.plain_text.push_str(text);
            return;
        }
        self.runs.push(text_run(text, annotations, link));
    }

    /// An inline tag: a style, a break, a mention, or text.
    fn html(&mut self, html: &str, findings: &mut Findings) {
        let Some(tag) = tags::scan(html).filter(|t| t.len == html.len()) else {
            self.literal(html, None, findings);
            return;
        };
        if self.mention.is_some() {
            if tag.kind == TagKind::Close && is_mention(&tag.name) {
                if let Some(pending) = self.mention.take() {
                    let run = mention(&pending.tag, &pending.label, self.annotations());
                    self.runs.push(run);
                }
            } else if let Some(pending) = &mut self.mention {
                pending.raw.push_str(html);
            }
            return;
        }
        let style = match tag.name.as_str() {
            "b" | "strong" => Some(Style::Bold),
            "i" | "em" => Some(Style::Italic),
            "s" | "del" | "strike" => Some(Style::Strikethrough),
            "u" | "ins" => Some(Style::Underline),
            "span" if tag.flag("underline") => Some(Style::Underline),
            "span" => Some(Style::Plain),
            _ => None,
        };
        match (tag.kind, style, tag.name.as_str()) {
            (TagKind::Open, Some(style), name) if self.open_tags.len() < MAX_OPEN_TAGS => {
                self.open_tags.push(OpenTag {
                    name: name.to_string(),
                    style,
                });
            }
            (TagKind::Close, Some(_), name) => {
                match self.open_tags.iter().rposition(|t| t.name == name) {
                    Some(at) => {
                        self.open_tags.remove(at);
                    }
                    None => {
                        findings.unrecognised.unmatched += 1;
                        self.literal(html, Some(&tag), findings);
                    }
                }
            }
            (TagKind::SelfClosing, Some(_), _) => {}
            (_, None, "br") => self.text("\n"),
            (TagKind::Open, None, name) if is_mention(name) => {
                self.mention = Some(PendingMention {
                    tag,
                    raw: html.to_string(),
                    label: String::new(),
                });
            }
            (TagKind::SelfClosing, None, name) if is_mention(name) => {
                let run = mention(&tag, "", self.annotations());
                self.runs.push(run);
            }
            (TagKind::SelfClosing | TagKind::Open, None, "date" | "mention-date") => {
                let run = date(&tag, self.annotations());
                self.runs.push(run);
            }
            (TagKind::Close, None, "date" | "mention-date") => {}
            _ => self.literal(html, Some(&tag), findings),
        }
    }

    /// Text that looked like a tag and is not one of ours: kept and counted.
    fn literal(&mut self, html: &str, tag: Option<&Tag>, findings: &mut Findings) {
        if let Some(tag) = tag {
            *findings
                .unrecognised
                .tags
                .entry(tag.name.clone())
                .or_default() += 1;
        }
        self.text(html);
    }
}

/// A text run, linked to `link` if given.
fn text_run(text: &str, annotations: Annotations, link: Option<String>) -> RichText {
    RichText {
        plain_text: text.to_string(),
        href: link.clone(),
        annotations,
        kind: RichTextKind::Text(TextContent {
            content: text.to_string(),
            link: link.map(|url| Link { url }),
        }),
    }
}

fn is_mention(name: &str) -> bool {
    name == "mention" || name.starts_with("mention-") && name != "mention-date"
}

/// An inline equation run.
fn equation(expression: &str, annotations: Annotations) -> RichText {
    RichText {
        plain_text: expression.to_string(),
        href: None,
        annotations,
        kind: RichTextKind::Equation(notion_source::model::EquationContent {
            expression: expression.to_string(),
        }),
    }
}

/// A mention run from its tag and label: a user, page, database or data
/// source when the URL says which, else the label as text (linked when it
/// has a URL).
fn mention(tag: &Tag, label: &str, annotations: Annotations) -> RichText {
    let url = tag.attr("url").unwrap_or_default();
    let kind = tag.attr("type").unwrap_or_default();
    let id = id_in_url(url);
    let target = match (
        tag.name.as_str(),
        url.split_once("://").map(|(s, _)| s),
        kind,
    ) {
        (_, Some("user"), _) | ("mention-user", _, _) => id.map(|id| {
            let name = label.trim().trim_start_matches('@').trim();
            Mention::User(User {
                id,
                object: Some("user".into()),
                name: (!name.is_empty()).then(|| name.to_string()),
                user_type: None,
                person: None,
            })
        }),
        (_, Some("collection"), _) | ("mention-data-source", _, _) | (_, _, "data-source") => {
            id.map(|id| Mention::DataSource(IdRef { id }))
        }
        ("mention-database", _, _) | (_, _, "database") => {
            id.map(|id| Mention::Database(IdRef { id }))
        }
        (_, Some("http" | "https"), _) | ("mention-page", _, _) => {
            id.map(|id| Mention::Page(IdRef { id }))
        }
        _ => None,
    };
    let plain = if label.is_empty() { url } else { label };
    match target {
        Some(target) => RichText {
            plain_text: plain.to_string(),
            href: match &target {
                Mention::Page(_) | Mention::Database(_) if !url.is_empty() => Some(url.to_string()),
                _ => None,
            },
            annotations,
            kind: RichTextKind::Mention(target),
        },
        None => {
            let link = (!url.is_empty() && !is_signed(url)).then(|| url.to_string());
            text_run(plain, annotations, link)
        }
    }
}

/// A date mention from `<date start end start-time end-time time-zone />`
/// (v1: `<mention-date start end startTime endTime timeZone/>`).
fn date(tag: &Tag, annotations: Annotations) -> RichText {
    let part = |date: &str, time: &str, time_v1: &str| {
        let date = tag.attr(date).unwrap_or_default().trim();
        match tag.nonempty_attr(time).or(tag.nonempty_attr(time_v1)) {
            Some(time) if !date.contains('T') => format!("{date}T{}", time.trim()),
            _ => date.to_string(),
        }
    };
    let value = DateValue {
        start: part("start", "start-time", "starttime"),
        end: Some(part("end", "end-time", "endtime")).filter(|e| !e.is_empty()),
        time_zone: tag
            .nonempty_attr("time-zone")
            .or(tag.nonempty_attr("timezone"))
            .map(str::to_string),
    };
    let plain = match &value.end {
        Some(end) => format!("{} → {end}", value.start),
        None => value.start.clone(),
    };
    RichText {
        plain_text: plain,
        href: None,
        annotations,
        kind: RichTextKind::Mention(Mention::Date(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notion_source::model::plain_text;

    fn inline(text: &str) -> (Vec<RichText>, Findings) {
        let mut findings = Findings::default();
        let runs = parse_inline(text, &mut findings);
        (runs, findings)
    }

    #[test]
    fn markdown_and_tag_styles_become_annotations() {
        let (runs, findings) = inline("a **b** <u>c</u> <span color=\"red\">*d*</span> ~~e~~ `f`");
        assert_eq!(plain_text(&runs), "a b c d e f");
        let styled = |text: &str| {
            runs.iter()
                .find(|r| r.plain_text == text)
                .map(|r| r.annotations.clone())
                .unwrap()
        };
        assert!(styled("b").bold);
        assert!(styled("c").underline);
        assert!(styled("d").italic && !styled("d").underline);
        assert!(styled("e").strikethrough);
        assert!(styled("f").code);
        assert_eq!(findings.unrecognised.total(), 0);
    }

    #[test]
    fn block_syntax_at_the_start_is_text() {
        let (runs, _) = inline("# not a heading");
        assert_eq!(plain_text(&runs), "# not a heading");
        let (runs, _) = inline("- not a list");
        assert_eq!(plain_text(&runs), "- not a list");
    }

    #[test]
    fn mentions_and_dates() {
        let (runs, _) = inline(
            "<mention url=\"user://11111111-1111-1111-1111-111111111111\">Ada</mention>, \
             <mention url=\"https://www.notion.so/22222222222222222222222222222222\">Plan</mention> \
             <date start=\"2026-07-04\" start-time=\"09:30\" time-zone=\"Europe/Paris\" />",
        );
        match &runs[0].kind {
            RichTextKind::Mention(Mention::User(user)) => {
                assert_eq!(user.name.as_deref(), Some("Ada"));
            }
            other => panic!("{other:?}"),
        }
        match &runs[2].kind {
            RichTextKind::Mention(Mention::Page(page)) => {
                assert_eq!(page.id, "22222222-2222-2222-2222-222222222222");
                assert_eq!(runs[2].plain_text, "Plan");
            }
            other => panic!("{other:?}"),
        }
        match &runs[4].kind {
            RichTextKind::Mention(Mention::Date(date)) => {
                assert_eq!(date.start, "2026-07-04T09:30");
                assert_eq!(date.time_zone.as_deref(), Some("Europe/Paris"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_and_unmatched_tags_stay_as_text() {
        let (runs, findings) = inline("a <hologram x=\"1\">b</u> <mention url=\"user://x\">c");
        assert_eq!(
            plain_text(&runs),
            "a <hologram x=\"1\">b</u> <mention url=\"user://x\">c"
        );
        assert_eq!(findings.unrecognised.tags.get("hologram"), Some(&1));
        assert_eq!(findings.unrecognised.unmatched, 2);
    }

    #[test]
    fn signed_links_keep_their_text_only() {
        let (runs, _) =
            inline("[file](https://prod-files-secure.s3.amazonaws.com/a/b.png?X-Amz-Signature=1)");
        assert_eq!(plain_text(&runs), "file");
        assert_eq!(runs[0].href, None);
    }
}
