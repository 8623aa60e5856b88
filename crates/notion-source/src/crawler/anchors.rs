//! Top-level anchors for the `markdown` fetch strategy (`crawl.anchors`):
//! the Markdown carries no block ids, so a page read through the markdown
//! endpoint lists its top-level blocks once more with
//! `GET /v1/blocks/{page}/children` (one request per 100 top-level blocks,
//! no recursion) and gives the top-level blocks the reader produced the ids
//! of the blocks they stand for. Each chunk then links to its first
//! top-level block, as with the block strategy.
//!
//! Matching ([`match_top_level`]) never guesses: blocks whose id the
//! Markdown already gave (child pages, databases, synced blocks, spliced
//! placeholders) pin the two lists together; between those pins the blocks
//! are aligned in order by type (an alignment that keeps the most blocks of
//! the same type, and among those the most with the same text). A block
//! left without a partner keeps no id rather than a wrong one; both counts
//! are reported ([`ProgressSnapshot::anchored`](super::ProgressSnapshot::anchored)).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use futures::TryStreamExt;

use crate::client::NotionClient;
use crate::model::Block;

use super::tree::FetchError;

/// Whether the `markdown` strategy also reads block ids for citations
/// (`crawl.anchors`). The block strategy has every id and ignores it.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Anchors {
    /// No extra request: chunks link to their page, not to a block.
    None,
    /// One `GET /v1/blocks/{page}/children` per 100 top-level blocks of a
    /// page: chunks link to their first top-level block. The default: a
    /// chunk that cites its block is worth about one request per page.
    #[default]
    TopLevel,
}

impl Anchors {
    /// Every value, in the order `--help` lists them.
    pub const ALL: [Anchors; 2] = [Anchors::None, Anchors::TopLevel];

    /// The name the configuration uses (`none`, `top-level`).
    pub fn as_str(self) -> &'static str {
        match self {
            Anchors::None => "none",
            Anchors::TopLevel => "top-level",
        }
    }
}

impl std::fmt::Display for Anchors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An anchors name that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown anchors {0:?}: expected `none` or `top-level`")]
pub struct UnknownAnchors(pub String);

impl std::str::FromStr for Anchors {
    type Err = UnknownAnchors;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Anchors::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| UnknownAnchors(s.to_string()))
    }
}

/// How many of a page's top-level blocks got the id of a listed block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Matched {
    /// Top-level blocks whose id the listing gave or confirmed.
    pub matched: u64,
    /// Top-level blocks left without a partner in the listing.
    pub unmatched: u64,
}

/// Lists `page_id`'s top-level blocks and gives their ids to `blocks` (the
/// reader's top-level blocks). No request when there is nothing to anchor.
/// A 404 or 403 leaves every block unmatched; other errors that outlasted
/// the client's retries fail the page, as any read does.
pub(crate) async fn anchor(
    client: &NotionClient,
    page_id: &str,
    blocks: &mut [Block],
) -> Result<Matched, FetchError> {
    if blocks.is_empty() {
        return Ok(Matched::default());
    }
    let listed: Vec<Block> = match client.block_children_all(page_id).try_collect().await {
        Ok(listed) => listed,
        Err(error) if error.status().is_some_and(|s| s == 404 || s == 403) => Vec::new(),
        Err(error) => return Err(Arc::new(error)),
    };
    Ok(match_top_level(blocks, &listed))
}

/// Blocks of the same type and text score far higher than blocks of the
/// same type only (one pair of the same text outweighs any number of pairs
/// of the same type: a type-only pair never displaces it); others never pair.
const SAME_TYPE: u32 = 1;
const SAME_TEXT: u32 = 1_000_000;
/// The largest stretch (read × listed blocks between two pins) aligned by
/// dynamic programming; a larger one pairs only its common ends.
const MAX_CELLS: usize = 4_000_000;

