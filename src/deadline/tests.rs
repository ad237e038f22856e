use std::path::PathBuf;

use jiff::civil::{Date, Time};
use jiff::Timestamp;
use proptest::prelude::*;

use super::calendar::day;
use super::*;
use crate::config::calendar_files::{load_calendar, load_regimes};

fn config_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")
}

fn shipped() -> (Calendar, Regimes) {
    let mut problems = Vec::new();
    let cal = load_calendar(
        &config_dir().join("calendar"),
        Time::constant(15, 0, 0, 0),
        Time::constant(17, 0, 0, 0),
        &mut problems,
    );
    let regimes = load_regimes(&config_dir().join("regimes.toml"), &mut problems).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    (cal, regimes)
}

/// A local Vietnamese time.
fn vn(s: &str) -> Timestamp {
    format!("{s}+07:00[Asia/Ho_Chi_Minh]")
        .parse::<jiff::Zoned>()
        .map(|z| z.timestamp())
        .or_else(|_| format!("{s}+07:00").parse::<Timestamp>())
        .unwrap()
}

fn due_day(regime: &str, received: &str, verification: bool) -> Date {
    let (cal, regimes) = shipped();
    plan(&cal, &regimes.by_name[regime], vn(received), verification)
        .case
        .day
}

#[test]
fn shipped_files_hold_the_official_days() {
    let (cal, regimes) = shipped();
    assert_eq!(regimes.default_regime().0, "khanh-vinh-8d");
    for holiday in [
        day(2025, 1, 27),
        day(2025, 5, 2),
        day(2026, 2, 18),
        day(2026, 4, 27),
        day(2026, 9, 2),
    ] {
        assert!(!cal.is_working_day(holiday), "{holiday}");
    }
    for saturday in [day(2025, 4, 26), day(2026, 1, 10), day(2026, 8, 22)] {
        assert!(cal.is_working_day(saturday), "{saturday}");
    }
    assert!(!cal.is_working_day(day(2026, 8, 29)), "an ordinary Saturday");
    assert_eq!(cal.provisional_years(), vec![2027]);
    assert!(
        !cal.is_working_day(day(2027, 5, 3)),
        "compensation for 1/5/2027 on a Saturday"
    );
}

#[test]
fn friday_after_the_cut_off_counts_from_monday() {
    // Received Fri 20/11/2026 16:00: the receipt day is Mon 23/11, day 1 of 8.
    let (cal, regimes) = shipped();
    let p = plan(
        &cal,
        &regimes.by_name["khanh-vinh-8d"],
        vn("2026-11-20T16:00:00"),
        false,
    );
    assert_eq!(p.receipt_day, day(2026, 11, 23));
    assert_eq!(
        p.residence.day,
        day(2026, 11, 26),
        "day 4: delivered in 1, decided in 2"
    );
    assert_eq!(p.insurance.day, day(2026, 12, 1), "day 7: delivered in 1, card in 5");
    assert_eq!(p.case.day, day(2026, 12, 2), "day 8");
    assert_eq!(p.case.due_at, vn("2026-12-02T17:00:00"));
    assert_eq!(p.case.at_risk_at, vn("2026-12-01T17:00:00"), "one working day before");
    assert!(!p.calendar_missing);
    // The same Friday before the cut-off is day 1 itself.
    assert_eq!(due_day("khanh-vinh-8d", "2026-11-20T14:59:00", false), day(2026, 12, 1));
}

#[test]
fn regime_switch_nd63_with_and_without_verification() {
    // Same Friday 16:00 under decree 63/2024: counted from the working day after Monday.
    assert_eq!(due_day("nd63-2024", "2026-11-20T16:00:00", false), day(2026, 11, 26));
    assert_eq!(due_day("nd63-2024", "2026-11-20T16:00:00", true), day(2026, 11, 30));
    assert_eq!(due_day("khanh-vinh-8d", "2026-11-20T16:00:00", true), day(2026, 12, 2));
    let (cal, regimes) = shipped();
    let p = plan(&cal, &regimes.by_name["nd63-2024"], vn("2026-11-20T16:00:00"), true);
    assert_eq!(p.residence.day, day(2026, 11, 30), "5 working days with verification");
    assert_eq!(p.insurance.day, day(2026, 11, 25), "the card still in 2");
}

#[test]
fn working_day_before_tet_2026_skips_the_whole_holiday() {
    // Fri 13/02/2026 is day 1; Tết Bính Ngọ is 16–20/02; day 8 is Tue 03/03.
    assert_eq!(due_day("khanh-vinh-8d", "2026-02-13T09:00:00", false), day(2026, 3, 3));
    assert_eq!(due_day("nd63-2024", "2026-02-13T09:00:00", false), day(2026, 2, 25));
}

#[test]
fn working_day_before_tet_2027_uses_the_provisional_days() {
    // Wed 03/02/2027 is day 1; the placeholder Tết is 04–10/02; day 8 is Fri 19/02.
    assert_eq!(due_day("khanh-vinh-8d", "2027-02-03T10:00:00", false), day(2027, 2, 19));
}

