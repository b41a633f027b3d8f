//! Registry vocabulary (登记字典): household registration, relations, health, supporters and evidence items.

use std::fmt;

use crate::money::Money;

/// A code that does not name any variant of a vocabulary enum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind}: {value}")]
pub struct ParseEnumError {
    pub kind: &'static str,
    pub value: String,
}

/// Declares a vocabulary enum with a stable ASCII code and Chinese/English labels, plus
/// `ALL`, `code()`, `parse()`, `label_zh()`, `label_en()`, `FromStr` and serde as the code.
///
/// `ALL` is a `&'static [T]` slice, or a `[T; N]` array when the enum is written
/// `pub enum Name ("kind") as array { ... }`.
macro_rules! code_enum {
    (@all slice $name:ident [$($variant:ident)+]) => {
        /// Every variant, in declaration order.
        pub const ALL: &'static [$name] = &[$($name::$variant),+];
    };
    (@all array $name:ident [$($variant:ident)+]) => {
        /// Every variant, in declaration order.
        pub const ALL: [$name; [$(stringify!($variant)),+].len()] = [$($name::$variant),+];
    };
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($kind:literal) as array {
            $($body:tt)+
        }
    ) => {
        $crate::registry::code_enum! { @impl array $(#[$meta])* $name ($kind) { $($body)+ } }
    };
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($kind:literal) {
            $($body:tt)+
        }
    ) => {
        $crate::registry::code_enum! { @impl slice $(#[$meta])* $name ($kind) { $($body)+ } }
    };
    (
        @impl $all:ident
        $(#[$meta:meta])*
        $name:ident ($kind:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, $zh:literal, $en:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            $crate::registry::code_enum! { @all $all $name [$($variant)+] }

            /// Stable ASCII code used in storage, URLs and forms.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// Inverse of [`Self::code`].
            pub fn parse(code: &str) -> Result<$name, $crate::registry::ParseEnumError> {
                match code {
                    $($code => Ok($name::$variant),)+
                    _ => Err($crate::registry::ParseEnumError {
                        kind: $kind,
                        value: code.to_owned(),
                    }),
                }
            }

            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }

            pub fn label_en(self) -> &'static str {
                match self { $($name::$variant => $en),+ }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::registry::ParseEnumError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(s)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.code())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                $name::parse(&s).map_err(::serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use code_enum;

code_enum! {
    /// Household registration type (户口性质).
    pub enum Hukou ("hukou") {
        Urban = "urban", "城镇", "urban";
        Rural = "rural", "农村", "rural";
    }
}

code_enum! {
    /// Relation to the head of household (与户主关系).
    pub enum Relation ("relation") {
        Head = "head", "户主", "head of household";
        Spouse = "spouse", "配偶", "spouse";
        Child = "child", "子女", "child";
        Parent = "parent", "父母", "parent";
        Grandchild = "grandchild", "孙子女", "grandchild";
        Grandparent = "grandparent", "祖父母", "grandparent";
        Sibling = "sibling", "兄弟姐妹", "sibling";
        ChildInLaw = "child_in_law", "儿媳/女婿", "child-in-law";
        Other = "other", "其他", "other";
    }
}

code_enum! {
    /// Health status (健康状况), numbered 1 (healthy) to 6 (major illness).
    pub enum HealthCategory ("health category") {
        Healthy = "1", "健康", "healthy";
        ChronicMild = "2", "慢性病(轻)", "chronic illness (mild)";
        ChronicSerious = "3", "慢性病(重)", "chronic illness (serious)";
        DisabilityGrade34 = "4", "残疾(三、四级)", "disability grade 3-4";
        DisabilityGrade12 = "5", "残疾(一、二级)", "disability grade 1-2";
        MajorIllness = "6", "重大疾病", "major illness";
    }
}

impl HealthCategory {
    /// The category numbered `n` (1..=6).
    pub fn from_code(n: u8) -> Option<HealthCategory> {
        HealthCategory::ALL
            .get(usize::from(n).checked_sub(1)?)
            .copied()
    }

    /// The category number, 1..=6.
    pub fn number(self) -> u8 {
        self as u8 + 1
    }
}

code_enum! {
    /// Circumstances of a legally obliged supporter (赡养/抚养/扶养义务人状况).
    pub enum SupporterStatus ("supporter status") {
        Normal = "normal", "正常", "normal";
        Dibao = "dibao", "低保", "receives dibao";
        Ill = "ill", "重病", "seriously ill";
        Disabled = "disabled", "残疾", "disabled";
        Prisoner = "prisoner", "服刑", "serving a sentence";
        Student = "student", "在校学生", "student";
    }
}

code_enum! {
    /// Where an evidence value came from (证据来源).
    pub enum EvidenceSource ("evidence source") {
        Declared = "declared", "申报", "declared by applicant";
        Verified = "verified", "部门核对", "verified by department";
        HomeVisit = "home_visit", "入户调查", "home visit";
    }
}

code_enum! {
    /// An item of evidence (核对项目) about a person or a household.
    pub enum EvidenceKind ("evidence kind") {
        IncomeWage = "income.wage", "工资性收入", "wage income";
        IncomeBusiness = "income.business", "经营性收入", "business income";
        IncomePension = "income.pension", "养老金", "pension";
        IncomeTransfer = "income.transfer", "转移性收入", "transfer income";
        ExpenditureMedical = "expenditure.medical", "自付医疗费用", "out-of-pocket medical costs";
        ExpenditureTuition = "expenditure.tuition", "学费", "tuition";
        ExpenditurePensionPremium = "expenditure.pension_premium", "养老保险缴费", "pension insurance premium";
        /// Code 1..=6, see [`HealthCategory`].
        Health = "health", "健康状况", "health status";
        /// Code `category-grade`, category 1..=7, grade 1..=4.
        Disability = "disability", "残疾", "disability";
        Employment = "employment", "就业状况", "employment status";
        Schooling = "schooling", "在学情况", "schooling";
        PropertyDeposits = "property.deposits", "存款", "bank deposits";
        PropertyVehicle = "property.vehicle", "车辆价值", "vehicle value";
        PropertyHouses = "property.houses", "房产套数", "number of houses";
        PropertyLand = "property.land", "承包土地", "contracted land";
    }
}

/// Whom an evidence item describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EvidenceSubject {
    Person,
    Household,
}

/// The shape of an evidence value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EvidenceValueType {
    /// Amount per month.
    MoneyMonthly,
    /// Amount per year.
    MoneyAnnual,
    /// Amount at a point in time (a stock, not a flow).
    Money,
    Count,
    Flag,
    Code,
}

/// Employment status codes accepted for [`EvidenceKind::Employment`].
pub const EMPLOYMENT_CODES: &[&str] = &["employed", "unemployed", "retired", "unable", "none"];
/// Schooling codes accepted for [`EvidenceKind::Schooling`].
pub const SCHOOLING_CODES: &[&str] = &[
    "none",
    "preschool",
    "primary",
    "junior",
    "senior",
    "vocational",
    "college",
];
const HEALTH_CODES: &[&str] = &["1", "2", "3", "4", "5", "6"];

impl EvidenceKind {
    pub fn subject(self) -> EvidenceSubject {
        use EvidenceKind::*;
        match self {
            PropertyDeposits | PropertyVehicle | PropertyHouses | PropertyLand => {
                EvidenceSubject::Household
            }
            _ => EvidenceSubject::Person,
        }
    }

    pub fn value_type(self) -> EvidenceValueType {
        use EvidenceKind::*;
        match self {
            IncomeWage | IncomeBusiness | IncomePension | IncomeTransfer => {
                EvidenceValueType::MoneyMonthly
            }
            ExpenditureMedical | ExpenditureTuition | ExpenditurePensionPremium => {
                EvidenceValueType::MoneyAnnual
            }
            PropertyDeposits | PropertyVehicle => EvidenceValueType::Money,
            PropertyHouses => EvidenceValueType::Count,
            PropertyLand => EvidenceValueType::Flag,
            Health | Disability | Employment | Schooling => EvidenceValueType::Code,
        }
    }

    /// The closed list of codes for enumerated code items (for select boxes); empty for
    /// items that are not a closed list (including `disability`, which is `category-grade`).
    pub fn allowed_codes(self) -> &'static [&'static str] {
        match self {
            EvidenceKind::Health => HEALTH_CODES,
            EvidenceKind::Employment => EMPLOYMENT_CODES,
            EvidenceKind::Schooling => SCHOOLING_CODES,
            _ => &[],
        }
    }

    /// Parses a raw form/import value for this item. Surrounding whitespace is ignored.
    ///
    /// Money must be a non-negative decimal with at most two places; counts non-negative
    /// integers; flags `0`/`1` (also `true`/`false`, `yes`/`no`, `是`/`否`); codes must be
    /// from the item's list.
    pub fn validate_value(&self, raw: &str) -> Result<EvidenceValue, String> {
        let raw = raw.trim();
        match self.value_type() {
            EvidenceValueType::MoneyMonthly
            | EvidenceValueType::MoneyAnnual
            | EvidenceValueType::Money => {
                let amount = Money::parse(raw).map_err(|e| e.to_string())?;
                if amount.is_negative() {
                    return Err("amount must not be negative".to_owned());
                }
                Ok(EvidenceValue::Money(amount))
            }
            EvidenceValueType::Count => match raw.parse::<i64>() {
                Ok(n) if n >= 0 && raw.bytes().all(|b| b.is_ascii_digit()) => {
                    Ok(EvidenceValue::Count(n))
                }
                _ => Err(format!(
                    "count must be a non-negative whole number: {raw:?}"
                )),
            },
            EvidenceValueType::Flag => match raw {
                "1" | "true" | "yes" | "是" => Ok(EvidenceValue::Flag(true)),
                "0" | "false" | "no" | "否" => Ok(EvidenceValue::Flag(false)),
                _ => Err(format!("flag must be 0 or 1: {raw:?}")),
            },
            EvidenceValueType::Code => self.validate_code(raw).map(EvidenceValue::Code),
        }
    }

    fn validate_code(self, raw: &str) -> Result<String, String> {
        if self == EvidenceKind::Disability {
            let (category, grade) = raw
                .split_once('-')
                .ok_or_else(|| format!("disability must be written category-grade: {raw:?}"))?;
            let in_range = |s: &str, max: u8| {
                s.len() == 1 && s.parse::<u8>().is_ok_and(|n| (1..=max).contains(&n))
            };
            if !in_range(category, 7) {
                return Err(format!("disability category must be 1 to 7: {category:?}"));
            }
            if !in_range(grade, 4) {
                return Err(format!("disability grade must be 1 to 4: {grade:?}"));
            }
            return Ok(raw.to_owned());
        }
        if self.allowed_codes().contains(&raw) {
            return Ok(raw.to_owned());
        }
        Err(match self {
            EvidenceKind::Health => format!("health status must be 1 to 6: {raw:?}"),
            EvidenceKind::Employment => format!(
                "unknown employment status {raw:?} (expected one of {})",
                EMPLOYMENT_CODES.join(", ")
            ),
            EvidenceKind::Schooling => format!(
                "unknown schooling {raw:?} (expected one of {})",
                SCHOOLING_CODES.join(", ")
            ),
            _ => format!("{} does not take a code", self.code()),
        })
    }
}

/// A validated evidence value, see [`EvidenceKind::validate_value`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvidenceValue {
    Money(Money),
    Count(i64),
    Flag(bool),
    Code(String),
}

impl EvidenceValue {
    /// Canonical text for storage: money `1234.50`, count `3`, flag `0`/`1`, code as is.
    pub fn to_storage(&self) -> String {
        self.to_string()
    }

    pub fn as_money(&self) -> Option<Money> {
        match self {
            EvidenceValue::Money(m) => Some(*m),
            _ => None,
        }
    }

    pub fn as_count(&self) -> Option<i64> {
        match self {
            EvidenceValue::Count(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_flag(&self) -> Option<bool> {
        match self {
            EvidenceValue::Flag(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_code(&self) -> Option<&str> {
        match self {
            EvidenceValue::Code(c) => Some(c),
            _ => None,
        }
    }
}

impl fmt::Display for EvidenceValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvidenceValue::Money(m) => write!(f, "{m}"),
            EvidenceValue::Count(n) => write!(f, "{n}"),
            EvidenceValue::Flag(b) => f.write_str(if *b { "1" } else { "0" }),
            EvidenceValue::Code(c) => f.write_str(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! assert_round_trip {
        ($($ty:ty),+) => {$(
            for v in <$ty>::ALL {
                assert_eq!(<$ty>::parse(v.code()), Ok(*v));
                assert_eq!(v.code().parse::<$ty>(), Ok(*v));
                assert!(!v.label_zh().is_empty() && !v.label_en().is_empty());
                let json = serde_json::to_string(v).unwrap();
                assert_eq!(json, format!("\"{}\"", v.code()));
                assert_eq!(serde_json::from_str::<$ty>(&json).unwrap(), *v);
                assert!(v.code().is_ascii());
            }
            let mut codes: Vec<_> = <$ty>::ALL.iter().map(|v| v.code()).collect();
            codes.sort_unstable();
            codes.dedup();
            assert_eq!(codes.len(), <$ty>::ALL.len());
            assert!(<$ty>::parse("nonsense").is_err());
        )+};
    }

    #[test]
    fn every_enum_round_trips() {
        assert_round_trip!(
            Hukou,
            Relation,
            HealthCategory,
            SupporterStatus,
            EvidenceSource,
            EvidenceKind
        );
        assert_eq!(Relation::ALL.len(), 9);
        assert_eq!(EvidenceKind::ALL.len(), 15);
    }

    #[test]
    fn parse_error_message() {
        let err = Hukou::parse("suburban").unwrap_err();
        assert_eq!(err.to_string(), "unknown hukou: suburban");
        assert!(serde_json::from_str::<Relation>("\"cousin\"").is_err());
    }

    #[test]
    fn health_numbers() {
        for n in 1..=6u8 {
            let h = HealthCategory::from_code(n).unwrap();
            assert_eq!(h.number(), n);
            assert_eq!(h.code(), n.to_string());
        }
        assert_eq!(HealthCategory::from_code(0), None);
        assert_eq!(HealthCategory::from_code(7), None);
        assert_eq!(
            HealthCategory::from_code(6),
            Some(HealthCategory::MajorIllness)
        );
    }

    #[test]
    fn evidence_shapes() {
        assert_eq!(EvidenceKind::IncomeWage.code(), "income.wage");
        assert_eq!(EvidenceKind::IncomeWage.subject(), EvidenceSubject::Person);
        assert_eq!(
            EvidenceKind::IncomeWage.value_type(),
            EvidenceValueType::MoneyMonthly
        );
        assert_eq!(
            EvidenceKind::PropertyLand.subject(),
            EvidenceSubject::Household
        );
        assert_eq!(
            EvidenceKind::PropertyHouses.value_type(),
            EvidenceValueType::Count
        );
        assert_eq!(
            EvidenceKind::ExpenditureMedical.value_type(),
            EvidenceValueType::MoneyAnnual
        );
    }

    #[test]
    fn validate_values() {
        use EvidenceKind::*;
        let ok = |k: EvidenceKind, raw: &str| k.validate_value(raw).unwrap().to_storage();
        assert_eq!(ok(IncomeWage, "2500.5"), "2500.50");
        assert_eq!(ok(PropertyDeposits, " 0 "), "0.00");
        assert_eq!(ok(PropertyHouses, "2"), "2");
        assert_eq!(ok(PropertyLand, "1"), "1");
        assert_eq!(ok(PropertyLand, "否"), "0");
        assert_eq!(ok(Health, "6"), "6");
        assert_eq!(ok(Disability, "2-1"), "2-1");
        assert_eq!(ok(Employment, "retired"), "retired");
        assert_eq!(ok(Schooling, "vocational"), "vocational");
        assert_eq!(
            IncomeWage.validate_value("100").unwrap().as_money(),
            Some(Money::from_yuan(100))
        );
    }

    #[test]
    fn validate_value_refusals() {
        use EvidenceKind::*;
        let err = |k: EvidenceKind, raw: &str| k.validate_value(raw).unwrap_err();
        assert_eq!(err(IncomeWage, "-1"), "amount must not be negative");
        assert!(err(IncomeWage, "1.234").contains("two decimal places"));
        assert!(err(PropertyVehicle, "abc").contains("not a decimal number"));
        assert!(err(PropertyHouses, "-1").contains("non-negative"));
        assert!(err(PropertyHouses, "1.5").contains("non-negative"));
        assert!(err(PropertyHouses, "+1").contains("non-negative"));
        assert!(err(PropertyLand, "2").contains("0 or 1"));
        assert!(err(Health, "0").contains("1 to 6"));
        assert!(err(Health, "7").contains("1 to 6"));
        assert!(err(Disability, "8-1").contains("category must be 1 to 7"));
        assert!(err(Disability, "0-1").contains("category must be 1 to 7"));
        assert!(err(Disability, "2-5").contains("grade must be 1 to 4"));
        assert!(err(Disability, "2").contains("category-grade"));
        assert!(err(Disability, "2-1-1").contains("grade"));
        assert!(err(Employment, "astronaut").contains("unknown employment status"));
        assert!(err(Schooling, "phd").contains("unknown schooling"));
    }
}