/// Gives `read`'s blocks the ids of the `listed` blocks they stand for (see
/// the module's documentation), with their edit times.
pub(crate) fn match_top_level(read: &mut [Block], listed: &[Block]) -> Matched {
    let listed: Vec<&Block> = listed.iter().filter(|b| !b.is_trashed()).collect();
    let position: HashMap<&str, usize> = listed
        .iter()
        .enumerate()
        .rev()
        .map(|(j, b)| (b.id.as_str(), j))
        .collect();
    // Pins: blocks the Markdown gave an id, in increasing listed order.
    let mut pins: Vec<(usize, usize)> = Vec::new();
    for (i, block) in read.iter().enumerate() {
        if block.id.is_empty() {
            continue;
        }
        if let Some(&j) = position.get(block.id.as_str())
            && pins.last().is_none_or(|&(_, last)| j > last)
        {
            pins.push((i, j));
        }
    }
    // A listed id some read block already holds is given to no other.
    let taken: HashSet<&str> = read
        .iter()
        .filter(|b| !b.id.is_empty())
        .map(|b| b.id.as_str())
        .collect();
    let scorer = Scorer { taken: &taken };
    let mut pairs = pins.clone();
    let (mut r0, mut l0) = (0, 0);
    for (r1, l1) in pins.iter().copied().chain([(read.len(), listed.len())]) {
        let offset = |(i, j): (usize, usize)| (i + r0, j + l0);
        pairs.extend(
            scorer
                .align(&read[r0..r1], &listed[l0..l1])
                .into_iter()
                .map(offset),
        );
        (r0, l0) = (r1 + 1, l1 + 1);
    }
    for &(i, j) in &pairs {
        let from = listed[j];
        let block = &mut read[i];
        block.id.clone_from(&from.id);
        block.created_time = from.created_time;
        block.last_edited_time = from.last_edited_time;
    }
    let matched = pairs.len() as u64;
    Matched {
        matched,
        unmatched: read.len() as u64 - matched,
    }
}

/// Scores pairs of a read and a listed block.
struct Scorer<'a> {
    /// Ids read blocks hold already.
    taken: &'a HashSet<&'a str>,
}

/// How well `read` stands for `listed` (0: not at all).
fn score(read: &Block, listed: &Block, taken: &HashSet<&str>) -> u32 {
    if !read.id.is_empty()
        || taken.contains(listed.id.as_str())
        || read.kind.type_name() != listed.kind.type_name()
    {
        return 0;
    }
    if text(read) == text(listed) {
        SAME_TYPE + SAME_TEXT
    } else {
        SAME_TYPE
    }
}

