//! The administrator's dashboard: stuck transfers with resend, clocks by commune and office,
//! queue depth and delivery rate, cancellation with a reason, and the audit trail by case code.
//! Every action is recorded in the audit trail with the user.

use crate::web::path_ids::LegPath;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::error::PageError;
use super::labels;
use super::session::Signed;
use super::{failed, page_error, render, Nav};
use crate::accounts::Role;
use crate::alerts::rules::Phase;
use crate::deadline::Calendar;
use crate::domain::state::LegState;
use crate::report::flags::{LatePushes, OverTarget};
use crate::web::AppState;

/// One stuck transfer.
pub struct StuckLine {
    pub leg_id: String,
    pub case_id: String,
    pub code: String,
    pub leg: &'static str,
    pub office: String,
    pub state: &'static str,
    pub attempts: i64,
    pub error: String,
    pub dead: bool,
}

/// A delivered leg still waiting for its agency's decision past its check-back time.
pub struct UndecidedLine {
    pub case_id: String,
    pub code: String,
    pub leg: &'static str,
    pub office: String,
    pub waiting_since: String,
    pub checks: i64,
    pub checked_at: String,
    pub finding: &'static str,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct Dashboard {
    nav: Option<Nav>,
    csrf: String,
    /// Resend, resolve, pause and resume are offered (administrators and operators).
    can_operate: bool,
    /// Cancelling a case is offered (administrators only).
    can_cancel: bool,
    /// Reloading the certificate files is offered (administrators).
    can_reload: bool,
    calendar_warnings: Vec<String>,
    queue_depth: i64,
    dead: i64,
    at_risk: i64,
    overdue: i64,
    delivered_24h: i64,
    stuck: Vec<StuckLine>,
    undecided: Vec<UndecidedLine>,
    undecided_total: i64,
    checks_24h: i64,
    recovered_24h: i64,
    by_unit: Vec<(String, i64, i64, i64)>,
    /// Results waiting for the family past the configured working days (docs/family.md).
    uncollected: Vec<UncollectedLine>,
    uncollected_total: i64,
    collect_days: u32,
    /// Withdrawals still being delivered to agencies, and those that gave up (docs/family.md).
    withdrawals_open: i64,
    withdrawals_dead: i64,
    /// Families' complaints past their due date without an answer.
    complaints_overdue: i64,
    /// Delivery-health alerts started and not cleared (docs/alerts.md): what, and since when.
    alerts: Vec<(String, String)>,
    /// Offices an administrator paused: code, name, reason, by whom, since, until.
    pauses: Vec<PauseLine>,
    /// The receiving offices, for the pause form: code and name.
    offices: Vec<(String, String)>,
    /// Since when the accountability panel counts, and when it was computed.
    standing_from: String,
    standing_at: String,
    /// The panel's first computation has not ended yet.
    computing: bool,
    over_target: Vec<OverTarget>,
    late_pushes: Vec<LatePushes>,
}

/// A paused office.
struct PauseLine {
    code: String,
    name: String,
    reason: String,
    by: String,
    since: String,
    until: String,
}

/// A result waiting for its family too long.
struct UncollectedLine {
    case_id: String,
    code: String,
    commune: String,
    since: String,
    reminded: bool,
}

