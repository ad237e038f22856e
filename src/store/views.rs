//! Read models of the web pages: filtered case lists, agency inboxes, the operator dashboard.
//! Every list is bounded and served by an index, so pages stay fast on a large store.

use super::cases::{case_row, CaseRow, CASE_COLUMNS};
use super::columns::{self, col};
use super::dialect::Placeholders;
use super::{Store, StoreError};
use crate::deadline::ClockState;
use crate::domain::state::{CaseStatus, LegState};
use lienthong_contract::LegKind;

/// Filters of the case list.
#[derive(Debug, Default, Clone)]
pub struct CaseFilter {
    /// Only these communes; `None` for all (an operator).
    pub communes: Option<Vec<String>>,
    pub status: Option<String>,
    pub clock: Option<ClockState>,
    pub code: Option<String>,
}

/// One row of an agency inbox.
#[derive(Debug, Clone)]
pub struct InboxRow {
    pub leg_id: String,
    pub case_id: String,
    pub receipt_code: String,
    pub commune_code: String,
    pub delivered_at_ms: Option<i64>,
    pub due_at_ms: Option<i64>,
    pub at_risk_at_ms: Option<i64>,
}

/// A transfer that needs an operator's eye: dead, or retried more than once.
#[derive(Debug, Clone)]
pub struct StuckLeg {
    pub leg_id: String,
    pub case_id: String,
    pub receipt_code: String,
    pub name: LegKind,
    pub office_code: String,
    pub state: LegState,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// Running cases of one unit: open, at risk, overdue.
#[derive(Debug, Clone)]
pub struct UnitClocks {
    pub code: String,
    pub open: i64,
    pub at_risk: i64,
    pub overdue: i64,
}

impl Store {
    /// The newest cases matching `f`, at most `limit`.
    pub async fn case_list(&self, f: &CaseFilter, now: i64, limit: i64) -> Result<Vec<CaseRow>, StoreError> {
        // The filter and the order run on indexes alone (row keys); only the page's rows are read,
        // since a sort over whole rows would drag every bundle through the sorter.
        let mut n = Placeholders::default();
        let key = self.dialect.row_key();
        let mut sql = format!("SELECT {key} FROM cases WHERE 1 = 1");
        if let Some(c) = &f.communes {
            let list = n.list(c.len());
            sql.push_str(&format!(" AND commune_code IN ({list})"));
        }
        if f.status.is_some() {
            sql.push_str(&format!(" AND status = {}", n.take()));
        }
        if let Some(clock) = f.clock {
            sql.push_str(" AND status IN ('in_progress', 'needs_supplement')");
            sql.push_str(&match clock {
                ClockState::OnTrack => format!(" AND at_risk_at > {}", n.take()),
                ClockState::AtRisk => format!(" AND at_risk_at <= {} AND due_at >= {}", n.take(), n.take()),
                ClockState::Overdue => format!(" AND due_at < {}", n.take()),
            });
        }
        if f.code.is_some() {
            sql.push_str(&format!(" AND receipt_code = {}", n.take()));
        }
        sql.push_str(&format!(" ORDER BY created_at DESC LIMIT {}", n.take()));
        let sql = format!("SELECT {CASE_COLUMNS} FROM cases WHERE {key} IN ({sql}) ORDER BY created_at DESC");
        let mut q = sqlx::query(&sql);
        for c in f.communes.iter().flatten() {
            q = q.bind(c);
        }
        if let Some(s) = &f.status {
            q = q.bind(s);
        }
        match f.clock {
            Some(ClockState::AtRisk) => q = q.bind(now).bind(now),
            Some(_) => q = q.bind(now),
            None => {}
        }
        if let Some(code) = &f.code {
            q = q.bind(code);
        }
        let rows = q.bind(limit).fetch_all(&self.read).await?;
        rows.iter().map(case_row).collect()
    }

    /// Delivered legs of `leg` at `offices` waiting for a decision, oldest due first.
    pub async fn inbox(&self, leg: LegKind, offices: &[String], limit: i64) -> Result<Vec<InboxRow>, StoreError> {
        if offices.is_empty() {
            return Ok(Vec::new());
        }
        let mut n = Placeholders::default();
        n.take();
        let list = n.list(offices.len());
        let limit_at = n.take();
        let sql = format!(
            "SELECT l.id, l.case_id, c.receipt_code, c.commune_code, l.delivered_at, l.due_at, l.at_risk_at
             FROM legs l JOIN cases c ON c.id = l.case_id
             WHERE l.name = $1 AND l.state = 'delivered' AND l.office_code IN ({list}) AND c.status != 'cancelled'
             ORDER BY l.due_at LIMIT {limit_at}"
        );
        let mut q = sqlx::query(&sql).bind(leg.as_str());
        for o in offices {
            q = q.bind(o);
        }
        let rows = q.bind(limit).fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| {
                Ok(InboxRow {
                    leg_id: col(r, "id")?,
                    case_id: col(r, "case_id")?,
                    receipt_code: col(r, "receipt_code")?,
                    commune_code: col(r, "commune_code")?,
                    delivered_at_ms: col(r, "delivered_at")?,
                    due_at_ms: col(r, "due_at")?,
                    at_risk_at_ms: col(r, "at_risk_at")?,
                })
            })
            .collect()
    }

