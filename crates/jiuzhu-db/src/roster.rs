//! Bulk registration of a validated roster (户籍名册导入): whole households per
//! transaction, so a killed import leaves each household fully in or absent, and
//! idempotent by household number and ID number, so a re-run changes nothing.

use std::collections::HashMap;

use chrono::NaiveDate;
use jiuzhu_domain::EvidenceSource;
use sqlx::{AssertSqlSafe, Row};

use crate::audit::{self, Actor, Entry};
use crate::households::amount_fen;
use crate::{Db, Result, Tx, list_placeholders, values_placeholders};
use serde_json::json;

pub use jiuzhu_domain::roster::{RosterHousehold, RosterPerson, RosterSupporter};

/// How the roster's facts are recorded.
#[derive(Clone, Debug)]
pub struct BatchOptions {
    pub as_of: NaiveDate,
    pub source: EvidenceSource,
    pub actor: Actor,
    /// What is being imported (a folder name), for the audit log.
    pub label: String,
}

/// A row the database refused (already registered elsewhere).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub file: &'static str,
    pub line: usize,
    pub column: &'static str,
    pub reason: String,
}

/// Counts of one batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    pub households_added: usize,
    pub households_existing: usize,
    pub persons_added: usize,
    pub persons_existing: usize,
    pub supporters_added: usize,
    pub evidence_added: usize,
    pub refused: Vec<Refusal>,
}

/// Rows per multi-row statement for `cols` columns: inside SQLite's 32,766 and
/// PostgreSQL's 65,535 bind parameters.
fn rows_per_statement(cols: usize) -> usize {
    (3_000 / cols).clamp(1, 250)
}

/// Runs one multi-row INSERT per chunk of `rows`; `bind` adds one row's values.
pub(crate) async fn insert_rows<T, F>(
    tx: &mut Tx,
    backend: crate::Backend,
    head: &str,
    tail: &str,
    cols: usize,
    rows: &[T],
    mut bind: F,
) -> Result<(Vec<sqlx::any::AnyRow>, u64)>
where
    F: for<'q> FnMut(
        sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
        &'q T,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
{
    let mut out = Vec::new();
    let mut affected = 0;
    for chunk in rows.chunks(rows_per_statement(cols)) {
        let sql = format!(
            "{head} VALUES {} {tail}",
            values_placeholders(backend, chunk.len(), cols)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for r in chunk {
            q = bind(q, r);
        }
        if tail.contains("RETURNING") {
            out.extend(q.fetch_all(&mut **tx).await?);
        } else {
            affected += q.execute(&mut **tx).await?.rows_affected();
        }
    }
    Ok((out, affected))
}

/// Ids of registered households by number.
pub async fn household_ids(db: &Db, codes: &[String]) -> Result<HashMap<String, (i64, String)>> {
    let mut out = HashMap::new();
    for chunk in codes.chunks(5_000) {
        let sql = format!(
            "SELECT id, code, region_code FROM households WHERE code IN ({})",
            list_placeholders(db.backend(), 1, chunk.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for c in chunk {
            q = q.bind(c.as_str());
        }
        for r in q.fetch_all(db.pool()).await? {
            out.insert(r.try_get(1)?, (r.try_get(0)?, r.try_get(2)?));
        }
    }
    Ok(out)
}

struct EvidenceInsert {
    household_id: Option<i64>,
    person_id: Option<i64>,
    kind: &'static str,
    value: String,
    amount: Option<i64>,
}

/// Registers roster batches, each in one transaction. On SQLite this goes through one
/// native connection for all of them (`sqlite_bulk`); on PostgreSQL through multi-row
/// statements of the pool.
pub struct Registrar<'a> {
    db: &'a Db,
    sqlite: Option<crate::sqlite_bulk::Writer>,
}

impl<'a> Registrar<'a> {
    pub fn new(db: &'a Db) -> Result<Self> {
        let sqlite = match &db.sqlite_path {
            Some(path) => Some(crate::sqlite_bulk::Writer::open(path)?),
            None => None,
        };
        Ok(Registrar { db, sqlite })
    }

    /// Registers one batch of households in one transaction.
    pub async fn insert_batch(
        &mut self,
        batch: &[RosterHousehold],
        opts: &BatchOptions,
    ) -> Result<BatchOutcome> {
        match &mut self.sqlite {
            Some(writer) => {
                let mut run = || writer.insert_batch(batch, opts);
                // Blocking work: tell a multi-threaded runtime so it moves other tasks away.
                match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
                    Ok(tokio::runtime::RuntimeFlavor::MultiThread) => {
                        tokio::task::block_in_place(run)
                    }
                    _ => run(),
                }
            }
            None => insert_batch_any(self.db, batch, opts).await,
        }
    }
}

/// Registers one batch of households in one transaction (see [`Registrar`]).
pub async fn insert_batch(
    db: &Db,
    batch: &[RosterHousehold],
    opts: &BatchOptions,
) -> Result<BatchOutcome> {
    Registrar::new(db)?.insert_batch(batch, opts).await
}

async fn insert_batch_any(
    db: &Db,
    batch: &[RosterHousehold],
    opts: &BatchOptions,
) -> Result<BatchOutcome> {
    let mut out = BatchOutcome::default();
    if batch.is_empty() {
        return Ok(out);
    }
    let (now, as_of) = (crate::now_text(), opts.as_of.format("%Y-%m-%d").to_string());
    let stamp = Stamp {
        now: &now,
        as_of: &as_of,
        source: opts.source.code(),
        by: opts.actor.name.as_str(),
    };
    let backend = db.backend();
    let mut tx = db.begin_write().await?;
    // 1. Households: the registered ones are kept as they are; the others are added.
    let (hh_ids, new_ids, new_hh) = households_any(&mut tx, backend, batch, &now, &mut out).await?;
    // 2. Persons: those registered in this household already are skipped; those
    //    registered elsewhere are refused; the rest are added, with their memberships.
    let (to_create, person_ids, to_join) =
        persons_any(&mut tx, backend, batch, &hh_ids, &stamp, &mut out).await?;
    // 3. Evidence of what was added.
    let added = Added {
        new_hh,
        new_ids,
        to_create,
        person_ids,
        to_join,
    };
    out.evidence_added = evidence_any(&mut tx, backend, &added, &stamp).await?;
    // 4. Supporters: one current obligation per household and supporter.
    out.supporters_added = supporters_any(&mut tx, backend, batch, &hh_ids, &stamp).await?;
    if out.households_added + out.persons_added + out.supporters_added > 0 {
        let entry = batch_entry(batch, opts, &out, &as_of);
        audit::append(&mut tx, backend, &opts.actor, entry).await?;
    }
    tx.commit().await?;
    Ok(out)
}

/// What every row of a batch shares: when, from what date, on what source, by whom.
struct Stamp<'a> {
    now: &'a str,
    as_of: &'a str,
    source: &'a str,
    by: &'a str,
}

