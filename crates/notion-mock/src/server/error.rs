//! Notion's error answers: `{"object": "error", "status", "code", "message",
//! "request_id"}` with the status codes and messages Notion uses.

use serde_json::{Value, json};

/// An error answer of the mock's API.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Notion's error code.
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
    /// `additional_data`, when any (boxed: errors travel in `Result`s).
    pub additional_data: Option<Box<Value>>,
    /// `Retry-After` seconds (429).
    pub retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            additional_data: None,
            retry_after: None,
        }
    }

    /// 404 for an unknown or unshared id.
    pub fn not_found(kind: &str, id: &str) -> Self {
        Self::new(
            404,
            "object_not_found",
            format!(
                "Could not find {kind} with ID: {id}. Make sure the relevant pages and databases are shared with your integration."
            ),
        )
    }

    /// 400 `validation_error`.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(400, "validation_error", message)
    }

    /// 400 for an id in the path that is not a uuid.
    pub fn bad_path_id(param: &str, raw: &str) -> Self {
        Self::validation(format!(
            "path failed validation: path.{param} should be a valid uuid, instead was `\"{raw}\"`."
        ))
    }

    /// 400 for an unknown route.
    pub fn invalid_url() -> Self {
        Self::new(400, "invalid_request_url", "Invalid request URL.")
    }

    /// 400 for a body that is not JSON.
    pub fn invalid_json() -> Self {
        Self::new(400, "invalid_json", "Error parsing JSON body.")
    }

    /// 400 without a `Notion-Version` header.
    pub fn missing_version() -> Self {
        Self::new(
            400,
            "missing_version",
            "Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.",
        )
    }

    /// 401 for a missing or wrong token.
    pub fn unauthorized() -> Self {
        Self::new(401, "unauthorized", "API token is invalid.")
    }

    /// 429 with `Retry-After`.
    pub fn rate_limited(retry_after: u64, reason: &str) -> Self {
        ApiError {
            additional_data: Some(Box::new(json!({"rate_limit_reason": reason}))),
            retry_after: Some(retry_after),
            ..Self::new(
                429,
                "rate_limited",
                "You have been rate limited. Please try again in a few minutes.",
            )
        }
    }

    /// An injected server error.
    pub fn server_error(status: u16) -> Self {
        match status {
            503 => Self::new(
                503,
                "service_unavailable",
                "Notion is unavailable, please try again later.",
            ),
            _ => Self::new(
                status,
                "internal_server_error",
                "Unexpected error occurred.",
            ),
        }
    }

    /// The JSON body.
    pub fn body(&self, request_id: &str) -> Value {
        let mut body = json!({
            "object": "error", "status": self.status, "code": self.code, "message": self.message,
        });
        if let Some(data) = &self.additional_data {
            body["additional_data"] = Value::clone(data);
        }
        body["request_id"] = json!(request_id);
        body
    }
}
