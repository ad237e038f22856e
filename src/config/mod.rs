//! Configuration: `config/gateway.toml`, `config/routes.toml` and `config/provinces.toml`.
//!
//! `LIENTHONG_*` environment variables override keys of `gateway.toml`: the name after the prefix
//! is the key path in lower case with `__` between levels, e.g. `LIENTHONG_LISTEN`,
//! `LIENTHONG_STORE_URL`, `LIENTHONG_DELIVERY__RETRY__MAX_ATTEMPTS`. Values are read as TOML
//! scalars (numbers, booleans) and fall back to strings. Relative paths are relative to the
//! working directory. [`Config::load`] reports EVERY problem with its file and key.

pub(crate) mod calendar_files;
mod check;
mod env;
mod overlay;
mod problem;
mod schema;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::deadline::{Calendar, Regimes};
pub use env::apply_env;
pub use problem::{Problem, Problems};
pub use schema::*;

use calendar_files::{load_calendar, load_regimes};
use check::check;
use problem::{read_toml, typed};

/// The whole validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub dir: PathBuf,
    pub gateway: GatewayConfig,
    pub routes: RoutesConfig,
    /// Province codes of the personal id (province-codes.md), code → name.
    pub provinces: BTreeMap<String, String>,
    /// The working calendar from `calendar/<year>.toml`.
    pub calendar: Calendar,
    /// The deadline regimes from `regimes.toml`.
    pub regimes: Regimes,
}

impl Config {
    /// Loads and checks `dir`, with environment overrides from the process.
    pub fn load(dir: &Path) -> Result<Config, Problems> {
        Self::load_with_env(dir, std::env::vars())
    }

    /// Loads and checks `dir` with the given environment (tests pass their own).
    pub fn load_with_env(dir: &Path, env: impl Iterator<Item = (String, String)>) -> Result<Config, Problems> {
        let mut problems = Problems(Vec::new());
        let gateway = read_toml(dir, "gateway.toml", &mut problems).and_then(|mut t| {
            apply_env(&mut t, env);
            typed::<GatewayConfig>(t, "gateway.toml", &mut problems)
        });
        let routes = read_toml(dir, "routes.toml", &mut problems).and_then(|mut t| {
            if dir.join(overlay::ROUTES_OVERRIDE).exists() {
                overlay::merge(&mut t, read_toml(dir, overlay::ROUTES_OVERRIDE, &mut problems)?);
            }
            typed::<RoutesConfig>(t, "routes.toml", &mut problems)
        });
        let provinces = read_toml(dir, "provinces.toml", &mut problems)
            .and_then(|t| typed::<ProvincesFile>(t, "provinces.toml", &mut problems));
        let defaults = DeadlinesConfig::default();
        let hours = gateway.as_ref().map_or(&defaults, |g| &g.deadlines);
        let calendar = load_calendar(
            &dir.join("calendar"),
            hours.cutoff,
            hours.close_of_business,
            &mut problems.0,
        );
        let regimes = load_regimes(&dir.join("regimes.toml"), &mut problems.0);
        if let (Some(g), Some(r), Some(p)) = (&gateway, &routes, &provinces) {
            check(g, r, &p.provinces, &mut problems);
        }
        match (gateway, routes, provinces, regimes) {
            (Some(gateway), Some(routes), Some(p), Some(regimes)) if problems.0.is_empty() => Ok(Config {
                dir: dir.to_path_buf(),
                gateway,
                routes,
                provinces: p.provinces,
                calendar,
                regimes,
            }),
            _ => Err(problems),
        }
    }

    /// The request time-out for receiving systems.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.gateway.delivery.request_timeout_ms)
    }
}
