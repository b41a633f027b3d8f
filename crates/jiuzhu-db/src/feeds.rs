//! Department feeds: feed types, immutable dated snapshots and their rows. Reading rows about
//! named persons is only possible for a verification under a recorded authorisation
//! ([`rows_for_verification`]); monitoring reads whole snapshots ([`current_rows`]).

use serde_json::json;
use sqlx::Row;

use crate::audit::{self, Actor, Entry};
use crate::households::Scope;
use crate::{Db, DbError, Result, list_placeholders};

/// A feed type as stored; `columns` is JSON (`[{"name", "type"}]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedTypeRecord {
    pub name: String,
    pub label_zh: String,
    pub label_en: String,
    pub department: String,
    pub kind: String,
    pub id_column: String,
    pub columns: String,
    pub builtin: bool,
    /// Rows are about anyone in the city: not checked against the importer's region.
    pub city_wide: bool,
}

fn type_of(r: &sqlx::any::AnyRow) -> Result<FeedTypeRecord> {
    Ok(FeedTypeRecord {
        name: r.try_get(0)?,
        label_zh: r.try_get(1)?,
        label_en: r.try_get(2)?,
        department: r.try_get(3)?,
        kind: r.try_get(4)?,
        id_column: r.try_get(5)?,
        columns: r.try_get(6)?,
        builtin: r.try_get::<i64, _>(7)? != 0,
        city_wide: r.try_get::<i64, _>(8)? != 0,
    })
}

const TYPE_COLUMNS: &str =
    "name, label_zh, label_en, department, kind, id_column, columns, builtin, city_wide";

/// Every feed type, by name.
pub async fn types(db: &Db) -> Result<Vec<FeedTypeRecord>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TYPE_COLUMNS} FROM feed_types ORDER BY builtin DESC, name"
    )))
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(type_of)
    .collect()
}

/// One feed type.
pub async fn feed_type(db: &Db, name: &str) -> Result<Option<FeedTypeRecord>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TYPE_COLUMNS} FROM feed_types WHERE name = $1"
    )))
    .bind(name)
    .fetch_optional(db.pool())
    .await?
    .as_ref()
    .map(type_of)
    .transpose()
}

/// Stores the built-in types that are missing (on start) and keeps the owners and reach of
/// those stored to the shipped ones; declared types are left alone.
pub async fn ensure_builtin(db: &Db, types: &[FeedTypeRecord]) -> Result<usize> {
    let mut tx = db.begin_write().await?;
    let mut added = 0;
    for t in types {
        added += sqlx::query(
            "INSERT INTO feed_types (name, label_zh, label_en, department, kind, id_column, columns,
                                     builtin, created_at, created_by, city_wide)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, 'system', $9)
             ON CONFLICT (name) DO UPDATE SET department = excluded.department,
                                              city_wide = excluded.city_wide
             WHERE feed_types.builtin = 1
               AND (feed_types.department <> excluded.department
                    OR feed_types.city_wide <> excluded.city_wide)",
        )
        .bind(&t.name)
        .bind(&t.label_zh)
        .bind(&t.label_en)
        .bind(&t.department)
        .bind(&t.kind)
        .bind(&t.id_column)
        .bind(&t.columns)
        .bind(crate::now_text())
        .bind(t.city_wide as i64)
        .execute(&mut *tx)
        .await?
        .rows_affected() as usize;
    }
    tx.commit().await?;
    Ok(added)
}

