//! Escaping: making any text render literally in CommonMark with the GFM
//! extensions (tables, strikethrough, task lists) and `$` math.
//!
//! Plain text goes through [`TextEscaper`], which backslash-escapes the
//! characters that would start Markdown syntax, and only where they would
//! (`snake_case` stays readable, `C#` stays `C#`). Literal spans (inline code,
//! fenced code, math, link destinations) have their own helpers here, since
//! backslashes do not work inside them.

/// Where inline text is written, which decides how a line break inside it is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InlineContext {
    /// A paragraph, list item, quote...: a line break becomes a hard break (`\` at line end).
    Block,
    /// A heading: one line only, so a line break becomes a space.
    Heading,
    /// A GFM table cell: one line only, so a line break becomes `<br>`, and `|` is escaped everywhere.
    TableCell,
}

/// Escapes plain text into Markdown, keeping the state that matters between
/// calls: whether the next character starts a line (where `#`, `>`, `-`, `1.`
/// would start a block), and whether braces must be escaped (they steer
/// pulldown-cmark's pairing of `$` math delimiters).
#[derive(Debug, Clone)]
pub(crate) struct TextEscaper {
    context: InlineContext,
    /// The next character written starts a line of the block.
    pub(crate) line_start: bool,
    /// Escape `{` and `}` (set when the inline text holds math).
    pub(crate) escape_braces: bool,
}

impl TextEscaper {
    /// An escaper for text that starts at the beginning of a line.
    pub(crate) fn new(context: InlineContext) -> Self {
        TextEscaper {
            context,
            line_start: true,
            escape_braces: false,
        }
    }

    /// Appends `text` to `out`, escaped so that it renders literally.
    ///
    /// Leading spaces and tabs of a line are dropped (Markdown would read
    /// them as indentation); line breaks are written as the context wants.
    pub(crate) fn push(&mut self, out: &mut String, text: &str) {
        if !self.line_start && !text.bytes().any(|b| self.may_need_escape(b)) {
            out.push_str(text);
            return;
        }
        let mut chars = text.char_indices().peekable();
        let mut prev: Option<char> = None;
        // Byte index of a `.` or `)` that would make a line read as an ordered list item.
        let mut list_delimiter_at: Option<usize> = None;
        while let Some((i, c)) = chars.next() {
            let next = chars.peek().map(|&(_, n)| n);
            if c == '\r' || c == '\n' {
                if c == '\r' && next == Some('\n') {
                    continue;
                }
                self.push_line_break(out);
                prev = Some('\n');
                continue;
            }
            if self.line_start {
                if c == ' ' || c == '\t' {
                    continue;
                }
                self.line_start = false;
                if matches!(c, '#' | '>' | '-' | '+' | '=') {
                    out.push('\\');
                    out.push(c);
                    prev = Some(c);
                    continue;
                }
                list_delimiter_at = ordered_list_delimiter(&text[i..]).map(|at| i + at);
            }
            if list_delimiter_at == Some(i) || self.needs_escape(c, prev, next) {
                out.push('\\');
            }
            out.push(c);
            prev = Some(c);
        }
    }

    fn push_line_break(&mut self, out: &mut String) {
        match self.context {
            InlineContext::Block => {
                if !self.line_start {
                    out.push_str("\\\n");
                    self.line_start = true;
                }
            }
            InlineContext::Heading => out.push(' '),
            InlineContext::TableCell => out.push_str("<br>"),
        }
    }

    /// Whether `byte` could need an escape or a rewrite anywhere but at line start.
    fn may_need_escape(&self, byte: u8) -> bool {
        matches!(
            byte,
            b'\\'
                | b'`'
                | b'*'
                | b'['
                | b']'
                | b'<'
                | b'|'
                | b'~'
                | b'$'
                | b'_'
                | b'&'
                | b'#'
                | b'\r'
                | b'\n'
        ) || (self.escape_braces && matches!(byte, b'{' | b'}'))
    }

