//! One example per rule: tables, code fences, deep lists, headings without
//! body, overlap, minimum-size merging, contextual header, huge lines.

use super::*;

/// `count` lines made by `line` from their number.
fn numbered(count: usize, line: impl Fn(usize) -> String) -> String {
    (0..count).map(line).collect()
}

#[test]
fn a_table_split_between_rows_repeats_its_header() {
    let lines = numbered(60, |i| {
        format!("| person {i} | team {} | note number {i} |\n", i % 4)
    });
    let markdown = format!("| Name | Team | Note |\n|:---|---|---:|\n{lines}");
    let chunker = chunker(100);
    let chunks = chunk(&chunker, &markdown);
    assert!(chunks.len() > 2, "{} chunks", chunks.len());
    assert_budget(&chunker, &chunks);
    let mut rows = 0;
    for c in &chunks {
        assert!(
            c.text
                .starts_with("| Name | Team | Note |\n|:---|---|---:|\n| person"),
            "{}",
            c.text
        );
        rows += c.text.lines().count() - 2;
        assert!(
            c.text
                .lines()
                .all(|l| l.starts_with('|') && l.ends_with('|'))
        );
    }
    assert_eq!(rows, 60);
}

#[test]
fn a_code_fence_split_between_lines_is_reopened_with_its_language() {
    let lines = numbered(80, |i| {
        format!("    value_{i} = compute({i})  # step {i}\n")
    });
    let markdown = format!("Intro.\n\n```python\n{lines}```\n");
    let chunker = chunker(120);
    let chunks = chunk(&chunker, &markdown);
    assert!(chunks.len() > 2);
    assert_budget(&chunker, &chunks);
    for (i, c) in chunks.iter().enumerate() {
        assert_eq!(fence_lines(&c.text), 2, "{}", c.text);
        assert!(c.text.trim_end().ends_with("```"), "{}", c.text);
        if i > 0 {
            // Indentation of the first code line is kept.
            assert!(c.text.starts_with("```python\n    value_"), "{}", c.text);
        }
    }
    let code_lines: usize = chunks
        .iter()
        .map(|c| c.text.lines().filter(|l| l.contains("compute")).count())
        .sum();
    assert_eq!(code_lines, 80);
}

#[test]
fn a_fence_in_a_quote_is_closed_inside_the_quote() {
    let lines = numbered(40, |i| format!("> let x{i} = {i};\n"));
    let markdown = format!("> ```rust\n{lines}> ```\n");
    let chunks = chunk(&chunker(60), &markdown);
    assert!(chunks.len() > 1);
    for c in &chunks {
        assert!(c.text.starts_with("> ```rust\n"), "{}", c.text);
        assert!(c.text.ends_with("\n> ```"), "{}", c.text);
    }
}

#[test]
fn deep_lists_split_between_items_not_inside_them() {
    let mut markdown = String::new();
    for i in 0..30 {
        markdown.push_str(&format!("- top item {i} with a few words of text\n"));
        for j in 0..3 {
            markdown.push_str(&format!("  - nested item {i}.{j} says something\n"));
            markdown.push_str(&format!("    - deeper item {i}.{j} goes further down\n"));
        }
    }
    let chunker = chunker(128);
    let chunks = chunk(&chunker, &markdown);
    assert!(chunks.len() > 3);
    assert_budget(&chunker, &chunks);
    for c in &chunks {
        // Every chunk starts at an item and ends at the end of a line.
        assert!(c.text.starts_with("- "), "{:?}", c.text);
        assert!(markdown[c.byte_range.end..].starts_with('\n'));
    }
    // Most chunks start at a top-level item (the stronger boundary).
    let top_level = chunks
        .iter()
        .filter(|c| c.text.starts_with("- top"))
        .count();
    assert!(
        top_level * 2 > chunks.len(),
        "{top_level} of {}",
        chunks.len()
    );
}

#[test]
fn headings_without_body_stay_with_what_follows() {
    let lines = numbered(40, |i| {
        format!("Step {i} explains one more thing to do before the next one.\n\n")
    });
    let markdown = format!("# Guide\n\n## Empty section\n\n## Setup\n\n### Steps\n\n{lines}");
    let chunker = chunker(100);
    let chunks = chunk(&chunker, &markdown);
    assert_budget(&chunker, &chunks);
    assert!(
        chunks[0]
            .text
            .starts_with("# Guide\n\n## Empty section\n\n## Setup\n\n### Steps\n\nStep 0")
    );
    assert_eq!(chunks[0].heading_path, ["Guide"]);
    assert_eq!(chunks[1].heading_path, ["Guide", "Setup", "Steps"]);
    assert!(
        chunks
            .iter()
            .all(|c| !c.text.ends_with(':') && !c.text.trim_end().ends_with("Steps"))
    );
}

