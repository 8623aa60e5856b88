//! Settings: what a run is told, as the TOML configuration file spells it,
//! with the one set of defaults the file, the command-line flags, `--help`
//! and the README all use, and a validation that checks every value before
//! any request is sent.
//!
//! ```
//! let settings = engine::Settings::from_toml("[chunk]\nmax_tokens = 300").unwrap();
//! let valid = settings.validate().unwrap();
//! assert_eq!(valid.chunk.max_tokens, 300);
//!
//! let error = engine::Settings::from_toml("[chunk]\nmax_tokens = 1").unwrap().validate().unwrap_err();
//! assert_eq!(error.key, "chunk.max_tokens");
//! ```
//!
//! The token is never part of the settings: it comes from `NOTION_TOKEN` or
//! a token file, so it never lands in a file that gets committed or shared.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notion_source::client::{ClientConfig, DataSourceQuery, RateLimit, RetryPolicy};
use notion_source::crawler::{CrawlConfig, Fetch, Root, normalize_id};

pub use notion_source::crawler::{Anchors, FetchStrategy};
use serde::{Deserialize, Serialize};

/// What the crawler needs to read pages with `strategy`: the markdown
/// strategy reads answers with `notion-markdown`'s Notion-flavoured
/// Markdown reader.
pub fn fetch_for(strategy: FetchStrategy) -> Fetch {
    match strategy {
        FetchStrategy::Blocks => Fetch::Blocks,
        FetchStrategy::Markdown => Fetch::Markdown(Arc::new(notion_markdown::nfm::Reader)),
    }
}

/// The output directory when none is given.
pub const DEFAULT_OUT: &str = "notion-ingest-out";

/// A setting that cannot work, named by its configuration key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct SettingsError {
    /// The key, as in the configuration file (`chunk.max_tokens`).
    pub key: String,
    /// What is wrong and what would be right.
    pub message: String,
}

impl SettingsError {
    fn new(key: &str, message: impl Into<String>) -> Self {
        SettingsError {
            key: key.to_string(),
            message: message.into(),
        }
    }
}

/// The whole configuration, as read from TOML; every key is optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Output directory.
    pub out: Option<PathBuf>,
    /// How to reach Notion.
    pub notion: NotionSettings,
    /// What to crawl.
    pub crawl: CrawlSettings,
    /// How to chunk.
    pub chunk: ChunkSettings,
    /// How to write Parquet.
    pub output: OutputSettings,
    /// `[[workspace]]`: many workspaces crawled by one run, each into
    /// `OUT/workspace=<name>/` (empty: one workspace, into `OUT`).
    #[serde(rename = "workspace")]
    pub workspaces: Vec<WorkspaceSettings>,
}

/// `[[workspace]]`: one of the workspaces a run crawls concurrently, with
/// its own token, client and rate limiter. Unset keys take the top-level
/// `[notion]` and `[crawl]` values.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkspaceSettings {
    /// The workspace's name: letters, digits, `-`, `_` (the partition
    /// `workspace=<name>`).
    pub name: String,
    /// File holding this workspace's integration token.
    pub token_file: Option<PathBuf>,
    /// Name of the environment variable holding this workspace's token.
    pub token_env: Option<String>,
    /// Start points instead of search.
    pub roots: Vec<String>,
    /// Ids never crawled.
    pub exclude: Vec<String>,
    /// Filters for data source queries.
    pub data_sources: Vec<DataSourceFilter>,
    /// Average requests per second for this workspace's token.
    pub rate: Option<f64>,
    /// A budget of N requests per 60-second window, instead of `rate`.
    pub window_budget: Option<u32>,
    /// Another API base URL for this workspace (a proxy, the mock).
    pub api_url: Option<String>,
}

/// The shard (of `shards`) a workspace belongs to: a stable hash of its
/// name (SHA-256), so every worker of a scheduler agrees without talking.
pub fn workspace_shard(name: &str, shards: usize) -> usize {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(name.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) % shards.max(1) as u64) as usize
}

