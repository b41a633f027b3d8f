//! Row-by-row validation of a roster into households ready to register. Every refused row
//! is reported with its file, line, column and reason; good rows go on.

use std::collections::HashMap;

use chrono::NaiveDate;
use jiuzhu_db::roster::{RosterHousehold, RosterPerson, RosterSupporter};
use jiuzhu_domain::{
    EvidenceKind, EvidenceValue, HealthCategory, Hukou, IdNumber, Money, RegionCode, Relation, Sex,
    SupporterStatus, age_on, parse_date,
};

use crate::table::{Table, TableError};

/// One refused row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    pub file: String,
    pub line: usize,
    pub column: String,
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.column, self.reason
        )
    }
}

/// What validation needs to know about the database.
pub struct Known<'a> {
    /// Village code → name, for region checks and the default hukou.
    pub villages: &'a HashMap<String, String>,
    /// Household numbers already registered (so persons may join them).
    pub registered_households: &'a HashMap<String, (i64, String)>,
    /// The evidence date, for schooling levels by age.
    pub as_of: NaiveDate,
}

struct Row<'t> {
    table: &'t Table,
    line: usize,
    cells: &'t [String],
}

impl Row<'_> {
    fn get(&self, col: Option<usize>) -> Option<&str> {
        col.map(|i| self.cells[i].as_str())
    }
    fn err(&self, column: &str, reason: impl Into<String>) -> RowError {
        RowError {
            file: self.table.file.clone(),
            line: self.line,
            column: column.to_string(),
            reason: reason.into(),
        }
    }
    fn money(&self, col: Option<usize>, name: &str) -> Result<Option<Money>, RowError> {
        match self.get(col) {
            None | Some("") => Ok(None),
            Some(raw) => {
                let m = Money::parse(raw)
                    .map_err(|e| self.err(name, format!("malformed amount {raw:?}: {e}")))?;
                if m.is_negative() {
                    return Err(self.err(name, format!("negative amount {raw}")));
                }
                Ok(Some(m))
            }
        }
    }
    fn flag(&self, col: Option<usize>, name: &str) -> Result<Option<bool>, RowError> {
        match self.get(col) {
            None | Some("") => Ok(None),
            Some("0") | Some("否") => Ok(Some(false)),
            Some("1") | Some("是") => Ok(Some(true)),
            Some(raw) => Err(self.err(name, format!("expected 0 or 1, got {raw:?}"))),
        }
    }
    fn count(&self, col: Option<usize>, name: &str) -> Result<Option<i64>, RowError> {
        match self.get(col) {
            None | Some("") => Ok(None),
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if n >= 0 => Ok(Some(n)),
                _ => Err(self.err(name, format!("expected a whole number >= 0, got {raw:?}"))),
            },
        }
    }
    fn id_number(&self, col: usize, name: &str) -> Result<IdNumber, RowError> {
        let raw = &self.cells[col];
        IdNumber::parse(raw).map_err(|e| self.err(name, format!("{raw:?}: {e}")))
    }
}

/// `f` of every row of `table`, in order, computed on all cores.
fn par_map_rows<T: Send>(table: &Table, f: impl Fn(&Row) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let per = table.rows.len().div_ceil(threads).max(4096);
    let f = &f;
    std::thread::scope(|s| {
        let parts: Vec<_> = table
            .rows
            .chunks(per)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|(line, cells)| {
                            f(&Row {
                                table,
                                line: *line,
                                cells,
                            })
                        })
                        .collect::<Vec<T>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

fn rows(table: &Table) -> impl Iterator<Item = Row<'_>> {
    table.rows.iter().map(move |(line, cells)| Row {
        table,
        line: *line,
        cells,
    })
}

fn household_code(row: &Row, col: usize, name: &str) -> Result<String, RowError> {
    let code = row.cells[col].as_str();
    if code.is_empty() {
        return Err(row.err(name, "empty household number"));
    }
    if code.len() > 32
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(row.err(
            name,
            format!("household number {code:?} must be up to 32 letters, digits, '-' or '_'"),
        ));
    }
    Ok(code.to_string())
}

