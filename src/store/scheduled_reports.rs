//! Scheduled reports, once per period across gateway processes (docs/accountability.md): a
//! process takes the period's lease, sends, and records it sent; a lease that expires (the
//! process died, the relay was down) lets the next try take it.

use super::{Store, StoreError};

impl Store {
    /// Takes the lease of `period` for `lease_ms` if it was not sent and nobody holds it.
    pub async fn claim_scheduled_report(&self, period: &str, lease_ms: i64) -> Result<bool, StoreError> {
        let now = self.now_ms();
        sqlx::query("INSERT INTO scheduled_reports (period) VALUES ($1) ON CONFLICT (period) DO NOTHING")
            .bind(period)
            .execute(&self.write)
            .await?;
        let taken = sqlx::query(
            "UPDATE scheduled_reports SET lease_until = $1, attempts = attempts + 1
             WHERE period = $2 AND sent_at IS NULL AND (lease_until IS NULL OR lease_until < $3)",
        )
        .bind(now + lease_ms)
        .bind(period)
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(taken.rows_affected() == 1)
    }

    /// Records the outcome of a try: sent, or the error (the lease then runs out for a retry).
    pub async fn scheduled_report_tried(&self, period: &str, error: Option<&str>) -> Result<(), StoreError> {
        let now = self.now_ms();
        let sent = error.is_none().then_some(now);
        sqlx::query("UPDATE scheduled_reports SET sent_at = $1, last_error = $2 WHERE period = $3")
            .bind(sent)
            .bind(error)
            .bind(period)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}
