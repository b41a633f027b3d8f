//! Resident identity card numbers (身份证号) per GB 11643-1999: parsing, check character, birth date, sex.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

/// Why a string is not a valid 18-character identity number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("identity number must be 18 characters, got {0}")]
    Length(usize),
    /// `position` is 1-based.
    #[error("identity number has a non-digit at position {position}")]
    NotDigit { position: usize },
    #[error("identity number has an impossible birth date {0}")]
    BadBirthDate(String),
    #[error("identity number has a wrong check character: expected {expected}, found {found}")]
    CheckCharacter { expected: char, found: char },
}

/// Sex (性别) as encoded by the 17th digit of an identity number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// Storage code: "M" or "F".
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "M",
            Sex::Female => "F",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
}

/// A validated 18-character identity number (身份证号).
///
/// The region prefix is kept but not checked against any list; the birth date and check
/// character are checked. `Debug` shows the masked form, and there is deliberately no
/// `Display`: callers choose between [`IdNumber::as_str`] and [`IdNumber::masked`].
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdNumber(String);

/// The check character for the first 17 digits, or `None` if the input is not 17 ASCII digits.
pub fn check_character(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = bytes
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(char::from(CHECK_CHARS[(sum % 11) as usize]))
}

impl IdNumber {
    /// Parses an identity number, trimming surrounding whitespace and upper-casing a final `x`.
    pub fn parse(raw: &str) -> Result<IdNumber, IdNumberError> {
        let s = raw.trim();
        let len = s.chars().count();
        if len != 18 {
            return Err(IdNumberError::Length(len));
        }
        // 18 chars; make sure they are all ASCII before slicing bytes.
        if let Some((i, _)) = s.char_indices().find(|(_, c)| !c.is_ascii()) {
            return Err(IdNumberError::NotDigit {
                position: s[..i].chars().count() + 1,
            });
        }
        let mut s = s.to_owned();
        s.make_ascii_uppercase();
        let bytes = s.as_bytes();
        if let Some(i) = bytes[..17].iter().position(|b| !b.is_ascii_digit()) {
            return Err(IdNumberError::NotDigit { position: i + 1 });
        }
        let found = char::from(bytes[17]);
        if !(found.is_ascii_digit() || found == 'X') {
            return Err(IdNumberError::NotDigit { position: 18 });
        }
        let birth = &s[6..14];
        if parse_birth(birth).is_none() {
            return Err(IdNumberError::BadBirthDate(birth.to_owned()));
        }
        let expected = check_character(&s[..17]).expect("17 ASCII digits checked above");
        if expected != found {
            return Err(IdNumberError::CheckCharacter { expected, found });
        }
        Ok(IdNumber(s))
    }

    /// The full 18-character number. Handle with care: this is personal data.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Birth date from characters 7-14.
    pub fn birth_date(&self) -> NaiveDate {
        parse_birth(&self.0[6..14]).expect("validated at parse")
    }

    /// Sex from the 17th digit: odd is male, even is female.
    pub fn sex(&self) -> Sex {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The 6-digit administrative region prefix (unvalidated).
    pub fn region_prefix(&self) -> &str {
        &self.0[..6]
    }

    /// First 6 + `********` + last 4, e.g. `330326********123X`.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..6], &self.0[14..])
    }
}

fn parse_birth(yyyymmdd: &str) -> Option<NaiveDate> {
    let y: i32 = yyyymmdd.get(0..4)?.parse().ok()?;
    let m: u32 = yyyymmdd.get(4..6)?.parse().ok()?;
    let d: u32 = yyyymmdd.get(6..8)?.parse().ok()?;
    NaiveDate::from_ymd_opt(y, m, d).filter(|date| (1850..=2100).contains(&date.year()))
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IdNumber").field(&self.masked()).finish()
    }
}

impl FromStr for IdNumber {
    type Err = IdNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IdNumber::parse(s)
    }
}

