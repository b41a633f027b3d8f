//! Monitoring pages: the alert inbox (filters, bulk assignment), an alert's page (its life
//! from new to closed, the household's prescription), the rule page (statistics per rule,
//! runs, run on demand), feeds (types, snapshots, imports with their reports, declaring a
//! type) and a household's verification (authorisations, reports, accepting findings).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use jiuzhu_db::audit::{self, Entry};
use jiuzhu_db::monitoring::{self, AlertFilter, Step};
use jiuzhu_db::{feeds as dbfeeds, households, verification};
use jiuzhu_domain::{mask_id_str, mask_ids_in};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::auth::{PageUser, SignedIn};
use crate::error::WebError;
use crate::forms::{field, form_pairs, inline_file, read_upload};
use crate::i18n::Lang;
use crate::pages::{Nav, PageError, nav};

type PageResult = Result<Response, PageError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/alerts", get(alerts_page))
        .route("/alerts/bulk", post(alerts_bulk))
        .route("/alerts/{id}", get(alert_page).post(alert_step))
        .route("/alerts/{id}/grant", post(grant_decide))
        .route("/rules", get(rules_page))
        .route("/rules/run", post(rules_run))
        .route("/feeds", get(feeds_page))
        .route(
            "/feeds/import",
            post(feeds_import).layer(axum::extract::DefaultBodyLimit::max(
                crate::forms::UPLOAD_LIMIT,
            )),
        )
        .route("/feeds/types", post(feeds_declare))
        .route("/feeds/snapshots/{id}", get(snapshot_page))
        .route("/households/{id}/verification", get(verification_page))
        .route(
            "/households/{id}/authorisations",
            post(authorisation_submit),
        )
        .route("/authorisations/{id}/scan", get(authorisation_scan))
        .route("/households/{id}/verify", post(verify_submit))
        .route("/verification/{id}", get(report_page))
        .route("/verification/{id}/accept", post(accept_submit))
}

