//! Recording agency decisions: the one path of the systems' signed callback, the staff's inbox
//! form and the gateway's check-back of a decision whose callback never arrived
//! (docs/reconciliation.md). Whatever the channel, a decision is validated by
//! [`crate::domain::decision::parse`], stored once (the same decision again changes nothing, a
//! different one on a decided leg is refused) and, when it asks for a supplement, stops the
//! clocks as the case's regime says.

use lienthong_contract::AttachmentMeta;
use serde_json::Value;

use crate::deadline::{pause, Calendar, Paused};
use crate::domain::decision::{self, Decision};
use crate::domain::results;
use crate::domain::state::LegState;
use crate::domain::FieldProblem;
use crate::store::{DecisionApplied, LegView, NewDecision, Store, StoreError};

/// Why a decision was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    /// The decision itself is wrong: every problem, with its JSON path.
    #[error("invalid decision ({} problems)", .0.len())]
    Invalid(Vec<FieldProblem>),
    /// The store refused it (another decision already, a cancelled case) or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a recorded decision did.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub to: LegState,
    pub applied: DecisionApplied,
}

/// Validates `body` as a decision on `leg` and records it as `actor`'s, with the documents the
/// agency issued with it (their bytes already checked and stored by the channel that brought
/// them; docs/result-documents.md) and the officer who decided, when known
/// (docs/accountability.md).
pub async fn record(
    store: &Store,
    calendar: &Calendar,
    leg: &LegView,
    actor: &str,
    body: &Value,
    documents: &[AttachmentMeta],
    decided_by: Option<&str>,
) -> Result<Recorded, DecisionError> {
    let Decision { to, result, reason } = decision::parse(leg.name, body).map_err(DecisionError::Invalid)?;
    let problems = results::check_kinds(leg.name, to, documents);
    if !problems.is_empty() {
        return Err(DecisionError::Invalid(problems));
    }
    let paused = if to == LegState::NeedsSupplement {
        pause_of(store, calendar, leg).await?
    } else {
        None
    };
    let applied = store
        .record_decision(
            &leg.id,
            actor,
            NewDecision {
                to,
                result: &result,
                reason: &reason,
                pause: paused.as_ref(),
                documents,
                decided_by,
            },
        )
        .await?;
    if applied.changed {
        tracing::info!(case_id = %applied.case_id, leg = %leg.name, state = to.as_str(), actor, "decision recorded");
    }
    Ok(Recorded { to, applied })
}

/// What the leg's and the case's clocks have left now, for a leg about to wait on the family.
async fn pause_of(store: &Store, calendar: &Calendar, leg: &LegView) -> Result<Option<Paused>, StoreError> {
    let Some(case) = store.case(&leg.case_id).await? else {
        return Ok(None);
    };
    let (Some(regime), Some(leg_due), Some(case_due)) = (&case.regime, leg.due_day, case.due_day) else {
        return Ok(None);
    };
    Ok(Some(pause(calendar, regime, store.clock().now(), leg_due, case_due)))
}
