//! Seeded synthetic workspaces, from 10 to 100,000 pages.
//!
//! The structure (page trees a few levels deep, databases with rows, flags) is
//! built up front as ordinary page, database and data source records. Block
//! content is not stored: each page's blocks are generated from the seed and
//! the page's number when asked for, and the last few pages generated are
//! cached. A generated block's id encodes the workspace tag, page number and
//! block number, so `GET /v1/blocks/{id}` finds its page without an index.
//! Memory is about 2 KB per page however large the pages are.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{Duration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::ids::stable_hash;
use crate::workspace::{BlockRec, Content, Workspace};

/// Shape of a synthetic workspace. `SyntheticConfig { pages: 1000, seed: 7,
/// ..Default::default() }` is a typical use.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticConfig {
    /// Number of pages, standalone pages and data source rows together.
    pub pages: usize,
    /// Seed: the same config always yields the same workspace.
    pub seed: u64,
    /// Deepest nesting of standalone pages under a top-level page.
    pub max_depth: usize,
    /// Share of pages that are data source rows.
    pub row_share: f64,
    /// Share of standalone pages with more than 100 top-level blocks.
    pub large_page_share: f64,
    /// Share of pages search leaves out (found only by walking).
    pub absent_from_search_share: f64,
    /// Share of leaf pages in the trash.
    pub trashed_share: f64,
    /// Share of top-level paragraphs that mention another page, of
    /// top-level dividers replaced by a `link_to_page` to another page, and
    /// of rows related to the row before them (a `Related` relation
    /// property). 0 leaves the workspace as it always was.
    pub reference_share: f64,
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        SyntheticConfig {
            pages: 100,
            seed: 1,
            max_depth: 4,
            row_share: 0.3,
            large_page_share: 0.03,
            absent_from_search_share: 0.02,
            trashed_share: 0.01,
            reference_share: 0.0,
        }
    }
}

/// Pages generated and kept at once.
const CACHE_PAGES: usize = 32;

/// Generates the block content of a synthetic workspace's pages on demand.
#[derive(Debug)]
pub(crate) struct Generator {
    seed: u64,
    /// See [`SyntheticConfig::reference_share`].
    reference_share: f64,
    /// First 8 bytes of every generated block id.
    tag: [u8; 8],
    /// Per page number: id, child page and database ids, whether large, whether a row.
    pages: Vec<GenPage>,
    cache: Mutex<PageCache>,
}

/// The last pages generated, by page number, and their order of generation.
#[derive(Debug, Default)]
struct PageCache {
    pages: HashMap<u32, Arc<GeneratedPage>>,
    order: VecDeque<u32>,
}

#[derive(Debug)]
struct GenPage {
    id: String,
    /// Child pages and databases, placed among the generated blocks.
    children: Vec<String>,
    large: bool,
    row: bool,
    times: (String, String),
}

/// A generated page's blocks.
#[derive(Debug)]
pub(crate) struct GeneratedPage {
    /// Top-level ids (blocks, child pages, child databases) in order.
    pub top: Vec<String>,
    /// The generated blocks by id.
    pub blocks: HashMap<String, BlockRec>,
}

impl Generator {
    /// The content of page number `n`, generated or from the cache.
    pub(crate) fn page_content(&self, ws: &Workspace, n: u32) -> Arc<GeneratedPage> {
        if let Some(page) = self
            .cache
            .lock()
            .expect("generator cache lock")
            .pages
            .get(&n)
        {
            return page.clone();
        }
        // Generated without the lock, so requests for other pages go on; two
        // requests for the same new page may both generate it (same result).
        let page = Arc::new(self.generate_page(ws, n));
        let mut cache = self.cache.lock().expect("generator cache lock");
        if let Some(existing) = cache.pages.get(&n) {
            return existing.clone();
        }
        if cache.order.len() >= CACHE_PAGES
            && let Some(old) = cache.order.pop_front()
        {
            cache.pages.remove(&old);
        }
        cache.pages.insert(n, page.clone());
        cache.order.push_back(n);
        page
    }

    /// Ids of page `n`'s child pages and databases.
    pub(crate) fn child_ids(&self, n: u32) -> &[String] {
        &self.pages[n as usize].children
    }

