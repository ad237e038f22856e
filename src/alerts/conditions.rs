//! The conditions the gateway watches (docs/alerts.md), read from one observation of the store:
//! pure, so their thresholds are tested without a clock.

use crate::config::AlertsConfig;
use crate::store::alerts::Health;

use super::rules::Timing;

/// What a condition is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A receiving system has taken nothing for a while and deliveries to it fail.
    OfficeDown,
    /// A receiving system's queue is deep.
    Queue,
    /// Legs gave up and wait for an operator.
    DeadLegs,
    /// Messages to families and staff are not leaving.
    NotifyBacklog,
    /// A year of the working-day calendar is missing.
    Calendar,
}

impl Kind {
    /// The key prefix and the webhook's `alert` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::OfficeDown => "office_down",
            Kind::Queue => "queue",
            Kind::DeadLegs => "dead_legs",
            Kind::NotifyBacklog => "notify_backlog",
            Kind::Calendar => "calendar",
        }
    }

    /// The kind a stored key names.
    pub fn of_key(key: &str) -> Option<(Kind, Option<&str>)> {
        let (kind, unit) = match key.split_once(':') {
            Some((k, u)) => (k, Some(u)),
            None => (key, None),
        };
        [
            Kind::OfficeDown,
            Kind::Queue,
            Kind::DeadLegs,
            Kind::NotifyBacklog,
            Kind::Calendar,
        ]
        .into_iter()
        .find(|k| k.as_str() == kind)
        .map(|k| (k, unit))
    }

    /// How long the condition must hold before it alerts, and how often it reminds.
    pub fn timing(self, cfg: &AlertsConfig) -> Timing {
        let minutes = |m: u32| i64::from(m) * 60_000;
        Timing {
            hold_for_ms: match self {
                Kind::Queue => minutes(cfg.queue_minutes),
                Kind::NotifyBacklog => minutes(cfg.notify_backlog_minutes),
                // Office down carries its duration in the observation itself (failing since).
                Kind::OfficeDown | Kind::DeadLegs | Kind::Calendar => 0,
            },
            clear_after_ms: minutes(cfg.clear_minutes),
            remind_every_ms: (cfg.remind_minutes > 0).then(|| minutes(cfg.remind_minutes)),
        }
    }
}

/// One condition observed to hold, with what its start message says.
#[derive(Debug, Clone, PartialEq)]
pub struct Holding {
    pub key: String,
    pub kind: Kind,
    /// The office or year it is about.
    pub unit: Option<String>,
    /// When it began, as far as the observation knows.
    pub since: Option<i64>,
    /// One Vietnamese sentence for the email, the webhook and the dashboard.
    pub summary: String,
}

/// The conditions that hold in `health` at `now`; `name` gives a receiving system's name and
/// `missing_years` the calendar years the deadlines need but the configuration lacks.
pub fn holding(
    cfg: &AlertsConfig,
    health: &Health,
    now: i64,
    name: impl Fn(&str) -> String,
    missing_years: &[i16],
) -> Vec<Holding> {
    let mut out = Vec::new();
    let down_after = i64::from(cfg.office_down_minutes) * 60_000;
    for o in &health.offices {
        let failing_long = o.failing_since.is_some_and(|t| now - t >= down_after);
        let nothing_taken = o.last_delivered.is_none_or(|t| now - t >= down_after);
        if o.failing > 0 && failing_long && nothing_taken {
            out.push(Holding {
                key: format!("{}:{}", Kind::OfficeDown.as_str(), o.office),
                kind: Kind::OfficeDown,
                unit: Some(o.office.clone()),
                since: o.failing_since,
                summary: format!(
                    "Không chuyển được hồ sơ đến {} ({}): {} chuyển đang chờ gửi lại. Hồ sơ vẫn được giữ và tự gửi khi hệ thống nhận hoạt động trở lại.",
                    name(&o.office),
                    o.office,
                    o.failing
                ),
            });
        }
        if o.queued > i64::from(cfg.queue_depth) {
            out.push(Holding {
                key: format!("{}:{}", Kind::Queue.as_str(), o.office),
                kind: Kind::Queue,
                unit: Some(o.office.clone()),
                since: None,
                summary: format!(
                    "Hàng đợi chuyển đến {} ({}) có {} chuyển, vượt ngưỡng {} quá {} phút.",
                    name(&o.office),
                    o.office,
                    o.queued,
                    cfg.queue_depth,
                    cfg.queue_minutes
                ),
            });
        }
    }
    if health.dead_legs > 0 {
        out.push(Holding {
            key: Kind::DeadLegs.as_str().into(),
            kind: Kind::DeadLegs,
            unit: None,
            since: None,
            summary: format!(
                "{} chuyển đã dừng gửi sau nhiều lần thất bại, cần người vận hành xử lý (gửi lại hoặc xác nhận đã chuyển).",
                health.dead_legs
            ),
        });
    }
    if health.notify_backlog > i64::from(cfg.notify_backlog) {
        out.push(Holding {
            key: Kind::NotifyBacklog.as_str().into(),
            kind: Kind::NotifyBacklog,
            unit: None,
            since: None,
            summary: format!(
                "{} tin nhắn và thư cho gia đình, cán bộ chưa gửi được (ngưỡng {}).",
                health.notify_backlog, cfg.notify_backlog
            ),
        });
    }
    for y in missing_years {
        out.push(Holding {
            key: format!("{}:{y}", Kind::Calendar.as_str()),
            kind: Kind::Calendar,
            unit: Some(y.to_string()),
            since: None,
            summary: format!("Thiếu lịch làm việc năm {y}: thời hạn chỉ trừ thứ Bảy, Chủ nhật, không trừ ngày lễ."),
        });
    }
    out
}

