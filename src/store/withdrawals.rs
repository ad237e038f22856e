//! Withdrawals (docs/family.md): the family withdraws the dossier; in one transaction the case
//! becomes `withdrawn`, its pending deliveries stop, and every agency leg that may hold the
//! dossier gets a withdrawal to deliver, leased and retried like deliveries.

use lienthong_contract::LegKind;

use super::columns::{self, col};
use super::{Store, StoreError};
use crate::domain::state::{AttemptOutcome, CaseStatus, LegState};
use crate::domain::CaseId;

/// A withdrawal to tell an agency.
#[derive(Debug, Clone)]
pub struct WithdrawalJob {
    pub leg_id: String,
    pub case_id: String,
    pub kind: LegKind,
    pub office_code: String,
    pub endpoint: String,
    pub reason: String,
    pub attempts: i64,
    pub created_at_ms: i64,
}

impl Store {
    /// Records the family's withdrawal of a running case: the legs still open at an agency are
    /// told through their own withdrawal delivery. [`StoreError::InvalidState`] once the case
    /// finished (a finished case has nothing to withdraw).
    pub async fn withdraw_case(&self, case_id: &str, reason: &str, actor: &str) -> Result<usize, StoreError> {
        let now = self.now_ms();
        let mut tx = self.begin_case(case_id).await?;
        super::views::stop_running_case(&mut tx, case_id, CaseStatus::Withdrawn, now, actor, reason).await?;
        // Every agency leg not decided may hold the dossier (or be about to: a delivery in
        // flight); a receiver that never got it answers "no such envelope", which is done too.
        let open: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM legs WHERE case_id = $1 AND name IN ($2, $3) AND state NOT IN ($4, $5, $6)",
        )
        .bind(case_id)
        .bind(LegKind::Residence.as_str())
        .bind(LegKind::Insurance.as_str())
        .bind(LegState::Waiting.as_str())
        .bind(LegState::Completed.as_str())
        .bind(LegState::Rejected.as_str())
        .fetch_all(&mut *tx)
        .await?;
        for leg_id in &open {
            sqlx::query(
                "INSERT INTO withdrawals (leg_id, case_id, reason, status, due_at, created_at)
                 VALUES ($1, $2, $3, 'pending', $4, $4) ON CONFLICT (leg_id) DO NOTHING",
            )
            .bind(leg_id)
            .bind(case_id)
            .bind(reason)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(open.len())
    }

    /// Leases due withdrawals, waiting for any delivery of the same leg still in flight (so the
    /// withdrawal arrives after the envelope, never before it).
    pub async fn claim_withdrawals(&self, limit: i64, lease_ms: i64) -> Result<Vec<WithdrawalJob>, StoreError> {
        let now = self.now_ms();
        let claimed: Vec<String> = sqlx::query_scalar(&format!(
            "UPDATE withdrawals SET status = 'leased', lease_until = $1, attempts = attempts + 1
             WHERE leg_id IN (
               SELECT w.leg_id FROM withdrawals w
               WHERE ((w.status = 'pending' AND w.due_at <= $2) OR (w.status = 'leased' AND w.lease_until < $2))
                 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.leg_id = w.leg_id
                                 AND d.status = 'leased' AND d.lease_until >= $2)
               ORDER BY w.due_at LIMIT $3{})
             RETURNING leg_id",
            self.dialect.skip_locked()
        ))
        .bind(now + lease_ms)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.write)
        .await?;
        let mut jobs = Vec::with_capacity(claimed.len());
        for leg_id in claimed {
            let r = sqlx::query(
                "SELECT w.leg_id, w.case_id, w.reason, w.attempts, w.created_at, l.name, l.office_code, l.endpoint
                 FROM withdrawals w JOIN legs l ON l.id = w.leg_id WHERE w.leg_id = $1",
            )
            .bind(&leg_id)
            .fetch_one(&self.write)
            .await?;
            jobs.push(WithdrawalJob {
                leg_id: col(&r, "leg_id")?,
                case_id: col(&r, "case_id")?,
                kind: columns::leg_kind(&r, "name")?,
                office_code: col(&r, "office_code")?,
                endpoint: col(&r, "endpoint")?,
                reason: col(&r, "reason")?,
                attempts: col(&r, "attempts")?,
                created_at_ms: col(&r, "created_at")?,
            });
        }
        Ok(jobs)
    }

    /// The agency was told.
    pub async fn withdrawal_done(&self, leg_id: &str) -> Result<(), StoreError> {
        let now = self.now_ms();
        let case_id: CaseId = sqlx::query_scalar("SELECT case_id FROM withdrawals WHERE leg_id = $1")
            .bind(leg_id)
            .fetch_one(&self.write)
            .await?;
        let mut tx = self.begin_case(&case_id).await?;
        sqlx::query(
            "UPDATE withdrawals SET status = 'done', done_at = $1, lease_until = NULL, last_error = NULL WHERE leg_id = $2",
        )
        .bind(now)
        .bind(leg_id)
        .execute(&mut *tx)
        .await?;
        super::trail::fact(
            &mut tx,
            &case_id,
            Some(leg_id),
            now,
            "gateway",
            "withdrawal",
            AttemptOutcome::Delivered.as_str(),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A failed attempt: retried at `retry_at`, or dead for an operator when `None`.
    pub async fn withdrawal_failed(&self, leg_id: &str, error: &str, retry_at: Option<i64>) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE withdrawals SET status = CASE WHEN $1 IS NULL THEN 'dead' ELSE 'pending' END,
                    due_at = COALESCE($1, due_at), lease_until = NULL, last_error = $2
             WHERE leg_id = $3",
        )
        .bind(retry_at)
        .bind(error)
        .bind(leg_id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Withdrawals still to deliver and dead ones: (pending or retrying, dead).
    pub async fn withdrawal_counts(&self) -> Result<(i64, i64), StoreError> {
        let r = sqlx::query(
            "SELECT COUNT(CASE WHEN status IN ('pending', 'leased') THEN 1 END) AS open,
                    COUNT(CASE WHEN status = 'dead' THEN 1 END) AS dead FROM withdrawals",
        )
        .fetch_one(&self.read)
        .await?;
        Ok((col(&r, "open")?, col(&r, "dead")?))
    }
}
