//! The results' journey after the agencies decided (docs/family.md): the card sent to the
//! commune and received there, the results handed to the family at the desk, or posted to their
//! home and delivered or returned. A case is closed only when the family has its results. Pure:
//! the store reads the facts, asks [`check`] and appends the step to the case's trail.

use serde::{Deserialize, Serialize};

use super::state::CaseStatus;

/// One recorded step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The insurance office sent the physical card to the commune (with a tracking number).
    CardSent,
    /// The commune received the card.
    CardReceived,
    /// The results were given to the family at the commune's desk.
    HandedOver,
    /// The commune posted the results to the family's address (with a tracking number).
    Posted,
    /// The post delivered them.
    PostDelivered,
    /// The post brought them back (nobody at the address, wrong address).
    PostReturned,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::CardSent,
        Step::CardReceived,
        Step::HandedOver,
        Step::Posted,
        Step::PostDelivered,
        Step::PostReturned,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::CardSent => "card_sent",
            Step::CardReceived => "card_received",
            Step::HandedOver => "handed_over",
            Step::Posted => "posted",
            Step::PostDelivered => "post_delivered",
            Step::PostReturned => "post_returned",
        }
    }

    /// The step a postal partner's report names: `delivered` or `returned` (its own words for
    /// what happened to the item, docs/family.md).
    pub fn from_postal_outcome(outcome: &str) -> Option<Step> {
        match outcome {
            "delivered" => Some(Step::PostDelivered),
            "returned" => Some(Step::PostReturned),
            _ => None,
        }
    }

    /// A stored name read back.
    pub fn parse(s: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether this step ends the case: the family has its results.
    pub fn closes(self) -> bool {
        matches!(self, Step::HandedOver | Step::PostDelivered)
    }

    /// Who may record it.
    pub fn recorded_by(self) -> Recorder {
        match self {
            Step::CardSent => Recorder::Insurance,
            Step::CardReceived | Step::HandedOver | Step::Posted => Recorder::Commune,
            Step::PostDelivered | Step::PostReturned => Recorder::Post,
        }
    }

    /// Whether the step needs a tracking number.
    pub fn needs_tracking(self) -> bool {
        matches!(self, Step::CardSent | Step::Posted)
    }
}

/// Who records a step: the insurance office (its staff or system), the commune (its officers
/// or one-stop system), the postal partner (its system). Operators may record any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorder {
    Insurance,
    Commune,
    Post,
}

/// What a step is checked against.
#[derive(Debug, Clone)]
pub struct Facts {
    pub status: CaseStatus,
    /// The family asked for the results by post.
    pub by_post: bool,
    /// The insurance office completed (issued a card).
    pub card_issued: bool,
    /// Steps recorded so far, oldest first.
    pub done: Vec<Step>,
}

/// Why a step cannot be recorded now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the agencies have not decided yet")]
    NoResult,
    #[error("the case is already closed")]
    Closed,
    #[error("no card was issued")]
    NoCard,
    #[error("the card has not been sent")]
    CardNotSent,
    #[error("the results were not posted")]
    NotPosted,
    #[error("the family asked for the results by post")]
    ByPost,
    #[error("the family collects the results at the commune")]
    AtCommune,
    #[error("already recorded")]
    Repeated,
    #[error("the tracking number belongs to another case")]
    TrackingInUse,
}

impl Facts {
    /// Whether the family has its results.
    pub fn closed(&self) -> bool {
        self.done.iter().any(|s| s.closes())
    }

    /// The last postal step, if any.
    fn post(&self) -> Option<Step> {
        self.done
            .iter()
            .rev()
            .copied()
            .find(|s| matches!(s, Step::Posted | Step::PostDelivered | Step::PostReturned))
    }
}

/// Whether `step` may be recorded now. A step that cannot repeat and was recorded is
/// [`Refusal::Repeated`], which callers treat as "nothing to do" (a partner re-sending).
pub fn check(f: &Facts, step: Step) -> Result<(), Refusal> {
    if !matches!(f.status, CaseStatus::Completed | CaseStatus::Rejected) {
        return Err(Refusal::NoResult);
    }
    let has = |s: Step| f.done.contains(&s);
    match step {
        Step::CardSent | Step::CardReceived if !f.card_issued => Err(Refusal::NoCard),
        Step::CardSent if has(Step::CardSent) => Err(Refusal::Repeated),
        Step::CardReceived if has(Step::CardReceived) => Err(Refusal::Repeated),
        Step::CardReceived if !has(Step::CardSent) => Err(Refusal::CardNotSent),
        Step::CardSent | Step::CardReceived => Ok(()),
        _ if f.closed() => Err(if has(step) { Refusal::Repeated } else { Refusal::Closed }),
        // At the desk: the family's choice, or after the post brought the results back.
        Step::HandedOver if f.by_post && f.post() != Some(Step::PostReturned) => Err(Refusal::ByPost),
        Step::HandedOver => Ok(()),
        Step::Posted if !f.by_post => Err(Refusal::AtCommune),
        Step::Posted if f.post() == Some(Step::Posted) => Err(Refusal::Repeated),
        Step::Posted => Ok(()),
        Step::PostDelivered | Step::PostReturned => match f.post() {
            Some(Step::Posted) => Ok(()),
            Some(last) if last == step => Err(Refusal::Repeated),
            _ => Err(Refusal::NotPosted),
        },
    }
}

