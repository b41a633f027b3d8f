//! The JSON API of intake and approval: take an application, read it with its items, list a
//! department's queue, read an item with its events, and act on its current step (with
//! attachments as base64). The same use cases as the pages (`jiuzhu_app::cases`).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use jiuzhu_db::cases;
use jiuzhu_domain::workflow::StepInput;
use jiuzhu_domain::{Money, mask_id_str};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ErrorBody, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/applications", post(create_application))
        .route("/api/v1/applications/{id}", get(get_application))
        .route("/api/v1/cases", get(queue))
        .route("/api/v1/cases/{id}", get(get_case))
        .route("/api/v1/cases/{id}/steps", post(act))
}

#[derive(OpenApi)]
#[openapi(
    paths(create_application, get_application, queue, get_case, act),
    components(schemas(
        ApplicationInput,
        ApplicationOut,
        ItemOut,
        EventOut,
        CaseOut,
        StepBody,
        Attachment
    ))
)]
pub struct CaseDoc;

/// An application taken with the applicant's ID number.
#[derive(Deserialize)]
pub struct ApplicationInput {
    pub id_number: String,
    /// window, online, proxy, discovery or alert.
    pub channel: String,
    /// Program codes; empty with `any` = whatever the prescription finds eligible.
    #[serde(default)]
    pub programs: Vec<String>,
    #[serde(default)]
    pub any: bool,
    pub authorisation: Option<i64>,
    #[serde(default)]
    pub proxy_name: String,
    #[serde(default)]
    pub proxy_id_number: String,
    /// An alert or discovery report this comes from.
    #[serde(default)]
    pub source_ref: String,
    /// The sudden expense behind temporary assistance, yuan (required when asked for).
    pub expense: Option<String>,
    /// The green channel (temporary assistance: aid first, paperwork after).
    #[serde(default)]
    pub urgent: bool,
}

crate::contract::schema_type!(ApplicationInput);
crate::contract::schema_type!(StepBody);

/// An item of an application.
#[derive(Serialize, ToSchema)]
pub struct ItemOut {
    pub id: i64,
    pub program: String,
    pub department: String,
    pub region_code: String,
    /// open, approved, rejected or withdrawn.
    pub status: String,
    pub steps: Vec<String>,
    pub current_step: Option<String>,
    pub deadline: String,
    /// green, amber, red, or done.
    pub deadline_colour: String,
    pub amount: Option<String>,
    pub receipt_sha256: Option<String>,
}

/// An application with its items and one-time notice.
#[derive(Serialize, ToSchema)]
pub struct ApplicationOut {
    pub id: i64,
    pub code: String,
    pub household_id: i64,
    /// Masked.
    pub applicant_id_number: String,
    pub channel: String,
    pub taken_by: String,
    pub notice: Vec<String>,
    pub items: Vec<ItemOut>,
}

fn item_out(
    i: &cases::Item,
    today: chrono::NaiveDate,
    cal: &jiuzhu_domain::calendar::WorkCalendar,
) -> ItemOut {
    ItemOut {
        id: i.id,
        program: i.program.clone(),
        department: i.department.clone(),
        region_code: i.region_code.clone(),
        status: i.status.clone(),
        steps: i.steps.clone(),
        current_step: i.current_step().map(String::from),
        deadline: i.deadline.clone(),
        deadline_colour: crate::case_pages::deadline_colour(i, today, cal).into(),
        amount: i.amount_fen.map(|f| Money::from_fen(f).to_string()),
        receipt_sha256: i.receipt_sha256.clone(),
    }
}

