//! The working-day calendar: Monday to Friday, minus public holidays, plus make-up working days,
//! in Vietnam's civil time (UTC+07:00, no daylight saving).
//!
//! Pure: built from the per-year schedules in `config/calendar/<year>.toml`. A year without a
//! schedule falls back to weekends only; callers ask [`Calendar::covers`] and flag the deadline
//! `calendar_missing` instead of failing.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, Time, Weekday};
use jiff::Timestamp;
use lienthong_contract::vn_tz;

/// One year's official schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YearSchedule {
    /// Weekdays off (Tết, 30/4, 1/5, 2/9, their bridges and compensations).
    pub holidays: BTreeSet<Date>,
    /// Weekend days declared working days in exchange for a bridge day off.
    pub working_days: BTreeSet<Date>,
    /// Not yet announced by the government: computed from the statutory days.
    pub provisional: bool,
}

/// The calendar the deadline rules run on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    years: BTreeMap<i16, YearSchedule>,
    /// A dossier received at or after this local time counts from the next working day.
    pub cutoff: Time,
    /// A deadline ends at this local time of its last working day.
    pub close_of_business: Time,
}

/// A bound on day-by-day walks, so that a calendar file declaring a whole year off can only give
/// a wrong date, never a hang.
const MAX_WALK_DAYS: i32 = 3_700;

impl Calendar {
    /// A calendar from per-year schedules and office hours.
    pub fn new(years: BTreeMap<i16, YearSchedule>, cutoff: Time, close_of_business: Time) -> Calendar {
        Calendar {
            years,
            cutoff,
            close_of_business,
        }
    }

    /// True when `year` has a schedule (official or provisional).
    pub fn covers(&self, year: i16) -> bool {
        self.years.contains_key(&year)
    }

    /// The years whose schedule is provisional, for the dashboard's warning.
    pub fn provisional_years(&self) -> Vec<i16> {
        self.years
            .iter()
            .filter(|(_, s)| s.provisional)
            .map(|(y, _)| *y)
            .collect()
    }

    /// True when some day from `from` to `to` (inclusive) lies in a year without a schedule.
    pub fn missing_between(&self, from: Date, to: Date) -> bool {
        let (a, b) = if from <= to { (from, to) } else { (to, from) };
        (a.year()..=b.year()).any(|y| !self.covers(y))
    }

    /// Whether civil servants work on `day`.
    pub fn is_working_day(&self, day: Date) -> bool {
        if let Some(s) = self.years.get(&day.year()) {
            if s.working_days.contains(&day) {
                return true;
            }
            if s.holidays.contains(&day) {
                return false;
            }
        }
        !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
    }

    fn step(&self, day: Date, forward: bool) -> Date {
        let mut d = day;
        for _ in 0..MAX_WALK_DAYS {
            d = if forward { d.tomorrow() } else { d.yesterday() }.unwrap_or(d);
            if self.is_working_day(d) {
                return d;
            }
        }
        d
    }

    /// The first working day strictly after `day`.
    pub fn next_working_day(&self, day: Date) -> Date {
        self.step(day, true)
    }

    /// The last working day strictly before `day`.
    pub fn previous_working_day(&self, day: Date) -> Date {
        self.step(day, false)
    }

    /// The working day a dossier received at `at` counts as received on: that day if it is a
    /// working day and `at` is before the cut-off, else the next working day.
    pub fn receipt_day(&self, at: Timestamp) -> Date {
        let local = at.to_zoned(vn_tz());
        let day = local.date();
        if self.is_working_day(day) && local.time() < self.cutoff {
            day
        } else {
            self.next_working_day(day)
        }
    }

    /// The `n`-th working day after `day`; with `n = 0`, `day` itself if it is a working day,
    /// else the next one. The answer is always a working day.
    pub fn add_working_days(&self, day: Date, n: u32) -> Date {
        let mut d = if self.is_working_day(day) {
            day
        } else {
            self.next_working_day(day)
        };
        for _ in 0..n {
            d = self.next_working_day(d);
        }
        d
    }

    /// The `n`-th working day before `day` (`day` itself for `n = 0`).
    pub fn sub_working_days(&self, day: Date, n: u32) -> Date {
        let mut d = day;
        for _ in 0..n {
            d = self.previous_working_day(d);
        }
        d
    }

    /// Working days in `(from, to]`, negative when `to` is before `from`.
    pub fn working_days_between(&self, from: Date, to: Date) -> i64 {
        let (a, b, sign) = if from <= to { (from, to, 1) } else { (to, from, -1) };
        let mut n = 0;
        let mut d = a;
        while d < b {
            d = d.tomorrow().unwrap_or(b);
            if self.is_working_day(d) {
                n += 1;
            }
        }
        sign * n
    }

    /// The instant a deadline on `day` ends: the close of business, local time.
    pub fn close_of(&self, day: Date) -> Timestamp {
        day.to_datetime(self.close_of_business)
            .to_zoned(vn_tz())
            .map(|z| z.timestamp())
            .unwrap_or_else(|_| Timestamp::MAX)
    }

    /// The local calendar day of an instant.
    pub fn local_day(at: Timestamp) -> Date {
        at.to_zoned(vn_tz()).date()
    }
}

/// Builds a date in tests and config checks without unwrapping everywhere.
#[cfg(test)]
pub fn day(y: i16, m: i8, d: i8) -> Date {
    Date::new(y, m, d).expect("a valid date")
}
