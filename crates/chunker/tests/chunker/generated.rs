//! Properties over generated Markdown: headings, paragraphs, nested lists,
//! code fences, tables, quotes, Unicode (CJK, emoji, combining marks) and
//! long words; and over arbitrary text with arbitrary block ranges.

use proptest::prelude::*;

use super::*;

/// A generated document with what the test knows about it.
#[derive(Debug, Clone)]
struct Generated {
    markdown: String,
    /// Top-level headings: (line start, level, plain text).
    headings: Vec<(usize, usize, String)>,
    /// One span per generated block.
    blocks: Vec<BlockSpan>,
    /// The budget (o200k tokens) from which every table and code fence can
    /// be split between its lines into valid Markdown: the repeated part
    /// within half of it, and the repeated part plus one line within it.
    wrap_need: usize,
}

#[derive(Debug, Clone)]
enum Block {
    Heading(usize, Vec<String>),
    Paragraph(Vec<String>),
    List(Vec<(usize, String)>),
    Fence(String, Vec<String>),
    Table(Vec<String>, Vec<Vec<String>>),
    Quote(Vec<String>),
}

const PLAIN: &[&str] = &[
    "the",
    "quick",
    "Notion",
    "data",
    "pipeline",
    "token",
    "chunk",
    "é",
    "naïve",
    "Straße",
    "日本語",
    "中文",
    "한국어",
    "🙂",
    "👍🏽",
    "e\u{301}",
    "Ω",
    "русский",
    "עברית",
    "العربية",
    "don't",
    "it's",
    "12345",
    "3.14",
    "ﬁle",
    "ÉCOLE",
    "x2",
    "IPv6",
];
const INLINE: &[&str] = &[
    "/usr/bin",
    "a/b",
    "(x)",
    "[link](http://x.io)",
    "**bold**",
    "_it_",
    "`code`",
    "don’t",
    "—",
    "…",
];

fn plain_word() -> impl Strategy<Value = String> {
    prop::sample::select(PLAIN).prop_map(str::to_owned)
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        10 => plain_word(),
        3 => prop::sample::select(INLINE).prop_map(str::to_owned),
        1 => "[a-z]{20,400}",
        1 => "[\u{4e00}-\u{4e80}]{5,300}",
        1 => "[🙂😀🎉👍🏽]{2,40}",
    ]
}

fn sentence() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(word(), 1..16),
        prop::sample::select(vec![".", "!", "?", "。", ""]),
    )
        .prop_map(|(words, end)| format!("{}{end}", words.join(" ")))
}

fn block() -> impl Strategy<Value = Block> {
    prop_oneof![
        2 => (1usize..=6, prop::collection::vec(plain_word(), 1..5)).prop_map(|(l, w)| Block::Heading(l, w)),
        4 => prop::collection::vec(sentence(), 1..8).prop_map(Block::Paragraph),
        2 => prop::collection::vec((0usize..4, sentence()), 1..12).prop_map(Block::List),
        2 => (prop::sample::select(vec!["rust", "python", ""]), prop::collection::vec("[a-z =();{}0-9]{0,60}", 1..40))
            .prop_map(|(lang, lines)| Block::Fence(lang.to_owned(), lines)),
        2 => (2usize..5, 1usize..30).prop_flat_map(|(cols, rows)| (
                prop::collection::vec(plain_word(), cols),
                prop::collection::vec(prop::collection::vec(plain_word(), cols), rows),
            )).prop_map(|(head, rows)| Block::Table(head, rows)),
        1 => prop::collection::vec(sentence(), 1..5).prop_map(Block::Quote),
    ]
}

fn document() -> impl Strategy<Value = Generated> {
    prop::collection::vec(block(), 0..40).prop_map(|blocks| render(&blocks))
}

