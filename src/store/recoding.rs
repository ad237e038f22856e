//! Cases received under a commune code a merger retired move to the commune that took it over
//! (docs/accountability.md, "Communes merged and recoded"): the case row's unit changes, the
//! bundle keeps the code it was received under, and the move is a fact in the case's trail.
//! Complaints filed under the old code follow.

use super::{trail, Store, StoreError};

/// Who the trail names for a move made from the routing table.
const ACTOR: &str = "system:routes";

impl Store {
    /// Moves every case of each `(retired, successor)` pair to the successor, one transaction per
    /// case; returns how many moved. Safe to run from several processes at once: the conditional
    /// update decides which one records the move.
    pub async fn recode_communes(&self, pairs: &[(String, String)]) -> Result<u64, StoreError> {
        let mut moved = 0;
        for (retired, successor) in pairs {
            let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM cases WHERE commune_code = $1")
                .bind(retired)
                .fetch_all(&self.write)
                .await?;
            for id in ids {
                let mut tx = self.begin_case(&id).await?;
                let done = sqlx::query("UPDATE cases SET commune_code = $1 WHERE id = $2 AND commune_code = $3")
                    .bind(successor)
                    .bind(&id)
                    .bind(retired)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 1 {
                    let reason = format!("{retired} → {successor}");
                    let now = self.now_ms();
                    trail::fact(
                        &mut tx,
                        &id,
                        None,
                        now,
                        ACTOR,
                        "commune_recoded",
                        successor,
                        Some(&reason),
                    )
                    .await?;
                    moved += 1;
                }
                tx.commit().await?;
            }
            sqlx::query("UPDATE complaints SET commune_code = $1 WHERE commune_code = $2")
                .bind(successor)
                .bind(retired)
                .execute(&self.write)
                .await?;
        }
        Ok(moved)
    }
}
