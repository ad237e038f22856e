//! Canonical messages the gateway hands to adapters.

use serde::{Deserialize, Serialize};

use crate::bundle::{AttachmentMeta, CaseBundle};

/// The three legs of a case: two agencies, then the combined result back to the commune.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LegKind {
    Residence,
    Insurance,
    Return,
}

impl LegKind {
    /// The stable name used in the store and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            LegKind::Residence => "residence",
            LegKind::Insurance => "insurance",
            LegKind::Return => "return",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "residence" => Some(LegKind::Residence),
            "insurance" => Some(LegKind::Insurance),
            "return" => Some(LegKind::Return),
            _ => None,
        }
    }
}

impl std::fmt::Display for LegKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A case sent to a receiving agency: the whole bundle plus where to report the decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseEnvelope {
    pub idempotency_key: String,
    pub case_id: String,
    pub leg_id: String,
    pub leg: LegKind,
    pub office_code: crate::OfficeCode,
    pub bundle: CaseBundle,
    /// What the family brought when this agency asked for more, oldest first; left out of the
    /// JSON until there is one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supplements: Vec<Supplement>,
}

impl CaseEnvelope {
    /// The files the agency should hold now: the case's attachments, each replaced by the
    /// latest supplement file of its kind, then the supplement kinds the case did not have.
    pub fn documents(&self) -> Vec<AttachmentMeta> {
        overlay(&self.bundle.attachments, &self.supplements)
    }
}

/// The attachments with every supplement's files laid over them by kind, in order.
pub fn overlay(attachments: &[AttachmentMeta], supplements: &[Supplement]) -> Vec<AttachmentMeta> {
    let mut docs = attachments.to_vec();
    for file in supplements.iter().flat_map(|s| &s.files) {
        match docs.iter_mut().find(|d| d.kind == file.kind) {
            Some(d) => *d = file.clone(),
            None => docs.push(file.clone()),
        }
    }
    docs
}

/// One supplement the family brought for an agency's request: the officer's note and the files
/// uploaded against the kinds the agency asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Supplement {
    /// 1 for the first supplement of this leg, then 2, ….
    pub number: u32,
    pub note: String,
    pub received_at: jiff::Timestamp,
    #[serde(default)]
    pub files: Vec<AttachmentMeta>,
}

/// The final word of one agency leg, as carried in the combined result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LegOutcome {
    pub state: String,
    pub result: Option<serde_json::Value>,
}

/// The combined result returned to the commune's one-stop system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    pub idempotency_key: String,
    pub case_id: String,
    pub receipt_code: crate::ReceiptCode,
    pub commune_code: crate::CommuneCode,
    /// `completed` when both agencies completed, `rejected` when one rejected.
    pub outcome: String,
    pub residence: LegOutcome,
    pub insurance: LegOutcome,
    /// The documents the agencies issued with their decisions (each kind names its agency), sent
    /// as files with the result and proven by the one-stop system's receipt; left out of the JSON
    /// when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<AttachmentMeta>,
}

/// Anything the gateway delivers.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Case(Box<CaseEnvelope>),
    Result(Box<CaseResult>),
}

impl Message {
    /// The key the receiver deduplicates on.
    pub fn idempotency_key(&self) -> &str {
        match self {
            Message::Case(e) => &e.idempotency_key,
            Message::Result(r) => &r.idempotency_key,
        }
    }
}