#[test]
fn sections_that_fit_are_kept_whole() {
    let mut markdown = String::new();
    for s in 0..6 {
        markdown.push_str(&format!("## Section {s}\n\n"));
        for p in 0..3 {
            markdown.push_str(&format!(
                "Paragraph {p} of section {s} has a sentence or two. It goes on a little.\n\n"
            ));
        }
    }
    let chunker = chunker(200);
    let chunks = chunk(&chunker, &markdown);
    assert_budget(&chunker, &chunks);
    for c in &chunks {
        assert!(c.text.starts_with("## Section"), "{:?}", c.text);
        assert!(c.text.ends_with("It goes on a little."));
    }
}

#[test]
fn overlap_repeats_the_end_of_the_previous_chunk_within_the_budget() {
    let markdown: String = (0..200)
        .map(|i| format!("Sentence number {i} is here. "))
        .collect();
    let config = ChunkConfig {
        max_tokens: 64,
        overlap_tokens: 16,
        min_tokens: 0,
        contextual_header: false,
        ..ChunkConfig::default()
    };
    let chunker = Chunker::new(config).unwrap();
    let chunks = chunk(&chunker, &markdown);
    assert!(chunks.len() > 5);
    assert_budget(&chunker, &chunks);
    for pair in chunks.windows(2) {
        let (a, b) = (&pair[0].byte_range, &pair[1].byte_range);
        assert!(b.start < a.end && b.end > a.end, "{a:?} then {b:?}");
        let repeated = chunker.count_tokens(&markdown[b.start..a.end]);
        assert!((8..=16).contains(&repeated), "{repeated} tokens overlap");
        assert!(
            markdown[b.start..].starts_with("Sentence"),
            "overlap starts mid-sentence"
        );
    }
}

#[test]
fn small_pieces_join_their_neighbour_when_it_fits() {
    // Three sections of about 40 tokens: with a budget of 96, two fit in a chunk.
    let section =
        |name: &str| format!("## {name}\n\n{}\n\n", "Words fill this section. ".repeat(7));
    let markdown = format!(
        "{}{}{}## Tail\n\nShort end.\n",
        section("A"),
        section("B"),
        section("C")
    );
    let config = |min_tokens| ChunkConfig {
        max_tokens: 96,
        min_tokens,
        contextual_header: false,
        ..ChunkConfig::default()
    };
    let sections = chunk(&Chunker::new(config(0)).unwrap(), &markdown);
    assert_eq!(sections.len(), 2, "{sections:#?}");
    assert!(sections[0].text.starts_with("## A") && sections[1].text.starts_with("## C"));
    assert!(
        sections[1].text.ends_with("Short end."),
        "the small tail joins section C"
    );

    // A minimum above what two whole sections reach fills chunks from the next section.
    let min_chunker = Chunker::new(config(90)).unwrap();
    let filled = chunk(&min_chunker, &markdown);
    assert_budget(&min_chunker, &filled);
    assert!(filled[0].token_count >= 90, "{filled:#?}");
    assert!(filled[0].text.starts_with("## A") && !filled[1].text.starts_with("## "));
}

#[test]
fn a_small_piece_stays_alone_when_merging_would_exceed_the_budget() {
    let markdown = format!(
        "{}\n\n## Tail\n\nShort end.\n",
        "Words fill this section. ".repeat(18)
    );
    let chunker = Chunker::new(ChunkConfig {
        max_tokens: 96,
        min_tokens: 40,
        contextual_header: false,
        ..ChunkConfig::default()
    })
    .unwrap();
    let chunks = chunk(&chunker, &markdown);
    assert_budget(&chunker, &chunks);
    assert!(chunks.len() >= 2);
    assert!(chunks.last().unwrap().token_count < 40);
}

#[test]
fn the_contextual_header_is_in_embed_text_and_in_the_budget() {
    let lines = numbered(30, |i| {
        format!("Rule {i}: book trains early and keep the receipts.\n\n")
    });
    let markdown = format!("# Handbook\n\n## Travel\n\n{lines}");
    let chunker = Chunker::new(ChunkConfig {
        max_tokens: 64,
        min_tokens: 0,
        ..ChunkConfig::default()
    })
    .unwrap();
    let chunks = chunker.chunk(&Document {
        markdown: &markdown,
        title: Some("Company wiki"),
        blocks: &[],
    });
    assert!(chunks.len() > 3);
    assert_budget(&chunker, &chunks);
    assert!(
        chunks[0]
            .embed_text
            .starts_with("Company wiki > Handbook\n\n# Handbook")
    );
    for c in &chunks[1..] {
        assert_eq!(
            c.embed_text,
            format!("Company wiki > Handbook > Travel\n\n{}", c.text)
        );
        assert!(c.token_count > chunker.count_tokens(&c.text));
    }
}

