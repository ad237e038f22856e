//! Intake of a pushed case: `POST /api/v1/cases`.
//!
//! Each file part is streamed to a temp file while it is hashed (no file is ever held in memory)
//! and refused with 413 at the first byte past the limit. Then the manifest is validated and every
//! declared attachment is checked against what arrived (size, SHA-256, magic bytes); all problems
//! are answered together as 422. A valid case is written with its legs and first deliveries in
//! one transaction. Any refusal drops the temp files: nothing of a refused push remains.

use std::collections::{HashMap, HashSet};

use axum::extract::Multipart;
use axum::http::StatusCode;
use bytes::Bytes;
use lienthong_contract::{CaseBundle, LegKind};
use serde_json::Value;

use crate::blobs::{magic_matches, BlobError, TempBlob};
use crate::config::SystemKind;
use crate::domain::bundle::{content_hash, parse, Rules};
use crate::domain::text::nfc_json;
use crate::domain::FieldProblem;
use crate::routing::destinations;
use crate::store::cases::{NewDeadline, NewLeg};
use crate::store::{CaseRow, NewCase, StoreError};
use crate::web::auth::Caller;
use crate::web::error::ApiError;
use crate::web::AppState;

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

struct Parts {
    manifest: Option<Bytes>,
    files: HashMap<String, TempBlob>,
    problems: Vec<FieldProblem>,
}

async fn read_parts(state: &AppState, mut mp: Multipart) -> Result<Parts, ApiError> {
    let limit = state.config.gateway.attachment_max_bytes;
    let mut parts = Parts {
        manifest: None,
        files: HashMap::new(),
        problems: Vec::new(),
    };
    while let Some(field) = mp.next_field().await.map_err(|e| multipart_error(e, limit))? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "manifest" {
            let text = state
                .blobs
                .read_small(field, MANIFEST_LIMIT)
                .await
                .map_err(|e| match e {
                    BlobError::TooLarge(l) => too_large(l),
                    other => ApiError::new(StatusCode::BAD_REQUEST, "bad_request", other.to_string()),
                })?;
            parts.manifest = Some(text);
            continue;
        }
        let blob = state.blobs.write_temp(field, limit).await.map_err(|e| match e {
            BlobError::TooLarge(l) => too_large(l),
            BlobError::Body(m) => ApiError::new(StatusCode::BAD_REQUEST, "bad_request", m),
            BlobError::Io(io) => ApiError::internal(io),
        })?;
        if parts.files.insert(name.clone(), blob).is_some() {
            parts
                .problems
                .push(FieldProblem::invalid(name, "Tệp gửi hai lần trong cùng một yêu cầu"));
        }
    }
    Ok(parts)
}

/// Checks every declared attachment of the raw manifest against the parts that arrived.
fn check_files(manifest: &Value, files: &HashMap<String, TempBlob>) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    let declared = manifest
        .get("attachments")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, a) in declared.iter().enumerate() {
        let Some(kind) = a.get("kind").and_then(Value::as_str) else {
            continue;
        };
        let Some(blob) = files.get(kind) else {
            problems.push(FieldProblem::invalid(
                format!("attachments[{i}]"),
                format!("Không nhận được tệp '{kind}' đã khai báo"),
            ));
            continue;
        };
        if let Some(size) = a.get("size").and_then(Value::as_u64) {
            if size != blob.size {
                problems.push(FieldProblem::invalid(
                    format!("attachments[{i}].size"),
                    format!("Kích thước khai báo {size} byte, tệp nhận được {} byte", blob.size),
                ));
            }
        }
        if let Some(sha) = a.get("sha256").and_then(Value::as_str) {
            if !sha.eq_ignore_ascii_case(&blob.sha256) {
                problems.push(FieldProblem::invalid(
                    format!("attachments[{i}].sha256"),
                    "SHA-256 khai báo không khớp với tệp nhận được",
                ));
            }
        }
        if let Some(mt) = a.get("media_type").and_then(Value::as_str) {
            if crate::domain::bundle::MEDIA_TYPES.contains(&mt) && !magic_matches(mt, &blob.head) {
                problems.push(FieldProblem::invalid(
                    format!("attachments[{i}].media_type"),
                    format!("Nội dung tệp không phải {mt}"),
                ));
            }
        }
    }
    for name in files.keys() {
        if !declared
            .iter()
            .any(|a| a.get("kind").and_then(Value::as_str) == Some(name))
        {
            problems.push(FieldProblem::invalid(
                name.clone(),
                "Tệp gửi kèm nhưng không được khai báo trong manifest",
            ));
        }
    }
    problems
}

