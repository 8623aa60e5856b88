//! Sending one call: wait for the pacer, send, read the answer, and decide
//! what it means: done, pause and retry (429/529), back off and retry (5xx,
//! transport errors, a body cut short), or fail (4xx, a body of the wrong
//! shape, a `Retry-After` longer than the policy allows).
//!
//! Every answer's body is scrubbed of the token before anything reads it,
//! then repaired (lone surrogates, out-of-range numbers: see `repair`) and
//! checked to be the object the endpoint returns: a `200` holding
//! `{"object": "error"}` or a list without `results` is an error, never
//! empty content.

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use rand::RngExt;
use reqwest::header::HeaderMap;
use reqwest::{Response, StatusCode};
use serde::de::{DeserializeOwned, Error as _};
use serde_json::Value;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use url::Url;

use crate::model::ErrorBody;

use super::Shared;
use super::clock::http_date;
use super::config::RetryPolicy;
use super::endpoint::Endpoint;
use super::error::ClientError;
use super::repair::repair;
use super::stats::Event;

/// One call to make: where, and the JSON body for POSTs.
pub(crate) struct Call {
    pub(crate) endpoint: Endpoint,
    pub(crate) url: Url,
    pub(crate) body: Option<Value>,
}

/// What one attempt came back with.
enum Outcome {
    /// 2xx, with its body (already scrubbed of secrets).
    Success {
        body: Bytes,
        request_id: Option<String>,
        date: Option<DateTime<Utc>>,
    },
    /// 429/529: pause the client for this long, then retry.
    RateLimited {
        retry_after: Option<Duration>,
        error: ErrorBody,
    },
    /// 500/502/503/504: back off and retry.
    ServerError(ErrorBody),
    /// Connection or timeout trouble: back off and retry.
    Transport(reqwest::Error),
    /// Any other answer: fail now.
    Fatal(ErrorBody),
}

/// Why a successful answer did not give a value.
enum Undecodable {
    /// The JSON ended early: the body was cut short, retry like a dropped
    /// connection.
    Truncated(ClientError),
    /// Anything else: fail now.
    Invalid(ClientError),
}

impl Shared {
    /// Makes the call, retrying as the policy says, and parses the answer.
    /// Returns [`ClientError::Cancelled`] as soon as `cancel` fires, whatever
    /// the call was waiting for (the limiter, a pause, a backoff, the answer).
    pub(crate) async fn execute<T: DeserializeOwned>(
        &self,
        call: Call,
        cancel: &CancellationToken,
    ) -> Result<T, ClientError> {
        let endpoint = call.endpoint;
        let span = tracing::debug_span!("notion_call", %endpoint);
        let result = tokio::select! {
            biased;
            () = cancel.cancelled() => Err(ClientError::Cancelled { endpoint }),
            result = self.execute_with_retries(call).instrument(span) => result,
        };
        if result.as_ref().is_err_and(|e| !e.is_cancelled()) {
            self.counters.record(endpoint, Event::Failed);
        }
        result
    }

