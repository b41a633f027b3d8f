//! Server-rendered pages: sign-in, home, regions, household search, household page,
//! household forms, user administration and the audit log.

pub use jiuzhu_app::registry::parse_evidence;
use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use jiuzhu_db::audit::{self, Entry, Verification};
use jiuzhu_db::households::{self, HouseholdFields, PersonFields, SearchQuery, SensitiveField};
use jiuzhu_domain::{EvidenceKind, EvidenceSource, Hukou, IdNumber, RegionCode, Relation, Role};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::auth::{self, LANG_COOKIE, PageUser, SignedIn, UiLang};
use crate::error::WebError;
use crate::i18n::Lang;
use crate::views::{AuditView, HouseholdRow, HouseholdView};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(|| async { "ok" }))
        .route("/static/app.css", get(css))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/lang", get(set_lang))
        .route("/regions", get(regions_root))
        .route("/regions/{code}", get(region_page))
        .route("/households", get(households_page))
        .route("/households/export.xlsx", get(households_export))
        .route(
            "/households/new",
            get(new_household_page).post(new_household_submit),
        )
        .route("/households/{id}", get(household_page))
        .route("/households/{id}/reveal", post(reveal_submit))
        .route(
            "/households/{id}/edit",
            get(edit_household_page).post(edit_household_submit),
        )
        .route("/households/{id}/members", post(add_member_submit))
        .route("/households/{id}/persons/{pid}", post(edit_person_submit))
        .route(
            "/households/{id}/members/{mid}/end",
            post(end_member_submit),
        )
        .route("/households/{id}/evidence", post(record_evidence_submit))
        .route(
            "/households/{id}/evidence/{eid}/end",
            post(end_evidence_submit),
        )
        .route("/admin/users", get(users_page))
        .route("/admin/users/new", get(new_user_page).post(new_user_submit))
        .route(
            "/admin/users/{id}",
            get(edit_user_page).post(edit_user_submit),
        )
        .route(
            "/admin/users/{id}/tokens/{tid}/revoke",
            post(revoke_token_submit),
        )
        .route("/audit", get(audit_page))
        .route("/audit/verify", get(audit_verify))
}

/// An error shown as a page, in both languages (the language cookie is not at hand).
pub struct PageError(pub WebError);

impl From<WebError> for PageError {
    fn from(e: WebError) -> PageError {
        PageError(e)
    }
}

impl From<jiuzhu_db::DbError> for PageError {
    fn from(e: jiuzhu_db::DbError) -> PageError {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.0.status_code();
        if let WebError::Internal(cause) = &self.0 {
            tracing::error!("internal error: {cause}");
        }
        let (zh, en) = match &self.0 {
            WebError::Forbidden => (Lang::Zh.t("forbidden"), Lang::En.t("forbidden")),
            WebError::NotFound => (Lang::Zh.t("not_found"), Lang::En.t("not_found")),
            WebError::Csrf => (Lang::Zh.t("csrf"), Lang::En.t("csrf")),
            WebError::Unauthorized => (Lang::Zh.t("session_ended"), Lang::En.t("session_ended")),
            WebError::Internal(_) => ("系统内部错误", "Internal error"),
            WebError::Conflict(_) | WebError::Invalid(_) => ("", ""),
        };
        let detail = match &self.0 {
            WebError::Conflict(m) | WebError::Invalid(m) => m.clone(),
            _ => format!("{zh} / {en}"),
        };
        let body = MessageTemplate {
            lang: Lang::Zh,
            title: format!("{}", status.as_u16()),
            nav: None,
            message: detail,
        };
        (status, Html(body.render().unwrap_or_default())).into_response()
    }
}

type PageResult = Result<Response, PageError>;

/// What the side navigation and header need.
pub struct Nav {
    pub display_name: String,
    pub role_label: String,
    pub scope_name: String,
    pub csrf: String,
    pub can_read: bool,
    pub can_write: bool,
    pub can_admin: bool,
    pub can_audit: bool,
    pub can_alerts: bool,
    pub can_feeds: bool,
    pub can_import: bool,
    pub can_cases: bool,
}

pub(crate) async fn nav(state: &AppState, u: &SignedIn) -> Nav {
    let scope_name = jiuzhu_db::regions::get(&state.db, u.scope_region.as_str())
        .await
        .ok()
        .flatten()
        .map(|r| r.name)
        .unwrap_or_else(|| u.scope_region.to_string());
    Nav {
        display_name: u.user.display_name.clone(),
        role_label: role_label(u.role, u.lang).to_string(),
        scope_name,
        csrf: u.csrf.clone().unwrap_or_default(),
        can_read: u.role.can_read_registry(),
        can_write: u.role.can_write_registry(),
        can_admin: u.role.can_admin_users(),
        can_audit: u.role.can_read_audit(),
        can_alerts: u.role.can_read_alerts(),
        can_feeds: u.role.can_import_feeds() || u.role.can_read_alerts(),
        can_import: u.role.can_import(),
        can_cases: u.role.can_write_registry()
            || matches!(u.role, Role::DepartmentHandler | Role::Auditor),
    }
}

