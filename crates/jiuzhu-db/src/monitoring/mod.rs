//! The monitored population (households' assistance categories and main labourers),
//! monitoring runs and alerts (预警) worked from new to closed.

mod alerts;
mod grants;
mod runs;

pub use self::alerts::*;
pub use self::grants::*;
pub use self::runs::*;

use std::collections::HashMap;

use serde_json::json;
use sqlx::{AssertSqlSafe, Row};

use crate::audit::{self, Actor, Entry};
use crate::households::Scope;
use crate::{Db, DbError, Result};

/// Assistance categories of the monitored population (救助类别).
pub const CATEGORIES: &[&str] = &["dibao", "edge", "tekun", "lowinc", "monitored"];

/// Ends the household's current category on `end_on` and, when `new` is given, starts it
/// from `from`. The one place the dated category changes (inside the caller's transaction).
pub(crate) async fn replace_category(
    tx: &mut crate::Tx,
    household_id: i64,
    end_on: &str,
    new: Option<(&str, &str)>,
    recorded_by: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE assistance_status SET valid_to = $1 WHERE household_id = $2 AND valid_to IS NULL",
    )
    .bind(end_on)
    .bind(household_id)
    .execute(&mut **tx)
    .await?;
    if let Some((category, from)) = new {
        sqlx::query(
            "INSERT INTO assistance_status (household_id, category, valid_from, recorded_at, recorded_by)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(household_id)
        .bind(category)
        .bind(from)
        .bind(crate::now_text())
        .bind(recorded_by)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Sets a household's category from `from` (ending the current one), or ends it (`None`).
pub async fn set_category(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    household_id: i64,
    category: Option<&str>,
    from: &str,
) -> Result<()> {
    if crate::households::get(db, scope, household_id)
        .await?
        .is_none()
    {
        return Err(DbError::NotFound("household".into()));
    }
    if let Some(c) = category
        && !CATEGORIES.contains(&c)
    {
        return Err(DbError::Invalid(format!(
            "category: {c:?} is not one of {}",
            CATEGORIES.join(", ")
        )));
    }
    let mut tx = db.begin_write().await?;
    replace_category(
        &mut tx,
        household_id,
        from,
        category.map(|c| (c, from)),
        &actor.name,
    )
    .await?;
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry::new("household.category", "household", household_id)
            .household(household_id)
            .detail(json!({"category": category, "from": from})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A household's current category, if any.
pub async fn category_of(db: &Db, household_id: i64) -> Result<Option<String>> {
    Ok(sqlx::query(
        "SELECT category FROM assistance_status WHERE household_id = $1 AND valid_to IS NULL",
    )
    .bind(household_id)
    .fetch_optional(db.pool())
    .await?
    .map(|r| r.try_get(0))
    .transpose()?)
}

/// Marks a current member as the household's main labourer (and no one else).
pub async fn set_main_laborer(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    household_id: i64,
    person_id: Option<i64>,
) -> Result<()> {
    let Some(rec) = crate::households::get(db, scope, household_id).await? else {
        return Err(DbError::NotFound("household".into()));
    };
    if let Some(p) = person_id
        && !rec.current_members().any(|m| m.person_id == p)
    {
        return Err(DbError::Invalid("person: not a current member".into()));
    }
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE members SET main_laborer = CASE WHEN person_id = $1 THEN 1 ELSE 0 END
         WHERE household_id = $2 AND valid_to IS NULL",
    )
    .bind(person_id.unwrap_or(-1))
    .bind(household_id)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry::new("household.main_laborer", "household", household_id)
            .household(household_id)
            .detail(json!({"person_id": person_id})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets categories and main labourers of many households at once (demo and roster loads):
/// `(household code, category, main labourer's ID number)`. One transaction, one audit row.
pub async fn enrol_bulk(
    db: &Db,
    actor: &Actor,
    from: &str,
    rows: &[(String, String, Option<String>)],
) -> Result<usize> {
    let mut tx = db.begin_write().await?;
    let mut n = 0;
    for (code, category, laborer) in rows {
        let hh = sqlx::query("SELECT id FROM households WHERE code = $1")
            .bind(code)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(hh) = hh else {
            return Err(DbError::NotFound(format!("household {code}")));
        };
        let hh: i64 = hh.try_get(0)?;
        replace_category(&mut tx, hh, from, Some((category, from)), &actor.name).await?;
        if let Some(id) = laborer {
            sqlx::query(
                "UPDATE members SET main_laborer = 1 WHERE household_id = $1 AND valid_to IS NULL
                   AND person_id = (SELECT id FROM persons WHERE id_number = $2)",
            )
            .bind(hh)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        n += 1;
    }
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry::new("household.category_bulk", "household", String::new())
            .detail(json!({"households": n, "from": from})),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// A person of the monitored population, as the rules see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PopulationRow {
    pub id_number: String,
    pub household_code: String,
    pub household_id: i64,
    pub region_code: String,
    pub category: String,
    pub main_laborer: bool,
}

/// Every current member of every household with a category on `as_of`.
pub async fn population(db: &Db, as_of: &str) -> Result<Vec<PopulationRow>> {
    let rows = sqlx::query(
        "SELECT p.id_number, h.code, h.id, h.region_code, s.category, m.main_laborer
         FROM assistance_status s
         JOIN households h ON h.id = s.household_id
         JOIN members m ON m.household_id = h.id
         JOIN persons p ON p.id = m.person_id
         WHERE s.valid_from <= $1 AND (s.valid_to IS NULL OR s.valid_to > $1)
           AND m.valid_from <= $1 AND (m.valid_to IS NULL OR m.valid_to > $1)
         ORDER BY p.id_number",
    )
    .bind(as_of)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PopulationRow {
                id_number: r.try_get(0)?,
                household_code: r.try_get(1)?,
                household_id: r.try_get(2)?,
                region_code: r.try_get(3)?,
                category: r.try_get(4)?,
                main_laborer: r.try_get::<i64, _>(5)? != 0,
            })
        })
        .collect()
}
