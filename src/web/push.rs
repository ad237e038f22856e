//! The HTTP side of intake: reading a push's multipart body into [`intake::Received`] (files
//! streamed to temporary blobs, 413 at the first byte past the limit) and answering intake's
//! refusals as API errors.

use std::collections::HashMap;

use axum::extract::Multipart;
use axum::http::StatusCode;

use super::auth::Caller;
use super::error::ApiError;
use super::AppState;
use crate::blobs::{BlobError, TempBlob};
use crate::domain::bundle::Declared;
use crate::domain::FieldProblem;
use crate::intake::{self, Intake, IntakeError, Pusher, Received};
use lienthong_contract::AttachmentMeta;

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

/// Files described in a JSON list (`list`: `files` of a supplement, `documents` of a decision)
/// as a manifest describes attachments, matched with the parts that arrived: each entry read
/// whole and checked by `check` (its position, its description), then its bytes checked like an
/// attachment's at intake (size, SHA-256, magic number; nothing undeclared, nothing missing).
/// Returns the described files with their bytes, and every problem.
pub fn take_described(
    list: &str,
    raw: &[serde_json::Value],
    mut files: HashMap<String, TempBlob>,
    check: impl Fn(usize, &AttachmentMeta) -> Vec<FieldProblem>,
) -> (Vec<(AttachmentMeta, TempBlob)>, Vec<FieldProblem>) {
    let mut problems = Vec::new();
    let mut declared = Vec::new();
    for (index, entry) in raw.iter().enumerate() {
        let kind = entry
            .get("kind")
            .and_then(|k| k.as_str())
            .unwrap_or_default()
            .to_string();
        let meta = match serde_json::from_value::<AttachmentMeta>(entry.clone()) {
            Ok(m) => {
                let own = check(index, &m);
                let whole = own.is_empty();
                problems.extend(own);
                whole.then_some(m)
            }
            Err(e) => {
                problems.push(FieldProblem::invalid(
                    format!("{list}[{index}]"),
                    format!("Mô tả tệp không hợp lệ: {e}"),
                ));
                None
            }
        };
        declared.push(Declared { index, kind, meta });
    }
    problems.extend(crate::intake::check_files(list, &declared, &files));
    let taken = declared
        .into_iter()
        .filter_map(|d| Some((d.meta?, files.remove(&d.kind)?)))
        .collect();
    (taken, problems)
}

/// Moves checked files into the attachment store; returns the hashes no stored file used
/// before, for [`forget`] if what they belong to cannot be stored.
pub async fn keep(state: &AppState, files: Vec<(AttachmentMeta, TempBlob)>) -> Result<Vec<String>, ApiError> {
    let mut fresh = Vec::new();
    for (_, blob) in files {
        let sha = blob.sha256.clone();
        let already = state.store.blob_in_use(&sha).await?;
        state.blobs.commit(blob).await.map_err(ApiError::internal)?;
        if !already {
            fresh.push(sha);
        }
    }
    Ok(fresh)
}

/// Removes blobs [`keep`] stored for something that was then refused, unless a stored file
/// uses them meanwhile.
pub async fn forget(state: &AppState, fresh: Vec<String>) {
    for sha in fresh {
        if !state.store.blob_in_use(&sha).await.unwrap_or(true) {
            let _ = state.blobs.remove(&sha).await;
        }
    }
}

/// Files uploaded in a browser form, described from their own bytes (the officer declares
/// nothing): each checked by `check` (its position, its description) and its content against
/// the type the browser sent. Returns the described files and, per refused file, a problem at
/// its input's name.
pub fn describe_uploads(
    uploads: Vec<crate::web::pages::form::Upload>,
    check: impl Fn(usize, &AttachmentMeta) -> Vec<FieldProblem>,
) -> (Vec<(AttachmentMeta, TempBlob)>, Vec<FieldProblem>) {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    for (i, (kind, file_name, media_type, blob)) in uploads.into_iter().enumerate() {
        let Ok(sha256) = blob.sha256.parse() else { continue };
        let meta = AttachmentMeta {
            kind: kind.clone(),
            file_name,
            media_type,
            size: blob.size,
            sha256,
        };
        if !check(i, &meta).is_empty() {
            problems.push(FieldProblem::invalid(kind, "Chỉ nhận tệp PDF, JPEG hoặc PNG"));
        } else if !crate::blobs::magic_matches(&meta.media_type, &blob.head) {
            problems.push(FieldProblem::invalid(
                kind,
                format!("Nội dung tệp không phải {}", meta.media_type),
            ));
        } else {
            files.push((meta, blob));
        }
    }
    (files, problems)
}

/// The request's multipart body, or the request itself back when it is not
/// `multipart/form-data` (the endpoints that take files take plain JSON too).
pub async fn multipart_of(
    state: &AppState,
    request: axum::extract::Request,
) -> Result<Result<Multipart, axum::extract::Request>, ApiError> {
    use axum::extract::FromRequest;
    let multipart = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        return Ok(Err(request));
    }
    Multipart::from_request(request, state)
        .await
        .map(Ok)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_request", e.body_text()))
}
