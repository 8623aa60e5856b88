//! Notion rich text to inline runs: annotations become marks, mentions become
//! readable text (a user's name, a page's title as a link, a date in ISO 8601,
//! a custom emoji as `:name:`), inline equations become math.

use std::borrow::Cow;

use notion_source::model::{Annotations, DateValue, Mention, RichText, RichTextKind, User};

use crate::RenderContext;
use crate::inline::{InlineRun, Marks, RunKind};
use crate::links::{absolute, page_url};

/// Converts rich text to inline runs, resolving names, titles and URLs through `ctx`.
pub(crate) fn inline_runs<'a>(
    rich_text: &'a [RichText],
    ctx: &'a RenderContext,
) -> Vec<InlineRun<'a>> {
    rich_text.iter().map(|run| inline_run(run, ctx)).collect()
}

/// Like [`inline_runs`], with every link dropped: for text that is itself
/// written inside a link (a caption used as a link's label).
pub(crate) fn unlinked_runs<'a>(
    rich_text: &'a [RichText],
    ctx: &'a RenderContext,
) -> Vec<InlineRun<'a>> {
    let mut runs = inline_runs(rich_text, ctx);
    for run in &mut runs {
        run.marks.link = None;
    }
    runs
}

fn inline_run<'a>(run: &'a RichText, ctx: &'a RenderContext) -> InlineRun<'a> {
    let annotations = &run.annotations;
    let href = run.href.as_deref().map(absolute);
    let (text, link): (Cow<'a, str>, Option<String>) = match &run.kind {
        RichTextKind::Equation(equation) => {
            return InlineRun {
                text: Cow::Borrowed(&equation.expression),
                kind: RunKind::Math,
                marks: marks(annotations, href),
            };
        }
        RichTextKind::Text(text) => {
            let content = if run.plain_text.is_empty() {
                &text.content
            } else {
                &run.plain_text
            };
            let link = text.link.as_ref().map(|l| absolute(&l.url)).or(href);
            (Cow::Borrowed(content.as_str()), link)
        }
        RichTextKind::Mention(mention) => mention_text(mention, run, href, ctx),
        RichTextKind::Unknown(_) => (Cow::Borrowed(run.plain_text.as_str()), href),
    };
    InlineRun {
        text,
        kind: if annotations.code {
            RunKind::Code
        } else {
            RunKind::Text
        },
        marks: marks(annotations, link),
    }
}

fn marks(annotations: &Annotations, link: Option<String>) -> Marks {
    Marks {
        bold: annotations.bold,
        italic: annotations.italic,
        strikethrough: annotations.strikethrough,
        link,
    }
}

/// A mention's readable text and link.
fn mention_text<'a>(
    mention: &'a Mention,
    run: &'a RichText,
    href: Option<String>,
    ctx: &'a RenderContext,
) -> (Cow<'a, str>, Option<String>) {
    let plain = run.plain_text.as_str();
    match mention {
        Mention::User(user) => {
            let name = user_name(user, ctx).map(Cow::Borrowed).unwrap_or_else(|| {
                Cow::Borrowed(if plain.is_empty() {
                    "@unknown user"
                } else {
                    plain
                })
            });
            if name.starts_with('@') {
                (name, None)
            } else {
                (Cow::Owned(format!("@{name}")), None)
            }
        }
        Mention::Page(target) | Mention::Database(target) | Mention::DataSource(target) => {
            let title = match ctx.page_titles.get(&target.id) {
                Some(title) => Cow::Owned(title.clone()),
                None if !plain.is_empty() => Cow::Borrowed(plain),
                None => Cow::Borrowed("Untitled"),
            };
            let url = match ctx.page_urls.get(&target.id) {
                Some(url) => url.clone(),
                None => href.unwrap_or_else(|| page_url(&target.id, ctx)),
            };
            (title, Some(url))
        }
        Mention::Date(date) => (Cow::Owned(date_text(date)), href),
        Mention::LinkPreview(preview) => (
            Cow::Borrowed(preview.url.as_str()),
            Some(absolute(&preview.url)),
        ),
        Mention::LinkMention(mention) => {
            let label = match &mention.title {
                Some(title) if !title.is_empty() => title.as_str(),
                _ => mention.href.as_str(),
            };
            (Cow::Borrowed(label), Some(absolute(&mention.href)))
        }
        Mention::CustomEmoji(emoji) => match &emoji.name {
            Some(name) => (Cow::Owned(format!(":{name}:")), href),
            None => (Cow::Borrowed(plain), href),
        },
        Mention::TemplateMention(_) | Mention::Unknown(_) => (Cow::Borrowed(plain), href),
    }
}

/// A user's display name: the context's, else the one Notion sent.
pub(crate) fn user_name<'a>(user: &'a User, ctx: &'a RenderContext) -> Option<&'a str> {
    ctx.user_names
        .get(&user.id)
        .map(String::as_str)
        .or(user.name.as_deref())
        .filter(|n| !n.is_empty())
}

/// A date or range as ISO 8601, readable: `2026-07-04`, `2026-07-04 → 2026-07-10`,
/// with the time zone in parentheses when Notion gives one.
pub(crate) fn date_text(date: &DateValue) -> String {
    let mut text = date.start.clone();
    if let Some(end) = &date.end {
        text.push_str(" → ");
        text.push_str(end);
    }
    if let Some(zone) = &date.time_zone {
        text.push_str(" (");
        text.push_str(zone);
        text.push(')');
    }
    text
}
