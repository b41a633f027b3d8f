//! The checks of one row of each file: the columns found by name, every cell parsed.

use jiuzhu_domain::roster::{RosterHousehold, RosterPerson, RosterSupporter};
use jiuzhu_domain::{
    EvidenceKind, EvidenceValue, HealthCategory, Hukou, Money, RegionCode, Relation, Sex,
    SupporterStatus, age_on, parse_date,
};

use crate::table::{Table, TableError};

use super::*;

/// The schooling level of a student by age (in school at 6, college from 18).
pub(super) fn schooling_by_age(age: u32) -> &'static str {
    match age {
        0..=5 => "preschool",
        6..=11 => "primary",
        12..=14 => "junior",
        15..=17 => "senior",
        _ => "college",
    }
}

pub(super) fn money_evidence(
    out: &mut Vec<(EvidenceKind, EvidenceValue)>,
    kind: EvidenceKind,
    m: Option<Money>,
) {
    if let Some(m) = m.filter(|m| !m.is_zero()) {
        out.push((kind, EvidenceValue::Money(m)));
    }
}

/// Column positions of the households file.
pub(super) struct HouseholdColumns {
    pub(super) code: usize,
    pub(super) region: usize,
    pub(super) hukou: Option<usize>,
    pub(super) land: Option<usize>,
    pub(super) deposits: Option<usize>,
    pub(super) vehicle: Option<usize>,
    pub(super) houses: Option<usize>,
    pub(super) address: Option<usize>,
}

impl HouseholdColumns {
    pub(super) fn of(t: &Table) -> Result<Self, TableError> {
        Ok(HouseholdColumns {
            code: t.require("household_id")?,
            region: t.require("region_code")?,
            hukou: t.column("hukou"),
            land: t.column("has_land"),
            deposits: t.column("deposits"),
            vehicle: t.column("vehicle_value"),
            houses: t.column("house_count"),
            address: t.column("address"),
        })
    }
}

/// Column positions of the persons file.
pub(super) struct PersonColumns {
    pub(super) id: usize,
    pub(super) household: usize,
    pub(super) birth: Option<usize>,
    pub(super) health: Option<usize>,
    pub(super) student: Option<usize>,
    pub(super) wage: Option<usize>,
    pub(super) pension: Option<usize>,
    pub(super) medical: Option<usize>,
    pub(super) tuition: Option<usize>,
    pub(super) premium: Option<usize>,
    pub(super) name: Option<usize>,
    pub(super) sex: Option<usize>,
    pub(super) phone: Option<usize>,
    pub(super) relation: Option<usize>,
}

impl PersonColumns {
    pub(super) fn of(t: &Table) -> Result<Self, TableError> {
        Ok(PersonColumns {
            id: t.require("id_number")?,
            household: t.require("household_id")?,
            birth: t.column("birth_date"),
            health: t.column("health"),
            student: t.column("student"),
            wage: t.column("declared_wage_monthly"),
            pension: t.column("pension_monthly"),
            medical: t.column("medical_oop_annual"),
            tuition: t.column("tuition_annual"),
            premium: t.column("pension_premium_annual"),
            name: t.column("name"),
            sex: t.column("sex"),
            phone: t.column("phone"),
            relation: t.column("relation"),
        })
    }
}

/// Column positions of the supporters file.
#[derive(Clone, Copy)]
pub(super) struct SupporterColumns {
    pub(super) household: usize,
    pub(super) id: usize,
    pub(super) income: Option<usize>,
    pub(super) status: Option<usize>,
    pub(super) luxury: Option<usize>,
    pub(super) name: Option<usize>,
    pub(super) relation: Option<usize>,
}

impl SupporterColumns {
    pub(super) fn of(t: &Table) -> Result<Self, TableError> {
        Ok(SupporterColumns {
            household: t.require("household_id")?,
            id: t.require("supporter_id")?,
            income: t.column("annual_income"),
            status: t.column("status"),
            luxury: t.column("has_luxury"),
            name: t.column("name"),
            relation: t.column("relation"),
        })
    }
}

