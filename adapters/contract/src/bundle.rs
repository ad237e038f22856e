//! The canonical case bundle (version 1, docs/case-bundle.md in the repository) as typed data.
//!
//! Values of these types are produced by the gateway's validator, so anything holding a
//! [`CaseBundle`] holds one that passed every rule; adapters map it to their wire formats.

use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::values::{CommuneCode, PersonalId, ReceiptCode, Sha256};

/// One newborn case as pushed once by the commune.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseBundle {
    pub receipt_code: ReceiptCode,
    pub procedure: String,
    pub commune_code: CommuneCode,
    pub received_at: Timestamp,
    pub child: Child,
    pub birth_registration: BirthRegistration,
    pub mother: Option<Parent>,
    pub father: Option<Parent>,
    pub residence: Residence,
    pub insurance: Insurance,
    pub applicant: Applicant,
    /// How the family receives the results. At the commune unless the family asked for post;
    /// left out of the JSON then, so bundles stored before the field existed hash the same.
    #[serde(default, skip_serializing_if = "ResultDelivery::is_at_commune")]
    pub result_delivery: ResultDelivery,
    /// How the family handed the dossier in; in person unless said, and left out of the JSON
    /// then, like `result_delivery`.
    #[serde(default, skip_serializing_if = "Channel::is_in_person")]
    pub channel: Channel,
    pub attachments: Vec<AttachmentMeta>,
}

/// How the family handed the dossier in: the channel split of the province's standard table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// At the commune's one-stop desk.
    #[default]
    InPerson,
    /// Through the public service portal.
    Online,
    /// Sent by the public postal service.
    ByPost,
}

impl Channel {
    /// Every channel, in the standard table's order.
    pub const ALL: [Channel; 3] = [Channel::Online, Channel::InPerson, Channel::ByPost];

    /// The default, which the canonical JSON leaves out.
    pub fn is_in_person(&self) -> bool {
        *self == Channel::InPerson
    }

    /// The name used in JSON and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::InPerson => "in_person",
            Channel::Online => "online",
            Channel::ByPost => "by_post",
        }
    }

    /// The channel a stored name stands for.
    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// How the family receives the results: at the commune's one-stop desk, or by the public postal
/// service at an address of their choice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum ResultDelivery {
    #[default]
    AtCommune,
    ByPost(PostalAddress),
}

impl ResultDelivery {
    /// The default, which the canonical JSON leaves out.
    pub fn is_at_commune(&self) -> bool {
        matches!(self, ResultDelivery::AtCommune)
    }
}

/// Where the post brings the results, and to whom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostalAddress {
    pub recipient: String,
    pub phone: String,
    /// Two-digit province code (since 1 July 2025: the 34 provinces and cities).
    pub province_code: String,
    pub commune_code: CommuneCode,
    /// House number, street, hamlet or residential group.
    pub street: String,
}

/// Sex as written in the civil-status register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Male,
    Female,
}

/// The newborn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Child {
    pub full_name: String,
    pub sex: Sex,
    pub date_of_birth: Date,
    pub personal_id: PersonalId,
}

/// The birth registration the commune made before pushing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BirthRegistration {
    pub number: String,
    pub book: String,
    pub registered_on: Date,
}

/// A parent; at least one is present in a valid bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parent {
    pub full_name: String,
    pub personal_id: Option<PersonalId>,
}

/// Where the child is registered for permanent residence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Residence {
    pub address: String,
    pub commune_code: CommuneCode,
    /// True when the child joins an existing household (then the head is named).
    pub existing_household: bool,
    pub household_head_personal_id: Option<PersonalId>,
    pub relationship_to_head: Option<String>,
}

/// What the insurance card needs beyond the child's identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Insurance {
    pub health_facility_code: String,
}

/// The person who receives progress messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Applicant {
    pub full_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// A declared attachment; the gateway only accepts a case once every declared file arrived with
/// exactly this size and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentMeta {
    pub kind: String,
    pub file_name: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: Sha256,
}
