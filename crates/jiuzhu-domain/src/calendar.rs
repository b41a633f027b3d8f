//! Working days (工作日) under the official holiday calendar, with make-up working days
//! (调休): deadlines of approval steps count these. The shipped calendar is
//! `data/calendar.txt`; an administrator's edited copy is parsed the same way.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use crate::dated::parse_date;

/// The holiday arrangement of some years.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    /// Days off on weekdays (and weekend days inside a holiday), with the holiday's name.
    holidays: BTreeMap<NaiveDate, String>,
    /// Weekend days that are working days.
    workdays: BTreeMap<NaiveDate, String>,
    /// Years whose arrangement is complete.
    years: BTreeSet<i32>,
}

/// A line of a calendar file that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct CalendarError {
    pub line: usize,
    pub reason: String,
}

/// The calendar shipped with jiuzhu.
pub const SHIPPED: &str = include_str!("../data/calendar.txt");

impl WorkCalendar {
    /// Parses a calendar file (see `data/calendar.txt` for the format).
    pub fn parse(text: &str) -> Result<WorkCalendar, CalendarError> {
        let mut cal = WorkCalendar::default();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let l = raw.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let mut parts = l.split_whitespace();
            let (first, kind) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let name = parts.collect::<Vec<_>>().join(" ");
            let err = |reason: String| CalendarError { line, reason };
            if first == "year" {
                cal.years.insert(
                    kind.parse()
                        .map_err(|_| err(format!("bad year {kind:?}")))?,
                );
                continue;
            }
            let date = parse_date(first).map_err(|e| err(e.to_string()))?;
            match kind {
                "holiday" => {
                    cal.holidays.insert(date, name);
                }
                "workday" => {
                    if !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
                        return Err(err(format!(
                            "{date} is a weekday already; a make-up working day is a weekend day"
                        )));
                    }
                    cal.workdays.insert(date, name);
                }
                other => return Err(err(format!("expected holiday or workday, found {other:?}"))),
            }
        }
        Ok(cal)
    }

    /// The shipped calendar.
    pub fn shipped() -> WorkCalendar {
        WorkCalendar::parse(SHIPPED).expect("the shipped calendar parses")
    }

    /// Whether the calendar covers `year` (otherwise only weekends count as days off).
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.workdays.contains_key(&d) {
            return true;
        }
        if self.holidays.contains_key(&d) {
            return false;
        }
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// The date `n` working days after `from` (`from` itself not counted); `from` for 0.
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut d = from;
        let mut left = n;
        while left > 0 {
            d += Duration::days(1);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// Working days from `from` to `to` (`from` not counted, `to` counted): how many are
    /// left before a deadline; negative by the working days past it, 0 on the day itself.
    pub fn working_days_until(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let (lo, hi, sign) = if to >= from {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let mut n = 0;
        let mut d = lo;
        while d < hi {
            d += Duration::days(1);
            if self.is_working_day(d) {
                n += 1;
            }
        }
        sign * n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn working_days_until_a_deadline_count_both_ways() {
        let cal = WorkCalendar::shipped();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // Monday 2026-11-02 to Friday 2026-11-06: four working days left; the weekend adds none.
        assert_eq!(cal.working_days_until(d("2026-11-02"), d("2026-11-06")), 4);
        assert_eq!(cal.working_days_until(d("2026-11-06"), d("2026-11-08")), 0);
        assert_eq!(cal.working_days_until(d("2026-11-06"), d("2026-11-06")), 0);
        assert_eq!(cal.working_days_until(d("2026-11-09"), d("2026-11-06")), -1);
        for n in 0..30 {
            let from = d("2026-09-28");
            assert_eq!(
                cal.working_days_until(from, cal.add_working_days(from, n)),
                i64::from(n)
            );
        }
    }

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn national_day_2026_and_its_make_up_saturday() {
        let cal = WorkCalendar::shipped();
        assert!(cal.covers(2026) && !cal.covers(2027));
        assert_eq!(cal.add_working_days(d("2026-09-30"), 3), d("2026-10-10"));
        assert!(
            cal.is_working_day(d("2026-10-10")),
            "Saturday 10 October is a make-up working day"
        );
        assert!(!cal.is_working_day(d("2026-10-05")));
        assert!(
            cal.is_working_day(d("2026-09-20")),
            "Sunday 20 September too"
        );
        assert!(!cal.is_working_day(d("2026-10-11")), "an ordinary Sunday");
    }

    #[test]
    fn spring_festival_and_ordinary_weeks() {
        let cal = WorkCalendar::shipped();
        // Friday 13 February + 1 working day: Saturday the 14th is a make-up day.
        assert_eq!(cal.add_working_days(d("2026-02-13"), 1), d("2026-02-14"));
        // From the 14th, the next working day is after the nine days off.
        assert_eq!(cal.add_working_days(d("2026-02-14"), 1), d("2026-02-24"));
        // An ordinary week: Monday + 5 is the next Monday.
        assert_eq!(cal.add_working_days(d("2026-03-02"), 5), d("2026-03-09"));
        assert_eq!(cal.add_working_days(d("2026-03-02"), 0), d("2026-03-02"));
    }

    #[test]
    fn bad_lines_are_named() {
        assert_eq!(
            WorkCalendar::parse("year 2026\n2026-13-01 holiday x\n")
                .unwrap_err()
                .line,
            2
        );
        let e = WorkCalendar::parse("2026-10-09 workday x\n").unwrap_err();
        assert!(e.reason.contains("weekday already"), "{e}");
        assert!(WorkCalendar::parse("2026-10-09 off x\n").is_err());
    }
}
