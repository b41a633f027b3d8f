//! Changes to a registered household, each dated and audited by the store: members added
//! and ended, a person's name and phone corrected, evidence recorded and ended, and the
//! audited reveal of a masked value. The page and the API call the same use case; each
//! refusal names its field, in English and in Chinese.

use jiuzhu_db::households::{PersonFields, SensitiveField};
use jiuzhu_domain::{IdNumber, Relation};

use super::{date_or_today, parse_evidence, valid_phone};
use crate::{Acting, AppError, FieldError, FieldErrors, Result};

/// The longest name the registry keeps.
const NAME_CHARS: usize = 40;

/// A member to add, as typed in the form or sent to the API.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct MemberForm {
    pub id_number: String,
    pub name: String,
    #[serde(default)]
    pub phone: String,
    pub relation: String,
    /// YYYY-MM-DD; empty for today.
    #[serde(default)]
    pub valid_from: String,
}

/// Evidence as typed in the form or sent to the API.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct EvidenceForm {
    /// `household` or a member's person id.
    pub subject: String,
    pub kind: String,
    pub value: String,
    pub source: String,
    /// YYYY-MM-DD; empty for today.
    #[serde(default)]
    pub valid_from: String,
    #[serde(default)]
    pub note: String,
}

fn may_write(acting: &Acting) -> Result<()> {
    acting.require(acting.role.can_write_registry(), "write the registry")
}

/// A name as typed: required, at most 40 characters.
fn check_name(field: &str, name: &str, errors: &mut FieldErrors) {
    let n = name.trim().chars().count();
    if n == 0 || n > NAME_CHARS {
        errors.push(
            FieldError::new(field, "required, at most 40 characters").zh("姓名：必填，最多40字"),
        );
    }
}

/// A phone number as typed: empty, or 7-20 digits, dashes, pluses and spaces.
fn check_phone(field: &str, phone: &str, errors: &mut FieldErrors) {
    if !valid_phone(phone.trim()) {
        errors.push(
            FieldError::new(field, "7 to 20 digits (a + or - allowed), or empty")
                .zh("电话：须为7-20位数字（可含+或-），或留空"),
        );
    }
}

/// A date as typed, or today when empty.
fn check_date(field: &str, typed: &str, errors: &mut FieldErrors) -> Option<chrono::NaiveDate> {
    date_or_today(typed)
        .map_err(|_| {
            errors.push(
                FieldError::new(field, "a date YYYY-MM-DD, or empty for today")
                    .zh("日期：格式为 YYYY-MM-DD，留空为今天"),
            )
        })
        .ok()
}

/// The date something ends, as typed (`valid_to`), or today when empty.
fn end_date(typed: &str) -> Result<chrono::NaiveDate> {
    let mut errors = FieldErrors::default();
    let to = check_date("valid_to", typed, &mut errors);
    errors.into_result()?;
    Ok(to.expect("no errors: the date was read"))
}

/// Adds a person to household `household_id` as of the form's date, for a user who may
/// write the registry in the household's region; returns the membership's id. A person
/// already a current member of a household is refused by the store (a conflict).
pub async fn add_member(
    db: &jiuzhu_db::Db,
    acting: &Acting,
    household_id: i64,
    f: &MemberForm,
) -> Result<i64> {
    may_write(acting)?;
    let mut errors = FieldErrors::default();
    let id_number = IdNumber::parse(f.id_number.trim())
        .map_err(|e| {
            errors.push(
                FieldError::new("id_number", e.to_string())
                    .zh(format!("身份证号码不正确：{}", f.id_number.trim())),
            )
        })
        .ok();
    check_name("name", &f.name, &mut errors);
    check_phone("phone", &f.phone, &mut errors);
    let relation = Relation::parse(f.relation.trim())
        .map_err(|e| {
            errors.push(FieldError::new("relation", e.to_string()).zh("请选择与户主的关系"))
        })
        .ok();
    let from = check_date("valid_from", &f.valid_from, &mut errors);
    errors.into_result()?;
    let (Some(id_number), Some(relation), Some(from)) = (id_number, relation, from) else {
        unreachable!("no errors: every field was read")
    };
    let person = PersonFields {
        id_number,
        name: f.name.trim().to_string(),
        phone: f.phone.trim().to_string(),
    };
    Ok(jiuzhu_db::households::add_member(
        db,
        &acting.scope,
        &acting.actor(),
        household_id,
        &person,
        relation,
        from,
    )
    .await?)
}

