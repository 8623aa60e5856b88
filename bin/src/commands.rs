//! The subcommands: `run`, `demo`, `mock` and `inspect`. Each resolves its
//! configuration (every value checked before any request: a bad one is exit
//! 2), runs the engine, and turns what happened into an exit code.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use engine::{EngineConfig, EngineError, RunOptions, Settings, Watch};
use notion_source::client::{NotionClient, SecretToken};
use notion_source::crawler::CrawlError;
use tokio_util::sync::CancellationToken;

use crate::cli::{ConnectionArgs, InspectArgs, PipelineArgs, RunArgs};
use crate::exit::Outcome;
use crate::summary::Summary;

/// An error in the flags or the configuration (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// A usage error (exit 2) with this message.
pub(crate) fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

/// The settings of a pipeline command, flags over the config file, checked.
fn settings(args: &PipelineArgs) -> Result<Settings> {
    let settings = crate::config::resolve(args).map_err(|e| usage(e.to_string()))?;
    settings.validate().map_err(|e| usage(e.to_string()))?;
    Ok(settings)
}

/// `notion-ingest run`: crawl a real workspace (or any API URL), or every
/// `[[workspace]]` of the configuration (this worker's `--shard` of them).
pub async fn run(args: RunArgs) -> Result<Outcome> {
    let settings = with_connection(settings(&args.pipeline)?, &args.connection);
    let shard = crate::workspaces::shard(args.shard.as_deref())?;
    if !settings.workspaces.is_empty() {
        let limits = crate::workspaces::Limits {
            at_once: args.workspaces_at_once,
            pages_in_memory: args.pages_in_memory,
        };
        return crate::workspaces::run(&args.pipeline, &settings, shard, limits).await;
    }
    if shard.is_some() {
        return Err(usage(
            "--shard splits [[workspace]] entries between workers; the configuration has none",
        ));
    }
    let (valid, token) = validated(settings)?;
    execute(&args.pipeline, &valid, token, None).await
}

/// The checked settings of a command that talks to one workspace (`run`,
/// `serve`), with `--api-url` and `--token-file` applied, and the token.
pub(crate) fn connection(
    pipeline: &PipelineArgs,
    connection: &ConnectionArgs,
) -> Result<(engine::ValidSettings, SecretToken)> {
    validated(with_connection(settings(pipeline)?, connection))
}

/// `settings` with the `--api-url` and `--token-file` flags applied.
pub(crate) fn with_connection(mut settings: Settings, connection: &ConnectionArgs) -> Settings {
    if let Some(url) = &connection.api_url {
        settings.notion.api_url = url.clone();
    }
    if let Some(file) = &connection.token_file {
        settings.notion.token_file = Some(file.clone());
    }
    settings
}

/// Checks `settings` (exit 2 on a bad value) and reads the token.
fn validated(settings: Settings) -> Result<(engine::ValidSettings, SecretToken)> {
    let valid = settings.validate().map_err(|e| usage(e.to_string()))?;
    let token = read_token(valid.token_file.as_deref())?;
    Ok((valid, token))
}

