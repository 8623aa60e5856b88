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

mod forms;

use crate::escape::{
    InlineContext, TextEscaper, push_attribute, push_code_span, push_link_destination,
    push_table_safe,
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
    if runs
        .iter()
        .all(|r| r.kind == RunKind::Text && r.marks == Marks::default())
    {
        render_plain(runs, context, out);
        return;
    }
    let pieces = pieces(runs, context);
    if pieces.is_empty() {
        return;
    }
    let mut tokens = tokenize(&pieces, context);
    forms::choose_marker_forms(&mut tokens);
    assemble(&tokens, out);
}

/// Unformatted text (most of it): escaped as one, with nothing to pair, so
/// the escaper sees across the runs' edges.
fn render_plain(runs: &[InlineRun<'_>], context: InlineContext, out: &mut String) {
    let mut escaper = TextEscaper::new(context);
    if let [run] = runs {
        escaper.push_whole(out, run.text.trim());
        return;
    }
    let text: String = runs.iter().map(|r| r.text.as_ref()).collect();
    escaper.push_whole(out, text.trim());
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
    /// Whether the run carries `kind`.
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
            escaper.after_markup();
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
            escaper.after_markup();
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
        escaper.after_markup();
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
