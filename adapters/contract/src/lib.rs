//! The contract between the lienthong gateway and the systems it connects.
//!
//! Every receiving system (police residence, social insurance, the commune's one-stop) is reached
//! through an [`Adapter`]: the gateway speaks in canonical messages ([`message`]) and each adapter
//! translates them to its system's wire format. The delivery protocol is the same for all:
//! submit an envelope (with its files), read back a [`Receipt`] listing the SHA-256 of every file
//! the receiver holds, and re-send missing files alone. Every call carries an idempotency key that
//! the receiver honours, so a retry never creates a second registration or card.
//!
//! [`values`] are the checked codes and ids every system shares, [`signature`] and [`tls`] how
//! systems authenticate each other, [`samples`] canonical messages to test wire formats with. The
//! simulators and the conformance kit live in their own crate, `lienthong-simulators`.

pub mod adapter;
pub mod bundle;
pub mod decision;
pub mod message;
pub mod samples;
pub mod signature;
pub mod tls;
pub mod values;

pub use adapter::{Adapter, AdapterError, ByteStream, Endpoint, FileBody, FileHash, Receipt};
pub use bundle::{AttachmentMeta, CaseBundle};
pub use decision::{InsuranceDecision, ResidenceDecision};
pub use message::{CaseEnvelope, CaseResult, LegKind, LegOutcome, Message, Supplement};
pub use values::{CommuneCode, OfficeCode, PersonalId, ReceiptCode, Sha256, ValueError};

/// Vietnam's civil time: UTC+07:00 all year (no daylight saving), so no time-zone database is
/// needed to turn instants into the dates officers and families read.
pub fn vn_tz() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::fixed(jiff::tz::offset(7))
}

/// Today's date in Vietnam.
pub fn vn_today() -> jiff::civil::Date {
    jiff::Timestamp::now().to_zoned(vn_tz()).date()
}
