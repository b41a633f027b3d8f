//! Administrative division codes (行政区划代码) from province down to village, and their hierarchy.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Level of an administrative division, derived from the code length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RegionLevel {
    Province,
    City,
    County,
    Township,
    Village,
}

impl RegionLevel {
    pub const ALL: [RegionLevel; 5] = [
        RegionLevel::Province,
        RegionLevel::City,
        RegionLevel::County,
        RegionLevel::Township,
        RegionLevel::Village,
    ];

    /// 1 for province through 5 for village.
    pub fn depth(self) -> u8 {
        match self {
            RegionLevel::Province => 1,
            RegionLevel::City => 2,
            RegionLevel::County => 3,
            RegionLevel::Township => 4,
            RegionLevel::Village => 5,
        }
    }

    /// Number of digits in a code of this level: 2, 4, 6, 9 or 12.
    pub fn code_len(self) -> usize {
        match self {
            RegionLevel::Province => 2,
            RegionLevel::City => 4,
            RegionLevel::County => 6,
            RegionLevel::Township => 9,
            RegionLevel::Village => 12,
        }
    }

    pub fn from_code_len(len: usize) -> Option<RegionLevel> {
        RegionLevel::ALL.into_iter().find(|l| l.code_len() == len)
    }

    /// The level one step up, if any.
    pub fn parent(self) -> Option<RegionLevel> {
        RegionLevel::ALL
            .into_iter()
            .find(|l| l.depth() + 1 == self.depth())
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            RegionLevel::Province => "省",
            RegionLevel::City => "市",
            RegionLevel::County => "县",
            RegionLevel::Township => "乡镇",
            RegionLevel::Village => "村",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            RegionLevel::Province => "province",
            RegionLevel::City => "city",
            RegionLevel::County => "county",
            RegionLevel::Township => "township",
            RegionLevel::Village => "village",
        }
    }
}

/// Why a string is not a region code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionCodeError {
    #[error("region code must be 2, 4, 6, 9 or 12 digits, got {0} characters")]
    Length(usize),
    #[error("region code must contain only ASCII digits: {0}")]
    NotDigit(String),
}

/// An administrative division code (行政区划代码) of 2, 4, 6, 9 or 12 digits.
///
/// Codes are structural only: whether the code exists in the official list is the
/// business of the regions crate.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(raw: &str) -> Result<RegionCode, RegionCodeError> {
        if !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RegionCodeError::NotDigit(raw.to_owned()));
        }
        if RegionLevel::from_code_len(raw.len()).is_none() {
            return Err(RegionCodeError::Length(raw.len()));
        }
        Ok(RegionCode(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> RegionLevel {
        RegionLevel::from_code_len(self.0.len()).expect("length validated at parse")
    }

    /// The enclosing division (12→9→6→4→2), or `None` for a province.
    pub fn parent(&self) -> Option<RegionCode> {
        let parent = self.level().parent()?;
        Some(RegionCode(self.0[..parent.code_len()].to_owned()))
    }

    /// True when `other` lies within `self` (inclusive: a code contains itself).
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.0.starts_with(&self.0)
    }

    /// The county (6 digits) this code belongs to, when it is county level or below.
    pub fn county(&self) -> Option<RegionCode> {
        (self.level() >= RegionLevel::County).then(|| RegionCode(self.0[..6].to_owned()))
    }

    /// All enclosing divisions, nearest first, excluding `self`.
    pub fn ancestors(&self) -> Vec<RegionCode> {
        std::iter::successors(self.parent(), RegionCode::parent).collect()
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for RegionCode {
    type Err = RegionCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RegionCode::parse(s)
    }
}

impl Serialize for RegionCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RegionCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        RegionCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn levels_by_length() {
        for (s, level) in [
            ("33", RegionLevel::Province),
            ("3303", RegionLevel::City),
            ("330326", RegionLevel::County),
            ("330326001", RegionLevel::Township),
            ("330326001001", RegionLevel::Village),
        ] {
            let c = code(s);
            assert_eq!(c.level(), level);
            assert_eq!(level.code_len(), s.len());
            assert_eq!(c.to_string(), s);
        }
        assert_eq!(RegionLevel::Village.depth(), 5);
        assert_eq!(RegionLevel::Township.label_zh(), "乡镇");
    }

    #[test]
    fn refusals() {
        assert_eq!(RegionCode::parse(""), Err(RegionCodeError::Length(0)));
        assert_eq!(RegionCode::parse("330"), Err(RegionCodeError::Length(3)));
        assert_eq!(
            RegionCode::parse("3303260010010"),
            Err(RegionCodeError::Length(13))
        );
        assert!(matches!(
            RegionCode::parse("33a326"),
            Err(RegionCodeError::NotDigit(_))
        ));
        assert!(matches!(
            RegionCode::parse(" 330326"),
            Err(RegionCodeError::NotDigit(_))
        ));
    }

    #[test]
    fn hierarchy() {
        let village = code("330326001001");
        assert_eq!(village.parent(), Some(code("330326001")));
        assert_eq!(
            village.ancestors(),
            vec![code("330326001"), code("330326"), code("3303"), code("33")]
        );
        assert_eq!(code("33").parent(), None);
        assert!(code("33").ancestors().is_empty());
        assert_eq!(village.county(), Some(code("330326")));
        assert_eq!(code("330326").county(), Some(code("330326")));
        assert_eq!(code("3303").county(), None);
        assert!(code("3303").contains(&village));
        assert!(village.contains(&village));
        assert!(!village.contains(&code("3303")));
        assert!(!code("3304").contains(&village));
    }

    #[test]
    fn serde_as_string() {
        let c = code("330326");
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"330326\"");
        assert_eq!(serde_json::from_str::<RegionCode>("\"330326\"").unwrap(), c);
        assert!(serde_json::from_str::<RegionCode>("\"3303261\"").is_err());
    }
}
