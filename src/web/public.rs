//! What families reach without an account (docs/family.md): `GET /api/public/v1/status` and the
//! page `/tra-cuu`. A case is found by its receipt code and the last four digits of the phone it
//! was registered with; a wrong code and wrong digits get the same answer, and failures are
//! throttled per client address and per receipt code.

use std::net::SocketAddr;
use std::time::Duration;

use askama::Template;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use lienthong_contract::{CaseBundle, LegKind};
use serde::Deserialize;

use super::error::ApiError;
use super::pages::render;
use super::AppState;
use crate::deadline::Calendar;
use crate::domain::FieldProblem;
use crate::family::phone;
use crate::family::status::{self, Facts, FamilyStatus, LegFacts};
use crate::store::cases::CaseRow;
use crate::store::StoreError;

/// The longest receipt code looked up (the legal format has 25 characters).
const MAX_CODE: usize = 64;

/// Why a look-up gave no status.
#[derive(Debug)]
pub enum LookupError {
    /// The question itself is malformed: every problem, with its field.
    Invalid(Vec<FieldProblem>),
    /// No case has this code with this phone: one answer for both, by design.
    NotFound,
    /// Too many failed look-ups from this address or for this code.
    Throttled(Duration),
    Store(StoreError),
}

impl From<StoreError> for LookupError {
    fn from(e: StoreError) -> Self {
        LookupError::Store(e)
    }
}

/// The same words for an unknown code and for wrong digits.
pub const NOT_FOUND_TEXT: &str =
    "Không tìm thấy hồ sơ với mã hồ sơ và 4 số cuối điện thoại này. Xin kiểm tra lại giấy tiếp nhận.";

/// Where a look-up comes from: the address its failures are counted against.
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let forwarded = state.config.gateway.public.client_ip_header.as_deref().and_then(|h| {
            parts
                .headers
                .get(h)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        });
        let peer = || {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string())
        };
        Ok(ClientAddr(forwarded.or_else(peer).unwrap_or_else(|| "unknown".into())))
    }
}

/// The look-up question, as the API and the page's form ask it.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct LookupQuery {
    /// The code printed on the receipt.
    pub receipt_code: Option<String>,
    /// The last four digits of the phone given when the dossier was handed in.
    pub phone_last4: Option<String>,
}

/// Answers a look-up, counting a failure against `client` and the code.
pub async fn look_up(state: &AppState, client: &str, q: &LookupQuery) -> Result<FamilyStatus, LookupError> {
    let code = q.receipt_code.as_deref().unwrap_or("").trim();
    let last4 = q.phone_last4.as_deref().unwrap_or("").trim();
    let mut problems = Vec::new();
    if code.is_empty() || code.chars().count() > MAX_CODE {
        problems.push(FieldProblem::invalid(
            "receipt_code",
            "Nhập mã hồ sơ in trên giấy tiếp nhận",
        ));
    }
    if !phone::is_last4(last4) {
        problems.push(FieldProblem::invalid(
            "phone_last4",
            "Nhập đúng 4 chữ số cuối của số điện thoại",
        ));
    }
    if !problems.is_empty() {
        return Err(LookupError::Invalid(problems));
    }
    let public = &state.config.gateway.public;
    let (per_minute, burst) = (public.failed_lookups_per_minute, public.failed_lookups_burst);
    let now = state.store.now_ms();
    let keys = [format!("addr:{client}"), format!("code:{code}")];
    for key in &keys {
        state
            .lookups
            .check(key, now, per_minute, burst)
            .map_err(LookupError::Throttled)?;
    }
    match find(state, code, last4).await? {
        Some((row, _)) => describe(state, &row).await,
        None => {
            for key in &keys {
                let _ = state.lookups.take(key, now, per_minute, burst);
            }
            metrics::counter!("lienthong_public_lookups_total", "outcome" => "not_found").increment(1);
            Err(LookupError::NotFound)
        }
    }
}

/// The case registered under `code` with a phone ending in `last4`.
async fn find(state: &AppState, code: &str, last4: &str) -> Result<Option<(CaseRow, CaseBundle)>, StoreError> {
    for row in state.store.cases_by_receipt(code).await? {
        let Ok(bundle) = serde_json::from_str::<CaseBundle>(&row.bundle_json) else {
            continue;
        };
        if bundle
            .applicant
            .phone
            .as_deref()
            .is_some_and(|p| phone::last4_matches(p, last4))
        {
            return Ok(Some((row, bundle)));
        }
    }
    Ok(None)
}

