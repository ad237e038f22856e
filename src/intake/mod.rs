//! Intake of a pushed case, whichever channel brought it (the API's `POST /api/v1/cases`, the
//! commune officer's web form); it knows nothing of HTTP.
//!
//! The channel streams each file part to a temp file while it is hashed (no file is ever held in
//! memory) and refuses it at the first byte past the limit. Then the manifest is validated and every
//! declared attachment is checked against what arrived (size, SHA-256, magic bytes); all problems
//! are answered together as 422. A valid case is written with its legs and first deliveries in
//! one transaction. Any refusal drops the temp files: nothing of a refused push remains.

use crate::domain::{CaseId, LegId};
use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use lienthong_contract::{CaseBundle, CommuneCode, LegKind};
use serde_json::Value;

use crate::blobs::{magic_matches, Blobs, TempBlob};
use crate::config::Config;
use crate::domain::bundle::{content_hash, parse_declared, CommuneStanding, Declared, Rules};
use crate::domain::text::nfc_json;
use crate::domain::FieldProblem;
use crate::routing::destinations;
use crate::store::cases::{NewDeadline, NewLeg};
use crate::store::{CaseRow, NewCase, Store, StoreError};

/// What a push delivered, as read by the channel (the API's multipart reader, the web form):
/// the manifest's bytes, every file part already streamed to a temporary blob, and the problems
/// met while reading (a file part sent twice).
#[derive(Default)]
pub struct Received {
    pub manifest: Option<Bytes>,
    pub files: HashMap<String, TempBlob>,
    pub problems: Vec<FieldProblem>,
}

/// A stored case, new or the same one pushed again.
pub enum Accepted {
    New(CaseRow),
    Again(CaseRow),
}

/// Why a push was refused; each channel maps it to its own answer.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The pusher may not push for that commune.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The case or its files are wrong: every problem, with its JSON path.
    #[error("invalid case ({} problems)", .0.len())]
    Invalid(Vec<FieldProblem>),
    /// The same receipt code was pushed before with other content.
    #[error("other content under the same receipt code")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

/// What intake works with: the configuration, the store and the attachment store.
pub struct Intake<'a> {
    pub config: &'a Config,
    pub store: &'a Store,
    pub blobs: &'a Blobs,
}