#[test]
fn cl100k_counts_differ_and_are_respected() {
    let markdown = "日本語のテキストと English words mixed together. ".repeat(100);
    for tokenizer in [Tokenizer::O200kBase, Tokenizer::Cl100kBase] {
        let chunker = Chunker::new(ChunkConfig {
            max_tokens: 50,
            min_tokens: 0,
            tokenizer,
            ..ChunkConfig::default()
        })
        .unwrap();
        let chunks = chunk(&chunker, &markdown);
        assert_budget(&chunker, &chunks);
        assert!(chunks.iter().filter(|c| c.token_count >= 40).count() * 10 >= chunks.len() * 8);
    }
    let o200k = Chunker::new(ChunkConfig::default()).unwrap();
    let cl100k = Chunker::new(ChunkConfig {
        tokenizer: Tokenizer::Cl100kBase,
        ..ChunkConfig::default()
    })
    .unwrap();
    assert_ne!(
        o200k.count_tokens(&markdown),
        cl100k.count_tokens(&markdown)
    );
}

#[test]
fn a_one_megabyte_line_is_split_within_the_budget() {
    // 1 MB of words; lines without any space (slower to encode) are 256 KB.
    let words = "lorem ipsum dolor sit amet consectetur ".repeat((1 << 20) / 39 + 1);
    let no_space = "ab".repeat(1 << 17);
    let cjk = "日本語の文章".repeat((1 << 18) / 18);
    for line in [words, no_space, cjk] {
        let markdown = format!("# Title\n\n{line}\n\nAfter.\n");
        let chunker = chunker(512);
        let chunks = chunk(&chunker, &markdown);
        assert_budget(&chunker, &chunks);
        assert!(chunks.last().unwrap().text.ends_with("\n\nAfter."));
        let non_blank = |s: &str| s.chars().filter(|c| !c.is_whitespace()).count();
        let covered: usize = chunks
            .iter()
            .map(|c| non_blank(&markdown[c.byte_range.clone()]))
            .sum();
        assert_eq!(covered, non_blank(&markdown));
    }
}

#[test]
fn empty_and_blank_documents_give_no_chunks() {
    let chunker = chunker(64);
    assert!(chunk(&chunker, "").is_empty());
    assert!(chunk(&chunker, " \n\n\t \n").is_empty());
    let one = chunk(&chunker, "\n\n  x  \n");
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].text, "x");
    assert_eq!(one[0].byte_range, 4..5);
}

#[test]
fn configurations_are_checked() {
    use chunker::ChunkError;
    let config = |max_tokens, overlap_tokens, min_tokens| ChunkConfig {
        max_tokens,
        overlap_tokens,
        min_tokens,
        ..ChunkConfig::default()
    };
    assert!(matches!(
        Chunker::new(config(8, 0, 0)),
        Err(ChunkError::MaxTokensTooSmall { .. })
    ));
    assert!(matches!(
        Chunker::new(config(100, 100, 0)),
        Err(ChunkError::OverlapTooLarge { .. })
    ));
    assert!(matches!(
        Chunker::new(config(100, 10, 101)),
        Err(ChunkError::MinTokensTooLarge { .. })
    ));
    assert!(Chunker::new(config(16, 15, 16)).is_ok());
    for tokenizer in [Tokenizer::O200kBase, Tokenizer::Cl100kBase] {
        assert_eq!(
            tokenizer.to_string().parse::<Tokenizer>().unwrap(),
            tokenizer
        );
    }
    assert_eq!(Tokenizer::default().to_string(), "o200k_base");
    let error = "p50k_base".parse::<Tokenizer>().unwrap_err();
    assert!(error.to_string().contains("p50k_base"));
}

#[test]
fn chunker_is_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync + Clone>(_: &T) {}
    let chunker = chunker(64);
    assert_send_sync(&chunker);
    let markdown = "Some text. ".repeat(200);
    let expected = chunk(&chunker, &markdown);
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let (chunker, markdown) = (chunker.clone(), markdown.clone());
            std::thread::spawn(move || chunk(&chunker, &markdown))
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().unwrap(), expected);
    }
}

#[test]
fn a_long_paragraph_splits_between_words_and_keeps_links_whole() {
    let links = numbered(40, |i| {
        format!("see [page {i}](https://www.notion.so/{i:032x}) and ")
    });
    let markdown = format!("{links}done.\n");
    let chunker = chunker(48);
    let chunks = chunk(&chunker, &markdown);
    assert!(chunks.len() > 3);
    assert_budget(&chunker, &chunks);
    for c in &chunks {
        assert_eq!(
            c.text.matches('[').count(),
            c.text.matches(')').count(),
            "{:?}",
            c.text
        );
        assert_eq!(
            c.text.matches("](https://").count(),
            c.text.matches('[').count()
        );
    }
}

