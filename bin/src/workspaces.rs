//! `run` over many workspaces (`[[workspace]]` entries in the config file):
//! each is crawled concurrently with its own token, client and rate limiter
//! into `OUT/workspace=<name>/` (a Hive-style partition readers turn into a
//! `workspace` column); one failing workspace never stops the others. A
//! line per workspace at the end, and one exit code for all: success when
//! every workspace succeeded, the common code when all ended alike, else
//! partial failure (5) if any succeeded.
//!
//! Memory: every workspace's pages share one budget (`--pages-in-memory`,
//! an [`engine::SharedBounds`]), and exports take turns, no more at once
//! than the machine has cores; what remains per workspace is a fixed cost.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use engine::settings::Shard;
use engine::{EngineConfig, RunOptions, Settings, SharedBounds, ValidSettings};
use notion_source::client::{NotionClient, SecretToken};
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::cli::PipelineArgs;
use crate::commands::{STOPPING_RUN, failed_run, read_token, spawn_signal_handler, usage};
use crate::exit::Outcome;
use crate::summary::Summary;

/// How one workspace's run ended.
#[derive(Debug, Serialize)]
pub struct WorkspaceResult {
    /// The workspace's name.
    pub workspace: String,
    /// Its outcome.
    pub outcome: Outcome,
    /// Its exit code, were it run alone.
    pub exit_code: u8,
    /// Its summary, when the run got far enough to have one.
    pub summary: Option<Summary>,
}

/// What a many-workspace run prints with `--json`.
#[derive(Debug, Serialize)]
struct Report<'a> {
    outcome: Outcome,
    exit_code: u8,
    pages_in_memory: PagesInMemory,
    workspaces: &'a [WorkspaceResult],
}

/// The shared page budget and the most pages it held at once.
#[derive(Debug, Serialize)]
struct PagesInMemory {
    budget: usize,
    peak: usize,
}

/// The shard this worker runs: `--shard I/N`, else Kubernetes'
/// `JOB_COMPLETION_INDEX` with `NOTION_INGEST_SHARDS`, else none (all).
pub fn shard(flag: Option<&str>) -> Result<Option<Shard>> {
    if let Some(text) = flag {
        return Shard::parse(text)
            .map(Some)
            .map_err(|e| usage(e.to_string()));
    }
    let (Ok(index), Ok(count)) = (
        std::env::var("JOB_COMPLETION_INDEX"),
        std::env::var("NOTION_INGEST_SHARDS"),
    ) else {
        return Ok(None);
    };
    Shard::parse(&format!("{index}/{count}"))
        .map(Some)
        .map_err(|e| usage(format!("JOB_COMPLETION_INDEX / NOTION_INGEST_SHARDS: {e}")))
}

/// How many workspaces, and pages, at once.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Workspaces crawled at once (all when `None`).
    pub at_once: Option<u32>,
    /// Pages in memory across all workspaces.
    pub pages_in_memory: u32,
}

