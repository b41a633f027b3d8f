//! The roster's bulk path on SQLite: one native connection for a whole import, multi-row
//! statements, and ids assigned by the writer.
//!
//! Three things made the per-row path slow (measured on workload P size M):
//! - **Statement overhead.** One `sqlite3_step` per row. Rows now go in 64 to a statement.
//! - **Statement journals.** A multi-row statement that may *abort* half-way makes SQLite
//!   copy every page it touches into a statement journal, so it can undo just that
//!   statement. These statements say `OR IGNORE` (registered households and persons are
//!   skipped, and found afterwards) or `OR FAIL` (a violation fails the whole batch, whose
//!   transaction is rolled back anyway), so there is nothing to undo.
//! - **Copied parameters.** rusqlite binds every text as `SQLITE_TRANSIENT`: SQLite
//!   allocates, copies and frees each one. [`Raw::run`] binds them `SQLITE_STATIC` for the
//!   length of one call.
//!
//! A household or person gets the next free id of its table (the batch holds the write
//! lock from `BEGIN IMMEDIATE`, so nobody else can take it). When a statement changes
//! fewer rows than it was given, some were registered already: those rows are looked up
//! one by one, and their registered ids are used instead. A fresh import never takes that
//! path; a re-run takes it for every row.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use crate::audit;

mod raw;

use crate::households::amount_fen;
use crate::roster::{
    BatchOptions, BatchOutcome, Refusal, RosterHousehold, RosterPerson, batch_entry,
};
use crate::{Result, now_text};
use jiuzhu_domain::hash::FastSet;
use jiuzhu_domain::{EvidenceKind, EvidenceValue};
use raw::{Raw, Val};

/// Rows per multi-row statement (not tuned; the standalone experiments of bench/README.md
/// used 150 to 300).
const ROWS: usize = 64;

/// A native connection that registers roster batches; one per import.
pub(crate) struct Writer {
    /// Prepared statements by (table, rows). Declared before `conn`: finalized first
    /// (never move `conn` out of a `Writer`: closing it with statements open would fail).
    stmts: HashMap<(Table, usize), Raw>,
    conn: Connection,
    /// Buffers kept from batch to batch: allocating them anew cost 4 % of an import in
    /// page faults.
    vals: Vec<Val<'static>>,
    text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Table {
    Households,
    Persons,
    Members,
    Evidence,
    Supporters,
}

impl Table {
    /// The statement's head and its number of columns.
    fn head(self) -> (&'static str, usize) {
        match self {
            Table::Households => (
                "INSERT OR IGNORE INTO households (id, code, region_code, hukou, address, created_at, updated_at)",
                7,
            ),
            Table::Persons => (
                "INSERT OR IGNORE INTO persons (id, id_number, name, sex, birth_date, phone, created_at, updated_at)",
                8,
            ),
            Table::Members => (
                "INSERT OR FAIL INTO members (household_id, person_id, relation, valid_from)",
                4,
            ),
            Table::Evidence => (
                "INSERT OR FAIL INTO evidence (household_id, person_id, kind, value, amount_fen, source,
                                               valid_from, recorded_at, recorded_by)",
                9,
            ),
            Table::Supporters => (
                "INSERT OR IGNORE INTO supporters (household_id, id_number, name, relation, annual_income_fen,
                                                   status, has_luxury, source, valid_from, recorded_at, recorded_by)",
                11,
            ),
        }
    }
}

