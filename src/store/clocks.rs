//! Deadline bookkeeping: which clocks moved past what was acted on, acting on each transition
//! exactly once, apology letters and supplements.
//!
//! "Exactly once" rests on one conditional update per transition (`clock_acted` moves forward
//! only from the value the actor read) in the same transaction as the event it records, so two
//! sweepers — in one process after a restart, or in several — can never both act.

use super::columns::{self, col, parsed, parsed_opt};
use crate::domain::{CaseId, LegId};
use jiff::civil::Date;
use lienthong_contract::AttachmentMeta;

use super::cases::{case_row, CaseRow, CASE_COLUMNS};
use super::trail::fact;
use super::{Store, StoreError};
use crate::deadline::{ClockState, Due, Paused};
use crate::domain::state::LegState;

/// A clock whose state moved past the one last acted on.
#[derive(Debug, Clone)]
pub struct MovedClock {
    pub case_id: CaseId,
    /// `None` for the case's own clock.
    pub leg_id: Option<LegId>,
    pub acted: ClockState,
    pub now: ClockState,
}

/// An apology letter.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Apology {
    #[schema(value_type = String)]
    pub case_id: CaseId,
    pub created_at_ms: i64,
    pub reason: String,
    #[schema(value_type = String, format = Date)]
    pub original_day: Date,
    #[schema(value_type = String, format = Date)]
    pub proposed_day: Date,
    /// `draft` until an officer confirms the new date, then `confirmed`.
    pub status: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub confirmed_day: Option<Date>,
    pub confirmed_by: Option<String>,
}

/// A leg whose family supplement window ran out.
#[derive(Debug, Clone)]
pub struct ExpiredWindow {
    pub case_id: CaseId,
    pub leg_id: LegId,
}

impl Store {
    /// Running clocks of legs and cases whose state at `now` is past the one acted on. Only
    /// clocks with a pending transition match, so the limit never hides one behind acted ones.
    pub async fn moved_clocks(&self, now: i64, limit: i64) -> Result<Vec<MovedClock>, StoreError> {
        // Rows of `table` whose running clock passed the transition it last acted on.
        let past = |table: &str, columns: &str, running: &str| {
            format!(
                "SELECT {columns}, clock_acted, at_risk_at, due_at FROM {table} WHERE {running}
                   AND ((clock_acted = 'on_track' AND at_risk_at <= $1) OR (clock_acted = 'at_risk' AND due_at < $1))
                 ORDER BY at_risk_at LIMIT $2"
            )
        };
        let fetch = |sql: String| async move { sqlx::query(&sql).bind(now).bind(limit).fetch_all(&self.read).await };
        let legs = fetch(past(
            "legs",
            "id, case_id",
            "state IN ('queued', 'delivering', 'delivered', 'dead') AND name != 'return'",
        ))
        .await?;
        let cases = fetch(past("cases", "id", "status = 'in_progress'")).await?;
        let moved = |case_id: CaseId, leg_id: Option<LegId>, r: &sqlx::any::AnyRow| {
            let acted = columns::clock_state(r, "clock_acted")?;
            let state = ClockState::at(now, col(r, "at_risk_at")?, col(r, "due_at")?);
            Ok::<_, StoreError>((state > acted).then_some(MovedClock {
                case_id,
                leg_id,
                acted,
                now: state,
            }))
        };
        let mut out = Vec::new();
        for r in &legs {
            out.extend(moved(col(r, "case_id")?, Some(col(r, "id")?), r)?);
        }
        for r in &cases {
            out.extend(moved(col(r, "id")?, None, r)?);
        }
        Ok(out)
    }

