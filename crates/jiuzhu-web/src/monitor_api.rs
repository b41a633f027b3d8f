//! The JSON API of monitoring: alerts (list, read, steps, bulk assignment), rule statistics
//! and runs, feed types and snapshots (a department system pushes a file as a snapshot),
//! and verification under authorisation. Same rules and scopes as the pages.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jiuzhu_db::feeds as dbfeeds;
use jiuzhu_db::monitoring::{self, AlertFilter};
use jiuzhu_domain::mask_id_str;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ErrorBody, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/alerts", get(list_alerts))
        .route("/api/v1/alerts/assign", post(assign_alerts))
        .route("/api/v1/alerts/{id}", get(get_alert))
        .route("/api/v1/alerts/{id}/steps", post(alert_step))
        .route("/api/v1/rules", get(rule_stats))
        .route("/api/v1/monitor/runs", post(run_rules))
        .route("/api/v1/feeds/types", get(feed_types))
        .route(
            "/api/v1/feeds/{feed}/snapshots",
            get(list_snapshots)
                .post(push_snapshot)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::forms::UPLOAD_LIMIT,
                )),
        )
        .route("/api/v1/households/{id}/verifications", post(verify))
        .route("/api/v1/verifications/{id}", get(get_report))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        list_alerts,
        assign_alerts,
        get_alert,
        alert_step,
        rule_stats,
        run_rules,
        feed_types,
        list_snapshots,
        push_snapshot,
        verify,
        get_report
    ),
    components(schemas(
        AlertOut,
        AlertPage,
        StepInput,
        AssignInput,
        Changed,
        RuleStatsOut,
        RunInput,
        RunOut,
        FeedTypeOut,
        SnapshotOut,
        VerifyInput,
        ReportOut
    ))
)]
pub struct MonitorDoc;

/// An alert; a person's ID number is masked.
#[derive(Serialize, ToSchema)]
pub struct AlertOut {
    pub id: i64,
    pub rule: String,
    pub subject_kind: String,
    pub subject: String,
    pub finding: String,
    pub household_id: Option<i64>,
    pub region_code: String,
    pub month: String,
    pub severity: String,
    pub action: String,
    /// new, assigned, investigating or closed.
    pub status: String,
    pub assignee: Option<String>,
    pub deadline: String,
    pub overdue: bool,
    pub outcome: Option<String>,
    pub note: String,
}

fn alert_out(a: monitoring::Alert, today: &str) -> AlertOut {
    AlertOut {
        overdue: a.overdue(today),
        subject: if a.subject_kind == "person" {
            mask_id_str(&a.subject)
        } else {
            a.subject
        },
        id: a.id,
        rule: a.rule,
        subject_kind: a.subject_kind,
        finding: a.finding,
        household_id: a.household_id,
        region_code: a.region_code,
        month: a.month,
        severity: a.severity,
        action: a.action,
        status: a.status,
        assignee: a.assignee,
        deadline: a.deadline,
        outcome: a.outcome,
        note: a.note,
    }
}

