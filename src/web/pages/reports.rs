//! The reports page: the deadline figures per commune for a period, charts drawn as inline SVG
//! on the server (no script, printable), and the CSV download.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use jiff::ToSpan;
use serde::Deserialize;

use super::error::PageError;
use super::labels;
use super::session::Signed;
use super::{failed, page_error, render, Nav};
use crate::accounts::Role;
use crate::deadline::Calendar;
use crate::notify::templates::vn_date;
use crate::report::{Figures, Report, UnitFigures};
use crate::web::deadlines::load_report;
use crate::web::AppState;
use lienthong_contract::LegKind;

/// One table row.
pub struct Line {
    pub name: String,
    pub received: u64,
    pub early: u64,
    pub on_time: u64,
    pub late: u64,
    pub open_ok: u64,
    pub open_late: u64,
    pub late_rate: String,
    pub days: String,
    /// Results by post, waiting for the family, with the family, and the median working days
    /// from result to family (docs/family.md).
    pub by_post: u64,
    pub waiting: u64,
    pub handed: u64,
    pub to_family: String,
    /// Pushed later than the commune's own step allows, of them in batches.
    pub pushed_late: String,
    pub over: String,
}

/// One office's or officer's line (docs/accountability.md).
pub struct UnitLine {
    pub leg: &'static str,
    pub unit: String,
    pub received: u64,
    pub early: u64,
    pub on_time: u64,
    pub late: u64,
    pub open_ok: u64,
    pub open_late: u64,
    pub late_rate: String,
    /// Empty when under target; otherwise the excess in dossiers.
    pub over: String,
}

fn unit_line(state: &AppState, u: &UnitFigures) -> UnitLine {
    let kind = LegKind::parse(&u.leg);
    let routes = &state.config.routes;
    let office = match kind {
        Some(LegKind::Residence) => routes.police_offices.get(u.unit.as_str()).map(|o| o.name.clone()),
        Some(LegKind::Insurance) => routes.insurance_offices.get(u.unit.as_str()).map(|o| o.name.clone()),
        _ => None,
    };
    UnitLine {
        leg: kind.map_or("", labels::leg_name),
        unit: office.map_or_else(|| u.unit.clone(), |name| format!("{name} ({})", u.unit)),
        received: u.received,
        early: u.decided_early,
        on_time: u.decided_on_time,
        late: u.decided_late,
        open_ok: u.open_within_due,
        open_late: u.open_past_due,
        late_rate: u.late_rate_percent.map_or("—".into(), |r| format!("{r}%")),
        over: over_text(u.over_target, u.late_over_target_by, u.target_percent),
    }
}

