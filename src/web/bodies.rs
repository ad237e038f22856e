//! The agency API's JSON bodies, typed: the handlers serialize exactly these, and the OpenAPI
//! document ([`super::openapi`]) is generated from the same types, so the contract cannot drift
//! from what is sent.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::{CaseId, FieldProblem, LegId};
use crate::store::clocks::Apology;
use crate::store::notices::Notice;
use crate::store::{AttemptView, CaseRow, EventView, LegView};
use lienthong_contract::{CommuneCode, ReceiptCode, Sha256};

/// Formats a stored instant in Vietnam's civil time with its offset.
pub fn local_time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned(lienthong_contract::vn_tz())
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string()
        })
        .unwrap_or_default()
}

/// Every error: a stable machine `code`, a Vietnamese message, and for validation every field.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// The inside of [`ErrorBody`].
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldProblem>,
}

/// A deadline; `state` is derived from now at every read.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deadline {
    /// The end of the last working day allowed, with its offset.
    pub due_at: Option<String>,
    #[schema(format = Date)]
    pub due_date: Option<String>,
    /// `on_track`, `at_risk` or `overdue`; none once the case is finished.
    pub state: Option<&'static str>,
    pub regime: Option<String>,
    /// The deadline runs into a year without a calendar file: weekends only were counted.
    pub calendar_missing: bool,
}

impl Deadline {
    /// A case's deadline as of `now_ms`.
    pub fn of(row: &CaseRow, now_ms: i64) -> Deadline {
        Deadline {
            due_at: row.due_at_ms.map(local_time),
            due_date: row.due_day.map(|d| d.to_string()),
            state: row.clock(now_ms).map(|c| c.as_str()),
            regime: row.regime_name.clone(),
            calendar_missing: row.calendar_missing,
        }
    }
}

/// The headers of a signed request (see `lienthong_contract::signature`), documented once for
/// every signed operation.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct SigningHeaders {
    /// Signing time, Unix seconds (at most 5 minutes away).
    #[serde(rename = "x-lienthong-timestamp")]
    pub timestamp: i64,
    /// A random value, new for every request.
    #[serde(rename = "x-lienthong-nonce")]
    pub nonce: String,
    /// `v1=<hex HMAC-SHA256 over v1, method, path and query, timestamp, nonce and body>`.
    #[serde(rename = "x-lienthong-signature")]
    pub signature: String,
}

/// The answer to a push: 201 for a new case, 200 for the same case pushed again.
#[derive(Debug, Serialize, ToSchema)]
pub struct PushAnswer {
    #[schema(value_type = String)]
    pub case_id: CaseId,
    #[schema(value_type = String)]
    pub receipt_code: ReceiptCode,
    pub status: String,
    #[schema(format = Date)]
    pub appointment_date: Option<String>,
    pub due: Deadline,
}

/// One delivery attempt of a leg.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptBody {
    pub number: i64,
    pub started_at: String,
    pub finished_at: String,
    pub outcome: String,
    pub files_resent: i64,
    pub error: Option<String>,
}

/// One leg: residence, insurance, or the return of the result to the commune.
#[derive(Debug, Serialize, ToSchema)]
pub struct LegBody {
    #[schema(value_type = String)]
    pub leg_id: LegId,
    pub name: String,
    pub state: String,
    pub office_code: String,
    pub attempts: i64,
    pub delivered_at: Option<String>,
    pub completed_at: Option<String>,
    /// The agency's decision (registration number, card, or the reason of a refusal).
    pub result: Option<Value>,
    pub last_error: Option<String>,
    pub due_at: Option<String>,
    pub clock: Option<&'static str>,
    pub supplement_window_ends_at: Option<String>,
    pub attempt_log: Vec<AttemptBody>,
}

