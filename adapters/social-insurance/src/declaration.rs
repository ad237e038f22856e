//! The health-insurance declaration (tờ khai tham gia BHYT) generated from the case bundle.
//!
//! A child under 6 is insured by the state (beneficiary group `TE`, benefit level 1); the card runs
//! from the date of birth to the day before the child turns 72 months. Everything the office needs
//! is already in the bundle, so the family never fills the declaration form.

use jiff::civil::Date;
use jiff::ToSpan;
use lienthong_contract::bundle::Sex;
use lienthong_contract::{CaseBundle, CommuneCode, PersonalId};
use serde::{Deserialize, Serialize};

/// Beneficiary group code of a child under 6.
pub const GROUP_CHILD_UNDER_6: &str = "TE";

/// The generated declaration, in the office's field names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Declaration {
    #[serde(rename = "HoTen")]
    pub full_name: String,
    #[serde(rename = "NgaySinh")]
    pub date_of_birth: Date,
    #[serde(rename = "GioiTinh")]
    pub sex: String,
    #[serde(rename = "SoDinhDanh")]
    pub personal_id: PersonalId,
    #[serde(rename = "DoiTuong")]
    pub group: String,
    #[serde(rename = "MucHuong")]
    pub benefit_level: u8,
    #[serde(rename = "MaNoiDKKCB")]
    pub health_facility_code: String,
    #[serde(rename = "DiaChi")]
    pub address: String,
    #[serde(rename = "MaXaCuTru")]
    pub residence_commune_code: CommuneCode,
    #[serde(rename = "SoDangKyKhaiSinh")]
    pub birth_registration_number: String,
    #[serde(rename = "NgayDangKyKhaiSinh")]
    pub birth_registered_on: Date,
    #[serde(rename = "HanTheTu")]
    pub card_valid_from: Date,
    #[serde(rename = "HanTheDen")]
    pub card_valid_to: Date,
    #[serde(rename = "NguoiGiamHo", default)]
    pub guardians: Vec<Guardian>,
}

/// A parent named on the declaration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Guardian {
    #[serde(rename = "QuanHe")]
    pub relationship: String,
    #[serde(rename = "HoTen")]
    pub full_name: String,
    #[serde(rename = "SoDinhDanh", skip_serializing_if = "Option::is_none", default)]
    pub personal_id: Option<PersonalId>,
}

/// The last day of a child-under-6 card: the day before the child turns 72 months.
pub fn card_valid_to(date_of_birth: Date) -> Date {
    date_of_birth
        .checked_add(72.months())
        .and_then(|d| d.yesterday())
        .unwrap_or(date_of_birth)
}

impl Declaration {
    /// Generates the declaration from a validated bundle.
    pub fn from_bundle(b: &CaseBundle) -> Self {
        let guardians = [("Mẹ", &b.mother), ("Cha", &b.father)]
            .into_iter()
            .filter_map(|(rel, p)| {
                p.as_ref().map(|p| Guardian {
                    relationship: rel.to_string(),
                    full_name: p.full_name.clone(),
                    personal_id: p.personal_id.clone(),
                })
            })
            .collect();
        Declaration {
            full_name: b.child.full_name.clone(),
            date_of_birth: b.child.date_of_birth,
            sex: match b.child.sex {
                Sex::Male => "Nam",
                Sex::Female => "Nữ",
            }
            .to_string(),
            personal_id: b.child.personal_id.clone(),
            group: GROUP_CHILD_UNDER_6.to_string(),
            benefit_level: 1,
            health_facility_code: b.insurance.health_facility_code.clone(),
            address: b.residence.address.clone(),
            residence_commune_code: b.residence.commune_code.clone(),
            birth_registration_number: b.birth_registration.number.clone(),
            birth_registered_on: b.birth_registration.registered_on,
            card_valid_from: b.child.date_of_birth,
            card_valid_to: card_valid_to(b.child.date_of_birth),
            guardians,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn card_runs_to_the_day_before_72_months() {
        assert_eq!(card_valid_to(date(2026, 11, 10)), date(2032, 11, 9));
        // A leap-day child: 72 months later is 29/02/2030 clamped to 28/02, the card ends the day before.
        assert_eq!(card_valid_to(date(2024, 2, 29)), date(2030, 2, 27));
    }
}
