//! The registry's forms: a new household, its fields, members, persons and evidence, each change dated and audited.

use super::*;

/// The household form as typed; kept on error so nothing typed is lost.
#[derive(Deserialize, Default, Clone)]
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

pub fn valid_phone(p: &str) -> bool {
    p.is_empty()
        || (p.len() >= 7
            && p.len() <= 20
            && p.chars()
                .all(|c| c.is_ascii_digit() || c == '-' || c == '+' || c == ' '))
}

/// Checks every field at once; the messages are keyed by field name.
pub async fn check_household_form(
    state: &AppState,
    u: &SignedIn,
    f: &HouseholdForm,
    is_new: bool,
    lang: Lang,
) -> (
    BTreeMap<String, String>,
    Option<HouseholdFields>,
    Option<PersonFields>,
) {
    let zh = lang == Lang::Zh;
    let mut errors = BTreeMap::new();
    let region = match RegionCode::parse(f.region_code.trim()) {
        Ok(r) if r.as_str().len() != 12 => {
            errors.insert(
                "region_code".into(),
                if zh {
                    "须为12位村（社区）代码".into()
                } else {
                    "must be a 12-digit village code".into()
                },
            );
            None
        }
        Ok(r) if !u.scope_region.contains(&r) => {
            errors.insert(
                "region_code".into(),
                if zh {
                    "不在您的数据范围内".into()
                } else {
                    "outside your scope".into()
                },
            );
            None
        }
        Ok(r) => match jiuzhu_db::regions::get(&state.db, r.as_str()).await {
            Ok(Some(_)) => Some(r),
            _ => {
                errors.insert(
                    "region_code".into(),
                    if zh {
                        format!("区划代码 {} 不存在", r.as_str())
                    } else {
                        format!("unknown region {}", r.as_str())
                    },
                );
                None
            }
        },
        Err(e) => {
            errors.insert("region_code".into(), e.to_string());
            None
        }
    };
    let hukou = match Hukou::parse(&f.hukou) {
        Ok(h) => Some(h),
        Err(e) => {
            errors.insert("hukou".into(), e.to_string());
            None
        }
    };
    if f.address.chars().count() > 200 {
        errors.insert(
            "address".into(),
            if zh {
                "地址过长（最多200字）".into()
            } else {
                "at most 200 characters".into()
            },
        );
    }
    let acct = f.bank_account.trim();
    if !crate::pages::valid_bank_account(acct) {
        errors.insert(
            "bank_account".into(),
            if zh {
                "银行账号须为8-32位数字".into()
            } else {
                "8-32 digits".into()
            },
        );
    }
    let mut head = None;
    if is_new {
        match IdNumber::parse(&f.head_id_number) {
            Ok(id) => head = Some(id),
            Err(e) => {
                errors.insert("head_id_number".into(), e.to_string());
            }
        }
        if f.head_name.trim().is_empty() || f.head_name.chars().count() > 40 {
            errors.insert(
                "head_name".into(),
                if zh {
                    "请填写姓名（最多40字）".into()
                } else {
                    "required, at most 40 characters".into()
                },
            );
        }
        if !valid_phone(f.head_phone.trim()) {
            errors.insert(
                "head_phone".into(),
                if zh {
                    "电话号码格式不正确".into()
                } else {
                    "not a phone number".into()
                },
            );
        }
    }
    let fields = match (region, hukou) {
        (Some(region_code), Some(hukou)) if errors.is_empty() => Some(HouseholdFields {
            region_code,
            hukou,
            address: f.address.trim().to_string(),
            bank_name: f.bank_name.trim().to_string(),
            bank_account: acct.to_string(),
        }),
        _ => None,
    };
    let person = head
        .filter(|_| errors.is_empty())
        .map(|id_number| PersonFields {
            id_number,
            name: f.head_name.trim().to_string(),
            phone: f.head_phone.trim().to_string(),
        });
    (errors, fields, person)
}

#[derive(Template, WebTemplate)]
#[template(path = "household_form.html")]
pub(super) struct HouseholdFormTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    action: String,
    back: String,
    is_new: bool,
    form: HouseholdForm,
    errors: BTreeMap<String, String>,
    hukous: Vec<(&'static str, &'static str)>,
}