/// `GET /admin`.
pub async fn dashboard(State(state): State<AppState>, signed: Signed) -> Response {
    if let Err(r) = signed.require(&Role::OVERSIGHT) {
        return r;
    }
    let now = state.store.now_ms();
    let day_ago = now - 24 * 3600 * 1000;
    let cb = &state.config.gateway.delivery.check_back;
    let loaded = tokio::try_join!(
        state.store.queue_stats(),
        state.store.clock_counts(now),
        state.store.stuck_legs(100),
        state.store.delivered_since(day_ago),
        state.store.unit_clocks(now),
        state
            .store
            .undecided_legs(cb.residence_after_ms as i64, cb.insurance_after_ms as i64, 100),
        state.store.check_counts_since(day_ago),
        state.store.uncollected(
            state
                .config
                .gateway
                .public
                .collect_overdue_before(&state.config.calendar, Calendar::local_day(state.store.clock().now())),
            100
        ),
        state.store.withdrawal_counts(),
        state.store.overdue_complaints(),
        state.store.alerts(),
        state.store.active_pauses(now),
    );
    let standing = state.standing.get(&state);
    let (
        (queue_depth, dead),
        (at_risk, overdue),
        stuck,
        delivered_24h,
        (communes, offices),
        (undecided, undecided_total),
        checks,
        (uncollected, uncollected_total),
        (withdrawals_open, withdrawals_dead),
        complaints_overdue,
        alerts,
        pauses,
    ) = match loaded {
        Ok(v) => v,
        Err(e) => return failed(e),
    };
    let routes = &state.config.routes;
    let name_of = |code: &str| {
        routes
            .communes
            .get(code)
            .map(|c| c.name.clone())
            .or_else(|| routes.police_offices.get(code).map(|o| o.name.clone()))
            .or_else(|| routes.insurance_offices.get(code).map(|o| o.name.clone()))
            .unwrap_or_else(|| code.to_string())
    };
    let cal = &state.config.calendar;
    let year = Calendar::local_day(state.store.clock().now()).year();
    let mut calendar_warnings: Vec<String> = cal
        .provisional_years()
        .iter()
        .map(|y| format!("Lịch {y} chưa chính thức"))
        .collect();
    calendar_warnings.extend(
        (year..=year + 1)
            .filter(|y| !cal.covers(*y))
            .map(|y| format!("Thiếu lịch làm việc năm {y}: thời hạn chỉ tính trừ thứ Bảy, Chủ nhật")),
    );
    render(&Dashboard {
        nav: Nav::of(&signed),
        csrf: signed.csrf.clone(),
        can_operate: Role::OPERATIONS.contains(&signed.user.role),
        can_cancel: signed.user.role == Role::Admin,
        can_reload: signed.user.role == Role::Admin,
        calendar_warnings,
        queue_depth,
        dead,
        at_risk,
        overdue,
        delivered_24h,
        stuck: stuck
            .iter()
            .map(|s| StuckLine {
                leg_id: s.leg_id.clone(),
                case_id: s.case_id.clone(),
                code: s.receipt_code.clone(),
                leg: labels::leg_name(s.name),
                office: name_of(&s.office_code),
                state: labels::leg_state(s.state),
                attempts: s.attempts,
                error: s.last_error.clone().unwrap_or_default(),
                dead: s.state == LegState::Dead,
            })
            .collect(),
        undecided: undecided
            .iter()
            .map(|u| UndecidedLine {
                case_id: u.case_id.to_string(),
                code: u.receipt_code.to_string(),
                leg: labels::leg_name(u.name),
                office: name_of(&u.office_code),
                waiting_since: labels::when(u.delivered_at_ms),
                checks: u.checks,
                checked_at: u.checked_at_ms.map(labels::when).unwrap_or_default(),
                finding: labels::check_outcome(u.outcome),
                detail: u.detail.clone().unwrap_or_default(),
            })
            .collect(),
        undecided_total,
        checks_24h: checks.iter().map(|(_, n)| n).sum(),
        recovered_24h: checks.iter().filter(|(o, _)| o == "recovered").map(|(_, n)| n).sum(),
        by_unit: communes
            .iter()
            .chain(offices.iter())
            .map(|u| (name_of(&u.code), u.open, u.at_risk, u.overdue))
            .collect(),
        uncollected: uncollected
            .iter()
            .map(|u| UncollectedLine {
                case_id: u.case_id.to_string(),
                code: u.receipt_code.to_string(),
                commune: name_of(&u.commune_code),
                since: labels::when(u.result_at_ms),
                reminded: u.reminded,
            })
            .collect(),
        uncollected_total,
        collect_days: state.config.gateway.public.collect_within_working_days,
        withdrawals_open,
        withdrawals_dead,
        complaints_overdue,
        alerts: alerts
            .iter()
            .filter_map(|a| match a.tracked.phase {
                Phase::Active { since, .. } | Phase::Clearing { since, .. } => {
                    Some((a.detail.clone().unwrap_or_else(|| a.key.clone()), labels::when(since)))
                }
                _ => None,
            })
            .collect(),
        pauses: pauses
            .iter()
            .map(|p| PauseLine {
                code: p.office_code.clone(),
                name: name_of(&p.office_code),
                reason: p.reason.clone(),
                by: p.paused_by.clone(),
                since: labels::when(p.paused_at),
                until: p.until.map_or_else(|| "Đến khi tiếp tục".to_string(), labels::when),
            })
            .collect(),
        offices: routes
            .police_offices
            .iter()
            .chain(routes.insurance_offices.iter())
            .map(|(code, o)| (code.to_string(), format!("{} ({code})", o.name)))
            .collect(),
        standing_from: standing.as_ref().map(|s| labels::day(Some(s.from))).unwrap_or_default(),
        standing_at: standing
            .as_ref()
            .map(|s| labels::when(s.computed_at_ms))
            .unwrap_or_default(),
        computing: standing.is_none(),
        over_target: standing.as_ref().map(|s| s.over.clone()).unwrap_or_default(),
        late_pushes: standing.as_ref().map(|s| s.pushes.clone()).unwrap_or_default(),
    })
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

/// `POST /admin/legs/{leg_id}/resend`.
pub async fn resend(
    State(state): State<AppState>,
    signed: Signed,
    LegPath(leg_id): LegPath,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if let Err(r) = signed.allow(&Role::OPERATIONS, &f.csrf) {
        return r;
    }
    let moved = state.store.resend(&leg_id, &signed.user.actor()).await;
    if moved.is_ok() {
        state.wake.notify_one();
    }
    after_dead_leg_moved(moved, &leg_id, "dead leg re-queued from the dashboard")
}

/// The dashboard again once an operator moved a dead leg; 409 when it was no longer dead.
fn after_dead_leg_moved(
    moved: Result<crate::domain::CaseId, crate::store::StoreError>,
    leg_id: &crate::domain::LegId,
    what: &'static str,
) -> Response {
    match moved {
        Ok(case_id) => {
            tracing::info!(case_id = %case_id, leg_id = %leg_id, "{what}");
            Redirect::to("/admin").into_response()
        }
        Err(crate::store::StoreError::InvalidState(_)) => PageError::new(
            StatusCode::CONFLICT,
            "invalid_state",
            "Chuyển này không ở trạng thái thất bại.",
        )
        .into_response(),
        Err(e) => failed(e),
    }
}

#[derive(Deserialize)]
pub struct ResolveForm {
    csrf: String,
    reason: String,
}

/// `POST /admin/legs/{leg_id}/resolve`: a dead transfer done by another channel, with a reason.
pub async fn resolve(
    State(state): State<AppState>,
    signed: Signed,
    LegPath(leg_id): LegPath,
    Form(f): Form<ResolveForm>,
) -> Response {
    if let Err(r) = signed.allow(&Role::OPERATIONS, &f.csrf) {
        return r;
    }
    if f.reason.trim().is_empty() {
        return page_error(422, "Cần ghi lý do xử lý thủ công.");
    }
    let moved = state
        .store
        .resolve_by_hand(&leg_id, &signed.user.actor(), f.reason.trim())
        .await;
    after_dead_leg_moved(moved, &leg_id, "dead leg resolved by hand")
}

#[derive(Deserialize)]
pub struct CancelForm {
    csrf: String,
    code: String,
    reason: String,
}

/// `POST /admin/certificates/reload`: every certificate file is read again, as on SIGHUP; new
/// connections, both ways, use the renewed ones.
pub async fn reload_certificate(State(state): State<AppState>, signed: Signed, Form(f): Form<CsrfOnly>) -> Response {
    if let Err(r) = signed.allow(&[Role::Admin], &f.csrf) {
        return r;
    }
    match state.certificates.reload() {
        Ok(()) => {
            tracing::info!("certificates reloaded from /admin");
            Redirect::to("/admin").into_response()
        }
        Err(e) => page_error(
            422,
            &format!("Không nạp lại được chứng thư, các chứng thư đang dùng được giữ nguyên: {e}"),
        ),
    }
}

/// `POST /admin/cancel`: cancels a running case by its code, with a required reason.
pub async fn cancel(State(state): State<AppState>, signed: Signed, Form(f): Form<CancelForm>) -> Response {
    if let Err(r) = signed.allow(&[Role::Admin], &f.csrf) {
        return r;
    }
    if f.reason.trim().is_empty() {
        return page_error(422, "Cần ghi lý do hủy hồ sơ.");
    }
    let case = match state.store.cases_by_receipt(f.code.trim()).await {
        Ok(c) => c.into_iter().next(),
        Err(e) => return failed(e),
    };
    let Some(case) = case else {
        return page_error(404, "Không có hồ sơ mang mã này.");
    };
    match state
        .store
        .cancel_case(&case.id, &signed.user.actor(), f.reason.trim())
        .await
    {
        Ok(()) => Redirect::to(&format!("/cases/{}", case.id)).into_response(),
        Err(crate::store::StoreError::InvalidState(_)) => page_error(409, "Hồ sơ đã kết thúc, không hủy được."),
        Err(e) => failed(e),
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    nav: Option<Nav>,
    code: String,
    rows: Vec<(String, String, String, String, String, String)>,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    code: String,
}

/// `GET /admin/audit?code=`: the whole audit trail of the cases with that code.
pub async fn audit(State(state): State<AppState>, signed: Signed, Query(q): Query<AuditQuery>) -> Response {
    if let Err(r) = signed.require(&Role::OVERSIGHT) {
        return r;
    }
    let cases = match state.store.cases_by_receipt(q.code.trim()).await {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let mut rows = Vec::new();
    for c in &cases {
        match state.store.events(&c.id).await {
            Ok(events) => rows.extend(events.into_iter().map(|e| {
                (
                    labels::when(e.at_ms),
                    e.actor,
                    e.kind,
                    e.from_state.unwrap_or_default(),
                    e.to_state,
                    e.reason.unwrap_or_default(),
                )
            })),
            Err(e) => return failed(e),
        }
    }
    render(&AuditPage {
        nav: Nav::of(&signed),
        code: q.code,
        rows,
    })
}
