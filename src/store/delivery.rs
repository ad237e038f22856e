//! The outbox: claiming due deliveries, recording attempts and operator resends (decisions are in
//! [`super::decisions`]).
//!
//! Every state change is a conditional update inside a transaction that also appends its event,
//! so a stale worker (one whose leg was decided meanwhile) can never move a leg backwards.

use crate::domain::CaseId;
use lienthong_contract::message::overlay;
use lienthong_contract::{AttachmentMeta, CaseBundle, LegKind, OfficeCode, Supplement};
use sqlx::{Any, Transaction};

use super::columns::{self, col};
use super::decisions::refresh_case_status;
use super::trail::event;
use super::{Store, StoreError};
use crate::domain::state::{can_move, AttemptOutcome, LegState};

/// What a worker needs to run one delivery.
#[derive(Debug, Clone)]
pub struct DeliveryJob {
    pub leg_id: String,
    pub case_id: String,
    pub kind: LegKind,
    pub state: LegState,
    pub office_code: OfficeCode,
    pub endpoint: String,
    pub envelope_accepted: bool,
    pub policy_attempts: u32,
    pub policy_started_at_ms: Option<i64>,
    pub case_created_at_ms: i64,
    pub bundle: CaseBundle,
    /// The files the receiver must hold: for an agency, the case's attachments with the leg's
    /// supplement files laid over them ([`lienthong_contract::message::overlay`]); for the
    /// commune, the documents the agencies issued.
    pub attachments: Vec<AttachmentMeta>,
    /// What the family brought for this leg's agency, oldest first.
    pub supplements: Vec<Supplement>,
    /// For the return leg: the agency legs' final states and results.
    pub agency_legs: Vec<super::LegView>,
}

/// Which dead legs a bulk action takes (docs/operations.md): every filter given must match.
#[derive(Debug, Clone, Default)]
pub struct DeadFilter<'a> {
    pub office_code: Option<&'a str>,
    pub leg: Option<LegKind>,
    /// Text the leg's last error contains.
    pub error_contains: Option<&'a str>,
    /// Dead since at least this instant (ms).
    pub dead_before_ms: Option<i64>,
    pub limit: i64,
}

/// How an attempt ended, with what the store keeps of it.
pub enum Finish {
    Delivered {
        files_resent: u32,
    },
    Retry {
        error: String,
        due_at_ms: i64,
        files_resent: u32,
    },
    Dead {
        error: String,
        files_resent: u32,
    },
}

impl Finish {
    /// The attempt's outcome.
    pub fn outcome(&self) -> AttemptOutcome {
        match self {
            Finish::Delivered { .. } => AttemptOutcome::Delivered,
            Finish::Retry { .. } => AttemptOutcome::Retry,
            Finish::Dead { .. } => AttemptOutcome::Dead,
        }
    }
}

