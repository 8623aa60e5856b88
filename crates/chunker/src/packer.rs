//! Greedy packing of a document into chunk spans that fit the token budget.
//!
//! From the current start, a chunk ends at a boundary of the largest
//! structure that both fits and fills the budget reasonably: every boundary
//! that fits is a candidate; among those that fill at least half the budget
//! the strongest (section > block > line) wins, the furthest of its kind.
//! When the structure that follows is too large for what is left (a huge
//! paragraph, a table row, a 1 MB line), the chunk is filled from inside it
//! with sentences, then words, then grapheme clusters, then characters.
//! Candidates are measured with [`Measure`], so nothing is re-encoded whole.
//!
//! The fill target is also how small pieces are merged: a chunk that would
//! end under `min_tokens` (or half the budget) at a structure's end takes in
//! what follows instead, as long as it fits. Table rows and code lines are
//! not cut to fill a chunk up, so a small piece can remain before a table or
//! code block; a last pass merges such pieces into a neighbour when it fits.

use std::collections::HashMap;
use std::ops::Range;

use crate::config::ChunkConfig;
use crate::header::Headers;
use crate::measure::{Anchor, Measure};
use crate::outline::{Outline, strength};
use crate::segment::Level;

/// Document tokens looked at past the budget (text next to a chunk's edges
/// may encode to slightly fewer tokens than inside the document).
const WINDOW_SLACK: usize = 16;
/// A structure's end is preferred to a finer boundary when the chunk fills
/// this share of the budget (percent, or `min_tokens` if larger); below it,
/// finer pieces of what follows fill the chunk up.
const FILL_PERCENT: usize = 50;

/// Which decorations a chunk carries around its own text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decor {
    /// The contextual header (when configured) before `embed_text`.
    pub(crate) header: bool,
    /// Repeated table headers and re-opened/closed fences.
    pub(crate) wrappers: bool,
}

impl Decor {
    const FULL: Decor = Decor {
        header: true,
        wrappers: true,
    };
    const NO_WRAPPERS: Decor = Decor {
        header: true,
        wrappers: false,
    };
    const BARE: Decor = Decor {
        header: false,
        wrappers: false,
    };
}

/// One chunk's span and exact size.
#[derive(Debug, Clone)]
pub(crate) struct Piece {
    /// Where packing started (before trimming whitespace).
    from: usize,
    /// The boundary the chunk ends at (before trimming whitespace).
    to: usize,
    /// The chunk's own text in the document, trimmed.
    pub(crate) range: Range<usize>,
    /// Tokens of the chunk's `embed_text`.
    pub(crate) tokens: usize,
    pub(crate) decor: Decor,
}

/// Packs one document.
pub(crate) struct Packer<'a, 't> {
    config: &'a ChunkConfig,
    outline: &'a Outline,
    measure: Measure<'t>,
    headers: &'a mut Headers<'t>,
    text: &'t str,
}

/// Candidate ends being measured for a chunk that starts at `anchor`.
struct Attempt {
    anchor: Anchor,
    /// Trimmed start of the chunk.
    start: usize,
    /// Ends must lie after this, with text in between (previous chunk's end
    /// when overlapping, else the start).
    after: usize,
    content_from: usize,
    /// No end past this can fit.
    window_end: usize,
    decor: Decor,
    /// Tokens of the text placed before the chunk (header, wrappers).
    head_tokens: usize,
    /// Exact counts already measured, by end.
    counts: HashMap<usize, usize>,
}

impl<'a, 't> Packer<'a, 't> {
    pub(crate) fn new(
        config: &'a ChunkConfig,
        outline: &'a Outline,
        measure: Measure<'t>,
        headers: &'a mut Headers<'t>,
    ) -> Self {
        let text = measure.text();
        Packer {
            config,
            outline,
            measure,
            headers,
            text,
        }
    }

