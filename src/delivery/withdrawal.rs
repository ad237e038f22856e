//! Telling the agencies that a family withdrew its dossier (docs/family.md): each withdrawal is
//! a delivery of its own, leased so one process sends it, retried with the delivery backoff
//! while the agency is unreachable, and dead-lettered for an operator when it keeps failing.
//! A receiver that never got the dossier answers that it holds nothing, which is done too.

use std::sync::Arc;
use std::time::Duration;

use lienthong_contract::{Adapter, LegKind};
use tokio::sync::watch;

use super::Deliverer;
use crate::domain::state::AttemptOutcome;
use crate::store::withdrawals::WithdrawalJob;
use crate::store::StoreError;

/// Withdrawals claimed per round.
const BATCH: i64 = 32;

impl Deliverer {
    /// Delivers due withdrawals every poll interval until `shutdown` turns true.
    pub(super) async fn withdrawals(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let poll = Duration::from_millis(self.cfg.poll_interval_ms);
        while !*shutdown.borrow() {
            if let Err(e) = self.withdrawal_round().await {
                tracing::warn!(error = %e, "withdrawal round failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    async fn withdrawal_round(&self) -> Result<(), StoreError> {
        let lease = 2 * self.cfg.request_timeout_ms as i64;
        for job in self.store.claim_withdrawals(BATCH, lease).await? {
            self.withdraw_one(&job).await?;
        }
        Ok(())
    }

    async fn withdraw_one(&self, job: &WithdrawalJob) -> Result<(), StoreError> {
        let adapter: &Arc<dyn Adapter> = match job.kind {
            LegKind::Residence => &self.adapters.police,
            _ => &self.adapters.insurance,
        };
        let ep = self.endpoint_of(&job.endpoint);
        let leg = job.kind.as_str();
        match adapter.withdraw(&ep, &job.leg_id, &job.reason).await {
            Ok(()) => {
                let outcome = AttemptOutcome::Delivered.as_str();
                metrics::counter!("lienthong_withdrawals_total", "leg" => leg, "outcome" => outcome).increment(1);
                tracing::info!(case_id = %job.case_id, leg, "withdrawal delivered");
                self.store.withdrawal_done(&job.leg_id).await
            }
            Err(e) => {
                let attempts = job.attempts.max(1) as u32;
                let age = Duration::from_millis((self.store.now_ms() - job.created_at_ms).max(0) as u64);
                let retry = e.is_transient() && !self.policy.exhausted(attempts, age);
                let retry_at =
                    retry.then(|| self.store.now_ms() + self.policy.delay_after(attempts).as_millis() as i64);
                let outcome = if retry {
                    AttemptOutcome::Retry
                } else {
                    AttemptOutcome::Dead
                }
                .as_str();
                metrics::counter!("lienthong_withdrawals_total", "leg" => leg, "outcome" => outcome).increment(1);
                tracing::warn!(case_id = %job.case_id, leg, attempts, error = %e, outcome, "withdrawal not delivered");
                self.store
                    .withdrawal_failed(&job.leg_id, &e.to_string(), retry_at)
                    .await
            }
        }
    }
}
