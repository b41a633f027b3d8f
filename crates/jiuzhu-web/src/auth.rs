//! Sign-in, sessions, API tokens, CSRF and the signed-in user's role and scope.
//!
//! Passwords are hashed with Argon2id. Five wrong passwords in a row lock an account for
//! 30 minutes. A browser session is a random token in an HttpOnly cookie, stored as its
//! SHA-256; it ends after 30 minutes idle or at sign-out. Every form carries the session's
//! CSRF token; API writes with a session cookie need it in `X-CSRF-Token`. Machine
//! clients use `Authorization: Bearer <token>` and need no CSRF token.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use jiuzhu_db::audit::{self, Actor, Entry};
use jiuzhu_db::households::Scope;
use jiuzhu_db::users::User;
use jiuzhu_domain::{RegionCode, Role};

use crate::AppState;
use crate::error::WebError;
use crate::i18n::Lang;

pub const SESSION_COOKIE: &str = "jz_session";
pub const LANG_COOKIE: &str = "jz_lang";
/// The sign-in form's token (double submit: the cookie and the form field must match).
pub const LOGIN_COOKIE: &str = "jz_login";

pub use jiuzhu_app::credentials::{hash_password, new_token, token_hash, verify_password};

/// The value of cookie `name` in the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The client's address: the peer's, or, when the peer is one of the configured
/// `trusted` proxies, the address it appended last to `X-Forwarded-For`. A header that
/// any other client sends is ignored, so the audit never records a claimed address.
pub fn client_ip(parts: &Parts, trusted: &[std::net::IpAddr]) -> String {
    let Some(peer) = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .or_else(|| {
            // In-process tests give the peer as `MockConnectInfo`.
            parts
                .extensions
                .get::<axum::extract::connect_info::MockConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip())
        })
    else {
        return "unknown".into();
    };
    if trusted.contains(&peer)
        && let Some(forwarded) = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter_map(|a| a.parse::<std::net::IpAddr>().ok())
            .next_back()
    {
        return forwarded.to_string();
    }
    peer.to_string()
}

/// A signed-in user with their role and scope.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub user: User,
    pub role: Role,
    pub scope: Scope,
    pub scope_region: RegionCode,
    /// The session's CSRF token; `None` for bearer-token clients.
    pub csrf: Option<String>,
    pub session_hash: Option<String>,
    pub ip: String,
    pub lang: Lang,
}

impl SignedIn {
    /// The user as the use cases of `jiuzhu-app` take them.
    pub fn acting(&self) -> jiuzhu_app::Acting {
        jiuzhu_app::Acting {
            username: self.user.username.clone(),
            role: self.role,
            department: self.user.department.clone(),
            scope: self.scope.clone(),
            region: self.scope_region.to_string(),
            ip: self.ip.clone(),
        }
    }

    pub fn actor(&self) -> Actor {
        Actor {
            name: self.user.username.clone(),
            role: self.role.code().into(),
            ip: self.ip.clone(),
        }
    }

    /// Refuses unless `allowed`.
    pub fn require(&self, allowed: bool) -> Result<(), WebError> {
        if allowed {
            Ok(())
        } else {
            Err(WebError::Forbidden)
        }
    }

