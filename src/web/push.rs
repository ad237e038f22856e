//! The HTTP side of intake: reading a push's multipart body into [`intake::Received`] (files
//! streamed to temporary blobs, 413 at the first byte past the limit) and answering intake's
//! refusals as API errors.

use std::collections::HashMap;

use axum::extract::Multipart;
use axum::http::StatusCode;

use super::auth::Caller;
use super::error::ApiError;
use super::AppState;
use crate::blobs::BlobError;
use crate::domain::FieldProblem;
use crate::intake::{self, Intake, IntakeError, Pusher, Received};

/// The manifest part is JSON text; anything larger is not a manifest.
const MANIFEST_LIMIT: u64 = 1024 * 1024;

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("Tệp vượt quá giới hạn {limit} byte"),
    )
}

fn multipart_error(e: axum::extract::multipart::MultipartError, limit: u64) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(limit)
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("Dữ liệu multipart không đọc được: {}", e.body_text()),
        )
    }
}

/// Reads the JSON part named `json_part` (the manifest of a push, the description of a
/// supplement) and streams every other part to a temporary blob.
pub async fn read(state: &AppState, mut mp: Multipart, json_part: &str) -> Result<Received, ApiError> {
    let limit = state.config.gateway.attachment_max_bytes;
    let mut received = Received {
        files: HashMap::new(),
        ..Received::default()
    };
    while let Some(field) = mp.next_field().await.map_err(|e| multipart_error(e, limit))? {
        let name = field.name().unwrap_or_default().to_string();
        if name == json_part {
            let text = state
                .blobs
                .read_small(field, MANIFEST_LIMIT)
                .await
                .map_err(|e| match e {
                    BlobError::TooLarge(l) => too_large(l),
                    other => ApiError::new(StatusCode::BAD_REQUEST, "bad_request", other.to_string()),
                })?;
            received.manifest = Some(text);
            continue;
        }
        let blob = state.blobs.write_temp(field, limit).await.map_err(|e| match e {
            BlobError::TooLarge(l) => too_large(l),
            BlobError::Body(m) => ApiError::new(StatusCode::BAD_REQUEST, "bad_request", m),
            BlobError::Io(io) => ApiError::internal(io),
        })?;
        if received.files.insert(name.clone(), blob).is_some() {
            received
                .problems
                .push(FieldProblem::invalid(name, "Tệp gửi hai lần trong cùng một yêu cầu"));
        }
    }
    Ok(received)
}

/// The gateway's intake over this app's configuration and stores.
pub fn intake(state: &AppState) -> Intake<'_> {
    Intake {
        config: &state.config,
        store: &state.store,
        blobs: &state.blobs,
    }
}

/// A one-stop system pushing through the API.
pub fn pusher(caller: &Caller) -> Pusher {
    Pusher {
        source: caller.system_id.clone(),
        actor: caller.actor(),
        communes: caller.communes.clone(),
    }
}

/// The answer's status for a stored case; a new case wakes the delivery workers.
pub fn status_of(state: &AppState, accepted: intake::Accepted) -> (StatusCode, crate::store::CaseRow) {
    match accepted {
        intake::Accepted::New(row) => {
            state.wake.notify_one();
            (StatusCode::CREATED, row)
        }
        intake::Accepted::Again(row) => (StatusCode::OK, row),
    }
}

impl From<IntakeError> for ApiError {
    fn from(e: IntakeError) -> Self {
        match e {
            IntakeError::Forbidden(m) => ApiError::forbidden(m),
            IntakeError::Invalid(problems) => ApiError::invalid(problems),
            IntakeError::Conflict => ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                "Mã hồ sơ này đã được gửi với nội dung khác; hồ sơ đã lưu không thay đổi",
            ),
            IntakeError::Store(e) => e.into(),
            IntakeError::Internal(m) => ApiError::internal(m),
        }
    }
}
