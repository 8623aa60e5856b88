//! Configuration of a [`Chunker`](crate::Chunker): the tokenizer, the token
//! budget and the options, checked once in [`Chunker::new`](crate::Chunker::new).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The smallest `max_tokens` accepted: room for a contextual header, a code
/// fence and at least one character (a character is at most 4 tokens).
pub const MIN_MAX_TOKENS: usize = 16;

/// The BPE encoding used to count tokens. Both are bundled with `tiktoken-rs`;
/// nothing is downloaded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Tokenizer {
    /// `o200k_base` (GPT-4o and later models).
    #[default]
    #[serde(rename = "o200k_base")]
    O200kBase,
    /// `cl100k_base` (GPT-4, `text-embedding-3-*`, `text-embedding-ada-002`).
    #[serde(rename = "cl100k_base")]
    Cl100kBase,
}

impl Tokenizer {
    /// The encoding's name, as tiktoken spells it.
    pub fn name(self) -> &'static str {
        match self {
            Tokenizer::O200kBase => "o200k_base",
            Tokenizer::Cl100kBase => "cl100k_base",
        }
    }
}

impl fmt::Display for Tokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Tokenizer {
    type Err = ChunkError;

    /// Parses `o200k_base` or `cl100k_base`.
    ///
    /// ```
    /// use chunker::Tokenizer;
    /// assert_eq!("cl100k_base".parse::<Tokenizer>().unwrap(), Tokenizer::Cl100kBase);
    /// assert!("gpt2".parse::<Tokenizer>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "o200k_base" => Ok(Tokenizer::O200kBase),
            "cl100k_base" => Ok(Tokenizer::Cl100kBase),
            other => Err(ChunkError::UnknownTokenizer(other.to_owned())),
        }
    }
}

/// How to chunk: the budget every chunk's `embed_text` stays within, and the
/// options that shape the chunks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChunkConfig {
    /// Hard maximum of tokens per chunk, contextual header included (default 512).
    pub max_tokens: usize,
    /// Tokens of the previous chunk's end repeated at the start of the next
    /// (default 0). Counted inside `max_tokens`, never a reason to exceed it.
    pub overlap_tokens: usize,
    /// A piece smaller than this (or than half of `max_tokens`, whichever is
    /// more) is not left alone at a structure's end: it is merged with what
    /// follows, as far as it fits; a chunk still under `min_tokens` is merged
    /// into a neighbour when the merged chunk fits (default 64).
    pub min_tokens: usize,
    /// Prefix `embed_text` with `Title > Section > Subsection\n\n` (default on).
    pub contextual_header: bool,
    /// The encoding tokens are counted with (default `o200k_base`).
    pub tokenizer: Tokenizer,
}

impl Default for ChunkConfig {
    fn default() -> Self {
        ChunkConfig {
            max_tokens: 512,
            overlap_tokens: 0,
            min_tokens: 64,
            contextual_header: true,
            tokenizer: Tokenizer::O200kBase,
        }
    }
}

impl ChunkConfig {
    /// Checks that the numbers make sense together.
    pub fn validate(&self) -> Result<(), ChunkError> {
        if self.max_tokens < MIN_MAX_TOKENS {
            return Err(ChunkError::MaxTokensTooSmall {
                max_tokens: self.max_tokens,
                min: MIN_MAX_TOKENS,
            });
        }
        if self.overlap_tokens >= self.max_tokens {
            return Err(ChunkError::OverlapTooLarge {
                overlap_tokens: self.overlap_tokens,
                max_tokens: self.max_tokens,
            });
        }
        if self.min_tokens > self.max_tokens {
            return Err(ChunkError::MinTokensTooLarge {
                min_tokens: self.min_tokens,
                max_tokens: self.max_tokens,
            });
        }
        Ok(())
    }
}

/// Why a configuration or a tokenizer name was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    /// `max_tokens` leaves no room for a header, a fence and a character.
    #[error("max_tokens is {max_tokens}, it must be at least {min}")]
    MaxTokensTooSmall {
        /// The value given.
        max_tokens: usize,
        /// The smallest value accepted.
        min: usize,
    },
    /// The overlap would leave no room for new text.
    #[error("overlap_tokens ({overlap_tokens}) must be smaller than max_tokens ({max_tokens})")]
    OverlapTooLarge {
        /// The overlap given.
        overlap_tokens: usize,
        /// The maximum given.
        max_tokens: usize,
    },
    /// No chunk could ever reach the minimum.
    #[error("min_tokens ({min_tokens}) must not exceed max_tokens ({max_tokens})")]
    MinTokensTooLarge {
        /// The minimum given.
        min_tokens: usize,
        /// The maximum given.
        max_tokens: usize,
    },
    /// A tokenizer name other than `o200k_base` or `cl100k_base`.
    #[error("unknown tokenizer {0:?}: expected \"o200k_base\" or \"cl100k_base\"")]
    UnknownTokenizer(String),
}
