//! Verification (核对): the applicant's signed authorisations and the frozen reports made
//! under them. Department rows are read through `feeds::rows_for_verification` only.

use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::audit::{self, Actor, Entry};
use crate::households::Scope;
use crate::{Db, DbError, Result};

/// An authorisation to record.
#[derive(Clone, Debug)]
pub struct NewAuthorisation {
    pub signer_name: String,
    /// The signer, a current member of the household, by person id: forms carry ids,
    /// never ID numbers.
    pub signer_person_id: i64,
    /// What may be queried, e.g. "members and supporters: income, property".
    pub scope: String,
    pub signed_on: String,
    pub scan_name: String,
    pub scan_type: String,
    pub scan: Vec<u8>,
}

/// A recorded authorisation (without its scan).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorisation {
    pub id: i64,
    pub household_id: i64,
    pub signer_name: String,
    pub signer_id_number: String,
    pub scope: String,
    pub signed_on: String,
    pub scan_name: String,
    pub scan_type: String,
    pub scan_sha256: String,
    pub recorded_at: String,
    pub recorded_by: String,
}

/// The checks of a new authorisation: every field given and within its length, the date a
/// date, the signer a current member, the scan attached; returns the signer's ID number.
fn check_authorisation(
    rec: &crate::households::HouseholdRecord,
    a: &NewAuthorisation,
) -> Result<String> {
    for (field, v) in [
        ("signer_name", &a.signer_name),
        ("scope", &a.scope),
        ("signed_on", &a.signed_on),
    ] {
        if v.trim().is_empty() {
            let label = match field {
                "signer_name" => "签署人姓名",
                "scope" => "授权范围",
                _ => "签署日期",
            };
            return Err(DbError::invalid(
                field,
                "required",
                format!("请填写{label}"),
            ));
        }
    }
    crate::limit(
        "signer_name",
        &a.signer_name,
        jiuzhu_domain::limits::NAME_CHARS,
    )?;
    crate::limit("scope", &a.scope, jiuzhu_domain::limits::LINE_CHARS)?;
    crate::limit("scan_name", &a.scan_name, jiuzhu_domain::limits::LINE_CHARS)?;
    if chrono::NaiveDate::parse_from_str(&a.signed_on, "%Y-%m-%d").is_err() {
        return Err(DbError::invalid(
            "signed_on",
            format!("not a date (YYYY-MM-DD): {:?}", a.signed_on),
            format!("签署日期“{}”不是日期（格式 2026-01-31）", a.signed_on),
        ));
    }
    let Some(signer) = rec
        .current_members()
        .find(|m| m.person_id == a.signer_person_id)
    else {
        return Err(DbError::invalid(
            "signer",
            "the signer must be a current member of the household",
            "签署人须是该户现有家庭成员",
        ));
    };
    if a.scan.is_empty() {
        return Err(DbError::invalid(
            "scan",
            "attach the scan of the signed form",
            "请上传签字授权书的扫描件或照片",
        ));
    }
    Ok(signer.id_number.clone())
}