fn role_label(r: Role, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => r.label_zh(),
        Lang::En => r.label_en(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "message.html")]
struct MessageTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    message: String,
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/app.css"),
    )
}

// ---------------------------------------------------------------- sign-in

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    error: Option<String>,
    expired: bool,
    username: String,
    /// The sign-in form's token, also set as the `jz_login` cookie (double submit).
    csrf: String,
}

#[derive(Deserialize)]
struct LoginQuery {
    expired: Option<String>,
}

/// The sign-in page with a fresh form token, set in its cookie as well.
fn login_form(
    lang: Lang,
    status: StatusCode,
    error: Option<String>,
    expired: bool,
    username: String,
    secure: bool,
) -> Response {
    let token = auth::new_token();
    (
        status,
        [(header::SET_COOKIE, auth::login_cookie(&token, secure))],
        LoginTemplate {
            lang,
            title: lang.t("sign_in").into(),
            nav: None,
            error,
            expired,
            username,
            csrf: token,
        },
    )
        .into_response()
}

async fn login_page(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    Query(q): Query<LoginQuery>,
) -> Response {
    login_form(
        lang,
        StatusCode::OK,
        None,
        q.expired.is_some(),
        String::new(),
        state.config.secure_cookies,
    )
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

async fn login_submit(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    auth::ClientIp(ip): auth::ClientIp,
    headers: axum::http::HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let secure = state.config.secure_cookies;
    // A sign-in is posted from our own page: same origin, and the form's token matches
    // its cookie. Otherwise nothing is checked (no password tried, nothing counted).
    if !auth::same_origin(&headers) || !auth::login_token_ok(&headers, &f.csrf) {
        return login_form(
            lang,
            StatusCode::FORBIDDEN,
            Some(lang.t("csrf").into()),
            false,
            f.username,
            secure,
        );
    }
    match auth::sign_in(&state, &f.username, &f.password, &ip).await {
        Ok(token) => (
            [(header::SET_COOKIE, auth::session_cookie(&token, secure))],
            Redirect::to("/"),
        )
            .into_response(),
        Err(e) => {
            let msg = match e {
                auth::LoginError::Locked => lang.t("locked"),
                auth::LoginError::BadCredentials => lang.t("bad_login"),
            };
            login_form(
                lang,
                StatusCode::UNAUTHORIZED,
                Some(msg.into()),
                false,
                f.username,
                secure,
            )
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    u.check_csrf(&f.csrf)?;
    auth::sign_out(&state, &u).await?;
    Ok((
        [(
            header::SET_COOKIE,
            auth::session_cookie("", state.config.secure_cookies),
        )],
        Redirect::to("/login"),
    )
        .into_response())
}

#[derive(Deserialize)]
struct LangQuery {
    to: String,
}

async fn set_lang(Query(q): Query<LangQuery>, headers: axum::http::HeaderMap) -> Response {
    let lang = Lang::from_cookie(Some(q.to.as_str()));
    // Back to the page the user was on, if it is ours.
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| {
            r.find("://")
                .and_then(|i| r[i + 3..].find('/').map(|j| r[i + 3 + j..].to_string()))
        })
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".into());
    (
        [(
            header::SET_COOKIE,
            format!(
                "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
                lang.cookie()
            ),
        )],
        Redirect::to(&back),
    )
        .into_response()
}

// ---------------------------------------------------------------- home

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomeTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    display_name: String,
    households: i64,
    persons: i64,
    scope_name: String,
    can_read: bool,
    /// Open alerts in scope: (new, assigned or investigating, overdue); None when the
    /// user does not see alerts.
    alerts: Option<(i64, i64, i64)>,
}

async fn home(State(state): State<AppState>, PageUser(u): PageUser) -> PageResult {
    let totals = if u.role.can_read_registry() {
        households::totals(&state.db, &u.scope).await?
    } else {
        Default::default()
    };
    let alerts = if u.role.can_read_alerts() {
        let counts = jiuzhu_db::monitoring::status_counts(&state.db, &u.scope).await?;
        let n = |k: &str| counts.get(k).copied().unwrap_or(0);
        let (_, overdue) = jiuzhu_db::monitoring::alerts(
            &state.db,
            &u.scope,
            &jiuzhu_db::monitoring::AlertFilter {
                overdue_on: Some(jiuzhu_db::today().to_string()),
                per_page: 1,
                ..Default::default()
            },
        )
        .await?;
        Some((n("new"), n("assigned") + n("investigating"), overdue))
    } else {
        None
    };
    let nav = nav(&state, &u).await;
    Ok(HomeTemplate {
        alerts,
        lang: u.lang,
        title: u.lang.t("home").into(),
        display_name: u.user.display_name.clone(),
        households: totals.households,
        persons: totals.persons,
        scope_name: nav.scope_name.clone(),
        can_read: u.role.can_read_registry(),
        nav: Some(nav),
    }
    .into_response())
}

// ---------------------------------------------------------------- regions

#[derive(Template, WebTemplate)]
#[template(path = "regions.html")]
struct RegionsTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    code: String,
    name: String,
    total: i64,
    path: Vec<(String, String)>,
    children: Vec<jiuzhu_db::regions::RegionCount>,
}

