//! Notion-like rate limiting: a token bucket or a fixed budget per window,
//! and the penalty window a 429's `Retry-After` opens. A request sent while
//! that window is open is refused too and extends it.

use std::time::{Duration, Instant};

use crate::config::RateLimit;

/// The limiter's answer for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Serve the request.
    Allow,
    /// Answer 429 with `Retry-After: retry_after` seconds.
    Limited {
        /// Whole seconds to wait.
        retry_after: u64,
        /// The request came inside an open Retry-After window.
        in_penalty: bool,
    },
}

/// Rate-limit state of one server (all requests share one token, as in Notion).
#[derive(Debug)]
pub(crate) struct Limiter {
    rate: RateLimit,
    tokens: f64,
    refilled: Instant,
    window_start: Instant,
    window_used: u32,
    penalty_until: Option<Instant>,
    penalty_length: Duration,
}

impl Limiter {
    pub(crate) fn new(rate: RateLimit, now: Instant) -> Self {
        let tokens = match rate {
            RateLimit::TokenBucket { burst, .. } => f64::from(burst.max(1)),
            _ => 0.0,
        };
        Limiter {
            rate,
            tokens,
            refilled: now,
            window_start: now,
            window_used: 0,
            penalty_until: None,
            penalty_length: Duration::ZERO,
        }
    }

    /// Decides on a request arriving at `now`.
    pub(crate) fn check(&mut self, now: Instant) -> Decision {
        if let Some(until) = self.penalty_until
            && now < until
        {
            let until = until.max(now + self.penalty_length);
            self.penalty_until = Some(until);
            return Decision::Limited {
                retry_after: whole_seconds(until - now),
                in_penalty: true,
            };
        }
        let wait = match self.rate {
            RateLimit::Off => return Decision::Allow,
            RateLimit::TokenBucket { per_second, burst } => {
                let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
                self.tokens = (self.tokens + elapsed * per_second).min(f64::from(burst.max(1)));
                self.refilled = now;
                if self.tokens >= 1.0 {
                    self.tokens -= 1.0;
                    return Decision::Allow;
                }
                Duration::from_secs_f64((1.0 - self.tokens) / per_second.max(1e-9))
            }
            RateLimit::Window { budget, window } => {
                let window = window.max(Duration::from_millis(1));
                while now >= self.window_start + window {
                    self.window_start += window;
                    self.window_used = 0;
                }
                if self.window_used < budget {
                    self.window_used += 1;
                    return Decision::Allow;
                }
                self.window_start + window - now
            }
        };
        let retry_after = whole_seconds(wait);
        self.penalty_length = Duration::from_secs(retry_after);
        self.penalty_until = Some(now + self.penalty_length);
        Decision::Limited {
            retry_after,
            in_penalty: false,
        }
    }

    /// The `rate_limit_reason` Notion would give.
    pub(crate) fn reason(&self) -> &'static str {
        match self.rate {
            RateLimit::Window { .. } => "connection_window_budget",
            _ => "connection_rate_limit",
        }
    }
}

/// A wait as `Retry-After` seconds: rounded up, at least 1.
fn whole_seconds(d: Duration) -> u64 {
    d.as_secs_f64().ceil().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_bucket_allows_burst_then_limits_and_penalizes() {
        let t0 = Instant::now();
        let mut l = Limiter::new(
            RateLimit::TokenBucket {
                per_second: 2.0,
                burst: 3,
            },
            t0,
        );
        for _ in 0..3 {
            assert_eq!(l.check(t0), Decision::Allow);
        }
        assert_eq!(
            l.check(t0),
            Decision::Limited {
                retry_after: 1,
                in_penalty: false
            }
        );
        // Inside the window: refused and extended.
        let t1 = t0 + Duration::from_millis(900);
        assert_eq!(
            l.check(t1),
            Decision::Limited {
                retry_after: 1,
                in_penalty: true
            }
        );
        assert_eq!(
            l.check(t0 + Duration::from_millis(1800)),
            Decision::Limited {
                retry_after: 1,
                in_penalty: true
            }
        );
        // After the (extended) window: served again.
        assert_eq!(l.check(t0 + Duration::from_millis(2900)), Decision::Allow);
    }

    #[test]
    fn window_budget_resets_each_window() {
        let t0 = Instant::now();
        let window = Duration::from_secs(60);
        let mut l = Limiter::new(RateLimit::Window { budget: 2, window }, t0);
        assert_eq!(l.check(t0), Decision::Allow);
        assert_eq!(l.check(t0 + Duration::from_secs(10)), Decision::Allow);
        assert_eq!(
            l.check(t0 + Duration::from_secs(20)),
            Decision::Limited {
                retry_after: 40,
                in_penalty: false
            }
        );
        assert_eq!(l.check(t0 + Duration::from_secs(61)), Decision::Allow);
    }
}
