//! Row-by-row validation of a roster into households ready to register. Every refused row
//! is reported with its file, line, column and reason; good rows go on.

use std::collections::HashMap;

use chrono::NaiveDate;
use jiuzhu_domain::hash::{FastMap, FastSet};
use jiuzhu_domain::roster::{RosterHousehold, RosterPerson, RosterSupporter};
use jiuzhu_domain::{
    EvidenceKind, EvidenceValue, HealthCategory, Hukou, IdNumber, Money, RegionCode, Relation, Sex,
    SupporterStatus, age_on, parse_date,
};

use crate::table::{Cells, Table, TableError};

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
    /// The region code prefix households must be in (empty: anywhere); the registered
    /// households above are those in it.
    pub scope: &'a str,
    /// Household numbers registered outside `scope`, which the roster may not use.
    pub foreign: &'a FastSet<String>,
}

struct Row<'t> {
    table: &'t Table,
    line: usize,
    cells: Cells<'t>,
}

impl<'t> Row<'t> {
    fn get(&self, col: Option<usize>) -> Option<&'t str> {
        col.map(|i| self.cells.get(i))
    }
    fn cell(&self, col: usize) -> &'t str {
        self.cells.get(col)
    }
    /// The text of an optional column, refused when longer than `max` characters.
    fn text_of(&self, col: Option<usize>, name: &str, max: usize) -> Result<String, RowError> {
        let v = self.get(col).unwrap_or("");
        jiuzhu_domain::limits::within(name, v, max).map_err(|m| {
            let reason = m
                .split_once(": ")
                .map_or(m.as_str(), |(_, r)| r)
                .to_string();
            self.err(name, reason)
        })?;
        Ok(v.to_string())
    }

    /// Refuses a row with a cell of bytes that are neither UTF-8 nor GB18030.
    fn text(&self) -> Result<(), RowError> {
        if !self.table.undecodable() {
            return Ok(());
        }
        match (0..self.table.columns.len())
            .find(|&c| self.cells.get(c).contains(char::REPLACEMENT_CHARACTER))
        {
            None => Ok(()),
            Some(c) => Err(self.err(
                &self.table.columns[c].clone(),
                "bytes that are neither UTF-8 nor GB18030 text (save the file as UTF-8 CSV)",
            )),
        }
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
        let raw = self.cell(col);
        // The cell is quoted masked, as identity numbers are everywhere else.
        IdNumber::parse(raw).map_err(|e| {
            let shown = jiuzhu_domain::mask_id_str(raw);
            self.err(name, format!("{shown:?}: {e}"))
        })
    }
}

