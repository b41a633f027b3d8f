//! User administration shared by the web pages, the API and `jiuzhu user add`.

use jiuzhu_db::Db;
use jiuzhu_db::audit::{self, Actor, Entry};
use jiuzhu_db::users::NewUser;
use jiuzhu_domain::{RegionCode, Role};
use serde_json::json;

use crate::AppError;
use crate::credentials::hash_password;

/// Minimum password length.
pub const MIN_PASSWORD: usize = 10;

/// A user account to create, validated field by field.
#[derive(Clone, Debug, Default)]
pub struct UserForm {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub scope_region: String,
    pub department: String,
    pub password: String,
}

/// Per-field messages, empty when the form is valid.
pub fn check(form: &UserForm, new: bool) -> std::collections::BTreeMap<String, String> {
    let mut errors = std::collections::BTreeMap::new();
    if new
        && (form.username.len() < 2
            || form.username.len() > 40
            || !form
                .username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)))
    {
        errors.insert(
            "username".into(),
            "2-40 letters, digits, '-', '_' or '.'".into(),
        );
    }
    if form.display_name.trim().is_empty() {
        errors.insert("display_name".into(), "required".into());
    }
    if Role::parse(&form.role).is_err() {
        errors.insert("role".into(), format!("unknown role {:?}", form.role));
    }
    if RegionCode::parse(&form.scope_region).is_err() {
        errors.insert(
            "scope_region".into(),
            "a region code of 2, 4, 6, 9 or 12 digits".into(),
        );
    }
    if (new || !form.password.is_empty()) && form.password.chars().count() < MIN_PASSWORD {
        errors.insert(
            "password".into(),
            format!("at least {MIN_PASSWORD} characters"),
        );
    }
    errors
}

/// Creates a user (hashing the password) and audits it; returns the new id.
pub async fn create_user(db: &Db, actor: &Actor, form: &UserForm) -> Result<i64, AppError> {
    let errors = check(form, true);
    if let Some((field, msg)) = errors.iter().next() {
        return Err(AppError::invalid(format!("{field}: {msg}")));
    }
    let hash = hash_password(&form.password);
    let mut tx = db.begin_write().await?;
    let id = jiuzhu_db::users::create(
        &mut tx,
        &NewUser {
            username: form.username.trim(),
            display_name: form.display_name.trim(),
            password_hash: &hash,
            role: &form.role,
            scope_region: &form.scope_region,
            department: form.department.trim(),
        },
    )
    .await?;
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry::new("user.create", "user", id)
            .detail(json!({"username": form.username, "role": form.role,
                           "scope_region": form.scope_region, "department": form.department})),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a user's name, role, scope, department, active flag and optionally password.
pub async fn update_user(
    db: &Db,
    actor: &Actor,
    id: i64,
    form: &UserForm,
    active: bool,
    unlock: bool,
) -> Result<(), AppError> {
    let errors = check(form, false);
    if let Some((field, msg)) = errors.iter().next() {
        return Err(AppError::invalid(format!("{field}: {msg}")));
    }
    let mut tx = db.begin_write().await?;
    jiuzhu_db::users::update(
        &mut tx,
        id,
        form.display_name.trim(),
        &form.role,
        &form.scope_region,
        form.department.trim(),
        active,
    )
    .await?;
    if !form.password.is_empty() {
        jiuzhu_db::users::set_password(&mut tx, id, &hash_password(&form.password)).await?;
    }
    if unlock {
        jiuzhu_db::users::unlock(&mut tx, id).await?;
    }
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry::new("user.update", "user", id).detail(
            json!({"role": form.role, "scope_region": form.scope_region,
                           "department": form.department, "active": active,
                           "password_changed": !form.password.is_empty(), "unlocked": unlock}),
        ),
    )
    .await?;
    tx.commit().await?;
    if !active || !form.password.is_empty() {
        jiuzhu_db::sessions::delete_for_user(db, id).await?;
    }
    Ok(())
}

/// Issues an API token for a user; the token is shown once and stored as its hash.
/// How long an API token lasts unless told otherwise.
pub const TOKEN_DAYS: i64 = 90;

/// Issues an API token lasting [`TOKEN_DAYS`]; the secret is returned once.
pub async fn issue_token(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    name: &str,
) -> Result<String, AppError> {
    issue_token_for(db, actor, user_id, name, TOKEN_DAYS).await
}

/// Issues an API token lasting `days` (1 to 366).
pub async fn issue_token_for(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    name: &str,
    days: i64,
) -> Result<String, AppError> {
    if !(1..=366).contains(&days) {
        return Err(AppError::invalid("days: a token lasts 1 to 366 days"));
    }
    let token = crate::credentials::new_token();
    let expires = jiuzhu_db::time_text(chrono::Utc::now() + chrono::Duration::days(days));
    let mut tx = db.begin_write().await?;
    let id = jiuzhu_db::sessions::create_token(
        &mut tx,
        user_id,
        name,
        &crate::credentials::token_hash(&token),
        &expires,
    )
    .await?;
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry::new("token.create", "api_token", id)
            .detail(json!({"user_id": user_id, "name": name, "expires_at": expires})),
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// Revokes a user's API token, audited; not found if it is not theirs or already revoked.
pub async fn revoke_token(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    token_id: i64,
) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    if !jiuzhu_db::sessions::revoke_token(&mut tx, user_id, token_id).await? {
        return Err(AppError::NotFound("user".into()));
    }
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry::new("token.revoke", "api_token", token_id).detail(json!({"user_id": user_id})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
