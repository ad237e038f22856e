//! Check-back bookkeeping (docs/reconciliation.md): which delivered legs are due to be asked
//! about at their agency, a claim so that one process asks at a time, and what each check found.

use lienthong_contract::LegKind;

use super::columns::{self, col, named, parsed};
use super::trail::fact;
use super::{Store, StoreError};
pub use crate::domain::state::CheckOutcome;
use crate::domain::{CaseId, LegId};
use lienthong_contract::ReceiptCode;

/// A delivered leg whose decision is due to be checked back.
#[derive(Debug, Clone)]
pub struct CheckDue {
    pub leg_id: LegId,
    pub case_id: CaseId,
    pub kind: LegKind,
    pub office_code: String,
    pub endpoint: String,
    /// Checks made since the leg was last delivered.
    pub checks: u32,
    /// The due time as read, which the claim compares against.
    seen_due_at: Option<i64>,
    /// What the previous check found.
    pub last_outcome: Option<CheckOutcome>,
}

/// A delivered leg past its check-back time without a decision, for the dashboard.
#[derive(Debug, Clone)]
pub struct UndecidedLeg {
    pub leg_id: LegId,
    pub case_id: CaseId,
    pub receipt_code: ReceiptCode,
    pub name: LegKind,
    pub office_code: String,
    pub delivered_at_ms: i64,
    pub checks: i64,
    pub checked_at_ms: Option<i64>,
    pub outcome: Option<CheckOutcome>,
    pub detail: Option<String>,
}

/// One check as the case page lists it.
#[derive(Debug, Clone)]
pub struct CheckView {
    pub leg_id: LegId,
    pub at_ms: i64,
    pub outcome: CheckOutcome,
    pub detail: Option<String>,
}

/// When a leg's wait for its decision started: the last delivery (older rows: `delivered_at`).
const WAIT_FROM: &str = "COALESCE(l.check_from, l.delivered_at, l.updated_at)";

