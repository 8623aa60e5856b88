//! Parquet sink write throughput on one core: rows and MB per second through
//! `SnapshotWriter` (push, encode, ZSTD, fsync, rename, publish), for a few
//! ZSTD levels.
//!
//! ```sh
//! cargo run --release -p benchmarks --bin sink            # 100,000 chunks per level
//! cargo run --release -p benchmarks --bin sink -- 20000 3 # fewer rows, level 3 only
//! ```
//!
//! Rows are realistic chunks: ~2 KB of English-like text (Zipf-distributed
//! words, so it compresses like prose), the same text with a contextual header
//! as `embed_text`, 8 chunks per page sharing the page's metadata. Records are
//! built outside the timed section; the timer covers `push_chunk` and
//! `finish`. Everything runs on the main thread: the sink is single-threaded.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};

use sink::{ChunkRecord, ShardSettings, SinkConfig, SnapshotWriter};

/// Records are built and pushed in batches of this many, so the benchmark's
/// own memory stays small.
const BATCH: usize = 5_000;
const CHUNKS_PER_PAGE: usize = 8;
const TEXT_BYTES: usize = 2_000;

/// Deterministic pseudo-random numbers: the (fixed-key) SipHash of a
/// counter, from the standard library.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 += 1;
        let mut hasher = DefaultHasher::new();
        self.0.hash(&mut hasher);
        hasher.finish()
    }

    /// A float in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// English-like words: a vocabulary of syllable words drawn with a Zipf
/// distribution (word of rank r has weight 1/r).
struct Prose {
    words: Vec<String>,
    cumulative: Vec<f64>,
}

impl Prose {
    fn new(rng: &mut Rng) -> Self {
        const SYLLABLES: &[&str] = &[
            "the", "an", "ing", "er", "con", "ti", "on", "re", "in", "pro", "de", "com", "ex",
            "ment", "al", "ly", "da", "ta", "sys", "tem", "page", "work", "note", "flow", "sync",
            "log", "team", "plan",
        ];
        let words: Vec<String> = (0..5_000)
            .map(|_| {
                let count = 1 + rng.next() % 3;
                (0..count)
                    .map(|_| SYLLABLES[(rng.next() % SYLLABLES.len() as u64) as usize])
                    .collect()
            })
            .collect();
        let mut total = 0.0;
        let cumulative = (1..=words.len())
            .map(|rank| {
                total += 1.0 / rank as f64;
                total
            })
            .collect();
        Self { words, cumulative }
    }

    fn text(&self, rng: &mut Rng, bytes: usize) -> String {
        let total = *self.cumulative.last().unwrap();
        let mut text = String::with_capacity(bytes + 16);
        while text.len() < bytes {
            let pick = rng.unit() * total;
            let rank = self
                .cumulative
                .partition_point(|&c| c < pick)
                .min(self.words.len() - 1);
            text.push_str(&self.words[rank]);
            text.push(if rng.next().is_multiple_of(12) {
                '.'
            } else {
                ' '
            });
            if rng.next().is_multiple_of(60) {
                text.push_str("\n\n");
            }
        }
        text
    }
}

/// Chunk `index` of the run: its page's metadata, fresh prose.
fn chunk(index: usize, prose: &Prose, rng: &mut Rng, template: &ChunkRecord) -> ChunkRecord {
    let page = index / CHUNKS_PER_PAGE;
    let chunk_index = (index % CHUNKS_PER_PAGE) as u32;
    let page_id = format!("{:08x}-1111-4222-8333-{:012x}", page, page * 31);
    let page_title = format!("Design review {page}: storage layer");
    let text = prose.text(rng, TEXT_BYTES);
    let embed_text = format!("{page_title} > Decisions > Option {chunk_index}\n\n{text}");
    let page_time = template.created_time + Duration::from_secs(page as u64 * 3_600);
    ChunkRecord {
        chunk_id: sink::chunk_id(&page_id, chunk_index),
        chunk_index,
        token_count: (embed_text.len() / 4) as u32,
        content_hash: sink::content_hash(&embed_text),
        text,
        embed_text,
        heading_path: vec!["Decisions".into(), format!("Option {chunk_index}")],
        block_ids: (0..8)
            .map(|b| format!("{:08x}-aaaa-4bbb-8ccc-{:012x}", page, chunk_index * 8 + b))
            .collect(),
        url: format!(
            "https://www.notion.so/{}#{:032x}",
            page_id.replace('-', ""),
            chunk_index
        ),
        page_url: format!("https://www.notion.so/{}", page_id.replace('-', "")),
        parent_id: Some(format!("{:08x}-2222-4333-8444-{:012x}", page % 40, 7)),
        data_source_id: page
            .is_multiple_of(3)
            .then(|| format!("{:08x}-3333-4444-8555-{:012x}", page % 5, 9)),
        properties: format!(
            r#"{{"Status":{{"type":"status","status":{{"name":"In review"}}}},"Owner":{{"type":"people","people":[{{"id":"{:08x}"}}]}},"Tags":{{"type":"multi_select","multi_select":[{{"name":"storage"}},{{"name":"q{}"}}]}}}}"#,
            page % 17,
            page % 4 + 1
        ),
        created_time: page_time,
        last_edited_time: page_time + Duration::from_secs(86_400),
        page_id,
        page_title,
        ..template.clone()
    }
}

