//! Per-endpoint request counters, updated lock-free by every request, and
//! [`ClientStats`], the snapshot a caller reads for progress bars and the
//! run summary.

use std::collections::BTreeMap;
use std::ops::AddAssign;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

use super::endpoint::Endpoint;

/// Counts for one endpoint (or all of them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EndpointStats {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Answers 429 `rate_limited` or 529 `service_overload`.
    pub rate_limited: u64,
    /// Requests sent again after a 429/529, a 5xx or a transport error.
    pub retries: u64,
    /// Calls that returned an error to the caller.
    pub errors: u64,
    /// Response body bytes received.
    pub bytes: u64,
    /// Values repaired in answers before parsing (lone surrogate escapes
    /// made U+FFFD, out-of-range numbers kept as text).
    pub repaired: u64,
}

impl AddAssign for EndpointStats {
    fn add_assign(&mut self, other: Self) {
        self.requests += other.requests;
        self.rate_limited += other.rate_limited;
        self.retries += other.retries;
        self.errors += other.errors;
        self.bytes += other.bytes;
        self.repaired += other.repaired;
    }
}

/// A snapshot of a client's counters, shared by all its clones.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientStats {
    /// Counts per endpoint that saw at least one request.
    pub per_endpoint: BTreeMap<Endpoint, EndpointStats>,
    /// The sum over all endpoints.
    pub total: EndpointStats,
    /// The rate the limiter allows now, in requests per second (lower than
    /// configured once repeated 429s slowed the client down).
    pub rate_per_second: f64,
    /// Time the client spent paused by `Retry-After`.
    #[serde(serialize_with = "as_seconds")]
    pub paused: Duration,
}

fn as_seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// What happened to one request, for [`Counters::record`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event {
    /// A request went out; `retry` when it repeats an earlier attempt.
    Sent { retry: bool },
    /// A 429/529 came back.
    RateLimited,
    /// Body bytes came back.
    Bytes(u64),
    /// The call failed for the caller.
    Failed,
    /// Values of an answer were repaired before parsing.
    Repaired(u64),
}

/// The live counters: one row of atomics per endpoint.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    rows: [Row; Endpoint::ALL.len()],
}

#[derive(Debug, Default)]
struct Row {
    requests: AtomicU64,
    rate_limited: AtomicU64,
    retries: AtomicU64,
    errors: AtomicU64,
    bytes: AtomicU64,
    repaired: AtomicU64,
}

impl Counters {
    pub(crate) fn record(&self, endpoint: Endpoint, event: Event) {
        let row = &self.rows[endpoint.index()];
        let add = |counter: &AtomicU64, n: u64| {
            counter.fetch_add(n, Ordering::Relaxed);
        };
        match event {
            Event::Sent { retry } => {
                add(&row.requests, 1);
                if retry {
                    add(&row.retries, 1);
                }
            }
            Event::RateLimited => add(&row.rate_limited, 1),
            Event::Bytes(n) => add(&row.bytes, n),
            Event::Failed => add(&row.errors, 1),
            Event::Repaired(n) => add(&row.repaired, n),
        }
    }

    /// Reads every counter into a snapshot.
    pub(crate) fn snapshot(&self, rate_per_second: f64, paused: Duration) -> ClientStats {
        let mut per_endpoint = BTreeMap::new();
        let mut total = EndpointStats::default();
        for endpoint in Endpoint::ALL {
            let row = &self.rows[endpoint.index()];
            let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
            let stats = EndpointStats {
                requests: load(&row.requests),
                rate_limited: load(&row.rate_limited),
                retries: load(&row.retries),
                errors: load(&row.errors),
                bytes: load(&row.bytes),
                repaired: load(&row.repaired),
            };
            if stats != EndpointStats::default() {
                per_endpoint.insert(endpoint, stats);
                total += stats;
            }
        }
        ClientStats {
            per_endpoint,
            total,
            rate_per_second,
            paused,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_add_up_per_endpoint_and_in_total() {
        let counters = Counters::default();
        counters.record(Endpoint::Search, Event::Sent { retry: false });
        counters.record(Endpoint::Search, Event::RateLimited);
        counters.record(Endpoint::Search, Event::Sent { retry: true });
        counters.record(Endpoint::Search, Event::Bytes(100));
        counters.record(Endpoint::BlockChildren, Event::Sent { retry: false });
        counters.record(Endpoint::BlockChildren, Event::Failed);

        let stats = counters.snapshot(3.0, Duration::ZERO);
        let search = stats.per_endpoint[&Endpoint::Search];
        assert_eq!(
            search,
            EndpointStats {
                requests: 2,
                rate_limited: 1,
                retries: 1,
                errors: 0,
                bytes: 100,
                repaired: 0,
            }
        );
        assert_eq!(stats.per_endpoint[&Endpoint::BlockChildren].errors, 1);
        assert_eq!(stats.per_endpoint.len(), 2);
        assert_eq!(stats.total.requests, 3);
        let json = serde_json::to_value(&stats).unwrap();
        assert_eq!(json["per_endpoint"]["POST /v1/search"]["bytes"], 100);
    }
}
