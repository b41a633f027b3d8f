//! The audited reveal of a masked field, and the registry's totals.

use super::*;

/// Which sensitive field of a person to show in full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SensitiveField {
    IdNumber,
    Phone,
    BankAccount,
}

impl SensitiveField {
    pub fn code(self) -> &'static str {
        match self {
            SensitiveField::IdNumber => "id_number",
            SensitiveField::Phone => "phone",
            SensitiveField::BankAccount => "bank_account",
        }
    }
}

/// The full value of a sensitive field of a member (or of the household, for the bank
/// account); the read is audited before the value is returned.
pub async fn reveal(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    household_id: i64,
    person_id: Option<i64>,
    field: SensitiveField,
) -> Result<String> {
    let Some(rec) = get(db, scope, household_id).await? else {
        return Err(out_of_scope());
    };
    let value = match (field, person_id) {
        (SensitiveField::BankAccount, _) => rec.household.bank_account.clone(),
        (f, Some(pid)) => {
            let m = rec
                .members
                .iter()
                .find(|m| m.person_id == pid)
                .ok_or_else(|| DbError::NotFound("member".into()))?;
            if f == SensitiveField::IdNumber {
                m.id_number.clone()
            } else {
                m.phone.clone()
            }
        }
        (_, None) => return Err(DbError::Invalid("which person?".into())),
    };
    audit::record(
        db,
        actor,
        Entry::new(
            "sensitive.reveal",
            "person",
            person_id.map(|p| p.to_string()).unwrap_or_default(),
        )
        .household(household_id)
        .detail(json!({"field": field.code(), "household": rec.household.code})),
    )
    .await?;
    Ok(value)
}

/// Registry totals for the home page.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Totals {
    pub households: i64,
    pub persons: i64,
}

pub async fn totals(db: &Db, scope: &Scope) -> Result<Totals> {
    let (lo, hi) = scope.range();
    let r = sqlx::query(
        "SELECT COUNT(DISTINCT h.id), COUNT(m.id) FROM households h
         LEFT JOIN members m ON m.household_id = h.id AND m.valid_to IS NULL
         WHERE h.region_code >= $1 AND h.region_code < $2",
    )
    .bind(lo)
    .bind(hi)
    .fetch_one(db.pool())
    .await?;
    Ok(Totals {
        households: r.try_get(0)?,
        persons: r.try_get(1)?,
    })
}

/// The amount column of a money value, for SQL over evidence.
pub(crate) fn amount_fen(v: &EvidenceValue) -> Option<i64> {
    match v {
        EvidenceValue::Money(m) => Some(m.fen()),
        _ => None,
    }
}
