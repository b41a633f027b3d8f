//! The division tree (行政区划) in the database: loading the embedded data on first start,
//! and the queries behind region pages (children with household counts, ancestors).

use std::collections::HashSet;

use serde::Serialize;
use sqlx::{AssertSqlSafe, Row};

use crate::{Db, Result, prefix_range, values_placeholders};

/// One region as stored.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
    pub level: i64,
}

/// A child region with the number of households registered under it.
#[derive(Clone, Debug, Serialize)]
pub struct RegionCount {
    pub code: String,
    pub name: String,
    pub level: i64,
    pub households: i64,
}

fn parent_of(code: &str) -> Option<&str> {
    let parent_len = match code.len() {
        4 => 2,
        6 => 4,
        9 => 6,
        12 => 9,
        _ => return None,
    };
    // `get`, not a slice: a code that is not ASCII has no parent rather than a panic.
    code.get(..parent_len)
}

fn level_of(code: &str) -> i64 {
    match code.len() {
        2 => 1,
        4 => 2,
        6 => 3,
        9 => 4,
        _ => 5,
    }
}

/// Number of regions stored.
pub async fn count(db: &Db) -> Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) FROM regions")
        .fetch_one(db.pool())
        .await?
        .try_get(0)?)
}

/// Loads the embedded national tree when the table is empty; returns how many were added.
/// `progress` is told how many rows are in after each batch.
pub async fn ensure_loaded(db: &Db, progress: impl FnMut(usize, usize)) -> Result<usize> {
    if count(db).await? > 0 {
        return Ok(0);
    }
    insert(db, &jiuzhu_regions::load(), progress).await
}

/// Inserts region entries (parents before children) in one transaction.
pub async fn insert(
    db: &Db,
    entries: &[jiuzhu_regions::RegionEntry],
    mut progress: impl FnMut(usize, usize),
) -> Result<usize> {
    let total = entries.len();
    let mut tx = db.begin_write().await?;
    const CHUNK: usize = 2000;
    let full_sql = format!(
        "INSERT INTO regions (code, name, parent, level) VALUES {}",
        values_placeholders(db.backend(), CHUNK, 4)
    );
    let mut done = 0;
    for chunk in entries.chunks(CHUNK) {
        let sql = if chunk.len() == CHUNK {
            full_sql.clone()
        } else {
            format!(
                "INSERT INTO regions (code, name, parent, level) VALUES {}",
                values_placeholders(db.backend(), chunk.len(), 4)
            )
        };
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for e in chunk {
            q = q
                .bind(e.code.as_str())
                .bind(e.name.as_str())
                .bind(parent_of(&e.code))
                .bind(level_of(&e.code));
        }
        q.execute(&mut *tx).await?;
        done += chunk.len();
        progress(done, total);
    }
    tx.commit().await?;
    Ok(total)
}

fn region_from(r: &sqlx::any::AnyRow) -> Result<Region> {
    Ok(Region {
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        parent: r.try_get("parent")?,
        level: r.try_get("level")?,
    })
}

pub async fn get(db: &Db, code: &str) -> Result<Option<Region>> {
    let r = sqlx::query("SELECT code, name, parent, level FROM regions WHERE code = $1")
        .bind(code)
        .fetch_optional(db.pool())
        .await?;
    r.as_ref().map(region_from).transpose()
}

/// The region and its ancestors, root first.
pub async fn path(db: &Db, code: &str) -> Result<Vec<Region>> {
    let mut codes = vec![code.to_string()];
    let mut c = code;
    while let Some(p) = parent_of(c) {
        codes.push(p.to_string());
        c = p;
    }
    let sql = format!(
        "SELECT code, name, parent, level FROM regions WHERE code IN ({}) ORDER BY level",
        crate::list_placeholders(db.backend(), 1, codes.len())
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for c in &codes {
        q = q.bind(c.clone());
    }
    q.fetch_all(db.pool())
        .await?
        .iter()
        .map(region_from)
        .collect()
}

/// Full names of many codes at once (e.g. the villages of a result page).
pub async fn names(db: &Db, codes: &[String]) -> Result<std::collections::HashMap<String, String>> {
    let mut out = std::collections::HashMap::new();
    for chunk in codes.chunks(500) {
        let sql = format!(
            "SELECT code, name FROM regions WHERE code IN ({})",
            crate::list_placeholders(db.backend(), 1, chunk.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for c in chunk {
            q = q.bind(c.clone());
        }
        for r in q.fetch_all(db.pool()).await? {
            out.insert(r.try_get(0)?, r.try_get(1)?);
        }
    }
    Ok(out)
}

/// The children of `parent` (provinces when `None`), each with its household count.
pub async fn children_with_counts(db: &Db, parent: Option<&str>) -> Result<Vec<RegionCount>> {
    let rows =
        match parent {
            Some(p) => {
                sqlx::query(
                    "SELECT code, name, parent, level FROM regions WHERE parent = $1 ORDER BY code",
                )
                .bind(p)
                .fetch_all(db.pool())
                .await?
            }
            None => sqlx::query(
                "SELECT code, name, parent, level FROM regions WHERE parent IS NULL ORDER BY code",
            )
            .fetch_all(db.pool())
            .await?,
        };
    let children = rows.iter().map(region_from).collect::<Result<Vec<_>>>()?;
    let Some(first) = children.first() else {
        return Ok(Vec::new());
    };
    let len = first.code.len();
    let (lo, hi) = prefix_range(parent.unwrap_or(""));
    let sql = format!(
        "SELECT substr(region_code, 1, {len}) AS c, COUNT(*) AS n FROM households
         WHERE region_code >= $1 AND region_code < $2 GROUP BY substr(region_code, 1, {len})"
    );
    let mut counts = std::collections::HashMap::new();
    for r in sqlx::query(AssertSqlSafe(sql))
        .bind(lo)
        .bind(hi)
        .fetch_all(db.pool())
        .await?
    {
        let c: String = r.try_get(0)?;
        let n: i64 = r.try_get(1)?;
        counts.insert(c, n);
    }
    Ok(children
        .into_iter()
        .map(|c| RegionCount {
            households: counts.get(&c.code).copied().unwrap_or(0),
            code: c.code,
            name: c.name,
            level: c.level,
        })
        .collect())
}

/// Number of households under a region.
pub async fn household_count(db: &Db, code: &str) -> Result<i64> {
    let (lo, hi) = prefix_range(code);
    Ok(
        sqlx::query("SELECT COUNT(*) FROM households WHERE region_code >= $1 AND region_code < $2")
            .bind(lo)
            .bind(hi)
            .fetch_one(db.pool())
            .await?
            .try_get(0)?,
    )
}

/// The village codes under `prefix` (all when empty), for validating imports.
pub async fn village_codes(db: &Db, prefix: &str) -> Result<HashSet<String>> {
    let (lo, hi) = prefix_range(prefix);
    let rows = sqlx::query("SELECT code FROM regions WHERE level = 5 AND code >= $1 AND code < $2")
        .bind(lo)
        .bind(hi)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// Villages under `prefix` with their names, in code order (for the demo population).
pub async fn villages_under(db: &Db, prefix: &str) -> Result<Vec<(String, String)>> {
    let (lo, hi) = prefix_range(prefix);
    let rows = sqlx::query(
        "SELECT code, name FROM regions WHERE level = 5 AND code >= $1 AND code < $2 ORDER BY code",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}
