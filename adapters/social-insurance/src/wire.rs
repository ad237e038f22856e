//! The insurance office's XML messages.

use lienthong_contract::{
    AttachmentMeta, CaseEnvelope, CommuneCode, FileHash, InsuranceDecision, OfficeCode, Receipt, ReceiptCode, Sha256,
};
use serde::{Deserialize, Serialize};

use crate::declaration::Declaration;

/// A card request: dossier data, the generated declaration and the file list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "HoSoCapThe")]
pub struct CardRequest {
    #[serde(rename = "MaGiaoDich")]
    pub idempotency_key: String,
    #[serde(rename = "ThongTinHoSo")]
    pub dossier: Dossier,
    #[serde(rename = "ToKhai")]
    pub declaration: Declaration,
    #[serde(rename = "DanhSachTep")]
    pub files: FileList,
    /// What the family brought for the office's requests, oldest first.
    #[serde(rename = "BoSung", default, skip_serializing_if = "Vec::is_empty")]
    pub supplements: Vec<SupplementNote>,
}

/// One supplement: its number and the commune officer's note (its files are in the file list).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupplementNote {
    #[serde(rename = "@Lan")]
    pub number: u32,
    #[serde(rename = "@ThoiDiem")]
    pub received_at: jiff::Timestamp,
    #[serde(rename = "@GhiChu")]
    pub note: String,
}

/// Identifiers of the dossier across systems.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dossier {
    #[serde(rename = "MaHoSoMotCua")]
    pub receipt_code: ReceiptCode,
    #[serde(rename = "MaHoSoLienThong")]
    pub case_id: String,
    #[serde(rename = "MaChang")]
    pub leg_id: String,
    #[serde(rename = "MaCoQuanBHXH")]
    pub office_code: OfficeCode,
    #[serde(rename = "MaXa")]
    pub commune_code: CommuneCode,
    #[serde(rename = "ThoiDiemTiepNhan")]
    pub received_at: jiff::Timestamp,
    /// Where the card goes: absent when the family collects it at the commune.
    #[serde(rename = "NhanKetQuaQuaBuuChinh", default, skip_serializing_if = "Option::is_none")]
    pub by_post: Option<PostalDelivery>,
}

/// The family's postal address for the card, as attributes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostalDelivery {
    #[serde(rename = "@NguoiNhan")]
    pub recipient: String,
    #[serde(rename = "@DienThoai")]
    pub phone: String,
    #[serde(rename = "@MaTinh")]
    pub province_code: String,
    #[serde(rename = "@MaXa")]
    pub commune_code: CommuneCode,
    #[serde(rename = "@DiaChi")]
    pub street: String,
}

/// The declared files.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FileList {
    #[serde(rename = "Tep", default)]
    pub items: Vec<FileEntry>,
}

/// One declared file, as attributes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    #[serde(rename = "@LoaiTep")]
    pub kind: String,
    #[serde(rename = "@TenTep")]
    pub file_name: String,
    #[serde(rename = "@KieuTep")]
    pub media_type: String,
    #[serde(rename = "@KichThuoc")]
    pub size: u64,
    #[serde(rename = "@Sha256")]
    pub sha256: Sha256,
}

/// The office's receipt: its record id and the hash of every file it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "BienNhan")]
pub struct XmlReceipt {
    #[serde(rename = "MaBanGhi")]
    pub record_id: String,
    #[serde(rename = "TepDaNhan", default)]
    pub files: Vec<HeldFile>,
    /// The office's decision, once made.
    #[serde(rename = "KetQua", default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<XmlDecision>,
}

