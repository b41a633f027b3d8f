//! The household page: members, evidence as of a date, supporters, history, and the audited reveal of a masked field.

use super::*;

#[derive(Template, WebTemplate)]
#[template(path = "household.html")]
pub(super) struct HouseholdTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    h: HouseholdView,
    audit: Vec<AuditView>,
    can_write: bool,
    can_reveal: bool,
    revealed_person: Option<i64>,
    revealed_field: String,
    revealed_value: String,
    revealed_bank: Option<String>,
    message: Option<String>,
    today: String,
    relations: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    sources: Vec<(&'static str, &'static str)>,
    rx: jiuzhu_app::prescription::Prescription,
}

#[derive(Deserialize, Default)]
pub(super) struct AsOfQuery {
    as_of: Option<String>,
}

pub(super) struct Revealed {
    person: Option<i64>,
    field: SensitiveField,
    value: String,
}

pub(super) async fn render_household(
    state: &AppState,
    u: &SignedIn,
    id: i64,
    as_of: Option<&str>,
    revealed: Option<Revealed>,
    message: Option<String>,
) -> PageResult {
    let as_of = as_of
        .filter(|s| !s.is_empty())
        .map(|s| jiuzhu_domain::parse_date(s).map_err(|e| WebError::Invalid(e.to_string())))
        .transpose()?;
    let jiuzhu_app::registry::HouseholdShown {
        now: rec,
        shown,
        as_of,
        path,
    } = jiuzhu_app::registry::view_household(&state.db, &u.acting(), id, as_of, None)
        .await
        .map_err(WebError::from)?;
    let today = jiuzhu_db::today();
    let lang = u.lang;
    let view = HouseholdView::from(&shown, path, as_of, today, lang);
    let rx = jiuzhu_app::prescription::prescribe(&shown, as_of.unwrap_or(today));
    let (trail, _) = audit::search(
        &state.db,
        &audit::Filter {
            household_id: Some(id),
            limit: 100,
            ..Default::default()
        },
    )
    .await?;
    let pick = |zh: &'static str, en: &'static str| if lang == Lang::Zh { zh } else { en };
    let (revealed_person, revealed_field, revealed_value, revealed_bank) = match revealed {
        Some(r) if r.field == SensitiveField::BankAccount => {
            (None, String::new(), String::new(), Some(r.value))
        }
        Some(r) => (r.person, r.field.code().to_string(), r.value, None),
        None => (None, String::new(), String::new(), None),
    };
    Ok(HouseholdTemplate {
        lang,
        title: rec.household.code.clone(),
        nav: Some(nav(state, u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        h: view,
        audit: trail.iter().map(|r| AuditView::said(r, u.lang)).collect(),
        can_write: u.role.can_write_registry(),
        can_reveal: u.role.can_reveal_sensitive(),
        revealed_person,
        revealed_field,
        revealed_value,
        revealed_bank,
        message,
        today: today.to_string(),
        relations: Relation::ALL
            .iter()
            .filter(|r| **r != Relation::Head)
            .map(|r| (r.code(), pick(r.label_zh(), r.label_en())))
            .collect(),
        kinds: EvidenceKind::ALL
            .iter()
            .map(|k| (k.code(), pick(k.label_zh(), k.label_en())))
            .collect(),
        sources: EvidenceSource::ALL
            .iter()
            .map(|s| (s.code(), pick(s.label_zh(), s.label_en())))
            .collect(),
        rx,
    }
    .into_response())
}

pub(super) async fn household_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Query(q): Query<AsOfQuery>,
) -> PageResult {
    render_household(&state, &u, id, q.as_of.as_deref(), None, None).await
}

#[derive(Deserialize)]
pub(super) struct RevealForm {
    field: String,
    #[serde(default)]
    person_id: String,
}

pub(super) async fn reveal_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(u, f): Posted<RevealForm>,
) -> PageResult {
    let person = f.person_id.parse::<i64>().ok();
    let (field, value) = jiuzhu_app::registry::reveal(&state.db, &u.acting(), id, person, &f.field)
        .await
        .map_err(WebError::from)?;
    render_household(
        &state,
        &u,
        id,
        None,
        Some(Revealed {
            person,
            field,
            value,
        }),
        None,
    )
    .await
}
