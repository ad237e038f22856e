//! The deadline report the district and province ask for, computed from stored facts only
//! (received instants, deadlines, the completion events), so it is right without any officer
//! updating anything.
//!
//! Choices, where the spec leaves room: "completed" counts every case whose result reached the
//! commune, granted or refused; the late rate is late ÷ completed; in-progress figures are as of
//! the moment the report is made; percentiles use the nearest rank.

use std::collections::BTreeMap;

pub mod flags;
mod load;
pub mod monthly;
mod tables;

pub use load::{load, Period};
pub use tables::{to_csv, to_csv_by, to_xlsx, GroupBy};

use jiff::Timestamp;
use serde::Serialize;

use lienthong_contract::bundle::Channel;

use crate::deadline::{working_days_taken, Calendar, ClockState, Punctuality};
use crate::domain::state::CaseStatus;
use crate::store::reports::{ReportCase, ReportLeg};

/// The figures of one scope (a commune, or the whole deployment).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Figures {
    pub received: u64,
    /// Of the received, how the families handed them in (the standard table's channel split).
    pub received_online: u64,
    pub received_in_person: u64,
    pub received_by_post: u64,
    pub completed_early: u64,
    pub completed_on_time: u64,
    pub completed_late: u64,
    /// Of the completed, how many were refused.
    pub rejected: u64,
    pub in_progress_on_time: u64,
    pub in_progress_overdue: u64,
    pub cancelled: u64,
    /// Withdrawn by the family (docs/family.md).
    pub withdrawn: u64,
    /// Late ÷ completed, in percent with one decimal; `None` when nothing completed.
    pub late_rate_percent: Option<f64>,
    pub median_working_days: Option<f64>,
    pub p90_working_days: Option<i64>,
    /// Cases whose family asked for the results by post (the rest collect at the commune).
    pub by_post: u64,
    /// Results at the commune or in the post, not yet with the family, as of the report.
    pub waiting_for_family: u64,
    /// Results the family holds (handed over, or delivered by post): closed cases.
    pub handed_over: u64,
    /// Median working days from the result reaching the commune to the family holding it.
    pub median_working_days_to_family: Option<f64>,
    /// Completed early, on time and late, each in percent of the completed (the standard table).
    pub early_percent: Option<f64>,
    pub on_time_percent: Option<f64>,
    pub late_percent: Option<f64>,
    /// Completed ÷ received, in percent.
    pub resolved_percent: Option<f64>,
    /// Completed within the regime's internal target (e.g. 7 of the 8 days), and its share of the
    /// completed; none when the regime sets no internal target.
    pub within_internal_target: u64,
    pub within_internal_target_percent: Option<f64>,
    /// The commune's own step (docs/accountability.md): cases pushed later than the regime's
    /// `commune_days` after the family handed them in, the median working days to the push, and
    /// late pushes that came in batches (another late push of the commune within 30 minutes).
    pub pushed_late: u64,
    pub median_working_days_to_push: Option<f64>,
    pub pushed_late_in_batches: u64,
    /// The unit's late rate is at or over its target (`targets.unit_late_percent`; for the total,
    /// `targets.province_late_percent`), and by how many late dossiers.
    pub over_target: bool,
    pub late_over_target_by: u64,
    #[serde(skip)]
    #[schema(ignore)]
    taken: Vec<i64>,
    #[serde(skip)]
    #[schema(ignore)]
    with_internal_target: u64,
    #[serde(skip)]
    #[schema(ignore)]
    to_push: Vec<i64>,
    /// When each late push happened, for batch detection.
    #[serde(skip)]
    #[schema(ignore)]
    late_pushes: Vec<i64>,
    #[serde(skip)]
    #[schema(ignore)]
    to_family: Vec<i64>,
}

/// Delivery figures of one leg kind at one office.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LegFigures {
    pub leg: String,
    pub office_code: String,
    pub legs: u64,
    pub delivered: u64,
    /// Delivered on the first attempt ÷ delivered, in percent.
    pub first_attempt_percent: Option<f64>,
    pub resends: i64,
    pub files_resent: i64,
    /// Legs the agency decided (completed or refused).
    pub decided: u64,
    /// Decided legs whose decision came with the documents issued: the results digitised.
    pub decided_with_documents: u64,
    /// `decided_with_documents` ÷ `decided`, in percent.
    pub digitised_percent: Option<f64>,
    /// Times the agency asked the family for a supplement.
    pub supplements_asked: u64,
    /// Supplements the family brought.
    pub supplements_brought: u64,
    /// Files brought with supplements, by kind of paper.
    pub supplement_files_by_kind: BTreeMap<String, u64>,
    /// Median working days from a request to the family's supplement (brought ones only).
    pub median_supplement_wait_working_days: Option<f64>,
    #[serde(skip)]
    #[schema(ignore)]
    first: u64,
    #[serde(skip)]
    #[schema(ignore)]
    waits: Vec<i64>,
}