/// The office's decision on a card request, as its status page shows it. `TrangThai` is
/// `completed`, `rejected` or `needs_supplement`; the other fields belong to one of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct XmlDecision {
    #[serde(rename = "@TrangThai")]
    pub outcome: String,
    #[serde(rename = "@MaSoBHXH", default, skip_serializing_if = "Option::is_none")]
    pub social_insurance_number: Option<String>,
    #[serde(rename = "@HanTheTu", default, skip_serializing_if = "Option::is_none")]
    pub card_valid_from: Option<jiff::civil::Date>,
    #[serde(rename = "@HanTheDen", default, skip_serializing_if = "Option::is_none")]
    pub card_valid_to: Option<jiff::civil::Date>,
    #[serde(rename = "@MaNoiDKKCB", default, skip_serializing_if = "Option::is_none")]
    pub health_facility_code: Option<String>,
    #[serde(rename = "@NgayCapTheDienTu", default, skip_serializing_if = "Option::is_none")]
    pub electronic_card_issued_on: Option<jiff::civil::Date>,
    #[serde(rename = "LyDo", default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(rename = "GiayToCanBoSung", default)]
    pub missing: Vec<String>,
    /// The missing papers as attachment kinds, for the commune to upload against.
    #[serde(rename = "LoaiTepCanBoSung", default)]
    pub kinds: Vec<String>,
}

impl From<&InsuranceDecision> for XmlDecision {
    fn from(d: &InsuranceDecision) -> Self {
        let mut x = XmlDecision {
            outcome: String::new(),
            social_insurance_number: None,
            card_valid_from: None,
            card_valid_to: None,
            health_facility_code: None,
            electronic_card_issued_on: None,
            reason: None,
            missing: Vec::new(),
            kinds: Vec::new(),
        };
        match d {
            InsuranceDecision::Completed {
                social_insurance_number,
                card_valid_from,
                card_valid_to,
                health_facility_code,
                electronic_card_issued_on,
            } => {
                x.outcome = "completed".into();
                x.electronic_card_issued_on = *electronic_card_issued_on;
                x.social_insurance_number = Some(social_insurance_number.clone());
                x.card_valid_from = Some(*card_valid_from);
                x.card_valid_to = Some(*card_valid_to);
                x.health_facility_code = Some(health_facility_code.clone());
            }
            InsuranceDecision::Rejected { reason } => {
                x.outcome = "rejected".into();
                x.reason = Some(reason.clone());
            }
            InsuranceDecision::NeedsSupplement { missing, kinds } => {
                x.outcome = "needs_supplement".into();
                x.missing = missing.clone();
                x.kinds = kinds.clone();
            }
        }
        x
    }
}

impl TryFrom<&XmlDecision> for InsuranceDecision {
    type Error = String;

    /// The canonical decision, or what the office's status lacks for one.
    fn try_from(x: &XmlDecision) -> Result<Self, String> {
        let need = |v: &Option<String>, name: &str| v.clone().ok_or(format!("KetQua lacks {name}"));
        match x.outcome.as_str() {
            "completed" => Ok(InsuranceDecision::Completed {
                social_insurance_number: need(&x.social_insurance_number, "MaSoBHXH")?,
                card_valid_from: x.card_valid_from.ok_or("KetQua lacks HanTheTu")?,
                card_valid_to: x.card_valid_to.ok_or("KetQua lacks HanTheDen")?,
                health_facility_code: need(&x.health_facility_code, "MaNoiDKKCB")?,
                electronic_card_issued_on: x.electronic_card_issued_on,
            }),
            "rejected" => Ok(InsuranceDecision::Rejected {
                reason: need(&x.reason, "LyDo")?,
            }),
            "needs_supplement" => Ok(InsuranceDecision::NeedsSupplement {
                missing: x.missing.clone(),
                kinds: x.kinds.clone(),
            }),
            other => Err(format!("KetQua has an unknown TrangThai '{other}'")),
        }
    }
}

/// One file held by the office.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldFile {
    #[serde(rename = "@LoaiTep")]
    pub kind: String,
    #[serde(rename = "@Sha256")]
    pub sha256: Sha256,
}

impl From<&AttachmentMeta> for FileEntry {
    fn from(m: &AttachmentMeta) -> Self {
        FileEntry {
            kind: m.kind.clone(),
            file_name: m.file_name.clone(),
            media_type: m.media_type.clone(),
            size: m.size,
            sha256: m.sha256.clone(),
        }
    }
}

impl From<&FileEntry> for AttachmentMeta {
    fn from(f: &FileEntry) -> Self {
        AttachmentMeta {
            kind: f.kind.clone(),
            file_name: f.file_name.clone(),
            media_type: f.media_type.clone(),
            size: f.size,
            sha256: f.sha256.clone(),
        }
    }
}

