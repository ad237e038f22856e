//! Delivery-health alerts (docs/alerts.md). Every process evaluates the same conditions from the
//! store at `alerts.interval_ms`; a condition's row moves once whichever process sees the change
//! first, and the move queues its email and webhook messages in the notifier's outbox, where the
//! relay's outages are retried like any other message.

pub mod conditions;
pub mod rules;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::config::Config;
use crate::store::notices::NewNotice;
use crate::store::{Store, StoreError};
use conditions::{cleared, holding, Holding, Kind, Observed};
use rules::{step, Message, Phase, Tracked};

/// The outbox channel of signed JSON alerts.
pub const WEBHOOK: &str = "webhook";

/// The alert loop of one process.
pub struct Alerts {
    config: Arc<Config>,
    store: Store,
}

impl Alerts {
    /// The loop over the store and the configuration's thresholds and channels.
    pub fn new(config: Arc<Config>, store: Store) -> Alerts {
        Alerts { config, store }
    }

    /// Evaluates until shutdown.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let every = Duration::from_millis(self.config.gateway.alerts.interval_ms);
        loop {
            if let Err(e) = self.tick().await {
                tracing::warn!(error = %e, "cannot evaluate the alerts");
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.wait_for(|s| *s) => return,
            }
        }
    }

    /// One evaluation: every condition observed or tracked takes its next step.
    pub async fn tick(&self) -> Result<(), StoreError> {
        let now = self.store.now_ms();
        let mut health = self.store.delivery_health().await?;
        // A paused office or one in its maintenance window queues quietly: no alert about it.
        let paused = self.store.active_pauses(now).await?;
        health
            .offices
            .retain(|o| !paused.iter().any(|p| p.office_code == o.office) && !self.in_window(&o.office, now));
        let cfg = &self.config.gateway.alerts;
        let today = crate::deadline::Calendar::local_day(self.store.clock().now());
        let missing: Vec<i16> = (today.year()..=today.year() + 1)
            .filter(|y| !self.config.calendar.covers(*y))
            .collect();
        let certificates = crate::certificates::survey(&self.config);
        let observed = Observed {
            health: &health,
            missing_years: &missing,
            certificates: &certificates,
        };
        let holds: BTreeMap<String, Holding> = holding(cfg, &observed, now, |c| self.name(c))
            .into_iter()
            .map(|h| (h.key.clone(), h))
            .collect();
        let rows = self.store.alerts().await?;
        let mut keys: Vec<&str> = holds.keys().map(String::as_str).collect();
        keys.extend(rows.iter().map(|r| r.key.as_str()));
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            let Some((kind, unit)) = Kind::of_key(key) else {
                continue;
            };
            let row = rows.iter().find(|r| r.key == key);
            let tracked = row.map_or(Tracked::NEW, |r| r.tracked);
            let holding = holds.get(key);
            let (mut next, message) = step(tracked, holding.is_some(), now, kind.timing(cfg));
            // A condition that knows when it began (a system failing since its first failed
            // attempt) starts from then rather than from this evaluation.
            if let (Some(Message::Start), Some(began), Phase::Active { notified_at, .. }) =
                (message, holding.and_then(|h| h.since), next.phase)
            {
                next.phase = Phase::Active {
                    since: began,
                    notified_at,
                };
            }
            if next == tracked {
                continue;
            }
            let summary = match (message, holding) {
                (Some(Message::Clear), _) => Some(cleared(kind, unit, |c| self.name(c))),
                (Some(_), Some(h)) => Some(h.summary.clone()),
                _ => None,
            };
            let notices = match (message, &summary) {
                (Some(m), Some(text)) => self.messages(key, kind, unit, next, m, text, now),
                _ => Vec::new(),
            };
            let detail = (message == Some(Message::Start))
                .then_some(summary.as_deref())
                .flatten();
            let moved = self
                .store
                .move_alert(key, row.map(|r| r.version), next, detail, &notices)
                .await?;
            if moved {
                if let Some(m) = message {
                    tracing::info!(alert = key, message = m.as_str(), episode = next.episode, "alert");
                    metrics::counter!("lienthong_alerts_total", "alert" => kind.as_str(), "message" => m.as_str())
                        .increment(1);
                }
            }
        }
        Ok(())
    }

    /// Whether `office` is in one of its daily maintenance windows at `now`.
    fn in_window(&self, office: &str, now: i64) -> bool {
        let r = &self.config.routes;
        let Some(cfg) = r.police_offices.get(office).or_else(|| r.insurance_offices.get(office)) else {
            return false;
        };
        let Ok(at) = jiff::Timestamp::from_millisecond(now) else {
            return false;
        };
        let local = at.to_zoned(lienthong_contract::vn_tz()).datetime();
        crate::delivery::windows::held_until(&cfg.windows(), local).is_some()
    }

    /// A receiving system's configured name (police, insurance or a one-stop system).
    fn name(&self, code: &str) -> String {
        let r = &self.config.routes;
        r.police_offices
            .get(code)
            .or_else(|| r.insurance_offices.get(code))
            .map(|o| o.name.clone())
            .or_else(|| {
                r.communes
                    .values()
                    .find(|c| c.onestop_system == code)
                    .map(|_| format!("hệ thống một cửa {code}"))
            })
            .unwrap_or_else(|| code.to_string())
    }

    /// The email and webhook messages of one start, reminder or clear.
    #[allow(clippy::too_many_arguments)]
    fn messages(
        &self,
        key: &str,
        kind: Kind,
        unit: Option<&str>,
        t: Tracked,
        m: Message,
        text: &str,
        now: i64,
    ) -> Vec<NewNotice> {
        let cfg = &self.config.gateway.alerts;
        let emails = if cfg.emails.is_empty() {
            &self.config.gateway.notify.admin_emails
        } else {
            &cfg.emails
        };
        let since = match t.phase {
            Phase::Active { since, .. } | Phase::Clearing { since, .. } | Phase::Pending { since } => Some(since),
            Phase::Quiet => None,
        };
        // A reminder is named by its instant, a start and a clear by their episode alone.
        let dedupe = match m {
            Message::Reminder => format!("alert:{key}:{}:reminder:{now}", t.episode),
            _ => format!("alert:{key}:{}:{}", t.episode, m.as_str()),
        };
        let mut out = Vec::new();
        if !emails.is_empty() && self.config.gateway.notify.email.is_some() {
            let (prefix, lead) = match m {
                Message::Start => ("Cảnh báo", "Cổng liên thông phát hiện sự cố"),
                Message::Reminder => ("Nhắc lại cảnh báo", "Sự cố vẫn tiếp diễn"),
                Message::Clear => ("Đã hết cảnh báo", "Sự cố đã hết"),
            };
            let started = since.map(|s| format!(" (từ {})", crate::notify::templates::vn_when(s)));
            out.push(NewNotice {
                case_id: None,
                kind: "alert".into(),
                channel: "email".into(),
                recipient: emails.join(","),
                subject: Some(format!("[Liên thông] {prefix}: {text}")),
                body: format!(
                    "{lead}{}:\n\n{text}\n\nXem bảng điều khiển của cổng liên thông để biết chi tiết.\n",
                    started.unwrap_or_default()
                ),
                dedupe_key: dedupe.clone(),
            });
        }
        if let Some(url) = &cfg.webhook_url {
            let body = serde_json::json!({
                "alert": kind.as_str(),
                "key": key,
                "unit": unit,
                "message": m.as_str(),
                "episode": t.episode,
                "since": since.map(crate::web::bodies::local_time),
                "at": crate::web::bodies::local_time(now),
                "summary": text,
            });
            out.push(NewNotice {
                case_id: None,
                kind: "alert".into(),
                channel: WEBHOOK.into(),
                recipient: url.clone(),
                subject: None,
                body: body.to_string(),
                dedupe_key: format!("{dedupe}:webhook"),
            });
        }
        out
    }
}
