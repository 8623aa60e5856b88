//! Running targets for a bounded time, in a worker process watched by a
//! supervisor.
//!
//! The worker ([`work`]) replays the target's corpus, then checks generated
//! inputs until its time is up, on a 2 MiB stack (a Tokio blocking
//! thread's). Before each input it prints what the input is (`corpus PATH`
//! or `case SEED`) on stdout, and `fail MESSAGE` when a check breaks an
//! invariant. The supervisor ([`supervise`]) reads those lines: a worker
//! that breaks an invariant, dies (a panic, a stack overflow, an abort) or
//! prints nothing for `case_timeout` (a hang) has failed on the last input
//! it named. A generated input is then made again from its seed and saved
//! in the corpus, so the next run replays it first.

use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::corpus;
use crate::rng::mix;
use crate::targets::{Broken, Target};

/// The stack a worker checks inputs on: a Tokio blocking thread's.
pub const STACK_SIZE: usize = 2 << 20;

/// What to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Targets, each run for `seconds` after its corpus.
    pub targets: Vec<Target>,
    /// Seconds of generated inputs per target.
    pub seconds: f64,
    /// Seed of the run: case `n` of a target is generated from a seed
    /// derived from it, so a run can be repeated.
    pub seed: u64,
    /// The corpus to replay.
    pub corpus: PathBuf,
    /// Where failing generated inputs are saved (usually the corpus).
    pub save_to: PathBuf,
    /// A case that runs longer than this is a hang.
    pub case_timeout: Duration,
    /// Hide what workers write on stderr (panic messages).
    pub quiet: bool,
}

/// How one target's run went.
#[derive(Debug)]
pub struct TargetReport {
    /// The target.
    pub target: Target,
    /// Corpus inputs replayed.
    pub corpus_inputs: usize,
    /// Generated inputs checked.
    pub cases: u64,
    /// The longest any input took (time between two announcements).
    pub slowest: Duration,
    /// The failure that ended the run, if any.
    pub failure: Option<Failure>,
}

/// A failing input.
#[derive(Debug)]
pub struct Failure {
    /// How it failed.
    pub kind: FailureKind,
    /// Which input: a corpus file, or a generated one (saved here).
    pub input: PathBuf,
    /// The seed of a generated input.
    pub seed: Option<u64>,
}

/// How an input failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// A check found a broken invariant.
    Broken(String),
    /// The worker died: a panic, a stack overflow, an abort.
    Crashed(String),
    /// The input ran longer than the case timeout.
    Hung(Duration),
}

impl std::fmt::Display for FailureKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FailureKind::Broken(message) => write!(f, "broken invariant: {message}"),
            FailureKind::Crashed(status) => write!(f, "crashed ({status})"),
            FailureKind::Hung(after) => write!(f, "no end after {} s", after.as_secs_f64()),
        }
    }
}

/// Why a run could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The worker process could not be started or read.
    #[error("worker process: {0}")]
    Worker(#[source] io::Error),
    /// A failing input could not be saved.
    #[error("saving a failing input in {path}: {source}")]
    Save {
        /// Where it was to go.
        path: PathBuf,
        /// Why it could not.
        #[source]
        source: io::Error,
    },
    /// The worker's output did not follow the protocol.
    #[error("worker said {0:?}")]
    Protocol(String),
}

/// What the worker is checking, as last announced.
enum Current {
    Nothing,
    Corpus(PathBuf),
    Case(u64),
}

/// Runs each target in a worker process (`exe` with `--worker`) and
/// reports, stopping a target at its first failure.
pub fn supervise(options: &RunOptions, exe: &Path) -> Result<Vec<TargetReport>, RunError> {
    options
        .targets
        .iter()
        .map(|&target| supervise_one(options, exe, target))
        .collect()
}

