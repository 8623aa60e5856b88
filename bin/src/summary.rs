//! The end of a run, said plainly: what was found, read, written and
//! failed, against what it cost in requests; and `inspect`, which says the
//! same of an output directory after the fact.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::exit::Outcome;
use engine::RunReport;
use notion_source::crawler::NotShared;

/// The final summary of a run (printed, or as JSON with `--json`).
#[derive(Debug, Serialize)]
pub struct Summary {
    /// How the run ended, and its exit code.
    pub outcome: Outcome,
    /// Exit code.
    pub exit_code: u8,
    /// Run id.
    pub run_id: String,
    /// Whether the run continued an unfinished one.
    pub resumed: bool,
    /// Output directory.
    pub out_dir: PathBuf,
    /// Page counts.
    pub pages: PageCounts,
    /// Blocks read.
    pub blocks: u64,
    /// Chunks written by this run.
    pub chunks_written: u64,
    /// Tokens in the chunks written by this run.
    pub tokens_written: u64,
    /// Chunks in the published snapshot.
    pub snapshot_chunks: u64,
    /// Pages built from the state store without a request (new settings, a
    /// new renderer, a renamed page they link to).
    pub rebuilt_from_store: u64,
    /// Requests sent, retries included.
    pub requests: u64,
    /// The fewest requests the content needed, when known (the demo's mock computes it).
    pub minimum_requests: Option<u64>,
    /// Requests per endpoint.
    pub requests_per_endpoint: BTreeMap<String, u64>,
    /// 429/529 answers.
    pub rate_limited: u64,
    /// Requests sent again.
    pub retries: u64,
    /// Pages that failed, with Notion's code and request id.
    pub failures: Vec<Failure>,
    /// Listing requests that failed for good.
    pub listing_errors: Vec<String>,
    /// Blocks shown only as a marker, by type.
    pub unsupported_blocks: BTreeMap<String, u64>,
    /// Databases and synced originals the pages reference that are not
    /// shared with the integration, with the pages that reference them.
    pub not_shared: Vec<NotShared>,
    /// State store errors met (each logged).
    pub store_errors: u64,
    /// Compressed page content the state store holds, in bytes.
    pub stored_content_bytes: u64,
    /// Pages whose content the state store holds.
    pub stored_content_pages: u64,
    /// Wall time in seconds.
    pub seconds: f64,
}

/// Page counts of a run.
#[derive(Debug, Serialize)]
pub struct PageCounts {
    /// Found by listing or walk.
    pub discovered: u64,
    /// Written (new or changed).
    pub written: u64,
    /// Not read again, or read again and unchanged.
    pub unchanged: u64,
    /// Failed for good.
    pub failed: u64,
    /// Skipped (archived, trashed).
    pub skipped: u64,
    /// Found deleted, trashed, unshared or excluded since the last run.
    pub deleted: u64,
}

/// One failed page.
#[derive(Debug, Serialize)]
pub struct Failure {
    /// Page id.
    pub page_id: String,
    /// Notion's error code.
    pub code: String,
    /// HTTP status.
    pub status: Option<u16>,
    /// Notion's request id.
    pub request_id: Option<String>,
    /// The message.
    pub message: String,
}

impl Summary {
    /// The summary of an engine run.
    pub fn new(report: &RunReport, out_dir: &Path, minimum: Option<u64>) -> Summary {
        let crawl = &report.crawl;
        let failures: Vec<Failure> = crawl
            .failures
            .iter()
            .map(|(page_id, e)| Failure {
                page_id: page_id.clone(),
                code: e.code.clone(),
                status: e.status,
                request_id: e.request_id.clone(),
                message: e.message.clone(),
            })
            .collect();
        let nothing = crawl.progress.discovered == 0 && crawl.progress.data_sources == 0;
        let unreachable = !crawl.listing_errors.is_empty()
            && crawl
                .listing_errors
                .iter()
                .all(|e| e.code == "transport_error");
        let outcome = if crawl.cancelled {
            Outcome::Interrupted
        } else if nothing && unreachable {
            Outcome::Unreachable
        } else if nothing && !crawl.listing_errors.is_empty() {
            Outcome::Error
        } else if nothing && report.scope == "complete" {
            Outcome::NothingShared
        } else if !failures.is_empty()
            || !crawl.listing_errors.is_empty()
            || report.build.pages_failed > 0
        {
            Outcome::PartialFailure
        } else {
            Outcome::Success
        };
        let export = report.export.clone().unwrap_or_default();
        Summary {
            outcome,
            exit_code: outcome.code(),
            run_id: report.run_id.clone(),
            resumed: report.resumed,
            out_dir: out_dir.to_path_buf(),
            pages: PageCounts {
                discovered: crawl.progress.discovered,
                written: report.build.pages_written,
                unchanged: report.stored.pages_unchanged
                    + report.stored.pages_same
                    + report.build.pages_unchanged,
                failed: report.stored.pages_failed + report.build.pages_failed,
                skipped: report.stored.pages_skipped,
                deleted: export.deleted_pages,
            },
            blocks: crawl.progress.blocks,
            chunks_written: report.build.chunks,
            tokens_written: report.build.tokens,
            snapshot_chunks: export.snapshot_chunks,
            rebuilt_from_store: report.rebuilt_from_store,
            requests: crawl.client.total.requests,
            minimum_requests: minimum,
            requests_per_endpoint: crawl
                .client
                .per_endpoint
                .iter()
                .map(|(e, s)| (e.to_string(), s.requests))
                .collect(),
            rate_limited: crawl.client.total.rate_limited,
            retries: crawl.client.total.retries,
            failures,
            listing_errors: crawl
                .listing_errors
                .iter()
                .map(ToString::to_string)
                .collect(),
            unsupported_blocks: report
                .build
                .unsupported_blocks
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect(),
            not_shared: crawl.not_shared.clone(),
            store_errors: report.store_errors,
            stored_content_bytes: report.raw_store.0,
            stored_content_pages: report.raw_store.1,
            seconds: report.seconds,
        }
    }