/// Who pushes a case: a one-stop system through the API, or a commune officer through the web
/// form on behalf of the commune's one-stop system — the same source, so a case pushed both ways
/// is recognised as one.
pub struct Pusher {
    pub source: String,
    pub actor: String,
    pub communes: HashSet<String>,
}

impl From<&Caller> for Pusher {
    fn from(c: &Caller) -> Pusher {
        Pusher {
            source: c.system_id.clone(),
            actor: c.actor(),
            communes: c.communes.clone(),
        }
    }
}

/// Pushes one case. `Ok` carries 201 for a new case or 200 for the same case pushed again.
pub async fn push(state: &AppState, caller: &Caller, mp: Multipart) -> Result<(StatusCode, CaseRow), ApiError> {
    if caller.kind != SystemKind::Onestop {
        return Err(ApiError::forbidden("Chỉ hệ thống một cửa của xã được gửi hồ sơ"));
    }
    let mut parts = read_parts(state, mp).await?;
    let Some(manifest) = parts.manifest.take() else {
        parts.problems.push(FieldProblem::invalid(
            "manifest",
            "Thiếu phần 'manifest' (JSON của hồ sơ)",
        ));
        return Err(ApiError::invalid(parts.problems));
    };
    let raw: Value = match serde_json::from_slice(&manifest) {
        Ok(v) => v,
        Err(e) => {
            parts
                .problems
                .insert(0, FieldProblem::invalid("manifest", format!("JSON không hợp lệ: {e}")));
            return Err(ApiError::invalid(parts.problems));
        }
    };
    accept(state, &Pusher::from(caller), raw, parts.files, parts.problems).await
}

/// Validates a raw manifest with its received files and stores the case: the one path every
/// channel takes. `problems` are those already found while reading the request.
pub async fn accept(
    state: &AppState,
    pusher: &Pusher,
    mut raw: Value,
    files: HashMap<String, TempBlob>,
    mut problems: Vec<FieldProblem>,
) -> Result<(StatusCode, CaseRow), ApiError> {
    nfc_json(&mut raw);
    if let Some(commune) = raw.get("commune_code").and_then(Value::as_str) {
        if state.config.routes.communes.contains_key(commune) && !pusher.communes.contains(commune) {
            return Err(ApiError::forbidden("Mã truy cập này không được gửi hồ sơ của xã đó"));
        }
    }
    let parsed = {
        // Scoped so the non-`Send` validation context is gone before the next await.
        let config = &state.config;
        let is_province = |p: &str| config.provinces.contains_key(p);
        let is_routed = |c: &str| config.routes.communes.contains_key(c);
        let rules = Rules {
            now: state.store.clock().now(),
            max_attachment_bytes: config.gateway.attachment_max_bytes,
            is_province: &is_province,
            is_routed_commune: &is_routed,
        };
        parse(&raw, &rules)
    };
    let mut found = match &parsed {
        Ok(_) => Vec::new(),
        Err(p) => p.clone(),
    };
    found.extend(check_files(&raw, &files));
    found.append(&mut problems);
    let bundle = match parsed {
        Ok(b) if found.is_empty() => b,
        _ => return Err(ApiError::invalid(found)),
    };
    store_case(state, pusher, bundle, files).await
}