async fn regions_root(PageUser(u): PageUser) -> Response {
    Redirect::to(&format!("/regions/{}", u.scope_region)).into_response()
}

async fn region_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(code): Path<String>,
) -> PageResult {
    u.require(u.role.can_read_registry())?;
    let region = RegionCode::parse(&code).map_err(|_| WebError::NotFound)?;
    // Above the user's scope, counts would show what they may not see.
    if !u.scope_region.contains(&region) {
        return Ok(Redirect::to(&format!("/regions/{}", u.scope_region)).into_response());
    }
    let r = jiuzhu_db::regions::get(&state.db, region.as_str())
        .await?
        .ok_or(WebError::NotFound)?;
    let path = jiuzhu_db::regions::path(&state.db, region.as_str())
        .await?
        .into_iter()
        .filter(|p| p.code.starts_with(u.scope_region.as_str()))
        .map(|p| (p.code, p.name))
        .collect();
    let children =
        jiuzhu_db::regions::children_with_counts(&state.db, Some(region.as_str())).await?;
    let total = jiuzhu_db::regions::household_count(&state.db, region.as_str()).await?;
    Ok(RegionsTemplate {
        lang: u.lang,
        title: r.name.clone(),
        nav: Some(nav(&state, &u).await),
        code: r.code,
        name: r.name,
        total,
        path,
        children,
    }
    .into_response())
}

// ---------------------------------------------------------------- search

#[derive(Deserialize, Default)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub region: String,
    pub page: Option<i64>,
}

/// Whether a search text is an ID number: 18 (or the old 15) characters, all digits but
/// the last, which may be `X`. Counted in characters: a name is never cut inside one.
fn looks_like_id_number(q: &str) -> bool {
    let n = q.chars().count();
    (n == 18 || n == 15)
        && q.chars().take(n - 1).all(|c| c.is_ascii_digit())
        && q.chars()
            .last()
            .is_some_and(|c| c.is_ascii_digit() || c == 'x' || c == 'X')
}

/// Turns the one search box into criteria: an ID number, a household number, or a name.
pub fn search_query(p: &SearchParams, per_page: i64) -> SearchQuery {
    let q = p.q.trim();
    let mut s = SearchQuery {
        region: Some(p.region.trim().to_string()).filter(|r| !r.is_empty()),
        limit: per_page,
        offset: (p.page.unwrap_or(1).max(1) - 1).saturating_mul(per_page),
        ..SearchQuery::default()
    };
    if q.is_empty() {
    } else if looks_like_id_number(q) {
        s.id_number = Some(q.to_uppercase());
    } else if q.is_ascii() && q.chars().any(|c| c.is_ascii_digit()) {
        s.code = Some(q.to_string());
    } else {
        s.name = Some(q.to_string());
    }
    s
}

#[derive(Template, WebTemplate)]
#[template(path = "households.html")]
struct HouseholdsTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    q: String,
    region: String,
    scope_prefix: String,
    total: i64,
    rows: Vec<HouseholdRow>,
    page: i64,
    pages: i64,
    prev_page: Option<i64>,
    next_page: Option<i64>,
}

pub async fn household_rows(
    state: &AppState,
    u: &SignedIn,
    q: &SearchQuery,
) -> Result<(Vec<HouseholdRow>, i64), WebError> {
    let (list, total) = households::search(&state.db, &u.scope, q).await?;
    Ok((rows_of(state, u, &list).await?, total))
}

/// Search results as the masked rows of a list, with their regions' names.
async fn rows_of(
    state: &AppState,
    u: &SignedIn,
    list: &[jiuzhu_db::households::HouseholdSummary],
) -> Result<Vec<HouseholdRow>, WebError> {
    let codes: Vec<String> = list.iter().map(|h| h.region_code.clone()).collect();
    let names = jiuzhu_db::regions::names(&state.db, &codes).await?;
    Ok(list
        .iter()
        .map(|h| {
            HouseholdRow::from(
                h,
                names.get(&h.region_code).cloned().unwrap_or_default(),
                u.lang,
                u.role.sees_full_names(),
            )
        })
        .collect())
}

