//! Canonical messages the gateway hands to adapters.

use serde::{Deserialize, Serialize};

use crate::bundle::CaseBundle;

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