    fn needs_escape(&self, c: char, prev: Option<char>, next: Option<char>) -> bool {
        match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '|' | '~' | '$' => true,
            // Inside a word `_` cannot open or close emphasis: `snake_case` stays as is.
            '_' => {
                !(prev.is_some_and(char::is_alphanumeric)
                    && next.is_some_and(char::is_alphanumeric))
            }
            // `&amp;` and `&#42;` are entity references.
            '&' => next.is_some_and(|n| n.is_ascii_alphanumeric() || n == '#'),
            // `#` starts a heading at line start, and closes one after a space.
            '#' => prev.is_none_or(char::is_whitespace),
            '{' | '}' => self.escape_braces,
            _ => false,
        }
    }
}

/// If `line` starts like an ordered list item (`1.` or `12)`), the byte index
/// of its `.` or `)`.
fn ordered_list_delimiter(line: &str) -> Option<usize> {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let delimiter = line.as_bytes().get(digits)?;
    ((1..=9).contains(&digits) && matches!(delimiter, b'.' | b')')).then_some(digits)
}

/// The longest run of `ch` in `text`.
pub(crate) fn longest_run(text: &str, ch: char) -> usize {
    let mut longest = 0;
    let mut current = 0;
    for c in text.chars() {
        if c == ch {
            current += 1;
            longest = longest.max(current);
        } else {
            current = 0;
        }
    }
    longest
}

/// Appends an inline code span holding `content` literally.
///
/// Line breaks become spaces (a code span cannot hold a line that Markdown
/// would read as a new block); the backtick fence is longer than any run of
/// backticks inside.
pub(crate) fn push_code_span(out: &mut String, content: &str, context: InlineContext) {
    let content = content.replace(['\r', '\n'], " ");
    let fence = "`".repeat(longest_run(&content, '`') + 1);
    let pad = content.starts_with('`') || content.ends_with('`');
    out.push_str(&fence);
    if pad {
        out.push(' ');
    }
    push_table_safe(out, &content, context);
    if pad {
        out.push(' ');
    }
    out.push_str(&fence);
}

/// Appends `text`, escaping `|` when it sits in a table cell (GFM reads `\|`
/// as a pipe even inside code spans, math and link destinations).
pub(crate) fn push_table_safe(out: &mut String, text: &str, context: InlineContext) {
    if context == InlineContext::TableCell {
        out.push_str(&text.replace('|', "\\|"));
    } else {
        out.push_str(text);
    }
}

/// The backtick fence for a fenced code block holding `content`: at least
/// three backticks, and longer than any run of backticks inside.
pub(crate) fn code_fence(content: &str) -> String {
    "`".repeat((longest_run(content, '`') + 1).max(3))
}

/// Appends a link destination (the part in parentheses) for `url`.
///
/// Spaces and control characters are percent-encoded, and the characters
/// that would end or break the destination are backslash-escaped.
pub(crate) fn push_link_destination(out: &mut String, url: &str, context: InlineContext) {
    for c in url.chars() {
        match c {
            '(' | ')' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '|' if context == InlineContext::TableCell => out.push_str("\\|"),
            c if c.is_whitespace() || c.is_control() => push_percent_encoded(out, c),
            c => out.push(c),
        }
    }
}

