//! One-door intake (一门受理, 一证通办): an applicant's ID number finds their household
//! wherever it is registered, and the application's items go to that household's region.
//! These are the only reads of the registry outside the reader's region that a request may
//! make, and each returns just the one household that a typed ID number (or an item or
//! application already admitted) names; the web holds no unscoped store handle.

use jiuzhu_db::Db;
use jiuzhu_db::households::{self, HouseholdRecord, Scope, SearchQuery};
use jiuzhu_db::verification::{self, Authorisation};

use crate::Result;

/// The household one of whose current members holds `id_number`, wherever registered.
pub async fn household_by_id_number(db: &Db, id_number: &str) -> Result<Option<HouseholdRecord>> {
    let (rows, _) = households::search(
        db,
        &Scope::everything(),
        &SearchQuery {
            id_number: Some(id_number.to_string()),
            limit: 1,
            ..Default::default()
        },
    )
    .await?;
    match rows.first() {
        Some(h) => household(db, h.id).await,
        None => Ok(None),
    }
}

/// A household named by an intake form or by an item: the household an application is
/// taken for may lie outside the clerk's region (首问负责: the clerk who takes it follows it).
pub async fn household(db: &Db, household_id: i64) -> Result<Option<HouseholdRecord>> {
    Ok(households::get(db, &Scope::everything(), household_id).await?)
}

/// The household's recorded authorisations (授权书), which an application may cite.
pub async fn authorisations(db: &Db, household_id: i64) -> Result<Vec<Authorisation>> {
    Ok(verification::authorisations(db, &Scope::everything(), household_id).await?)
}

/// The ID number of the head (else the first current member) of the household an alert
/// in `acting`'s region is about, for a clerk who takes an application from the alert:
/// seeing it in full is audited.
pub async fn applicant_from_alert(
    db: &Db,
    acting: &crate::Acting,
    alert_id: i64,
) -> Result<String> {
    acting.require(acting.role.can_write_registry(), "take applications")?;
    let not_found = || crate::AppError::NotFound("alert".into());
    let alert = jiuzhu_db::monitoring::alert(db, &acting.scope, alert_id)
        .await?
        .ok_or_else(not_found)?;
    let hh = alert.household_id.ok_or_else(not_found)?;
    let rec = households::get(db, &acting.scope, hh)
        .await?
        .ok_or_else(not_found)?;
    let head = rec
        .current_members()
        .find(|m| m.relation == "head")
        .or_else(|| rec.current_members().next())
        .ok_or_else(not_found)?;
    jiuzhu_db::audit::record(
        db,
        &acting.actor(),
        jiuzhu_db::audit::Entry::new("intake.from_alert", "alert", alert_id)
            .household(hh)
            .detail(serde_json::json!({"person_id": head.person_id})),
    )
    .await?;
    Ok(head.id_number.clone())
}
