//! How a [`NotionClient`](super::NotionClient) is set up: the secret token, the
//! base URL (checked: no plain http off the local machine), the API version,
//! the rate limit and the retry policy.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use url::{Host, Url};

use super::error::ClientError;

/// Notion's API base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.notion.com";

/// The `Notion-Version` sent by default (data sources API).
pub const DEFAULT_NOTION_VERSION: &str = "2025-09-03";

/// An integration token. It never shows in `Debug` output, errors or logs:
/// the only way out is the `Authorization` header the client sends.
///
/// ```
/// use notion_source::client::SecretToken;
/// let token = SecretToken::new("secret_abc123");
/// assert_eq!(format!("{token:?}"), "SecretToken(<redacted>)");
/// ```
#[derive(Clone)]
pub struct SecretToken(String);

impl SecretToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        SecretToken(token.into())
    }

    /// The raw token, for building the `Authorization` header only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(<redacted>)")
    }
}

/// How fast the client may send requests. One limiter serves every request
/// of a client and all its clones.
#[derive(Debug, Clone, PartialEq)]
pub enum RateLimit {
    /// An average of `per_second` requests each second, with up to `burst`
    /// requests at once after a quiet spell (GCRA, like a token bucket).
    PerSecond {
        /// Average requests per second.
        per_second: f64,
        /// Requests that may go at once.
        burst: u32,
    },
    /// At most `budget` requests in any `window` (a sliding window: no
    /// stretch of time `window` long ever holds more than `budget` requests).
    Window {
        /// Requests allowed per window.
        budget: u32,
        /// The window's length (Notion: 60 s).
        window: Duration,
    },
}

impl Default for RateLimit {
    /// Notion's documented average: 3 requests per second, a burst of 2.
    fn default() -> Self {
        RateLimit::PerSecond {
            per_second: 3.0,
            burst: 2,
        }
    }
}

impl RateLimit {
    /// The spacing between requests at full pace and the burst, checked.
    ///
    /// For a window budget of `n` with burst `b = 1`, requests are spaced
    /// `(window + window/50) / (n - 1)` apart: GCRA then lets at most
    /// `b + floor(window / spacing) <= n - 1` requests into any window, which
    /// leaves one request of slack for send-time jitter.
    pub(crate) fn pace(&self) -> Result<(Duration, u32), ClientError> {
        match *self {
            RateLimit::PerSecond { per_second, burst } => {
                if !(per_second.is_finite() && per_second > 0.0) || burst == 0 {
                    return Err(ClientError::Config(format!(
                        "rate limit needs a positive rate and a burst of at least 1, got {per_second}/s burst {burst}"
                    )));
                }
                Ok((Duration::from_secs_f64(1.0 / per_second), burst))
            }
            RateLimit::Window { budget, window } => {
                if budget == 0 || window.is_zero() {
                    return Err(ClientError::Config(format!(
                        "window rate limit needs a budget and a window above zero, got {budget} per {window:?}"
                    )));
                }
                let burst = 1;
                let spacing = (window + window / 50) / (budget - burst).max(1);
                Ok((spacing, burst))
            }
        }
    }
}

/// The default [`RetryPolicy::max_retry_after`]: five minutes.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// When and how often a failed request is sent again.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Most attempts of one request on 5xx answers and transport errors,
    /// the first included.
    pub max_attempts: u32,
    /// No new attempt starts after this much time since the first one.
    pub max_elapsed: Duration,
    /// First backoff ceiling; it doubles with each failure (full jitter: the
    /// actual wait is uniform between zero and the ceiling).
    pub base_delay: Duration,
    /// Highest backoff ceiling.
    pub max_delay: Duration,
    /// Most times one request is sent again after a 429/529.
    pub max_rate_limited: u32,
    /// Up to this much random time is added to every `Retry-After` pause.
    pub pause_jitter: Duration,
    /// Each 429 after the first multiplies the client's rate by this factor.
    pub slowdown: f64,
    /// The rate never drops below this many requests per second.
    pub min_rate: f64,
    /// Longest `Retry-After` the client waits out. Notion documents up to
    /// 60 s per connection and longer per workspace; a longer wait fails
    /// the request with [`ClientError::RateLimitedTooLong`] instead, so a
    /// run stops cleanly and a scheduler can try again later.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            max_elapsed: Duration::from_secs(300),
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_rate_limited: 30,
            pause_jitter: Duration::from_millis(250),
            slowdown: 0.8,
            min_rate: 0.5,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
        }
    }
}