/// Declares a new feed type (checked by the caller). A name in use is a conflict.
pub async fn declare(db: &Db, actor: &Actor, t: &FeedTypeRecord) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let exists = sqlx::query("SELECT 1 FROM feed_types WHERE name = $1")
        .bind(&t.name)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_some() {
        return Err(DbError::Conflict(format!(
            "name: a feed type {} exists",
            t.name
        )));
    }
    sqlx::query(
        "INSERT INTO feed_types (name, label_zh, label_en, department, kind, id_column, columns,
                                 builtin, created_at, created_by, city_wide)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10)",
    )
    .bind(&t.name)
    .bind(&t.label_zh)
    .bind(&t.label_en)
    .bind(&t.department)
    .bind(&t.kind)
    .bind(&t.id_column)
    .bind(&t.columns)
    .bind(crate::now_text())
    .bind(&actor.name)
    .bind(t.city_wide as i64)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry::new("feed.declare", "feed_type", t.name.clone()).detail(
            json!({"label_zh": t.label_zh, "kind": t.kind, "id_column": t.id_column,
                           "columns": t.columns}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A snapshot to store.
#[derive(Clone, Debug)]
pub struct NewSnapshot {
    pub feed_type: String,
    pub as_of: String,
    pub file_name: String,
    pub format: String,
    /// The column names, JSON array, in the order of each row's cells.
    pub columns: String,
    pub sha256: String,
    pub rejected: usize,
    /// The refused rows (JSON array of {file, line, column, reason}).
    pub report: String,
}

/// A stored snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub id: i64,
    pub feed_type: String,
    pub as_of: String,
    pub file_name: String,
    pub format: String,
    pub columns: String,
    pub row_count: i64,
    pub rejected: i64,
    pub sha256: String,
    pub report: String,
    pub imported_at: String,
    pub imported_by: String,
}

const SNAPSHOT_COLUMNS: &str = "id, feed_type, as_of, file_name, format, columns, row_count, rejected, sha256, report, imported_at, imported_by";

fn snapshot_of(r: &sqlx::any::AnyRow) -> Result<Snapshot> {
    Ok(Snapshot {
        id: r.try_get(0)?,
        feed_type: r.try_get(1)?,
        as_of: r.try_get(2)?,
        file_name: r.try_get(3)?,
        format: r.try_get(4)?,
        columns: r.try_get(5)?,
        row_count: r.try_get(6)?,
        rejected: r.try_get(7)?,
        sha256: r.try_get(8)?,
        report: r.try_get(9)?,
        imported_at: r.try_get(10)?,
        imported_by: r.try_get(11)?,
    })
}

/// Stores a snapshot and all its rows (`(line, id_number, cells as JSON)`) in one
/// transaction, with its audit row: a failure leaves nothing. The same file imported twice
/// for the same feed is a conflict naming the earlier snapshot.
pub async fn insert_snapshot(
    db: &Db,
    actor: &Actor,
    s: &NewSnapshot,
    rows: &[(i64, String, String)],
) -> Result<i64> {
    let mut tx = db.begin_write().await?;
    let earlier = sqlx::query("SELECT id FROM feed_snapshots WHERE feed_type = $1 AND sha256 = $2")
        .bind(&s.feed_type)
        .bind(&s.sha256)
        .fetch_optional(&mut *tx)
        .await?;
    if let Some(r) = earlier {
        let id: i64 = r.try_get(0)?;
        return Err(DbError::Conflict(format!(
            "{}: this file was already imported as snapshot {id} of {}",
            s.file_name, s.feed_type
        )));
    }
    let id: i64 = sqlx::query(
        "INSERT INTO feed_snapshots (feed_type, as_of, file_name, format, columns, row_count,
                                     rejected, sha256, report, imported_at, imported_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(&s.feed_type)
    .bind(&s.as_of)
    .bind(&s.file_name)
    .bind(&s.format)
    .bind(&s.columns)
    .bind(rows.len() as i64)
    .bind(s.rejected as i64)
    .bind(&s.sha256)
    .bind(&s.report)
    .bind(crate::now_text())
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    crate::roster::insert_rows(
        &mut tx,
        db.backend(),
        "INSERT INTO feed_rows (snapshot_id, line, id_number, cells)",
        "",
        4,
        rows,
        |q, r| q.bind(id).bind(r.0).bind(&r.1).bind(&r.2),
    )
    .await?;
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry::new("feed.import", "feed_snapshot", id).detail(
            json!({"feed_type": s.feed_type, "as_of": s.as_of, "file": s.file_name,
                           "rows": rows.len(), "rejected": s.rejected, "sha256": s.sha256}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Snapshots, newest first; of one feed type when given.
pub async fn snapshots(db: &Db, feed_type: Option<&str>) -> Result<Vec<Snapshot>> {
    let rows = match feed_type {
        Some(t) => sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SNAPSHOT_COLUMNS} FROM feed_snapshots WHERE feed_type = $1 ORDER BY id DESC"
        )))
        .bind(t)
        .fetch_all(db.pool())
        .await?,
        None => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {SNAPSHOT_COLUMNS} FROM feed_snapshots ORDER BY id DESC"
            )))
            .fetch_all(db.pool())
            .await?
        }
    };
    rows.iter().map(snapshot_of).collect()
}