/// How late one unit decided: an agency office, or an officer (docs/accountability.md). Each
/// leg's decision is compared with the leg's own deadline, which already honours supplement
/// pauses and verification.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UnitFigures {
    /// `residence` or `insurance`.
    pub leg: String,
    /// The office code, or the officer (`user:<login>`, `<system>:<officer>`; `unknown` when
    /// the agency's system did not say).
    pub unit: String,
    /// The office the unit is (an office) or decided for (an officer).
    pub office: String,
    /// Legs of the period's cases the unit held (for an officer: the ones they decided).
    pub received: u64,
    pub decided_early: u64,
    pub decided_on_time: u64,
    pub decided_late: u64,
    /// Undecided legs within their deadline (or paused for a supplement), and past it.
    pub open_within_due: u64,
    pub open_past_due: u64,
    /// Late ÷ decided, in percent.
    pub late_rate_percent: Option<f64>,
    /// The target the unit is graded by, and whether it is over it and by how many late dossiers.
    pub target_percent: f64,
    pub over_target: bool,
    pub late_over_target_by: u64,
}

impl UnitFigures {
    fn add(&mut self, l: &ReportLeg, now_ms: i64) {
        let at = |ms: i64| Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH);
        if l.decided {
            self.received += 1;
            match (l.completed_at_ms, l.due_day, l.due_at_ms) {
                (Some(done), Some(day), Some(due)) => match Punctuality::of(at(done), day, at(due)) {
                    Punctuality::Early => self.decided_early += 1,
                    Punctuality::OnTime => self.decided_on_time += 1,
                    Punctuality::Late => self.decided_late += 1,
                },
                _ => self.decided_on_time += 1,
            }
        } else if !l.case_stopped {
            self.received += 1;
            match l.due_at_ms {
                Some(due) if !l.paused && due < now_ms => self.open_past_due += 1,
                _ => self.open_within_due += 1,
            }
        }
    }

    fn finish(&mut self, target_percent: f64, at_target_counts: bool) {
        let decided = self.decided_early + self.decided_on_time + self.decided_late;
        self.late_rate_percent = percent(self.decided_late, decided);
        self.target_percent = target_percent;
        (self.over_target, self.late_over_target_by) =
            over_target(self.decided_late, decided, target_percent, at_target_counts);
    }
}

/// Whether `late` of `decided` is over a target in percent — at or over it when
/// `at_target_counts` (a unit with 5% late loses its ranking), strictly over otherwise (an
/// officer with more than 5%) — and how many late dossiers fewer would have stayed under it.
pub fn over_target(late: u64, decided: u64, target_percent: f64, at_target_counts: bool) -> (bool, u64) {
    if late == 0 || decided == 0 {
        return (false, 0);
    }
    // The most late dossiers the unit may have: late × 100 < target × decided (or ≤).
    let bound = target_percent * decided as f64;
    let allowed = (0..=late)
        .rev()
        .find(|l| {
            let scaled = (*l * 100) as f64;
            if at_target_counts {
                scaled < bound
            } else {
                scaled <= bound
            }
        })
        .unwrap_or(0);
    let by = late - allowed;
    (by > 0, by)
}

/// A commune's figures.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CommuneFigures {
    pub commune_code: String,
    pub name: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Report {
    #[schema(value_type = String, format = Date)]
    pub from: jiff::civil::Date,
    #[schema(value_type = String, format = Date)]
    pub to: jiff::civil::Date,
    #[schema(value_type = String, format = DateTime)]
    pub as_of: Timestamp,
    pub total: Figures,
    pub communes: Vec<CommuneFigures>,
    pub legs: Vec<LegFigures>,
    /// Each configured area's figures (its communes together), graded like a commune.
    pub areas: Vec<CommuneFigures>,
    /// How late each agency office decided, graded by `targets.unit_late_percent`.
    pub offices: Vec<UnitFigures>,
    /// How late each officer decided, graded by `targets.officer_late_percent`; only for
    /// administrators (never for communes or on public pages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub officers: Option<Vec<UnitFigures>>,
    /// Ratings given and complaints filed in the period (docs/family.md).
    pub feedback: FeedbackFigures,
}

