//! The subcommands: `run`, `demo`, `mock` and `inspect`.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use notion_mock::{
    Latency, MockConfig, MockServer, RateLimit as MockRateLimit, SyntheticConfig, Workspace,
};
use notion_source::client::{ClientConfig, NotionClient, RateLimit, RetryPolicy, SecretToken};
use notion_source::crawler::{CrawlConfig, CrawlError, Root, normalize_id};
use tokio_util::sync::CancellationToken;

use crate::cli::{DemoArgs, InspectArgs, MockArgs, PipelineArgs, RunArgs};
use crate::config::Config;
use crate::exit::Outcome;
use crate::pipeline::{self, PipelineConfig, PipelineError, Watch};
use crate::summary::Summary;

/// An error in the flags or the configuration (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

/// `notion-ingest run`: crawl a real workspace (or any API URL).
pub async fn run(args: RunArgs) -> Result<Outcome> {
    let mut config = Config::resolve(&args.pipeline).map_err(|e| usage(format!("{e:#}")))?;
    if let Some(url) = &args.api_url {
        config.notion.api_url = url.clone();
    }
    if let Some(file) = &args.token_file {
        config.notion.token_file = Some(file.clone());
    }
    let token = read_token(&config)?;
    execute(&args.pipeline, &config, token, None).await
}

/// `notion-ingest demo`: the real pipeline against an in-process mock.
pub async fn demo(args: DemoArgs) -> Result<Outcome> {
    let mut config = Config::resolve(&args.pipeline).map_err(|e| usage(format!("{e:#}")))?;
    let workspace = load_workspace(args.dataset.as_deref(), args.synthetic, 1)?;
    let minimum = workspace.min_requests();
    let minimum = minimum.total + minimum.users;
    let mock = MockConfig {
        // Notion-like: the average the client keeps to, and room for a burst.
        rate: MockRateLimit::TokenBucket {
            per_second: config.notion.rate,
            burst: 10,
        },
        latency: args
            .latency_ms
            .map_or(Latency::None, |ms| Latency::LogNormal {
                median: Duration::from_millis(ms),
                sigma: 0.5,
            }),
        ..MockConfig::default()
    };
    let token = mock.token.clone();
    let server = MockServer::start(workspace, mock)
        .await
        .context("cannot start the mock Notion server")?;
    config.notion.api_url = server.url();
    eprintln!(
        "Serving the demo workspace at {} (a mock of Notion's API); crawling it at {} requests/s.",
        server.url(),
        config.notion.rate
    );
    let outcome = execute(
        &args.pipeline,
        &config,
        SecretToken::new(token),
        Some(minimum),
    )
    .await;
    server.stop().await;
    let outcome = outcome?;
    if !args.pipeline.json {
        let out = config.out_dir();
        let out = out.display();
        eprintln!(
            "\nOpen it:\n  python -c \"import pandas as pd; print(pd.read_parquet('{out}/chunks').head())\"\n  duckdb -c \"SELECT page_title, heading_path, token_count, text FROM '{out}/chunks/*.parquet' LIMIT 5\"\n  notion-ingest inspect {out}"
        );
    }
    Ok(outcome)
}

/// `notion-ingest mock`: serve a dataset until Ctrl-C.
pub async fn mock(args: MockArgs) -> Result<Outcome> {
    let workspace = load_workspace(args.dataset.as_deref(), args.synthetic, args.seed)?;
    let config = MockConfig {
        token: args.token.clone(),
        rate: if args.rate > 0.0 {
            MockRateLimit::TokenBucket {
                per_second: args.rate,
                burst: 10,
            }
        } else {
            MockRateLimit::Off
        },
        latency: if args.latency_ms > 0 {
            Latency::LogNormal {
                median: Duration::from_millis(args.latency_ms),
                sigma: 0.5,
            }
        } else {
            Latency::None
        },
        faults: notion_mock::Faults {
            error_rate: args.error_rate,
            ..Default::default()
        },
        ..MockConfig::default()
    };
    let minimum = workspace.min_requests();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], args.port));
    let server = MockServer::start_on(addr, workspace, config)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    eprintln!(
        "Mock Notion API at {} (token: the one given with --token). Stats: {}/__mock/stats",
        server.url(),
        server.url()
    );
    eprintln!(
        "A complete crawl needs at least {} requests. Ctrl-C to stop.",
        minimum.total
    );
    eprintln!(
        "Try: NOTION_TOKEN={} notion-ingest run --api-url {} --out ./out",
        args.token,
        server.url()
    );
    tokio::signal::ctrl_c().await.ok();
    server.stop().await;
    Ok(Outcome::Success)
}

/// `notion-ingest inspect OUT`.
pub fn inspect(args: InspectArgs) -> Result<Outcome> {
    crate::summary::inspect(&args.out, args.json)?;
    Ok(Outcome::Success)
}

fn load_workspace(
    dataset: Option<&Path>,
    synthetic: Option<usize>,
    seed: u64,
) -> Result<Workspace> {
    Ok(match (dataset, synthetic) {
        (Some(path), _) => Workspace::load(path)
            .with_context(|| format!("cannot load the dataset {}", path.display()))?,
        (None, Some(pages)) => Workspace::synthetic(&SyntheticConfig {
            pages,
            seed,
            ..SyntheticConfig::default()
        }),
        (None, None) => Workspace::kitchen_sink(),
    })
}