/// `notion-ingest demo`: the real pipeline against an in-process mock.
#[cfg(feature = "demo")]
pub async fn demo(args: crate::cli::DemoArgs) -> Result<Outcome> {
    use std::time::Duration;

    use notion_mock::{Latency, MockConfig, MockServer, RateLimit as MockRateLimit};

    let mut settings = settings(&args.pipeline)?;
    let workspace = load_workspace(args.dataset.as_deref(), args.synthetic, 1)?;
    let blocks = workspace.min_requests();
    let crawl_minimum = match settings.crawl.fetch {
        engine::settings::FetchStrategy::Blocks => blocks.total,
        engine::settings::FetchStrategy::Markdown => {
            let min = workspace.min_requests_markdown(MockConfig::default().markdown_block_limit);
            match settings.crawl.anchors {
                engine::settings::Anchors::TopLevel => min.total_with_anchors(),
                engine::settings::Anchors::None => min.total,
            }
        }
    };
    let minimum = crawl_minimum + blocks.users;
    let mock = MockConfig {
        // Notion-like: the average the client keeps to, and room for a burst.
        rate: MockRateLimit::TokenBucket {
            per_second: settings.notion.rate,
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
    settings.notion.api_url = server.url();
    let valid = settings.validate().map_err(|e| usage(e.to_string()))?;
    eprintln!(
        "Serving the demo workspace at {} (a mock of Notion's API); crawling it at {} requests/s.",
        server.url(),
        settings.notion.rate
    );
    let outcome = execute(
        &args.pipeline,
        &valid,
        SecretToken::new(token),
        Some(minimum),
    )
    .await;
    server.stop().await;
    let outcome = outcome?;
    if let engine::settings::OutputTarget::Object(url) = &valid.target {
        if !args.pipeline.json {
            eprintln!("\nIts shards: notion-ingest ls {url}");
        }
        return Ok(outcome);
    }
    if !args.pipeline.json {
        let out = valid.out_dir.display();
        eprintln!(
            "\nOpen it:\n  python -c \"import pandas as pd; print(pd.read_parquet('{out}/chunks').head())\"\n  duckdb -c \"SELECT page_title, heading_path, token_count, text FROM '{out}/chunks/*.parquet' LIMIT 5\"\n  notion-ingest inspect {out}"
        );
    }
    Ok(outcome)
}

/// `notion-ingest mock`: serve a dataset until Ctrl-C.
#[cfg(feature = "demo")]
pub async fn mock(args: crate::cli::MockArgs) -> Result<Outcome> {
    use std::time::Duration;

    use notion_mock::{Latency, MockConfig, MockServer, RateLimit as MockRateLimit};

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
    let markdown_minimum = workspace.min_requests_markdown(config.markdown_block_limit);
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
        "A complete crawl needs at least {} requests ({} with --fetch markdown). Ctrl-C to stop.",
        minimum.total, markdown_minimum.total
    );
    eprintln!(
        "Try: NOTION_TOKEN=... notion-ingest run --api-url {} --out ./out",
        server.url()
    );
    tokio::signal::ctrl_c().await.ok();
    server.stop().await;
    Ok(Outcome::Success)
}

/// `notion-ingest ls OUT`: the current snapshot's shards, one path or URL
/// a line (chunks, then pages), for readers that take a list of files. A
/// many-workspace root (`OUT/workspace=<name>/…`) lists every partition's
/// current shards, partition by partition.
pub fn ls(args: crate::cli::LsArgs) -> Result<Outcome> {
    use std::io::Write;

    let root = args.out.trim_end_matches('/');
    let mut urls = Vec::new();
    let mut unpublished = Vec::new();
    let publisher = publisher_at(root)?;
    urls.extend(publisher.shard_urls()?);
    if urls.is_empty() {
        for partition in publisher.partitions()? {
            let found = publisher_at(&format!("{root}/{partition}"))?.shard_urls()?;
            if found.is_empty() {
                unpublished.push(partition);
            } else {
                eprintln!("{partition}: {} shards", found.len());
                urls.extend(found);
            }
        }
    }
    if !unpublished.is_empty() {
        eprintln!("nothing published yet in {}", unpublished.join(", "));
    }
    if urls.is_empty() {
        eprintln!("nothing published at {root}");
        return Ok(Outcome::Error);
    }
    let mut stdout = std::io::stdout().lock();
    for url in urls {
        if writeln!(stdout, "{url}").is_err() {
            break;
        }
    }
    Ok(Outcome::Success)
}

/// A publisher reading the output at `out` (a directory or a URL).
fn publisher_at(out: &str) -> Result<Box<dyn sink::Publisher>> {
    let target = engine::settings::OutputTarget::parse(out).map_err(|e| usage(e.to_string()))?;
    Ok(match &target {
        engine::settings::OutputTarget::Local(dir) => Box::new(sink::LocalDir::new(dir, 2)),
        #[cfg(feature = "object-store")]
        engine::settings::OutputTarget::Object(url) => Box::new(
            sink::ObjectOutput::open(url, std::env::temp_dir().join("notion-ingest-ls"), 2)
                .map_err(|e| usage(e.to_string()))?,
        ),
        #[cfg(not(feature = "object-store"))]
        engine::settings::OutputTarget::Object(url) => {
            return Err(usage(format!("{url}: this build has no object storage")));
        }
    })
}

/// `notion-ingest inspect OUT`.
pub fn inspect(args: InspectArgs) -> Result<Outcome> {
    crate::summary::inspect(&args.out, args.json)?;
    Ok(Outcome::Success)
}

#[cfg(feature = "demo")]
fn load_workspace(
    dataset: Option<&Path>,
    synthetic: Option<usize>,
    seed: u64,
) -> Result<notion_mock::Workspace> {
    use notion_mock::{SyntheticConfig, Workspace};
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

/// The token, from the token file or `NOTION_TOKEN`; never from a flag. A
/// missing or unreadable token is a usage error (exit 2).
pub(crate) fn read_token(token_file: Option<&Path>) -> Result<SecretToken> {
    let token = match token_file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| {
                usage(format!(
                    "cannot read the token file {}: {e}",
                    path.display()
                ))
            })?
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
    crate::logging::hide(&token);
    Ok(SecretToken::new(token))
}

/// Runs the engine with progress, signals and the final summary.
async fn execute(
    args: &PipelineArgs,
    settings: &engine::ValidSettings,
    token: SecretToken,
    minimum: Option<u64>,
) -> Result<Outcome> {
    let client =
        NotionClient::new(token, settings.client.clone()).map_err(|e| usage(e.to_string()))?;
    let cancel = CancellationToken::new();
    spawn_signal_handler(cancel.clone(), STOPPING_RUN);
    let watch = Watch::default();
    let progress = crate::progress::start(
        watch.clone(),
        client.clone(),
        !args.no_progress && !args.json,
    );
    let options = RunOptions {
        full: args.full,
        cancel,
        watch,
        ..RunOptions::default()
    };
    let config = EngineConfig::for_settings(settings).map_err(|e| usage(e.to_string()))?;
    let result = engine::run(client.clone(), config, options).await;
    progress.finish().await;
    let report = match result {
        Ok(report) => report,
        Err(error) => return failed_run(error, ""),
    };
    let location = std::path::PathBuf::from(settings.target.display());
    let summary = Summary::new(&report, &location, minimum);
    if args.json {
        crate::summary::print_json(&summary)?;
    } else {
        summary.print();
    }
    Ok(summary.outcome)
}

/// The outcome of a run the engine refused or stopped, with its message
/// (prefixed by `context`, e.g. a workspace's name); an unexpected error is
/// returned as an error.
pub(crate) fn failed_run(error: EngineError, context: &str) -> Result<Outcome> {
    match error {
        EngineError::Crawl(CrawlError::Unauthorized(info)) => {
            eprintln!(
                "error: {context}Notion refused the integration token ({}). Check NOTION_TOKEN or --token-file: the token of an internal integration starts with ntn_ or secret_.",
                info.code
            );
            Ok(Outcome::Unauthorized)
        }
        EngineError::Crawl(error @ CrawlError::RateLimitedTooLong { .. }) => {
            eprintln!(
                "error: {context}{error}. The pages already read are stored; run again later to continue."
            );
            Ok(Outcome::Throttled)
        }
        EngineError::Busy(error) => {
            eprintln!("error: {context}{error}");
            Ok(Outcome::Busy)
        }
        error => Err(anyhow::Error::new(error)),
    }
}

/// What a run prints on the first signal.
pub(crate) const STOPPING_RUN: &str =
    "Stopping: storing the pages already read (press Ctrl-C again to quit at once)...";

/// Ctrl-C or SIGTERM: print `stopping`, cancel `cancel` (the command stops
/// and stores what it has), and exit 130 at once on a second signal.
pub(crate) fn spawn_signal_handler(cancel: CancellationToken, stopping: &'static str) {
    let cancel = Arc::new(cancel);
    tokio::spawn(async move {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            return;
        };
        tokio::select! { _ = tokio::signal::ctrl_c() => {}, _ = term.recv() => {} }
        eprintln!("\n{stopping}");
        cancel.cancel();
        tokio::select! { _ = tokio::signal::ctrl_c() => {}, _ = term.recv() => {} }
        std::process::exit(i32::from(Outcome::Interrupted.code()));
    });
}