async fn application_out(state: &AppState, id: i64) -> Result<ApplicationOut, WebError> {
    let a = cases::application(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let items = cases::items_of(&state.db, id).await?;
    let today = jiuzhu_db::today();
    let cal = crate::case_pages::calendar(state).await;
    Ok(ApplicationOut {
        id: a.id,
        code: a.code,
        household_id: a.household_id,
        applicant_id_number: mask_id_str(&a.applicant_id_number),
        channel: a.channel,
        taken_by: a.taken_by,
        notice: serde_json::from_str(&a.notice).unwrap_or_default(),
        items: items.iter().map(|i| item_out(i, today, &cal)).collect(),
    })
}

#[utoipa::path(post, path = "/api/v1/applications", request_body = ApplicationInput,
    responses((status = 201, body = ApplicationOut), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_application(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    crate::extract::JsonBody(b): crate::extract::JsonBody<ApplicationInput>,
) -> Result<Response, WebError> {
    let req = jiuzhu_app::cases::ApplicationRequest {
        household: None,
        applicant: Some(jiuzhu_app::cases::Applicant::IdNumber(b.id_number)),
        channel: b.channel,
        proxy_name: b.proxy_name,
        proxy_id_number: b.proxy_id_number,
        source_ref: b.source_ref,
        programs: b.programs,
        any: b.any,
        authorisation: b.authorisation,
        expense: b.expense.unwrap_or_default(),
        urgent: b.urgent,
    };
    let id = jiuzhu_app::cases::take_application(&state.db, &u.acting(), req).await?;
    Ok((
        StatusCode::CREATED,
        Json(application_out(&state, id).await?),
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/v1/applications/{id}", params(("id" = i64, Path)), responses((status = 200, body = ApplicationOut), (status = 404, body = ErrorBody)))]
async fn get_application(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<ApplicationOut>, WebError> {
    u.require(u.role.can_read_registry())?;
    let a = cases::application(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let items = cases::items_of(&state.db, id).await?;
    if a.taken_by != u.user.username && !items.iter().any(|i| u.scope.contains(&i.region_code)) {
        return Err(WebError::NotFound);
    }
    Ok(Json(application_out(&state, id).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct QueueParams {
    #[param(schema_with = crate::contract::department)]
    department: Option<String>,
    /// true: closed items too.
    all: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/cases", params(QueueParams), responses((status = 200, body = Vec<ItemOut>)))]
async fn queue(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<QueueParams>,
) -> Result<Json<Vec<ItemOut>>, WebError> {
    u.require(u.role.can_read_registry())?;
    let departments: Vec<&str> = jiuzhu_domain::workflow::DEPARTMENTS
        .iter()
        .map(|d| d.0)
        .collect();
    crate::contract::check_code("department", q.department.as_deref(), &departments)?;
    let items = cases::queue(
        &state.db,
        &u.scope,
        q.department.as_deref(),
        !q.all.unwrap_or(false),
    )
    .await?;
    let today = jiuzhu_db::today();
    let cal = crate::case_pages::calendar(&state).await;
    Ok(Json(
        items.iter().map(|i| item_out(i, today, &cal)).collect(),
    ))
}

/// An event of an item.
#[derive(Serialize, ToSchema)]
pub struct EventOut {
    pub id: i64,
    pub step: String,
    pub action: String,
    pub data: serde_json::Value,
    pub actor: String,
    pub at: String,
}

/// An item with its history.
#[derive(Serialize, ToSchema)]
pub struct CaseOut {
    pub item: ItemOut,
    pub application_code: String,
    pub events: Vec<EventOut>,
}

#[utoipa::path(get, path = "/api/v1/cases/{id}", params(("id" = i64, Path)), responses((status = 200, body = CaseOut), (status = 404, body = ErrorBody)))]
async fn get_case(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<CaseOut>, WebError> {
    u.require(u.role.can_read_registry())?;
    let jiuzhu_app::cases::CaseRecord { item: i, events } =
        jiuzhu_app::cases::read_case(&state.db, &u.acting(), id).await?;
    let today = jiuzhu_db::today();
    let cal = crate::case_pages::calendar(&state).await;
    Ok(Json(CaseOut {
        application_code: i.application_code.clone(),
        item: item_out(&i, today, &cal),
        events: events
            .into_iter()
            .map(|e| EventOut {
                id: e.id,
                step: e.step,
                action: e.action,
                data: serde_json::from_str(&e.data).unwrap_or_default(),
                actor: e.actor,
                at: e.at,
            })
            .collect(),
    }))
}

/// A file attached to a step.
#[derive(Deserialize, ToSchema)]
pub struct Attachment {
    pub name: String,
    #[serde(default = "octet")]
    pub mime: String,
    /// The file's bytes, base64.
    pub base64: String,
}

fn octet() -> String {
    "application/octet-stream".into()
}

/// An action on the item's current step.
#[derive(Deserialize)]
pub struct StepBody {
    /// The current step (accept, investigate, appraise, verify, review, notice, approve, decide).
    pub step: String,
    /// complete, return or refuse.
    #[serde(default = "complete")]
    pub action: String,
    /// Investigation areas: living, income, property, expenditure, health, housing.
    #[serde(default)]
    pub areas: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub staff: Vec<String>,
    #[serde(default)]
    pub opinion: String,
    /// For return and refuse.
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

fn complete() -> String {
    "complete".into()
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/steps", params(("id" = i64, Path)), request_body = StepBody,
    responses((status = 200, body = ItemOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn act(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    crate::extract::JsonBody(b): crate::extract::JsonBody<StepBody>,
) -> Result<Json<ItemOut>, WebError> {
    let mut files = Vec::new();
    for a in &b.attachments {
        // Lenient about the unused bits of the last character, as the schema's pattern is.
        let engine = base64::engine::GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
        );
        let bytes = engine
            .decode(a.base64.as_bytes())
            .map_err(|e| WebError::Invalid(format!("attachments.{}: not base64: {e}", a.name)))?;
        files.push((a.name.clone(), a.mime.clone(), bytes));
    }
    let input = StepInput {
        areas: b.areas.into_iter().collect(),
        staff: b.staff,
        attachments: Vec::new(),
        opinion: b.opinion,
    };
    let req = jiuzhu_app::cases::StepRequest {
        step: b.step,
        action: b.action,
        input,
        reason: b.reason,
        files,
    };
    let done = jiuzhu_app::cases::act(&state.db, &u.acting(), id, req).await?;
    let cal = crate::case_pages::calendar(&state).await;
    Ok(Json(item_out(&done, jiuzhu_db::today(), &cal)))
}
