//! Rich text within Notion's write limits: a text run holds at most 2,000
//! UTF-16 code units, a rich-text array at most 100 runs.
//!
//! A longer run is split into several runs with the same annotations and
//! link, cut between grapheme clusters (never inside an emoji or an accented
//! letter), so the concatenated text is unchanged. An array with too many
//! runs first has neighbours that look alike (same annotations, same link)
//! merged, within the text limit; what still does not fit is cut into
//! several arrays, for the caller to spread over several blocks.
//!
//! Runs are Notion's request JSON: `{"type": "text", "text": {"content",
//! "link"}, "annotations": {...}}`, or a `mention` or `equation` run, which
//! is never split.
//!
//! ```
//! use notion_upload::text::split_long_runs;
//! use serde_json::json;
//!
//! let run = json!({"type": "text", "text": {"content": "ab".repeat(1500), "link": null},
//!                  "annotations": {"bold": true}});
//! let runs = split_long_runs(&[run], 2000);
//! assert_eq!(runs.len(), 2);
//! assert!(runs.iter().all(|r| r["annotations"]["bold"] == true));
//! let text: String = runs.iter().map(|r| r["text"]["content"].as_str().unwrap()).collect();
//! assert_eq!(text, "ab".repeat(1500));
//! ```

use serde_json::Value;
use unicode_segmentation::UnicodeSegmentation;

use crate::limits::utf16_len;

/// Splits `s` into pieces of at most `max` UTF-16 code units, between
/// grapheme clusters (a cluster longer than `max` on its own is cut between
/// characters). The pieces concatenate to `s`; an empty `s` gives no piece.
pub fn split_text(s: &str, max: usize) -> Vec<&str> {
    let max = max.max(2);
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut len = 0;
    for (at, grapheme) in s.grapheme_indices(true) {
        let units = utf16_len(grapheme);
        if len + units > max && len > 0 {
            pieces.push(&s[start..at]);
            start = at;
            len = 0;
        }
        if units > max {
            // One cluster beyond the limit: cut it between characters.
            for (offset, c) in grapheme.char_indices() {
                let at = at + offset;
                if len + c.len_utf16() > max && len > 0 {
                    pieces.push(&s[start..at]);
                    start = at;
                    len = 0;
                }
                len += c.len_utf16();
            }
            continue;
        }
        len += units;
    }
    if start < s.len() {
        pieces.push(&s[start..]);
    }
    pieces
}

/// Every text run whose content is longer than `max` UTF-16 code units
/// becomes several runs with the same annotations and link; other runs are
/// kept as they are.
pub fn split_long_runs(runs: &[Value], max: usize) -> Vec<Value> {
    let mut out = Vec::with_capacity(runs.len());
    for run in runs {
        match text_content(run) {
            Some(content) if utf16_len(content) > max => {
                for piece in split_text(content, max) {
                    let mut part = run.clone();
                    part["text"]["content"] = Value::String(piece.to_string());
                    out.push(part);
                }
            }
            _ => out.push(run.clone()),
        }
    }
    out
}

/// Merges neighbouring text runs with the same annotations and link while
/// the merged content stays within `max` UTF-16 code units.
pub fn merge_alike(runs: Vec<Value>, max: usize) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::with_capacity(runs.len());
    for run in runs {
        if let Some(last) = out.last_mut()
            && let (Some(a), Some(b)) = (text_content(last), text_content(&run))
            && alike(last, &run)
            && utf16_len(a) + utf16_len(b) <= max
        {
            let merged = format!("{a}{b}");
            last["text"]["content"] = Value::String(merged);
            continue;
        }
        out.push(run);
    }
    out
}

/// Rich text fitted to the limits: long runs split; when more than
/// `max_runs` remain, alike neighbours merged; then cut into arrays of at
/// most `max_runs` runs (one array when it fits, none for empty text).
pub fn fit(runs: &[Value], max_text: usize, max_runs: usize) -> Vec<Vec<Value>> {
    let mut runs = split_long_runs(runs, max_text);
    if runs.len() > max_runs {
        runs = merge_alike(runs, max_text);
    }
    runs.chunks(max_runs.max(1))
        .map(<[Value]>::to_vec)
        .collect()
}

/// The content of a text run.
fn text_content(run: &Value) -> Option<&str> {
    let is_text = run
        .get("type")
        .and_then(Value::as_str)
        .is_none_or(|t| t == "text");
    if is_text {
        run.get("text")?.get("content")?.as_str()
    } else {
        None
    }
}

/// Same annotations and link (a missing annotation is its default).
fn alike(a: &Value, b: &Value) -> bool {
    let link = |r: &Value| r["text"]["link"]["url"].as_str().map(str::to_string);
    let flags = |r: &Value| {
        let ann = &r["annotations"];
        (
            ["bold", "italic", "strikethrough", "underline", "code"]
                .map(|k| ann[k].as_bool() == Some(true)),
            ann["color"].as_str().unwrap_or("default").to_string(),
        )
    };
    link(a) == link(b) && flags(a) == flags(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pieces_never_split_a_grapheme_and_respect_utf16_length() {
        let family = "👨\u{200d}👩\u{200d}👧\u{200d}👦"; // 11 UTF-16 units
        let s = format!("{}{family}", "a".repeat(5));
        let pieces = split_text(&s, 12);
        assert_eq!(pieces, vec!["aaaaa", family]);
        assert_eq!(split_text("", 10), Vec::<&str>::new());
        // A cluster longer than the limit is cut between characters.
        let pieces = split_text(family, 4);
        assert!(pieces.iter().all(|p| utf16_len(p) <= 4));
        assert_eq!(pieces.concat(), family);
    }

    #[test]
    fn alike_neighbours_merge_within_the_limit() {
        let run = |t: &str, bold: bool| json!({"type": "text", "text": {"content": t, "link": null}, "annotations": {"bold": bold}});
        let merged = merge_alike(
            vec![
                run("a", true),
                run("b", true),
                run("c", false),
                run("d", false),
            ],
            10,
        );
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0]["text"]["content"], "ab");
        let capped = merge_alike(
            vec![run("aaaa", true), run("bbbb", true), run("cc", true)],
            8,
        );
        assert_eq!(capped.len(), 2);
    }
}