/// What families said in the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FeedbackFigures {
    pub ratings: i64,
    /// The average score (1–5), one decimal.
    pub average_score: Option<f64>,
    /// Ratings of 4 or 5, in percent of all ratings.
    pub satisfied_percent: Option<f64>,
    pub complaints: i64,
    pub complaints_open: i64,
    pub complaints_answered_on_time: i64,
}

impl FeedbackFigures {
    /// The figures of the stored counts.
    pub fn of(c: &crate::store::feedback::FeedbackCounts) -> FeedbackFigures {
        FeedbackFigures {
            ratings: c.ratings,
            average_score: (c.ratings > 0).then(|| (c.score_sum as f64 * 10.0 / c.ratings as f64).round() / 10.0),
            satisfied_percent: percent(c.good.max(0) as u64, c.ratings.max(0) as u64),
            complaints: c.complaints,
            complaints_open: c.complaints_open,
            complaints_answered_on_time: c.complaints_closed_on_time,
        }
    }
}

fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

impl Figures {
    fn add(&mut self, c: &ReportCase, cal: &Calendar, now_ms: i64) {
        self.received += 1;
        match c.channel {
            Channel::Online => self.received_online += 1,
            Channel::InPerson => self.received_in_person += 1,
            Channel::ByPost => self.received_by_post += 1,
        }
        self.by_post += u64::from(c.by_post);
        let day = local_day;
        if let (Some(regime), Some(receipt)) = (&c.regime, c.receipt_day) {
            let pushed = Timestamp::from_millisecond(c.pushed_at_ms).unwrap_or(Timestamp::UNIX_EPOCH);
            let taken = working_days_taken(cal, regime, receipt, pushed);
            self.to_push.push(taken);
            if taken > i64::from(regime.commune_days) {
                self.pushed_late += 1;
                self.late_pushes.push(c.pushed_at_ms);
            }
        }
        match (c.finished_at_ms, c.closed_at_ms) {
            (Some(result), Some(closed)) => {
                self.handed_over += 1;
                self.to_family.push(cal.working_days_between(day(result), day(closed)));
            }
            (Some(_), None) if matches!(c.status, CaseStatus::Completed | CaseStatus::Rejected) => {
                self.waiting_for_family += 1;
            }
            _ => {}
        }
        match (c.status, c.finished_at_ms) {
            (CaseStatus::Completed | CaseStatus::Rejected, Some(at)) => {
                if c.status == CaseStatus::Rejected {
                    self.rejected += 1;
                }
                let finished = Timestamp::from_millisecond(at).unwrap_or(Timestamp::UNIX_EPOCH);
                if let (Some(day), Some(due)) =
                    (c.due_day, c.due_at_ms.and_then(|m| Timestamp::from_millisecond(m).ok()))
                {
                    match Punctuality::of(finished, day, due) {
                        Punctuality::Early => self.completed_early += 1,
                        Punctuality::OnTime => self.completed_on_time += 1,
                        Punctuality::Late => self.completed_late += 1,
                    }
                }
                if let (Some(regime), Some(receipt)) = (&c.regime, c.receipt_day) {
                    let taken = working_days_taken(cal, regime, receipt, finished);
                    self.taken.push(taken);
                    if let Some(target) = regime.internal_target_days {
                        self.with_internal_target += 1;
                        self.within_internal_target += u64::from(taken <= i64::from(target));
                    }
                }
            }
            (CaseStatus::Cancelled, _) => self.cancelled += 1,
            (CaseStatus::Withdrawn, _) => self.withdrawn += 1,
            _ => match (c.due_at_ms, c.due_at_ms.map(|d| ClockState::at(now_ms, d, d))) {
                (Some(_), Some(ClockState::Overdue)) => self.in_progress_overdue += 1,
                _ => self.in_progress_on_time += 1,
            },
        }
    }

