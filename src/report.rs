//! The deadline report the district and province ask for, computed from stored facts only
//! (received instants, deadlines, the completion events), so it is right without any officer
//! updating anything.
//!
//! Choices, where the spec leaves room: "completed" counts every case whose result reached the
//! commune, granted or refused; the late rate is late ÷ completed; in-progress figures are as of
//! the moment the report is made; percentiles use the nearest rank.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use crate::deadline::{working_days_taken, Calendar, ClockState, Punctuality};
use crate::domain::state::CaseStatus;
use crate::store::reports::{ReportCase, ReportLeg};

/// The figures of one scope (a commune, or the whole deployment).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Figures {
    pub received: u64,
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
    #[serde(skip)]
    #[schema(ignore)]
    taken: Vec<i64>,
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
        self.by_post += u64::from(c.by_post);
        let day = local_day;
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
                    self.taken.push(working_days_taken(cal, regime, receipt, finished));
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

    fn finish(&mut self) {
        let completed = self.completed_early + self.completed_on_time + self.completed_late;
        self.late_rate_percent = percent(self.completed_late, completed);
        self.taken.sort_unstable();
        self.median_working_days = median(&self.taken);
        let n = self.taken.len();
        if n > 0 {
            let rank = (n * 9).div_ceil(10).max(1);
            self.p90_working_days = Some(self.taken[rank - 1]);
        }
        self.to_family.sort_unstable();
        self.median_working_days_to_family = median(&self.to_family);
    }
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

/// Computes the report from the period's rows.
pub fn compute(
    from: jiff::civil::Date,
    to: jiff::civil::Date,
    cases: &[ReportCase],
    legs: &[ReportLeg],
    cal: &Calendar,
    now: Timestamp,
    commune_name: impl Fn(&str) -> String,
) -> Report {
    let now_ms = now.as_millisecond();
    let mut total = Figures::default();
    let mut by_commune: BTreeMap<&str, Figures> = BTreeMap::new();
    for c in cases {
        total.add(c, cal, now_ms);
        by_commune.entry(&c.commune_code).or_default().add(c, cal, now_ms);
    }
    total.finish();
    let communes = by_commune
        .into_iter()
        .map(|(code, mut figures)| {
            figures.finish();
            CommuneFigures {
                commune_code: code.to_string(),
                name: commune_name(code),
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
    let legs = by_leg
        .into_values()
        .map(|mut f| {
            f.first_attempt_percent = percent(f.first, f.delivered);
            f.digitised_percent = percent(f.decided_with_documents, f.decided);
            f.waits.sort_unstable();
            f.median_supplement_wait_working_days = median(&f.waits);
            f
        })
        .collect();
    Report {
        from,
        to,
        as_of: now,
        total,
        communes,
        legs,
        feedback: FeedbackFigures::default(),
    }
}

fn cell(v: Option<impl ToString>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// The per-commune table as CSV (UTF-8 with a BOM so spreadsheet programs read the diacritics).
pub fn to_csv(r: &Report) -> String {
    let mut out = String::from(
        "\u{feff}ma_xa,ten_xa,tiep_nhan,hoan_thanh_truoc_han,hoan_thanh_dung_han,hoan_thanh_qua_han,tu_choi,\
         dang_giai_quyet_trong_han,dang_giai_quyet_qua_han,da_huy,ty_le_tre_han_phan_tram,\
         so_ngay_lam_viec_trung_vi,so_ngay_lam_viec_p90,nhan_qua_buu_chinh,cho_gia_dinh_nhan,da_trao_gia_dinh,\
         so_ngay_den_khi_gia_dinh_nhan_trung_vi,rut_ho_so\r\n",
    );
    let row = |code: &str, name: &str, f: &Figures| {
        format!(
            "{code},\"{}\",{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\r\n",
            name.replace('"', "\"\""),
            f.received,
            f.completed_early,
            f.completed_on_time,
            f.completed_late,
            f.rejected,
            f.in_progress_on_time,
            f.in_progress_overdue,
            f.cancelled,
            cell(f.late_rate_percent),
            cell(f.median_working_days),
            cell(f.p90_working_days),
            f.by_post,
            f.waiting_for_family,
            f.handed_over,
            cell(f.median_working_days_to_family),
            f.withdrawn,
        )
    };
    for c in &r.communes {
        out.push_str(&row(&c.commune_code, &c.name, &c.figures));
    }
    out.push_str(&row("tong", "Tổng cộng", &r.total));
    out
}