async fn households_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(p): Query<SearchParams>,
) -> PageResult {
    u.require(u.role.can_read_registry())?;
    const PER_PAGE: i64 = 20;
    let q = search_query(&p, PER_PAGE);
    let (rows, total) = household_rows(&state, &u, &q).await?;
    let page = p.page.unwrap_or(1).max(1);
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    Ok(HouseholdsTemplate {
        lang: u.lang,
        title: u.lang.t("households").into(),
        nav: Some(nav(&state, &u).await),
        q: p.q,
        region: p.region,
        scope_prefix: u.scope_region.to_string(),
        total,
        rows,
        page,
        pages,
        prev_page: (page > 1).then_some(page - 1),
        next_page: (page < pages).then_some(page + 1),
    }
    .into_response())
}

/// The search result as an Excel ledger (台账), masked like the page, and audited: every
/// household in scope, read a page at a time, and the audit row counts what was written.
async fn households_export(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(p): Query<SearchParams>,
) -> PageResult {
    u.require(u.role.can_read_registry())?;
    const PAGE: i64 = 2_000;
    let q = search_query(&p, PAGE);
    let xlsx = |e: rust_xlsxwriter::XlsxError| WebError::Internal(e.to_string());
    let mut sheet = crate::api::HouseholdSheet::new(u.lang).map_err(xlsx)?;
    let mut after: Option<String> = None;
    loop {
        let list =
            households::search_after(&state.db, &u.scope, &q, after.as_deref(), PAGE).await?;
        for row in rows_of(&state, &u, &list).await? {
            sheet.push(&row).map_err(xlsx)?;
        }
        match list.last() {
            Some(last) if list.len() as i64 == PAGE => after = Some(last.code.clone()),
            _ => break,
        }
    }
    let written = sheet.rows();
    let bytes = sheet.finish().map_err(xlsx)?;
    audit::record(
        &state.db,
        &u.actor(),
        Entry {
            action: "household.export",
            object_type: "household_list",
            object_id: String::new(),
            household_id: None,
            detail: json!({"q": jiuzhu_domain::mask::mask_ids_in(&p.q),
                           "region": p.region, "rows": written}),
        },
    )
    .await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"households.xlsx\"".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}

// ---------------------------------------------------------------- household page

#[derive(Template, WebTemplate)]
#[template(path = "household.html")]
struct HouseholdTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    h: HouseholdView,
    audit: Vec<AuditView>,
    can_write: bool,
    can_reveal: bool,
    revealed_person: Option<i64>,
    revealed_field: String,
    revealed_value: String,
    revealed_bank: Option<String>,
    message: Option<String>,
    today: String,
    relations: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    sources: Vec<(&'static str, &'static str)>,
    rx: jiuzhu_app::prescription::Prescription,
}

#[derive(Deserialize, Default)]
struct AsOfQuery {
    as_of: Option<String>,
}

struct Revealed {
    person: Option<i64>,
    field: SensitiveField,
    value: String,
}

