//! The rows the deadline reports are computed from: cases received in a period with the instant
//! their result reached the commune (from the event trail), and their legs' delivery history.

use std::collections::HashMap;

use lienthong_contract::bundle::Channel;
use lienthong_contract::LegKind;

use super::cases::parse_day;
use super::columns::{self, col};
use super::{Store, StoreError};
use crate::deadline::Regime;
use crate::domain::state::{AttemptOutcome, CaseStatus, LegState};

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
    /// When the commune pushed the case (its step ends there).
    pub pushed_at_ms: i64,
    /// How the family handed the dossier in.
    pub channel: Channel,
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
    /// The agency decided (completed or refused).
    pub decided: bool,
    /// Documents the agency issued with its decision.
    pub documents: i64,
    /// When the agency asked for a supplement, each time, oldest first.
    pub asked_at_ms: Vec<i64>,
    /// When the family brought each supplement, oldest first.
    pub supplied_at_ms: Vec<i64>,
    /// The kinds of the files the supplements brought.
    pub supplied_kinds: Vec<String>,
    /// The leg's own deadline (moved by supplements and verification as the regime says).
    pub due_day: Option<jiff::civil::Date>,
    pub due_at_ms: Option<i64>,
    /// When the agency decided.
    pub completed_at_ms: Option<i64>,
    /// Who decided, when known (`user:<login>`, `<system>:<officer>`).
    pub decided_by: Option<String>,
    /// The leg waits on the family: its clock is stopped.
    pub paused: bool,
    /// The case was cancelled or withdrawn: an undecided leg is no longer open.
    pub case_stopped: bool,
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
               c.created_at, c.channel,
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
                    pushed_at_ms: col(r, "created_at")?,
                    channel: columns::named(r, "channel", Channel::parse)?,
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
            "SELECT l.id, l.state, c.commune_code, l.name, l.office_code, l.delivered_at, l.due_day, l.due_at,
               l.completed_at, l.decided_by, c.status AS case_status,
               (SELECT COUNT(*) FROM result_documents d WHERE d.leg_id = l.id) AS documents,
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
        // Each leg's supplement facts, found once (a year's report holds many legs).
        let mut by_leg: HashMap<String, Vec<(String, i64, String)>> = HashMap::new();
        for (leg, what, at, kind) in self.report_supplements(from_ms, to_ms, commune).await? {
            by_leg.entry(leg).or_default().push((what, at, kind));
        }
        let of_leg = |id: &str, what: &str| -> Vec<(i64, String)> {
            by_leg.get(id).map_or_else(Vec::new, |facts| {
                facts
                    .iter()
                    .filter(|f| f.0 == what)
                    .map(|f| (f.1, f.2.clone()))
                    .collect()
            })
        };
        let delivered = AttemptOutcome::Delivered.as_str();
        rows.iter()
            .map(|r| {
                let id: String = col(r, "id")?;
                let state = columns::leg_state(r, "state")?;
                let case_status = columns::case_status(r, "case_status")?;
                Ok(ReportLeg {
                    due_day: parse_day(col(r, "due_day")?),
                    due_at_ms: col(r, "due_at")?,
                    completed_at_ms: col(r, "completed_at")?,
                    decided_by: col(r, "decided_by")?,
                    paused: state == LegState::NeedsSupplement,
                    case_stopped: matches!(case_status, CaseStatus::Cancelled | CaseStatus::Withdrawn),
                    decided: matches!(state, LegState::Completed | LegState::Rejected),
                    documents: col(r, "documents")?,
                    asked_at_ms: of_leg(&id, "asked").into_iter().map(|(at, _)| at).collect(),
                    supplied_at_ms: of_leg(&id, "supplied").into_iter().map(|(at, _)| at).collect(),
                    supplied_kinds: of_leg(&id, "file").into_iter().map(|(_, kind)| kind).collect(),
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

    /// The supplement facts of the period's legs, oldest first: `(leg, "asked", at, "")` for
    /// each request, `(leg, "supplied", at, "")` for each supplement brought and
    /// `(leg, "file", at, kind)` for each of its files.
    async fn report_supplements(
        &self,
        from_ms: i64,
        to_ms: i64,
        commune: Option<&str>,
    ) -> Result<Vec<(String, String, i64, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.leg_id, 'asked' AS what, e.at, '' AS kind FROM events e JOIN cases c ON c.id = e.case_id
               WHERE e.kind = 'state' AND e.to_state = 'needs_supplement' AND e.leg_id IS NOT NULL
                 AND c.received_at >= $1 AND c.received_at < $2 AND ($3 IS NULL OR c.commune_code = $3)
             UNION ALL
             SELECT s.leg_id, 'supplied' AS what, s.received_at AS at, '' AS kind FROM supplements s JOIN cases c ON c.id = s.case_id
               WHERE c.received_at >= $1 AND c.received_at < $2 AND ($3 IS NULL OR c.commune_code = $3)
             UNION ALL
             SELECT f.leg_id, 'file' AS what, s.received_at AS at, f.kind FROM supplement_files f
               JOIN supplements s ON s.leg_id = f.leg_id AND s.number = f.number JOIN cases c ON c.id = f.case_id
               WHERE c.received_at >= $1 AND c.received_at < $2 AND ($3 IS NULL OR c.commune_code = $3)
             ORDER BY at",
        )
        .bind(from_ms)
        .bind(to_ms)
        .bind(commune)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| Ok((col(r, "leg_id")?, col(r, "what")?, col(r, "at")?, col(r, "kind")?)))
            .collect()
    }
}