impl LegBody {
    /// A leg with its attempt log, its clock as of `now_ms`.
    pub fn of(l: &LegView, attempts: &[AttemptView], now_ms: i64) -> LegBody {
        LegBody {
            leg_id: l.id.clone(),
            name: l.name.as_str().to_string(),
            state: l.state.as_str().to_string(),
            office_code: l.office_code.to_string(),
            attempts: l.attempts,
            delivered_at: l.delivered_at_ms.map(local_time),
            completed_at: l.completed_at_ms.map(local_time),
            result: l.result.clone(),
            last_error: l.last_error.clone(),
            due_at: l.due_at_ms.map(local_time),
            clock: l.clock(now_ms).map(|c| c.as_str()),
            supplement_window_ends_at: l.window_ends_at_ms.map(local_time),
            attempt_log: attempts
                .iter()
                .map(|a| AttemptBody {
                    number: a.number,
                    started_at: local_time(a.started_at_ms),
                    finished_at: local_time(a.finished_at_ms),
                    outcome: a.outcome.clone(),
                    files_resent: a.files_resent,
                    error: a.error.clone(),
                })
                .collect(),
        }
    }
}

/// An attachment as stored: its SHA-256 is what every receiver confirms.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentBody {
    pub kind: String,
    pub file_name: String,
    pub media_type: String,
    pub size: u64,
    #[schema(value_type = String)]
    pub sha256: Sha256,
}

/// A file that arrived after the case: one the family brought for a supplement, or one an
/// agency issued with its decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct LaterFileBody {
    /// The leg it went to (a supplement) or came from (a result document).
    pub leg: String,
    pub kind: String,
    pub file_name: String,
    pub media_type: String,
    pub size: u64,
    #[schema(value_type = String)]
    pub sha256: Sha256,
    pub received_at: String,
}

impl LaterFileBody {
    /// The body of a stored file of `leg` received at `at_ms`.
    pub fn of(leg: lienthong_contract::LegKind, meta: lienthong_contract::AttachmentMeta, at_ms: i64) -> Self {
        LaterFileBody {
            leg: leg.as_str().to_string(),
            kind: meta.kind,
            file_name: meta.file_name,
            media_type: meta.media_type,
            size: meta.size,
            sha256: meta.sha256,
            received_at: local_time(at_ms),
        }
    }
}

/// One event of the case's audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventBody {
    pub at: String,
    pub kind: String,
    #[schema(value_type = Option<String>)]
    pub leg_id: Option<LegId>,
    /// `gateway`, `system:<id>`, `user:<login>`, or `check-back:<system id>` for a decision the
    /// gateway read back from that agency system because its callback never arrived.
    pub actor: String,
    pub from: Option<String>,
    pub to: String,
    pub reason: Option<String>,
}

impl From<&EventView> for EventBody {
    fn from(e: &EventView) -> EventBody {
        EventBody {
            at: local_time(e.at_ms),
            kind: e.kind.clone(),
            leg_id: e.leg_id.clone(),
            actor: e.actor.clone(),
            from: e.from_state.clone(),
            to: e.to_state.clone(),
            reason: e.reason.clone(),
        }
    }
}

/// A case with its legs, files, apology, messages and trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseBody {
    #[schema(value_type = String)]
    pub case_id: CaseId,
    #[schema(value_type = String)]
    pub receipt_code: ReceiptCode,
    #[schema(value_type = String)]
    pub commune_code: CommuneCode,
    pub status: String,
    pub received_at: String,
    #[schema(format = Date)]
    pub appointment_date: Option<String>,
    pub deadline: Deadline,
    /// When the combined result reached the commune.
    pub result_at: Option<String>,
    /// When the family got the results (hand-over or postal delivery): the case is closed.
    pub closed_at: Option<String>,
    pub legs: Vec<LegBody>,
    pub attachments: Vec<AttachmentBody>,
    /// Files the family brought for supplements (docs/supplements.md).
    pub supplement_files: Vec<LaterFileBody>,
    /// Documents the agencies issued with their decisions (docs/result-documents.md).
    pub documents: Vec<LaterFileBody>,
    pub apology: Option<Apology>,
    pub notifications: Vec<Notice>,
    pub events: Vec<EventBody>,
}