/// `f` of the rows `range` of `table`, in order, computed on all cores.
fn par_map_rows<'t, T: Send>(
    table: &'t Table,
    range: std::ops::Range<usize>,
    f: impl Fn(&Row<'t>) -> T + Sync,
) -> Vec<T> {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let per = range.len().div_ceil(threads).max(4096);
    if range.len() <= per {
        return range.map(|r| f(&row_at(table, r))).collect();
    }
    let f = &f;
    std::thread::scope(|s| {
        let parts: Vec<_> = range
            .clone()
            .step_by(per)
            .map(|lo| {
                let hi = range.end.min(lo + per);
                s.spawn(move || (lo..hi).map(|r| f(&row_at(table, r))).collect::<Vec<T>>())
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Row `r` of `table`.
fn row_at(table: &Table, r: usize) -> Row<'_> {
    Row {
        table,
        line: table.line(r),
        cells: table.row(r),
    }
}

fn rows(table: &Table) -> impl Iterator<Item = Row<'_>> {
    (0..table.len()).map(move |r| row_at(table, r))
}

/// An ID number as a map key: its 18 bytes, upper case (as [`IdNumber`] holds them).
fn id_key(id: &IdNumber) -> [u8; 18] {
    id.as_str()
        .as_bytes()
        .try_into()
        .expect("a parsed ID number has 18 ASCII characters")
}

fn household_code<'t>(row: &Row<'t>, col: usize, name: &str) -> Result<&'t str, RowError> {
    let code = row.cell(col);
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
    Ok(code)
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
/// Households are held until their last row has been read, then handed over.
struct Scan<'a, 't> {
    /// The households of the file that passed, then the registered ones the roster adds
    /// to; `None` once handed over.
    households: Vec<Option<RosterHousehold>>,
    /// Household number → its place in `households`.
    by_code: FastMap<&'t str, usize>,
    /// Household number → line, of the households file's refused rows.
    rejected: FastMap<&'t str, usize>,
    known: &'a Known<'a>,
    households_file: &'t str,
    errors: Vec<RowError>,
    persons: &'t Table,
    pc: PersonColumns,
    /// The first person row not yet read.
    persons_read: usize,
    id_lines: FastMap<[u8; 18], usize>,
    supporters: Option<(&'t Table, SupporterColumns)>,
    supporters_read: usize,
    seen: FastMap<(&'t str, [u8; 18]), usize>,
    /// Rows read at a time.
    step: usize,
    /// Registered households first named by a supporter row, in that order: they follow
    /// those first named by a person row, as when the persons file was read first.
    named_by_supporters: Vec<usize>,
    /// Household place → the lines of its refused rows (false: persons, true: supporters).
    /// A household with any refused row is refused whole: registering the rest would
    /// change its size for every means test.
    refused_rows: FastMap<usize, Vec<(bool, usize)>>,
}

/// Rows whose own checks run together on all cores, as a scan moves on.
const STEP: usize = 16 << 10;

/// Which file names a household.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Naming {
    Person,
    Supporter,
}

impl<'t> Scan<'_, 't> {
    /// The household `code` (in the file, or registered and added now) as its place.
    fn attach(
        &mut self,
        code: &'t str,
        row: &Row,
        column: &str,
        by: Naming,
    ) -> Result<usize, RowError> {
        if let Some(&i) = self.by_code.get(code) {
            return Ok(i);
        }
        if let Some(line) = self.rejected.get(code) {
            return Err(row.err(
                column,
                format!("household {code} was refused (households line {line})"),
            ));
        }
        match self.known.registered_households.get(code) {
            Some((_, region)) => {
                let i = self.households.len();
                self.households.push(Some(RosterHousehold {
                    line: None,
                    code: code.to_string(),
                    region_code: region.clone(),
                    hukou: Hukou::Rural,
                    address: String::new(),
                    evidence: Vec::new(),
                    members: Vec::new(),
                    supporters: Vec::new(),
                }));
                self.by_code.insert(code, i);
                if by == Naming::Supporter {
                    self.named_by_supporters.push(i);
                }
                Ok(i)
            }
            None => Err(row.err(
                column,
                if self.known.scope.is_empty() {
                    format!(
                        "household {code} is not in {} nor in the database",
                        self.households_file
                    )
                } else {
                    format!(
                        "household {code} is not in {} nor registered in your region",
                        self.households_file
                    )
                },
            )),
        }
    }

    /// Notes a refused row against the household it names (in the file or registered),
    /// so that the household is refused whole when it is handed over.
    fn taint(&mut self, row: &Row<'t>, col: usize, by: Naming) {
        let code = row.cell(col);
        if code.is_empty() || self.rejected.contains_key(code) {
            return;
        }
        let at = match self.by_code.get(code) {
            Some(&i) => i,
            None if self.known.registered_households.contains_key(code) => {
                match self.attach(code, row, "household_id", by) {
                    Ok(i) => i,
                    Err(_) => return,
                }
            }
            None => return,
        };
        if self.households[at].is_some() {
            self.refused_rows
                .entry(at)
                .or_default()
                .push((by == Naming::Supporter, row.line));
        }
    }

    /// Refuses household `h` whole for its refused rows: the household row (if in the
    /// file) and each of its good rows, each naming the lines that caused it.
    fn refuse_whole(&mut self, h: &RosterHousehold, refused: &[(bool, usize)]) {
        let supporters_file = self
            .supporters
            .map(|(t, _)| t.file.clone())
            .unwrap_or_default();
        let lines_of = |sup: bool| -> Vec<String> {
            refused
                .iter()
                .filter(|(s, _)| *s == sup)
                .map(|(_, l)| l.to_string())
                .collect()
        };
        let mut causes = Vec::new();
        for (sup, file) in [(false, &self.persons.file), (true, &supporters_file)] {
            let lines = lines_of(sup);
            match lines.len() {
                0 => {}
                1 => causes.push(format!("{file} line {} was refused", lines[0])),
                _ => causes.push(format!("{file} lines {} were refused", lines.join(", "))),
            }
        }
        let reason = format!("household {} refused: {}", h.code, causes.join("; "));
        if let Some(line) = h.line {
            self.errors.push(RowError {
                file: self.households_file.to_string(),
                line,
                column: "household_id".into(),
                reason: reason.clone(),
            });
        }
        for p in &h.members {
            self.errors.push(RowError {
                file: self.persons.file.clone(),
                line: p.line,
                column: "household_id".into(),
                reason: reason.clone(),
            });
        }
        for s in &h.supporters {
            self.errors.push(RowError {
                file: supporters_file.clone(),
                line: s.line,
                column: "household_id".into(),
                reason: reason.clone(),
            });
        }
    }

    fn household(&mut self, at: usize) -> &mut RosterHousehold {
        self.households[at]
            .as_mut()
            .expect("a household is handed over only after its last row")
    }

    /// Reads the person rows before `end` (and up to a step beyond).
    fn persons_to(&mut self, end: usize) {
        while self.persons_read < end {
            let lo = self.persons_read;
            let hi = (lo + self.step).min(self.persons.len());
            let (pc, known) = (&self.pc, self.known);
            let checked = par_map_rows(self.persons, lo..hi, |row| check_person(row, pc, known));
            for (r, (id, rest)) in (lo..hi).zip(checked) {
                let row = row_at(self.persons, r);
                let result = (|| {
                    let key = id?;
                    if let Some(first) = self.id_lines.get(&key) {
                        let masked = jiuzhu_domain::mask_id_str(
                            std::str::from_utf8(&key).expect("an ID number is ASCII"),
                        );
                        return Err(row.err(
                            "id_number",
                            format!("duplicate ID number {masked} (first on line {first})"),
                        ));
                    }
                    self.id_lines.insert(key, row.line);
                    let (code, relation, person) =
                        rest.expect("checked when the ID number parsed")?;
                    let at = self.attach(code, &row, "household_id", Naming::Person)?;
                    Ok((at, relation, person))
                })();
                match result {
                    Ok((at, relation, mut p)) => {
                        let h = self.household(at);
                        p.relation =
                            relation.unwrap_or(if h.members.is_empty() && h.line.is_some() {
                                Relation::Head
                            } else {
                                Relation::Other
                            });
                        h.members.push(p);
                    }
                    Err(e) => {
                        self.errors.push(e);
                        let col = self.pc.household;
                        self.taint(&row, col, Naming::Person);
                    }
                }
            }
            self.persons_read = hi;
        }
    }

    /// Reads the supporter rows before `end` (and up to a step beyond).
    fn supporters_to(&mut self, end: usize) {
        let Some((table, sc)) = self.supporters else {
            return;
        };
        while self.supporters_read < end {
            let lo = self.supporters_read;
            let hi = (lo + self.step).min(table.len());
            let checked = par_map_rows(table, lo..hi, |row| check_supporter(row, &sc));
            for (r, result) in (lo..hi).zip(checked) {
                let row = row_at(table, r);
                let result = result.and_then(|(code, id, rest)| {
                    if let Some(first) = self.seen.get(&(code, id)) {
                        return Err(row.err(
                            "supporter_id",
                            format!(
                                "duplicate supporter of household {code} (first on line {first})"
                            ),
                        ));
                    }
                    self.seen.insert((code, id), row.line);
                    let s = rest?;
                    let at = self.attach(code, &row, "household_id", Naming::Supporter)?;
                    Ok((at, s))
                });
                match result {
                    Ok((at, s)) => self.household(at).supporters.push(s),
                    Err(e) => {
                        self.errors.push(e);
                        self.taint(&row, sc.household, Naming::Supporter);
                    }
                }
            }
            self.supporters_read = hi;
        }
    }

    /// Hands over the households at `places`, all of whose rows have been read: a new
    /// household needs at least one member.
    fn take(&mut self, places: std::ops::Range<usize>) -> Vec<RosterHousehold> {
        let mut out = Vec::with_capacity(places.len());
        for i in places {
            let h = self.households[i].take().expect("handed over once");
            if let Some(refused) = self.refused_rows.remove(&i) {
                self.refuse_whole(&h, &refused);
                continue;
            }
            if h.line.is_some() && h.members.is_empty() {
                self.errors.push(RowError {
                    file: self.households_file.to_string(),
                    line: h.line.unwrap_or(0),
                    column: "household_id".into(),
                    reason: format!(
                        "household {} has no members in {}",
                        h.code, self.persons.file
                    ),
                });
                let file = self.supporters.map(|(t, _)| t.file.as_str()).unwrap_or("");
                for s in &h.supporters {
                    self.errors.push(RowError {
                        file: file.to_string(),
                        line: s.line,
                        column: "household_id".into(),
                        reason: format!("household {} was refused (it has no members)", h.code),
                    });
                }
                continue;
            }
            out.push(h);
        }
        out
    }
}

/// Column positions of the households file.
struct HouseholdColumns {
    code: usize,
    region: usize,
    hukou: Option<usize>,
    land: Option<usize>,
    deposits: Option<usize>,
    vehicle: Option<usize>,
    houses: Option<usize>,
    address: Option<usize>,
}

impl HouseholdColumns {
    fn of(t: &Table) -> Result<Self, TableError> {
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
struct PersonColumns {
    id: usize,
    household: usize,
    birth: Option<usize>,
    health: Option<usize>,
    student: Option<usize>,
    wage: Option<usize>,
    pension: Option<usize>,
    medical: Option<usize>,
    tuition: Option<usize>,
    premium: Option<usize>,
    name: Option<usize>,
    sex: Option<usize>,
    phone: Option<usize>,
    relation: Option<usize>,
}

impl PersonColumns {
    fn of(t: &Table) -> Result<Self, TableError> {
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
struct SupporterColumns {
    household: usize,
    id: usize,
    income: Option<usize>,
    status: Option<usize>,
    luxury: Option<usize>,
    name: Option<usize>,
    relation: Option<usize>,
}

impl SupporterColumns {
    fn of(t: &Table) -> Result<Self, TableError> {
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
fn check_household(
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

/// A person row's own checks.
fn check_person<'t>(row: &Row<'t>, c: &PersonColumns, known: &Known) -> CheckedPerson<'t> {
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
fn check_supporter<'t>(row: &Row<'t>, c: &SupporterColumns) -> CheckedSupporter<'t> {
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

/// What validation found besides the households: the refused rows and the rows read.
#[derive(Debug, Default)]
pub struct Summary {
    /// Refused rows, by file and line.
    pub errors: Vec<RowError>,
    pub rows_read: [usize; 3],
}

/// Validates the three tables (supporters optional) against what the database knows, and
/// hands the households to `emit` in batches of up to `batch`, each as soon as every row
/// about its households has been read: the households of the households file in its order,
/// then the registered households the roster adds members or supporters to. A row is
/// refused for the same first problem whatever the batch size. `emit` answers `false` to
/// stop (nothing more is read). A missing column is an error before any batch.
pub fn validate_in_batches(
    households: &Table,
    persons: &Table,
    supporters: Option<&Table>,
    known: &Known,
    batch: usize,
    emit: &mut dyn FnMut(Vec<RosterHousehold>) -> bool,
) -> Result<Summary, TableError> {
    validate_stepped(households, persons, supporters, known, batch, STEP, emit)
}

/// [`validate_in_batches`], reading `step` rows at a time.
fn validate_stepped(
    households: &Table,
    persons: &Table,
    supporters: Option<&Table>,
    known: &Known,
    batch: usize,
    step: usize,
    emit: &mut dyn FnMut(Vec<RosterHousehold>) -> bool,
) -> Result<Summary, TableError> {
    let batch = batch.max(1);
    let hc = HouseholdColumns::of(households)?;
    let pc = PersonColumns::of(persons)?;
    let sc = supporters.map(SupporterColumns::of).transpose()?;
    let rows_read = [
        households.len(),
        persons.len(),
        supporters.map_or(0, Table::len),
    ];
    let mut errors = Vec::new();

    // households.csv. A row's own checks need nothing from other rows: they run on all
    // cores. What depends on the rows before (duplicates, the household) follows in file
    // order, and a row is refused for the first problem in the same order as if checked
    // alone.
    let checked = par_map_rows(households, 0..households.len(), |row| {
        row.text()?;
        household_code(row, hc.code, "household_id")
            .map(|code| (code, check_household(row, &hc, known, code)))
    });
    let mut out: Vec<Option<RosterHousehold>> = Vec::with_capacity(households.len());
    let mut by_code: FastMap<&str, usize> = FastMap::default();
    by_code.reserve(households.len());
    let mut hh_lines: FastMap<&str, usize> = FastMap::default();
    hh_lines.reserve(households.len());
    let mut rejected: FastMap<&str, usize> = FastMap::default();
    for (row, result) in rows(households).zip(checked) {
        let result = result.and_then(|(code, rest)| {
            if let Some(first) = hh_lines.get(code) {
                return Err(row.err(
                    "household_id",
                    format!("duplicate household number {code} (first on line {first})"),
                ));
            }
            hh_lines.insert(code, row.line);
            rest
        });
        match result {
            Ok(h) => {
                by_code.insert(row.cell(hc.code), out.len());
                out.push(Some(h));
            }
            Err(e) => {
                let code = row.cell(hc.code);
                if !code.is_empty() {
                    rejected.entry(code).or_insert(row.line);
                }
                errors.push(e);
            }
        }
    }
    drop(hh_lines);

    // Where the last person and the last supporter of each household are: a household is
    // complete once the scans have passed both.
    let in_file = out.len();
    let mut last = vec![[0u32; 2]; in_file];
    let mut mark = |k: usize, table: &Table, col: usize| {
        for r in 0..table.len() {
            if let Some(&i) = by_code.get(table.cell(r, col)) {
                last[i][k] = r as u32 + 1;
            }
        }
    };
    mark(0, persons, pc.household);
    if let (Some(t), Some(c)) = (supporters, &sc) {
        mark(1, t, c.household);
    }

    let mut scan = Scan {
        households: out,
        by_code,
        rejected,
        known,
        households_file: &households.file,
        errors,
        persons,
        pc,
        persons_read: 0,
        id_lines: FastMap::default(),
        supporters: supporters.zip(sc),
        supporters_read: 0,
        seen: FastMap::default(),
        step: step.max(1),
        named_by_supporters: Vec::new(),
        refused_rows: FastMap::default(),
    };
    scan.id_lines.reserve(persons.len());
    scan.seen.reserve(rows_read[2]);
    let mut stopped = false;
    for lo in (0..in_file).step_by(batch) {
        let hi = in_file.min(lo.saturating_add(batch));
        let [p, s] = last[lo..hi]
            .iter()
            .fold([0, 0], |[p, s], l| [p.max(l[0]), s.max(l[1])]);
        scan.persons_to(p as usize);
        scan.supporters_to(s as usize);
        let b = scan.take(lo..hi);
        if !b.is_empty() && !emit(b) {
            stopped = true;
            break;
        }
    }
    if !stopped {
        scan.persons_to(persons.len());
        scan.supporters_to(rows_read[2]);
        // Registered households the roster adds to, in the order they were first named:
        // by a person row, then by a supporter row.
        // (`named_by_supporters` grows in place order.)
        let (later, first): (Vec<usize>, Vec<usize>) = (in_file..scan.households.len())
            .partition(|i| scan.named_by_supporters.binary_search(i).is_ok());
        let added: Vec<RosterHousehold> = first
            .into_iter()
            .chain(later)
            .flat_map(|i| scan.take(i..i + 1))
            .collect();
        let mut added = added.into_iter().peekable();
        while added.peek().is_some() {
            let b: Vec<RosterHousehold> = added.by_ref().take(batch).collect();
            if !emit(b) {
                break;
            }
        }
    }
    let mut errors = scan.errors;
    errors.sort_by(|a, b| (a.file.as_str(), a.line).cmp(&(b.file.as_str(), b.line)));
    Ok(Summary { errors, rows_read })
}

#[cfg(test)]
mod tests {
    use super::*;

    const VILLAGE: &str = "330326100201";

    fn id(seq: u32) -> String {
        let first = format!("33032619800101{seq:03}");
        let check = jiuzhu_domain::id_number::check_character(&first).unwrap();
        format!("{first}{check}")
    }

    fn table(file: &str, columns: &[&str], rows: &[Vec<String>]) -> Table {
        let mut t = Table::new(file, columns.iter().map(|c| c.to_string()).collect());
        for (i, r) in rows.iter().enumerate() {
            t.push_row(i + 2, r.iter().map(String::as_str)).unwrap();
        }
        t
    }

    fn cells(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|c| c.to_string()).collect()
    }

    /// A roster whose persons and supporters are not in household order (a member of H4
    /// comes last), whose rows name refused, unknown and registered households, and where a
    /// supporter names a registered household (R2) before a person names another (R1).
    fn roster() -> (Table, Table, Table) {
        let households = table(
            "households.csv",
            &["household_id", "region_code", "deposits"],
            &[
                cells(&["H1", VILLAGE, "100"]),
                cells(&["H2", "330326100299", "0"]),
                cells(&["H3", VILLAGE, "0"]),
                cells(&["H4", VILLAGE, "1.5"]),
                cells(&["H5", VILLAGE, "x"]),
                cells(&["H6", VILLAGE, ""]),
            ],
        );
        let persons = table(
            "persons.csv",
            &[
                "id_number",
                "household_id",
                "health",
                "declared_wage_monthly",
            ],
            &[
                cells(&[&id(1), "H4", "1", "100"]),
                cells(&[&id(2), "H1", "2", ""]),
                cells(&[&id(2), "H6", "1", ""]),
                cells(&[&id(3), "H2", "1", ""]),
                cells(&[&id(4), "H9", "1", ""]),
                cells(&[&id(5), "R1", "1", ""]),
                cells(&[&id(6), "H6", "7", ""]),
                cells(&[&id(7), "H4", "1", "-1"]),
                cells(&[&id(8), "H6", "1", ""]),
                cells(&[&id(9), "H4", "3", "2000"]),
            ],
        );
        let supporters = table(
            "supporters.csv",
            &["household_id", "supporter_id", "annual_income"],
            &[
                cells(&["R2", &id(23), "0"]),
                cells(&["H6", &id(20), "100"]),
                cells(&["H1", &id(21), "5000"]),
                cells(&["H3", &id(22), "0"]),
                cells(&["H6", &id(20), "1"]),
                cells(&["H4", &id(24), "bad"]),
            ],
        );
        (households, persons, supporters)
    }

    type Shape = Vec<(String, Vec<(String, &'static str)>, Vec<String>)>;

    fn shape(households: &[RosterHousehold]) -> Shape {
        let mut out: Shape = households
            .iter()
            .map(|h| {
                (
                    h.code.clone(),
                    h.members
                        .iter()
                        .map(|p| (p.id_number.as_str().to_string(), p.relation.code()))
                        .collect(),
                    h.supporters
                        .iter()
                        .map(|s| s.id_number.as_str().to_string())
                        .collect(),
                )
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn batches_of_any_size_hold_the_same_households_and_refuse_the_same_rows() {
        let villages: HashMap<String, String> =
            [(VILLAGE.to_string(), "凤巢村".to_string())].into();
        let registered: HashMap<String, (i64, String)> = [
            ("R1".to_string(), (7, VILLAGE.to_string())),
            ("R2".to_string(), (8, VILLAGE.to_string())),
        ]
        .into();
        let known = Known {
            villages: &villages,
            registered_households: &registered,
            as_of: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            scope: "",
            foreign: &FastSet::default(),
        };
        let (h, p, s) = roster();
        // All at once: one batch.
        let mut households = Vec::new();
        let whole = validate_in_batches(&h, &p, Some(&s), &known, usize::MAX, &mut |b| {
            households.extend(b);
            true
        })
        .unwrap();
        let where_: Vec<(&str, usize, &str)> = whole
            .errors
            .iter()
            .map(|e| (e.file.as_str(), e.line, e.column.as_str()))
            .collect();
        // A household with any refused row is refused whole (H4: a bad wage and a bad
        // income; H6: a duplicate ID number, a bad health code and a duplicate supporter),
        // with its household row and every good row of it named.
        assert_eq!(
            where_,
            [
                ("households.csv", 3, "region_code"),
                ("households.csv", 4, "household_id"),
                ("households.csv", 5, "household_id"),
                ("households.csv", 6, "deposits"),
                ("households.csv", 7, "household_id"),
                ("persons.csv", 2, "household_id"),
                ("persons.csv", 4, "id_number"),
                ("persons.csv", 5, "household_id"),
                ("persons.csv", 6, "household_id"),
                ("persons.csv", 8, "health"),
                ("persons.csv", 9, "declared_wage_monthly"),
                ("persons.csv", 10, "household_id"),
                ("persons.csv", 11, "household_id"),
                ("supporters.csv", 3, "household_id"),
                ("supporters.csv", 5, "household_id"),
                ("supporters.csv", 6, "supporter_id"),
                ("supporters.csv", 7, "annual_income"),
            ],
            "{:#?}",
            whole.errors
        );
        assert_eq!(
            whole.errors[2].reason,
            "household H4 refused: persons.csv line 9 was refused; supporters.csv line 7 was refused"
        );
        assert_eq!(
            whole.errors[4].reason,
            "household H6 refused: persons.csv lines 4, 8 were refused; supporters.csv line 6 was refused"
        );
        assert_eq!(
            whole.errors[5].reason, whole.errors[2].reason,
            "its good rows too"
        );
        assert!(whole.errors[1].reason.contains("no members"));
        assert!(
            whole.errors[6]
                .reason
                .contains("duplicate ID number 330326")
        );
        assert!(whole.errors[14].reason.contains("it has no members"));
        let expected = shape(&households);
        assert_eq!(
            expected,
            [
                ("H1".to_string(), vec![(id(2), "head")], vec![id(21)]),
                ("R1".to_string(), vec![(id(5), "other")], vec![]),
                ("R2".to_string(), vec![], vec![id(23)]),
            ]
        );
        // Every batch size, and steps small enough that a batch is handed over before
        // the files are read to the end.
        for step in [1, 2, 3, STEP] {
            for batch in [1, 2, 3, 4, 100] {
                let mut batches = Vec::new();
                let summary = validate_stepped(&h, &p, Some(&s), &known, batch, step, &mut |b| {
                    batches.push(b);
                    true
                })
                .unwrap();
                let case = format!("step {step}, batch {batch}");
                assert_eq!(summary.errors, whole.errors, "{case}");
                assert!(batches.iter().all(|b| !b.is_empty() && b.len() <= batch));
                let all: Vec<RosterHousehold> = batches.into_iter().flatten().collect();
                assert_eq!(shape(&all), expected, "{case}");
                // The file's households in file order, then the registered ones: those a
                // person names before those only a supporter names.
                let order: Vec<&str> = all.iter().map(|h| h.code.as_str()).collect();
                assert_eq!(order, ["H1", "R1", "R2"], "{case}");
            }
        }
        // With a row a step and a household a batch, H1 is handed over as soon as its
        // rows are read: the persons file up to line 3, the supporters file up to line 4.
        // A receiver that stops there gets nothing more, and no later row has been read.
        let mut got = Vec::new();
        let summary = validate_stepped(&h, &p, Some(&s), &known, 1, 1, &mut |b| {
            got.push(b[0].code.clone());
            false
        })
        .unwrap();
        assert_eq!(got, ["H1"]);
        let read: Vec<(&str, usize)> = summary
            .errors
            .iter()
            .map(|e| (e.file.as_str(), e.line))
            .collect();
        assert_eq!(read, [("households.csv", 3), ("households.csv", 6)]);
    }

    #[test]
    fn a_name_longer_than_the_limit_refuses_its_row_and_household() {
        let villages: HashMap<String, String> =
            [(VILLAGE.to_string(), "凤巢村".to_string())].into();
        let registered = HashMap::new();
        let known = Known {
            villages: &villages,
            registered_households: &registered,
            as_of: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            scope: "",
            foreign: &FastSet::default(),
        };
        let h = table(
            "households.csv",
            &["household_id", "region_code"],
            &[cells(&["H1", VILLAGE]), cells(&["H2", VILLAGE])],
        );
        let long = "张".repeat(10_000);
        let p = table(
            "persons.csv",
            &["id_number", "household_id", "name"],
            &[
                cells(&[&id(1), "H1", "张三"]),
                cells(&[&id(2), "H1", &long]),
                cells(&[&id(3), "H2", &"李".repeat(40)]),
            ],
        );
        let mut got = Vec::new();
        let summary = validate_in_batches(&h, &p, None, &known, 10, &mut |b| {
            got.extend(b);
            true
        })
        .unwrap();
        assert_eq!(
            got.iter().map(|h| h.code.as_str()).collect::<Vec<_>>(),
            ["H2"]
        );
        let e = summary
            .errors
            .iter()
            .find(|e| e.line == 3 && e.file == "persons.csv")
            .unwrap();
        assert_eq!(
            (e.column.as_str(), e.reason.as_str()),
            ("name", "at most 40 characters (10000 given)")
        );
    }
}
