//! Deadline endpoints: apology letters (JSON and a printable page) and reports (supplements are
//! in [`super::supplement`]).

use crate::web::path_ids::CasePath;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Json};
use jiff::civil::Date;
use lienthong_contract::CaseBundle;
use serde::Deserialize;

use super::api::may_read;
use super::auth::Caller;
use super::bodies::{CalendarWarnings, ConfirmAnswer, ConfirmBody, DeadlinesOverview, ErrorBody};
use super::error::ApiError;
use super::AppState;
use crate::config::SystemKind;
use crate::deadline::Calendar;
use crate::domain::FieldProblem;
use crate::notify::templates::vn_date;
use crate::store::clocks::Apology;
use crate::store::CaseRow;

/// A case the caller may act on as the commune (its one-stop system) or an operator.
pub(super) async fn commune_case(state: &AppState, caller: &Caller, id: &str) -> Result<CaseRow, ApiError> {
    let row = state.store.case(id).await?.ok_or_else(ApiError::not_found)?;
    if !matches!(caller.kind, SystemKind::Onestop | SystemKind::Admin) || !may_read(caller, &row) {
        return Err(ApiError::forbidden("Mã truy cập này không được thao tác trên hồ sơ đó"));
    }
    Ok(row)
}

/// `GET /api/v1/cases/{case_id}/apology`.
#[utoipa::path(
    get, path = "/api/v1/cases/{case_id}/apology", tag = "deadlines",
    params(("case_id" = String, Path, description = "The case")),
    responses(
        (status = 200, description = "The apology letter of an overdue case", body = Apology),
        (status = 404, description = "No such case or leg", body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn apology(
    State(state): State<AppState>,
    Extension(caller): Extension<Arc<Caller>>,
    CasePath(id): CasePath,
) -> Result<Json<Apology>, ApiError> {
    commune_case(&state, &caller, &id).await?;
    let a = state.store.apology(&id).await?.ok_or_else(ApiError::not_found)?;
    Ok(Json(a))
}

/// Confirms the new appointment of an apology letter (the proposed date when `day` is `None`):
/// a working day after today. Returns the date and whether anything changed.
pub async fn confirm(
    state: &AppState,
    case_id: &str,
    day: Option<Date>,
    actor: &str,
) -> Result<(Date, bool), ApiError> {
    let a = state.store.apology(case_id).await?.ok_or_else(ApiError::not_found)?;
    let day = day.unwrap_or(a.proposed_day);
    let cal = &state.config.calendar;
    let today = Calendar::local_day(state.store.clock().now());
    let mut problems = Vec::new();
    if day <= today {
        problems.push(FieldProblem::invalid(
            "appointment_date",
            "Ngày hẹn mới phải sau hôm nay",
        ));
    }
    if !cal.is_working_day(day) {
        problems.push(FieldProblem::invalid(
            "appointment_date",
            format!("Ngày {} không phải ngày làm việc", vn_date(day)),
        ));
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let changed = state.store.confirm_apology(case_id, day, actor).await?;
    if changed {
        tracing::info!(case_id = %case_id, "apology confirmed");
    }
    Ok((day, changed))
}

/// `POST /api/v1/cases/{case_id}/apology/confirm`: an officer confirms or changes the new date;
/// only then is the family told.
#[utoipa::path(
    post, path = "/api/v1/cases/{case_id}/apology/confirm", tag = "deadlines",
    params(("case_id" = String, Path, description = "The case")),
    request_body(content = ConfirmBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Confirmed; the family is told", body = ConfirmAnswer),
        (status = 404, description = "No such case or leg", body = ErrorBody),
        (status = 413, description = "The body is over the limit of the file or of the token", body = ErrorBody),
        (status = 415, description = "Wrong content type", body = ErrorBody),
        (status = 422, description = "Validation: every problem with its JSON path", body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn confirm_apology(
    State(state): State<AppState>,
    Extension(caller): Extension<Arc<Caller>>,
    CasePath(id): CasePath,
    Json(body): Json<ConfirmBody>,
) -> Result<Json<ConfirmAnswer>, ApiError> {
    commune_case(&state, &caller, &id).await?;
    let (day, changed) = confirm(&state, &id, body.appointment_date, &caller.actor()).await?;
    Ok(Json(ConfirmAnswer {
        case_id: id,
        appointment_date: day.to_string(),
        changed,
    }))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `GET /api/v1/cases/{case_id}/apology/print`: the letter as a printable A4 page.
#[utoipa::path(
    get, path = "/api/v1/cases/{case_id}/apology/print", tag = "deadlines",
    params(("case_id" = String, Path, description = "The case")),
    responses(
        (status = 200, description = "The letter as a printable A4 page", content_type = "text/html", body = String),
        (status = 404, description = "No such case or leg", body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn print_apology(
    State(state): State<AppState>,
    Extension(caller): Extension<Arc<Caller>>,
    CasePath(id): CasePath,
) -> Result<Html<String>, ApiError> {
    let row = commune_case(&state, &caller, &id).await?;
    Ok(Html(apology_html(&state, &row).await?))
}

/// The apology letter of a case as a printable page (API and officers' pages).
pub async fn apology_html(state: &AppState, row: &CaseRow) -> Result<String, ApiError> {
    let a = state.store.apology(&row.id).await?.ok_or_else(ApiError::not_found)?;
    let bundle: CaseBundle = serde_json::from_str(&row.bundle_json).map_err(ApiError::internal)?;
    let commune = state
        .config
        .routes
        .communes
        .get(row.commune_code.as_str())
        .map_or(row.commune_code.to_string(), |c| c.name.clone());
    let new_day = a.confirmed_day.unwrap_or(a.proposed_day);
    let status = if a.status == "confirmed" {
        String::new()
    } else {
        "<p class=\"draft\">BẢN NHÁP — ngày hẹn mới chưa được cán bộ xác nhận</p>".into()
    };
    let today = Calendar::local_day(state.store.clock().now());
    Ok(format!(
        include_str!("apology.html"),
        commune = esc(&commune),
        status = status,
        place_date = format!("ngày {} tháng {} năm {}", today.day(), today.month(), today.year()),
        applicant = esc(&bundle.applicant.full_name),
        child = esc(&bundle.child.full_name),
        code = esc(&row.receipt_code),
        received = vn_date(Calendar::local_day(bundle.received_at)),
        original = vn_date(a.original_day),
        reason = esc(&a.reason),
        new_day = vn_date(new_day),
    ))
}

/// The report of cases received from `from` to `to` (local dates, inclusive) in `communes`
/// (`None`: all), with per-officer figures when `officers` (administrators only).
pub async fn load_report(
    state: &AppState,
    from: Date,
    to: Date,
    communes: Option<Vec<String>>,
    officers: bool,
) -> Result<crate::report::Report, ApiError> {
    let period = crate::report::Period { from, to };
    Ok(crate::report::load(&state.store, &state.config, period, communes, officers).await?)
}

/// A workbook as a download.
pub fn xlsx_answer(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        bytes,
    )
        .into_response()
}

/// Query of `GET /api/v1/reports`.
#[derive(Deserialize)]
pub struct ReportQuery {
    from: Date,
    to: Date,
    commune: Option<String>,
    area: Option<String>,
    format: Option<String>,
    #[serde(default)]
    group_by: crate::report::GroupBy,
}

/// `GET /api/v1/reports?from=&to=&commune=&format=csv`: the deadline figures of the cases
/// received from `from` to `to` (inclusive, local dates). Operators see every commune and the
/// per-officer figures; a one-stop system its own communes, and no officer.
#[utoipa::path(
    get, path = "/api/v1/reports", tag = "reports",
    params(
        ("from" = String, Query, format = Date, description = "First day received (inclusive)"),
        ("to" = String, Query, format = Date, description = "Last day received (inclusive)"),
        ("commune" = Option<String>, Query, description = "One commune"),
        ("area" = Option<String>, Query, description = "One area of routes.toml (its communes)"),
        ("format" = Option<String>, Query, description = "`csv` for one table (UTF-8 with BOM), `xlsx` for a workbook with every table"),
        ("group_by" = Option<String>, Query, description = "The CSV's table: `commune` (default), `area`, `office`, `officer` (administrators)"),
    ),
    responses(
        (status = 200, description = "The figures (JSON, or CSV with format=csv)", content(
            (crate::report::Report = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        )),
        (status = 422, description = "Validation: every problem with its JSON path", body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn reports(
    State(state): State<AppState>,
    Extension(caller): Extension<Arc<Caller>>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let mut communes: Option<Vec<String>> = match caller.kind {
        SystemKind::Admin => q.commune.clone().map(|c| vec![c]),
        SystemKind::Onestop => Some(match &q.commune {
            Some(c) if caller.communes.contains(c.as_str()) => vec![c.clone()],
            Some(_) => return Err(ApiError::forbidden("Mã truy cập này không được xem báo cáo của xã đó")),
            None => caller.communes.iter().map(ToString::to_string).collect(),
        }),
        _ => return Err(ApiError::forbidden("Mã truy cập này không được xem báo cáo")),
    };
    if let Some(code) = &q.area {
        let area = state.config.routes.areas.get(code).ok_or_else(|| {
            ApiError::invalid(vec![FieldProblem::invalid(
                "area",
                format!("Không có khu vực '{code}'"),
            )])
        })?;
        let members = area.communes.iter().map(ToString::to_string);
        communes = Some(match communes {
            Some(allowed) => members.filter(|c| allowed.contains(c)).collect(),
            None => members.collect(),
        });
    }
    if q.to < q.from {
        return Err(ApiError::invalid(vec![FieldProblem::invalid(
            "to",
            "Ngày kết thúc phải sau ngày bắt đầu",
        )]));
    }
    let report = load_report(&state, q.from, q.to, communes, caller.kind == SystemKind::Admin).await?;
    if q.format.as_deref() == Some("xlsx") {
        let bytes = crate::report::to_xlsx(&report).map_err(ApiError::internal)?;
        return Ok(xlsx_answer(&format!("bao-cao-{}-{}.xlsx", q.from, q.to), bytes));
    }
    if q.format.as_deref() == Some("csv") {
        let csv = crate::report::to_csv_by(&report, q.group_by)
            .ok_or_else(|| ApiError::forbidden("Chỉ quản trị viên được xem số liệu theo cán bộ"))?;
        let name = format!("bao-cao-{}-{}.csv", q.from, q.to);
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            ],
            csv,
        )
            .into_response());
    }
    Ok(Json(report).into_response())
}

/// `GET /api/v1/deadlines`: what an administrator must see about the clocks — cases at risk and
/// overdue, apology letters waiting for an officer, and calendar years that are provisional or
/// missing (deadlines in them count weekends only).
#[utoipa::path(
    get, path = "/api/v1/deadlines", tag = "deadlines",
    responses(
        (status = 200, description = "Clocks at risk and overdue, letters to confirm, calendar warnings", body = DeadlinesOverview),
    ),
    security(("bearer" = []))
)]
pub async fn overview(
    State(state): State<AppState>,
    Extension(caller): Extension<Arc<Caller>>,
) -> Result<Json<DeadlinesOverview>, ApiError> {
    if caller.kind != SystemKind::Admin {
        return Err(ApiError::forbidden("Chỉ quản trị viên được xem tổng quan thời hạn"));
    }
    let cal = &state.config.calendar;
    let now = state.store.clock().now();
    let year = Calendar::local_day(now).year();
    let missing: Vec<i16> = (year..=year + 1).filter(|y| !cal.covers(*y)).collect();
    let provisional = cal.provisional_years();
    let mut warnings: Vec<String> = provisional
        .iter()
        .map(|y| format!("Lịch {y} chưa chính thức"))
        .collect();
    warnings.extend(
        missing
            .iter()
            .map(|y| format!("Thiếu lịch làm việc năm {y}: thời hạn chỉ tính trừ thứ Bảy, Chủ nhật")),
    );
    let (at_risk, overdue) = state.store.clock_counts(now.as_millisecond()).await?;
    Ok(Json(DeadlinesOverview {
        at_risk,
        overdue,
        apologies_to_confirm: state.store.draft_apologies().await?,
        calendar: CalendarWarnings {
            provisional_years: provisional,
            missing_years: missing,
            warnings,
        },
    }))
}