/// The token, from the token file or `NOTION_TOKEN`; never from a flag.
fn read_token(config: &Config) -> Result<SecretToken> {
    let token = match &config.notion.token_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the token file {}", path.display()))?
            .trim()
            .to_string(),
        None => std::env::var("NOTION_TOKEN")
            .unwrap_or_default()
            .trim()
            .to_string(),
    };
    if token.is_empty() {
        return Err(usage(
            "no Notion token: set NOTION_TOKEN or pass --token-file FILE (create an internal integration at https://www.notion.so/profile/integrations and share pages with it)",
        ));
    }
    Ok(SecretToken::new(token))
}

/// The client, crawler and pipeline configurations from the resolved config.
fn pipeline_config(config: &Config, args: &PipelineArgs) -> Result<(ClientConfig, PipelineConfig)> {
    let rate = match config.notion.window_budget {
        Some(budget) => RateLimit::Window {
            budget,
            window: Duration::from_secs(60),
        },
        None => RateLimit::PerSecond {
            per_second: config.notion.rate,
            burst: config.notion.burst.max(1),
        },
    };
    let client = ClientConfig {
        base_url: config.notion.api_url.clone(),
        notion_version: config.notion.notion_version.clone(),
        rate,
        retry: RetryPolicy {
            max_attempts: config.notion.max_retries + 1,
            ..RetryPolicy::default()
        },
        ..ClientConfig::default()
    };
    let roots = config
        .crawl
        .roots
        .iter()
        .map(|r| Root::parse(r).ok_or_else(|| usage(format!("not a Notion id or URL: {r:?}"))))
        .collect::<Result<Vec<_>>>()?;
    let exclude = config
        .crawl
        .exclude
        .iter()
        .map(|r| {
            normalize_id(r.split_once(':').map_or(r.as_str(), |(_, id)| id))
                .ok_or_else(|| usage(format!("not a Notion id or URL: {r:?}")))
        })
        .collect::<Result<_>>()?;
    let data_source_queries = config
        .crawl
        .data_sources
        .iter()
        .map(|f| {
            let id = normalize_id(&f.id)
                .ok_or_else(|| usage(format!("not a data source id: {:?}", f.id)))?;
            let query = notion_source::client::DataSourceQuery {
                filter: f.filter.clone(),
                sorts: f.sorts.clone(),
                filter_properties: f.filter_properties.clone(),
                ..Default::default()
            };
            Ok((id, query))
        })
        .collect::<Result<_>>()?;
    let tokenizer = config.chunk.tokenizer.parse().map_err(|_| {
        usage(format!(
            "unknown tokenizer {:?} (o200k_base or cl100k_base)",
            config.chunk.tokenizer
        ))
    })?;
    let pipeline = PipelineConfig {
        out_dir: config.out_dir(),
        crawl: CrawlConfig {
            roots,
            exclude,
            pages_in_flight: config.crawl.concurrency,
            complete_truncated_properties: config.crawl.full_relations,
            data_source_queries,
            ..CrawlConfig::default()
        },
        chunk: chunker::ChunkConfig {
            max_tokens: config.chunk.max_tokens,
            overlap_tokens: config.chunk.overlap,
            min_tokens: config.chunk.min_tokens,
            contextual_header: config.chunk.contextual_header,
            tokenizer,
        },
        full: args.full,
        shard_bytes: config.output.shard_mb << 20,
        store_delay: None,
    };
    Ok((client, pipeline))
}

/// Runs the pipeline with progress, signals and the final summary.
async fn execute(
    args: &PipelineArgs,
    config: &Config,
    token: SecretToken,
    minimum: Option<u64>,
) -> Result<Outcome> {
    let (client_config, pipeline_config) = pipeline_config(config, args)?;
    let client = NotionClient::new(token, client_config).map_err(|e| usage(e.to_string()))?;
    let cancel = CancellationToken::new();
    spawn_signal_handler(cancel.clone());
    let watch = Watch::default();
    let progress = crate::progress::start(
        watch.clone(),
        client.clone(),
        !args.no_progress && !args.json,
    );
    let out_dir = pipeline_config.out_dir.clone();
    let result = pipeline::run(client.clone(), pipeline_config, cancel, watch).await;
    progress.finish().await;
    let report = match result {
        Ok(report) => report,
        Err(PipelineError::Crawl(CrawlError::Unauthorized(info))) => {
            eprintln!(
                "error: Notion refused the integration token ({}). Check NOTION_TOKEN or --token-file: the token of an internal integration starts with ntn_ or secret_.",
                info.code
            );
            return Ok(Outcome::Unauthorized);
        }
        Err(error) => return Err(anyhow::Error::new(error)),
    };
    let summary = Summary::new(&report, &out_dir, minimum);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        summary.print();
    }
    Ok(summary.outcome)
}

/// Ctrl-C or SIGTERM: stop crawling, write what was read, exit 130. A
/// second signal exits at once.
fn spawn_signal_handler(cancel: CancellationToken) {
    let cancel = Arc::new(cancel);
    tokio::spawn(async move {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! { _ = tokio::signal::ctrl_c() => {}, _ = term.recv() => {} }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
        eprintln!(
            "\nStopping: finishing the pages already read (press Ctrl-C again to quit at once)..."
        );
        cancel.cancel();
        tokio::signal::ctrl_c().await.ok();
        std::process::exit(i32::from(Outcome::Interrupted.code()));
    });
}
