//! Configuration: the TOML file, its defaults, and the merge with flags.
//!
//! Precedence: command-line flags, then the `--config` file, then defaults.
//! The token is not part of the file: it comes from `NOTION_TOKEN` or a
//! token file, so it never lands in a config that gets committed or shared.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::cli::PipelineArgs;

/// The whole configuration, as read from TOML (every field optional).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Output directory.
    pub out: Option<PathBuf>,
    /// How to reach Notion.
    pub notion: NotionConfig,
    /// What to crawl.
    pub crawl: CrawlConfig,
    /// How to chunk.
    pub chunk: ChunkSettings,
    /// How to write Parquet.
    pub output: OutputConfig,
}

/// `[notion]`: endpoint, version, token file, request budget.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotionConfig {
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

impl Default for NotionConfig {
    fn default() -> Self {
        NotionConfig {
            api_url: "https://api.notion.com".into(),
            notion_version: "2025-09-03".into(),
            token_file: None,
            rate: 3.0,
            burst: 3,
            window_budget: None,
            max_retries: 6,
        }
    }
}

/// `[crawl]`: roots, exclusions, data source filters, concurrency.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrawlConfig {
    /// Start points instead of search: page ids or URLs, database ids, data source ids.
    pub roots: Vec<String>,
    /// Ids never crawled, with what is reachable only through them.
    pub exclude: Vec<String>,
    /// Pages crawled at once.
    pub concurrency: usize,
    /// Read relation and people properties beyond Notion's 25 references.
    pub full_relations: bool,
    /// Filters for data source queries.
    pub data_sources: Vec<DataSourceFilter>,
}

impl Default for CrawlConfig {
    fn default() -> Self {
        CrawlConfig {
            roots: Vec::new(),
            exclude: Vec::new(),
            concurrency: 8,
            full_relations: true,
            data_sources: Vec::new(),
        }
    }
}

/// `[[crawl.data_sources]]`: a Notion filter, sorts and property subset for one
/// data source, passed through to the query endpoint.
#[derive(Debug, Clone, Deserialize, Serialize)]
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
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChunkSettings {
    /// Maximum tokens per chunk (header included).
    pub max_tokens: usize,
    /// Overlap between consecutive chunks, in tokens.
    pub overlap: usize,
    /// A trailing piece under this many tokens is merged into its neighbour.
    pub min_tokens: usize,
    /// `o200k_base` or `cl100k_base`.
    pub tokenizer: String,
    /// Prefix embed_text with the page title and heading path.
    pub contextual_header: bool,
}

impl Default for ChunkSettings {
    /// The chunker's own defaults.
    fn default() -> Self {
        let chunker = chunker::ChunkConfig::default();
        ChunkSettings {
            max_tokens: chunker.max_tokens,
            overlap: chunker.overlap_tokens,
            min_tokens: chunker.min_tokens,
            tokenizer: chunker.tokenizer.name().into(),
            contextual_header: chunker.contextual_header,
        }
    }
}

/// `[output]`: shard sizes.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutputConfig {
    /// Rotate shards at about this size, in MB.
    pub shard_mb: u64,
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig { shard_mb: 128 }
    }
}

impl Config {
    /// Reads a TOML config file.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
    }

    /// Reads `--config` if given, then applies the flags over it.
    pub fn resolve(args: &PipelineArgs) -> Result<Config> {
        let mut config = match &args.config {
            Some(path) => Config::load(path)?,
            None => Config::default(),
        };
        config.apply(args);
        config.validate()?;
        Ok(config)
    }

    /// Applies command-line flags over this configuration.
    pub fn apply(&mut self, args: &PipelineArgs) {
        if let Some(out) = &args.out {
            self.out = Some(out.clone());
        }
        if !args.roots.is_empty() {
            self.crawl.roots = args.roots.clone();
        }
        if !args.exclude.is_empty() {
            self.crawl.exclude = args.exclude.clone();
        }
        set(&mut self.chunk.max_tokens, args.max_tokens);
        set(&mut self.chunk.overlap, args.overlap);
        set(&mut self.chunk.tokenizer, args.tokenizer.clone());
        set(&mut self.chunk.contextual_header, args.contextual_header);
        set(&mut self.notion.rate, args.rate);
        if args.window_budget.is_some() {
            self.notion.window_budget = args.window_budget;
        }
        set(&mut self.crawl.concurrency, args.concurrency);
    }

    /// Rejects values that cannot work, with a message saying which.
    pub fn validate(&self) -> Result<()> {
        if !self.notion.rate.is_finite() || self.notion.rate <= 0.0 {
            bail!("rate must be a positive number of requests per second");
        }
        if self.notion.window_budget == Some(0) {
            bail!("window_budget must be at least 1");
        }
        if self.crawl.concurrency == 0 {
            bail!("concurrency must be at least 1");
        }
        if self.chunk.max_tokens == 0 {
            bail!("max_tokens must be at least 1");
        }
        if self.chunk.overlap >= self.chunk.max_tokens {
            bail!(
                "overlap ({}) must be smaller than max_tokens ({})",
                self.chunk.overlap,
                self.chunk.max_tokens
            );
        }
        Ok(())
    }

    /// The output directory (`./notion-ingest-out` when unset).
    pub fn out_dir(&self) -> PathBuf {
        self.out
            .clone()
            .unwrap_or_else(|| PathBuf::from("notion-ingest-out"))
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_file_which_overrides_defaults() {
        let mut config: Config = toml::from_str(
            r#"
            out = "from-file"
            [chunk]
            max_tokens = 300
            overlap = 20
            [notion]
            rate = 2.5
            [[crawl.data_sources]]
            id = "ds1"
            filter = { property = "Status", status = { equals = "Done" } }
            "#,
        )
        .unwrap();
        let args = PipelineArgs {
            max_tokens: Some(400),
            ..Default::default()
        };
        config.apply(&args);
        assert_eq!(config.chunk.max_tokens, 400, "flag wins");
        assert_eq!(config.chunk.overlap, 20, "file wins over default");
        assert_eq!(config.notion.rate, 2.5);
        assert_eq!(config.chunk.tokenizer, "o200k_base", "default");
        assert_eq!(config.out_dir(), PathBuf::from("from-file"));
        assert_eq!(
            config.crawl.data_sources[0].filter.as_ref().unwrap()["status"]["equals"],
            "Done"
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_rejected_with_a_reason() {
        assert!(toml::from_str::<Config>("[chunk]\nmax_tokenz = 3").is_err());
        let mut config = Config::default();
        config.chunk.overlap = 600;
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("overlap"), "{err}");
    }
}
