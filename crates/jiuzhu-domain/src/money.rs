//! Amounts of money (金额) held as integer fen (分), parsed from and printed as exact decimal strings.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a string is not an amount of money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount is empty")]
    Empty,
    #[error("amount is not a decimal number: {0:?}")]
    Invalid(String),
    #[error("amount has more than two decimal places: {0:?}")]
    TooManyDecimals(String),
    #[error("amount is too large: {0:?}")]
    Overflow(String),
}

/// An amount of money (金额) in yuan, stored exactly as a signed number of fen (1/100 yuan).
///
/// Never touches floating point. `Display` and serde use the decimal form with exactly
/// two decimals, e.g. `1234.50` or `-0.05`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Money(i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_fen(fen: i64) -> Money {
        Money(fen)
    }

    /// Whole yuan. Panics if `yuan * 100` overflows `i64`.
    pub const fn from_yuan(yuan: i64) -> Money {
        match yuan.checked_mul(100) {
            Some(fen) => Money(fen),
            None => panic!("Money::from_yuan overflow"),
        }
    }

    pub const fn fen(self) -> i64 {
        self.0
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Parses `-?DIGITS(.D{0,2})?`, e.g. `1234`, `1234.5`, `0.05`, `-3.10`.
    ///
    /// No whitespace, thousands separators, exponents or leading `+`; at least one digit
    /// before the point (a bare trailing point, `12.`, is read as `12.00`).
    pub fn parse(raw: &str) -> Result<Money, MoneyError> {
        if raw.is_empty() {
            return Err(MoneyError::Empty);
        }
        let invalid = || MoneyError::Invalid(raw.to_owned());
        let (negative, unsigned) = match raw.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let (int_part, frac_part) = match unsigned.split_once('.') {
            Some((i, f)) => (i, f),
            None => (unsigned, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int_part.is_empty() || !all_digits(int_part) || !all_digits(frac_part) {
            return Err(invalid());
        }
        if frac_part.len() > 2 {
            return Err(MoneyError::TooManyDecimals(raw.to_owned()));
        }
        let overflow = || MoneyError::Overflow(raw.to_owned());
        let mut fen: i64 = 0;
        for b in int_part.bytes() {
            fen = fen
                .checked_mul(10)
                .and_then(|v| v.checked_add(i64::from(b - b'0')))
                .ok_or_else(overflow)?;
        }
        let frac = frac_part
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(2)
            .fold(0i64, |acc, b| acc * 10 + i64::from(b - b'0'));
        fen = fen
            .checked_mul(100)
            .and_then(|v| v.checked_add(frac))
            .ok_or_else(overflow)?;
        Ok(Money(if negative { -fen } else { fen }))
    }

    pub fn checked_add(self, rhs: Money) -> Option<Money> {
        self.0.checked_add(rhs.0).map(Money)
    }

    pub fn checked_sub(self, rhs: Money) -> Option<Money> {
        self.0.checked_sub(rhs.0).map(Money)
    }

    pub fn checked_mul(self, factor: i64) -> Option<Money> {
        self.0.checked_mul(factor).map(Money)
    }

    /// `self * num / den`, computed exactly in `i128` and rounded half away from zero to
    /// the fen. Panics if `den` is zero or the result does not fit.
    pub fn mul_ratio_half_up(self, num: i64, den: i64) -> Money {
        assert!(den != 0, "Money::mul_ratio_half_up: zero denominator");
        let product = i128::from(self.0) * i128::from(num);
        let den = i128::from(den);
        let mut quotient = product / den;
        let remainder = product % den;
        if 2 * remainder.abs() >= den.abs() {
            quotient += if (product < 0) == (den < 0) { 1 } else { -1 };
        }
        Money(i64::try_from(quotient).expect("Money::mul_ratio_half_up overflow"))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        self.checked_add(rhs).expect("Money addition overflow")
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        self.checked_sub(rhs).expect("Money subtraction overflow")
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        *self = *self + rhs;
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        *self = *self - rhs;
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(self.0.checked_neg().expect("Money negation overflow"))
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        iter.copied().sum()
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Money::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    #[test]
    fn parses_valid_forms() {
        assert_eq!(m("1234").fen(), 123_400);
        assert_eq!(m("1234.5").fen(), 123_450);
        assert_eq!(m("1234.50").fen(), 123_450);
        assert_eq!(m("0.05").fen(), 5);
        assert_eq!(m("-3.10").fen(), -310);
        assert_eq!(m("-0.05").fen(), -5);
        assert_eq!(m("007").fen(), 700);
        assert_eq!(m("12.").fen(), 1200);
        assert_eq!(m("92233720368547758.07").fen(), i64::MAX);
    }

    #[test]
    fn refusals() {
        assert_eq!(Money::parse(""), Err(MoneyError::Empty));
        for bad in [
            ".", ".5", "-", "-.5", "12a", "1e5", "1,000", "1 000", " 12", "12 ", "+5", "1.2.3",
            "--1", "1.-2", "¥12",
        ] {
            assert!(
                matches!(Money::parse(bad), Err(MoneyError::Invalid(_))),
                "{bad:?} should be invalid"
            );
        }
        assert_eq!(
            Money::parse("1.234"),
            Err(MoneyError::TooManyDecimals("1.234".into()))
        );
        assert!(matches!(
            Money::parse("92233720368547758.08"),
            Err(MoneyError::Overflow(_))
        ));
        assert!(matches!(
            Money::parse("99999999999999999999"),
            Err(MoneyError::Overflow(_))
        ));
    }

    #[test]
    fn display_two_decimals() {
        assert_eq!(m("1234.5").to_string(), "1234.50");
        assert_eq!(Money::from_fen(-5).to_string(), "-0.05");
        assert_eq!(Money::ZERO.to_string(), "0.00");
        assert_eq!(Money::from_yuan(-3).to_string(), "-3.00");
        assert_eq!(
            Money::from_fen(i64::MIN).to_string(),
            "-92233720368547758.08"
        );
        for s in ["0.00", "1.01", "-12.30", "100000.99"] {
            assert_eq!(m(s).to_string(), s);
        }
    }

    #[test]
    fn arithmetic() {
        let mut total = m("10.50") + m("0.75") - m("1.25");
        assert_eq!(total, Money::from_yuan(10));
        total += m("0.01");
        assert_eq!(total.fen(), 1001);
        assert_eq!(-total, Money::from_fen(-1001));
        assert!((-total).is_negative());
        let sum: Money = [m("1"), m("2.5"), m("-0.5")].into_iter().sum();
        assert_eq!(sum, Money::from_yuan(3));
        assert_eq!(m("2.5").checked_mul(3), Some(m("7.5")));
        assert_eq!(Money::from_fen(i64::MAX).checked_mul(2), None);
        assert!(m("1") < m("1.01"));
    }

    #[test]
    fn ratio_rounds_half_away_from_zero() {
        let r =
            |fen: i64, num: i64, den: i64| Money::from_fen(fen).mul_ratio_half_up(num, den).fen();
        assert_eq!(r(1, 1, 2), 1);
        assert_eq!(r(-1, 1, 2), -1);
        assert_eq!(r(1, -1, 2), -1);
        assert_eq!(r(10, 1, 3), 3);
        assert_eq!(r(20, 1, 3), 7);
        assert_eq!(r(-20, 1, -3), 7);
        assert_eq!(r(-20, 1, 3), -7);
        assert_eq!(r(149, 1, 100), 1);
        assert_eq!(r(150, 1, 100), 2);
        assert_eq!(m("1000").mul_ratio_half_up(85, 100), m("850"));
        // i128 intermediate: no overflow even when fen * num exceeds i64.
        assert_eq!(
            Money::from_fen(i64::MAX).mul_ratio_half_up(3, 3),
            Money::from_fen(i64::MAX)
        );
    }

    #[test]
    fn serde_as_decimal_string() {
        assert_eq!(serde_json::to_string(&m("12.3")).unwrap(), "\"12.30\"");
        assert_eq!(
            serde_json::from_str::<Money>("\"-0.05\"").unwrap(),
            m("-0.05")
        );
        assert!(serde_json::from_str::<Money>("\"1.234\"").is_err());
        assert!(serde_json::from_str::<Money>("12").is_err());
    }
}
