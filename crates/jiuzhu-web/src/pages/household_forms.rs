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
    let result = jiuzhu_app::registry::register_household(&state.db, &u.acting(), &f, None).await;
    let errors = match result {
        Ok(id) => return Ok(Redirect::to(&format!("/households/{id}")).into_response()),
        Err(jiuzhu_app::AppError::Invalid(e)) => field_messages(&e, u.lang),
        Err(jiuzhu_app::AppError::Blocked(e)) => field_messages(&e, u.lang),
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

pub(super) async fn add_member_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(u, f): Posted<jiuzhu_app::registry::MemberForm>,
) -> PageResult {
    let result = jiuzhu_app::registry::add_member(&state.db, &u.acting(), id, &f).await;
    after_change(&state, &u, id, result.map(drop)).await
}

/// Back to the household page after a change, or the page with the reason it failed.
pub(super) async fn after_change(
    state: &AppState,
    u: &SignedIn,
    id: i64,
    result: jiuzhu_app::Result<()>,
) -> PageResult {
    crate::forms::answer(
        u.lang,
        result,
        |()| format!("/households/{id}"),
        |m| render_household(state, u, id, None, None, Some(m)),
    )
    .await
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
    let phone = Some(f.phone.trim()).filter(|p| !p.is_empty());
    let result =
        jiuzhu_app::registry::update_person(&state.db, &u.acting(), id, pid, &f.name, phone).await;
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
    let result =
        jiuzhu_app::registry::end_member(&state.db, &u.acting(), id, mid, &f.valid_to).await;
    after_change(&state, &u, id, result).await
}

pub(super) async fn record_evidence_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(u, f): Posted<jiuzhu_app::registry::EvidenceForm>,
) -> PageResult {
    let result = jiuzhu_app::registry::record_evidence(&state.db, &u.acting(), id, &f).await;
    after_change(&state, &u, id, result.map(drop)).await
}

pub(super) async fn end_evidence_submit(
    State(state): State<AppState>,
    Path((id, eid)): Path<(i64, i64)>,
    Posted(u, f): Posted<EndForm>,
) -> PageResult {
    let result =
        jiuzhu_app::registry::end_evidence(&state.db, &u.acting(), id, eid, &f.valid_to).await;
    after_change(&state, &u, id, result).await
}
