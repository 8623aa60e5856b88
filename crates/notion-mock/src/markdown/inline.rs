//! Rich text (Notion's JSON runs) written as Notion-flavoured Markdown
//! inline text, v2 or v1: escaped text, `**`/`*`/`~~` (or `<b>`/`<i>`/`<s>`
//! where Markdown markers would not pair), `<u>` (v1: `<span
//! underline="true">`), `<span color>`, code spans, `$math$`, links,
//! `<mention>` (v1: `<mention-*>`), `<date />` (v1: `<mention-date/>`).

use serde_json::Value;

use super::Syntax;

/// Where inline text goes, which decides how a line break is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// A block's text: `\` at the end of the line (v1: `<br>`).
    Block,
    /// A pipe table's cell: `<br />` (v1: `<br>`), `|` escaped even in code.
    PipeCell,
    /// A `<td>` cell: `<br />` (v1: `<br>`).
    TagCell,
}

/// Writes rich-text runs.
pub(crate) fn write(runs: &Value, syntax: Syntax, place: Place) -> String {
    let mut out = String::new();
    for run in runs.as_array().into_iter().flatten() {
        let piece = run_text(run, syntax, place, out.chars().last());
        out.push_str(&piece);
    }
    out
}

/// The plain text of runs.
pub(crate) fn plain(runs: &Value) -> String {
    runs.as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["plain_text"].as_str())
        .collect()
}

fn run_text(run: &Value, syntax: Syntax, place: Place, before: Option<char>) -> String {
    let kind = run["type"].as_str().unwrap_or_default();
    let ann = &run["annotations"];
    let flag = |k: &str| ann[k].as_bool() == Some(true);
    let plain_text = run["plain_text"].as_str().unwrap_or_default();
    let (mut inner, link) = match kind {
        "text" => {
            let content = run["text"]["content"].as_str().unwrap_or(plain_text);
            let link = run["text"]["link"]["url"].as_str().map(str::to_string);
            let inner = if flag("code") && place == Place::PipeCell {
                code_span(content).replace('|', "\\|")
            } else if flag("code") {
                code_span(content)
            } else {
                escape(content, syntax, place, before.is_none_or(|c| c == '\n'))
            };
            (inner, link)
        }
        "equation" => {
            let expression = run["equation"]["expression"].as_str().unwrap_or(plain_text);
            let math = format!("${}$", expression.trim());
            let math = if place == Place::PipeCell {
                math.replace('|', "\\|")
            } else {
                math
            };
            (math, None)
        }
        "mention" => mention(run, syntax),
        _ => (escape(plain_text, syntax, place, false), None),
    };
    if inner.is_empty() {
        return inner;
    }
    let styles: [(&str, &str, &str); 3] = [
        ("italic", "*", "i"),
        ("bold", "**", "b"),
        ("strikethrough", "~~", "s"),
    ];
    // Markdown markers pair only around text that starts and ends with a
    // letter or digit, and never right after another marker.
    let bare = match kind {
        "text" if !flag("code") => run["text"]["content"].as_str().unwrap_or_default(),
        _ => "",
    };
    let markers_pair = bare.chars().next().is_some_and(char::is_alphanumeric)
        && bare.chars().last().is_some_and(char::is_alphanumeric)
        && !before.is_some_and(|c| c == '*' || c == '~');
    for (key, marker, tag) in styles {
        if flag(key) {
            inner = if markers_pair {
                format!("{marker}{inner}{marker}")
            } else {
                format!("<{tag}>{inner}</{tag}>")
            };
        }
    }
    if flag("underline") {
        inner = match syntax {
            Syntax::V2 => format!("<u>{inner}</u>"),
            Syntax::V1 => format!("<span underline=\"true\">{inner}</span>"),
        };
    }
    let color = ann["color"].as_str().unwrap_or("default");
    if color != "default" && !color.is_empty() {
        inner = format!("<span color=\"{}\">{inner}</span>", color_name(color));
    }
    if let Some(url) = link {
        inner = format!("[{inner}]({})", destination(&url));
    }
    inner
}