impl From<&Receipt> for XmlReceipt {
    /// A decision that is not an insurance decision is left out (the status shows none).
    fn from(r: &Receipt) -> Self {
        XmlReceipt {
            decision: r
                .decision
                .as_ref()
                .and_then(|d| serde_json::from_value::<InsuranceDecision>(d.clone()).ok())
                .map(|d| XmlDecision::from(&d)),
            record_id: r.record_id.clone(),
            files: r
                .files
                .iter()
                .map(|f| HeldFile {
                    kind: f.kind.clone(),
                    sha256: f.sha256.clone(),
                })
                .collect(),
        }
    }
}

impl TryFrom<XmlReceipt> for Receipt {
    type Error = String;

    /// The canonical receipt; its decision is the JSON the office's callback would carry.
    fn try_from(r: XmlReceipt) -> Result<Self, String> {
        let decision = match &r.decision {
            Some(x) => Some(serde_json::to_value(InsuranceDecision::try_from(x)?).map_err(|e| e.to_string())?),
            None => None,
        };
        Ok(Receipt {
            decision,
            record_id: r.record_id,
            files: r
                .files
                .into_iter()
                .map(|f| FileHash {
                    kind: f.kind,
                    sha256: f.sha256,
                })
                .collect(),
            // The insurance office never needs a verification step.
            verification: false,
        })
    }
}

impl CardRequest {
    /// Maps the canonical envelope, generating the declaration.
    pub fn from_envelope(env: &CaseEnvelope) -> Self {
        let b = &env.bundle;
        CardRequest {
            idempotency_key: env.idempotency_key.clone(),
            dossier: Dossier {
                receipt_code: b.receipt_code.clone(),
                case_id: env.case_id.clone(),
                leg_id: env.leg_id.clone(),
                office_code: env.office_code.clone(),
                commune_code: b.commune_code.clone(),
                received_at: b.received_at,
                by_post: match &b.result_delivery {
                    lienthong_contract::bundle::ResultDelivery::ByPost(a) => Some(PostalDelivery {
                        recipient: a.recipient.clone(),
                        phone: a.phone.clone(),
                        province_code: a.province_code.clone(),
                        commune_code: a.commune_code.clone(),
                        street: a.street.clone(),
                    }),
                    lienthong_contract::bundle::ResultDelivery::AtCommune => None,
                },
            },
            declaration: Declaration::from_bundle(b),
            files: FileList {
                items: env.documents().iter().map(FileEntry::from).collect(),
            },
            supplements: env
                .supplements
                .iter()
                .map(|s| SupplementNote {
                    number: s.number,
                    received_at: s.received_at,
                    note: s.note.clone(),
                })
                .collect(),
        }
    }
}

/// Serialises a message with an XML declaration.
pub fn to_xml<T: Serialize>(value: &T) -> Result<String, quick_xml::SeError> {
    let body = quick_xml::se::to_string(value)?;
    Ok(format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>{body}"))
}

/// Parses a message.
pub fn from_xml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, quick_xml::DeError> {
    quick_xml::de::from_str(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lienthong_contract::Message;

    #[test]
    fn a_postal_address_travels_with_the_card_request_and_reads_back() {
        let Message::Case(env) = lienthong_contract::samples::sample_case("POST-1").message else {
            panic!("the sample is a case");
        };
        let request = CardRequest::from_envelope(&env);
        let xml = to_xml(&request).expect("serialises");
        assert!(
            xml.contains("<NhanKetQuaQuaBuuChinh NguoiNhan=\"Trần Thị Hồng\"") && xml.contains("MaTinh=\"56\""),
            "{xml}"
        );
        assert_eq!(from_xml::<CardRequest>(&xml).expect("reads back"), request);

        let mut at_commune = env.clone();
        at_commune.bundle.result_delivery = Default::default();
        let xml = to_xml(&CardRequest::from_envelope(&at_commune)).expect("serialises");
        assert!(!xml.contains("NhanKetQuaQuaBuuChinh"), "{xml}");
    }
}