pub(super) async fn form_page(
    state: &AppState,
    u: &SignedIn,
    id: Option<i64>,
    form: HouseholdForm,
    errors: BTreeMap<String, String>,
) -> PageResult {
    let lang = u.lang;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let t = HouseholdFormTemplate {
        lang,
        title: match id {
            None => lang.t("new_household").into(),
            Some(_) => format!("{} {}", lang.t("edit"), lang.t("households")),
        },
        nav: Some(nav(state, u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        action: match id {
            None => "/households/new".into(),
            Some(id) => format!("/households/{id}/edit"),
        },
        back: match id {
            None => "/households".into(),
            Some(id) => format!("/households/{id}"),
        },
        is_new: id.is_none(),
        form,
        errors,
        hukous: Hukou::ALL
            .iter()
            .map(|h| {
                (
                    h.code(),
                    if lang == Lang::Zh {
                        h.label_zh()
                    } else {
                        h.label_en()
                    },
                )
            })
            .collect(),
    };
    Ok((status, t).into_response())
}

pub(super) async fn new_household_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
) -> PageResult {
    u.require(u.role.can_write_registry())?;
    let form = HouseholdForm {
        region_code: if u.scope_region.as_str().len() == 12 {
            u.scope_region.to_string()
        } else {
            String::new()
        },
        hukou: "rural".into(),
        ..HouseholdForm::default()
    };
    form_page(&state, &u, None, form, BTreeMap::new()).await
}

pub(super) async fn new_household_submit(
    State(state): State<AppState>,
    Posted(u, f): Posted<HouseholdForm>,
) -> PageResult {
    u.require(u.role.can_write_registry())?;
    let (mut errors, fields, head) = check_household_form(&state, &u, &f, true, u.lang).await;
    if let (Some(fields), Some(head)) = (fields, head) {
        match households::create(
            &state.db,
            &u.scope,
            &u.actor(),
            &fields,
            None,
            &head,
            jiuzhu_db::today(),
        )
        .await
        {
            Ok(id) => return Ok(Redirect::to(&format!("/households/{id}")).into_response()),
            Err(e) if e.is_unique_violation() => {
                errors.insert("head_id_number".into(), e.to_string());
            }
            Err(jiuzhu_db::DbError::Invalid(m)) => {
                errors.insert("region_code".into(), m);
            }
            Err(e) => return Err(e.into()),
        }
    }
    form_page(&state, &u, None, f, errors).await
}

pub(super) async fn edit_household_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    u.require(u.role.can_write_registry())?;
    let rec = households::get(&state.db, &u.scope, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let h = rec.household;
    // The bank account is not put in the form: empty keeps it, so editing reveals nothing.
    let form = HouseholdForm {
        region_code: h.region_code,
        hukou: h.hukou,
        address: h.address,
        bank_name: h.bank_name,
        ..HouseholdForm::default()
    };
    form_page(&state, &u, Some(id), form, BTreeMap::new()).await
}

pub(super) async fn edit_household_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(u, f): Posted<HouseholdForm>,
) -> PageResult {
    u.require(u.role.can_write_registry())?;
    let current = households::get(&state.db, &u.scope, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let (mut errors, fields, _) = check_household_form(&state, &u, &f, false, u.lang).await;
    if let Some(mut fields) = fields {
        if fields.bank_account.is_empty() {
            fields.bank_account = current.household.bank_account.clone();
        }
        match households::update(&state.db, &u.scope, &u.actor(), id, &fields).await {
            Ok(()) => return Ok(Redirect::to(&format!("/households/{id}")).into_response()),
            Err(jiuzhu_db::DbError::Invalid(m)) => {
                errors.insert("region_code".into(), m);
            }
            Err(e) => return Err(e.into()),
        }
    }
    form_page(&state, &u, Some(id), f, errors).await
}

#[derive(Deserialize)]
pub(super) struct MemberForm {
    id_number: String,
    name: String,
    #[serde(default)]
    phone: String,
    relation: String,
    #[serde(default)]
    valid_from: String,
}

pub(super) fn date_or_today(s: &str) -> Result<chrono::NaiveDate, WebError> {
    Ok(jiuzhu_app::registry::date_or_today(s)?)
}
pub(super) async fn add_member_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(u, f): Posted<MemberForm>,
) -> PageResult {
    u.require(u.role.can_write_registry())?;
    let result: Result<(), WebError> = async {
        let id_number = IdNumber::parse(&f.id_number)
            .map_err(|e| WebError::Invalid(format!("{}: {e}", u.lang.t("id_number"))))?;
        let relation =
            Relation::parse(&f.relation).map_err(|e| WebError::Invalid(e.to_string()))?;
        if f.name.trim().is_empty() || !valid_phone(f.phone.trim()) {
            return Err(WebError::Invalid(format!(
                "{} / {}",
                u.lang.t("name"),
                u.lang.t("phone")
            )));
        }
        let person = PersonFields {
            id_number,
            name: f.name.trim().into(),
            phone: f.phone.trim().into(),
        };
        households::add_member(
            &state.db,
            &u.scope,
            &u.actor(),
            id,
            &person,
            relation,
            date_or_today(&f.valid_from)?,
        )
        .await?;
        Ok(())
    }
    .await;
    after_change(&state, &u, id, result).await
}

