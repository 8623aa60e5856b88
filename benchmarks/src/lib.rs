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
    let config = notion_like_config();
    let token = config.token.clone();
    let server = MockServer::start(workspace, config).await?;
    let client = mock_client(&server, &token, ClientConfig::default().rate)?;
    Ok((server, client))
}

/// The mock's configuration in [`notion_like_mock`]: 3 requests/s (burst 10),
/// log-normal latency with a 250 ms median.
pub fn notion_like_config() -> MockConfig {
    MockConfig {
        rate: RateLimit::TokenBucket {
            per_second: LIMIT_PER_SECOND,
            burst: 10,
        },
        latency: Latency::LogNormal {
            median: Duration::from_millis(250),
            sigma: 0.5,
        },
        ..MockConfig::default()
    }
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

/// A memory field of process `pid` (`"self"` for this one) from
/// `/proc/PID/status`, such as `VmRSS` or `VmHWM`, in kB; `None` once the
/// process is gone.
pub fn status_kb(pid: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// This process's resident memory (`VmRSS`, or `VmHWM` for the peak) in MB.
pub fn proc_status_mb(field: &str) -> f64 {
    status_kb("self", field).map_or(0.0, |kb| kb as f64 / 1024.0)
}

/// The system allocator, keeping count of the bytes live on the heap: a
/// benchmark declares `#[global_allocator] static HEAP: LiveBytes =
/// LiveBytes::new();` and reads [`LiveBytes::live`] before and after.
pub struct LiveBytes(std::sync::atomic::AtomicUsize);

impl LiveBytes {
    /// A counter at zero.
    pub const fn new() -> LiveBytes {
        LiveBytes(std::sync::atomic::AtomicUsize::new(0))
    }

    /// Bytes allocated and not yet freed.
    pub fn live(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Default for LiveBytes {
    fn default() -> Self {
        LiveBytes::new()
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter only observes sizes.
unsafe impl std::alloc::GlobalAlloc for LiveBytes {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        use std::sync::atomic::Ordering::Relaxed;
        self.0.fetch_add(layout.size(), Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        use std::sync::atomic::Ordering::Relaxed;
        self.0.fetch_sub(layout.size(), Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        use std::sync::atomic::Ordering::Relaxed;
        self.0.fetch_add(new_size, Relaxed);
        self.0.fetch_sub(layout.size(), Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }
}
