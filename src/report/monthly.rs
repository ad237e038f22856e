//! The monthly report emailed to the leadership (docs/accountability.md): on `send_day` from
//! `send_hour` (local time, or in the week after if the gateway was down), the previous month's
//! report leaves once — whatever the number of
//! gateway processes and restarts — with a short Vietnamese summary naming the units over their
//! target, the CSV and the Excel workbook. A relay that is down is tried again when the period's
//! lease runs out.

use std::sync::Arc;
use std::time::Duration;

use jiff::civil::Date;
use tokio::sync::watch;

use super::{load, to_csv, to_xlsx, Period, Report};
use crate::config::{Config, RoutesConfig, TargetsConfig};
use crate::deadline::Calendar;
use crate::notify::channels::Email;
use crate::store::Store;

/// How long a process holds a period while it builds and sends the report.
const LEASE_MS: i64 = 5 * 60 * 1000;

/// How many days after the send day a report not yet sent (the gateway was down) still goes.
const CATCH_UP_DAYS: i8 = 7;

/// The month whose report is due at `today` (local) from `hour`, if any: the previous month,
/// from the send day's hour and for a week after it (so a gateway installed mid-month does not
/// mail last month's empty report).
pub fn due_period(today: Date, hour: i8, send_day: u8, send_hour: u8) -> Option<Period> {
    let (day, send_day) = (today.day(), send_day as i8);
    let reached = (day == send_day && hour >= send_hour as i8) || (day > send_day && day < send_day + CATCH_UP_DAYS);
    if !reached {
        return None;
    }
    let to = today.first_of_month().yesterday().ok()?;
    Some(Period {
        from: to.first_of_month(),
        to,
    })
}

/// The summary the leadership reads first.
pub fn summary(r: &Report, month: &str, targets: &TargetsConfig, routes: &RoutesConfig) -> String {
    let t = &r.total;
    let pct = |v: Option<f64>| v.map_or("—".to_string(), |x| format!("{x}%"));
    let mut text = format!(
        "Báo cáo kết quả giải quyết hồ sơ liên thông (khai sinh, thường trú, thẻ BHYT cho trẻ dưới 6 tuổi) tháng {month}.\n\n\
         Tiếp nhận {} hồ sơ; đã giải quyết {} (trước hạn {}, đúng hạn {}, quá hạn {}); đang giải quyết {} trong hạn, {} quá hạn; rút {}.\n",
        t.received,
        t.completed_early + t.completed_on_time + t.completed_late,
        pct(t.early_percent),
        pct(t.on_time_percent),
        pct(t.late_percent),
        t.in_progress_on_time,
        t.in_progress_overdue,
        t.withdrawn,
    );
    let over: Vec<String> = super::flags::over_target(r, targets, routes)
        .iter()
        .map(|o| {
            format!(
                "- {}: tỷ lệ trễ hạn {} (chỉ tiêu {}%), vượt {} hồ sơ",
                o.unit,
                pct(o.late_rate_percent),
                o.target_percent,
                o.excess
            )
        })
        .collect();
    if over.is_empty() {
        text.push_str("\nKhông có đơn vị nào vượt chỉ tiêu tỷ lệ trễ hạn.\n");
    } else {
        text.push_str("\nĐơn vị vượt chỉ tiêu tỷ lệ trễ hạn:\n");
        text.push_str(&over.join("\n"));
        text.push('\n');
    }
    text.push_str("\nSố liệu chi tiết theo xã, khu vực và cơ quan trong tệp đính kèm (CSV và Excel).\n");
    text
}

/// Sends each month's report once.
pub struct MonthlyReports {
    config: Arc<Config>,
    store: Store,
    email: Email,
}

impl MonthlyReports {
    /// A sender when the configuration asks for the report and can send email.
    pub fn configured(config: Arc<Config>, store: Store) -> Option<MonthlyReports> {
        if config.gateway.reports.monthly_to.is_empty() {
            return None;
        }
        let email = match config.gateway.notify.email.as_ref().map(Email::new) {
            Some(Ok(e)) => e,
            Some(Err(e)) => {
                tracing::warn!(error = %e, "the monthly report cannot be sent: email is misconfigured");
                return None;
            }
            None => return None,
        };
        Some(MonthlyReports { config, store, email })
    }

