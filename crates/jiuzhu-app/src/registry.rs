//! The registry's form checks: evidence as typed in a form or sent to the API, parsed into
//! what the store records, every refusal naming its field.

use chrono::NaiveDate;
use jiuzhu_db::households::{NewEvidence, Subject};
use jiuzhu_domain::{EvidenceKind, EvidenceSource};

use crate::{AppError, Result};

/// A date as typed, or today when left empty.
pub fn date_or_today(s: &str) -> Result<NaiveDate> {
    if s.trim().is_empty() {
        Ok(jiuzhu_db::today())
    } else {
        jiuzhu_domain::parse_date(s.trim()).map_err(|e| AppError::Invalid(e.to_string()))
    }
}

/// Parses evidence as typed in a form or sent to the API: `subject` is `household` or a
/// person id; the value is checked against its kind.
pub fn parse_evidence(
    subject: &str,
    kind: &str,
    value: &str,
    source: &str,
    valid_from: &str,
    note: &str,
) -> Result<NewEvidence> {
    let kind = EvidenceKind::parse(kind).map_err(|e| AppError::Invalid(e.to_string()))?;
    let value = kind
        .validate_value(value)
        .map_err(|m| AppError::Invalid(format!("{}: {m}", kind.code())))?;
    let source = EvidenceSource::parse(source).map_err(|e| AppError::Invalid(e.to_string()))?;
    let subject = match subject {
        "household" => Subject::Household,
        s => Subject::Person(
            s.parse()
                .map_err(|_| AppError::Invalid("subject: household or a person id".into()))?,
        ),
    };
    Ok(NewEvidence {
        subject,
        kind,
        value,
        source,
        valid_from: date_or_today(valid_from)?,
        note: note.trim().to_string(),
    })
}

/// A household as one user may see it: names masked for a role that may not see them in
/// full, as of a date or now, with its region's names from the province down.
pub struct HouseholdShown {
    /// The household now (for the forms and the history).
    pub now: jiuzhu_db::households::HouseholdRecord,
    /// The household as it stood on `as_of` (the same as `now` without a date).
    pub shown: jiuzhu_db::households::HouseholdRecord,
    pub as_of: Option<NaiveDate>,
    /// The names of its region and the regions above, from the top.
    pub path: Vec<String>,
}

/// Reads household `id` in `acting`'s region for a user who may read the registry. Reading
/// a household's members, incomes and health is a read of sensitive data: it is audited,
/// with the date asked for and where the read came from (`via`: the page or the API).
pub async fn view_household(
    db: &jiuzhu_db::Db,
    acting: &crate::Acting,
    id: i64,
    as_of: Option<NaiveDate>,
    via: Option<&str>,
) -> Result<HouseholdShown> {
    acting.require(acting.role.can_read_registry(), "read the registry")?;
    let mut now = jiuzhu_db::households::get(db, &acting.scope, id)
        .await?
        .ok_or_else(|| AppError::NotFound("household".into()))?;
    if !acting.role.sees_full_names() {
        for m in &mut now.members {
            m.name = jiuzhu_domain::mask_name(&m.name);
        }
        for s in &mut now.supporters {
            s.name = jiuzhu_domain::mask_name(&s.name);
        }
    }
    let mut detail = serde_json::json!({"as_of": as_of.map(|d| d.to_string())});
    if let Some(via) = via {
        detail["via"] = via.into();
    }
    jiuzhu_db::audit::record(
        db,
        &acting.actor(),
        jiuzhu_db::audit::Entry {
            action: "household.view",
            object_type: "household",
            object_id: now.household.code.clone(),
            household_id: Some(id),
            detail,
        },
    )
    .await?;
    let shown = match as_of {
        Some(d) => now.as_of(d),
        None => now.clone(),
    };
    let path = jiuzhu_db::regions::path(db, &shown.household.region_code)
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect();
    Ok(HouseholdShown {
        now,
        shown,
        as_of,
        path,
    })
}

/// Records that a list of households left the platform as a file: what was asked for and
/// how many rows were written.
pub async fn record_export(
    db: &jiuzhu_db::Db,
    acting: &crate::Acting,
    action: &'static str,
    detail: serde_json::Value,
) -> crate::Result<()> {
    jiuzhu_db::audit::record(
        db,
        &acting.actor(),
        jiuzhu_db::audit::Entry {
            action,
            object_type: "household_list",
            object_id: String::new(),
            household_id: None,
            detail,
        },
    )
    .await?;
    Ok(())
}
