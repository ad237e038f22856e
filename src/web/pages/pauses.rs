//! Pausing and resuming deliveries to one receiving system from `/admin` (docs/operations.md,
//! "Pausing a receiving system"). The pause's row is its record: who, why, from and until when,
//! who resumed.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::session::Signed;
use super::{failed, page_error};
use crate::accounts::Role;
use crate::web::AppState;

/// The pause form.
#[derive(Deserialize)]
pub struct PauseForm {
    csrf: String,
    office_code: String,
    reason: String,
    /// `YYYY-MM-DDTHH:MM`, local time, as a `datetime-local` input sends it; empty: until resumed.
    #[serde(default)]
    until: String,
}

/// The resume form.
#[derive(Deserialize)]
pub struct ResumeForm {
    csrf: String,
    office_code: String,
}

/// Whether `code` is a receiving office of the routes (police or insurance).
fn is_office(state: &AppState, code: &str) -> bool {
    let r = &state.config.routes;
    r.police_offices.contains_key(code) || r.insurance_offices.contains_key(code)
}

/// `POST /admin/pauses`.
pub async fn pause(State(state): State<AppState>, signed: Signed, Form(f): Form<PauseForm>) -> Response {
    if let Err(r) = signed.allow(&Role::OPERATIONS, &f.csrf) {
        return r;
    }
    let mut problems = Vec::new();
    if !is_office(&state, &f.office_code) {
        problems.push("Chọn một đơn vị nhận trong danh sách.".to_string());
    }
    let reason = f.reason.trim();
    if reason.is_empty() {
        problems.push("Cần ghi lý do tạm dừng.".to_string());
    }
    let until = match f.until.trim() {
        "" => None,
        text => match jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M", text)
            .ok()
            .and_then(|d| d.to_zoned(lienthong_contract::vn_tz()).ok())
        {
            Some(z) if z.timestamp().as_millisecond() > state.store.now_ms() => Some(z.timestamp().as_millisecond()),
            Some(_) => {
                problems.push("Thời điểm kết thúc phải ở tương lai.".to_string());
                None
            }
            None => {
                problems.push("Thời điểm kết thúc không đọc được.".to_string());
                None
            }
        },
    };
    if !problems.is_empty() {
        return page_error(422, &problems.join(" "));
    }
    match state
        .store
        .pause_office(&f.office_code, reason, until, &signed.user.actor())
        .await
    {
        Ok(()) => {
            tracing::info!(office = %f.office_code, "deliveries to an office paused by an administrator");
            Redirect::to("/admin").into_response()
        }
        Err(e) => failed(e),
    }
}

/// `POST /admin/pauses/resume`: the office's waiting deliveries become due at once (at its
/// `max_per_minute`, if it has one).
pub async fn resume(State(state): State<AppState>, signed: Signed, Form(f): Form<ResumeForm>) -> Response {
    if let Err(r) = signed.allow(&Role::OPERATIONS, &f.csrf) {
        return r;
    }
    match state.store.resume_office(&f.office_code, &signed.user.actor()).await {
        Ok(_) => {
            tracing::info!(office = %f.office_code, "deliveries to an office resumed by an administrator");
            state.wake.notify_one();
            Redirect::to("/admin").into_response()
        }
        Err(e) => failed(e),
    }
}