/// `I/N`: shard `I` (from 0) of `N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This worker's shard, `0..count`.
    pub index: usize,
    /// How many shards there are.
    pub count: usize,
}

impl Shard {
    /// Parses `I/N` (`0 <= I < N`).
    pub fn parse(text: &str) -> Result<Shard, SettingsError> {
        let bad = || {
            SettingsError::new(
                "shard",
                format!("{text:?} is not a shard: give I/N with 0 <= I < N, e.g. 0/3"),
            )
        };
        let (index, count) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = index.trim().parse().map_err(|_| bad())?;
        let count: usize = count.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether workspace `name` is this shard's.
    pub fn owns(&self, name: &str) -> bool {
        workspace_shard(name, self.count) == self.index
    }
}

/// Whether `name` can name a workspace partition.
fn valid_workspace_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `[notion]`: endpoint, version, token file, request budget.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotionSettings {
    /// API base URL.
    pub api_url: String,
    /// `Notion-Version` header.
    pub notion_version: String,
    /// File holding the integration token (else `NOTION_TOKEN`).
    pub token_file: Option<PathBuf>,
    /// Average requests per second.
    pub rate: f64,
    /// Requests allowed at once above the average.
    pub burst: u32,
    /// A budget of N requests per 60-second window, instead of `rate`.
    pub window_budget: Option<u32>,
    /// Retries of a request that failed with 5xx or a transport error.
    pub max_retries: u32,
}

impl Default for NotionSettings {
    fn default() -> Self {
        NotionSettings {
            api_url: notion_source::client::DEFAULT_BASE_URL.into(),
            notion_version: notion_source::client::DEFAULT_NOTION_VERSION.into(),
            token_file: None,
            rate: 3.0,
            burst: 3,
            window_budget: None,
            max_retries: 6,
        }
    }
}

/// `[crawl]`: roots, exclusions, data source filters, concurrency.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrawlSettings {
    /// Start points instead of search: page ids or URLs, `database:ID`,
    /// `data_source:ID`.
    pub roots: Vec<String>,
    /// Ids never crawled, with what is reachable only through them.
    pub exclude: Vec<String>,
    /// Pages crawled at once.
    pub concurrency: usize,
    /// Read relation and people properties beyond Notion's 25 references.
    pub full_relations: bool,
    /// Filters for data source queries.
    pub data_sources: Vec<DataSourceFilter>,
    /// How page content is read: `blocks` (the block walk) or `markdown`
    /// (one page-as-Markdown request per page; see the README).
    pub fetch: FetchStrategy,
    /// With `fetch = "markdown"`: `top-level` (the default) lists each
    /// page's top-level blocks once more so chunks cite their first block,
    /// `none` saves that request and links chunks to their page.
    pub anchors: Anchors,
}

impl Default for CrawlSettings {
    fn default() -> Self {
        let crawl = CrawlConfig::default();
        CrawlSettings {
            roots: Vec::new(),
            exclude: Vec::new(),
            concurrency: crawl.pages_in_flight,
            full_relations: crawl.complete_truncated_properties,
            data_sources: Vec::new(),
            fetch: crawl.fetch.strategy(),
            anchors: crawl.anchors,
        }
    }
}

/// `[[crawl.data_sources]]`: a Notion filter, sorts and property subset for
/// one data source, passed through to the query endpoint.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DataSourceFilter {
    /// Data source id.
    pub id: String,
    /// Notion filter object (JSON shape, written in TOML).
    #[serde(default)]
    pub filter: Option<serde_json::Value>,
    /// Notion sorts array.
    #[serde(default)]
    pub sorts: Option<serde_json::Value>,
    /// Property ids to return.
    #[serde(default)]
    pub filter_properties: Vec<String>,
}

