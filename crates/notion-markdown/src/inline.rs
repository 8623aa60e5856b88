//! Inline Markdown: a sequence of formatted runs (text, code, math, each bold,
//! italic, struck through and/or linked) written as one line of Markdown.
//!
//! Formatting is kept as a stack of open marks, so runs that share formatting
//! share markers (`**a *b***`, never `**a*****b***`). Spaces at the edge of a
//! formatted run go outside its markers (never `** bold**`). A marker that
//! CommonMark's flanking rules would not read as one (`**重要。**这`: a closing
//! `**` after punctuation and before a letter) is written as HTML instead
//! (`<strong>`), so formatting never leaks into literal asterisks.

use std::borrow::Cow;
use std::ops::Range;

use crate::escape::{
    InlineContext, TextEscaper, push_code_span, push_link_destination, push_table_safe,
};

/// What a run holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunKind {
    /// Plain text, escaped so it renders literally.
    Text,
    /// Inline code.
    Code,
    /// An inline LaTeX equation.
    Math,
}

/// Formatting of a run that Markdown can express (underline and colour cannot).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Marks {
    pub(crate) bold: bool,
    pub(crate) italic: bool,
    pub(crate) strikethrough: bool,
    /// The link target, already absolute.
    pub(crate) link: Option<String>,
}

/// One run of inline content.
#[derive(Debug, Clone)]
pub(crate) struct InlineRun<'a> {
    pub(crate) text: Cow<'a, str>,
    pub(crate) kind: RunKind,
    pub(crate) marks: Marks,
}

impl<'a> InlineRun<'a> {
    /// An unformatted text run.
    pub(crate) fn text(text: impl Into<Cow<'a, str>>) -> Self {
        InlineRun {
            text: text.into(),
            kind: RunKind::Text,
            marks: Marks::default(),
        }
    }

    /// A text run linking to `url`.
    pub(crate) fn link(text: impl Into<Cow<'a, str>>, url: impl Into<String>) -> Self {
        InlineRun {
            marks: Marks {
                link: Some(url.into()),
                ..Marks::default()
            },
            ..InlineRun::text(text)
        }
    }
}

/// Writes `runs` as inline Markdown to `out`, trimmed of leading and trailing
/// whitespace. `context` says how line breaks inside the text are kept.
pub(crate) fn render_inline(runs: &[InlineRun<'_>], context: InlineContext, out: &mut String) {
    let pieces = pieces(runs, context);
    if pieces.is_empty() {
        return;
    }
    let mut tokens = tokenize(&pieces, context);
    choose_marker_forms(&mut tokens);
    assemble(&tokens, out);
}

/// A mark that opens and closes around runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MarkKind {
    Bold,
    Italic,
    Strikethrough,
    Link,
}

impl MarkKind {
    const ALL: [MarkKind; 4] = [
        MarkKind::Strikethrough,
        MarkKind::Bold,
        MarkKind::Italic,
        MarkKind::Link,
    ];

    /// How many delimiter characters the Markdown marker has.
    fn delimiter_len(self) -> usize {
        match self {
            MarkKind::Italic => 1,
            MarkKind::Bold | MarkKind::Strikethrough => 2,
            MarkKind::Link => 0,
        }
    }

    /// The Markdown delimiter character (links have none).
    fn delimiter(self) -> Option<char> {
        match self {
            MarkKind::Bold | MarkKind::Italic => Some('*'),
            MarkKind::Strikethrough => Some('~'),
            MarkKind::Link => None,
        }
    }
}

impl Marks {
    /// Whether the run carries `kind` (with the same target, for links: compare with `other`).
    fn has(&self, kind: MarkKind) -> bool {
        match kind {
            MarkKind::Bold => self.bold,
            MarkKind::Italic => self.italic,
            MarkKind::Strikethrough => self.strikethrough,
            MarkKind::Link => self.link.is_some(),
        }
    }

    /// Whether `kind` continues unchanged from `self` to `next`.
    fn continues(&self, next: &Marks, kind: MarkKind) -> bool {
        match kind {
            MarkKind::Link => self.link.is_some() && self.link == next.link,
            _ => self.has(kind) && next.has(kind),
        }
    }
}

/// A run split into its edges and its core: the whitespace at either edge is
/// written outside any marker that opens or closes there. A blank run is all core.
#[derive(Debug)]
struct Piece<'a> {
    text: Cow<'a, str>,
    core: Range<usize>,
    /// Whitespace only: all core, and it opens no mark.
    blank: bool,
    kind: RunKind,
    marks: Marks,
}