#[derive(Deserialize, IntoParams)]
pub struct AlertParams {
    #[param(schema_with = crate::contract::region)]
    region: Option<String>,
    #[param(schema_with = crate::contract::alert_status)]
    status: Option<String>,
    rule: Option<String>,
    assignee: Option<String>,
    /// true: only open alerts past their deadline.
    overdue: Option<bool>,
    /// 1-based page of 100.
    #[param(schema_with = crate::contract::page)]
    page: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct AlertPage {
    pub total: i64,
    pub alerts: Vec<AlertOut>,
}

#[utoipa::path(get, path = "/api/v1/alerts", params(AlertParams), responses((status = 200, body = AlertPage), (status = 403, body = ErrorBody)))]
async fn list_alerts(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(p): Query<AlertParams>,
) -> Result<Json<AlertPage>, WebError> {
    u.require(u.role.can_read_alerts())?;
    let today = jiuzhu_db::today().to_string();
    crate::contract::check_page(p.page)?;
    crate::contract::check_region(p.region.as_deref())?;
    crate::contract::check_code("status", p.status.as_deref(), monitoring::STATUSES)?;
    let (alerts, total) = monitoring::alerts(
        &state.db,
        &u.scope,
        &AlertFilter {
            region: p.region,
            status: p.status,
            rule: p.rule,
            assignee: p.assignee,
            overdue_on: p.overdue.unwrap_or(false).then(|| today.clone()),
            household_id: None,
            page: p.page.unwrap_or(1).max(1) - 1,
            per_page: 100,
        },
    )
    .await?;
    Ok(Json(AlertPage {
        total,
        alerts: alerts.into_iter().map(|a| alert_out(a, &today)).collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/alerts/{id}", params(("id" = i64, Path)), responses((status = 200, body = AlertOut), (status = 404, body = ErrorBody)))]
async fn get_alert(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<AlertOut>, WebError> {
    let (a, _) = jiuzhu_app::alerts::view_alert(&state.db, &u.acting(), id, false).await?;
    Ok(Json(alert_out(a, &jiuzhu_db::today().to_string())))
}

/// One step of an alert's life.
#[derive(Deserialize)]
pub struct StepInput {
    /// assign, investigate or close.
    pub step: String,
    pub assignee: Option<String>,
    /// For close: assistance_started, benefit_adjusted, suspended, no_change or false_alarm.
    pub outcome: Option<String>,
    pub note: Option<String>,
}

crate::contract::schema_type!(StepInput);

/// How many records changed.
#[derive(Serialize, ToSchema)]
pub struct Changed {
    pub changed: usize,
}

#[utoipa::path(post, path = "/api/v1/alerts/{id}/steps", params(("id" = i64, Path)), request_body = StepInput,
    responses((status = 200, body = Changed), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn alert_step(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    crate::extract::JsonBody(b): crate::extract::JsonBody<StepInput>,
) -> Result<Json<Changed>, WebError> {
    let step = jiuzhu_app::alerts::AlertStep {
        step: b.step,
        assignee: b.assignee.unwrap_or_default(),
        outcome: b.outcome.unwrap_or_default(),
        note: b.note.unwrap_or_default(),
    };
    let n = jiuzhu_app::alerts::advance(&state.db, &u.acting(), &[id], step).await?;
    Ok(Json(Changed { changed: n }))
}

/// Alerts to assign, all or none.
#[derive(Deserialize, ToSchema)]
pub struct AssignInput {
    #[schema(min_items = 1, max_items = 1000)]
    pub ids: Vec<i64>,
    #[schema(schema_with = crate::contract::name)]
    pub assignee: String,
}

#[utoipa::path(post, path = "/api/v1/alerts/assign", request_body = AssignInput,
    responses((status = 200, body = Changed), (status = 422, body = ErrorBody)))]
async fn assign_alerts(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    crate::extract::JsonBody(b): crate::extract::JsonBody<AssignInput>,
) -> Result<Json<Changed>, WebError> {
    let n = jiuzhu_app::alerts::assign(&state.db, &u.acting(), &b.ids, &b.assignee).await?;
    Ok(Json(Changed { changed: n }))
}

/// A rule's alerts in the caller's scope.
#[derive(Serialize, ToSchema)]
pub struct RuleStatsOut {
    pub rule: String,
    pub raised: i64,
    pub open: i64,
    pub closed: i64,
    pub false_alarms: i64,
    /// False alarms per thousand closed alerts; null before any is closed.
    pub false_alarm_permille: Option<i64>,
    pub overdue: i64,
}

#[utoipa::path(get, path = "/api/v1/rules", responses((status = 200, body = Vec<RuleStatsOut>)))]
async fn rule_stats(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
) -> Result<Json<Vec<RuleStatsOut>>, WebError> {
    u.require(u.role.can_read_alerts())?;
    let stats =
        monitoring::rule_stats(&state.db, &u.scope, &jiuzhu_db::today().to_string()).await?;
    Ok(Json(
        stats
            .into_iter()
            .map(|s| RuleStatsOut {
                false_alarm_permille: s.false_alarm_permille(),
                rule: s.rule,
                raised: s.raised,
                open: s.open,
                closed: s.closed,
                false_alarms: s.false_alarms,
                overdue: s.overdue,
            })
            .collect(),
    ))
}

/// A month to run the standard rule set for.
#[derive(Deserialize, ToSchema)]
pub struct RunInput {
    /// YYYY-MM.
    #[schema(schema_with = crate::contract::month)]
    pub month: String,
}

#[derive(Serialize, ToSchema)]
pub struct RunOut {
    pub run_id: i64,
    pub population: usize,
    pub findings: usize,
    pub new_alerts: i64,
    pub grants_proposed: usize,
}

#[utoipa::path(post, path = "/api/v1/monitor/runs", request_body = RunInput,
    responses((status = 201, body = RunOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn run_rules(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    crate::extract::JsonBody(b): crate::extract::JsonBody<RunInput>,
) -> Result<Response, WebError> {
    u.require(u.role.can_admin_monitoring())?;
    let month = jiuzhu_monitor::Month::parse(b.month.trim())?;
    let set = jiuzhu_monitor::load_rule_set("standard")?;
    let (r, granted) = jiuzhu_app::grants::run_month(
        &state.db,
        &u.actor(),
        &set,
        month,
        "manual",
        jiuzhu_db::today(),
        &crate::case_pages::calendar(&state).await,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(RunOut {
            run_id: r.run_id,
            population: r.population,
            findings: r.findings,
            new_alerts: r.new_alerts,
            grants_proposed: granted,
        }),
    )
        .into_response())
}

/// A feed type and its columns (`name:type`).
#[derive(Serialize, ToSchema)]
pub struct FeedTypeOut {
    pub name: String,
    pub label_zh: String,
    pub label_en: String,
    pub department: String,
    pub kind: String,
    pub id_column: String,
    pub columns: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/feeds/types", responses((status = 200, body = Vec<FeedTypeOut>)))]
async fn feed_types(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
) -> Result<Json<Vec<FeedTypeOut>>, WebError> {
    u.require(u.role.can_import_feeds() || u.role.can_read_alerts())?;
    Ok(Json(
        jiuzhu_app::monitoring::feed_types(&state.db)
            .await?
            .into_iter()
            .map(|t| FeedTypeOut {
                columns: t
                    .columns
                    .iter()
                    .map(|c| format!("{}:{}", c.name, c.ty.code()))
                    .collect(),
                name: t.name,
                label_zh: t.label_zh,
                label_en: t.label_en,
                department: t.department,
                kind: t.kind,
                id_column: t.id_column,
            })
            .collect(),
    ))
}

/// A stored snapshot with its refused rows.
#[derive(Serialize, ToSchema)]
pub struct SnapshotOut {
    pub id: i64,
    pub feed_type: String,
    pub as_of: String,
    pub file_name: String,
    pub format: String,
    pub rows: i64,
    pub refused: i64,
    pub sha256: String,
    pub imported_at: String,
    pub imported_by: String,
    /// Each refused row as `file:line: column: reason`.
    pub refused_rows: Vec<String>,
}

fn snapshot_out(s: dbfeeds::Snapshot) -> SnapshotOut {
    let refused: Vec<jiuzhu_monitor::feeds::RowError> =
        serde_json::from_str(&s.report).unwrap_or_default();
    SnapshotOut {
        id: s.id,
        feed_type: s.feed_type,
        as_of: s.as_of,
        file_name: s.file_name,
        format: s.format,
        rows: s.row_count,
        refused: s.rejected,
        sha256: s.sha256,
        imported_at: s.imported_at,
        imported_by: s.imported_by,
        refused_rows: refused.iter().map(ToString::to_string).collect(),
    }
}

#[utoipa::path(get, path = "/api/v1/feeds/{feed}/snapshots", params(("feed" = String, Path)), responses((status = 200, body = Vec<SnapshotOut>)))]
async fn list_snapshots(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(feed): Path<String>,
) -> Result<Json<Vec<SnapshotOut>>, WebError> {
    u.require(u.role.can_import_feeds() || u.role.can_read_alerts())?;
    dbfeeds::feed_type(&state.db, &feed)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(Json(
        dbfeeds::snapshots(&state.db, Some(&feed))
            .await?
            .into_iter()
            .map(snapshot_out)
            .collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
pub struct PushParams {
    /// The extract's date, YYYY-MM-DD.
    #[param(format = Date, example = "2026-12-01")]
    as_of: String,
    /// The file's name, whose extension gives the format (.csv, .xlsx, .parquet).
    #[param(
        max_length = 200,
        pattern = r"^[^/\\]+\.(csv|xlsx|parquet|CSV|XLSX|Parquet)$",
        example = "medical-2026-11.csv"
    )]
    file_name: String,
}

#[utoipa::path(post, path = "/api/v1/feeds/{feed}/snapshots", params(("feed" = String, Path), PushParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the file's bytes"),
    responses((status = 201, body = SnapshotOut), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn push_snapshot(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(feed): Path<String>,
    Query(p): Query<PushParams>,
    body: Bytes,
) -> Result<Response, WebError> {
    u.require(u.role.can_import_feeds())?;
    let ext = std::path::Path::new(&p.file_name)
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let tmp = std::env::temp_dir().join(format!(
        "jiuzhu-push-{}-{}.{ext}",
        std::process::id(),
        crate::auth::new_token()
    ));
    std::fs::write(&tmp, &body).map_err(|e| WebError::Internal(e.to_string()))?;
    let r = jiuzhu_app::monitoring::import_feed(
        &state.db,
        &u.actor(),
        &crate::feed_importer(&u),
        &feed,
        &p.as_of,
        &tmp,
        Some(&p.file_name),
    )
    .await;
    let _ = std::fs::remove_file(&tmp);
    let r = r?;
    let s = dbfeeds::snapshot(&state.db, r.snapshot_id)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok((StatusCode::CREATED, Json(snapshot_out(s))).into_response())
}

/// A verification request under a recorded authorisation.
#[derive(Deserialize, ToSchema)]
pub struct VerifyInput {
    #[schema(minimum = 1)]
    pub authorisation: i64,
    #[schema(schema_with = crate::contract::line_required)]
    pub purpose: String,
}

/// A frozen verification report; ID numbers masked.
#[derive(Serialize, ToSchema)]
pub struct ReportOut {
    pub id: i64,
    pub household_id: i64,
    pub authorisation_id: i64,
    pub purpose: String,
    pub as_of: String,
    pub sha256: String,
    /// What contradicts the declared evidence (zh).
    pub contradictions: Vec<String>,
    /// Per person (masked ID number): the feeds with rows about them.
    #[schema(schema_with = crate::contract::found_feeds)]
    pub found: Vec<(String, Vec<String>)>,
}

#[utoipa::path(post, path = "/api/v1/households/{id}/verifications", params(("id" = i64, Path)), request_body = VerifyInput,
    responses((status = 201, body = ReportOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn verify(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    crate::extract::JsonBody(b): crate::extract::JsonBody<VerifyInput>,
) -> Result<Response, WebError> {
    u.require(u.role.can_write_registry())?;
    let report = jiuzhu_app::verification::verify(
        &state.db,
        &u.scope,
        &u.actor(),
        id,
        b.authorisation,
        b.purpose.trim(),
        jiuzhu_db::today(),
    )
    .await?;
    let out = report_out(&state, &u, report).await?;
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

async fn report_out(
    state: &AppState,
    u: &crate::auth::SignedIn,
    id: i64,
) -> Result<ReportOut, WebError> {
    let (stored, r) = jiuzhu_app::verification::view_report(&state.db, &u.acting(), id).await?;
    Ok(ReportOut {
        id,
        household_id: stored.household_id,
        authorisation_id: stored.authorisation_id,
        purpose: stored.purpose,
        as_of: stored.as_of,
        sha256: stored.sha256,
        contradictions: r
            .contradictions
            .iter()
            .map(|c| c.message_zh.clone())
            .collect(),
        found: r
            .persons
            .iter()
            .map(|p| {
                (
                    mask_id_str(&p.id_number),
                    p.sources.iter().map(|s| s.feed.clone()).collect(),
                )
            })
            .collect(),
    })
}

#[utoipa::path(get, path = "/api/v1/verifications/{id}", params(("id" = i64, Path)), responses((status = 200, body = ReportOut), (status = 404, body = ErrorBody)))]
async fn get_report(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<ReportOut>, WebError> {
    u.require(u.role.can_read_registry())?;
    Ok(Json(report_out(&state, &u, id).await?))
}
