//! Integration tests of the chunker: properties over generated Markdown, and
//! examples of each splitting rule. Token counts are checked against a fresh
//! tiktoken encoder built here, independent of the chunker's own.

use std::sync::LazyLock;

use chunker::{BlockSpan, Chunk, ChunkConfig, Chunker, Document, Tokenizer};
use tiktoken_rs::CoreBPE;

static FRESH_O200K: LazyLock<CoreBPE> = LazyLock::new(|| tiktoken_rs::o200k_base().unwrap());
static FRESH_CL100K: LazyLock<CoreBPE> = LazyLock::new(|| tiktoken_rs::cl100k_base().unwrap());

/// Tokens of `text` counted by an encoder the chunker has never seen.
fn fresh_count(tokenizer: Tokenizer, text: &str) -> usize {
    match tokenizer {
        Tokenizer::O200kBase => FRESH_O200K.encode_ordinary(text).len(),
        Tokenizer::Cl100kBase => FRESH_CL100K.encode_ordinary(text).len(),
    }
}

fn chunker(max_tokens: usize) -> Chunker {
    Chunker::new(ChunkConfig {
        max_tokens,
        min_tokens: 0,
        contextual_header: false,
        ..ChunkConfig::default()
    })
    .unwrap()
}

fn chunk(chunker: &Chunker, markdown: &str) -> Vec<Chunk> {
    chunker.chunk(&Document {
        markdown,
        title: None,
        blocks: &[],
    })
}

/// Every chunk within budget and counted exactly.
fn assert_budget(chunker: &Chunker, chunks: &[Chunk]) {
    let config = chunker.config();
    for c in chunks {
        let fresh = fresh_count(config.tokenizer, &c.embed_text);
        assert_eq!(
            c.token_count, fresh,
            "chunk {} miscounted: {:?}",
            c.index, c.embed_text
        );
        assert!(
            fresh <= config.max_tokens,
            "chunk {} has {fresh} tokens: {:?}",
            c.index,
            c.embed_text
        );
    }
}

/// Lines that open or close a code fence, container markers aside.
fn fence_lines(text: &str) -> usize {
    text.lines()
        .map(|l| l.trim_start_matches([' ', '>']))
        .filter(|l| l.starts_with("```") || l.starts_with("~~~"))
        .count()
}

#[path = "chunker/examples.rs"]
mod examples;
#[path = "chunker/generated.rs"]
mod generated;
