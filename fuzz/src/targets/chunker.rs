//! The chunker target: arbitrary Markdown (nested to any depth, huge lines,
//! broken tables and fences, odd Unicode) under every configuration, from
//! the smallest budget to a huge one. Every chunk must keep the budget and
//! be counted exactly, chunks must come in order on character boundaries,
//! and together they must cover every non-blank byte.

use chunker::{BlockSpan, ChunkConfig, Chunker, Document, MIN_MAX_TOKENS, Tokenizer};
use serde::{Deserialize, Serialize};

use super::{Broken, ensure};
use crate::rng::Rng;
use crate::text::odd_text;

/// A chunker input as stored in the corpus.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct ChunkerInput {
    config: ChunkConfig,
    #[serde(default)]
    title: Option<String>,
    markdown: String,
    /// The Markdown is `markdown` repeated this many times (keeps huge
    /// inputs small in the corpus).
    #[serde(default = "one")]
    repeat: usize,
    /// Block spans as `[start, end]` (may be out of bounds or reversed).
    #[serde(default)]
    blocks: Vec<(usize, usize)>,
}

fn one() -> usize {
    1
}

/// A configuration: tiny, ordinary or huge budgets, any overlap and minimum.
pub(super) fn config(rng: &mut Rng) -> ChunkConfig {
    let max_tokens = match rng.below(4) {
        0 => MIN_MAX_TOKENS + rng.below(8),
        1 => *rng.pick(&[64, 128, 256, 512, 1024, 8192]),
        2 => rng.between(MIN_MAX_TOKENS, 2000),
        _ => *rng.pick(&[100_000, 10_000_000, usize::MAX / 2]),
    };
    // Up to three quarters of the budget: a larger overlap multiplies the
    // output (each chunk adds only what the overlap leaves).
    let overlap_tokens = if rng.chance(50) {
        0
    } else {
        rng.below((max_tokens * 3 / 4).clamp(1, 4096))
    };
    let min_tokens = rng.below(max_tokens.min(4096) + 1);
    ChunkConfig {
        max_tokens,
        overlap_tokens,
        min_tokens,
        contextual_header: rng.chance(50),
        tokenizer: if rng.chance(50) {
            Tokenizer::O200kBase
        } else {
            Tokenizer::Cl100kBase
        },
    }
}

/// Markdown of any structure.
fn markdown(rng: &mut Rng) -> String {
    let mut out = String::new();
    for _ in 0..rng.size(60).max(1) {
        let text = odd_text(rng, 300);
        let nesting = rng.size(40);
        match rng.below(12) {
            0 => {
                out.push_str(&"#".repeat(rng.between(1, 7)));
                out.push(' ');
                out.push_str(&text);
            }
            1 => {
                for level in 0..nesting {
                    out.push_str(&"  ".repeat(level));
                    out.push_str(*rng.pick(&["- ", "1. ", "* ", "+ ", "- [ ] "]));
                    out.push_str(&odd_text(rng, 40));
                    out.push('\n');
                }
            }
            2 => {
                out.push_str(&"> ".repeat(nesting));
                out.push_str(&text);
            }
            3 => {
                let fence = *rng.pick(&["```", "~~~", "````", "```rust"]);
                out.push_str(fence);
                out.push('\n');
                out.push_str(&text);
                if rng.chance(80) {
                    out.push('\n');
                    out.push_str(&fence[..3]);
                }
            }
            4 => {
                let columns = rng.size(12).max(1);
                let row = |rng: &mut Rng| {
                    let cells: Vec<String> = (0..columns)
                        .map(|_| odd_text(rng, 20).replace('\n', " "))
                        .collect();
                    format!("| {} |", cells.join(" | "))
                };
                out.push_str(&row(rng));
                out.push('\n');
                out.push_str(&format!("|{}", " --- |".repeat(columns)));
                for _ in 0..rng.size(50) {
                    out.push('\n');
                    out.push_str(&row(rng));
                }
            }
            5 => {
                out.push_str("<div>\n");
                out.push_str(&text);
                out.push_str("\n</div>");
            }
            6 => {
                out.push_str("$$\n");
                out.push_str(&text);
                out.push_str("\n$$");
            }
            7 => {
                out.push_str("[ref]: https://x.io/");
                out.push_str(&text);
            }
            8 => {
                out.push_str(&text);
                out.push_str(*rng.pick(&["\n===", "\n---", "\n***", "\n"]));
            }
            9 => out.push_str(&"    ".repeat(nesting.min(8))),
            _ => out.push_str(&text),
        }
        out.push_str(*rng.pick(&["\n\n", "\n", "\r\n\r\n", ""]));
    }
    out
}

/// The most bytes worth chunking under `config`: a chunk costs about the
/// same whatever its size, so tiny budgets get less text (a case stays
/// within seconds).
pub(super) fn byte_budget(config: &ChunkConfig) -> usize {
    config
        .max_tokens
        .saturating_mul(256)
        .clamp(64 << 10, 2 << 20)
}

