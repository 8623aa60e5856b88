//! Notion's clock as the client sees it: the `Date` header of the first and
//! of the newest successful answer. Notion cuts edit times to the minute on
//! its own clock, so a runner measures "edited since the last run" on this
//! clock rather than the local one, which may be minutes off.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use reqwest::header::{DATE, HeaderMap};

/// The server times seen so far.
#[derive(Debug, Default)]
pub(crate) struct ServerClock {
    /// (first, newest) `Date` of a successful answer.
    seen: Mutex<Option<(DateTime<Utc>, DateTime<Utc>)>>,
}

impl ServerClock {
    /// Takes in the `Date` of a successful answer that just arrived.
    pub(crate) fn record(&self, date: DateTime<Utc>) {
        let mut seen = self.seen.lock().expect("clock lock");
        let first = seen.map_or(date, |(first, _)| first);
        *seen = Some((first, date));
    }

    /// The `Date` of the first successful answer.
    pub(crate) fn first(&self) -> Option<DateTime<Utc>> {
        self.seen
            .lock()
            .expect("clock lock")
            .map(|(first, _)| first)
    }

    /// The `Date` of the newest successful answer.
    pub(crate) fn last(&self) -> Option<DateTime<Utc>> {
        self.seen.lock().expect("clock lock").map(|(_, last)| last)
    }
}

/// The answer's `Date` header (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub(crate) fn http_date(headers: &HeaderMap) -> Option<DateTime<Utc>> {
    let text = headers.get(DATE)?.to_str().ok()?;
    DateTime::parse_from_rfc2822(text.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn dates_parse_and_first_stays_first() {
        let mut headers = HeaderMap::new();
        assert_eq!(http_date(&headers), None);
        headers.insert(
            DATE,
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
        );
        let date = http_date(&headers).unwrap();
        assert_eq!(date.to_rfc3339(), "1994-11-06T08:49:37+00:00");

        let clock = ServerClock::default();
        assert_eq!((clock.first(), clock.last()), (None, None));
        clock.record(date);
        let later = date + chrono::TimeDelta::seconds(5);
        clock.record(later);
        assert_eq!((clock.first(), clock.last()), (Some(date), Some(later)));
    }
}
