//! The registry (户籍档案): households, members, persons, dated evidence and supporters.
//!
//! Every function takes the caller's [`Scope`]: a household outside it is reported as not
//! found, whatever the route (page, search, API, export), and a write may not move a
//! household out of it. Every write appends to the audit log in the same transaction.

use chrono::NaiveDate;
use jiuzhu_domain::limits::{LINE_CHARS, NAME_CHARS, TEXT_CHARS};
use jiuzhu_domain::{
    EvidenceKind, EvidenceSource, EvidenceValue, Hukou, IdNumber, RegionCode, Relation,
};
use serde::Serialize;
use serde_json::json;
use sqlx::{AssertSqlSafe, Row};

use crate::audit::{self, Actor, Entry};
use crate::{Db, DbError, Result, Tx, prefix_range};

/// The region subtree a user may see and change (数据权限).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    prefix: String,
}

impl Scope {
    pub fn new(region: &RegionCode) -> Scope {
        Scope {
            prefix: region.as_str().to_string(),
        }
    }

    /// The whole country: only for command-line jobs run by the operator.
    pub fn everything() -> Scope {
        Scope {
            prefix: String::new(),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn contains(&self, region_code: &str) -> bool {
        region_code.starts_with(&self.prefix)
    }

    pub fn range(&self) -> (String, String) {
        prefix_range(&self.prefix)
    }
}

/// A row of a household list: masked by the caller before it is shown.
#[derive(Clone, Debug, Serialize)]
pub struct HouseholdSummary {
    pub id: i64,
    pub code: String,
    pub region_code: String,
    pub hukou: String,
    pub address: String,
    pub size: i64,
    pub head_name: String,
    pub head_id_number: String,
    pub head_phone: String,
}

/// Household search: every given criterion must hold.
#[derive(Clone, Debug, Default)]
pub struct SearchQuery {
    /// Exact ID number of any current member.
    pub id_number: Option<String>,
    /// A current member's name, exact or as a prefix.
    pub name: Option<String>,
    /// A region code prefix (a village, township, county...).
    pub region: Option<String>,
    /// Household number, exact.
    pub code: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

const SUMMARY_SELECT: &str = "SELECT h.id, h.code, h.region_code, h.hukou, h.address,
    (SELECT COUNT(*) FROM members m WHERE m.household_id = h.id AND m.valid_to IS NULL) AS size,
    COALESCE(hp.name, '') AS head_name, COALESCE(hp.id_number, '') AS head_id_number,
    COALESCE(hp.phone, '') AS head_phone
  FROM households h
  LEFT JOIN members hm ON hm.id = (SELECT MIN(m1.id) FROM members m1 WHERE m1.household_id = h.id
                                    AND m1.relation = 'head' AND m1.valid_to IS NULL)
  LEFT JOIN persons hp ON hp.id = hm.person_id";

fn summary_from(r: &sqlx::any::AnyRow) -> Result<HouseholdSummary> {
    Ok(HouseholdSummary {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        region_code: r.try_get("region_code")?,
        hukou: r.try_get("hukou")?,
        address: r.try_get("address")?,
        size: r.try_get("size")?,
        head_name: r.try_get("head_name")?,
        head_id_number: r.try_get("head_id_number")?,
        head_phone: r.try_get("head_phone")?,
    })
}

/// The WHERE clause of a search and its binds ($1, $2, ... in order).
fn search_conditions(scope: &Scope, q: &SearchQuery) -> (String, Vec<String>) {
    let (lo, hi) = scope.range();
    let mut binds: Vec<String> = vec![lo, hi];
    let mut conds = vec!["h.region_code >= $1 AND h.region_code < $2".to_string()];
    if let Some(region) = q.region.as_deref().filter(|s| !s.is_empty()) {
        let (rlo, rhi) = prefix_range(region);
        binds.push(rlo);
        binds.push(rhi);
        conds.push(format!(
            "h.region_code >= ${} AND h.region_code < ${}",
            binds.len() - 1,
            binds.len()
        ));
    }
    if let Some(code) = q.code.as_deref().filter(|s| !s.is_empty()) {
        binds.push(code.to_string());
        conds.push(format!("h.code = ${}", binds.len()));
    }
    if let Some(id) = q.id_number.as_deref().filter(|s| !s.is_empty()) {
        binds.push(id.trim().to_uppercase());
        conds.push(format!(
            "h.id IN (SELECT m.household_id FROM members m JOIN persons p ON p.id = m.person_id
                      WHERE m.valid_to IS NULL AND p.id_number = ${})",
            binds.len()
        ));
    }
    if let Some(name) = q.name.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let escaped = name
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        binds.push(format!("{escaped}%"));
        conds.push(format!(
            "h.id IN (SELECT m.household_id FROM members m JOIN persons p ON p.id = m.person_id
                      WHERE m.valid_to IS NULL AND p.name LIKE ${} ESCAPE '\\')",
            binds.len()
        ));
    }
    (conds.join(" AND "), binds)
}

