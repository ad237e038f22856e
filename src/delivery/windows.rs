//! Daily maintenance windows of a receiving system (docs/operations.md): systems switched off at
//! night queue their work quietly instead of burning attempts and filling logs with errors.
//! Pure: the local time comes in.

use jiff::civil::{DateTime, Time};
use jiff::ToSpan;

/// A daily window in local time, `"22:00-06:00"`; one that ends before it starts runs past
/// midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    from: Time,
    to: Time,
}

impl Window {
    /// Reads `"HH:MM-HH:MM"`.
    pub fn parse(s: &str) -> Result<Window, String> {
        let bad = || format!("'{s}' is not a daily window like \"22:00-06:00\"");
        let (from, to) = s.split_once('-').ok_or_else(bad)?;
        let time = |t: &str| Time::strptime("%H:%M", t.trim()).map_err(|_| bad());
        let w = Window {
            from: time(from)?,
            to: time(to)?,
        };
        if w.from == w.to {
            return Err(format!("'{s}' starts and ends at the same time"));
        }
        Ok(w)
    }

    /// When the window `now` falls in ends, or `None` outside it.
    pub fn end(&self, now: DateTime) -> Option<DateTime> {
        let t = now.time();
        let today_end = now.date().to_datetime(self.to);
        if self.from < self.to {
            (t >= self.from && t < self.to).then_some(today_end)
        } else if t >= self.from {
            today_end.checked_add(1.day()).ok()
        } else {
            (t < self.to).then_some(today_end)
        }
    }
}

/// The latest end among the windows `now` falls in (several may overlap).
pub fn held_until(windows: &[Window], now: DateTime) -> Option<DateTime> {
    windows.iter().filter_map(|w| w.end(now)).max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    #[test]
    fn a_night_window_runs_past_midnight() {
        let w = Window::parse("22:00-06:00").unwrap();
        let at = |h, m| date(2026, 11, 23).at(h, m, 0, 0);
        assert_eq!(w.end(at(23, 30)), Some(date(2026, 11, 24).at(6, 0, 0, 0)));
        assert_eq!(w.end(at(5, 59)), Some(at(6, 0)));
        assert_eq!(w.end(at(6, 0)), None);
        assert_eq!(w.end(at(12, 0)), None);
        let noon = Window::parse("12:00-13:30").unwrap();
        assert_eq!(noon.end(at(12, 0)), Some(at(13, 30)));
        assert_eq!(noon.end(at(13, 30)), None);
        assert!(Window::parse("25:00-06:00").is_err());
        assert!(Window::parse("06:00").is_err());
        assert!(Window::parse("06:00-06:00").is_err());
    }

    proptest! {
        #[test]
        fn an_end_is_always_after_now_and_within_a_day(
            fh in 0i8..24, fm in 0i8..60, th in 0i8..24, tm in 0i8..60, h in 0i8..24, m in 0i8..60,
        ) {
            prop_assume!((fh, fm) != (th, tm));
            let w = Window { from: Time::constant(fh, fm, 0, 0), to: Time::constant(th, tm, 0, 0) };
            let now = date(2026, 11, 23).at(h, m, 0, 0);
            if let Some(end) = w.end(now) {
                prop_assert!(end > now);
                prop_assert!(end <= now.checked_add(1.day()).unwrap());
                prop_assert_eq!(end.time(), w.to);
                // Just before the end is inside the window, the end itself is not.
                prop_assert!(w.end(end).is_none());
            }
        }
    }
}
