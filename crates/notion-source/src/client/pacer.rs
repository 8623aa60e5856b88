//! The pacer: the one rate limiter every request of a client waits on, and
//! the client-wide pause a 429/529 `Retry-After` imposes.
//!
//! A request takes a permit from a `governor` GCRA limiter before it is
//! sent; while a pause is open nobody takes one, and a permit granted while
//! a pause began is thrown away and taken again after it, so no request goes
//! out inside a `Retry-After` window. Repeated rate-limit episodes lower the
//! pace for the rest of the run: the limiter is swapped for a slower one
//! that starts empty.

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use rand::RngExt;
use tokio::time::Instant;

use super::config::RetryPolicy;

/// Builds the GCRA quota: one permit every `spacing`, `burst` at once.
pub(crate) fn quota(spacing: Duration, burst: u32) -> Quota {
    let spacing = spacing.max(Duration::from_nanos(1));
    let burst = std::num::NonZeroU32::new(burst.max(1)).expect("burst is at least 1");
    Quota::with_period(spacing)
        .expect("spacing is above zero")
        .allow_burst(burst)
}

/// The shared limiter and pause state of one client.
#[derive(Debug)]
pub(crate) struct Pacer {
    limiter: RwLock<Arc<DefaultDirectRateLimiter>>,
    state: Mutex<State>,
    burst: u32,
    slowest_spacing: Duration,
    slowdown: f64,
    pause_jitter: Duration,
}

#[derive(Debug)]
struct State {
    /// Current spacing between permits.
    spacing: Duration,
    /// No request may be sent before this instant.
    paused_until: Option<Instant>,
    /// Total time covered by pauses (overlaps counted once).
    paused_total: Duration,
    /// Rate-limit episodes so far (429s that arrived outside a pause).
    episodes: u32,
}

impl Pacer {
    /// A pacer that spaces permits `spacing` apart with `burst` at once.
    pub(crate) fn new(spacing: Duration, burst: u32, policy: &RetryPolicy) -> Pacer {
        let min_rate = if policy.min_rate.is_finite() && policy.min_rate > 0.0 {
            policy.min_rate
        } else {
            RetryPolicy::default().min_rate
        };
        let slowdown = if policy.slowdown > 0.0 && policy.slowdown <= 1.0 {
            policy.slowdown
        } else {
            RetryPolicy::default().slowdown
        };
        Pacer {
            limiter: RwLock::new(Arc::new(RateLimiter::direct(quota(spacing, burst)))),
            state: Mutex::new(State {
                spacing,
                paused_until: None,
                paused_total: Duration::ZERO,
                episodes: 0,
            }),
            burst,
            // Never slow below min_rate, nor below the configured pace.
            slowest_spacing: Duration::from_secs_f64(1.0 / min_rate).max(spacing),
            slowdown,
            pause_jitter: policy.pause_jitter,
        }
    }

    /// Waits until a request may be sent: no pause open and a permit taken.
    pub(crate) async fn acquire(&self) {
        loop {
            while let Some(until) = self.paused_until() {
                tokio::time::sleep_until(until).await;
            }
            let limiter = self.limiter.read().expect("limiter lock").clone();
            limiter.until_ready().await;
            if self.paused_until().is_none() {
                return;
            }
        }
    }

    /// Opens (or extends) the client-wide pause for `retry_after` plus a
    /// little jitter. The second and later episodes also slow the pace.
    /// Returns the new rate when it changed.
    pub(crate) fn pause(&self, retry_after: Duration) -> Option<f64> {
        let jitter = self
            .pause_jitter
            .mul_f64(rand::rng().random_range(0.0..=1.0));
        let now = Instant::now();
        let until = now + retry_after + jitter;
        let mut state = self.state.lock().expect("pacer lock");
        let open_until = state.paused_until.filter(|&u| u > now);
        let new_episode = open_until.is_none();
        let covered_from = open_until.unwrap_or(now);
        if until > covered_from {
            state.paused_total += until - covered_from;
            state.paused_until = Some(until);
        }
        if !new_episode {
            return None;
        }
        state.episodes += 1;
        if state.episodes < 2 || state.spacing >= self.slowest_spacing {
            return None;
        }
        state.spacing = state
            .spacing
            .div_f64(self.slowdown)
            .min(self.slowest_spacing);
        let slower = RateLimiter::direct(quota(state.spacing, self.burst));
        // Start empty: the pace resumes after the pause without a burst.
        let _ = slower.check_n(std::num::NonZeroU32::new(self.burst).expect("burst >= 1"));
        *self.limiter.write().expect("limiter lock") = Arc::new(slower);
        Some(1.0 / state.spacing.as_secs_f64())
    }

