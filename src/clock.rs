//! The gateway's one source of "now".
//!
//! Deadlines are days long; tests cannot sleep through them. Every instant the gateway stores or
//! compares comes from a [`Clock`]: the system clock in production, or the system clock plus an
//! adjustable offset in tests, so time still flows (retries and leases work) while a test jumps
//! forward by working days at once.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use jiff::Timestamp;

/// Real time, optionally shifted by an offset that tests move.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_ms: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock { offset_ms: None }
    }

    /// A clock that starts as the system clock and can be moved; clones share the offset.
    pub fn adjustable() -> Clock {
        Clock {
            offset_ms: Some(Arc::new(AtomicI64::new(0))),
        }
    }

    /// Now, in milliseconds since the epoch.
    pub fn now_ms(&self) -> i64 {
        let real = Timestamp::now().as_millisecond();
        real + self.offset_ms.as_ref().map_or(0, |o| o.load(Ordering::SeqCst))
    }

    /// Now.
    pub fn now(&self) -> Timestamp {
        Timestamp::from_millisecond(self.now_ms()).expect("clock within jiff's range")
    }

    /// Moves an adjustable clock so that it reads `at` now. A system clock cannot be moved.
    pub fn set(&self, at: Timestamp) {
        let offset = self.offset_ms.as_ref().expect("only an adjustable clock can be set");
        offset.store(
            at.as_millisecond() - Timestamp::now().as_millisecond(),
            Ordering::SeqCst,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_adjustable_clock_jumps_and_keeps_flowing() {
        let clock = Clock::adjustable();
        let target: Timestamp = "2030-01-02T03:04:05Z".parse().unwrap();
        clock.set(target);
        let shared = clock.clone();
        let read = shared.now_ms() - target.as_millisecond();
        assert!((0..5_000).contains(&read), "read {read} ms after the target");
    }
}
