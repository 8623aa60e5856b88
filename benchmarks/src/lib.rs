//! Shared pieces of the benchmarks: the Notion-like mock they measure
//! against and a client pointed at it.

use std::time::Duration;

use notion_mock::{Latency, MockConfig, MockServer, RateLimit, Workspace};
use notion_source::client::{ClientConfig, NotionClient, SecretToken};

/// Notion's documented average rate, the limit the benchmarks hold to.
pub const LIMIT_PER_SECOND: f64 = 3.0;

/// Starts a mock like Notion as the benchmarks model it: a 3 requests/s
/// token bucket (burst 10) and log-normal latency with a 250 ms median.
/// Returns it with a client that uses the default pace.
pub async fn notion_like_mock(workspace: Workspace) -> anyhow::Result<(MockServer, NotionClient)> {
    let config = MockConfig {
        rate: RateLimit::TokenBucket {
            per_second: LIMIT_PER_SECOND,
            burst: 10,
        },
        latency: Latency::LogNormal {
            median: Duration::from_millis(250),
            sigma: 0.5,
        },
        ..MockConfig::default()
    };
    let token = SecretToken::new(config.token.clone());
    let server = MockServer::start(workspace, config).await?;
    let client = NotionClient::new(
        token,
        ClientConfig {
            base_url: server.url(),
            ..ClientConfig::default()
        },
    )?;
    Ok((server, client))
}