impl Piece<'_> {
    fn lead(&self) -> &str {
        &self.text[..self.core.start]
    }

    fn core(&self) -> &str {
        &self.text[self.core.clone()]
    }

    fn trail(&self) -> &str {
        &self.text[self.core.end..]
    }
}

/// Merges runs that would otherwise collide (adjacent code spans, adjacent
/// math), splits off edge whitespace, and trims the whole line.
fn pieces<'a>(runs: &'a [InlineRun<'a>], context: InlineContext) -> Vec<Piece<'a>> {
    let mut merged: Vec<Piece<'a>> = Vec::with_capacity(runs.len());
    for run in runs.iter().filter(|r| !r.text.is_empty()) {
        let is_blank = run.text.trim().is_empty();
        let kind = match run.kind {
            // Math `$` cannot delimit is written as code, and merges like code.
            RunKind::Math if !math_fits_dollars(&run.text, context) => RunKind::Code,
            kind => kind,
        };
        if let Some(last) = merged.last_mut()
            && kind != RunKind::Text
            && !is_blank
            && last.kind == kind
            && last.marks == run.marks
        {
            last.text.to_mut().push_str(&run.text);
            continue;
        }
        merged.push(Piece {
            text: Cow::Borrowed(run.text.as_ref()),
            core: 0..0,
            blank: is_blank,
            kind: if is_blank { RunKind::Text } else { kind },
            marks: run.marks.clone(),
        });
    }
    let is_blank = |p: &Piece<'_>| p.text.trim().is_empty();
    let Some(first) = merged.iter().position(|p| !is_blank(p)) else {
        return Vec::new();
    };
    let last = merged.iter().rposition(|p| !is_blank(p)).unwrap_or(first);
    merged.truncate(last + 1);
    merged.drain(..first);

    let count = merged.len();
    for i in 0..count {
        if is_blank(&merged[i]) {
            // A blank run keeps only the formatting its neighbours share, so no
            // marker opens or closes next to its whitespace (a link on nothing
            // but whitespace between unlinked text is dropped).
            let shared =
                |kind: MarkKind| merged[i - 1].marks.has(kind) && merged[i + 1].marks.has(kind);
            let (bold, italic, strikethrough) = (
                shared(MarkKind::Bold),
                shared(MarkKind::Italic),
                shared(MarkKind::Strikethrough),
            );
            // Likewise its link: a line break at a link's edge would not read back.
            let link_continues = merged[i - 1].marks.link == merged[i].marks.link
                && merged[i + 1].marks.link == merged[i].marks.link;
            let piece = &mut merged[i];
            piece.marks.bold = bold;
            piece.marks.italic = italic;
            piece.marks.strikethrough = strikethrough;
            if !link_continues {
                piece.marks.link = None;
            }
            piece.core = 0..piece.text.len();
            continue;
        }
        let piece = &mut merged[i];
        let text = piece.text.as_ref();
        let start = text.len() - text.trim_start().len();
        let end = text.trim_end().len();
        piece.core = start..end;
    }
    merged
}

/// How an opening or closing marker is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Markdown,
    Html,
}

#[derive(Debug)]
enum Token {
    /// Escaped text: written as is.
    Literal(String),
    /// Inline code or math, where a backslash escapes nothing: written as is.
    Verbatim(String),
    Open {
        kind: MarkKind,
        span: usize,
        link: Option<String>,
    },
    Close {
        kind: MarkKind,
        span: usize,
        link: Option<String>,
    },
}

struct Tokens {
    list: Vec<Token>,
    /// The form of each mark span, by span id.
    forms: Vec<Form>,
    context: InlineContext,
}

