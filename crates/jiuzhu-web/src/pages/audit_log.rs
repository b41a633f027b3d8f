//! The audit log: search and the hash chain's verification.

use super::*;

#[derive(Deserialize, Default)]
pub(super) struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    page: Option<i64>,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
pub(super) struct AuditTemplate {
    page: i64,
    pages: i64,
    actions: Vec<(&'static str, &'static str)>,
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    actor: String,
    action: String,
    from: String,
    to: String,
    total: i64,
    rows: Vec<AuditView>,
    verification: Option<Verification>,
}

/// The next day of an ISO date, so that "to" includes the whole day.
pub(super) fn day_after(d: &str) -> Option<String> {
    jiuzhu_domain::parse_date(d)
        .ok()
        .and_then(|d| d.succ_opt())
        .map(|d| d.to_string())
}

pub(super) async fn audit_view(
    state: &AppState,
    u: &SignedIn,
    q: AuditQuery,
    verification: Option<Verification>,
) -> PageResult {
    u.require(u.role.can_read_audit())?;
    let filter = audit::Filter {
        actor: Some(q.actor.clone()),
        action: Some(q.action.clone()),
        from: Some(q.from.clone()),
        to: day_after(&q.to),
        limit: 100,
        offset: (q.page.unwrap_or(1).max(1) - 1).saturating_mul(100),
        ..Default::default()
    };
    let (rows, total) = audit::search(&state.db, &filter).await?;
    let page = q.page.unwrap_or(1).max(1);
    Ok(AuditTemplate {
        page,
        pages: (total + 99) / 100,
        actions: jiuzhu_domain::casework::AUDIT_ACTIONS
            .iter()
            .map(|(c, zh, en)| (*c, u.lang.pick(zh, en)))
            .collect(),
        lang: u.lang,
        title: u.lang.t("audit").into(),
        nav: Some(nav(state, u).await),
        actor: q.actor,
        action: q.action,
        from: q.from,
        to: q.to,
        total,
        rows: rows.iter().map(|r| AuditView::said(r, u.lang)).collect(),
        verification,
    }
    .into_response())
}

/// The audit trail with its filters as an XLSX file (at most 100,000 rows), the export
/// itself audited.
pub(super) async fn audit_export(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<AuditQuery>,
) -> Result<axum::response::Response, PageError> {
    u.require(u.role.can_read_audit())?;
    let filter = audit::Filter {
        actor: Some(q.actor.clone()),
        action: Some(q.action.clone()),
        from: Some(q.from.clone()),
        to: day_after(&q.to),
        limit: crate::export::MAX_ROWS as i64,
        offset: 0,
        ..Default::default()
    };
    let (rows, _) = audit::search(&state.db, &filter).await?;
    let l = u.lang;
    let heads: Vec<String> = ["when", "who", "role", "action", "object", "detail"]
        .iter()
        .map(|k| l.t(k).to_string())
        .chain(["#".to_string(), "IP".to_string()])
        .collect();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let a = AuditView::said(r, l);
            vec![
                a.at,
                a.actor,
                l.say(&a.role),
                l.say(&a.action),
                a.object,
                a.detail,
                a.id.to_string(),
                a.ip,
            ]
        })
        .collect();
    let bytes = crate::export::workbook(&heads, &cells)?;
    jiuzhu_app::registry::record_list_export(
        &state.db,
        &u.acting(),
        "audit.xlsx",
        serde_json::json!({"actor": q.actor, "action": q.action, "from": q.from, "to": q.to, "rows": cells.len()}),
    )
    .await
    .map_err(WebError::from)?;
    Ok(crate::export::download("audit.xlsx", bytes))
}

pub(super) async fn audit_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    audit_view(&state, &u, q, None).await
}

pub(super) async fn audit_verify(
    State(state): State<AppState>,
    PageUser(u): PageUser,
) -> PageResult {
    u.require(u.role.can_read_audit())?;
    let v = audit::verify(&state.db).await?;
    audit_view(&state, &u, AuditQuery::default(), Some(v)).await
}
