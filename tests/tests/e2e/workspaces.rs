//! Many workspaces in one run: `[[workspace]]` entries, each with its own
//! token (a mock server per workspace, each accepting only its token),
//! crawled concurrently by one `notion-ingest run` into
//! `OUT/workspace=<name>/`.

use std::path::Path;
use std::process::Command;

use notion_mock::{MockConfig, MockServer, SyntheticConfig, Workspace};
use notion_source::client::{ClientConfig, NotionClient, RateLimit, SecretToken};

use crate::support;

const NAMES: [&str; 3] = ["acme", "globex", "initech"];

fn token(i: usize) -> String {
    format!("secret_workspace_{i}")
}

async fn servers() -> Vec<MockServer> {
    servers_of(NAMES.len(), 12).await
}

async fn servers_of(count: usize, pages: usize) -> Vec<MockServer> {
    let mut servers = Vec::new();
    for i in 0..count {
        let ws = Workspace::synthetic(&SyntheticConfig {
            pages,
            seed: 40 + i as u64,
            ..SyntheticConfig::default()
        });
        let config = MockConfig {
            token: token(i),
            ..MockConfig::unlimited()
        };
        servers.push(MockServer::start(ws, config).await.unwrap());
    }
    servers
}

fn config_file(dir: &Path, servers: &[MockServer]) -> std::path::PathBuf {
    config_file_of(dir, &NAMES, servers)
}

