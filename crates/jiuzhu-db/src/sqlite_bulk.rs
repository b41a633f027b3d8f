//! The roster's bulk path on SQLite: one native connection with prepared statements,
//! reused for every row of a batch. sqlx's `Any` layer converts and allocates every bound
//! value twice, which made it the bottleneck of a large import; this path writes the same
//! rows, in the same single transaction per batch, with the same audit row.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::audit;
use crate::households::amount_fen;
use crate::roster::{
    BatchOptions, BatchOutcome, Refusal, RosterHousehold, RosterPerson, batch_entry,
};
use crate::{Result, now_text};
use jiuzhu_domain::{EvidenceKind, EvidenceValue};

/// A connection for bulk writes to the SQLite file at `path`.
pub(crate) fn open(path: &Path) -> Result<Connection> {
    // One connection per import thread: SQLite's own mutexes are not needed.
    let flags =
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(Duration::from_secs(30))?;
    // Foreign keys are not checked on this connection: every id it writes comes from a
    // row it inserted or looked up in the same transaction (checking cost 10% of the time).
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF; PRAGMA synchronous = FULL; PRAGMA cache_size = -131072;",
    )?;
    Ok(conn)
}

/// Registers one batch of households in one `BEGIN IMMEDIATE` transaction.
pub(crate) fn insert_batch(
    conn: &mut Connection,
    batch: &[RosterHousehold],
    opts: &BatchOptions,
) -> Result<BatchOutcome> {
    let mut out = BatchOutcome::default();
    if batch.is_empty() {
        return Ok(out);
    }
    let now = now_text();
    let as_of = opts.as_of.format("%Y-%m-%d").to_string();
    let source = opts.source.code();
    let recorded_by = opts.actor.name.as_str();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut insert_household = tx.prepare_cached(
            "INSERT INTO households (code, region_code, hukou, address, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (code) DO NOTHING",
        )?;
        let mut household_id = tx.prepare_cached("SELECT id FROM households WHERE code = ?1")?;
        let mut insert_person = tx.prepare_cached(
            "INSERT INTO persons (id_number, name, sex, birth_date, phone, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (id_number) DO NOTHING",
        )?;
        let mut registered_person = tx.prepare_cached(
            "SELECT p.id, m.household_id FROM persons p
             LEFT JOIN members m ON m.person_id = p.id AND m.valid_to IS NULL
             WHERE p.id_number = ?1",
        )?;
        let mut insert_member = tx.prepare_cached(
            "INSERT INTO members (household_id, person_id, relation, valid_from) VALUES (?1, ?2, ?3, ?4)",
        )?;
        let mut insert_supporter = tx.prepare_cached(
            "INSERT INTO supporters (household_id, id_number, name, relation, annual_income_fen, status,
                                     has_luxury, source, valid_from, recorded_at, recorded_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT DO NOTHING",
        )?;
        // Evidence is the bulk of a roster (3-4 rows a person): gathered, then written
        // with multi-row statements.
        let mut evidence: Vec<EvidenceRow> = Vec::new();
        let mut add_evidence = |hh: Option<i64>,
                                person: Option<i64>,
                                items: &[(EvidenceKind, EvidenceValue)]|
         -> usize {
            evidence.extend(items.iter().map(|(k, v)| EvidenceRow {
                household_id: hh,
                person_id: person,
                kind: k.code(),
                value: v.to_storage(),
                amount_fen: amount_fen(v),
            }));
            items.len()
        };
        for h in batch {
            let added = insert_household.execute(params![
                h.code,
                h.region_code,
                h.hukou.code(),
                h.address,
                now
            ])? == 1;
            let hid = if added {
                out.households_added += 1;
                let id = tx.last_insert_rowid();
                out.evidence_added += add_evidence(Some(id), None, &h.evidence);
                id
            } else {
                out.households_existing += 1;
                household_id.query_row([&h.code], |r| r.get(0))?
            };
            for p in &h.members {
                let birth = p.id_number.birth_date().format("%Y-%m-%d").to_string();
                let new = insert_person.execute(params![
                    p.id_number.as_str(),
                    p.name,
                    p.id_number.sex().code(),
                    birth,
                    p.phone,
                    now
                ])? == 1;
                let pid = if new {
                    tx.last_insert_rowid()
                } else {
                    let (pid, current): (i64, Option<i64>) = registered_person
                        .query_row([p.id_number.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?;
                    match current {
                        Some(c) if c == hid => {
                            out.persons_existing += 1;
                            continue;
                        }
                        Some(_) => {
                            out.refused.push(refusal(p));
                            continue;
                        }
                        None => pid,
                    }
                };
                insert_member.execute(params![hid, pid, p.relation.code(), as_of])?;
                out.persons_added += 1;
                out.evidence_added += add_evidence(None, Some(pid), &p.evidence);
            }
            for s in &h.supporters {
                out.supporters_added += insert_supporter.execute(params![
                    hid,
                    s.id_number.as_str(),
                    s.name,
                    s.relation,
                    s.annual_income.fen(),
                    s.status.code(),
                    s.has_luxury as i64,
                    source,
                    as_of,
                    now,
                    recorded_by
                ])?;
            }
        }
        write_evidence(&tx, &evidence, source, &as_of, &now, recorded_by)?;
        if out.households_added + out.persons_added + out.supporters_added > 0 {
            let prev: Option<(i64, String)> = tx
                .query_row(audit::LAST_SQL, [], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let row = audit::chained_row(prev, &opts.actor, batch_entry(batch, opts, &out, &as_of));
            tx.execute(
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
    }
    tx.commit()?;
    Ok(out)
}

struct EvidenceRow {
    household_id: Option<i64>,
    person_id: Option<i64>,
    kind: &'static str,
    value: String,
    amount_fen: Option<i64>,
}

/// Rows per multi-row evidence statement (5 parameters each, and 4 shared).
const EVIDENCE_ROWS: usize = 100;

fn write_evidence(
    tx: &rusqlite::Transaction,
    rows: &[EvidenceRow],
    source: &str,
    as_of: &str,
    now: &str,
    by: &str,
) -> Result<()> {
    // What every row of a batch shares (source, dates, who) is bound once per statement as
    // ?1-?4; each row binds only its own five values. (SQLite copies every bound text.)
    let sql = |n: usize| {
        format!(
            "INSERT INTO evidence (household_id, person_id, kind, value, amount_fen, source, valid_from,
                                   recorded_at, recorded_by)
             SELECT column1, column2, column3, column4, column5, ?1, ?2, ?3, ?4 FROM (VALUES {})",
            vec!["(?,?,?,?,?)"; n].join(",")
        )
    };
    for chunk in rows.chunks(EVIDENCE_ROWS) {
        let mut stmt = tx.prepare_cached(&sql(chunk.len()))?;
        let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(4 + chunk.len() * 5);
        values.extend([&source as &dyn rusqlite::ToSql, &as_of, &now, &by]);
        for r in chunk {
            values.extend([
                &r.household_id as &dyn rusqlite::ToSql,
                &r.person_id,
                &r.kind,
                &r.value,
                &r.amount_fen,
            ]);
        }
        stmt.execute(rusqlite::params_from_iter(values))?;
    }
    Ok(())
}

fn refusal(p: &RosterPerson) -> Refusal {
    Refusal {
        file: "persons",
        line: p.line,
        column: "id_number",
        reason: "already registered as a member of another household".into(),
    }
}