fn render(blocks: &[Block]) -> Generated {
    let mut markdown = String::new();
    let mut headings = Vec::new();
    let mut spans = Vec::new();
    let mut wrap_need = 0;
    let tokens = |text: &str| fresh_count(Tokenizer::O200kBase, text);
    let mut need = |repeated: &str, lines: &mut dyn Iterator<Item = String>, closing: &str| {
        let longest = lines.map(|l| tokens(&l)).max().unwrap_or(0);
        let repeated = tokens(repeated);
        wrap_need = wrap_need
            .max(2 * repeated)
            .max(repeated + longest + tokens(closing) + 4);
    };
    for (i, block) in blocks.iter().enumerate() {
        let start = markdown.len();
        match block {
            Block::Heading(level, words) => {
                headings.push((start, *level, words.join(" ")));
                markdown.push_str(&format!("{} {}\n", "#".repeat(*level), words.join(" ")));
            }
            Block::Paragraph(sentences) => {
                for (j, s) in sentences.iter().enumerate() {
                    let separator = if j % 3 == 2 { "\n" } else { " " };
                    markdown.push_str(s);
                    markdown.push_str(separator);
                }
                markdown.push('\n');
            }
            Block::List(items) => {
                let mut depth = 0;
                for (wanted, s) in items {
                    depth = (*wanted).min(depth + 1);
                    markdown.push_str(&format!("{}- {s}\n", "  ".repeat(depth)));
                }
            }
            Block::Fence(lang, lines) => {
                let marker = if i % 2 == 0 { "```" } else { "~~~~" };
                let opening = format!("{marker}{lang}\n");
                need(
                    &opening,
                    &mut lines.iter().map(|l| format!("{l}\n")),
                    &format!("\n{marker}"),
                );
                markdown.push_str(&opening);
                for line in lines {
                    markdown.push_str(line);
                    markdown.push('\n');
                }
                markdown.push_str(&format!("{marker}\n"));
            }
            Block::Table(head, rows) => {
                let header = format!("| {} |\n|{}\n", head.join(" | "), "---|".repeat(head.len()));
                let rows: Vec<String> = rows
                    .iter()
                    .map(|r| format!("| {} |\n", r.join(" | ")))
                    .collect();
                need(&header, &mut rows.iter().cloned(), "");
                markdown.push_str(&header);
                for row in rows {
                    markdown.push_str(&row);
                }
            }
            Block::Quote(sentences) => {
                for s in sentences {
                    markdown.push_str(&format!("> {s}\n"));
                }
            }
        }
        spans.push(BlockSpan {
            id: format!("b{i}"),
            range: start..markdown.len(),
        });
        markdown.push('\n');
    }
    Generated {
        markdown,
        headings,
        blocks: spans,
        wrap_need,
    }
}

/// The heading path the generator expects at `pos`.
fn expected_path(generated: &Generated, pos: usize) -> Vec<String> {
    let mut stack: Vec<(usize, String)> = Vec::new();
    for (start, level, text) in &generated.headings {
        if *start > pos {
            break;
        }
        stack.retain(|(l, _)| l < level);
        stack.push((*level, text.clone()));
    }
    stack.into_iter().map(|(_, t)| t).collect()
}

/// The blocks a chunk's range should report, computed by brute force.
fn expected_blocks(generated: &Generated, range: &std::ops::Range<usize>) -> Vec<String> {
    generated
        .blocks
        .iter()
        .filter(|b| b.range.start < range.end && range.start < b.range.end)
        .map(|b| b.id.clone())
        .collect()
}

/// `text` is the source slice, possibly after repeated table header rows or
/// a re-opened fence, and before a closing fence.
fn assert_source_slice(markdown: &str, c: &Chunk) {
    let slice = &markdown[c.byte_range.clone()];
    let at = c
        .text
        .rfind(slice)
        .unwrap_or_else(|| panic!("chunk {} text is not its slice", c.index));
    let (before, after) = (&c.text[..at], &c.text[at + slice.len()..]);
    for line in before.lines() {
        let line = line.trim_start_matches([' ', '>']);
        assert!(
            markdown.contains(line),
            "chunk {} repeats {line:?}, not in the source",
            c.index
        );
    }
    let closing = after
        .trim_start_matches('\n')
        .trim_start_matches([' ', '>']);
    assert!(
        after.is_empty()
            || (after.starts_with('\n')
                && (closing.chars().all(|c| c == '`') || closing.chars().all(|c| c == '~'))),
        "chunk {} ends with {after:?}",
        c.index
    );
}

/// No chunk leaves a fence open, and table body rows come after a header.
fn assert_valid_markdown(c: &Chunk) {
    assert!(
        fence_lines(&c.text).is_multiple_of(2),
        "chunk {} has an unclosed fence:\n{}",
        c.index,
        c.text
    );
    let lines: Vec<&str> = c
        .text
        .lines()
        .map(|l| l.trim_start_matches([' ', '>']))
        .collect();
    for line in &lines {
        let row_start = line.starts_with('|');
        let row_end = line.ends_with(" |") || line.ends_with("---|");
        assert_eq!(
            row_start, row_end,
            "chunk {} cuts a table row: {:?}\n{}",
            c.index, line, c.text
        );
    }
    let in_table = |l: &&str| l.starts_with('|');
    if let Some(first) = lines.iter().position(in_table) {
        assert!(
            lines.get(first + 1).is_some_and(|l| l.starts_with("|---")),
            "chunk {} starts a table without its header:\n{}",
            c.index,
            c.text
        );
    }
}