#[test]
fn a_make_up_saturday_is_a_working_day() {
    // Sat 22/08/2026 is worked; 31/08–02/09 are off: day 8 is Fri 04/09.
    assert_eq!(due_day("khanh-vinh-8d", "2026-08-22T09:00:00", false), day(2026, 9, 4));
    // Sat 10/01/2026 too, so a case received then counts it as day 1.
    let (cal, _) = shipped();
    assert_eq!(cal.receipt_day(vn("2026-01-10T08:00:00")), day(2026, 1, 10));
}

#[test]
fn a_deadline_that_would_fall_on_national_day_moves_past_it() {
    // Weekdays only would give Wed 02/09/2026; the real due day is Mon 07/09.
    assert_eq!(due_day("nd63-2024", "2026-08-28T10:00:00", false), day(2026, 9, 7));
}

#[test]
fn a_year_without_a_file_counts_weekends_only_and_says_so() {
    let (cal, regimes) = shipped();
    let p = plan(
        &cal,
        &regimes.by_name["khanh-vinh-8d"],
        vn("2029-02-12T09:00:00"),
        false,
    );
    assert!(p.calendar_missing);
    // Mon 12/02/2029 + 7 weekdays, Tết ignored.
    assert_eq!(p.case.day, day(2029, 2, 21));
}

#[test]
fn clock_states_follow_the_margin() {
    let (cal, _) = shipped();
    let due = Due::on(&cal, day(2026, 12, 2), 1);
    let at = |s: &str| {
        ClockState::at(
            vn(s).as_millisecond(),
            due.at_risk_at.as_millisecond(),
            due.due_at.as_millisecond(),
        )
    };
    assert_eq!(at("2026-12-01T16:59:59"), ClockState::OnTrack);
    assert_eq!(at("2026-12-01T17:00:00"), ClockState::AtRisk);
    assert_eq!(at("2026-12-02T17:00:00"), ClockState::AtRisk);
    assert_eq!(at("2026-12-02T17:00:01"), ClockState::Overdue);
}

#[test]
fn punctuality_by_day_and_close_of_business() {
    let (cal, _) = shipped();
    let due = Due::on(&cal, day(2026, 12, 2), 1);
    let of = |s: &str| Punctuality::of(vn(s), due.day, due.due_at);
    assert_eq!(of("2026-12-01T16:00:00"), Punctuality::Early);
    assert_eq!(of("2026-12-02T16:59:00"), Punctuality::OnTime);
    assert_eq!(of("2026-12-02T17:30:00"), Punctuality::Late);
}

#[test]
fn supplement_pause_keeps_used_days_and_restart_gives_them_back() {
    let (cal, regimes) = shipped();
    let mut regime = regimes.by_name["khanh-vinh-8d"].clone();
    // Received Mon 23/11/2026: insurance due Tue 01/12, case Wed 02/12.
    let p = plan(&cal, &regime, vn("2026-11-23T09:00:00"), false);
    // Supplement asked Wed 25/11 10:00: 4 working days left on the leg, 5 on the case.
    let paused = pause(&cal, &regime, vn("2026-11-25T10:00:00"), p.insurance.day, p.case.day);
    assert_eq!((paused.leg_days_left, paused.case_days_left), (4, 5));
    assert_eq!(paused.window_ends_at, vn("2026-12-04T17:00:00"), "7 working days");
    // Supplement arrives Mon 30/11 09:00.
    let back = vn("2026-11-30T09:00:00");
    let (leg, case) = resume(&cal, &regime, &regime.insurance, false, &paused, back, p.case.day);
    assert_eq!((leg.day, case.day), (day(2026, 12, 4), day(2026, 12, 7)));
    regime.on_supplement = OnSupplement::Restart;
    let (leg, case) = resume(&cal, &regime, &regime.insurance, false, &paused, back, p.case.day);
    assert_eq!(leg.day, day(2026, 12, 8), "the full 6 working days again");
    assert_eq!(case.day, day(2026, 12, 9), "plus the 1-day reserve");
}

#[test]
fn working_days_taken_counts_the_receipt_day_as_day_one() {
    let (cal, regimes) = shipped();
    let r = &regimes.by_name["khanh-vinh-8d"];
    assert_eq!(
        working_days_taken(&cal, r, day(2026, 11, 23), vn("2026-11-23T16:00:00")),
        1
    );
    assert_eq!(
        working_days_taken(&cal, r, day(2026, 11, 23), vn("2026-12-02T10:00:00")),
        8
    );
}

fn any_day() -> impl Strategy<Value = Date> {
    // 2024 to 2028: years without a file on both sides of the shipped ones.
    (0i32..(5 * 366)).prop_map(|n| day(2024, 1, 1).checked_add(jiff::Span::new().days(n)).unwrap())
}

fn any_instant() -> impl Strategy<Value = Timestamp> {
    (0i64..(5 * 366 * 24 * 60)).prop_map(|m| vn("2024-01-01T00:00:00") + jiff::SignedDuration::from_mins(m))
}

