//! Cases: the one-transaction intake write, lookups, and the views the API reads.

use lienthong_contract::{AttachmentMeta, CommuneCode, LegKind, OfficeCode, ReceiptCode};

use super::columns::{self, col, parsed, parsed_opt};
use super::trail::event;
use super::{Store, StoreError};
use crate::deadline::{ClockState, Due, Plan, Regime};
use crate::domain::state::{CaseStatus, LegState};
use crate::domain::{CaseId, LegId};
use jiff::civil::Date;

/// A leg to create with its case.
pub struct NewLeg {
    pub id: LegId,
    pub kind: LegKind,
    pub office_code: OfficeCode,
    pub endpoint: String,
    /// The leg's own deadline; the return leg runs on the case's.
    pub due: Option<Due>,
}

/// The deadline of a case as planned at intake.
pub struct NewDeadline {
    pub regime_name: String,
    pub regime: Regime,
    pub plan: Plan,
}

/// Everything written at intake, in one transaction.
pub struct NewCase {
    pub id: CaseId,
    pub source: String,
    pub receipt_code: ReceiptCode,
    pub commune_code: CommuneCode,
    pub received_at_ms: i64,
    pub content_sha256: String,
    pub bundle_json: String,
    /// The family asked for the results by post.
    pub by_post: bool,
    /// How the family handed the dossier in, for the standard table.
    pub channel: lienthong_contract::bundle::Channel,
    pub attachments: Vec<AttachmentMeta>,
    /// Residence and insurance legs are queued at once; the return leg waits.
    pub legs: Vec<NewLeg>,
    pub deadline: NewDeadline,
}

/// A stored case.
#[derive(Debug, Clone)]
pub struct CaseRow {
    pub id: CaseId,
    pub source: String,
    pub receipt_code: ReceiptCode,
    pub commune_code: CommuneCode,
    pub status: CaseStatus,
    pub received_at_ms: i64,
    pub content_sha256: String,
    pub bundle_json: String,
    pub regime_name: Option<String>,
    pub regime: Option<Regime>,
    pub receipt_day: Option<Date>,
    pub due_day: Option<Date>,
    pub due_at_ms: Option<i64>,
    pub at_risk_at_ms: Option<i64>,
    pub appointment_day: Option<Date>,
    pub calendar_missing: bool,
    pub created_at_ms: i64,
    /// When the combined result reached the commune (completed or rejected).
    pub result_at_ms: Option<i64>,
    /// When the family got the results: the case is closed (docs/family.md).
    pub closed_at_ms: Option<i64>,
}

impl CaseRow {
    /// The clock state now; `None` for a finished case or one without a deadline.
    pub fn clock(&self, now_ms: i64) -> Option<ClockState> {
        ClockState::of(self.status.clock_runs(), now_ms, self.at_risk_at_ms, self.due_at_ms)
    }
}

/// A stored leg.
#[derive(Debug, Clone)]
pub struct LegView {
    pub id: LegId,
    pub case_id: CaseId,
    pub name: LegKind,
    pub state: LegState,
    pub office_code: OfficeCode,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub delivered_at_ms: Option<i64>,
    pub completed_at_ms: Option<i64>,
    pub result: Option<serde_json::Value>,
    pub due_day: Option<Date>,
    pub due_at_ms: Option<i64>,
    pub at_risk_at_ms: Option<i64>,
    pub window_ends_at_ms: Option<i64>,
}

impl LegView {
    /// The clock state now; `None` when the leg's clock is not running (decided, paused, return).
    pub fn clock(&self, now_ms: i64) -> Option<ClockState> {
        ClockState::of(self.state.clock_runs(), now_ms, self.at_risk_at_ms, self.due_at_ms)
    }
}

impl EventView {
    /// The case status this event moved the case to, if it is a case state change.
    pub fn case_status(&self) -> Option<CaseStatus> {
        (self.kind == "state" && self.leg_id.is_none())
            .then(|| CaseStatus::parse(&self.to_state))
            .flatten()
    }