/// One snapshot.
pub async fn snapshot(db: &Db, id: i64) -> Result<Option<Snapshot>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {SNAPSHOT_COLUMNS} FROM feed_snapshots WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .as_ref()
    .map(snapshot_of)
    .transpose()
}

/// The snapshots that count on `as_of` for a feed of `kind`: for `events` every snapshot
/// dated on or before it; for `full` the latest such snapshot.
pub async fn counting_snapshots(
    db: &Db,
    feed_type: &str,
    kind: &str,
    as_of: &str,
) -> Result<Vec<Snapshot>> {
    let mut all: Vec<Snapshot> = snapshots(db, Some(feed_type))
        .await?
        .into_iter()
        .filter(|s| s.as_of.as_str() <= as_of)
        .collect();
    if kind == "full" {
        all.sort_by(|a, b| (&b.as_of, b.id).cmp(&(&a.as_of, a.id)));
        all.truncate(1);
    }
    Ok(all)
}

/// The cells (JSON arrays) of every row of the given snapshots.
pub async fn rows_of(db: &Db, snapshot_ids: &[i64]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for id in snapshot_ids {
        let rows = sqlx::query("SELECT cells FROM feed_rows WHERE snapshot_id = $1 ORDER BY line")
            .bind(id)
            .fetch_all(db.pool())
            .await?;
        out.reserve(rows.len());
        for r in rows {
            out.push(r.try_get(0)?);
        }
    }
    Ok(out)
}

/// A row found about a person during a verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundRow {
    pub feed_type: String,
    pub snapshot_id: i64,
    pub as_of: String,
    pub columns: String,
    pub id_number: String,
    pub cells: String,
}

/// Every row of every snapshot about the given persons, for a verification of household
/// `household_id` under authorisation `authorisation_id`, which must belong to it; the
/// query is audited with its purpose before anything is returned.
pub async fn rows_for_verification(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    household_id: i64,
    authorisation_id: i64,
    purpose: &str,
    id_numbers: &[String],
) -> Result<Vec<FoundRow>> {
    if crate::households::get(db, scope, household_id)
        .await?
        .is_none()
    {
        return Err(DbError::NotFound("household".into()));
    }
    let auth = sqlx::query("SELECT household_id FROM authorisations WHERE id = $1")
        .bind(authorisation_id)
        .fetch_optional(db.pool())
        .await?;
    match auth {
        Some(r) if r.try_get::<i64, _>(0)? == household_id => {}
        _ => {
            return Err(DbError::invalid(
                "authorisation",
                "no signed authorisation of this household is recorded; \
                 department data cannot be queried without one",
                "该户尚未登记签署的授权书，不能查询部门数据：请先在本页登记授权书",
            ));
        }
    }
    if purpose.trim().is_empty() {
        return Err(DbError::invalid(
            "purpose",
            "say why the data is queried",
            "请填写查询目的",
        ));
    }
    audit::record(
        db,
        actor,
        Entry::new("verification.query", "authorisation", authorisation_id)
            .household(household_id)
            .detail(json!({"purpose": purpose, "persons": id_numbers.len()})),
    )
    .await?;
    let mut out = Vec::new();
    for chunk in id_numbers.chunks(500) {
        if chunk.is_empty() {
            continue;
        }
        let sql = format!(
            "SELECT s.feed_type, s.id, s.as_of, s.columns, r.id_number, r.cells
             FROM feed_rows r JOIN feed_snapshots s ON s.id = r.snapshot_id
             WHERE r.id_number IN ({}) ORDER BY s.feed_type, s.as_of, r.line",
            list_placeholders(db.backend(), 1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id);
        }
        for r in q.fetch_all(db.pool()).await? {
            out.push(FoundRow {
                feed_type: r.try_get(0)?,
                snapshot_id: r.try_get(1)?,
                as_of: r.try_get(2)?,
                columns: r.try_get(3)?,
                id_number: r.try_get(4)?,
                cells: r.try_get(5)?,
            });
        }
    }
    Ok(out)
}
