//! The alert inbox with bulk assignment, an alert's life step by step, and its automatic grant's decision.

use super::*;

#[derive(Deserialize, Default)]
pub(super) struct AlertQuery {
    #[serde(default)]
    region: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    page: i64,
    #[serde(default)]
    message: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "alerts.html")]
pub(super) struct AlertsTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    q: AlertQuery,
    rows: Vec<AlertRow>,
    total: i64,
    page: i64,
    pages: i64,
    rules: Vec<(String, String)>,
    statuses: &'static [&'static str],
    can_work: bool,
    assignees: Vec<(String, String)>,
    message: String,
}

pub(super) const PER_PAGE: i64 = 50;

/// The alert inbox with its filters as an XLSX file: every alert the filters find (ID
/// numbers masked as on the page), the export audited.
pub(super) async fn alerts_export(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<AlertQuery>,
) -> Result<axum::response::Response, PageError> {
    u.require(u.role.can_read_alerts())?;
    let today = jiuzhu_db::today().to_string();
    let f = AlertFilter {
        region: Some(q.region.clone()),
        status: Some(q.status.clone()),
        rule: Some(q.rule.clone()),
        assignee: Some(q.assignee.clone()),
        overdue_on: (q.overdue == "1").then(|| today.clone()),
        household_id: None,
        page: 0,
        per_page: crate::export::MAX_ROWS as i64,
    };
    let (alerts, _) = monitoring::alerts(&state.db, &u.scope, &f).await?;
    let set = rule_set();
    let mut rows: Vec<AlertRow> = alerts
        .iter()
        .map(|a| alert_row(a, set, u.lang, &today))
        .collect();
    name_regions(&state.db, &mut rows).await?;
    let l = u.lang;
    let heads = [
        "alert",
        "rule",
        "subject",
        "household_code",
        "region",
        "month",
        "status",
        "assignee",
        "deadline",
        "outcome",
    ]
    .iter()
    .map(|k| l.t(k).to_string())
    .collect::<Vec<_>>();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.id.to_string(),
                r.rule_label.clone(),
                r.subject.clone(),
                r.household_code.clone(),
                r.region_name.clone(),
                r.month.clone(),
                l.say(&r.status),
                r.assignee.clone(),
                r.deadline.clone(),
                l.say(&r.outcome),
            ]
        })
        .collect();
    let bytes = crate::export::workbook(&heads, &cells)?;
    jiuzhu_app::registry::record_list_export(
        &state.db,
        &u.acting(),
        "alerts.xlsx",
        serde_json::json!({"region": q.region, "status": q.status, "rule": q.rule, "rows": cells.len()}),
    )
    .await
    .map_err(WebError::from)?;
    Ok(crate::export::download("alerts.xlsx", bytes))
}

pub(super) async fn alerts_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<AlertQuery>,
) -> PageResult {
    u.require(u.role.can_read_alerts())?;
    let today = jiuzhu_db::today().to_string();
    let f = AlertFilter {
        region: Some(q.region.clone()),
        status: Some(q.status.clone()),
        rule: Some(q.rule.clone()),
        assignee: Some(q.assignee.clone()),
        overdue_on: (q.overdue == "1").then(|| today.clone()),
        household_id: None,
        page: q.page,
        per_page: PER_PAGE,
    };
    let (alerts, total) = monitoring::alerts(&state.db, &u.scope, &f).await?;
    let set = rule_set();
    let mut rows: Vec<AlertRow> = alerts
        .iter()
        .map(|a| alert_row(a, set, u.lang, &today))
        .collect();
    name_regions(&state.db, &mut rows).await?;
    // Those in the user's scope who can work alerts.
    let assignees = jiuzhu_app::alerts::assignees(&state.db, &u.acting(), None)
        .await
        .map_err(WebError::from)?;
    let t = AlertsTemplate {
        lang: u.lang,
        title: u.lang.t("alerts").into(),
        nav: Some(nav(&state, &u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        message: q.message.clone(),
        rows,
        total,
        page: q.page.max(0),
        pages: (total + PER_PAGE - 1) / PER_PAGE,
        rules: set
            .rules
            .iter()
            .map(|r| (r.name.clone(), rule_label(set, &r.name, u.lang)))
            .collect(),
        statuses: monitoring::STATUSES,
        can_work: u.role.can_work_alerts(),
        assignees,
        q,
    };
    Ok(t.into_response())
}

pub(super) async fn alerts_bulk(
    State(state): State<AppState>,
    Posted(u, pairs): Posted<Vec<(String, String)>>,
) -> PageResult {
    let ids: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "ids")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let assignee = field(&pairs, "assignee");
    let message = match jiuzhu_app::alerts::assign(&state.db, &u.acting(), &ids, &assignee).await {
        Ok(n) => format!("{} {n} → {assignee}", u.lang.t("assigned_n")),
        Err(jiuzhu_app::AppError::Invalid(f) | jiuzhu_app::AppError::Blocked(f)) => {
            f.message_in(u.lang == Lang::Zh)
        }
        Err(jiuzhu_app::AppError::Conflict(m) | jiuzhu_app::AppError::NotFound(m)) => m,
        Err(e) => return Err(e.into()),
    };
    Ok(Redirect::to(&format!(
        "/alerts?message={}",
        url::form_urlencoded::byte_serialize(message.as_bytes()).collect::<String>()
    ))
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "alert.html")]
pub(super) struct AlertTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    a: AlertRow,
    rule_sql: String,
    can_work: bool,
    outcomes: &'static [&'static str],
    assignees: Vec<(String, String)>,
    history: Vec<crate::views::AuditView>,
    rx: Option<jiuzhu_app::prescription::Prescription>,
    grant: Option<GrantView>,
    message: String,
}