async fn render_household(
    state: &AppState,
    u: &SignedIn,
    id: i64,
    as_of: Option<&str>,
    revealed: Option<Revealed>,
    message: Option<String>,
) -> PageResult {
    u.require(u.role.can_read_registry())?;
    let mut rec = households::get(&state.db, &u.scope, id)
        .await?
        .ok_or(WebError::NotFound)?;
    crate::views::names_for_viewer(&mut rec, u.role.sees_full_names());
    let as_of = as_of
        .filter(|s| !s.is_empty())
        .map(|s| jiuzhu_domain::parse_date(s).map_err(|e| WebError::Invalid(e.to_string())))
        .transpose()?;
    let shown = match as_of {
        Some(d) => rec.as_of(d),
        None => rec.clone(),
    };
    // Reading a household's members, incomes and health is a read of sensitive data.
    audit::record(
        &state.db,
        &u.actor(),
        Entry {
            action: "household.view",
            object_type: "household",
            object_id: rec.household.code.clone(),
            household_id: Some(id),
            detail: json!({"as_of": as_of.map(|d| d.to_string())}),
        },
    )
    .await?;
    let path = jiuzhu_db::regions::path(&state.db, &rec.household.region_code)
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect();
    let today = jiuzhu_db::today();
    let lang = u.lang;
    let view = HouseholdView::from(&shown, path, as_of, today, lang);
    let rx = jiuzhu_app::prescription::prescribe(&shown, as_of.unwrap_or(today));
    let (trail, _) = audit::search(
        &state.db,
        &audit::Filter {
            household_id: Some(id),
            limit: 100,
            ..Default::default()
        },
    )
    .await?;
    let pick = |zh: &'static str, en: &'static str| if lang == Lang::Zh { zh } else { en };
    let (revealed_person, revealed_field, revealed_value, revealed_bank) = match revealed {
        Some(r) if r.field == SensitiveField::BankAccount => {
            (None, String::new(), String::new(), Some(r.value))
        }
        Some(r) => (r.person, r.field.code().to_string(), r.value, None),
        None => (None, String::new(), String::new(), None),
    };
    Ok(HouseholdTemplate {
        lang,
        title: rec.household.code.clone(),
        nav: Some(nav(state, u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        h: view,
        audit: trail.iter().map(AuditView::from).collect(),
        can_write: u.role.can_write_registry(),
        can_reveal: u.role.can_reveal_sensitive(),
        revealed_person,
        revealed_field,
        revealed_value,
        revealed_bank,
        message,
        today: today.to_string(),
        relations: Relation::ALL
            .iter()
            .filter(|r| **r != Relation::Head)
            .map(|r| (r.code(), pick(r.label_zh(), r.label_en())))
            .collect(),
        kinds: EvidenceKind::ALL
            .iter()
            .map(|k| (k.code(), pick(k.label_zh(), k.label_en())))
            .collect(),
        sources: EvidenceSource::ALL
            .iter()
            .map(|s| (s.code(), pick(s.label_zh(), s.label_en())))
            .collect(),
        rx,
    }
    .into_response())
}

async fn household_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Query(q): Query<AsOfQuery>,
) -> PageResult {
    render_household(&state, &u, id, q.as_of.as_deref(), None, None).await
}

#[derive(Deserialize)]
struct RevealForm {
    #[serde(default)]
    csrf: String,
    field: String,
    #[serde(default)]
    person_id: String,
}

async fn reveal_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<RevealForm>,
) -> PageResult {
    u.check_csrf(&f.csrf)?;
    u.require(u.role.can_reveal_sensitive())?;
    let field = match f.field.as_str() {
        "id_number" => SensitiveField::IdNumber,
        "phone" => SensitiveField::Phone,
        "bank_account" => SensitiveField::BankAccount,
        _ => return Err(WebError::Invalid("unknown field".into()).into()),
    };
    let person = f.person_id.parse::<i64>().ok();
    let value = households::reveal(&state.db, &u.scope, &u.actor(), id, person, field).await?;
    render_household(
        &state,
        &u,
        id,
        None,
        Some(Revealed {
            person,
            field,
            value,
        }),
        None,
    )
    .await
}

// ---------------------------------------------------------------- household forms

/// The household form as typed; kept on error so nothing typed is lost.
#[derive(Deserialize, Default, Clone)]
pub struct HouseholdForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub head_id_number: String,
    #[serde(default)]
    pub head_name: String,
    #[serde(default)]
    pub head_phone: String,
    #[serde(default)]
    pub region_code: String,
    #[serde(default)]
    pub hukou: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub bank_name: String,
    #[serde(default)]
    pub bank_account: String,
}

/// Empty, or 8-32 digits.
pub fn valid_bank_account(a: &str) -> bool {
    a.is_empty() || (a.len() >= 8 && a.len() <= 32 && a.chars().all(|c| c.is_ascii_digit()))
}

pub fn valid_phone(p: &str) -> bool {
    p.is_empty()
        || (p.len() >= 7
            && p.len() <= 20
            && p.chars()
                .all(|c| c.is_ascii_digit() || c == '-' || c == '+' || c == ' '))
}