#[test]
fn table_rows_and_code_lines_are_not_cut_to_fill_a_chunk() {
    // Lines alternate between medium (under half the budget) and long (too
    // long to follow a medium one, short enough to fit after the header).
    let words = |n: usize| vec!["word"; n].join(" ");
    let (medium, long) = (words(62), words(104));
    let line = |i: usize| if i.is_multiple_of(2) { &medium } else { &long };
    let rows = numbered(12, |i| format!("| {i} | {} |\n", line(i)));
    let code = numbered(12, |i| format!("call({i}, \"{}\")\n", line(i)));
    let markdown = format!("| n | text |\n|---|---|\n{rows}\n```py\n{code}```\n");
    let chunker = chunker(160);
    let (medium, long) = (chunker.count_tokens(&medium), chunker.count_tokens(&long));
    assert!(
        medium + 16 < 80 && medium + long > 160 && long + 20 < 160,
        "{medium} {long}"
    );
    let chunks = chunk(&chunker, &markdown);
    assert_budget(&chunker, &chunks);
    for c in &chunks {
        for line in c.text.lines() {
            let whole_row = line.starts_with('|') && line.ends_with('|');
            let whole_code = markdown.lines().any(|l| l == line);
            assert!(whole_row || whole_code, "chunk {} cuts {line:?}", c.index);
        }
    }
}

#[test]
fn a_heading_before_a_large_table_goes_with_the_table() {
    let rows = numbered(30, |i| {
        format!("| member {i} | works on the ingestion pipeline |\n")
    });
    let intro = "The team changed a lot this quarter, and this page lists who does what now.";
    let markdown = format!(
        "{intro}\n\n## Team\n\n| Name | Focus |\n|---|---|\n{rows}\n## Next\n\nMore text.\n"
    );
    for max_tokens in (16..=120).step_by(4) {
        let chunker = chunker(max_tokens);
        let chunks = chunk(&chunker, &markdown);
        assert_budget(&chunker, &chunks);
        for c in &chunks {
            // Only a heading too large to share a chunk with anything may end one.
            let heading_only = c.text.lines().all(|l| l.is_empty() || l.starts_with('#'));
            let last_line = c.text.lines().last().unwrap();
            assert!(
                heading_only || !last_line.starts_with('#'),
                "max {max_tokens}: chunk {} ends with a heading:\n{}",
                c.index,
                c.text
            );
        }
    }
}

#[test]
fn long_indentation_in_code_never_makes_blank_chunks() {
    // A code line whose indentation alone is over the budget: the chunks
    // must still each hold text, and together hold all of it.
    for indent in ["\u{C}", "\u{B}", " \t"] {
        let markdown = format!("```\nfirst\n{}x = 1\nlast\n```\n", indent.repeat(300));
        let chunker = chunker(16);
        let chunks = chunk(&chunker, &markdown);
        assert_budget(&chunker, &chunks);
        for c in &chunks {
            assert!(
                !markdown[c.byte_range.clone()].trim().is_empty(),
                "blank chunk {c:?}"
            );
        }
        let text: String = chunks
            .iter()
            .map(|c| &markdown[c.byte_range.clone()])
            .collect();
        for needle in ["first", "x", "=", "1", "last"] {
            assert!(text.contains(needle), "{needle} lost");
        }
    }
}

#[test]
fn a_hundred_thousand_nested_markers_on_one_line_chunk() {
    // Every marker opens a list or quote inside the previous one, all on
    // one line: finding each block's line must not scan the line again.
    for unit in ["1. ", "> ", "- "] {
        let markdown = unit.repeat(100_000) + "end";
        let chunker = chunker(512);
        let chunks = chunk(&chunker, &markdown);
        assert_budget(&chunker, &chunks);
        assert!(chunks.last().is_some_and(|c| c.text.ends_with("end")));
    }
}

#[test]
fn an_earlier_end_inside_a_fence_is_measured_with_its_closing_fence() {
    // Found by the fuzzer: ending inside the open fence adds a closing
    // fence, so an earlier end can cost more than a later one; the chunk
    // chosen must still be measured and fit.
    let markdown = "1. + \n   ````````````\n\n$$\nعبي文。";
    let chunker = Chunker::new(ChunkConfig {
        max_tokens: 17,
        min_tokens: 2,
        contextual_header: false,
        ..ChunkConfig::default()
    })
    .unwrap();
    let chunks = chunk(&chunker, markdown);
    assert_budget(&chunker, &chunks);
    let text: String = chunks
        .iter()
        .map(|c| &markdown[c.byte_range.clone()])
        .collect();
    assert!(text.contains("$$") && text.contains("文。"));
}
