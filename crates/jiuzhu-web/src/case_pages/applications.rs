//! An application with its one-time notice, and the applications a clerk took (首问).

use super::*;

#[derive(Template, WebTemplate)]
#[template(path = "application.html")]
pub(super) struct ApplicationTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    a: cases::Application,
    applicant: String,
    notice: Vec<String>,
    items: Vec<ItemRow>,
}

pub(super) async fn application_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    let a = cases::application(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let items = cases::items_of(&state.db, id).await?;
    // The clerk who took it follows it (首问); otherwise the household's region decides.
    let visible =
        a.taken_by == u.user.username || items.iter().any(|i| u.scope.contains(&i.region_code));
    if !visible || !u.role.can_read_registry() {
        return Err(WebError::NotFound.into());
    }
    let today = jiuzhu_db::today();
    let cal = calendar(&state).await;
    let t = ApplicationTemplate {
        lang: u.lang,
        title: format!("{} {}", u.lang.t("application"), a.code),
        nav: Some(nav(&state, &u).await),
        applicant: format!(
            "{} {}",
            crate::views::name_for(&a.applicant_name, u.role.sees_full_names()),
            mask_id_str(&a.applicant_id_number)
        ),
        notice: serde_json::from_str(&a.notice).unwrap_or_default(),
        items: items
            .iter()
            .map(|i| item_row(i, u.lang, today, &cal))
            .collect(),
        a,
    };
    Ok(t.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "applications.html")]
pub(super) struct MyApplicationsTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    rows: Vec<(cases::Application, Vec<ItemRow>)>,
}

pub(super) async fn my_applications(
    State(state): State<AppState>,
    PageUser(u): PageUser,
) -> PageResult {
    u.require(u.role.can_write_registry())?;
    let today = jiuzhu_db::today();
    let cal = calendar(&state).await;
    let mut rows = Vec::new();
    for a in cases::taken_by(&state.db, &u.user.username, 100).await? {
        let items = cases::items_of(&state.db, a.id).await?;
        rows.push((
            a,
            items
                .iter()
                .map(|i| item_row(i, u.lang, today, &cal))
                .collect(),
        ));
    }
    let t = MyApplicationsTemplate {
        lang: u.lang,
        title: u.lang.t("my_applications").into(),
        nav: Some(nav(&state, &u).await),
        rows,
    };
    Ok(t.into_response())
}
