//! `notion-ingest serve`: the flags turned into an [`engine::ServeConfig`],
//! the server started (exit 7 when another process holds the output), and
//! SIGTERM/Ctrl-C turned into a graceful stop (exit 0).

use anyhow::Result;
use engine::{EngineConfig, ServeConfig, ServeError, Server};
use notion_source::client::NotionClient;
use tokio_util::sync::CancellationToken;
use webhooks::{PlannerConfig, Secret};

use crate::cli::{Reconcile, ServeArgs};
use crate::commands::{connection, usage};
use crate::exit::Outcome;

/// Runs `serve` until a signal.
pub async fn serve(args: ServeArgs) -> Result<Outcome> {
    if args.pipeline.full {
        return Err(usage(
            "--full does not apply to serve: run `notion-ingest run --full` (serve must not be running)",
        ));
    }
    let (valid, token) = connection(
        &args.pipeline,
        args.api_url.as_deref(),
        args.token_file.as_deref(),
    )?;
    let secret = match &args.webhook_secret_file {
        Some(path) => Some(Secret::read_file(path).map_err(|e| usage(e.to_string()))?),
        None => None,
    };
    if args.quiet_period.is_zero() && args.max_wait.is_zero() {
        return Err(usage("--quiet-period and --max-wait cannot both be 0"));
    }
    let client =
        NotionClient::new(token, valid.client.clone()).map_err(|e| usage(e.to_string()))?;
    let mut config = ServeConfig::new(EngineConfig::from_settings(&valid), args.listen);
    config.secret = secret;
    config.planner = PlannerConfig {
        quiet: args.quiet_period,
        max_wait: args.max_wait,
    };
    config.snapshot_interval = args.snapshot_interval;
    config.reconcile_every = match args.reconcile_every {
        Reconcile::Off => None,
        Reconcile::Every(every) => Some(every),
    };
    let server = match Server::start(client, config).await {
        Ok(server) => server,
        Err(ServeError::Busy(error)) => {
            eprintln!("error: {error}");
            return Ok(Outcome::Busy);
        }
        Err(error) => return Err(error.into()),
    };
    eprintln!(
        "Listening for Notion webhooks on http://{}/webhooks/notion (health: /healthz, metrics: /metrics); output in {}.",
        server.local_addr(),
        valid.out_dir.display()
    );
    if !server.is_verified() {
        eprintln!(
            "No verification token yet: create the webhook subscription in Notion; its token will be written to {}.",
            server.token_file().display()
        );
    }
    let shutdown = CancellationToken::new();
    spawn_signal_handler(shutdown.clone());
    match server.run(shutdown).await {
        Ok(report) => {
            eprintln!(
                "Stopped: {} refreshes, {} complete runs, {} events settled, {} pending (refreshed at the next start).",
                report.refreshes, report.reconciles, report.events_settled, report.events_pending
            );
            Ok(Outcome::Success)
        }
        Err(ServeError::Unauthorized(error)) => {
            eprintln!(
                "error: {error}. Check NOTION_TOKEN or --token-file; accepted events stay stored and are refreshed at the next start."
            );
            Ok(Outcome::Unauthorized)
        }
        Err(error) => Err(error.into()),
    }
}

/// SIGTERM or Ctrl-C: stop accepting, stop the run in progress (its events
/// stay stored), exit 0. A second signal exits at once.
fn spawn_signal_handler(shutdown: CancellationToken) {
    tokio::spawn(async move {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            return;
        };
        tokio::select! { _ = tokio::signal::ctrl_c() => {}, _ = term.recv() => {} }
        eprintln!("\nStopping: accepted events are stored; a run in progress is stopped...");
        shutdown.cancel();
        tokio::select! { _ = tokio::signal::ctrl_c() => {}, _ = term.recv() => {} }
        std::process::exit(i32::from(Outcome::Interrupted.code()));
    });
}
