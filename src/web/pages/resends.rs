//! `/admin/resends`: the administrator selects dead transfers by office, leg, error and age, sees
//! how many match and which, then resends them paced with a reason — the same action as
//! `POST /api/v1/resends` (`crate::web::resends`).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

use super::labels;
use super::session::Signed;
use super::{failed, render, Nav};
use crate::accounts::Role;
use crate::web::bodies::BulkResendBody;
use crate::web::resends::{bulk_resend, ResendError, DEFAULT_PACE_MS};
use crate::web::AppState;

/// The filter as the form sends it (empty fields select everything).
#[derive(Debug, Default, Deserialize)]
pub struct Selection {
    #[serde(default)]
    office_code: String,
    #[serde(default)]
    leg: String,
    #[serde(default)]
    error_contains: String,
    #[serde(default)]
    dead_for_minutes: String,
}

/// The form's resend: the selection, the reason and the pace.
#[derive(Debug, Deserialize)]
pub struct ResendForm {
    csrf: String,
    #[serde(flatten)]
    selection: Selection,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    pace_ms: String,
}

#[derive(Template)]
#[template(path = "resends.html")]
struct ResendsPage {
    nav: Option<Nav>,
    csrf: String,
    offices: Vec<(String, String)>,
    office_code: String,
    leg: String,
    error_contains: String,
    dead_for_minutes: String,
    pace_ms: String,
    reason: String,
    /// How many legs the selection takes, and the cases of the first ones.
    matched: usize,
    first: Vec<(String, String)>,
    /// After a resend: how many went.
    resent: Option<usize>,
    errors: Vec<String>,
}

/// Blank fields mean "any"; a number that does not read is a problem the answer lists.
fn body(s: &Selection, reason: &str, pace_ms: &str, preview: bool) -> (BulkResendBody, Vec<String>) {
    let mut errors = Vec::new();
    let mut number = |text: &str, what: &str| -> Option<u64> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        t.parse()
            .map_err(|_| errors.push(format!("{what} phải là một số")))
            .ok()
    };
    let dead_for_minutes = number(&s.dead_for_minutes, "Số phút").and_then(|m| u32::try_from(m).ok());
    let pace_ms = number(pace_ms, "Giãn cách");
    let text = |t: &str| Some(t.trim().to_string()).filter(|t| !t.is_empty());
    (
        BulkResendBody {
            office_code: text(&s.office_code),
            leg: text(&s.leg),
            error_contains: text(&s.error_contains),
            dead_for_minutes,
            reason: reason.to_string(),
            preview,
            pace_ms,
        },
        errors,
    )
}

async fn page(
    state: &AppState,
    signed: &Signed,
    s: &Selection,
    reason: &str,
    pace_ms: &str,
    preview: bool,
) -> Response {
    let (request, mut errors) = body(s, reason, pace_ms, preview);
    let answer = if errors.is_empty() {
        match bulk_resend(state, &request, &signed.user.actor()).await {
            Ok(a) => Some(a),
            Err(ResendError::Invalid(problems)) => {
                errors.extend(problems.into_iter().map(|p| p.message));
                None
            }
            Err(ResendError::Store(e)) => return failed(e),
        }
    } else {
        None
    };
    let mut first = Vec::new();
    for leg_id in answer.iter().flat_map(|a| a.legs.iter().take(20)) {
        match state.store.leg(leg_id).await {
            Ok(Some(l)) => match state.store.case(l.case_id.as_str()).await {
                Ok(Some(c)) => first.push((c.id.to_string(), c.receipt_code.to_string())),
                Ok(None) => {}
                Err(e) => return failed(e),
            },
            Ok(None) => {}
            Err(e) => return failed(e),
        }
    }
    let routes = &state.config.routes;
    let mut offices: Vec<(String, String)> = routes
        .police_offices
        .iter()
        .chain(routes.insurance_offices.iter())
        .map(|(code, o)| (code.to_string(), format!("{} ({code})", o.name)))
        .collect();
    let mut systems: Vec<String> = routes.communes.values().map(|c| c.onestop_system.clone()).collect();
    systems.sort();
    systems.dedup();
    offices.extend(
        systems
            .into_iter()
            .map(|s| (s.clone(), format!("Hệ thống một cửa {s}"))),
    );
    render(&ResendsPage {
        nav: Nav::of(signed),
        csrf: signed.csrf.clone(),
        offices,
        office_code: s.office_code.clone(),
        leg: s.leg.clone(),
        error_contains: s.error_contains.clone(),
        dead_for_minutes: s.dead_for_minutes.clone(),
        pace_ms: if pace_ms.is_empty() {
            DEFAULT_PACE_MS.to_string()
        } else {
            pace_ms.to_string()
        },
        reason: if preview { String::new() } else { reason.to_string() },
        matched: answer.as_ref().map_or(0, |a| a.matched),
        first,
        resent: answer.filter(|a| !a.preview).map(|a| a.resent),
        errors,
    })
}

/// `GET /admin/resends`: the selection and what it takes, nothing moved.
pub async fn preview(State(state): State<AppState>, signed: Signed, Query(s): Query<Selection>) -> Response {
    if let Err(r) = signed.require(&Role::OPERATIONS) {
        return r;
    }
    page(&state, &signed, &s, "", "", true).await
}

/// `POST /admin/resends`: the selected dead transfers go again, paced, with the reason.
pub async fn resend(State(state): State<AppState>, signed: Signed, Form(f): Form<ResendForm>) -> Response {
    if let Err(r) = signed.allow(&Role::OPERATIONS, &f.csrf) {
        return r;
    }
    page(&state, &signed, &f.selection, &f.reason, &f.pace_ms, false).await
}

/// The leg kinds the form offers, with their names.
pub fn leg_options() -> [(&'static str, &'static str); 3] {
    use lienthong_contract::LegKind;
    [LegKind::Residence, LegKind::Insurance, LegKind::Return].map(|k| (k.as_str(), labels::leg_name(k)))
}