pub(super) fn generate(rng: &mut Rng) -> Vec<u8> {
    let config = config(rng);
    let (markdown, repeat) = match rng.below(10) {
        // Nesting or repetition that only size can make hard.
        0 => {
            let unit = *rng.pick(&[
                "> ", "- ", "[", "*", "`", "<", "1. ", "\n", "a ", "日", "| a ", "  - x\n",
            ]);
            (unit.to_string(), rng.size(200_000))
        }
        1 => (markdown(rng), rng.size(200)),
        _ => (markdown(rng), 1),
    };
    let repeat = repeat
        .min(byte_budget(&config) / markdown.len().max(1))
        .max(1);
    let len = markdown.len() * repeat;
    let blocks = (0..rng.size(20))
        .map(|_| (rng.below(len + 10), rng.below(len + 10)))
        .collect();
    let title = rng.chance(70).then(|| odd_text(rng, 2000));
    let input = ChunkerInput {
        config,
        title,
        markdown,
        repeat,
        blocks,
    };
    serde_json::to_vec(&input).expect("chunker inputs serialize")
}

pub(super) fn check(input: &[u8]) -> Result<(), Broken> {
    let input: ChunkerInput =
        serde_json::from_slice(input).map_err(|e| Broken::Decode(e.to_string()))?;
    let markdown = input.markdown.repeat(input.repeat);
    let blocks: Vec<BlockSpan> = input
        .blocks
        .iter()
        .enumerate()
        .map(|(i, &(start, end))| BlockSpan {
            id: format!("b{}", i % 5),
            range: start..end,
        })
        .collect();
    let Ok(chunker) = Chunker::new(input.config) else {
        return Ok(()); // An invalid configuration is refused, which is all it must do.
    };
    check_chunks(
        &chunker,
        &Document {
            markdown: &markdown,
            title: input.title.as_deref(),
            blocks: &blocks,
        },
    )
}

pub(super) fn show(input: &[u8]) -> String {
    let Ok(input) = serde_json::from_slice::<ChunkerInput>(input) else {
        return "input does not decode".into();
    };
    let markdown = input.markdown.repeat(input.repeat);
    match Chunker::new(input.config) {
        Ok(chunker) => show_chunks(
            &chunker,
            &Document {
                markdown: &markdown,
                title: input.title.as_deref(),
                blocks: &[],
            },
        ),
        Err(e) => format!("configuration refused: {e}"),
    }
}

/// The chunks of `doc`, each with its range and tokens, for a person to read.
pub(super) fn show_chunks(chunker: &Chunker, doc: &Document<'_>) -> String {
    chunker
        .chunk(doc)
        .iter()
        .map(|c| {
            format!(
                "--- chunk {} {:?}, {} tokens\n{}\n",
                c.index, c.byte_range, c.token_count, c.embed_text
            )
        })
        .collect()
}

/// Chunks `doc` and checks every invariant of the chunks.
pub(super) fn check_chunks(chunker: &Chunker, doc: &Document<'_>) -> Result<(), Broken> {
    let text = doc.markdown;
    let chunks = chunker.chunk(doc);
    let config = chunker.config();
    ensure(chunks.is_empty() == text.trim().is_empty(), || {
        format!(
            "{} chunks for a text blank: {}",
            chunks.len(),
            text.trim().is_empty()
        )
    })?;
    let mut covered_to = 0;
    let mut previous: Option<&chunker::Chunk> = None;
    for (i, chunk) in chunks.iter().enumerate() {
        let range = chunk.byte_range.clone();
        ensure(chunk.index == i, || {
            format!("chunk {i} has index {}", chunk.index)
        })?;
        ensure(
            range.start <= range.end && text.get(range.clone()).is_some(),
            || {
                format!(
                    "chunk {i}: range {range:?} is not on char boundaries of {} bytes",
                    text.len()
                )
            },
        )?;
        let own = &text[range.clone()];
        ensure(!own.trim().is_empty(), || format!("chunk {i} is blank"))?;
        ensure(chunk.text.contains(own), || {
            format!("chunk {i}'s text lacks its slice")
        })?;
        ensure(chunk.embed_text.ends_with(&chunk.text), || {
            format!("chunk {i}: embed_text does not end with text")
        })?;
        let counted = chunker.count_tokens(&chunk.embed_text);
        ensure(chunk.token_count == counted, || {
            format!(
                "chunk {i}: token_count {} but {counted} counted",
                chunk.token_count
            )
        })?;
        ensure(counted <= config.max_tokens, || {
            format!(
                "chunk {i}: {counted} tokens over the budget of {}",
                config.max_tokens
            )
        })?;
        if let Some(p) = previous {
            ensure(
                range.start > p.byte_range.start && range.end > p.byte_range.end,
                || format!("chunk {i} {range:?} does not move past {:?}", p.byte_range),
            )?;
        }
        let gap = text
            .get(covered_to.min(range.start)..range.start)
            .unwrap_or_default();
        ensure(gap.trim().is_empty(), || {
            format!("text before chunk {i} is in no chunk: {:?}", truncate(gap))
        })?;
        let mut ids = chunk.block_ids.clone();
        ids.sort();
        ids.dedup();
        ensure(ids.len() == chunk.block_ids.len(), || {
            format!("chunk {i} repeats a block id")
        })?;
        covered_to = covered_to.max(range.end);
        previous = Some(chunk);
    }
    let rest = text.get(covered_to..).unwrap_or_default();
    ensure(rest.trim().is_empty(), || {
        format!("the text's end is in no chunk: {:?}", truncate(rest))
    })
}

/// The start of `text`, for messages.
fn truncate(text: &str) -> &str {
    &text[..text.floor_char_boundary(200)]
}
