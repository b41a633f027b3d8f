//! A household as stored: its fields, members, dated evidence and supporters, read whole and seen as of any date.

use super::*;

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

pub(super) fn valid_on(from: &str, to: Option<&str>, date: &str) -> bool {
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

pub(super) fn household_from(r: &sqlx::any::AnyRow) -> Result<Household> {
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

pub(super) fn member_from(r: &sqlx::any::AnyRow) -> Result<Member> {
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

pub(super) fn evidence_from(r: &sqlx::any::AnyRow) -> Result<Evidence> {
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

pub(super) fn supporter_from(r: &sqlx::any::AnyRow) -> Result<Supporter> {
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

pub(super) const HOUSEHOLD_COLUMNS: &str = "h.id, h.code, h.region_code, h.hukou, h.address, h.bank_name, h.bank_account, h.created_at, h.updated_at";
pub(super) const MEMBER_COLUMNS: &str = "m.id AS member_id, p.id AS person_id, p.id_number, p.name, p.sex, p.birth_date, p.phone, m.relation, m.valid_from, m.valid_to";
pub(super) const EVIDENCE_COLUMNS: &str = "e.id, e.person_id, e.kind, e.value, e.amount_fen, e.source, e.valid_from, e.valid_to, e.note, e.recorded_at, e.recorded_by, e.ended_at, e.ended_by";
pub(super) const SUPPORTER_COLUMNS: &str = "s.id, s.id_number, s.name, s.relation, s.annual_income_fen, s.status, s.has_luxury, s.source, s.valid_from, s.valid_to";

pub(super) async fn household_row(db: &Db, scope: &Scope, id: i64) -> Result<Option<Household>> {
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
