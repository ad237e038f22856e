//! The per-token request budget: a token bucket holding up to `burst` requests, refilled at
//! `per_minute`. Pure (time comes in as milliseconds), so its bound is property-tested; the web
//! layer keeps one bucket per token (and per login name on the sign-in page) in memory, so with
//! several gateway instances each grants the full budget (documented in docs/security.md).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Buckets by key (a token id, a login name), each with the budget the caller passes.
#[derive(Default)]
pub struct Limiter {
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// Keys kept before buckets that refilled completely are forgotten (they equal a new one).
const PRUNE_AT: usize = 10_000;

impl Limiter {
    /// Takes one request for `key`, or says how long until one is available.
    pub fn take(&self, key: &str, now_ms: i64, per_minute: u32, burst: u32) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().expect("rate buckets");
        if buckets.len() >= PRUNE_AT {
            buckets.retain(|_, b| !b.refilled(now_ms, per_minute, burst));
        }
        buckets
            .entry(key.to_string())
            .or_insert_with(|| Bucket::full(burst, now_ms))
            .take(now_ms, per_minute, burst)
    }
}

impl Limiter {
    /// Whether `key` has a request left now, without taking it: for budgets that only failures
    /// spend (a right answer costs nothing, a wrong one takes a request with [`Limiter::take`]).
    pub fn check(&self, key: &str, now_ms: i64, per_minute: u32, burst: u32) -> Result<(), Duration> {
        let buckets = self.buckets.lock().expect("rate buckets");
        match buckets.get(key) {
            Some(bucket) => {
                let mut copy = *bucket;
                copy.take(now_ms, per_minute, burst)
            }
            None => Ok(()),
        }
    }
}

/// One token's bucket.
#[derive(Debug, Clone, Copy)]
pub struct Bucket {
    /// Requests available now, in thousandths (integers keep the arithmetic exact).
    milli: u64,
    last_ms: i64,
}

impl Bucket {
    /// A full bucket: a caller that was quiet may send `burst` requests at once.
    pub fn full(burst: u32, now_ms: i64) -> Bucket {
        Bucket {
            milli: u64::from(burst) * 1000,
            last_ms: now_ms,
        }
    }

    /// Whether the bucket would be full at `now_ms` (it can be forgotten).
    fn refilled(&self, now_ms: i64, per_minute: u32, burst: u32) -> bool {
        let elapsed = u64::try_from(now_ms - self.last_ms).unwrap_or(0);
        self.milli
            .saturating_add(elapsed.saturating_mul(u64::from(per_minute)) / 60)
            >= u64::from(burst) * 1000
    }

    /// Takes one request, or says how long until one is available.
    pub fn take(&mut self, now_ms: i64, per_minute: u32, burst: u32) -> Result<(), Duration> {
        let elapsed = u64::try_from(now_ms - self.last_ms).unwrap_or(0);
        let refill = elapsed.saturating_mul(u64::from(per_minute)) / 60;
        self.milli = self.milli.saturating_add(refill).min(u64::from(burst) * 1000);
        if refill > 0 || now_ms < self.last_ms {
            self.last_ms = now_ms;
        }
        if self.milli >= 1000 {
            self.milli -= 1000;
            return Ok(());
        }
        let missing = 1000 - self.milli;
        let per_minute = u64::from(per_minute.max(1));
        Err(Duration::from_millis((missing * 60).div_ceil(per_minute)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_burst_then_the_rate() {
        let mut b = Bucket::full(3, 0);
        assert!((0..3).all(|_| b.take(0, 60, 3).is_ok()));
        let wait = b.take(0, 60, 3).unwrap_err();
        assert_eq!(wait, Duration::from_secs(1));
        assert!(b.take(999, 60, 3).is_err());
        assert!(b.take(1000, 60, 3).is_ok());
    }

    #[test]
    fn checking_spends_nothing_and_sees_what_taking_spent() {
        let limiter = Limiter::default();
        for _ in 0..5 {
            assert!(limiter.check("a", 0, 1, 2).is_ok());
        }
        assert!(limiter.take("a", 0, 1, 2).is_ok());
        assert!(limiter.take("a", 0, 1, 2).is_ok());
        assert!(limiter.check("a", 0, 1, 2).is_err());
        assert!(limiter.check("b", 0, 1, 2).is_ok());
        assert!(limiter.check("a", 60_000, 1, 2).is_ok());
    }

    proptest! {
        /// Over any run of requests, no more are granted than the burst plus what the rate refilled.
        #[test]
        fn never_more_than_burst_plus_rate(
            per_minute in 1u32..5000,
            burst in 1u32..100,
            gaps in proptest::collection::vec(0i64..2000, 1..300),
        ) {
            let mut b = Bucket::full(burst, 0);
            let (mut now, mut granted) = (0i64, 0u64);
            for gap in gaps {
                now += gap;
                if b.take(now, per_minute, burst).is_ok() {
                    granted += 1;
                }
            }
            let bound = u64::from(burst) + (now as u64) * u64::from(per_minute) / 60_000;
            prop_assert!(granted <= bound, "granted {} > bound {}", granted, bound);
        }

        /// Waiting as long as a refusal says is always enough.
        #[test]
        fn waiting_retry_after_is_enough(per_minute in 1u32..5000, burst in 1u32..50, start in 0i64..100_000) {
            let mut b = Bucket::full(burst, start);
            let mut now = start;
            let wait = loop {
                match b.take(now, per_minute, burst) {
                    Ok(()) => now += 1,
                    Err(w) => break w,
                }
            };
            prop_assert!(b.take(now + wait.as_millis() as i64, per_minute, burst).is_ok());
        }
    }
}
