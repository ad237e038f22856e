//! A simulator of the social-insurance card system: real HTTP and XML, faults from [`Faults`],
//! decisions (card issued, rejected, supplement) reported to the gateway with its own token.

use crate::sim::{
    self, AgencySpec, Faults, GatewayLink, Issued, Outcome, ParsedEnvelope, Record, SimHandle, WireFormat,
};
use axum::response::{IntoResponse, Response};
use lienthong_contract::{AttachmentMeta, Receipt};

use lienthong_social_insurance::declaration::card_valid_to;
use lienthong_social_insurance::wire::{from_xml, to_xml, CardRequest, XmlReceipt};

fn parse(text: &str) -> Result<ParsedEnvelope, String> {
    let req: CardRequest = from_xml(text).map_err(|e| format!("bad card request: {e}"))?;
    Ok(ParsedEnvelope {
        key: req.idempotency_key.clone(),
        case_id: req.dossier.case_id.clone(),
        leg_id: req.dossier.leg_id.clone(),
        declared: req.files.items.iter().map(AttachmentMeta::from).collect(),
        view: serde_json::to_value(&req).map_err(|e| e.to_string())?,
    })
}

fn render(r: &Receipt) -> Response {
    match to_xml(&XmlReceipt::from(r)) {
        Ok(xml) => ([("content-type", "application/xml")], xml).into_response(),
        Err(e) => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// The office's decision for a complete record: a card for the generated declaration.
pub fn decide(rec: &Record, outcome: Outcome, rng: &mut fastrand::Rng) -> serde_json::Value {
    let decl = &rec.envelope["ToKhai"];
    match outcome {
        Outcome::Completed => {
            let dob: jiff::civil::Date = decl["NgaySinh"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(lienthong_contract::vn_today);
            serde_json::json!({
                "outcome": "completed",
                "social_insurance_number": format!("{:010}", rng.u64(0..10_000_000_000)),
                "card_valid_from": dob,
                "card_valid_to": card_valid_to(dob),
                "health_facility_code": decl["MaNoiDKKCB"].as_str().unwrap_or_default(),
                "electronic_card_issued_on": lienthong_contract::vn_today(),
            })
        }
        Outcome::Rejected => serde_json::json!({
            "outcome": "rejected",
            "reason": "Trẻ đã có mã số BHXH được cấp trước đó",
        }),
        Outcome::NeedsSupplement => serde_json::json!({
            "outcome": "needs_supplement",
            "missing": ["Trích lục khai sinh bản rõ nét"],
            "kinds": ["birth-registration-extract"],
        }),
    }
}

/// How this system's simulator differs from the other agency's.
pub const SPEC: AgencySpec = AgencySpec {
    record_prefix: "BHXH",
    collection: "/bhxh/the-bhyt/ho-so",
    file_segment: "tep",
    withdrawal_segment: "rut-ho-so",
    format: WireFormat {
        parse_envelope: parse,
        render_receipt: render,
    },
    decide,
    documents: Issued {
        completed: "insurance-card",
        rejected: "insurance-refusal",
    },
};

/// Starts the simulator; decisions are reported to the gateway when a link is given.
pub fn spawn(listener: impl Into<sim::SimListener>, faults: Faults, seed: u64, link: Option<GatewayLink>) -> SimHandle {
    sim::spawn_agency(listener, faults, seed, link, SPEC)
}
