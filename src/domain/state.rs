//! The leg state machine and the case status derived from its legs.
//!
//! A case has three legs: `residence` and `insurance` go out in parallel at intake; `return`
//! waits until both agencies completed, or one rejected, then carries the combined result to the
//! commune. The case status is final (`completed` / `rejected`) only once that result is back at
//! the commune, because until then the family cannot be given it.

use serde::{Deserialize, Serialize};

/// Where one leg is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegState {
    Waiting,
    Queued,
    Delivering,
    Delivered,
    Completed,
    Rejected,
    NeedsSupplement,
    Dead,
}

impl LegState {
    /// Every state, for exhaustive tests.
    pub const ALL: [LegState; 8] = [
        LegState::Waiting,
        LegState::Queued,
        LegState::Delivering,
        LegState::Delivered,
        LegState::Completed,
        LegState::Rejected,
        LegState::NeedsSupplement,
        LegState::Dead,
    ];

    /// The stable name in the store and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            LegState::Waiting => "waiting",
            LegState::Queued => "queued",
            LegState::Delivering => "delivering",
            LegState::Delivered => "delivered",
            LegState::Completed => "completed",
            LegState::Rejected => "rejected",
            LegState::NeedsSupplement => "needs_supplement",
            LegState::Dead => "dead",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Self> {
        LegState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// True while the leg's deadline clock runs: it is with the gateway or its agency, not
    /// decided and not waiting on the family.
    pub fn clock_runs(self) -> bool {
        matches!(
            self,
            LegState::Queued | LegState::Delivering | LegState::Delivered | LegState::Dead
        )
    }

    /// True while a decision from the receiver can still be accepted: the receiver may decide as
    /// soon as it holds every file, possibly before the gateway has read its final receipt.
    pub fn accepts_decision(self) -> bool {
        matches!(self, LegState::Queued | LegState::Delivering | LegState::Delivered)
    }

    /// True once the receiver has answered the dossier: nothing of this round is left to send.
    pub fn is_decided(self) -> bool {
        matches!(
            self,
            LegState::Completed | LegState::Rejected | LegState::NeedsSupplement
        )
    }
}

impl std::fmt::Display for LegState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Allowed transitions. Anything else is a bug or a stale writer and is refused.
pub fn can_move(from: LegState, to: LegState) -> bool {
    use LegState::*;
    matches!(
        (from, to),
        (Waiting, Queued)
            | (Queued, Delivering)
            | (Delivering, Queued | Delivered | Dead)
            | (Dead, Queued | Delivered)
            | (Queued | Delivering | Delivered, Completed | Rejected | NeedsSupplement)
            | (NeedsSupplement, Queued)
    )
}

/// What one check-back found (docs/reconciliation.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOutcome {
    /// The agency holds the record and has not decided yet.
    Pending,
    /// The agency had decided; its decision is now recorded.
    Recovered,
    /// The agency did not answer (time-out, 5xx, refused connection).
    Unreachable,
    /// The agency answered something the gateway cannot apply: an invalid decision, one that
    /// conflicts with what is recorded, no such record.
    Refused,
}

impl CheckOutcome {
    /// Every outcome, for parsing.
    pub const ALL: [CheckOutcome; 4] = [
        CheckOutcome::Pending,
        CheckOutcome::Recovered,
        CheckOutcome::Unreachable,
        CheckOutcome::Refused,
    ];

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Self> {
        CheckOutcome::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// The stable name in the store and the metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckOutcome::Pending => "pending",
            CheckOutcome::Recovered => "recovered",
            CheckOutcome::Unreachable => "unreachable",
            CheckOutcome::Refused => "refused",
        }
    }
}

/// How one delivery attempt ended: the attempt log and the metrics name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// Every file confirmed: the leg is delivered.
    Delivered,
    /// Failed; tried again after a backoff.
    Retry,
    /// Failed for good: the leg is dead until an operator acts.
    Dead,
}

impl AttemptOutcome {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptOutcome::Delivered => "delivered",
            AttemptOutcome::Retry => "retry",
            AttemptOutcome::Dead => "dead",
        }
    }

    /// The leg's state after an attempt that ended so.
    pub fn leg_state(self) -> LegState {
        match self {
            AttemptOutcome::Delivered => LegState::Delivered,
            AttemptOutcome::Retry => LegState::Queued,
            AttemptOutcome::Dead => LegState::Dead,
        }
    }
}

/// The combined outcome once the agencies have spoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Completed,
    Rejected,
}

impl Outcome {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Rejected => "rejected",
        }
    }
}

