//! The registry's writes: a new household, its fields, members, persons and evidence, each in one transaction with its audit row; nothing overwritten.

use super::*;

/// The fields of a household a user edits.
#[derive(Clone, Debug)]
pub struct HouseholdFields {
    pub region_code: RegionCode,
    pub hukou: Hukou,
    pub address: String,
    pub bank_name: String,
    pub bank_account: String,
}

/// The lengths of a household's own texts.
pub(super) fn check_fields(f: &HouseholdFields) -> Result<()> {
    crate::limit("address", &f.address, LINE_CHARS)?;
    crate::limit("bank_name", &f.bank_name, LINE_CHARS)
}

/// A person to register.
#[derive(Clone, Debug)]
pub struct PersonFields {
    pub id_number: IdNumber,
    pub name: String,
    pub phone: String,
}

pub(super) fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(super) fn out_of_scope() -> DbError {
    DbError::NotFound("household".into())
}

pub(super) async fn check_region_exists(tx: &mut Tx, code: &RegionCode) -> Result<()> {
    let found = sqlx::query("SELECT 1 FROM regions WHERE code = $1")
        .bind(code.as_str())
        .fetch_optional(&mut **tx)
        .await?;
    if found.is_none() {
        return Err(DbError::NotFound(format!("region {}", code.as_str())));
    }
    Ok(())
}

