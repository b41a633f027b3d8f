//! The registry (户籍档案): households, members, persons, dated evidence and supporters.
//!
//! Every function takes the caller's [`Scope`]: a household outside it is reported as not
//! found, whatever the route (page, search, API, export), and a write may not move a
//! household out of it. Every write appends to the audit log in the same transaction.

mod records;
mod reveal;
mod writes;

pub use self::records::*;
pub use self::reveal::*;
pub use self::writes::*;

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

pub(super) fn summary_from(r: &sqlx::any::AnyRow) -> Result<HouseholdSummary> {
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
pub(super) fn search_conditions(scope: &Scope, q: &SearchQuery) -> (String, Vec<String>) {
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