/// When the return leg should go: both agencies completed, or either rejected.
pub fn return_outcome(residence: LegState, insurance: LegState) -> Option<Outcome> {
    if residence == LegState::Rejected || insurance == LegState::Rejected {
        Some(Outcome::Rejected)
    } else if residence == LegState::Completed && insurance == LegState::Completed {
        Some(Outcome::Completed)
    } else {
        None
    }
}

/// Status of a whole case as the commune and the family see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    InProgress,
    Completed,
    Rejected,
    NeedsSupplement,
    Cancelled,
    /// The family withdrew the dossier; the agencies were told (docs/family.md).
    Withdrawn,
}

impl CaseStatus {
    /// Every status, for exhaustive tests and parsing.
    pub const ALL: [CaseStatus; 6] = [
        CaseStatus::InProgress,
        CaseStatus::Completed,
        CaseStatus::Rejected,
        CaseStatus::NeedsSupplement,
        CaseStatus::Cancelled,
        CaseStatus::Withdrawn,
    ];

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Self> {
        CaseStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// True while the case's deadline clock runs (not finished, not cancelled).
    pub fn clock_runs(self) -> bool {
        matches!(self, CaseStatus::InProgress | CaseStatus::NeedsSupplement)
    }

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::InProgress => "in_progress",
            CaseStatus::Completed => "completed",
            CaseStatus::Rejected => "rejected",
            CaseStatus::NeedsSupplement => "needs_supplement",
            CaseStatus::Cancelled => "cancelled",
            CaseStatus::Withdrawn => "withdrawn",
        }
    }
}

impl std::fmt::Display for CaseStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Derives the case status from its three legs.
pub fn case_status(residence: LegState, insurance: LegState, ret: LegState) -> CaseStatus {
    if ret == LegState::Delivered {
        return match return_outcome(residence, insurance) {
            Some(Outcome::Completed) => CaseStatus::Completed,
            _ => CaseStatus::Rejected,
        };
    }
    if return_outcome(residence, insurance).is_none()
        && (residence == LegState::NeedsSupplement || insurance == LegState::NeedsSupplement)
    {
        return CaseStatus::NeedsSupplement;
    }
    CaseStatus::InProgress
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn state() -> impl Strategy<Value = LegState> {
        prop::sample::select(LegState::ALL.to_vec())
    }

    #[test]
    fn names_round_trip() {
        for st in LegState::ALL {
            assert_eq!(LegState::parse(st.as_str()), Some(st));
        }
        for st in CaseStatus::ALL {
            assert_eq!(CaseStatus::parse(st.as_str()), Some(st));
        }
        assert_eq!(LegState::parse("Queued"), None);
    }

    #[test]
    fn terminal_states_never_move() {
        for to in LegState::ALL {
            assert!(!can_move(LegState::Completed, to));
            assert!(!can_move(LegState::Rejected, to));
        }
    }

    /// Delivered means every file was confirmed by the receiver's receipt — or, from `dead`
    /// only, that an operator resolved it by hand with a recorded reason.
    #[test]
    fn a_leg_reaches_delivered_only_through_delivering_or_an_operator() {
        for from in LegState::ALL {
            assert_eq!(
                can_move(from, LegState::Delivered),
                matches!(from, LegState::Delivering | LegState::Dead)
            );
        }
    }

    proptest! {
        /// Any walk through allowed moves from `queued` never lands in `waiting` and never
        /// leaves a terminal state.
        #[test]
        fn walks_respect_the_machine(steps in prop::collection::vec(state(), 0..40)) {
            let mut at = LegState::Queued;
            for to in steps {
                if can_move(at, to) {
                    prop_assert!(at != LegState::Completed && at != LegState::Rejected);
                    at = to;
                }
                prop_assert!(at != LegState::Waiting);
            }
        }

        #[test]
        fn status_is_final_only_after_the_return_leg(r in state(), i in state(), ret in state()) {
            let s = case_status(r, i, ret);
            let is_final = matches!(s, CaseStatus::Completed | CaseStatus::Rejected);
            prop_assert_eq!(is_final, ret == LegState::Delivered);
            if s == CaseStatus::Completed {
                prop_assert!(r == LegState::Completed && i == LegState::Completed);
            }
        }

        #[test]
        fn one_rejection_is_enough_to_return(r in state(), i in state()) {
            let out = return_outcome(r, i);
            if r == LegState::Rejected || i == LegState::Rejected {
                prop_assert_eq!(out, Some(Outcome::Rejected));
            } else if r != LegState::Completed || i != LegState::Completed {
                prop_assert_eq!(out, None);
            }
        }
    }
}