/// What the clear message says.
pub fn cleared(kind: Kind, unit: Option<&str>, name: impl Fn(&str) -> String) -> String {
    let unit = unit.unwrap_or_default();
    match kind {
        Kind::OfficeDown => format!("Đã chuyển lại được hồ sơ đến {} ({unit}).", name(unit)),
        Kind::Queue => format!("Hàng đợi chuyển đến {} ({unit}) đã về dưới ngưỡng.", name(unit)),
        Kind::DeadLegs => "Không còn chuyển nào chờ người vận hành xử lý.".into(),
        Kind::NotifyBacklog => "Tin nhắn và thư đã gửi được trở lại.".into(),
        Kind::Calendar => format!("Đã có lịch làm việc năm {unit}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::alerts::OfficeHealth;

    const MIN: i64 = 60_000;

    fn office(failing: i64, failing_since: Option<i64>, last_delivered: Option<i64>, queued: i64) -> Health {
        Health {
            offices: vec![OfficeHealth {
                office: "CA-568".into(),
                queued,
                failing,
                failing_since,
                last_delivered,
            }],
            dead_legs: 0,
            notify_backlog: 0,
        }
    }

    fn keys(h: &Health, now: i64) -> Vec<String> {
        holding(&AlertsConfig::default(), h, now, |c| c.to_string(), &[])
            .into_iter()
            .map(|c| c.key)
            .collect()
    }

    #[test]
    fn an_office_is_down_only_when_failing_long_and_taking_nothing() {
        let now = 100 * MIN;
        assert_eq!(
            keys(&office(3, Some(now - 11 * MIN), None, 3), now),
            ["office_down:CA-568"]
        );
        assert_eq!(
            keys(&office(3, Some(now - 11 * MIN), Some(now - 30 * MIN), 3), now),
            ["office_down:CA-568"]
        );
        // Failing for a short while only.
        assert!(keys(&office(3, Some(now - 9 * MIN), None, 3), now).is_empty());
        // One leg retries while the system took others a minute ago: not down.
        assert!(keys(&office(1, Some(now - 30 * MIN), Some(now - MIN), 3), now).is_empty());
        // Nothing failing.
        assert!(keys(&office(0, None, None, 3), now).is_empty());
    }

    #[test]
    fn a_deep_queue_and_the_other_conditions_hold_past_their_thresholds() {
        let now = 100 * MIN;
        assert_eq!(keys(&office(0, None, None, 201), now), ["queue:CA-568"]);
        assert!(keys(&office(0, None, None, 200), now).is_empty());
        let mut h = office(0, None, None, 0);
        h.dead_legs = 2;
        h.notify_backlog = 201;
        let found = holding(&AlertsConfig::default(), &h, now, |c| c.to_string(), &[2027]);
        let found: Vec<&str> = found.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(found, ["dead_legs", "notify_backlog", "calendar:2027"]);
        assert_eq!(
            Kind::of_key("office_down:CA-568"),
            Some((Kind::OfficeDown, Some("CA-568")))
        );
        assert_eq!(Kind::of_key("dead_legs"), Some((Kind::DeadLegs, None)));
    }
}