/// Turns pieces into literal text and open/close markers, keeping marks on a
/// stack so they nest.
fn tokenize(pieces: &[Piece<'_>], context: InlineContext) -> Tokens {
    let mut escaper = TextEscaper::new(context);
    escaper.escape_braces = pieces.iter().any(|p| p.kind == RunKind::Math);
    let mut tokens = Tokens {
        list: Vec::with_capacity(pieces.len() * 3),
        forms: Vec::new(),
        context,
    };
    let mut stack: Vec<(MarkKind, usize)> = Vec::new();
    let mut prev_marks = Marks::default();
    for (i, piece) in pieces.iter().enumerate() {
        // Close from the top of the stack down to the lowest mark that ends here.
        if let Some(lowest) = stack
            .iter()
            .position(|&(kind, _)| !prev_marks.continues(&piece.marks, kind))
        {
            while stack.len() > lowest {
                let (kind, span) = stack.pop().expect("stack is longer than lowest");
                tokens.list.push(Token::Close {
                    kind,
                    span,
                    link: prev_marks.link.clone(),
                });
            }
        }
        // The edges of the whole line are dropped: no lead before the first
        // piece, and the last piece's trail is never written.
        if i > 0 {
            tokens.push_text(&mut escaper, pieces[i - 1].trail());
            tokens.push_text(&mut escaper, piece.lead());
        }
        // Open what is missing, the longest-lasting mark outermost. A blank
        // piece opens nothing: the next piece opens after its whitespace.
        let mut opening: Vec<(MarkKind, usize)> = MarkKind::ALL
            .into_iter()
            .filter(|&kind| {
                !piece.blank && piece.marks.has(kind) && !stack.iter().any(|&(k, _)| k == kind)
            })
            .map(|kind| {
                let lasts = pieces[i..]
                    .windows(2)
                    .take_while(|w| w[0].marks.continues(&w[1].marks, kind))
                    .count();
                (kind, lasts)
            })
            .collect();
        opening.sort_by_key(|&(_, lasts)| std::cmp::Reverse(lasts));
        for (kind, _) in opening {
            let span = tokens.forms.len();
            tokens.forms.push(Form::Markdown);
            stack.push((kind, span));
            tokens.list.push(Token::Open {
                kind,
                span,
                link: piece.marks.link.clone(),
            });
            escaper.line_start = false;
        }
        match piece.kind {
            RunKind::Text => tokens.push_text(&mut escaper, piece.core()),
            RunKind::Code => {
                let mut code = String::new();
                push_code_span(&mut code, piece.core(), context);
                tokens.push_verbatim(&mut escaper, code);
            }
            RunKind::Math => tokens.push_math(&mut escaper, piece.core()),
        }
        // What is open now: the piece's marks, or for a blank piece those that stayed open.
        prev_marks = Marks {
            bold: stack.iter().any(|&(k, _)| k == MarkKind::Bold),
            italic: stack.iter().any(|&(k, _)| k == MarkKind::Italic),
            strikethrough: stack.iter().any(|&(k, _)| k == MarkKind::Strikethrough),
            link: piece
                .marks
                .link
                .clone()
                .filter(|_| stack.iter().any(|&(k, _)| k == MarkKind::Link)),
        };
    }
    while let Some((kind, span)) = stack.pop() {
        tokens.list.push(Token::Close {
            kind,
            span,
            link: prev_marks.link.clone(),
        });
    }
    tokens
}

impl Tokens {
    fn push_text(&mut self, escaper: &mut TextEscaper, text: &str) {
        if text.is_empty() {
            return;
        }
        let mut escaped = String::with_capacity(text.len() + 8);
        escaper.push(&mut escaped, text);
        if !escaped.is_empty() {
            self.list.push(Token::Literal(escaped));
        }
    }

    fn push_verbatim(&mut self, escaper: &mut TextEscaper, verbatim: String) {
        escaper.line_start = false;
        self.list.push(Token::Verbatim(verbatim));
    }

    /// `$expression$` (on one line: a line break inside would let Markdown read a new block).
    fn push_math(&mut self, escaper: &mut TextEscaper, expression: &str) {
        let mut math = String::with_capacity(expression.len() + 2);
        math.push('$');
        push_table_safe(
            &mut math,
            &expression.replace(['\r', '\n'], " "),
            self.context,
        );
        math.push('$');
        self.push_verbatim(escaper, math);
    }
}

/// Whether an inline equation can be written between `$` delimiters.
fn math_fits_dollars(expression: &str, context: InlineContext) -> bool {
    crate::escape::math_is_delimitable(expression.trim())
        && !(context == InlineContext::TableCell && expression.contains('|'))
}

/// Decides, span by span, whether Markdown delimiters would be read back as
/// the marks they stand for, and switches those that would not to HTML.
/// Repeats until stable, since a switch changes its neighbours' surroundings.
///
/// The tests follow CommonMark's delimiter rules, conservatively: a
/// character outside ASCII that is not alphanumeric may or may not count as
/// punctuation, so both readings must work.
fn choose_marker_forms(tokens: &mut Tokens) {
    let mut open_at = vec![0; tokens.forms.len()];
    let mut close_at = vec![0; tokens.forms.len()];
    for (i, token) in tokens.list.iter().enumerate() {
        match token {
            Token::Open { span, .. } => open_at[*span] = i,
            Token::Close { span, .. } => close_at[*span] = i,
            Token::Literal(_) | Token::Verbatim(_) => {}
        }
    }
    guard_reference_definition(tokens);
    loop {
        let runs = tokens.delimiter_runs();
        let run_of = |token: usize| runs.iter().find(|r| r.tokens.contains(&token));
        let mut failing = Vec::new();
        for span in 0..tokens.forms.len() {
            let (Some(opener), Some(closer)) = (run_of(open_at[span]), run_of(close_at[span]))
            else {
                continue;
            };
            let safe = if opener.delimiter == '~' {
                // `~~` opens before any non-space; it closes like emphasis.
                opener.after.is_some_and(|c| !c.is_whitespace()) && closer.right(Reading::Surely)
            } else {
                let enclosed_by_same = (0..tokens.forms.len()).any(|outer| {
                    outer != span
                        && tokens.forms[outer] == Form::Markdown
                        && open_at[outer] < opener.tokens.start
                        && close_at[outer] > open_at[span]
                        && tokens.markdown_delimiter(open_at[outer]) == Some('*')
                });
                let mixed = opener.right(Reading::Possibly) || closer.left(Reading::Possibly);
                let rule_of_three = mixed
                    && (opener.len + closer.len) % 3 == 0
                    && !(opener.len % 3 == 0 && closer.len % 3 == 0);
                opener.left(Reading::Surely)
                    && closer.right(Reading::Surely)
                    && !opener.has_close
                    && !(opener.right(Reading::Possibly) && enclosed_by_same)
                    && !rule_of_three
            };
            if !safe {
                failing.push(span);
            }
        }
        if failing.is_empty() {
            return;
        }
        for span in failing {
            tokens.forms[span] = Form::Html;
        }
    }
}

/// Adjacent Markdown markers of one delimiter character, which CommonMark
/// reads as one delimiter run.
struct DelimiterRun {
    tokens: Range<usize>,
    delimiter: char,
    /// Number of delimiter characters.
    len: usize,
    /// The run holds a closing marker.
    has_close: bool,
    before: Option<char>,
    after: Option<char>,
}

/// How sure we are that a character counts as CommonMark punctuation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Punctuation {
    Yes,
    No,
    /// Outside ASCII and not alphanumeric: tables differ (symbols, emoji).
    Maybe,
}

