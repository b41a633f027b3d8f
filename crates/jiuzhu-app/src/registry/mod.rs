//! The registry's form checks: evidence as typed in a form or sent to the API, parsed into
//! what the store records, every refusal naming its field.

use chrono::NaiveDate;
use jiuzhu_db::households::{NewEvidence, Subject};
use jiuzhu_domain::{EvidenceKind, EvidenceSource};

use crate::{AppError, FieldError, FieldErrors, Result};

mod changes;
pub use changes::{
    EvidenceForm, MemberForm, add_member, end_evidence, end_member, record_evidence, reveal,
    update_person,
};

/// A date as typed, or today when left empty.
pub fn date_or_today(s: &str) -> Result<NaiveDate> {
    if s.trim().is_empty() {
        Ok(jiuzhu_db::today())
    } else {
        jiuzhu_domain::parse_date(s.trim()).map_err(|e| AppError::invalid(e.to_string()))
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
    let kind = EvidenceKind::parse(kind).map_err(|e| {
        AppError::invalid(FieldError::new("kind", e.to_string()).zh("请选择证据类别"))
    })?;
    let value = kind.validate_value(value).map_err(|m| {
        AppError::invalid(FieldError::new(kind.code(), m).zh(format!(
            "{}：数值格式不正确（{}）",
            kind.label_zh(),
            value.trim()
        )))
    })?;
    let source = EvidenceSource::parse(source).map_err(|e| {
        AppError::invalid(FieldError::new("source", e.to_string()).zh("请选择证据来源"))
    })?;
    let subject = match subject {
        "household" => Subject::Household,
        s => Subject::Person(s.parse().map_err(|_| {
            AppError::invalid(
                FieldError::new("subject", "household or a person id")
                    .zh("请选择证据所属：全户或某位成员"),
            )
        })?),
    };
    Ok(NewEvidence {
        subject,
        kind,
        value,
        source,
        valid_from: date_or_today(valid_from).map_err(|_| {
            AppError::invalid(
                FieldError::new("valid_from", "a date YYYY-MM-DD, or empty for today")
                    .zh("日期：格式为 YYYY-MM-DD，留空为今天"),
            )
        })?,
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
        jiuzhu_db::audit::Entry::new("household.view", "household", now.household.code.clone())
            .household(id)
            .detail(detail),
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
        jiuzhu_db::audit::Entry::new(action, "household_list", String::new()).detail(detail),
    )
    .await?;
    Ok(())
}

/// Records that a list (audit trail, alerts, ranking, reviews, rules) left the platform as
/// a file: which list, with which filters, how many rows.
pub async fn record_list_export(
    db: &jiuzhu_db::Db,
    acting: &crate::Acting,
    list: &str,
    detail: serde_json::Value,
) -> crate::Result<()> {
    jiuzhu_db::audit::record(
        db,
        &acting.actor(),
        jiuzhu_db::audit::Entry::new("list.export", "export", list.to_string()).detail(detail),
    )
    .await?;
    Ok(())
}

/// A household's form as typed: its fields and, for a new household, its head.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct HouseholdForm {
    #[serde(default)]
    pub head_id_number: String,
    #[serde(default)]
    pub head_name: String,
    #[serde(default)]
    pub head_phone: String,
    #[serde(default)]
    pub region_code: String,
    #[serde(default)]
    pub hukou: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub bank_name: String,
    #[serde(default)]
    pub bank_account: String,
}

/// Empty, or 8-32 digits.
pub fn valid_bank_account(a: &str) -> bool {
    a.is_empty() || (a.len() >= 8 && a.len() <= 32 && a.chars().all(|c| c.is_ascii_digit()))
}

/// Empty, or 7-20 digits, dashes, pluses and spaces.
pub fn valid_phone(p: &str) -> bool {
    p.is_empty()
        || (p.len() >= 7
            && p.len() <= 20
            && p.chars()
                .all(|c| c.is_ascii_digit() || c == '-' || c == '+' || c == ' '))
}

/// Why a household cannot be placed in a village.
enum NoVillage {
    Malformed(FieldError),
    OutsideScope,
    Unknown(String),
}

async fn find_village(
    db: &jiuzhu_db::Db,
    acting: &crate::Acting,
    typed: &str,
) -> std::result::Result<jiuzhu_domain::RegionCode, NoVillage> {
    let field = "region_code";
    let r = jiuzhu_domain::RegionCode::parse(typed.trim()).map_err(|e| {
        NoVillage::Malformed(FieldError::new(field, e.to_string()).zh("区划代码：须为12位数字"))
    })?;
    if r.as_str().len() != 12 {
        return Err(NoVillage::Malformed(
            FieldError::new(field, "must be a 12-digit village code")
                .zh("区划代码：须为12位村（社区）代码"),
        ));
    }
    // Region codes are public: one that names nothing is said so wherever it lies.
    if !matches!(jiuzhu_db::regions::get(db, r.as_str()).await, Ok(Some(_))) {
        return Err(NoVillage::Unknown(r.as_str().to_string()));
    }
    if !acting.scope.contains(r.as_str()) {
        return Err(NoVillage::OutsideScope);
    }
    Ok(r)
}

/// The village of a household as the form's field: a known 12-digit code inside
/// `acting`'s region, each refusal a message on the field.
async fn village(
    db: &jiuzhu_db::Db,
    acting: &crate::Acting,
    typed: &str,
) -> std::result::Result<jiuzhu_domain::RegionCode, FieldError> {
    find_village(db, acting, typed).await.map_err(|e| match e {
        NoVillage::Malformed(f) => f,
        NoVillage::OutsideScope => {
            FieldError::new("region_code", "outside your scope").zh("区划代码：不在您的数据范围内")
        }
        NoVillage::Unknown(code) => {
            FieldError::new("region_code", format!("unknown region {code}"))
                .zh(format!("区划代码 {code} 不存在"))
        }
    })
}

/// Where the API places a household (`household_id`: an existing one, `None`: a new one)
/// before its form is checked: a household outside `acting`'s region is not found, a
/// malformed village code invalid, a village outside the region forbidden, one that does
/// not exist not found.
pub async fn check_placement(
    db: &jiuzhu_db::Db,
    acting: &crate::Acting,
    household_id: Option<i64>,
    typed: &str,
) -> Result<()> {
    acting.require(acting.role.can_write_registry(), "write the registry")?;
    if let Some(id) = household_id
        && jiuzhu_db::households::get(db, &acting.scope, id)
            .await?
            .is_none()
    {
        return Err(AppError::NotFound("household".into()));
    }
    find_village(db, acting, typed).await.map_err(|e| match e {
        NoVillage::Malformed(f) => AppError::invalid(f),
        NoVillage::OutsideScope => AppError::Forbidden("the village is outside your region".into()),
        NoVillage::Unknown(code) => AppError::NotFound(format!("village {code}")),
    })?;
    Ok(())
}

/// Checks every field of a household's form at once; a new household's head too. The
/// refusal lists each field that breaks a rule.
pub async fn check_household_form(
    db: &jiuzhu_db::Db,
    acting: &crate::Acting,
    f: &HouseholdForm,
    is_new: bool,
) -> Result<(
    jiuzhu_db::households::HouseholdFields,
    Option<jiuzhu_db::households::PersonFields>,
)> {
    let mut errors = FieldErrors::default();
    let region = village(db, acting, &f.region_code)
        .await
        .map_err(|e| errors.push(e))
        .ok();
    let hukou = jiuzhu_domain::Hukou::parse(&f.hukou)
        .map_err(|e| {
            errors.push(FieldError::new("hukou", e.to_string()).zh("户籍类别：请选择城镇或农村"))
        })
        .ok();
    if f.address.chars().count() > 200 {
        errors
            .push(FieldError::new("address", "at most 200 characters").zh("地址过长（最多200字）"));
    }
    let acct = f.bank_account.trim();
    if !valid_bank_account(acct) {
        errors.push(FieldError::new("bank_account", "8-32 digits").zh("银行账号须为8-32位数字"));
    }
    let head = if is_new {
        head_fields(f, &mut errors)
    } else {
        None
    };
    errors.into_result()?;
    let (Some(region_code), Some(hukou)) = (region, hukou) else {
        unreachable!("no errors: the region and hukou were read")
    };
    Ok((
        jiuzhu_db::households::HouseholdFields {
            region_code,
            hukou,
            address: f.address.trim().to_string(),
            bank_name: f.bank_name.trim().to_string(),
            bank_account: acct.to_string(),
        },
        head,
    ))
}

/// A new household's head as typed: ID number, name, phone.
fn head_fields(
    f: &HouseholdForm,
    errors: &mut FieldErrors,
) -> Option<jiuzhu_db::households::PersonFields> {
    let id_number = jiuzhu_domain::IdNumber::parse(&f.head_id_number)
        .map_err(|e| {
            errors.push(
                FieldError::new("head_id_number", e.to_string())
                    .zh("户主身份证号码不正确（18位，末位校验码）"),
            )
        })
        .ok();
    if f.head_name.trim().is_empty() || f.head_name.chars().count() > 40 {
        errors.push(
            FieldError::new("head_name", "required, at most 40 characters")
                .zh("请填写姓名（最多40字）"),
        );
    }
    if !valid_phone(f.head_phone.trim()) {
        errors.push(FieldError::new("head_phone", "not a phone number").zh("电话号码格式不正确"));
    }
    Some(jiuzhu_db::households::PersonFields {
        id_number: id_number?,
        name: f.head_name.trim().to_string(),
        phone: f.head_phone.trim().to_string(),
    })
}

/// What refuses a new household whose head (or number) is already in the registry.
pub const ALREADY_REGISTERED: &str =
    "a person with this ID number, or a household with this number, is already registered";

/// Registers a new household with its head from the form, for a user who may write the
/// registry in the household's village; returns its id. `code` is the household number
/// (generated when `None`). A head or number already registered is a conflict
/// ([`ALREADY_REGISTERED`]), a village the store refuses is refused on the region.
pub async fn register_household(
    db: &jiuzhu_db::Db,
    acting: &crate::Acting,
    f: &HouseholdForm,
    code: Option<&str>,
) -> Result<i64> {
    acting.require(acting.role.can_write_registry(), "write the registry")?;
    let (fields, head) = check_household_form(db, acting, f, true).await?;
    let head = head.expect("a new household's head was checked");
    match jiuzhu_db::households::create(
        db,
        &acting.scope,
        &acting.actor(),
        &fields,
        code,
        &head,
        jiuzhu_db::today(),
    )
    .await
    {
        Ok(id) => Ok(id),
        Err(e) if e.is_unique_violation() || matches!(e, jiuzhu_db::DbError::Conflict(_)) => {
            Err(AppError::blocked(
                "head_id_number",
                ALREADY_REGISTERED,
                "该身份证号的人员或该户号已经登记：请在“户籍”中按身份证号查找该户，在该户办理",
            ))
        }
        Err(jiuzhu_db::DbError::Invalid(m)) => {
            Err(AppError::invalid(FieldError::new("region_code", m)))
        }
        Err(e) => Err(e.into()),
    }
}

/// Updates a household's fields from the form; an empty bank account keeps the one on
/// record (the form never shows it).
pub async fn update_household(
    db: &jiuzhu_db::Db,
    acting: &crate::Acting,
    id: i64,
    f: &HouseholdForm,
) -> Result<()> {
    acting.require(acting.role.can_write_registry(), "write the registry")?;
    let current = jiuzhu_db::households::get(db, &acting.scope, id)
        .await?
        .ok_or_else(|| AppError::NotFound("household".into()))?;
    let (mut fields, _) = check_household_form(db, acting, f, false).await?;
    if fields.bank_account.is_empty() {
        fields.bank_account = current.household.bank_account.clone();
    }
    match jiuzhu_db::households::update(db, &acting.scope, &acting.actor(), id, &fields).await {
        Ok(()) => Ok(()),
        Err(jiuzhu_db::DbError::Invalid(m)) => {
            Err(AppError::invalid(FieldError::new("region_code", m)))
        }
        Err(e) => Err(e.into()),
    }
}