    /// The leg state this event moved a leg to, if it is a leg state change.
    pub fn leg_state(&self) -> Option<LegState> {
        (self.kind == "state" && self.leg_id.is_some())
            .then(|| LegState::parse(&self.to_state))
            .flatten()
    }
}

/// One delivery attempt of a leg.
#[derive(Debug, Clone)]
pub struct AttemptView {
    pub number: i64,
    pub started_at_ms: i64,
    pub finished_at_ms: i64,
    pub outcome: String,
    pub files_resent: i64,
    pub error: Option<String>,
}

/// One row of the audit trail.
#[derive(Debug, Clone)]
pub struct EventView {
    pub id: i64,
    pub kind: String,
    pub case_id: CaseId,
    pub at_ms: i64,
    pub leg_id: Option<LegId>,
    pub actor: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub reason: Option<String>,
}

/// Parses a stored ISO day.
pub(super) fn parse_day(s: Option<String>) -> Option<Date> {
    s.and_then(|d| d.parse().ok())
}

pub(super) fn event_view(r: &sqlx::any::AnyRow) -> Result<EventView, StoreError> {
    Ok(EventView {
        id: col(r, "id")?,
        kind: col(r, "kind")?,
        case_id: parsed(r, "case_id")?,
        at_ms: col(r, "at")?,
        leg_id: parsed_opt(r, "leg_id")?,
        actor: col(r, "actor")?,
        from_state: col(r, "from_state")?,
        to_state: col(r, "to_state")?,
        reason: col(r, "reason")?,
    })
}

pub(super) fn case_row(r: &sqlx::any::AnyRow) -> Result<CaseRow, StoreError> {
    Ok(CaseRow {
        id: parsed(r, "id")?,
        source: col(r, "source")?,
        receipt_code: parsed(r, "receipt_code")?,
        commune_code: parsed(r, "commune_code")?,
        status: columns::case_status(r, "status")?,
        received_at_ms: col(r, "received_at")?,
        content_sha256: col(r, "content_sha256")?,
        bundle_json: col(r, "bundle")?,
        regime_name: col(r, "regime")?,
        regime: col::<Option<String>>(r, "regime_json")?.and_then(|s| serde_json::from_str(&s).ok()),
        receipt_day: parse_day(col(r, "receipt_day")?),
        due_day: parse_day(col(r, "due_day")?),
        due_at_ms: col(r, "due_at")?,
        at_risk_at_ms: col(r, "at_risk_at")?,
        appointment_day: parse_day(col(r, "appointment_day")?),
        calendar_missing: col::<i64>(r, "calendar_missing")? != 0,
        created_at_ms: col(r, "created_at")?,
        result_at_ms: col(r, "result_at")?,
        closed_at_ms: col(r, "closed_at")?,
    })
}

pub(super) fn leg_view(r: &sqlx::any::AnyRow) -> Result<LegView, StoreError> {
    Ok(LegView {
        id: parsed(r, "id")?,
        case_id: parsed(r, "case_id")?,
        name: columns::leg_kind(r, "name")?,
        state: columns::leg_state(r, "state")?,
        office_code: parsed(r, "office_code")?,
        attempts: col(r, "attempts")?,
        last_error: col(r, "last_error")?,
        delivered_at_ms: col(r, "delivered_at")?,
        completed_at_ms: col(r, "completed_at")?,
        result: col::<Option<String>>(r, "result")?.and_then(|s| serde_json::from_str(&s).ok()),
        due_day: parse_day(col(r, "due_day")?),
        due_at_ms: col(r, "due_at")?,
        at_risk_at_ms: col(r, "at_risk_at")?,
        window_ends_at_ms: col(r, "window_ends_at")?,
    })
}

pub(super) const CASE_COLUMNS: &str =
    "id, source, receipt_code, commune_code, status, received_at, content_sha256, bundle,
    regime, regime_json, receipt_day, due_day, due_at, at_risk_at, appointment_day, calendar_missing, created_at,
    result_at, closed_at";