/// A block's text, whitespace collapsed.
fn text(block: &Block) -> String {
    let plain: String = block
        .rich_text()
        .unwrap_or_default()
        .iter()
        .map(|r| r.plain_text.as_str())
        .collect();
    plain.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Scorer<'_> {
    fn score(&self, read: &Block, listed: &Block) -> u32 {
        score(read, listed, self.taken)
    }

    /// The pairs (index in `read`, index in `listed`) of the best in-order
    /// alignment: the most score in total, no crossing pairs.
    fn align(&self, read: &[Block], listed: &[&Block]) -> Vec<(usize, usize)> {
        // Common ends first: cheap, and what most pages are made of.
        let mut head = 0;
        while head < read.len().min(listed.len())
            && self.score(&read[head], listed[head]) > SAME_TYPE
        {
            head += 1;
        }
        let mut tail = 0;
        while tail < (read.len() - head).min(listed.len() - head)
            && self.score(
                &read[read.len() - 1 - tail],
                listed[listed.len() - 1 - tail],
            ) > SAME_TYPE
        {
            tail += 1;
        }
        let mut pairs: Vec<(usize, usize)> = (0..head).map(|k| (k, k)).collect();
        let (rm, lm) = (
            &read[head..read.len() - tail],
            &listed[head..listed.len() - tail],
        );
        if !rm.is_empty() && !lm.is_empty() && rm.len() * lm.len() <= MAX_CELLS {
            pairs.extend(
                self.best_alignment(rm, lm)
                    .into_iter()
                    .map(|(i, j)| (i + head, j + head)),
            );
        }
        pairs.extend((0..tail).map(|k| (read.len() - tail + k, listed.len() - tail + k)));
        pairs
    }

    /// Weighted longest common subsequence by dynamic programming.
    fn best_alignment(&self, read: &[Block], listed: &[&Block]) -> Vec<(usize, usize)> {
        let (n, m) = (read.len(), listed.len());
        let width = m + 1;
        let mut best = vec![0u32; (n + 1) * width];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                let s = self.score(&read[i], listed[j]);
                let take = if s > 0 {
                    s + best[(i + 1) * width + j + 1]
                } else {
                    0
                };
                best[i * width + j] = take
                    .max(best[(i + 1) * width + j])
                    .max(best[i * width + j + 1]);
            }
        }
        let (mut i, mut j, mut pairs) = (0, 0, Vec::new());
        while i < n && j < m {
            let s = self.score(&read[i], listed[j]);
            if s > 0 && best[i * width + j] == s + best[(i + 1) * width + j + 1] {
                pairs.push((i, j));
                (i, j) = (i + 1, j + 1);
            } else if best[i * width + j] == best[(i + 1) * width + j] {
                i += 1;
            } else {
                j += 1;
            }
        }
        pairs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BlockKind, RichText, TextBlock, TitleContent};

    fn paragraph(id: &str, text: &str) -> Block {
        Block::new(
            id,
            BlockKind::Paragraph(TextBlock {
                rich_text: if text.is_empty() {
                    Vec::new()
                } else {
                    vec![RichText::plain(text)]
                },
                color: None,
            }),
        )
    }

    fn heading(id: &str, text: &str) -> Block {
        Block::new(
            id,
            BlockKind::Heading1(crate::model::Heading {
                rich_text: vec![RichText::plain(text)],
                color: None,
                is_toggleable: false,
            }),
        )
    }

    fn page(id: &str) -> Block {
        Block::new(
            id,
            BlockKind::ChildPage(TitleContent {
                title: "Sub".into(),
            }),
        )
    }

    fn ids(blocks: &[Block]) -> Vec<&str> {
        blocks.iter().map(|b| b.id.as_str()).collect()
    }

    #[test]
    fn the_same_blocks_take_the_listed_ids_in_order() {
        let listed = [heading("h", "Goals"), paragraph("p", "Ship"), page("c")];
        let mut read = [heading("", "Goals"), paragraph("", "Ship"), page("c")];
        let m = match_top_level(&mut read, &listed);
        assert_eq!(ids(&read), ["h", "p", "c"]);
        assert_eq!((m.matched, m.unmatched), (3, 0));
    }

    #[test]
    fn a_block_the_markdown_dropped_or_added_shifts_nothing() {
        // The listing has an empty paragraph the Markdown did not write, and
        // the Markdown a paragraph the listing does not have.
        let listed = [
            paragraph("a", "One"),
            paragraph("e", ""),
            paragraph("b", "Two"),
            heading("h", "Three"),
        ];
        let mut read = [
            paragraph("", "One"),
            paragraph("", "Two"),
            paragraph("", "Extra"),
            heading("", "Three"),
        ];
        let m = match_top_level(&mut read, &listed);
        assert_eq!(ids(&read), ["a", "b", "", "h"]);
        assert_eq!((m.matched, m.unmatched), (3, 1));
    }

    #[test]
    fn blocks_of_another_type_keep_no_id() {
        let listed = [paragraph("a", "One"), heading("h", "Two")];
        let mut read = [heading("", "One"), paragraph("", "Two")];
        let m = match_top_level(&mut read, &listed);
        // One pair at most (the lists cross); never a paragraph with a heading's id.
        assert_eq!(m.matched, 1);
        for b in &read {
            let partner = listed.iter().find(|l| l.id == b.id);
            assert!(partner.is_none_or(|l| l.kind.type_name() == b.kind.type_name()));
        }
    }

    #[test]
    fn ids_the_markdown_gave_pin_the_alignment() {
        // Without the pin, the read paragraph after the child page could
        // pair with the listed one before it.
        let listed = [paragraph("a", "x"), page("c"), paragraph("b", "y")];
        let mut read = [page("c"), paragraph("", "z")];
        let m = match_top_level(&mut read, &listed);
        assert_eq!(ids(&read), ["c", "b"]);
        assert_eq!((m.matched, m.unmatched), (2, 0));
    }

    #[test]
    fn an_empty_listing_matches_nothing() {
        let mut read = [paragraph("", "One")];
        let m = match_top_level(&mut read, &[]);
        assert_eq!(ids(&read), [""]);
        assert_eq!((m.matched, m.unmatched), (0, 1));
    }

    #[test]
    fn anchors_read_and_write_their_names() {
        for a in Anchors::ALL {
            assert_eq!(a.as_str().parse::<Anchors>(), Ok(a));
            assert_eq!(
                serde_json::to_value(a).unwrap(),
                serde_json::json!(a.as_str())
            );
        }
        assert_eq!(
            "all".parse::<Anchors>().unwrap_err().to_string(),
            "unknown anchors \"all\": expected `none` or `top-level`"
        );
    }
}