/// Checks the attachments the manifest declares against the parts that arrived: each declared
/// file came, with the declared size, SHA-256 and kind of content, and nothing came undeclared.
/// An entry the parser could not read whole is only checked for its file's presence (its own
/// problems are already listed). `list` names the declaring JSON array in the problems' paths;
/// supplements check their files with the same rules.
pub fn check_files(list: &str, declared: &[Declared], files: &HashMap<String, TempBlob>) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    for d in declared {
        let at = |field: &str| match field {
            "" => format!("{list}[{}]", d.index),
            f => format!("{list}[{}].{f}", d.index),
        };
        let Some(blob) = files.get(&d.kind) else {
            problems.push(FieldProblem::invalid(
                at(""),
                format!("Không nhận được tệp '{}' đã khai báo", d.kind),
            ));
            continue;
        };
        let Some(meta) = &d.meta else { continue };
        if meta.size != blob.size {
            problems.push(FieldProblem::invalid(
                at("size"),
                format!(
                    "Kích thước khai báo {} byte, tệp nhận được {} byte",
                    meta.size, blob.size
                ),
            ));
        }
        if meta.sha256 != blob.sha256.as_str() {
            problems.push(FieldProblem::invalid(
                at("sha256"),
                "SHA-256 khai báo không khớp với tệp nhận được",
            ));
        }
        if crate::domain::bundle::MEDIA_TYPES.contains(&meta.media_type.as_str())
            && !magic_matches(&meta.media_type, &blob.head)
        {
            problems.push(FieldProblem::invalid(
                at("media_type"),
                format!("Nội dung tệp không phải {}", meta.media_type),
            ));
        }
    }
    for name in files.keys() {
        if !declared.iter().any(|d| &d.kind == name) {
            problems.push(FieldProblem::invalid(
                name.clone(),
                "Tệp gửi kèm nhưng không được khai báo",
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
    pub communes: HashSet<CommuneCode>,
}

impl Intake<'_> {
    /// Validates a received push and stores the case.
    pub async fn push(&self, pusher: &Pusher, mut received: Received) -> Result<Accepted, IntakeError> {
        let Some(manifest) = received.manifest.take() else {
            received.problems.push(FieldProblem::invalid(
                "manifest",
                "Thiếu phần 'manifest' (JSON của hồ sơ)",
            ));
            return Err(IntakeError::Invalid(received.problems));
        };
        let raw: Value = match serde_json::from_slice(&manifest) {
            Ok(v) => v,
            Err(e) => {
                received
                    .problems
                    .insert(0, FieldProblem::invalid("manifest", format!("JSON không hợp lệ: {e}")));
                return Err(IntakeError::Invalid(received.problems));
            }
        };
        self.accept(pusher, raw, received.files, received.problems).await
    }

    /// Validates a raw manifest with its received files and stores the case: the one path every
    /// channel takes. `problems` are those already found while reading the request.
    pub async fn accept(
        &self,
        pusher: &Pusher,
        mut raw: Value,
        files: HashMap<String, TempBlob>,
        mut problems: Vec<FieldProblem>,
    ) -> Result<Accepted, IntakeError> {
        nfc_json(&mut raw);
        if let Some(commune) = raw.get("commune_code").and_then(Value::as_str) {
            let current = self.config.routes.current(commune);
            if current.is_some_and(|(code, _)| !pusher.communes.contains(code)) {
                return Err(IntakeError::Forbidden("Mã truy cập này không được gửi hồ sơ của xã đó"));
            }
        }
        let parsed = {
            // Scoped so the non-`Send` validation context is gone before the next await.
            let config = self.config;
            let is_province = |p: &str| config.provinces.contains_key(p);
            let commune = |c: &str| {
                if config.routes.communes.contains_key(c) {
                    CommuneStanding::Routed
                } else if let Some(r) = config.routes.retired_communes.get(c) {
                    CommuneStanding::Retired {
                        successor: r.successor.to_string(),
                        since: r.since,
                    }
                } else {
                    CommuneStanding::Unknown
                }
            };
            let rules = Rules {
                now: self.store.clock().now(),
                max_attachment_bytes: config.gateway.attachment_max_bytes,
                is_province: &is_province,
                commune: &commune,
            };
            parse_declared(&raw, &rules)
        };
        let mut found = match &parsed.bundle {
            Ok(_) => Vec::new(),
            Err(p) => p.clone(),
        };
        found.extend(check_files("attachments", &parsed.declared, &files));
        found.append(&mut problems);
        let bundle = match parsed.bundle {
            Ok(b) if found.is_empty() => b,
            _ => return Err(IntakeError::Invalid(found)),
        };
        self.store_case(pusher, bundle, files).await
    }

    async fn existing(&self, pusher: &Pusher, bundle: &CaseBundle, hash: &str) -> Result<Option<CaseRow>, IntakeError> {
        match self
            .store
            .case_by_source_receipt(&pusher.source, &bundle.receipt_code)
            .await?
        {
            Some(row) if row.content_sha256 == hash => Ok(Some(row)),
            Some(_) => Err(IntakeError::Conflict),
            None => Ok(None),
        }
    }

    async fn store_case(
        &self,
        pusher: &Pusher,
        bundle: CaseBundle,
        files: HashMap<String, TempBlob>,
    ) -> Result<Accepted, IntakeError> {
        let internal = |e: &dyn std::fmt::Display| IntakeError::Internal(e.to_string());
        let hash = content_hash(&bundle).map_err(|e| internal(&e))?;
        if let Some(row) = self.existing(pusher, &bundle, &hash).await? {
            return Ok(Accepted::Again(row));
        }
        // A retired code's case belongs to its successor (docs/accountability.md); the bundle
        // keeps the code it was received under.
        let unit = match self.config.routes.current(&bundle.commune_code) {
            Some((code, _)) => code.clone(),
            None => return Err(internal(&"routed commune lost its route")),
        };
        let dest = destinations(self.config, &unit).ok_or_else(|| internal(&"routed commune lost its route"))?;
        let mut fresh_blobs = Vec::new();
        for (_, blob) in files {
            let sha = blob.sha256.clone();
            let already = self.store.blob_in_use(&sha).await?;
            self.blobs.commit(blob).await.map_err(|e| internal(&e))?;
            if !already {
                fresh_blobs.push(sha);
            }
        }
        let case_id = CaseId::mint();
        let (regime_name, regime) = self.config.regimes.default_regime();
        let plan = crate::deadline::plan(&self.config.calendar, regime, bundle.received_at, false);
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
            commune_code: unit,
            received_at_ms: bundle.received_at.as_millisecond(),
            content_sha256: hash.clone(),
            bundle_json: serde_json::to_string(&bundle).map_err(|e| internal(&e))?,
            by_post: !bundle.result_delivery.is_at_commune(),
            channel: bundle.channel,
            attachments: bundle.attachments.clone(),
            legs: dest
                .into_iter()
                .map(|d| NewLeg {
                    id: LegId::mint(),
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
        match self.store.create_case(&new, &pusher.actor).await {
            Ok(()) => {}
            Err(StoreError::Duplicate) => {
                // A concurrent push of the same receipt code won the race.
                return match self.existing(pusher, &bundle, &hash).await? {
                    Some(row) => Ok(Accepted::Again(row)),
                    None => Err(internal(&"duplicate case vanished")),
                };
            }
            Err(e) => {
                for sha in fresh_blobs {
                    if !self.store.blob_in_use(&sha).await.unwrap_or(true) {
                        let _ = self.blobs.remove(&sha).await;
                    }
                }
                return Err(e.into());
            }
        }
        metrics::counter!("lienthong_cases_received_total").increment(1);
        tracing::info!(case_id = %case_id, commune = %bundle.commune_code, source = %pusher.source, "case received");
        let row = self
            .store
            .case(&case_id)
            .await?
            .ok_or_else(|| internal(&"case vanished after commit"))?;
        Ok(Accepted::New(row))
    }
}