impl Store {
    /// Writes a case, its attachments, its legs, their first deliveries and the events, in ONE
    /// transaction. [`StoreError::Duplicate`] when `(source, receipt_code)` exists.
    pub async fn create_case(&self, c: &NewCase, actor: &str) -> Result<(), StoreError> {
        let now = self.now_ms();
        let mut tx = self.write.begin().await?;
        let d = &c.deadline;
        let inserted = sqlx::query(
            "INSERT INTO cases (id, source, receipt_code, commune_code, status, received_at, content_sha256, bundle,
                created_at, updated_at, regime, regime_json, receipt_day, due_day, due_at, at_risk_at, appointment_day,
                calendar_missing, delivery_method, channel)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
             ON CONFLICT (source, receipt_code) DO NOTHING",
        )
        .bind(&c.id)
        .bind(&c.source)
        .bind(c.receipt_code.as_str())
        .bind(c.commune_code.as_str())
        .bind(CaseStatus::InProgress.as_str())
        .bind(c.received_at_ms)
        .bind(&c.content_sha256)
        .bind(&c.bundle_json)
        .bind(now)
        .bind(now)
        .bind(&d.regime_name)
        .bind(serde_json::to_string(&d.regime).map_err(|e| sqlx::Error::Encode(Box::new(e)))?)
        .bind(d.plan.receipt_day.to_string())
        .bind(d.plan.case.day.to_string())
        .bind(d.plan.case.due_at.as_millisecond())
        .bind(d.plan.case.at_risk_at.as_millisecond())
        .bind(d.plan.case.day.to_string())
        .bind(i64::from(d.plan.calendar_missing))
        .bind(if c.by_post { "by_post" } else { "at_commune" })
        .bind(c.channel.as_str())
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(StoreError::Duplicate);
        }
        event(
            &mut tx,
            &c.id,
            None,
            now,
            actor,
            None,
            CaseStatus::InProgress.as_str(),
            Some("case received"),
        )
        .await?;
        for a in &c.attachments {
            sqlx::query("INSERT INTO attachments (case_id, kind, file_name, media_type, size, sha256) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(&c.id)
                .bind(&a.kind)
                .bind(&a.file_name)
                .bind(&a.media_type)
                .bind(a.size as i64)
                .bind(a.sha256.as_str())
                .execute(&mut *tx)
                .await?;
        }
        for leg in &c.legs {
            let state = if leg.kind == LegKind::Return {
                LegState::Waiting
            } else {
                LegState::Queued
            };
            sqlx::query(
                "INSERT INTO legs (id, case_id, name, state, office_code, endpoint, updated_at, due_day, due_at, at_risk_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&leg.id)
            .bind(&c.id)
            .bind(leg.kind.as_str())
            .bind(state.as_str())
            .bind(leg.office_code.as_str())
            .bind(&leg.endpoint)
            .bind(now)
            .bind(leg.due.map(|d| d.day.to_string()))
            .bind(leg.due.map(|d| d.due_at.as_millisecond()))
            .bind(leg.due.map(|d| d.at_risk_at.as_millisecond()))
            .execute(&mut *tx)
            .await?;
            event(
                &mut tx,
                &c.id,
                Some(&leg.id),
                now,
                actor,
                None,
                state.as_str(),
                Some(leg.kind.as_str()),
            )
            .await?;
            if state == LegState::Queued {
                sqlx::query("INSERT INTO deliveries (leg_id, status, due_at, created_at, updated_at) VALUES ($1, 'pending', $2, $3, $4)")
                    .bind(&leg.id)
                    .bind(now)
                    .bind(now)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The case a source pushed under a receipt code.
    pub async fn case_by_source_receipt(
        &self,
        source: &str,
        receipt_code: &str,
    ) -> Result<Option<CaseRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE source = $1 AND receipt_code = $2"
        ))
        .bind(source)
        .bind(receipt_code)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(case_row).transpose()
    }

    /// Cases with a receipt code, from any source (an operator's lookup), oldest first.
    pub async fn cases_by_receipt(&self, receipt_code: &str) -> Result<Vec<CaseRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE receipt_code = $1 ORDER BY created_at"
        ))
        .bind(receipt_code)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(case_row).collect()
    }

    /// One case.
    pub async fn case(&self, id: &str) -> Result<Option<CaseRow>, StoreError> {
        let row = sqlx::query(&format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(case_row).transpose()
    }

    /// The legs of a case in their fixed order: residence, insurance, return.
    pub async fn legs(&self, case_id: &str) -> Result<Vec<LegView>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM legs WHERE case_id = $1
             ORDER BY CASE name WHEN 'residence' THEN 0 WHEN 'insurance' THEN 1 ELSE 2 END",
        )
        .bind(case_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(leg_view).collect()
    }

    /// One leg.
    pub async fn leg(&self, leg_id: &str) -> Result<Option<LegView>, StoreError> {
        let row = sqlx::query("SELECT * FROM legs WHERE id = $1")
            .bind(leg_id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(leg_view).transpose()
    }

    /// The attachments of a case.
    pub async fn attachments(&self, case_id: &str) -> Result<Vec<AttachmentMeta>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, file_name, media_type, size, sha256 FROM attachments WHERE case_id = $1 ORDER BY kind",
        )
        .bind(case_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(super::columns::attachment_meta).collect()
    }

    /// The attempts of a leg, oldest first.
    pub async fn attempts(&self, leg_id: &str) -> Result<Vec<AttemptView>, StoreError> {
        let rows = sqlx::query("SELECT * FROM delivery_attempts WHERE leg_id = $1 ORDER BY id")
            .bind(leg_id)
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AttemptView {
                    number: col(r, "number")?,
                    started_at_ms: col(r, "started_at")?,
                    finished_at_ms: col(r, "finished_at")?,
                    outcome: col(r, "outcome")?,
                    files_resent: col(r, "files_resent")?,
                    error: col(r, "error")?,
                })
            })
            .collect()
    }

    /// The audit trail of a case, oldest first.
    pub async fn events(&self, case_id: &str) -> Result<Vec<EventView>, StoreError> {
        let rows = sqlx::query("SELECT * FROM events WHERE case_id = $1 ORDER BY id")
            .bind(case_id)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(event_view).collect()
    }

    /// Every event of every case, grouped by case and oldest first, for `audit verify`.
    pub async fn audit_trail(&self) -> Result<Vec<crate::audit::Stored>, StoreError> {
        let rows = sqlx::query("SELECT * FROM events ORDER BY case_id, id")
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(crate::audit::Stored {
                    id: col(r, "id")?,
                    link: crate::audit::Link {
                        case_id: col(r, "case_id")?,
                        leg_id: col(r, "leg_id")?,
                        at: col(r, "at")?,
                        actor: col(r, "actor")?,
                        kind: col(r, "kind")?,
                        from: col(r, "from_state")?,
                        to: col(r, "to_state")?,
                        reason: col(r, "reason")?,
                    },
                    prev_hash: col(r, "prev_hash")?,
                    hash: col(r, "hash")?,
                })
            })
            .collect()
    }

    /// True when some stored attachment still points at this blob.
    pub async fn blob_in_use(&self, sha256: &str) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM attachments WHERE sha256 = $1)
                  + (SELECT COUNT(*) FROM supplement_files WHERE sha256 = $1)
                  + (SELECT COUNT(*) FROM result_documents WHERE sha256 = $1)",
        )
        .bind(sha256)
        .fetch_one(&self.read)
        .await?;
        Ok(n > 0)
    }

    /// Deliveries waiting or in flight, and legs given up on: the operator's two numbers.
    pub async fn queue_stats(&self) -> Result<(i64, i64), StoreError> {
        let depth: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE status IN ('pending', 'leased')")
            .fetch_one(&self.read)
            .await?;
        let dead: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM legs WHERE state = 'dead'")
            .fetch_one(&self.read)
            .await?;
        Ok((depth, dead))
    }

    /// Counts of cases by status (demo summary, tests).
    pub async fn case_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM cases GROUP BY status ORDER BY status")
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(|r| Ok((col(r, "status")?, col(r, "n")?))).collect()
    }
}
