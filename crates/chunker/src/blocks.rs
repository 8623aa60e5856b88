//! Which of the document's blocks each chunk touches: one sweep over the
//! block spans sorted by start, tolerant of spans that are empty, reversed,
//! out of bounds or inside multi-byte characters.

use std::ops::Range;

use crate::BlockSpan;

/// Block spans in document order, swept once over chunks in order.
pub(crate) struct BlockSweep<'b> {
    /// Spans sorted by start, enclosing spans before the ones they contain.
    sorted: Vec<(&'b BlockSpan, Range<usize>)>,
    /// Index of the first span not yet considered.
    next: usize,
    /// Indexes (into `sorted`) of spans that may still touch later chunks.
    active: Vec<usize>,
}

impl<'b> BlockSweep<'b> {
    pub(crate) fn new(blocks: &'b [BlockSpan]) -> Self {
        let mut sorted: Vec<(&BlockSpan, Range<usize>)> = blocks
            .iter()
            .map(|b| (b, b.range.start..b.range.end.max(b.range.start)))
            .collect();
        sorted.sort_by(|(_, x), (_, y)| x.start.cmp(&y.start).then(y.end.cmp(&x.end)));
        BlockSweep {
            sorted,
            next: 0,
            active: Vec::new(),
        }
    }

    /// Ids of the blocks intersecting `chunk`, in document order, without
    /// repeats. Chunks must come in order (starts and ends not decreasing).
    pub(crate) fn ids(&mut self, chunk: &Range<usize>) -> Vec<String> {
        while self.next < self.sorted.len() && self.sorted[self.next].1.start < chunk.end {
            self.active.push(self.next);
            self.next += 1;
        }
        let sorted = &self.sorted;
        // A span ending at or before this chunk's start can touch no later chunk.
        self.active.retain(|&i| {
            let span = &sorted[i].1;
            span.end > chunk.start || (span.is_empty() && span.start >= chunk.start)
        });
        let mut ids: Vec<String> = Vec::new();
        for &i in &self.active {
            let (block, span) = &sorted[i];
            let touches = if span.is_empty() {
                chunk.contains(&span.start)
            } else {
                span.start < chunk.end && chunk.start < span.end
            };
            if touches && !ids.contains(&block.id) {
                ids.push(block.id.clone());
            }
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(id: &str, range: Range<usize>) -> BlockSpan {
        BlockSpan {
            id: id.to_owned(),
            range,
        }
    }

    #[test]
    fn nested_and_odd_spans_are_matched_in_document_order() {
        #[allow(clippy::reversed_empty_ranges)]
        let blocks = [
            span("child", 5..8),
            span("page", 0..100),
            span("second", 20..30),
            span("empty", 25..25),
            span("reversed", 40..35),
            span("beyond", 500..600),
            span("child", 9..12),
        ];
        let mut sweep = BlockSweep::new(&blocks);
        assert_eq!(sweep.ids(&(0..10)), ["page", "child"]);
        assert_eq!(sweep.ids(&(10..26)), ["page", "child", "second", "empty"]);
        assert_eq!(sweep.ids(&(26..50)), ["page", "second", "reversed"]);
        assert_eq!(sweep.ids(&(50..100)), ["page"]);
    }
}
