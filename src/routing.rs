//! Where a commune's legs go, from `routes.toml`.

use lienthong_contract::{LegKind, OfficeCode};

use crate::config::Config;

/// One leg's destination: the office (or one-stop system) and its endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub kind: LegKind,
    pub office_code: OfficeCode,
    pub endpoint: String,
}

/// The three destinations of a commune's case (a retired code's successor's), or `None` for a
/// commune not routed.
pub fn destinations(config: &Config, commune_code: &str) -> Option<[Destination; 3]> {
    let r = &config.routes;
    let (_, c) = r.current(commune_code)?;
    let police = r.police_offices.get(&c.police_office)?;
    let insurance = r.insurance_offices.get(&c.insurance_office)?;
    Some([
        Destination {
            kind: LegKind::Residence,
            office_code: c.police_office.clone(),
            endpoint: police.endpoint.clone(),
        },
        Destination {
            kind: LegKind::Insurance,
            office_code: c.insurance_office.clone(),
            endpoint: insurance.endpoint.clone(),
        },
        Destination {
            kind: LegKind::Return,
            // The commune's one-stop system receives the return leg; config checks its id fits.
            office_code: OfficeCode::parse(&c.onestop_system).ok()?,
            endpoint: c.onestop_result_url.clone(),
        },
    ])
}