/// What a batch added, for its evidence.
struct Added<'b> {
    new_hh: Vec<&'b RosterHousehold>,
    new_ids: HashMap<String, i64>,
    to_create: Vec<(&'b RosterHousehold, &'b RosterPerson)>,
    person_ids: HashMap<String, i64>,
    to_join: Vec<(i64, i64, &'b RosterPerson)>,
}

/// The ids of the batch's households (registered ones kept, the others added), the ids
/// of those added, and the households added.
#[allow(clippy::type_complexity)]
async fn households_any<'b>(
    tx: &mut Tx,
    backend: crate::Backend,
    batch: &'b [RosterHousehold],
    now: &str,
    out: &mut BatchOutcome,
) -> Result<(
    HashMap<String, i64>,
    HashMap<String, i64>,
    Vec<&'b RosterHousehold>,
)> {
    let codes: Vec<&str> = batch.iter().map(|h| h.code.as_str()).collect();
    let mut hh_ids: HashMap<String, i64> = HashMap::new();
    for chunk in codes.chunks(5_000) {
        let sql = format!(
            "SELECT id, code FROM households WHERE code IN ({})",
            list_placeholders(backend, 1, chunk.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for c in chunk {
            q = q.bind(*c);
        }
        for r in q.fetch_all(&mut **tx).await? {
            hh_ids.insert(r.try_get(1)?, r.try_get(0)?);
        }
    }
    let new_hh: Vec<&RosterHousehold> = batch
        .iter()
        .filter(|h| !hh_ids.contains_key(&h.code))
        .collect();
    out.households_existing = batch.len() - new_hh.len();
    let (inserted, _) = insert_rows(
        tx,
        backend,
        "INSERT INTO households (code, region_code, hukou, address, created_at, updated_at)",
        "ON CONFLICT (code) DO NOTHING RETURNING id, code",
        6,
        &new_hh,
        |q, h| {
            q.bind(h.code.as_str())
                .bind(h.region_code.as_str())
                .bind(h.hukou.code())
                .bind(h.address.as_str())
                .bind(now)
                .bind(now)
        },
    )
    .await?;
    let mut new_ids: HashMap<String, i64> = HashMap::new();
    for r in inserted {
        new_ids.insert(r.try_get(1)?, r.try_get(0)?);
    }
    out.households_added = new_ids.len();
    hh_ids.extend(new_ids.iter().map(|(k, v)| (k.clone(), *v)));
    Ok((hh_ids, new_ids, new_hh))
}

/// The persons of a batch already registered, by ID number: their id and the household
/// they are a current member of, if any.
async fn registered_persons(
    tx: &mut Tx,
    backend: crate::Backend,
    persons: &[(&RosterHousehold, &RosterPerson)],
) -> Result<HashMap<String, (i64, Option<i64>)>> {
    let mut registered: HashMap<String, (i64, Option<i64>)> = HashMap::new();
    for chunk in persons.chunks(5_000) {
        let sql = format!(
            "SELECT p.id_number, p.id, m.household_id FROM persons p
             LEFT JOIN members m ON m.person_id = p.id AND m.valid_to IS NULL
             WHERE p.id_number IN ({})",
            list_placeholders(backend, 1, chunk.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (_, p) in chunk {
            q = q.bind(p.id_number.as_str());
        }
        for r in q.fetch_all(&mut **tx).await? {
            registered.insert(r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?));
        }
    }
    Ok(registered)
}

/// Adds the persons not registered yet and the memberships of those not yet members;
/// returns the persons created with their ids, and those joined to a household.
#[allow(clippy::type_complexity)]
async fn persons_any<'b>(
    tx: &mut Tx,
    backend: crate::Backend,
    batch: &'b [RosterHousehold],
    hh_ids: &HashMap<String, i64>,
    stamp: &Stamp<'_>,
    out: &mut BatchOutcome,
) -> Result<(
    Vec<(&'b RosterHousehold, &'b RosterPerson)>,
    HashMap<String, i64>,
    Vec<(i64, i64, &'b RosterPerson)>,
)> {
    let all_persons: Vec<(&RosterHousehold, &RosterPerson)> = batch
        .iter()
        .flat_map(|h| h.members.iter().map(move |p| (h, p)))
        .collect();
    let registered = registered_persons(tx, backend, &all_persons).await?;
    let mut to_create: Vec<(&RosterHousehold, &RosterPerson)> = Vec::new();
    let mut to_join: Vec<(i64, i64, &RosterPerson)> = Vec::new(); // (household, person, ..)
    for (h, p) in &all_persons {
        let hid = hh_ids[&h.code];
        match registered.get(p.id_number.as_str()) {
            None => to_create.push((h, p)),
            Some((_, Some(current))) if *current == hid => out.persons_existing += 1,
            Some((_, Some(_))) => out.refused.push(Refusal {
                file: "persons",
                line: p.line,
                column: "id_number",
                reason: "already registered as a member of another household".into(),
            }),
            Some((pid, None)) => to_join.push((hid, *pid, p)),
        }
    }
    let (created, _) = insert_rows(
        tx,
        backend,
        "INSERT INTO persons (id_number, name, sex, birth_date, phone, created_at, updated_at)",
        "RETURNING id, id_number",
        7,
        &to_create,
        |q, (_, p)| {
            q.bind(p.id_number.as_str())
                .bind(p.name.as_str())
                .bind(p.id_number.sex().code())
                .bind(p.id_number.birth_date().format("%Y-%m-%d").to_string())
                .bind(p.phone.as_str())
                .bind(stamp.now)
                .bind(stamp.now)
        },
    )
    .await?;
    let mut person_ids: HashMap<String, i64> = HashMap::with_capacity(created.len());
    for r in created {
        person_ids.insert(r.try_get(1)?, r.try_get(0)?);
    }
    out.persons_added = person_ids.len() + to_join.len();
    let mut memberships: Vec<(i64, i64, &'static str)> = to_create
        .iter()
        .map(|(h, p)| {
            (
                hh_ids[&h.code],
                person_ids[p.id_number.as_str()],
                p.relation.code(),
            )
        })
        .collect();
    memberships.extend(
        to_join
            .iter()
            .map(|(h, pid, p)| (*h, *pid, p.relation.code())),
    );
    insert_rows(
        tx,
        backend,
        "INSERT INTO members (household_id, person_id, relation, valid_from)",
        "",
        4,
        &memberships,
        |q, (h, p, rel)| q.bind(*h).bind(*p).bind(*rel).bind(stamp.as_of),
    )
    .await?;
    Ok((to_create, person_ids, to_join))
}

/// Adds the evidence of the households and persons added; returns how many records.
async fn evidence_any(
    tx: &mut Tx,
    backend: crate::Backend,
    added: &Added<'_>,
    stamp: &Stamp<'_>,
) -> Result<usize> {
    let mut evidence: Vec<EvidenceInsert> = Vec::new();
    for h in &added.new_hh {
        if let Some(id) = added.new_ids.get(&h.code) {
            for (k, v) in &h.evidence {
                evidence.push(EvidenceInsert {
                    household_id: Some(*id),
                    person_id: None,
                    kind: k.code(),
                    value: v.to_storage(),
                    amount: amount_fen(v),
                });
            }
        }
    }
    let mut add_person_evidence = |pid: i64, p: &RosterPerson| {
        for (k, v) in &p.evidence {
            evidence.push(EvidenceInsert {
                household_id: None,
                person_id: Some(pid),
                kind: k.code(),
                value: v.to_storage(),
                amount: amount_fen(v),
            });
        }
    };
    for (_, p) in &added.to_create {
        add_person_evidence(added.person_ids[p.id_number.as_str()], p);
    }
    for (_, pid, p) in &added.to_join {
        add_person_evidence(*pid, p);
    }
    insert_rows(
        tx,
        backend,
        "INSERT INTO evidence (household_id, person_id, kind, value, amount_fen, source, valid_from, recorded_at, recorded_by)",
        "",
        9,
        &evidence,
        |q, e| {
            q.bind(e.household_id)
                .bind(e.person_id)
                .bind(e.kind)
                .bind(e.value.as_str())
                .bind(e.amount)
                .bind(stamp.source)
                .bind(stamp.as_of)
                .bind(stamp.now)
                .bind(stamp.by)
        },
    )
    .await?;
    Ok(evidence.len())
}

/// Adds the supporters of the batch's households; returns how many were added.
async fn supporters_any(
    tx: &mut Tx,
    backend: crate::Backend,
    batch: &[RosterHousehold],
    hh_ids: &HashMap<String, i64>,
    stamp: &Stamp<'_>,
) -> Result<usize> {
    let supporters: Vec<(i64, &RosterSupporter)> = batch
        .iter()
        .flat_map(|h| {
            let id = hh_ids[&h.code];
            h.supporters.iter().map(move |s| (id, s))
        })
        .collect();
    let (_, supporters_added) = insert_rows(
        tx,
        backend,
        "INSERT INTO supporters (household_id, id_number, name, relation, annual_income_fen, status,
                                 has_luxury, source, valid_from, recorded_at, recorded_by)",
        "ON CONFLICT DO NOTHING",
        11,
        &supporters,
        |q, (hid, s)| {
            q.bind(*hid)
                .bind(s.id_number.as_str())
                .bind(s.name.as_str())
                .bind(s.relation.as_str())
                .bind(s.annual_income.fen())
                .bind(s.status.code())
                .bind(s.has_luxury as i64)
                .bind(stamp.source)
                .bind(stamp.as_of)
                .bind(stamp.now)
                .bind(stamp.by)
        },
    )
    .await?;
    Ok(supporters_added as usize)
}

/// The audit row of a batch (the same on both backends).
pub(crate) fn batch_entry<'a>(
    batch: &[RosterHousehold],
    opts: &BatchOptions,
    out: &BatchOutcome,
    as_of: &str,
) -> Entry<'a> {
    Entry::new("import.batch", "roster", opts.label.clone()).detail(json!({
        "first": batch.first().map(|h| h.code.as_str()),
        "last": batch.last().map(|h| h.code.as_str()),
        "households_added": out.households_added,
        "persons_added": out.persons_added,
        "supporters_added": out.supporters_added,
        "evidence_added": out.evidence_added,
        "as_of": as_of, "source": opts.source.code(),
    }))
}