/// Notion's API colour names as NFM writes them (`yellow_background` → `yellow_bg`).
pub(crate) fn color_name(color: &str) -> String {
    color.replace("_background", "_bg")
}

/// A mention: its tag (or link, for link previews and link mentions).
fn mention(run: &Value, syntax: Syntax) -> (String, Option<String>) {
    let m = &run["mention"];
    let kind = m["type"].as_str().unwrap_or_default();
    let plain = run["plain_text"].as_str().unwrap_or_default();
    let href = run["href"].as_str();
    let v2 = syntax == Syntax::V2;
    let text = match kind {
        "user" => {
            let id = m["user"]["id"].as_str().unwrap_or_default();
            let name = m["user"]["name"]
                .as_str()
                .unwrap_or(plain.trim_start_matches('@'));
            if v2 {
                format!("<mention url=\"user://{id}\">{name}</mention>")
            } else {
                format!("<mention-user url=\"user://{id}\">{name}</mention-user>")
            }
        }
        "page" | "database" | "data_source" => {
            let id = m[kind]["id"].as_str().unwrap_or_default();
            let url = match kind {
                "data_source" => format!("collection://{id}"),
                _ => href.map_or_else(
                    || format!("https://www.notion.so/{}", id.replace('-', "")),
                    str::to_string,
                ),
            };
            let url = attribute(&url);
            match (v2, kind) {
                (true, "database") => {
                    format!("<mention url=\"{url}\" type=\"database\">{plain}</mention>")
                }
                (true, _) => format!("<mention url=\"{url}\">{plain}</mention>"),
                (false, kind) => {
                    let tag = format!("mention-{}", kind.replace('_', "-"));
                    format!("<{tag} url=\"{url}\">{plain}</{tag}>")
                }
            }
        }
        "date" => date(&m["date"], syntax),
        "link_preview" => {
            let url = m["link_preview"]["url"].as_str().unwrap_or(plain);
            return (
                escape(url, syntax, Place::Block, false),
                Some(url.to_string()),
            );
        }
        "link_mention" => {
            let url = m["link_mention"]["href"].as_str().or(href).unwrap_or(plain);
            return (
                escape(plain, syntax, Place::Block, false),
                Some(url.to_string()),
            );
        }
        // Template mentions, custom emoji (`:name:`) and kinds to come: their text.
        _ => escape(plain, syntax, Place::Block, false),
    };
    (text, None)
}

/// `<date start="2026-07-04" start-time="09:00" time-zone="…" />`: the API's
/// ISO datetimes split into dates and times, as Notion writes them.
fn date(date: &Value, syntax: Syntax) -> String {
    let v2 = syntax == Syntax::V2;
    let mut attrs = String::new();
    let mut part = |value: &Value, date_name: &str, time_name: &str| {
        let Some(value) = value.as_str() else { return };
        let (day, time) = match value.split_once('T') {
            Some((day, time)) => (day, Some(time.get(..5).unwrap_or(time))),
            None => (value, None),
        };
        attrs.push_str(&format!(" {date_name}=\"{}\"", attribute(day)));
        if let Some(time) = time {
            attrs.push_str(&format!(" {time_name}=\"{}\"", attribute(time)));
        }
    };
    let (start_time, end_time, zone) = if v2 {
        ("start-time", "end-time", "time-zone")
    } else {
        ("startTime", "endTime", "timeZone")
    };
    part(&date["start"], "start", start_time);
    part(&date["end"], "end", end_time);
    if let Some(tz) = date["time_zone"].as_str() {
        attrs.push_str(&format!(" {zone}=\"{}\"", attribute(tz)));
    }
    if v2 {
        format!("<date{attrs} />")
    } else {
        format!("<mention-date{attrs}/>")
    }
}