fn config_file_of(dir: &Path, names: &[&str], servers: &[MockServer]) -> std::path::PathBuf {
    let mut text = String::from("[notion]\nrate = 1000\nburst = 100\n");
    for (i, (name, server)) in names.iter().zip(servers).enumerate() {
        text.push_str(&format!(
            "\n[[workspace]]\nname = \"{name}\"\ntoken_env = \"WS_TOKEN_{i}\"\napi_url = \"{}\"\n",
            server.url()
        ));
    }
    let path = dir.join("workspaces.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// `notion-ingest run --no-progress --config CONFIG --out OUT` with
/// `WS_TOKEN_<i>` set to the `i`th of `tokens`.
fn run_command(config: &Path, out: &Path, tokens: impl IntoIterator<Item = String>) -> Command {
    let mut command = Command::new(support::binary());
    command
        .args(["run", "--no-progress", "--config"])
        .arg(config)
        .arg("--out")
        .arg(out);
    for (i, token) in tokens.into_iter().enumerate() {
        command.env(format!("WS_TOKEN_{i}"), token);
    }
    command
}

fn content(chunks: &[sink::ChunkRecord]) -> Vec<(String, String)> {
    let mut rows: Vec<_> = chunks
        .iter()
        .map(|c| (c.chunk_id.clone(), c.content_hash.clone()))
        .collect();
    rows.sort();
    rows
}

#[tokio::test(flavor = "multi_thread")]
async fn three_workspaces_in_one_run_give_the_rows_of_three_separate_runs() {
    let servers = servers().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let config = config_file(dir.path(), &servers);
    // Two pages in memory for the three workspaces together: they take
    // turns page by page, and write what separate runs write.
    let done = run_command(&config, &out, (0..NAMES.len()).map(token))
        .args(["--pages-in-memory", "2"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "{stderr}");
    for name in NAMES {
        assert!(stderr.contains(name), "a line per workspace: {stderr}");
    }
    let peak: usize = stderr
        .lines()
        .find_map(|l| l.strip_prefix("pages in memory: at most "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the run reports its pages in memory: {stderr}"));
    assert!(
        (1..=2).contains(&peak),
        "peak {peak} pages in memory, budget 2"
    );

    for (i, (name, server)) in NAMES.iter().zip(&servers).enumerate() {
        let alone = dir.path().join(format!("alone-{name}"));
        let client = NotionClient::new(
            SecretToken::new(token(i)),
            ClientConfig {
                base_url: server.url(),
                rate: RateLimit::PerSecond {
                    per_second: 100_000.0,
                    burst: 1_000,
                },
                ..ClientConfig::default()
            },
        )
        .unwrap();
        engine::run(
            client,
            support::config(&alone),
            engine::RunOptions::default(),
        )
        .await
        .unwrap();
        let partition = out.join(format!("workspace={name}"));
        let together = support::chunks(&partition);
        assert!(!together.is_empty());
        assert_eq!(
            content(&together),
            content(&support::chunks(&alone)),
            "workspace {name}: the same rows as a run of its own"
        );
        assert_eq!(
            support::pages(&partition).len(),
            support::pages(&alone).len()
        );
    }
    read_as_one_table(&out);
    // `ls OUT` lists every workspace's current shards.
    let listed = Command::new(support::binary())
        .arg("ls")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let listed = String::from_utf8(listed.stdout).unwrap();
    for name in NAMES {
        let partition = out.join(format!("workspace={name}"));
        let shards = listed
            .lines()
            .filter(|l| Path::new(l).starts_with(&partition))
            .count();
        assert_eq!(
            shards,
            support::shard_count(&partition),
            "workspace {name}'s current shards: {listed}"
        );
    }
    for server in servers {
        server.stop().await;
    }
}

/// The Python with DuckDB, polars and pyarrow (CI's `.venv`), or `None`
/// after a loud message when it is missing outside CI.
fn python_readers() -> Option<std::path::PathBuf> {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    let usable = Command::new(&python)
        .args(["-c", "import duckdb, polars, pyarrow"])
        .output()
        .is_ok_and(|o| o.status.success());
    if usable {
        return Some(python);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must install duckdb, polars and pyarrow into .venv before the tests"
    );
    eprintln!(
        "\n*** SKIPPED: .venv/bin/python with duckdb, polars, pyarrow not found; the Hive read-back is NOT tested ***\n"
    );
    None
}

/// DuckDB, polars and pyarrow read `OUT/*/chunks/*.parquet` with Hive
/// partitioning as one table whose `workspace` column comes from
/// `workspace=<name>/` (`.ci/read_workspaces.py`), with each workspace's
/// rows as its partition holds them.
fn read_as_one_table(out: &Path) {
    let Some(python) = python_readers() else {
        return;
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.ci/read_workspaces.py");
    let done = Command::new(python).arg(script).arg(out).output().unwrap();
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert!(
        done.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let counts: serde_json::Value =
        serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap();
    for name in NAMES {
        let partition = out.join(format!("workspace={name}"));
        assert_eq!(
            counts["chunks"][name],
            support::chunks(&partition).len(),
            "{stdout}"
        );
        assert_eq!(
            counts["pages"][name],
            support::pages(&partition).len(),
            "{stdout}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_token_leaves_the_other_workspaces_complete() {
    let servers = servers().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let config = config_file(dir.path(), &servers);
    // Workspace 1's token was revoked: its server answers 401.
    let tokens = (0..NAMES.len()).map(|i| match i {
        1 => "secret_revoked".into(),
        _ => token(i),
    });
    let mut command = run_command(&config, &out, tokens);
    command.arg("--json");
    let done = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&done.stderr);
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert_eq!(
        done.status.code(),
        Some(5),
        "partial failure: {stdout}\n{stderr}"
    );
    assert!(!stderr.contains("secret_revoked"), "no token in messages");
    let report: serde_json::Value = serde_json::from_slice(&done.stdout).unwrap();
    assert_eq!(report["exit_code"], 5);
    let outcomes: Vec<&str> = report["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["success", "unauthorized", "success"]);
    for (i, name) in NAMES.iter().enumerate() {
        let partition = out.join(format!("workspace={name}"));
        let published = sink::Snapshot::open_published(&partition).unwrap();
        assert_eq!(published.is_some(), i != 1, "workspace {name}");
    }
    for server in servers {
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn three_shard_workers_over_30_workspaces_write_what_one_process_does() {
    let owned: Vec<String> = (0..30).map(|i| format!("ws-{i:02}")).collect();
    let names: Vec<&str> = owned.iter().map(String::as_str).collect();
    let servers = servers_of(names.len(), 3).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_file_of(dir.path(), &names, &servers);
    let command = |out: &Path, shard: Option<String>| {
        let mut command = run_command(&config, out, (0..names.len()).map(token));
        if let Some(shard) = shard {
            command.args(["--shard", &shard]);
        }
        command
    };
    // One process, at most 4 workspaces at once (the global bound).
    let one = dir.path().join("one");
    let done = command(&one, None)
        .args(["--workspaces-at-once", "4"])
        .output()
        .unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );

    let sharded = dir.path().join("sharded");
    let workers: Vec<_> = (0..3)
        .map(|i| {
            command(&sharded, Some(format!("{i}/3")))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut ran = 0;
    for worker in workers {
        let done = worker.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&done.stderr);
        assert!(done.status.success(), "{stderr}");
        let line = stderr.lines().find(|l| l.starts_with("shard ")).unwrap();
        ran += line
            .split_whitespace()
            .nth(2)
            .unwrap()
            .parse::<usize>()
            .unwrap();
    }
    assert_eq!(ran, 30, "every workspace ran in exactly one shard");
    for name in &names {
        let partition = format!("workspace={name}");
        assert_eq!(
            content(&support::chunks(&sharded.join(&partition))),
            content(&support::chunks(&one.join(&partition))),
            "{name}"
        );
    }
    for server in servers {
        server.stop().await;
    }
}
