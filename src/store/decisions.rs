//! Agency decisions in the store (docs/reconciliation.md): recording one on its leg, queueing the
//! return leg when the agencies have spoken, and re-deriving the case status — each inside the
//! transaction that changes the leg, so a crash never leaves a decided case without its return.

use crate::domain::CaseId;
use lienthong_contract::{AttachmentMeta, LegKind};
use sqlx::{Any, Transaction};

use super::cases::leg_view;
use super::columns::{self, col};
use super::delivery::{close_delivery, move_leg};
use super::result_documents::attach;
use super::trail::event;
use super::{Store, StoreError};
use crate::deadline::Paused;
use crate::domain::state::{case_status, return_outcome, CaseStatus, LegState};

/// What a decision changed.
#[derive(Debug, Clone)]
pub struct DecisionApplied {
    pub case_id: CaseId,
    /// False when the same decision was already recorded (a repeated callback).
    pub changed: bool,
    pub case_status: CaseStatus,
}

/// A validated decision to record on a leg.
pub struct NewDecision<'a> {
    /// The leg's next state.
    pub to: LegState,
    /// The decision in its canonical JSON.
    pub result: &'a serde_json::Value,
    /// A short reason for the trail.
    pub reason: &'a str,
    /// What the clocks had left, for a leg that now waits on the family.
    pub pause: Option<&'a Paused>,
    /// The documents the agency issued with it (their bytes already stored).
    pub documents: &'a [AttachmentMeta],
    /// Who decided (`user:<login>`, `<system>:<officer>`), when known.
    pub decided_by: Option<&'a str>,
}

/// The legs of one case as read inside a transaction.
struct CaseLegs(Vec<(String, LegKind, LegState)>);