/// Checks every field at once; the messages are keyed by field name.
pub async fn check_household_form(
    state: &AppState,
    u: &SignedIn,
    f: &HouseholdForm,
    is_new: bool,
    lang: Lang,
) -> (
    BTreeMap<String, String>,
    Option<HouseholdFields>,
    Option<PersonFields>,
) {
    let zh = lang == Lang::Zh;
    let mut errors = BTreeMap::new();
    let region = match RegionCode::parse(f.region_code.trim()) {
        Ok(r) if r.as_str().len() != 12 => {
            errors.insert(
                "region_code".into(),
                if zh {
                    "须为12位村（社区）代码".into()
                } else {
                    "must be a 12-digit village code".into()
                },
            );
            None
        }
        Ok(r) if !u.scope_region.contains(&r) => {
            errors.insert(
                "region_code".into(),
                if zh {
                    "不在您的数据范围内".into()
                } else {
                    "outside your scope".into()
                },
            );
            None
        }
        Ok(r) => match jiuzhu_db::regions::get(&state.db, r.as_str()).await {
            Ok(Some(_)) => Some(r),
            _ => {
                errors.insert(
                    "region_code".into(),
                    if zh {
                        format!("区划代码 {} 不存在", r.as_str())
                    } else {
                        format!("unknown region {}", r.as_str())
                    },
                );
                None
            }
        },
        Err(e) => {
            errors.insert("region_code".into(), e.to_string());
            None
        }
    };
    let hukou = match Hukou::parse(&f.hukou) {
        Ok(h) => Some(h),
        Err(e) => {
            errors.insert("hukou".into(), e.to_string());
            None
        }
    };
    if f.address.chars().count() > 200 {
        errors.insert(
            "address".into(),
            if zh {
                "地址过长（最多200字）".into()
            } else {
                "at most 200 characters".into()
            },
        );
    }
    let acct = f.bank_account.trim();
    if !crate::pages::valid_bank_account(acct) {
        errors.insert(
            "bank_account".into(),
            if zh {
                "银行账号须为8-32位数字".into()
            } else {
                "8-32 digits".into()
            },
        );
    }
    let mut head = None;
    if is_new {
        match IdNumber::parse(&f.head_id_number) {
            Ok(id) => head = Some(id),
            Err(e) => {
                errors.insert("head_id_number".into(), e.to_string());
            }
        }
        if f.head_name.trim().is_empty() || f.head_name.chars().count() > 40 {
            errors.insert(
                "head_name".into(),
                if zh {
                    "请填写姓名（最多40字）".into()
                } else {
                    "required, at most 40 characters".into()
                },
            );
        }
        if !valid_phone(f.head_phone.trim()) {
            errors.insert(
                "head_phone".into(),
                if zh {
                    "电话号码格式不正确".into()
                } else {
                    "not a phone number".into()
                },
            );
        }
    }
    let fields = match (region, hukou) {
        (Some(region_code), Some(hukou)) if errors.is_empty() => Some(HouseholdFields {
            region_code,
            hukou,
            address: f.address.trim().to_string(),
            bank_name: f.bank_name.trim().to_string(),
            bank_account: acct.to_string(),
        }),
        _ => None,
    };
    let person = head
        .filter(|_| errors.is_empty())
        .map(|id_number| PersonFields {
            id_number,
            name: f.head_name.trim().to_string(),
            phone: f.head_phone.trim().to_string(),
        });
    (errors, fields, person)
}

#[derive(Template, WebTemplate)]
#[template(path = "household_form.html")]
struct HouseholdFormTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    action: String,
    back: String,
    is_new: bool,
    form: HouseholdForm,
    errors: BTreeMap<String, String>,
    hukous: Vec<(&'static str, &'static str)>,
}

async fn form_page(
    state: &AppState,
    u: &SignedIn,
    id: Option<i64>,
    form: HouseholdForm,
    errors: BTreeMap<String, String>,
) -> PageResult {
    let lang = u.lang;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let t = HouseholdFormTemplate {
        lang,
        title: match id {
            None => lang.t("new_household").into(),
            Some(_) => format!("{} {}", lang.t("edit"), lang.t("households")),
        },
        nav: Some(nav(state, u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        action: match id {
            None => "/households/new".into(),
            Some(id) => format!("/households/{id}/edit"),
        },
        back: match id {
            None => "/households".into(),
            Some(id) => format!("/households/{id}"),
        },
        is_new: id.is_none(),
        form,
        errors,
        hukous: Hukou::ALL
            .iter()
            .map(|h| {
                (
                    h.code(),
                    if lang == Lang::Zh {
                        h.label_zh()
                    } else {
                        h.label_en()
                    },
                )
            })
            .collect(),
    };
    Ok((status, t).into_response())
}

async fn new_household_page(State(state): State<AppState>, PageUser(u): PageUser) -> PageResult {
    u.require(u.role.can_write_registry())?;
    let form = HouseholdForm {
        region_code: if u.scope_region.as_str().len() == 12 {
            u.scope_region.to_string()
        } else {
            String::new()
        },
        hukou: "rural".into(),
        ..HouseholdForm::default()
    };
    form_page(&state, &u, None, form, BTreeMap::new()).await
}

async fn new_household_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Form(f): Form<HouseholdForm>,
) -> PageResult {
    u.check_csrf(&f.csrf)?;
    u.require(u.role.can_write_registry())?;
    let (mut errors, fields, head) = check_household_form(&state, &u, &f, true, u.lang).await;
    if let (Some(fields), Some(head)) = (fields, head) {
        match households::create(
            &state.db,
            &u.scope,
            &u.actor(),
            &fields,
            None,
            &head,
            jiuzhu_db::today(),
        )
        .await
        {
            Ok(id) => return Ok(Redirect::to(&format!("/households/{id}")).into_response()),
            Err(e) if e.is_unique_violation() => {
                errors.insert("head_id_number".into(), e.to_string());
            }
            Err(jiuzhu_db::DbError::Invalid(m)) => {
                errors.insert("region_code".into(), m);
            }
            Err(e) => return Err(e.into()),
        }
    }
    form_page(&state, &u, None, f, errors).await
}

async fn edit_household_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    u.require(u.role.can_write_registry())?;
    let rec = households::get(&state.db, &u.scope, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let h = rec.household;
    // The bank account is not put in the form: empty keeps it, so editing reveals nothing.
    let form = HouseholdForm {
        region_code: h.region_code,
        hukou: h.hukou,
        address: h.address,
        bank_name: h.bank_name,
        ..HouseholdForm::default()
    };
    form_page(&state, &u, Some(id), form, BTreeMap::new()).await
}

async fn edit_household_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<HouseholdForm>,
) -> PageResult {
    u.check_csrf(&f.csrf)?;
    u.require(u.role.can_write_registry())?;
    let current = households::get(&state.db, &u.scope, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let (mut errors, fields, _) = check_household_form(&state, &u, &f, false, u.lang).await;
    if let Some(mut fields) = fields {
        if fields.bank_account.is_empty() {
            fields.bank_account = current.household.bank_account.clone();
        }
        match households::update(&state.db, &u.scope, &u.actor(), id, &fields).await {
            Ok(()) => return Ok(Redirect::to(&format!("/households/{id}")).into_response()),
            Err(jiuzhu_db::DbError::Invalid(m)) => {
                errors.insert("region_code".into(), m);
            }
            Err(e) => return Err(e.into()),
        }
    }
    form_page(&state, &u, Some(id), f, errors).await
}

#[derive(Deserialize)]
struct MemberForm {
    #[serde(default)]
    csrf: String,
    id_number: String,
    name: String,
    #[serde(default)]
    phone: String,
    relation: String,
    #[serde(default)]
    valid_from: String,
}

fn date_or_today(s: &str) -> Result<chrono::NaiveDate, WebError> {
    Ok(jiuzhu_app::registry::date_or_today(s)?)
}
async fn add_member_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<MemberForm>,
) -> PageResult {
    u.check_csrf(&f.csrf)?;
    u.require(u.role.can_write_registry())?;
    let result: Result<(), WebError> = async {
        let id_number = IdNumber::parse(&f.id_number)
            .map_err(|e| WebError::Invalid(format!("{}: {e}", u.lang.t("id_number"))))?;
        let relation =
            Relation::parse(&f.relation).map_err(|e| WebError::Invalid(e.to_string()))?;
        if f.name.trim().is_empty() || !valid_phone(f.phone.trim()) {
            return Err(WebError::Invalid(format!(
                "{} / {}",
                u.lang.t("name"),
                u.lang.t("phone")
            )));
        }
        let person = PersonFields {
            id_number,
            name: f.name.trim().into(),
            phone: f.phone.trim().into(),
        };
        households::add_member(
            &state.db,
            &u.scope,
            &u.actor(),
            id,
            &person,
            relation,
            date_or_today(&f.valid_from)?,
        )
        .await?;
        Ok(())
    }
    .await;
    after_change(&state, &u, id, result).await
}

