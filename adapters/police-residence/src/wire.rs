//! The police system's registration message.

use lienthong_contract::bundle::{BirthRegistration, Child, Residence};
use lienthong_contract::{AttachmentMeta, CaseEnvelope, CommuneCode, OfficeCode, PersonalId, ReceiptCode, Supplement};
use serde::{Deserialize, Serialize};

/// A permanent-residence registration request for a newborn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Registration {
    pub idempotency_key: String,
    pub dossier: Dossier,
    pub subject: Child,
    pub birth_registration: BirthRegistration,
    pub parents: Vec<ParentEntry>,
    pub residence: Residence,
    pub documents: Vec<AttachmentMeta>,
    /// What the family brought for this office's requests, oldest first (their files are also
    /// in `documents`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supplements: Vec<Supplement>,
}

/// Where the request comes from and where it goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dossier {
    pub receipt_code: ReceiptCode,
    pub case_id: String,
    pub leg_id: String,
    pub office_code: OfficeCode,
    pub commune_code: CommuneCode,
    pub received_at: jiff::Timestamp,
}

/// A parent with their role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParentEntry {
    pub role: String,
    pub full_name: String,
    pub personal_id: Option<PersonalId>,
}

impl Registration {
    /// Maps the canonical envelope to the police format.
    pub fn from_envelope(env: &CaseEnvelope) -> Self {
        let b = &env.bundle;
        let parents = [("mother", &b.mother), ("father", &b.father)]
            .into_iter()
            .filter_map(|(role, p)| {
                p.as_ref().map(|p| ParentEntry {
                    role: role.to_string(),
                    full_name: p.full_name.clone(),
                    personal_id: p.personal_id.clone(),
                })
            })
            .collect();
        Registration {
            idempotency_key: env.idempotency_key.clone(),
            dossier: Dossier {
                receipt_code: b.receipt_code.clone(),
                case_id: env.case_id.clone(),
                leg_id: env.leg_id.clone(),
                office_code: env.office_code.clone(),
                commune_code: b.commune_code.clone(),
                received_at: b.received_at,
            },
            subject: b.child.clone(),
            birth_registration: b.birth_registration.clone(),
            parents,
            residence: b.residence.clone(),
            documents: env.documents(),
            supplements: env.supplements.clone(),
        }
    }
}
