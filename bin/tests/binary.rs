//! The `notion-ingest` binary as a user first meets it: its help and its
//! answer when no token is given. Living in this package's `tests/`, it also
//! makes `cargo test --workspace` build the binary that the end-to-end
//! suite (`tests/`) runs as a child process.

use std::process::Command;

fn notion_ingest(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_notion-ingest"))
        .args(args)
        .env_remove("NOTION_TOKEN")
        .output()
        .expect("the notion-ingest binary runs")
}

#[test]
fn help_lists_every_subcommand() {
    let output = notion_ingest(&["--help"]);
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for command in ["run", "demo", "mock", "inspect"] {
        assert!(
            help.lines()
                .any(|l| l.trim_start().starts_with(&format!("{command} "))),
            "`{command}` missing from:\n{help}"
        );
    }
}

#[test]
fn run_without_a_token_says_where_the_token_comes_from() {
    let dir = std::env::temp_dir().join(format!("notion-ingest-no-token-{}", std::process::id()));
    let output = notion_ingest(&["run", "--no-progress", "--out", dir.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("NOTION_TOKEN"), "{stderr}");
}
