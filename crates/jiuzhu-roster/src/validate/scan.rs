//! Households held while their persons and supporters are read, and refused whole when
//! a row of theirs is refused.

use jiuzhu_domain::hash::FastMap;
use jiuzhu_domain::roster::RosterHousehold;
use jiuzhu_domain::{Hukou, Relation};

use crate::table::Table;

use super::*;

/// Where persons and supporters find their household: in the file, or registered already.
/// Households are held until their last row has been read, then handed over.
pub(super) struct Scan<'a, 't> {
    /// The households of the file that passed, then the registered ones the roster adds
    /// to; `None` once handed over.
    pub(super) households: Vec<Option<RosterHousehold>>,
    /// Household number → its place in `households`.
    pub(super) by_code: FastMap<&'t str, usize>,
    /// Household number → line, of the households file's refused rows.
    pub(super) rejected: FastMap<&'t str, usize>,
    pub(super) known: &'a Known<'a>,
    pub(super) households_file: &'t str,
    pub(super) errors: Vec<RowError>,
    pub(super) persons: &'t Table,
    pub(super) pc: PersonColumns,
    /// The first person row not yet read.
    pub(super) persons_read: usize,
    pub(super) id_lines: FastMap<[u8; 18], usize>,
    pub(super) supporters: Option<(&'t Table, SupporterColumns)>,
    pub(super) supporters_read: usize,
    pub(super) seen: FastMap<(&'t str, [u8; 18]), usize>,
    /// Rows read at a time.
    pub(super) step: usize,
    /// Registered households first named by a supporter row, in that order: they follow
    /// those first named by a person row, as when the persons file was read first.
    pub(super) named_by_supporters: Vec<usize>,
    /// Household place → the lines of its refused rows (false: persons, true: supporters).
    /// A household with any refused row is refused whole: registering the rest would
    /// change its size for every means test.
    pub(super) refused_rows: FastMap<usize, Vec<(bool, usize)>>,
}

/// Rows whose own checks run together on all cores, as a scan moves on.
pub(super) const STEP: usize = 16 << 10;

/// Which file names a household.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Naming {
    Person,
    Supporter,
}

impl<'t> Scan<'_, 't> {
    /// The household `code` (in the file, or registered and added now) as its place.
    pub(super) fn attach(
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
    pub(super) fn taint(&mut self, row: &Row<'t>, col: usize, by: Naming) {
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
    pub(super) fn refuse_whole(&mut self, h: &RosterHousehold, refused: &[(bool, usize)]) {
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

    pub(super) fn household(&mut self, at: usize) -> &mut RosterHousehold {
        self.households[at]
            .as_mut()
            .expect("a household is handed over only after its last row")
    }

    /// Reads the person rows before `end` (and up to a step beyond).
    pub(super) fn persons_to(&mut self, end: usize) {
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
    pub(super) fn supporters_to(&mut self, end: usize) {
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
    pub(super) fn take(&mut self, places: std::ops::Range<usize>) -> Vec<RosterHousehold> {
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
