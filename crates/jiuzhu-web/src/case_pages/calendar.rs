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

/// The calendar page with `text` in its editor (what was typed, when it was refused) and
/// a refusal's message.
async fn render_calendar(
    state: &AppState,
    u: &SignedIn,
    text: Option<String>,
    message: String,
) -> PageResult {
    u.require(u.role.can_admin_users())?;
    let text = match text {
        Some(t) => t,
        None => jiuzhu_app::calendar::calendar_text(&state.db).await?,
    };
    let t = CalendarTemplate {
        lang: u.lang,
        title: u.lang.t("calendar").into(),
        nav: Some(nav(state, u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        text,
        delegated: jiuzhu_app::cases::delegated_counties(&state.db)
            .await?
            .join(","),
        message,
    };
    Ok(t.into_response())
}

/// Which counties delegate dibao and tekun approval to their townships.
pub(super) async fn delegation_submit(
    State(state): State<AppState>,
    Posted(u, f): Posted<DelegationForm>,
) -> PageResult {
    let acting = u.acting();
    let result = jiuzhu_app::cases::set_delegated_counties(&state.db, &acting, &f.counties).await;
    answer(
        u.lang,
        result,
        |()| "/admin/calendar".to_string(),
        |m| render_calendar(&state, &u, None, m),
    )
    .await
}

pub(super) async fn calendar_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
) -> PageResult {
    render_calendar(&state, &u, None, String::new()).await
}

#[derive(Deserialize)]
pub(super) struct CalendarForm {
    text: String,
}

pub(super) async fn calendar_submit(
    State(state): State<AppState>,
    Posted(u, f): Posted<CalendarForm>,
) -> PageResult {
    let result = jiuzhu_app::calendar::set_calendar(&state.db, &u.acting(), &f.text).await;
    answer(
        u.lang,
        result,
        |()| "/admin/calendar".to_string(),
        |m| render_calendar(&state, &u, Some(f.text.replace("\r\n", "\n")), m),
    )
    .await
}