    /// Prints the summary for a person on stderr. A closed or full stderr
    /// loses the text, never panics.
    pub fn print(&self) {
        use std::io::Write;
        let text = self.to_text();
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }

    /// The summary as a person reads it.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        // Writing to a String cannot fail.
        let p = &self.pages;
        out.push('\n');
        let _ = writeln!(
            out,
            "notion-ingest run {} {}",
            self.run_id,
            if self.resumed { "(resumed)" } else { "" }
        );
        let _ = writeln!(
            out,
            "  pages     {} found: {} written, {} unchanged, {} failed, {} skipped, {} deleted",
            p.discovered, p.written, p.unchanged, p.failed, p.skipped, p.deleted
        );
        let _ = writeln!(
            out,
            "  content   {} blocks -> {} chunks, {} tokens written; snapshot holds {} chunks",
            self.blocks, self.chunks_written, self.tokens_written, self.snapshot_chunks
        );
        if self.rebuilt_from_store > 0 {
            let _ = writeln!(
                out,
                "  rebuilt   {} pages from the state store (no request)",
                self.rebuilt_from_store
            );
        }
        let minimum = self
            .minimum_requests
            .map(|m| format!(" (minimum for this content: {m})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  requests  {}{minimum}, {} rate-limited (429), {} retries",
            self.requests, self.rate_limited, self.retries
        );
        if !self.unsupported_blocks.is_empty() {
            let _ = writeln!(
                out,
                "  marked    {:?} (blocks shown as a marker)",
                self.unsupported_blocks
            );
        }
        print_not_shared(&self.not_shared, &mut out);
        for e in self.listing_errors.iter().take(5) {
            let _ = writeln!(out, "  LISTING   {e}");
        }
        for f in self.failures.iter().take(20) {
            let _ = writeln!(
                out,
                "  FAILED    page {}: {} (request id {})",
                f.page_id,
                f.code,
                f.request_id.as_deref().unwrap_or("-")
            );
        }
        if self.failures.len() > 20 {
            let _ = writeln!(
                out,
                "  ... and {} more failures (see --json or the pages table)",
                self.failures.len() - 20
            );
        }
        let _ = writeln!(out, "  time      {:.1}s", self.seconds);
        let what = match self.outcome {
            Outcome::Success => format!("done: {}", self.out_dir.display()),
            Outcome::PartialFailure => format!("done with failures: {} (everything else written)", self.out_dir.display()),
            Outcome::Interrupted => "interrupted: pages already read are stored; run again to continue (nothing new was published)".into(),
            Outcome::Unreachable => "could not reach Notion: check the network, a proxy, or --api-url".into(),
            Outcome::Throttled => "Notion asked to wait longer than the client waits (a Retry-After over 5 minutes): pages already read are stored; run again later".into(),
            Outcome::NothingShared => {
                "nothing is shared with this integration: open a page in Notion, ... menu > Connections, and add the integration".into()
            }
            _ => String::new(),
        };
        let _ = writeln!(out, "  {what}");
        out
    }
}

/// The not-shared list: what the pages reference that the integration
/// cannot read, and where, so a person knows what to share.
fn print_not_shared(not_shared: &[NotShared], out: &mut String) {
    use std::fmt::Write;
    for item in not_shared.iter().take(20) {
        let from = item
            .referenced_from
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        let more = item.referenced_from.len().saturating_sub(3);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  NOT SHARED {} {} (referenced from {from}{more}): share it with the integration to read it",
            item.kind.as_str(),
            item.id
        );
    }
    if not_shared.len() > 20 {
        let _ = writeln!(
            out,
            "  ... and {} more not shared (see --json)",
            not_shared.len() - 20
        );
    }
}

