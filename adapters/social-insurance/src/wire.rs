//! The insurance office's XML messages.

use lienthong_contract::{AttachmentMeta, CaseEnvelope, FileHash, Receipt};
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
}

/// Identifiers of the dossier across systems.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dossier {
    #[serde(rename = "MaHoSoMotCua")]
    pub receipt_code: String,
    #[serde(rename = "MaHoSoLienThong")]
    pub case_id: String,
    #[serde(rename = "MaChang")]
    pub leg_id: String,
    #[serde(rename = "MaCoQuanBHXH")]
    pub office_code: String,
    #[serde(rename = "MaXa")]
    pub commune_code: String,
    #[serde(rename = "ThoiDiemTiepNhan")]
    pub received_at: jiff::Timestamp,
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
    pub sha256: String,
}

/// The office's receipt: its record id and the hash of every file it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "BienNhan")]
pub struct XmlReceipt {
    #[serde(rename = "MaBanGhi")]
    pub record_id: String,
    #[serde(rename = "TepDaNhan", default)]
    pub files: Vec<HeldFile>,
}

/// One file held by the office.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldFile {
    #[serde(rename = "@LoaiTep")]
    pub kind: String,
    #[serde(rename = "@Sha256")]
    pub sha256: String,
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
    fn from(r: &Receipt) -> Self {
        XmlReceipt {
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

impl From<XmlReceipt> for Receipt {
    fn from(r: XmlReceipt) -> Self {
        Receipt {
            record_id: r.record_id,
            files: r
                .files
                .into_iter()
                .map(|f| FileHash {
                    kind: f.kind,
                    sha256: f.sha256,
                })
                .collect(),
        }
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
            },
            declaration: Declaration::from_bundle(b),
            files: FileList {
                items: b.attachments.iter().map(FileEntry::from).collect(),
            },
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