/// The schooling level of a student by age (in school at 6, college from 18).
fn schooling_by_age(age: u32) -> &'static str {
    match age {
        0..=5 => "preschool",
        6..=11 => "primary",
        12..=14 => "junior",
        15..=17 => "senior",
        _ => "college",
    }
}

fn money_evidence(
    out: &mut Vec<(EvidenceKind, EvidenceValue)>,
    kind: EvidenceKind,
    m: Option<Money>,
) {
    if let Some(m) = m.filter(|m| !m.is_zero()) {
        out.push((kind, EvidenceValue::Money(m)));
    }
}

/// Where persons and supporters find their household: in the file, or registered already.
struct Attach<'a> {
    by_code: &'a mut HashMap<String, RosterHousehold>,
    order: &'a mut Vec<String>,
    rejected: &'a HashMap<String, usize>,
    known: &'a Known<'a>,
    file: &'a str,
}

impl Attach<'_> {
    fn attach(&mut self, code: &str, row: &Row, column: &str) -> Result<(), RowError> {
        if self.by_code.contains_key(code) {
            return Ok(());
        }
        if let Some(line) = self.rejected.get(code) {
            return Err(row.err(
                column,
                format!("household {code} was refused (households line {line})"),
            ));
        }
        match self.known.registered_households.get(code) {
            Some((_, region)) => {
                self.by_code.insert(
                    code.to_string(),
                    RosterHousehold {
                        line: None,
                        code: code.to_string(),
                        region_code: region.clone(),
                        hukou: Hukou::Rural,
                        address: String::new(),
                        evidence: Vec::new(),
                        members: Vec::new(),
                        supporters: Vec::new(),
                    },
                );
                self.order.push(code.to_string());
                Ok(())
            }
            None => Err(row.err(
                column,
                format!(
                    "household {code} is not in {} nor in the database",
                    self.file
                ),
            )),
        }
    }
}

/// The outcome of validation: households to register, and refused rows.
pub struct Validated {
    pub households: Vec<RosterHousehold>,
    pub errors: Vec<RowError>,
    pub rows_read: [usize; 3],
}