fn punctuation(c: char) -> Punctuation {
    if c.is_ascii_punctuation() {
        Punctuation::Yes
    } else if c.is_alphanumeric() || c.is_whitespace() {
        Punctuation::No
    } else {
        Punctuation::Maybe
    }
}

/// Which reading of an unsure character a flanking test takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// True whichever way it is read.
    Surely,
    /// True under at least one reading.
    Possibly,
}

impl DelimiterRun {
    /// Whether the run is left-flanking (may open).
    fn left(&self, reading: Reading) -> bool {
        flanking(self.before, self.after, reading)
    }

    /// Whether the run is right-flanking (may close).
    fn right(&self, reading: Reading) -> bool {
        flanking(self.after, self.before, reading)
    }
}

/// CommonMark's flanking test, written for a left-flanking run (`outside`
/// before it, `inside` after it); swap the two for right-flanking: the
/// inside is not whitespace, and is not punctuation or the outside is
/// whitespace, punctuation or the line's edge.
fn flanking(outside: Option<char>, inside: Option<char>, reading: Reading) -> bool {
    let Some(inside) = inside else { return false };
    if inside.is_whitespace() {
        return false;
    }
    let counts = |p: Punctuation, want: Punctuation| {
        p == want || (p == Punctuation::Maybe && reading == Reading::Possibly)
    };
    counts(punctuation(inside), Punctuation::No)
        || outside.is_none_or(|o| o.is_whitespace() || counts(punctuation(o), Punctuation::Yes))
}

impl Tokens {
    /// The delimiter runs of the markers currently written as Markdown.
    fn delimiter_runs(&self) -> Vec<DelimiterRun> {
        let mut runs = Vec::new();
        let mut i = 0;
        while i < self.list.len() {
            let Some(delimiter) = self.markdown_delimiter(i) else {
                i += 1;
                continue;
            };
            let mut end = i + 1;
            while end < self.list.len() && self.markdown_delimiter(end) == Some(delimiter) {
                end += 1;
            }
            let markers = &self.list[i..end];
            runs.push(DelimiterRun {
                tokens: i..end,
                delimiter,
                len: markers
                    .iter()
                    .map(|t| match t {
                        Token::Open { kind, .. } | Token::Close { kind, .. } => {
                            kind.delimiter_len()
                        }
                        Token::Literal(_) | Token::Verbatim(_) => 0,
                    })
                    .sum(),
                has_close: markers.iter().any(|t| matches!(t, Token::Close { .. })),
                before: self.char_before(i),
                after: self.char_after(end - 1),
            });
            i = end;
        }
        runs
    }

