//! The results' journey in the store (docs/family.md): each step is a `journey` event on the
//! case's trail (who, when, tracking number or receiver), checked by
//! [`crate::domain::journey::check`] under the case's lock; the closing step sets `closed_at`.

use crate::domain::CaseId;
use lienthong_contract::{CaseBundle, LegKind};
use serde::{Deserialize, Serialize};

use super::columns::{self, col};
use super::trail::fact;
use super::{Store, StoreError};
use crate::domain::journey::{self, Facts, Refusal, Step};
use crate::domain::state::LegState;

/// What a step carries besides who and when.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StepDetail {
    /// The card's or the envelope's tracking number (sending steps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    /// Who received the results at the desk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_by: Option<String>,
    /// The officer checked the receiver's identity document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_checked: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A recorded step.
#[derive(Debug, Clone)]
pub struct StepView {
    pub step: Step,
    pub at_ms: i64,
    pub actor: String,
    pub detail: StepDetail,
}

/// A result waiting for its family.
#[derive(Debug, Clone)]
pub struct Uncollected {
    pub case_id: String,
    pub receipt_code: String,
    pub commune_code: String,
    pub result_at_ms: i64,
    /// The family was reminded once already.
    pub reminded: bool,
}

/// What recording a step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Written; `closed` when it gave the family its results.
    Written { closed: bool },
    /// The same step was recorded before: nothing changed (a partner reporting twice).
    Unchanged,
    /// Not allowed now.
    Refused(Refusal),
}