/// What one timed run measured.
struct Figures {
    rows: usize,
    input_bytes: usize,
    output_bytes: u64,
    shards: usize,
    elapsed: Duration,
    peak_buffered: usize,
}

fn run(rows: usize, zstd_level: i32, template: &ChunkRecord) -> anyhow::Result<Figures> {
    let out = std::env::temp_dir().join(format!("sink-bench-{}-{zstd_level}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let config = SinkConfig {
        shards: ShardSettings {
            zstd_level,
            ..ShardSettings::default()
        },
        ..SinkConfig::new(&out)
    };
    let mut rng = Rng(0);
    let prose = Prose::new(&mut rng);

    let mut elapsed = Duration::ZERO;
    let mut input_bytes = 0;
    let mut peak_buffered = 0;
    let mut writer = SnapshotWriter::begin(config, "bench")?;
    for start in (0..rows).step_by(BATCH) {
        let batch: Vec<ChunkRecord> = (start..(start + BATCH).min(rows))
            .map(|i| chunk(i, &prose, &mut rng, template))
            .collect();
        input_bytes += batch.iter().map(record_bytes).sum::<usize>();
        let timer = Instant::now();
        for record in batch {
            writer.push_chunk(record)?;
        }
        elapsed += timer.elapsed();
        peak_buffered = peak_buffered.max(writer.buffered_bytes());
    }
    let timer = Instant::now();
    let manifest = writer.finish(serde_json::json!({}))?;
    elapsed += timer.elapsed();
    std::fs::remove_dir_all(&out)?;
    Ok(Figures {
        rows,
        input_bytes,
        output_bytes: manifest.chunks.bytes,
        shards: manifest.chunks.shards.len(),
        elapsed,
        peak_buffered,
    })
}

/// The bytes of a record's text fields: what a user would call its size.
fn record_bytes(r: &ChunkRecord) -> usize {
    let lists: usize = r
        .heading_path
        .iter()
        .chain(&r.block_ids)
        .map(String::len)
        .sum();
    let optional = r.parent_id.as_ref().map_or(0, String::len)
        + r.data_source_id.as_ref().map_or(0, String::len);
    [
        &r.chunk_id,
        &r.page_id,
        &r.text,
        &r.embed_text,
        &r.tokenizer,
        &r.url,
        &r.page_title,
        &r.page_url,
    ]
    .iter()
    .chain([&r.parent_type, &r.properties, &r.content_hash, &r.run_id].iter())
    .map(|s| s.len())
    .sum::<usize>()
        + lists
        + optional
        + 4 * 2
        + 8 * 3
}

fn main() -> anyhow::Result<()> {
    let rows: usize = std::env::args()
        .nth(1)
        .map_or(Ok(100_000), |arg| arg.parse())?;
    let levels: Vec<i32> = match std::env::args().nth(2) {
        Some(arg) => arg.split(',').map(str::parse).collect::<Result<_, _>>()?,
        None => vec![1, 3, 9],
    };
    let template = ChunkRecord {
        chunk_id: String::new(),
        page_id: String::new(),
        chunk_index: 0,
        text: String::new(),
        embed_text: String::new(),
        token_count: 0,
        tokenizer: "cl100k_base".into(),
        heading_path: Vec::new(),
        block_ids: Vec::new(),
        url: String::new(),
        page_title: String::new(),
        page_url: String::new(),
        parent_id: None,
        parent_type: "page_id".into(),
        data_source_id: None,
        properties: String::new(),
        created_time: Default::default(),
        last_edited_time: Default::default(),
        content_hash: String::new(),
        run_id: "bench".into(),
        ingested_at: Default::default(),
    };
    // Timestamps from 2025 on (the default is the epoch).
    let template = ChunkRecord {
        created_time: template.created_time + Duration::from_secs(1_735_689_600),
        ingested_at: template.ingested_at + Duration::from_secs(1_760_000_000),
        ..template
    };

    println!("sink write throughput, one core, {rows} chunk rows of ~{TEXT_BYTES} B text each");
    println!(
        "| zstd level | rows/s | input MB/s | output MB/s | input MB | output MB | ratio | shards | peak buffered MB | seconds |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for level in levels {
        let f = run(rows, level, &template)?;
        let seconds = f.elapsed.as_secs_f64();
        let mb = |bytes: f64| bytes / 1e6;
        println!(
            "| {level} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {:.2} | {} | {:.1} | {:.2} |",
            f.rows as f64 / seconds,
            mb(f.input_bytes as f64) / seconds,
            mb(f.output_bytes as f64) / seconds,
            mb(f.input_bytes as f64),
            mb(f.output_bytes as f64),
            f.input_bytes as f64 / f.output_bytes as f64,
            f.shards,
            mb(f.peak_buffered as f64),
            seconds,
        );
    }
    Ok(())
}
