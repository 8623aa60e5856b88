//! Benchmark: the chunker against text-splitter's `MarkdownSplitter`.
//!
//! Both chunk the same generated Markdown (pages of sections, prose, nested
//! lists, tables, code fences and quotes; several MB in all) with the same
//! tokenizer (`o200k_base`) and the same maximum (512 tokens), in one run on
//! one thread. Prints each one's throughput (MB/s), their ratio, and how
//! full the chunks are: the share of chunks using at least 80% of the budget.
//! Every chunk of both is counted again with tiktoken to check the maximum.
//! Three interleaved rounds; the best time of each is reported.
//!
//! `cargo run --release -p benchmarks --bin chunker [megabytes]` (default 4).

use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use chunker::{ChunkConfig, Chunker, Document};
use text_splitter::MarkdownSplitter;

const MAX_TOKENS: usize = 512;
/// Timed rounds; the best of each is reported.
const ROUNDS: usize = 3;
/// A chunk is "full" from this many tokens (80% of the budget).
const FULL_TOKENS: usize = MAX_TOKENS * 4 / 5;

fn main() -> anyhow::Result<()> {
    let megabytes: f64 = match std::env::args().nth(1) {
        Some(n) => n.parse().context("the argument is the corpus size in MB")?,
        None => 4.0,
    };
    let pages = corpus((megabytes * 1e6) as usize);
    let bytes: usize = pages.iter().map(String::len).sum();
    let mb = bytes as f64 / 1e6;
    println!(
        "corpus: {} pages, {mb:.2} MB of Markdown, o200k_base, max {MAX_TOKENS} tokens",
        pages.len()
    );

    let bpe = tiktoken_rs::o200k_base_singleton();
    let chunker = Chunker::new(ChunkConfig {
        max_tokens: MAX_TOKENS,
        contextual_header: false,
        ..ChunkConfig::default()
    })?;
    let splitter =
        MarkdownSplitter::new(text_splitter::ChunkConfig::new(MAX_TOKENS).with_sizer(bpe));
    // Warm both up (encoder tables are built on first use).
    chunker.chunk(&Document {
        markdown: &pages[0],
        title: None,
        blocks: &[],
    });
    let _ = splitter.chunks(&pages[0]).count();

    // Interleaved rounds, best time of each: the machine is shared and noisy.
    let (mut our_time, mut their_time) = (Duration::MAX, Duration::MAX);
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let started = Instant::now();
        ours = pages
            .iter()
            .map(|page| {
                let doc = Document {
                    markdown: page,
                    title: None,
                    blocks: &[],
                };
                chunker
                    .chunk(&doc)
                    .into_iter()
                    .map(|c| c.text)
                    .collect::<Vec<_>>()
            })
            .collect();
        our_time = our_time.min(started.elapsed());

        let started = Instant::now();
        theirs = pages
            .iter()
            .map(|page| splitter.chunks(page).map(str::to_owned).collect::<Vec<_>>())
            .collect();
        their_time = their_time.min(started.elapsed());
    }

    let our_stats = Fullness::of(&ours, |t| bpe.encode_ordinary(t).len())?;
    let their_stats = Fullness::of(&theirs, |t| bpe.encode_ordinary(t).len())?;
    let ratio = their_time.as_secs_f64() / our_time.as_secs_f64();
    println!();
    println!(
        "{:<24} {:>9} {:>8} {:>8} {:>11} {:>10}",
        "", "MB/s", "chunks", "mean", "max tokens", ">=80% full"
    );
    print_row("chunker", mb, our_time, &our_stats);
    print_row("text-splitter 0.33", mb, their_time, &their_stats);
    println!();
    println!("throughput ratio: {ratio:.2}x text-splitter");
    println!(
        "share of chunks >=80% full: {:.1}% against {:.1}%",
        our_stats.full_share() * 100.0,
        their_stats.full_share() * 100.0
    );
    Ok(())
}

fn print_row(name: &str, mb: f64, time: Duration, stats: &Fullness) {
    println!(
        "{name:<24} {:>9.2} {:>8} {:>8.1} {:>11} {:>9.1}%",
        mb / time.as_secs_f64(),
        stats.chunks,
        stats.mean_tokens,
        stats.max_tokens,
        stats.full_share() * 100.0
    );
}

/// How full a set of chunks is.
struct Fullness {
    chunks: usize,
    full: usize,
    mean_tokens: f64,
    max_tokens: usize,
}

impl Fullness {
    fn of(pages: &[Vec<String>], count: impl Fn(&str) -> usize) -> anyhow::Result<Fullness> {
        let counts: Vec<usize> = pages.iter().flatten().map(|t| count(t)).collect();
        let max_tokens = counts.iter().copied().max().unwrap_or(0);
        ensure!(max_tokens <= MAX_TOKENS, "a chunk has {max_tokens} tokens");
        Ok(Fullness {
            chunks: counts.len(),
            full: counts.iter().filter(|&&n| n >= FULL_TOKENS).count(),
            mean_tokens: counts.iter().sum::<usize>() as f64 / counts.len().max(1) as f64,
            max_tokens,
        })
    }

    fn full_share(&self) -> f64 {
        self.full as f64 / self.chunks.max(1) as f64
    }
}