impl Store {
    /// Records `step` of a case's journey if the journey allows it now.
    pub async fn record_step(
        &self,
        case_id: &str,
        step: Step,
        detail: &StepDetail,
        actor: &str,
    ) -> Result<Recorded, StoreError> {
        let now = self.now_ms();
        let mut tx = self.begin_case(case_id).await?;
        let row = sqlx::query("SELECT status, bundle FROM cases WHERE id = $1")
            .bind(case_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let status = columns::case_status(&row, "status")?;
        let bundle: CaseBundle =
            serde_json::from_str(&col::<String>(&row, "bundle")?).map_err(|e| StoreError::Corrupt {
                column: "cases.bundle",
                value: e.to_string(),
            })?;
        let insurance: Option<String> = sqlx::query_scalar("SELECT state FROM legs WHERE case_id = $1 AND name = $2")
            .bind(case_id)
            .bind(LegKind::Insurance.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        let done: Vec<String> =
            sqlx::query_scalar("SELECT to_state FROM events WHERE case_id = $1 AND kind = 'journey' ORDER BY id")
                .bind(case_id)
                .fetch_all(&mut *tx)
                .await?;
        let facts = Facts {
            status,
            by_post: !bundle.result_delivery.is_at_commune(),
            card_issued: insurance.as_deref() == Some(LegState::Completed.as_str()),
            done: done.iter().filter_map(|s| Step::parse(s)).collect(),
        };
        match journey::check(&facts, step) {
            Ok(()) => {}
            Err(Refusal::Repeated) => return Ok(Recorded::Unchanged),
            Err(refusal) => return Ok(Recorded::Refused(refusal)),
        }
        if let Some(number) = detail.tracking_number.as_deref() {
            let owner: Option<String> = sqlx::query_scalar("SELECT case_id FROM tracking_numbers WHERE number = $1")
                .bind(number)
                .fetch_optional(&mut *tx)
                .await?;
            if owner.is_some_and(|o| o != case_id) {
                return Ok(Recorded::Refused(Refusal::TrackingInUse));
            }
            sqlx::query(
                "INSERT INTO tracking_numbers (number, case_id, step, at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (number) DO NOTHING",
            )
            .bind(number)
            .bind(case_id)
            .bind(step.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let reason = serde_json::to_string(detail).map_err(|e| StoreError::Corrupt {
            column: "events.reason",
            value: e.to_string(),
        })?;
        fact(
            &mut tx,
            case_id,
            None,
            now,
            actor,
            "journey",
            step.as_str(),
            Some(&reason),
        )
        .await?;
        if step.closes() {
            sqlx::query("UPDATE cases SET closed_at = $1, updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(case_id)
                .execute(&mut *tx)
                .await?;
            // The family is asked once for a rating, through a single-use link (docs/family.md).
            sqlx::query(
                "INSERT INTO ratings (case_id, token, issued_at) VALUES ($1, $2, $3) ON CONFLICT (case_id) DO NOTHING",
            )
            .bind(case_id)
            .bind(rating_link_token())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Recorded::Written { closed: step.closes() })
    }

    /// The steps recorded for a case, oldest first.
    pub async fn journey(&self, case_id: &str) -> Result<Vec<StepView>, StoreError> {
        let rows = sqlx::query(
            "SELECT to_state, at, actor, reason FROM events WHERE case_id = $1 AND kind = 'journey' ORDER BY id",
        )
        .bind(case_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let name: String = col(r, "to_state")?;
                Ok(StepView {
                    step: Step::parse(&name).ok_or_else(|| StoreError::Corrupt {
                        column: "events.to_state",
                        value: name.clone(),
                    })?,
                    at_ms: col(r, "at")?,
                    actor: col(r, "actor")?,
                    detail: col::<Option<String>>(r, "reason")?
                        .and_then(|s| serde_json::from_str(&s).ok())
                        .unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Completed insurance legs of `offices` whose card was not sent yet, oldest first: the
    /// insurance staff's list of cards to send to the communes. Rows are (leg id, receipt
    /// code, commune code, completed at).
    pub async fn cards_to_send(
        &self,
        offices: &[String],
        limit: i64,
    ) -> Result<Vec<(String, String, String, Option<i64>)>, StoreError> {
        if offices.is_empty() {
            return Ok(Vec::new());
        }
        let mut n = super::dialect::Placeholders::default();
        let (kind, state) = (n.take(), n.take());
        let list = n.list(offices.len());
        let limit_at = n.take();
        let sql = format!(
            "SELECT l.id, c.receipt_code, c.commune_code, l.completed_at FROM legs l JOIN cases c ON c.id = l.case_id
             WHERE l.name = {kind} AND l.state = {state} AND l.office_code IN ({list}) AND c.closed_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM events e WHERE e.case_id = c.id AND e.kind = 'journey' AND e.to_state = 'card_sent')
             ORDER BY l.completed_at LIMIT {limit_at}"
        );
        let mut q = sqlx::query(&sql)
            .bind(LegKind::Insurance.as_str())
            .bind(LegState::Completed.as_str());
        for o in offices {
            q = q.bind(o);
        }
        let rows = q.bind(limit).fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| {
                Ok((
                    col(r, "id")?,
                    col(r, "receipt_code")?,
                    col(r, "commune_code")?,
                    col(r, "completed_at")?,
                ))
            })
            .collect()
    }

    /// Results that reached the commune before `before_ms` and are not with the family yet,
    /// oldest first, and how many there are in all: the dashboard's "waiting to be collected".
    pub async fn uncollected(&self, before_ms: i64, limit: i64) -> Result<(Vec<Uncollected>, i64), StoreError> {
        let rows = sqlx::query(
            "SELECT id, receipt_code, commune_code, result_at, collect_reminded_at FROM cases
             WHERE closed_at IS NULL AND result_at < $1 AND status IN ('completed', 'rejected')
             ORDER BY result_at LIMIT $2",
        )
        .bind(before_ms)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM cases WHERE closed_at IS NULL AND result_at < $1 AND status IN ('completed', 'rejected')",
        )
        .bind(before_ms)
        .fetch_one(&self.read)
        .await?;
        let list = rows
            .iter()
            .map(|r| {
                Ok(Uncollected {
                    case_id: col(r, "id")?,
                    receipt_code: col(r, "receipt_code")?,
                    commune_code: col(r, "commune_code")?,
                    result_at_ms: col(r, "result_at")?,
                    reminded: col::<Option<i64>>(r, "collect_reminded_at")?.is_some(),
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok((list, total))
    }

    /// Marks the one reminder to collect the results as due for a case, recording it on the
    /// trail (the notifier sends it); false when it was marked before (by this or another
    /// gateway process).
    pub async fn remind_to_collect(&self, case_id: &str) -> Result<bool, StoreError> {
        let now = self.now_ms();
        let mut tx = self.begin_case(case_id).await?;
        let won = sqlx::query(
            "UPDATE cases SET collect_reminded_at = $1 WHERE id = $2 AND collect_reminded_at IS NULL AND closed_at IS NULL",
        )
        .bind(now)
        .bind(case_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if won {
            fact(&mut tx, case_id, None, now, "gateway", "reminder", "collect", None).await?;
        }
        tx.commit().await?;
        Ok(won)
    }

    /// The case a tracking number was recorded for.
    pub async fn case_of_tracking(&self, number: &str) -> Result<Option<CaseId>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT case_id FROM tracking_numbers WHERE number = $1")
                .bind(number)
                .fetch_optional(&self.read)
                .await?,
        )
    }
}

/// An unguessable rating link token: 128 random bits, hex.
fn rating_link_token() -> String {
    use password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}
