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

/// The scan of authorisation `id` (name, type, bytes), for a user who may see sensitive
/// data; the store records the read in the audit log.
pub async fn scan(db: &Db, acting: &Acting, id: i64) -> Result<(String, String, Vec<u8>)> {
    acting.require(acting.role.can_reveal_sensitive(), "see sensitive data")?;
    Ok(jiuzhu_db::verification::scan(db, &acting.scope, &acting.actor(), id).await?)
}