/// Everything a client needs besides its token. `ClientConfig::default()`
/// talks to the real Notion API.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientConfig {
    /// Where the API lives; `/v1/...` is appended. Plain `http` is refused
    /// unless the host is the local machine.
    pub base_url: String,
    /// The `Notion-Version` header.
    pub notion_version: String,
    /// How fast requests may go.
    pub rate: RateLimit,
    /// Retries and backoff.
    pub retry: RetryPolicy,
    /// Items asked per page of a list (Notion caps it at 100).
    pub page_size: u32,
    /// Time limit of one attempt, from sending to the end of the body.
    pub request_timeout: Duration,
    /// Time limit to open a connection.
    pub connect_timeout: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            base_url: DEFAULT_BASE_URL.to_string(),
            notion_version: DEFAULT_NOTION_VERSION.to_string(),
            rate: RateLimit::default(),
            retry: RetryPolicy::default(),
            page_size: 100,
            request_timeout: Duration::from_secs(90),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

impl ClientConfig {
    /// Checks the base URL: `https` anywhere, `http` only to a loopback host
    /// (the token must not cross a network in clear).
    /// Checks the whole configuration as [`NotionClient::new`](super::NotionClient::new)
    /// would, without building a client: the base URL, the page size, the rate.
    pub fn check(&self) -> Result<(), ClientError> {
        self.checked_base_url()?;
        self.checked_page_size()?;
        self.rate.pace()?;
        Ok(())
    }

    pub(crate) fn checked_base_url(&self) -> Result<Url, ClientError> {
        let url = Url::parse(&self.base_url).map_err(|e| {
            ClientError::Config(format!("base URL {:?} is not a URL: {e}", self.base_url))
        })?;
        match url.scheme() {
            "https" => Ok(url),
            "http" if is_loopback(url.host()) => Ok(url),
            "http" => Err(ClientError::Config(format!(
                "refusing plain http to {}: the token would cross the network unencrypted; use https \
                 (http is allowed only for 127.0.0.1, ::1 and localhost)",
                url.host_str().unwrap_or("")
            ))),
            other => Err(ClientError::Config(format!(
                "base URL scheme {other:?} is not supported; use https"
            ))),
        }
    }

    /// Checks the page size against Notion's bounds (1 to 100).
    pub(crate) fn checked_page_size(&self) -> Result<u32, ClientError> {
        if (1..=100).contains(&self.page_size) {
            Ok(self.page_size)
        } else {
            Err(ClientError::Config(format!(
                "page size must be between 1 and 100, got {}",
                self.page_size
            )))
        }
    }
}

fn is_loopback(host: Option<Host<&str>>) -> bool {
    match host {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_base(url: &str) -> Result<Url, ClientError> {
        ClientConfig {
            base_url: url.to_string(),
            ..ClientConfig::default()
        }
        .checked_base_url()
    }

    #[test]
    fn https_anywhere_and_http_only_on_loopback() {
        assert!(with_base("https://api.notion.com").is_ok());
        for local in [
            "http://127.0.0.1:8080",
            "http://[::1]:1",
            "http://localhost",
            "http://LOCALHOST:9",
        ] {
            assert!(with_base(local).is_ok(), "{local} should be allowed");
        }
        for remote in [
            "http://api.notion.com",
            "http://10.0.0.1",
            "http://localhost.evil.com",
            "ftp://127.0.0.1",
            "not a url",
        ] {
            let err = with_base(remote).expect_err(remote);
            assert!(matches!(err, ClientError::Config(_)), "{remote}: {err}");
        }
    }

    #[test]
    fn bad_rates_and_page_sizes_are_refused() {
        for rate in [
            RateLimit::PerSecond {
                per_second: 0.0,
                burst: 1,
            },
            RateLimit::PerSecond {
                per_second: f64::NAN,
                burst: 1,
            },
            RateLimit::PerSecond {
                per_second: 3.0,
                burst: 0,
            },
            RateLimit::Window {
                budget: 0,
                window: Duration::from_secs(60),
            },
        ] {
            assert!(rate.pace().is_err(), "{rate:?}");
        }
        for page_size in [0, 101] {
            let config = ClientConfig {
                page_size,
                ..ClientConfig::default()
            };
            assert!(config.checked_page_size().is_err());
        }
    }
}
