//! Supplements (docs/supplements.md): the family brought what an agency asked for. The one-stop
//! system records it through the API (JSON with a note, or multipart with the files), the
//! commune officer on the case page; both end in [`record`], which checks the files like intake
//! does, sends each waiting leg back to its agency with the files it asked for, and resumes the
//! clocks as the case's regime says.

use super::openapi::UploadRefusals;
use std::sync::Arc;

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use lienthong_contract::AttachmentMeta;
use serde::Deserialize;

use super::auth::Caller;
use super::bodies::{Deadline, ErrorBody, SupplementAnswer, SupplementBody, SupplementParts};
use super::error::ApiError;
use super::path_ids::CasePath;
use super::AppState;
use crate::blobs::TempBlob;
use crate::deadline::{resume, Due};
use crate::domain::state::LegState;
use crate::domain::supplement::{check_meta, route, Asked, Waiting};
use crate::domain::FieldProblem;
use crate::store::CaseRow;

/// What the family brought: the officer's note and the files, each streamed to a temporary blob
/// under its declared description, with the problems met while reading them.
#[derive(Default)]
pub struct Brought {
    pub note: String,
    pub files: Vec<(AttachmentMeta, TempBlob)>,
    pub problems: Vec<FieldProblem>,
}

/// Checks what was brought against what the waiting legs asked for, stores the files, and sends
/// each waiting leg back to its agency with the files of the kinds it asked for; its clock
/// resumes as the case's regime says. Nothing is stored when anything is refused.
pub async fn record(state: &AppState, row: &CaseRow, actor: &str, brought: Brought) -> Result<CaseRow, ApiError> {
    let Brought {
        note,
        files,
        mut problems,
    } = brought;
    if note.trim().is_empty() {
        problems.insert(
            0,
            FieldProblem::invalid("note", "Cần ghi rõ giấy tờ gia đình đã bổ sung"),
        );
    }
    let waiting: Vec<_> = state
        .store
        .legs(&row.id)
        .await?
        .into_iter()
        .filter(|l| l.state == LegState::NeedsSupplement)
        .collect();
    let (Some(regime), Some(old_case_due)) = (&row.regime, row.due_day) else {
        return Err(ApiError::internal("case without a deadline"));
    };
    if waiting.is_empty() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "invalid_state",
            "Hồ sơ không có chặng nào đang chờ bổ sung",
        ));
    }
    let asked: Vec<Waiting> = waiting
        .iter()
        .map(|l| Waiting {
            leg: l.id.clone(),
            kinds: Asked::of(l.name, l.result.as_ref()).kinds,
        })
        .collect();
    let metas: Vec<AttachmentMeta> = files.iter().map(|(m, _)| m.clone()).collect();
    let routed = match route(&asked, &metas) {
        Ok(r) if problems.is_empty() => r,
        Ok(_) => return Err(ApiError::invalid(problems)),
        Err(mut p) => {
            problems.append(&mut p);
            return Err(ApiError::invalid(problems));
        }
    };
    let fresh = super::push::keep(state, files).await?;
    let cal = &state.config.calendar;
    let now = state.store.clock().now();
    let mut legs = Vec::new();
    let mut case_due: Option<Due> = None;
    for (l, (_, files)) in waiting.iter().zip(routed) {
        let (Some(budget), Some(paused)) = (regime.leg(l.name), state.store.paused_days(&l.id).await?) else {
            continue;
        };
        let (leg_due, due) = resume(cal, regime, budget, false, &paused, now, old_case_due);
        legs.push((l.id.clone(), leg_due, files));
        case_due = Some(match case_due {
            Some(c) if c.day >= due.day => c,
            _ => due,
        });
    }
    let case_due = case_due.unwrap_or_else(|| Due::on(cal, old_case_due, regime.warning_margin_days));
    let stored = state
        .store
        .resume_after_supplement(&row.id, &legs, case_due, actor, note.trim())
        .await;
    let row = match stored {
        Ok(row) => row,
        Err(e) => {
            super::push::forget(state, fresh).await;
            return Err(e.into());
        }
    };
    let sent: usize = legs.iter().map(|(_, _, f)| f.len()).sum();
    tracing::info!(case_id = %row.id, legs = legs.len(), files = sent, "supplement received");
    state.wake.notify_one();
    Ok(row)
}