    /// Checks a form's CSRF token against the session's.
    pub fn check_csrf(&self, token: &str) -> Result<(), WebError> {
        match &self.csrf {
            Some(expected) if constant_time_eq(expected.as_bytes(), token.as_bytes()) => Ok(()),
            None => Ok(()),
            _ => Err(WebError::Csrf),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn user_context(user: User, ip: String, lang: Lang) -> Result<SignedIn, WebError> {
    if !user.active {
        return Err(WebError::Unauthorized);
    }
    let role = Role::parse(&user.role).map_err(|_| WebError::Unauthorized)?;
    let scope_region = RegionCode::parse(&user.scope_region).map_err(|_| WebError::Unauthorized)?;
    Ok(SignedIn {
        role,
        scope: Scope::new(&scope_region),
        scope_region,
        user,
        csrf: None,
        session_hash: None,
        ip,
        lang,
    })
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// Whether the account is locked out now (after too many wrong passwords).
fn locked_now(user: &User) -> bool {
    user.locked_until
        .as_deref()
        .and_then(parse_time)
        .is_some_and(|t| t > Utc::now())
}

/// Resolves the session cookie or bearer token of a request.
async fn resolve(parts: &Parts, state: &AppState) -> Result<SignedIn, WebError> {
    let ip = client_ip(parts, &state.config.trusted_proxies);
    let lang = Lang::from_cookie(cookie(&parts.headers, LANG_COOKIE));
    if let Some(bearer) = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        let user = jiuzhu_db::sessions::user_by_token(
            &state.db,
            &token_hash(bearer.trim()),
            &jiuzhu_db::now_text(),
        )
        .await?
        .ok_or(WebError::Unauthorized)?;
        // A locked account's tokens stop working with its sign-in (a disabled one's too:
        // `user_context` refuses inactive users).
        if locked_now(&user) {
            return Err(WebError::Unauthorized);
        }
        return user_context(user, ip, lang);
    }
    let token = cookie(&parts.headers, SESSION_COOKIE).ok_or(WebError::Unauthorized)?;
    let hash = token_hash(token);
    let session = jiuzhu_db::sessions::get(&state.db, &hash)
        .await?
        .ok_or(WebError::Unauthorized)?;
    let now = Utc::now();
    let last = parse_time(&session.last_seen).unwrap_or(now);
    let idle = now.signed_duration_since(last);
    if idle > chrono::Duration::from_std(state.config.idle_timeout).unwrap_or_default() {
        jiuzhu_db::sessions::delete(&state.db, &hash).await?;
        return Err(WebError::Unauthorized);
    }
    if idle > chrono::Duration::seconds(30) {
        jiuzhu_db::sessions::touch(&state.db, &hash).await?;
    }
    let mut ctx = user_context(session.user, ip, lang)?;
    ctx.csrf = Some(session.csrf_token);
    ctx.session_hash = Some(hash);
    Ok(ctx)
}

/// The user of an API request; 401 JSON when there is none. Session-cookie writes must
/// carry the CSRF token in `X-CSRF-Token`.
pub struct ApiUser(pub SignedIn);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let ctx = resolve(parts, state).await?;
        if ctx.csrf.is_some() && !matches!(parts.method, Method::GET | Method::HEAD) {
            let token = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            ctx.check_csrf(token)?;
        }
        Ok(ApiUser(ctx))
    }
}

/// The user of a page request; a redirect to the sign-in page when there is none.
pub struct PageUser(pub SignedIn);

/// Sends the browser to the sign-in page.
pub struct ToLogin;

impl IntoResponse for ToLogin {
    fn into_response(self) -> Response {
        Redirect::to("/login?expired=1").into_response()
    }
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match resolve(parts, state).await {
            Ok(ctx) => Ok(PageUser(ctx)),
            Err(WebError::Unauthorized) => {
                // A first visit (no cookie) goes to the plain sign-in page.
                if cookie(&parts.headers, SESSION_COOKIE).is_none() {
                    Err(Redirect::to("/login").into_response())
                } else {
                    Err(ToLogin.into_response())
                }
            }
            Err(e) => Err(e.into_response()),
        }
    }
}

/// The client's address.
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts, &state.config.trusted_proxies)))
    }
}

/// The interface language of a request.
pub struct UiLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for UiLang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(UiLang(Lang::from_cookie(cookie(
            &parts.headers,
            LANG_COOKIE,
        ))))
    }
}

/// Why a sign-in failed. The message never says whether the user name exists.
#[derive(Debug, PartialEq, Eq)]
pub enum LoginError {
    BadCredentials,
    Locked,
}

/// Checks a password and opens a session: returns the cookie token.
pub async fn sign_in(
    state: &AppState,
    username: &str,
    password: &str,
    ip: &str,
) -> Result<String, LoginError> {
    let internal = |_e| LoginError::BadCredentials;
    let user = jiuzhu_db::users::by_username(&state.db, username.trim())
        .await
        .map_err(internal)?;
    let Some(user) = user.filter(|u| u.active) else {
        // Spend the same time as a real check, so timing does not reveal the name, and
        // count the failure as for a real account: five lock the name for the same time.
        verify_password(password, DUMMY_HASH.get_or_init(|| hash_password("dummy")));
        let key = username.trim().to_lowercase();
        let locked = state.unknown_logins.fail(
            &key,
            state.config.max_failed_logins as u32,
            state.config.lockout,
        );
        return Err(if locked {
            LoginError::Locked
        } else {
            LoginError::BadCredentials
        });
    };
    let now = Utc::now();
    if locked_now(&user) {
        log(state, &user, ip, "auth.refused_locked").await;
        return Err(LoginError::Locked);
    }
    if !verify_password(password, &user.password_hash) {
        let until = jiuzhu_db::time_text(
            now + chrono::Duration::from_std(state.config.lockout).unwrap_or_default(),
        );
        let locked = jiuzhu_db::users::record_failure(
            &state.db,
            user.id,
            state.config.max_failed_logins,
            &until,
        )
        .await
        .map_err(internal)?;
        log(
            state,
            &user,
            ip,
            if locked { "auth.locked" } else { "auth.failed" },
        )
        .await;
        return Err(if locked {
            LoginError::Locked
        } else {
            LoginError::BadCredentials
        });
    }
    jiuzhu_db::users::record_success(&state.db, user.id)
        .await
        .map_err(internal)?;
    let token = new_token();
    jiuzhu_db::sessions::create(&state.db, &token_hash(&token), user.id, &new_token(), ip)
        .await
        .map_err(internal)?;
    log(state, &user, ip, "auth.sign_in").await;
    Ok(token)
}