fn supervise_one(
    options: &RunOptions,
    exe: &Path,
    target: Target,
) -> Result<TargetReport, RunError> {
    let mut child = Command::new(exe)
        .args(["--worker", "--target", target.name()])
        .arg("--seconds")
        .arg(options.seconds.to_string())
        .arg("--seed")
        .arg(options.seed.to_string())
        .arg("--corpus")
        .arg(&options.corpus)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(if options.quiet {
            Stdio::null()
        } else {
            Stdio::inherit()
        })
        .spawn()
        .map_err(RunError::Worker)?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| RunError::Worker(io::Error::other("the worker's stdout is not piped")))?;
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut report = TargetReport {
        target,
        corpus_inputs: 0,
        cases: 0,
        slowest: Duration::ZERO,
        failure: None,
    };
    let mut current = Current::Nothing;
    let mut finished = false;
    let mut last = Instant::now();
    let kind = loop {
        match lines.recv_timeout(options.case_timeout) {
            Ok(Ok(line)) => {
                if matches!(current, Current::Case(_)) {
                    report.slowest = report.slowest.max(last.elapsed());
                }
                last = Instant::now();
                let (word, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
                match word {
                    "corpus" => {
                        report.corpus_inputs += 1;
                        current = Current::Corpus(PathBuf::from(rest));
                    }
                    "case" => {
                        report.cases += 1;
                        let seed = rest.parse().map_err(|_| RunError::Protocol(line.clone()))?;
                        current = Current::Case(seed);
                    }
                    "fail" => {
                        let message =
                            serde_json::from_str(rest).unwrap_or_else(|_| rest.to_string());
                        break Some(FailureKind::Broken(message));
                    }
                    "done" => finished = true,
                    _ => return Err(RunError::Protocol(line)),
                }
            }
            Ok(Err(e)) => return Err(RunError::Worker(e)),
            Err(RecvTimeoutError::Timeout) => {
                // Killing our own worker by its handle; it is reaped below.
                let _ = child.kill();
                break Some(FailureKind::Hung(options.case_timeout));
            }
            Err(RecvTimeoutError::Disconnected) => break None,
        }
    };
    let status = child.wait().map_err(RunError::Worker)?;
    let kind = match kind {
        Some(kind) => Some(kind),
        None if finished && status.success() => None,
        None => Some(FailureKind::Crashed(describe(status))),
    };
    if let Some(kind) = kind {
        report.failure = Some(match current {
            Current::Case(seed) => {
                let input = target.generate(seed);
                let path = corpus::save(&options.save_to, target, &input).map_err(|source| {
                    RunError::Save {
                        path: options.save_to.clone(),
                        source,
                    }
                })?;
                Failure {
                    kind,
                    input: path,
                    seed: Some(seed),
                }
            }
            Current::Corpus(path) => Failure {
                kind,
                input: path,
                seed: None,
            },
            Current::Nothing => Failure {
                kind,
                input: PathBuf::new(),
                seed: None,
            },
        });
    }
    Ok(report)
}

/// An exit status in words (the signal, when the worker was killed by one).
fn describe(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let name = match signal {
                6 => "SIGABRT",
                9 => "SIGKILL",
                11 => "SIGSEGV",
                _ => "signal",
            };
            return format!("{name} ({signal})");
        }
    }
    status.to_string()
}

/// The seed of case `n` of `target` in a run seeded with `seed`.
pub fn case_seed(seed: u64, target: Target, n: u64) -> u64 {
    let salt = target
        .name()
        .bytes()
        .fold(0u64, |h, b| mix(h ^ u64::from(b)));
    mix(seed ^ salt ^ mix(n))
}

/// The worker: replays `target`'s corpus under `corpus`, then checks
/// generated inputs for `seconds`, announcing each on `out`. Returns
/// whether every input passed. Runs the checks on a [`STACK_SIZE`] stack.
pub fn work(target: Target, seconds: f64, seed: u64, corpus: &Path) -> io::Result<bool> {
    let corpus = corpus.to_path_buf();
    std::thread::Builder::new()
        .name(format!("fuzz-{target}"))
        .stack_size(STACK_SIZE)
        .spawn(move || work_here(target, seconds, seed, &corpus))?
        .join()
        .map_err(|_| io::Error::other("the worker thread panicked"))?
}

fn work_here(target: Target, seconds: f64, seed: u64, corpus: &Path) -> io::Result<bool> {
    let mut out = io::stdout().lock();
    let fail = |out: &mut io::StdoutLock<'_>, broken: Broken| -> io::Result<bool> {
        let message = serde_json::to_string(&broken.to_string()).unwrap_or_default();
        writeln!(out, "fail {message}")?;
        out.flush()?;
        Ok(false)
    };
    for path in corpus::inputs(corpus, target)? {
        writeln!(out, "corpus {}", path.display())?;
        out.flush()?;
        let input = std::fs::read(&path)?;
        if let Err(broken) = target.check(&input) {
            return fail(&mut out, broken);
        }
    }
    let start = Instant::now();
    let budget = Duration::from_secs_f64(seconds.max(0.0));
    let mut n = 0;
    while start.elapsed() < budget {
        let case = case_seed(seed, target, n);
        writeln!(out, "case {case}")?;
        out.flush()?;
        let input = target.generate(case);
        if let Err(broken) = target.check(&input) {
            return fail(&mut out, broken);
        }
        n += 1;
    }
    writeln!(out, "done")?;
    out.flush()?;
    Ok(true)
}

/// Checks every corpus input of `target` under `corpus` in this process
/// (on a [`STACK_SIZE`] stack); returns how many passed, or the first
/// failing file and why.
pub fn replay(target: Target, corpus: &Path) -> Result<usize, (PathBuf, String)> {
    let files =
        corpus::inputs(corpus, target).map_err(|e| (corpus.to_path_buf(), e.to_string()))?;
    let worker = std::thread::Builder::new()
        .stack_size(STACK_SIZE)
        .spawn(move || {
            for path in &files {
                let input = std::fs::read(path).map_err(|e| (path.clone(), e.to_string()))?;
                target
                    .check(&input)
                    .map_err(|b| (path.clone(), b.to_string()))?;
            }
            Ok(files.len())
        })
        .map_err(|e| (corpus.to_path_buf(), e.to_string()))?;
    worker
        .join()
        .unwrap_or_else(|_| Err((corpus.to_path_buf(), "a check panicked".into())))
}