/// Back to the household page after a change, or the page with the reason it failed.
async fn after_change(
    state: &AppState,
    u: &SignedIn,
    id: i64,
    result: Result<(), WebError>,
) -> PageResult {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/households/{id}")).into_response()),
        Err(WebError::Invalid(m)) | Err(WebError::Conflict(m)) => {
            let mut r = render_household(state, u, id, None, None, Some(m)).await?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct PersonForm {
    #[serde(default)]
    csrf: String,
    name: String,
    /// Empty keeps the stored number (the form never shows it in full).
    #[serde(default)]
    phone: String,
}

async fn edit_person_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path((id, pid)): Path<(i64, i64)>,
    Form(f): Form<PersonForm>,
) -> PageResult {
    u.check_csrf(&f.csrf)?;
    u.require(u.role.can_write_registry())?;
    let result = async {
        let name = f.name.trim();
        if name.is_empty() || name.chars().count() > 40 {
            return Err(WebError::Invalid(format!("{}: 1-40", u.lang.t("name"))));
        }
        if !valid_phone(f.phone.trim()) {
            return Err(WebError::Invalid(u.lang.t("phone").to_string()));
        }
        let phone = if f.phone.trim().is_empty() {
            let rec = households::get(&state.db, &u.scope, id)
                .await?
                .ok_or(WebError::NotFound)?;
            rec.members
                .iter()
                .find(|m| m.person_id == pid)
                .map(|m| m.phone.clone())
                .ok_or(WebError::NotFound)?
        } else {
            f.phone.trim().to_string()
        };
        households::update_person(&state.db, &u.scope, &u.actor(), id, pid, name, &phone).await?;
        Ok(())
    }
    .await;
    after_change(&state, &u, id, result).await
}

#[derive(Deserialize)]
struct EndForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    valid_to: String,
}

async fn end_member_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path((id, mid)): Path<(i64, i64)>,
    Form(f): Form<EndForm>,
) -> PageResult {
    u.check_csrf(&f.csrf)?;
    u.require(u.role.can_write_registry())?;
    let result = async {
        households::end_member(
            &state.db,
            &u.scope,
            &u.actor(),
            id,
            mid,
            date_or_today(&f.valid_to)?,
            "",
        )
        .await?;
        Ok(())
    }
    .await;
    after_change(&state, &u, id, result).await
}

