//! Shared helpers: a mock server, the pipeline's configuration, the binary,
//! and reading the output back.

use std::path::{Path, PathBuf};

use engine::{EngineConfig, RunOptions, RunReport};
use notion_mock::{MockConfig, MockServer, Workspace};
use notion_source::client::{ClientConfig, NotionClient, RateLimit, SecretToken};

/// The token the mock accepts.
pub const TOKEN: &str = "secret_mock_token";

/// A client for `server` that never waits for the rate limiter.
pub fn fast_client(server: &MockServer) -> NotionClient {
    let config = ClientConfig {
        base_url: server.url(),
        rate: RateLimit::PerSecond {
            per_second: 100_000.0,
            burst: 1_000,
        },
        ..ClientConfig::default()
    };
    NotionClient::new(SecretToken::new(TOKEN), config).unwrap()
}

/// The engine's default configuration, writing into the local directory `out`.
pub fn config(out: &Path) -> EngineConfig {
    EngineConfig::local(out)
}

/// Runs the engine once, completely, in-process against `server`.
pub async fn run_pipeline(server: &MockServer, config: EngineConfig) -> RunReport {
    engine::run(fast_client(server), config, RunOptions::default())
        .await
        .expect("the engine runs")
}

/// Starts a mock with no rate limit.
pub async fn mock(ws: Workspace) -> MockServer {
    MockServer::start(ws, MockConfig::unlimited())
        .await
        .unwrap()
}

/// Every chunk of the published snapshot in `out`.
pub fn chunks(out: &Path) -> Vec<sink::ChunkRecord> {
    let snapshot = sink::Snapshot::open_published(out)
        .unwrap()
        .expect("a published snapshot");
    sink::read_records::<sink::ChunkRecord>(snapshot.chunk_files(), 1024)
        .flat_map(|b| b.unwrap())
        .collect()
}

/// How many shard files (chunks and pages) the published snapshot in `out` has.
pub fn shard_count(out: &Path) -> usize {
    let snapshot = sink::Snapshot::open_published(out)
        .unwrap()
        .expect("a published snapshot");
    snapshot.chunk_files().len() + snapshot.page_files().len()
}

/// Every page row of the published snapshot in `out`.
pub fn pages(out: &Path) -> Vec<sink::PageRecord> {
    let snapshot = sink::Snapshot::open_published(out)
        .unwrap()
        .expect("a published snapshot");
    sink::read_records::<sink::PageRecord>(snapshot.page_files(), 1024)
        .flat_map(|b| b.unwrap())
        .collect()
}

/// The `notion-ingest` binary built beside this test binary
/// (`cargo test --release --workspace` builds it for `bin/tests`).
pub fn binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = dir.join("notion-ingest");
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build --release -p notion-ingest`",
        bin.display()
    );
    bin
}

/// Text with Markdown escapes and runs of whitespace removed, to compare
/// a source string with its rendering.
pub fn normalize(text: &str) -> String {
    text.replace("<br>", " ")
        .replace('\\', "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A run's change set, read back.
#[derive(Clone)]
pub struct ChangeSetRead {
    /// The run.
    pub run_id: String,
    /// Its upserts.
    pub upserts: Vec<sink::ChunkRecord>,
    /// Its deletes.
    pub deletes: Vec<sink::DeleteRecord>,
}

/// Every published change set in `out`, in run order (run ids begin with
/// their start time).
pub fn change_sets(out: &Path) -> Vec<ChangeSetRead> {
    let root = out.join(sink::CHANGES_DIR);
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("run="))
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let text = std::fs::read(dir.join(sink::CHANGES_FILE)).unwrap();
            let set: sink::ChangeSet = serde_json::from_slice(&text).unwrap();
            let files = |t: &sink::TableManifest| -> Vec<PathBuf> {
                t.shards.iter().map(|s| dir.join(&s.path)).collect()
            };
            ChangeSetRead {
                run_id: set.run_id,
                upserts: read_all(files(&set.upserts)),
                deletes: read_all(files(&set.deletes)),
            }
        })
        .collect()
}

pub fn read_all<R: sink::Record>(files: Vec<PathBuf>) -> Vec<R> {
    sink::read_records::<R>(files, 1024)
        .flat_map(|batch| batch.unwrap())
        .collect()
}