/// The family's view of a stored case.
pub async fn describe(state: &AppState, row: &CaseRow) -> Result<FamilyStatus, LookupError> {
    let legs = state.store.legs(&row.id).await?;
    let bundle: CaseBundle = serde_json::from_str(&row.bundle_json).map_err(|e| {
        LookupError::Store(StoreError::Corrupt {
            column: "cases.bundle",
            value: e.to_string(),
        })
    })?;
    let done = state.store.journey(&row.id).await?;
    let journey = super::pages::handover::facts(row, &bundle, &legs, &done);
    let apology = state.store.apology(&row.id).await?;
    let day_of = |ms: i64| jiff::Timestamp::from_millisecond(ms).ok().map(Calendar::local_day);
    let commune = state.config.routes.communes.get(row.commune_code.as_str());
    let facts = Facts {
        receipt_code: &row.receipt_code,
        status: row.status,
        received_on: day_of(row.received_at_ms).unwrap_or_default(),
        appointment: row.appointment_day,
        first_appointment: apology.filter(|a| a.confirmed_day.is_some()).map(|a| a.original_day),
        legs: legs
            .iter()
            .filter(|l| l.name != LegKind::Return || l.state != crate::domain::state::LegState::Waiting)
            .map(|l| LegFacts {
                kind: l.name,
                state: l.state,
                result: l.result.as_ref(),
                supplement_until: l.window_ends_at_ms.and_then(day_of),
            })
            .collect(),
        commune_name: commune.map_or(row.commune_code.as_str(), |c| c.name.as_str()),
        hotline: commune.and_then(|c| c.hotline.as_deref()),
        by_post: journey.by_post,
        whereabouts: crate::domain::journey::whereabouts(&journey),
    };
    metrics::counter!("lienthong_public_lookups_total", "outcome" => "found").increment(1);
    Ok(status::describe(&facts))
}

/// `GET /api/public/v1/status`: a case's progress for its family, without an account.
#[utoipa::path(
    get, path = "/api/public/v1/status", tag = "public",
    params(LookupQuery),
    responses(
        (status = 200, description = "The case's progress in plain words: no name, personal id or address", body = FamilyStatus),
        (status = 404, description = "No case with this code and these digits (the same answer for either being wrong)", body = super::bodies::ErrorBody),
        (status = 422, description = "A missing code or digits that are not four", body = super::bodies::ErrorBody),
        (status = 429, description = "Too many failed look-ups from this address or for this code", body = super::bodies::ErrorBody)
    ),
    security(())
)]
pub async fn status_api(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Query(q): Query<LookupQuery>,
) -> Response {
    match look_up(&state, &client, &q).await {
        Ok(s) => Json(s).into_response(),
        Err(e) => api_error(e).into_response(),
    }
}

fn api_error(e: LookupError) -> ApiError {
    match e {
        LookupError::Invalid(problems) => ApiError::invalid(problems),
        LookupError::NotFound => ApiError::new(StatusCode::NOT_FOUND, "not_found", NOT_FOUND_TEXT),
        LookupError::Throttled(wait) => ApiError::rate_limited(wait.as_secs().max(1)),
        LookupError::Store(e) => ApiError::internal(e),
    }
}

/// The look-up page.
#[derive(Template)]
#[template(path = "lookup.html")]
struct LookupPage {
    nav: Option<super::pages::Nav>,
    code: String,
    last4: String,
    error: Option<String>,
    found: Option<LookupView>,
}

/// A found case as the page shows it: dates as dd/mm/yyyy.
struct LookupView {
    s: FamilyStatus,
    received: String,
    appointment: String,
    rescheduled_from: Option<String>,
    steps: Vec<(String, String, String)>,
}

/// `GET /tra-cuu`: the look-up form, and the answer when it was filled in. Plain HTML that
/// works without script on a small screen.
pub async fn status_page(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Query(q): Query<LookupQuery>,
) -> Response {
    let mut page = LookupPage {
        nav: None,
        code: q.receipt_code.clone().unwrap_or_default(),
        last4: q.phone_last4.clone().unwrap_or_default(),
        error: None,
        found: None,
    };
    if q.phone_last4.is_none() {
        return render(&page);
    }
    let day = |d| crate::notify::templates::vn_date(d);
    let (status, retry) = match look_up(&state, &client, &q).await {
        Ok(s) => {
            page.found = Some(LookupView {
                received: day(s.received_on),
                appointment: s.appointment_date.map(day).unwrap_or_else(|| "—".into()),
                rescheduled_from: s.rescheduled_from.map(day),
                steps: s
                    .steps
                    .iter()
                    .map(|st| (st.name.to_string(), stage_class(st.stage).to_string(), st.text.clone()))
                    .collect(),
                s,
            });
            (StatusCode::OK, None)
        }
        Err(LookupError::Invalid(problems)) => {
            let words: Vec<String> = problems.into_iter().map(|p| p.message).collect();
            page.error = Some(words.join(". "));
            (StatusCode::UNPROCESSABLE_ENTITY, None)
        }
        Err(LookupError::NotFound) => {
            page.error = Some(NOT_FOUND_TEXT.into());
            (StatusCode::NOT_FOUND, None)
        }
        Err(LookupError::Throttled(wait)) => {
            let seconds = wait.as_secs().max(1);
            page.error = Some(format!(
                "Đã tra cứu sai quá nhiều lần. Xin thử lại sau {} phút.",
                seconds.div_ceil(60)
            ));
            (StatusCode::TOO_MANY_REQUESTS, Some(seconds))
        }
        Err(LookupError::Store(e)) => return super::pages::failed(e),
    };
    let mut response = (status, render(&page)).into_response();
    if let Some(seconds) = retry {
        response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
    }
    response
}

/// The CSS class of a step's stage.
fn stage_class(s: status::Stage) -> &'static str {
    match s {
        status::Stage::Received | status::Stage::Processing => "on_track",
        status::Stage::NeedsSupplement => "at_risk",
        status::Stage::Done => "done",
        status::Stage::Rejected => "overdue",
    }
}
