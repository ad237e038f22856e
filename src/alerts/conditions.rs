//! The conditions the gateway watches (docs/alerts.md), read from one observation of the store:
//! pure, so their thresholds are tested without a clock.

use crate::certificates::Survey;
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
    /// A certificate expires within 30 days.
    CertificateMonth,
    /// A certificate expires within 7 days, or has expired.
    CertificateWeek,
    /// A configured certificate file cannot be read.
    CertificateUnreadable,
}

/// Days before a certificate's end at which its two warnings start.
const CERTIFICATE_STAGES: [(Kind, i64); 2] = [(Kind::CertificateMonth, 30), (Kind::CertificateWeek, 7)];

impl Kind {
    /// The key prefix and the webhook's `alert` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::OfficeDown => "office_down",
            Kind::Queue => "queue",
            Kind::DeadLegs => "dead_legs",
            Kind::NotifyBacklog => "notify_backlog",
            Kind::Calendar => "calendar",
            Kind::CertificateMonth => "certificate_30d",
            Kind::CertificateWeek => "certificate_7d",
            Kind::CertificateUnreadable => "certificate_unreadable",
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
            Kind::CertificateMonth,
            Kind::CertificateWeek,
            Kind::CertificateUnreadable,
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
                Kind::OfficeDown
                | Kind::DeadLegs
                | Kind::Calendar
                | Kind::CertificateMonth
                | Kind::CertificateWeek
                | Kind::CertificateUnreadable => 0,
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

/// What the store and the configuration show at one moment.
pub struct Observed<'a> {
    pub health: &'a Health,
    /// The calendar years the deadlines need but the configuration lacks.
    pub missing_years: &'a [i16],
    /// The configured certificates and when they expire, and the files that cannot be read.
    pub certificates: &'a Survey,
}

/// The conditions that hold in what was `observed` at `now`; `name` gives a receiving
/// system's name.
pub fn holding(cfg: &AlertsConfig, observed: &Observed<'_>, now: i64, name: impl Fn(&str) -> String) -> Vec<Holding> {
    let health = observed.health;
    let missing_years = observed.missing_years;
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
    for c in &observed.certificates.unreadable {
        out.push(Holding {
            key: format!("{}:{}", Kind::CertificateUnreadable.as_str(), c.label),
            kind: Kind::CertificateUnreadable,
            unit: Some(c.label.clone()),
            since: None,
            summary: format!(
                "Không đọc được tệp chứng thư số {} ({}): {}. Lần nạp lại hoặc khởi động sau sẽ không dùng được tệp này.",
                c.label,
                c.path.display(),
                c.error
            ),
        });
    }
    for c in &observed.certificates.found {
        let left_days = (c.not_after_ms - now).div_euclid(86_400_000);
        let ends = crate::notify::templates::vn_when(c.not_after_ms);
        for (kind, days) in CERTIFICATE_STAGES {
            if left_days >= days {
                continue;
            }
            let when = if left_days < 0 {
                format!("đã hết hạn ngày {ends}")
            } else {
                format!("hết hạn ngày {ends}, còn {left_days} ngày")
            };
            out.push(Holding {
                key: format!("{}:{}", kind.as_str(), c.label),
                kind,
                unit: Some(c.label.clone()),
                since: None,
                summary: format!(
                    "Chứng thư số {} ({}) {when}: cần gia hạn và thay tệp {}.",
                    c.label,
                    c.subject,
                    c.path.display()
                ),
            });
        }
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
        Kind::CertificateMonth | Kind::CertificateWeek => {
            format!("Chứng thư số {unit} đã được thay: không còn sắp hết hạn.")
        }
        Kind::CertificateUnreadable => format!("Đã đọc được tệp chứng thư số {unit}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificates::Expiry;
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

    fn observed<'a>(health: &'a Health, missing_years: &'a [i16], certificates: &'a Survey) -> Observed<'a> {
        Observed {
            health,
            missing_years,
            certificates,
        }
    }

    fn keys(h: &Health, now: i64) -> Vec<String> {
        holding(
            &AlertsConfig::default(),
            &observed(h, &[], &Survey::default()),
            now,
            |c| c.to_string(),
        )
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
        let found = holding(
            &AlertsConfig::default(),
            &observed(&h, &[2027], &Survey::default()),
            now,
            |c| c.to_string(),
        );
        let found: Vec<&str> = found.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(found, ["dead_legs", "notify_backlog", "calendar:2027"]);
        assert_eq!(
            Kind::of_key("office_down:CA-568"),
            Some((Kind::OfficeDown, Some("CA-568")))
        );
        assert_eq!(Kind::of_key("dead_legs"), Some((Kind::DeadLegs, None)));
    }

    #[test]
    fn a_certificate_warns_a_month_then_a_week_before_it_ends() {
        let day = 24 * 60 * MIN;
        let cert = |not_after_ms: i64| Expiry {
            label: "CA-568.ca".into(),
            path: "/etc/lienthong/ca-568.pem".into(),
            subject: "CN=Công an huyện".into(),
            not_after_ms,
        };
        let at = |left: i64| {
            let certs = Survey {
                found: vec![cert(1_000 * day)],
                unreadable: Vec::new(),
            };
            holding(
                &AlertsConfig::default(),
                &observed(&office(0, None, None, 0), &[], &certs),
                1_000 * day - left,
                |c| c.to_string(),
            )
            .into_iter()
            .map(|h| h.key)
            .collect::<Vec<_>>()
        };
        assert!(at(31 * day).is_empty());
        assert!(at(30 * day).is_empty(), "thirty whole days left: not yet");
        assert_eq!(at(30 * day - 1), ["certificate_30d:CA-568.ca"]);
        assert_eq!(at(8 * day), ["certificate_30d:CA-568.ca"]);
        assert_eq!(at(5 * day), ["certificate_30d:CA-568.ca", "certificate_7d:CA-568.ca"]);
        assert_eq!(at(-day).len(), 2, "expired: both stay until the file is replaced");
        assert_eq!(
            Kind::of_key("certificate_7d:CA-568.ca"),
            Some((Kind::CertificateWeek, Some("CA-568.ca")))
        );
        let broken = Survey {
            found: Vec::new(),
            unreadable: vec![crate::certificates::Unreadable {
                label: "gateway.cert".into(),
                path: "/etc/lienthong/server.pem".into(),
                error: "no certificate in the file".into(),
            }],
        };
        let keys: Vec<String> = holding(
            &AlertsConfig::default(),
            &observed(&office(0, None, None, 0), &[], &broken),
            day,
            |c| c.to_string(),
        )
        .into_iter()
        .map(|h| h.key)
        .collect();
        assert_eq!(keys, ["certificate_unreadable:gateway.cert"]);
    }
}
