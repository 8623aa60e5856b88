//! The Notion HTTP client: every request a crawl makes goes through here.
//!
//! - [`NotionClient`] is cheap to clone; all clones share one connection
//!   pool, one rate limiter (the pipeline's clock: a request waits for its
//!   permit before it is sent) and one set of counters.
//! - `429 rate_limited` / `529 service_overload` pause *every* request of
//!   the client for `Retry-After`, then retry; repeated episodes lower the
//!   pace for the rest of the run ([`pacer`](self) module).
//! - 500/502/503/504 and transport errors are retried with exponential
//!   backoff and full jitter (reads only: a write may have been made, see
//!   [`Endpoint::is_write`]); other errors fail at once as
//!   [`ClientError::Api`] with Notion's status, code, message and request id.
//! - Each endpoint has a one-page call (`cursor` in, [`ListResponse`] out) for
//!   callers that manage their own concurrency, and for lists a `*_all`
//!   stream that follows `next_cursor`.
//!
//! ```no_run
//! # async fn run() -> Result<(), notion_source::client::ClientError> {
//! use futures::TryStreamExt;
//! use notion_source::client::{ClientConfig, NotionClient, SearchQuery, SecretToken};
//!
//! let client = NotionClient::new(SecretToken::new("secret_..."), ClientConfig::default())?;
//! let everything: Vec<_> = client.search_all(SearchQuery::default()).try_collect().await?;
//! println!("{} results, {} requests", everything.len(), client.stats().total.requests);
//! # Ok(()) }
//! ```
//!
//! [`ListResponse`]: crate::model::ListResponse

mod config;
mod endpoint;
mod endpoints;
mod error;
mod pacer;
mod paginate;
mod request;
mod stats;
mod write;

use std::sync::Arc;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};

pub use config::{
    ClientConfig, DEFAULT_BASE_URL, DEFAULT_NOTION_VERSION, RateLimit, RetryPolicy, SecretToken,
};
pub use endpoint::Endpoint;
pub use endpoints::{
    DataSourceQuery, PropertyItem, QueryResultType, SearchFilter, SearchQuery, SortDirection,
};
pub use error::ClientError;
pub use stats::{ClientStats, EndpointStats};

/// A Notion API client. Clone it freely: clones share the rate limiter,
/// pause, connection pool and counters.
#[derive(Debug, Clone)]
pub struct NotionClient {
    shared: Arc<Shared>,
}

/// What every clone of a client shares.
#[derive(Debug)]
pub(crate) struct Shared {
    http: reqwest::Client,
    base_url: url::Url,
    config: ClientConfig,
    pacer: pacer::Pacer,
    counters: stats::Counters,
}

impl NotionClient {
    /// Builds a client. Fails, sending nothing, on a bad configuration: plain
    /// http to a non-loopback host, a zero rate, a token that cannot be a
    /// header.
    pub fn new(token: SecretToken, config: ClientConfig) -> Result<NotionClient, ClientError> {
        let base_url = config.checked_base_url()?;
        config.checked_page_size()?;
        let (spacing, burst) = config.rate.pace()?;

        let mut auth =
            HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                ClientError::Config("the token holds characters a header cannot carry".into())
            })?;
        auth.set_sensitive(true);
        let version = HeaderValue::from_str(&config.notion_version).map_err(|_| {
            ClientError::Config(format!("bad Notion-Version {:?}", config.notion_version))
        })?;
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, auth);
        headers.insert("notion-version", version);

        let http = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("notion-ingest/", env!("CARGO_PKG_VERSION")))
            .timeout(config.request_timeout)
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(|e| ClientError::Config(format!("cannot build the HTTP client: {e}")))?;

        Ok(NotionClient {
            shared: Arc::new(Shared {
                http,
                base_url,
                pacer: pacer::Pacer::new(spacing, burst, &config.retry),
                counters: stats::Counters::default(),
                config,
            }),
        })
    }

    /// A snapshot of the counters, the current rate and the time paused.
    pub fn stats(&self) -> ClientStats {
        let pacer = &self.shared.pacer;
        self.shared
            .counters
            .snapshot(pacer.rate_per_second(), pacer.paused_total())
    }

    /// The configuration the client runs with.
    pub fn config(&self) -> &ClientConfig {
        &self.shared.config
    }
}
