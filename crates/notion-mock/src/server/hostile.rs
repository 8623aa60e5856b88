//! Hostile answers, for testing a client against a server that misbehaves:
//! canned answers (a `200` holding an error object, a repeating cursor, a
//! `Retry-After` of a day, an echoed token, a block whose children cycle,
//! nesting a thousand levels deep...) and the API's own answers cut short.
//!
//! A [`HostileRule`] matches requests by method and path; the first rule
//! that matches and has uses left answers instead of the API. Rules are set
//! in [`MockConfig::hostile`](crate::MockConfig::hostile).
//!
//! ```
//! use notion_mock::{HostileRule, MockConfig};
//! use serde_json::json;
//!
//! let cfg = MockConfig {
//!     hostile: vec![
//!         // Every search answer says there is more, with the same cursor.
//!         HostileRule::json("POST", "/v1/search", 200, json!({
//!             "object": "list", "results": [], "has_more": true, "next_cursor": "again",
//!         })),
//!         // The first answer for this page's children is cut after 40 bytes.
//!         HostileRule::truncated("GET", "/v1/blocks/some-page/children", 40).times(1),
//!     ],
//!     ..MockConfig::unlimited()
//! };
//! # let _ = cfg;
//! ```

use std::sync::Mutex;

use axum::body::Body;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::{Response, StatusCode};
use serde_json::Value;

/// A hostile answer to the requests that match.
#[derive(Debug, Clone, PartialEq)]
pub struct HostileRule {
    /// The method to match (`GET`, `POST`); `None` matches any.
    pub method: Option<String>,
    /// The path to match, as the client sends it (still percent-encoded),
    /// without the query string. A path ending in `*` matches every path
    /// that starts with what comes before it (`/v1/*`).
    pub path: String,
    /// How many matching requests get this answer; `None`: all of them.
    pub times: Option<u32>,
    /// What to answer.
    pub answer: HostileAnswer,
}

/// What a [`HostileRule`] answers.
#[derive(Debug, Clone, PartialEq)]
pub enum HostileAnswer {
    /// This status, these headers and this body, verbatim.
    Canned {
        /// HTTP status.
        status: u16,
        /// Headers besides `content-length` (and `content-type`, which is
        /// JSON unless given).
        headers: Vec<(String, String)>,
        /// The body, sent byte for byte (any text: broken JSON too).
        body: String,
    },
    /// The API's own answer with only its first `bytes` bytes of body sent,
    /// in a well-formed HTTP answer (`content-length` says `bytes`): the
    /// JSON ends early.
    Truncated {
        /// Body bytes sent.
        bytes: usize,
    },
}

impl HostileRule {
    /// Answers `body` as JSON with `status` to `method` on `path`.
    pub fn json(method: &str, path: &str, status: u16, body: Value) -> HostileRule {
        HostileRule::raw(method, path, status, body.to_string())
    }

    /// Answers `body`, verbatim, with `status` to `method` on `path`.
    pub fn raw(method: &str, path: &str, status: u16, body: impl Into<String>) -> HostileRule {
        HostileRule {
            method: Some(method.to_string()),
            path: path.to_string(),
            times: None,
            answer: HostileAnswer::Canned {
                status,
                headers: Vec::new(),
                body: body.into(),
            },
        }
    }

    /// Sends the API's answer to `method` on `path` cut after `bytes` bytes.
    pub fn truncated(method: &str, path: &str, bytes: usize) -> HostileRule {
        HostileRule {
            method: Some(method.to_string()),
            path: path.to_string(),
            times: None,
            answer: HostileAnswer::Truncated { bytes },
        }
    }

    /// Adds a header to a canned answer (`retry-after`, say).
    pub fn header(mut self, name: &str, value: &str) -> HostileRule {
        if let HostileAnswer::Canned { headers, .. } = &mut self.answer {
            headers.push((name.to_string(), value.to_string()));
        }
        self
    }

    /// Answers only the first `n` matching requests; later ones get the API.
    pub fn times(mut self, n: u32) -> HostileRule {
        self.times = Some(n);
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        let method_ok = self
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method));
        let path_ok = match self.path.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => path == self.path,
        };
        method_ok && path_ok
    }
}

/// The rules of a running server, with their uses left.
#[derive(Debug)]
pub(crate) struct Rules {
    rules: Mutex<Vec<HostileRule>>,
}

impl Rules {
    pub(crate) fn new(rules: Vec<HostileRule>) -> Rules {
        Rules {
            rules: Mutex::new(rules),
        }
    }

    /// The answer for a request, if a rule with uses left matches (one use
    /// is taken).
    pub(crate) fn answer(&self, method: &str, path: &str) -> Option<HostileAnswer> {
        let mut rules = self.rules.lock().expect("hostile rules lock");
        let rule = rules
            .iter_mut()
            .find(|r| r.times != Some(0) && r.matches(method, path))?;
        if let Some(left) = rule.times.as_mut() {
            *left -= 1;
        }
        Some(rule.answer.clone())
    }
}

/// A canned answer as an HTTP response.
pub(crate) fn canned(status: u16, headers: &[(String, String)], body: &str) -> Response<Body> {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// `response` with its body cut after `bytes` bytes.
pub(crate) async fn truncate(response: Response<Body>, bytes: usize) -> Response<Body> {
    let (mut parts, body) = response.into_parts();
    let full = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let cut = full.slice(..bytes.min(full.len()));
    parts
        .headers
        .insert(CONTENT_LENGTH, HeaderValue::from(cut.len()));
    Response::from_parts(parts, Body::from(cut))
}