    /// Records a clock transition if no one else has; true when this caller acted. A case going
    /// overdue gets its apology letter drafted in the same transaction.
    pub async fn act_on_clock(
        &self,
        clock: &MovedClock,
        detail: &str,
        apology: Option<(&str, Date, Date)>,
    ) -> Result<bool, StoreError> {
        let now = self.now_ms();
        let mut tx = self.begin_case(&clock.case_id).await?;
        let (table, id) = match &clock.leg_id {
            Some(leg) => ("legs", leg.as_str()),
            None => ("cases", clock.case_id.as_str()),
        };
        let won = sqlx::query(&format!(
            "UPDATE {table} SET clock_acted = $1 WHERE id = $2 AND clock_acted = $3"
        ))
        .bind(clock.now.as_str())
        .bind(id)
        .bind(clock.acted.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !won {
            return Ok(false);
        }
        fact(
            &mut tx,
            &clock.case_id,
            clock.leg_id.as_deref(),
            now,
            "gateway",
            "clock",
            clock.now.as_str(),
            Some(detail),
        )
        .await?;
        if let Some((reason, original, proposed)) = apology {
            let inserted = sqlx::query(
                "INSERT INTO apologies (case_id, created_at, reason, original_day, proposed_day, status)
                 VALUES ($1, $2, $3, $4, $5, 'draft') ON CONFLICT (case_id) DO NOTHING",
            )
            .bind(&clock.case_id)
            .bind(now)
            .bind(reason)
            .bind(original.to_string())
            .bind(proposed.to_string())
            .execute(&mut *tx)
            .await?;
            if inserted.rows_affected() == 1 {
                fact(
                    &mut tx,
                    &clock.case_id,
                    None,
                    now,
                    "gateway",
                    "apology",
                    "drafted",
                    Some(reason),
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Running cases at risk and overdue at `now`: the administrator's two numbers.
    pub async fn clock_counts(&self, now: i64) -> Result<(i64, i64), StoreError> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(CASE WHEN at_risk_at <= $1 AND due_at >= $1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS at_risk,
                    CAST(COALESCE(SUM(CASE WHEN due_at < $1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS overdue
             FROM cases WHERE status = 'in_progress' AND at_risk_at <= $1",
        )
        .bind(now)
        .fetch_one(&self.read)
        .await?;
        Ok((col(&row, "at_risk")?, col(&row, "overdue")?))
    }

    /// Legs waiting on the family whose supplement window ended and was not yet reported.
    pub async fn expired_windows(&self, now: i64) -> Result<Vec<ExpiredWindow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, case_id FROM legs WHERE state = 'needs_supplement' AND window_acted = 0 AND window_ends_at <= $1",
        )
        .bind(now)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ExpiredWindow {
                    case_id: col(r, "case_id")?,
                    leg_id: col(r, "id")?,
                })
            })
            .collect()
    }

    /// Records once that a supplement window ran out; true when this caller acted.
    pub async fn act_on_window(&self, w: &ExpiredWindow) -> Result<bool, StoreError> {
        let now = self.now_ms();
        let mut tx = self.begin_case(&w.case_id).await?;
        let won = sqlx::query("UPDATE legs SET window_acted = 1 WHERE id = $1 AND window_acted = 0")
            .bind(&w.leg_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if won {
            fact(
                &mut tx,
                &w.case_id,
                Some(&w.leg_id),
                now,
                "gateway",
                "supplement",
                "window_expired",
                None,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(won)
    }

    /// The apology letter of a case, if it went overdue.
    pub async fn apology(&self, case_id: &str) -> Result<Option<Apology>, StoreError> {
        let row = sqlx::query("SELECT * FROM apologies WHERE case_id = $1")
            .bind(case_id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| {
            Ok(Apology {
                case_id: col(&r, "case_id")?,
                created_at_ms: col(&r, "created_at")?,
                reason: col(&r, "reason")?,
                original_day: parsed(&r, "original_day")?,
                proposed_day: parsed(&r, "proposed_day")?,
                status: col(&r, "status")?,
                confirmed_day: parsed_opt(&r, "confirmed_day")?,
                confirmed_by: col(&r, "confirmed_by")?,
            })
        })
        .transpose()
    }

    /// Apology letters waiting for an officer, oldest first.
    pub async fn draft_apologies(&self) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT case_id FROM apologies WHERE status = 'draft' ORDER BY created_at")
                .fetch_all(&self.read)
                .await?,
        )
    }

    /// An officer confirms (or changes) the new appointment date; the family is told once, by
    /// the event this writes. Confirming again with the same date changes nothing.
    pub async fn confirm_apology(&self, case_id: &str, day: Date, actor: &str) -> Result<bool, StoreError> {
        let now = self.now_ms();
        let mut tx = self.begin_case(case_id).await?;
        let current: Option<(String, Option<String>)> =
            sqlx::query_as("SELECT status, confirmed_day FROM apologies WHERE case_id = $1")
                .bind(case_id)
                .fetch_optional(&mut *tx)
                .await?;
        match current {
            None => return Err(StoreError::NotFound),
            Some((status, Some(d))) if status == "confirmed" && d == day.to_string() => return Ok(false),
            Some((status, _)) if status == "confirmed" => return Err(StoreError::InvalidState(status)),
            Some(_) => {}
        }
        sqlx::query(
            "UPDATE apologies SET status = 'confirmed', confirmed_day = $1, confirmed_by = $2, confirmed_at = $3 WHERE case_id = $4",
        )
        .bind(day.to_string())
        .bind(actor)
        .bind(now)
        .bind(case_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE cases SET appointment_day = $1, updated_at = $2 WHERE id = $3")
            .bind(day.to_string())
            .bind(now)
            .bind(case_id)
            .execute(&mut *tx)
            .await?;
        fact(
            &mut tx,
            case_id,
            None,
            now,
            actor,
            "apology",
            "confirmed",
            Some(&day.to_string()),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The supplement arrived: every leg waiting on the family resumes with its new deadline
    /// and is queued again for its agency; the case gets its new deadline and appointment date.
    pub async fn resume_after_supplement(
        &self,
        case_id: &str,
        legs: &[(LegId, Due, Vec<AttachmentMeta>)],
        case_due: Due,
        actor: &str,
        note: &str,
    ) -> Result<CaseRow, StoreError> {
        let now = self.now_ms();
        let mut tx = self.begin_case(case_id).await?;
        for (leg_id, due, files) in legs {
            let moved = super::delivery::move_leg(
                &mut tx,
                case_id,
                leg_id,
                LegState::NeedsSupplement,
                LegState::Queued,
                now,
                actor,
                Some(note),
            )
            .await?;
            if moved {
                sqlx::query(
                    "UPDATE legs SET due_day = $1, due_at = $2, at_risk_at = $3, clock_acted = 'on_track', paused_at = NULL
                     WHERE id = $4",
                )
                .bind(due.day.to_string())
                .bind(due.due_at.as_millisecond())
                .bind(due.at_risk_at.as_millisecond())
                .bind(leg_id)
                .execute(&mut *tx)
                .await?;
                // Back to the agency through the outbox: the envelope is posted again under the
                // same leg id (the agency's record, now to be examined again), and the leg is
                // delivered again once every file is confirmed.
                super::supplements::append(&mut tx, case_id, leg_id, now, actor, note, files).await?;
                super::delivery::requeue_delivery(&mut tx, leg_id, now).await?;
                sqlx::query("UPDATE deliveries SET envelope_accepted = 0 WHERE leg_id = $1")
                    .bind(leg_id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        sqlx::query(
            "UPDATE cases SET due_day = $1, due_at = $2, at_risk_at = $3, appointment_day = $4, clock_acted = 'on_track',
             updated_at = $5 WHERE id = $6",
        )
        .bind(case_due.day.to_string())
        .bind(case_due.due_at.as_millisecond())
        .bind(case_due.at_risk_at.as_millisecond())
        .bind(case_due.day.to_string())
        .bind(now)
        .bind(case_id)
        .execute(&mut *tx)
        .await?;
        fact(&mut tx, case_id, None, now, actor, "supplement", "received", Some(note)).await?;
        super::decisions::refresh_case_status(&mut tx, case_id, now, actor).await?;
        let row = sqlx::query(&format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1"))
            .bind(case_id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        case_row(&row)
    }

    /// Stores what a leg's clocks had left when it stopped for a supplement.
    pub(super) async fn pause_leg(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        leg_id: &str,
        now: i64,
        paused: &Paused,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE legs SET paused_at = $1, leg_days_left = $2, case_days_left = $3, window_ends_at = $4, window_acted = 0
             WHERE id = $5",
        )
        .bind(now)
        .bind(paused.leg_days_left as i64)
        .bind(paused.case_days_left as i64)
        .bind(paused.window_ends_at.as_millisecond())
        .bind(leg_id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// What a paused leg had left: `(leg days, case days)`.
    pub async fn paused_days(&self, leg_id: &str) -> Result<Option<Paused>, StoreError> {
        let row = sqlx::query(
            "SELECT leg_days_left, case_days_left, window_ends_at FROM legs WHERE id = $1 AND paused_at IS NOT NULL",
        )
        .bind(leg_id)
        .fetch_optional(&self.read)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let (Some(leg), Some(case), Some(ends)) = (
            col::<Option<i64>>(&r, "leg_days_left")?,
            col::<Option<i64>>(&r, "case_days_left")?,
            col::<Option<i64>>(&r, "window_ends_at")?,
        ) else {
            return Ok(None);
        };
        let corrupt = |column: &'static str, value: i64| StoreError::Corrupt {
            column,
            value: value.to_string(),
        };
        Ok(Some(Paused {
            leg_days_left: u32::try_from(leg).map_err(|_| corrupt("leg_days_left", leg))?,
            case_days_left: u32::try_from(case).map_err(|_| corrupt("case_days_left", case))?,
            window_ends_at: jiff::Timestamp::from_millisecond(ends).map_err(|_| corrupt("window_ends_at", ends))?,
        }))
    }
}
