//! The police's request to verify a dossier (docs/deadlines.md): once per leg, the residence
//! leg and its case take the longer budget and the appointment moves; the trail records it and
//! the notifier tells the family.

use super::trail::fact;
use super::{Store, StoreError};
use crate::deadline::Due;

impl Store {
    /// Gives a residence leg and its case their verification deadlines, once; false when the
    /// leg had them already or was decided meanwhile.
    pub async fn apply_verification(
        &self,
        case_id: &str,
        leg_id: &str,
        leg: &Due,
        case: &Due,
    ) -> Result<bool, StoreError> {
        let now = self.now_ms();
        let mut tx = self.begin_case(case_id).await?;
        let won = sqlx::query(
            "UPDATE legs SET verification = 1, due_day = $1, due_at = $2, at_risk_at = $3
             WHERE id = $4 AND verification = 0 AND state IN ('queued', 'delivering', 'delivered')",
        )
        .bind(leg.day.to_string())
        .bind(leg.due_at.as_millisecond())
        .bind(leg.at_risk_at.as_millisecond())
        .bind(leg_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if won {
            sqlx::query(
                "UPDATE cases SET due_day = $1, due_at = $2, at_risk_at = $3, appointment_day = $1, updated_at = $4
                 WHERE id = $5",
            )
            .bind(case.day.to_string())
            .bind(case.due_at.as_millisecond())
            .bind(case.at_risk_at.as_millisecond())
            .bind(now)
            .bind(case_id)
            .execute(&mut *tx)
            .await?;
            fact(
                &mut tx,
                case_id,
                Some(leg_id),
                now,
                "gateway",
                "verification",
                "requested",
                Some(&case.day.to_string()),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(won)
    }
}