    /// The chunk spans of the whole document, in order.
    pub(crate) fn pack(mut self) -> Vec<Piece> {
        let mut pieces: Vec<Piece> = Vec::new();
        let mut end = 0;
        while !self.text[end..].trim_start().is_empty() {
            let overlapping = match pieces.last() {
                Some(previous) if self.config.overlap_tokens > 0 => {
                    let from = self.overlap_start(previous);
                    (from < end).then(|| self.next_piece(from, end)).flatten()
                }
                _ => None,
            };
            let piece = overlapping.unwrap_or_else(|| {
                self.next_piece(end, end)
                    .unwrap_or_else(|| self.one_char(end))
            });
            end = piece.to;
            pieces.push(piece);
        }
        self.merge_small(&mut pieces);
        pieces
    }

    /// The text a chunk starting at `start` carries before its own text:
    /// contextual header, then a repeated table header or re-opened fence.
    /// `None` when the repeated part would take over half the budget.
    pub(crate) fn head(&mut self, start: usize, decor: Decor) -> Option<String> {
        let mut head = String::new();
        if decor.header {
            head.push_str(
                self.headers
                    .get(self.outline, self.outline.heading_at(start)),
            );
        }
        if decor.wrappers {
            let prefix = self.outline.prefix_at(start);
            if !prefix.is_empty() && self.config.max_tokens / 2 < self.measure.count_text(prefix) {
                return None;
            }
            head.push_str(prefix);
        }
        Some(head)
    }

