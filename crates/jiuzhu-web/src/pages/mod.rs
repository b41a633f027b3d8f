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
use jiuzhu_db::audit::{self, Verification};
use jiuzhu_db::households::{self, SearchQuery, SensitiveField};
use jiuzhu_domain::{EvidenceKind, EvidenceSource, Hukou, RegionCode, Relation, Role};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::auth::{self, LANG_COOKIE, PageUser, SignedIn, UiLang};
use crate::error::WebError;
use crate::forms::{NoFields, Posted};
use crate::i18n::Lang;
use crate::views::{AuditView, HouseholdRow, HouseholdView};

mod audit_log;
mod home;
mod household;
mod household_forms;
mod regions;
mod search;
mod signin;
mod users;

use self::audit_log::*;
use self::home::*;
use self::household::*;
use self::household_forms::*;
use self::regions::*;
use self::search::*;
use self::signin::*;
use self::users::*;

pub use self::household_forms::{valid_bank_account, valid_phone};
pub use self::search::{SearchParams, household_rows, search_query};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(|| async { "ok" }))
        .route("/static/app.css", get(css))
        .route("/static/app.js", get(js))
        // Browsers ask for /favicon.ico on every site; an SVG answers both.
        .route("/favicon.ico", get(icon))
        .route("/static/icon.svg", get(icon))
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
        .route("/audit/export.xlsx", get(audit_export))
        .route("/audit/verify", get(audit_verify))
}

tokio::task_local! {
    /// The interface language of the request being answered (its language cookie), for
    /// the error pages, which are drawn where no user is at hand.
    static PAGE_LANG: Lang;
}

/// Answers the request with its language known to the error pages.
pub(crate) async fn in_page_lang(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let lang = Lang::from_cookie(crate::auth::cookie(req.headers(), crate::auth::LANG_COOKIE));
    PAGE_LANG.scope(lang, next.run(req)).await
}

/// An error shown as a page, in the language of the request (both outside a request).
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
        let lang = PAGE_LANG.try_with(|l| *l).ok();
        let (zh, en) = match &self.0 {
            WebError::Forbidden => (Lang::Zh.t("forbidden"), Lang::En.t("forbidden")),
            WebError::NotFound => (Lang::Zh.t("not_found"), Lang::En.t("not_found")),
            WebError::Csrf => (Lang::Zh.t("csrf"), Lang::En.t("csrf")),
            WebError::Unauthorized => (Lang::Zh.t("session_ended"), Lang::En.t("session_ended")),
            WebError::Internal(_) => ("系统内部错误", "Internal error"),
            WebError::Conflict(_)
            | WebError::Invalid(_)
            | WebError::Fields(_)
            | WebError::Blocked(_) => ("", ""),
        };
        let detail = match &self.0 {
            WebError::Conflict(m) | WebError::Invalid(m) => m.clone(),
            WebError::Fields(f) | WebError::Blocked(f) => f.message_in(lang != Some(Lang::En)),
            _ => match lang {
                Some(l) => l.pick(zh, en).to_string(),
                None => format!("{zh} / {en}"),
            },
        };
        let body = MessageTemplate {
            lang: lang.unwrap_or(Lang::Zh),
            title: format!("{}", status.as_u16()),
            nav: None,
            message: detail,
        };
        (status, Html(body.render().unwrap_or_default())).into_response()
    }
}

pub type PageResult = Result<Response, PageError>;

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
    pub can_board: bool,
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
        can_board: u.role.can_supervise_deadlines(),
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

async fn icon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../../static/icon.svg"),
    )
}

async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.js"),
    )
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
}
