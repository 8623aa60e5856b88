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
/// would start a block), the character written last (emphasis delimiters
/// depend on their neighbours), and whether braces must be escaped (they
/// steer pulldown-cmark's pairing of `$` math delimiters).
///
/// A character is escaped only where it would change the Markdown's meaning
/// in its position: `1.` only where it would start a list item (never in a
/// heading or a table cell), `&` only before what reads as an entity, `#`
/// only where it would open or close a heading, `*`, `_`, `~` and `$` unless
/// spaces on both sides keep them literal. What the escaper cannot see (the
/// text of the next run, past a formatting marker) counts as the worst case.
#[derive(Debug, Clone)]
pub(crate) struct TextEscaper {
    context: InlineContext,
    /// The next character written starts a line of the block.
    pub(crate) line_start: bool,
    /// The character before the next one, when known: `Some('\n')` at the
    /// start of a line, `None` after a formatting marker or code span.
    prev: Option<char>,
    /// Escape `{` and `}` (set when the inline text holds math).
    pub(crate) escape_braces: bool,
}

impl TextEscaper {
    /// An escaper for text that starts at the beginning of a line.
    pub(crate) fn new(context: InlineContext) -> Self {
        TextEscaper {
            context,
            line_start: true,
            prev: Some('\n'),
            escape_braces: false,
        }
    }

    /// Markup (a formatting marker, a code span, math) was written outside
    /// the escaper: the next character neither starts a line nor has a known
    /// neighbour.
    pub(crate) fn after_markup(&mut self) {
        self.line_start = false;
        self.prev = None;
    }

    /// Appends `text` to `out`, escaped so that it renders literally; more
    /// may follow on its line.
    ///
    /// Leading spaces and tabs of a line are dropped (Markdown would read
    /// them as indentation); line breaks are written as the context wants.
    pub(crate) fn push(&mut self, out: &mut String, text: &str) {
        self.push_text(out, text, false);
    }

    /// Appends `text`, the whole of the inline content: its end is the end
    /// of the line (or of the table cell), which keeps a final `&`, `*` or
    /// `<` literal.
    pub(crate) fn push_whole(&mut self, out: &mut String, text: &str) {
        self.push_text(out, text, true);
    }

    fn push_text(&mut self, out: &mut String, text: &str, ends_line: bool) {
        if !self.line_start && !text.bytes().any(|b| self.may_need_escape(b)) {
            out.push_str(text);
            if let Some(last) = text.chars().next_back() {
                self.prev = Some(last);
            }
            return;
        }
        // Byte index of a `.` or `)` that would make a line read as an ordered list item.
        let mut list_delimiter_at: Option<usize> = None;
        for (i, c) in text.char_indices() {
            let rest = &text[i + c.len_utf8()..];
            if c == '\r' || c == '\n' {
                if c == '\r' && rest.starts_with('\n') {
                    continue;
                }
                self.push_line_break(out);
                continue;
            }
            if self.line_start {
                if c == ' ' || c == '\t' {
                    continue;
                }
                self.line_start = false;
                if self.context == InlineContext::Block {
                    let line = &text[i..];
                    let line = &line[..line.find(['\r', '\n']).unwrap_or(line.len())];
                    if starts_block(line) {
                        out.push('\\');
                        out.push(c);
                        self.prev = Some(c);
                        continue;
                    }
                    list_delimiter_at = ordered_list_delimiter(line).map(|at| i + at);
                }
            }
            if list_delimiter_at == Some(i) || self.needs_escape(c, rest, ends_line) {
                out.push('\\');
            }
            out.push(c);
            self.prev = Some(c);
        }
    }

