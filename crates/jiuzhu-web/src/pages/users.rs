//! User administration: accounts, roles, scopes, API tokens.

use super::*;

pub(super) struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    scope: String,
    department: String,
    active: bool,
    locked_until: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "users.html")]
pub(super) struct UsersTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    users: Vec<UserRow>,
}

pub(super) async fn users_page(State(state): State<AppState>, PageUser(u): PageUser) -> PageResult {
    u.require(u.role.can_admin_users())?;
    let users = jiuzhu_db::users::list(&state.db)
        .await?
        .into_iter()
        // An administrator manages the users inside their own scope.
        .filter(|x| x.scope_region.starts_with(u.scope_region.as_str()))
        .map(|x| UserRow {
            id: x.id,
            role: Role::parse(&x.role)
                .map(|r| role_label(r, u.lang).to_string())
                .unwrap_or(x.role),
            username: x.username,
            display_name: x.display_name,
            scope: x.scope_region,
            department: x.department,
            active: x.active,
            locked_until: x
                .locked_until
                .as_deref()
                .map(crate::views::short_time)
                .unwrap_or_default(),
        })
        .collect();
    Ok(UsersTemplate {
        lang: u.lang,
        title: u.lang.t("users").into(),
        nav: Some(nav(&state, &u).await),
        users,
    }
    .into_response())
}

#[derive(Deserialize, Default, Clone)]
pub(super) struct UserFormData {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    scope_region: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    password: String,
    active: Option<String>,
    unlock: Option<String>,
}

impl UserFormData {
    fn to_form(&self) -> jiuzhu_app::accounts::UserForm {
        jiuzhu_app::accounts::UserForm {
            username: self.username.trim().into(),
            display_name: self.display_name.clone(),
            role: self.role.clone(),
            scope_region: self.scope_region.trim().into(),
            department: self.department.clone(),
            password: self.password.clone(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "user_form.html")]
pub(super) struct UserFormTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    action: String,
    is_new: bool,
    active: bool,
    form: UserFormData,
    errors: BTreeMap<String, String>,
    roles: Vec<(&'static str, &'static str)>,
    /// The user's API tokens: (id, name, created, expires, state), newest first.
    tokens: Vec<(i64, String, String, String, String)>,
}

pub(super) async fn user_form(
    state: &AppState,
    u: &SignedIn,
    id: Option<i64>,
    mut form: UserFormData,
    errors: BTreeMap<String, String>,
) -> PageResult {
    form.password.clear();
    let now = jiuzhu_db::now_text();
    let tokens = match id {
        Some(i) => jiuzhu_db::sessions::tokens_of(&state.db, i)
            .await?
            .into_iter()
            .map(|t| {
                let state = if t.revoked {
                    "token_revoked"
                } else if t.expires_at <= now {
                    "token_expired"
                } else {
                    "token_active"
                };
                (
                    t.id,
                    t.name,
                    t.created_at.get(..10).unwrap_or_default().to_string(),
                    t.expires_at.get(..10).unwrap_or_default().to_string(),
                    state.to_string(),
                )
            })
            .collect(),
        None => Vec::new(),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        UserFormTemplate {
            lang: u.lang,
            title: if id.is_none() {
                u.lang.t("new_user").into()
            } else {
                form.username.clone()
            },
            nav: Some(nav(state, u).await),
            csrf: u.csrf.clone().unwrap_or_default(),
            action: id
                .map(|i| format!("/admin/users/{i}"))
                .unwrap_or_else(|| "/admin/users/new".into()),
            is_new: id.is_none(),
            active: form.active.is_some(),
            form,
            errors,
            roles: Role::ALL
                .iter()
                .map(|r| (r.code(), role_label(*r, u.lang)))
                .collect(),
            tokens,
        },
    )
        .into_response())
}

/// A user account the administrator manages: inside their scope, else not found.
pub(super) async fn managed_user(
    state: &AppState,
    u: &SignedIn,
    id: i64,
) -> Result<jiuzhu_db::users::User, WebError> {
    let x = jiuzhu_db::users::by_id(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)?;
    if !x.scope_region.starts_with(u.scope_region.as_str()) {
        return Err(WebError::NotFound);
    }
    Ok(x)
}

/// Revokes one of a user's API tokens (user administration).
pub(super) async fn revoke_token_submit(
    State(state): State<AppState>,
    Path((id, tid)): Path<(i64, i64)>,
    Posted(u, _): Posted<NoFields>,
) -> PageResult {
    u.require(u.role.can_admin_users())?;
    managed_user(&state, &u, id).await?;
    jiuzhu_app::accounts::revoke_token(&state.db, &u.actor(), id, tid).await?;
    Ok(Redirect::to(&format!("/admin/users/{id}")).into_response())
}

/// An administrator may only give scopes inside their own.
pub(super) fn scope_error(u: &SignedIn, scope: &str) -> Option<String> {
    match RegionCode::parse(scope.trim()) {
        Ok(r) if !u.scope_region.contains(&r) => Some("outside your scope".into()),
        _ => None,
    }
}

pub(super) async fn new_user_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
) -> PageResult {
    u.require(u.role.can_admin_users())?;
    let form = UserFormData {
        role: Role::WindowClerk.code().into(),
        scope_region: u.scope_region.to_string(),
        ..Default::default()
    };
    user_form(&state, &u, None, form, BTreeMap::new()).await
}

pub(super) async fn new_user_submit(
    State(state): State<AppState>,
    Posted(u, f): Posted<UserFormData>,
) -> PageResult {
    u.require(u.role.can_admin_users())?;
    let form = f.to_form();
    let mut errors = jiuzhu_app::accounts::check(&form, true);
    if let Some(e) = scope_error(&u, &form.scope_region) {
        errors.insert("scope_region".into(), e);
    }
    if errors.is_empty() {
        match jiuzhu_app::accounts::create_user(&state.db, &u.actor(), &form)
            .await
            .map_err(WebError::from)
        {
            Ok(_) => return Ok(Redirect::to("/admin/users").into_response()),
            Err(WebError::Conflict(m)) => {
                errors.insert("username".into(), m);
            }
            Err(e) => return Err(e.into()),
        }
    }
    user_form(&state, &u, None, f, errors).await
}

pub(super) async fn edit_user_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    u.require(u.role.can_admin_users())?;
    let x = managed_user(&state, &u, id).await?;
    let form = UserFormData {
        username: x.username,
        display_name: x.display_name,
        role: x.role,
        scope_region: x.scope_region,
        department: x.department,
        active: x.active.then(|| "1".into()),
        ..Default::default()
    };
    user_form(&state, &u, Some(id), form, BTreeMap::new()).await
}

pub(super) async fn edit_user_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(u, f): Posted<UserFormData>,
) -> PageResult {
    u.require(u.role.can_admin_users())?;
    let x = managed_user(&state, &u, id).await?;
    let mut f = f;
    f.username = x.username;
    let form = f.to_form();
    let mut errors = jiuzhu_app::accounts::check(&form, false);
    if let Some(e) = scope_error(&u, &form.scope_region) {
        errors.insert("scope_region".into(), e);
    }
    if errors.is_empty() {
        jiuzhu_app::accounts::update_user(
            &state.db,
            &u.actor(),
            id,
            &form,
            f.active.is_some(),
            f.unlock.is_some(),
        )
        .await?;
        return Ok(Redirect::to("/admin/users").into_response());
    }
    user_form(&state, &u, Some(id), f, errors).await
}
