//! Delivery workers: they own every leg from the moment it is in the outbox.
//!
//! A worker claims a due delivery (a lease in the store), checks the endpoint's breaker, and runs
//! one attempt: submit the envelope with its files (or, if the receiver already holds the
//! envelope, read its receipt), then re-send ALONE every file the receipt does not confirm by
//! SHA-256, up to `file_rounds` rounds. Only a receipt confirming every file makes the leg
//! `delivered`. A failed attempt is retried with backoff until the policy gives up; the leg is
//! then `dead` for an operator. The leg id is the idempotency key of every call, so a retry after
//! a time-out never creates a second record at the receiver.

pub mod breaker;
mod check_back;
pub mod policy;
pub mod windows;
mod withdrawal;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use lienthong_contract::{
    Adapter, AdapterError, AttachmentMeta, CaseEnvelope, CaseResult, Endpoint, FileBody, LegKind, LegOutcome, Message,
};
use tokio::sync::{watch, Notify, Semaphore};
use tokio::task::JoinSet;

use crate::blobs::Blobs;
use crate::config::{Config, DeliveryConfig};
use crate::domain::state::{return_outcome, LegState, Outcome};
use crate::ratelimit::Limiter;
use crate::store::Finish;
use crate::store::{DeliveryJob, Store};
use breaker::Breakers;
use policy::RetryPolicy;

/// The clients of every receiving system.
pub struct Adapters {
    pub police: Arc<dyn Adapter>,
    pub insurance: Arc<dyn Adapter>,
    /// One per one-stop system, each signing with that system's secret.
    pub onestop: HashMap<String, Arc<dyn Adapter>>,
    /// The HTTP client of each configured endpoint URL (its CA and client certificate), as last
    /// read from their files (`certificates::Reloader` reads them again).
    pub clients: tokio::sync::watch::Receiver<Arc<Clients>>,
    /// For an endpoint no longer in the configuration (a leg routed before a change).
    pub default_client: reqwest::Client,
}

/// The HTTP client of each configured endpoint URL.
pub type Clients = HashMap<String, reqwest::Client>;

impl Adapters {
    /// The clients of every office and one-stop endpoint of the routes.
    pub fn clients(routes: &crate::config::RoutesConfig) -> std::io::Result<Clients> {
        let offices = routes.police_offices.values().chain(routes.insurance_offices.values());
        let mut clients = HashMap::new();
        for o in offices {
            clients.insert(o.endpoint.clone(), o.tls.client()?);
        }
        for c in routes.communes.values() {
            clients.insert(c.onestop_result_url.clone(), c.onestop_tls.client()?);
        }
        Ok(clients)
    }
}

/// How soon a paused office's waiting deliveries are looked at again.
const PAUSE_RECHECK_MS: i64 = 60_000;

/// Why an attempt failed.
struct Failure {
    error: String,
    transient: bool,
    /// The endpoint itself misbehaved (counts for its breaker).
    endpoint_failed: bool,
    files_resent: u32,
}

impl Failure {
    fn from_adapter(e: AdapterError, files_resent: u32) -> Self {
        Failure {
            transient: e.is_transient(),
            endpoint_failed: e.is_transient(),
            error: e.to_string(),
            files_resent,
        }
    }
}

/// The delivery engine shared by its workers.
pub struct Deliverer {
    store: Store,
    blobs: Blobs,
    adapters: Adapters,
    policy: RetryPolicy,
    breakers: Breakers,
    cfg: DeliveryConfig,
    /// The calendar and the systems, for decisions found by check-back.
    config: Arc<Config>,
    /// Check-backs to each office, paced.
    check_pace: Limiter,
    /// Deliveries to each office with a `max_per_minute`, paced.
    pace: Limiter,
    wake: Arc<Notify>,
}

impl Deliverer {
    /// An engine over the store and blobs; `wake` is notified by intake and decisions.
    pub fn new(store: Store, blobs: Blobs, adapters: Adapters, config: Arc<Config>, wake: Arc<Notify>) -> Self {
        let cfg = config.gateway.delivery.clone();
        Deliverer {
            policy: RetryPolicy::new(cfg.retry.clone()),
            breakers: Breakers::new(cfg.breaker.clone()),
            store,
            blobs,
            adapters,
            cfg,
            config,
            check_pace: Limiter::default(),
            pace: Limiter::default(),
            wake,
        }
    }