    /// A generated block by id.
    pub(crate) fn block(&self, ws: &Workspace, id: &str) -> Option<BlockRec> {
        let bytes = *Uuid::parse_str(id).ok()?.as_bytes();
        if bytes[..8] != self.tag {
            return None;
        }
        let n = u32::from_be_bytes(bytes[8..12].try_into().ok()?);
        if n as usize >= self.pages.len() {
            return None;
        }
        self.page_content(ws, n).blocks.get(id).cloned()
    }

    /// Mentions of other pages in some top-level paragraphs, and links to
    /// other pages in place of some top-level dividers (a leaf for a leaf, so
    /// the requests a crawl needs do not change).
    fn add_references(&self, n: u32, specs: &mut [Value]) {
        let mut rng = self.rng(n, b"references");
        for spec in specs.iter_mut() {
            if !rng.random_bool(self.reference_share.clamp(0.0, 1.0)) {
                continue;
            }
            let target = &self.pages[rng.random_range(0..self.pages.len())].id;
            if let Some(text) = spec.get("paragraph").cloned() {
                let mut runs = match text {
                    Value::Array(runs) => runs,
                    other => vec![other],
                };
                runs.push(json!(" See "));
                runs.push(json!({"mention": {"page": target}}));
                spec["paragraph"] = Value::Array(runs);
            } else if spec.get("divider").is_some() {
                let id = spec["id"].clone();
                *spec = json!({"link_to_page": target, "id": id});
            }
        }
    }

    fn block_id(&self, page: u32, index: u32) -> String {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.tag);
        bytes[8..12].copy_from_slice(&page.to_be_bytes());
        bytes[12..].copy_from_slice(&index.to_be_bytes());
        Uuid::from_bytes(bytes).hyphenated().to_string()
    }

    /// The structure of page `n`: its blocks' shapes, drawn from a generator
    /// of their own so that [`Generator::child_counts`] needs no text.
    fn plan_page(&self, n: u32) -> Vec<BlockPlan> {
        let info = &self.pages[n as usize];
        let mut rng = self.rng(n, b"structure");
        let count = if info.row {
            rng.random_range(0..12)
        } else if info.large {
            rng.random_range(101..400)
        } else {
            rng.random_range(3..60)
        };
        (0..count).map(|_| plan_block(&mut rng, 0)).collect()
    }

    fn rng(&self, n: u32, purpose: &[u8]) -> StdRng {
        StdRng::seed_from_u64(stable_hash(&[
            &self.seed.to_le_bytes(),
            &n.to_le_bytes(),
            purpose,
        ]))
    }

    /// Page `n`'s number of top-level entries, and the child count of every
    /// block with children (what a crawl reads), without generating the blocks.
    pub(crate) fn child_counts(&self, n: u32) -> (usize, Vec<usize>) {
        fn visit(plan: &BlockPlan, out: &mut Vec<usize>) {
            let children = plan.child_count();
            if children > 0 {
                out.push(children);
            }
            plan.children.iter().for_each(|c| visit(c, out));
        }
        let plans = self.plan_page(n);
        let mut counts = Vec::new();
        plans.iter().for_each(|p| visit(p, &mut counts));
        (plans.len() + self.pages[n as usize].children.len(), counts)
    }

    fn generate_page(&self, ws: &Workspace, n: u32) -> GeneratedPage {
        let info = &self.pages[n as usize];
        let plans = self.plan_page(n);
        let mut text = self.rng(n, b"text");
        let mut ids = IdSource {
            generator: self,
            page: n,
            next: 0,
        };
        let mut specs: Vec<Value> = plans
            .iter()
            .map(|p| fill_block(p, &mut text, &mut ids))
            .collect();
        if self.reference_share > 0.0 {
            self.add_references(n, &mut specs);
        }
        let (mut top, blocks) = crate::dataset::load_fragment(
            ws,
            &info.id,
            (&info.times.0, &info.times.1),
            &Value::Array(specs),
            &info.id,
        )
        .expect("generated blocks are valid");
        // Child pages and databases go at seeded places among the blocks.
        let mut places = self.rng(n, b"places");
        for child in &info.children {
            let at = places.random_range(0..=top.len());
            top.insert(at, child.clone());
        }
        GeneratedPage { top, blocks }
    }
}

