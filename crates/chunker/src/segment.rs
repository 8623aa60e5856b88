//! Boundaries finer than Markdown structure, found only inside the one unit
//! that is too large for a chunk: sentences, then words, then grapheme
//! clusters, then (for a cluster larger than the budget) characters.

use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;

/// A unit finer than a line of Markdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    Sentence,
    Word,
    Grapheme,
    Char,
}

impl Level {
    /// The next finer level, if any.
    pub(crate) fn finer(self) -> Option<Level> {
        match self {
            Level::Sentence => Some(Level::Word),
            Level::Word => Some(Level::Grapheme),
            Level::Grapheme => Some(Level::Char),
            Level::Char => None,
        }
    }

    /// Starts of the units of this level strictly inside `range` (absolute
    /// offsets, in order). `range` must lie on character boundaries.
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
            // Only word starts: whitespace stays with the text before it.
            Level::Word => slice
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

    #[test]
    fn each_level_finds_its_units() {
        let text = "One two. Three 🙂👍🏽!";
        assert_eq!(Level::Sentence.boundaries(text, 0..text.len()), [9]);
        assert_eq!(
            Level::Word.boundaries(text, 0..text.len()),
            [4, 7, 9, 15, 19, 27]
        );
        let emoji = text.find('🙂').unwrap();
        let graphemes = Level::Grapheme.boundaries(text, emoji..text.len());
        assert_eq!(graphemes.len(), 2, "{graphemes:?}");
        assert_eq!(Level::Char.boundaries("a🙂b", 0..6), [1, 5]);
    }
}