    /// Checks at every sweep interval until `shutdown`.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let every = Duration::from_millis(self.config.gateway.deadlines.sweep_interval_ms);
        loop {
            self.tick().await;
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.wait_for(|s| *s) => return,
            }
        }
    }

    async fn tick(&self) {
        let now = self.store.clock().now();
        let local = now.to_zoned(lienthong_contract::vn_tz());
        let r = &self.config.gateway.reports;
        let Some(period) = due_period(Calendar::local_day(now), local.hour(), r.send_day, r.send_hour) else {
            return;
        };
        let key = period.from.strftime("%Y-%m").to_string();
        match self.store.claim_scheduled_report(&key, LEASE_MS).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                tracing::warn!(error = %e, "cannot take the monthly report's lease");
                return;
            }
        }
        let outcome = self.send(period).await;
        if let Err(e) = &outcome {
            tracing::warn!(period = %key, error = %e, "monthly report not sent; it will be tried again");
        } else {
            tracing::info!(period = %key, "monthly report sent");
        }
        if let Err(e) = self.store.scheduled_report_tried(&key, outcome.err().as_deref()).await {
            tracing::warn!(period = %key, error = %e, "cannot record the monthly report's outcome");
        }
    }

    async fn send(&self, period: Period) -> Result<(), String> {
        let report = load(&self.store, &self.config, period, None, false)
            .await
            .map_err(|e| e.to_string())?;
        let month = period.from.strftime("%m/%Y").to_string();
        let xlsx = to_xlsx(&report).map_err(|e| e.to_string())?;
        let stem = format!("bao-cao-thang-{}", period.from.strftime("%Y-%m"));
        let files = vec![
            (
                format!("{stem}.csv"),
                "text/csv; charset=utf-8",
                to_csv(&report).into_bytes(),
            ),
            (
                format!("{stem}.xlsx"),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                xlsx,
            ),
        ];
        let subject = format!("[BÁO CÁO THÁNG {month}] Kết quả giải quyết hồ sơ liên thông");
        let to = self.config.gateway.reports.monthly_to.join(",");
        self.email
            .send_with_files(
                &to,
                &subject,
                &summary(&report, &month, &self.config.gateway.targets, &self.config.routes),
                files,
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn the_previous_month_is_due_from_the_send_day_and_hour() {
        assert!(due_period(day("2026-12-01"), 6, 1, 7).is_none(), "before the hour");
        let p = due_period(day("2026-12-01"), 7, 1, 7).unwrap();
        assert_eq!((p.from, p.to), (day("2026-11-01"), day("2026-11-30")));
        let p = due_period(day("2027-01-07"), 0, 1, 7).unwrap();
        assert_eq!(
            (p.from, p.to),
            (day("2026-12-01"), day("2026-12-31")),
            "a week to catch up"
        );
        assert!(due_period(day("2027-01-08"), 12, 1, 7).is_none(), "not a month late");
        assert!(due_period(day("2027-03-04"), 23, 5, 7).is_none(), "before the 5th");
        let p = due_period(day("2027-03-05"), 8, 5, 7).unwrap();
        assert_eq!((p.from, p.to), (day("2027-02-01"), day("2027-02-28")));
    }

    proptest! {
        /// Whenever a period is due it is the whole month before today's.
        #[test]
        fn a_due_period_is_exactly_the_month_before(offset in 0i64..3650, hour in 0i8..24, send_day in 1u8..=28) {
            let today = day("2024-01-01").checked_add(jiff::Span::new().days(offset)).unwrap();
            if let Some(p) = due_period(today, hour, send_day, 7) {
                prop_assert_eq!(p.from.day(), 1);
                prop_assert_eq!(p.to.tomorrow().unwrap(), today.first_of_month());
                prop_assert!(today.day() >= send_day as i8 && today.day() < send_day as i8 + CATCH_UP_DAYS);
            }
        }
    }
}