/// Corrects a member's name and phone; `phone: None` keeps the stored number (the page's
/// form never shows it in full, so leaving it empty changes nothing).
pub async fn update_person(
    db: &jiuzhu_db::Db,
    acting: &Acting,
    household_id: i64,
    person_id: i64,
    name: &str,
    phone: Option<&str>,
) -> Result<()> {
    may_write(acting)?;
    let mut errors = FieldErrors::default();
    check_name("name", name, &mut errors);
    check_phone("phone", phone.unwrap_or(""), &mut errors);
    errors.into_result()?;
    let phone = match phone {
        Some(p) => p.trim().to_string(),
        None => jiuzhu_db::households::get(db, &acting.scope, household_id)
            .await?
            .and_then(|rec| {
                rec.members
                    .into_iter()
                    .find(|m| m.person_id == person_id)
                    .map(|m| m.phone)
            })
            .ok_or_else(|| AppError::NotFound("member".into()))?,
    };
    Ok(jiuzhu_db::households::update_person(
        db,
        &acting.scope,
        &acting.actor(),
        household_id,
        person_id,
        name.trim(),
        &phone,
    )
    .await?)
}

/// Ends membership `member_id` of household `household_id` on `valid_to` (today when
/// empty): the person moved out or died.
pub async fn end_member(
    db: &jiuzhu_db::Db,
    acting: &Acting,
    household_id: i64,
    member_id: i64,
    valid_to: &str,
) -> Result<()> {
    may_write(acting)?;
    let to = end_date(valid_to)?;
    Ok(jiuzhu_db::households::end_member(
        db,
        &acting.scope,
        &acting.actor(),
        household_id,
        member_id,
        to,
        "",
    )
    .await?)
}

/// Records evidence about household `household_id` or one of its members; the current
/// record of the same kind ends where this one begins. Returns the evidence's id.
pub async fn record_evidence(
    db: &jiuzhu_db::Db,
    acting: &Acting,
    household_id: i64,
    f: &EvidenceForm,
) -> Result<i64> {
    may_write(acting)?;
    let e = parse_evidence(
        &f.subject,
        &f.kind,
        &f.value,
        &f.source,
        &f.valid_from,
        &f.note,
    )?;
    Ok(
        jiuzhu_db::households::record_evidence(
            db,
            &acting.scope,
            &acting.actor(),
            household_id,
            &e,
        )
        .await?,
    )
}

/// Ends evidence `evidence_id` on `valid_to` (today when empty).
pub async fn end_evidence(
    db: &jiuzhu_db::Db,
    acting: &Acting,
    household_id: i64,
    evidence_id: i64,
    valid_to: &str,
) -> Result<()> {
    may_write(acting)?;
    let to = end_date(valid_to)?;
    Ok(jiuzhu_db::households::end_evidence(
        db,
        &acting.scope,
        &acting.actor(),
        household_id,
        evidence_id,
        to,
    )
    .await?)
}

/// A masked field by its code: `id_number`, `phone` or `bank_account`.
fn sensitive_field(code: &str) -> Result<SensitiveField> {
    match code {
        "id_number" => Ok(SensitiveField::IdNumber),
        "phone" => Ok(SensitiveField::Phone),
        "bank_account" => Ok(SensitiveField::BankAccount),
        _ => Err(AppError::invalid(
            FieldError::new("field", "id_number, phone or bank_account")
                .zh("只能显示身份证号码、电话或银行账号"),
        )),
    }
}

/// Shows one masked value in full (`field`: a member's `id_number` or `phone`, the
/// household's `bank_account`) to a user who may see sensitive data; the store records the
/// read in the audit log before it answers.
pub async fn reveal(
    db: &jiuzhu_db::Db,
    acting: &Acting,
    household_id: i64,
    person_id: Option<i64>,
    field: &str,
) -> Result<(SensitiveField, String)> {
    acting.require(acting.role.can_reveal_sensitive(), "see sensitive data")?;
    let field = sensitive_field(field)?;
    let value = jiuzhu_db::households::reveal(
        db,
        &acting.scope,
        &acting.actor(),
        household_id,
        person_id,
        field,
    )
    .await?;
    Ok((field, value))
}