/// Hands out the encoded ids of one page's generated blocks.
struct IdSource<'a> {
    generator: &'a Generator,
    page: u32,
    next: u32,
}

impl IdSource<'_> {
    fn next(&mut self) -> String {
        self.next += 1;
        self.generator.block_id(self.page, self.next)
    }
}

const STATUSES: [&str; 3] = ["Todo", "Doing", "Done"];

const WORDS: &[&str] = &[
    "data", "pipeline", "crawler", "token", "chunk", "parquet", "vector", "index", "query",
    "model", "page", "block", "schema", "nightly", "release", "budget", "latency", "cache",
    "shard", "owner", "review", "draft", "roadmap", "meeting", "notes", "decision", "risk",
    "metric", "customer", "launch", "the", "a", "of", "to", "and", "with", "for", "in", "on", "by",
    "we", "our", "team", "next", "week", "quarter", "plan", "goal", "result", "issue", "fix",
    "test", "deploy", "monitor", "alert", "retry", "limit", "rate", "request", "response", "error",
    "status", "report", "summary", "café", "naïve",
];

fn sentence(rng: &mut StdRng, min: usize, max: usize) -> String {
    let n = rng.random_range(min..=max);
    let mut words: Vec<&str> = (0..n)
        .map(|_| WORDS[rng.random_range(0..WORDS.len())])
        .collect();
    let mut s = words.remove(0).to_string();
    if let Some(first) = s.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    for w in words {
        s.push(' ');
        s.push_str(w);
    }
    s.push('.');
    s
}

fn paragraph_text(rng: &mut StdRng) -> Value {
    let sentences = rng.random_range(1..=4);
    let text: Vec<String> = (0..sentences).map(|_| sentence(rng, 5, 18)).collect();
    if rng.random_bool(0.15) {
        json!([text.join(" "), {"text": format!(" {}", sentence(rng, 2, 4)), "bold": true}])
    } else {
        json!(text.join(" "))
    }
}

/// The shape of one generated block: its kind (a roll in 0..100), its
/// children, and for a table its width and row count.
struct BlockPlan {
    roll: u32,
    children: Vec<BlockPlan>,
    table: Option<(usize, usize)>,
}

impl BlockPlan {
    /// Children a crawl reads: table rows, or nested blocks.
    fn child_count(&self) -> usize {
        self.table.map_or(self.children.len(), |(_, rows)| rows)
    }
}

/// Draws one block's shape, with children below `depth` 3.
fn plan_block(rng: &mut StdRng, depth: usize) -> BlockPlan {
    let roll = rng.random_range(0..100);
    let table = matches!(roll, 93..=95).then(|| (rng.random_range(2..5), rng.random_range(2..7)));
    let child_count = match roll {
        79..=83 => rng.random_range(1..6),
        55..=78 if rng.random_bool(0.2) => rng.random_range(1..4),
        _ => 0,
    };
    let children = if depth < 3 {
        (0..child_count)
            .map(|_| plan_block(rng, depth + 1))
            .collect()
    } else {
        Vec::new()
    };
    BlockPlan {
        roll,
        children,
        table,
    }
}

