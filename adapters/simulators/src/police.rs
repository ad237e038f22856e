//! A simulator of the police residence system: real HTTP, faults from [`Faults`], decisions
//! reported to the gateway with the police system's token.

use crate::sim::{
    self, AgencySpec, Faults, GatewayLink, Issued, Outcome, ParsedEnvelope, Record, SimHandle, WireFormat,
};
use axum::response::{IntoResponse, Response};
use axum::Json;
use lienthong_contract::Receipt;

use lienthong_police_residence::wire::Registration;

fn parse(text: &str) -> Result<ParsedEnvelope, String> {
    let reg: Registration = serde_json::from_str(text).map_err(|e| format!("bad registration: {e}"))?;
    Ok(ParsedEnvelope {
        key: reg.idempotency_key.clone(),
        case_id: reg.dossier.case_id.clone(),
        leg_id: reg.dossier.leg_id.clone(),
        declared: reg.documents.clone(),
        view: serde_json::to_value(&reg).map_err(|e| e.to_string())?,
    })
}

fn render(r: &Receipt) -> Response {
    Json(r).into_response()
}

/// The police system's decision for a complete record.
pub fn decide(rec: &Record, outcome: Outcome, rng: &mut fastrand::Rng) -> serde_json::Value {
    match outcome {
        Outcome::Completed => serde_json::json!({
            "outcome": "completed",
            "registration_number": format!("TT{:010}", rng.u64(0..10_000_000_000)),
            "registered_on": lienthong_contract::vn_today(),
        }),
        Outcome::Rejected => serde_json::json!({
            "outcome": "rejected",
            "reason": format!("Địa chỉ thường trú không khớp dữ liệu cư trú ({})", rec.record_id),
        }),
        Outcome::NeedsSupplement => serde_json::json!({
            "outcome": "needs_supplement",
            "missing": ["Giấy tờ chứng minh chỗ ở hợp pháp"],
            "kinds": ["residence-proof"],
        }),
    }
}

/// How this system's simulator differs from the other agency's.
pub const SPEC: AgencySpec = AgencySpec {
    record_prefix: "CA",
    collection: "/api/residence/registrations",
    file_segment: "files",
    withdrawal_segment: "withdrawal",
    format: WireFormat {
        parse_envelope: parse,
        render_receipt: render,
    },
    decide,
    documents: Issued {
        completed: "residence-confirmation",
        rejected: "residence-refusal",
    },
};

/// Starts the simulator; decisions are reported to the gateway when a link is given.
pub fn spawn(listener: impl Into<sim::SimListener>, faults: Faults, seed: u64, link: Option<GatewayLink>) -> SimHandle {
    sim::spawn_agency(listener, faults, seed, link, SPEC)
}
