//! The clerk's intake page (一证通办): the household found by ID number, the prescription's proposals, and the application taken.

use super::*;

#[derive(Deserialize, Default)]
pub(super) struct IntakeQuery {
    #[serde(default)]
    id_number: String,
    /// An alert the application comes from (预警转办): its household's head applies.
    #[serde(default)]
    alert: Option<i64>,
}

/// A program the prescription proposes.
pub struct Proposal {
    pub code: String,
    pub label: String,
    pub department: String,
    pub eligible: bool,
    pub amount: String,
    pub open_in: String,
}

impl Proposal {
    /// Whether the program pays an amount to show (not only a status).
    pub fn pays(&self) -> bool {
        jiuzhu_policy::engine::has_amount(&self.amount)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "intake.html")]
pub(super) struct IntakeTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    /// The ID number typed by the clerk, echoed in the lookup box; empty when the applicant
    /// came from an alert (the page never shows an ID number the clerk did not type).
    id_number: String,
    found: Option<Found>,
    message: String,
}

/// The household found by the applicant's ID number.
pub struct Found {
    pub household_id: i64,
    pub household_code: String,
    pub region_code: String,
    pub region_name: String,
    pub elsewhere: bool,
    /// The applicant as the form carries it: a person id, never the ID number.
    pub applicant_person_id: i64,
    pub members: Vec<(String, String)>,
    pub proposals: Vec<Proposal>,
    pub auths: Vec<(i64, String)>,
}

/// The applicant of an intake: an ID number as typed, and whether the page may echo it
/// (not when it was looked up for the clerk, as from an alert).
pub(super) struct Applicant<'a> {
    id_number: &'a str,
    typed: bool,
}

pub(super) async fn render_intake(
    state: &AppState,
    u: &SignedIn,
    who: Applicant<'_>,
    message: String,
) -> PageResult {
    u.require(u.role.can_write_registry())?;
    let id_number = who.id_number.trim().to_uppercase();
    let mut found = None;
    let mut message = message;
    if !id_number.is_empty() {
        // 一证通办: the ID number finds the household anywhere; the items go to its region.
        match jiuzhu_app::intake::household_by_id_number(&state.db, &id_number).await? {
            None => {
                if message.is_empty() {
                    message = u.lang.t("intake_not_found").to_string();
                }
            }
            Some(rec) => {
                let h = &rec.household;
                let today = jiuzhu_db::today();
                let rx = jiuzhu_app::prescription::prescribe(&rec.as_of(today), today);
                let open = cases::open_items(&state.db, h.id).await?;
                let wf = workflows();
                let proposals = rx
                    .programs
                    .iter()
                    .filter(|p| wf.iter().any(|w| w.program == p.code))
                    .map(|p| Proposal {
                        code: p.code.clone(),
                        label: if u.lang == Lang::Zh {
                            p.label_zh.clone()
                        } else {
                            p.label_en.clone()
                        },
                        department: department_label(&p.department, u.lang),
                        eligible: p.eligible,
                        amount: p.amount.clone(),
                        open_in: open
                            .iter()
                            .find(|o| o.program == p.code)
                            .map(|o| o.application_code.clone())
                            .unwrap_or_default(),
                    })
                    .collect();
                let auths = jiuzhu_app::intake::authorisations(&state.db, h.id)
                    .await?
                    .into_iter()
                    .map(|a| (a.id, format!("#{} {} {}", a.id, a.signer_name, a.signed_on)))
                    .collect();
                let applicant = rec.current_members().find(|m| m.id_number == id_number);
                let region_name = jiuzhu_db::regions::get(&state.db, &h.region_code)
                    .await?
                    .map(|r| r.name)
                    .unwrap_or_default();
                found = Some(Found {
                    household_id: h.id,
                    household_code: h.code.clone(),
                    region_code: h.region_code.clone(),
                    region_name,
                    elsewhere: !u.scope.contains(&h.region_code),
                    applicant_person_id: applicant.map_or(0, |m| m.person_id),
                    members: rec
                        .current_members()
                        .map(|m| (m.name.clone(), mask_id_str(&m.id_number)))
                        .collect(),
                    proposals,
                    auths,
                });
            }
        }
    }
    let t = IntakeTemplate {
        lang: u.lang,
        title: u.lang.t("intake").into(),
        nav: Some(nav(state, u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        id_number: if who.typed { id_number } else { String::new() },
        found,
        message,
    };
    Ok(t.into_response())
}

pub(super) async fn intake_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<IntakeQuery>,
) -> PageResult {
    if let Some(alert) = q.alert {
        let id_number = jiuzhu_app::intake::applicant_from_alert(&state.db, &u.acting(), alert)
            .await
            .map_err(WebError::from)?;
        let who = Applicant {
            id_number: &id_number,
            typed: false,
        };
        return render_intake(&state, &u, who, String::new()).await;
    }
    let who = Applicant {
        id_number: &q.id_number,
        typed: true,
    };
    render_intake(&state, &u, who, String::new()).await
}

pub(super) async fn intake_submit(
    State(state): State<AppState>,
    Posted(u, pairs): Posted<Vec<(String, String)>>,
) -> PageResult {
    u.require(u.role.can_write_registry())?;
    let household_id: i64 = field(&pairs, "household_id")
        .parse()
        .map_err(|_| WebError::Invalid("household_id".into()))?;
    // The form names the applicant by person id; an API-like post may give the ID number.
    let by_person: Option<i64> = field(&pairs, "applicant").parse().ok();
    let typed = field(&pairs, "id_number").to_uppercase();
    let req = jiuzhu_app::cases::ApplicationRequest {
        household: Some(household_id),
        applicant: Some(match by_person {
            Some(pid) => jiuzhu_app::cases::Applicant::Person(pid),
            None => jiuzhu_app::cases::Applicant::IdNumber(typed.clone()),
        }),
        channel: field(&pairs, "channel"),
        proxy_name: field(&pairs, "proxy_name"),
        proxy_id_number: field(&pairs, "proxy_id_number"),
        source_ref: field(&pairs, "source_ref"),
        programs: crate::forms::fields(&pairs, "program"),
        any: field(&pairs, "any") == "1",
        authorisation: field(&pairs, "authorisation").parse().ok(),
        expense: field(&pairs, "expense"),
        urgent: field(&pairs, "urgent") == "1",
    };
    match jiuzhu_app::cases::take_application(&state.db, &u.acting(), req).await {
        Ok(id) => Ok(Redirect::to(&format!("/applications/{id}")).into_response()),
        Err(e) => {
            // The form is shown again for the applicant it was about, as a refused form.
            let (_, m) = WebError::from(e).refusal(u.lang)?;
            let status = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            let id_number = match by_person {
                Some(pid) => jiuzhu_app::intake::household(&state.db, household_id)
                    .await?
                    .and_then(|rec| {
                        rec.current_members()
                            .find(|m| m.person_id == pid)
                            .map(|m| m.id_number.clone())
                    })
                    .unwrap_or_default(),
                None => typed,
            };
            let who = Applicant {
                id_number: &id_number,
                typed: by_person.is_none(),
            };
            let mut r = render_intake(&state, &u, who, m).await?;
            *r.status_mut() = status;
            Ok(r)
        }
    }
}
