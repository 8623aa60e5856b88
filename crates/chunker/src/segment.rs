//! Boundaries finer than Markdown structure, found only inside the one unit
//! that is too large for a chunk: sentences, then words (separated by
//! whitespace, so links and URLs stay whole), then Unicode word boundaries
//! inside a word (for text written without spaces, such as Chinese), then
//! grapheme clusters, then (for a cluster larger than the budget) characters.

use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;

/// A unit finer than a line of Markdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    Sentence,
    Word,
    WordPart,
    Grapheme,
    Char,
}

impl Level {
    /// The next finer level, if any.
    pub(crate) fn finer(self) -> Option<Level> {
        match self {
            Level::Sentence => Some(Level::Word),
            Level::Word => Some(Level::WordPart),
            Level::WordPart => Some(Level::Grapheme),
            Level::Grapheme => Some(Level::Char),
            Level::Char => None,
        }
    }

    /// Whether splits at this level avoid the inside of inline links, code
    /// spans and formulas (finer levels split them when they alone are too
    /// large).
    pub(crate) fn keeps_inline_whole(self) -> bool {
        matches!(self, Level::Sentence | Level::Word)
    }

    /// Starts of the units of this level strictly inside `range` (absolute
    /// offsets, in order). `range` must lie on character boundaries.
    /// Whitespace always stays with the text before it.
    pub(crate) fn boundaries(self, text: &str, range: Range<usize>) -> Vec<usize> {
        let base = range.start;
        let slice = &text[range];
        let inside = |&(i, _): &(usize, &str)| i > 0;
        match self {
            Level::Sentence => slice
                .split_sentence_bound_indices()
                .filter(inside)
                .map(|(i, _)| base + i)
                .collect(),
            Level::Word => slice
                .char_indices()
                .zip(slice.chars().skip(1))
                .filter(|&((_, before), after)| before.is_whitespace() && !after.is_whitespace())
                .map(|((i, before), _)| base + i + before.len_utf8())
                .collect(),
            Level::WordPart => slice
                .split_word_bound_indices()
                .filter(inside)
                .filter(|(_, w)| !w.starts_with(char::is_whitespace))
                .map(|(i, _)| base + i)
                .collect(),
            Level::Grapheme => slice
                .grapheme_indices(true)
                .filter(inside)
                .map(|(i, _)| base + i)
                .collect(),
            Level::Char => slice
                .char_indices()
                .map(|(i, _)| i)
                .filter(|&i| i > 0)
                .map(|i| base + i)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(level: Level, text: &str) -> Vec<usize> {
        level.boundaries(text, 0..text.len())
    }

    #[test]
    fn each_level_finds_its_units() {
        let text = "One two. Three 🙂👍🏽!";
        assert_eq!(all(Level::Sentence, text), [9]);
        assert_eq!(all(Level::Word, text), [4, 9, 15]);
        assert_eq!(all(Level::WordPart, text), [4, 7, 9, 15, 19, 27]);
        assert_eq!(all(Level::Word, "see [docs](https://a.io/x) now"), [4, 27]);
        assert_eq!(all(Level::WordPart, "日本語"), [3, 6]);
        let emoji = text.find('🙂').unwrap();
        let graphemes = Level::Grapheme.boundaries(text, emoji..text.len());
        assert_eq!(graphemes.len(), 2, "{graphemes:?}");
        assert_eq!(all(Level::Char, "a🙂b"), [1, 5]);
    }
}