    async fn execute_with_retries<T: DeserializeOwned>(
        &self,
        call: Call,
    ) -> Result<T, ClientError> {
        let endpoint = call.endpoint;
        let policy = &self.config.retry;
        let first_sent = Instant::now();
        let mut attempts = 0u32;
        let mut failures = 0u32;
        let mut rate_limited = 0u32;
        loop {
            self.pacer.acquire().await;
            attempts += 1;
            self.counters.record(
                endpoint,
                Event::Sent {
                    retry: attempts > 1,
                },
            );
            let outcome = self.attempt(&call, attempts).await;
            let fail = |error: ErrorBody| ClientError::Api {
                endpoint,
                attempts,
                body: Box::new(error),
            };
            // Another attempt after a failure, if the budget allows one.
            let mut retry_after_failure = || {
                failures += 1;
                let delay = backoff(policy, failures);
                (!endpoint.is_write()
                    && failures < policy.max_attempts
                    && first_sent.elapsed() + delay <= policy.max_elapsed)
                    .then_some(delay)
            };
            let delay = match outcome {
                Outcome::Success {
                    body,
                    request_id,
                    date,
                } => match self.decode(endpoint, &body, request_id) {
                    Ok(value) => {
                        if let Some(date) = date {
                            self.clock.record(date);
                        }
                        return Ok(value);
                    }
                    Err(Undecodable::Invalid(error)) => return Err(error),
                    Err(Undecodable::Truncated(error)) => {
                        let Some(delay) = retry_after_failure() else {
                            return Err(error);
                        };
                        tracing::debug!(%endpoint, bytes = body.len(), ?delay, "answer cut short, retrying");
                        delay
                    }
                },
                Outcome::Fatal(error) => return Err(fail(error)),
                Outcome::RateLimited { retry_after, error } => {
                    self.counters.record(endpoint, Event::RateLimited);
                    rate_limited += 1;
                    if rate_limited > policy.max_rate_limited {
                        return Err(fail(error));
                    }
                    self.pause(endpoint, retry_after, rate_limited, error)?;
                    continue;
                }
                Outcome::ServerError(error) => {
                    let Some(delay) = retry_after_failure() else {
                        return Err(fail(error));
                    };
                    tracing::debug!(%endpoint, status = error.status, ?delay, "server error, retrying");
                    delay
                }
                Outcome::Transport(cause) => {
                    let delay = retry_after_failure().filter(|_| !cause.is_builder());
                    let Some(delay) = delay else {
                        return Err(ClientError::Transport {
                            endpoint,
                            attempts,
                            cause,
                        });
                    };
                    tracing::debug!(%endpoint, error = %cause, ?delay, "transport error, retrying");
                    delay
                }
            };
            tokio::time::sleep(delay).await;
        }
    }

    /// Opens the client-wide pause a 429/529 asks for (`Retry-After`, or 1,
    /// 2, 4... up to 60 s without one), saying on the log how long and why.
    /// A wait beyond the policy's `max_retry_after` fails the call instead.
    fn pause(
        &self,
        endpoint: Endpoint,
        retry_after: Option<Duration>,
        rate_limited: u32,
        error: ErrorBody,
    ) -> Result<(), ClientError> {
        let policy = &self.config.retry;
        let reason = error
            .additional_data
            .as_ref()
            .and_then(|d| d.get("rate_limit_reason"))
            .map(|r| r.as_str().map_or_else(|| r.to_string(), str::to_string));
        let reason = reason.as_deref().unwrap_or("unspecified");
        let wait = retry_after.unwrap_or_else(|| {
            Duration::from_secs(1 << (rate_limited - 1).min(6)).min(Duration::from_secs(60))
        });
        if wait > policy.max_retry_after {
            tracing::warn!(
                %endpoint,
                status = error.status,
                code = %error.code,
                reason,
                request_id = error.request_id.as_deref(),
                "Notion asked to wait {}s (Retry-After), more than the {}s allowed: stopping this request",
                wait.as_secs(),
                policy.max_retry_after.as_secs(),
            );
            return Err(ClientError::RateLimitedTooLong {
                endpoint,
                retry_after: wait,
                limit: policy.max_retry_after,
                body: Box::new(error),
            });
        }
        let slowed_to = self.pacer.pause(wait);
        tracing::warn!(
            %endpoint,
            status = error.status,
            code = %error.code,
            reason,
            retry_after_ms = wait.as_millis() as u64,
            slowed_to_per_second = slowed_to,
            request_id = error.request_id.as_deref(),
            "rate limited ({} {}, reason: {reason}): every request of this client waits {:.1}s{}",
            error.status,
            error.code,
            wait.as_secs_f64(),
            if retry_after.is_some() { " as Retry-After asks" } else { " (no Retry-After: backing off)" },
        );
        Ok(())
    }

