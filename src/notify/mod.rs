//! Messages to families (SMS, email), offices and administrators (email).
//!
//! Two loops, both restart-safe: [`compose`] reads the event trail behind a stored cursor and
//! queues the messages each event calls for; the sender leases queued messages, sends them and
//! retries failures with backoff. A message that cannot be sent never touches the case: it
//! stays in its own outbox, retried until the relay is back or the retry budget is spent.

pub mod channels;
pub mod compose;
pub mod sms_text;
pub mod templates;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::config::Config;
use crate::delivery::policy::RetryPolicy;
use crate::store::notices::Notice;
use crate::store::Store;
use channels::{Email, Sms, Webhook};
use compose::Composer;

const CURSOR: &str = "notifier";
/// Events composed per pass.
const BATCH: i64 = 200;
const POLL: Duration = Duration::from_millis(200);

/// The notification loops.
pub struct Notifier {
    config: Arc<Config>,
    store: Store,
    sms: Option<Sms>,
    email: Option<Email>,
    webhook: Option<Webhook>,
    policy: RetryPolicy,
}

impl Notifier {
    /// Builds the channels that are configured.
    pub fn new(config: Arc<Config>, store: Store) -> anyhow::Result<Notifier> {
        let n = &config.gateway.notify;
        let sms = n.sms.clone().map(Sms::new);
        let email = n
            .email
            .as_ref()
            .map(Email::new)
            .transpose()
            .map_err(anyhow::Error::msg)?;
        let policy = RetryPolicy::new(n.retry.clone());
        let webhook = config
            .gateway
            .alerts
            .webhook_secret
            .as_ref()
            .map(|k| Webhook::new(k.expose()));
        Ok(Notifier {
            config,
            store,
            sms,
            email,
            webhook,
            policy,
        })
    }

    /// Runs both loops until shutdown.
    pub async fn run(self: Arc<Self>, shutdown: watch::Receiver<bool>) {
        let composer = tokio::spawn(Arc::clone(&self).compose_loop(shutdown.clone()));
        self.send_loop(shutdown).await;
        let _ = composer.await;
    }

    async fn compose_loop(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        loop {
            match self.compose_once().await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "cannot compose notifications"),
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = shutdown.wait_for(|s| *s) => return,
            }
        }
    }

    /// Composes the messages of the next events; true when there may be more.
    async fn compose_once(&self) -> anyhow::Result<bool> {
        let batch = self.store.events_after(CURSOR, BATCH).await?;
        if batch.next == batch.position {
            return Ok(false);
        }
        let composer = Composer {
            config: &self.config,
            store: &self.store,
        };
        let mut notices = Vec::new();
        for e in &batch.events {
            notices.extend(composer.compose(e).await?);
        }
        self.store.queue_notices(CURSOR, batch.next, &notices).await?;
        Ok(batch.events.len() as i64 == BATCH)
    }

    async fn send_loop(&self, mut shutdown: watch::Receiver<bool>) {
        loop {
            match self.store.claim_notices(16, 120_000).await {
                // A long backlog must not hold up a shutdown: what is left stays leased and is
                // taken up again once its lease lapses.
                Ok(batch) if !batch.is_empty() => {
                    for n in batch {
                        self.send(n).await;
                    }
                    if *shutdown.borrow() {
                        return;
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot claim notifications"),
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = shutdown.wait_for(|s| *s) => return,
            }
        }
    }

    async fn send(&self, n: Notice) {
        let sent = match n.channel.as_str() {
            "sms" => match &self.sms {
                Some(sms) => sms.send(&n.recipient, &n.body).await,
                None => Err("SMS is no longer configured".into()),
            },
            crate::alerts::WEBHOOK => match &self.webhook {
                Some(webhook) => webhook.send(&n.recipient, &n.body).await,
                None => Err("the alerts' webhook is no longer configured".into()),
            },
            _ => match &self.email {
                Some(email) => {
                    email
                        .send(&n.recipient, n.subject.as_deref().unwrap_or(""), &n.body)
                        .await
                }
                None => Err("email is no longer configured".into()),
            },
        };
        let outcome = match &sent {
            Ok(()) => "sent",
            Err(_) => "failed",
        };
        metrics::counter!("lienthong_notifications_total", "channel" => n.channel.clone(), "outcome" => outcome)
            .increment(1);
        if n.channel == "sms" && sent.is_ok() {
            let cost = sms_text::cost(&n.body);
            metrics::counter!("lienthong_sms_segments_total", "encoding" => cost.encoding.as_str())
                .increment(cost.segments as u64);
            metrics::counter!("lienthong_sms_messages_total", "encoding" => cost.encoding.as_str()).increment(1);
        }
        let recorded = match sent {
            Ok(()) => self.store.notice_sent(n.id).await,
            Err(error) => {
                let attempts = n.attempts as u32;
                let age = Duration::from_millis((self.store.now_ms() - n.created_at_ms).max(0) as u64);
                let retry_at = (!self.policy.exhausted(attempts, age))
                    .then(|| self.store.now_ms() + self.policy.delay_after(attempts).as_millis() as i64);
                tracing::warn!(id = n.id, channel = %n.channel, kind = %n.kind, attempts, %error, "notification not sent");
                self.store.notice_failed(n.id, &error, retry_at).await
            }
        };
        if let Err(e) = recorded {
            tracing::warn!(id = n.id, error = %e, "cannot record a notification outcome");
        }
    }
}