    fn finish(&mut self, target_percent: f64) {
        let completed = self.completed_early + self.completed_on_time + self.completed_late;
        self.late_rate_percent = percent(self.completed_late, completed);
        self.early_percent = percent(self.completed_early, completed);
        self.on_time_percent = percent(self.completed_on_time, completed);
        self.late_percent = self.late_rate_percent;
        self.resolved_percent = percent(completed, self.received);
        self.within_internal_target_percent = percent(self.within_internal_target, self.with_internal_target);
        (self.over_target, self.late_over_target_by) =
            over_target(self.completed_late, completed, target_percent, true);
        self.taken.sort_unstable();
        self.median_working_days = median(&self.taken);
        let n = self.taken.len();
        if n > 0 {
            let rank = (n * 9).div_ceil(10).max(1);
            self.p90_working_days = Some(self.taken[rank - 1]);
        }
        self.to_family.sort_unstable();
        self.median_working_days_to_family = median(&self.to_family);
        self.to_push.sort_unstable();
        self.median_working_days_to_push = median(&self.to_push);
        self.pushed_late_in_batches = in_batches(&mut self.late_pushes);
    }
}

/// Two late pushes of one unit this close together are one batch.
const BATCH_WINDOW_MS: i64 = 30 * 60 * 1000;

/// How many of these late pushes came in a batch: with another within [`BATCH_WINDOW_MS`] (the
/// officer who waits for two or three births and pushes them together).
fn in_batches(pushes: &mut [i64]) -> u64 {
    pushes.sort_unstable();
    (0..pushes.len())
        .filter(|&i| {
            let near = |j: usize| (pushes[i] - pushes[j]).abs() <= BATCH_WINDOW_MS;
            (i > 0 && near(i - 1)) || (i + 1 < pushes.len() && near(i + 1))
        })
        .count() as u64
}

/// The Vietnamese day of an instant in milliseconds.
fn local_day(ms: i64) -> jiff::civil::Date {
    Calendar::local_day(Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH))
}

/// The median of sorted values.
fn median(sorted: &[i64]) -> Option<f64> {
    let n = sorted.len();
    (n > 0).then(|| {
        if n % 2 == 1 {
            sorted[n / 2] as f64
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0
        }
    })
}

/// What a report covers and whom it grades by which target.
pub struct Scope<'a> {
    pub from: jiff::civil::Date,
    pub to: jiff::civil::Date,
    pub now: Timestamp,
    pub targets: &'a crate::config::TargetsConfig,
    /// Per-officer figures are computed (for administrators only).
    pub officers: bool,
    /// The areas to roll up.
    pub areas: &'a BTreeMap<String, crate::config::AreaConfig>,
}