/// "Over target by N dossiers", or nothing.
fn over_text(over: bool, by: u64, target: f64) -> String {
    if over {
        format!("Vượt chỉ tiêu {target}% ({by} hồ sơ)")
    } else {
        String::new()
    }
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportPage {
    nav: Option<Nav>,
    from: Date,
    to: Date,
    from_vn: String,
    to_vn: String,
    rows: Vec<Line>,
    late_chart: String,
    days_chart: String,
    month_chart: String,
    /// Ratings and complaints of the period, in words.
    feedback: String,
    offices: Vec<UnitLine>,
    /// For administrators only.
    officers: Option<Vec<UnitLine>>,
    /// The CSV and workbook downloads (the communes' tables: not for an agency's staff).
    downloads: bool,
}

/// The period asked for; the current month by default.
#[derive(Deserialize, Default)]
pub struct Period {
    from: Option<Date>,
    to: Option<Date>,
}

fn line(name: &str, f: &Figures, target: f64) -> Line {
    let opt = |v: Option<f64>| v.map_or("—".to_string(), |x| format!("{x}"));
    Line {
        name: name.to_string(),
        received: f.received,
        early: f.completed_early,
        on_time: f.completed_on_time,
        late: f.completed_late,
        open_ok: f.in_progress_on_time,
        open_late: f.in_progress_overdue,
        late_rate: f.late_rate_percent.map_or("—".into(), |r| format!("{r}%")),
        days: format!(
            "{} / {}",
            opt(f.median_working_days),
            f.p90_working_days.map_or("—".into(), |d| d.to_string())
        ),
        by_post: f.by_post,
        waiting: f.waiting_for_family,
        handed: f.handed_over,
        to_family: opt(f.median_working_days_to_family),
        pushed_late: format!("{} ({} theo lô)", f.pushed_late, f.pushed_late_in_batches),
        over: over_text(f.over_target, f.late_over_target_by, target),
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Horizontal bars, one per row: `(name, value, text shown after the bar)`, scaled to `max`.
fn bars(label: &str, rows: &[(String, f64, String)], max: f64, colour: &str) -> String {
    let h = 28 * rows.len().max(1) + 10;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 640 {h}\" width=\"100%\" style=\"max-width:640px\">",
        esc(label)
    );
    for (i, (name, value, text)) in rows.iter().enumerate() {
        let y = 10 + i * 28;
        let w = (value / max.max(f64::MIN_POSITIVE) * 380.0).round();
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{}\">{}</text><rect x=\"200\" y=\"{y}\" width=\"{w}\" height=\"20\" fill=\"{colour}\"/>\
             <text x=\"{}\" y=\"{}\">{}</text>",
            y + 15,
            esc(name),
            205.0 + w,
            y + 15,
            esc(text)
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// The late rate of each commune, in percent.
fn late_chart(r: &Report) -> String {
    let rows: Vec<(String, f64, String)> = r
        .communes
        .iter()
        .map(|c| {
            let rate = c.figures.late_rate_percent.unwrap_or(0.0);
            (c.name.clone(), rate, format!("{rate}%"))
        })
        .collect();
    bars("Tỷ lệ trễ hạn theo xã", &rows, 100.0, "#a40000")
}

/// Working days from receipt to completion per commune: the median, and the 90th percentile.
fn days_chart(r: &Report) -> String {
    let rows: Vec<(String, f64, String)> = r
        .communes
        .iter()
        .map(|c| {
            let median = c.figures.median_working_days.unwrap_or(0.0);
            let p90 = c.figures.p90_working_days.map_or("—".to_string(), |d| d.to_string());
            (c.name.clone(), median, format!("trung vị {median}, P90 {p90}"))
        })
        .collect();
    let max = rows.iter().map(|r| r.1).fold(8.0, f64::max);
    bars("Số ngày làm việc đến khi có kết quả, theo xã", &rows, max, "#0b4f8a")
}

/// Stacked columns: cases received per month by how they ended.
fn month_chart(months: &[(String, Figures)]) -> String {
    let max = months.iter().map(|(_, f)| f.received).max().unwrap_or(0).max(1) as f64;
    let colours = [
        ("#1d6b2a", "Trước hạn"),
        ("#0b4f8a", "Đúng hạn"),
        ("#a40000", "Quá hạn"),
        ("#7a4b00", "Đang giải quyết"),
    ];
    let mut svg = String::from(
        "<svg role=\"img\" aria-label=\"Hồ sơ theo tháng và kết quả\" viewBox=\"0 0 640 260\" width=\"100%\" style=\"max-width:640px\">",
    );
    for (i, (label, f)) in months.iter().enumerate() {
        let x = 20 + i * 60;
        let mut y = 200.0;
        let parts = [
            f.completed_early,
            f.completed_on_time,
            f.completed_late,
            f.in_progress_on_time + f.in_progress_overdue,
        ];
        for (n, (colour, _)) in parts.iter().zip(colours) {
            let h = *n as f64 / max * 180.0;
            y -= h;
            svg.push_str(&format!(
                "<rect x=\"{x}\" y=\"{y:.1}\" width=\"40\" height=\"{h:.1}\" fill=\"{colour}\"/>"
            ));
        }
        svg.push_str(&format!(
            "<text x=\"{x}\" y=\"218\">{}</text><text x=\"{x}\" y=\"{:.1}\">{}</text>",
            esc(label),
            y - 4.0,
            f.received
        ));
    }
    for (i, (colour, name)) in colours.iter().enumerate() {
        let x = 20 + i * 150;
        svg.push_str(&format!("<rect x=\"{x}\" y=\"236\" width=\"12\" height=\"12\" fill=\"{colour}\"/><text x=\"{}\" y=\"247\">{name}</text>", x + 16));
    }
    svg.push_str("</svg>");
    svg
}

fn scope(signed: &Signed) -> Option<Vec<String>> {
    (!signed.user.role.oversees()).then(|| signed.user.scopes.clone())
}

fn period(state: &AppState, p: &Period) -> (Date, Date) {
    let today = Calendar::local_day(state.store.clock().now());
    let first = today.first_of_month();
    (p.from.unwrap_or(first), p.to.unwrap_or(today))
}

/// What an agency's staff see of a report: their own offices and those offices' officers,
/// never another office's, nor the communes' table (docs/accountability.md).
fn own_offices(report: &mut Report, signed: &Signed) {
    let mine = |u: &UnitFigures| signed.user.in_scope(&u.office);
    report.offices.retain(mine);
    if let Some(officers) = report.officers.as_mut() {
        officers.retain(mine);
    }
    report.communes.clear();
    report.areas.clear();
}

/// `GET /reports`: communes and offices for the commune's officers and administrators (and
/// every officer for administrators); an agency's staff see their own offices and officers.
pub async fn page(State(state): State<AppState>, signed: Signed, Query(p): Query<Period>) -> Response {
    if let Err(r) = signed.require(&[
        Role::CommuneOfficer,
        Role::Admin,
        Role::Operator,
        Role::Auditor,
        Role::PoliceStaff,
        Role::InsuranceStaff,
    ]) {
        return r;
    }
    let staff = signed.user.role.decides().is_some();
    let (from, to) = period(&state, &p);
    if to < from {
        return page_error(422, "Ngày kết thúc phải sau ngày bắt đầu.");
    }
    let officers = signed.user.role.oversees() || staff;
    let communes = if staff { None } else { scope(&signed) };
    let mut report = match load_report(&state, from, to, communes, officers).await {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    if staff {
        own_offices(&mut report, &signed);
    }
    let mut months = Vec::new();
    let mut m = from.first_of_month();
    while m <= to && months.len() < 12 {
        let end = m.last_of_month().min(to);
        match load_report(&state, m.max(from), end, scope(&signed), false).await {
            Ok(r) => months.push((m.strftime("%m/%Y").to_string(), r.total)),
            Err(e) => return failed(e),
        }
        m = match m.checked_add(1.month()) {
            Ok(next) => next,
            Err(_) => break,
        };
    }
    let targets = &state.config.gateway.targets;
    let mut rows: Vec<Line> = report
        .communes
        .iter()
        .map(|c| line(&c.name, &c.figures, targets.unit_late_percent))
        .collect();
    rows.extend(
        report
            .areas
            .iter()
            .map(|a| line(&format!("Khu vực: {}", a.name), &a.figures, targets.unit_late_percent)),
    );
    rows.push(line("Tổng cộng", &report.total, targets.province_late_percent));
    if staff {
        rows.clear();
    }
    let offices = report.offices.iter().map(|u| unit_line(&state, u)).collect();
    let officers = report
        .officers
        .as_ref()
        .map(|list| list.iter().map(|u| unit_line(&state, u)).collect());
    render(&ReportPage {
        nav: Nav::of(&signed),
        from,
        to,
        from_vn: vn_date(from),
        to_vn: vn_date(to),
        rows,
        late_chart: late_chart(&report),
        days_chart: days_chart(&report),
        month_chart: month_chart(&months),
        feedback: feedback_text(&report.feedback),
        offices,
        officers,
        downloads: !staff,
    })
}

/// The period's feedback in one sentence.
fn feedback_text(f: &crate::report::FeedbackFigures) -> String {
    let opt = |v: Option<f64>, unit: &str| v.map_or("—".to_string(), |x| format!("{x}{unit}"));
    format!(
        "{} lượt đánh giá, điểm trung bình {}, hài lòng (4-5 điểm) {}; {} phản ánh, kiến nghị, \
         {} chưa trả lời, {} trả lời đúng hạn.",
        f.ratings,
        opt(f.average_score, ""),
        opt(f.satisfied_percent, "%"),
        f.complaints,
        f.complaints_open,
        f.complaints_answered_on_time
    )
}

/// `GET /reports.csv`.
pub async fn csv(State(state): State<AppState>, signed: Signed, Query(p): Query<Period>) -> Response {
    if let Err(r) = signed.require(&[Role::CommuneOfficer, Role::Admin, Role::Operator, Role::Auditor]) {
        return r;
    }
    let (from, to) = period(&state, &p);
    match load_report(&state, from, to, scope(&signed), signed.user.role.oversees()).await {
        Ok(r) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"bao-cao-{from}-{to}.csv\""),
                ),
            ],
            crate::report::to_csv(&r),
        )
            .into_response(),
        Err(e) => failed(e),
    }
}

/// `GET /reports.xlsx`: the same report as an Excel workbook, one sheet per table.
pub async fn xlsx(State(state): State<AppState>, signed: Signed, Query(p): Query<Period>) -> Response {
    if let Err(r) = signed.require(&[Role::CommuneOfficer, Role::Admin, Role::Operator, Role::Auditor]) {
        return r;
    }
    let (from, to) = period(&state, &p);
    let report = match load_report(&state, from, to, scope(&signed), signed.user.role.oversees()).await {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    match crate::report::to_xlsx(&report) {
        Ok(bytes) => crate::web::deadlines::xlsx_answer(&format!("bao-cao-{from}-{to}.xlsx"), bytes),
        Err(e) => PageError::internal(e).into_response(),
    }
}