async fn existing(
    state: &AppState,
    pusher: &Pusher,
    bundle: &CaseBundle,
    hash: &str,
) -> Result<Option<CaseRow>, ApiError> {
    match state
        .store
        .case_by_source_receipt(&pusher.source, &bundle.receipt_code)
        .await?
    {
        Some(row) if row.content_sha256 == hash => Ok(Some(row)),
        Some(_) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "Mã hồ sơ này đã được gửi với nội dung khác; hồ sơ đã lưu không thay đổi",
        )),
        None => Ok(None),
    }
}

async fn store_case(
    state: &AppState,
    pusher: &Pusher,
    bundle: CaseBundle,
    files: HashMap<String, TempBlob>,
) -> Result<(StatusCode, CaseRow), ApiError> {
    let hash = content_hash(&bundle);
    if let Some(row) = existing(state, pusher, &bundle, &hash).await? {
        return Ok((StatusCode::OK, row));
    }
    let dest = destinations(&state.config, &bundle.commune_code)
        .ok_or_else(|| ApiError::internal("routed commune lost its route"))?;
    let mut fresh_blobs = Vec::new();
    for (_, blob) in files {
        let sha = blob.sha256.clone();
        let already = state.store.blob_in_use(&sha).await?;
        state.blobs.commit(blob).await.map_err(ApiError::internal)?;
        if !already {
            fresh_blobs.push(sha);
        }
    }
    let case_id = uuid::Uuid::now_v7().to_string();
    let (regime_name, regime) = state.config.regimes.default_regime();
    let plan = crate::deadline::plan(&state.config.calendar, regime, bundle.received_at, false);
    if plan.calendar_missing {
        tracing::warn!(case_id = %case_id, due_day = %plan.case.day, "no calendar file for a year of this deadline: weekends only were used");
    }
    let due_of = |kind: LegKind| match kind {
        LegKind::Residence => Some(plan.residence),
        LegKind::Insurance => Some(plan.insurance),
        LegKind::Return => None,
    };
    let new = NewCase {
        id: case_id.clone(),
        source: pusher.source.clone(),
        receipt_code: bundle.receipt_code.clone(),
        commune_code: bundle.commune_code.clone(),
        received_at_ms: bundle.received_at.as_millisecond(),
        content_sha256: hash.clone(),
        bundle_json: serde_json::to_string(&bundle).map_err(ApiError::internal)?,
        attachments: bundle.attachments.clone(),
        legs: dest
            .into_iter()
            .map(|d| NewLeg {
                id: uuid::Uuid::now_v7().to_string(),
                kind: d.kind,
                office_code: d.office_code,
                endpoint: d.endpoint,
                due: due_of(d.kind),
            })
            .collect(),
        deadline: NewDeadline {
            regime_name: regime_name.to_string(),
            regime: regime.clone(),
            plan: plan.clone(),
        },
    };
    match state.store.create_case(&new, &pusher.actor).await {
        Ok(()) => {}
        Err(StoreError::Duplicate) => {
            // A concurrent push of the same receipt code won the race.
            return match existing(state, pusher, &bundle, &hash).await? {
                Some(row) => Ok((StatusCode::OK, row)),
                None => Err(ApiError::internal("duplicate case vanished")),
            };
        }
        Err(e) => {
            for sha in fresh_blobs {
                if !state.store.blob_in_use(&sha).await.unwrap_or(true) {
                    let _ = state.blobs.remove(&sha).await;
                }
            }
            return Err(e.into());
        }
    }
    metrics::counter!("lienthong_cases_received_total").increment(1);
    tracing::info!(case_id = %case_id, commune = %bundle.commune_code, source = %pusher.source, "case received");
    state.wake.notify_one();
    let row = state
        .store
        .case(&case_id)
        .await?
        .ok_or_else(|| ApiError::internal("case vanished after commit"))?;
    Ok((StatusCode::CREATED, row))
}
