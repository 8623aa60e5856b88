//! Request statistics: counts per endpoint and status, 429s, requests sent
//! inside a Retry-After window, peak rates and a timeline of every request.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

/// A snapshot of what a server has seen since it started (or since
/// [`MockServer::reset_stats`](crate::MockServer::reset_stats)).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    /// Requests per endpoint, ids replaced: `"GET /v1/blocks/{id}/children"`.
    pub per_endpoint: BTreeMap<String, u64>,
    /// Answers per HTTP status (dropped connections are not here; see `dropped`).
    pub per_status: BTreeMap<u16, u64>,
    /// Every request received under `/v1/`.
    pub total: u64,
    /// Requests answered 429.
    pub rate_limited: u64,
    /// Requests sent while a Retry-After window was open (a well-behaved
    /// client sends none).
    pub requests_in_penalty: u64,
    /// Connections closed without an answer (injected faults).
    pub dropped: u64,
    /// Highest number of requests that arrived within any 1 s.
    pub max_rate_1s: f64,
    /// Highest number of requests that arrived within any 10 s, divided by 10.
    pub max_rate_10s: f64,
    /// Every request in arrival order.
    pub timeline: Vec<RequestEvent>,
}

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestEvent {
    /// Arrival time since the server started.
    pub at: Duration,
    /// The endpoint, ids replaced.
    pub endpoint: String,
    /// The request's path, ids as sent (`/v1/blocks/<id>/children`).
    pub path: String,
    /// The answer's status; 0 for a dropped connection.
    pub status: u16,
}

impl Stats {
    /// Records one request.
    pub(crate) fn record(&mut self, event: RequestEvent, in_penalty: bool) {
        *self.per_endpoint.entry(event.endpoint.clone()).or_default() += 1;
        self.total += 1;
        match event.status {
            0 => self.dropped += 1,
            status => *self.per_status.entry(status).or_default() += 1,
        }
        if event.status == 429 {
            self.rate_limited += 1;
        }
        if in_penalty {
            self.requests_in_penalty += 1;
        }
        self.timeline.push(event);
    }

    /// A copy with the timeline in arrival order and the peak rates computed.
    pub(crate) fn snapshot(&self) -> Stats {
        let mut out = self.clone();
        out.timeline.sort_by_key(|e| e.at);
        let times: Vec<Duration> = out.timeline.iter().map(|e| e.at).collect();
        out.max_rate_1s = peak(&times, Duration::from_secs(1)) as f64;
        out.max_rate_10s = peak(&times, Duration::from_secs(10)) as f64 / 10.0;
        out
    }
}

/// Most arrivals within any half-open window `[t, t + width)`.
fn peak(sorted: &[Duration], width: Duration) -> usize {
    let mut best = 0;
    let mut start = 0;
    for (end, t) in sorted.iter().enumerate() {
        while *t >= sorted[start] + width {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_counts_arrivals_within_the_window() {
        let ms = |v: &[u64]| {
            v.iter()
                .map(|m| Duration::from_millis(*m))
                .collect::<Vec<_>>()
        };
        assert_eq!(peak(&ms(&[]), Duration::from_secs(1)), 0);
        assert_eq!(
            peak(&ms(&[0, 500, 999, 1000, 1001]), Duration::from_secs(1)),
            4
        );
        assert_eq!(peak(&ms(&[0, 999, 1999]), Duration::from_secs(1)), 2);
        assert_eq!(
            peak(&ms(&[0, 2000, 2100, 2200, 3300]), Duration::from_secs(1)),
            3
        );
    }
}
