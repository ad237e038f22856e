//! A circuit breaker per receiving endpoint.
//!
//! After `failure_threshold` consecutive failures the endpoint is left alone for `open_ms`; then
//! one trial delivery goes through (half-open). Its success closes the breaker; its failure opens
//! it again. Deliveries refused by an open breaker are deferred, not counted as attempts, so a
//! system that is down does not burn every leg's retry budget.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::config::BreakerConfig;

/// The state of one endpoint's breaker; time is passed in, so the rules are pure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed { failures: u32 },
    Open { until_ms: i64 },
    HalfOpen { trial_until_ms: i64 },
}

impl BreakerState {
    /// May a delivery go now? `Err` carries when to ask again.
    pub fn check(&mut self, now_ms: i64, cfg: &BreakerConfig) -> Result<(), i64> {
        match *self {
            BreakerState::Closed { .. } => Ok(()),
            BreakerState::Open { until_ms } if now_ms >= until_ms => {
                *self = BreakerState::HalfOpen {
                    trial_until_ms: now_ms + cfg.open_ms as i64,
                };
                Ok(())
            }
            BreakerState::Open { until_ms } => Err(until_ms),
            // A trial that never reported back (its worker died) frees the slot after a while.
            BreakerState::HalfOpen { trial_until_ms } if now_ms >= trial_until_ms => {
                *self = BreakerState::HalfOpen {
                    trial_until_ms: now_ms + cfg.open_ms as i64,
                };
                Ok(())
            }
            BreakerState::HalfOpen { trial_until_ms } => Err(trial_until_ms),
        }
    }

    /// A delivery to the endpoint worked.
    pub fn success(&mut self) {
        *self = BreakerState::Closed { failures: 0 };
    }

    /// A delivery to the endpoint failed at the transport or with a 5xx.
    pub fn failure(&mut self, now_ms: i64, cfg: &BreakerConfig) {
        *self = match *self {
            BreakerState::Closed { failures } if failures + 1 < cfg.failure_threshold => {
                BreakerState::Closed { failures: failures + 1 }
            }
            _ => BreakerState::Open {
                until_ms: now_ms + cfg.open_ms as i64,
            },
        };
    }
}

/// The breakers of every endpoint.
pub struct Breakers {
    cfg: BreakerConfig,
    states: Mutex<HashMap<String, BreakerState>>,
}

impl Breakers {
    /// Breakers with the configured thresholds.
    pub fn new(cfg: BreakerConfig) -> Self {
        Breakers {
            cfg,
            states: Mutex::new(HashMap::new()),
        }
    }

    fn with<T>(&self, endpoint: &str, f: impl FnOnce(&mut BreakerState, &BreakerConfig) -> T) -> T {
        let mut states = self.states.lock().unwrap_or_else(|p| p.into_inner());
        let st = states
            .entry(endpoint.to_string())
            .or_insert(BreakerState::Closed { failures: 0 });
        f(st, &self.cfg)
    }

    /// See [`BreakerState::check`].
    pub fn check(&self, endpoint: &str, now_ms: i64) -> Result<(), i64> {
        self.with(endpoint, |s, c| s.check(now_ms, c))
    }

    /// See [`BreakerState::success`].
    pub fn success(&self, endpoint: &str) {
        self.with(endpoint, |s, _| s.success());
    }

    /// See [`BreakerState::failure`].
    pub fn failure(&self, endpoint: &str, now_ms: i64) {
        self.with(endpoint, |s, c| s.failure(now_ms, c));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CFG: BreakerConfig = BreakerConfig {
        failure_threshold: 3,
        open_ms: 1000,
    };

    #[test]
    fn opens_after_threshold_then_lets_one_trial_through() {
        let mut b = BreakerState::Closed { failures: 0 };
        for _ in 0..3 {
            assert!(b.check(0, &CFG).is_ok());
            b.failure(0, &CFG);
        }
        assert_eq!(b.check(500, &CFG), Err(1000));
        assert!(b.check(1000, &CFG).is_ok());
        assert!(b.check(1001, &CFG).is_err(), "only one trial while half-open");
        b.success();
        assert!(b.check(1002, &CFG).is_ok());
    }

    proptest! {
        /// Whatever happened before, a success closes the breaker, and an open breaker never
        /// lets a delivery through before its time.
        #[test]
        fn success_closes_and_open_holds(events in prop::collection::vec(any::<bool>(), 0..50)) {
            let mut b = BreakerState::Closed { failures: 0 };
            let mut now = 0i64;
            for ok in events {
                now += 100;
                if let BreakerState::Open { until_ms } = b {
                    prop_assert_eq!(b.check(now, &CFG).is_ok(), now >= until_ms);
                }
                if ok { b.success() } else { b.failure(now, &CFG) }
            }
            b.success();
            prop_assert!(b.check(now, &CFG).is_ok());
        }
    }
}
