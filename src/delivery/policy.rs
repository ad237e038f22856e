//! When to retry a failed delivery and when to give up.
//!
//! Delays come from `backon`'s exponential schedule with jitter, so retries from many legs to a
//! recovering system spread out instead of arriving together. The attempt count and the age of
//! the retry budget are stored with the delivery, so the schedule survives restarts.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

use crate::config::RetryConfig;

/// The retry policy from configuration.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    cfg: RetryConfig,
}

impl RetryPolicy {
    /// A policy with the configured limits.
    pub fn new(cfg: RetryConfig) -> Self {
        RetryPolicy { cfg }
    }

    /// The wait after the `attempt`-th failed attempt (1-based).
    pub fn delay_after(&self, attempt: u32) -> Duration {
        let max = Duration::from_millis(self.cfg.max_delay_ms);
        let mut schedule = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(self.cfg.min_delay_ms))
            .with_max_delay(max)
            .with_factor(self.cfg.factor)
            .with_jitter()
            .with_max_times(attempt.max(1) as usize)
            .build();
        schedule.nth(attempt.max(1) as usize - 1).unwrap_or(max)
    }

    /// True when no further attempt is allowed.
    pub fn exhausted(&self, attempts: u32, age: Duration) -> bool {
        attempts >= self.cfg.max_attempts || age >= Duration::from_secs(self.cfg.max_age_minutes * 60)
    }
}

/// When to check back again on a leg that has been checked `checks` times without a decision:
/// the first wait doubled for each check so far, never longer than `max_ms` (an agency that is
/// slow to decide is asked less and less often, but at least every `max_ms`).
pub fn check_back_wait(first_ms: u64, max_ms: u64, checks: u32) -> Duration {
    let doubled = first_ms.saturating_mul(1u64 << checks.min(32));
    Duration::from_millis(doubled.min(max_ms.max(first_ms)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn policy() -> RetryPolicy {
        RetryPolicy::new(RetryConfig {
            min_delay_ms: 100,
            max_delay_ms: 10_000,
            factor: 2.0,
            max_attempts: 5,
            max_age_minutes: 60,
        })
    }

    #[test]
    fn limits_end_the_budget() {
        let p = policy();
        assert!(!p.exhausted(4, Duration::from_secs(10)));
        assert!(p.exhausted(5, Duration::from_secs(10)));
        assert!(p.exhausted(1, Duration::from_secs(3600)));
    }

    proptest! {
        /// Check-back waits never shrink, never pass the cap, and start at the first wait.
        #[test]
        fn check_back_waits_grow_to_the_cap(first in 1u64..10_000_000, cap in 1u64..100_000_000, n in 0u32..80) {
            let a = check_back_wait(first, cap, n);
            let b = check_back_wait(first, cap, n + 1);
            prop_assert!(b >= a);
            prop_assert!(a <= Duration::from_millis(cap.max(first)));
            prop_assert_eq!(check_back_wait(first, cap, 0), Duration::from_millis(first));
        }

        /// Delays start at the minimum, never exceed twice the cap (jitter included), and the
        /// un-jittered floor grows with the attempt number.
        #[test]
        fn delays_stay_within_bounds(attempt in 1u32..40) {
            let p = policy();
            let d = p.delay_after(attempt);
            let floor = (100u64 << (attempt - 1).min(20)).min(10_000);
            prop_assert!(d >= Duration::from_millis(floor), "{d:?} below {floor}");
            prop_assert!(d <= Duration::from_millis(20_000));
        }
    }
}
