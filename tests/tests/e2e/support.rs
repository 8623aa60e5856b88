//! Shared helpers: a mock server, the pipeline's configuration, the binary,
//! and reading the output back.

use std::path::{Path, PathBuf};

use notion_ingest::pipeline::{self, PipelineConfig, PipelineReport, Watch};
use notion_mock::{MockConfig, MockServer, Workspace};
use notion_source::client::{ClientConfig, NotionClient, RateLimit, SecretToken};
use tokio_util::sync::CancellationToken;

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

/// The pipeline's default configuration, writing into `out`.
pub fn config(out: &Path) -> PipelineConfig {
    PipelineConfig::new(out)
}

/// Runs the pipeline in-process against `server`.
pub async fn run_pipeline(server: &MockServer, config: PipelineConfig) -> PipelineReport {
    pipeline::run(
        fast_client(server),
        config,
        CancellationToken::new(),
        Watch::default(),
    )
    .await
    .expect("pipeline runs")
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
