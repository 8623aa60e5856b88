//! Token-aware Markdown chunking: splits a document into chunks whose token
//! count (tiktoken `o200k_base` or `cl100k_base`) never exceeds a budget,
//! keeping the largest Markdown structures whole that fit.
//!
//! A document is encoded once; every candidate chunk is then measured from
//! that single encoding plus a few re-encoded characters at its edges (see
//! `measure`). Splits go from sections to blocks (paragraphs, lists, items,
//! code fences, tables, quotes), lines, sentences, words and graphemes. A
//! table split between rows repeats its header rows; a code fence split
//! between lines is closed and re-opened with its language. Table rows and
//! code lines are only cut when one alone exceeds the budget.
//!
//! Modules, in the order a document goes through them: `outline` (Markdown
//! structure: boundaries, headings, tables and fences), `measure` (exact
//! counts of any span from the one encoding), `packer` (choosing each
//! chunk's end, overlap, merging small pieces), `segment` (sentences, words,
//! graphemes inside a unit too large), `header` (the contextual header) and
//! `blocks` (block ids per chunk); `config` and `encoding` hold the settings
//! and the process-wide encoders.
//!
//! ```
//! use chunker::{ChunkConfig, Chunker, Document};
//!
//! let chunker = Chunker::new(ChunkConfig { max_tokens: 64, ..ChunkConfig::default() })?;
//! let markdown = "# Guide\n\n## Install\n\nRun the installer.\n\n## Use\n\nOpen the app.\n";
//! let chunks = chunker.chunk(&Document { markdown, title: Some("Handbook"), blocks: &[] });
//! assert_eq!(chunks.len(), 1);
//! assert_eq!(chunks[0].text, markdown.trim_end());
//! assert!(chunks[0].embed_text.starts_with("Handbook > Guide\n\n# Guide"));
//! assert!(chunks[0].token_count <= 64);
//! # Ok::<(), chunker::ChunkError>(())
//! ```

mod blocks;
mod config;
mod encoding;
mod header;
mod measure;
mod outline;
mod packer;
mod segment;

use std::ops::Range;

pub use config::{ChunkConfig, ChunkError, MIN_MAX_TOKENS, Tokenizer};

use blocks::BlockSweep;
use encoding::Encoding;
use header::Headers;
use measure::Measure;
use outline::Outline;
use packer::Packer;

/// A Markdown document to chunk.
#[derive(Debug, Clone, Copy, Default)]
pub struct Document<'a> {
    /// The Markdown text.
    pub markdown: &'a str,
    /// The page title, first in the contextual header.
    pub title: Option<&'a str>,
    /// Byte ranges of the source blocks in `markdown` (may nest, may be
    /// invalid: they only decide [`Chunk::block_ids`]).
    pub blocks: &'a [BlockSpan],
}

/// A source block's id and its byte range in [`Document::markdown`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockSpan {
    /// The block's id.
    pub id: String,
    /// Where the block's Markdown is.
    pub range: Range<usize>,
}

/// One chunk of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Position of the chunk in its document, from 0.
    pub index: usize,
    /// The chunk's Markdown: the source slice `byte_range`, preceded by the
    /// table's header rows or the fence's opening line when the chunk starts
    /// inside one, and followed by a closing fence when it ends inside one.
    pub text: String,
    /// The text to embed: the contextual header (when on) then `text`.
    pub embed_text: String,
    /// Tokens of `embed_text`; never more than `max_tokens`.
    pub token_count: usize,
    /// Texts of the headings whose sections contain the chunk's start,
    /// outermost first (Markdown stripped).
    pub heading_path: Vec<String>,
    /// The chunk's own text in the document (whitespace trimmed).
    pub byte_range: Range<usize>,
    /// Ids of the blocks whose ranges intersect `byte_range`, in document
    /// order, without repeats.
    pub block_ids: Vec<String>,
}