/// `inspect OUT`: pages, chunks, tokens (a histogram), failures, what the
/// last run found not shared, schema.
pub fn inspect(out: &Path, json: bool) -> Result<()> {
    use std::fmt::Write;
    let snapshot = sink::Snapshot::open_published(out)
        .with_context(|| format!("cannot read {}", out.display()))?
        .with_context(|| format!("no published snapshot in {}", out.display()))?;
    let manifest = snapshot.manifest().clone();
    let mut tokens: Vec<u32> = Vec::new();
    for batch in sink::read_records::<sink::ChunkRecord>(snapshot.chunk_files(), 4096) {
        tokens.extend(batch?.into_iter().map(|c| c.token_count));
    }
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    let mut failures = Vec::new();
    for batch in sink::read_records::<sink::PageRecord>(snapshot.page_files(), 4096) {
        for page in batch? {
            *statuses
                .entry(page.status.as_str().to_string())
                .or_default() += 1;
            if let sink::PageStatus::Failed {
                code, request_id, ..
            } = &page.status
            {
                failures.push((page.page_id.clone(), code.clone(), request_id.clone()));
            }
        }
    }
    let not_shared = last_not_shared(out)?;
    let histogram = histogram(&tokens);
    let mut text = String::new();
    if json {
        let value = serde_json::json!({
            "manifest": manifest,
            "pages_by_status": statuses,
            "chunks": tokens.len(),
            "tokens": tokens.iter().map(|t| u64::from(*t)).sum::<u64>(),
            "token_histogram": histogram,
            "failures": failures,
            "not_shared": not_shared,
        });
        text = serde_json::to_string_pretty(&value)?;
        text.push('\n');
        return write_stdout(&text);
    }
    // Writing to a String cannot fail.
    let _ = writeln!(
        text,
        "{} (run {}, schema version {})",
        out.display(),
        manifest.run_id,
        manifest.schema_version
    );
    let _ = writeln!(text, "pages:  {statuses:?}");
    let _ = writeln!(
        text,
        "chunks: {}, tokens: {}",
        tokens.len(),
        tokens.iter().map(|t| u64::from(*t)).sum::<u64>()
    );
    let widest = histogram.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    for (label, n) in &histogram {
        let _ = writeln!(
            text,
            "  {label:>9} tokens {:>7} {}",
            n,
            "#".repeat((n * 40).div_ceil(widest) as usize)
        );
    }
    for (page_id, code, request_id) in &failures {
        let _ = writeln!(
            text,
            "failed: {page_id} {code} (request id {})",
            request_id.as_deref().unwrap_or("-")
        );
    }
    for item in &not_shared {
        let _ = writeln!(
            text,
            "not shared: {} {} (referenced from {})",
            item["kind"].as_str().unwrap_or("?"),
            item["id"].as_str().unwrap_or("?"),
            item["referenced_from"]
                .as_array()
                .map(|a| a
                    .iter()
                    .filter_map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(", "))
                .unwrap_or_default()
        );
    }
    write_stdout(&text)
}

/// The not-shared list of the last completed run, from the state store
/// (empty when the directory has none).
fn last_not_shared(out: &Path) -> Result<Vec<serde_json::Value>> {
    if !out.join(engine::store::STATE_FILE).exists() {
        return Ok(Vec::new());
    }
    let store = engine::store::Store::open(out)
        .with_context(|| format!("cannot open the state store in {}", out.display()))?;
    let summary = store.last_completed_summary()?;
    Ok(summary
        .and_then(|(_, s)| s["crawl"]["not_shared"].as_array().cloned())
        .unwrap_or_default())
}

/// Writes to stdout; a reader that stopped early (`| head`) is not an error.
pub(crate) fn write_stdout(text: &str) -> Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to stdout"),
    }
}

/// Chunk counts by token-count bucket.
fn histogram(tokens: &[u32]) -> Vec<(String, u64)> {
    let edges = [0u32, 64, 128, 256, 384, 512, 768, 1024, 2048, 8192];
    let mut counts = vec![0u64; edges.len()];
    for t in tokens {
        let i = edges.iter().rposition(|e| t >= e).unwrap_or(0);
        counts[i] += 1;
    }
    edges
        .iter()
        .enumerate()
        .filter(|(i, _)| counts[*i] > 0)
        .map(|(i, e)| {
            let label = match edges.get(i + 1) {
                Some(next) => format!("{e}-{}", next - 1),
                None => format!("{e}+"),
            };
            (label, counts[i])
        })
        .collect()
}

/// Prints the summary as JSON on stdout. A closed or full stdout is an
/// error the caller reports, never a panic.
pub fn print_json(summary: &Summary) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, summary).context("cannot write the summary")?;
    writeln!(out).context("cannot write the summary")?;
    out.flush().context("cannot write the summary")
}
