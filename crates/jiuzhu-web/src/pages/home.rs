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
    /// Open alerts in scope: (new, assigned or investigating, overdue); None when the
    /// user does not see alerts.
    alerts: Option<(i64, i64, i64)>,
}

pub(super) async fn home(State(state): State<AppState>, PageUser(u): PageUser) -> PageResult {
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
