//! The numbers `GET /metrics` serves in Prometheus' text format: the
//! receiver's own counters ([`ReceiverCounts`]) and the refresh side's
//! ([`RefreshGauges`]), which the caller updates through shared atomics.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Why the receiver refused a request. Every refusal changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rejection {
    /// No `X-Notion-Signature` header, and not a handshake (401).
    MissingSignature,
    /// The signature is malformed or does not match the body (401).
    BadSignature,
    /// An event arrived before any verification token is known (401).
    NotVerified,
    /// The body is larger than [`MAX_BODY_BYTES`](crate::MAX_BODY_BYTES) (413).
    TooLarge,
    /// The body is not a webhook event (400).
    Malformed,
    /// A handshake carried a token other than the one in use (409).
    TokenConflict,
}

impl Rejection {
    /// Every reason, in the order metrics list them.
    pub const ALL: [Rejection; 6] = [
        Rejection::MissingSignature,
        Rejection::BadSignature,
        Rejection::NotVerified,
        Rejection::TooLarge,
        Rejection::Malformed,
        Rejection::TokenConflict,
    ];

    /// The reason's label in metrics and error bodies.
    pub fn label(self) -> &'static str {
        match self {
            Rejection::MissingSignature => "missing_signature",
            Rejection::BadSignature => "bad_signature",
            Rejection::NotVerified => "not_verified",
            Rejection::TooLarge => "too_large",
            Rejection::Malformed => "malformed",
            Rejection::TokenConflict => "token_conflict",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The receiver's counters.
#[derive(Debug, Default)]
pub(crate) struct ReceiverMetrics {
    requests: AtomicU64,
    received: AtomicU64,
    deduplicated: AtomicU64,
    handshakes: AtomicU64,
    store_errors: AtomicU64,
    rejected: [AtomicU64; Rejection::ALL.len()],
}

/// A snapshot of the receiver's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceiverCounts {
    /// Requests to the webhook path.
    pub requests: u64,
    /// Events accepted and persisted.
    pub received: u64,
    /// Events dropped because one with the same id was already persisted.
    pub deduplicated: u64,
    /// Handshakes accepted (a new token, or the same one resent).
    pub handshakes: u64,
    /// Events the store failed to persist (answered 500, so Notion retries).
    pub store_errors: u64,
    /// Refusals by reason, in [`Rejection::ALL`] order.
    pub rejected: Vec<(Rejection, u64)>,
}

impl ReceiverCounts {
    /// All refusals, whatever the reason.
    pub fn rejected_total(&self) -> u64 {
        self.rejected.iter().map(|(_, n)| n).sum()
    }