    /// Dead legs and legs retried more than once, newest change first.
    pub async fn stuck_legs(&self, limit: i64) -> Result<Vec<StuckLeg>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT l.id, l.case_id, c.receipt_code, l.name, l.office_code, l.state, l.attempts, l.last_error
             FROM legs l JOIN cases c ON c.id = l.case_id
             WHERE {} AND (l.state = 'dead' OR l.attempts > 1)
             ORDER BY l.state = 'dead' DESC, l.updated_at DESC LIMIT $1",
            self.dialect.rare("l.state IN ('dead', 'queued', 'delivering')")
        ))
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StuckLeg {
                    leg_id: col(r, "id")?,
                    case_id: col(r, "case_id")?,
                    receipt_code: col(r, "receipt_code")?,
                    name: columns::leg_kind(r, "name")?,
                    office_code: col(r, "office_code")?,
                    state: columns::leg_state(r, "state")?,
                    attempts: col(r, "attempts")?,
                    last_error: col(r, "last_error")?,
                })
            })
            .collect()
    }

    /// Legs delivered since `since`.
    pub async fn delivered_since(&self, since: i64) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM legs WHERE delivered_at >= $1")
            .bind(since)
            .fetch_one(&self.read)
            .await?)
    }

    /// Running cases per commune and running agency legs per office.
    pub async fn unit_clocks(&self, now: i64) -> Result<(Vec<UnitClocks>, Vec<UnitClocks>), StoreError> {
        let read = |r: &sqlx::any::AnyRow| -> Result<UnitClocks, StoreError> {
            Ok(UnitClocks {
                code: col(r, "code")?,
                open: col(r, "open")?,
                at_risk: col(r, "at_risk")?,
                overdue: col(r, "overdue")?,
            })
        };
        let communes = sqlx::query(&format!(
            "SELECT commune_code AS code, COUNT(*) AS open,
               CAST(COALESCE(SUM(CASE WHEN at_risk_at <= $1 AND due_at >= $1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS at_risk,
               CAST(COALESCE(SUM(CASE WHEN due_at < $1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS overdue
             FROM cases WHERE {} GROUP BY commune_code ORDER BY commune_code",
            self.dialect.rare("status IN ('in_progress', 'needs_supplement')")
        ))
        .bind(now)
        .fetch_all(&self.read)
        .await?;
        let offices = sqlx::query(&format!(
            "SELECT office_code AS code, COUNT(*) AS open,
               CAST(COALESCE(SUM(CASE WHEN at_risk_at <= $1 AND due_at >= $1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS at_risk,
               CAST(COALESCE(SUM(CASE WHEN due_at < $1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS overdue
             FROM legs WHERE name != 'return' AND {}
             GROUP BY office_code ORDER BY office_code",
            self.dialect.rare("state IN ('queued', 'delivering', 'delivered', 'dead')")
        ))
        .bind(now)
        .fetch_all(&self.read)
        .await?;
        Ok((
            communes.iter().map(read).collect::<Result<_, _>>()?,
            offices.iter().map(read).collect::<Result<_, _>>()?,
        ))
    }

    /// An operator cancels a running case with a reason: its pending transfers stop.
    pub async fn cancel_case(&self, case_id: &str, actor: &str, reason: &str) -> Result<(), StoreError> {
        let now = self.now_ms();
        let mut tx = self.begin_case(case_id).await?;
        stop_running_case(&mut tx, case_id, CaseStatus::Cancelled, now, actor, reason).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Ends a running case as `to` (cancelled, withdrawn) by `actor` for `reason`: its status
/// changes with its event on the trail and its pending and dead deliveries stop, in the caller's
/// transaction. [`StoreError::InvalidState`] when it was not running.
pub(super) async fn stop_running_case(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    case_id: &str,
    to: CaseStatus,
    now: i64,
    actor: &str,
    reason: &str,
) -> Result<(), StoreError> {
    let status: Option<String> = sqlx::query_scalar("SELECT status FROM cases WHERE id = $1")
        .bind(case_id)
        .fetch_optional(&mut **tx)
        .await?;
    let status = columns::parse_case_status(status.ok_or(StoreError::NotFound)?)?;
    if !status.clock_runs() {
        return Err(StoreError::InvalidState(status.as_str().to_string()));
    }
    sqlx::query("UPDATE cases SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(to.as_str())
        .bind(now)
        .bind(case_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE deliveries SET status = 'done', lease_until = NULL, updated_at = $1
         WHERE leg_id IN (SELECT id FROM legs WHERE case_id = $2) AND status IN ('pending', 'dead')",
    )
    .bind(now)
    .bind(case_id)
    .execute(&mut **tx)
    .await?;
    super::trail::event(
        tx,
        case_id,
        None,
        now,
        actor,
        Some(status.as_str()),
        to.as_str(),
        Some(reason),
    )
    .await?;
    Ok(())
}
