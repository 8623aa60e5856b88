//! Exact token counts of any span of a document from a single encoding of it.
//!
//! tiktoken first cuts text into *pieces* with a regular expression, then
//! runs BPE inside each piece. Encoding a slice of a document can therefore
//! only differ from the document's own tokens near the slice's edges. This
//! module finds *cuts*: positions `s` where, for any text `x` ending at `s`
//! and any text `y` starting at `s`, `count(x + y) == count(x) + count(y)`.
//! Between two cuts a slice has exactly the document's tokens, so a span is
//! counted as: encode(head + text up to the first cut) + document tokens
//! between the first and last cut + encode(text after the last cut + tail).
//! Only those short edges are encoded again.
//!
//! Why a cut is one (for both `o200k_base` and `cl100k_base`): no piece of
//! `x + y` may cross `s`, and the pieces of `x` must not change when `y` is
//! taken away (the patterns have no look-behind, so the pieces of `y` never
//! depend on `x`). Both hold when
//! - the character before `s` is a letter or digit (the end of a letter or
//!   number piece, which stops at the same place whether text follows or not)
//!   and the character at `s` is whitespace or punctuation other than an
//!   apostrophe (which o200k's letter pieces can absorb as `'s`, `'ll`, ...);
//! - or the character before `s` is a newline and the one at `s` is neither
//!   whitespace nor `/` (o200k's punctuation pieces may absorb `\n/`): the
//!   newline run ends a piece, matched by the same alternative either way.
//!
//! The property tests check this against tiktoken on generated text.

use crate::encoding::Encoding;

/// A position where token counts are additive, with the index of the
/// document token that starts there.
#[derive(Debug, Clone, Copy)]
struct Cut {
    pos: usize,
    token: usize,
}

/// Token offsets of one document and counting of its spans.
pub(crate) struct Measure<'t> {
    encoding: &'static Encoding,
    text: &'t str,
    /// Byte offset where each document token starts, then `text.len()`.
    starts: Vec<usize>,
    /// Cuts in document order.
    cuts: Vec<Cut>,
    scratch: String,
}

/// A chunk start with the text placed before it (contextual header, repeated
/// table header, re-opened fence); spans from here are counted against it.
pub(crate) struct Anchor {
    start: usize,
    head: String,
    /// The first cut after `start`, when close enough to matter.
    cut: Option<Cut>,
    /// Tokens of `head + text[start..cut]`, once computed.
    head_tokens: Option<usize>,
}