/// A proposed grant as the alert page shows it.
pub struct GrantView {
    pub id: i64,
    pub program: String,
    pub expense: String,
    pub amount: String,
    pub status: String,
    pub deadline: String,
    pub receipt_sha256: String,
    pub note: String,
    pub decided_by: String,
}

pub(super) async fn render_alert(
    state: &AppState,
    u: &SignedIn,
    id: i64,
    message: String,
) -> PageResult {
    let (a, rx) = jiuzhu_app::alerts::view_alert(&state.db, &u.acting(), id, true)
        .await
        .map_err(WebError::from)?;
    let set = rule_set();
    let today = jiuzhu_db::today();
    let (history, _) = audit::search(
        &state.db,
        &audit::Filter {
            object_type: Some("alert".into()),
            object_id: Some(id.to_string()),
            limit: 100,
            ..Default::default()
        },
    )
    .await?;
    let assignees = jiuzhu_app::alerts::assignees(&state.db, &u.acting(), Some(&a.region_code))
        .await
        .map_err(WebError::from)?;
    let grant = monitoring::grant_of_alert(&state.db, id)
        .await?
        .map(|g| GrantView {
            id: g.id,
            program: g.program,
            expense: jiuzhu_domain::Money::from_fen(g.expense_fen).to_string(),
            amount: jiuzhu_domain::Money::from_fen(g.amount_fen).to_string(),
            status: g.status,
            deadline: g.deadline,
            receipt_sha256: g.receipt_sha256,
            note: g.note,
            decided_by: g.decided_by.unwrap_or_default(),
        });
    let t = AlertTemplate {
        lang: u.lang,
        title: format!("{} #{id}", u.lang.t("alert")),
        grant,
        nav: Some(nav(state, u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        rule_sql: set.rule(&a.rule).map(|r| r.sql.clone()).unwrap_or_default(),
        a: {
            let mut row = [alert_row(&a, set, u.lang, &today.to_string())];
            name_regions(&state.db, &mut row).await?;
            let [row] = row;
            row
        },
        can_work: u.role.can_work_alerts(),
        outcomes: monitoring::OUTCOMES,
        assignees,
        history: history
            .iter()
            .map(|r| crate::views::AuditView::said(r, u.lang))
            .collect(),
        rx,
        message,
    };
    Ok(t.into_response())
}

pub(super) async fn alert_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    render_alert(&state, &u, id, String::new()).await
}

#[derive(Deserialize)]
pub(super) struct StepForm {
    step: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: String,
}

pub(super) async fn alert_step(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(u, f): Posted<StepForm>,
) -> PageResult {
    let step = jiuzhu_app::alerts::AlertStep {
        step: f.step,
        assignee: f.assignee,
        outcome: f.outcome,
        note: f.note,
    };
    let result = jiuzhu_app::alerts::advance(&state.db, &u.acting(), &[id], step).await;
    answer(
        u.lang,
        result,
        |_| format!("/alerts/{id}"),
        |m| render_alert(&state, &u, id, m),
    )
    .await
}

#[derive(Deserialize)]
pub(super) struct GrantForm {
    grant: i64,
    decision: String,
    #[serde(default)]
    note: String,
}

pub(super) async fn grant_decide(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(u, f): Posted<GrantForm>,
) -> PageResult {
    let result =
        jiuzhu_app::alerts::decide_grant(&state.db, &u.acting(), f.grant, &f.decision, &f.note)
            .await;
    answer(
        u.lang,
        result,
        |()| format!("/alerts/{id}"),
        |m| render_alert(&state, &u, id, m),
    )
    .await
}
