//! The fuzz runner as CI runs it: the corpus replays clean, each target runs
//! clean for a few seconds, and every kind of failure (panic, stack
//! overflow, hang, broken invariant) is caught, saved and replayed.

use std::path::Path;
use std::process::{Command, Output};

use fuzz::{CORPUS, Target};

/// Runs the `fuzz` binary with `args`.
fn fuzz(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fuzz"))
        .args(args)
        .output()
        .expect("the fuzz binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The files saved under `dir` for `target`.
fn saved(dir: &Path, target: &str) -> Vec<std::path::PathBuf> {
    match std::fs::read_dir(dir.join(target)) {
        Ok(entries) => entries.map(|e| e.expect("entry").path()).collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn the_corpus_replays_clean() {
    for target in Target::ALL {
        match fuzz::replay(target, Path::new(CORPUS)) {
            Ok(count) => assert!(count >= 3, "{target}: only {count} corpus inputs"),
            Err((path, why)) => panic!("{target}: {} fails: {why}", path.display()),
        }
    }
}

#[test]
fn each_target_runs_clean_for_a_few_seconds() {
    let saved_to = tempfile::tempdir().expect("temp dir");
    let save = saved_to.path().to_str().expect("utf-8 path");
    for target in Target::ALL {
        let name = target.name();
        // A fixed seed: a failure here reproduces with the same command.
        let output = fuzz(&[
            "--target",
            name,
            "--seconds",
            "4",
            "--seed",
            "2026",
            "--save-to",
            save,
        ]);
        let out = stdout(&output);
        assert!(output.status.success(), "{name} failed:\n{out}");
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("{name}: ")))
            .expect("a report line");
        assert!(line.ends_with(": ok"), "{line}");
        let generated: u64 = line
            .split(", ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|n| n.parse().ok())
            .expect("a count of generated inputs");
        assert!(generated > 0, "{line}");
        assert!(saved(saved_to.path(), name).is_empty());
    }
}

#[test]
fn every_kind_of_failure_is_caught_saved_and_replayed() {
    let empty = tempfile::tempdir().expect("temp dir");
    let cases = [
        ("selftest-panic", "crashed"),
        ("selftest-overflow", "crashed (SIGABRT"),
        ("selftest-hang", "no end after 2 s"),
        (
            "selftest-invariant",
            "broken invariant: selftest invariant on",
        ),
    ];
    for (target, expected) in cases {
        let saved_to = tempfile::tempdir().expect("temp dir");
        let save = saved_to.path().to_str().expect("utf-8 path");
        let corpus = empty.path().to_str().expect("utf-8 path");
        let common = ["--target", target, "--case-timeout", "2", "--quiet"];
        let output = fuzz(
            &[
                &common[..],
                &["--seconds", "10", "--corpus", corpus, "--save-to", save],
            ]
            .concat(),
        );
        let out = stdout(&output);
        assert_eq!(output.status.code(), Some(1), "{target}:\n{out}");
        assert!(out.contains(expected), "{target}: {out}");
        let files = saved(saved_to.path(), target);
        assert_eq!(files.len(), 1, "{target}: {files:?}");
        assert!(out.contains(&files[0].display().to_string()), "{out}");
        // The saved input is replayed first next time, and fails again.
        let elsewhere = tempfile::tempdir().expect("temp dir");
        let again = fuzz(
            &[
                &common[..],
                &[
                    "--seconds",
                    "0",
                    "--corpus",
                    save,
                    "--save-to",
                    elsewhere.path().to_str().expect("utf-8"),
                ],
            ]
            .concat(),
        );
        let out = stdout(&again);
        assert_eq!(again.status.code(), Some(1), "{target} replay:\n{out}");
        assert!(
            out.contains("corpus input") && out.contains(expected),
            "{out}"
        );
        assert!(saved(elsewhere.path(), target).is_empty());
    }
}

#[test]
fn bad_usage_exits_2() {
    assert_eq!(fuzz(&["--target", "nothing"]).status.code(), Some(2));
    assert_eq!(fuzz(&["--seconds", "-1"]).status.code(), Some(2));
}
