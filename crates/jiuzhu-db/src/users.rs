//! Users (用户), their role and scope, sign-in failures and lock-outs.

use serde::Serialize;
use sqlx::Row;

use crate::{Db, DbError, Result};

/// A stored user. The password hash never leaves this crate's callers' auth module.
#[derive(Clone, Debug, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: String,
    pub scope_region: String,
    pub department: String,
    pub active: bool,
    pub failed_logins: i64,
    pub locked_until: Option<String>,
    pub created_at: String,
}

const COLUMNS: &str = "id, username, display_name, password_hash, role, scope_region, department,
    active, failed_logins, locked_until, created_at";

pub(crate) fn user_from(r: &sqlx::any::AnyRow) -> Result<User> {
    Ok(User {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        password_hash: r.try_get("password_hash")?,
        role: r.try_get("role")?,
        scope_region: r.try_get("scope_region")?,
        department: r.try_get("department")?,
        active: r.try_get::<i64, _>("active")? != 0,
        failed_logins: r.try_get("failed_logins")?,
        locked_until: r.try_get("locked_until")?,
        created_at: r.try_get("created_at")?,
    })
}

/// A user to create.
#[derive(Clone, Debug)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub scope_region: &'a str,
    pub department: &'a str,
}

/// Creates a user in the caller's transaction (so the audit row goes with it).
pub async fn create(tx: &mut crate::Tx, u: &NewUser<'_>) -> Result<i64> {
    sqlx::query(
        "INSERT INTO users (username, display_name, password_hash, role, scope_region, department, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(u.username)
    .bind(u.display_name)
    .bind(u.password_hash)
    .bind(u.role)
    .bind(u.scope_region)
    .bind(u.department)
    .bind(crate::now_text())
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| match DbError::from(e) {
        e if e.is_unique_violation() => DbError::Conflict(format!("user name {} is taken", u.username)),
        e => e,
    })?
    .try_get(0)
    .map_err(Into::into)
}

pub async fn by_username(db: &Db, username: &str) -> Result<Option<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE username = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(username)
        .fetch_optional(db.pool())
        .await?;
    r.as_ref().map(user_from).transpose()
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    r.as_ref().map(user_from).transpose()
}

pub async fn list(db: &Db) -> Result<Vec<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users ORDER BY username");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(user_from)
        .collect()
}

/// Counts a wrong password; at `max_failures` the account locks until `lock_until`.
/// Returns whether the account is now locked.
pub async fn record_failure(db: &Db, id: i64, max_failures: i64, lock_until: &str) -> Result<bool> {
    let mut tx = db.begin_write().await?;
    let n: i64 = sqlx::query(
        "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let locked = n >= max_failures;
    if locked {
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = $1 WHERE id = $2")
            .bind(lock_until)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(locked)
}

/// Clears the failure count and any expired lock after a good sign-in.
pub async fn record_success(db: &Db, id: i64) -> Result<()> {
    sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Changes role, scope, department and whether the account is active.
pub async fn update(
    tx: &mut crate::Tx,
    id: i64,
    display_name: &str,
    role: &str,
    scope_region: &str,
    department: &str,
    active: bool,
) -> Result<()> {
    let r = sqlx::query(
        "UPDATE users SET display_name = $1, role = $2, scope_region = $3, department = $4, active = $5
         WHERE id = $6",
    )
    .bind(display_name)
    .bind(role)
    .bind(scope_region)
    .bind(department)
    .bind(active as i64)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    if r.rows_affected() == 0 {
        return Err(DbError::NotFound("user".into()));
    }
    Ok(())
}

pub async fn set_password(tx: &mut crate::Tx, id: i64, password_hash: &str) -> Result<()> {
    sqlx::query(
        "UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL WHERE id = $2",
    )
    .bind(password_hash)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Unlocks an account locked by wrong passwords.
pub async fn unlock(tx: &mut crate::Tx, id: i64) -> Result<()> {
    sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
