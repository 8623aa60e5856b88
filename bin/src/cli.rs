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
    /// Keep the output fresh: receive Notion's webhooks and refresh the pages
    /// they name (a change set per refresh), plus a complete incremental run
    /// every --reconcile-every. Runs until SIGTERM or Ctrl-C.
    Serve(ServeArgs),
    /// Print what is shared with the integration as a tree (pages,
    /// databases, data sources, with the pages under each), marking what the
    /// configuration's crawl.roots and crawl.exclude select.
    ///
    /// Built from listing requests only (search, plus one block lookup per
    /// distinct block parent). The listing is cached in the output
    /// directory's state store for `select`.
    Tree(TreeArgs),
    /// Choose what to crawl in an interactive tree (needs a terminal), and
    /// write it into the config file's crawl.roots and crawl.exclude.
    ///
    /// Keys: arrows move and open, type to filter, space includes or
    /// excludes a subtree, Enter writes, Esc leaves without writing.
    Select(SelectArgs),
    /// Print the current snapshot's shards, one path or URL a line
    /// (local directories and s3://, gs://, az:// outputs).
    Ls(LsArgs),
    /// Write a dataset (the bundled kitchen sink by default) under a page of
    /// a workspace, within Notion's write limits; resumable with --state.
    #[cfg(feature = "upload")]
    Upload(crate::upload::UploadArgs),
    /// Upload the kitchen sink under a page, crawl it back and compare:
    /// exit 0 only on full fidelity. The upload goes to the trash unless --keep.
    #[cfg(feature = "upload")]
    Selftest(crate::selftest::SelftestArgs),
}

/// How a command reaches Notion: the token file and the API's address.
#[derive(Debug, Args, Clone, Default)]
pub struct ConnectionArgs {
    /// File holding the integration token (instead of NOTION_TOKEN).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Notion API base URL (another endpoint: a proxy, the mock).
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
}

/// Where `tree` and `select` get the hierarchy: the configuration, the
/// output directory's state, the API.
#[derive(Debug, Args, Clone, Default)]
pub struct ListingArgs {
    /// Output directory whose state store caches the listing and knows
    /// what earlier runs stored.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Where Notion is and the token.
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Average requests per second to Notion.
    #[arg(long, value_name = "RPS")]
    pub rate: Option<f64>,
}

/// Flags of `tree`.
#[derive(Debug, Args)]
pub struct TreeArgs {
    /// Listing options.
    #[command(flatten)]
    pub listing: ListingArgs,
    /// TOML configuration file whose crawl.roots and crawl.exclude are marked.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Levels shown (1: the top level only).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub depth: Option<u64>,
    /// One JSON object per node and line (id, kind, title, parent, url,
    /// counts, mark, walked_only, stored_blocks).
    #[arg(long)]
    pub json: bool,
    /// Start at this page, database or data source (an id or URL).
    #[arg(long, value_name = "ID")]
    pub from: Option<String>,
}

/// Flags of `select`.
#[derive(Debug, Args)]
pub struct SelectArgs {
    /// Listing options.
    #[command(flatten)]
    pub listing: ListingArgs,
    /// Config file to read the current selection from and write the new one
    /// into (created when missing).
    #[arg(long, value_name = "FILE", default_value = "notion-ingest.toml")]
    pub config: PathBuf,
    /// List again instead of opening the listing cached by the last `tree`
    /// or `select`.
    #[arg(long)]
    pub refresh: bool,
}

