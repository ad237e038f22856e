//! Decisions the agencies report back through the gateway's callback API.
//!
//! They are tagged by `outcome` so one JSON shape serves systems and web forms alike.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The police residence system's decision on a registration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case", deny_unknown_fields)]
pub enum ResidenceDecision {
    Completed {
        registration_number: String,
        registered_on: Date,
    },
    Rejected {
        reason: String,
    },
    NeedsSupplement {
        /// The missing papers in the agency's words.
        #[serde(default)]
        missing: Vec<String>,
        /// The same as attachment kinds, so the commune uploads a file against each
        /// (docs/supplements.md); at least one of the two lists is given.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        kinds: Vec<String>,
    },
}

/// The social-insurance office's decision on a health-insurance card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case", deny_unknown_fields)]
pub enum InsuranceDecision {
    Completed {
        social_insurance_number: String,
        card_valid_from: Date,
        card_valid_to: Date,
        health_facility_code: String,
        /// The card was also issued electronically on this day: usable at once in the national
        /// apps (VssID, VNeID) before the printed card arrives.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        electronic_card_issued_on: Option<Date>,
    },
    Rejected {
        reason: String,
    },
    NeedsSupplement {
        /// The missing papers in the agency's words.
        #[serde(default)]
        missing: Vec<String>,
        /// The same as attachment kinds, so the commune uploads a file against each
        /// (docs/supplements.md); at least one of the two lists is given.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        kinds: Vec<String>,
    },
}