/// Runs every `[[workspace]]` of `settings` (those of `shard`, if given)
/// concurrently within `limits`.
pub async fn run(
    args: &PipelineArgs,
    settings: &Settings,
    shard: Option<Shard>,
    limits: Limits,
) -> Result<Outcome> {
    let mut all = settings.per_workspace().map_err(|e| usage(e.to_string()))?;
    let entries: Vec<_> = settings
        .workspaces
        .iter()
        .filter(|ws| shard.is_none_or(|s| s.owns(&ws.name)))
        .collect();
    all.retain(|(name, _)| shard.is_none_or(|s| s.owns(name)));
    if let Some(shard) = shard {
        eprintln!(
            "shard {}/{}: {} of {} workspaces",
            shard.index,
            shard.count,
            all.len(),
            settings.workspaces.len()
        );
    }
    // Every workspace's settings are checked before any request.
    let mut prepared = Vec::new();
    for ((name, one), entry) in all.into_iter().zip(entries) {
        let valid = one
            .validate()
            .map_err(|e| usage(format!("workspace {name}: {e}")))?;
        prepared.push((name, valid, entry.token_env.clone()));
    }
    let args_full = args.full;
    let cancel = CancellationToken::new();
    spawn_signal_handler(cancel.clone(), STOPPING_RUN);
    // The global bounds: pages in memory across every workspace, exports
    // (CPU-bound Parquet encoding) no more at once than cores; and, when
    // asked, workspaces at once (a workspace runs only with a permit).
    let bounds = SharedBounds::new(limits.pages_in_memory as usize, cores());
    let running = limits
        .at_once
        .map_or(prepared.len(), |n| (n as usize).min(prepared.len()));
    if (limits.pages_in_memory as usize) < PAGES_PER_WORKSPACE * running {
        eprintln!(
            "note: --pages-in-memory {} is under {PAGES_PER_WORKSPACE} pages for each of {running} workspaces at once; \
             their crawls will run below their rate (README, \"Cost model\")",
            limits.pages_in_memory
        );
    }
    let permits = Arc::new(Semaphore::new(
        limits.at_once.map_or(prepared.len().max(1), |n| n as usize),
    ));
    let tasks: Vec<_> = prepared
        .into_iter()
        .map(|(name, valid, token_env)| {
            let token = workspace_token(&valid, token_env.as_deref());
            // A child token each: a workspace that stops (a 401 cancels its crawl)
            // never stops the others; Ctrl-C stops all.
            let cancel = cancel.child_token();
            let permits = permits.clone();
            let bounds = bounds.clone();
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await;
                run_one(name, valid, token, args_full, cancel, bounds).await
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(
            task.await
                .map_err(|e| anyhow::anyhow!("a workspace task died: {e}"))?,
        );
    }
    let outcome = combine(results.iter().map(|r| r.outcome));
    let pages_in_memory = PagesInMemory {
        budget: bounds.pages.pages(),
        peak: bounds.pages.peak(),
    };
    if args.json {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(
            &mut out,
            &Report {
                outcome,
                exit_code: outcome.code(),
                pages_in_memory,
                workspaces: &results,
            },
        )?;
        writeln!(out)?;
    } else {
        print_table(&results, outcome);
        eprintln!(
            "pages in memory: at most {} at once (--pages-in-memory {})",
            pages_in_memory.peak, pages_in_memory.budget
        );
    }
    Ok(outcome)
}

/// The token of a workspace: its environment variable, its token file, or
/// (neither set) `NOTION_TOKEN`.
fn workspace_token(valid: &ValidSettings, token_env: Option<&str>) -> Result<SecretToken> {
    match token_env {
        Some(var) => {
            let token = std::env::var(var).unwrap_or_default().trim().to_owned();
            if token.is_empty() {
                return Err(usage(format!(
                    "the environment variable {var} holds no token"
                )));
            }
            Ok(SecretToken::new(token))
        }
        None => read_token(valid.token_file.as_deref()),
    }
}

async fn run_one(
    name: String,
    valid: ValidSettings,
    token: Result<SecretToken>,
    full: bool,
    cancel: CancellationToken,
    bounds: SharedBounds,
) -> WorkspaceResult {
    let context = format!("workspace {name}: ");
    let failed = |outcome: Outcome| WorkspaceResult {
        workspace: name.clone(),
        outcome,
        exit_code: outcome.code(),
        summary: None,
    };
    let token = match token {
        Ok(token) => token,
        Err(error) => {
            eprintln!("error: {context}{error:#}");
            return failed(Outcome::Usage);
        }
    };
    let client = match NotionClient::new(token, valid.client.clone()) {
        Ok(client) => client,
        Err(error) => {
            eprintln!("error: {context}{error}");
            return failed(Outcome::Usage);
        }
    };
    let config = match EngineConfig::for_settings(&valid) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {context}{error}");
            return failed(Outcome::Usage);
        }
    };
    let options = RunOptions {
        full,
        cancel,
        bounds: Some(bounds),
        ..RunOptions::default()
    };
    match engine::run(client, config, options).await {
        Ok(report) => {
            let location = PathBuf::from(valid.target.display());
            let summary = Summary::new(&report, &location, None);
            WorkspaceResult {
                workspace: name.clone(),
                outcome: summary.outcome,
                exit_code: summary.outcome.code(),
                summary: Some(summary),
            }
        }
        Err(error) => match failed_run(error, &context) {
            Ok(outcome) => failed(outcome),
            Err(error) => {
                eprintln!("error: {context}{error:#}");
                failed(Outcome::Error)
            }
        },
    }
}

/// Pages in flight one workspace needs to keep Notion's 3 requests/s busy
/// (about 6 requests a page, each waiting its turn and ~250 ms).
const PAGES_PER_WORKSPACE: usize = 4;

/// The machine's cores (exports at once).
fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// One exit code for many workspaces: success when all succeeded; the
/// common outcome when all ended alike; partial failure when some
/// succeeded; otherwise an error.
pub fn combine(outcomes: impl IntoIterator<Item = Outcome>) -> Outcome {
    let outcomes: Vec<Outcome> = outcomes.into_iter().collect();
    match outcomes.first() {
        None => Outcome::Success,
        Some(first) if outcomes.iter().all(|o| o == first) => *first,
        Some(_)
            if outcomes
                .iter()
                .any(|o| matches!(o, Outcome::Success | Outcome::PartialFailure)) =>
        {
            Outcome::PartialFailure
        }
        Some(_) => Outcome::Error,
    }
}

fn print_table(results: &[WorkspaceResult], outcome: Outcome) {
    eprintln!(
        "\n{:<24} {:<16} {:>4} {:>8} {:>8} {:>9} {:>8}",
        "workspace", "outcome", "exit", "pages", "chunks", "requests", "seconds"
    );
    for r in results {
        let outcome_name = serde_json::to_value(r.outcome)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        match &r.summary {
            Some(s) => eprintln!(
                "{:<24} {:<16} {:>4} {:>8} {:>8} {:>9} {:>8.1}",
                r.workspace,
                outcome_name,
                r.exit_code,
                s.pages.written + s.pages.unchanged,
                s.snapshot_chunks,
                s.requests,
                s.seconds
            ),
            None => eprintln!(
                "{:<24} {:<16} {:>4} {:>8} {:>8} {:>9} {:>8}",
                r.workspace, outcome_name, r.exit_code, "-", "-", "-", "-"
            ),
        }
    }
    eprintln!(
        "{} workspaces; exit {} ({:?})",
        results.len(),
        outcome.code(),
        outcome
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_exit_code_for_many_workspaces() {
        use Outcome::*;
        assert_eq!(combine([Success, Success]), Success);
        assert_eq!(combine([Success, Unauthorized, Success]), PartialFailure);
        assert_eq!(combine([Unauthorized, Unauthorized]), Unauthorized);
        assert_eq!(combine([PartialFailure, Success]), PartialFailure);
        assert_eq!(combine([Unauthorized, Throttled]), Error);
        assert_eq!(combine([]), Success);
    }
}