static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

async fn log(state: &AppState, user: &User, ip: &str, action: &str) {
    let actor = Actor {
        name: user.username.clone(),
        role: user.role.clone(),
        ip: ip.to_string(),
    };
    let entry = Entry::new(action, "user", user.id);
    if let Err(e) = audit::record(&state.db, &actor, entry).await {
        tracing::error!("audit of {action} failed: {e}");
    }
}

/// Ends the session of `ctx`.
pub async fn sign_out(state: &AppState, ctx: &SignedIn) -> Result<(), WebError> {
    if let Some(h) = &ctx.session_hash {
        jiuzhu_db::sessions::delete(&state.db, h).await?;
    }
    log(state, &ctx.user, &ctx.ip, "auth.sign_out").await;
    Ok(())
}

/// The `Set-Cookie` value for a session token (empty token: delete the cookie).
pub fn session_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    if token.is_empty() {
        format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
    } else {
        format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}")
    }
}

/// The `Set-Cookie` value for the sign-in form's token: sent back only to `/login`, never
/// to scripts, and not on requests started by another site.
pub fn login_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{LOGIN_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600{secure}")
}

/// Whether the sign-in form's token matches its cookie.
pub fn login_token_ok(headers: &HeaderMap, form_token: &str) -> bool {
    cookie(headers, LOGIN_COOKIE).is_some_and(|c| {
        !c.is_empty() && constant_time_eq(c.as_bytes(), form_token.trim().as_bytes())
    })
}

/// Whether a request's `Origin` (or, without one, `Referer`) is this server's own host;
/// a request with neither passes (browsers send `Origin` on every cross-site POST).
pub fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    match claimed {
        None => true,
        Some("null") => false,
        Some(o) => {
            let rest = o.split_once("://").map_or(o, |(_, r)| r);
            let origin_host = rest.split('/').next().unwrap_or("");
            !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
        }
    }
}

/// Counts failures per key in memory and locks a key for a while after too many: sign-ins
/// under unknown names, tries of the online status page. Bounded: at most `CAP` keys are
/// kept, the unlocked ones are dropped first.
#[derive(Default)]
pub struct Throttle {
    keys: std::sync::Mutex<std::collections::HashMap<String, (u32, Option<std::time::Instant>)>>,
}

impl Throttle {
    const CAP: usize = 100_000;

    /// Whether `key` is locked now.
    pub fn locked(&self, key: &str) -> bool {
        let keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        keys.get(key)
            .and_then(|(_, until)| *until)
            .is_some_and(|t| t > std::time::Instant::now())
    }

    /// Counts a failure of `key`; locks it for `lock` at the `max`-th failure in a row and
    /// answers whether it is locked now.
    pub fn fail(&self, key: &str, max: u32, lock: std::time::Duration) -> bool {
        let now = std::time::Instant::now();
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if keys.len() >= Self::CAP {
            keys.retain(|_, (_, until)| until.is_some_and(|t| t > now));
            if keys.len() >= Self::CAP {
                keys.clear();
            }
        }
        let e = keys.entry(key.to_string()).or_insert((0, None));
        if e.1.is_some_and(|t| t > now) {
            return true;
        }
        if e.1.is_some() {
            *e = (0, None);
        }
        e.0 += 1;
        if e.0 >= max {
            *e = (0, Some(now + lock));
            return true;
        }
        false
    }

    /// Forgets `key` (a success).
    pub fn clear(&self, key: &str) {
        self.keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}
