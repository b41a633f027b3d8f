//! The household's signed authorisation (授权书) to query its data at the departments,
//! recorded with its scan, which is shown only to those who may see sensitive data.

use jiuzhu_db::Db;
use jiuzhu_db::verification::NewAuthorisation;

use crate::{Acting, Result};

/// Records household `household_id`'s signed authorisation, for a user who may write the
/// registry in its region; returns its id. The store checks the signer is a member and the
/// scan is a PDF or an image.
pub async fn record(
    db: &Db,
    acting: &Acting,
    household_id: i64,
    a: &NewAuthorisation,
) -> Result<i64> {
    acting.require(acting.role.can_write_registry(), "write the registry")?;
    Ok(jiuzhu_db::verification::record_authorisation(
        db,
        &acting.scope,
        &acting.actor(),
        household_id,
        a,
    )
    .await?)
}

/// Records the signed authorisation of the household of case item `item_id`, from the case
/// page, for a user who may read the case and write the registry; returns its id.
pub async fn record_for_case(
    db: &Db,
    acting: &Acting,
    item_id: i64,
    a: &NewAuthorisation,
) -> Result<i64> {
    let case = crate::cases::read_case(db, acting, item_id).await?;
    record(db, acting, case.item.household_id, a).await
}

/// The scan of authorisation `id` (name, type, bytes), for a user who may see sensitive
/// data; the store records the read in the audit log.
pub async fn scan(db: &Db, acting: &Acting, id: i64) -> Result<(String, String, Vec<u8>)> {
    acting.require(acting.role.can_reveal_sensitive(), "see sensitive data")?;
    Ok(jiuzhu_db::verification::scan(db, &acting.scope, &acting.actor(), id).await?)
}

/// Who may sign a household's authorisation: its current members, each as (person id,
/// name, masked ID number), for a user who may write the registry in its region.
pub async fn signers(
    db: &Db,
    acting: &Acting,
    household_id: i64,
) -> Result<Vec<(i64, String, String)>> {
    acting.require(acting.role.can_write_registry(), "write the registry")?;
    let rec = jiuzhu_db::households::get(db, &acting.scope, household_id)
        .await?
        .ok_or_else(|| crate::AppError::NotFound("household".into()))?;
    Ok(rec
        .current_members()
        .map(|m| {
            (
                m.person_id,
                m.name.clone(),
                jiuzhu_domain::mask_id_str(&m.id_number),
            )
        })
        .collect())
}

/// Whether item `item` waits at acceptance for the household's signed authorisation: its
/// path verifies the household, its application cites none, and none is recorded.
pub async fn awaited_by(db: &Db, acting: &Acting, item: &jiuzhu_db::cases::Item) -> Result<bool> {
    if item.current_step() != Some("accept")
        || !item.steps.iter().any(|s| s == "verify")
        || !acting.role.can_write_registry()
    {
        return Ok(false);
    }
    let application = jiuzhu_db::cases::application(db, item.application_id).await?;
    if application.is_some_and(|a| a.authorisation_id.is_some()) {
        return Ok(false);
    }
    Ok(
        jiuzhu_db::verification::authorisations(db, &acting.scope, item.household_id)
            .await?
            .is_empty(),
    )
}