impl Store {
    /// Delivered legs of `kind` whose check is due at `now`: never checked and delivered at least
    /// `after_ms` ago, or due again. Oldest first.
    pub async fn due_checks(&self, kind: LegKind, after_ms: i64, limit: i64) -> Result<Vec<CheckDue>, StoreError> {
        let now = self.now_ms();
        let rows = sqlx::query(&format!(
            "SELECT l.id, l.case_id, l.office_code, l.endpoint, l.check_count, l.check_due_at, l.check_outcome
             FROM legs l WHERE l.state = 'delivered' AND l.name = $1
               AND COALESCE(l.check_due_at, {WAIT_FROM} + $2) <= $3
             ORDER BY COALESCE(l.check_due_at, {WAIT_FROM} + $4) LIMIT $5"
        ))
        .bind(kind.as_str())
        .bind(after_ms)
        .bind(now)
        .bind(after_ms)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CheckDue {
                    leg_id: col(r, "id")?,
                    case_id: col(r, "case_id")?,
                    kind,
                    office_code: col(r, "office_code")?,
                    endpoint: col(r, "endpoint")?,
                    checks: col::<i64>(r, "check_count")?.max(0) as u32,
                    seen_due_at: col(r, "check_due_at")?,
                    last_outcome: columns::check_outcome_opt(r, "check_outcome")?,
                })
            })
            .collect()
    }

    /// Claims a due check until `lease_until_ms`: true for exactly one of several processes that
    /// read the same row. A process that dies mid-check leaves the claim to lapse.
    pub async fn claim_check(&self, due: &CheckDue, lease_until_ms: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE legs SET check_due_at = $1 WHERE id = $2 AND state = 'delivered' AND COALESCE(check_due_at, -1) = $3",
        )
        .bind(lease_until_ms)
        .bind(&due.leg_id)
        .bind(due.seen_due_at.unwrap_or(-1))
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Puts a due check off without making it (the office's breaker is open).
    pub async fn defer_check(&self, due: &CheckDue, until_ms: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE legs SET check_due_at = $1 WHERE id = $2 AND COALESCE(check_due_at, -1) = $3")
            .bind(until_ms)
            .bind(&due.leg_id)
            .bind(due.seen_due_at.unwrap_or(-1))
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Records what a claimed check found and when the next one is due. The case's trail gets a
    /// `check_back` event when the finding changed since the previous check (a leg the agency
    /// keeps silent on does not flood the timeline).
    pub async fn finish_check(
        &self,
        due: &CheckDue,
        outcome: CheckOutcome,
        detail: Option<&str>,
        next_due_ms: i64,
    ) -> Result<(), StoreError> {
        let now = self.now_ms();
        let mut tx = self.begin_leg(&due.leg_id).await?;
        sqlx::query(
            "UPDATE legs SET check_due_at = $1, check_count = check_count + 1, checked_at = $2, check_outcome = $3,
             check_detail = $4 WHERE id = $5",
        )
        .bind(next_due_ms)
        .bind(now)
        .bind(outcome.as_str())
        .bind(detail)
        .bind(&due.leg_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO check_backs (leg_id, at, outcome, detail) VALUES ($1, $2, $3, $4)")
            .bind(&due.leg_id)
            .bind(now)
            .bind(outcome.as_str())
            .bind(detail)
            .execute(&mut *tx)
            .await?;
        if due.last_outcome != Some(outcome) {
            fact(
                &mut tx,
                &due.case_id,
                Some(&due.leg_id),
                now,
                "gateway",
                "check_back",
                outcome.as_str(),
                detail,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Delivered legs past their first check-back time without a decision, oldest delivery
    /// first, with what their last check found; and how many there are in all.
    pub async fn undecided_legs(
        &self,
        residence_after_ms: i64,
        insurance_after_ms: i64,
        limit: i64,
    ) -> Result<(Vec<UndecidedLeg>, i64), StoreError> {
        let now = self.now_ms();
        let filter = format!(
            "l.state = 'delivered' AND (
               (l.name = 'residence' AND {WAIT_FROM} + $1 <= $2) OR (l.name = 'insurance' AND {WAIT_FROM} + $3 <= $4))"
        );
        let rows = sqlx::query(&format!(
            "SELECT l.id, l.case_id, c.receipt_code, l.name, l.office_code, {WAIT_FROM} AS waiting_from,
                    l.check_count, l.checked_at, l.check_outcome, l.check_detail
             FROM legs l JOIN cases c ON c.id = l.case_id WHERE {filter}
             ORDER BY waiting_from LIMIT $5"
        ))
        .bind(residence_after_ms)
        .bind(now)
        .bind(insurance_after_ms)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM legs l WHERE {filter}"))
            .bind(residence_after_ms)
            .bind(now)
            .bind(insurance_after_ms)
            .bind(now)
            .fetch_one(&self.read)
            .await?;
        let legs = rows
            .iter()
            .map(|r| {
                Ok(UndecidedLeg {
                    leg_id: col(r, "id")?,
                    case_id: col(r, "case_id")?,
                    receipt_code: parsed(r, "receipt_code")?,
                    name: columns::leg_kind(r, "name")?,
                    office_code: col(r, "office_code")?,
                    delivered_at_ms: col(r, "waiting_from")?,
                    checks: col(r, "check_count")?,
                    checked_at_ms: col(r, "checked_at")?,
                    outcome: columns::check_outcome_opt(r, "check_outcome")?,
                    detail: col(r, "check_detail")?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok((legs, total))
    }

    /// Checks made since `since_ms`, by outcome, for the dashboard.
    pub async fn check_counts_since(&self, since_ms: i64) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query("SELECT outcome, COUNT(*) AS n FROM check_backs WHERE at >= $1 GROUP BY outcome")
            .bind(since_ms)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(|r| Ok((col(r, "outcome")?, col(r, "n")?))).collect()
    }

    /// Every check made on a case's legs, oldest first.
    pub async fn case_checks(&self, case_id: &str) -> Result<Vec<CheckView>, StoreError> {
        let rows = sqlx::query(
            "SELECT b.leg_id, b.at, b.outcome, b.detail FROM check_backs b JOIN legs l ON l.id = b.leg_id
             WHERE l.case_id = $1 ORDER BY b.id",
        )
        .bind(case_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CheckView {
                    leg_id: col(r, "leg_id")?,
                    at_ms: col(r, "at")?,
                    outcome: named(r, "outcome", CheckOutcome::parse)?,
                    detail: col(r, "detail")?,
                })
            })
            .collect()
    }
}