impl CaseLegs {
    async fn read(tx: &mut Transaction<'_, Any>, case_id: &str) -> Result<CaseLegs, StoreError> {
        let rows = sqlx::query("SELECT id, name, state FROM legs WHERE case_id = $1")
            .bind(case_id)
            .fetch_all(&mut **tx)
            .await?;
        let legs = rows
            .iter()
            .map(|r| {
                Ok((
                    col(r, "id")?,
                    columns::leg_kind(r, "name")?,
                    columns::leg_state(r, "state")?,
                ))
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(CaseLegs(legs))
    }

    fn find(&self, kind: LegKind) -> Option<&(String, LegKind, LegState)> {
        self.0.iter().find(|(_, k, _)| *k == kind)
    }

    fn state(&self, kind: LegKind) -> LegState {
        self.find(kind).map_or(LegState::Waiting, |(_, _, s)| *s)
    }

    fn status(&self) -> CaseStatus {
        case_status(
            self.state(LegKind::Residence),
            self.state(LegKind::Insurance),
            self.state(LegKind::Return),
        )
    }
}

/// A case's stored status.
async fn stored_status(tx: &mut Transaction<'_, Any>, case_id: &str) -> Result<CaseStatus, StoreError> {
    let text: String = sqlx::query_scalar("SELECT status FROM cases WHERE id = $1")
        .bind(case_id)
        .fetch_one(&mut **tx)
        .await?;
    columns::parse_case_status(text)
}

/// Re-derives the case status from its legs, recording a change.
pub(super) async fn refresh_case_status(
    tx: &mut Transaction<'_, Any>,
    case_id: &str,
    now: i64,
    actor: &str,
) -> Result<CaseStatus, StoreError> {
    let current = stored_status(tx, case_id).await?;
    if current == CaseStatus::Cancelled {
        return Ok(current);
    }
    let status = CaseLegs::read(tx, case_id).await?.status();
    if status != current {
        // The result reached the commune: from now on it waits for the family (docs/family.md).
        let result_at = matches!(status, CaseStatus::Completed | CaseStatus::Rejected).then_some(now);
        sqlx::query("UPDATE cases SET status = $1, updated_at = $2, result_at = $3 WHERE id = $4")
            .bind(status.as_str())
            .bind(now)
            .bind(result_at)
            .bind(case_id)
            .execute(&mut **tx)
            .await?;
        event(
            tx,
            case_id,
            None,
            now,
            actor,
            Some(current.as_str()),
            status.as_str(),
            None,
        )
        .await?;
    }
    Ok(status)
}

/// Queues the return leg when both agencies completed, or one rejected (once: a leg already
/// queued does not move again).
async fn queue_return_if_due(tx: &mut Transaction<'_, Any>, case_id: &str, now: i64) -> Result<(), StoreError> {
    let legs = CaseLegs::read(tx, case_id).await?;
    let Some(outcome) = return_outcome(legs.state(LegKind::Residence), legs.state(LegKind::Insurance)) else {
        return Ok(());
    };
    let Some((ret_id, _, ret_state)) = legs.find(LegKind::Return) else {
        return Ok(());
    };
    if move_leg(
        tx,
        case_id,
        ret_id,
        *ret_state,
        LegState::Queued,
        now,
        "gateway",
        Some(outcome.as_str()),
    )
    .await?
    {
        sqlx::query(
            "INSERT INTO deliveries (leg_id, status, due_at, created_at, updated_at) VALUES ($1, 'pending', $2, $3, $4)",
        )
        .bind(ret_id)
        .bind(now)
        .bind(now)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

impl Store {
    /// Records a receiver's decision on a leg. Repeating the same decision changes nothing; a
    /// different decision on a decided leg is refused. When both agencies completed, or one
    /// rejected, the return leg is queued in the same transaction.
    pub async fn record_decision(
        &self,
        leg_id: &str,
        actor: &str,
        decision: NewDecision<'_>,
    ) -> Result<DecisionApplied, StoreError> {
        let NewDecision {
            to,
            result,
            reason,
            pause,
            documents,
            decided_by,
        } = decision;
        let now = self.now_ms();
        let mut tx = self.begin_leg(leg_id).await?;
        let row = sqlx::query("SELECT * FROM legs WHERE id = $1")
            .bind(leg_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let leg = leg_view(&row)?;
        let status = stored_status(&mut tx, &leg.case_id).await?;
        if leg.state == to && leg.result.as_ref() == Some(result) {
            // The same decision again, perhaps now with its documents (the first came by
            // check-back): they are kept while the result has not left for the commune.
            let late = attach(&mut tx, &leg.case_id, leg_id, now, actor, documents).await?;
            if late > 0 {
                let returned = CaseLegs::read(&mut tx, &leg.case_id).await?.state(LegKind::Return);
                if !matches!(returned, LegState::Waiting | LegState::Queued) {
                    return Err(StoreError::Conflict("the result already left for the commune"));
                }
                tx.commit().await?;
            }
            return Ok(DecisionApplied {
                case_id: leg.case_id,
                changed: false,
                case_status: status,
            });
        }
        if !leg.state.accepts_decision() || status == CaseStatus::Cancelled {
            return Err(StoreError::InvalidState(leg.state.as_str().to_string()));
        }
        move_leg(&mut tx, &leg.case_id, leg_id, leg.state, to, now, actor, Some(reason)).await?;
        attach(&mut tx, &leg.case_id, leg_id, now, actor, documents).await?;
        if let (LegState::NeedsSupplement, Some(paused)) = (to, pause) {
            Store::pause_leg(&mut tx, leg_id, now, paused).await?;
        }
        let completed_at = matches!(to, LegState::Completed | LegState::Rejected).then_some(now);
        sqlx::query(
            "UPDATE legs SET result = $1, completed_at = $2, delivered_at = COALESCE(delivered_at, $3), last_error = NULL,
             decided_by = $4 WHERE id = $5",
        )
        .bind(result.to_string())
        .bind(completed_at)
        .bind(now)
        .bind(decided_by)
        .bind(leg_id)
        .execute(&mut *tx)
        .await?;
        close_delivery(&mut tx, leg_id, now).await?;
        queue_return_if_due(&mut tx, &leg.case_id, now).await?;
        let case_status = refresh_case_status(&mut tx, &leg.case_id, now, actor).await?;
        tx.commit().await?;
        Ok(DecisionApplied {
            case_id: leg.case_id,
            changed: true,
            case_status,
        })
    }
}
