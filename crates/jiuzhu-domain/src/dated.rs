//! Calendar dates (日期): strict parsing, age in full years, and values valid over a date range.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Why a string is not a `YYYY-MM-DD` date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("date must be written YYYY-MM-DD: {0:?}")]
    Format(String),
    #[error("impossible date {0}")]
    Impossible(String),
}

/// Parses exactly `YYYY-MM-DD` (ten characters, zero-padded, no whitespace).
pub fn parse_date(s: &str) -> Result<NaiveDate, DateError> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shape_ok {
        return Err(DateError::Format(s.to_owned()));
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().expect("digits checked");
    let year = i32::try_from(num(0..4)).expect("four digits fit");
    NaiveDate::from_ymd_opt(year, num(5..7), num(8..10))
        .ok_or_else(|| DateError::Impossible(s.to_owned()))
}

/// Age in full years (周岁) on `on`; 0 if `on` is before `birth`.
///
/// Someone born on 29 February turns a year older on 1 March in common years.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    if on <= birth {
        return 0;
    }
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

/// A value valid over the half-open interval `[valid_from, valid_to)` (有效期); an open end
/// (`None`) means "until further notice".
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Dated<T> {
    pub value: T,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

impl<T> Dated<T> {
    pub fn new(value: T, valid_from: NaiveDate, valid_to: Option<NaiveDate>) -> Dated<T> {
        Dated {
            value,
            valid_from,
            valid_to,
        }
    }

    /// True when `valid_from <= date < valid_to`.
    pub fn is_valid_on(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && self.valid_to.is_none_or(|to| date < to)
    }
}

/// The value in force on `date`: among items valid that day, the one with the latest
/// `valid_from` (the later one in the slice on a tie).
pub fn value_on<T>(items: &[Dated<T>], date: NaiveDate) -> Option<&T> {
    items
        .iter()
        .filter(|d| d.is_valid_on(date))
        .max_by_key(|d| d.valid_from)
        .map(|d| &d.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn strict_date_format() {
        assert_eq!(
            d("2026-03-01"),
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
        );
        for bad in [
            "2026-3-01",
            "2026/03/01",
            "20260301",
            " 2026-03-01",
            "2026-03-01T00",
            "",
            "２026-03-01",
        ] {
            assert!(
                matches!(parse_date(bad), Err(DateError::Format(_))),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_date("2026-02-29"),
            Err(DateError::Impossible("2026-02-29".into()))
        );
        assert!(parse_date("2026-13-01").is_err());
        assert!(parse_date("2024-02-29").is_ok());
    }

    #[test]
    fn age_in_full_years() {
        let birth = d("2010-11-01");
        assert_eq!(age_on(birth, d("2026-11-01")), 16);
        assert_eq!(age_on(birth, d("2026-10-31")), 15);
        assert_eq!(age_on(birth, birth), 0);
        assert_eq!(age_on(birth, d("2000-01-01")), 0);
        let leap = d("2008-02-29");
        assert_eq!(age_on(leap, d("2026-02-28")), 17);
        assert_eq!(age_on(leap, d("2026-03-01")), 18);
        assert_eq!(age_on(leap, d("2028-02-29")), 20);
    }

    #[test]
    fn dated_values() {
        let items = vec![
            Dated::new("old", d("2020-01-01"), Some(d("2024-01-01"))),
            Dated::new("new", d("2024-01-01"), None),
            Dated::new("temp", d("2025-06-01"), Some(d("2025-07-01"))),
        ];
        assert_eq!(value_on(&items, d("2019-12-31")), None);
        assert_eq!(value_on(&items, d("2023-12-31")), Some(&"old"));
        assert_eq!(value_on(&items, d("2024-01-01")), Some(&"new"));
        assert_eq!(value_on(&items, d("2025-06-15")), Some(&"temp"));
        assert_eq!(value_on(&items, d("2025-07-01")), Some(&"new"));
        assert!(!items[0].is_valid_on(d("2024-01-01")));
        assert!(items[0].is_valid_on(d("2020-01-01")));
    }
}