/// Where the results are, as the family and the commune see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Whereabouts {
    /// The agencies have not finished.
    NotReady,
    /// Ready at the commune's desk, waiting for the family.
    AtCommune,
    /// On its way by post.
    InThePost,
    /// Back from the post, waiting at the commune.
    ReturnedByPost,
    /// The family has it.
    WithTheFamily,
}

/// Where the results are after the steps in `f`.
pub fn whereabouts(f: &Facts) -> Whereabouts {
    if !matches!(f.status, CaseStatus::Completed | CaseStatus::Rejected) {
        return Whereabouts::NotReady;
    }
    if f.closed() {
        return Whereabouts::WithTheFamily;
    }
    match f.post() {
        Some(Step::Posted) => Whereabouts::InThePost,
        Some(Step::PostReturned) => Whereabouts::ReturnedByPost,
        _ => Whereabouts::AtCommune,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn facts(by_post: bool, done: Vec<Step>) -> Facts {
        Facts {
            status: CaseStatus::Completed,
            by_post,
            card_issued: true,
            done,
        }
    }

    #[test]
    fn names_round_trip() {
        for s in Step::ALL {
            assert_eq!(Step::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn at_the_commune_the_card_comes_then_the_family() {
        let mut f = facts(false, vec![]);
        assert_eq!(check(&f, Step::CardReceived), Err(Refusal::CardNotSent));
        assert_eq!(check(&f, Step::Posted), Err(Refusal::AtCommune));
        for step in [Step::CardSent, Step::CardReceived, Step::HandedOver] {
            assert_eq!(check(&f, step), Ok(()), "{step:?}");
            f.done.push(step);
        }
        assert_eq!(whereabouts(&f), Whereabouts::WithTheFamily);
        assert_eq!(check(&f, Step::HandedOver), Err(Refusal::Repeated));
    }

    #[test]
    fn by_post_a_returned_envelope_is_collected_at_the_desk() {
        let mut f = facts(true, vec![]);
        assert_eq!(check(&f, Step::HandedOver), Err(Refusal::ByPost));
        assert_eq!(check(&f, Step::PostDelivered), Err(Refusal::NotPosted));
        f.done.push(Step::Posted);
        assert_eq!(whereabouts(&f), Whereabouts::InThePost);
        f.done.push(Step::PostReturned);
        assert_eq!(whereabouts(&f), Whereabouts::ReturnedByPost);
        assert_eq!(check(&f, Step::PostReturned), Err(Refusal::Repeated));
        assert_eq!(check(&f, Step::HandedOver), Ok(()));
        assert_eq!(check(&f, Step::Posted), Ok(()), "or posted again");
    }

    #[test]
    fn nothing_moves_before_the_result() {
        let mut f = facts(false, vec![]);
        f.status = CaseStatus::InProgress;
        for s in Step::ALL {
            assert_eq!(check(&f, s), Err(Refusal::NoResult));
        }
        f.status = CaseStatus::Rejected;
        f.card_issued = false;
        assert_eq!(check(&f, Step::CardSent), Err(Refusal::NoCard));
        assert_eq!(
            check(&f, Step::HandedOver),
            Ok(()),
            "a written refusal is handed over too"
        );
    }

    fn any_step() -> impl Strategy<Value = Step> {
        prop::sample::select(Step::ALL.to_vec())
    }

    proptest! {
        /// Whatever is attempted in whatever order, recording only what `check` allows never
        /// closes a case twice, never closes before a result, and never delivers unposted mail.
        #[test]
        fn only_allowed_steps_keep_the_journey_sound(by_post in any::<bool>(), card in any::<bool>(), tries in prop::collection::vec(any_step(), 0..30)) {
            let mut f = Facts { status: CaseStatus::Completed, by_post, card_issued: card, done: vec![] };
            for step in tries {
                if check(&f, step).is_ok() {
                    f.done.push(step);
                }
            }
            prop_assert!(f.done.iter().filter(|s| s.closes()).count() <= 1);
            let first_post = f.done.iter().position(|s| *s == Step::Posted);
            for (i, s) in f.done.iter().enumerate() {
                if matches!(s, Step::PostDelivered | Step::PostReturned) {
                    prop_assert!(first_post.is_some_and(|p| p < i));
                }
            }
            if !by_post {
                prop_assert!(!f.done.contains(&Step::Posted));
            }
            if !card {
                prop_assert!(!f.done.contains(&Step::CardSent));
            }
            if let Some(close) = f.done.iter().position(|s| s.closes()) {
                prop_assert!(f.done[close + 1..].iter().all(|s| matches!(s, Step::CardSent | Step::CardReceived)));
            }
        }
    }
}