/// The block spec (dataset format) for a shape, with text drawn from `rng`.
fn fill_block(plan: &BlockPlan, rng: &mut StdRng, ids: &mut IdSource<'_>) -> Value {
    let id = ids.next();
    let word = |rng: &mut StdRng| WORDS[rng.random_range(0..WORDS.len())];
    let mut block = match plan.roll {
        0..=34 => json!({"paragraph": paragraph_text(rng)}),
        35..=41 => json!({"heading_1": sentence(rng, 2, 6)}),
        42..=49 => json!({"heading_2": sentence(rng, 2, 6)}),
        50..=54 => json!({"heading_3": sentence(rng, 2, 6)}),
        55..=66 => json!({"bulleted_list_item": sentence(rng, 3, 12)}),
        67..=74 => json!({"numbered_list_item": sentence(rng, 3, 12)}),
        75..=78 => json!({"to_do": sentence(rng, 3, 8), "checked": rng.random_bool(0.5)}),
        79..=83 => json!({"toggle": sentence(rng, 2, 8)}),
        84..=87 => {
            let lines: Vec<String> = (0..rng.random_range(1..8))
                .map(|i| format!("let x{i} = compute(\"{}\");", word(rng)))
                .collect();
            json!({"code": {"language": "rust", "text": lines.join("\n")}})
        }
        88..=90 => json!({"quote": sentence(rng, 5, 15)}),
        91..=92 => json!({"callout": sentence(rng, 5, 15), "icon": "💡"}),
        93..=95 => json!({"table": {"has_column_header": rng.random_bool(0.7)}}),
        96..=97 => json!({"divider": {}}),
        _ => json!({"equation": "E = mc^2"}),
    };
    block["id"] = json!(id);
    let children: Vec<Value> = match plan.table {
        Some((width, rows)) => {
            block["table"]["table_width"] = json!(width);
            (0..rows)
                .map(|_| {
                    let cells: Vec<&str> = (0..width).map(|_| word(rng)).collect();
                    json!({"table_row": {"cells": cells}, "id": ids.next()})
                })
                .collect()
        }
        None => plan
            .children
            .iter()
            .map(|c| fill_block(c, rng, ids))
            .collect(),
    };
    if !children.is_empty() {
        block["children"] = Value::Array(children);
    }
    block
}

/// Builds a synthetic workspace.
pub(crate) fn generate(cfg: &SyntheticConfig) -> Workspace {
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let total = cfg.pages.max(1);
    let rows = ((total as f64) * cfg.row_share.clamp(0.0, 0.9)) as usize;
    let standalone = (total - rows).max(1);
    let rows = total - standalone;
    let epoch = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .expect("valid date");
    let mut times = |rng: &mut StdRng| {
        let created = epoch + Duration::minutes(rng.random_range(0..400_000));
        let edited = created + Duration::minutes(rng.random_range(0..100_000));
        let f = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:00.000Z").to_string();
        (f(created), f(edited))
    };

    // The page tree: parents chosen among earlier pages not too deep.
    let roots = (standalone / 25).max(1);
    let mut parent: Vec<Option<usize>> = Vec::with_capacity(standalone);
    let mut depth: Vec<usize> = Vec::with_capacity(standalone);
    for i in 0..standalone {
        if i < roots {
            parent.push(None);
            depth.push(0);
            continue;
        }
        let mut p = rng.random_range(0..i);
        while depth[p] >= cfg.max_depth {
            p = parent[p].unwrap_or(0);
        }
        depth.push(depth[p] + 1);
        parent.push(Some(p));
    }
    let mut children: Vec<Vec<Child>> = vec![Vec::new(); standalone];
    for (i, p) in parent.iter().enumerate() {
        if let Some(p) = p {
            children[*p].push(Child::Page(i));
        }
    }
    // Databases of about 50 rows each, hosted by random standalone pages.
    let databases = if rows == 0 { 0 } else { rows.div_ceil(50) };
    let mut db_rows = vec![0usize; databases];
    for r in 0..rows {
        db_rows[r % databases.max(1)] += 1;
    }
    for (d, _) in db_rows.iter().enumerate() {
        let host = rng.random_range(0..standalone);
        children[host].push(Child::Database(d));
    }

    let mut ctx = SpecContext {
        cfg,
        rng: &mut rng,
        times: &mut times,
        children: &children,
        db_rows: &db_rows,
    };
    let pages: Vec<Value> = (0..roots).map(|i| ctx.page_spec(i)).collect();
    let doc = json!({
        "name": format!("synthetic-{}-{}", cfg.pages, cfg.seed),
        "users": [
            {"key": "owner", "name": "Synthetic Owner", "email": "owner@example.com"},
            {"key": "editor", "name": "Synthetic Editor", "email": "editor@example.com"}
        ],
        "pages": pages,
    });
    let mut ws = crate::dataset::load(doc).expect("synthetic dataset is valid");
    attach_generator(&mut ws, cfg);
    ws
}

#[derive(Clone, Copy)]
enum Child {
    Page(usize),
    Database(usize),
}

