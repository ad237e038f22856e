//! Reading `calendar/<year>.toml` and `regimes.toml` from the configuration directory, reporting
//! every problem with its file and key. Adding a year or a holiday is an edit of these files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use jiff::civil::{Date, Time, Weekday};
use serde::Deserialize;

use super::problem::Problem;
use crate::deadline::{Calendar, Regime, Regimes, YearSchedule};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i16,
    #[serde(default)]
    provisional: bool,
    #[serde(default)]
    holidays: Vec<NamedDay>,
    #[serde(default)]
    working_days: Vec<NamedDay>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NamedDay {
    date: Date,
    /// Says which holiday or swap this is, for the administrator who edits the file.
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegimesFile {
    default: String,
    regimes: BTreeMap<String, Regime>,
}

fn problem(file: &str, key: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        file: file.into(),
        key: key.into(),
        message: message.into(),
    }
}

fn read<T: serde::de::DeserializeOwned>(path: &Path, file: &str, problems: &mut Vec<Problem>) -> Option<T> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            problems.push(problem(file, "-", format!("cannot read {}: {e}", path.display())));
            return None;
        }
    };
    match toml::from_str(&text) {
        Ok(v) => Some(v),
        Err(e) => {
            problems.push(problem(file, "-", e.message().to_string()));
            None
        }
    }
}

fn schedule(f: YearFile, file: &str, problems: &mut Vec<Problem>) -> YearSchedule {
    let mut s = YearSchedule {
        provisional: f.provisional,
        ..YearSchedule::default()
    };
    for (list, key) in [(&f.holidays, "holidays"), (&f.working_days, "working_days")] {
        for (i, d) in list.iter().enumerate() {
            let at = format!("{key}[{i}].date");
            if d.date.year() != f.year {
                problems.push(problem(file, &at, format!("{} is not in {}", d.date, f.year)));
            }
            if d.name.trim().is_empty() {
                problems.push(problem(
                    file,
                    format!("{key}[{i}].name"),
                    "say which holiday or swap this is",
                ));
            }
            let weekend = matches!(d.date.weekday(), Weekday::Saturday | Weekday::Sunday);
            let fresh = if key == "holidays" {
                s.holidays.insert(d.date)
            } else {
                if !weekend {
                    problems.push(problem(
                        file,
                        &at,
                        format!(
                            "{} is a weekday; only a Saturday or Sunday can be a make-up working day",
                            d.date
                        ),
                    ));
                }
                s.working_days.insert(d.date)
            };
            if !fresh {
                problems.push(problem(file, &at, format!("{} is listed twice", d.date)));
            }
        }
    }
    for d in s.holidays.intersection(&s.working_days) {
        problems.push(problem(
            file,
            "working_days",
            format!("{d} is both a holiday and a working day"),
        ));
    }
    s
}

/// Reads every `<year>.toml` of `dir`. A missing directory is a problem; a missing year is not
/// (the calendar degrades to weekends only for it).
pub fn load_calendar(dir: &Path, cutoff: Time, close: Time, problems: &mut Vec<Problem>) -> Calendar {
    let mut years = BTreeMap::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            problems.push(problem("calendar/", "-", format!("cannot read {}: {e}", dir.display())));
            return Calendar::new(years, cutoff, close);
        }
    };
    let mut files: BTreeSet<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    files.retain(|p| p.extension().is_some_and(|x| x == "toml"));
    for path in files {
        let name = format!("calendar/{}", path.file_name().unwrap_or_default().to_string_lossy());
        let Some(f) = read::<YearFile>(&path, &name, problems) else {
            continue;
        };
        let stem = path.file_stem().unwrap_or_default().to_string_lossy().to_string();
        if stem != f.year.to_string() {
            problems.push(problem(
                &name,
                "year",
                format!("the file of year {} must be named {}.toml", f.year, f.year),
            ));
        }
        let year = f.year;
        let s = schedule(f, &name, problems);
        years.insert(year, s);
    }
    Calendar::new(years, cutoff, close)
}

/// Reads `regimes.toml` and checks every regime.
pub fn load_regimes(path: &Path, problems: &mut Vec<Problem>) -> Option<Regimes> {
    const FILE: &str = "regimes.toml";
    let f = read::<RegimesFile>(path, FILE, problems)?;
    for (name, r) in &f.regimes {
        for (key, message) in r.problems() {
            problems.push(problem(FILE, format!("regimes.{name}.{key}"), message));
        }
    }
    let missing = format!("no regime '{}'", f.default);
    let regimes = Regimes::new(f.default, f.regimes);
    if regimes.is_none() {
        problems.push(problem(FILE, "default", missing));
    }
    regimes
}
