//! The registry's forms: a new household, its fields, members, persons and evidence, each change dated and audited.

use super::*;

/// The household form as typed; kept on error so nothing typed is lost.
pub use jiuzhu_app::registry::{HouseholdForm, valid_bank_account, valid_phone};

/// A refusal's messages by field, in the user's language.
pub(super) fn field_messages(e: &jiuzhu_app::FieldErrors, lang: Lang) -> BTreeMap<String, String> {
    e.0.iter()
        .map(|f| (f.field.clone(), f.message_in(lang == Lang::Zh).to_string()))
        .collect()
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
    let errors = match jiuzhu_app::registry::register_household(&state.db, &u.acting(), &f).await {
        Ok(id) => return Ok(Redirect::to(&format!("/households/{id}")).into_response()),
        Err(jiuzhu_app::AppError::Invalid(e)) => field_messages(&e, u.lang),
        Err(e) => return Err(WebError::from(e).into()),
    };
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
    let errors = match jiuzhu_app::registry::update_household(&state.db, &u.acting(), id, &f).await
    {
        Ok(()) => return Ok(Redirect::to(&format!("/households/{id}")).into_response()),
        Err(jiuzhu_app::AppError::Invalid(e)) => field_messages(&e, u.lang),
        Err(e) => return Err(WebError::from(e).into()),
    };
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