/// The JSON part of a multipart supplement: the note and a description of each file part.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Described {
    note: String,
    #[serde(default)]
    files: Vec<serde_json::Value>,
}

/// Reads a multipart supplement: the `supplement` JSON part describes each file part (named by
/// its kind) as a case's manifest does, and each file is checked against it like at intake.
async fn read_multipart(state: &AppState, mp: Multipart) -> Result<Brought, ApiError> {
    let mut received = super::push::read(state, mp, "supplement").await?;
    let mut problems = std::mem::take(&mut received.problems);
    let Some(text) = received.manifest.take() else {
        problems.insert(0, FieldProblem::invalid("supplement", "Thiếu phần 'supplement' (JSON)"));
        return Err(ApiError::invalid(problems));
    };
    let described: Described = serde_json::from_slice(&text).map_err(|e| {
        ApiError::invalid(vec![FieldProblem::invalid(
            "supplement",
            format!("JSON không hợp lệ: {e}"),
        )])
    })?;
    let max = state.config.gateway.attachment_max_bytes;
    let (files, mut found) =
        super::push::take_described("files", &described.files, received.files, |i, m| check_meta(i, m, max));
    problems.append(&mut found);
    Ok(Brought {
        note: described.note,
        files,
        problems,
    })
}

/// What the officer uploaded on the case page, described from the files' own bytes.
pub fn from_form(note: String, uploads: Vec<crate::web::pages::form::Upload>) -> Brought {
    let (files, problems) = super::push::describe_uploads(uploads, |i, m| check_meta(i, m, u64::MAX));
    Brought { note, files, problems }
}

/// `POST /api/v1/cases/{case_id}/supplement`: the family brought what was missing. Every leg
/// waiting on it goes back to its agency, with the files of the kinds it asked for, its clock
/// resumed as the case's regime says; the family gets the new appointment date.
#[utoipa::path(
    post, path = "/api/v1/cases/{case_id}/supplement", tag = "deadlines",
    params(("case_id" = String, Path, description = "The case")),
    request_body(content(
        (SupplementBody = "application/json"),
        (SupplementParts = "multipart/form-data")
    )),
    responses(
        (status = 200, description = "Legs back to their agencies, new appointment", body = SupplementAnswer),
        (status = 400, description = "Unreadable multipart body", body = ErrorBody),
        (status = 403, description = "Another commune's case", body = ErrorBody),
        (status = 404, description = "No such case or leg", body = ErrorBody),
        UploadRefusals
    ),
    security(("bearer" = []))
)]
pub async fn supplement(
    State(state): State<AppState>,
    Extension(caller): Extension<Arc<Caller>>,
    CasePath(id): CasePath,
    request: Request,
) -> Result<Json<SupplementAnswer>, ApiError> {
    let row = super::deadlines::commune_case(&state, &caller, &id).await?;
    let brought = match super::push::multipart_of(&state, request).await? {
        Ok(mp) => read_multipart(&state, mp).await?,
        Err(request) => {
            let Json(body) = Json::<SupplementBody>::from_request(request, &state)
                .await
                .map_err(|e| ApiError::new(e.status(), "bad_request", e.body_text()))?;
            Brought {
                note: body.note,
                ..Brought::default()
            }
        }
    };
    let row = record(&state, &row, &caller.actor(), brought).await?;
    let deadline = Deadline::of(&row, state.store.now_ms());
    Ok(Json(SupplementAnswer {
        case_id: row.id,
        status: row.status.as_str().to_string(),
        appointment_date: row.appointment_day.map(|d| d.to_string()),
        deadline,
    }))
}