/// Back to the household page after a change, or the page with the reason it failed.
pub(super) async fn after_change(
    state: &AppState,
    u: &SignedIn,
    id: i64,
    result: Result<(), WebError>,
) -> PageResult {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/households/{id}")).into_response()),
        Err(WebError::Invalid(m)) | Err(WebError::Conflict(m)) => {
            let mut r = render_household(state, u, id, None, None, Some(m)).await?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct PersonForm {
    name: String,
    /// Empty keeps the stored number (the form never shows it in full).
    #[serde(default)]
    phone: String,
}

pub(super) async fn edit_person_submit(
    State(state): State<AppState>,
    Path((id, pid)): Path<(i64, i64)>,
    Posted(u, f): Posted<PersonForm>,
) -> PageResult {
    u.require(u.role.can_write_registry())?;
    let result = async {
        let name = f.name.trim();
        if name.is_empty() || name.chars().count() > 40 {
            return Err(WebError::Invalid(format!("{}: 1-40", u.lang.t("name"))));
        }
        if !valid_phone(f.phone.trim()) {
            return Err(WebError::Invalid(u.lang.t("phone").to_string()));
        }
        let phone = if f.phone.trim().is_empty() {
            let rec = households::get(&state.db, &u.scope, id)
                .await?
                .ok_or(WebError::NotFound)?;
            rec.members
                .iter()
                .find(|m| m.person_id == pid)
                .map(|m| m.phone.clone())
                .ok_or(WebError::NotFound)?
        } else {
            f.phone.trim().to_string()
        };
        households::update_person(&state.db, &u.scope, &u.actor(), id, pid, name, &phone).await?;
        Ok(())
    }
    .await;
    after_change(&state, &u, id, result).await
}

#[derive(Deserialize)]
pub(super) struct EndForm {
    #[serde(default)]
    valid_to: String,
}

pub(super) async fn end_member_submit(
    State(state): State<AppState>,
    Path((id, mid)): Path<(i64, i64)>,
    Posted(u, f): Posted<EndForm>,
) -> PageResult {
    u.require(u.role.can_write_registry())?;
    let result = async {
        households::end_member(
            &state.db,
            &u.scope,
            &u.actor(),
            id,
            mid,
            date_or_today(&f.valid_to)?,
            "",
        )
        .await?;
        Ok(())
    }
    .await;
    after_change(&state, &u, id, result).await
}

#[derive(Deserialize)]
pub(super) struct EvidenceForm {
    subject: String,
    kind: String,
    value: String,
    source: String,
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    note: String,
}

pub(super) async fn record_evidence_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(u, f): Posted<EvidenceForm>,
) -> PageResult {
    u.require(u.role.can_write_registry())?;
    let result = async {
        let e = parse_evidence(
            &f.subject,
            &f.kind,
            &f.value,
            &f.source,
            &f.valid_from,
            &f.note,
        )?;
        households::record_evidence(&state.db, &u.scope, &u.actor(), id, &e).await?;
        Ok(())
    }
    .await;
    after_change(&state, &u, id, result).await
}

pub(super) async fn end_evidence_submit(
    State(state): State<AppState>,
    Path((id, eid)): Path<(i64, i64)>,
    Posted(u, f): Posted<EndForm>,
) -> PageResult {
    u.require(u.role.can_write_registry())?;
    let result = async {
        households::end_evidence(
            &state.db,
            &u.scope,
            &u.actor(),
            id,
            eid,
            date_or_today(&f.valid_to)?,
        )
        .await?;
        Ok(())
    }
    .await;
    after_change(&state, &u, id, result).await
}
