//! Dead legs sent again in bulk (docs/operations.md): the one path of `POST /api/v1/resends` and
//! of the administrator's page. A filter selects the dead legs, the longest due first; a preview
//! only counts them; a resend puts each back in the queue due one `pace_ms` after the previous,
//! so a receiver that just came back is not flooded, and records the operator and the reason in
//! each leg's trail.

use lienthong_contract::LegKind;

use super::bodies::{BulkResendAnswer, BulkResendBody};
use super::AppState;
use crate::domain::FieldProblem;
use crate::store::{DeadFilter, StoreError};

/// Most legs one bulk action takes.
pub const BULK_LIMIT: i64 = 500;
/// The pause between two resent legs unless one is asked for.
pub const DEFAULT_PACE_MS: u64 = 1000;

/// Why a bulk resend did not run.
#[derive(Debug)]
pub enum ResendError {
    /// The request itself is wrong: every problem, with its field.
    Invalid(Vec<FieldProblem>),
    Store(StoreError),
}

impl From<StoreError> for ResendError {
    fn from(e: StoreError) -> Self {
        ResendError::Store(e)
    }
}

/// Checks `body`, then previews or resends the legs it selects as `actor`.
pub async fn bulk_resend(
    state: &AppState,
    body: &BulkResendBody,
    actor: &str,
) -> Result<BulkResendAnswer, ResendError> {
    let mut problems = Vec::new();
    let leg = body.leg.as_deref().and_then(|l| {
        let kind = LegKind::parse(l);
        if kind.is_none() {
            problems.push(FieldProblem::invalid(
                "leg",
                "Chặng là residence, insurance hoặc return",
            ));
        }
        kind
    });
    let reason = body.reason.trim();
    if !body.preview && reason.is_empty() {
        problems.push(FieldProblem::invalid("reason", "Cần ghi lý do gửi lại"));
    }
    let pace = body.pace_ms.unwrap_or(DEFAULT_PACE_MS);
    if pace > 60_000 {
        problems.push(FieldProblem::invalid("pace_ms", "Tối đa 60000 ms"));
    }
    if !problems.is_empty() {
        return Err(ResendError::Invalid(problems));
    }
    let now = state.store.now_ms();
    let filter = DeadFilter {
        office_code: body.office_code.as_deref().filter(|o| !o.is_empty()),
        leg,
        error_contains: body.error_contains.as_deref().filter(|t| !t.is_empty()),
        dead_before_ms: body.dead_for_minutes.map(|m| now - i64::from(m) * 60_000),
        limit: BULK_LIMIT,
    };
    let matched = state.store.dead_legs(&filter).await?;
    let mut resent = 0;
    if !body.preview {
        for (i, (leg_id, _)) in matched.iter().enumerate() {
            let due = now + i as i64 * pace as i64;
            match state.store.resend_in_bulk(leg_id, actor, reason, due).await {
                Ok(_) => resent += 1,
                // Resent or resolved by someone else meanwhile: nothing to do for it.
                Err(StoreError::InvalidState(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        tracing::info!(
            matched = matched.len(),
            resent,
            pace_ms = pace,
            "dead legs re-queued in bulk by operator"
        );
        state.wake.notify_one();
    }
    Ok(BulkResendAnswer {
        matched: matched.len(),
        resent,
        preview: body.preview,
        legs: matched.into_iter().map(|(l, _)| l).collect(),
    })
}
