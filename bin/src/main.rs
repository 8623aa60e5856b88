//! `notion-ingest`: the command-line runner. Parses flags, sets up logging,
//! runs a subcommand and turns its outcome into an exit code.

use std::process::ExitCode;

use notion_ingest::cli::Command;
use notion_ingest::commands;
use notion_ingest::exit::Outcome;

fn main() -> ExitCode {
    tune_malloc();
    let cli = notion_ingest::cli::parse();
    notion_ingest::logging::init(cli.verbose);
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
            #[cfg(feature = "demo")]
            Command::Demo(args) => commands::demo(args).await,
            #[cfg(feature = "demo")]
            Command::Mock(args) => commands::mock(args).await,
            Command::Inspect(args) => commands::inspect(args),
            #[cfg(feature = "upload")]
            Command::Upload(args) => notion_ingest::upload::upload(args).await,
            #[cfg(feature = "upload")]
            Command::Selftest(args) => notion_ingest::selftest::selftest(args).await,
            Command::Serve(args) => notion_ingest::serve::serve(args).await,
            Command::Tree(args) => notion_ingest::tree::tree(args).await,
            Command::Select(args) => notion_ingest::tree::select(args).await,
            Command::Ls(args) => commands::ls(args),
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

/// Two glibc malloc settings that keep memory flat (`pipeline_memory` and
/// `workspaces` benchmarks):
/// - glibc raises its mmap threshold each time a large block is freed; from
///   then on multi-megabyte buffers (the export's Parquet pages and batches)
///   are carved from the heap and stay resident after they are freed, so
///   peak memory grew with the workspace. A fixed threshold (glibc's initial
///   128 KiB) hands such buffers back at once.
/// - glibc gives threads up to 8 arenas per core, each keeping what was
///   freed in it; a run over many workspaces touches them all from the
///   runtime's and the store's threads (10 workspaces of 1,000 pages peaked
///   at 184 MB). One arena per core peaked at 137 MB, for some CPU spent
///   waiting on the arenas' locks (BENCHMARKS.md, "Large workspaces").
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_malloc() {
    let arenas = std::thread::available_parallelism().map_or(2, |n| n.get().max(2));
    let arenas = libc::c_int::try_from(arenas).unwrap_or(libc::c_int::MAX);
    // SAFETY: mallopt only sets malloc tuning parameters; no other thread
    // is running yet.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_malloc() {}
