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
    Ok(AuditTemplate {
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