/// Validates the three tables (supporters optional) against what the database knows.
pub fn validate(
    households: &Table,
    persons: &Table,
    supporters: Option<&Table>,
    known: &Known,
) -> Result<Validated, TableError> {
    let mut errors = Vec::new();
    // households.csv
    let c_code = households.require("household_id")?;
    let c_region = households.require("region_code")?;
    let c_hukou = households.column("hukou");
    let c_land = households.column("has_land");
    let c_deposits = households.column("deposits");
    let c_vehicle = households.column("vehicle_value");
    let c_houses = households.column("house_count");
    let c_address = households.column("address");
    let mut by_code: HashMap<String, RosterHousehold> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut hh_lines: HashMap<String, usize> = HashMap::new();
    let mut rejected_hh: HashMap<String, usize> = HashMap::new();
    for row in rows(households) {
        let result = (|| {
            let code = household_code(&row, c_code, "household_id")?;
            if let Some(first) = hh_lines.get(&code) {
                return Err(row.err(
                    "household_id",
                    format!("duplicate household number {code} (first on line {first})"),
                ));
            }
            hh_lines.insert(code.clone(), row.line);
            let raw_region = &row.cells[c_region];
            let region = RegionCode::parse(raw_region)
                .map_err(|e| row.err("region_code", format!("{raw_region:?}: {e}")))?;
            if region.as_str().len() != 12 {
                return Err(row.err(
                    "region_code",
                    format!("{raw_region} is not a village code (12 digits)"),
                ));
            }
            let Some(village) = known.villages.get(region.as_str()) else {
                return Err(row.err("region_code", format!("unknown region {raw_region}")));
            };
            let hukou = match row.get(c_hukou) {
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
                row.money(c_deposits, "deposits")?,
            );
            money_evidence(
                &mut evidence,
                EvidenceKind::PropertyVehicle,
                row.money(c_vehicle, "vehicle_value")?,
            );
            if let Some(n) = row.count(c_houses, "house_count")?.filter(|n| *n > 0) {
                evidence.push((EvidenceKind::PropertyHouses, EvidenceValue::Count(n)));
            }
            if row.flag(c_land, "has_land")? == Some(true) {
                evidence.push((EvidenceKind::PropertyLand, EvidenceValue::Flag(true)));
            }
            Ok(RosterHousehold {
                line: Some(row.line),
                code,
                region_code: region.as_str().to_string(),
                hukou,
                address: row.get(c_address).unwrap_or("").to_string(),
                evidence,
                members: Vec::new(),
                supporters: Vec::new(),
            })
        })();
        match result {
            Ok(h) => {
                order.push(h.code.clone());
                by_code.insert(h.code.clone(), h);
            }
            Err(e) => {
                if let Some(code) = row.cells.get(c_code).filter(|c| !c.is_empty()) {
                    rejected_hh.entry(code.clone()).or_insert(row.line);
                }
                errors.push(e);
            }
        }
    }

    let mut ctx = Attach {
        by_code: &mut by_code,
        order: &mut order,
        rejected: &rejected_hh,
        known,
        file: &households.file,
    };
    // persons.csv
    let c_id = persons.require("id_number")?;
    let c_hh = persons.require("household_id")?;
    let c_birth = persons.column("birth_date");
    let c_health = persons.column("health");
    let c_student = persons.column("student");
    let c_wage = persons.column("declared_wage_monthly");
    let c_pension = persons.column("pension_monthly");
    let c_medical = persons.column("medical_oop_annual");
    let c_tuition = persons.column("tuition_annual");
    let c_premium = persons.column("pension_premium_annual");
    let c_name = persons.column("name");
    let c_sex = persons.column("sex");
    let c_phone = persons.column("phone");
    let c_relation = persons.column("relation");
    // A row's own checks need nothing from other rows: they run on all cores. What
    // depends on the rows before (duplicates, the household) follows in file order, and
    // a row is refused for the first problem in the same order as if checked alone.
    let checked = par_map_rows(persons, |row| {
        let id = row.id_number(c_id, "id_number");
        let rest = id.as_ref().ok().map(|id| -> Result<_, RowError> {
            let id = id.clone();
            let code = household_code(row, c_hh, "household_id")?;
            if let Some(raw) = row.get(c_birth).filter(|s| !s.is_empty()) {
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
            if let Some(raw) = row.get(c_sex).filter(|s| !s.is_empty()) {
                let sex = match raw {
                    "M" | "m" | "男" | "1" => Sex::Male,
                    "F" | "f" | "女" | "2" => Sex::Female,
                    _ => return Err(row.err("sex", format!("expected M/F or 男/女, got {raw:?}"))),
                };
                if sex != id.sex() {
                    return Err(row.err("sex", "differs from the sex encoded in the ID number"));
                }
            }
            let relation = match row.get(c_relation).filter(|s| !s.is_empty()) {
                None => None,
                Some(raw) => Some(
                    Relation::ALL
                        .iter()
                        .copied()
                        .find(|r| r.code() == raw || r.label_zh() == raw)
                        .ok_or_else(|| row.err("relation", format!("unknown relation {raw:?}")))?,
                ),
            };
            let mut evidence = Vec::new();
            if let Some(raw) = row.get(c_health).filter(|s| !s.is_empty()) {
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
            if row.flag(c_student, "student")? == Some(true) {
                let level = schooling_by_age(age_on(id.birth_date(), known.as_of));
                evidence.push((
                    EvidenceKind::Schooling,
                    EvidenceValue::Code(level.to_string()),
                ));
            }
            money_evidence(
                &mut evidence,
                EvidenceKind::IncomeWage,
                row.money(c_wage, "declared_wage_monthly")?,
            );
            money_evidence(
                &mut evidence,
                EvidenceKind::IncomePension,
                row.money(c_pension, "pension_monthly")?,
            );
            money_evidence(
                &mut evidence,
                EvidenceKind::ExpenditureMedical,
                row.money(c_medical, "medical_oop_annual")?,
            );
            money_evidence(
                &mut evidence,
                EvidenceKind::ExpenditureTuition,
                row.money(c_tuition, "tuition_annual")?,
            );
            money_evidence(
                &mut evidence,
                EvidenceKind::ExpenditurePensionPremium,
                row.money(c_premium, "pension_premium_annual")?,
            );
            Ok((
                code,
                relation,
                RosterPerson {
                    line: row.line,
                    id_number: id,
                    name: row.get(c_name).unwrap_or("").to_string(),
                    phone: row.get(c_phone).unwrap_or("").to_string(),
                    relation: Relation::Other,
                    evidence,
                },
            ))
        });
        (id, rest)
    });
    let mut id_lines: HashMap<String, usize> = HashMap::with_capacity(persons.rows.len());
    for (row, (id, rest)) in rows(persons).zip(checked) {
        let result = (|| {
            let id = id?;
            if let Some(first) = id_lines.get(id.as_str()) {
                return Err(row.err(
                    "id_number",
                    format!(
                        "duplicate ID number {} (first on line {first})",
                        id.masked()
                    ),
                ));
            }
            id_lines.insert(id.as_str().to_string(), row.line);
            let (code, relation, person) = rest.expect("checked when the ID number parsed")?;
            ctx.attach(&code, &row, "household_id")?;
            Ok((code, relation, person))
        })();
        match result {
            Ok((code, relation, mut p)) => {
                let h = ctx.by_code.get_mut(&code).expect("attached");
                p.relation = relation.unwrap_or(if h.members.is_empty() && h.line.is_some() {
                    Relation::Head
                } else {
                    Relation::Other
                });
                h.members.push(p);
            }
            Err(e) => errors.push(e),
        }
    }

    // supporters.csv
    let mut supporters_read = 0;
    if let Some(st) = supporters {
        supporters_read = st.rows.len();
        let c_hh = st.require("household_id")?;
        let c_sid = st.require("supporter_id")?;
        let c_income = st.column("annual_income");
        let c_status = st.column("status");
        let c_lux = st.column("has_luxury");
        let c_name = st.column("name");
        let c_rel = st.column("relation");
        let mut seen: HashMap<(String, String), usize> = HashMap::new();
        for row in rows(st) {
            let result = (|| {
                let code = household_code(&row, c_hh, "household_id")?;
                let id = row.id_number(c_sid, "supporter_id")?;
                if let Some(first) = seen.get(&(code.clone(), id.as_str().to_string())) {
                    return Err(row.err(
                        "supporter_id",
                        format!("duplicate supporter of household {code} (first on line {first})"),
                    ));
                }
                seen.insert((code.clone(), id.as_str().to_string()), row.line);
                let status = match row.get(c_status).filter(|s| !s.is_empty()) {
                    None => SupporterStatus::Normal,
                    Some(raw) => {
                        SupporterStatus::parse(raw).map_err(|e| row.err("status", e.to_string()))?
                    }
                };
                let s = RosterSupporter {
                    line: row.line,
                    id_number: id,
                    name: row.get(c_name).unwrap_or("").to_string(),
                    relation: row.get(c_rel).unwrap_or("").to_string(),
                    annual_income: row.money(c_income, "annual_income")?.unwrap_or(Money::ZERO),
                    status,
                    has_luxury: row.flag(c_lux, "has_luxury")?.unwrap_or(false),
                };
                ctx.attach(&code, &row, "household_id")?;
                Ok((code, s))
            })();
            match result {
                Ok((code, s)) => ctx
                    .by_code
                    .get_mut(&code)
                    .expect("attached")
                    .supporters
                    .push(s),
                Err(e) => errors.push(e),
            }
        }
    }

    let _ = ctx;
    // A new household needs at least one member.
    let mut out = Vec::with_capacity(order.len());
    for code in &order {
        let h = by_code.remove(code).expect("listed");
        if h.line.is_some() && h.members.is_empty() {
            errors.push(RowError {
                file: households.file.clone(),
                line: h.line.unwrap_or(0),
                column: "household_id".into(),
                reason: format!("household {code} has no members in {}", persons.file),
            });
            for s in &h.supporters {
                errors.push(RowError {
                    file: supporters.map(|t| t.file.clone()).unwrap_or_default(),
                    line: s.line,
                    column: "household_id".into(),
                    reason: format!("household {code} was refused (it has no members)"),
                });
            }
            continue;
        }
        out.push(h);
    }
    errors.sort_by(|a, b| (a.file.as_str(), a.line).cmp(&(b.file.as_str(), b.line)));
    Ok(Validated {
        households: out,
        errors,
        rows_read: [households.rows.len(), persons.rows.len(), supporters_read],
    })
}
