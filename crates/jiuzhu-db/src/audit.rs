//! The append-only audit log (审计日志): every write and every read of a person's sensitive
//! data, who did it, when, from where. Each row's hash covers the previous row's hash, so
//! a row edited or deleted behind the application's back breaks the chain at that row.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{AssertSqlSafe, Row};

use crate::{Backend, Db, Result, Tx};

/// The hash that precedes the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who acts: a signed-in user, a machine client, or a command-line job.
#[derive(Clone, Debug)]
pub struct Actor {
    pub name: String,
    pub role: String,
    pub ip: String,
}

impl Actor {
    /// A command-line job such as `jiuzhu import`.
    pub fn system(name: &str) -> Actor {
        Actor {
            name: name.to_string(),
            role: "system".into(),
            ip: "local".into(),
        }
    }
}

/// One thing to record.
#[derive(Clone, Debug)]
pub struct Entry<'a> {
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: String,
    pub household_id: Option<i64>,
    pub detail: serde_json::Value,
}

impl<'a> Entry<'a> {
    /// An entry about one object, with no household and an empty detail.
    pub fn new(action: &'a str, object_type: &'a str, object_id: impl ToString) -> Self {
        Entry {
            action,
            object_type,
            object_id: object_id.to_string(),
            household_id: None,
            detail: serde_json::json!({}),
        }
    }

    /// The household the object belongs to (`None` leaves it unset).
    pub fn household(mut self, id: impl Into<Option<i64>>) -> Self {
        self.household_id = id.into();
        self
    }

