//! Helpers the integration tests share: the dataset's expected trees, block
//! outlines, and log capture.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use notion_mock::{MockServer, Workspace};
use notion_source::client::{ClientConfig, NotionClient, RateLimit, RetryPolicy, SecretToken};
use notion_source::model::{Block, PageTree};

/// A client for `server` that never waits for the rate limiter and retries
/// after milliseconds, not seconds.
pub fn fast_client(server: &MockServer) -> NotionClient {
    let config = ClientConfig {
        base_url: server.url(),
        rate: RateLimit::PerSecond {
            per_second: 10_000.0,
            burst: 100,
        },
        retry: RetryPolicy {
            base_delay: std::time::Duration::from_millis(5),
            max_delay: std::time::Duration::from_millis(50),
            max_attempts: 12,
            ..RetryPolicy::default()
        },
        ..ClientConfig::default()
    };
    NotionClient::new(SecretToken::new("secret_mock_token"), config).unwrap()
}

/// The tree the mock says page `id` has.
pub fn expected_tree(ws: &Workspace, id: &str) -> PageTree {
    serde_json::from_value(ws.page_tree_json(id).expect("page in dataset"))
        .expect("expected tree parses")
}

/// The id of the dataset's page titled `title`.
pub fn page_titled(ws: &Workspace, title: &str) -> String {
    ws.page_ids()
        .into_iter()
        .find(|id| expected_tree(ws, id).page.title() == title)
        .unwrap_or_else(|| panic!("no page titled {title:?}"))
}

/// (depth, id, type) of every block in document order, depth first
/// (top-level blocks at depth 0).
pub fn shape(blocks: &[Block]) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    let mut stack: Vec<(&Block, usize)> = blocks.iter().rev().map(|b| (b, 0)).collect();
    while let Some((block, depth)) = stack.pop() {
        out.push((depth, block.id.clone(), block.kind.type_name().to_string()));
        stack.extend(block.children.iter().rev().map(|c| (c, depth + 1)));
    }
    out
}

/// Collects the log lines written while it is the thread's default
/// subscriber.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// Captures every event of this thread, at every level, until the
    /// guard drops.
    pub fn capture(&self) -> tracing::subscriber::DefaultGuard {
        let writer = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    /// What was captured so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}