    /// Claims and runs deliveries, and checks back undecided legs, until `shutdown` turns true;
    /// then waits for those in flight.
    pub async fn run(self: Arc<Self>, shutdown: watch::Receiver<bool>) {
        tokio::join!(
            Arc::clone(&self).deliver(shutdown.clone()),
            Arc::clone(&self).check_back(shutdown.clone()),
            self.withdrawals(shutdown)
        );
    }

    async fn deliver(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let permits = Arc::new(Semaphore::new(self.cfg.workers));
        let mut tasks = JoinSet::new();
        let poll = Duration::from_millis(self.cfg.poll_interval_ms);
        while !*shutdown.borrow() {
            let free = permits.available_permits();
            let mut claimed_all = false;
            if free > 0 {
                let claimed_at = tokio::time::Instant::now();
                match self.store.claim_due(free, self.cfg.lease_ms as i64).await {
                    Ok(ids) => {
                        claimed_all = ids.len() == free;
                        for id in ids {
                            let permit = Arc::clone(&permits)
                                .acquire_owned()
                                .await
                                .expect("semaphore stays open");
                            let me = Arc::clone(&self);
                            tasks.spawn(async move {
                                me.run_one(&id, claimed_at).await;
                                drop(permit);
                                me.wake.notify_one();
                            });
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "claiming deliveries failed"),
                }
            }
            while tasks.try_join_next().is_some() {}
            if claimed_all && permits.available_permits() > 0 {
                continue;
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
                _ = shutdown.changed() => {}
            }
        }
        while tasks.join_next().await.is_some() {}
    }

    /// Until when deliveries to `office` must wait without an attempt, if they must
    /// (docs/operations.md): an administrator's pause (looked at again every minute, since a
    /// resume makes the office's work due at once), a maintenance window, or the office's pace.
    async fn held_until(&self, office: &str) -> Option<i64> {
        let now = self.store.now_ms();
        match self.store.active_pauses(now).await {
            Ok(pauses) => {
                if let Some(p) = pauses.iter().find(|p| p.office_code == office) {
                    return Some(p.until.unwrap_or(i64::MAX).min(now + PAUSE_RECHECK_MS));
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the paused offices"),
        }
        let routes = &self.config.routes;
        let cfg = routes
            .police_offices
            .get(office)
            .or_else(|| routes.insurance_offices.get(office))?;
        let zone = lienthong_contract::vn_tz();
        let local = jiff::Timestamp::from_millisecond(now)
            .ok()?
            .to_zoned(zone.clone())
            .datetime();
        if let Some(end) = windows::held_until(&cfg.windows(), local) {
            return end.to_zoned(zone).ok().map(|z| z.timestamp().as_millisecond());
        }
        let per_minute = cfg.max_per_minute?;
        self.pace
            .take(office, now, per_minute, 1)
            .err()
            .map(|wait| now + wait.as_millis() as i64)
    }

    /// Runs one claimed delivery. The attempt must end inside the lease (with a tenth to spare):
    /// once the lease expires another process may claim the leg, and the same delivery must
    /// never run twice at once.
    async fn run_one(&self, leg_id: &str, claimed_at: tokio::time::Instant) {
        let lease_end = claimed_at + Duration::from_millis(self.cfg.lease_ms * 9 / 10);
        let job = match self.store.delivery_job(leg_id).await {
            Ok(j) => j,
            Err(e) => {
                tracing::warn!(leg_id, error = %e, "cannot load a claimed delivery");
                return;
            }
        };
        let leg = job.kind.as_str();
        if !matches!(job.state, LegState::Queued | LegState::Delivering) {
            let _ = self.store.settle(leg_id).await;
            return;
        }
        if let Some(until) = self.held_until(job.office_code.as_str()).await {
            metrics::counter!("lienthong_delivery_attempts_total", "leg" => leg, "outcome" => "held").increment(1);
            if let Err(e) = self.store.hold(leg_id, until).await {
                tracing::warn!(leg_id, error = %e, "cannot defer a delivery");
            }
            return;
        }
        if let Err(until) = self.breakers.check(&job.endpoint, self.store.now_ms()) {
            metrics::counter!("lienthong_delivery_attempts_total", "leg" => leg, "outcome" => "deferred").increment(1);
            if let Err(e) = self.store.defer(leg_id, until).await {
                tracing::warn!(leg_id, error = %e, "cannot defer a delivery");
            }
            return;
        }
        let number = match self.store.begin_attempt(leg_id).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(leg_id, error = %e, "cannot start an attempt");
                return;
            }
        };
        let started = self.store.now_ms();
        let result = match tokio::time::timeout_at(lease_end, self.attempt(&job)).await {
            Ok(result) => result,
            Err(_) => Err(Failure {
                error: "the attempt outlasted its lease and was cut short".into(),
                transient: true,
                endpoint_failed: false,
                files_resent: 0,
            }),
        };
        let now = self.store.now_ms();
        let verification = matches!(result, Ok((_, true))) && job.kind == LegKind::Residence;
        let finish = match result.map(|(files, _)| files) {
            Ok(files_resent) => {
                self.breakers.success(&job.endpoint);
                let latency = (now - job.case_created_at_ms).max(0) as f64 / 1000.0;
                metrics::histogram!("lienthong_delivery_latency_seconds", "leg" => leg).record(latency);
                metrics::counter!("lienthong_files_resent_total", "leg" => leg).increment(files_resent as u64);
                Finish::Delivered { files_resent }
            }
            Err(f) => {
                if f.endpoint_failed {
                    self.breakers.failure(&job.endpoint, now);
                }
                metrics::counter!("lienthong_files_resent_total", "leg" => leg).increment(f.files_resent as u64);
                let age = Duration::from_millis((now - job.policy_started_at_ms.unwrap_or(started)).max(0) as u64);
                if !f.transient || self.policy.exhausted(job.policy_attempts + 1, age) {
                    Finish::Dead {
                        error: f.error,
                        files_resent: f.files_resent,
                    }
                } else {
                    let wait = self.policy.delay_after(job.policy_attempts + 1);
                    Finish::Retry {
                        error: f.error,
                        due_at_ms: now + wait.as_millis() as i64,
                        files_resent: f.files_resent,
                    }
                }
            }
        };
        let outcome = finish.outcome().as_str();
        metrics::counter!("lienthong_delivery_attempts_total", "leg" => leg, "outcome" => outcome).increment(1);
        if let Finish::Retry { error, .. } | Finish::Dead { error, .. } = &finish {
            tracing::warn!(case_id = %job.case_id, leg, attempt = number, outcome, error = %error, "delivery attempt failed");
        } else {
            tracing::info!(case_id = %job.case_id, leg, attempt = number, outcome, "leg delivered");
        }
        if let Err(e) = self.store.finish_attempt(leg_id, number, started, finish).await {
            tracing::error!(leg_id, error = %e, "cannot record an attempt; the lease will expire and it will be retried");
            return;
        }
        if verification {
            if let Err(e) = self.verification_requested(&job).await {
                tracing::warn!(leg_id, error = %e, "cannot record the police's verification request");
            }
        }
    }

    /// The police asked to verify the dossier: the residence leg and its case take the longer
    /// budget of the case's regime, once (docs/deadlines.md).
    async fn verification_requested(&self, job: &DeliveryJob) -> Result<(), crate::store::StoreError> {
        let (Some(case), Some(leg)) = (self.store.case(&job.case_id).await?, self.store.leg(&job.leg_id).await?) else {
            return Ok(());
        };
        let (Some(regime), Some(leg_due), Some(case_due)) = (case.regime.as_ref(), leg.due_day, case.due_day) else {
            return Ok(());
        };
        if regime.total(true) == regime.total(false) && regime.residence.days(true) == regime.residence.days(false) {
            return Ok(());
        }
        let (leg_due, case_due) =
            crate::deadline::extend_for_verification(&self.config.calendar, regime, leg_due, case_due);
        if self
            .store
            .apply_verification(&job.case_id, &job.leg_id, &leg_due, &case_due)
            .await?
        {
            tracing::info!(case_id = %job.case_id, "verification requested by the police; deadlines extended");
            metrics::counter!("lienthong_verifications_total").increment(1);
        }
        Ok(())
    }

    fn endpoint(&self, job: &DeliveryJob) -> Endpoint {
        self.endpoint_of(&job.endpoint)
    }

    /// An endpoint URL with its own client (trust roots, client certificate) and time-out.
    fn endpoint_of(&self, url: &str) -> Endpoint {
        let http = self.adapters.clients.borrow().get(url).cloned();
        Endpoint {
            base_url: url.to_string(),
            timeout: Duration::from_millis(self.cfg.request_timeout_ms),
            http: http.unwrap_or_else(|| self.adapters.default_client.clone()),
        }
    }

    async fn open(&self, meta: &AttachmentMeta, resent: u32) -> Result<FileBody, Failure> {
        let body = self.blobs.open_stream(&meta.sha256).await.map_err(|e| Failure {
            error: format!("attachment {} unreadable in storage: {e}", meta.kind),
            // Missing or damaged bytes will not come back; a bucket that does not answer may.
            transient: !matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::InvalidData),
            endpoint_failed: false,
            files_resent: resent,
        })?;
        Ok(FileBody {
            meta: meta.clone(),
            body,
        })
    }

