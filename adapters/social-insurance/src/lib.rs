//! The social-insurance office's health-insurance card system: its XML wire format, the
//! declaration the gateway generates from the bundle (so the family fills no form), the gateway's
//! client (its simulator is in `lienthong-simulators`).
//!
//! Wire protocol (XML over HTTP, `Idempotency-Key` header on every write):
//! - `POST /bhxh/the-bhyt/ho-so` — multipart: part `envelope` ([`wire::CardRequest`]) and one part
//!   per file named by its kind; answers a [`wire::XmlReceipt`].
//! - `PUT /bhxh/the-bhyt/ho-so/{key}/tep/{kind}` — one file alone; answers the receipt.
//! - `GET /bhxh/the-bhyt/ho-so/{key}` — the receipt, with the office's decision (`KetQua`, see
//!   [`wire::XmlDecision`]) once it has made one: the status the gateway checks back.

pub mod client;
pub mod declaration;
pub mod wire;

pub use client::SocialInsuranceAdapter;