impl From<jiuzhu_monitor::MonitorError> for WebError {
    fn from(e: jiuzhu_monitor::MonitorError) -> WebError {
        match e {
            jiuzhu_monitor::MonitorError::Invalid(m) => WebError::Invalid(m),
            jiuzhu_monitor::MonitorError::Forbidden(_) => WebError::Forbidden,
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl From<jiuzhu_app::AppError> for PageError {
    fn from(e: jiuzhu_app::AppError) -> PageError {
        PageError(e.into())
    }
}

impl From<jiuzhu_monitor::MonitorError> for PageError {
    fn from(e: jiuzhu_monitor::MonitorError) -> PageError {
        PageError(e.into())
    }
}

/// The rule set the platform runs (its rules' labels and metadata), parsed once.
fn rule_set() -> &'static jiuzhu_monitor::RuleSet {
    static SET: std::sync::OnceLock<jiuzhu_monitor::RuleSet> = std::sync::OnceLock::new();
    SET.get_or_init(|| {
        jiuzhu_monitor::load_rule_set("standard").expect("the shipped standard rule set loads")
    })
}

fn rule_label(set: &jiuzhu_monitor::RuleSet, rule: &str, lang: Lang) -> String {
    set.rule(rule)
        .map(|r| match lang {
            Lang::Zh => r.meta.label_zh.clone(),
            Lang::En => r.meta.label_en.clone(),
        })
        .unwrap_or_else(|| rule.to_string())
}

/// An alert as a list shows it: the subject's ID number masked.
pub struct AlertRow {
    pub id: i64,
    pub rule: String,
    pub rule_label: String,
    pub subject: String,
    pub household_id: Option<i64>,
    pub household_code: String,
    pub region_code: String,
    pub month: String,
    pub severity: String,
    pub action: String,
    pub status: String,
    pub assignee: String,
    pub deadline: String,
    pub overdue: bool,
    pub outcome: String,
    pub note: String,
    pub finding: String,
}

fn alert_row(
    a: &monitoring::Alert,
    set: &jiuzhu_monitor::RuleSet,
    lang: Lang,
    today: &str,
) -> AlertRow {
    AlertRow {
        id: a.id,
        rule: a.rule.clone(),
        rule_label: rule_label(set, &a.rule, lang),
        subject: if a.subject_kind == "person" {
            mask_id_str(&a.subject)
        } else {
            a.subject.clone()
        },
        household_id: a.household_id,
        household_code: a.household_code.clone().unwrap_or_default(),
        region_code: a.region_code.clone(),
        month: a.month.clone(),
        severity: a.severity.clone(),
        action: a.action.clone(),
        status: a.status.clone(),
        assignee: a.assignee.clone().unwrap_or_default(),
        deadline: a.deadline.clone(),
        overdue: a.overdue(today),
        outcome: a.outcome.clone().unwrap_or_default(),
        note: a.note.clone(),
        finding: a.finding.clone(),
    }
}

#[derive(Deserialize, Default)]
struct AlertQuery {
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
struct AlertsTemplate {
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

const PER_PAGE: i64 = 50;

async fn alerts_page(
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
    let rows = alerts
        .iter()
        .map(|a| alert_row(a, set, u.lang, &today))
        .collect();
    // Those in the user's scope who can work alerts.
    let assignees = jiuzhu_db::users::list(&state.db)
        .await?
        .into_iter()
        .filter(|x| {
            x.active
                && jiuzhu_domain::Role::parse(&x.role).is_ok_and(|r| r.can_work_alerts())
                && (x.scope_region.starts_with(u.scope.prefix())
                    || u.scope.prefix().starts_with(&x.scope_region))
        })
        .map(|x| (x.username.clone(), x.display_name.clone()))
        .collect();
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

async fn alerts_bulk(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    body: String,
) -> PageResult {
    let pairs = form_pairs(&body);
    u.check_csrf(&field(&pairs, "csrf"))?;
    u.require(u.role.can_work_alerts())?;
    let ids: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "ids")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let assignee = field(&pairs, "assignee");
    let message = match monitoring::advance(
        &state.db,
        &u.scope,
        &u.actor(),
        &ids,
        &Step::Assign(assignee.clone()),
    )
    .await
    {
        Ok(n) => format!("{} {n} → {assignee}", u.lang.t("assigned_n")),
        Err(
            jiuzhu_db::DbError::Invalid(m)
            | jiuzhu_db::DbError::Conflict(m)
            | jiuzhu_db::DbError::NotFound(m),
        ) => m,
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
struct AlertTemplate {
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

async fn render_alert(state: &AppState, u: &SignedIn, id: i64, message: String) -> PageResult {
    u.require(u.role.can_read_alerts())?;
    let a = monitoring::alert(&state.db, &u.scope, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let set = rule_set();
    let today = jiuzhu_db::today();
    // An alert opens the household's prescription, so new assistance can start from it.
    let rx = match a.household_id {
        Some(hid) if u.role.can_read_registry() => households::get(&state.db, &u.scope, hid)
            .await?
            .map(|rec| jiuzhu_app::prescription::prescribe(&rec.as_of(today), today)),
        _ => None,
    };
    audit::record(
        &state.db,
        &u.actor(),
        Entry {
            action: "alert.view",
            object_type: "alert",
            object_id: id.to_string(),
            household_id: a.household_id,
            detail: json!({}),
        },
    )
    .await?;
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
    let assignees = jiuzhu_db::users::list(&state.db)
        .await?
        .into_iter()
        .filter(|x| {
            x.active
                && jiuzhu_domain::Role::parse(&x.role).is_ok_and(|r| r.can_work_alerts())
                && (a.region_code.starts_with(&x.scope_region))
        })
        .map(|x| (x.username.clone(), x.display_name.clone()))
        .collect();
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
        a: alert_row(&a, set, u.lang, &today.to_string()),
        can_work: u.role.can_work_alerts(),
        outcomes: monitoring::OUTCOMES,
        assignees,
        history: history.iter().map(crate::views::AuditView::from).collect(),
        rx,
        message,
    };
    Ok(t.into_response())
}

async fn alert_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    render_alert(&state, &u, id, String::new()).await
}

#[derive(Deserialize)]
struct StepForm {
    csrf: String,
    step: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: String,
}

async fn alert_step(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> PageResult {
    u.check_csrf(&f.csrf)?;
    u.require(u.role.can_work_alerts())?;
    let step = match f.step.as_str() {
        "assign" => Step::Assign(f.assignee.trim().to_string()),
        "investigate" => Step::Investigate,
        "close" => Step::Close {
            outcome: f.outcome.clone(),
            note: f.note.trim().to_string(),
        },
        other => return Err(WebError::Invalid(format!("step: unknown step {other:?}")).into()),
    };
    match monitoring::advance(&state.db, &u.scope, &u.actor(), &[id], &step).await {
        Ok(_) => Ok(Redirect::to(&format!("/alerts/{id}")).into_response()),
        Err(e) => {
            let (status, m) = WebError::from(e).refusal()?;
            let mut r = render_alert(&state, &u, id, m).await?;
            *r.status_mut() = status;
            Ok(r)
        }
    }
}

#[derive(Deserialize)]
struct GrantForm {
    csrf: String,
    grant: i64,
    decision: String,
    #[serde(default)]
    note: String,
}

async fn grant_decide(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<GrantForm>,
) -> PageResult {
    u.check_csrf(&f.csrf)?;
    u.require(u.role.can_work_alerts())?;
    let approve = match f.decision.as_str() {
        "approve" => true,
        "reject" => false,
        other => return Err(WebError::Invalid(format!("decision: {other:?}")).into()),
    };
    match monitoring::decide_grant(&state.db, &u.scope, &u.actor(), f.grant, approve, &f.note).await
    {
        Ok(()) => Ok(Redirect::to(&format!("/alerts/{id}")).into_response()),
        Err(e) => {
            let (status, m) = WebError::from(e).refusal()?;
            let mut r = render_alert(&state, &u, id, m).await?;
            *r.status_mut() = status;
            Ok(r)
        }
    }
}

pub struct StatsRow {
    pub rule: String,
    pub label: String,
    pub severity: String,
    pub action: String,
    pub raised: i64,
    pub open: i64,
    pub closed: i64,
    pub false_alarms: i64,
    pub false_share: String,
    pub overdue: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "rules.html")]
struct RulesTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    stats: Vec<StatsRow>,
    runs: Vec<monitoring::Run>,
    params: Vec<(String, String)>,
    counties: Vec<(String, String, String)>,
    can_run: bool,
    last_month: String,
    message: String,
}

#[derive(Deserialize, Default)]
struct MessageQuery {
    #[serde(default)]
    message: String,
}

async fn rules_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<MessageQuery>,
) -> PageResult {
    u.require(u.role.can_read_alerts())?;
    let today = jiuzhu_db::today();
    let set = rule_set();
    let stats = monitoring::rule_stats(&state.db, &u.scope, &today.to_string()).await?;
    let rows = set
        .rules
        .iter()
        .map(|r| {
            let s = stats
                .iter()
                .find(|s| s.rule == r.name)
                .cloned()
                .unwrap_or_default();
            StatsRow {
                rule: r.name.clone(),
                label: rule_label(set, &r.name, u.lang),
                severity: r.meta.severity.clone(),
                action: r.meta.action.clone(),
                raised: s.raised,
                open: s.open,
                closed: s.closed,
                false_alarms: s.false_alarms,
                false_share: s
                    .false_alarm_permille()
                    .map(|p| format!("{}.{}%", p / 10, p % 10))
                    .unwrap_or_else(|| "—".into()),
                overdue: s.overdue,
            }
        })
        .collect();
    let prev = jiuzhu_monitor::Month::parse(&today.format("%Y-%m").to_string())
        .map(|m| m.previous().label())
        .unwrap_or_default();
    let t = RulesTemplate {
        lang: u.lang,
        title: u.lang.t("rules").into(),
        nav: Some(nav(&state, &u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        stats: rows,
        runs: monitoring::runs(&state.db, 20).await?,
        params: set
            .params
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        counties: set
            .counties
            .iter()
            .flat_map(|(c, m)| {
                m.iter()
                    .map(move |(k, v)| (c.clone(), k.clone(), v.clone()))
            })
            .collect(),
        can_run: u.role.can_admin_monitoring(),
        last_month: prev,
        message: q.message,
    };
    Ok(t.into_response())
}

#[derive(Deserialize)]
struct RunForm {
    csrf: String,
    month: String,
}

async fn rules_run(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Form(f): Form<RunForm>,
) -> PageResult {
    u.check_csrf(&f.csrf)?;
    u.require(u.role.can_admin_monitoring())?;
    let message = match jiuzhu_monitor::Month::parse(f.month.trim()) {
        Err(e) => format!("month: {e}"),
        Ok(month) => {
            let (r, granted) = jiuzhu_app::grants::run_month(
                &state.db,
                &u.actor(),
                rule_set(),
                month,
                "manual",
                jiuzhu_db::today(),
                &crate::case_pages::calendar(&state).await,
            )
            .await?;
            format!(
                "{} {}: {} {}, {} {}, {granted} {}",
                u.lang.t("run_done"),
                month.label(),
                r.findings,
                u.lang.t("findings"),
                r.new_alerts,
                u.lang.t("new_alerts"),
                u.lang.t("grants_proposed")
            )
        }
    };
    Ok(Redirect::to(&format!(
        "/rules?message={}",
        url::form_urlencoded::byte_serialize(message.as_bytes()).collect::<String>()
    ))
    .into_response())
}

pub struct FeedTypeRow {
    pub name: String,
    pub label: String,
    pub department: String,
    pub kind: String,
    pub columns: String,
    pub snapshots: usize,
    pub builtin: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "feeds.html")]
struct FeedsTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    types: Vec<FeedTypeRow>,
    snapshots: Vec<dbfeeds::Snapshot>,
    can_import: bool,
    can_declare: bool,
    departments: Vec<(&'static str, &'static str, &'static str)>,
    today: String,
    message: String,
}

async fn render_feeds(state: &AppState, u: &SignedIn, message: String) -> PageResult {
    u.require(u.role.can_import_feeds() || u.role.can_read_alerts())?;
    let snapshots = dbfeeds::snapshots(&state.db, None).await?;
    let types = jiuzhu_app::monitoring::feed_types(&state.db)
        .await?
        .into_iter()
        .zip(dbfeeds::types(&state.db).await?)
        .map(|(t, rec)| FeedTypeRow {
            snapshots: snapshots.iter().filter(|s| s.feed_type == t.name).count(),
            label: match u.lang {
                Lang::Zh => t.label_zh.clone(),
                Lang::En => t.label_en.clone(),
            },
            columns: t
                .columns
                .iter()
                .map(|c| format!("{}:{}", c.name, c.ty.code()))
                .collect::<Vec<_>>()
                .join(", "),
            name: t.name,
            department: crate::views::departments_label(&t.department, u.lang),
            kind: t.kind,
            builtin: rec.builtin,
        })
        .collect();
    let t = FeedsTemplate {
        lang: u.lang,
        title: u.lang.t("feeds").into(),
        nav: Some(nav(state, u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        types,
        snapshots: snapshots.into_iter().take(100).collect(),
        can_import: u.role.can_import_feeds(),
        can_declare: u.role.can_admin_monitoring(),
        departments: jiuzhu_domain::workflow::DEPARTMENTS.to_vec(),
        today: jiuzhu_db::today().to_string(),
        message,
    };
    Ok(t.into_response())
}

async fn feeds_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<MessageQuery>,
) -> PageResult {
    render_feeds(&state, &u, q.message).await
}

async fn feeds_import(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    m: Multipart,
) -> PageResult {
    let up = read_upload(m).await?;
    u.check_csrf(&field(&up.fields, "csrf"))?;
    u.require(u.role.can_import_feeds())?;
    let Some((name, _, bytes)) = up.files.into_iter().next() else {
        return render_feeds(
            &state,
            &u,
            "file: choose a CSV, XLSX or Parquet file".into(),
        )
        .await;
    };
    let ext = std::path::Path::new(&name)
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let tmp = std::env::temp_dir().join(format!(
        "jiuzhu-upload-{}-{}.{ext}",
        std::process::id(),
        crate::auth::new_token()
    ));
    std::fs::write(&tmp, &bytes).map_err(|e| WebError::Internal(e.to_string()))?;
    let result = jiuzhu_app::monitoring::import_feed(
        &state.db,
        &u.actor(),
        &crate::feed_importer(&u),
        &field(&up.fields, "feed_type"),
        field(&up.fields, "as_of").trim(),
        &tmp,
        Some(&name),
    )
    .await;
    let _ = std::fs::remove_file(&tmp);
    match result {
        Ok(r) => Ok(Redirect::to(&format!("/feeds/snapshots/{}", r.snapshot_id)).into_response()),
        Err(jiuzhu_app::AppError::Invalid(m)) | Err(jiuzhu_app::AppError::Conflict(m)) => {
            let mut r = render_feeds(&state, &u, m).await?;
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(jiuzhu_app::AppError::Forbidden(m)) => {
            let mut r = render_feeds(&state, &u, m).await?;
            *r.status_mut() = axum::http::StatusCode::FORBIDDEN;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct DeclareForm {
    csrf: String,
    name: String,
    label_zh: String,
    #[serde(default)]
    label_en: String,
    #[serde(default)]
    department: String,
    kind: String,
    id_column: String,
    columns: String,
    #[serde(default)]
    city_wide: String,
}

async fn feeds_declare(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Form(f): Form<DeclareForm>,
) -> PageResult {
    u.check_csrf(&f.csrf)?;
    u.require(u.role.can_admin_monitoring())?;
    let result = async {
        let ft = jiuzhu_monitor::feeds::FeedType {
            name: f.name.trim().to_string(),
            label_en: if f.label_en.trim().is_empty() {
                f.label_zh.trim().to_string()
            } else {
                f.label_en.trim().to_string()
            },
            label_zh: f.label_zh.trim().to_string(),
            department: f.department.trim().to_string(),
            kind: f.kind.clone(),
            id_column: f.id_column.trim().to_string(),
            columns: jiuzhu_monitor::feeds::FeedType::parse_columns(&f.columns)
                .map_err(jiuzhu_monitor::MonitorError::Invalid)?,
            city_wide: f.city_wide == "1",
        };
        jiuzhu_app::monitoring::declare_feed_type(&state.db, &u.actor(), &ft).await
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to("/feeds").into_response()),
        Err(jiuzhu_app::AppError::Invalid(m)) | Err(jiuzhu_app::AppError::Conflict(m)) => {
            let mut r = render_feeds(&state, &u, m).await?;
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "snapshot.html")]
struct SnapshotTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    s: dbfeeds::Snapshot,
    refused: Vec<jiuzhu_monitor::feeds::RowError>,
}

async fn snapshot_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    u.require(u.role.can_import_feeds() || u.role.can_read_alerts())?;
    let s = dbfeeds::snapshot(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let refused = serde_json::from_str(&s.report).unwrap_or_default();
    let t = SnapshotTemplate {
        lang: u.lang,
        title: format!("{} #{id}", u.lang.t("snapshot")),
        nav: Some(nav(&state, &u).await),
        s,
        refused,
    };
    Ok(t.into_response())
}

pub struct AuthView {
    pub id: i64,
    pub signer_name: String,
    pub signer_id_number: String,
    pub scope: String,
    pub signed_on: String,
    pub scan_name: String,
    pub scan_sha256: String,
    pub recorded_by: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "verification.html")]
struct VerificationTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    household_id: i64,
    household_code: String,
    /// (person id, name and masked ID number) of each current member.
    members: Vec<(i64, String)>,
    auths: Vec<AuthView>,
    reports: Vec<verification::Report>,
    can_verify: bool,
    today: String,
    message: String,
}

async fn render_verification(
    state: &AppState,
    u: &SignedIn,
    id: i64,
    message: String,
) -> PageResult {
    u.require(u.role.can_read_registry())?;
    let mut rec = households::get(&state.db, &u.scope, id)
        .await?
        .ok_or(WebError::NotFound)?;
    crate::views::names_for_viewer(&mut rec, u.role.sees_full_names());
    let auths = verification::authorisations(&state.db, &u.scope, id).await?;
    let t = VerificationTemplate {
        lang: u.lang,
        title: format!("{} {}", u.lang.t("verification"), rec.household.code),
        nav: Some(nav(state, u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        household_id: id,
        household_code: rec.household.code.clone(),
        members: rec
            .current_members()
            .map(|m| {
                (
                    m.person_id,
                    format!("{} {}", m.name, mask_id_str(&m.id_number)),
                )
            })
            .collect(),
        auths: auths
            .into_iter()
            .map(|a| AuthView {
                id: a.id,
                signer_name: crate::views::name_for(&a.signer_name, u.role.sees_full_names()),
                signer_id_number: mask_id_str(&a.signer_id_number),
                scope: a.scope,
                signed_on: a.signed_on,
                scan_name: a.scan_name,
                scan_sha256: a.scan_sha256,
                recorded_by: a.recorded_by,
            })
            .collect(),
        reports: verification::reports(&state.db, &u.scope, id).await?,
        can_verify: u.role.can_write_registry(),
        today: jiuzhu_db::today().to_string(),
        message,
    };
    Ok(t.into_response())
}

async fn verification_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Query(q): Query<MessageQuery>,
) -> PageResult {
    render_verification(&state, &u, id, q.message).await
}

async fn invalid_or(
    state: &AppState,
    u: &SignedIn,
    id: i64,
    r: Result<(), WebError>,
) -> PageResult {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/households/{id}/verification")).into_response()),
        Err(WebError::Invalid(m)) | Err(WebError::Conflict(m)) => {
            let mut r = render_verification(state, u, id, m).await?;
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

async fn authorisation_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    m: Multipart,
) -> PageResult {
    let up = read_upload(m).await?;
    u.check_csrf(&field(&up.fields, "csrf"))?;
    u.require(u.role.can_write_registry())?;
    let (scan_name, scan_type, scan) = up.files.into_iter().next().unwrap_or_default();
    let a = verification::NewAuthorisation {
        signer_name: field(&up.fields, "signer_name"),
        signer_person_id: field(&up.fields, "signer").trim().parse().unwrap_or(0),
        scope: field(&up.fields, "scope"),
        signed_on: field(&up.fields, "signed_on"),
        scan_name,
        scan_type,
        scan,
    };
    let r = verification::record_authorisation(&state.db, &u.scope, &u.actor(), id, &a)
        .await
        .map(|_| ())
        .map_err(WebError::from);
    invalid_or(&state, &u, id, r).await
}

async fn authorisation_scan(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    u.require(u.role.can_reveal_sensitive())?;
    let (name, ty, bytes) = verification::scan(&state.db, &u.scope, &u.actor(), id).await?;
    Ok(inline_file(&name, ty, bytes))
}

#[derive(Deserialize)]
struct VerifyForm {
    csrf: String,
    #[serde(default)]
    authorisation: String,
    #[serde(default)]
    purpose: String,
}

async fn verify_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<VerifyForm>,
) -> PageResult {
    u.check_csrf(&f.csrf)?;
    u.require(u.role.can_write_registry())?;
    let auth: i64 = f.authorisation.parse().unwrap_or(0);
    let r = jiuzhu_app::verification::verify(
        &state.db,
        &u.scope,
        &u.actor(),
        id,
        auth,
        f.purpose.trim(),
        jiuzhu_db::today(),
    )
    .await;
    match r {
        Ok(report) => Ok(Redirect::to(&format!("/verification/{report}")).into_response()),
        Err(e) => invalid_or(&state, &u, id, Err(e.into())).await,
    }
}

pub struct SourceView {
    pub label: String,
    pub columns: Vec<String>,
    pub rows: Vec<(String, Vec<String>)>,
}

pub struct PersonView {
    pub name: String,
    pub id_number: String,
    pub role: String,
    pub sources: Vec<SourceView>,
}

#[derive(Template, WebTemplate)]
#[template(path = "verification_report.html")]
struct ReportTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    stored: verification::Report,
    household_code: String,
    feeds_queried: String,
    persons: Vec<PersonView>,
    contradictions: Vec<(usize, jiuzhu_app::verification::Contradiction)>,
    can_accept: bool,
    message: String,
}

async fn render_report(state: &AppState, u: &SignedIn, id: i64, message: String) -> PageResult {
    u.require(u.role.can_read_registry())?;
    let stored = verification::report(&state.db, &u.scope, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let r: jiuzhu_app::verification::Report =
        serde_json::from_str(&stored.report).map_err(|e| WebError::Internal(e.to_string()))?;
    audit::record(
        &state.db,
        &u.actor(),
        Entry {
            action: "verification.view",
            object_type: "verification_report",
            object_id: id.to_string(),
            household_id: Some(stored.household_id),
            detail: json!({}),
        },
    )
    .await?;
    let persons = r
        .persons
        .iter()
        .map(|p| PersonView {
            name: crate::views::name_for(&p.name, u.role.sees_full_names()),
            id_number: mask_id_str(&p.id_number),
            role: p.role.clone(),
            sources: p
                .sources
                .iter()
                .map(|s| SourceView {
                    label: s.label.clone(),
                    columns: s.columns.clone(),
                    // Every ID and mobile number in a department's row is shown masked,
                    // whatever its column is called.
                    rows: s
                        .rows
                        .iter()
                        .map(|(d, cells)| {
                            (d.clone(), cells.iter().map(|c| mask_ids_in(c)).collect())
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let t = ReportTemplate {
        lang: u.lang,
        title: format!("{} #{id}", u.lang.t("verification_report")),
        nav: Some(nav(state, u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        household_code: r.household_code.clone(),
        feeds_queried: r.feeds_queried.join(", "),
        persons,
        contradictions: r
            .contradictions
            .iter()
            .cloned()
            .map(|mut c| {
                c.name = crate::views::name_for(&c.name, u.role.sees_full_names());
                c
            })
            .enumerate()
            .collect(),
        can_accept: u.role.can_write_registry(),
        stored,
        message,
    };
    Ok(t.into_response())
}

async fn report_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    render_report(&state, &u, id, String::new()).await
}

async fn accept_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    body: String,
) -> PageResult {
    let pairs = form_pairs(&body);
    u.check_csrf(&field(&pairs, "csrf"))?;
    u.require(u.role.can_write_registry())?;
    let picked: Vec<usize> = pairs
        .iter()
        .filter(|(k, _)| k == "finding")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    if picked.is_empty() {
        return render_report(&state, &u, id, "finding: select at least one".into()).await;
    }
    match jiuzhu_app::verification::accept(&state.db, &u.scope, &u.actor(), id, &picked).await {
        Ok(ids) => {
            render_report(
                &state,
                &u,
                id,
                format!("{} {}", u.lang.t("accepted_n"), ids.len()),
            )
            .await
        }
        Err(jiuzhu_app::AppError::Invalid(m)) => render_report(&state, &u, id, m).await,
        Err(e) => Err(e.into()),
    }
}