/// `[chunk]`: chunk size, overlap, tokenizer, contextual header.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChunkSettings {
    /// Maximum tokens per chunk (header included).
    pub max_tokens: usize,
    /// Overlap between consecutive chunks, in tokens.
    pub overlap: usize,
    /// A piece under this many tokens is merged into a neighbour; when not
    /// set, the chunker's default, capped at a quarter of `max_tokens`.
    pub min_tokens: Option<usize>,
    /// `o200k_base` or `cl100k_base`.
    pub tokenizer: String,
    /// Prefix `embed_text` with the page title and heading path.
    pub contextual_header: bool,
}

impl Default for ChunkSettings {
    /// The chunker's own defaults.
    fn default() -> Self {
        let chunker = chunker::ChunkConfig::default();
        ChunkSettings {
            max_tokens: chunker.max_tokens,
            overlap: chunker.overlap_tokens,
            min_tokens: None,
            tokenizer: chunker.tokenizer.name().into(),
            contextual_header: chunker.contextual_header,
        }
    }
}

/// `[output]`: shard sizes, snapshots kept.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutputSettings {
    /// Rotate shards at about this size, in MB.
    pub shard_mb: u64,
    /// Published snapshots to keep, the current one included.
    pub keep_snapshots: usize,
    /// Where the state store and the lock live when `out` is object storage
    /// (default: `~/.cache/notion-ingest/<hash of the URL>`).
    pub state_dir: Option<PathBuf>,
    /// How long a worker's lease on an object storage output lasts unless
    /// renewed (it is renewed every third of it), in seconds: a worker
    /// killed mid-run blocks the next one at most this long.
    pub lease_seconds: u64,
}

/// Where output goes: a local directory or an object store URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputTarget {
    /// A directory on this machine (also `file://DIR`).
    Local(PathBuf),
    /// An object store URL: `s3://bucket/prefix`, `gs://…`, `az://…`.
    Object(String),
}

impl OutputTarget {
    /// What `out` names: `s3://`, `s3a://`, `gs://`, `az://`, `abfs(s)://`
    /// URLs are object storage, `file://DIR` and plain paths are local; any
    /// other `scheme://` is an error.
    pub fn parse(out: &str) -> Result<OutputTarget, SettingsError> {
        let Some((scheme, rest)) = out.split_once("://") else {
            return Ok(OutputTarget::Local(PathBuf::from(out)));
        };
        match scheme {
            "file" => Ok(OutputTarget::Local(PathBuf::from(rest))),
            "s3" | "s3a" | "gs" | "az" | "abfs" | "abfss" => {
                let bucket = rest.split('/').next().unwrap_or_default();
                if bucket.is_empty() {
                    return Err(SettingsError::new(
                        "out",
                        format!("{out:?} names no bucket: give {scheme}://BUCKET/PREFIX"),
                    ));
                }
                Ok(OutputTarget::Object(out.trim_end_matches('/').to_owned()))
            }
            _ => Err(SettingsError::new(
                "out",
                format!(
                    "{out:?}: unknown scheme {scheme}:// (use a directory, file://, s3://, gs:// or az://)"
                ),
            )),
        }
    }

    /// The URL or path, for messages.
    pub fn display(&self) -> String {
        match self {
            OutputTarget::Local(dir) => dir.display().to_string(),
            OutputTarget::Object(url) => url.clone(),
        }
    }
}

/// The default local directory of the state store of an object store
/// output: `$XDG_CACHE_HOME` (or `~/.cache`)`/notion-ingest/<hash of url>`.
pub fn default_state_dir(url: &str) -> PathBuf {
    use sha2::Digest;
    let hash = hex::encode(sha2::Sha256::digest(url.as_bytes()));
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    cache.join("notion-ingest").join(&hash[..16])
}

impl Default for OutputSettings {
    fn default() -> Self {
        OutputSettings {
            shard_mb: 128,
            keep_snapshots: 2,
            state_dir: None,
            lease_seconds: 300,
        }
    }
}

