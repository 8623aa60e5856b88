//! Shared pieces of the benchmarks: the Notion-like mock they measure
//! against, a client pointed at a mock, and their `--flag value` arguments.

use std::time::Duration;

use anyhow::Context;
use notion_mock::{Latency, MockConfig, MockServer, RateLimit, Workspace};
use notion_source::client::{self, ClientConfig, NotionClient, SecretToken};

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
    let token = config.token.clone();
    let server = MockServer::start(workspace, config).await?;
    let client = mock_client(&server, &token, ClientConfig::default().rate)?;
    Ok((server, client))
}

/// A client for `server`, sending `token`, at pace `rate`.
pub fn mock_client(
    server: &MockServer,
    token: &str,
    rate: client::RateLimit,
) -> anyhow::Result<NotionClient> {
    let config = ClientConfig {
        base_url: server.url(),
        rate,
        ..ClientConfig::default()
    };
    Ok(NotionClient::new(SecretToken::new(token), config)?)
}

/// The command line's arguments as `--flag value` pairs.
pub fn flag_pairs() -> anyhow::Result<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        pairs.push((flag, value));
    }
    Ok(pairs)
}