    /// The rate the limiter allows now, in requests per second.
    pub(crate) fn rate_per_second(&self) -> f64 {
        1.0 / self.state.lock().expect("pacer lock").spacing.as_secs_f64()
    }

    /// Time covered by pauses so far.
    pub(crate) fn paused_total(&self) -> Duration {
        self.state.lock().expect("pacer lock").paused_total
    }

    fn paused_until(&self) -> Option<Instant> {
        let until = self.state.lock().expect("pacer lock").paused_until?;
        (until > Instant::now()).then_some(until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::config::RateLimit;
    use governor::clock::{Clock, FakeRelativeClock};
    use proptest::prelude::*;

    /// Takes `count` permits as early as the limiter allows, on a fake clock,
    /// and returns their times.
    fn greedy_permit_times(rate: &RateLimit, count: usize) -> Vec<Duration> {
        let (spacing, burst) = rate.pace().unwrap();
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::direct_with_clock(quota(spacing, burst), clock.clone());
        let start = clock.now();
        let mut times = Vec::with_capacity(count);
        while times.len() < count {
            match limiter.check() {
                Ok(()) => times.push(Duration::from(clock.now()) - Duration::from(start)),
                Err(not_until) => clock.advance(not_until.wait_time_from(clock.now())),
            }
        }
        times
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// No sliding window of the configured length ever holds more than the
        /// budget, and the pace stays within a few percent of it.
        #[test]
        fn window_budget_is_never_exceeded(budget in 1u32..400, window_secs in 1u64..120) {
            let window = Duration::from_secs(window_secs);
            let rate = RateLimit::Window { budget, window };
            let times = greedy_permit_times(&rate, budget as usize * 3);
            for (i, &start) in times.iter().enumerate() {
                let in_window = times[i..].iter().take_while(|&&t| t <= start + window).count();
                prop_assert!(in_window <= budget as usize,
                    "{in_window} permits in a window from {start:?}, budget {budget}");
            }
            if budget >= 10 {
                let span = *times.last().unwrap() - times[0];
                let achieved = (times.len() - 1) as f64 / span.as_secs_f64();
                let budget_rate = budget as f64 / window.as_secs_f64();
                prop_assert!(achieved >= budget_rate * 0.85, "{achieved} vs {budget_rate}");
            }
        }
    }

    #[test]
    fn per_second_rate_is_kept_after_the_burst() {
        let rate = RateLimit::PerSecond {
            per_second: 3.0,
            burst: 2,
        };
        let times = greedy_permit_times(&rate, 32);
        assert_eq!(times[0], times[1], "the burst goes at once");
        let span = (times[31] - times[1]).as_secs_f64();
        assert!((span - 30.0 / 3.0).abs() < 0.01, "30 spacings took {span}s");
    }

    #[tokio::test]
    async fn second_episode_slows_down_and_pauses_add_up() {
        let policy = RetryPolicy {
            pause_jitter: Duration::ZERO,
            ..RetryPolicy::default()
        };
        let pacer = Pacer::new(Duration::from_millis(1), 1, &policy);
        assert!((pacer.rate_per_second() - 1000.0).abs() < 1e-6);

        assert_eq!(
            pacer.pause(Duration::from_millis(30)),
            None,
            "first episode"
        );
        // Inside the same pause: same episode, the pause is only extended.
        assert_eq!(pacer.pause(Duration::from_millis(40)), None);
        let started = std::time::Instant::now();
        pacer.acquire().await;
        assert!(started.elapsed() >= Duration::from_millis(35));
        let paused = pacer.paused_total();
        assert!(paused >= Duration::from_millis(40) && paused < Duration::from_millis(60));

        let slower = pacer.pause(Duration::from_millis(1)).expect("slows down");
        assert!((slower - 800.0).abs() < 1e-6, "{slower}");
        tokio::time::sleep(Duration::from_millis(5)).await;
        for _ in 0..100 {
            pacer.pause(Duration::ZERO);
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert!((pacer.rate_per_second() - policy.min_rate).abs() < 1e-9);
    }
}
