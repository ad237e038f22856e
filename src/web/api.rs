//! Handlers of the agency API (docs/api.md).

use super::openapi::UploadRefusals;
use crate::web::bodies::SigningHeaders;
use crate::web::path_ids::{CasePath, LegPath};
use lienthong_contract::LegKind;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::Value;

use super::auth::Caller;
use super::bodies::{
    local_time, AttachmentBody, BulkResendAnswer, BulkResendBody, CaseBody, Deadline, DecisionAnswer, DecisionParts,
    ErrorBody, EventBody, LaterFileBody, LegBody, PushAnswer, ResendAnswer,
};
use super::error::ApiError;
use super::AppState;
use crate::blobs::TempBlob;
use crate::config::SystemKind;
use crate::domain::state::LegState;
use crate::store::{CaseRow, LegView};
use lienthong_contract::AttachmentMeta;

async fn case_body(state: &AppState, row: &CaseRow) -> Result<CaseBody, ApiError> {
    let now = state.store.now_ms();
    let mut legs = Vec::new();
    for l in state.store.legs(&row.id).await? {
        legs.push(LegBody::of(&l, &state.store.attempts(&l.id).await?, now));
    }
    let attachments = state
        .store
        .attachments(&row.id)
        .await?
        .into_iter()
        .map(|a| AttachmentBody {
            kind: a.kind,
            file_name: a.file_name,
            media_type: a.media_type,
            size: a.size,
            sha256: a.sha256,
        })
        .collect();
    Ok(CaseBody {
        case_id: row.id.clone(),
        receipt_code: row.receipt_code.clone(),
        commune_code: row.commune_code.clone(),
        status: row.status.as_str().to_string(),
        received_at: local_time(row.received_at_ms),
        appointment_date: row.appointment_day.map(|d| d.to_string()),
        deadline: Deadline::of(row, now),
        result_at: row.result_at_ms.map(local_time),
        closed_at: row.closed_at_ms.map(local_time),
        legs,
        attachments,
        supplement_files: state
            .store
            .supplied_files(&row.id)
            .await?
            .into_iter()
            .map(|f| LaterFileBody::of(f.leg, f.meta, f.received_at_ms))
            .collect(),
        documents: state
            .store
            .result_documents(&row.id)
            .await?
            .into_iter()
            .map(|d| LaterFileBody::of(d.leg, d.meta, d.received_at_ms))
            .collect(),
        apology: state.store.apology(&row.id).await?,
        notifications: state.store.notices(&row.id).await?,
        events: state.store.events(&row.id).await?.iter().map(EventBody::from).collect(),
    })
}

/// Whether a caller may read a case: operators all, a one-stop system its communes'.
pub fn may_read(caller: &Caller, row: &CaseRow) -> bool {
    match caller.kind {
        SystemKind::Admin => true,
        SystemKind::Onestop => caller.communes.contains(row.commune_code.as_str()),
        SystemKind::Police | SystemKind::Insurance | SystemKind::Sms | SystemKind::Postal => false,
    }
}

/// `POST /api/v1/cases`.
#[utoipa::path(
    post, path = "/api/v1/cases", tag = "cases",
    request_body(content_type = "multipart/form-data", description = "Part `manifest`: the case bundle JSON (docs/case-bundle.md); one file part per declared attachment, named by its `kind`."),
    responses(
        (status = 201, description = "A new case", body = PushAnswer),
        (status = 200, description = "The same case pushed again", body = PushAnswer),
        UploadRefusals
    ),
    security(("bearer" = []))
)]
pub async fn push_case(
    State(state): State<AppState>,
    Extension(caller): Extension<Arc<Caller>>,
    mp: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let mp = mp.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("Cần gửi multipart/form-data: {}", e.body_text()),
        )
    })?;
    if caller.kind != SystemKind::Onestop {
        return Err(ApiError::forbidden("Chỉ hệ thống một cửa của xã được gửi hồ sơ"));
    }
    let received = super::push::read(&state, mp, "manifest").await?;
    let accepted = super::push::intake(&state)
        .push(&super::push::pusher(&caller), received)
        .await?;
    let (status, row) = super::push::status_of(&state, accepted);
    let due = Deadline::of(&row, state.store.now_ms());
    let answer = PushAnswer {
        case_id: row.id,
        receipt_code: row.receipt_code,
        status: row.status.as_str().to_string(),
        appointment_date: row.appointment_day.map(|d| d.to_string()),
        due,
    };
    Ok((status, Json(answer)).into_response())
}

