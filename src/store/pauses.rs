//! Receiving systems an administrator paused (docs/operations.md, "Pausing a receiving
//! system"). A pause is in force from its start until it is resumed or its end time passes;
//! every pause stays as a row, the record of who paused and resumed what, when and why.

use super::columns::col;
use super::{Store, StoreError};

/// One pause in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pause {
    pub id: i64,
    pub office_code: String,
    pub reason: String,
    pub paused_by: String,
    pub paused_at: i64,
    pub until: Option<i64>,
}

impl Store {
    /// Pauses deliveries to `office` until `until` (none: until resumed); a pause already in
    /// force is replaced by this one.
    pub async fn pause_office(
        &self,
        office: &str,
        reason: &str,
        until: Option<i64>,
        actor: &str,
    ) -> Result<(), StoreError> {
        let now = self.now_ms();
        let mut tx = self.write.begin().await?;
        close_open(&mut tx, office, actor, now).await?;
        sqlx::query(
            "INSERT INTO office_pauses (office_code, reason, paused_by, paused_at, until) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(office)
        .bind(reason)
        .bind(actor)
        .bind(now)
        .bind(until)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends the pause of `office` and makes its waiting deliveries due now; false when none was
    /// in force.
    pub async fn resume_office(&self, office: &str, actor: &str) -> Result<bool, StoreError> {
        let now = self.now_ms();
        let mut tx = self.write.begin().await?;
        let ended = close_open(&mut tx, office, actor, now).await?;
        sqlx::query(
            "UPDATE deliveries SET due_at = $1 WHERE status = 'pending' AND due_at > $1
               AND leg_id IN (SELECT id FROM legs WHERE office_code = $2)",
        )
        .bind(now)
        .bind(office)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// The pauses in force at `now`.
    pub async fn active_pauses(&self, now: i64) -> Result<Vec<Pause>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, office_code, reason, paused_by, paused_at, until FROM office_pauses
             WHERE resumed_at IS NULL AND (until IS NULL OR until > $1) ORDER BY office_code",
        )
        .bind(now)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Pause {
                    id: col(r, "id")?,
                    office_code: col(r, "office_code")?,
                    reason: col(r, "reason")?,
                    paused_by: col(r, "paused_by")?,
                    paused_at: col(r, "paused_at")?,
                    until: col(r, "until")?,
                })
            })
            .collect()
    }
}

/// Marks the pause of `office` in force (if any) resumed by `actor`; whether there was one.
async fn close_open(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    office: &str,
    actor: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE office_pauses SET resumed_by = $1, resumed_at = $2
         WHERE office_code = $3 AND resumed_at IS NULL AND (until IS NULL OR until > $2)",
    )
    .bind(actor)
    .bind(now)
    .bind(office)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}