impl<'t> Measure<'t> {
    /// Encodes `text` once and maps its tokens to byte offsets.
    pub(crate) fn new(encoding: &'static Encoding, text: &'t str) -> Measure<'t> {
        let tokens = encoding.encode(text);
        let mut starts = Vec::with_capacity(tokens.len() + 1);
        let mut offset = 0;
        for &rank in &tokens {
            starts.push(offset);
            offset += encoding.token_len(rank);
        }
        let cuts = if offset == text.len() {
            starts.push(offset);
            find_cuts(text, &starts)
        } else {
            // Cannot happen with tiktoken's lossless ordinary encoding; stay
            // correct anyway: no cuts means every span is encoded whole, and
            // an under-estimate of the token density only widens windows.
            starts.clear();
            starts.extend((0..tokens.len()).map(|i| (i * 8).min(text.len())));
            starts.push(text.len());
            Vec::new()
        };
        Measure {
            encoding,
            text,
            starts,
            cuts,
            scratch: String::new(),
        }
    }

    /// The document text.
    pub(crate) fn text(&self) -> &'t str {
        self.text
    }

    /// How many document tokens start before `pos`.
    fn tokens_before(&self, pos: usize) -> usize {
        let token_count = self.starts.len() - 1;
        self.starts[..token_count].partition_point(|&s| s < pos)
    }

    /// Document tokens starting in `start..end`: close to the count of that
    /// span (a guess, not a measure).
    pub(crate) fn tokens_between(&self, start: usize, end: usize) -> usize {
        self.tokens_before(end)
            .saturating_sub(self.tokens_before(start))
    }

    /// The byte offset `tokens` document tokens after `pos` (a window limit).
    pub(crate) fn pos_after(&self, pos: usize, tokens: usize) -> usize {
        let token_count = self.starts.len() - 1;
        let index = (self.tokens_before(pos) + tokens).min(token_count);
        self.starts[index].max(pos)
    }

    /// The byte offset `tokens` document tokens before `pos` (a window limit).
    pub(crate) fn pos_before(&self, pos: usize, tokens: usize) -> usize {
        let index = self.tokens_before(pos).saturating_sub(tokens);
        self.starts[index].min(pos)
    }

    /// An anchor at `start` with `head` before it. Cuts at or beyond `limit`
    /// are ignored (spans counted from this anchor end before it).
    pub(crate) fn anchor(&self, head: String, start: usize, limit: usize) -> Anchor {
        let index = self.cuts.partition_point(|c| c.pos <= start);
        let cut = self.cuts.get(index).copied().filter(|c| c.pos < limit);
        Anchor {
            start,
            head,
            cut,
            head_tokens: None,
        }
    }

    /// Exact tokens of `anchor.head + text[anchor.start..end] + tail`.
    pub(crate) fn count(&mut self, anchor: &mut Anchor, end: usize, tail: &str) -> usize {
        let end = end.max(anchor.start);
        match anchor.cut {
            Some(first) if first.pos < end => {
                let head_tokens = match anchor.head_tokens {
                    Some(tokens) => tokens,
                    None => {
                        let tokens = self.encode_joined(&anchor.head, anchor.start..first.pos, "");
                        anchor.head_tokens = Some(tokens);
                        tokens
                    }
                };
                // `first` itself qualifies, so this finds a cut at or after it.
                let last = self.cuts[self.cuts.partition_point(|c| c.pos < end) - 1];
                head_tokens
                    + (last.token - first.token)
                    + self.encode_joined("", last.pos..end, tail)
            }
            _ => self.encode_joined(&anchor.head, anchor.start..end, tail),
        }
    }

    /// Exact tokens of `text` (any text, not a span of the document).
    pub(crate) fn count_text(&self, text: &str) -> usize {
        self.encoding.count(text)
    }

    /// Exact tokens of `head + text[range] + tail`.
    fn encode_joined(&mut self, head: &str, range: std::ops::Range<usize>, tail: &str) -> usize {
        self.scratch.clear();
        self.scratch.push_str(head);
        self.scratch.push_str(&self.text[range]);
        self.scratch.push_str(tail);
        self.encoding.count(&self.scratch)
    }
}

/// The cuts of `text`: token starts where counts are additive (see module docs).
fn find_cuts(text: &str, starts: &[usize]) -> Vec<Cut> {
    let token_count = starts.len() - 1;
    let mut cuts = Vec::with_capacity(token_count / 2);
    for (token, &pos) in starts[..token_count].iter().enumerate() {
        if pos == 0 || !text.is_char_boundary(pos) {
            continue;
        }
        let before = text[..pos].chars().next_back();
        let after = text[pos..].chars().next();
        if let (Some(before), Some(after)) = (before, after)
            && is_cut(before, after)
        {
            cuts.push(Cut { pos, token });
        }
    }
    cuts
}

/// Whether a position between `before` and `after` is a cut.
pub(crate) fn is_cut(before: char, after: char) -> bool {
    if before == '\n' {
        return !after.is_whitespace() && after != '/';
    }
    is_letter_or_digit(before) && (after.is_whitespace() || opens_punctuation_piece(after))
}

/// A character surely in `\p{L}` or `\p{N}` (a conservative subset: a
/// character left out only costs a cut).
fn is_letter_or_digit(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c,
            '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{24F}' // Latin
            | '\u{391}'..='\u{3A1}' | '\u{3A3}'..='\u{3A9}' | '\u{3B1}'..='\u{3C9}' // Greek
            | '\u{400}'..='\u{481}' | '\u{48A}'..='\u{52F}' // Cyrillic
            | '\u{5D0}'..='\u{5EA}' // Hebrew
            | '\u{620}'..='\u{64A}' // Arabic
            | '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FA}' // Hiragana, Katakana
            | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FEF}' // CJK ideographs
            | '\u{AC00}'..='\u{D7A3}' // Hangul syllables
        )
}