/// `GET /api/v1/cases/{case_id}`.
#[utoipa::path(
    get, path = "/api/v1/cases/{case_id}", tag = "cases",
    params(("case_id" = String, Path, description = "The case id the push answered")),
    responses(
        (status = 200, description = "The case", body = CaseBody),
        (status = 404, description = "No such case or leg", body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn get_case(
    State(state): State<AppState>,
    Extension(caller): Extension<Arc<Caller>>,
    CasePath(id): CasePath,
) -> Result<Json<CaseBody>, ApiError> {
    let row = state.store.case(&id).await?.ok_or_else(ApiError::not_found)?;
    if !may_read(&caller, &row) {
        return Err(ApiError::forbidden("Mã truy cập này không được xem hồ sơ đó"));
    }
    Ok(Json(case_body(&state, &row).await?))
}

/// Query of `GET /api/v1/cases`.
#[derive(Deserialize)]
pub struct FindQuery {
    receipt_code: String,
}

/// `GET /api/v1/cases?receipt_code=`: a one-stop system finds its own case; an operator finds
/// the first case pushed under that code (receipt codes are unique per source system).
#[utoipa::path(
    get, path = "/api/v1/cases", tag = "cases",
    params(("receipt_code" = String, Query, description = "The one-stop receipt code")),
    responses(
        (status = 200, description = "The case", body = CaseBody),
        (status = 404, description = "No such case or leg", body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn find_cases(
    State(state): State<AppState>,
    Extension(caller): Extension<Arc<Caller>>,
    Query(q): Query<FindQuery>,
) -> Result<Json<CaseBody>, ApiError> {
    let row = match caller.kind {
        SystemKind::Onestop => {
            state
                .store
                .case_by_source_receipt(&caller.system_id, &q.receipt_code)
                .await?
        }
        SystemKind::Admin => state.store.cases_by_receipt(&q.receipt_code).await?.into_iter().next(),
        _ => return Err(ApiError::forbidden("Mã truy cập này không được tra cứu hồ sơ")),
    }
    .ok_or_else(ApiError::not_found)?;
    Ok(Json(case_body(&state, &row).await?))
}

/// Validates and records an agency's decision on a leg, for the systems' callback and the staff's
/// web form (see [`crate::decisions`]).
pub async fn apply_decision(
    state: &AppState,
    leg: &LegView,
    actor: &str,
    body: Value,
    documents: Vec<(AttachmentMeta, TempBlob)>,
    decided_by: Option<&str>,
) -> Result<crate::decisions::Recorded, ApiError> {
    let metas: Vec<AttachmentMeta> = documents.iter().map(|(m, _)| m.clone()).collect();
    let fresh = super::push::keep(state, documents).await?;
    let recorded = crate::decisions::record(
        &state.store,
        &state.config.calendar,
        leg,
        actor,
        &body,
        &metas,
        decided_by,
    )
    .await;
    let recorded = match recorded {
        Ok(r) => r,
        Err(e) => {
            super::push::forget(state, fresh).await;
            return Err(e.into());
        }
    };
    if recorded.applied.changed {
        state.wake.notify_one();
    }
    Ok(recorded)
}

/// A decision as it arrived: the signed JSON (a body of its own, or the `decision` part of a
/// multipart request) and the documents' parts streamed to temporary blobs.
struct Arrived {
    signed: Bytes,
    files: std::collections::HashMap<String, TempBlob>,
    problems: Vec<crate::domain::FieldProblem>,
}

async fn read_decision(state: &AppState, request: axum::extract::Request) -> Result<Arrived, ApiError> {
    use axum::extract::FromRequest;
    let mp = match super::push::multipart_of(state, request).await? {
        Ok(mp) => mp,
        Err(request) => {
            let signed = Bytes::from_request(request, state)
                .await
                .map_err(|e| ApiError::new(e.status(), "bad_request", e.body_text()))?;
            return Ok(Arrived {
                signed,
                files: Default::default(),
                problems: Vec::new(),
            });
        }
    };
    let mut received = super::push::read(state, mp, "decision").await?;
    let signed = received.manifest.take().ok_or_else(|| {
        ApiError::invalid(vec![crate::domain::FieldProblem::invalid(
            "decision",
            "Thiếu phần 'decision' (JSON của quyết định)",
        )])
    })?;
    Ok(Arrived {
        signed,
        files: received.files,
        problems: received.problems,
    })
}

/// Checks a signed callback: its HMAC over method, path, timestamp and body, its age, and that
/// its signature was never accepted before (the replay store survives restarts).
pub(super) async fn check_signature(
    state: &AppState,
    caller: &Caller,
    method: &str,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), ApiError> {
    use lienthong_contract::signature;
    let secret = caller
        .signing_secret
        .as_ref()
        .ok_or_else(|| ApiError::bad_signature("hệ thống này chưa có khóa ký"))?;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let presented = signature::Presented {
        timestamp: header(signature::TIMESTAMP),
        nonce: header(signature::NONCE),
        signature: header(signature::SIGNATURE),
    };
    signature::verify(
        secret.expose().as_bytes(),
        method,
        path,
        body,
        presented,
        signature::unix_now(),
    )
    .map_err(|refusal| {
        tracing::warn!(system = %caller.system_id, %refusal, "signed callback refused");
        ApiError::bad_signature(match refusal {
            signature::Refusal::Missing => "thiếu chữ ký hoặc thời điểm ký",
            signature::Refusal::Malformed => "chữ ký hoặc thời điểm ký sai định dạng",
            signature::Refusal::Stale => "thời điểm ký lệch quá 5 phút",
            signature::Refusal::Mismatch => "chữ ký không khớp",
        })
    })?;
    let keep_ms = 2 * signature::MAX_SKEW.as_millis() as i64;
    if !state
        .store
        .remember_signature(presented.signature.unwrap_or_default(), keep_ms)
        .await?
    {
        tracing::warn!(system = %caller.system_id, "replayed callback refused");
        return Err(ApiError::bad_signature("chữ ký này đã được dùng (gửi lại yêu cầu cũ)"));
    }
    Ok(())
}

/// `POST /api/v1/legs/{leg_id}/decision`: the police or insurance system reports its decision,
/// signed (see [`lienthong_contract::signature`]). Residence: `{outcome: completed,
/// registration_number, registered_on}`; insurance: `{outcome: completed,
/// social_insurance_number, card_valid_from, card_valid_to, health_facility_code,
/// electronic_card_issued_on?}`; either: `{outcome: rejected, reason}` or `{outcome:
/// needs_supplement, missing?, kinds?}`; with the documents issued, as multipart.
#[utoipa::path(
    post, path = "/api/v1/legs/{leg_id}/decision", tag = "legs",
    params(
        ("leg_id" = String, Path, description = "The leg id, also the idempotency key of the delivery"),
        SigningHeaders,
    ),
    request_body(content(
        (Object = "application/json"),
        (DecisionParts = "multipart/form-data")
    )),
    responses(
        (status = 200, description = "Recorded (or the same decision again)", body = DecisionAnswer),
        (status = 400, description = "Unreadable body", body = ErrorBody),
        (status = 401, description = "Missing, stale, wrong or replayed signature", body = ErrorBody),
        (status = 403, description = "Another agency's or office's leg", body = ErrorBody),
        (status = 404, description = "No such case or leg", body = ErrorBody),
        UploadRefusals
    ),
    security(("bearer" = []))
)]
pub async fn decide(
    State(state): State<AppState>,
    Extension(caller): Extension<Arc<Caller>>,
    LegPath(leg_id): LegPath,
    uri: axum::http::Uri,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Result<Json<DecisionAnswer>, ApiError> {
    let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str()).to_string();
    let arrived = read_decision(&state, request).await?;
    check_signature(&state, &caller, "POST", &path, &headers, &arrived.signed).await?;
    let mut body: Value = serde_json::from_slice(&arrived.signed).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("Thân yêu cầu không phải JSON hợp lệ: {e}"),
        )
    })?;
    // The documents are described in the signed JSON, so the signature covers their hashes.
    let described = match body.as_object_mut().and_then(|o| o.remove("documents")) {
        None => Vec::new(),
        Some(Value::Array(list)) => list,
        Some(_) => {
            return Err(ApiError::invalid(vec![crate::domain::FieldProblem::invalid(
                "documents",
                "Phải là một danh sách",
            )]))
        }
    };
    let max = state.config.gateway.attachment_max_bytes;
    let (documents, mut problems) = super::push::take_described("documents", &described, arrived.files, |i, m| {
        crate::domain::results::check_meta(i, m, max)
    });
    problems.extend(arrived.problems);
    // The officer who decided, as the agency's system identifies them (docs/accountability.md).
    let officer = match body.as_object_mut().and_then(|o| o.remove("officer")) {
        None => None,
        Some(Value::String(o)) if crate::domain::decision::officer_id(&o).is_some() => {
            Some(format!("{}:{o}", caller.system_id))
        }
        Some(_) => {
            problems.push(crate::domain::FieldProblem::invalid(
                "officer",
                "Mã cán bộ gồm 1-64 ký tự: chữ, số, '.', '_' hoặc '-'",
            ));
            None
        }
    };
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let leg = state.store.leg(&leg_id).await?.ok_or_else(ApiError::not_found)?;
    let allowed = match caller.kind {
        SystemKind::Police => leg.name == LegKind::Residence,
        SystemKind::Insurance => leg.name == LegKind::Insurance,
        _ => false,
    };
    if !allowed || !caller.offices.contains(&leg.office_code) {
        return Err(ApiError::forbidden("Mã truy cập này không được quyết định chặng đó"));
    }
    let crate::decisions::Recorded { to, applied } =
        apply_decision(&state, &leg, &caller.actor(), body, documents, officer.as_deref()).await?;
    Ok(Json(DecisionAnswer {
        case_id: applied.case_id,
        leg_id,
        state: to.as_str().to_string(),
        case_status: applied.case_status.as_str().to_string(),
        changed: applied.changed,
    }))
}