/// No chunk under `min_tokens` sits next to one it would fit with (checked
/// where no table or fence wrapping is involved).
fn assert_no_mergeable_pair(chunker: &Chunker, markdown: &str, chunks: &[Chunk]) {
    let config = chunker.config();
    let plain = |c: &Chunk| !c.text.contains(['|', '`', '~']);
    for pair in chunks.windows(2) {
        let (first, second) = (&pair[0], &pair[1]);
        if first.token_count.min(second.token_count) >= config.min_tokens
            || !plain(first)
            || !plain(second)
        {
            continue;
        }
        let merged = &markdown[first.byte_range.start..second.byte_range.end];
        let merged = merged.trim();
        assert!(
            fresh_count(config.tokenizer, merged) > config.max_tokens,
            "chunks {} and {} fit together ({} tokens) but one is under the minimum",
            first.index,
            second.index,
            fresh_count(config.tokenizer, merged)
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn chunks_cover_the_document_once_within_budget(generated in document(), max_tokens in 16usize..700) {
        let chunker = chunker(max_tokens);
        let markdown = &generated.markdown;
        let chunks = chunker.chunk(&Document { markdown, title: None, blocks: &generated.blocks });
        assert_budget(&chunker, &chunks);

        let mut covered_to = 0;
        for (i, c) in chunks.iter().enumerate() {
            prop_assert_eq!(c.index, i);
            prop_assert!(c.byte_range.start >= covered_to, "chunk {} overlaps the previous one", i);
            let gap = &markdown[covered_to..c.byte_range.start];
            prop_assert!(gap.trim().is_empty(), "text {:?} before chunk {} is in no chunk", gap, i);
            prop_assert!(!markdown[c.byte_range.clone()].trim().is_empty());
            covered_to = c.byte_range.end;
            assert_source_slice(markdown, c);
            prop_assert_eq!(&c.embed_text, &c.text);
            prop_assert_eq!(&c.heading_path, &expected_path(&generated, c.byte_range.start));
            prop_assert_eq!(&c.block_ids, &expected_blocks(&generated, &c.byte_range));
        }
        prop_assert!(markdown[covered_to..].trim().is_empty(), "the document's end is in no chunk");

        // Tables and fences whose lines fit are never cut into invalid Markdown.
        if max_tokens >= generated.wrap_need {
            for c in &chunks {
                assert_valid_markdown(c);
            }
        }
    }

    #[test]
    fn every_option_keeps_the_budget(
        generated in document(),
        max_tokens in 16usize..600,
        overlap_share in 0usize..60,
        min_share in 0usize..100,
        contextual_header in any::<bool>(),
        cl100k in any::<bool>(),
        title in prop::option::of("[A-Za-z 日本🙂]{0,200}"),
    ) {
        let config = ChunkConfig {
            max_tokens,
            overlap_tokens: max_tokens * overlap_share / 100,
            min_tokens: max_tokens * min_share / 100,
            contextual_header,
            tokenizer: if cl100k { Tokenizer::Cl100kBase } else { Tokenizer::O200kBase },
        };
        let chunker = Chunker::new(config).unwrap();
        let markdown = &generated.markdown;
        let chunks = chunker.chunk(&Document { markdown, title: title.as_deref(), blocks: &generated.blocks });
        assert_budget(&chunker, &chunks);
        let mut previous: Option<&Chunk> = None;
        for c in &chunks {
            prop_assert!(c.embed_text.ends_with(&c.text));
            prop_assert_eq!(&c.heading_path, &expected_path(&generated, c.byte_range.start));
            if let Some(p) = previous {
                prop_assert!(c.byte_range.start > p.byte_range.start && c.byte_range.end > p.byte_range.end);
            }
            previous = Some(c);
        }
        let last_end = chunks.last().map_or(0, |c| c.byte_range.end);
        prop_assert!(markdown[last_end..].trim().is_empty());
        if !contextual_header {
            assert_no_mergeable_pair(&chunker, markdown, &chunks);
        }
    }

    #[test]
    fn arbitrary_input_never_panics(
        markdown in prop_oneof![any::<String>(), "[#>|`~*=\\-+ \n\t.a-z0-9日本🙂é\u{301}]{0,600}"],
        spans in prop::collection::vec((0usize..700, 0usize..700), 0..20),
        max_tokens in 16usize..200,
        overlap_share in 0usize..90,
    ) {
        let blocks: Vec<BlockSpan> = spans
            .iter()
            .enumerate()
            .map(|(i, &(start, end))| BlockSpan { id: format!("b{}", i % 7), range: start..end })
            .collect();
        let chunker = Chunker::new(ChunkConfig {
            max_tokens,
            overlap_tokens: max_tokens * overlap_share / 100,
            ..ChunkConfig { min_tokens: 8, ..ChunkConfig::default() }
        }).unwrap();
        let chunks = chunker.chunk(&Document { markdown: &markdown, title: Some("T"), blocks: &blocks });
        assert_budget(&chunker, &chunks);
        for c in &chunks {
            prop_assert!(markdown.get(c.byte_range.clone()).is_some());
            let mut ids = c.block_ids.clone();
            ids.dedup();
            prop_assert_eq!(ids.len(), c.block_ids.len());
        }
    }
}
