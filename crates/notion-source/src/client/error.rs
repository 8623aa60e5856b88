//! The client's one error type. Every variant that comes from a request names
//! the endpoint and keeps Notion's request id, so a failure can be reported
//! to Notion; none ever holds the token.

use std::fmt;

use crate::model::ErrorBody;

use super::endpoint::Endpoint;

/// What went wrong with a call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The client was set up wrongly (bad base URL, plain http to a remote
    /// host, a zero rate...). Nothing was sent.
    #[error("invalid client configuration: {0}")]
    Config(String),

    /// Notion answered with an error (4xx, or a 5xx/429 that outlasted the
    /// retries). A body that was not JSON (an HTML 502 from Notion's edge)
    /// lands here too, with a code made from the status.
    #[error("{endpoint}: Notion answered {body} (after {attempts} attempt(s))")]
    Api {
        /// Which endpoint.
        endpoint: Endpoint,
        /// Attempts made, the first included.
        attempts: u32,
        /// Notion's error object: status, code, message, request id.
        body: Box<ErrorBody>,
    },

    /// The request never got a complete answer (connection refused or
    /// reset, timeout), even after the retries.
    #[error("{endpoint}: transport error after {attempts} attempt(s): {}", error_chain(.cause))]
    Transport {
        /// Which endpoint.
        endpoint: Endpoint,
        /// Attempts made, the first included.
        attempts: u32,
        /// The last transport error.
        cause: reqwest::Error,
    },

    /// A successful answer whose body did not parse as the expected type.
    #[error("{endpoint}: response did not parse (request id {}): {cause}", .request_id.as_deref().unwrap_or("none"))]
    Decode {
        /// Which endpoint.
        endpoint: Endpoint,
        /// Notion's request id, from the header or the body.
        request_id: Option<String>,
        /// The parse error.
        cause: serde_json::Error,
    },

    /// An argument could not make a request (an empty id). Nothing was sent.
    #[error("{endpoint}: invalid input: {detail}")]
    InvalidInput {
        /// Which endpoint.
        endpoint: Endpoint,
        /// What was wrong.
        detail: String,
    },

    /// A list broke the pagination contract (`has_more` with no cursor, or
    /// a cursor seen before in the same listing); stopping avoids a loop.
    #[error("{endpoint}: broken pagination: {detail}")]
    Pagination {
        /// Which endpoint.
        endpoint: Endpoint,
        /// What was wrong.
        detail: String,
    },

    /// Notion asked to wait longer than
    /// [`RetryPolicy::max_retry_after`](super::RetryPolicy::max_retry_after)
    /// before the next request. Nothing is wrong with the request: try the
    /// run again later.
    #[error(
        "{endpoint}: Notion asked to wait {}s before the next request (Retry-After), more than the {}s allowed: {body}",
        retry_after.as_secs(), limit.as_secs()
    )]
    RateLimitedTooLong {
        /// Which endpoint.
        endpoint: Endpoint,
        /// The wait Notion asked for.
        retry_after: std::time::Duration,
        /// The longest wait the policy allows.
        limit: std::time::Duration,
        /// Notion's 429/529 error object.
        body: Box<ErrorBody>,
    },

    /// The call was abandoned because its cancellation token fired (see
    /// [`NotionClient::with_cancellation`](super::NotionClient::with_cancellation)).
    #[error("{endpoint}: cancelled")]
    Cancelled {
        /// Which endpoint.
        endpoint: Endpoint,
    },
}

impl ClientError {
    /// The endpoint the failing call went to.
    pub fn endpoint(&self) -> Option<Endpoint> {
        match self {
            ClientError::Config(_) => None,
            ClientError::Api { endpoint, .. }
            | ClientError::Transport { endpoint, .. }
            | ClientError::Decode { endpoint, .. }
            | ClientError::InvalidInput { endpoint, .. }
            | ClientError::Pagination { endpoint, .. }
            | ClientError::RateLimitedTooLong { endpoint, .. }
            | ClientError::Cancelled { endpoint } => Some(*endpoint),
        }
    }

    /// Notion's error object, when Notion answered with an error.
    pub fn api_error(&self) -> Option<&ErrorBody> {
        match self {
            ClientError::Api { body, .. } | ClientError::RateLimitedTooLong { body, .. } => {
                Some(body)
            }
            _ => None,
        }
    }

    /// The HTTP status of Notion's error answer.
    pub fn status(&self) -> Option<u16> {
        self.api_error().map(|b| b.status)
    }

    /// Notion's error code (`object_not_found`, `unauthorized`, ...).
    pub fn code(&self) -> Option<&str> {
        self.api_error().map(|b| b.code.as_str())
    }

    /// Notion's request id, when an answer came.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            ClientError::Api { body, .. } | ClientError::RateLimitedTooLong { body, .. } => {
                body.request_id.as_deref()
            }
            ClientError::Decode { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// True for 404 `object_not_found`: the object is gone or not shared with
    /// the integration (a crawler skips it).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ClientError::Api { .. }) && self.status() == Some(404)
    }

    /// True when the call was abandoned on cancellation.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, ClientError::Cancelled { .. })
    }
}

/// Shown as `404 object_not_found: Could not find ... [request id ...]`.
impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

/// An error and its causes on one line (reqwest's own message hides the
/// cause, such as "connection reset").
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
