//! The region tree (区划), level by level.

use super::*;

#[derive(Template, WebTemplate)]
#[template(path = "regions.html")]
pub(super) struct RegionsTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    code: String,
    name: String,
    total: i64,
    path: Vec<(String, String)>,
    children: Vec<jiuzhu_db::regions::RegionCount>,
}

pub(super) async fn regions_root(PageUser(u): PageUser) -> Response {
    Redirect::to(&format!("/regions/{}", u.scope_region)).into_response()
}

pub(super) async fn region_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(code): Path<String>,
) -> PageResult {
    u.require(u.role.can_read_registry())?;
    let region = RegionCode::parse(&code).map_err(|_| WebError::NotFound)?;
    // Above the user's scope, counts would show what they may not see.
    if !u.scope_region.contains(&region) {
        return Ok(Redirect::to(&format!("/regions/{}", u.scope_region)).into_response());
    }
    let r = jiuzhu_db::regions::get(&state.db, region.as_str())
        .await?
        .ok_or(WebError::NotFound)?;
    let path = jiuzhu_db::regions::path(&state.db, region.as_str())
        .await?
        .into_iter()
        .filter(|p| p.code.starts_with(u.scope_region.as_str()))
        .map(|p| (p.code, p.name))
        .collect();
    let children =
        jiuzhu_db::regions::children_with_counts(&state.db, Some(region.as_str())).await?;
    let total = jiuzhu_db::regions::household_count(&state.db, region.as_str()).await?;
    Ok(RegionsTemplate {
        lang: u.lang,
        title: r.name.clone(),
        nav: Some(nav(&state, &u).await),
        code: r.code,
        name: r.name,
        total,
        path,
        children,
    }
    .into_response())
}
