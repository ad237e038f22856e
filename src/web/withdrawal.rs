//! `POST /api/v1/cases/{case_id}/withdraw`: the commune's one-stop system records that the
//! family withdrew the dossier (docs/family.md); the agencies are told through their legs.

use crate::web::path_ids::CasePath;
use std::sync::Arc;

use axum::extract::State;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use super::api::may_read;
use super::auth::Caller;
use super::bodies::ErrorBody;
use super::error::ApiError;
use super::AppState;
use crate::config::SystemKind;
use crate::domain::text::tidy;
use crate::domain::FieldProblem;

/// Why the family withdrew.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawBody {
    pub reason: String,
}

/// The withdrawal recorded.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WithdrawAnswer {
    #[schema(value_type = String)]
    pub case_id: crate::domain::CaseId,
    pub status: String,
    /// Agency legs that will be told.
    pub agencies_told: usize,
}

/// Validates the reason: required, at most 500 characters.
pub fn reason(raw: &str) -> Result<String, FieldProblem> {
    let r = tidy(raw);
    if r.is_empty() || r.chars().count() > 500 {
        return Err(FieldProblem::invalid(
            "reason",
            "Cần lý do rút hồ sơ (tối đa 500 ký tự)",
        ));
    }
    Ok(r)
}

/// Records a withdrawal and wakes the workers that tell the agencies.
pub async fn record(state: &AppState, case_id: &str, reason: &str, actor: &str) -> Result<usize, ApiError> {
    let told = state.store.withdraw_case(case_id, reason, actor).await?;
    tracing::info!(case_id, told, actor, "dossier withdrawn by the family");
    metrics::counter!("lienthong_cases_withdrawn_total").increment(1);
    Ok(told)
}

/// `POST /api/v1/cases/{case_id}/withdraw`.
#[utoipa::path(
    post, path = "/api/v1/cases/{case_id}/withdraw", tag = "cases",
    params(("case_id" = String, Path, description = "A running case")),
    request_body(content = WithdrawBody, description = "The family's reason"),
    responses(
        (status = 200, description = "Withdrawn; the agencies will be told", body = WithdrawAnswer),
        (status = 404, description = "No such case", body = ErrorBody),
        (status = 409, description = "The case already finished", body = ErrorBody),
        (status = 415, description = "Wrong content type", body = ErrorBody),
        (status = 422, description = "No reason", body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn withdraw(
    State(state): State<AppState>,
    Extension(caller): Extension<Arc<Caller>>,
    CasePath(case_id): CasePath,
    Json(body): Json<WithdrawBody>,
) -> Result<Json<WithdrawAnswer>, ApiError> {
    let row = state.store.case(&case_id).await?.ok_or_else(ApiError::not_found)?;
    if !matches!(caller.kind, SystemKind::Onestop | SystemKind::Admin) || !may_read(&caller, &row) {
        return Err(ApiError::forbidden("Mã truy cập này không được rút hồ sơ đó"));
    }
    let reason = reason(&body.reason).map_err(|p| ApiError::invalid(vec![p]))?;
    let told = record(&state, &case_id, &reason, &caller.actor()).await?;
    state.wake.notify_one();
    Ok(Json(WithdrawAnswer {
        case_id,
        status: crate::domain::state::CaseStatus::Withdrawn.as_str().to_string(),
        agencies_told: told,
    }))
}
