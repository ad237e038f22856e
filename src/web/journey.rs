//! The results' journey over the API (docs/family.md): one-stop and insurance systems record
//! their steps on a case, the postal partner reports its items by tracking number. Every call is
//! signed like a decision.

use crate::web::bodies::SigningHeaders;
use crate::web::path_ids::CasePath;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};
use bytes::Bytes;
use lienthong_contract::LegKind;
use serde::{Deserialize, Serialize};

use super::api::{check_signature, may_read};
use super::auth::Caller;
use super::bodies::ErrorBody;
use super::error::ApiError;
use super::AppState;
use crate::config::SystemKind;
use crate::domain::journey::{Recorder, Step};
use crate::domain::FieldProblem;
use crate::journey::{self as steps, StepBody, StepError};
use crate::store::journey::StepDetail;

/// What recording a step did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StepAnswer {
    #[schema(value_type = String)]
    pub case_id: crate::domain::CaseId,
    pub step: String,
    /// False when the same step was recorded before (nothing changed).
    pub changed: bool,
}

/// A postal partner's report on one item.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostalEvent {
    pub tracking_number: String,
    /// `delivered` or `returned`.
    pub outcome: String,
    pub note: Option<String>,
}

impl From<StepError> for ApiError {
    fn from(e: StepError) -> Self {
        match e {
            StepError::Invalid(problems) => ApiError::invalid(problems),
            StepError::Refused(_) => ApiError::new(StatusCode::CONFLICT, "invalid_state", e.message()),
            StepError::Store(e) => e.into(),
        }
    }
}

fn json<T: serde::de::DeserializeOwned>(raw: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(raw).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("Thân yêu cầu không hợp lệ: {e}"),
        )
    })
}

fn path_of(uri: &axum::http::Uri) -> &str {
    uri.path_and_query().map_or(uri.path(), |p| p.as_str())
}

/// `POST /api/v1/cases/{case_id}/journey`: a one-stop system records the commune's steps, an
/// insurance system that it sent the card, an operator any step.
#[utoipa::path(
    post, path = "/api/v1/cases/{case_id}/journey", tag = "journey",
    params(
        ("case_id" = String, Path, description = "The case"),
        SigningHeaders,
    ),
    request_body(content = StepBody, description = "The step: card_sent and posted need tracking_number; handed_over needs received_by and id_checked = true"),
    responses(
        (status = 200, description = "Recorded (or recorded before)", body = StepAnswer),
        (status = 404, description = "No such case", body = ErrorBody),
        (status = 409, description = "Not allowed now (no result yet, already closed, the family chose another way)", body = ErrorBody),
        (status = 422, description = "Every problem of the step, with its field", body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn record(
    State(state): State<AppState>,
    Extension(caller): Extension<Arc<Caller>>,
    CasePath(case_id): CasePath,
    uri: axum::http::Uri,
    headers: HeaderMap,
    raw: Bytes,
) -> Result<Json<StepAnswer>, ApiError> {
    check_signature(&state, &caller, "POST", path_of(&uri), &headers, &raw).await?;
    let body: StepBody = json(&raw)?;
    let row = state.store.case(&case_id).await?.ok_or_else(ApiError::not_found)?;
    let (step, detail) = steps::parse(&body).map_err(ApiError::invalid)?;
    let allowed = match (caller.kind, step.recorded_by()) {
        (SystemKind::Admin, _) => true,
        (SystemKind::Onestop, Recorder::Commune) => may_read(&caller, &row),
        (SystemKind::Insurance, Recorder::Insurance) => state
            .store
            .legs(&case_id)
            .await?
            .iter()
            .any(|l| l.name == LegKind::Insurance && caller.offices.contains(&l.office_code)),
        _ => false,
    };
    if !allowed {
        return Err(ApiError::forbidden("Mã truy cập này không được ghi bước này của hồ sơ"));
    }
    let changed = steps::record(&state.store, &case_id, step, &detail, &caller.actor()).await?;
    Ok(Json(StepAnswer {
        case_id,
        step: step.as_str().to_string(),
        changed,
    }))
}

/// `POST /api/v1/postal/events`: the postal partner reports an item delivered or returned.
#[utoipa::path(
    post, path = "/api/v1/postal/events", tag = "journey",
    params(
        SigningHeaders,
    ),
    request_body(content = PostalEvent, description = "The item's tracking number and what happened to it"),
    responses(
        (status = 200, description = "Recorded (or recorded before)", body = StepAnswer),
        (status = 404, description = "No item with this tracking number", body = ErrorBody),
        (status = 409, description = "The item was not posted, or the case is closed", body = ErrorBody),
        (status = 422, description = "An unknown outcome", body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn postal_event(
    State(state): State<AppState>,
    Extension(caller): Extension<Arc<Caller>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    raw: Bytes,
) -> Result<Json<StepAnswer>, ApiError> {
    if !matches!(caller.kind, SystemKind::Postal | SystemKind::Admin) {
        return Err(ApiError::forbidden("Chỉ đối tác bưu chính được báo trạng thái bưu gửi"));
    }
    check_signature(&state, &caller, "POST", path_of(&uri), &headers, &raw).await?;
    let event: PostalEvent = json(&raw)?;
    let step = Step::from_postal_outcome(&event.outcome).ok_or_else(|| {
        ApiError::invalid(vec![FieldProblem::invalid(
            "outcome",
            "Trạng thái chỉ được là 'delivered' hoặc 'returned'",
        )])
    })?;
    let case_id = state
        .store
        .case_of_tracking(event.tracking_number.trim())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let detail = StepDetail {
        tracking_number: Some(event.tracking_number.trim().to_string()),
        note: event.note.filter(|n| !n.trim().is_empty()),
        ..StepDetail::default()
    };
    let changed = steps::record(&state.store, &case_id, step, &detail, &caller.actor()).await?;
    Ok(Json(StepAnswer {
        case_id,
        step: step.as_str().to_string(),
        changed,
    }))
}
