//! The BPE encoders, built once per process, and the byte length of every
//! token so that a document's token stream can be mapped back to byte offsets.

use std::sync::OnceLock;

use tiktoken_rs::{CoreBPE, Rank};

use crate::config::Tokenizer;

/// One tiktoken encoding plus the byte length of each of its tokens.
pub(crate) struct Encoding {
    bpe: &'static CoreBPE,
    /// `token_len[rank]` is the number of bytes token `rank` decodes to.
    token_len: Vec<u32>,
}

impl Encoding {
    /// The process-wide encoding for `tokenizer`, built on first use.
    pub(crate) fn get(tokenizer: Tokenizer) -> &'static Encoding {
        static O200K: OnceLock<Encoding> = OnceLock::new();
        static CL100K: OnceLock<Encoding> = OnceLock::new();
        match tokenizer {
            Tokenizer::O200kBase => {
                O200K.get_or_init(|| Encoding::new(tiktoken_rs::o200k_base_singleton()))
            }
            Tokenizer::Cl100kBase => {
                CL100K.get_or_init(|| Encoding::new(tiktoken_rs::cl100k_base_singleton()))
            }
        }
    }

    fn new(bpe: &'static CoreBPE) -> Encoding {
        // Ordinary ranks are dense from 0; stop after a long run of unknown ranks.
        let mut token_len = Vec::new();
        let mut misses = 0;
        let mut rank: Rank = 0;
        while misses < 1024 {
            match bpe.decode_bytes(&[rank]) {
                Ok(bytes) => {
                    misses = 0;
                    token_len.push(bytes.len() as u32);
                }
                Err(_) => {
                    misses += 1;
                    token_len.push(0);
                }
            }
            rank += 1;
        }
        Encoding { bpe, token_len }
    }

    /// The tokens of `text`, special-token text counted as ordinary text.
    pub(crate) fn encode(&self, text: &str) -> Vec<Rank> {
        self.bpe.encode_ordinary(text)
    }

    /// How many tokens `text` encodes to.
    pub(crate) fn count(&self, text: &str) -> usize {
        self.bpe.encode_ordinary(text).len()
    }

    /// How many bytes `rank` decodes to.
    pub(crate) fn token_len(&self, rank: Rank) -> usize {
        match self.token_len.get(rank as usize) {
            Some(&len) => len as usize,
            None => self.bpe.decode_bytes(&[rank]).map_or(0, |b| b.len()),
        }
    }
}