/// A code span longer than any backtick run inside (padded when the code
/// starts or ends with a backtick); line breaks become spaces.
pub(crate) fn code_span(code: &str) -> String {
    let code = code.replace(['\r', '\n'], " ");
    let fence = "`".repeat(longest_run(&code, '`') + 1);
    if code.starts_with('`') || code.ends_with('`') {
        format!("{fence} {code} {fence}")
    } else {
        format!("{fence}{code}{fence}")
    }
}

/// The longest run of `c` in `text`.
pub(crate) fn longest_run(text: &str, c: char) -> usize {
    text.split(|x| x != c).map(str::len).max().unwrap_or(0)
}

/// Escapes text so it reads literally: ASCII punctuation that Markdown or
/// NFM reads as syntax gets a backslash, as do block starts after a line
/// break; line breaks are written as the place wants.
pub(crate) fn escape(text: &str, syntax: Syntax, place: Place, mut line_start: bool) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                out.push_str(match (syntax, place) {
                    (Syntax::V2, Place::Block) => "\\\n",
                    (Syntax::V2, Place::PipeCell | Place::TagCell) => "<br />",
                    (Syntax::V1, _) => "<br>",
                });
                line_start = syntax == Syntax::V2 && place == Place::Block;
                continue;
            }
            '\\' | '`' | '*' | '_' | '~' | '[' | ']' | '<' | '>' | '$' | '|' | '#' | '&' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '-' | '+' | '=' if line_start => {
                out.push('\\');
                out.push(c);
            }
            '{' | '}' if syntax == Syntax::V1 => {
                out.push('\\');
                out.push(c);
            }
            d if line_start && d.is_ascii_digit() => {
                // `1.` or `1)` would start a numbered list.
                out.push(d);
                while let Some(&n) = chars.peek().filter(|n| n.is_ascii_digit()) {
                    out.push(n);
                    chars.next();
                }
                if let Some(&p @ ('.' | ')')) = chars.peek() {
                    out.push('\\');
                    out.push(p);
                    chars.next();
                }
            }
            ' ' | '\t' if line_start => {}
            c => out.push(c),
        }
        line_start = false;
    }
    out
}

/// A link destination: spaces and brackets percent-encoded, parentheses escaped.
pub(crate) fn destination(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A value for a double-quoted attribute.
pub(crate) fn attribute(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(content: &str, annotations: Value) -> Value {
        json!({"type": "text", "text": {"content": content, "link": null},
               "annotations": annotations, "plain_text": content, "href": null})
    }

    #[test]
    fn styles_use_markers_where_they_pair_and_tags_elsewhere() {
        let runs = json!([
            text("a ", json!({})),
            text("bold", json!({"bold": true})),
            text(" and ", json!({})),
            text(
                " spaced",
                json!({"italic": true, "underline": true, "color": "red_background"})
            ),
        ]);
        assert_eq!(
            write(&runs, Syntax::V2, Place::Block),
            "a **bold** and <span color=\"red_bg\"><u><i> spaced</i></u></span>"
        );
    }

    #[test]
    fn escapes_syntax_and_line_starts() {
        assert_eq!(
            escape("# 1. *a* <b>\n- x\n2) y", Syntax::V2, Place::Block, true),
            "\\# 1. \\*a\\* \\<b\\>\\\n\\- x\\\n2\\) y"
        );
        assert_eq!(
            escape("a|b\nc", Syntax::V2, Place::PipeCell, false),
            "a\\|b<br />c"
        );
        assert_eq!(
            escape("a\nb {c}", Syntax::V1, Place::Block, false),
            "a<br>b \\{c\\}"
        );
    }

    #[test]
    fn dates_split_into_days_and_times() {
        let run = json!({"type": "mention", "plain_text": "x", "href": null, "annotations": {},
            "mention": {"type": "date", "date": {"start": "2026-07-04T09:00:00.000+02:00",
                "end": null, "time_zone": "Europe/Paris"}}});
        assert_eq!(
            write(&json!([run]), Syntax::V2, Place::Block),
            "<date start=\"2026-07-04\" start-time=\"09:00\" time-zone=\"Europe/Paris\" />"
        );
    }
}