/// Appends a URL escaped for a double-quoted HTML attribute (`href="..."`).
pub(crate) fn push_attribute(out: &mut String, url: &str) {
    for c in url.chars() {
        match c {
            '"' => out.push_str("&quot;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if c.is_whitespace() || c.is_control() => push_percent_encoded(out, c),
            c => out.push(c),
        }
    }
}

/// Appends `c` as `%XX` escapes of its UTF-8 bytes (a URL cannot hold it raw).
fn push_percent_encoded(out: &mut String, c: char) {
    let mut utf8 = [0u8; 4];
    for byte in c.encode_utf8(&mut utf8).bytes() {
        out.push('%');
        out.push(
            char::from_digit(u32::from(byte >> 4), 16)
                .unwrap_or('0')
                .to_ascii_uppercase(),
        );
        out.push(
            char::from_digit(u32::from(byte & 0xF), 16)
                .unwrap_or('0')
                .to_ascii_uppercase(),
        );
    }
}

/// Whether `expression` can sit between `$` delimiters and be read back as
/// math: no unescaped `$`, and balanced braces (pulldown-cmark pairs `$`
/// delimiters only at the same brace depth).
pub(crate) fn math_is_delimitable(expression: &str) -> bool {
    let mut depth = 0i64;
    let mut bytes = expression.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'\\' => match bytes.clone().next() {
                // A backslash before ASCII punctuation escapes it, even in math.
                Some(n) if n.is_ascii_punctuation() => {
                    bytes.next();
                }
                // A trailing backslash would escape the closing `$`.
                None => return false,
                Some(_) => {}
            },
            b'$' => return false,
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// Makes `text` safe inside an HTML comment (`--` would end or break it).
pub(crate) fn comment_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_alphanumeric() || " _.:/".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escape(text: &str) -> String {
        let mut out = String::new();
        TextEscaper::new(InlineContext::Block).push(&mut out, text);
        out
    }

    #[test]
    fn escapes_inline_syntax_everywhere() {
        // `>` only starts a quote at line start.
        assert_eq!(
            escape(r"a*b [c] <d> `e` \ ~f $g | h"),
            r"a\*b \[c\] \<d> \`e\` \\ \~f \$g \| h"
        );
    }

    #[test]
    fn leaves_words_readable() {
        assert_eq!(escape("snake_case in C# & more"), "snake_case in C# & more");
        assert_eq!(escape("_lead and trail_"), r"\_lead and trail\_");
        assert_eq!(escape("issue #42 &amp;"), r"issue \#42 \&amp;");
    }

    #[test]
    fn escapes_block_starts_at_line_start_only() {
        assert_eq!(escape("# not a heading - no"), r"\# not a heading - no");
        assert_eq!(escape("2026. a year"), r"2026\. a year");
        assert_eq!(
            escape("> quote\n- item\n  3) three"),
            "\\> quote\\\n\\- item\\\n3\\) three"
        );
        assert_eq!(escape("1234567890. too long"), "1234567890. too long");
    }

    #[test]
    fn line_breaks_follow_the_context() {
        let mut out = String::new();
        TextEscaper::new(InlineContext::TableCell).push(&mut out, "a\nb");
        assert_eq!(out, "a<br>b");
        let mut out = String::new();
        TextEscaper::new(InlineContext::Heading).push(&mut out, "a\r\nb");
        assert_eq!(out, "a b");
    }

    #[test]
    fn code_spans_outfence_their_backticks() {
        let mut out = String::new();
        push_code_span(&mut out, "a `b` c", InlineContext::Block);
        assert_eq!(out, "``a `b` c``");
        let mut out = String::new();
        push_code_span(&mut out, "`x|", InlineContext::TableCell);
        assert_eq!(out, "`` `x\\| ``");
        assert_eq!(code_fence("no ticks"), "```");
        assert_eq!(code_fence("````"), "`````");
    }

    #[test]
    fn destinations_stay_one_token() {
        let mut out = String::new();
        push_link_destination(&mut out, "https://x.org/a b(c)", InlineContext::Block);
        assert_eq!(out, r"https://x.org/a%20b\(c\)");
    }

    #[test]
    fn math_delimitability() {
        assert!(math_is_delimitable(r"\frac{a}{b} + \{x\}"));
        assert!(math_is_delimitable(r"\$5"));
        assert!(!math_is_delimitable("a $ b"));
        assert!(!math_is_delimitable("{a"));
        assert!(!math_is_delimitable("}a{"));
        assert!(!math_is_delimitable(r"a\"));
    }
}