/// Records a signed authorisation with the scan of the form. Every field is required; the
/// signer must be a current member of the household.
pub async fn record_authorisation(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    household_id: i64,
    a: &NewAuthorisation,
) -> Result<i64> {
    let Some(rec) = crate::households::get(db, scope, household_id).await? else {
        return Err(DbError::NotFound("household".into()));
    };
    let signer_id_number = check_authorisation(&rec, a)?;
    let sha = hex::encode(Sha256::digest(&a.scan));
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO authorisations (household_id, signer_name, signer_id_number, scope, signed_on,
                                     scan_name, scan_type, scan_sha256, scan, recorded_at, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(household_id)
    .bind(a.signer_name.trim())
    .bind(&signer_id_number)
    .bind(a.scope.trim())
    .bind(&a.signed_on)
    .bind(&a.scan_name)
    .bind(&a.scan_type)
    .bind(&sha)
    .bind(a.scan.clone())
    .bind(crate::now_text())
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry::new("authorisation.record", "authorisation", id)
            .household(household_id)
            .detail(
                json!({"signer": a.signer_name, "scope": a.scope, "signed_on": a.signed_on,
                           "scan": a.scan_name, "scan_sha256": sha}),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

const AUTH_COLUMNS: &str = "id, household_id, signer_name, signer_id_number, scope, signed_on, scan_name, scan_type, scan_sha256, recorded_at, recorded_by";

fn auth_of(r: &sqlx::any::AnyRow) -> Result<Authorisation> {
    Ok(Authorisation {
        id: r.try_get(0)?,
        household_id: r.try_get(1)?,
        signer_name: r.try_get(2)?,
        signer_id_number: r.try_get(3)?,
        scope: r.try_get(4)?,
        signed_on: r.try_get(5)?,
        scan_name: r.try_get(6)?,
        scan_type: r.try_get(7)?,
        scan_sha256: r.try_get(8)?,
        recorded_at: r.try_get(9)?,
        recorded_by: r.try_get(10)?,
    })
}

/// A household's authorisations, newest first.
pub async fn authorisations(
    db: &Db,
    scope: &Scope,
    household_id: i64,
) -> Result<Vec<Authorisation>> {
    if crate::households::get(db, scope, household_id)
        .await?
        .is_none()
    {
        return Err(DbError::NotFound("household".into()));
    }
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {AUTH_COLUMNS} FROM authorisations WHERE household_id = $1 ORDER BY id DESC"
    )))
    .bind(household_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(auth_of)
    .collect()
}

/// The scan of an authorisation (name, type, bytes); the read is audited.
pub async fn scan(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
) -> Result<(String, String, Vec<u8>)> {
    let row = sqlx::query(
        "SELECT household_id, scan_name, scan_type, scan FROM authorisations WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| DbError::NotFound("authorisation".into()))?;
    let hh: i64 = row.try_get(0)?;
    if crate::households::get(db, scope, hh).await?.is_none() {
        return Err(DbError::NotFound("authorisation".into()));
    }
    audit::record(
        db,
        actor,
        Entry::new("authorisation.scan", "authorisation", id).household(hh),
    )
    .await?;
    Ok((row.try_get(1)?, row.try_get(2)?, row.try_get(3)?))
}

/// A frozen report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub id: i64,
    pub household_id: i64,
    pub authorisation_id: i64,
    pub purpose: String,
    pub as_of: String,
    pub report: String,
    pub sha256: String,
    pub created_at: String,
    pub created_by: String,
}

/// Freezes a report (JSON) with its SHA-256.
pub async fn save_report(
    db: &Db,
    actor: &Actor,
    household_id: i64,
    authorisation_id: i64,
    purpose: &str,
    as_of: &str,
    report: &str,
) -> Result<i64> {
    let sha = hex::encode(Sha256::digest(report.as_bytes()));
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO verification_reports (household_id, authorisation_id, purpose, as_of, report,
                                           sha256, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(household_id)
    .bind(authorisation_id)
    .bind(purpose)
    .bind(as_of)
    .bind(report)
    .bind(&sha)
    .bind(crate::now_text())
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry::new("verification.report", "verification_report", id)
            .household(household_id)
            .detail(json!({"authorisation": authorisation_id, "purpose": purpose, "sha256": sha})),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

const REPORT_COLUMNS: &str =
    "id, household_id, authorisation_id, purpose, as_of, report, sha256, created_at, created_by";

fn report_of(r: &sqlx::any::AnyRow) -> Result<Report> {
    Ok(Report {
        id: r.try_get(0)?,
        household_id: r.try_get(1)?,
        authorisation_id: r.try_get(2)?,
        purpose: r.try_get(3)?,
        as_of: r.try_get(4)?,
        report: r.try_get(5)?,
        sha256: r.try_get(6)?,
        created_at: r.try_get(7)?,
        created_by: r.try_get(8)?,
    })
}

/// A household's reports, newest first.
pub async fn reports(db: &Db, scope: &Scope, household_id: i64) -> Result<Vec<Report>> {
    if crate::households::get(db, scope, household_id)
        .await?
        .is_none()
    {
        return Err(DbError::NotFound("household".into()));
    }
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {REPORT_COLUMNS} FROM verification_reports WHERE household_id = $1 ORDER BY id DESC"
    )))
    .bind(household_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(report_of)
    .collect()
}

/// One report, if its household is inside `scope`.
pub async fn report(db: &Db, scope: &Scope, id: i64) -> Result<Option<Report>> {
    let Some(r) = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {REPORT_COLUMNS} FROM verification_reports WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .as_ref()
    .map(report_of)
    .transpose()?
    else {
        return Ok(None);
    };
    if crate::households::get(db, scope, r.household_id)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    Ok(Some(r))
}
