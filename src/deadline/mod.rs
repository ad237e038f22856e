//! The clock of every case: working-day calendar, regimes, due dates, at-risk and overdue.
//!
//! Everything here is pure: instants in, dates and states out. The store keeps the results
//! (`due_at`, `at_risk_at`) so reads and the [`sweeper`] can compare them with "now" cheaply, and
//! the deadline state shown to people is always derived from them at read time, never stored as
//! a flag someone must remember to update.

pub mod calendar;
pub mod regime;
pub mod sweeper;

use jiff::civil::Date;
use jiff::Timestamp;
use serde::Serialize;

pub use calendar::{Calendar, YearSchedule};
pub use regime::{LegBudget, OnSupplement, Regime, Regimes};

/// Where a clock stands relative to its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    OnTrack,
    AtRisk,
    Overdue,
}

impl ClockState {
    /// The stable name in the store and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ClockState::OnTrack => "on_track",
            ClockState::AtRisk => "at_risk",
            ClockState::Overdue => "overdue",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<ClockState> {
        [ClockState::OnTrack, ClockState::AtRisk, ClockState::Overdue]
            .into_iter()
            .find(|c| c.as_str() == s)
    }

    /// The state of a running clock at `now`.
    pub fn at(now_ms: i64, at_risk_ms: i64, due_ms: i64) -> ClockState {
        if now_ms > due_ms {
            ClockState::Overdue
        } else if now_ms >= at_risk_ms {
            ClockState::AtRisk
        } else {
            ClockState::OnTrack
        }
    }

    /// The state of a clock that may not be running (finished, paused) or may have no deadline.
    pub fn of(runs: bool, now_ms: i64, at_risk_ms: Option<i64>, due_ms: Option<i64>) -> Option<ClockState> {
        runs.then_some(ClockState::at(now_ms, at_risk_ms?, due_ms?))
    }
}

/// A deadline as stored: the last working day, the instant it ends and when it turns at risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub day: Date,
    pub due_at: Timestamp,
    pub at_risk_at: Timestamp,
}

impl Due {
    /// The deadline ending on `day` with a warning `margin` working days before.
    pub fn on(cal: &Calendar, day: Date, margin: u32) -> Due {
        Due {
            day,
            due_at: cal.close_of(day),
            at_risk_at: cal.close_of(cal.sub_working_days(day, margin)),
        }
    }
}

/// The deadlines of a case computed at intake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The working day the dossier counts as received on.
    pub receipt_day: Date,
    pub residence: Due,
    pub insurance: Due,
    /// The case's legal deadline; its day is the appointment date printed on the receipt.
    pub case: Due,
    /// Some day of the plan lies in a year without a calendar file (weekends only were used).
    pub calendar_missing: bool,
}

/// Plans a case received at `received_at` under `regime`.
pub fn plan(cal: &Calendar, regime: &Regime, received_at: Timestamp, verification: bool) -> Plan {
    let receipt_day = cal.receipt_day(received_at);
    let day_n = |n: u32| cal.add_working_days(receipt_day, regime.offset(n));
    let leg_due = |leg: &LegBudget| {
        Due::on(
            cal,
            day_n(regime.commune_days + leg.days(verification)),
            regime.warning_margin_days,
        )
    };
    let residence = leg_due(&regime.residence);
    let insurance = leg_due(&regime.insurance);
    let case = Due::on(cal, day_n(regime.total(verification)), regime.warning_margin_days);
    Plan {
        receipt_day,
        residence,
        insurance,
        calendar_missing: cal.missing_between(Calendar::local_day(received_at), case.day),
        case,
    }
}

/// New deadlines of the residence leg and its case when the police say the dossier needs
/// verification (docs/deadlines.md): each moves on by the working days verification adds to
/// its budget, from wherever it stands now (after a paused supplement too).
pub fn extend_for_verification(cal: &Calendar, regime: &Regime, leg_due: Date, case_due: Date) -> (Due, Due) {
    let leg_extra = regime.residence.days(true).saturating_sub(regime.residence.days(false));
    let case_extra = regime.total(true).saturating_sub(regime.total(false));
    let margin = regime.warning_margin_days;
    (
        Due::on(cal, cal.add_working_days(leg_due, leg_extra), margin),
        Due::on(cal, cal.add_working_days(case_due, case_extra), margin),
    )
}

/// How a finished case compares with its deadline, for the reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Punctuality {
    /// Finished on a day before the due day ("trước hạn").
    Early,
    /// Finished on the due day, before the close of business ("đúng hạn").
    OnTime,
    /// Finished after the deadline ("quá hạn").
    Late,
}

impl Punctuality {
    /// Compares a completion instant with a deadline.
    pub fn of(completed_at: Timestamp, due_day: Date, due_at: Timestamp) -> Punctuality {
        if completed_at > due_at {
            Punctuality::Late
        } else if Calendar::local_day(completed_at) < due_day {
            Punctuality::Early
        } else {
            Punctuality::OnTime
        }
    }
}

/// Working days from receipt to completion, counted as the regime counts its budget. A case
/// received after the cut-off and finished the same evening took no working day of its own: it
/// counts as the least the regime counts (day 1, or 0 when the receipt day is not counted).
pub fn working_days_taken(cal: &Calendar, regime: &Regime, receipt_day: Date, completed_at: Timestamp) -> i64 {
    let n = cal
        .working_days_between(receipt_day, Calendar::local_day(completed_at))
        .max(0);
    if regime.count_receipt_day {
        n + 1
    } else {
        n
    }
}

/// What a paused leg remembers so its clock can resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paused {
    /// Working days that were left on the leg's and the case's clocks when they stopped.
    pub leg_days_left: u32,
    pub case_days_left: u32,
    /// The family's supplement window ends at this instant.
    pub window_ends_at: Timestamp,
}

/// Stops a leg's clock (and the case's) at `at`, when the agency asks the family for more.
pub fn pause(cal: &Calendar, regime: &Regime, at: Timestamp, leg_due: Date, case_due: Date) -> Paused {
    let day = cal.receipt_day(at);
    let left = |due: Date| cal.working_days_between(day, due).max(0) as u32;
    Paused {
        leg_days_left: left(leg_due),
        case_days_left: left(case_due),
        window_ends_at: cal.close_of(cal.add_working_days(day, regime.supplement_window_days)),
    }
}

/// New deadlines of a leg and its case when the supplement arrives at `at`.
pub fn resume(
    cal: &Calendar,
    regime: &Regime,
    leg: &LegBudget,
    verification: bool,
    paused: &Paused,
    at: Timestamp,
    old_case_due: Date,
) -> (Due, Due) {
    let day = cal.receipt_day(at);
    let margin = regime.warning_margin_days;
    match regime.on_supplement {
        OnSupplement::Pause => (
            Due::on(cal, cal.add_working_days(day, paused.leg_days_left), margin),
            Due::on(cal, cal.add_working_days(day, paused.case_days_left), margin),
        ),
        OnSupplement::Restart => {
            let leg_due = cal.add_working_days(day, leg.days(verification));
            let slack = regime
                .total(verification)
                .saturating_sub(regime.commune_days + leg.days(verification));
            let case_due = cal.add_working_days(leg_due, slack).max(old_case_due);
            (Due::on(cal, leg_due, margin), Due::on(cal, case_due, margin))
        }
    }
}

#[cfg(test)]
mod tests;
