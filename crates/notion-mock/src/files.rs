//! Notion-hosted file URLs: signed like S3 presigned URLs that expire after
//! an hour. The server re-signs every hosted URL in every answer with a new
//! signature and a fresh `expiry_time`, as Notion does, so a client that
//! stores one learns quickly that it must not.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::ids::stable_hash;

/// How long a signed URL lives.
const EXPIRES_SECS: i64 = 3600;

/// `url` (any query dropped) signed as of `at` (RFC 3339), the signature
/// derived from `salt` and `at`.
pub(crate) fn sign(url: &str, salt: &str, at: &str) -> String {
    let base = url.split('?').next().unwrap_or(url);
    let time = DateTime::parse_from_rfc3339(at)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|_| Utc::now());
    let signature = format!(
        "{:016x}{:016x}",
        stable_hash(&[base.as_bytes(), salt.as_bytes(), at.as_bytes()]),
        stable_hash(&[at.as_bytes(), salt.as_bytes()])
    );
    format!(
        "{base}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD\
         &X-Amz-Credential=ASIAMOCKMOCKMOCK%2F{day}%2Fus-west-2%2Fs3%2Faws4_request\
         &X-Amz-Date={stamp}&X-Amz-Expires={EXPIRES_SECS}&X-Amz-Signature={signature}\
         &X-Amz-SignedHeaders=host&x-id=GetObject",
        day = time.format("%Y%m%d"),
        stamp = time.format("%Y%m%dT%H%M%SZ"),
    )
}

/// The `expiry_time` of a URL signed at `at`.
pub(crate) fn expiry(at: &str) -> String {
    let time = DateTime::parse_from_rfc3339(at)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|_| Utc::now());
    (time + Duration::seconds(EXPIRES_SECS)).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Re-signs every Notion-hosted file (`{"type": "file", "file": {url,
/// expiry_time}}`) inside `value` as of now, with a signature never used before.
pub(crate) fn resign_all(value: &mut Value) {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    match value {
        Value::Object(map) => {
            let hosted = map.get("type").and_then(Value::as_str) == Some("file")
                && map.get("file").is_some_and(|f| f.get("url").is_some());
            if hosted {
                let now = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
                let salt = COUNTER.fetch_add(1, Ordering::Relaxed).to_string();
                let file = &mut map["file"];
                let url = file["url"].as_str().unwrap_or_default().to_string();
                file["url"] = json!(sign(&url, &salt, &now));
                file["expiry_time"] = json!(expiry(&now));
            }
            map.values_mut().for_each(resign_all);
        }
        Value::Array(items) => items.iter_mut().for_each(resign_all),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resigning_changes_signature_and_expiry() {
        let at = "2026-01-05T09:00:00.000Z";
        let url = sign("https://files.example/a.png", "x", at);
        let mut v =
            json!({"image": {"type": "file", "file": {"url": url, "expiry_time": expiry(at)}}});
        let before = v.clone();
        resign_all(&mut v);
        let first = v.clone();
        resign_all(&mut v);
        assert_ne!(
            before["image"]["file"]["url"],
            first["image"]["file"]["url"]
        );
        assert_ne!(first["image"]["file"]["url"], v["image"]["file"]["url"]);
        assert!(
            v["image"]["file"]["url"]
                .as_str()
                .unwrap()
                .starts_with("https://files.example/a.png?")
        );
        let exp = DateTime::parse_from_rfc3339(v["image"]["file"]["expiry_time"].as_str().unwrap())
            .unwrap();
        let ahead = exp.with_timezone(&Utc) - Utc::now();
        assert!(ahead > Duration::minutes(59) && ahead <= Duration::minutes(60));
    }
}