/// `POST /api/v1/legs/{leg_id}/resend`: an operator puts a dead leg back in the queue.
#[utoipa::path(
    post, path = "/api/v1/legs/{leg_id}/resend", tag = "legs",
    params(("leg_id" = String, Path, description = "A dead leg")),
    responses(
        (status = 200, description = "Queued again with a fresh retry budget", body = ResendAnswer),
        (status = 404, description = "No such case or leg", body = ErrorBody),
        (status = 409, description = "Conflicts with what is stored (other content under the same receipt code, a leg in another state, another decision)", body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn resend(
    State(state): State<AppState>,
    Extension(caller): Extension<Arc<Caller>>,
    LegPath(leg_id): LegPath,
) -> Result<Json<ResendAnswer>, ApiError> {
    if caller.kind != SystemKind::Admin {
        return Err(ApiError::forbidden("Chỉ quản trị viên được gửi lại"));
    }
    let case_id = state.store.resend(&leg_id, &caller.actor()).await?;
    tracing::info!(case_id = %case_id, leg_id = %leg_id, "dead leg re-queued by operator");
    state.wake.notify_one();
    Ok(Json(ResendAnswer {
        case_id,
        leg_id,
        state: LegState::Queued.as_str().to_string(),
    }))
}

/// `POST /api/v1/resends`: an operator sends the dead legs a filter selects again, the longest
/// due first and paced; each leg's trail names the operator and the reason. With `preview`
/// nothing moves: the answer says how many would.
#[utoipa::path(
    post, path = "/api/v1/resends", tag = "legs",
    request_body(content = BulkResendBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Matched, and resent unless previewing", body = BulkResendAnswer),
        (status = 403, description = "Not an administrator", body = ErrorBody),
        (status = 415, description = "Wrong content type", body = ErrorBody),
        (status = 422, description = "Validation: every problem with its JSON path", body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn bulk_resend(
    State(state): State<AppState>,
    Extension(caller): Extension<Arc<Caller>>,
    Json(body): Json<BulkResendBody>,
) -> Result<Json<BulkResendAnswer>, ApiError> {
    if caller.kind != SystemKind::Admin {
        return Err(ApiError::forbidden("Chỉ quản trị viên được gửi lại"));
    }
    match super::resends::bulk_resend(&state, &body, &caller.actor()).await {
        Ok(answer) => Ok(Json(answer)),
        Err(super::resends::ResendError::Invalid(problems)) => Err(ApiError::invalid(problems)),
        Err(super::resends::ResendError::Store(e)) => Err(e.into()),
    }
}

/// `GET /readyz`: 200 when the store answers, 503 otherwise.
pub async fn ready(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.store.ping().await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "store unreachable")
    }
}