/// Splits Markdown into token-bounded chunks. Cheap to clone and share
/// across threads: the encoder is built once per process.
///
/// ```
/// use chunker::{ChunkConfig, Chunker, Tokenizer};
///
/// let chunker = Chunker::new(ChunkConfig { tokenizer: Tokenizer::Cl100kBase, ..ChunkConfig::default() })?;
/// assert_eq!(chunker.count_tokens("hello world"), 2);
/// assert_eq!(chunker.config().max_tokens, 512);
/// # Ok::<(), chunker::ChunkError>(())
/// ```
#[derive(Clone)]
pub struct Chunker {
    config: ChunkConfig,
    encoding: &'static Encoding,
}

impl std::fmt::Debug for Chunker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chunker")
            .field("config", &self.config)
            .finish()
    }
}

impl Chunker {
    /// A chunker for `config`, or why the configuration is unusable.
    ///
    /// ```
    /// use chunker::{ChunkConfig, ChunkError, Chunker};
    ///
    /// let too_much_overlap = ChunkConfig { max_tokens: 100, overlap_tokens: 100, ..ChunkConfig::default() };
    /// assert!(matches!(Chunker::new(too_much_overlap), Err(ChunkError::OverlapTooLarge { .. })));
    /// ```
    pub fn new(config: ChunkConfig) -> Result<Chunker, ChunkError> {
        config.validate()?;
        let encoding = Encoding::get(config.tokenizer);
        Ok(Chunker { config, encoding })
    }

    /// The configuration this chunker was built with.
    pub fn config(&self) -> &ChunkConfig {
        &self.config
    }

    /// Tokens of `text` with this chunker's encoding.
    pub fn count_tokens(&self, text: &str) -> usize {
        self.encoding.count(text)
    }

    /// Splits `doc` into chunks, in document order. Whitespace-only input
    /// gives no chunk.
    ///
    /// ```
    /// use chunker::{BlockSpan, ChunkConfig, Chunker, Document};
    ///
    /// let config = ChunkConfig { max_tokens: 20, min_tokens: 0, contextual_header: false, ..ChunkConfig::default() };
    /// let chunker = Chunker::new(config)?;
    /// let markdown = "| Name | Role |\n|---|---|\n| Ada | Engineer |\n| Grace | Admiral |\n| Linus | Maintainer |\n| Barbara | Professor |\n";
    /// let blocks = [BlockSpan { id: "table".into(), range: 0..markdown.len() }];
    /// let chunks = chunker.chunk(&Document { markdown, title: None, blocks: &blocks });
    /// assert!(chunks.len() > 1);
    /// for chunk in &chunks {
    ///     assert!(chunk.text.starts_with("| Name | Role |\n|---|---|\n"));
    ///     assert!(chunk.token_count <= 20);
    ///     assert_eq!(chunk.block_ids, ["table"]);
    /// }
    /// # Ok::<(), chunker::ChunkError>(())
    /// ```
    pub fn chunk(&self, doc: &Document<'_>) -> Vec<Chunk> {
        let text = doc.markdown;
        if text.trim().is_empty() {
            return Vec::new();
        }
        let outline = Outline::parse(text);
        let mut headers = Headers::new(
            doc.title,
            self.config.contextual_header,
            self.config.max_tokens,
            self.encoding,
        );
        let measure = Measure::new(self.encoding, text);
        let pieces = Packer::new(&self.config, &outline, measure, &mut headers).pack();

        let mut sweep = BlockSweep::new(doc.blocks);
        pieces
            .into_iter()
            .enumerate()
            .map(|(index, piece)| {
                let Range { start, end } = piece.range.clone();
                let heading = outline.heading_at(start);
                let mut chunk_text = String::new();
                if piece.decor.wrappers {
                    chunk_text.push_str(outline.prefix_at(start));
                }
                chunk_text.push_str(&text[start..end]);
                if piece.decor.wrappers {
                    chunk_text.push_str(outline.suffix_at(end));
                }
                let header = if piece.decor.header {
                    headers.get(&outline, heading)
                } else {
                    ""
                };
                Chunk {
                    index,
                    embed_text: format!("{header}{chunk_text}"),
                    text: chunk_text,
                    token_count: piece.tokens,
                    heading_path: outline
                        .heading_path(heading)
                        .into_iter()
                        .map(str::to_owned)
                        .collect(),
                    block_ids: sweep.ids(&piece.range),
                    byte_range: piece.range,
                }
            })
            .collect()
    }
}