/// A leg's case, kind and state, read inside the transaction that will move it.
async fn leg_state(tx: &mut Transaction<'_, Any>, leg_id: &str) -> Result<(CaseId, LegKind, LegState), StoreError> {
    let row = sqlx::query("SELECT case_id, name, state FROM legs WHERE id = $1")
        .bind(leg_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok((
        col(&row, "case_id")?,
        columns::leg_kind(&row, "name")?,
        columns::leg_state(&row, "state")?,
    ))
}

/// Moves a leg if the machine allows it, with its event; false when the leg was elsewhere.
#[allow(clippy::too_many_arguments)]
pub(super) async fn move_leg(
    tx: &mut Transaction<'_, Any>,
    case_id: &str,
    leg_id: &str,
    from: LegState,
    to: LegState,
    now: i64,
    actor: &str,
    reason: Option<&str>,
) -> Result<bool, StoreError> {
    if !can_move(from, to) {
        return Ok(false);
    }
    let done = sqlx::query("UPDATE legs SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4")
        .bind(to.as_str())
        .bind(now)
        .bind(leg_id)
        .bind(from.as_str())
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    if to == LegState::Delivered {
        // A new wait for the agency's decision: check-back counts from now (docs/reconciliation.md).
        sqlx::query(
            "UPDATE legs SET check_from = $1, check_due_at = NULL, check_count = 0, check_outcome = NULL,
             check_detail = NULL WHERE id = $2",
        )
        .bind(now)
        .bind(leg_id)
        .execute(&mut **tx)
        .await?;
    }
    event(
        tx,
        case_id,
        Some(leg_id),
        now,
        actor,
        Some(from.as_str()),
        to.as_str(),
        reason,
    )
    .await?;
    Ok(true)
}

/// Marks a leg's delivery as done: nothing more to send.
pub(super) async fn close_delivery(tx: &mut Transaction<'_, Any>, leg_id: &str, now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE deliveries SET status = 'done', lease_until = NULL, updated_at = $1 WHERE leg_id = $2")
        .bind(now)
        .bind(leg_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Puts a leg's delivery back in the outbox, due now, with a fresh retry budget.
pub(super) async fn requeue_delivery(tx: &mut Transaction<'_, Any>, leg_id: &str, now: i64) -> Result<(), StoreError> {
    requeue_delivery_at(tx, leg_id, now, now).await
}

/// Puts a leg's delivery back in the queue, due at `due_ms` (a paced bulk resend spreads them).
async fn requeue_delivery_at(
    tx: &mut Transaction<'_, Any>,
    leg_id: &str,
    now: i64,
    due_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE deliveries SET status = 'pending', due_at = $1, lease_until = NULL, policy_attempts = 0,
         policy_started_at = NULL, updated_at = $2 WHERE leg_id = $3",
    )
    .bind(due_ms)
    .bind(now)
    .bind(leg_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Releases every lease: a SQLite store has one gateway process, so at start-up no delivery
    /// can still be in flight.
    pub(super) async fn release_leases(&self) -> Result<(), StoreError> {
        sqlx::query("UPDATE deliveries SET status = 'pending', lease_until = NULL WHERE status = 'leased'")
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Leases up to `limit` due deliveries (or ones whose lease expired), oldest due first.
    pub async fn claim_due(&self, limit: usize, lease_ms: i64) -> Result<Vec<String>, StoreError> {
        let now = self.now_ms();
        let rows = sqlx::query(&format!(
            "UPDATE deliveries SET status = 'leased', lease_until = $1, updated_at = $2
             WHERE leg_id IN (
               SELECT leg_id FROM deliveries
               WHERE (status = 'pending' AND due_at <= $2) OR (status = 'leased' AND lease_until < $2)
               ORDER BY due_at LIMIT $3{})
             RETURNING leg_id",
            self.dialect.skip_locked()
        ))
        .bind(now + lease_ms)
        .bind(now)
        .bind(limit as i64)
        .fetch_all(&self.write)
        .await?;
        rows.iter().map(|r| col(r, "leg_id")).collect()
    }

    /// When the next pending delivery is due, so workers can sleep until then.
    pub async fn next_due_ms(&self) -> Result<Option<i64>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT MIN(due_at) FROM deliveries WHERE status = 'pending'")
                .fetch_one(&self.read)
                .await?,
        )
    }

    /// Loads a leased delivery.
    pub async fn delivery_job(&self, leg_id: &str) -> Result<DeliveryJob, StoreError> {
        let row = sqlx::query(
            "SELECT l.case_id, l.name, l.state, l.office_code, l.endpoint,
                    d.envelope_accepted, d.policy_attempts, d.policy_started_at, c.created_at, c.bundle
             FROM legs l JOIN deliveries d ON d.leg_id = l.id JOIN cases c ON c.id = l.case_id
             WHERE l.id = $1",
        )
        .bind(leg_id)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)?;
        let case_id: String = col(&row, "case_id")?;
        let kind = columns::leg_kind(&row, "name")?;
        let state = columns::leg_state(&row, "state")?;
        let bundle: CaseBundle = serde_json::from_str(&col::<String>(&row, "bundle")?)
            .map_err(|e| StoreError::Db(sqlx::Error::Decode(Box::new(e))))?;
        let agency_legs = if kind == LegKind::Return {
            self.legs(&case_id)
                .await?
                .into_iter()
                .filter(|l| l.name != LegKind::Return)
                .collect()
        } else {
            Vec::new()
        };
        let (attachments, supplements) = if kind == LegKind::Return {
            let documents = self.result_documents(&case_id).await?;
            (documents.into_iter().map(|d| d.meta).collect(), Vec::new())
        } else {
            let supplements = self.supplements(leg_id).await?;
            (overlay(&self.attachments(&case_id).await?, &supplements), supplements)
        };
        Ok(DeliveryJob {
            leg_id: leg_id.to_string(),
            attachments,
            supplements,
            case_id,
            kind,
            state,
            office_code: columns::parsed(&row, "office_code")?,
            endpoint: col(&row, "endpoint")?,
            envelope_accepted: col::<i64>(&row, "envelope_accepted")? != 0,
            policy_attempts: col::<i64>(&row, "policy_attempts")?.max(0) as u32,
            policy_started_at_ms: col(&row, "policy_started_at")?,
            case_created_at_ms: col(&row, "created_at")?,
            bundle,
            agency_legs,
        })
    }

    /// Starts an attempt: the leg becomes `delivering` and both counters go up.
    /// Returns the leg's attempt number.
    pub async fn begin_attempt(&self, leg_id: &str) -> Result<u32, StoreError> {
        let now = self.now_ms();
        let mut tx = self.begin_leg(leg_id).await?;
        let (case_id, _, state) = leg_state(&mut tx, leg_id).await?;
        if state == LegState::Queued {
            move_leg(
                &mut tx,
                &case_id,
                leg_id,
                state,
                LegState::Delivering,
                now,
                "gateway",
                None,
            )
            .await?;
        } else if state != LegState::Delivering {
            return Err(StoreError::InvalidState(state.as_str().into()));
        }
        let attempts: i64 =
            sqlx::query_scalar("UPDATE legs SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts")
                .bind(leg_id)
                .fetch_one(&mut *tx)
                .await?;
        sqlx::query(
            "UPDATE deliveries SET policy_attempts = policy_attempts + 1,
             policy_started_at = COALESCE(policy_started_at, $1), updated_at = $2 WHERE leg_id = $3",
        )
        .bind(now)
        .bind(now)
        .bind(leg_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(attempts as u32)
    }

    /// Remembers that the receiver holds the envelope, so later attempts send only files.
    pub async fn mark_envelope_accepted(&self, leg_id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE deliveries SET envelope_accepted = 1 WHERE leg_id = $1")
            .bind(leg_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Puts a claimed delivery back without an attempt (its endpoint's breaker is open).
    pub async fn defer(&self, leg_id: &str, due_at_ms: i64) -> Result<(), StoreError> {
        self.put_back(leg_id, due_at_ms, false).await
    }

    /// Puts a claimed delivery back until `due_at_ms` because its office is paused, in a
    /// maintenance window or at its pace (docs/operations.md). The time held does not count as
    /// failing: the retry budget's start moves forward by as much as the delivery waits from the
    /// moment it was due, so a long pause neither exhausts the budget nor looks like an outage.
    pub async fn hold(&self, leg_id: &str, due_at_ms: i64) -> Result<(), StoreError> {
        self.put_back(leg_id, due_at_ms, true).await
    }

    async fn put_back(&self, leg_id: &str, due_at_ms: i64, budget_waits: bool) -> Result<(), StoreError> {
        let shift = if budget_waits {
            ", policy_started_at = policy_started_at + ($1 - due_at)"
        } else {
            ""
        };
        sqlx::query(&format!(
            "UPDATE deliveries SET status = 'pending', lease_until = NULL, due_at = $1, updated_at = $2{shift}
             WHERE leg_id = $3 AND status = 'leased'"
        ))
        .bind(due_at_ms)
        .bind(self.now_ms())
        .bind(leg_id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Drops a claimed delivery whose leg no longer needs it (decided meanwhile).
    pub async fn settle(&self, leg_id: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_leg(leg_id).await?;
        close_delivery(&mut tx, leg_id, self.now_ms()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records how an attempt ended and moves the leg and the outbox accordingly.
    pub async fn finish_attempt(
        &self,
        leg_id: &str,
        number: u32,
        started_ms: i64,
        finish: Finish,
    ) -> Result<(), StoreError> {
        let now = self.now_ms();
        let mut tx = self.begin_leg(leg_id).await?;
        let (case_id, name, state) = leg_state(&mut tx, leg_id).await?;
        // The attempt number is the fence: once a later attempt has begun (a lease that looked
        // lapsed to another worker), that attempt owns the leg and its outbox row, and this one
        // only leaves its line in the log (docs/operations.md, "Several instances").
        let latest: i64 = sqlx::query_scalar("SELECT attempts FROM legs WHERE id = $1")
            .bind(leg_id)
            .fetch_one(&mut *tx)
            .await?;
        let outcome = finish.outcome();
        let (error, resent) = match &finish {
            Finish::Delivered { files_resent } => (None, *files_resent),
            Finish::Retry {
                error, files_resent, ..
            }
            | Finish::Dead { error, files_resent } => (Some(error.as_str()), *files_resent),
        };
        sqlx::query(
            "INSERT INTO delivery_attempts (leg_id, number, started_at, finished_at, outcome, files_resent, error) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(leg_id)
        .bind(number as i64)
        .bind(started_ms)
        .bind(now)
        .bind(outcome.as_str())
        .bind(resent as i64)
        .bind(error)
        .execute(&mut *tx)
        .await?;
        if latest != i64::from(number) {
            tx.commit().await?;
            return Ok(());
        }
        let to = outcome.leg_state();
        // The outbox row's next status, as SQL text: nothing more to send, due again, given up.
        let (outbox, due) = match &finish {
            Finish::Delivered { .. } => ("'done'", None),
            Finish::Retry { due_at_ms, .. } => ("'pending'", Some(*due_at_ms)),
            Finish::Dead { .. } => ("'dead'", None),
        };
        let moved = move_leg(&mut tx, &case_id, leg_id, state, to, now, "gateway", error).await?;
        if moved {
            sqlx::query(
                "UPDATE legs SET last_error = $1, delivered_at = CASE WHEN $2 THEN COALESCE(delivered_at, $3) ELSE delivered_at END WHERE id = $4",
            )
            .bind(error)
            .bind(to == LegState::Delivered)
            .bind(now)
            .bind(leg_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(&format!(
                "UPDATE deliveries SET status = {outbox}, lease_until = NULL, due_at = COALESCE($1, due_at), updated_at = $2
                 WHERE leg_id = $3"
            ))
                .bind(due)
                .bind(now)
                .bind(leg_id)
                .execute(&mut *tx)
                .await?;
            if name == LegKind::Return {
                refresh_case_status(&mut tx, &case_id, now, "gateway").await?;
            }
        } else if state.is_decided() {
            // Decided while we were sending: the receiver has it all, nothing more to deliver.
            close_delivery(&mut tx, leg_id, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// An operator puts a dead leg back in the queue with a fresh retry budget.
    pub async fn resend(&self, leg_id: &str, actor: &str) -> Result<CaseId, StoreError> {
        let (mut tx, case_id, now) = self
            .move_dead_leg(leg_id, LegState::Queued, actor, "resend by operator")
            .await?;
        requeue_delivery(&mut tx, leg_id, now).await?;
        tx.commit().await?;
        Ok(case_id)
    }

    /// Dead legs matching `filter`, the longest due first (the family who waited longest).
    pub async fn dead_legs(&self, filter: &DeadFilter<'_>) -> Result<Vec<(String, CaseId)>, StoreError> {
        let pattern = filter.error_contains.map(|t| {
            let escaped = t.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            format!("%{escaped}%")
        });
        let rows = sqlx::query(
            "SELECT id, case_id FROM legs
             WHERE state = 'dead' AND ($1 IS NULL OR office_code = $1) AND ($2 IS NULL OR name = $2)
               AND ($3 IS NULL OR last_error LIKE $3 ESCAPE '\\') AND ($4 IS NULL OR updated_at <= $4)
             ORDER BY COALESCE(due_at, updated_at), id LIMIT $5",
        )
        .bind(filter.office_code)
        .bind(filter.leg.map(LegKind::as_str))
        .bind(pattern)
        .bind(filter.dead_before_ms)
        .bind(filter.limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| Ok((col(r, "id")?, columns::parsed(r, "case_id")?)))
            .collect()
    }

    /// Resends one dead leg of a bulk action: due at `due_ms`, its event naming the operator
    /// and the action's reason.
    pub async fn resend_in_bulk(
        &self,
        leg_id: &str,
        actor: &str,
        reason: &str,
        due_ms: i64,
    ) -> Result<CaseId, StoreError> {
        let why = format!("bulk resend: {reason}");
        let (mut tx, case_id, now) = self.move_dead_leg(leg_id, LegState::Queued, actor, &why).await?;
        requeue_delivery_at(&mut tx, leg_id, now, due_ms.max(now)).await?;
        tx.commit().await?;
        Ok(case_id)
    }

    /// An operator resolves a dead leg by hand: the receiving office confirmed, by another
    /// channel, that it holds the dossier. The leg becomes `delivered` (the agency decides as
    /// usual) and the trail keeps who and why.
    pub async fn resolve_by_hand(&self, leg_id: &str, actor: &str, reason: &str) -> Result<CaseId, StoreError> {
        let why = format!("resolved by hand: {reason}");
        let (mut tx, case_id, now) = self.move_dead_leg(leg_id, LegState::Delivered, actor, &why).await?;
        sqlx::query("UPDATE legs SET delivered_at = COALESCE(delivered_at, $1), last_error = NULL WHERE id = $2")
            .bind(now)
            .bind(leg_id)
            .execute(&mut *tx)
            .await?;
        close_delivery(&mut tx, leg_id, now).await?;
        tx.commit().await?;
        Ok(case_id)
    }

    /// Moves a dead leg to `to` by an operator's hand, in a transaction the caller finishes;
    /// [`StoreError::InvalidState`] when the leg is not dead.
    async fn move_dead_leg(
        &self,
        leg_id: &str,
        to: LegState,
        actor: &str,
        why: &str,
    ) -> Result<(Transaction<'static, Any>, CaseId, i64), StoreError> {
        let now = self.now_ms();
        let mut tx = self.begin_leg(leg_id).await?;
        let (case_id, _, state) = leg_state(&mut tx, leg_id).await?;
        if state != LegState::Dead || !move_leg(&mut tx, &case_id, leg_id, state, to, now, actor, Some(why)).await? {
            return Err(StoreError::InvalidState(state.as_str().into()));
        }
        Ok((tx, case_id, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::domain::LegId;

    /// A store on a fresh SQLite file holding one case whose residence leg is queued.
    async fn one_queued_leg() -> (tempfile::TempDir, Store, Clock, LegId) {
        let dir = tempfile::tempdir().expect("temp dir");
        let clock = Clock::adjustable();
        let url = format!("sqlite://{}", dir.path().join("store.db").display());
        let store = Store::open(&url, clock.clone()).await.expect("store opens");
        let (case, leg) = (CaseId::mint(), LegId::mint());
        sqlx::query(
            "INSERT INTO cases (id, source, receipt_code, commune_code, status, received_at, content_sha256, bundle,
                created_at, updated_at)
             VALUES ($1, 'onestop-a', 'H00-261130-0001', '22609', $2, 0, 'sha', '{}', 0, 0)",
        )
        .bind(case.as_str())
        .bind(crate::domain::state::CaseStatus::InProgress.as_str())
        .execute(&store.write)
        .await
        .expect("case row");
        sqlx::query(
            "INSERT INTO legs (id, case_id, name, state, office_code, endpoint, updated_at)
             VALUES ($1, $2, $3, $4, 'CA-22609', 'http://127.0.0.1:9', 0)",
        )
        .bind(leg.as_str())
        .bind(case.as_str())
        .bind(LegKind::Residence.as_str())
        .bind(LegState::Queued.as_str())
        .execute(&store.write)
        .await
        .expect("leg row");
        sqlx::query(
            "INSERT INTO deliveries (leg_id, status, due_at, created_at, updated_at) VALUES ($1, 'pending', 0, 0, 0)",
        )
        .bind(leg.as_str())
        .execute(&store.write)
        .await
        .expect("delivery row");
        (dir, store, clock, leg)
    }

    fn retry_at(due_at_ms: i64) -> Finish {
        Finish::Retry {
            error: "503".into(),
            due_at_ms,
            files_resent: 0,
        }
    }

    /// Two workers run the same leg: the first one's lease looked lapsed to the second (a clock
    /// jump, or skew between hosts). Whichever order they finish in, the leg ends queued with a
    /// pending delivery that is claimed again: the stale finisher never closes the outbox row.
    #[tokio::test]
    async fn a_stale_attempt_finishing_last_leaves_the_leg_to_the_later_one() {
        for stale_finishes_last in [true, false] {
            let (_dir, store, clock, leg) = one_queued_leg().await;
            assert_eq!(store.claim_due(1, 1_000).await.expect("claim"), [leg.to_string()]);
            let first = store.begin_attempt(&leg).await.expect("first attempt");
            clock.set(clock.now() + jiff::SignedDuration::from_secs(5));
            assert_eq!(store.claim_due(1, 1_000).await.expect("takeover"), [leg.to_string()]);
            let second = store.begin_attempt(&leg).await.expect("second attempt");
            assert_eq!((first, second), (1, 2));

            let due = store.now_ms() + 60_000;
            let order = if stale_finishes_last {
                [second, first]
            } else {
                [first, second]
            };
            for number in order {
                store
                    .finish_attempt(&leg, number, 0, retry_at(due))
                    .await
                    .expect("finish");
            }

            let view = store.leg(&leg).await.expect("leg").expect("leg exists");
            assert_eq!(view.state, LegState::Queued, "stale last: {stale_finishes_last}");
            assert_eq!(store.attempts(&leg).await.expect("attempts").len(), 2);
            clock.set(clock.now() + jiff::SignedDuration::from_secs(120));
            assert_eq!(
                store.claim_due(1, 1_000).await.expect("claim again"),
                [leg.to_string()],
                "the delivery is still in the outbox (stale last: {stale_finishes_last})"
            );
        }
    }
}