/// Registers a person (or finds the existing one) and makes them a member from `from`.
pub(super) async fn insert_member(
    tx: &mut Tx,
    household_id: i64,
    p: &PersonFields,
    relation: Relation,
    from: &str,
) -> Result<(i64, i64)> {
    let now = crate::now_text();
    let existing = sqlx::query(
        "SELECT p.id, m.household_id FROM persons p
         LEFT JOIN members m ON m.person_id = p.id AND m.valid_to IS NULL
         WHERE p.id_number = $1",
    )
    .bind(p.id_number.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    let person_id = match existing {
        Some(r) => {
            let current: Option<i64> = r.try_get(1)?;
            if current.is_some() {
                return Err(DbError::Conflict(format!(
                    "ID number {} is already a member of a household",
                    p.id_number.masked()
                )));
            }
            let id: i64 = r.try_get(0)?;
            sqlx::query("UPDATE persons SET name = $1, phone = $2, updated_at = $3 WHERE id = $4")
                .bind(&p.name)
                .bind(&p.phone)
                .bind(&now)
                .bind(id)
                .execute(&mut **tx)
                .await?;
            id
        }
        None => sqlx::query(
            "INSERT INTO persons (id_number, name, sex, birth_date, phone, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(p.id_number.as_str())
        .bind(&p.name)
        .bind(p.id_number.sex().code())
        .bind(date_text(p.id_number.birth_date()))
        .bind(&p.phone)
        .bind(&now)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?,
    };
    let member_id: i64 = sqlx::query(
        "INSERT INTO members (household_id, person_id, relation, valid_from) VALUES ($1, $2, $3, $4)
         RETURNING id",
    )
    .bind(household_id)
    .bind(person_id)
    .bind(relation.code())
    .bind(from)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    Ok((person_id, member_id))
}

/// Registers a new household with its head. `code` is generated when `None`.
pub async fn create(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    fields: &HouseholdFields,
    code: Option<&str>,
    head: &PersonFields,
    from: NaiveDate,
) -> Result<i64> {
    check_fields(fields)?;
    crate::limit("name", &head.name, NAME_CHARS)?;
    if fields.region_code.as_str().len() != 12 {
        return Err(DbError::Invalid(
            "a household's region must be a village (12 digits)".into(),
        ));
    }
    let mut tx = db.begin_write().await?;
    check_region_exists(&mut tx, &fields.region_code).await?;
    if !scope.contains(fields.region_code.as_str()) {
        return Err(DbError::Forbidden("region is outside your scope".into()));
    }
    let now = crate::now_text();
    let code = match code {
        Some(c)
            if c.is_empty()
                || c.len() > 40
                || !c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            return Err(DbError::Invalid(
                "code: a household number is 1 to 40 letters, digits or hyphens".into(),
            ));
        }
        Some(c) => c.to_string(),
        None => {
            let next: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM households")
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            format!("R{}{:06}", &fields.region_code.as_str()[..6], next)
        }
    };
    let id: i64 = sqlx::query(
        "INSERT INTO households (code, region_code, hukou, address, bank_name, bank_account, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(&code)
    .bind(fields.region_code.as_str())
    .bind(fields.hukou.code())
    .bind(&fields.address)
    .bind(&fields.bank_name)
    .bind(&fields.bank_account)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match DbError::from(e) {
        e if e.is_unique_violation() => DbError::Conflict(format!("household number {code} is taken")),
        e => e,
    })?
    .try_get(0)?;
    let (person_id, _) = insert_member(&mut tx, id, head, Relation::Head, &date_text(from)).await?;
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry::new("household.create", "household", code.clone())
            .household(id)
            .detail(json!({
                "region_code": fields.region_code.as_str(), "hukou": fields.hukou.code(),
                "address": fields.address, "head_person_id": person_id,
                "head_id_number": head.id_number.masked(),
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a household's own fields; the audit row keeps what changed, before and after.
pub async fn update(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    fields: &HouseholdFields,
) -> Result<()> {
    check_fields(fields)?;
    let Some(before) = household_row(db, scope, id).await? else {
        return Err(out_of_scope());
    };
    if fields.region_code.as_str().len() != 12 {
        return Err(DbError::Invalid(
            "a household's region must be a village (12 digits)".into(),
        ));
    }
    let mut tx = db.begin_write().await?;
    check_region_exists(&mut tx, &fields.region_code).await?;
    if !scope.contains(fields.region_code.as_str()) {
        return Err(DbError::Forbidden("region is outside your scope".into()));
    }
    let mut changes = serde_json::Map::new();
    let mut diff = |k: &str, old: &str, new: &str, sensitive: bool| {
        if old != new {
            let shown = |v: &str| {
                if sensitive {
                    jiuzhu_domain::mask::mask_phone(v)
                } else {
                    v.to_string()
                }
            };
            changes.insert(k.into(), json!({"from": shown(old), "to": shown(new)}));
        }
    };
    diff(
        "region_code",
        &before.region_code,
        fields.region_code.as_str(),
        false,
    );
    diff("hukou", &before.hukou, fields.hukou.code(), false);
    diff("address", &before.address, &fields.address, false);
    diff("bank_name", &before.bank_name, &fields.bank_name, false);
    diff(
        "bank_account",
        &before.bank_account,
        &fields.bank_account,
        true,
    );
    if changes.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE households SET region_code = $1, hukou = $2, address = $3, bank_name = $4,
                bank_account = $5, updated_at = $6 WHERE id = $7",
    )
    .bind(fields.region_code.as_str())
    .bind(fields.hukou.code())
    .bind(&fields.address)
    .bind(&fields.bank_name)
    .bind(&fields.bank_account)
    .bind(crate::now_text())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry::new("household.update", "household", before.code.clone())
            .household(id)
            .detail(serde_json::Value::Object(changes)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Adds a member from `from`.
pub async fn add_member(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    household_id: i64,
    person: &PersonFields,
    relation: Relation,
    from: NaiveDate,
) -> Result<i64> {
    crate::limit("name", &person.name, NAME_CHARS)?;
    let Some(h) = household_row(db, scope, household_id).await? else {
        return Err(out_of_scope());
    };
    let mut tx = db.begin_write().await?;
    let (person_id, member_id) =
        insert_member(&mut tx, household_id, person, relation, &date_text(from)).await?;
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry::new("member.add", "person", person_id)
            .household(household_id)
            .detail(json!({"household": h.code, "relation": relation.code(),
                           "id_number": person.id_number.masked(), "valid_from": date_text(from)})),
    )
    .await?;
    tx.commit().await?;
    Ok(member_id)
}

/// Ends a membership on `to` (the person moved out, died...). The row is kept.
pub async fn end_member(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    household_id: i64,
    member_id: i64,
    to: NaiveDate,
    reason: &str,
) -> Result<()> {
    let Some(h) = household_row(db, scope, household_id).await? else {
        return Err(out_of_scope());
    };
    let mut tx = db.begin_write().await?;
    let r = sqlx::query(
        "UPDATE members SET valid_to = $1 WHERE id = $2 AND household_id = $3 AND valid_to IS NULL
           AND valid_from <= $1",
    )
    .bind(date_text(to))
    .bind(member_id)
    .bind(household_id)
    .execute(&mut *tx)
    .await?;
    if r.rows_affected() != 1 {
        return Err(DbError::Invalid(
            "no current membership to end on that date (already ended, or the date precedes its start)".into(),
        ));
    }
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry::new("member.end", "member", member_id)
            .household(household_id)
            .detail(json!({"household": h.code, "valid_to": date_text(to), "reason": reason})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Corrects a member's name and phone.
pub async fn update_person(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    household_id: i64,
    person_id: i64,
    name: &str,
    phone: &str,
) -> Result<()> {
    crate::limit("name", name, NAME_CHARS)?;
    let Some(rec) = get(db, scope, household_id).await? else {
        return Err(out_of_scope());
    };
    let Some(m) = rec.members.iter().find(|m| m.person_id == person_id) else {
        return Err(DbError::NotFound("member".into()));
    };
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE persons SET name = $1, phone = $2, updated_at = $3 WHERE id = $4")
        .bind(name)
        .bind(phone)
        .bind(crate::now_text())
        .bind(person_id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry::new("person.update", "person", person_id)
            .household(household_id)
            .detail(json!({"name": {"from": m.name, "to": name},
                           "phone": {"from": jiuzhu_domain::mask_phone(&m.phone),
                                     "to": jiuzhu_domain::mask_phone(phone)}})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What a piece of evidence is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    Household,
    Person(i64),
}

/// Evidence to record.
#[derive(Clone, Debug)]
pub struct NewEvidence {
    pub subject: Subject,
    pub kind: EvidenceKind,
    pub value: EvidenceValue,
    pub source: EvidenceSource,
    pub valid_from: NaiveDate,
    pub note: String,
}

/// Ends the current record of `kind` about the household `hh` or the person `person` where
/// a new one starts `from`; returns what was ended, for the audit entry.
async fn end_current(
    tx: &mut crate::Tx,
    actor: &Actor,
    kind: &str,
    hh: Option<i64>,
    person: Option<i64>,
    from: &str,
    now: &str,
) -> Result<Option<serde_json::Value>> {
    let current = sqlx::query(
        "SELECT id, valid_from, value FROM evidence
         WHERE kind = $1 AND valid_to IS NULL AND ended_at IS NULL
           AND (household_id = $2 OR person_id = $3)",
    )
    .bind(kind)
    .bind(hh.unwrap_or(-1))
    .bind(person.unwrap_or(-1))
    .fetch_optional(&mut **tx)
    .await?;
    let mut ended = None;
    if let Some(r) = current {
        let old_id: i64 = r.try_get(0)?;
        let old_from: String = r.try_get(1)?;
        let old_value: String = r.try_get(2)?;
        // A correction dated before the old record began voids it from its own start.
        let end = if old_from.as_str() > from {
            old_from.to_string()
        } else {
            from.to_string()
        };
        sqlx::query(
            "UPDATE evidence SET valid_to = $1, ended_at = $2, ended_by = $3 WHERE id = $4",
        )
        .bind(&end)
        .bind(now)
        .bind(&actor.name)
        .bind(old_id)
        .execute(&mut **tx)
        .await?;
        ended = Some(
            json!({"id": old_id, "value": old_value, "valid_from": old_from, "valid_to": end}),
        );
    }
    Ok(ended)
}

/// Records evidence. The current record of the same kind about the same subject, if any,
/// is ended where the new one starts (on the same date: it never held, and stays only as
/// history). Nothing is overwritten.
pub async fn record_evidence(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    household_id: i64,
    e: &NewEvidence,
) -> Result<i64> {
    crate::limit("note", &e.note, TEXT_CHARS)?;
    let Some(rec) = get(db, scope, household_id).await? else {
        return Err(out_of_scope());
    };
    if e.kind.subject() == jiuzhu_domain::registry::EvidenceSubject::Household
        && e.subject != Subject::Household
        || e.kind.subject() == jiuzhu_domain::registry::EvidenceSubject::Person
            && e.subject == Subject::Household
    {
        return Err(DbError::Invalid(format!(
            "{} is not evidence about this kind of subject",
            e.kind.code()
        )));
    }
    if let Subject::Person(pid) = e.subject
        && !rec.current_members().any(|m| m.person_id == pid)
    {
        return Err(DbError::Conflict(
            "the person is not a current member".into(),
        ));
    }
    let from = date_text(e.valid_from);
    let now = crate::now_text();
    let mut tx = db.begin_write().await?;
    let (hh, person) = match e.subject {
        Subject::Household => (Some(household_id), None),
        Subject::Person(p) => (None, Some(p)),
    };
    let ended = end_current(&mut tx, actor, e.kind.code(), hh, person, &from, &now).await?;
    let id: i64 = sqlx::query(
        "INSERT INTO evidence (household_id, person_id, kind, value, amount_fen, source, valid_from,
                               note, recorded_at, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(hh)
    .bind(person)
    .bind(e.kind.code())
    .bind(e.value.to_storage())
    .bind(amount_fen(&e.value))
    .bind(e.source.code())
    .bind(&from)
    .bind(&e.note)
    .bind(&now)
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry::new("evidence.record", "evidence", id)
            .household(household_id)
            .detail(json!({"kind": e.kind.code(), "value": e.value.to_storage(),
                           "source": e.source.code(), "valid_from": from,
                           "person_id": person, "ended": ended, "note": e.note})),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Ends a piece of evidence on `to` without a successor (a vehicle sold, a wage stopped).
pub async fn end_evidence(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    household_id: i64,
    evidence_id: i64,
    to: NaiveDate,
) -> Result<()> {
    let Some(rec) = get(db, scope, household_id).await? else {
        return Err(out_of_scope());
    };
    if !rec
        .evidence
        .iter()
        .any(|e| e.id == evidence_id && e.valid_to.is_none())
    {
        return Err(DbError::NotFound("current evidence".into()));
    }
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE evidence SET valid_to = $1, ended_at = $2, ended_by = $3
         WHERE id = $4 AND valid_to IS NULL AND valid_from <= $1",
    )
    .bind(date_text(to))
    .bind(crate::now_text())
    .bind(&actor.name)
    .bind(evidence_id)
    .execute(&mut *tx)
    .await
    .and_then(|r| {
        if r.rows_affected() == 1 {
            Ok(())
        } else {
            Err(sqlx::Error::RowNotFound)
        }
    })
    .map_err(|_| DbError::Invalid("the end date precedes the evidence's start".into()))?;
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry::new("evidence.end", "evidence", evidence_id)
            .household(household_id)
            .detail(json!({"valid_to": date_text(to)})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
