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