impl Writer {
    /// A writer to the SQLite file at `path`.
    pub(crate) fn open(path: &Path) -> Result<Writer> {
        // One connection per writer: SQLite's own mutexes are not needed.
        let flags =
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)?;
        conn.busy_timeout(Duration::from_secs(30))?;
        // Foreign keys are not checked on this connection: every id it writes comes from a
        // row it inserted or looked up in the same transaction (checking cost 10% of the time).
        conn.execute_batch(
            "PRAGMA foreign_keys = OFF; PRAGMA synchronous = FULL; PRAGMA cache_size = -131072;",
        )?;
        Ok(Writer {
            stmts: HashMap::new(),
            conn,
            vals: Vec::new(),
            text: String::new(),
        })
    }

    /// Inserts `rows` (each `cols` values, laid end to end) into `table`, `ROWS` to a
    /// statement; returns how many rows each statement changed, in order.
    fn insert(&mut self, table: Table, rows: &[Val<'_>]) -> Result<Vec<usize>> {
        let (head, cols) = table.head();
        debug_assert_eq!(rows.len() % cols, 0);
        let mut changed = Vec::with_capacity(rows.len().div_ceil(ROWS * cols));
        for chunk in rows.chunks(ROWS * cols) {
            let n = chunk.len() / cols;
            let stmt = match self.stmts.entry((table, n)) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let one = format!("({})", vec!["?"; cols].join(","));
                    let sql = format!("{head} VALUES {}", vec![one; n].join(","));
                    e.insert(Raw::prepare(&self.conn, &sql)?)
                }
            };
            stmt.run(&self.conn, chunk)?;
            changed.push(self.conn.changes() as usize);
        }
        Ok(changed)
    }

    fn next_id(&self, table: &str) -> Result<i64> {
        Ok(self.conn.query_row(
            &format!("SELECT coalesce(max(id), 0) + 1 FROM {table}"),
            [],
            |r| r.get(0),
        )?)
    }

    /// Registers one batch of households in one `BEGIN IMMEDIATE` transaction.
    pub(crate) fn insert_batch(
        &mut self,
        batch: &[RosterHousehold],
        opts: &BatchOptions,
    ) -> Result<BatchOutcome> {
        if batch.is_empty() {
            return Ok(BatchOutcome::default());
        }
        if !self.conn.is_autocommit() {
            // A rollback after an earlier failure did not succeed; try again.
            self.conn.execute_batch("ROLLBACK")?;
        }
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let done = self.write(batch, opts).and_then(|out| {
            self.conn.execute_batch("COMMIT")?;
            Ok(out)
        });
        if done.is_err() && !self.conn.is_autocommit() {
            // The batch leaves nothing behind (nor an open transaction); the error is what
            // the caller sees.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        done
    }

    fn write(&mut self, batch: &[RosterHousehold], opts: &BatchOptions) -> Result<BatchOutcome> {
        refuse_repeats(batch)?;
        let mut out = BatchOutcome::default();
        let (now, as_of) = (now_text(), opts.as_of.format("%Y-%m-%d").to_string());
        let stamp = Stamp {
            now: &now,
            as_of: &as_of,
            source: opts.source.code(),
            by: opts.actor.name.as_str(),
        };
        let mut rows = recycle(std::mem::take(&mut self.vals));
        // 1. Households, with the next free ids; then the ids of those registered already.
        let hids = self.store_households(batch, &stamp, &mut rows)?;
        out.households_added = hids.iter().filter(|(_, new)| *new).count();
        out.households_existing = batch.len() - out.households_added;
        // 2. Persons, the same way.
        let people: Vec<(usize, &RosterPerson)> = batch
            .iter()
            .enumerate()
            .flat_map(|(i, h)| h.members.iter().map(move |p| (i, p)))
            .collect();
        let mut births = std::mem::take(&mut self.text);
        births.clear();
        for (_, p) in &people {
            push_birth(&mut births, p);
        }
        let pids = self.store_persons(&people, &births, &hids, &stamp, &mut rows, &mut out)?;
        // 3. Memberships and evidence of what was added.
        rows.clear();
        // Values are written end to end into one text (their `Display` is the stored form,
        // `EvidenceValue::to_storage`), then bound as slices of it.
        let mut values = String::new();
        let mut evidence: Vec<EvidenceRow> = Vec::with_capacity(people.len() * 4);
        let mut add =
            |hh: Option<i64>, person: Option<i64>, (k, v): &(EvidenceKind, EvidenceValue)| {
                write!(values, "{v}").expect("writing to a String");
                evidence.push(EvidenceRow {
                    household_id: hh,
                    person_id: person,
                    kind: k.code(),
                    value_end: values.len(),
                    amount_fen: amount_fen(v),
                });
            };
        for (h, (hid, new)) in batch.iter().zip(&hids) {
            if *new {
                h.evidence.iter().for_each(|e| add(Some(*hid), None, e));
            }
        }
        for ((hi, p), pid) in people.iter().zip(&pids) {
            let Some(pid) = *pid else { continue };
            rows.extend([
                Val::Int(hids[*hi].0),
                Val::Int(pid),
                Val::Text(p.relation.code()),
                Val::Text(&as_of),
            ]);
            out.persons_added += 1;
            p.evidence.iter().for_each(|e| add(None, Some(pid), e));
        }
        self.insert(Table::Members, &rows)?;
        out.evidence_added = evidence.len();
        rows.clear();
        let mut start = 0;
        for e in &evidence {
            rows.extend([
                Val::from(e.household_id),
                Val::from(e.person_id),
                Val::Text(e.kind),
                Val::Text(&values[start..e.value_end]),
                Val::from(e.amount_fen),
                Val::Text(stamp.source),
                Val::Text(stamp.as_of),
                Val::Text(stamp.now),
                Val::Text(stamp.by),
            ]);
            start = e.value_end;
        }
        self.insert(Table::Evidence, &rows)?;

        // 4. Supporters: one current obligation per household and supporter.
        out.supporters_added = self.store_supporters(batch, &hids, &stamp, &mut rows)?;
        self.vals = recycle(rows);
        self.text = births;
        // 5. The batch's audit row.
        self.append_audit(batch, opts, &out, &as_of)?;
        Ok(out)
    }

    /// Inserts the batch's households with the next free ids; returns each one's id and
    /// whether it is new (a household registered already keeps its id).
    fn store_households<'v>(
        &mut self,
        batch: &'v [RosterHousehold],
        stamp: &Stamp<'v>,
        rows: &mut Vec<Val<'v>>,
    ) -> Result<Vec<(i64, bool)>> {
        rows.clear();
        let first = self.next_id("households")?;
        for (i, h) in batch.iter().enumerate() {
            rows.extend([
                Val::Int(first + i as i64),
                Val::Text(&h.code),
                Val::Text(&h.region_code),
                Val::Text(h.hukou.code()),
                Val::Text(&h.address),
                Val::Text(stamp.now),
                Val::Text(stamp.now),
            ]);
        }
        let changed = self.insert(Table::Households, rows)?;
        let mut hids: Vec<(i64, bool)> =
            (0..batch.len()).map(|i| (first + i as i64, true)).collect();
        for (c, chunk) in hids.chunks_mut(ROWS).enumerate() {
            if changed[c] == chunk.len() {
                continue;
            }
            let mut lookup = self
                .conn
                .prepare_cached("SELECT id FROM households WHERE code = ?1")?;
            for (j, slot) in chunk.iter_mut().enumerate() {
                let h = &batch[c * ROWS + j];
                let id: Option<i64> = lookup.query_row([&h.code], |r| r.get(0)).optional()?;
                match id {
                    Some(id) if id == slot.0 => {}
                    Some(id) => *slot = (id, false),
                    None => {
                        return Err(crate::DbError::Invalid(format!(
                            "household {} could not be stored",
                            h.code
                        )));
                    }
                }
            }
        }
        Ok(hids)
    }

    /// Inserts the persons with the next free ids; returns for each one the id whose
    /// membership is to be added (`None`: already a member here, or refused, counted in `out`).
    fn store_persons<'v>(
        &mut self,
        people: &[(usize, &'v RosterPerson)],
        births: &'v str,
        hids: &[(i64, bool)],
        stamp: &Stamp<'v>,
        rows: &mut Vec<Val<'v>>,
        out: &mut BatchOutcome,
    ) -> Result<Vec<Option<i64>>> {
        let mut first_p = self.next_id("persons")?;
        rows.clear();
        for ((_, p), birth) in people.iter().zip(births.as_bytes().chunks(10)) {
            let birth = std::str::from_utf8(birth).expect("ASCII digits and dashes");
            rows.extend([
                Val::Int(first_p),
                Val::Text(p.id_number.as_str()),
                Val::Text(&p.name),
                Val::Text(p.id_number.sex().code()),
                Val::Text(birth),
                Val::Text(&p.phone),
                Val::Text(stamp.now),
                Val::Text(stamp.now),
            ]);
            first_p += 1;
        }
        let changed = self.insert(Table::Persons, rows)?;
        let first_p = first_p - people.len() as i64;
        // For each person: its id, and whether a membership is to be added.
        let mut pids: Vec<Option<i64>> = (0..people.len())
            .map(|i| Some(first_p + i as i64))
            .collect();
        for (c, chunk) in pids.chunks_mut(ROWS).enumerate() {
            if changed[c] == chunk.len() {
                continue;
            }
            let mut lookup = self.conn.prepare_cached(
                "SELECT p.id, m.household_id FROM persons p
                 LEFT JOIN members m ON m.person_id = p.id AND m.valid_to IS NULL
                 WHERE p.id_number = ?1",
            )?;
            for (j, slot) in chunk.iter_mut().enumerate() {
                let (hi, p) = people[c * ROWS + j];
                let found: Option<(i64, Option<i64>)> = lookup
                    .query_row([p.id_number.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                *slot = match found {
                    Some((id, _)) if Some(id) == *slot => continue,
                    Some((_, Some(current))) if current == hids[hi].0 => {
                        out.persons_existing += 1;
                        None
                    }
                    Some((_, Some(_))) => {
                        out.refused.push(refusal(p));
                        None
                    }
                    Some((id, None)) => Some(id),
                    None => {
                        return Err(crate::DbError::Invalid(format!(
                            "person {} could not be stored",
                            p.id_number.masked()
                        )));
                    }
                };
            }
        }
        Ok(pids)
    }

    /// Inserts the supporters of the batch's households; returns how many were added.
    fn store_supporters<'v>(
        &mut self,
        batch: &'v [RosterHousehold],
        hids: &[(i64, bool)],
        stamp: &Stamp<'v>,
        rows: &mut Vec<Val<'v>>,
    ) -> Result<usize> {
        rows.clear();
        for (h, (hid, _)) in batch.iter().zip(hids) {
            for s in &h.supporters {
                rows.extend([
                    Val::Int(*hid),
                    Val::Text(s.id_number.as_str()),
                    Val::Text(&s.name),
                    Val::Text(&s.relation),
                    Val::Int(s.annual_income.fen()),
                    Val::Text(s.status.code()),
                    Val::Int(s.has_luxury as i64),
                    Val::Text(stamp.source),
                    Val::Text(stamp.as_of),
                    Val::Text(stamp.now),
                    Val::Text(stamp.by),
                ]);
            }
        }
        Ok(self.insert(Table::Supporters, rows)?.iter().sum())
    }

    /// Appends the batch's audit row, chained to the last one, when the batch added anything.
    fn append_audit(
        &mut self,
        batch: &[RosterHousehold],
        opts: &BatchOptions,
        out: &BatchOutcome,
        as_of: &str,
    ) -> Result<()> {
        if out.households_added + out.persons_added + out.supporters_added > 0 {
            let prev: Option<(i64, String)> = self
                .conn
                .query_row(audit::LAST_SQL, [], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let row = audit::chained_row(prev, &opts.actor, batch_entry(batch, opts, out, as_of));
            self.conn.execute(
                audit::INSERT_SQL,
                params![
                    row.id,
                    row.at,
                    row.actor,
                    row.role,
                    row.ip,
                    row.action,
                    row.object_type,
                    row.object_id,
                    row.household_id,
                    row.detail,
                    row.prev_hash,
                    row.hash
                ],
            )?;
        }
        Ok(())
    }
}

/// What every row of a batch shares: when, from what date, on what source, by whom.
struct Stamp<'v> {
    now: &'v str,
    as_of: &'v str,
    source: &'v str,
    by: &'v str,
}

/// A household or person twice in one batch would be taken for a registered one
/// (validation refuses both; this writer does not rely on it).
fn refuse_repeats(batch: &[RosterHousehold]) -> Result<()> {
    let mut seen = FastSet::default();
    seen.reserve(batch.len());
    for h in batch {
        if !seen.insert(h.code.as_str()) {
            return Err(crate::DbError::Invalid(format!(
                "household {} is twice in one batch",
                h.code
            )));
        }
    }
    let mut seen = FastSet::default();
    seen.reserve(batch.len() * 4);
    for p in batch.iter().flat_map(|h| &h.members) {
        if !seen.insert(p.id_number.as_str()) {
            return Err(crate::DbError::Invalid(format!(
                "person {} is twice in one batch",
                p.id_number.masked()
            )));
        }
    }
    Ok(())
}

/// An evidence row to write; its value is the text of `values` up to `value_end`,
/// from where the previous row's ended.
struct EvidenceRow {
    household_id: Option<i64>,
    person_id: Option<i64>,
    kind: &'static str,
    value_end: usize,
    amount_fen: Option<i64>,
}

/// Appends `YYYY-MM-DD` (10 bytes) from the ID number's birth digits, which were
/// validated when it was parsed.
fn push_birth(out: &mut String, p: &RosterPerson) {
    let d = &p.id_number.as_str()[6..14];
    for part in [&d[..4], "-", &d[4..6], "-", &d[6..]] {
        out.push_str(part);
    }
}

/// An empty vector with `v`'s allocation, for values borrowed for another lifetime.
/// (Collecting a mapped `into_iter` of the same layout reuses the allocation.)
fn recycle<'b>(mut v: Vec<Val<'_>>) -> Vec<Val<'b>> {
    v.clear();
    v.into_iter().map(|_| Val::Null).collect()
}

fn refusal(p: &RosterPerson) -> Refusal {
    Refusal {
        file: "persons",
        line: p.line,
        column: "id_number",
        reason: "already registered as a member of another household".into(),
    }
}

#[cfg(test)]
mod tests;
