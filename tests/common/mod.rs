//! The black-box test harness: simulators and a gateway on free ports, talking real HTTP, with a
//! fresh SQLite file and attachment directory per test.

#![allow(dead_code)] // each test binary uses its own part of the harness

mod backends;
mod config;
mod fixtures;
mod http;
pub mod pki;
mod process;
mod stack;

// Each test binary uses its own part of the harness, so some re-exports go unused in each.
#[allow(unused_imports)]
pub use backends::*;
#[allow(unused_imports)]
pub use config::*;
#[allow(unused_imports)]
pub use fixtures::*;
#[allow(unused_imports)]
pub use http::*;
#[allow(unused_imports)]
pub use process::*;
#[allow(unused_imports)]
pub use stack::*;

use std::path::PathBuf;

use lienthong::clock::Clock;
use lienthong_simulators::sim::Faults;

pub const ONESTOP_A: &str = "test-onestop-token-commune-a-0001";
pub const ONESTOP_B: &str = "test-onestop-token-commune-b-0001";
pub const POLICE: &str = "test-police-token-0000000000001";
pub const INSURANCE: &str = "test-insurance-token-00000000001";
pub const ADMIN: &str = "test-admin-token-000000000000001";
pub const RESULT_SECRET: &str = "test-result-secret-000000000001";
pub const POLICE_SECRET: &str = "test-police-signing-secret-0001";
pub const INSURANCE_SECRET: &str = "test-insurance-signing-secret-1";
/// The SMS provider's token and signing secret (inbound messages), configured with `[notify.sms]`.
pub const SMS: &str = "test-sms-provider-token-0000001";
pub const SMS_SECRET: &str = "test-sms-provider-secret-000001";
/// The postal partner's token and signing secret (its reports on items).
pub const POSTAL: &str = "test-postal-partner-token-00001";
pub const POSTAL_SECRET: &str = "test-postal-partner-secret-0001";

/// The signing key of the system behind a test token.
pub fn secret_of(token: &str) -> Option<&'static str> {
    match token {
        ONESTOP_A | ONESTOP_B => Some(RESULT_SECRET),
        POLICE => Some(POLICE_SECRET),
        INSURANCE => Some(INSURANCE_SECRET),
        SMS => Some(SMS_SECRET),
        POSTAL => Some(POSTAL_SECRET),
        _ => None,
    }
}

/// The hex SHA-256 of a token, as gateway.toml lists it.
pub fn digest(token: &str) -> String {
    lienthong::store::credentials::token_digest(token)
}

/// Knobs of a test stack.
#[derive(Clone)]
pub struct Opts {
    pub police: Faults,
    pub insurance: Faults,
    pub onestop: Faults,
    pub max_attempts: u32,
    pub breaker_threshold: u32,
    pub request_timeout_ms: u64,
    pub clock: Clock,
    /// Start with no SMTP server listening (a relay that is down).
    pub smtp_down: bool,
    /// Extra keys of the `onestop-a` system (its limits), as TOML lines.
    pub onestop_a_extra: String,
    /// Extra keys of the `onestop-b` system (its limits), as TOML lines.
    pub onestop_b_extra: String,
    /// Extra keys of the `admin` system, as TOML lines.
    pub admin_extra: String,
    /// Extra top-level keys of gateway.toml, as TOML lines.
    pub gateway_extra: String,
    /// The store URL; `None` is a fresh SQLite file in the test's directory.
    pub store_url: Option<String>,
    /// An S3 bucket for attachments, as `(endpoint, bucket)`; `None` keeps them on disk.
    pub s3: Option<(String, String)>,
    /// How long a claimed delivery stays leased.
    pub lease_ms: u64,
    /// How long an open breaker stays open.
    pub breaker_open_ms: u64,
    /// How long a delivered leg waits for its decision before it is checked back (then doubling).
    pub check_back_after_ms: u64,
    /// Extra keys of the police and insurance systems (their limits), as TOML lines.
    pub agency_extra: String,
    /// Family SMS without diacritics (`notify.sms.unaccented`).
    pub sms_unaccented: bool,
    /// The regime new cases get (regimes.toml's `default`); the shipped default when `None`.
    pub regime: Option<&'static str>,
}

impl Opts {
    /// The defaults, with the police and insurance simulators behaving as given.
    pub fn agencies(police: Faults, insurance: Faults) -> Opts {
        Opts {
            police,
            insurance,
            ..Opts::default()
        }
    }
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            police: Faults::default(),
            insurance: Faults::default(),
            onestop: Faults::default(),
            max_attempts: 10,
            breaker_threshold: 1000,
            request_timeout_ms: 3000,
            clock: Clock::system(),
            smtp_down: false,
            onestop_a_extra: String::new(),
            onestop_b_extra: String::new(),
            admin_extra: String::new(),
            gateway_extra: String::new(),
            store_url: None,
            s3: None,
            lease_ms: 60_000,
            breaker_open_ms: 200,
            check_back_after_ms: 3_600_000,
            agency_extra: String::new(),
            sms_unaccented: false,
            regime: None,
        }
    }
}

/// An agency system that takes every dossier and never decides (its staff decide elsewhere,
/// or a test decides for it).
pub fn undecided() -> Faults {
    let mut f = Faults::default();
    f.decide.completed = 0;
    f
}

/// The delivery figures of one leg kind in a JSON report (one office per kind in the tests).
pub fn leg_figures(report: &serde_json::Value, leg: &str) -> serde_json::Value {
    report["legs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["leg"] == leg)
        .unwrap()
        .clone()
}

/// A receiver that is down: it answers every request with a 503.
pub fn down() -> Faults {
    Faults {
        fail_always: true,
        ..Faults::default()
    }
}

/// Faults that decide quickly: everything completed after 20 ms.
pub fn quick() -> Faults {
    let mut f = Faults::default();
    f.decide.after_ms = 20;
    f
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