/// Households in `scope` matching `q`, ordered by household number, and the total count.
/// At most 500 a page; [`search_after`] walks a whole result.
pub async fn search(
    db: &Db,
    scope: &Scope,
    q: &SearchQuery,
) -> Result<(Vec<HouseholdSummary>, i64)> {
    let (where_, binds) = search_conditions(scope, q);
    let mut count = sqlx::query(AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM households h WHERE {where_}"
    )));
    for b in &binds {
        count = count.bind(b.clone());
    }
    let total: i64 = count.fetch_one(db.pool()).await?.try_get(0)?;
    let limit = if q.limit <= 0 { 20 } else { q.limit.min(500) };
    let mut list = sqlx::query(AssertSqlSafe(format!(
        "{SUMMARY_SELECT} WHERE {where_} ORDER BY h.code LIMIT {limit} OFFSET {}",
        q.offset.max(0)
    )));
    for b in &binds {
        list = list.bind(b.clone());
    }
    let rows = list.fetch_all(db.pool()).await?;
    Ok((rows.iter().map(summary_from).collect::<Result<_>>()?, total))
}

/// The next `limit` households of a search after household number `after` (from the
/// first when `None`), in household-number order: an export reads a whole result this
/// way, a page at a time, without counting or skipping rows (`q.limit`/`q.offset` unused).
pub async fn search_after(
    db: &Db,
    scope: &Scope,
    q: &SearchQuery,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<HouseholdSummary>> {
    let (mut where_, mut binds) = search_conditions(scope, q);
    if let Some(after) = after {
        binds.push(after.to_string());
        where_.push_str(&format!(" AND h.code > ${}", binds.len()));
    }
    let mut list = sqlx::query(AssertSqlSafe(format!(
        "{SUMMARY_SELECT} WHERE {where_} ORDER BY h.code LIMIT {}",
        limit.max(1)
    )));
    for b in &binds {
        list = list.bind(b.clone());
    }
    let rows = list.fetch_all(db.pool()).await?;
    rows.iter().map(summary_from).collect()
}

/// The regions of the households where each of `ids` (ID numbers) is a current member or a
/// current supporter; an ID number registered nowhere is absent. A department feed's rows
/// are checked with it against the importer's region.
pub async fn registered_regions(
    db: &Db,
    ids: &[&str],
) -> Result<std::collections::HashMap<String, Vec<String>>> {
    let mut out: std::collections::HashMap<String, Vec<String>> = Default::default();
    for chunk in ids.chunks(400) {
        // The list twice: anonymous `?` on SQLite (bound in order), `$n` on PostgreSQL.
        let (ph, ph2) = match db.backend() {
            crate::Backend::Sqlite => (
                vec!["?"; chunk.len()].join(","),
                vec!["?"; chunk.len()].join(","),
            ),
            crate::Backend::Postgres => (
                crate::list_placeholders(db.backend(), 1, chunk.len()),
                crate::list_placeholders(db.backend(), 1 + chunk.len(), chunk.len()),
            ),
        };
        let sql = format!(
            "SELECT p.id_number, h.region_code FROM persons p
               JOIN members m ON m.person_id = p.id AND m.valid_to IS NULL
               JOIN households h ON h.id = m.household_id
              WHERE p.id_number IN ({ph})
             UNION
             SELECT s.id_number, h.region_code FROM supporters s
               JOIN households h ON h.id = s.household_id
              WHERE s.valid_to IS NULL AND s.id_number IN ({ph2})"
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for _ in 0..2 {
            for id in chunk {
                q = q.bind(id.to_string());
            }
        }
        for r in q.fetch_all(db.pool()).await? {
            out.entry(r.try_get(0)?).or_default().push(r.try_get(1)?);
        }
    }
    Ok(out)
}

/// A household's own fields.
#[derive(Clone, Debug, Serialize)]
pub struct Household {
    pub id: i64,
    pub code: String,
    pub region_code: String,
    pub hukou: String,
    pub address: String,
    pub bank_name: String,
    pub bank_account: String,
    pub created_at: String,
    pub updated_at: String,
}

/// A membership with its person; `valid_to` is `None` for current members.
#[derive(Clone, Debug, Serialize)]
pub struct Member {
    pub member_id: i64,
    pub person_id: i64,
    pub id_number: String,
    pub name: String,
    pub sex: String,
    pub birth_date: String,
    pub phone: String,
    pub relation: String,
    pub valid_from: String,
    pub valid_to: Option<String>,
}

/// One piece of evidence, current or ended.
#[derive(Clone, Debug, Serialize)]
pub struct Evidence {
    pub id: i64,
    pub person_id: Option<i64>,
    pub kind: String,
    pub value: String,
    pub amount_fen: Option<i64>,
    pub source: String,
    pub valid_from: String,
    pub valid_to: Option<String>,
    pub note: String,
    pub recorded_at: String,
    pub recorded_by: String,
    pub ended_at: Option<String>,
    pub ended_by: Option<String>,
}

/// A legally obliged supporter living elsewhere.
#[derive(Clone, Debug, Serialize)]
pub struct Supporter {
    pub id: i64,
    pub id_number: String,
    pub name: String,
    pub relation: String,
    pub annual_income_fen: i64,
    pub status: String,
    pub has_luxury: bool,
    pub source: String,
    pub valid_from: String,
    pub valid_to: Option<String>,
}

/// Everything the registry holds about one household, across time.
#[derive(Clone, Debug, Serialize)]
pub struct HouseholdRecord {
    pub household: Household,
    pub members: Vec<Member>,
    pub evidence: Vec<Evidence>,
    pub supporters: Vec<Supporter>,
}

fn valid_on(from: &str, to: Option<&str>, date: &str) -> bool {
    from <= date && to.is_none_or(|t| date < t)
}

impl HouseholdRecord {
    /// The household as it stood on `date`: members, evidence and supporters valid then.
    pub fn as_of(&self, date: NaiveDate) -> HouseholdRecord {
        let d = date.format("%Y-%m-%d").to_string();
        HouseholdRecord {
            household: self.household.clone(),
            members: self
                .members
                .iter()
                .filter(|m| valid_on(&m.valid_from, m.valid_to.as_deref(), &d))
                .cloned()
                .collect(),
            evidence: self
                .evidence
                .iter()
                .filter(|e| valid_on(&e.valid_from, e.valid_to.as_deref(), &d))
                .cloned()
                .collect(),
            supporters: self
                .supporters
                .iter()
                .filter(|s| valid_on(&s.valid_from, s.valid_to.as_deref(), &d))
                .cloned()
                .collect(),
        }
    }

    pub fn current_members(&self) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(|m| m.valid_to.is_none())
    }
}

fn household_from(r: &sqlx::any::AnyRow) -> Result<Household> {
    Ok(Household {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        region_code: r.try_get("region_code")?,
        hukou: r.try_get("hukou")?,
        address: r.try_get("address")?,
        bank_name: r.try_get("bank_name")?,
        bank_account: r.try_get("bank_account")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn member_from(r: &sqlx::any::AnyRow) -> Result<Member> {
    Ok(Member {
        member_id: r.try_get("member_id")?,
        person_id: r.try_get("person_id")?,
        id_number: r.try_get("id_number")?,
        name: r.try_get("name")?,
        sex: r.try_get("sex")?,
        birth_date: r.try_get("birth_date")?,
        phone: r.try_get("phone")?,
        relation: r.try_get("relation")?,
        valid_from: r.try_get("valid_from")?,
        valid_to: r.try_get("valid_to")?,
    })
}

fn evidence_from(r: &sqlx::any::AnyRow) -> Result<Evidence> {
    Ok(Evidence {
        id: r.try_get("id")?,
        person_id: r.try_get("person_id")?,
        kind: r.try_get("kind")?,
        value: r.try_get("value")?,
        amount_fen: r.try_get("amount_fen")?,
        source: r.try_get("source")?,
        valid_from: r.try_get("valid_from")?,
        valid_to: r.try_get("valid_to")?,
        note: r.try_get("note")?,
        recorded_at: r.try_get("recorded_at")?,
        recorded_by: r.try_get("recorded_by")?,
        ended_at: r.try_get("ended_at")?,
        ended_by: r.try_get("ended_by")?,
    })
}

fn supporter_from(r: &sqlx::any::AnyRow) -> Result<Supporter> {
    Ok(Supporter {
        id: r.try_get("id")?,
        id_number: r.try_get("id_number")?,
        name: r.try_get("name")?,
        relation: r.try_get("relation")?,
        annual_income_fen: r.try_get("annual_income_fen")?,
        status: r.try_get("status")?,
        has_luxury: r.try_get::<i64, _>("has_luxury")? != 0,
        source: r.try_get("source")?,
        valid_from: r.try_get("valid_from")?,
        valid_to: r.try_get("valid_to")?,
    })
}

const HOUSEHOLD_COLUMNS: &str = "h.id, h.code, h.region_code, h.hukou, h.address, h.bank_name, h.bank_account, h.created_at, h.updated_at";
const MEMBER_COLUMNS: &str = "m.id AS member_id, p.id AS person_id, p.id_number, p.name, p.sex, p.birth_date, p.phone, m.relation, m.valid_from, m.valid_to";
const EVIDENCE_COLUMNS: &str = "e.id, e.person_id, e.kind, e.value, e.amount_fen, e.source, e.valid_from, e.valid_to, e.note, e.recorded_at, e.recorded_by, e.ended_at, e.ended_by";
const SUPPORTER_COLUMNS: &str = "s.id, s.id_number, s.name, s.relation, s.annual_income_fen, s.status, s.has_luxury, s.source, s.valid_from, s.valid_to";

async fn household_row(db: &Db, scope: &Scope, id: i64) -> Result<Option<Household>> {
    let r = sqlx::query(AssertSqlSafe(format!(
        "SELECT {HOUSEHOLD_COLUMNS} FROM households h WHERE h.id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = r else { return Ok(None) };
    let h = household_from(&r)?;
    Ok(scope.contains(&h.region_code).then_some(h))
}

/// The id of the household with number `code`, if it is in scope.
pub async fn id_by_code(db: &Db, scope: &Scope, code: &str) -> Result<Option<i64>> {
    let r = sqlx::query("SELECT id, region_code FROM households WHERE code = $1")
        .bind(code)
        .fetch_optional(db.pool())
        .await?;
    Ok(match r {
        Some(r) if scope.contains(&r.try_get::<String, _>(1)?) => Some(r.try_get(0)?),
        _ => None,
    })
}

/// A household with its whole history, or `None` when absent or outside `scope`.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Option<HouseholdRecord>> {
    let Some(household) = household_row(db, scope, id).await? else {
        return Ok(None);
    };
    let members = sqlx::query(AssertSqlSafe(format!(
        "SELECT {MEMBER_COLUMNS} FROM members m JOIN persons p ON p.id = m.person_id
         WHERE m.household_id = $1 ORDER BY m.valid_to IS NOT NULL, m.id"
    )))
    .bind(id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(member_from)
    .collect::<Result<Vec<_>>>()?;
    let evidence = sqlx::query(AssertSqlSafe(format!(
        "SELECT {EVIDENCE_COLUMNS} FROM evidence e
         WHERE e.household_id = $1
            OR e.person_id IN (SELECT person_id FROM members WHERE household_id = $1)
         ORDER BY e.valid_from DESC, e.id DESC"
    )))
    .bind(id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(evidence_from)
    .collect::<Result<Vec<_>>>()?;
    let supporters = sqlx::query(AssertSqlSafe(format!(
        "SELECT {SUPPORTER_COLUMNS} FROM supporters s WHERE s.household_id = $1 ORDER BY s.valid_to IS NOT NULL, s.id"
    )))
    .bind(id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(supporter_from)
    .collect::<Result<Vec<_>>>()?;
    Ok(Some(HouseholdRecord {
        household,
        members,
        evidence,
        supporters,
    }))
}

/// Every household under `region` inside `scope`, as it stands now (current members,
/// evidence and supporters only), in four queries rather than four per household.
pub async fn population(db: &Db, scope: &Scope, region: &str) -> Result<Vec<HouseholdRecord>> {
    if !region.starts_with(scope.prefix()) && !scope.prefix().starts_with(region) {
        return Ok(Vec::new());
    }
    let prefix = if region.len() > scope.prefix().len() {
        region
    } else {
        scope.prefix()
    };
    let (lo, hi) = prefix_range(prefix);
    let within = "h.region_code >= $1 AND h.region_code < $2";
    let households = sqlx::query(AssertSqlSafe(format!(
        "SELECT {HOUSEHOLD_COLUMNS} FROM households h WHERE {within} ORDER BY h.id"
    )))
    .bind(&lo)
    .bind(&hi)
    .fetch_all(db.pool())
    .await?;
    let mut out: Vec<HouseholdRecord> = Vec::with_capacity(households.len());
    let mut index = std::collections::HashMap::with_capacity(households.len());
    for r in &households {
        let h = household_from(r)?;
        index.insert(h.id, out.len());
        out.push(HouseholdRecord {
            household: h,
            members: Vec::new(),
            evidence: Vec::new(),
            supporters: Vec::new(),
        });
    }
    let mut person_household = std::collections::HashMap::new();
    for r in sqlx::query(AssertSqlSafe(format!(
        "SELECT m.household_id, {MEMBER_COLUMNS} FROM members m JOIN persons p ON p.id = m.person_id
         JOIN households h ON h.id = m.household_id WHERE m.valid_to IS NULL AND {within} ORDER BY m.id"
    )))
    .bind(&lo)
    .bind(&hi)
    .fetch_all(db.pool())
    .await?
    {
        let hid: i64 = r.try_get("household_id")?;
        let m = member_from(&r)?;
        if let Some(i) = index.get(&hid) {
            person_household.insert(m.person_id, *i);
            out[*i].members.push(m);
        }
    }
    for r in sqlx::query(AssertSqlSafe(format!(
        "SELECT e.household_id AS owner, {EVIDENCE_COLUMNS} FROM evidence e
         JOIN households h ON h.id = e.household_id WHERE e.valid_to IS NULL AND {within}
         UNION ALL
         SELECT NULL AS owner, {EVIDENCE_COLUMNS} FROM evidence e
         JOIN members m ON m.person_id = e.person_id AND m.valid_to IS NULL
         JOIN households h ON h.id = m.household_id WHERE e.valid_to IS NULL AND {within}"
    )))
    .bind(&lo)
    .bind(&hi)
    .fetch_all(db.pool())
    .await?
    {
        let owner: Option<i64> = r.try_get("owner")?;
        let e = evidence_from(&r)?;
        let i = match (owner, e.person_id) {
            (Some(h), _) => index.get(&h).copied(),
            (None, Some(p)) => person_household.get(&p).copied(),
            _ => None,
        };
        if let Some(i) = i {
            out[i].evidence.push(e);
        }
    }
    for r in sqlx::query(AssertSqlSafe(format!(
        "SELECT s.household_id AS owner, {SUPPORTER_COLUMNS} FROM supporters s
         JOIN households h ON h.id = s.household_id WHERE s.valid_to IS NULL AND {within}"
    )))
    .bind(&lo)
    .bind(&hi)
    .fetch_all(db.pool())
    .await?
    {
        let owner: i64 = r.try_get("owner")?;
        if let Some(i) = index.get(&owner) {
            out[*i].supporters.push(supporter_from(&r)?);
        }
    }
    Ok(out)
}

/// The fields of a household a user edits.
#[derive(Clone, Debug)]
pub struct HouseholdFields {
    pub region_code: RegionCode,
    pub hukou: Hukou,
    pub address: String,
    pub bank_name: String,
    pub bank_account: String,
}

/// The lengths of a household's own texts.
fn check_fields(f: &HouseholdFields) -> Result<()> {
    crate::limit("address", &f.address, LINE_CHARS)?;
    crate::limit("bank_name", &f.bank_name, LINE_CHARS)
}

/// A person to register.
#[derive(Clone, Debug)]
pub struct PersonFields {
    pub id_number: IdNumber,
    pub name: String,
    pub phone: String,
}

fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn out_of_scope() -> DbError {
    DbError::NotFound("household".into())
}

async fn check_region_exists(tx: &mut Tx, code: &RegionCode) -> Result<()> {
    let found = sqlx::query("SELECT 1 FROM regions WHERE code = $1")
        .bind(code.as_str())
        .fetch_optional(&mut **tx)
        .await?;
    if found.is_none() {
        return Err(DbError::NotFound(format!("region {}", code.as_str())));
    }
    Ok(())
}

/// Registers a person (or finds the existing one) and makes them a member from `from`.
async fn insert_member(
    tx: &mut Tx,
    household_id: i64,
    p: &PersonFields,
    relation: Relation,
    from: &str,
) -> Result<(i64, i64)> {
    let now = crate::now_text();
    let existing = sqlx::query(
        "SELECT p.id, m.household_id FROM persons p
         LEFT JOIN members m ON m.person_id = p.id AND m.valid_to IS NULL
         WHERE p.id_number = $1",
    )
    .bind(p.id_number.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    let person_id = match existing {
        Some(r) => {
            let current: Option<i64> = r.try_get(1)?;
            if current.is_some() {
                return Err(DbError::Conflict(format!(
                    "ID number {} is already a member of a household",
                    p.id_number.masked()
                )));
            }
            let id: i64 = r.try_get(0)?;
            sqlx::query("UPDATE persons SET name = $1, phone = $2, updated_at = $3 WHERE id = $4")
                .bind(&p.name)
                .bind(&p.phone)
                .bind(&now)
                .bind(id)
                .execute(&mut **tx)
                .await?;
            id
        }
        None => sqlx::query(
            "INSERT INTO persons (id_number, name, sex, birth_date, phone, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(p.id_number.as_str())
        .bind(&p.name)
        .bind(p.id_number.sex().code())
        .bind(date_text(p.id_number.birth_date()))
        .bind(&p.phone)
        .bind(&now)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?,
    };
    let member_id: i64 = sqlx::query(
        "INSERT INTO members (household_id, person_id, relation, valid_from) VALUES ($1, $2, $3, $4)
         RETURNING id",
    )
    .bind(household_id)
    .bind(person_id)
    .bind(relation.code())
    .bind(from)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    Ok((person_id, member_id))
}

/// Registers a new household with its head. `code` is generated when `None`.
pub async fn create(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    fields: &HouseholdFields,
    code: Option<&str>,
    head: &PersonFields,
    from: NaiveDate,
) -> Result<i64> {
    check_fields(fields)?;
    crate::limit("name", &head.name, NAME_CHARS)?;
    if fields.region_code.as_str().len() != 12 {
        return Err(DbError::Invalid(
            "a household's region must be a village (12 digits)".into(),
        ));
    }
    let mut tx = db.begin_write().await?;
    check_region_exists(&mut tx, &fields.region_code).await?;
    if !scope.contains(fields.region_code.as_str()) {
        return Err(DbError::Forbidden("region is outside your scope".into()));
    }
    let now = crate::now_text();
    let code = match code {
        Some(c)
            if c.is_empty()
                || c.len() > 40
                || !c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            return Err(DbError::Invalid(
                "code: a household number is 1 to 40 letters, digits or hyphens".into(),
            ));
        }
        Some(c) => c.to_string(),
        None => {
            let next: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM households")
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            format!("R{}{:06}", &fields.region_code.as_str()[..6], next)
        }
    };
    let id: i64 = sqlx::query(
        "INSERT INTO households (code, region_code, hukou, address, bank_name, bank_account, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(&code)
    .bind(fields.region_code.as_str())
    .bind(fields.hukou.code())
    .bind(&fields.address)
    .bind(&fields.bank_name)
    .bind(&fields.bank_account)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match DbError::from(e) {
        e if e.is_unique_violation() => DbError::Conflict(format!("household number {code} is taken")),
        e => e,
    })?
    .try_get(0)?;
    let (person_id, _) = insert_member(&mut tx, id, head, Relation::Head, &date_text(from)).await?;
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry {
            action: "household.create",
            object_type: "household",
            object_id: code.clone(),
            household_id: Some(id),
            detail: json!({
                "region_code": fields.region_code.as_str(), "hukou": fields.hukou.code(),
                "address": fields.address, "head_person_id": person_id,
                "head_id_number": head.id_number.masked(),
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a household's own fields; the audit row keeps what changed, before and after.
pub async fn update(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    fields: &HouseholdFields,
) -> Result<()> {
    check_fields(fields)?;
    let Some(before) = household_row(db, scope, id).await? else {
        return Err(out_of_scope());
    };
    if fields.region_code.as_str().len() != 12 {
        return Err(DbError::Invalid(
            "a household's region must be a village (12 digits)".into(),
        ));
    }
    let mut tx = db.begin_write().await?;
    check_region_exists(&mut tx, &fields.region_code).await?;
    if !scope.contains(fields.region_code.as_str()) {
        return Err(DbError::Forbidden("region is outside your scope".into()));
    }
    let mut changes = serde_json::Map::new();
    let mut diff = |k: &str, old: &str, new: &str, sensitive: bool| {
        if old != new {
            let shown = |v: &str| {
                if sensitive {
                    jiuzhu_domain::mask::mask_phone(v)
                } else {
                    v.to_string()
                }
            };
            changes.insert(k.into(), json!({"from": shown(old), "to": shown(new)}));
        }
    };
    diff(
        "region_code",
        &before.region_code,
        fields.region_code.as_str(),
        false,
    );
    diff("hukou", &before.hukou, fields.hukou.code(), false);
    diff("address", &before.address, &fields.address, false);
    diff("bank_name", &before.bank_name, &fields.bank_name, false);
    diff(
        "bank_account",
        &before.bank_account,
        &fields.bank_account,
        true,
    );
    if changes.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE households SET region_code = $1, hukou = $2, address = $3, bank_name = $4,
                bank_account = $5, updated_at = $6 WHERE id = $7",
    )
    .bind(fields.region_code.as_str())
    .bind(fields.hukou.code())
    .bind(&fields.address)
    .bind(&fields.bank_name)
    .bind(&fields.bank_account)
    .bind(crate::now_text())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry {
            action: "household.update",
            object_type: "household",
            object_id: before.code.clone(),
            household_id: Some(id),
            detail: serde_json::Value::Object(changes),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Adds a member from `from`.
pub async fn add_member(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    household_id: i64,
    person: &PersonFields,
    relation: Relation,
    from: NaiveDate,
) -> Result<i64> {
    crate::limit("name", &person.name, NAME_CHARS)?;
    let Some(h) = household_row(db, scope, household_id).await? else {
        return Err(out_of_scope());
    };
    let mut tx = db.begin_write().await?;
    let (person_id, member_id) =
        insert_member(&mut tx, household_id, person, relation, &date_text(from)).await?;
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry {
            action: "member.add",
            object_type: "person",
            object_id: person_id.to_string(),
            household_id: Some(household_id),
            detail: json!({"household": h.code, "relation": relation.code(),
                           "id_number": person.id_number.masked(), "valid_from": date_text(from)}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(member_id)
}

/// Ends a membership on `to` (the person moved out, died...). The row is kept.
pub async fn end_member(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    household_id: i64,
    member_id: i64,
    to: NaiveDate,
    reason: &str,
) -> Result<()> {
    let Some(h) = household_row(db, scope, household_id).await? else {
        return Err(out_of_scope());
    };
    let mut tx = db.begin_write().await?;
    let r = sqlx::query(
        "UPDATE members SET valid_to = $1 WHERE id = $2 AND household_id = $3 AND valid_to IS NULL
           AND valid_from <= $1",
    )
    .bind(date_text(to))
    .bind(member_id)
    .bind(household_id)
    .execute(&mut *tx)
    .await?;
    if r.rows_affected() != 1 {
        return Err(DbError::Invalid(
            "no current membership to end on that date (already ended, or the date precedes its start)".into(),
        ));
    }
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry {
            action: "member.end",
            object_type: "member",
            object_id: member_id.to_string(),
            household_id: Some(household_id),
            detail: json!({"household": h.code, "valid_to": date_text(to), "reason": reason}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Corrects a member's name and phone.
pub async fn update_person(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    household_id: i64,
    person_id: i64,
    name: &str,
    phone: &str,
) -> Result<()> {
    crate::limit("name", name, NAME_CHARS)?;
    let Some(rec) = get(db, scope, household_id).await? else {
        return Err(out_of_scope());
    };
    let Some(m) = rec.members.iter().find(|m| m.person_id == person_id) else {
        return Err(DbError::NotFound("member".into()));
    };
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE persons SET name = $1, phone = $2, updated_at = $3 WHERE id = $4")
        .bind(name)
        .bind(phone)
        .bind(crate::now_text())
        .bind(person_id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry {
            action: "person.update",
            object_type: "person",
            object_id: person_id.to_string(),
            household_id: Some(household_id),
            detail: json!({"name": {"from": m.name, "to": name},
                           "phone": {"from": jiuzhu_domain::mask_phone(&m.phone),
                                     "to": jiuzhu_domain::mask_phone(phone)}}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What a piece of evidence is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    Household,
    Person(i64),
}

/// Evidence to record.
#[derive(Clone, Debug)]
pub struct NewEvidence {
    pub subject: Subject,
    pub kind: EvidenceKind,
    pub value: EvidenceValue,
    pub source: EvidenceSource,
    pub valid_from: NaiveDate,
    pub note: String,
}

/// Records evidence. The current record of the same kind about the same subject, if any,
/// is ended where the new one starts (on the same date: it never held, and stays only as
/// history). Nothing is overwritten.
pub async fn record_evidence(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    household_id: i64,
    e: &NewEvidence,
) -> Result<i64> {
    crate::limit("note", &e.note, TEXT_CHARS)?;
    let Some(rec) = get(db, scope, household_id).await? else {
        return Err(out_of_scope());
    };
    if e.kind.subject() == jiuzhu_domain::registry::EvidenceSubject::Household
        && e.subject != Subject::Household
        || e.kind.subject() == jiuzhu_domain::registry::EvidenceSubject::Person
            && e.subject == Subject::Household
    {
        return Err(DbError::Invalid(format!(
            "{} is not evidence about this kind of subject",
            e.kind.code()
        )));
    }
    if let Subject::Person(pid) = e.subject
        && !rec.current_members().any(|m| m.person_id == pid)
    {
        return Err(DbError::Conflict(
            "the person is not a current member".into(),
        ));
    }
    let from = date_text(e.valid_from);
    let now = crate::now_text();
    let mut tx = db.begin_write().await?;
    let (hh, person) = match e.subject {
        Subject::Household => (Some(household_id), None),
        Subject::Person(p) => (None, Some(p)),
    };
    let current = sqlx::query(
        "SELECT id, valid_from, value FROM evidence
         WHERE kind = $1 AND valid_to IS NULL AND ended_at IS NULL
           AND (household_id = $2 OR person_id = $3)",
    )
    .bind(e.kind.code())
    .bind(hh.unwrap_or(-1))
    .bind(person.unwrap_or(-1))
    .fetch_optional(&mut *tx)
    .await?;
    let mut ended = None;
    if let Some(r) = current {
        let old_id: i64 = r.try_get(0)?;
        let old_from: String = r.try_get(1)?;
        let old_value: String = r.try_get(2)?;
        // A correction dated before the old record began voids it from its own start.
        let end = if old_from > from {
            old_from.clone()
        } else {
            from.clone()
        };
        sqlx::query(
            "UPDATE evidence SET valid_to = $1, ended_at = $2, ended_by = $3 WHERE id = $4",
        )
        .bind(&end)
        .bind(&now)
        .bind(&actor.name)
        .bind(old_id)
        .execute(&mut *tx)
        .await?;
        ended = Some(
            json!({"id": old_id, "value": old_value, "valid_from": old_from, "valid_to": end}),
        );
    }
    let id: i64 = sqlx::query(
        "INSERT INTO evidence (household_id, person_id, kind, value, amount_fen, source, valid_from,
                               note, recorded_at, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(hh)
    .bind(person)
    .bind(e.kind.code())
    .bind(e.value.to_storage())
    .bind(amount_fen(&e.value))
    .bind(e.source.code())
    .bind(&from)
    .bind(&e.note)
    .bind(&now)
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry {
            action: "evidence.record",
            object_type: "evidence",
            object_id: id.to_string(),
            household_id: Some(household_id),
            detail: json!({"kind": e.kind.code(), "value": e.value.to_storage(),
                           "source": e.source.code(), "valid_from": from,
                           "person_id": person, "ended": ended, "note": e.note}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Ends a piece of evidence on `to` without a successor (a vehicle sold, a wage stopped).
pub async fn end_evidence(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    household_id: i64,
    evidence_id: i64,
    to: NaiveDate,
) -> Result<()> {
    let Some(rec) = get(db, scope, household_id).await? else {
        return Err(out_of_scope());
    };
    if !rec
        .evidence
        .iter()
        .any(|e| e.id == evidence_id && e.valid_to.is_none())
    {
        return Err(DbError::NotFound("current evidence".into()));
    }
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE evidence SET valid_to = $1, ended_at = $2, ended_by = $3
         WHERE id = $4 AND valid_to IS NULL AND valid_from <= $1",
    )
    .bind(date_text(to))
    .bind(crate::now_text())
    .bind(&actor.name)
    .bind(evidence_id)
    .execute(&mut *tx)
    .await
    .and_then(|r| {
        if r.rows_affected() == 1 {
            Ok(())
        } else {
            Err(sqlx::Error::RowNotFound)
        }
    })
    .map_err(|_| DbError::Invalid("the end date precedes the evidence's start".into()))?;
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry {
            action: "evidence.end",
            object_type: "evidence",
            object_id: evidence_id.to_string(),
            household_id: Some(household_id),
            detail: json!({"valid_to": date_text(to)}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Which sensitive field of a person to show in full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SensitiveField {
    IdNumber,
    Phone,
    BankAccount,
}

impl SensitiveField {
    pub fn code(self) -> &'static str {
        match self {
            SensitiveField::IdNumber => "id_number",
            SensitiveField::Phone => "phone",
            SensitiveField::BankAccount => "bank_account",
        }
    }
}

/// The full value of a sensitive field of a member (or of the household, for the bank
/// account); the read is audited before the value is returned.
pub async fn reveal(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    household_id: i64,
    person_id: Option<i64>,
    field: SensitiveField,
) -> Result<String> {
    let Some(rec) = get(db, scope, household_id).await? else {
        return Err(out_of_scope());
    };
    let value = match (field, person_id) {
        (SensitiveField::BankAccount, _) => rec.household.bank_account.clone(),
        (f, Some(pid)) => {
            let m = rec
                .members
                .iter()
                .find(|m| m.person_id == pid)
                .ok_or_else(|| DbError::NotFound("member".into()))?;
            if f == SensitiveField::IdNumber {
                m.id_number.clone()
            } else {
                m.phone.clone()
            }
        }
        (_, None) => return Err(DbError::Invalid("which person?".into())),
    };
    audit::record(
        db,
        actor,
        Entry {
            action: "sensitive.reveal",
            object_type: "person",
            object_id: person_id.map(|p| p.to_string()).unwrap_or_default(),
            household_id: Some(household_id),
            detail: json!({"field": field.code(), "household": rec.household.code}),
        },
    )
    .await?;
    Ok(value)
}

/// Registry totals for the home page.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Totals {
    pub households: i64,
    pub persons: i64,
}

pub async fn totals(db: &Db, scope: &Scope) -> Result<Totals> {
    let (lo, hi) = scope.range();
    let r = sqlx::query(
        "SELECT COUNT(DISTINCT h.id), COUNT(m.id) FROM households h
         LEFT JOIN members m ON m.household_id = h.id AND m.valid_to IS NULL
         WHERE h.region_code >= $1 AND h.region_code < $2",
    )
    .bind(lo)
    .bind(hi)
    .fetch_one(db.pool())
    .await?;
    Ok(Totals {
        households: r.try_get(0)?,
        persons: r.try_get(1)?,
    })
}

/// The amount column of a money value, for SQL over evidence.
pub(crate) fn amount_fen(v: &EvidenceValue) -> Option<i64> {
    match v {
        EvidenceValue::Money(m) => Some(m.fen()),
        _ => None,
    }
}