/// Settings checked and turned into what the client, the crawler, the
/// chunker and the sink take.
#[derive(Debug, Clone)]
pub struct ValidSettings {
    /// The local directory holding the state store and the lock: the
    /// output directory itself when the output is local.
    pub out_dir: PathBuf,
    /// Where output is published.
    pub target: OutputTarget,
    /// The client's configuration (without the token).
    pub client: ClientConfig,
    /// What to crawl.
    pub crawl: CrawlConfig,
    /// How to chunk.
    pub chunk: chunker::ChunkConfig,
    /// Target shard size in bytes.
    pub shard_bytes: u64,
    /// Snapshots to keep.
    pub keep_snapshots: usize,
    /// How long a lease on an object storage output lasts unless renewed.
    pub lease_ttl: std::time::Duration,
    /// The token file, if one is configured.
    pub token_file: Option<PathBuf>,
}

impl Settings {
    /// Parses TOML text (unknown keys are errors).
    pub fn from_toml(text: &str) -> Result<Settings, SettingsError> {
        toml::from_str(text).map_err(|e| {
            let key = e
                .span()
                .and_then(|span| key_at(text, span.start))
                .unwrap_or_else(|| "config".into());
            SettingsError::new(&key, e.message().to_string() + &location(text, e.span()))
        })
    }