/// The answer to a supplement: the case with its new appointment and deadline.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupplementAnswer {
    #[schema(value_type = String)]
    pub case_id: CaseId,
    pub status: String,
    #[schema(format = Date)]
    pub appointment_date: Option<String>,
    pub deadline: Deadline,
}

/// Body of `POST /api/v1/cases/{id}/supplement`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplementBody {
    /// What the family brought, as the officer records it.
    pub note: String,
}

/// Multipart body of `POST /api/v1/cases/{id}/supplement` when an agency asked for kinds of
/// papers (docs/supplements.md): this part, then one file part per described file, named by its
/// `kind`; each file is checked like an attachment at intake.
#[derive(Debug, ToSchema)]
pub struct SupplementParts {
    /// JSON: `{"note": "…", "files": [{"kind", "file_name", "media_type", "size", "sha256"}]}`.
    pub supplement: String,
}

/// Multipart body of `POST /api/v1/legs/{id}/decision` when the agency attaches the documents it
/// issued (docs/result-documents.md): this part, signed as a JSON body is, then one file part per
/// described document, named by its `kind`.
#[derive(Debug, ToSchema)]
pub struct DecisionParts {
    /// JSON: the decision's fields and `"documents": [{"kind", "file_name", "media_type", "size",
    /// "sha256"}]`.
    pub decision: String,
}

/// Body of `POST /api/v1/cases/{id}/apology/confirm`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmBody {
    /// The new appointment date; the proposed one when absent.
    #[schema(value_type = Option<String>, format = Date)]
    pub appointment_date: Option<jiff::civil::Date>,
}

/// The answer to a confirmation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfirmAnswer {
    #[schema(value_type = String)]
    pub case_id: CaseId,
    #[schema(format = Date)]
    pub appointment_date: String,
    /// False when the same date was confirmed before.
    pub changed: bool,
}

/// The answer to a decision callback.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionAnswer {
    #[schema(value_type = String)]
    pub case_id: CaseId,
    #[schema(value_type = String)]
    pub leg_id: LegId,
    pub state: String,
    pub case_status: String,
    /// False for a repeat of the decision already recorded.
    pub changed: bool,
}

/// The answer to an operator's resend.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResendAnswer {
    #[schema(value_type = String)]
    pub case_id: CaseId,
    #[schema(value_type = String)]
    pub leg_id: LegId,
    pub state: String,
}

/// Body of `POST /api/v1/resends`: which dead legs to send again, and why (docs/operations.md).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkResendBody {
    /// Only legs held by this office.
    pub office_code: Option<String>,
    /// Only this leg kind: `residence`, `insurance` or `return`.
    pub leg: Option<String>,
    /// Only legs whose last error contains this text.
    pub error_contains: Option<String>,
    /// Only legs dead for at least this many minutes.
    pub dead_for_minutes: Option<u32>,
    /// Why, for the audit trail; required unless previewing.
    #[serde(default)]
    pub reason: String,
    /// Count and list the legs without touching them.
    #[serde(default)]
    pub preview: bool,
    /// Milliseconds between two resent legs (1000 by default, at most 60000), so a receiver
    /// that just came back is not flooded.
    pub pace_ms: Option<u64>,
}

/// The answer to a bulk resend: the legs matched (the longest due first) and how many went.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResendAnswer {
    pub matched: usize,
    pub resent: usize,
    pub preview: bool,
    #[schema(value_type = Vec<String>)]
    pub legs: Vec<String>,
}

/// Calendar years the deadlines cannot be trusted in.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarWarnings {
    pub provisional_years: Vec<i16>,
    pub missing_years: Vec<i16>,
    pub warnings: Vec<String>,
}

/// What an administrator must see about the clocks.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlinesOverview {
    pub at_risk: i64,
    pub overdue: i64,
    /// Cases whose apology letter waits for an officer to confirm the new date.
    pub apologies_to_confirm: Vec<String>,
    pub calendar: CalendarWarnings,
}
