//! `fuzz`: runs the fuzz targets for a bounded time; exits 0 when every
//! input passed, 1 when one failed (saved in the corpus), 2 on bad usage.
//! See `fuzz/README.md`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use fuzz::{CORPUS, RunOptions, Target};

/// `println!` that ignores a closed or full stdout (a pager that quit).
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Time-bounded fuzzing of the parsers, the renderer and the chunker.
#[derive(Debug, Parser)]
#[command(name = "fuzz")]
struct Cli {
    /// Seconds of generated inputs per target (after its corpus is replayed).
    #[arg(long, default_value_t = 60.0)]
    seconds: f64,
    /// A target to run: parsers, renderer or chunker (repeatable; default: all three).
    #[arg(long = "target")]
    targets: Vec<String>,
    /// Seed of the run (default: from the clock); printed, so a run can be repeated.
    #[arg(long)]
    seed: Option<u64>,
    /// The corpus to replay first.
    #[arg(long, default_value = CORPUS)]
    corpus: PathBuf,
    /// Where to save failing inputs (default: the corpus).
    #[arg(long)]
    save_to: Option<PathBuf>,
    /// Seconds after which one input counts as a hang.
    #[arg(long, default_value_t = 30.0)]
    case_timeout: f64,
    /// Hide the workers' stderr (panic messages of failing inputs).
    #[arg(long)]
    quiet: bool,
    /// Show what the target makes of this input file (with one --target), and exit.
    #[arg(long)]
    show: Option<PathBuf>,
    /// Run as the worker process of a supervisor (internal).
    #[arg(long, hide = true)]
    worker: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut targets = Vec::new();
    for name in &cli.targets {
        match Target::from_name(name) {
            Some(target) => targets.push(target),
            None => {
                eprintln!("fuzz: unknown target {name:?} (parsers, renderer, chunker)");
                return ExitCode::from(2);
            }
        }
    }
    if targets.is_empty() {
        targets = Target::ALL.to_vec();
    }
    if !(cli.seconds >= 0.0 && cli.case_timeout > 0.0 && cli.case_timeout.is_finite()) {
        eprintln!("fuzz: --seconds must be at least 0 and --case-timeout more than 0");
        return ExitCode::from(2);
    }
    let seed = cli.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    });
    if let Some(path) = &cli.show {
        return match std::fs::read(path) {
            Ok(input) => {
                say!("{}", targets[0].show(&input));
                match targets[0].check(&input) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(broken) => {
                        say!("FAILED: {broken}");
                        ExitCode::from(1)
                    }
                }
            }
            Err(e) => {
                eprintln!("fuzz: {}: {e}", path.display());
                ExitCode::from(2)
            }
        };
    }
    if cli.worker {
        return match fuzz::work(targets[0], cli.seconds, seed, &cli.corpus) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(e) => {
                eprintln!("fuzz worker: {e}");
                ExitCode::from(2)
            }
        };
    }
    let options = RunOptions {
        targets,
        seconds: cli.seconds,
        seed,
        save_to: cli.save_to.unwrap_or_else(|| cli.corpus.clone()),
        corpus: cli.corpus,
        case_timeout: Duration::from_secs_f64(cli.case_timeout),
        quiet: cli.quiet,
    };
    say!(
        "fuzz: seed {seed}, {} s per target, corpus {}",
        options.seconds,
        options.corpus.display()
    );
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("fuzz: cannot find this program to start workers: {e}");
            return ExitCode::from(2);
        }
    };
    let reports = match fuzz::supervise(&options, &exe) {
        Ok(reports) => reports,
        Err(e) => {
            eprintln!("fuzz: {e}");
            return ExitCode::from(2);
        }
    };
    let mut failed = false;
    for report in &reports {
        let counts = format!(
            "{} corpus inputs, {} generated (slowest {:.2} s)",
            report.corpus_inputs,
            report.cases,
            report.slowest.as_secs_f64()
        );
        match &report.failure {
            None => say!("{}: {counts}: ok", report.target),
            Some(failure) => {
                failed = true;
                say!("{}: {counts}: FAILED, {}", report.target, failure.kind);
                match failure.seed {
                    Some(case) => say!(
                        "  generated input (case seed {case}) saved as {}",
                        failure.input.display()
                    ),
                    None => say!("  corpus input {}", failure.input.display()),
                }
                say!(
                    "  replay: cargo run --release -p fuzz -- --target {} --seconds 0",
                    report.target
                );
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