    /// Reads a TOML configuration file.
    pub fn load(path: &Path) -> Result<Settings, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            SettingsError::new("config", format!("cannot read {}: {e}", path.display()))
        })?;
        Self::from_toml(&text).map_err(|e| SettingsError {
            message: format!("{}: {}", path.display(), e.message),
            ..e
        })
    }

    /// The settings of each `[[workspace]]`: this configuration with the
    /// workspace's keys applied and `out` set to `OUT/workspace=<name>`.
    /// Names are checked (valid, distinct); each result still needs
    /// [`validate`](Self::validate).
    pub fn per_workspace(&self) -> Result<Vec<(String, Settings)>, SettingsError> {
        let mut seen = HashSet::new();
        let out = self
            .out_dir()
            .to_string_lossy()
            .trim_end_matches('/')
            .to_owned();
        let mut all = Vec::new();
        for ws in &self.workspaces {
            if !valid_workspace_name(&ws.name) {
                return Err(SettingsError::new(
                    "workspace.name",
                    format!(
                        "{:?} is not a usable workspace name: use letters, digits, - and _",
                        ws.name
                    ),
                ));
            }
            if !seen.insert(ws.name.clone()) {
                return Err(SettingsError::new(
                    "workspace.name",
                    format!("{:?} appears twice", ws.name),
                ));
            }
            if ws.token_file.is_some() && ws.token_env.is_some() {
                return Err(SettingsError::new(
                    "workspace.token_env",
                    format!(
                        "workspace {:?}: give token_file or token_env, not both",
                        ws.name
                    ),
                ));
            }
            let mut one = self.clone();
            one.workspaces.clear();
            one.out = Some(PathBuf::from(format!("{out}/workspace={}", ws.name)));
            if !ws.roots.is_empty() {
                one.crawl.roots = ws.roots.clone();
            }
            if !ws.exclude.is_empty() {
                one.crawl.exclude = ws.exclude.clone();
            }
            if !ws.data_sources.is_empty() {
                one.crawl.data_sources = ws.data_sources.clone();
            }
            if let Some(rate) = ws.rate {
                one.notion.rate = rate;
            }
            if ws.window_budget.is_some() {
                one.notion.window_budget = ws.window_budget;
            }
            if let Some(url) = &ws.api_url {
                one.notion.api_url = url.clone();
            }
            if ws.token_file.is_some() {
                one.notion.token_file = ws.token_file.clone();
            }
            if let Some(state_dir) = &self.output.state_dir {
                one.output.state_dir = Some(state_dir.join(format!("workspace={}", ws.name)));
            }
            all.push((ws.name.clone(), one));
        }
        Ok(all)
    }

    /// The output directory (`./notion-ingest-out` when unset).
    pub fn out_dir(&self) -> PathBuf {
        self.out
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_OUT))
    }

    /// Checks every value, under the rules the client, the crawler, the
    /// chunker and the sink apply, and builds their configurations. Nothing
    /// is sent anywhere.
    pub fn validate(&self) -> Result<ValidSettings, SettingsError> {
        let n = &self.notion;
        if !(n.rate.is_finite() && (0.01..=1000.0).contains(&n.rate)) {
            return Err(SettingsError::new(
                "notion.rate",
                format!(
                    "{} is not a usable rate: give requests per second between 0.01 and 1000 (Notion allows about 3)",
                    n.rate
                ),
            ));
        }
        if n.burst == 0 || n.burst > 1000 {
            return Err(SettingsError::new(
                "notion.burst",
                "must be between 1 and 1000",
            ));
        }
        if n.window_budget.is_some_and(|b| b == 0 || b > 100_000) {
            return Err(SettingsError::new(
                "notion.window_budget",
                "must be between 1 and 100000 requests per 60-second window",
            ));
        }
        if n.max_retries > 100 {
            return Err(SettingsError::new(
                "notion.max_retries",
                "must be at most 100",
            ));
        }
        let rate = match n.window_budget {
            Some(budget) => RateLimit::Window {
                budget,
                window: Duration::from_secs(60),
            },
            None => RateLimit::PerSecond {
                per_second: n.rate,
                burst: n.burst,
            },
        };
        let client = ClientConfig {
            base_url: n.api_url.clone(),
            notion_version: n.notion_version.clone(),
            rate,
            retry: RetryPolicy {
                max_attempts: n.max_retries + 1,
                ..RetryPolicy::default()
            },
            ..ClientConfig::default()
        };
        client
            .check()
            .map_err(|e| SettingsError::new("notion.api_url", e.to_string()))?;
        if n.notion_version.trim().is_empty() || reqwest_header_invalid(&n.notion_version) {
            return Err(SettingsError::new(
                "notion.notion_version",
                "must be a Notion API version such as 2025-09-03",
            ));
        }

        let c = &self.crawl;
        if !(1..=64).contains(&c.concurrency) {
            return Err(SettingsError::new(
                "crawl.concurrency",
                "must be between 1 and 64 pages at once",
            ));
        }
        let roots = c
            .roots
            .iter()
            .map(|r| {
                Root::parse(r).ok_or_else(|| {
                    SettingsError::new("crawl.roots", format!("not a Notion id or URL: {r:?}"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let exclude = c
            .exclude
            .iter()
            .map(|r| {
                normalize_id(r.split_once(':').map_or(r.as_str(), |(_, id)| id)).ok_or_else(|| {
                    SettingsError::new("crawl.exclude", format!("not a Notion id or URL: {r:?}"))
                })
            })
            .collect::<Result<HashSet<_>, _>>()?;
        let data_source_queries = c
            .data_sources
            .iter()
            .map(|f| {
                let id = normalize_id(&f.id).ok_or_else(|| {
                    SettingsError::new(
                        "crawl.data_sources.id",
                        format!("not a data source id: {:?}", f.id),
                    )
                })?;
                if f.filter.as_ref().is_some_and(|v| !v.is_object()) {
                    return Err(SettingsError::new(
                        "crawl.data_sources.filter",
                        "must be a table (a Notion filter object)",
                    ));
                }
                if f.sorts.as_ref().is_some_and(|v| !v.is_array()) {
                    return Err(SettingsError::new(
                        "crawl.data_sources.sorts",
                        "must be an array (Notion sorts)",
                    ));
                }
                let query = DataSourceQuery {
                    filter: f.filter.clone(),
                    sorts: f.sorts.clone(),
                    filter_properties: f.filter_properties.clone(),
                    ..Default::default()
                };
                Ok((id, query))
            })
            .collect::<Result<HashMap<_, _>, _>>()?;
        let crawl = CrawlConfig {
            roots,
            exclude,
            pages_in_flight: c.concurrency,
            complete_truncated_properties: c.full_relations,
            data_source_queries,
            fetch: fetch_for(c.fetch),
            anchors: c.anchors,
            ..CrawlConfig::default()
        };

        let k = &self.chunk;
        let tokenizer = k.tokenizer.parse().map_err(|e: chunker::ChunkError| {
            SettingsError::new("chunk.tokenizer", e.to_string())
        })?;
        let default_min = chunker::ChunkConfig::default().min_tokens;
        let chunk = chunker::ChunkConfig {
            max_tokens: k.max_tokens,
            overlap_tokens: k.overlap,
            min_tokens: k.min_tokens.unwrap_or(default_min.min(k.max_tokens / 4)),
            contextual_header: k.contextual_header,
            tokenizer,
        };
        chunk.validate().map_err(|e| {
            let key = match e {
                chunker::ChunkError::OverlapTooLarge { .. } => "chunk.overlap",
                chunker::ChunkError::MinTokensTooLarge { .. } => "chunk.min_tokens",
                _ => "chunk.max_tokens",
            };
            SettingsError::new(key, e.to_string())
        })?;

        let o = &self.output;
        if !(1..=1 << 20).contains(&o.shard_mb) {
            return Err(SettingsError::new(
                "output.shard_mb",
                "must be between 1 and 1048576 MB",
            ));
        }
        if !(1..=1000).contains(&o.keep_snapshots) {
            return Err(SettingsError::new(
                "output.keep_snapshots",
                "must be between 1 and 1000",
            ));
        }
        if !(1..=86_400).contains(&o.lease_seconds) {
            return Err(SettingsError::new(
                "output.lease_seconds",
                "must be between 1 and 86400 seconds",
            ));
        }
        let target = OutputTarget::parse(&self.out_dir().to_string_lossy())?;
        let out_dir = match &target {
            OutputTarget::Local(dir) => dir.clone(),
            OutputTarget::Object(url) => o
                .state_dir
                .clone()
                .unwrap_or_else(|| default_state_dir(url)),
        };
        Ok(ValidSettings {
            out_dir,
            target,
            client,
            crawl,
            chunk,
            shard_bytes: o.shard_mb << 20,
            keep_snapshots: o.keep_snapshots,
            lease_ttl: std::time::Duration::from_secs(o.lease_seconds),
            token_file: n.token_file.clone(),
        })
    }
}

/// Whether a value cannot be an HTTP header value.
fn reqwest_header_invalid(value: &str) -> bool {
    value.bytes().any(|b| b < 0x20 || b == 0x7f)
}

/// " at line L, column C" for a TOML error's span.
/// The dotted key (`chunk.max_tokens`) written on the line holding byte
/// `at`: the nearest `[table]` header above it and the line's own key.
fn key_at(text: &str, at: usize) -> Option<String> {
    let before = text.get(..at)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next()?;
    let key = line.split_once('=')?.0.trim();
    if key.is_empty() || key.starts_with('#') || key.starts_with('[') {
        return None;
    }
    let table = before[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_string());
    Some(match table {
        Some(table) if !table.is_empty() => format!("{table}.{key}"),
        _ => key.to_string(),
    })
}

fn location(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    let Some(span) = span else {
        return String::new();
    };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    format!(" (line {line}, column {column})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_type_error_names_its_key() {
        let error =
            Settings::from_toml("out = \"x\"\n[chunk]\nmax_tokens = \"many\"\n").unwrap_err();
        assert_eq!(error.key, "chunk.max_tokens");
        assert!(error.message.contains("line 3"), "{error}");
        let error = Settings::from_toml("[crawl]\nconcurrancy = 4\n").unwrap_err();
        assert_eq!(error.key, "crawl.concurrancy", "{error}");
    }

    #[test]
    fn defaults_are_valid_and_match_their_sources() {
        let valid = Settings::default().validate().unwrap();
        assert_eq!(valid.chunk, {
            let mut c = chunker::ChunkConfig::default();
            c.min_tokens = c.min_tokens.min(c.max_tokens / 4);
            c
        });
        assert_eq!(valid.out_dir, PathBuf::from(DEFAULT_OUT));
        assert_eq!(
            valid.crawl.pages_in_flight,
            CrawlConfig::default().pages_in_flight
        );
    }

    #[test]
    fn every_bad_value_names_its_key() {
        let cases: &[(&str, &str)] = &[
            ("[chunk]\nmax_tokens = 10", "chunk.max_tokens"),
            ("[chunk]\nmax_tokens = 100\noverlap = 100", "chunk.overlap"),
            (
                "[chunk]\nmax_tokens = 100\nmin_tokens = 101",
                "chunk.min_tokens",
            ),
            ("[chunk]\ntokenizer = \"gpt2\"", "chunk.tokenizer"),
            ("[notion]\nrate = 1e-12", "notion.rate"),
            ("[notion]\nrate = 0.0", "notion.rate"),
            ("[notion]\nwindow_budget = 0", "notion.window_budget"),
            (
                "[notion]\napi_url = \"http://example.com\"",
                "notion.api_url",
            ),
            ("[crawl]\nconcurrency = 0", "crawl.concurrency"),
            ("[crawl]\nroots = [\"not an id\"]", "crawl.roots"),
            ("[crawl]\nexclude = [\"nope\"]", "crawl.exclude"),
            ("[output]\nshard_mb = 0", "output.shard_mb"),
            ("[output]\nkeep_snapshots = 0", "output.keep_snapshots"),
        ];
        for (toml, key) in cases {
            let error = Settings::from_toml(toml).unwrap().validate().unwrap_err();
            assert_eq!(&error.key, key, "{toml}: {error}");
        }
        let error = Settings::from_toml("[chunk]\nmax_tokenz = 3").unwrap_err();
        assert_eq!(error.key, "chunk.max_tokenz");
        assert!(error.message.contains("max_tokenz"), "{error}");
    }

    #[test]
    fn the_fetch_strategy_is_read_and_wired_to_the_crawler() {
        assert_eq!(Settings::default().crawl.fetch, FetchStrategy::Blocks);
        let valid = Settings::from_toml("[crawl]\nfetch = \"markdown\"")
            .unwrap()
            .validate()
            .unwrap();
        assert_eq!(valid.crawl.fetch.strategy(), FetchStrategy::Markdown);
        let error = Settings::from_toml("[crawl]\nfetch = \"walk\"").unwrap_err();
        assert!(error.message.contains("walk"), "{error}");
    }

    #[test]
    fn anchors_are_read_and_wired_to_the_crawler() {
        assert_eq!(Settings::default().crawl.anchors, Anchors::TopLevel);
        let valid = Settings::from_toml("[crawl]\nfetch = \"markdown\"\nanchors = \"none\"")
            .unwrap()
            .validate()
            .unwrap();
        assert_eq!(valid.crawl.anchors, Anchors::None);
        let error = Settings::from_toml("[crawl]\nanchors = \"all\"").unwrap_err();
        assert!(error.message.contains("all"), "{error}");
    }

    #[test]
    fn a_small_max_tokens_caps_the_default_minimum() {
        let valid = Settings::from_toml("[chunk]\nmax_tokens = 32")
            .unwrap()
            .validate()
            .unwrap();
        assert_eq!((valid.chunk.max_tokens, valid.chunk.min_tokens), (32, 8));
    }
}
