//! How a [`MockServer`](crate::MockServer) behaves: the token it accepts, its
//! rate limit, its latency, the faults it injects, its clock and the hostile
//! answers it gives.

use std::time::Duration;

/// Configuration of a mock server. `MockConfig::default()` is Notion-like: a
/// token bucket of 3 requests/s with a burst of 10, no latency, no faults.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// The integration token the server accepts as `Authorization: Bearer <token>`.
    pub token: String,
    /// Request rate limit.
    pub rate: RateLimit,
    /// Delay added to every answer.
    pub latency: Latency,
    /// Injected server errors and dropped connections.
    pub faults: Faults,
    /// Most results one data source query can page through before it stops
    /// with `request_status: incomplete` (Notion: 10,000).
    pub query_result_limit: usize,
    /// Search returns its results in an order shuffled by this seed instead
    /// of by last edit (Notion promises no order a crawler could rely on).
    pub listing_order_seed: Option<u64>,
    /// How far the server's clock is ahead of the local one (negative:
    /// behind). Every answer's `Date` header and the times edits stamp
    /// (`last_edited_time`) come from this clock.
    pub clock_offset: chrono::TimeDelta,
    /// Hostile answers given instead of the API's to matching requests
    /// (see [`HostileRule`](crate::HostileRule)), checked in order.
    pub hostile: Vec<crate::HostileRule>,
    /// Blocks one page-as-Markdown answer holds before the rest become
    /// placeholders (Notion: about 20,000 records).
    pub markdown_block_limit: usize,
    /// Block types lost on the way back (`"callout"`): in every list of
    /// block children the server answers, such a block keeps its id and
    /// place but comes as `unsupported`, its content gone, as Notion answers
    /// a type its API cannot show. For testing what reads it (the
    /// self-test); writes keep them.
    pub drop_block_types: Vec<String>,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            token: "secret_mock_token".to_string(),
            rate: RateLimit::TokenBucket {
                per_second: 3.0,
                burst: 10,
            },
            latency: Latency::None,
            faults: Faults::default(),
            query_result_limit: 10_000,
            listing_order_seed: None,
            clock_offset: chrono::TimeDelta::zero(),
            hostile: Vec::new(),
            markdown_block_limit: 20_000,
            drop_block_types: Vec::new(),
        }
    }
}

impl MockConfig {
    /// The default configuration without a rate limit (handy in tests).
    pub fn unlimited() -> Self {
        MockConfig {
            rate: RateLimit::Off,
            ..MockConfig::default()
        }
    }
}

/// A rate limit, answered like Notion with 429 `rate_limited` and `Retry-After`.
#[derive(Debug, Clone, PartialEq)]
pub enum RateLimit {
    /// No limit.
    Off,
    /// A token bucket: `per_second` tokens refill every second, at most `burst` saved.
    TokenBucket {
        /// Average requests per second allowed.
        per_second: f64,
        /// Requests that may be sent at once after a quiet spell.
        burst: u32,
    },
    /// A fixed budget of requests per window (Notion's per-connection limit):
    /// windows start when the server starts and follow each other.
    Window {
        /// Requests allowed per window.
        budget: u32,
        /// Window length (Notion: 60 s).
        window: Duration,
    },
}

/// Latency added to each answer; requests are delayed concurrently, never queued.
#[derive(Debug, Clone, PartialEq)]
pub enum Latency {
    /// Answer at once.
    None,
    /// The same delay for every request.
    Fixed(Duration),
    /// A log-normal delay: half the requests are faster than `median`;
    /// `sigma` is the spread of the underlying normal (0.5 is a realistic tail).
    LogNormal {
        /// The median delay.
        median: Duration,
        /// Standard deviation of the log of the delay.
        sigma: f64,
    },
}

/// Injected faults, drawn from a seeded generator in arrival order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Faults {
    /// Share of requests answered with 500, 502 (an HTML body, as from Notion's
    /// edge) or 503, picked evenly.
    pub error_rate: f64,
    /// Share of requests whose connection is closed without any answer.
    pub drop_rate: f64,
    /// Seed of the fault and latency draws.
    pub seed: u64,
}