/// A household row's own checks.
pub(super) fn check_household(
    row: &Row,
    c: &HouseholdColumns,
    known: &Known,
    code: &str,
) -> Result<RosterHousehold, RowError> {
    if known.foreign.contains(code) {
        return Err(row.err(
            "household_id",
            format!("household number {code} is already in use outside your region"),
        ));
    }
    let raw_region = row.cell(c.region);
    let region = RegionCode::parse(raw_region)
        .map_err(|e| row.err("region_code", format!("{raw_region:?}: {e}")))?;
    if region.as_str().len() != 12 {
        return Err(row.err(
            "region_code",
            format!("{raw_region} is not a village code (12 digits)"),
        ));
    }
    if !region.as_str().starts_with(known.scope) {
        return Err(row.err(
            "region_code",
            format!("{raw_region} is outside your region {}", known.scope),
        ));
    }
    let Some(village) = known.villages.get(region.as_str()) else {
        return Err(row.err("region_code", format!("unknown region {raw_region}")));
    };
    let hukou = match row.get(c.hukou) {
        None | Some("") => {
            if village.contains("居委会") || village.contains("社区") {
                Hukou::Urban
            } else {
                Hukou::Rural
            }
        }
        Some("城镇") => Hukou::Urban,
        Some("农村") => Hukou::Rural,
        Some(raw) => Hukou::parse(raw).map_err(|e| row.err("hukou", e.to_string()))?,
    };
    let mut evidence = Vec::new();
    money_evidence(
        &mut evidence,
        EvidenceKind::PropertyDeposits,
        row.money(c.deposits, "deposits")?,
    );
    money_evidence(
        &mut evidence,
        EvidenceKind::PropertyVehicle,
        row.money(c.vehicle, "vehicle_value")?,
    );
    if let Some(n) = row.count(c.houses, "house_count")?.filter(|n| *n > 0) {
        evidence.push((EvidenceKind::PropertyHouses, EvidenceValue::Count(n)));
    }
    if row.flag(c.land, "has_land")? == Some(true) {
        evidence.push((EvidenceKind::PropertyLand, EvidenceValue::Flag(true)));
    }
    Ok(RosterHousehold {
        line: Some(row.line),
        code: code.to_string(),
        region_code: region.as_str().to_string(),
        hukou,
        address: row.text_of(c.address, "address", jiuzhu_domain::limits::LINE_CHARS)?,
        evidence,
        members: Vec::new(),
        supporters: Vec::new(),
    })
}

/// A person row's ID number (as a key), and the rest of its own checks when the ID number
/// parsed.
type CheckedPerson<'t> = (
    Result<[u8; 18], RowError>,
    Option<Result<(&'t str, Option<Relation>, RosterPerson), RowError>>,
);

/// A person row's birth date and sex, where given, must agree with the ID number.
fn check_birth_and_sex(row: &Row<'_>, c: &PersonColumns, id: &IdNumber) -> Result<(), RowError> {
    if let Some(raw) = row.get(c.birth).filter(|s| !s.is_empty()) {
        let d = parse_date(raw).map_err(|e| row.err("birth_date", e.to_string()))?;
        if d != id.birth_date() {
            return Err(row.err(
                "birth_date",
                format!(
                    "{raw} differs from the ID number's birth date {}",
                    id.birth_date()
                ),
            ));
        }
    }
    if let Some(raw) = row.get(c.sex).filter(|s| !s.is_empty()) {
        let sex = match raw {
            "M" | "m" | "男" | "1" => Sex::Male,
            "F" | "f" | "女" | "2" => Sex::Female,
            _ => return Err(row.err("sex", format!("expected M/F or 男/女, got {raw:?}"))),
        };
        if sex != id.sex() {
            return Err(row.err("sex", "differs from the sex encoded in the ID number"));
        }
    }
    Ok(())
}

