//! The applicant's own pages: the online application (网上申请) and the status lookup.

use super::*;

#[derive(Template, WebTemplate)]
#[template(path = "apply.html")]
pub(super) struct ApplyTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    programs: Vec<(String, String)>,
    message: String,
    id_number: String,
    name: String,
}

pub(super) async fn apply_page(crate::auth::UiLang(lang): crate::auth::UiLang) -> PageResult {
    Ok(apply_form(lang, String::new(), String::new(), String::new()).into_response())
}

pub(super) fn apply_form(
    lang: Lang,
    message: String,
    id_number: String,
    name: String,
) -> ApplyTemplate {
    ApplyTemplate {
        lang,
        title: lang.t("apply_online").into(),
        nav: None,
        programs: workflows()
            .iter()
            .map(|w| (w.program.clone(), program_label(&w.program, lang)))
            .collect(),
        message,
        id_number,
        name,
    }
}

/// An application by the applicant online (网上申请). The applicant is identified by ID
/// number, name and the phone number on record (in production, by the provincial identity
/// service); the authorisation is signed later at the window, as the notice says.
pub(super) async fn apply_submit(
    State(state): State<AppState>,
    crate::auth::UiLang(lang): crate::auth::UiLang,
    crate::auth::ClientIp(ip): crate::auth::ClientIp,
    body: String,
) -> PageResult {
    let pairs = form_pairs(&body);
    let id_number = field(&pairs, "id_number").to_uppercase();
    let name = field(&pairs, "name");
    let phone = field(&pairs, "phone");
    let refuse_with = |status: axum::http::StatusCode, m: &str| {
        let mut r =
            apply_form(lang, m.to_string(), id_number.clone(), name.clone()).into_response();
        *r.status_mut() = status;
        Ok(r)
    };
    let refuse = |m: &str| refuse_with(axum::http::StatusCode::UNPROCESSABLE_ENTITY, m);
    // Identity tries are limited per ID number and per address: nobody can try phone
    // numbers against an ID number without end.
    let (by_id, by_ip) = (format!("apply-id:{id_number}"), format!("apply-ip:{ip}"));
    if state.status_tries.locked(&by_id) || state.status_tries.locked(&by_ip) {
        return refuse_with(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            lang.t("too_many_tries"),
        );
    }
    let miss = || {
        let lock = state.config.lockout;
        let a = state.status_tries.fail(&by_id, APPLY_TRIES_PER_ID, lock);
        let b = state.status_tries.fail(&by_ip, TRIES_PER_ADDRESS, lock);
        a || b
    };
    let application = jiuzhu_app::cases::OnlineApplication {
        id_number: id_number.clone(),
        name: name.clone(),
        phone,
        programs: crate::forms::fields(&pairs, "program"),
        any: field(&pairs, "any") == "1",
        expense: field(&pairs, "expense"),
    };
    match jiuzhu_app::cases::apply_online(&state.db, &ip, application)
        .await
        .map_err(WebError::from)
    {
        Ok(None) => {
            miss();
            refuse(lang.t("apply_not_matched"))
        }
        Ok(Some(id)) => {
            state.status_tries.clear(&by_id);
            // The status is shown at once, not by a redirect: the ID number stays out of
            // the address bar, the history and the server logs.
            let a = cases::application(&state.db, id)
                .await?
                .ok_or(WebError::NotFound)?;
            let t = status_of(&state, lang, &a.code, &id_number).await?;
            Ok(t.into_response())
        }
        Err(e) => {
            // The identity matched: the refusal is about the application itself.
            state.status_tries.clear(&by_id);
            let (_, m) = e.refusal(lang)?;
            refuse(&m)
        }
    }
}

/// Wrong identities the online application accepts per ID number, and wrong lookups
/// per address (application and status page), before a lock of the lock-out's length.
pub(super) const APPLY_TRIES_PER_ID: u32 = 5;
pub(super) const TRIES_PER_ADDRESS: u32 = 20;

#[derive(Deserialize, Default)]
pub(super) struct StatusQuery {
    #[serde(default)]
    code: String,
    #[serde(default)]
    id_number: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "status.html")]
pub(super) struct StatusTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    code: String,
    found: bool,
    notice: Vec<String>,
    items: Vec<ItemRow>,
    message: String,
}

/// The status of application `code` if `id_number` is its applicant's.
pub(super) async fn status_of(
    state: &AppState,
    lang: Lang,
    code: &str,
    id_number: &str,
) -> Result<StatusTemplate, WebError> {
    let mut t = StatusTemplate {
        lang,
        title: lang.t("application_status").into(),
        nav: None,
        code: code.trim().to_string(),
        found: false,
        notice: Vec::new(),
        items: Vec::new(),
        message: String::new(),
    };
    if t.code.is_empty() {
        return Ok(t);
    }
    let Some(id) = cases::application_id_by_code(&state.db, &t.code).await? else {
        return Ok(t);
    };
    let a = cases::application(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)?;
    if a.applicant_id_number.eq_ignore_ascii_case(id_number.trim()) {
        let today = jiuzhu_db::today();
        let cal = calendar(state).await;
        t.found = true;
        t.notice = serde_json::from_str(&a.notice).unwrap_or_default();
        t.items = cases::items_of(&state.db, id)
            .await?
            .iter()
            .map(|i| item_row(i, lang, today, &cal))
            .collect();
    }
    Ok(t)
}

/// The applicant's status page: the application's items, where each stands and by when,
/// for the application number with the applicant's ID number. Nothing else is shown.
/// Wrong lookups are limited per address.
pub(super) async fn status_lookup(
    state: &AppState,
    lang: Lang,
    ip: &str,
    q: &StatusQuery,
) -> PageResult {
    let key = format!("status-ip:{ip}");
    if state.status_tries.locked(&key) {
        let mut t = status_of(state, lang, "", "").await?;
        t.code = q.code.trim().to_string();
        t.message = lang.t("too_many_tries").into();
        let mut r = t.into_response();
        *r.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
        return Ok(r);
    }
    let mut t = status_of(state, lang, &q.code, &q.id_number).await?;
    if t.code.is_empty() && !q.id_number.trim().is_empty() {
        t.message = lang.t("status_needs_code").into();
    }
    if !t.code.is_empty() && !t.found {
        state
            .status_tries
            .fail(&key, TRIES_PER_ADDRESS, state.config.lockout);
    }
    Ok(t.into_response())
}

pub(super) async fn status_page(
    State(state): State<AppState>,
    crate::auth::UiLang(lang): crate::auth::UiLang,
    crate::auth::ClientIp(ip): crate::auth::ClientIp,
    Query(q): Query<StatusQuery>,
) -> PageResult {
    status_lookup(&state, lang, &ip, &q).await
}

pub(super) async fn status_submit(
    State(state): State<AppState>,
    crate::auth::UiLang(lang): crate::auth::UiLang,
    crate::auth::ClientIp(ip): crate::auth::ClientIp,
    Form(q): Form<StatusQuery>,
) -> PageResult {
    status_lookup(&state, lang, &ip, &q).await
}
