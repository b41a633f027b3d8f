//! Regions and the audit log under `/api/v1`.

use axum::Json;
use axum::extract::{Path, Query, State};
use jiuzhu_db::audit::{self};
use jiuzhu_domain::RegionCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ErrorBody, WebError};
use crate::views::AuditView;

/// A child region with its household count.
#[derive(Serialize, ToSchema)]
pub struct RegionChild {
    pub code: String,
    pub name: String,
    pub households: i64,
}

/// A region, its household count and its children.
#[derive(Serialize, ToSchema)]
pub struct RegionOut {
    pub code: String,
    pub name: String,
    pub households: i64,
    pub children: Vec<RegionChild>,
}

#[utoipa::path(get, path = "/api/v1/regions/{code}", params(("code" = String, Path, pattern = "^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})$")),
    responses((status = 200, body = RegionOut), (status = 404, body = ErrorBody)))]
pub(super) async fn region(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(code): Path<String>,
) -> Result<Json<RegionOut>, WebError> {
    u.require(u.role.can_read_registry())?;
    let rc = RegionCode::parse(&code).map_err(|_| WebError::NotFound)?;
    if !u.scope_region.contains(&rc) {
        return Err(WebError::NotFound);
    }
    let r = jiuzhu_db::regions::get(&state.db, rc.as_str())
        .await?
        .ok_or(WebError::NotFound)?;
    let children = jiuzhu_db::regions::children_with_counts(&state.db, Some(rc.as_str()))
        .await?
        .into_iter()
        .map(|c| RegionChild {
            code: c.code,
            name: c.name,
            households: c.households,
        })
        .collect();
    Ok(Json(RegionOut {
        households: jiuzhu_db::regions::household_count(&state.db, rc.as_str()).await?,
        code: r.code,
        name: r.name,
        children,
    }))
}

/// Query of the audit log.
#[derive(Deserialize, IntoParams)]
pub struct AuditParams {
    actor: Option<String>,
    /// Prefix, e.g. `household.`.
    action: Option<String>,
    household_id: Option<i64>,
    #[param(schema_with = crate::contract::page)]
    page: Option<i64>,
}

/// A page of audit rows, newest first.
#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub total: i64,
    pub items: Vec<AuditView>,
}

#[utoipa::path(get, path = "/api/v1/audit", params(AuditParams),
    responses((status = 200, body = AuditPage), (status = 403, body = ErrorBody)))]
pub(super) async fn audit_list(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(p): Query<AuditParams>,
) -> Result<Json<AuditPage>, WebError> {
    u.require(u.role.can_read_audit())?;
    crate::contract::check_page(p.page)?;
    let (rows, total) = audit::search(
        &state.db,
        &audit::Filter {
            actor: p.actor,
            action: p.action,
            household_id: p.household_id,
            limit: 100,
            offset: (p.page.unwrap_or(1).max(1) - 1).saturating_mul(100),
            ..Default::default()
        },
    )
    .await?;
    Ok(Json(AuditPage {
        total,
        items: rows.iter().map(AuditView::from).collect(),
    }))
}

/// The outcome of verifying the audit chain.
#[derive(Serialize, ToSchema)]
pub struct VerifyOut {
    pub rows: i64,
    pub ok: bool,
    pub first_bad_id: Option<i64>,
    pub reason: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/audit/verify", responses((status = 200, body = VerifyOut), (status = 403, body = ErrorBody)))]
pub(super) async fn audit_verify(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
) -> Result<Json<VerifyOut>, WebError> {
    u.require(u.role.can_read_audit())?;
    let v = audit::verify(&state.db).await?;
    let (first_bad_id, reason) = match v.first_bad {
        Some((id, why)) => (Some(id), Some(why)),
        None => (None, None),
    };
    Ok(Json(VerifyOut {
        rows: v.rows,
        ok: v.ok,
        first_bad_id,
        reason,
    }))
}
