//! The engine as a library, in about 30 lines: serve the bundled kitchen-sink
//! workspace from the mock, run the engine against it over HTTP, then read
//! the published chunks back.
//!
//! ```sh
//! cargo run --release -p engine --example engine_against_mock
//! ```

use engine::{EngineConfig, RunOptions};
use notion_mock::{MockConfig, MockServer, Workspace};
use notion_source::client::{ClientConfig, NotionClient, RateLimit, SecretToken};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockConfig::unlimited();
    let token = SecretToken::new(mock.token.clone());
    let server = MockServer::start(Workspace::kitchen_sink(), mock).await?;
    let client = NotionClient::new(
        token,
        ClientConfig {
            base_url: server.url(),
            rate: RateLimit::PerSecond {
                per_second: 100.0,
                burst: 10,
            },
            ..ClientConfig::default()
        },
    )?;
    let out = tempfile::tempdir()?;
    let report = engine::run(
        client,
        EngineConfig::local(out.path()),
        RunOptions::default(),
    )
    .await?;
    println!(
        "{} pages written as {} chunks with {} requests",
        report.build.pages_written, report.build.chunks, report.crawl.client.total.requests
    );
    let snapshot = sink::Snapshot::open_published(out.path())?.ok_or("nothing published")?;
    let mut chunks = sink::read_records::<sink::ChunkRecord>(snapshot.chunk_files(), 4);
    if let Some(first) = chunks
        .next()
        .transpose()?
        .and_then(|b| b.into_iter().next())
    {
        println!("first chunk, of {:?}:\n{}", first.page_title, first.text);
    }
    server.stop().await;
    Ok(())
}