    /// What else is worth keeping about the act.
    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

/// A stored row.
#[derive(Clone, Debug, Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub role: String,
    pub ip: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub household_id: Option<i64>,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRow {
    pub(crate) fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            self.prev_hash.as_str(),
            &self.id.to_string(),
            &self.at,
            &self.actor,
            &self.role,
            &self.ip,
            &self.action,
            &self.object_type,
            &self.object_id,
            &self.household_id.map(|v| v.to_string()).unwrap_or_default(),
            &self.detail,
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// The last row's id and hash.
pub(crate) const LAST_SQL: &str = "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1";

pub(crate) const INSERT_SQL: &str = "INSERT INTO audit_log (id, at, actor, role, ip, action,
    object_type, object_id, household_id, detail, prev_hash, hash)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

/// The row that follows `prev` (id and hash of the last row, `None` for the first), hashed.
pub(crate) fn chained_row(
    prev: Option<(i64, String)>,
    actor: &Actor,
    entry: Entry<'_>,
) -> AuditRow {
    let (prev_id, prev_hash) = prev.unwrap_or_else(|| (0, GENESIS.to_string()));
    let mut row = AuditRow {
        id: prev_id + 1,
        at: crate::now_text(),
        actor: actor.name.clone(),
        role: actor.role.clone(),
        ip: actor.ip.clone(),
        action: entry.action.to_string(),
        object_type: entry.object_type.to_string(),
        object_id: entry.object_id,
        household_id: entry.household_id,
        detail: entry.detail.to_string(),
        prev_hash,
        hash: String::new(),
    };
    row.hash = row.compute_hash();
    row
}

/// Appends one row inside `tx`, chained to the last row.
pub async fn append(tx: &mut Tx, backend: Backend, actor: &Actor, entry: Entry<'_>) -> Result<i64> {
    if backend == Backend::Postgres {
        // Serialises appenders: the lock is held until the transaction ends.
        sqlx::query("SELECT pg_advisory_xact_lock(74200001)")
            .execute(&mut **tx)
            .await?;
    }
    let last = sqlx::query(LAST_SQL).fetch_optional(&mut **tx).await?;
    let prev = match last {
        Some(r) => Some((r.try_get::<i64, _>(0)?, r.try_get::<String, _>(1)?)),
        None => None,
    };
    let row = chained_row(prev, actor, entry);
    sqlx::query(INSERT_SQL)
        .bind(row.id)
        .bind(&row.at)
        .bind(&row.actor)
        .bind(&row.role)
        .bind(&row.ip)
        .bind(&row.action)
        .bind(&row.object_type)
        .bind(&row.object_id)
        .bind(row.household_id)
        .bind(&row.detail)
        .bind(&row.prev_hash)
        .bind(&row.hash)
        .execute(&mut **tx)
        .await?;
    Ok(row.id)
}

/// Records a read in its own short transaction (reads happen outside write transactions).
pub async fn record(db: &Db, actor: &Actor, entry: Entry<'_>) -> Result<i64> {
    let mut tx = db.begin_write().await?;
    let id = append(&mut tx, db.backend(), actor, entry).await?;
    tx.commit().await?;
    Ok(id)
}

/// Search criteria; empty fields do not filter.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub household_id: Option<i64>,
    /// Inclusive lower bound on `at`, ISO date or time.
    pub from: Option<String>,
    /// Exclusive upper bound on `at`, ISO date or time.
    pub to: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

fn row_from(r: &sqlx::any::AnyRow) -> Result<AuditRow> {
    Ok(AuditRow {
        id: r.try_get("id")?,
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        role: r.try_get("role")?,
        ip: r.try_get("ip")?,
        action: r.try_get("action")?,
        object_type: r.try_get("object_type")?,
        object_id: r.try_get("object_id")?,
        household_id: r.try_get("household_id")?,
        detail: r.try_get("detail")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

const COLUMNS: &str = "id, at, actor, role, ip, action, object_type, object_id, household_id, detail, prev_hash, hash";

/// Rows matching `f`, newest first, and the number of matching rows.
pub async fn search(db: &Db, f: &Filter) -> Result<(Vec<AuditRow>, i64)> {
    let mut conds: Vec<String> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let mut push = |cond: &str, v: &Option<String>, conds: &mut Vec<String>| {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            texts.push(v.clone());
            conds.push(cond.replace('?', &format!("${}", texts.len())));
        }
    };
    push("actor = ?", &f.actor, &mut conds);
    push(
        "action LIKE ?",
        &f.action.as_ref().map(|a| format!("{a}%")),
        &mut conds,
    );
    push("object_type = ?", &f.object_type, &mut conds);
    push("object_id = ?", &f.object_id, &mut conds);
    push("at >= ?", &f.from, &mut conds);
    push("at < ?", &f.to, &mut conds);
    if let Some(h) = f.household_id {
        conds.push(format!("household_id = {h}"));
    }
    let where_ = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    let count_sql = format!("SELECT COUNT(*) FROM audit_log {where_}");
    let mut q = sqlx::query(AssertSqlSafe(count_sql));
    for t in &texts {
        q = q.bind(t.clone());
    }
    let total: i64 = q.fetch_one(db.pool()).await?.try_get(0)?;
    let limit = if f.limit <= 0 { 50 } else { f.limit.min(1000) };
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_log {where_} ORDER BY id DESC LIMIT {limit} OFFSET {}",
        f.offset.max(0)
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for t in &texts {
        q = q.bind(t.clone());
    }
    let rows = q.fetch_all(db.pool()).await?;
    let rows = rows.iter().map(row_from).collect::<Result<Vec<_>>>()?;
    Ok((rows, total))
}

/// The outcome of checking the chain.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Verification {
    pub rows: i64,
    pub ok: bool,
    /// The first row that does not fit, and why.
    pub first_bad: Option<(i64, String)>,
}

/// Recomputes the whole chain, in pages of rows.
pub async fn verify(db: &Db) -> Result<Verification> {
    let mut expected_id = 1i64;
    let mut prev_hash = GENESIS.to_string();
    let mut rows = 0i64;
    loop {
        let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE id >= $1 ORDER BY id LIMIT 5000");
        let page = sqlx::query(AssertSqlSafe(sql))
            .bind(expected_id)
            .fetch_all(db.pool())
            .await?;
        if page.is_empty() {
            break;
        }
        for r in &page {
            let row = row_from(r)?;
            rows += 1;
            let bad = if row.id != expected_id {
                Some(format!("row {expected_id} is missing"))
            } else if row.prev_hash != prev_hash {
                Some("previous-hash link does not match the row before".to_string())
            } else if row.compute_hash() != row.hash {
                Some("content does not match its hash (row was altered)".to_string())
            } else {
                None
            };
            if let Some(reason) = bad {
                return Ok(Verification {
                    rows,
                    ok: false,
                    first_bad: Some((expected_id, reason)),
                });
            }
            prev_hash = row.hash;
            expected_id += 1;
        }
    }
    Ok(Verification {
        rows,
        ok: true,
        first_bad: None,
    })
}
