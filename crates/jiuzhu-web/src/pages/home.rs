//! The home page: what the user's role and region hold.

use super::*;

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub(super) struct HomeTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    display_name: String,
    households: i64,
    persons: i64,
    scope_name: String,
    can_read: bool,
    /// What waits for the user: cases at their steps, alerts of the region.
    todo: jiuzhu_app::todo::ToDo,
}

pub(super) async fn home(State(state): State<AppState>, PageUser(u): PageUser) -> PageResult {
    let totals = if u.role.can_read_registry() {
        households::totals(&state.db, &u.scope).await?
    } else {
        Default::default()
    };
    let todo = jiuzhu_app::todo::of(&state.db, &u.acting(), jiuzhu_db::today())
        .await
        .map_err(WebError::from)?;
    let nav = nav(&state, &u).await;
    Ok(HomeTemplate {
        todo,
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
