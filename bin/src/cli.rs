//! Command-line interface: the subcommands and their flags (clap).
//!
//! Flags override the TOML config file, which overrides the defaults; the
//! merge happens in [`crate::config`]. The defaults shown by `--help` come
//! from [`engine::Settings::default`], the one place they are set
//! ([`command`] adds them).

use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

/// Turns a Notion workspace into token-aware text chunks in Parquet.
#[derive(Debug, Parser)]
#[command(name = "notion-ingest", version, about, long_about = None)]
pub struct Cli {
    /// More log output (-v: info, -vv: debug, -vvv: trace). Logs go to stderr.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Crawl a Notion workspace into Parquet (the main job).
    ///
    /// The token comes from the NOTION_TOKEN environment variable or
    /// --token-file, never from a command-line value. Running again with the
    /// same --out continues from the previous run's state.
    Run(RunArgs),
    /// Run the real pipeline against a bundled demo workspace served by an
    /// in-process mock Notion server (no Notion account needed).
    #[cfg(feature = "demo")]
    Demo(DemoArgs),
    /// Serve a dataset as a mock Notion API on a local port.
    #[cfg(feature = "demo")]
    Mock(MockArgs),
    /// Describe what a run wrote: pages, chunks, tokens, failures, schema.
    Inspect(InspectArgs),
    /// Write a dataset (the bundled kitchen sink by default) under a page of
    /// a workspace, within Notion's write limits; resumable with --state.
    #[cfg(feature = "upload")]
    Upload(crate::upload::UploadArgs),
    /// Upload the kitchen sink under a page, crawl it back and compare:
    /// exit 0 only on full fidelity. The upload goes to the trash unless --keep.
    #[cfg(feature = "upload")]
    Selftest(crate::selftest::SelftestArgs),
}

/// Flags of `run` (and, through `demo`, of the pipeline).
#[derive(Debug, Args, Clone, Default)]
pub struct PipelineArgs {
    /// Output directory (Parquet shards, manifest, state).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// TOML configuration file; flags override it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where to start instead of search: page ids or URLs, database ids,
    /// data source ids (repeatable).
    #[arg(long = "root", value_name = "ID_OR_URL")]
    pub roots: Vec<String>,
    /// Ids of pages, databases or data sources never to crawl, with what is
    /// reachable only through them (repeatable).
    #[arg(long = "exclude", value_name = "ID_OR_URL")]
    pub exclude: Vec<String>,
    /// Maximum tokens per chunk.
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<usize>,
    /// Tokens of overlap between consecutive chunks.
    #[arg(long, value_name = "N")]
    pub overlap: Option<usize>,
    /// A piece smaller than this many tokens is merged into a neighbour.
    #[arg(long, value_name = "N")]
    pub min_tokens: Option<usize>,
    /// Tokenizer: o200k_base or cl100k_base (text-embedding-3).
    #[arg(long, value_name = "NAME")]
    pub tokenizer: Option<String>,
    /// Prefix each chunk's embed_text with the page title and heading path.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub contextual_header: Option<bool>,
    /// Average requests per second to Notion.
    #[arg(long, value_name = "RPS")]
    pub rate: Option<f64>,
    /// Use a budget of N requests per 60-second window instead of --rate.
    #[arg(long, value_name = "N")]
    pub window_budget: Option<u32>,
    /// Pages crawled at once.
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Rotate Parquet shards at about this size, in MB.
    #[arg(long, value_name = "MB")]
    pub shard_mb: Option<u64>,
    /// Re-crawl every page, ignoring the state of previous runs.
    #[arg(long)]
    pub full: bool,
    /// Print the final summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Never draw progress bars, even on a terminal.
    #[arg(long)]
    pub no_progress: bool,
}

/// Flags of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Pipeline options.
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    /// File holding the integration token (instead of NOTION_TOKEN).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Notion API base URL (another endpoint: a proxy, the mock).
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
}

/// Flags of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Pipeline options (--out defaults to ./notion-ingest-out; --rate to go
    /// faster than Notion's real 3 requests per second).
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    /// Serve this dataset file instead of the bundled kitchen-sink workspace.
    #[arg(long, value_name = "FILE")]
    pub dataset: Option<PathBuf>,
    /// Serve a synthetic workspace of N pages instead.
    #[arg(long, value_name = "N", conflicts_with = "dataset")]
    pub synthetic: Option<usize>,
    /// Median latency of the mock's answers, in milliseconds [default: 0].
    #[arg(long, value_name = "MS")]
    pub latency_ms: Option<u64>,
}

/// Flags of `mock`.
#[derive(Debug, Args)]
pub struct MockArgs {
    /// Port on 127.0.0.1 [default: 7700; 0 picks a free one].
    #[arg(long, default_value_t = 7700)]
    pub port: u16,
    /// Dataset file to serve [default: the bundled kitchen-sink workspace].
    #[arg(long, value_name = "FILE")]
    pub dataset: Option<PathBuf>,
    /// Serve a synthetic workspace of N pages instead.
    #[arg(long, value_name = "N", conflicts_with = "dataset")]
    pub synthetic: Option<usize>,
    /// Seed of the synthetic workspace.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Rate limit in requests per second (0: off) [default: 3].
    #[arg(long, default_value_t = 3.0)]
    pub rate: f64,
    /// Median latency in milliseconds (log-normal) [default: 0].
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Share of answers that fail with 500/502/503 [default: 0].
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,
    /// Token the mock accepts [default: secret_mock_token].
    #[arg(long, default_value = "secret_mock_token")]
    pub token: String,
}

/// Flags of `inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Output directory of a run.
    #[arg(value_name = "OUT")]
    pub out: PathBuf,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The command line with the defaults of [`engine::Settings`] in the help of
/// every flag that has one.
pub fn command() -> clap::Command {
    let d = engine::Settings::default();
    let defaults: [(&str, String); 9] = [
        ("out", engine::settings::DEFAULT_OUT.to_string()),
        ("max_tokens", d.chunk.max_tokens.to_string()),
        ("overlap", d.chunk.overlap.to_string()),
        (
            "min_tokens",
            format!(
                "{}, at most max_tokens/4",
                chunker::ChunkConfig::default().min_tokens
            ),
        ),
        ("tokenizer", d.chunk.tokenizer.clone()),
        ("contextual_header", d.chunk.contextual_header.to_string()),
        ("rate", d.notion.rate.to_string()),
        ("concurrency", d.crawl.concurrency.to_string()),
        ("shard_mb", d.output.shard_mb.to_string()),
    ];
    let mut command = Cli::command();
    for sub in ["run", "demo"] {
        if command.find_subcommand(sub).is_none() {
            continue;
        }
        command = command.mut_subcommand(sub, |mut sub| {
            for (id, value) in &defaults {
                sub = sub.mut_arg(*id, |arg| {
                    let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
                    arg.help(format!("{help} [default: {value}]"))
                });
            }
            sub
        });
    }
    command
}

/// Parses the process's arguments with [`command`]'s help.
pub fn parse() -> Cli {
    let matches = command().get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}