proptest! {
    #[test]
    fn adding_working_days_lands_on_a_working_day(d in any_day(), n in 0u32..40) {
        let (cal, _) = shipped();
        prop_assert!(cal.is_working_day(cal.add_working_days(d, n)));
    }

    #[test]
    fn adding_is_monotonic_in_n_and_in_the_start(d in any_day(), e in any_day(), n in 0u32..40) {
        let (cal, _) = shipped();
        prop_assert!(cal.add_working_days(d, n) < cal.add_working_days(d, n + 1));
        let (a, b) = if d <= e { (d, e) } else { (e, d) };
        prop_assert!(cal.add_working_days(a, n) <= cal.add_working_days(b, n));
    }

    #[test]
    fn receipt_day_is_monotonic_in_the_instant(t in any_instant(), u in any_instant()) {
        let (cal, _) = shipped();
        let (a, b) = if t <= u { (t, u) } else { (u, t) };
        prop_assert!(cal.receipt_day(a) <= cal.receipt_day(b));
        prop_assert!(cal.is_working_day(cal.receipt_day(a)));
        prop_assert!(cal.receipt_day(a) >= Calendar::local_day(a));
    }

    #[test]
    fn counting_round_trips_with_adding(t in any_instant(), n in 0u32..40) {
        let (cal, _) = shipped();
        let start = cal.receipt_day(t);
        let end = cal.add_working_days(start, n);
        prop_assert_eq!(cal.working_days_between(start, end), n as i64);
        prop_assert_eq!(cal.working_days_between(end, start), -(n as i64));
        prop_assert_eq!(cal.sub_working_days(end, n), start);
    }

    #[test]
    fn make_up_saturdays_count_and_holidays_do_not(d in any_day(), n in 1u32..30) {
        let (cal, _) = shipped();
        let end = cal.add_working_days(d, n);
        let mut walked = Vec::new();
        let mut x = d;
        while x < end {
            x = x.tomorrow().unwrap();
            walked.push(x);
        }
        let counted = walked.iter().filter(|x| cal.is_working_day(**x)).count() as i64;
        prop_assert_eq!(counted, cal.working_days_between(d, end));
        for x in walked {
            if [day(2025, 4, 26), day(2026, 1, 10), day(2026, 8, 22)].contains(&x) {
                prop_assert!(cal.is_working_day(x));
            }
            if [day(2026, 2, 16), day(2026, 9, 2), day(2025, 9, 1)].contains(&x) {
                prop_assert!(!cal.is_working_day(x));
            }
        }
    }
}

/// Hand-checked on the official calendar: the police's verification request moves the
/// appointment by exactly the 2 working days decree 63/2024 adds (3 → 5), and the residence
/// leg to its 5-day budget.
#[test]
fn verification_moves_the_dates_around_holidays() {
    let (cal, regimes) = shipped();
    let nd63 = &regimes.by_name["nd63-2024"];
    // Around 2/9/2026 (Mon 31 August, Tue 1 and Wed 2 September off): received Thu 27/8 at
    // 10:00, counted from Fri 28/8 (day 1), then Thu 3/9 (2), Fri 4/9 (3), Mon 7/9, Tue 8/9.
    let p = plan(&cal, nd63, vn("2026-08-27T10:00:00"), false);
    assert_eq!((p.residence.day, p.case.day), (day(2026, 9, 3), day(2026, 9, 4)));
    let (leg, case) = extend_for_verification(&cal, nd63, p.residence.day, p.case.day);
    assert_eq!((leg.day, case.day), (day(2026, 9, 8), day(2026, 9, 8)));
    // Around Tết 2027 (4–10 February off): received Tue 2/2/2027 at 10:00, counted from Wed 3/2
    // (day 1), then Thu 11/2 (2), Fri 12/2 (3), Mon 15/2, Tue 16/2.
    let p = plan(&cal, nd63, vn("2027-02-02T10:00:00"), false);
    assert_eq!((p.residence.day, p.case.day), (day(2027, 2, 11), day(2027, 2, 12)));
    let (leg, case) = extend_for_verification(&cal, nd63, p.residence.day, p.case.day);
    assert_eq!((leg.day, case.day), (day(2027, 2, 16), day(2027, 2, 16)));
}

proptest! {
    /// Extending an unpaused plan is the same as planning with verification from the start.
    #[test]
    fn extending_equals_planning_with_verification(minutes in 0i64..(2 * 365 * 24 * 60)) {
        let (cal, regimes) = shipped();
        let nd63 = &regimes.by_name["nd63-2024"];
        let at = vn("2026-01-01T00:00:00") + jiff::SignedDuration::from_mins(minutes);
        let without = plan(&cal, nd63, at, false);
        let with = plan(&cal, nd63, at, true);
        let (leg, case) = extend_for_verification(&cal, nd63, without.residence.day, without.case.day);
        prop_assert_eq!(leg, with.residence);
        prop_assert_eq!(case, with.case);
    }
}
