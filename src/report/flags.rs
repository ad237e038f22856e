//! What the leadership must see without opening a report (docs/accountability.md, "On the
//! dashboard"): the units over their late-rate target and the communes whose pushes came late.
//! The dashboard and the monthly email list the same lines.

use super::Report;
use crate::config::RoutesConfig;

/// A unit at or over its late-rate target.
#[derive(Debug, Clone, PartialEq)]
pub struct OverTarget {
    /// The unit in words: a commune, an area, an office with its procedure, or the whole deployment.
    pub unit: String,
    pub late_rate_percent: Option<f64>,
    pub target_percent: f64,
    /// How many late dossiers fewer would have kept it under.
    pub excess: u64,
}

/// A commune that pushed dossiers later than its step allows.
#[derive(Debug, Clone, PartialEq)]
pub struct LatePushes {
    pub commune: String,
    pub pushed_late: u64,
    /// Of those, pushed together with another late one (the batches the district reports blame).
    pub in_batches: u64,
    pub received: u64,
}

/// Every unit of the report over its target: communes, areas, offices, then the total.
pub fn over_target(r: &Report, targets: &crate::config::TargetsConfig, routes: &RoutesConfig) -> Vec<OverTarget> {
    let mut out: Vec<OverTarget> = r
        .communes
        .iter()
        .chain(&r.areas)
        .filter(|c| c.figures.over_target)
        .map(|c| OverTarget {
            unit: c.name.clone(),
            late_rate_percent: c.figures.late_rate_percent,
            target_percent: targets.unit_late_percent,
            excess: c.figures.late_over_target_by,
        })
        .collect();
    out.extend(r.offices.iter().filter(|u| u.over_target).map(|u| {
        let name = routes
            .police_offices
            .get(u.unit.as_str())
            .or_else(|| routes.insurance_offices.get(u.unit.as_str()))
            .map_or(u.unit.as_str(), |o| o.name.as_str());
        OverTarget {
            unit: format!("{name} ({})", procedure(&u.leg)),
            late_rate_percent: u.late_rate_percent,
            target_percent: u.target_percent,
            excess: u.late_over_target_by,
        }
    }));
    if r.total.over_target {
        out.push(OverTarget {
            unit: "Toàn địa bàn".into(),
            late_rate_percent: r.total.late_rate_percent,
            target_percent: targets.province_late_percent,
            excess: r.total.late_over_target_by,
        });
    }
    out
}

/// The communes with late pushes, the most first.
pub fn late_pushes(r: &Report) -> Vec<LatePushes> {
    let mut out: Vec<LatePushes> = r
        .communes
        .iter()
        .filter(|c| c.figures.pushed_late > 0)
        .map(|c| LatePushes {
            commune: c.name.clone(),
            pushed_late: c.figures.pushed_late,
            in_batches: c.figures.pushed_late_in_batches,
            received: c.figures.received,
        })
        .collect();
    out.sort_by(|a, b| {
        b.pushed_late
            .cmp(&a.pushed_late)
            .then_with(|| a.commune.cmp(&b.commune))
    });
    out
}

fn procedure(leg: &str) -> &'static str {
    match lienthong_contract::LegKind::parse(leg) {
        Some(lienthong_contract::LegKind::Residence) => "đăng ký thường trú",
        _ => "cấp thẻ BHYT",
    }
}