    /// Parses a successful answer: repaired, checked to be the endpoint's
    /// object, then typed.
    fn decode<T: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        body: &[u8],
        request_id: Option<String>,
    ) -> Result<T, Undecodable> {
        let (text, repairs) = repair(body);
        if repairs.total() > 0 {
            self.counters
                .record(endpoint, Event::Repaired(repairs.total()));
            tracing::debug!(%endpoint, surrogates = repairs.surrogates, numbers = repairs.numbers, "repaired values in an answer");
        }
        let decode_error = |cause, request_id| ClientError::Decode {
            endpoint,
            request_id,
            cause,
        };
        let value: Value = match serde_json::from_slice(&text) {
            Ok(value) => value,
            Err(cause) if cause.is_eof() => {
                return Err(Undecodable::Truncated(decode_error(cause, request_id)));
            }
            Err(cause) => return Err(Undecodable::Invalid(decode_error(cause, request_id))),
        };
        let request_id = request_id.or_else(|| {
            value
                .get("request_id")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        if let Err(detail) = check_shape(endpoint, &value) {
            let cause = serde_json::Error::custom(detail);
            return Err(Undecodable::Invalid(decode_error(cause, request_id)));
        }
        serde_json::from_value(value)
            .map_err(|cause| Undecodable::Invalid(decode_error(cause, request_id)))
    }

    /// Sends the call once and sorts the answer.
    async fn attempt(&self, call: &Call, attempt: u32) -> Outcome {
        let started = Instant::now();
        let mut request = self.http.request(call.endpoint.method(), call.url.clone());
        if let Some(body) = &call.body {
            request = request.json(body);
        }
        let outcome = match request.send().await {
            Ok(response) => self.read_answer(call.endpoint, response).await,
            Err(e) => Outcome::Transport(e),
        };
        let (status, request_id) = match &outcome {
            Outcome::Success { request_id, .. } => (200, request_id.as_deref()),
            Outcome::RateLimited { error, .. }
            | Outcome::ServerError(error)
            | Outcome::Fatal(error) => (error.status, error.request_id.as_deref()),
            Outcome::Transport(_) => (0, None),
        };
        tracing::debug!(
            endpoint = %call.endpoint,
            attempt,
            status,
            duration_ms = started.elapsed().as_millis() as u64,
            request_id,
            "notion request"
        );
        outcome
    }

    async fn read_answer(&self, endpoint: Endpoint, response: Response) -> Outcome {
        let status = response.status();
        let headers = response.headers().clone();
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(e) => return Outcome::Transport(e),
        };
        self.counters
            .record(endpoint, Event::Bytes(body.len() as u64));
        // Nothing the server sends may carry the token further.
        let body = match self.redactor.redact_bytes(&body) {
            std::borrow::Cow::Borrowed(_) => body,
            std::borrow::Cow::Owned(clean) => Bytes::from(clean),
        };
        let header_request_id = headers
            .get("x-notion-request-id")
            .and_then(|v| v.to_str().ok())
            .map(|id| self.redactor.redact(id).into_owned());
        if status.is_success() {
            return Outcome::Success {
                body,
                request_id: header_request_id,
                date: http_date(&headers),
            };
        }
        let error = error_body(status, &body, header_request_id);
        match failure_kind(status) {
            FailureKind::RateLimited => Outcome::RateLimited {
                retry_after: retry_after(&headers),
                error,
            },
            FailureKind::Transient => Outcome::ServerError(error),
            FailureKind::Permanent => Outcome::Fatal(error),
        }
    }
}

/// Checks that a successful answer is the object `endpoint` returns: the
/// right `object`, and a `results` array in a list. A `200` holding Notion's
/// error object is named as such.
fn check_shape(endpoint: Endpoint, value: &Value) -> Result<(), String> {
    let object = value.get("object").and_then(Value::as_str);
    let expected = endpoint.objects();
    match object {
        Some("error") => {
            let error: ErrorBody = serde_json::from_value(value.clone()).unwrap_or(ErrorBody {
                status: 0,
                code: String::new(),
                message: String::new(),
                request_id: None,
                additional_data: None,
            });
            Err(format!(
                "a successful answer holds an error object ({} {}: {})",
                error.status, error.code, error.message
            ))
        }
        Some(object) if expected.contains(&object) => {
            if object == "list" && !value.get("results").is_some_and(Value::is_array) {
                Err("a list without a results array".to_string())
            } else {
                Ok(())
            }
        }
        Some(object) => Err(format!(
            "expected object {}, got {object:?}",
            expected.join(" or ")
        )),
        None => Err(format!(
            "expected object {}, got {} without an object field",
            expected.join(" or "),
            json_kind(value)
        )),
    }
}

