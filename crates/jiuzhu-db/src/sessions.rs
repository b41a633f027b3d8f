//! Browser sessions and API tokens, stored by the SHA-256 of their secret.

use sqlx::Row;

use crate::users::{User, user_from};
use crate::{Db, Result};

/// A session row joined with its user.
#[derive(Clone, Debug)]
pub struct Session {
    pub token_hash: String,
    pub csrf_token: String,
    pub created_at: String,
    pub last_seen: String,
    pub user: User,
}

pub async fn create(
    db: &Db,
    token_hash: &str,
    user_id: i64,
    csrf_token: &str,
    ip: &str,
) -> Result<()> {
    let now = crate::now_text();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen, ip)
         VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(csrf_token)
    .bind(now)
    .bind(ip)
    .execute(db.pool())
    .await?;
    Ok(())
}

pub async fn get(db: &Db, token_hash: &str) -> Result<Option<Session>> {
    let r = sqlx::query(
        "SELECT s.token_hash, s.csrf_token, s.created_at AS s_created, s.last_seen,
                u.id, u.username, u.display_name, u.password_hash, u.role, u.scope_region,
                u.department, u.active, u.failed_logins, u.locked_until, u.created_at
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = r else { return Ok(None) };
    Ok(Some(Session {
        token_hash: r.try_get("token_hash")?,
        csrf_token: r.try_get("csrf_token")?,
        created_at: r.try_get("s_created")?,
        last_seen: r.try_get("last_seen")?,
        user: user_from(&r)?,
    }))
}

pub async fn touch(db: &Db, token_hash: &str) -> Result<()> {
    sqlx::query("UPDATE sessions SET last_seen = $1 WHERE token_hash = $2")
        .bind(crate::now_text())
        .bind(token_hash)
        .execute(db.pool())
        .await?;
    Ok(())
}

pub async fn delete(db: &Db, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Ends every session of a user (password change, deactivation).
pub async fn delete_for_user(db: &Db, user_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Removes sessions idle since before `cutoff`.
pub async fn delete_idle(db: &Db, cutoff: &str) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE last_seen < $1")
        .bind(cutoff)
        .execute(db.pool())
        .await?
        .rows_affected())
}

/// Stores a new API token (by its hash) ending at `expires_at` (ISO time).
pub async fn create_token(
    tx: &mut crate::Tx,
    user_id: i64,
    name: &str,
    token_hash: &str,
    expires_at: &str,
) -> Result<i64> {
    Ok(sqlx::query(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(user_id)
    .bind(name)
    .bind(token_hash)
    .bind(crate::now_text())
    .bind(expires_at)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?)
}

/// An API token as the user administration lists it (never its secret).
#[derive(Clone, Debug)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub expires_at: String,
    pub revoked: bool,
}

/// The API tokens of a user, newest first.
pub async fn tokens_of(db: &Db, user_id: i64) -> Result<Vec<TokenRow>> {
    sqlx::query(
        "SELECT id, name, created_at, COALESCE(expires_at, ''), revoked FROM api_tokens
         WHERE user_id = $1 ORDER BY id DESC",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(TokenRow {
            id: r.try_get(0)?,
            name: r.try_get(1)?,
            created_at: r.try_get(2)?,
            expires_at: r.try_get(3)?,
            revoked: r.try_get::<i64, _>(4)? != 0,
        })
    })
    .collect()
}

/// Revokes a token of `user_id`; whether there was one to revoke.
pub async fn revoke_token(tx: &mut crate::Tx, user_id: i64, token_id: i64) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE api_tokens SET revoked = 1 WHERE id = $1 AND user_id = $2 AND revoked = 0",
    )
    .bind(token_id)
    .bind(user_id)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

/// The active user holding an unrevoked token that has not expired at `now` (ISO time).
pub async fn user_by_token(db: &Db, token_hash: &str, now: &str) -> Result<Option<User>> {
    let r = sqlx::query(
        "SELECT u.id, u.username, u.display_name, u.password_hash, u.role, u.scope_region,
                u.department, u.active, u.failed_logins, u.locked_until, u.created_at
         FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = $1 AND t.revoked = 0 AND t.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    r.as_ref().map(user_from).transpose()
}
