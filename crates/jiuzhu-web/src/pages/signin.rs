//! Sign-in and sign-out, and the language switch.

use super::*;

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub(super) struct LoginTemplate {
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
pub(super) struct LoginQuery {
    expired: Option<String>,
}

/// The sign-in page with a fresh form token, set in its cookie as well.
pub(super) fn login_form(
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

pub(super) async fn login_page(
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
pub(super) struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

pub(super) async fn login_submit(
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

pub(super) async fn logout(
    State(state): State<AppState>,
    Posted(u, _): Posted<NoFields>,
) -> PageResult {
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
pub(super) struct LangQuery {
    to: String,
}

pub(super) async fn set_lang(
    Query(q): Query<LangQuery>,
    headers: axum::http::HeaderMap,
) -> Response {
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
