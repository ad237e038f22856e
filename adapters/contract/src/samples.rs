//! Canonical sample messages with their file bytes, built fresh for an idempotency key: the
//! fixtures adapters and simulators test their wire formats and the conformance kit with.

use bytes::Bytes;

use crate::adapter::{ByteStream, FileBody};
use crate::bundle::AttachmentMeta;
use crate::message::Message;

/// A message and the bytes of its attachments, built fresh for a given idempotency key.
pub struct Sample {
    pub message: Message,
    pub files: Vec<(AttachmentMeta, Bytes)>,
}

/// Streams in-memory test bytes as an adapter expects them.
pub fn file_body(meta: &AttachmentMeta, bytes: &Bytes) -> FileBody {
    let chunks: Vec<std::io::Result<Bytes>> = bytes.chunks(16 * 1024).map(|c| Ok(bytes.slice_ref(c))).collect();
    let body: ByteStream = Box::pin(futures_util::stream::iter(chunks));
    FileBody {
        meta: meta.clone(),
        body,
    }
}

/// A PDF of about 40 kB for `kind`, different for every key.
fn pdf(kind: &str, key: &str) -> (AttachmentMeta, Bytes) {
    use sha2::{Digest, Sha256};
    let bytes = Bytes::from(format!("%PDF-1.4\n% {kind} {key}\n").repeat(2000));
    let meta = AttachmentMeta {
        kind: kind.to_string(),
        file_name: format!("{kind}.pdf"),
        media_type: "application/pdf".into(),
        size: bytes.len() as u64,
        sha256: crate::Sha256::from_digest(Sha256::digest(&bytes).into()),
    };
    (meta, bytes)
}

/// A small canonical case with two PDF attachments, for adapters' conformance runs.
pub fn sample_case(key: &str) -> Sample {
    use crate::bundle::*;
    let files: Vec<(AttachmentMeta, Bytes)> = ["birth-registration-extract", "residence-declaration"]
        .into_iter()
        .map(|kind| pdf(kind, key))
        .collect();
    let date = |s: &str| s.parse().expect("static date");
    let code = |s: &str| crate::CommuneCode::parse(s).expect("static code");
    let bundle = CaseBundle {
        receipt_code: crate::ReceiptCode::parse(&format!("CONF-{key}")).expect("a conformance key fits a receipt code"),
        procedure: "birth-residence-insurance".into(),
        commune_code: code("22609"),
        received_at: "2026-11-20T02:15:00Z".parse().expect("static instant"),
        child: Child {
            full_name: "Nguyễn Ngọc Ánh".into(),
            sex: Sex::Female,
            date_of_birth: date("2026-11-10"),
            personal_id: crate::PersonalId::parse("056326001234").expect("static id"),
        },
        birth_registration: BirthRegistration {
            number: "125".into(),
            book: "01/2026".into(),
            registered_on: date("2026-11-20"),
        },
        mother: Some(Parent {
            full_name: "Trần Thị Hồng".into(),
            personal_id: None,
        }),
        father: None,
        residence: Residence {
            address: "Thôn Đồng Trăng, Khánh Vĩnh".into(),
            commune_code: code("22609"),
            existing_household: false,
            household_head_personal_id: None,
            relationship_to_head: None,
        },
        insurance: Insurance {
            health_facility_code: "56018".into(),
        },
        applicant: Applicant {
            full_name: "Trần Thị Hồng".into(),
            phone: Some("0905123456".into()),
            email: None,
        },
        result_delivery: crate::bundle::ResultDelivery::ByPost(crate::bundle::PostalAddress {
            recipient: "Trần Thị Hồng".into(),
            phone: "0905123456".into(),
            province_code: "56".into(),
            commune_code: code("22609"),
            street: "Thôn Đồng Trăng".into(),
        }),
        channel: crate::bundle::Channel::Online,
        attachments: files.iter().map(|(m, _)| m.clone()).collect(),
    };
    let message = Message::Case(Box::new(crate::message::CaseEnvelope {
        idempotency_key: key.to_string(),
        case_id: format!("case-{key}"),
        leg_id: key.to_string(),
        leg: crate::message::LegKind::Residence,
        office_code: crate::OfficeCode::parse("CA-568").expect("static code"),
        bundle,
        supplements: Vec::new(),
    }));
    Sample { message, files }
}

/// A combined result carrying the two documents the agencies issued, for the one-stop adapter's
/// conformance run.
pub fn sample_result(key: &str) -> Sample {
    let files = vec![pdf("residence-confirmation", key), pdf("insurance-card", key)];
    let outcome = |state: &str| crate::message::LegOutcome {
        state: state.into(),
        result: None,
    };
    Sample {
        message: Message::Result(Box::new(crate::message::CaseResult {
            idempotency_key: key.to_string(),
            case_id: format!("case-{key}"),
            receipt_code: crate::ReceiptCode::parse(&format!("CONF-{key}"))
                .expect("a conformance key fits a receipt code"),
            commune_code: crate::CommuneCode::parse("22609").expect("static code"),
            outcome: "completed".into(),
            residence: outcome("completed"),
            insurance: outcome("completed"),
            documents: files.iter().map(|(m, _)| m.clone()).collect(),
        })),
        files,
    }
}
