//! `notion-ingest`: the command-line runner. Parses flags, sets up logging,
//! runs a subcommand and turns its outcome into an exit code.

use std::process::ExitCode;

use clap::Parser;

use notion_ingest::cli::{Cli, Command};
use notion_ingest::commands;
use notion_ingest::exit::Outcome;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return Outcome::Error.into();
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => commands::run(args).await,
            Command::Demo(args) => commands::demo(args).await,
            Command::Mock(args) => commands::mock(args).await,
            Command::Inspect(args) => commands::inspect(args),
        }
    });
    match outcome {
        Ok(outcome) => outcome.into(),
        Err(error) => {
            eprintln!("error: {error:#}");
            let outcome = error
                .downcast_ref::<commands::UsageError>()
                .map_or(Outcome::Error, |_| Outcome::Usage);
            outcome.into()
        }
    }
}

/// Logs go to stderr: warnings by default, more with -v; `RUST_LOG` wins.
fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info,notion_source=info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