struct SpecContext<'a, T> {
    cfg: &'a SyntheticConfig,
    rng: &'a mut StdRng,
    times: &'a mut T,
    children: &'a [Vec<Child>],
    db_rows: &'a [usize],
}

impl<T: FnMut(&mut StdRng) -> (String, String)> SpecContext<'_, T> {
    fn page_spec(&mut self, i: usize) -> Value {
        let (created, edited) = (self.times)(self.rng);
        let kids = self.children[i].clone();
        let leaf = kids.is_empty();
        let blocks: Vec<Value> = kids
            .iter()
            .map(|c| match *c {
                Child::Page(p) => json!({"child_page": self.page_spec(p)}),
                Child::Database(d) => json!({"child_database": self.database_spec(d)}),
            })
            .collect();
        let title = format!("{} {i}", sentence(self.rng, 1, 4).trim_end_matches('.'));
        json!({
            "key": format!("page-{i}"), "title": title,
            "created_time": created, "last_edited_time": edited,
            "in_search": i < self.children.len() / 25 + 1 || !self.rng.random_bool(self.cfg.absent_from_search_share.clamp(0.0, 1.0)),
            "in_trash": leaf && self.rng.random_bool(self.cfg.trashed_share.clamp(0.0, 1.0)),
            "blocks": blocks,
        })
    }

    fn database_spec(&mut self, d: usize) -> Value {
        let related = self.cfg.reference_share.clamp(0.0, 1.0);
        let rows: Vec<Value> = (0..self.db_rows[d])
            .map(|r| {
                let (created, edited) = (self.times)(self.rng);
                let mut row = json!({
                    "key": format!("db-{d}-row-{r}"),
                    "created_time": created, "last_edited_time": edited,
                    "properties": {
                        "Name": sentence(self.rng, 2, 6).trim_end_matches('.'),
                        "Status": STATUSES[self.rng.random_range(0..3)],
                        "Priority": self.rng.random_range(1..6),
                        "Due": format!("2026-{:02}-{:02}", self.rng.random_range(1..13), self.rng.random_range(1..29)),
                        "Tags": [WORDS[self.rng.random_range(0..20)]],
                        "Done": self.rng.random_bool(0.4),
                    },
                });
                if related > 0.0 && r > 0 && self.rng.random_bool(related) {
                    row["properties"]["Related"] = json!([format!("db-{d}-row-{}", r - 1)]);
                }
                row
            })
            .collect();
        let mut schema = json!({
            "Name": "title",
            "Status": {"type": "select", "options": ["Todo", "Doing", "Done"]},
            "Priority": "number", "Due": "date", "Tags": "multi_select", "Done": "checkbox",
        });
        if related > 0.0 {
            schema["Related"] =
                json!({"type": "relation", "target": format!("db-{d}/data-source")});
        }
        json!({
            "key": format!("db-{d}"), "title": format!("Database {d}"),
            "schema": schema,
            "rows": rows,
        })
    }
}

/// Replaces every page's (child-only) block list with generated content.
fn attach_generator(ws: &mut Workspace, cfg: &SyntheticConfig) {
    let tag_hash = stable_hash(&[
        b"synthetic",
        &cfg.seed.to_le_bytes(),
        &(cfg.pages as u64).to_le_bytes(),
    ]);
    let mut generator = Generator {
        seed: cfg.seed,
        reference_share: cfg.reference_share,
        tag: tag_hash.to_be_bytes(),
        pages: Vec::with_capacity(ws.pages.len()),
        cache: Mutex::new(PageCache::default()),
    };
    for (n, (id, page)) in ws.pages.iter_mut().enumerate() {
        let children = match &page.content {
            Content::Blocks(ids) => ids.clone(),
            Content::Generated(_) => Vec::new(),
        };
        let row = page.object.parent_type == "data_source_id";
        let object = page.object.value();
        let large_roll = stable_hash(&[id.as_bytes(), b"large"]) % 10_000;
        generator.pages.push(GenPage {
            id: id.clone(),
            children,
            large: !row && (large_roll as f64) < cfg.large_page_share * 10_000.0,
            row,
            times: (
                object["created_time"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                object["last_edited_time"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ),
        });
        page.content = Content::Generated(n as u32);
    }
    ws.generator = Some(Arc::new(generator));
}
