//! The Notion HTTP client: every request a crawl makes goes through here.
//!
//! - [`NotionClient`] is cheap to clone; all clones share one connection
//!   pool, one rate limiter (the pipeline's clock: a request waits for its
//!   permit before it is sent) and one set of counters.
//! - `429 rate_limited` / `529 service_overload` pause *every* request of
//!   the client for `Retry-After`, then retry; repeated episodes lower the
//!   pace for the rest of the run ([`pacer`](self) module).
//!   A `Retry-After` beyond [`RetryPolicy::max_retry_after`] fails the call
//!   with [`ClientError::RateLimitedTooLong`] instead of waiting for hours.
//! - 500/502/503/504, transport errors and bodies cut short are retried with
//!   exponential backoff and full jitter (reads only: a write may have been
//!   made, see [`Endpoint::is_write`]); other errors fail at once as
//!   [`ClientError::Api`] with Notion's status, code, message and request id.
//! - A `200` that is not the endpoint's object (`{"object": "error"}`, a
//!   list without `results`) is a [`ClientError::Decode`], never empty
//!   content; lone surrogate escapes and out-of-range numbers are repaired
//!   before parsing so one bad value costs only that value.
//! - The token is scrubbed from every answer before anything reads it, so
//!   no error, log or value can carry it (see [`crate::secrets`]).
//! - [`NotionClient::with_cancellation`] makes every wait of a call (the
//!   limiter, a pause, a backoff, the answer) end on a cancellation token.
//! - [`NotionClient::server_time_first`] / [`server_time_last`](NotionClient::server_time_last)
//!   give Notion's clock (the `Date` of answers).
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

mod clock;
mod config;
mod endpoint;
mod endpoints;
mod error;
mod markdown;
mod pacer;
mod paginate;
mod repair;
mod request;
mod stats;
mod write;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use tokio_util::sync::CancellationToken;

use crate::secrets::Redactor;

pub use config::{
    ClientConfig, DEFAULT_BASE_URL, DEFAULT_MAX_RETRY_AFTER, DEFAULT_NOTION_VERSION, RateLimit,
    RetryPolicy, SecretToken,
};
pub use endpoint::Endpoint;
pub use endpoints::{
    DataSourceQuery, PropertyItem, QueryResultType, SearchFilter, SearchQuery, SortDirection,
};
pub use error::ClientError;
pub(crate) use paginate::Cursors;
pub use stats::{ClientStats, EndpointStats};

/// A Notion API client. Clone it freely: clones share the rate limiter,
/// pause, connection pool and counters.
#[derive(Debug, Clone)]
pub struct NotionClient {
    shared: Arc<Shared>,
    /// Calls of this handle end with [`ClientError::Cancelled`] when it fires.
    cancel: CancellationToken,
}

/// What every clone of a client shares.
#[derive(Debug)]
pub(crate) struct Shared {
    http: reqwest::Client,
    base_url: url::Url,
    config: ClientConfig,
    pacer: pacer::Pacer,
    counters: stats::Counters,
    /// Scrubs the token from every answer.
    redactor: Redactor,
    /// Notion's clock, from the answers' `Date`.
    clock: clock::ServerClock,
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
                redactor: Redactor::new([token.expose()]),
                clock: clock::ServerClock::default(),
                config,
            }),
            cancel: CancellationToken::new(),
        })
    }

    /// A handle on the same client (same limiter, pause, pool and counters)
    /// whose calls end with [`ClientError::Cancelled`] as soon as `cancel`
    /// fires, whatever they wait for: the limiter, a `Retry-After` pause, a
    /// backoff or the answer.
    pub fn with_cancellation(&self, cancel: CancellationToken) -> NotionClient {
        NotionClient {
            shared: self.shared.clone(),
            cancel,
        }
    }

    /// Notion's clock: the `Date` header of the first successful answer
    /// since the client was built (`None` before one arrived).
    pub fn server_time_first(&self) -> Option<DateTime<Utc>> {
        self.shared.clock.first()
    }

    /// Notion's clock: the `Date` header of the newest successful answer
    /// (`None` before one arrived). Measure "edited since" windows on this
    /// clock: Notion stamps edit times with it, not with the local one.
    pub fn server_time_last(&self) -> Option<DateTime<Utc>> {
        self.shared.clock.last()
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
