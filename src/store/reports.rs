//! The rows the deadline reports are computed from: cases received in a period with the instant
//! their result reached the commune (from the event trail), and their legs' delivery history.

use lienthong_contract::LegKind;

use super::cases::parse_day;
use super::columns::{self, col};
use super::{Store, StoreError};
use crate::deadline::Regime;
use crate::domain::state::{AttemptOutcome, CaseStatus};

/// One case of the period.
#[derive(Debug, Clone)]
pub struct ReportCase {
    pub commune_code: String,
    pub status: CaseStatus,
    pub regime: Option<Regime>,
    pub receipt_day: Option<jiff::civil::Date>,
    pub due_day: Option<jiff::civil::Date>,
    pub due_at_ms: Option<i64>,
    /// When the case became completed or rejected, from its event.
    pub finished_at_ms: Option<i64>,
    /// The family asked for the results by post.
    pub by_post: bool,
    /// When the family got the results (hand-over or postal delivery).
    pub closed_at_ms: Option<i64>,
}

/// One agency leg of a case of the period.
#[derive(Debug, Clone)]
pub struct ReportLeg {
    pub commune_code: String,
    pub name: LegKind,
    pub office_code: String,
    pub delivered: bool,
    pub first_attempt_delivered: bool,
    /// Attempts after the first, and operator resends.
    pub resends: i64,
    pub files_resent: i64,
}

impl Store {
    /// Cases received in `[from_ms, to_ms)`, of one commune or all.
    pub async fn report_cases(
        &self,
        from_ms: i64,
        to_ms: i64,
        commune: Option<&str>,
    ) -> Result<Vec<ReportCase>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.commune_code, c.status, c.regime_json, c.receipt_day, c.due_day, c.due_at, c.delivery_method, c.closed_at,
               (SELECT MIN(e.at) FROM events e WHERE e.case_id = c.id AND e.leg_id IS NULL AND e.kind = 'state'
                  AND e.to_state IN ('completed', 'rejected')) AS finished_at
             FROM cases c WHERE c.received_at >= $1 AND c.received_at < $2 AND ($3 IS NULL OR c.commune_code = $3)",
        )
        .bind(from_ms)
        .bind(to_ms)
        .bind(commune)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ReportCase {
                    commune_code: col(r, "commune_code")?,
                    status: columns::case_status(r, "status")?,
                    regime: col::<Option<String>>(r, "regime_json")?.and_then(|s| serde_json::from_str(&s).ok()),
                    receipt_day: parse_day(col(r, "receipt_day")?),
                    due_day: parse_day(col(r, "due_day")?),
                    due_at_ms: col(r, "due_at")?,
                    finished_at_ms: col(r, "finished_at")?,
                    by_post: col::<String>(r, "delivery_method")? == "by_post",
                    closed_at_ms: col(r, "closed_at")?,
                })
            })
            .collect()
    }

    /// The agency legs of the same cases.
    pub async fn report_legs(
        &self,
        from_ms: i64,
        to_ms: i64,
        commune: Option<&str>,
    ) -> Result<Vec<ReportLeg>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.commune_code, l.name, l.office_code, l.delivered_at,
               (SELECT a.outcome FROM delivery_attempts a WHERE a.leg_id = l.id ORDER BY a.id LIMIT 1) AS first_outcome,
               (SELECT COUNT(*) FROM delivery_attempts a WHERE a.leg_id = l.id) AS attempts,
               (SELECT CAST(COALESCE(SUM(a.files_resent), 0) AS BIGINT) FROM delivery_attempts a WHERE a.leg_id = l.id) AS files_resent
             FROM legs l JOIN cases c ON c.id = l.case_id
             WHERE l.name != 'return' AND c.received_at >= $1 AND c.received_at < $2 AND ($3 IS NULL OR c.commune_code = $3)",
        )
        .bind(from_ms)
        .bind(to_ms)
        .bind(commune)
        .fetch_all(&self.read)
        .await?;
        let delivered = AttemptOutcome::Delivered.as_str();
        rows.iter()
            .map(|r| {
                Ok(ReportLeg {
                    commune_code: col(r, "commune_code")?,
                    name: columns::leg_kind(r, "name")?,
                    office_code: col(r, "office_code")?,
                    delivered: col::<Option<i64>>(r, "delivered_at")?.is_some(),
                    first_attempt_delivered: col::<Option<String>>(r, "first_outcome")?.as_deref() == Some(delivered),
                    resends: (col::<i64>(r, "attempts")? - 1).max(0),
                    files_resent: col(r, "files_resent")?,
                })
            })
            .collect()
    }
}