/// Computes the report from the period's rows.
pub fn compute(
    scope: &Scope<'_>,
    cases: &[ReportCase],
    legs: &[ReportLeg],
    cal: &Calendar,
    commune_name: impl Fn(&str) -> String,
) -> Report {
    let (from, to, now, targets) = (scope.from, scope.to, scope.now, scope.targets);
    let now_ms = now.as_millisecond();
    let mut total = Figures::default();
    let mut by_commune: BTreeMap<&str, Figures> = BTreeMap::new();
    for c in cases {
        total.add(c, cal, now_ms);
        by_commune.entry(&c.commune_code).or_default().add(c, cal, now_ms);
    }
    total.finish(targets.province_late_percent);
    let communes: Vec<CommuneFigures> = by_commune
        .into_iter()
        .map(|(code, mut figures)| {
            figures.finish(targets.unit_late_percent);
            CommuneFigures {
                commune_code: code.to_string(),
                name: commune_name(code),
                figures,
            }
        })
        .collect();
    // A batch is one commune's: late pushes of two communes at the same time are not one.
    total.pushed_late_in_batches = communes.iter().map(|c| c.figures.pushed_late_in_batches).sum();
    let areas = scope
        .areas
        .iter()
        .map(|(code, area)| {
            let mut figures = Figures::default();
            for c in cases
                .iter()
                .filter(|c| area.communes.iter().any(|a| a.as_str() == c.commune_code))
            {
                figures.add(c, cal, now_ms);
            }
            figures.finish(targets.unit_late_percent);
            figures.pushed_late_in_batches = communes
                .iter()
                .filter(|c| area.communes.iter().any(|a| a.as_str() == c.commune_code))
                .map(|c| c.figures.pushed_late_in_batches)
                .sum();
            CommuneFigures {
                commune_code: code.clone(),
                name: area.name.clone(),
                figures,
            }
        })
        .collect();
    let mut by_leg: BTreeMap<(&str, &str), LegFigures> = BTreeMap::new();
    for l in legs {
        let f = by_leg
            .entry((l.name.as_str(), &l.office_code))
            .or_insert_with(|| LegFigures {
                leg: l.name.as_str().to_string(),
                office_code: l.office_code.clone(),
                ..LegFigures::default()
            });
        f.legs += 1;
        f.delivered += l.delivered as u64;
        f.first += (l.delivered && l.first_attempt_delivered) as u64;
        f.resends += l.resends;
        f.files_resent += l.files_resent;
        f.decided += u64::from(l.decided);
        f.decided_with_documents += u64::from(l.decided && l.documents > 0);
        f.supplements_asked += l.asked_at_ms.len() as u64;
        f.supplements_brought += l.supplied_at_ms.len() as u64;
        for kind in &l.supplied_kinds {
            *f.supplement_files_by_kind.entry(kind.clone()).or_default() += 1;
        }
        // The n-th supplement answers the n-th request.
        for (asked, brought) in l.asked_at_ms.iter().zip(&l.supplied_at_ms) {
            f.waits
                .push(cal.working_days_between(local_day(*asked), local_day(*brought)));
        }
    }
    let leg_figures = by_leg
        .into_values()
        .map(|mut f| {
            f.first_attempt_percent = percent(f.first, f.delivered);
            f.digitised_percent = percent(f.decided_with_documents, f.decided);
            f.waits.sort_unstable();
            f.median_supplement_wait_working_days = median(&f.waits);
            f
        })
        .collect();
    let units = |key: &dyn Fn(&ReportLeg) -> Option<String>, target: f64, at_target_counts: bool| {
        let mut by: BTreeMap<(String, String, String), UnitFigures> = BTreeMap::new();
        for l in legs {
            let Some(unit) = key(l) else { continue };
            by.entry((l.name.as_str().to_string(), l.office_code.clone(), unit.clone()))
                .or_insert_with(|| UnitFigures {
                    leg: l.name.as_str().to_string(),
                    unit,
                    office: l.office_code.clone(),
                    ..UnitFigures::default()
                })
                .add(l, now_ms);
        }
        by.into_values()
            .map(|mut f| {
                f.finish(target, at_target_counts);
                f
            })
            .collect::<Vec<_>>()
    };
    let offices = units(&|l| Some(l.office_code.clone()), targets.unit_late_percent, true);
    let officers = scope.officers.then(|| {
        units(
            &|l| {
                l.decided
                    .then(|| l.decided_by.clone().unwrap_or_else(|| "unknown".into()))
            },
            targets.officer_late_percent,
            false,
        )
    });
    Report {
        from,
        to,
        as_of: now,
        total,
        communes,
        legs: leg_figures,
        areas,
        offices,
        officers,
        feedback: FeedbackFigures::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_unit_at_the_target_is_over_it_and_an_officer_only_above_it() {
        // 1 late of 20 is exactly 5%: a unit loses its ranking, an officer is still "completed well".
        assert_eq!(over_target(1, 20, 5.0, true), (true, 1));
        assert_eq!(over_target(1, 20, 5.0, false), (false, 0));
        // 3 late of 20 (15%): a unit must have had at most 0, an officer at most 1.
        assert_eq!(over_target(3, 20, 5.0, true), (true, 3));
        assert_eq!(over_target(3, 20, 5.0, false), (true, 2));
        // 2 late of 100 against a 5% target is under it either way.
        assert_eq!(over_target(2, 100, 5.0, true), (false, 0));
        assert_eq!(over_target(0, 0, 5.0, true), (false, 0));
    }

    #[test]
    fn late_pushes_close_together_are_a_batch() {
        let min = 60 * 1000;
        let mut pushes = [
            0,
            10 * min,
            25 * min,
            3 * 60 * min,
            8 * 60 * min,
            8 * 60 * min + 29 * min,
        ];
        assert_eq!(in_batches(&mut pushes), 5, "the one three hours in stands alone");
        assert_eq!(in_batches(&mut [0, 31 * min]), 0);
        assert_eq!(in_batches(&mut []), 0);
    }

    proptest! {
        /// `by` is the fewest late dossiers to remove: without them the unit is under its
        /// target, with one of them back it is not.
        #[test]
        fn the_excess_is_exactly_what_puts_a_unit_over(
            decided in 1u64..500,
            late_share in 0u64..=100,
            target in 0.5f64..20.0,
            at in any::<bool>(),
        ) {
            let late = decided * late_share / 100;
            let (over, by) = over_target(late, decided, target, at);
            prop_assert_eq!(over, by > 0);
            let is_over = |l: u64| {
                let rate = (l * 100) as f64;
                l > 0 && if at { rate >= target * decided as f64 } else { rate > target * decided as f64 }
            };
            prop_assert!(!is_over(late - by));
            if by > 0 {
                prop_assert!(is_over(late - by + 1));
            }
        }
    }
}