    fn push_line_break(&mut self, out: &mut String) {
        match self.context {
            InlineContext::Block => {
                if !self.line_start {
                    out.push_str("\\\n");
                    self.line_start = true;
                    self.prev = Some('\n');
                }
            }
            InlineContext::Heading => {
                out.push(' ');
                self.prev = Some(' ');
            }
            InlineContext::TableCell => {
                out.push_str("<br>");
                self.prev = Some('>');
            }
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

    /// Whether `c`, written after `self.prev` and before `rest`, must be
    /// escaped to stay literal. `ends_line`: the line ends after `rest`.
    fn needs_escape(&self, c: char, rest: &str, ends_line: bool) -> bool {
        let next = rest.chars().next();
        let at_end = ends_line && rest.is_empty();
        let spaced = |ch: Option<char>| matches!(ch, Some(' ' | '\t'));
        // The end of a line counts as a space for delimiters.
        let spaced_after = spaced(next) || at_end;
        match c {
            // A backslash escapes only ASCII punctuation (and ends a line as a
            // hard break); an unknown next character may be either.
            '\\' => next.is_none_or(|n| n.is_ascii_punctuation() || n == '\n' || n == '\r'),
            '`' | '[' | ']' => true,
            // A delimiter with a space on both sides can neither open nor close.
            '*' | '~' | '$' => !(spaced(self.prev) && spaced_after),
            // Inside a word `_` cannot open or close emphasis either: `snake_case` stays as is.
            '_' => {
                let alphanumeric = |ch: Option<char>| ch.is_some_and(char::is_alphanumeric);
                !(spaced(self.prev) && spaced_after
                    || alphanumeric(self.prev) && alphanumeric(next))
            }
            // `<` opens HTML or an autolink only before a letter, `/`, `!` or `?`.
            '<' => {
                !at_end
                    && next.is_none_or(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?'))
            }
            // A table cell ends at `|`; GFM also reads a line of pipes and
            // dashes after a paragraph line as a table.
            '|' => self.context != InlineContext::Heading,
            '&' => reads_as_entity(rest, ends_line),
            // `#` closes a heading when only `#`s and spaces follow it, after a space.
            '#' => {
                self.context == InlineContext::Heading
                    && self.prev.is_none_or(char::is_whitespace)
                    && rest.trim_start_matches('#').trim().is_empty()
            }
            '{' | '}' => self.escape_braces,
            _ => false,
        }
    }
}

/// The characters other than line breaks that pulldown-cmark counts as
/// whitespace after a block marker (`#\x0C` opens a heading).
const MARKDOWN_SPACE: [char; 4] = [' ', '\t', '\u{B}', '\u{C}'];

/// Whether a line of a block starting with `line` would start a block other
/// than a paragraph (or turn the paragraph above into a heading): a quote, a
/// heading, a bullet, a thematic break or a setext underline. The end of
/// `line` may be the end of a run, with more text unseen: it counts as the
/// worst case (the end of the line).
fn starts_block(line: &str) -> bool {
    let Some(first) = line.chars().next() else {
        return false;
    };
    // After a run of `first`: a space, a tab, the end of the line, or unseen text.
    let run = line.len() - line.trim_start_matches(first).len();
    let after_run = &line[run..];
    let ends_or_spaced = |s: &str| s.is_empty() || s.starts_with(MARKDOWN_SPACE);
    // Only `first` and spaces: a thematic break (three or more), or a
    // setext underline for `-`.
    let only_markers = line
        .chars()
        .all(|ch| ch == first || MARKDOWN_SPACE.contains(&ch));
    match first {
        '>' => true,
        '#' => run <= 6 && ends_or_spaced(after_run),
        '+' => ends_or_spaced(&line[1..]),
        '-' | '*' => ends_or_spaced(&line[1..]) || only_markers,
        '_' => only_markers,
        '=' => after_run.trim().is_empty(),
        _ => false,
    }
}

/// If `line` starts like an ordered list item (`1.` or `12)` then a space, a
/// tab or the end of the line), the byte index of its `.` or `)`.
fn ordered_list_delimiter(line: &str) -> Option<usize> {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if !(1..=9).contains(&digits) || !matches!(line.as_bytes().get(digits), Some(b'.' | b')')) {
        return None;
    }
    let after = &line[digits + 1..];
    (after.is_empty() || after.starts_with(MARKDOWN_SPACE)).then_some(digits)
}

/// Whether the text after a `&` makes it an entity or character reference
/// (`&amp;`, `&#123;`, `&#x1F;`), or may once unseen text follows
/// (unless `ends_line`: nothing follows `rest` on its line).
fn reads_as_entity(rest: &str, ends_line: bool) -> bool {
    let (digits, body): (fn(&u8) -> bool, &str) =
        if let Some(hex) = rest.strip_prefix("#x").or_else(|| rest.strip_prefix("#X")) {
            (u8::is_ascii_hexdigit, hex)
        } else if let Some(decimal) = rest.strip_prefix('#') {
            (u8::is_ascii_digit, decimal)
        } else {
            (u8::is_ascii_alphanumeric, rest)
        };
    let len = body.bytes().take_while(digits).count();
    match body.as_bytes().get(len) {
        Some(b';') => len > 0,
        // The text ends inside the name: what comes next may end it with `;`.
        None => !ends_line,
        Some(_) => false,
    }
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

    fn escape_in(context: InlineContext, text: &str) -> String {
        let mut out = String::new();
        TextEscaper::new(context).push(&mut out, text);
        out
    }

    #[test]
    fn escapes_inline_syntax_everywhere() {
        // `>` only starts a quote at line start; a backslash before a space escapes nothing.
        assert_eq!(
            escape(r"a*b [c] <d> `e` \ ~f $g | h"),
            r"a\*b \[c\] \<d> \`e\` \ \~f \$g \| h"
        );
        assert_eq!(escape(r"C:\Users\x a\*b"), r"C:\Users\x a\\\*b");
    }

    #[test]
    fn leaves_words_readable() {
        assert_eq!(escape("snake_case in C# & more"), "snake_case in C# & more");
        assert_eq!(escape("_lead and trail_"), r"\_lead and trail\_");
        assert_eq!(
            escape("issue #42 &amp; AT&T Inc"),
            r"issue #42 \&amp; AT&T Inc"
        );
        assert_eq!(
            escape("&#123; &#x1F; &#; &x y"),
            r"\&#123; \&#x1F; &#; &x y"
        );
        assert_eq!(escape("5 * 3 = 15 ~ 2 $ a < b"), "5 * 3 = 15 ~ 2 $ a < b");
        assert_eq!(escape("1.5 million, 0.0"), "1.5 million, 0.0");
    }

    #[test]
    fn escapes_block_starts_at_line_start_only() {
        assert_eq!(escape("# not a heading - no"), r"\# not a heading - no");
        assert_eq!(escape("#hashtag"), "#hashtag");
        assert_eq!(escape("2026. a year"), r"2026\. a year");
        assert_eq!(
            escape("> quote\n- item\n  3) three"),
            "\\> quote\\\n\\- item\\\n3\\) three"
        );
        assert_eq!(escape("1234567890. too long"), "1234567890. too long");
        assert_eq!(escape("a\n---"), "a\\\n\\---");
        assert_eq!(escape("a\n=="), "a\\\n\\==");
        assert_eq!(escape("--flag and ==>"), "--flag and ==>");
        assert_eq!(escape("+1"), "+1");
        assert_eq!(escape("+ 1"), r"\+ 1");
        assert_eq!(escape("* * *"), r"\* * \*");
        assert_eq!(escape("1."), r"1\.");
        // pulldown-cmark counts a form feed or a vertical tab as a space after `#`.
        assert_eq!(escape("#\u{C}x"), "\\#\u{C}x");
        assert_eq!(escape("1.\u{B}x"), "1\\.\u{B}x");
    }

    #[test]
    fn headings_and_cells_hold_no_blocks() {
        assert_eq!(
            escape_in(InlineContext::Heading, "1. Notion original"),
            "1. Notion original"
        );
        assert_eq!(
            escape_in(InlineContext::Heading, "- > a | b #1"),
            "- > a | b #1"
        );
        // A trailing run of `#` after a space would close the heading.
        assert_eq!(escape_in(InlineContext::Heading, "C #"), r"C \#");
        assert_eq!(escape_in(InlineContext::Heading, "#"), r"\#");
        assert_eq!(escape_in(InlineContext::Heading, "C# ##"), r"C# \##");
        assert_eq!(escape_in(InlineContext::TableCell, "0.0"), "0.0");
        assert_eq!(escape_in(InlineContext::TableCell, "- a | b"), r"- a \| b");
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