/// The evidence a person row declares: health, schooling, incomes and expenditures.
fn person_evidence(
    row: &Row<'_>,
    c: &PersonColumns,
    id: &IdNumber,
    known: &Known,
) -> Result<Vec<(EvidenceKind, EvidenceValue)>, RowError> {
    let mut evidence = Vec::new();
    if let Some(raw) = row.get(c.health).filter(|s| !s.is_empty()) {
        let health = raw
            .parse::<u8>()
            .ok()
            .and_then(HealthCategory::from_code)
            .ok_or_else(|| row.err("health", format!("health must be 1-6, got {raw:?}")))?;
        evidence.push((
            EvidenceKind::Health,
            EvidenceValue::Code(health.code().to_string()),
        ));
    }
    if row.flag(c.student, "student")? == Some(true) {
        let level = schooling_by_age(age_on(id.birth_date(), known.as_of));
        evidence.push((
            EvidenceKind::Schooling,
            EvidenceValue::Code(level.to_string()),
        ));
    }
    for (kind, col, name) in [
        (EvidenceKind::IncomeWage, c.wage, "declared_wage_monthly"),
        (EvidenceKind::IncomePension, c.pension, "pension_monthly"),
        (
            EvidenceKind::ExpenditureMedical,
            c.medical,
            "medical_oop_annual",
        ),
        (
            EvidenceKind::ExpenditureTuition,
            c.tuition,
            "tuition_annual",
        ),
        (
            EvidenceKind::ExpenditurePensionPremium,
            c.premium,
            "pension_premium_annual",
        ),
    ] {
        money_evidence(&mut evidence, kind, row.money(col, name)?);
    }
    Ok(evidence)
}

/// A person row's own checks.
pub(super) fn check_person<'t>(
    row: &Row<'t>,
    c: &PersonColumns,
    known: &Known,
) -> CheckedPerson<'t> {
    if let Err(e) = row.text() {
        return (Err(e), None);
    }
    let id = match row.id_number(c.id, "id_number") {
        Ok(id) => id,
        Err(e) => return (Err(e), None),
    };
    let key = id_key(&id);
    let rest = (|| {
        let code = household_code(row, c.household, "household_id")?;
        check_birth_and_sex(row, c, &id)?;
        let relation = match row.get(c.relation).filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => Some(
                Relation::ALL
                    .iter()
                    .copied()
                    .find(|r| r.code() == raw || r.label_zh() == raw)
                    .ok_or_else(|| row.err("relation", format!("unknown relation {raw:?}")))?,
            ),
        };
        let evidence = person_evidence(row, c, &id, known)?;
        Ok((
            code,
            relation,
            RosterPerson {
                line: row.line,
                id_number: id,
                name: row.text_of(c.name, "name", jiuzhu_domain::limits::NAME_CHARS)?,
                phone: row.text_of(c.phone, "phone", jiuzhu_domain::limits::NAME_CHARS)?,
                relation: Relation::Other,
                evidence,
            },
        ))
    })();
    (Ok(key), Some(rest))
}

/// A supporter row's household number, ID number (as a key), and the rest of its own
/// checks, which count only if it is not a duplicate.
type CheckedSupporter<'t> =
    Result<(&'t str, [u8; 18], Result<RosterSupporter, RowError>), RowError>;

/// A supporter row's own checks.
pub(super) fn check_supporter<'t>(row: &Row<'t>, c: &SupporterColumns) -> CheckedSupporter<'t> {
    row.text()?;
    let code = household_code(row, c.household, "household_id")?;
    let id = row.id_number(c.id, "supporter_id")?;
    let key = id_key(&id);
    let rest = (|| {
        let status = match row.get(c.status).filter(|s| !s.is_empty()) {
            None => SupporterStatus::Normal,
            Some(raw) => {
                SupporterStatus::parse(raw).map_err(|e| row.err("status", e.to_string()))?
            }
        };
        Ok(RosterSupporter {
            line: row.line,
            id_number: id,
            name: row.text_of(c.name, "name", jiuzhu_domain::limits::NAME_CHARS)?,
            relation: row.text_of(c.relation, "relation", jiuzhu_domain::limits::NAME_CHARS)?,
            annual_income: row.money(c.income, "annual_income")?.unwrap_or(Money::ZERO),
            status,
            has_luxury: row.flag(c.luxury, "has_luxury")?.unwrap_or(false),
        })
    })();
    Ok((code, key, rest))
}