impl Serialize for IdNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for IdNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        IdNumber::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn standard_examples_are_valid() {
        let a = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(a.sex(), Sex::Female);
        assert_eq!(a.birth_date(), date(1949, 12, 31));
        assert_eq!(a.region_prefix(), "110105");
        let b = IdNumber::parse("440524188001010014").unwrap();
        assert_eq!(b.sex(), Sex::Male);
        assert_eq!(b.birth_date(), date(1880, 1, 1));
    }

    #[test]
    fn wrong_check_character_names_expected() {
        assert_eq!(
            IdNumber::parse("110105194912310023"),
            Err(IdNumberError::CheckCharacter {
                expected: 'X',
                found: '3'
            })
        );
        assert_eq!(
            IdNumber::parse("44052418800101001X"),
            Err(IdNumberError::CheckCharacter {
                expected: '4',
                found: 'X'
            })
        );
        let msg = IdNumber::parse("110105194912310023")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("expected X, found 3"), "{msg}");
    }

    #[test]
    fn lowercase_x_and_whitespace() {
        let id = IdNumber::parse("  11010519491231002x\n").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!("11010519491231002x".parse::<IdNumber>().unwrap(), id);
    }

    #[test]
    fn length_and_digits() {
        assert_eq!(
            IdNumber::parse("11010519491231002"),
            Err(IdNumberError::Length(17))
        );
        assert_eq!(
            IdNumber::parse("11010519491231002X1"),
            Err(IdNumberError::Length(19))
        );
        assert_eq!(
            IdNumber::parse("1101A519491231002X"),
            Err(IdNumberError::NotDigit { position: 5 })
        );
        assert_eq!(
            IdNumber::parse("11010519491231002Y"),
            Err(IdNumberError::NotDigit { position: 18 })
        );
        assert_eq!(
            IdNumber::parse("11010519491231002Ｘ"),
            Err(IdNumberError::NotDigit { position: 18 })
        );
        assert!(IdNumber::parse("11010519491231002X").is_ok());
    }

    #[test]
    fn impossible_birth_dates() {
        for birth in ["19990229", "19991331", "18491231", "21010101", "20000000"] {
            let first17 = format!("110105{birth}002");
            let check = check_character(&first17).unwrap();
            assert_eq!(
                IdNumber::parse(&format!("{first17}{check}")),
                Err(IdNumberError::BadBirthDate(birth.to_owned()))
            );
        }
        let first17 = "11010520000229001";
        let id = format!("{first17}{}", check_character(first17).unwrap());
        assert_eq!(
            IdNumber::parse(&id).unwrap().birth_date(),
            date(2000, 2, 29)
        );
    }

    #[test]
    fn masked_and_debug() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(id.masked(), "110105********002X");
        let dbg = format!("{id:?}");
        assert!(dbg.contains("110105********002X"));
        assert!(!dbg.contains("19491231"));
    }

    #[test]
    fn serde_round_trip() {
        let id = IdNumber::parse("440524188001010014").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"440524188001010014\"");
        assert_eq!(serde_json::from_str::<IdNumber>(&json).unwrap(), id);
        assert!(serde_json::from_str::<IdNumber>("\"440524188001010015\"").is_err());
    }

    #[test]
    fn computed_check_character_always_parses() {
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..20_000u64 {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let region = (seed >> 33) % 1_000_000;
            let day = date(1850, 1, 1) + chrono::Days::new(i * 4 % 91_000);
            let seq = (seed >> 13) % 1000;
            let first17 = format!("{region:06}{}{seq:03}", day.format("%Y%m%d"));
            let check = check_character(&first17).unwrap();
            let id = IdNumber::parse(&format!("{first17}{check}")).unwrap();
            assert_eq!(id.birth_date(), day);
            assert_eq!(id.sex() == Sex::Male, seq % 2 == 1);
        }
        assert_eq!(check_character("1234"), None);
        assert_eq!(check_character("1101051949123100A"), None);
    }
}