/// The JSON type of a value, for messages.
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// How an error status is handled.
#[derive(Debug, PartialEq, Eq)]
enum FailureKind {
    /// 429 `rate_limited`, 529 `service_overload`: pause the client, retry.
    RateLimited,
    /// 500, 502, 503, 504: back off, retry.
    Transient,
    /// Everything else (400, 401, 403, 404, 409...): fail now.
    Permanent,
}

fn failure_kind(status: StatusCode) -> FailureKind {
    match status.as_u16() {
        429 | 529 => FailureKind::RateLimited,
        500 | 502 | 503 | 504 => FailureKind::Transient,
        _ => FailureKind::Permanent,
    }
}

/// Notion's error object from an error answer's body. A body that is not
/// Notion's JSON (an HTML page from the edge) becomes an error object with a
/// code named after the status and the start of the body as message.
fn error_body(status: StatusCode, body: &[u8], header_request_id: Option<String>) -> ErrorBody {
    let parsed = serde_json::from_slice::<ErrorBody>(&repair(body).0)
        .ok()
        .filter(|e| !e.code.is_empty());
    let mut error = parsed.unwrap_or_else(|| {
        let text = String::from_utf8_lossy(body);
        let excerpt: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let excerpt: String = excerpt.chars().take(200).collect();
        ErrorBody {
            status: status.as_u16(),
            code: status
                .canonical_reason()
                .unwrap_or("http_error")
                .to_ascii_lowercase()
                .replace(' ', "_"),
            message: format!("answer was not Notion JSON: {excerpt}"),
            request_id: None,
            additional_data: None,
        }
    });
    error.status = status.as_u16();
    if error.request_id.is_none() {
        error.request_id = header_request_id;
    }
    error
}

/// `Retry-After` in whole (or decimal) seconds, or as an HTTP date (then
/// measured from the answer's `Date`). A wait too long to represent is
/// `Duration::MAX` (it fails on the policy's cap, never wraps).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return (seconds >= 0.0)
            .then(|| Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX));
    }
    let at = DateTime::parse_from_rfc2822(text).ok()?.with_timezone(&Utc);
    let now = http_date(headers).unwrap_or_else(Utc::now);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// Full-jitter exponential backoff: uniform in `[0, min(max, base * 2^(n-1))]`.
