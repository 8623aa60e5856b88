//! Prints the chunks of a Markdown file, to see what the chunker does:
//! `cargo run --release -p chunker --example dump -- FILE [MAX_TOKENS] [OVERLAP_TOKENS]`.

use chunker::{ChunkConfig, Chunker, Document};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: dump FILE [MAX_TOKENS] [OVERLAP_TOKENS]")?;
    let max_tokens = args.next().map_or(Ok(512), |s| s.parse())?;
    let overlap_tokens = args.next().map_or(Ok(0), |s| s.parse())?;
    let markdown = std::fs::read_to_string(&path)?;
    let chunker = Chunker::new(ChunkConfig {
        max_tokens,
        overlap_tokens,
        min_tokens: 0,
        ..ChunkConfig::default()
    })?;
    let title = std::path::Path::new(&path)
        .file_stem()
        .and_then(|s| s.to_str());
    for c in chunker.chunk(&Document {
        markdown: &markdown,
        title,
        blocks: &[],
    }) {
        println!(
            "=== chunk {} · {} tokens · bytes {:?}\n{}",
            c.index, c.token_count, c.byte_range, c.embed_text
        );
    }
    Ok(())
}
