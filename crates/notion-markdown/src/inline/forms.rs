//! Choosing how each formatting mark is written: as Markdown delimiters
//! (`**`, `*`, `~~`, `[...](...)`) when CommonMark will read them back as
//! that mark, else as HTML (`<strong>`, `<em>`, `<del>`, `<a href>`).
//!
//! CommonMark pairs `*` and `~` delimiters by "flanking" rules that look at
//! the characters on either side of each delimiter run; a run after
//! punctuation and before a letter cannot close, a run that can both open
//! and close may pair with the wrong partner, and a paragraph that starts
//! with `[label]:` is a link reference definition. These checks decide, span
//! by span, which marks are safe as Markdown.

use std::ops::Range;

use super::{Form, MarkKind, Token, Tokens};
use crate::escape::InlineContext;

/// Decides, span by span, whether Markdown delimiters would be read back as
/// the marks they stand for, and switches those that would not to HTML.
/// Repeats until stable, since a switch changes its neighbours' surroundings.
///
/// The tests follow CommonMark's delimiter rules, conservatively: a
/// character outside ASCII that is not alphanumeric may or may not count as
/// punctuation, so both readings must work.
pub(super) fn choose_marker_forms(tokens: &mut Tokens) {
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
