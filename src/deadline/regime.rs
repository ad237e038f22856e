//! Regimes: the named sets of working-day budgets in `config/regimes.toml`.
//!
//! A case stores the regime it was received under as a snapshot of these values, so changing the
//! config later never moves the deadline of a case already running.

use std::collections::BTreeMap;

use lienthong_contract::LegKind;
use serde::{Deserialize, Serialize};

/// What a supplement from the family does to the clock of the leg that asked for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnSupplement {
    /// The working days already used still count; the leg resumes with what was left.
    Pause,
    /// The leg gets its full budget again from the day the supplement arrives.
    Restart,
}

/// The budget of one agency leg, in working days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegBudget {
    /// Working days for the gateway to deliver the leg.
    pub deliver_days: u32,
    /// Working days for the agency to decide once delivered.
    pub decide_days: u32,
    /// The decision budget when the agency says the dossier needs verification.
    #[serde(default)]
    pub decide_days_verification: Option<u32>,
}

impl LegBudget {
    /// Days from delivery start to decision.
    pub fn days(&self, verification: bool) -> u32 {
        let decide = if verification {
            self.decide_days_verification.unwrap_or(self.decide_days)
        } else {
            self.decide_days
        };
        self.deliver_days + decide
    }
}

/// One regime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regime {
    /// Shown to officers.
    pub label: String,
    /// True when the receipt day is day 1 of the budget (Khánh Vĩnh); false when counting starts
    /// the next working day (decree 63/2024).
    pub count_receipt_day: bool,
    /// Working days the commune spends before the legs start (birth registration).
    pub commune_days: u32,
    /// The legal total, printed as the appointment date.
    pub total_days: u32,
    /// The legal total when the residence leg needs verification.
    #[serde(default)]
    pub total_days_verification: Option<u32>,
    /// The office's own tighter target, reported beside the legal one.
    #[serde(default)]
    pub internal_target_days: Option<u32>,
    /// A clock is `at_risk` this many working days before it is due.
    #[serde(default = "one")]
    pub warning_margin_days: u32,
    #[serde(default = "pause")]
    pub on_supplement: OnSupplement,
    /// Working days the family has to bring a supplement.
    #[serde(default = "seven")]
    pub supplement_window_days: u32,
    pub residence: LegBudget,
    pub insurance: LegBudget,
}

fn one() -> u32 {
    1
}
fn seven() -> u32 {
    7
}
fn pause() -> OnSupplement {
    OnSupplement::Pause
}

impl Regime {
    /// The budget of a leg by its name; the return leg has none of its own (it runs inside the
    /// case total).
    pub fn leg(&self, kind: LegKind) -> Option<&LegBudget> {
        match kind {
            LegKind::Residence => Some(&self.residence),
            LegKind::Insurance => Some(&self.insurance),
            LegKind::Return => None,
        }
    }

    /// The case total in working days.
    pub fn total(&self, verification: bool) -> u32 {
        if verification {
            self.total_days_verification.unwrap_or(self.total_days)
        } else {
            self.total_days
        }
    }

    /// Working days to add to the receipt day to reach budget day `n` (day 1 is the receipt day
    /// itself when it counts).
    pub fn offset(&self, n: u32) -> u32 {
        if self.count_receipt_day {
            n.saturating_sub(1)
        } else {
            n
        }
    }

    /// Problems with the numbers, as `(key, message)`.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut p = Vec::new();
        if self.total_days == 0 {
            p.push(("total_days".into(), "must be at least 1".into()));
        }
        for (name, leg) in [
            (LegKind::Residence.as_str(), &self.residence),
            (LegKind::Insurance.as_str(), &self.insurance),
        ] {
            for verification in [false, true] {
                let needed = self.commune_days + leg.days(verification);
                if needed > self.total(verification) {
                    p.push((
                        name.to_string(),
                        format!(
                            "commune_days + deliver_days + decide_days{} = {needed} exceeds the total of {}",
                            if verification { "_verification" } else { "" },
                            self.total(verification)
                        ),
                    ));
                }
            }
        }
        if self.warning_margin_days >= self.total_days {
            p.push(("warning_margin_days".into(), "must be less than total_days".into()));
        }
        p.dedup();
        p
    }
}

/// The regimes of a deployment and the one new cases get. Built only with a default that is
/// one of them, so reading the default cannot fail.
#[derive(Debug, Clone)]
pub struct Regimes {
    default_name: String,
    default: Regime,
    pub by_name: BTreeMap<String, Regime>,
}

impl Regimes {
    /// The regimes, if `default` names one of them.
    pub fn new(default: String, by_name: BTreeMap<String, Regime>) -> Option<Regimes> {
        let regime = by_name.get(&default)?.clone();
        Some(Regimes {
            default_name: default,
            default: regime,
            by_name,
        })
    }

    /// The default regime, with its name.
    pub fn default_regime(&self) -> (&str, &Regime) {
        (&self.default_name, &self.default)
    }
}