    /// One attempt; `Ok` carries how many files had to be re-sent alone, and whether the
    /// receiver asked to verify the dossier.
    async fn attempt(&self, job: &DeliveryJob) -> Result<(u32, bool), Failure> {
        let ep = self.endpoint(job);
        let adapter: &Arc<dyn Adapter> = match job.kind {
            LegKind::Residence => &self.adapters.police,
            LegKind::Insurance => &self.adapters.insurance,
            LegKind::Return => self
                .adapters
                .onestop
                .get(job.office_code.as_str())
                .ok_or_else(|| Failure {
                    error: format!("no one-stop system '{}' configured", job.office_code),
                    transient: false,
                    endpoint_failed: false,
                    files_resent: 0,
                })?,
        };
        let key = job.leg_id.as_str();
        let mut receipt = if job.envelope_accepted {
            adapter
                .receipt(&ep, key)
                .await
                .map_err(|e| Failure::from_adapter(e, 0))?
        } else {
            // The first post carries every file; a post after a supplement only that
            // supplement's, and the receipt below shows whether anything else is missing.
            let fresh = match job.supplements.last() {
                Some(s) => &s.files,
                None => &job.attachments,
            };
            let mut files = Vec::with_capacity(fresh.len());
            for m in fresh {
                files.push(self.open(m, 0).await?);
            }
            let msg = match job.kind {
                LegKind::Return => Message::Result(Box::new(combined_result(job))),
                _ => Message::Case(Box::new(CaseEnvelope {
                    idempotency_key: job.leg_id.clone(),
                    case_id: job.case_id.clone(),
                    leg_id: job.leg_id.clone(),
                    leg: job.kind,
                    office_code: job.office_code.clone(),
                    bundle: job.bundle.clone(),
                    supplements: job.supplements.clone(),
                })),
            };
            let r = adapter
                .submit(&ep, &msg, files)
                .await
                .map_err(|e| Failure::from_adapter(e, 0))?;
            if let Err(e) = self.store.mark_envelope_accepted(key).await {
                tracing::warn!(leg_id = key, error = %e, "cannot record the accepted envelope; it will be sent again");
            }
            r
        };
        let mut resent = 0u32;
        for _ in 0..self.cfg.file_rounds {
            let missing: Vec<AttachmentMeta> = receipt.missing(&job.attachments).into_iter().cloned().collect();
            if missing.is_empty() {
                return Ok((resent, receipt.verification));
            }
            for m in &missing {
                let file = self.open(m, resent).await?;
                receipt = adapter
                    .send_file(&ep, key, file)
                    .await
                    .map_err(|e| Failure::from_adapter(e, resent))?;
                resent += 1;
            }
        }
        let missing: Vec<&str> = receipt
            .missing(&job.attachments)
            .iter()
            .map(|m| m.kind.as_str())
            .collect();
        if missing.is_empty() {
            Ok((resent, receipt.verification))
        } else {
            Err(Failure {
                error: format!("receiver does not confirm files: {}", missing.join(", ")),
                transient: true,
                endpoint_failed: false,
                files_resent: resent,
            })
        }
    }
}

/// The combined result the return leg carries to the commune, with the agencies' documents.
fn combined_result(job: &DeliveryJob) -> CaseResult {
    let leg = |kind: LegKind| job.agency_legs.iter().find(|l| l.name == kind);
    let state = |kind: LegKind| leg(kind).map_or(LegState::Waiting, |l| l.state);
    let outcome_of = |kind: LegKind| LegOutcome {
        state: state(kind).as_str().into(),
        result: leg(kind).and_then(|l| l.result.clone()),
    };
    let outcome = return_outcome(state(LegKind::Residence), state(LegKind::Insurance)).unwrap_or(Outcome::Rejected);
    let (residence, insurance) = (outcome_of(LegKind::Residence), outcome_of(LegKind::Insurance));
    CaseResult {
        idempotency_key: job.leg_id.clone(),
        case_id: job.case_id.clone(),
        receipt_code: job.bundle.receipt_code.clone(),
        commune_code: job.bundle.commune_code.clone(),
        outcome: outcome.as_str().to_string(),
        residence,
        insurance,
        documents: job.attachments.clone(),
    }
}
