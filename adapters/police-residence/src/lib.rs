//! The police permanent-residence registration system: its JSON wire format, the gateway's
//! client for it (its simulator is in `lienthong-simulators`).
//!
//! Wire protocol (JSON over HTTP, `Idempotency-Key` header on every write):
//! - `POST /api/residence/registrations` — multipart: part `envelope` ([`wire::Registration`]) and
//!   one part per file named by its kind; answers a [`lienthong_contract::Receipt`].
//! - `PUT /api/residence/registrations/{key}/files/{kind}` — one file alone; answers the receipt.
//! - `GET /api/residence/registrations/{key}` — the receipt, with the `decision` (the JSON of the
//!   decision callback) once the system has made one: the status the gateway checks back.

pub mod client;
pub mod wire;

pub use client::PoliceResidenceAdapter;