    /// The delimiter character of token `i`, if it is a marker written as Markdown.
    fn markdown_delimiter(&self, i: usize) -> Option<char> {
        match &self.list[i] {
            Token::Open { kind, span, .. } | Token::Close { kind, span, .. }
                if self.forms[*span] == Form::Markdown =>
            {
                kind.delimiter()
            }
            _ => None,
        }
    }

    /// The last character written before token `i` (markers count as the
    /// ASCII punctuation they are written with).
    fn char_before(&self, i: usize) -> Option<char> {
        self.list[..i].iter().rev().find_map(|t| match t {
            Token::Literal(s) | Token::Verbatim(s) => s.chars().last(),
            Token::Open { .. } | Token::Close { .. } => Some('>'),
        })
    }

    /// The first character written after token `i`.
    fn char_after(&self, i: usize) -> Option<char> {
        self.list[i + 1..].iter().find_map(|t| match t {
            Token::Literal(s) | Token::Verbatim(s) => s.chars().next(),
            Token::Open { .. } | Token::Close { .. } => Some('<'),
        })
    }
}

/// A paragraph starting with `[label]:` is a link reference definition,
/// whatever follows. Escaped text cannot end a label, but code or math can
/// (`` [`a]:` ``): a paragraph that opens with a link holding such a span
/// gets that link as HTML.
fn guard_reference_definition(tokens: &mut Tokens) {
    if tokens.context != InlineContext::Block {
        return;
    }
    if let Some(Token::Open {
        kind: MarkKind::Link,
        span,
        ..
    }) = tokens.list.first()
        && tokens
            .list
            .iter()
            .any(|t| matches!(t, Token::Verbatim(v) if v.contains(']')))
    {
        tokens.forms[*span] = Form::Html;
    }
}

/// Appends `text` escaped for a double-quoted HTML attribute.
fn push_attribute(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '"' => out.push_str("&quot;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if c.is_whitespace() || c.is_control() => {
                let mut utf8 = [0u8; 4];
                for byte in c.encode_utf8(&mut utf8).bytes() {
                    out.push_str(&format!("%{byte:02X}"));
                }
            }
            c => out.push(c),
        }
    }
}

/// Writes the tokens out with their chosen forms.
fn assemble(tokens: &Tokens, out: &mut String) {
    for token in &tokens.list {
        match token {
            Token::Literal(s) | Token::Verbatim(s) => out.push_str(s),
            Token::Open { kind, span, link } => match (kind, tokens.forms[*span]) {
                (MarkKind::Link, Form::Markdown) => {
                    if out.ends_with('!') {
                        // `![` would start an image.
                        out.insert(out.len() - 1, '\\');
                    }
                    out.push('[');
                }
                (MarkKind::Link, Form::Html) => {
                    out.push_str("<a href=\"");
                    push_attribute(out, link.as_deref().unwrap_or_default());
                    out.push_str("\">");
                }
                (kind, form) => out.push_str(marker(*kind, form, true)),
            },
            Token::Close { kind, span, link } => match (kind, tokens.forms[*span]) {
                (MarkKind::Link, Form::Markdown) => {
                    out.push_str("](");
                    push_link_destination(out, link.as_deref().unwrap_or_default(), tokens.context);
                    out.push(')');
                }
                (MarkKind::Link, Form::Html) => out.push_str("</a>"),
                (kind, form) => out.push_str(marker(*kind, form, false)),
            },
        }
    }
}

/// The marker of an emphasis mark (links are written by [`assemble`]).
fn marker(kind: MarkKind, form: Form, open: bool) -> &'static str {
    match (kind, form, open) {
        (MarkKind::Link, _, _) => "",
        (MarkKind::Bold, Form::Markdown, _) => "**",
        (MarkKind::Italic, Form::Markdown, _) => "*",
        (MarkKind::Strikethrough, Form::Markdown, _) => "~~",
        (MarkKind::Bold, Form::Html, true) => "<strong>",
        (MarkKind::Bold, Form::Html, false) => "</strong>",
        (MarkKind::Italic, Form::Html, true) => "<em>",
        (MarkKind::Italic, Form::Html, false) => "</em>",
        (MarkKind::Strikethrough, Form::Html, true) => "<del>",
        (MarkKind::Strikethrough, Form::Html, false) => "</del>",
    }
}
