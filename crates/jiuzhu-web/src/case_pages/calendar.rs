//! The holiday calendar an administrator edits, and the counties that delegate approval.

use super::*;

#[derive(Template, WebTemplate)]
#[template(path = "calendar.html")]
pub(super) struct CalendarTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    text: String,
    delegated: String,
    message: String,
}

#[derive(Deserialize)]
pub(super) struct DelegationForm {
    counties: String,
}

/// Which counties delegate dibao and tekun approval to their townships.
pub(super) async fn delegation_submit(
    State(state): State<AppState>,
    Posted(u, f): Posted<DelegationForm>,
) -> PageResult {
    u.require(u.role.can_admin_users())?;
    let codes: Vec<&str> = f
        .counties
        .split([',', ' ', '，', '\n'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    if let Some(bad) = codes
        .iter()
        .find(|c| c.len() != 6 || !c.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(
            WebError::Invalid(format!("counties: {bad:?} is not a 6-digit county code")).into(),
        );
    }
    cases::set_setting(
        &state.db,
        &u.actor(),
        "delegated_counties",
        &codes.join(","),
    )
    .await?;
    Ok(Redirect::to("/admin/calendar").into_response())
}

pub(super) async fn calendar_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
) -> PageResult {
    u.require(u.role.can_admin_users())?;
    let text = cases::setting(&state.db, "calendar")
        .await?
        .unwrap_or_else(|| jiuzhu_domain::calendar::SHIPPED.to_string());
    let t = CalendarTemplate {
        lang: u.lang,
        title: u.lang.t("calendar").into(),
        nav: Some(nav(&state, &u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        text,
        delegated: jiuzhu_app::cases::delegated_counties(&state.db)
            .await?
            .join(","),
        message: String::new(),
    };
    Ok(t.into_response())
}

#[derive(Deserialize)]
pub(super) struct CalendarForm {
    text: String,
}

pub(super) async fn calendar_submit(
    State(state): State<AppState>,
    Posted(u, f): Posted<CalendarForm>,
) -> PageResult {
    u.require(u.role.can_admin_users())?;
    let text = f.text.replace("\r\n", "\n");
    match WorkCalendar::parse(&text) {
        Ok(_) => {
            cases::set_setting(&state.db, &u.actor(), "calendar", &text).await?;
            Ok(Redirect::to("/admin/calendar").into_response())
        }
        Err(e) => {
            let t = CalendarTemplate {
                lang: u.lang,
                title: u.lang.t("calendar").into(),
                nav: Some(nav(&state, &u).await),
                csrf: u.csrf.clone().unwrap_or_default(),
                text,
                delegated: jiuzhu_app::cases::delegated_counties(&state.db)
                    .await?
                    .join(","),
                message: e.to_string(),
            };
            let mut r = t.into_response();
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
    }
}
