//! Row-by-row validation of a roster into households ready to register. Every refused row
//! is reported with its file, line, column and reason; good rows go on.

use std::collections::HashMap;

use chrono::NaiveDate;
use jiuzhu_domain::hash::{FastMap, FastSet};
use jiuzhu_domain::roster::RosterHousehold;
use jiuzhu_domain::{IdNumber, Money};

use crate::table::{Cells, Table, TableError};

mod check;
mod scan;

use check::*;
use scan::*;

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

    let (out, by_code, rejected) = households_pass(households, &hc, known, &mut errors);
    let in_file = out.len();
    let last = last_rows(
        &by_code,
        in_file,
        persons,
        pc.household,
        supporters.zip(sc.as_ref()),
    );
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
    emit_in_batches(&mut scan, &last, batch, emit);
    let mut errors = scan.errors;
    errors.sort_by(|a, b| (a.file.as_str(), a.line).cmp(&(b.file.as_str(), b.line)));
    Ok(Summary { errors, rows_read })
}

#[cfg(test)]
mod tests;

/// Households to be registered and refused rows; by number, the households that passed
/// (their place) and the numbers refused (their first line).
type HouseholdsRead<'t> = (
    Vec<Option<RosterHousehold>>,
    FastMap<&'t str, usize>,
    FastMap<&'t str, usize>,
);

/// households.csv. A row's own checks need nothing from other rows: they run on all
/// cores. What depends on the rows before (duplicates, the household) follows in file
/// order, and a row is refused for the first problem in the same order as if checked
/// alone.
fn households_pass<'t>(
    households: &'t Table,
    hc: &HouseholdColumns,
    known: &Known,
    errors: &mut Vec<RowError>,
) -> HouseholdsRead<'t> {
    let checked = par_map_rows(households, 0..households.len(), |row| {
        row.text()?;
        household_code(row, hc.code, "household_id")
            .map(|code| (code, check_household(row, hc, known, code)))
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
    (out, by_code, rejected)
}

/// Where the last person and the last supporter of each household are: a household is
/// complete once the scans have passed both.
fn last_rows(
    by_code: &FastMap<&str, usize>,
    in_file: usize,
    persons: &Table,
    person_household: usize,
    supporters: Option<(&Table, &SupporterColumns)>,
) -> Vec<[u32; 2]> {
    let mut last = vec![[0u32; 2]; in_file];
    let mut mark = |k: usize, table: &Table, col: usize| {
        for r in 0..table.len() {
            if let Some(&i) = by_code.get(table.cell(r, col)) {
                last[i][k] = r as u32 + 1;
            }
        }
    };
    mark(0, persons, person_household);
    if let Some((t, c)) = supporters {
        mark(1, t, c.household);
    }
    last
}

/// Hands the households over `batch` at a time as soon as their rows have been read, then
/// the registered households the roster adds to; stops when `emit` says so.
fn emit_in_batches(
    scan: &mut Scan<'_, '_>,
    last: &[[u32; 2]],
    batch: usize,
    emit: &mut dyn FnMut(Vec<RosterHousehold>) -> bool,
) {
    let in_file = last.len();
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
        scan.persons_to(scan.persons.len());
        scan.supporters_to(scan.supporters.as_ref().map_or(0, |(t, _)| t.len()));
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
}
