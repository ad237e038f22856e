//! When an alert starts, reminds and clears (docs/alerts.md): pure, so any sequence of
//! observations can be checked against the promise of one message when a condition starts and
//! one when it clears.

/// Where one condition stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The condition does not hold.
    Quiet,
    /// It holds since `since` but not yet for as long as it must before it alerts.
    Pending { since: i64 },
    /// It alerted; `notified_at` is the start or the last reminder.
    Active { since: i64, notified_at: i64 },
    /// It alerted and has not held since `gone_since`, not yet for as long as a clear needs.
    Clearing {
        since: i64,
        notified_at: i64,
        gone_since: i64,
    },
}

/// A condition's phase and how many times it has started (each start is an episode, which
/// names its messages so that several processes send each one once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tracked {
    pub phase: Phase,
    pub episode: i64,
}

impl Tracked {
    /// A condition never seen.
    pub const NEW: Tracked = Tracked {
        phase: Phase::Quiet,
        episode: 0,
    };
}

/// A message to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    Start,
    Reminder,
    Clear,
}

impl Message {
    /// The name used in message keys and webhook bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            Message::Start => "start",
            Message::Reminder => "reminder",
            Message::Clear => "clear",
        }
    }
}

/// How long a condition must hold before it alerts, how long it must be gone before it clears
/// (one observation that it is gone — a request that happened to succeed, a read that came
/// early — clears nothing), and how often an active one reminds (`None`: never).
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub hold_for_ms: i64,
    pub clear_after_ms: i64,
    pub remind_every_ms: Option<i64>,
}

/// The next phase of a condition observed to `hold` (or not) at `now`, and the message it sends.
pub fn step(t: Tracked, holds: bool, now: i64, timing: Timing) -> (Tracked, Option<Message>) {
    let start = |since: i64| {
        (
            Tracked {
                phase: Phase::Active {
                    since,
                    notified_at: now,
                },
                episode: t.episode + 1,
            },
            Some(Message::Start),
        )
    };
    let quiet = Tracked {
        phase: Phase::Quiet,
        episode: t.episode,
    };
    match (t.phase, holds) {
        (Phase::Quiet, false) => (t, None),
        (Phase::Quiet, true) if timing.hold_for_ms <= 0 => start(now),
        (Phase::Quiet, true) => (
            Tracked {
                phase: Phase::Pending { since: now },
                episode: t.episode,
            },
            None,
        ),
        (Phase::Pending { since }, true) if now - since >= timing.hold_for_ms => start(since),
        (Phase::Pending { .. }, true) => (t, None),
        (Phase::Pending { .. }, false) => (quiet, None),
        (Phase::Active { .. }, false) if timing.clear_after_ms <= 0 => (quiet, Some(Message::Clear)),
        (Phase::Active { since, notified_at }, false) => (
            Tracked {
                phase: Phase::Clearing {
                    since,
                    notified_at,
                    gone_since: now,
                },
                episode: t.episode,
            },
            None,
        ),
        (Phase::Clearing { gone_since, .. }, false) if now - gone_since >= timing.clear_after_ms => {
            (quiet, Some(Message::Clear))
        }
        (Phase::Clearing { .. }, false) => (t, None),
        (Phase::Clearing { since, notified_at, .. }, true) => (
            Tracked {
                phase: Phase::Active { since, notified_at },
                episode: t.episode,
            },
            None,
        ),
        (Phase::Active { since, notified_at }, true) => match timing.remind_every_ms {
            Some(every) if now - notified_at >= every => (
                Tracked {
                    phase: Phase::Active {
                        since,
                        notified_at: now,
                    },
                    episode: t.episode,
                },
                Some(Message::Reminder),
            ),
            _ => (t, None),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TIMING: Timing = Timing {
        hold_for_ms: 10,
        clear_after_ms: 5,
        remind_every_ms: Some(100),
    };

    #[test]
    fn blips_stay_silent_and_a_long_outage_starts_once_and_clears_once() {
        let mut t = Tracked::NEW;
        let mut sent = Vec::new();
        let seen = [
            (0, true),
            (5, true),
            (6, false),
            (20, true),
            (30, true),
            (40, false), // gone once...
            (41, true),  // ...and back: no clear, no new start
            (50, false),
            (56, false),
        ];
        for (now, holds) in seen {
            let (next, m) = step(t, holds, now, TIMING);
            t = next;
            sent.extend(m.map(|m| (now, m)));
        }
        assert_eq!(sent, [(30, Message::Start), (56, Message::Clear)]);
        assert_eq!(t.episode, 1);
    }

    proptest! {
        #[test]
        fn starts_and_clears_alternate_and_reminders_are_spaced(
            observations in proptest::collection::vec((1i64..40, any::<bool>()), 0..200),
        ) {
            let mut t = Tracked::NEW;
            let mut now = 0;
            let mut active = false;
            let mut last_notice = i64::MIN;
            let mut starts = 0;
            for (gap, holds) in observations {
                now += gap;
                let (next, m) = step(t, holds, now, TIMING);
                match m {
                    Some(Message::Start) => {
                        prop_assert!(!active, "a start while active");
                        active = true;
                        starts += 1;
                        last_notice = now;
                    }
                    Some(Message::Clear) => {
                        prop_assert!(active, "a clear without a start");
                        prop_assert!(!holds);
                        let Phase::Clearing { gone_since, .. } = t.phase else {
                            return Err(TestCaseError::fail("a clear straight from active"));
                        };
                        prop_assert!(now - gone_since >= 5, "cleared before it was gone long enough");
                        active = false;
                    }
                    Some(Message::Reminder) => {
                        prop_assert!(active && holds);
                        prop_assert!(now - last_notice >= 100, "reminders too close");
                        last_notice = now;
                    }
                    None => {}
                }
                prop_assert_eq!(matches!(next.phase, Phase::Active { .. } | Phase::Clearing { .. }), active);
                t = next;
            }
            prop_assert_eq!(t.episode, starts);
        }
    }
}