/// Punctuation that no letter or number piece absorbs from its left.
fn opens_punctuation_piece(c: char) -> bool {
    (c.is_ascii_punctuation() && c != '\'')
        || matches!(
            c,
            '\u{3001}' | '\u{3002}' | '\u{3008}'
                ..='\u{3011}' // 、。〈〉《》「」『』【】
            | '\u{FF01}' | '\u{FF08}' | '\u{FF09}' | '\u{FF0C}' | '\u{FF1A}' | '\u{FF1B}' | '\u{FF1F}'
        )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::config::Tokenizer;

    /// Text made of the characters where tiktoken's pieces are most subtle.
    fn tricky_text() -> impl Strategy<Value = String> {
        let atoms = prop::sample::select(vec![
            "a",
            "Ab",
            "ABC",
            "x1",
            "123",
            "4567",
            " ",
            "  ",
            "\t",
            "\n",
            "\n\n",
            " \n",
            "\r\n",
            "'s",
            "'T",
            "’",
            ".",
            "...",
            "/",
            "//",
            "#",
            "|",
            "`",
            "```",
            "-",
            "é",
            "e\u{301}",
            "日本",
            "。",
            "、",
            "🙂",
            "👍🏽",
            "\u{a0}",
            "Ω",
            "ß",
            "(",
            ")",
            "<|endoftext|>",
            "α",
            "ـ",
            "\u{2028}",
        ]);
        prop::collection::vec(atoms, 0..60).prop_map(|atoms| atoms.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        #[test]
        fn counts_are_additive_at_every_cut(text in tricky_text(), cl100k in any::<bool>()) {
            let tokenizer = if cl100k { Tokenizer::Cl100kBase } else { Tokenizer::O200kBase };
            let encoding = Encoding::get(tokenizer);
            let measure = Measure::new(encoding, &text);
            let whole = encoding.count(&text);
            for cut in &measure.cuts {
                let (x, y) = text.split_at(cut.pos);
                prop_assert_eq!(encoding.count(x) + encoding.count(y), whole, "cut at {}", cut.pos);
                prop_assert_eq!(encoding.count(x), cut.token, "cut at {}", cut.pos);
            }
        }

        #[test]
        fn any_span_counts_like_a_fresh_encoding(
            text in tricky_text(),
            cl100k in any::<bool>(),
            picks in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 1..8),
        ) {
            let tokenizer = if cl100k { Tokenizer::Cl100kBase } else { Tokenizer::O200kBase };
            let encoding = Encoding::get(tokenizer);
            let mut measure = Measure::new(encoding, &text);
            let chars: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
            for (a, b) in picks {
                let (a, b) = (a.get(&chars).min(b.get(&chars)), a.get(&chars).max(b.get(&chars)));
                let mut anchor = measure.anchor("> ".to_owned(), *a, text.len());
                let expected = encoding.count(&format!("> {}\n```", &text[*a..*b]));
                prop_assert_eq!(measure.count(&mut anchor, *b, "\n```"), expected, "{}..{}", a, b);
            }
        }
    }

    #[test]
    fn spans_between_cuts_count_like_a_fresh_encoding() {
        let text = "# Title\n\nHello world, this is a test.\n\n- item one\n- item two\n\n日本語の文章。次の文。\n";
        for tokenizer in [Tokenizer::O200kBase, Tokenizer::Cl100kBase] {
            let encoding = Encoding::get(tokenizer);
            let mut measure = Measure::new(encoding, text);
            assert!(!measure.cuts.is_empty());
            let boundaries: Vec<usize> = (0..=text.len())
                .filter(|&i| text.is_char_boundary(i))
                .collect();
            for &a in &boundaries {
                let mut anchor = measure.anchor("Head > Path\n\n".to_owned(), a, text.len());
                for &b in boundaries.iter().filter(|&&b| b > a) {
                    let expected = encoding.count(&format!("Head > Path\n\n{}\n```", &text[a..b]));
                    assert_eq!(measure.count(&mut anchor, b, "\n```"), expected, "{a}..{b}");
                }
            }
        }
    }
}