/// Pages of generated Markdown adding up to about `bytes`.
fn corpus(bytes: usize) -> Vec<String> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut pages = Vec::new();
    let mut total = 0;
    while total < bytes {
        let page = page(&mut rng);
        total += page.len();
        pages.push(page);
    }
    pages
}

/// A deterministic xorshift generator (the corpus is the same every run).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn between(&mut self, low: usize, high: usize) -> usize {
        low + self.below(high - low + 1)
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "a",
    "in",
    "is",
    "for",
    "that",
    "on",
    "with",
    "as",
    "we",
    "it",
    "be",
    "this",
    "our",
    "team",
    "project",
    "customer",
    "data",
    "pipeline",
    "release",
    "meeting",
    "notes",
    "review",
    "design",
    "roadmap",
    "quarter",
    "metrics",
    "dashboard",
    "incident",
    "deployment",
    "service",
    "latency",
    "budget",
    "onboarding",
    "document",
    "workspace",
    "integration",
    "feedback",
    "priority",
    "deadline",
    "owner",
    "should",
    "will",
    "can",
    "need",
    "update",
    "improve",
    "decided",
    "agreed",
    "follow",
    "check",
    "planned",
    "new",
    "next",
    "current",
    "weekly",
    "important",
    "shared",
    "internal",
    "external",
    "simple",
    "large",
    "because",
    "before",
    "after",
    "during",
    "while",
    "until",
    "across",
    "between",
    "without",
    "around",
    "Q3",
    "2024",
    "v2.1",
    "API",
    "SLA",
    "OKR",
    "PR",
    "#482",
    "10%",
    "€1,200",
    "Berlin",
    "Tokyo",
    "Slack",
];
const CODE: &[&str] = &[
    "let result = client.fetch(&request).await?;",
    "for item in items.iter().filter(|i| i.active) {",
    "    total += item.price * item.quantity;",
    "}",
    "def handler(event, context):",
    "    return {\"status\": 200, \"body\": json.dumps(payload)}",
    "SELECT id, title, updated_at FROM pages WHERE archived = false;",
    "if err != nil { return fmt.Errorf(\"sync failed: %w\", err) }",
    "const config = { retries: 3, timeoutMs: 5000 };",
    "    # TODO: remove once the migration is done",
];
const LANGUAGES: &[&str] = &["rust", "python", "sql", "go", "typescript", ""];

fn sentence(rng: &mut Rng) -> String {
    let count = rng.between(6, 24);
    let mut words: Vec<&str> = (0..count).map(|_| rng.pick(WORDS)).collect();
    if rng.below(5) == 0 {
        words.insert(rng.below(count), "**key point**");
    }
    if rng.below(8) == 0 {
        words.insert(rng.below(count), "[the spec](https://example.com/spec)");
    }
    let mut text = words.join(" ");
    if let Some(first) = text.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    text.push(if rng.below(10) == 0 { '?' } else { '.' });
    text
}

/// Between `low` and `high` sentences.
fn paragraph(rng: &mut Rng, low: usize, high: usize) -> String {
    (0..rng.between(low, high))
        .map(|_| sentence(rng))
        .collect::<Vec<_>>()
        .join(" ")
}

fn page(rng: &mut Rng) -> String {
    let mut md = String::new();
    for _ in 0..rng.between(2, 8) {
        let level = rng.between(1, 3);
        md.push_str(&format!(
            "{} {}\n\n",
            "#".repeat(level),
            paragraph(rng, 1, 1).trim_end_matches(['.', '?'])
        ));
        for _ in 0..rng.between(1, 7) {
            match rng.below(10) {
                0..=3 => md.push_str(&format!("{}\n\n", paragraph(rng, 1, 6))),
                4 => md.push_str(&format!("{}\n\n", paragraph(rng, 10, 30))),
                5 | 6 => {
                    for i in 0..rng.between(2, 10) {
                        let marker = if rng.below(3) == 0 {
                            format!("{}.", i + 1)
                        } else {
                            "-".into()
                        };
                        md.push_str(&format!("{marker} {}\n", sentence(rng)));
                        for _ in 0..rng.below(3) {
                            md.push_str(&format!("   - {}\n", sentence(rng)));
                        }
                    }
                    md.push('\n');
                }
                7 => {
                    let columns = rng.between(2, 5);
                    let header: Vec<&str> = (0..columns).map(|_| rng.pick(WORDS)).collect();
                    md.push_str(&format!(
                        "| {} |\n|{}\n",
                        header.join(" | "),
                        "---|".repeat(columns)
                    ));
                    for _ in 0..rng.between(3, 40) {
                        let cells: Vec<String> = (0..columns)
                            .map(|_| {
                                (0..rng.between(1, 4))
                                    .map(|_| rng.pick(WORDS))
                                    .collect::<Vec<_>>()
                                    .join(" ")
                            })
                            .collect();
                        md.push_str(&format!("| {} |\n", cells.join(" | ")));
                    }
                    md.push('\n');
                }
                8 => {
                    md.push_str(&format!("```{}\n", rng.pick(LANGUAGES)));
                    for _ in 0..rng.between(3, 60) {
                        md.push_str(rng.pick(CODE));
                        md.push('\n');
                    }
                    md.push_str("```\n\n");
                }
                _ => md.push_str(&format!(
                    "> {}\n>\n> {}\n\n",
                    paragraph(rng, 2, 2),
                    paragraph(rng, 1, 1)
                )),
            }
        }
    }
    md
}