#[derive(Deserialize)]
struct EvidenceForm {
    #[serde(default)]
    csrf: String,
    subject: String,
    kind: String,
    value: String,
    source: String,
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    note: String,
}

async fn record_evidence_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<EvidenceForm>,
) -> PageResult {
    u.check_csrf(&f.csrf)?;
    u.require(u.role.can_write_registry())?;
    let result = async {
        let e = parse_evidence(
            &f.subject,
            &f.kind,
            &f.value,
            &f.source,
            &f.valid_from,
            &f.note,
        )?;
        households::record_evidence(&state.db, &u.scope, &u.actor(), id, &e).await?;
        Ok(())
    }
    .await;
    after_change(&state, &u, id, result).await
}

async fn end_evidence_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path((id, eid)): Path<(i64, i64)>,
    Form(f): Form<EndForm>,
) -> PageResult {
    u.check_csrf(&f.csrf)?;
    u.require(u.role.can_write_registry())?;
    let result = async {
        households::end_evidence(
            &state.db,
            &u.scope,
            &u.actor(),
            id,
            eid,
            date_or_today(&f.valid_to)?,
        )
        .await?;
        Ok(())
    }
    .await;
    after_change(&state, &u, id, result).await
}

// ---------------------------------------------------------------- users

struct UserRow {
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
struct UsersTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    users: Vec<UserRow>,
}

async fn users_page(State(state): State<AppState>, PageUser(u): PageUser) -> PageResult {
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
struct UserFormData {
    #[serde(default)]
    csrf: String,
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
struct UserFormTemplate {
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

async fn user_form(
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
async fn managed_user(
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
async fn revoke_token_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path((id, tid)): Path<(i64, i64)>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    u.check_csrf(&f.csrf)?;
    u.require(u.role.can_admin_users())?;
    managed_user(&state, &u, id).await?;
    jiuzhu_app::accounts::revoke_token(&state.db, &u.actor(), id, tid).await?;
    Ok(Redirect::to(&format!("/admin/users/{id}")).into_response())
}

/// An administrator may only give scopes inside their own.
fn scope_error(u: &SignedIn, scope: &str) -> Option<String> {
    match RegionCode::parse(scope.trim()) {
        Ok(r) if !u.scope_region.contains(&r) => Some("outside your scope".into()),
        _ => None,
    }
}

async fn new_user_page(State(state): State<AppState>, PageUser(u): PageUser) -> PageResult {
    u.require(u.role.can_admin_users())?;
    let form = UserFormData {
        role: Role::WindowClerk.code().into(),
        scope_region: u.scope_region.to_string(),
        ..Default::default()
    };
    user_form(&state, &u, None, form, BTreeMap::new()).await
}

async fn new_user_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Form(f): Form<UserFormData>,
) -> PageResult {
    u.check_csrf(&f.csrf)?;
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

async fn edit_user_page(
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

async fn edit_user_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<UserFormData>,
) -> PageResult {
    u.check_csrf(&f.csrf)?;
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

// ---------------------------------------------------------------- audit

#[derive(Deserialize, Default)]
struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    page: Option<i64>,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
struct AuditTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    actor: String,
    action: String,
    from: String,
    to: String,
    total: i64,
    rows: Vec<AuditView>,
    verification: Option<Verification>,
}

/// The next day of an ISO date, so that "to" includes the whole day.
fn day_after(d: &str) -> Option<String> {
    jiuzhu_domain::parse_date(d)
        .ok()
        .and_then(|d| d.succ_opt())
        .map(|d| d.to_string())
}

async fn audit_view(
    state: &AppState,
    u: &SignedIn,
    q: AuditQuery,
    verification: Option<Verification>,
) -> PageResult {
    u.require(u.role.can_read_audit())?;
    let filter = audit::Filter {
        actor: Some(q.actor.clone()),
        action: Some(q.action.clone()),
        from: Some(q.from.clone()),
        to: day_after(&q.to),
        limit: 100,
        offset: (q.page.unwrap_or(1).max(1) - 1).saturating_mul(100),
        ..Default::default()
    };
    let (rows, total) = audit::search(&state.db, &filter).await?;
    Ok(AuditTemplate {
        lang: u.lang,
        title: u.lang.t("audit").into(),
        nav: Some(nav(state, u).await),
        actor: q.actor,
        action: q.action,
        from: q.from,
        to: q.to,
        total,
        rows: rows.iter().map(AuditView::from).collect(),
        verification,
    }
    .into_response())
}

async fn audit_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    audit_view(&state, &u, q, None).await
}

async fn audit_verify(State(state): State<AppState>, PageUser(u): PageUser) -> PageResult {
    u.require(u.role.can_read_audit())?;
    let v = audit::verify(&state.db).await?;
    audit_view(&state, &u, AuditQuery::default(), Some(v)).await
}
