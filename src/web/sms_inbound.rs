//! `POST /api/v1/sms/inbound`: the SMS provider forwards what a family texted to the gateway's
//! number (docs/family.md). `TRACUU <code>` is answered with the case's status, by SMS, and only
//! to the phone the case was registered with; any other number, an unknown code and an unknown
//! command get replies that reveal nothing about any case.

use crate::web::bodies::SigningHeaders;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};
use bytes::Bytes;
use lienthong_contract::CaseBundle;
use serde::{Deserialize, Serialize};

use super::api::check_signature;
use super::auth::Caller;
use super::bodies::ErrorBody;
use super::error::ApiError;
use super::AppState;
use crate::config::SystemKind;
use crate::domain::FieldProblem;
use crate::family::sms_command::{self, Command};
use crate::family::{phone, status};
use crate::notify::compose::family_sms;
use crate::store::notices::NewNotice;

/// An inbound message as the provider forwards it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct InboundSms {
    /// The sender's number, as the operator delivered it.
    pub from: String,
    pub text: String,
    /// The provider's id of the message: a message forwarded twice is answered once.
    pub message_id: Option<String>,
}

/// What the gateway did with it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InboundAnswer {
    /// A reply was queued (false when this message was answered before or the sender is
    /// throttled).
    pub reply_queued: bool,
}

/// The reply to a code that does not match the sender: the same for every kind of miss.
const NO_MATCH: &str = "Không tìm thấy hồ sơ có mã này đăng ký với số điện thoại của ông/bà. \
     Xin kiểm tra mã trên giấy tiếp nhận, hoặc liên hệ UBND xã nơi nộp hồ sơ.";
const HELP: &str = "Để tra cứu hồ sơ khai sinh - thường trú - BHYT, soạn: TRACUU <mã hồ sơ>.";

/// `POST /api/v1/sms/inbound`.
#[utoipa::path(
    post, path = "/api/v1/sms/inbound", tag = "sms",
    params(
        SigningHeaders,
    ),
    request_body(content = InboundSms, description = "One message a family sent to the gateway's number"),
    responses(
        (status = 200, description = "Read; a reply is queued for the sender", body = InboundAnswer),
        (status = 422, description = "No sender or no text", body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn inbound(
    State(state): State<AppState>,
    Extension(caller): Extension<Arc<Caller>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    raw: Bytes,
) -> Result<Json<InboundAnswer>, ApiError> {
    if caller.kind != SystemKind::Sms {
        return Err(ApiError::forbidden("Chỉ nhà cung cấp SMS được chuyển tin nhắn đến"));
    }
    let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    check_signature(&state, &caller, "POST", path, &headers, &raw).await?;
    let sms: InboundSms = serde_json::from_slice(&raw).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("Thân yêu cầu không đúng dạng tin nhắn đến: {e}"),
        )
    })?;
    let sender = phone::national(&sms.from);
    let mut problems = Vec::new();
    if sender.is_none() {
        problems.push(FieldProblem::invalid("from", "Số điện thoại người gửi không hợp lệ"));
    }
    if sms.text.trim().is_empty() {
        problems.push(FieldProblem::invalid("text", "Tin nhắn trống"));
    }
    let (Some(sender), true) = (sender, problems.is_empty()) else {
        return Err(ApiError::invalid(problems));
    };
    let Some(sms_out) = &state.config.gateway.notify.sms else {
        tracing::warn!(system = %caller.system_id, "inbound SMS cannot be answered: no [notify.sms]");
        return Ok(Json(InboundAnswer { reply_queued: false }));
    };
    let public = &state.config.gateway.public;
    let key = format!("sms:{sender}");
    let now = state.store.now_ms();
    let (per_minute, burst) = (public.failed_lookups_per_minute, public.failed_lookups_burst);
    if state.lookups.check(&key, now, per_minute, burst).is_err() {
        tracing::info!(system = %caller.system_id, "inbound SMS from a throttled sender left unanswered");
        return Ok(Json(InboundAnswer { reply_queued: false }));
    }
    let (case_id, text) = match sms_command::parse(&sms.text) {
        Command::Lookup(code) => match find_for_sender(&state, &code, &sender).await? {
            Some(row) => {
                let answer = super::public::describe(&state, &row)
                    .await
                    .map_err(|_| ApiError::internal("look-up failed"))?;
                (Some(row.id), status::sms_text(&answer))
            }
            None => {
                let _ = state.lookups.take(&key, now, per_minute, burst);
                (None, NO_MATCH.to_string())
            }
        },
        Command::Unknown => {
            let _ = state.lookups.take(&key, now, per_minute, burst);
            (None, HELP.to_string())
        }
    };
    let dedupe = match &sms.message_id {
        Some(id) => format!("sms-in:{}:{id}", caller.system_id),
        None => format!(
            "sms-in:{}",
            headers
                .get(lienthong_contract::signature::SIGNATURE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
        ),
    };
    let queued = state
        .store
        .queue_notice(&NewNotice {
            case_id,
            kind: "lookup_reply".into(),
            channel: "sms".into(),
            recipient: sender,
            subject: None,
            body: family_sms(&text, sms_out.unaccented),
            dedupe_key: dedupe,
        })
        .await?;
    metrics::counter!("lienthong_sms_inbound_total").increment(1);
    Ok(Json(InboundAnswer { reply_queued: queued }))
}

/// The case under `code` registered with the sender's phone, trying the code as typed and in
/// capitals (families type codes in lower case).
async fn find_for_sender(
    state: &AppState,
    code: &str,
    sender: &str,
) -> Result<Option<crate::store::cases::CaseRow>, ApiError> {
    let mut codes = vec![code.to_string()];
    if code.to_uppercase() != code {
        codes.push(code.to_uppercase());
    }
    for code in codes {
        for row in state.store.cases_by_receipt(&code).await? {
            let registered = serde_json::from_str::<CaseBundle>(&row.bundle_json)
                .ok()
                .and_then(|b| b.applicant.phone);
            if registered.is_some_and(|p| phone::same(&p, sender)) {
                return Ok(Some(row));
            }
        }
    }
    Ok(None)
}
