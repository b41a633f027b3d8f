//! The JSON API under `/api/v1`, for the same operations as the pages, and its OpenAPI
//! document at `/api/openapi.json`. Authentication: a session cookie (writes then need
//! `X-CSRF-Token`) or `Authorization: Bearer <token>` for machine clients.

use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::views::{AuditView, HouseholdRow, HouseholdView};

mod audit_log;
mod registry;

use audit_log::*;
pub use registry::HouseholdSheet;
use registry::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(openapi_json))
        .route("/api/v1/me", get(me))
        .route(
            "/api/v1/households",
            get(list_households).post(create_household),
        )
        .route(
            "/api/v1/households/{id}",
            get(get_household).put(update_household),
        )
        .route("/api/v1/households/{id}/members", post(add_member))
        .route(
            "/api/v1/households/{id}/members/{person_id}",
            axum::routing::put(update_member),
        )
        .route("/api/v1/households/{id}/evidence", post(record_evidence))
        .route("/api/v1/households/{id}/reveal", post(reveal))
        .route("/api/v1/regions/{code}", get(region))
        .route("/api/v1/audit", get(audit_list))
        .route("/api/v1/audit/verify", get(audit_verify))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "jiuzhu API",
        description = "Registry of households for social assistance. ID and phone numbers are masked in every list; POST /households/{id}/reveal returns one in full and is audited."
    ),
    paths(
        me,
        list_households,
        create_household,
        get_household,
        update_household,
        add_member,
        record_evidence,
        reveal,
        region,
        audit_list,
        audit_verify
    ),
    components(schemas(
        ErrorBody,
        HouseholdRow,
        HouseholdView,
        AuditView,
        Me,
        HouseholdPage,
        HouseholdInput,
        NewHouseholdInput,
        PersonInput,
        MemberInput,
        EvidenceInput,
        RevealInput,
        RevealOutput,
        Created,
        RegionOut,
        RegionChild,
        AuditPage,
        VerifyOut
    ))
)]
pub struct ApiDoc;

async fn openapi_json() -> Response {
    Json(openapi_document()).into_response()
}

/// The OpenAPI document of the whole API. Every operation documents the errors any
/// request can meet before its handler decides (a malformed request, no or a bad
/// sign-in, a role or region that may not, an object not found, a body too large, too
/// many tries), each with the JSON error shape every API error has.
pub fn openapi_document() -> serde_json::Value {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::monitor_api::MonitorDoc::openapi());
    doc.merge(crate::case_api::CaseDoc::openapi());
    doc.merge(crate::import_pages::RosterDoc::openapi());
    let mut v = serde_json::to_value(doc).expect("the OpenAPI document serialises");
    for (name, schema) in crate::contract::bodies() {
        v["components"]["schemas"][name] = schema;
    }
    const ERRORS: [(&str, &str); 10] = [
        (
            "400",
            "malformed request: a body, path or query parameter that cannot be read",
        ),
        ("401", "no valid sign-in or API token"),
        ("403", "the role may not do this"),
        ("404", "not found, or outside the user's region"),
        (
            "409",
            "refused by the registry's state: a step that is not the current one, a duplicate",
        ),
        ("405", "the path does not take this method"),
        ("413", "the body is larger than allowed"),
        ("415", "the body is not of the documented content type"),
        (
            "422",
            "invalid input, the field named: a rule the operation's schema states",
        ),
        ("429", "too many tries"),
    ];
    let error = serde_json::json!({"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}});
    if let Some(paths) = v.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for (path, item) in paths.iter_mut() {
            if path == "/api/openapi.json" {
                continue;
            }
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (method, op) in item.iter_mut() {
                if !["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                    continue;
                }
                let Some(responses) = op.get_mut("responses").and_then(|r| r.as_object_mut())
                else {
                    continue;
                };
                for (code, description) in ERRORS {
                    responses.entry(code).or_insert_with(
                        || serde_json::json!({"description": description, "content": error}),
                    );
                }
            }
        }
    }
    v
}

/// The signed-in user.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub scope_region: String,
}

#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(ApiUser(u): ApiUser) -> Json<Me> {
    Json(Me {
        username: u.user.username,
        display_name: u.user.display_name,
        role: u.role.code().into(),
        scope_region: u.scope_region.to_string(),
    })
}
