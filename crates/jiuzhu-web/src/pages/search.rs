//! Household search with its filters and paging, and the list as XLSX.

use super::*;

#[derive(Deserialize, Default)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub region: String,
    pub page: Option<i64>,
}

/// Whether a search text is an ID number: 18 (or the old 15) characters, all digits but
/// the last, which may be `X`. Counted in characters: a name is never cut inside one.
pub(super) fn looks_like_id_number(q: &str) -> bool {
    let n = q.chars().count();
    (n == 18 || n == 15)
        && q.chars().take(n - 1).all(|c| c.is_ascii_digit())
        && q.chars()
            .last()
            .is_some_and(|c| c.is_ascii_digit() || c == 'x' || c == 'X')
}

/// Turns the one search box into criteria: an ID number, a household number, or a name.
pub fn search_query(p: &SearchParams, per_page: i64) -> SearchQuery {
    let q = p.q.trim();
    let mut s = SearchQuery {
        region: Some(p.region.trim().to_string()).filter(|r| !r.is_empty()),
        limit: per_page,
        offset: (p.page.unwrap_or(1).max(1) - 1).saturating_mul(per_page),
        ..SearchQuery::default()
    };
    if q.is_empty() {
    } else if looks_like_id_number(q) {
        s.id_number = Some(q.to_uppercase());
    } else if q.is_ascii() && q.chars().any(|c| c.is_ascii_digit()) {
        s.code = Some(q.to_string());
    } else {
        s.name = Some(q.to_string());
    }
    s
}

#[derive(Template, WebTemplate)]
#[template(path = "households.html")]
pub(super) struct HouseholdsTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    q: String,
    region: String,
    scope_prefix: String,
    total: i64,
    rows: Vec<HouseholdRow>,
    page: i64,
    pages: i64,
    prev_page: Option<i64>,
    next_page: Option<i64>,
}

pub async fn household_rows(
    state: &AppState,
    u: &SignedIn,
    q: &SearchQuery,
) -> Result<(Vec<HouseholdRow>, i64), WebError> {
    let (list, total) = households::search(&state.db, &u.scope, q).await?;
    Ok((rows_of(state, u, &list).await?, total))
}

/// Search results as the masked rows of a list, with their regions' names.
pub(super) async fn rows_of(
    state: &AppState,
    u: &SignedIn,
    list: &[jiuzhu_db::households::HouseholdSummary],
) -> Result<Vec<HouseholdRow>, WebError> {
    let codes: Vec<String> = list.iter().map(|h| h.region_code.clone()).collect();
    let names = jiuzhu_db::regions::names(&state.db, &codes).await?;
    Ok(list
        .iter()
        .map(|h| {
            HouseholdRow::from(
                h,
                names.get(&h.region_code).cloned().unwrap_or_default(),
                u.lang,
                u.role.sees_full_names(),
            )
        })
        .collect())
}

pub(super) async fn households_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(p): Query<SearchParams>,
) -> PageResult {
    u.require(u.role.can_read_registry())?;
    const PER_PAGE: i64 = 20;
    let q = search_query(&p, PER_PAGE);
    let (rows, total) = household_rows(&state, &u, &q).await?;
    let page = p.page.unwrap_or(1).max(1);
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    Ok(HouseholdsTemplate {
        lang: u.lang,
        title: u.lang.t("households").into(),
        nav: Some(nav(&state, &u).await),
        q: p.q,
        region: p.region,
        scope_prefix: u.scope_region.to_string(),
        total,
        rows,
        page,
        pages,
        prev_page: (page > 1).then_some(page - 1),
        next_page: (page < pages).then_some(page + 1),
    }
    .into_response())
}

/// The search result as an Excel ledger (台账), masked like the page, and audited: every
/// household in scope, read a page at a time, and the audit row counts what was written.
pub(super) async fn households_export(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(p): Query<SearchParams>,
) -> PageResult {
    u.require(u.role.can_read_registry())?;
    const PAGE: i64 = 2_000;
    let q = search_query(&p, PAGE);
    let xlsx = |e: rust_xlsxwriter::XlsxError| WebError::Internal(e.to_string());
    let mut sheet = crate::api::HouseholdSheet::new(u.lang).map_err(xlsx)?;
    let mut after: Option<String> = None;
    loop {
        let list =
            households::search_after(&state.db, &u.scope, &q, after.as_deref(), PAGE).await?;
        for row in rows_of(&state, &u, &list).await? {
            sheet.push(&row).map_err(xlsx)?;
        }
        match list.last() {
            Some(last) if list.len() as i64 == PAGE => after = Some(last.code.clone()),
            _ => break,
        }
    }
    let written = sheet.rows();
    let bytes = sheet.finish().map_err(xlsx)?;
    jiuzhu_app::registry::record_export(
        &state.db,
        &u.acting(),
        "household.export",
        json!({"q": jiuzhu_domain::mask::mask_ids_in(&p.q), "region": p.region, "rows": written}),
    )
    .await
    .map_err(WebError::from)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"households.xlsx\"".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}
