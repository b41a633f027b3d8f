//! Changes to recipients (动态管理) and the periodic reviews due.

use super::*;

#[derive(Template, WebTemplate)]
#[template(path = "change.html")]
pub(super) struct ChangeTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    household_id: i64,
    household_code: String,
    category: String,
    kinds: Vec<(&'static str, String)>,
    message: String,
}

pub(super) async fn render_change(
    state: &AppState,
    u: &SignedIn,
    id: i64,
    message: String,
) -> PageResult {
    u.require(u.role.can_write_registry())?;
    let rec = households::get(&state.db, &u.scope, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let category = jiuzhu_db::monitoring::category_of(&state.db, id)
        .await?
        .unwrap_or_default();
    let t = ChangeTemplate {
        lang: u.lang,
        title: format!("{} {}", u.lang.t("changes"), rec.household.code),
        nav: Some(nav(state, u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        household_id: id,
        household_code: rec.household.code,
        category,
        kinds: workflow::CHANGE_KINDS
            .iter()
            .map(|(k, zh, en)| {
                (
                    *k,
                    if u.lang == Lang::Zh {
                        zh.to_string()
                    } else {
                        en.to_string()
                    },
                )
            })
            .collect(),
        message,
    };
    Ok(t.into_response())
}

pub(super) async fn change_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    render_change(&state, &u, id, String::new()).await
}

#[derive(Deserialize)]
pub(super) struct ChangeForm {
    kind: String,
    #[serde(default)]
    reason: String,
    /// For a conversion: the recipient's consent is recorded.
    #[serde(default)]
    consent: String,
}

/// Opens a change to a recipient's benefit: the household must receive the program now;
/// the change runs its own path (periodic review, adjustment, suspension, termination,
/// phase-out, or conversion from dibao to tekun, which needs consent).
pub(super) async fn change_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(u, f): Posted<ChangeForm>,
) -> PageResult {
    u.require(u.role.can_write_registry())?;
    let result = jiuzhu_app::cases::open_change(
        &state.db,
        &u.acting(),
        id,
        &f.kind,
        f.reason.trim(),
        f.consent == "1",
    )
    .await;
    answer(
        u.lang,
        result,
        |app_id| format!("/applications/{app_id}"),
        |m| render_change(&state, &u, id, m),
    )
    .await
}

/// A recipient household due for its periodic review.
pub struct DueRow {
    pub household_id: i64,
    pub household_code: String,
    pub region_code: String,
    pub region_name: String,
    pub category: String,
    pub last: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "reviews.html")]
pub(super) struct ReviewsTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    rows: Vec<DueRow>,
}

/// Recipients due for periodic review (定期核查): no decision on their program (grant or
/// review) within the interval of their category.
pub(super) async fn reviews_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
) -> PageResult {
    u.require(u.role.can_write_registry())?;
    let today = jiuzhu_db::today();
    let (_, months, _) = workflow::shipped_changes();
    let mut rows = Vec::new();
    for (household_id, household_code, region_code, category, last) in
        cases::recipients_last_decided(&state.db, &u.scope).await?
    {
        let Some(program) = program_of_category(&category) else {
            continue;
        };
        let interval = months.get(program).copied().unwrap_or(12);
        let since = (today - chrono::Months::new(interval)).to_string();
        if last.as_deref().is_none_or(|l| l < since.as_str()) {
            rows.push(DueRow {
                household_id,
                household_code,
                region_code,
                region_name: String::new(),
                category,
                last: last.unwrap_or_default(),
            });
            if rows.len() == 200 {
                break;
            }
        }
    }
    let codes: Vec<String> = rows.iter().map(|r| r.region_code.clone()).collect();
    let names = jiuzhu_db::regions::names(&state.db, &codes).await?;
    for r in &mut rows {
        r.region_name = names
            .get(&r.region_code)
            .cloned()
            .unwrap_or_else(|| r.region_code.clone());
    }
    let t = ReviewsTemplate {
        lang: u.lang,
        title: u.lang.t("reviews_due").into(),
        nav: Some(nav(&state, &u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        rows,
    };
    Ok(t.into_response())
}