/// Flags of `run` (and, through `demo`, of the pipeline).
#[derive(Debug, Args, Clone, Default)]
pub struct PipelineArgs {
    /// Output: a directory (Parquet shards, manifest, state), file://DIR, or
    /// object storage (s3://BUCKET/PREFIX, gs://…, az://…; credentials from
    /// the environment as each cloud's SDKs read them).
    #[arg(long, value_name = "DIR|URL")]
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
    /// How page content is read: blocks (the block walk) or markdown (one
    /// page-as-Markdown request per page).
    #[arg(long, value_name = "STRATEGY")]
    pub fetch: Option<engine::settings::FetchStrategy>,
    /// With --fetch markdown: top-level (list each page's top-level blocks
    /// so chunks cite their first block) or none (chunks link to the page).
    #[arg(long, value_name = "ANCHORS")]
    pub anchors: Option<engine::settings::Anchors>,
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
    /// Where Notion is and the token.
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Run only the `[[workspace]]` entries of shard I of N (a stable hash
    /// of each name). Without it, Kubernetes' JOB_COMPLETION_INDEX with
    /// NOTION_INGEST_SHARDS (the Job's completions) select the shard.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// With `[[workspace]]` entries: crawl at most N workspaces at once (the
    /// others wait their turn), a global bound on pages in memory of N times
    /// the per-workspace cost (README, "Sizing") [default: all at once].
    /// `--pages-in-memory` bounds pages across them whatever N is.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub workspaces_at_once: Option<u32>,
    /// With `[[workspace]]` entries: at most N pages in memory across all
    /// workspaces (being read, waiting to be stored, being built); memory is
    /// then N pages plus a fixed cost per workspace (README, "Sizing").
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PAGES_IN_MEMORY,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub pages_in_memory: u32,
}

/// The default of `run --pages-in-memory`.
pub const DEFAULT_PAGES_IN_MEMORY: u32 = 1000;

/// Flags of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Pipeline options (--full, --json and --no-progress do not apply).
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    /// Where Notion is and the token.
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Address to listen on for webhooks, e.g. 127.0.0.1:8080 behind a
    /// reverse proxy with TLS.
    #[arg(long, value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// File holding the subscription's verification token (else the token
    /// Notion's handshake sends is stored in the state store).
    #[arg(long, value_name = "FILE")]
    pub webhook_secret_file: Option<PathBuf>,
    /// Events for one page or data source are gathered until it has been
    /// quiet this long (30s, 2m...).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub quiet_period: std::time::Duration,
    /// The longest an entity edited without pause waits for its refresh.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub max_wait: std::time::Duration,
    /// Publish the snapshot at most this often (change sets are published
    /// by every refresh).
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    pub snapshot_interval: std::time::Duration,
    /// Run a complete incremental run this often, because webhook delivery
    /// is best effort ("off": never).
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_reconcile)]
    pub reconcile_every: Reconcile,
}

/// `--reconcile-every`: a period, or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reconcile {
    /// Never run a complete run from `serve`.
    Off,
    /// This often.
    Every(std::time::Duration),
}

/// Parses `500ms`, `30s`, `10m`, `24h`, `7d` (a bare number is seconds).
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 30s, 10m or 24h"))?;
    let seconds = match unit.trim() {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        "d" => value * 86_400.0,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?}: use ms, s, m, h or d"
            ));
        }
    };
    std::time::Duration::try_from_secs_f64(seconds).map_err(|e| format!("{text:?}: {e}"))
}

fn parse_reconcile(text: &str) -> Result<Reconcile, String> {
    match text.trim() {
        "off" | "never" | "0" => Ok(Reconcile::Off),
        other => parse_duration(other).map(Reconcile::Every),
    }
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

/// Flags of `ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// Output directory or URL (s3://BUCKET/PREFIX, gs://…, az://…).
    #[arg(value_name = "OUT")]
    pub out: String,
}

/// The command line with the defaults of [`engine::Settings`] in the help of
/// every flag that has one.
pub fn command() -> clap::Command {
    let d = engine::Settings::default();
    let defaults: [(&str, String); 11] = [
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
        ("fetch", d.crawl.fetch.to_string()),
        ("anchors", d.crawl.anchors.to_string()),
        ("shard_mb", d.output.shard_mb.to_string()),
    ];
    let mut command = Cli::command();
    for sub in ["run", "demo", "serve"] {
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