    /// What a chunk with `decor` whose text ends at `end` carries after it.
    fn tail(&self, end: usize, decor: Decor) -> &'a str {
        if decor.wrappers {
            self.outline.suffix_at(end)
        } else {
            ""
        }
    }

    /// The first non-whitespace position at or after `from` (keeping the
    /// indentation of a code line).
    fn trim_start(&self, from: usize) -> usize {
        let rest = &self.text[from..];
        let pos = from + (rest.len() - rest.trim_start().len());
        if pos < self.text.len() && self.outline.in_verbatim(pos) {
            self.outline.line_start(pos).max(from)
        } else {
            pos
        }
    }

    /// `end` moved back over whitespace, not before `start`.
    fn trim_end(&self, start: usize, end: usize) -> usize {
        start + self.text[start..end.max(start)].trim_end().len()
    }

    /// The next chunk starting at `from` that contains text after `after`,
    /// with as many decorations as fit.
    fn next_piece(&mut self, from: usize, after: usize) -> Option<Piece> {
        [Decor::FULL, Decor::NO_WRAPPERS, Decor::BARE]
            .into_iter()
            .find_map(|decor| self.attempt(from, after, decor))
    }

    /// Last resort (a budget too small for any decoration, or for a code
    /// line's indentation): the next character that is not whitespace, at
    /// most 4 tokens (one per byte).
    fn one_char(&mut self, from: usize) -> Piece {
        let rest = &self.text[from..];
        let start = from + (rest.len() - rest.trim_start().len());
        let to = self.text[start..]
            .chars()
            .next()
            .map_or(start, |c| start + c.len_utf8());
        Piece {
            from,
            to,
            range: start..to,
            tokens: self.measure.count_text(&self.text[start..to]),
            decor: Decor::BARE,
        }
    }

    /// Measures the chunk `from..to` with `decor`.
    fn measure_piece(&mut self, from: usize, to: usize, decor: Decor) -> Option<Piece> {
        let start = self.trim_start(from);
        let head = self.head(start, decor)?;
        let end = self.trim_end(start, to);
        let mut anchor = self.measure.anchor(head, start, end);
        let tokens = self.measure.count(&mut anchor, end, self.tail(end, decor));
        Some(Piece {
            from,
            to,
            range: start..end,
            tokens,
            decor,
        })
    }

    fn attempt(&mut self, from: usize, after: usize, decor: Decor) -> Option<Piece> {
        let max = self.config.max_tokens;
        let start = self.trim_start(from);
        let window = self.measure.pos_after(start, max + WINDOW_SLACK);
        let window_end = self.text.floor_char_boundary(window);
        let head = self.head(start, decor)?;
        let mut attempt = Attempt {
            head_tokens: self.measure.count_text(&head),
            anchor: self.measure.anchor(head, start, window_end),
            start,
            after,
            content_from: start.max(after),
            window_end,
            decor,
            counts: HashMap::new(),
        };
        let to = self.choose_end(&mut attempt)?;
        let tokens = self.count(&mut attempt, to);
        if tokens > max {
            // Never over the budget, whatever chose the end: the next,
            // barer decoration is tried instead.
            return None;
        }
        Some(Piece {
            from,
            to,
            range: start..self.trim_end(start, to),
            tokens,
            decor,
        })
    }

    /// Exact tokens of the attempted chunk if it ended at `to`.
    fn count(&mut self, attempt: &mut Attempt, to: usize) -> usize {
        if let Some(&tokens) = attempt.counts.get(&to) {
            return tokens;
        }
        let end = self.trim_end(attempt.start, to);
        let tail = self.tail(end, attempt.decor);
        let tokens = self.measure.count(&mut attempt.anchor, end, tail);
        attempt.counts.insert(to, tokens);
        tokens
    }

    fn fits(&mut self, attempt: &mut Attempt, to: usize) -> bool {
        self.count(attempt, to) <= self.config.max_tokens
    }

    /// Whether `to` would give the chunk text past `attempt.after`.
    fn has_content(&self, attempt: &Attempt, to: usize) -> bool {
        to > attempt.after && self.trim_end(attempt.content_from, to) > attempt.content_from
    }

    /// The furthest of `ends` (in order) that fits. The document's own
    /// tokens give a close guess; exact counts gallop from it, then bisect.
    fn furthest_fitting(&mut self, attempt: &mut Attempt, ends: &[usize]) -> Option<usize> {
        if ends.is_empty() {
            return None;
        }
        let max = self.config.max_tokens;
        let estimate =
            |end: usize| attempt.head_tokens + self.measure.tokens_between(attempt.start, end);
        let guess = ends
            .partition_point(|&end| estimate(end) <= max)
            .saturating_sub(1);
        // Invariant: `good` fits (or is None), `bad` does not (or is the length).
        let (mut good, mut bad);
        if self.fits(attempt, ends[guess]) {
            (good, bad) = (guess, ends.len());
            let mut step = 1;
            while good + step < bad {
                if self.fits(attempt, ends[good + step]) {
                    good += step;
                    step *= 2;
                } else {
                    bad = good + step;
                }
            }
        } else {
            bad = guess;
            let mut step = 1;
            loop {
                let Some(probe) = bad.checked_sub(step) else {
                    if bad == 0 || !self.fits(attempt, ends[0]) {
                        return None;
                    }
                    good = 0;
                    break;
                };
                if self.fits(attempt, ends[probe]) {
                    good = probe;
                    break;
                }
                bad = probe;
                step *= 2;
            }
        }
        while bad - good > 1 {
            let mid = (good + bad) / 2;
            if self.fits(attempt, ends[mid]) {
                good = mid;
            } else {
                bad = mid;
            }
        }
        Some(good)
    }

    /// Tokens a chunk should reach before a structure's end is preferred to
    /// filling it up with finer pieces of what follows.
    fn target(&self) -> usize {
        (self.config.max_tokens * FILL_PERCENT / 100).max(self.config.min_tokens)
    }

    /// Where the attempted chunk ends, if anything fits.
    fn choose_end(&mut self, attempt: &mut Attempt) -> Option<usize> {
        let outline = self.outline;
        let bounds = outline.boundaries();
        let first = bounds.partition_point(|b| b.pos <= attempt.after);
        let last = bounds.partition_point(|b| b.pos <= attempt.window_end);
        let with_content = (first..last)
            .find(|&i| self.has_content(attempt, bounds[i].pos))
            .unwrap_or(last);
        let candidates: Vec<usize> = (with_content..last).collect();
        let ends: Vec<usize> = candidates.iter().map(|&i| bounds[i].pos).collect();

        let Some(furthest) = self.furthest_fitting(attempt, &ends) else {
            // Even the first structure is too large: fill from inside it.
            let unit_end = bounds.get(first).map_or(self.text.len(), |b| b.pos);
            return self.descend(attempt, attempt.start, unit_end, Level::Sentence);
        };
        let target = self.target();
        if self.count(attempt, ends[furthest]) >= target {
            // The first candidate reaching the target, by binary search.
            let (mut lo, mut reached) = (0, furthest);
            while lo < reached {
                let mid = (lo + reached) / 2;
                if self.count(attempt, ends[mid]) >= target {
                    reached = mid;
                } else {
                    lo = mid + 1;
                }
            }
            // The strongest structure among the ends that reach the target.
            let strongest = candidates[reached..=furthest]
                .iter()
                .map(|&i| bounds[i].strength)
                .max()?;
            let chosen = (reached..=furthest)
                .rev()
                .find(|&k| bounds[candidates[k]].strength == strongest)?;
            let chosen = self.not_after_heading(&candidates, chosen);
            // Counts are not monotonic in the end (an end inside a fence
            // adds a closing fence): an earlier end may not fit.
            return Some(if self.fits(attempt, ends[chosen]) {
                ends[chosen]
            } else {
                ends[furthest]
            });
        }
        let index = candidates[furthest];
        if index + 1 >= bounds.len() {
            return Some(ends[furthest]); // The rest of the document fits.
        }
        // Too little fits whole: fill up from inside the next structure,
        // unless it is made of lines that must stay whole (a table row, code).
        let next = ends[furthest]..bounds[index + 1].pos;
        if outline.touches_rigid(next.clone()) {
            let chosen = self.not_after_heading(&candidates, furthest);
            return Some(if self.fits(attempt, ends[chosen]) {
                ends[chosen]
            } else {
                ends[furthest]
            });
        }
        let filled = self.descend(attempt, next.start, next.end, Level::Sentence);
        Some(filled.unwrap_or(ends[furthest]))
    }

    /// `chosen`, or when it would end the chunk with a heading, the last
    /// candidate before it that does not (if any).
    fn not_after_heading(&self, candidates: &[usize], chosen: usize) -> usize {
        let bounds = self.outline.boundaries();
        let after_heading = |k: usize| bounds[candidates[k]].strength == strength::AFTER_HEADING;
        if !after_heading(chosen) {
            return chosen;
        }
        (0..chosen)
            .rev()
            .find(|&k| !after_heading(k))
            .unwrap_or(chosen)
    }

    /// The best end inside `unit_start..unit_end` using `level` boundaries,
    /// then finer ones when they fill the chunk better.
    fn descend(
        &mut self,
        attempt: &mut Attempt,
        unit_start: usize,
        unit_end: usize,
        level: Level,
    ) -> Option<usize> {
        let hi = self
            .text
            .floor_char_boundary(unit_end.min(attempt.window_end));
        if hi <= unit_start {
            return None;
        }
        let ends: Vec<usize> = level
            .boundaries(self.text, unit_start..hi)
            .into_iter()
            .filter(|&p| !(level.keeps_inline_whole() && self.outline.inside_atom(p)))
            .filter(|&p| self.has_content(attempt, p))
            .collect();
        let best = self.furthest_fitting(attempt, &ends);
        if let Some(k) = best
            && self.count(attempt, ends[k]) >= self.target()
        {
            return Some(ends[k]);
        }
        let Some(finer) = level.finer() else {
            return best.map(|k| ends[k]);
        };
        let (next_start, next_end) = match best {
            Some(k) => (ends[k], ends.get(k + 1).copied().unwrap_or(unit_end)),
            None => (unit_start, ends.first().copied().unwrap_or(unit_end)),
        };
        self.descend(attempt, next_start, next_end, finer)
            .or(best.map(|k| ends[k]))
    }

    /// Where the chunk after `previous` starts so that it repeats at most
    /// `overlap_tokens` of its end, preferring a sentence or block start.
    fn overlap_start(&mut self, previous: &Piece) -> usize {
        let overlap = self.config.overlap_tokens;
        let Range { start, end } = previous.range.clone();
        let window = self
            .measure
            .pos_before(end, overlap + WINDOW_SLACK)
            .max(start);
        let window = self.text.floor_char_boundary(window);
        // (position, rank): 2 starts a block or sentence, 1 a word, 0 a word part.
        let mut candidates: Vec<(usize, u8)> = Vec::new();
        let bounds = self.outline.boundaries();
        let first = bounds.partition_point(|b| b.pos <= window);
        let blocks = bounds[first..].iter().take_while(|b| b.pos < end);
        candidates.extend(blocks.map(|b| (b.pos, 2)));
        for (level, rank) in [(Level::Sentence, 2), (Level::Word, 1), (Level::WordPart, 0)] {
            let found = level.boundaries(self.text, window..end).into_iter();
            let whole =
                found.filter(|&p| !(level.keeps_inline_whole() && self.outline.inside_atom(p)));
            candidates.extend(whole.map(|p| (p, rank)));
        }
        candidates.retain(|&(p, _)| p > start);
        candidates.sort_unstable_by_key(|&(p, rank)| (p, u8::MAX - rank));
        candidates.dedup_by_key(|&mut (p, _)| p);

        let overlap_tokens = |packer: &mut Self, from: usize| {
            let from = packer.trim_start(from);
            let mut anchor = packer.measure.anchor(String::new(), from, end);
            packer.measure.count(&mut anchor, end, "")
        };
        // Later starts overlap less: find the earliest that fits.
        let (mut lo, mut fits) = (0, candidates.len());
        while lo < fits {
            let mid = (lo + fits) / 2;
            if overlap_tokens(self, candidates[mid].0) <= overlap {
                fits = mid;
            } else {
                lo = mid + 1;
            }
        }
        let Some(&(earliest, _)) = candidates.get(fits) else {
            return previous.to;
        };
        // A cleaner start that still repeats at least half the overlap.
        for rank in [2, 1] {
            let better = candidates[fits..].iter().find(|&&(_, r)| r >= rank);
            if let Some(&(p, _)) = better
                && overlap_tokens(self, p) * 2 >= overlap
            {
                return p;
            }
        }
        earliest
    }

    /// Merges chunks still under `min_tokens` (a heading or short paragraph
    /// before a table or code block too large to join it) into a neighbour,
    /// the next one first, when the merged chunk fits.
    fn merge_small(&mut self, pieces: &mut Vec<Piece>) {
        let mut i = 0;
        while i < pieces.len() {
            if pieces[i].tokens >= self.config.min_tokens || pieces.len() < 2 {
                i += 1;
            } else if let Some(merged) = pieces
                .get(i + 1)
                .and_then(|next| self.joined(&pieces[i], next))
            {
                pieces[i] = merged;
                pieces.remove(i + 1);
            } else if let Some(merged) = i
                .checked_sub(1)
                .and_then(|p| self.joined(&pieces[p], &pieces[i]))
            {
                pieces[i - 1] = merged;
                pieces.remove(i);
                i -= 1;
            } else {
                i += 1;
            }
        }
    }

    /// `first` and `second` as one chunk, if it fits.
    fn joined(&mut self, first: &Piece, second: &Piece) -> Option<Piece> {
        self.measure_piece(first.from, second.to, Decor::FULL)
            .filter(|p| p.tokens <= self.config.max_tokens)
    }
}
