//! Check-back (docs/reconciliation.md): the gateway is the one place that knows a decision is
//! missing, so it goes and gets it. A leg delivered but undecided for the configured time is
//! asked about at its agency with the receipt query; a decision found there is recorded through
//! the same path as a callback ([`crate::decisions`]), with the actor `check-back:<system>`.
//! Checks are paced per office, wait while the office's breaker is open, and back off while the
//! agency has not decided.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use lienthong_contract::{Adapter, AdapterError, LegKind};
use tokio::sync::watch;

use super::policy::check_back_wait;
use super::Deliverer;
use crate::decisions::{self, DecisionError};
use crate::domain::decision;
use crate::store::check_back::{CheckDue, CheckOutcome};
use crate::store::StoreError;

/// Checks run at once by one process.
const CONCURRENT: usize = 4;
/// Due legs read per round and leg kind.
const BATCH: i64 = 64;

impl Deliverer {
    /// Looks for due check-backs every `poll_interval_ms` until `shutdown` turns true.
    pub(super) async fn check_back(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let poll = Duration::from_millis(self.cfg.check_back.poll_interval_ms);
        while !*shutdown.borrow() {
            for kind in [LegKind::Residence, LegKind::Insurance] {
                if let Err(e) = self.check_round(kind).await {
                    tracing::warn!(leg = kind.as_str(), error = %e, "check-back round failed");
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// One round over the due legs of one kind.
    async fn check_round(&self, kind: LegKind) -> Result<(), StoreError> {
        let after = self.cfg.check_back.after_ms(kind) as i64;
        let due = self.store.due_checks(kind, after, BATCH).await?;
        let mut claimed = Vec::new();
        for d in due {
            let now = self.store.now_ms();
            if let Err(until) = self.breakers.check(&d.endpoint, now) {
                metrics::counter!("lienthong_check_backs_total", "leg" => kind.as_str(), "outcome" => "deferred")
                    .increment(1);
                self.store.defer_check(&d, until).await?;
                continue;
            }
            let per_minute = self.cfg.check_back.per_office_per_minute;
            if self
                .check_pace
                .take(&d.office_code, now, per_minute, per_minute)
                .is_err()
            {
                continue;
            }
            let lease_until = now + 2 * self.cfg.request_timeout_ms as i64;
            if self.store.claim_check(&d, lease_until).await? {
                claimed.push(d);
            }
        }
        futures_util::stream::iter(claimed)
            .for_each_concurrent(CONCURRENT, |d| async move {
                if let Err(e) = self.check_one(&d).await {
                    tracing::warn!(case_id = %d.case_id, leg = d.kind.as_str(), error = %e, "check-back not recorded; it will be made again");
                }
            })
            .await;
        Ok(())
    }

    /// Asks the agency about one claimed leg and records what it found.
    async fn check_one(&self, due: &CheckDue) -> Result<(), StoreError> {
        let leg_name = due.kind.as_str();
        let adapter: &Arc<dyn Adapter> = match due.kind {
            LegKind::Residence => &self.adapters.police,
            _ => &self.adapters.insurance,
        };
        let ep = self.endpoint_of(&due.endpoint);
        let answer = adapter.receipt(&ep, &due.leg_id).await;
        let now = self.store.now_ms();
        let (outcome, detail) = match answer {
            Err(e) => {
                if e.is_transient() {
                    self.breakers.failure(&due.endpoint, now);
                }
                let outcome = match e {
                    AdapterError::Transient(_) => CheckOutcome::Unreachable,
                    AdapterError::Permanent(_) => CheckOutcome::Refused,
                };
                (outcome, Some(e.to_string()))
            }
            Ok(receipt) => {
                self.breakers.success(&due.endpoint);
                match receipt.decision {
                    None => (CheckOutcome::Pending, None),
                    Some(found) => self.apply_found(due, &found).await?,
                }
            }
        };
        metrics::counter!("lienthong_check_backs_total", "leg" => leg_name, "outcome" => outcome.as_str()).increment(1);
        if outcome == CheckOutcome::Recovered {
            metrics::counter!("lienthong_decisions_recovered_total", "leg" => leg_name).increment(1);
            tracing::info!(case_id = %due.case_id, leg = leg_name, "decision recovered by check-back");
            self.wake.notify_one();
        }
        let cb = &self.cfg.check_back;
        let wait = check_back_wait(cb.after_ms(due.kind), cb.max_interval_ms, due.checks + 1);
        let next = now + wait.as_millis() as i64;
        self.store.finish_check(due, outcome, detail.as_deref(), next).await
    }

    /// Records a decision the agency's status shows, unless it is the one already recorded
    /// before the leg went back to the agency (the previous round's answer, e.g. the supplement
    /// request a system still shows until it looks at the dossier again).
    async fn apply_found(
        &self,
        due: &CheckDue,
        found: &serde_json::Value,
    ) -> Result<(CheckOutcome, Option<String>), StoreError> {
        let Some(leg) = self.store.leg(&due.leg_id).await? else {
            return Err(StoreError::NotFound);
        };
        if let Ok(parsed) = decision::parse(due.kind, found) {
            if leg.result.as_ref() == Some(&parsed.result) {
                return Ok((
                    CheckOutcome::Pending,
                    Some("the agency still shows its previous decision".into()),
                ));
            }
        }
        let actor = format!("check-back:{}", self.system_of(&due.office_code, due.kind));
        match decisions::record(&self.store, &self.config.calendar, &leg, &actor, found, &[], None).await {
            Ok(_) => Ok((CheckOutcome::Recovered, None)),
            Err(DecisionError::Invalid(problems)) => {
                let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
                Ok((
                    CheckOutcome::Refused,
                    Some(format!("invalid decision: {}", paths.join(", "))),
                ))
            }
            Err(DecisionError::Store(StoreError::InvalidState(s))) => Ok((
                CheckOutcome::Refused,
                Some(format!("a decision the leg cannot take while {s}")),
            )),
            Err(DecisionError::Store(e)) => Err(e),
        }
    }

    /// The id of the agency system that decides for `office` (the office code when none is
    /// configured any more).
    fn system_of(&self, office: &str, kind: LegKind) -> String {
        use crate::config::SystemKind;
        let wanted = match kind {
            LegKind::Residence => SystemKind::Police,
            _ => SystemKind::Insurance,
        };
        self.config
            .gateway
            .systems
            .iter()
            .find(|s| s.kind == wanted && s.offices.iter().any(|o| o == office))
            .map_or_else(|| office.to_string(), |s| s.id.clone())
    }
}
