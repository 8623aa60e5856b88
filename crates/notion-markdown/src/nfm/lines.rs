//! Lines of Notion-flavoured Markdown and what each one starts: a blank
//! line, an indented child, a code fence, a `$$` block, one of Notion's
//! block tags alone on its line, or Markdown.

use super::tags::{self, Tag};

/// One line, without its line ending, and where it starts in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Line<'s> {
    pub(crate) text: &'s str,
    pub(crate) offset: usize,
}

impl<'s> Line<'s> {
    /// The line one tab less indented (children are read a level down).
    pub(crate) fn dedented(self) -> Line<'s> {
        match self.text.strip_prefix('\t') {
            Some(rest) => Line {
                text: rest,
                offset: self.offset + 1,
            },
            None => self,
        }
    }

    pub(crate) fn is_blank(self) -> bool {
        self.text.trim().is_empty()
    }

    pub(crate) fn is_indented(self) -> bool {
        self.text.starts_with('\t')
    }
}

/// Splits `source` into lines at `\n`, `\r\n` and `\r`.
pub(crate) fn split(source: &str) -> Vec<Line<'_>> {
    let mut lines = Vec::new();
    let bytes = source.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(Line {
                    text: &source[start..i],
                    offset: start,
                });
                start = i + 1;
            }
            b'\r' => {
                lines.push(Line {
                    text: &source[start..i],
                    offset: start,
                });
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < source.len() {
        lines.push(Line {
            text: &source[start..],
            offset: start,
        });
    }
    lines
}

/// A code fence opener: its character, length and info string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fence<'s> {
    pub(crate) marker: u8,
    pub(crate) len: usize,
    pub(crate) info: &'s str,
}

/// The fence a line opens, if any (up to three spaces of indentation, as
/// in CommonMark).
pub(crate) fn fence(text: &str) -> Option<Fence<'_>> {
    let trimmed = strip_up_to_three_spaces(text)?;
    let marker = *trimmed.as_bytes().first()?;
    if marker != b'`' && marker != b'~' {
        return None;
    }
    let len = trimmed.bytes().take_while(|&b| b == marker).count();
    let info = &trimmed[len..];
    (len >= 3 && !(marker == b'`' && info.contains('`'))).then_some(Fence {
        marker,
        len,
        info: info.trim(),
    })
}

/// Whether `text` closes `fence`.
pub(crate) fn closes(text: &str, fence: Fence<'_>) -> bool {
    strip_up_to_three_spaces(text).is_some_and(|t| {
        let t = t.trim_end();
        t.len() >= fence.len && t.bytes().all(|b| b == fence.marker)
    })
}

fn strip_up_to_three_spaces(text: &str) -> Option<&str> {
    let spaces = text.bytes().take_while(|&b| b == b' ').count();
    (spaces <= 3).then(|| &text[spaces..])
}

/// The index after the fenced code block opening at `start` (the end of
/// `lines` when it never closes), and the index of its closing line.
pub(crate) fn fence_end(
    lines: &[Line<'_>],
    start: usize,
    fence: Fence<'_>,
) -> (usize, Option<usize>) {
    match lines[start + 1..]
        .iter()
        .position(|l| closes(l.text, fence))
    {
        Some(at) => (start + at + 2, Some(start + at + 1)),
        None => (lines.len(), None),
    }
}

/// Whether a line is a `$$` delimiter alone.
pub(crate) fn is_math_fence(text: &str) -> bool {
    text.trim() == "$$"
}

/// The index of the `$$` line closing the block opened at `start`.
pub(crate) fn math_end(lines: &[Line<'_>], start: usize) -> Option<usize> {
    lines[start + 1..]
        .iter()
        .position(|l| is_math_fence(l.text))
        .map(|at| start + at + 1)
}

/// The tag a line holds, when the trimmed line starts with one.
pub(crate) fn leading_tag(text: &str) -> Option<Tag> {
    let trimmed = text.trim_start_matches([' ', '\t']);
    if !trimmed.starts_with('<') {
        return None;
    }
    tags::scan(trimmed)
}

/// The tag a line holds when the line is nothing but that tag.
pub(crate) fn whole_line_tag(text: &str) -> Option<Tag> {
    let trimmed = text.trim();
    leading_tag(trimmed).filter(|t| t.len == trimmed.len())
}

/// Whether a Markdown line would start a block of its own rather than
/// continue a paragraph: a heading, list item, quote, divider, table row,
/// fence, `$$`, or a tag alone on its line.
pub(crate) fn starts_block(text: &str) -> bool {
    let Some(t) = strip_up_to_three_spaces(text) else {
        return false;
    };
    let t = t.trim_end();
    if t.is_empty() {
        return false;
    }
    let hashes = t.bytes().take_while(|&b| b == b'#').count();
    if (1..=6).contains(&hashes)
        && t[hashes..]
            .chars()
            .next()
            .is_none_or(|c| c == ' ' || c == '\t')
    {
        return true;
    }
    if t.starts_with('>') || t.starts_with('|') || is_math_fence(t) || fence(t).is_some() {
        return true;
    }
    if is_list_marker(t) || is_rule(t) || t.bytes().all(|b| b == b'=') {
        return true;
    }
    whole_line_tag(t).is_some()
}

/// `- `, `* `, `+ `, `1. `, `1) ` (or the marker alone).
fn is_list_marker(t: &str) -> bool {
    let bytes = t.as_bytes();
    let after = match bytes.first() {
        Some(b'-' | b'*' | b'+') => 1,
        Some(b) if b.is_ascii_digit() => {
            let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits > 9 || !matches!(bytes.get(digits), Some(b'.' | b')')) {
                return false;
            }
            digits + 1
        }
        _ => return false,
    };
    bytes.get(after).is_none_or(|&b| b == b' ' || b == b'\t')
}

/// A thematic break: three or more `-`, `*` or `_`, spaces allowed.
fn is_rule(t: &str) -> bool {
    let mut marker = None;
    let mut count = 0;
    for b in t.bytes() {
        match b {
            b' ' | b'\t' => {}
            b'-' | b'*' | b'_' if marker.is_none_or(|m| m == b) => {
                marker = Some(b);
                count += 1;
            }
            _ => return false,
        }
    }
    count >= 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_every_line_ending() {
        let texts: Vec<&str> = split("a\r\nb\rc\n\nd").iter().map(|l| l.text).collect();
        assert_eq!(texts, ["a", "b", "c", "", "d"]);
        assert_eq!(split("a\nb")[1].offset, 2);
    }

    #[test]
    fn fences_open_and_close() {
        let f = fence("````rust").unwrap();
        assert_eq!((f.len, f.info), (4, "rust"));
        assert!(closes("````", f) && closes("`````  ", f) && !closes("```", f));
        assert!(fence("``` a`b").is_none());
        assert!(fence("    ```").is_none());
    }

    #[test]
    fn block_starts() {
        for line in [
            "# h", "- a", "1. a", "10) a", "> q", "---", "| a |", "```", "$$", "<p />", "===",
        ] {
            assert!(starts_block(line), "{line}");
        }
        for line in [
            "#hashtag",
            "-1 degrees",
            "plain",
            "1234567890. no",
            "a <b>c</b>",
        ] {
            assert!(!starts_block(line), "{line}");
        }
    }
}