fn backoff(policy: &RetryPolicy, failures: u32) -> Duration {
    let ceiling = policy
        .base_delay
        .saturating_mul(1 << (failures.saturating_sub(1)).min(20))
        .min(policy.max_delay);
    ceiling.mul_f64(rand::rng().random_range(0.0..=1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn json_error_body_keeps_notions_fields() {
        let body = br#"{"object":"error","status":404,"code":"object_not_found","message":"Could not find page","request_id":"r-1"}"#;
        let error = error_body(StatusCode::NOT_FOUND, body, Some("header-id".into()));
        assert_eq!(error.code, "object_not_found");
        assert_eq!(error.message, "Could not find page");
        assert_eq!(error.request_id.as_deref(), Some("r-1"));
    }

    #[test]
    fn html_error_body_becomes_an_error_object() {
        let body = b"<html>\n<head><title>502 Bad Gateway</title></head>\n</html>";
        let error = error_body(StatusCode::BAD_GATEWAY, body, Some("h-2".into()));
        assert_eq!(error.status, 502);
        assert_eq!(error.code, "bad_gateway");
        assert!(error.message.contains("<title>502 Bad Gateway</title>"));
        assert_eq!(error.request_id.as_deref(), Some("h-2"));
        let empty = error_body(StatusCode::from_u16(529).unwrap(), b"", None);
        assert_eq!((empty.status, empty.code.as_str()), (529, "http_error"));
    }

    #[test]
    fn statuses_sort_into_pause_backoff_or_fail() {
        let kind = |code: u16| failure_kind(StatusCode::from_u16(code).unwrap());
        for code in [429, 529] {
            assert_eq!(kind(code), FailureKind::RateLimited, "{code}");
        }
        for code in [500, 502, 503, 504] {
            assert_eq!(kind(code), FailureKind::Transient, "{code}");
        }
        for code in [400, 401, 403, 404, 409, 501] {
            assert_eq!(kind(code), FailureKind::Permanent, "{code}");
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_ignores_garbage() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert("retry-after", HeaderValue::from_static("0.5"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(500)));
        headers.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
        headers.insert("retry-after", HeaderValue::from_static("-3"));
        assert_eq!(retry_after(&headers), None);
        headers.insert("retry-after", HeaderValue::from_static("1e300"));
        assert_eq!(retry_after(&headers), Some(Duration::MAX));
        headers.insert(
            "date",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        headers.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:30:00 GMT"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(120)));
    }

    #[test]
    fn backoff_is_jittered_under_a_doubling_ceiling() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            ..RetryPolicy::default()
        };
        for failures in 1..40 {
            let ceiling = Duration::from_millis(100 * (1u64 << (failures - 1).min(20)))
                .min(Duration::from_millis(1000));
            for _ in 0..20 {
                assert!(backoff(&policy, failures) <= ceiling);
            }
        }
        let spread: std::collections::HashSet<_> = (0..20).map(|_| backoff(&policy, 5)).collect();
        assert!(spread.len() > 1, "jitter varies the delay");
    }

    /// A one-shot HTTP server on loopback that answers each connection with
    /// the next canned response, for answers the mock server never gives
    /// (529, a 200 that is not the expected object).
    async fn scripted_server(answers: Vec<(&'static str, &'static str, &'static str)>) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            for (status, headers, body) in answers {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = socket.read(&mut buf).await.unwrap();
                    request.extend_from_slice(&buf[..n]);
                }
                let answer = format!(
                    "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                socket.write_all(answer.as_bytes()).await.unwrap();
            }
        });
        url
    }

    fn client_for(url: String) -> crate::client::NotionClient {
        let config = crate::client::ClientConfig {
            base_url: url,
            retry: RetryPolicy {
                pause_jitter: Duration::from_millis(5),
                ..RetryPolicy::default()
            },
            ..crate::client::ClientConfig::default()
        };
        crate::client::NotionClient::new(crate::client::SecretToken::new("t"), config).unwrap()
    }

    #[tokio::test]
    async fn an_unexpected_body_is_a_decode_error_with_endpoint_and_request_id() {
        let url = scripted_server(vec![
            (
                "200 OK",
                "x-notion-request-id: rid-header\r\n",
                r#"{"object":"page"}"#,
            ),
            ("200 OK", "", r#"{"object":"page","request_id":"rid-body"}"#),
            ("200 OK", "", "not json"),
        ])
        .await;
        let client = client_for(url);
        for expected_id in [Some("rid-header"), Some("rid-body"), None] {
            let error = client.retrieve_page("p", &[]).await.unwrap_err();
            match &error {
                ClientError::Decode { endpoint, .. } => {
                    assert_eq!(*endpoint, Endpoint::RetrievePage)
                }
                other => panic!("{other}"),
            }
            assert_eq!(error.request_id(), expected_id, "{error}");
        }
        assert_eq!(client.stats().total.errors, 3);
    }

    #[tokio::test]
    async fn a_529_overload_pauses_and_retries() {
        let block =
            r#"{"object":"block","id":"b1","type":"divider","divider":{},"has_children":false}"#;
        let url = scripted_server(vec![
            (
                "529 Site Overloaded",
                "retry-after: 0\r\n",
                r#"{"object":"error","status":529,"code":"service_overload","message":"busy"}"#,
            ),
            ("200 OK", "", block),
        ])
        .await;
        let client = client_for(url);
        let fetched = client.retrieve_block("b1").await.unwrap();
        assert_eq!(fetched.id, "b1");
        let stats = client.stats().total;
        assert_eq!(
            (stats.requests, stats.rate_limited, stats.retries),
            (2, 1, 1)
        );
    }
}