    /// Refusals for one reason.
    pub fn rejected_for(&self, reason: Rejection) -> u64 {
        self.rejected
            .iter()
            .find(|(r, _)| *r == reason)
            .map_or(0, |(_, n)| *n)
    }
}

impl ReceiverMetrics {
    pub(crate) fn request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn received(&self) {
        self.received.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn deduplicated(&self) {
        self.deduplicated.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn handshake(&self) {
        self.handshakes.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn store_error(&self) {
        self.store_errors.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn rejected(&self, reason: Rejection) {
        self.rejected[reason.index()].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn counts(&self) -> ReceiverCounts {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        ReceiverCounts {
            requests: get(&self.requests),
            received: get(&self.received),
            deduplicated: get(&self.deduplicated),
            handshakes: get(&self.handshakes),
            store_errors: get(&self.store_errors),
            rejected: Rejection::ALL
                .iter()
                .map(|r| (*r, get(&self.rejected[r.index()])))
                .collect(),
        }
    }
}

/// The refresh side's numbers, shared with the receiver so `/metrics` shows
/// them: the caller (the refresh loop) keeps an `Arc` and updates it.
///
/// ```
/// use std::sync::Arc;
/// use webhooks::RefreshGauges;
///
/// let gauges = Arc::new(RefreshGauges::default());
/// gauges.set_pending(3);
/// gauges.add_refresh(12);
/// gauges.set_last_publish(std::time::SystemTime::now());
/// assert_eq!(gauges.pending(), 3);
/// assert_eq!(gauges.requests(), 12);
/// ```
#[derive(Debug, Default)]
pub struct RefreshGauges {
    pending: AtomicU64,
    refreshes: AtomicU64,
    requests: AtomicU64,
    ignored: AtomicU64,
    last_publish_ms: AtomicU64,
}

impl RefreshGauges {
    /// Sets the number of persisted events not refreshed yet.
    pub fn set_pending(&self, events: u64) {
        self.pending.store(events, Ordering::Relaxed);
    }

    /// Counts one refresh batch done and the Notion API requests it made.
    pub fn add_refresh(&self, requests: u64) {
        self.refreshes.fetch_add(1, Ordering::Relaxed);
        self.requests.fetch_add(requests, Ordering::Relaxed);
    }

    /// Counts events that need no refresh (comments, views, locks, uploads, unknown types).
    pub fn add_ignored(&self, events: u64) {
        self.ignored.fetch_add(events, Ordering::Relaxed);
    }

    /// Records when a change set was last published.
    pub fn set_last_publish(&self, at: SystemTime) {
        let ms = at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        self.last_publish_ms.store(ms, Ordering::Relaxed);
    }

    /// Persisted events not refreshed yet.
    pub fn pending(&self) -> u64 {
        self.pending.load(Ordering::Relaxed)
    }

    /// Refresh batches done.
    pub fn refreshes(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }

    /// Notion API requests made by refreshes.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Events that needed no refresh.
    pub fn ignored(&self) -> u64 {
        self.ignored.load(Ordering::Relaxed)
    }

    /// Milliseconds since the Unix epoch of the last publish (0: never).
    pub fn last_publish_ms(&self) -> u64 {
        self.last_publish_ms.load(Ordering::Relaxed)
    }
}

/// A Prometheus metric type.
#[derive(Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
}

/// Writes one metric: its help, its type, and its samples (`labels`, value).
fn write_metric(
    out: &mut String,
    name: &str,
    kind: Kind,
    help: &str,
    samples: &[(String, String)],
) {
    let kind = match kind {
        Kind::Counter => "counter",
        Kind::Gauge => "gauge",
    };
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (labels, value) in samples {
        let _ = writeln!(out, "{name}{labels} {value}");
    }
}

/// Renders the counters in Prometheus' text exposition format (0.0.4).
pub(crate) fn render(counts: &ReceiverCounts, gauges: &RefreshGauges) -> String {
    use Kind::{Counter, Gauge};
    let single: [(&str, Kind, &str, u64); 9] = [
        (
            "notion_webhook_requests_total",
            Counter,
            "HTTP requests to the webhook endpoint.",
            counts.requests,
        ),
        (
            "notion_webhook_events_received_total",
            Counter,
            "Events accepted and persisted.",
            counts.received,
        ),
        (
            "notion_webhook_events_deduplicated_total",
            Counter,
            "Events dropped because the same event id was already persisted.",
            counts.deduplicated,
        ),
        (
            "notion_webhook_handshakes_total",
            Counter,
            "Verification handshakes accepted.",
            counts.handshakes,
        ),
        (
            "notion_webhook_store_errors_total",
            Counter,
            "Events the store failed to persist (answered 500).",
            counts.store_errors,
        ),
        (
            "notion_webhook_events_pending",
            Gauge,
            "Persisted events not refreshed yet.",
            gauges.pending(),
        ),
        (
            "notion_webhook_events_ignored_total",
            Counter,
            "Events that need no refresh (comments, views, locks, uploads, unknown types).",
            gauges.ignored(),
        ),
        (
            "notion_webhook_refreshes_total",
            Counter,
            "Refresh batches done.",
            gauges.refreshes(),
        ),
        (
            "notion_webhook_refresh_requests_total",
            Counter,
            "Notion API requests made by refreshes.",
            gauges.requests(),
        ),
    ];
    let mut out = String::new();
    for (name, kind, help, value) in single {
        write_metric(
            &mut out,
            name,
            kind,
            help,
            &[(String::new(), value.to_string())],
        );
    }
    let rejected: Vec<(String, String)> = counts
        .rejected
        .iter()
        .map(|(r, n)| (format!("{{reason=\"{}\"}}", r.label()), n.to_string()))
        .collect();
    write_metric(
        &mut out,
        "notion_webhook_events_rejected_total",
        Counter,
        "Requests refused, by reason; a refusal changes nothing.",
        &rejected,
    );
    let ms = gauges.last_publish_ms();
    write_metric(
        &mut out,
        "notion_webhook_last_publish_timestamp_seconds",
        Gauge,
        "When a change set was last published (0: never).",
        &[(String::new(), format!("{}.{:03}", ms / 1000, ms % 1000))],
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_counter_in_text_format() {
        let metrics = ReceiverMetrics::default();
        metrics.request();
        metrics.received();
        metrics.rejected(Rejection::TooLarge);
        metrics.rejected(Rejection::TooLarge);
        let gauges = RefreshGauges::default();
        gauges.set_pending(4);
        gauges.add_refresh(7);
        gauges.set_last_publish(UNIX_EPOCH + std::time::Duration::from_millis(1_500));
        let text = render(&metrics.counts(), &gauges);
        for line in [
            "notion_webhook_requests_total 1",
            "notion_webhook_events_received_total 1",
            "notion_webhook_events_rejected_total{reason=\"too_large\"} 2",
            "notion_webhook_events_rejected_total{reason=\"bad_signature\"} 0",
            "notion_webhook_events_deduplicated_total 0",
            "notion_webhook_events_pending 4",
            "notion_webhook_refreshes_total 1",
            "notion_webhook_refresh_requests_total 7",
            "notion_webhook_last_publish_timestamp_seconds 1.500",
            "# TYPE notion_webhook_events_pending gauge",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
        // Every sample line is `name{labels} value`.
        for l in text.lines().filter(|l| !l.starts_with('#')) {
            let (name, value) = l.rsplit_once(' ').unwrap();
            assert!(name.starts_with("notion_webhook_"), "{l}");
            assert!(value.parse::<f64>().is_ok(), "{l}");
        }
    }
}
