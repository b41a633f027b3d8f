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
    page: usize,
    more: bool,
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    rows: Vec<DueRow>,
}

/// The recipients due for periodic review (定期核查) in the user's scope, at most `limit`,
/// regions named: no decision on their program (grant or review) within the interval of
/// their category.
async fn due_rows(state: &AppState, u: &SignedIn, limit: usize) -> Result<Vec<DueRow>, WebError> {
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
            if rows.len() == limit {
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
    Ok(rows)
}

/// Rows of the reviews list on one page.
const REVIEWS_PAGE: usize = 100;

#[derive(Deserialize, Default)]
pub(super) struct PageQuery {
    page: Option<usize>,
}

/// The recipients due for review as an XLSX file, the export audited.
pub(super) async fn reviews_export(
    State(state): State<AppState>,
    PageUser(u): PageUser,
) -> Result<axum::response::Response, crate::pages::PageError> {
    u.require(u.role.can_write_registry())?;
    let rows = due_rows(&state, &u, crate::export::MAX_ROWS).await?;
    let l = u.lang;
    let heads: Vec<String> = ["household", "region", "category", "last_decision"]
        .iter()
        .map(|k| l.t(k).to_string())
        .collect();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.household_code.clone(),
                r.region_name.clone(),
                l.category(&r.category),
                r.last.clone(),
            ]
        })
        .collect();
    let bytes = crate::export::workbook(&heads, &cells)?;
    jiuzhu_app::registry::record_list_export(
        &state.db,
        &u.acting(),
        "reviews.xlsx",
        serde_json::json!({"rows": cells.len()}),
    )
    .await
    .map_err(WebError::from)?;
    Ok(crate::export::download("reviews.xlsx", bytes))
}

/// Recipient households due for their periodic review: no decision (grant, change or
/// review) within the interval of their category, a page of them.
pub(super) async fn reviews_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<PageQuery>,
) -> PageResult {
    u.require(u.role.can_write_registry())?;
    let page = q.page.unwrap_or(1).max(1);
    // One more than the page needs tells whether a next page exists.
    let mut rows = due_rows(&state, &u, page * REVIEWS_PAGE + 1).await?;
    let more = rows.len() > page * REVIEWS_PAGE;
    rows.truncate(page * REVIEWS_PAGE);
    let rows = rows.split_off(((page - 1) * REVIEWS_PAGE).min(rows.len()));
    let t = ReviewsTemplate {
        lang: u.lang,
        title: u.lang.t("reviews_due").into(),
        nav: Some(nav(&state, &u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        rows,
        page,
        more,
    };
    Ok(t.into_response())
}
