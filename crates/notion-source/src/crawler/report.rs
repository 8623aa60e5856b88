//! What a crawl tells its caller besides the pages: failures reduced to
//! [`ErrorInfo`], skipped pages, what is not shared with the integration,
//! the [`CrawlReport`] at the end and the [`CrawlError`]s that stop a crawl.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::client::{ClientError, ClientStats};
use crate::model::Page;

use super::progress::ProgressSnapshot;

/// A page that could not be read.
#[derive(Debug, Clone)]
pub struct PageFailure {
    /// The page's metadata, as listed (for a listing item that did not
    /// parse: its id, and its times and parent when they parsed).
    pub page: Box<Page>,
    /// What went wrong.
    pub error: ErrorInfo,
}

/// A page that was found but not crawled.
#[derive(Debug, Clone)]
pub struct SkippedPage {
    /// The page's metadata, as listed.
    pub page: Box<Page>,
    /// Why.
    pub reason: SkipReason,
}

/// Why a page was not crawled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// In the trash.
    Trashed,
    /// Archived.
    Archived,
}

impl SkipReason {
    /// A short machine-readable name (`trashed`, `archived`).
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Trashed => "trashed",
            SkipReason::Archived => "archived",
        }
    }
}

/// A failure, reduced to what a report needs: Notion's status, code,
/// message and request id (never the token: the client scrubs it from
/// everything the server sends).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ErrorInfo {
    /// HTTP status, when Notion answered.
    pub status: Option<u16>,
    /// Notion's error code, or `transport_error`, `decode_error`,
    /// `pagination_error`, `rate_limited_too_long`, `cancelled`...
    pub code: String,
    /// What happened.
    pub message: String,
    /// Notion's request id, to quote to Notion's support.
    pub request_id: Option<String>,
}

impl From<&ClientError> for ErrorInfo {
    fn from(error: &ClientError) -> Self {
        let code = match error {
            ClientError::Api { .. } => error.code().unwrap_or("api_error").to_string(),
            ClientError::Transport { .. } => "transport_error".into(),
            ClientError::Decode { .. } => "decode_error".into(),
            ClientError::Pagination { .. } => "pagination_error".into(),
            ClientError::RateLimitedTooLong { .. } => "rate_limited_too_long".into(),
            ClientError::Cancelled { .. } => "cancelled".into(),
            _ => "client_error".into(),
        };
        ErrorInfo {
            status: error.status(),
            code,
            message: error.to_string(),
            request_id: error.request_id().map(str::to_string),
        }
    }
}

impl std::fmt::Display for ErrorInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)?;
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

/// Why a crawl stopped before the end.
#[derive(Debug, thiserror::Error)]
pub enum CrawlError {
    /// Notion refused the token (401): nothing else can work.
    #[error("Notion refused the integration token: {0}")]
    Unauthorized(ErrorInfo),
    /// The downstream channel closed: whoever consumed pages is gone.
    #[error("the page channel closed before the crawl ended")]
    ChannelClosed,
    /// Notion asked to wait longer than the client's
    /// [`max_retry_after`](crate::client::RetryPolicy::max_retry_after): the
    /// crawl stopped (pages in flight were not reported failed); run again
    /// later.
    #[error("Notion asked to wait {}s before the next request, more than allowed: try again later ({error})", retry_after.as_secs())]
    RateLimitedTooLong {
        /// The wait Notion asked for.
        retry_after: Duration,
        /// The request that was told to wait.
        error: ErrorInfo,
    },
}

impl CrawlError {
    /// The fatal error a client error amounts to, if it is one: a 401, or
    /// a `Retry-After` beyond the cap.
    pub(crate) fn fatal(error: &ClientError) -> Option<CrawlError> {
        match error {
            ClientError::RateLimitedTooLong { retry_after, .. } => {
                Some(CrawlError::RateLimitedTooLong {
                    retry_after: *retry_after,
                    error: ErrorInfo::from(error),
                })
            }
            _ if error.status() == Some(401) => {
                Some(CrawlError::Unauthorized(ErrorInfo::from(error)))
            }
            _ => None,
        }
    }
}

/// Something crawled pages reference that the integration cannot read
/// (Notion answers 404 for what is not shared with it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NotShared {
    /// Its id.
    pub id: String,
    /// What it is.
    pub kind: NotSharedKind,
    /// The pages that reference it, sorted.
    pub referenced_from: Vec<String>,
}

/// What kind of thing is not shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotSharedKind {
    /// A database behind a `child_database` block (a linked view of a
    /// database that is not shared).
    Database,
    /// The original of a synced block copy (its content was read from the
    /// copy when possible, else marked).
    SyncedOriginal,
    /// A child page the markdown endpoint showed as a placeholder and
    /// answered 404 for when asked again (`crawl.fetch = "markdown"`).
    Page,
    /// Another block the markdown endpoint showed as a placeholder and
    /// could not give when asked again (404 or 403).
    Block,
}

impl NotSharedKind {
    /// A short machine-readable name (`database`, `synced_original`, `page`, `block`).
    pub fn as_str(self) -> &'static str {
        match self {
            NotSharedKind::Database => "database",
            NotSharedKind::SyncedOriginal => "synced_original",
            NotSharedKind::Page => "page",
            NotSharedKind::Block => "block",
        }
    }
}

/// How a crawl went.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CrawlReport {
    /// Final counters.
    pub progress: ProgressSnapshot,
    /// Pages that failed for good, with their errors.
    pub failures: Vec<(String, ErrorInfo)>,
    /// Listing requests that failed for good (the crawl may have missed
    /// what they would have found). What is merely not shared is in
    /// [`not_shared`](Self::not_shared), not here.
    pub listing_errors: Vec<ErrorInfo>,
    /// Every listing finished: the set of pages found is complete.
    pub listing_complete: bool,
    /// Stopped by the cancellation token.
    pub cancelled: bool,
    /// Databases and synced originals referenced by crawled pages that the
    /// integration cannot read, sorted by kind and id.
    pub not_shared: Vec<NotShared>,
    /// Notion's clock when the crawl's first answer came (its `Date`).
    pub server_time_first: Option<DateTime<Utc>>,
    /// Notion's clock at the crawl's newest answer.
    pub server_time_last: Option<DateTime<Utc>>,
    /// The client's counters at the end.
    pub client: ClientStats,
}
