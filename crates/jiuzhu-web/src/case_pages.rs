//! One-door intake and online approval (一门受理、协同办理): the clerk's intake page, the
//! application with its one-time notice, department queues, the case page with its steps,
//! timeline and documents, the supervisor's deadline board, and the holiday calendar an
//! administrator edits.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::NaiveDate;
use jiuzhu_app::cases::{NoteRequest, StepRequest, program_of_category, workflows};
use jiuzhu_db::cases::{self, Item};
use jiuzhu_db::households;
use jiuzhu_domain::calendar::WorkCalendar;
use jiuzhu_domain::workflow::{self, StepInput, StepKind};
use jiuzhu_domain::{Money, Role, mask_id_str};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::auth::{PageUser, SignedIn};
use crate::error::WebError;
use crate::forms::{field, form_pairs, inline_file, read_upload};
use crate::i18n::Lang;
use crate::pages::{Nav, PageError, nav};

type PageResult = Result<Response, PageError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/intake", get(intake_page).post(intake_submit))
        .route("/applications", get(my_applications))
        .route("/applications/{id}", get(application_page))
        .route("/cases", get(queue_page))
        .route("/cases/board", get(board_page).post(board_notify))
        .route("/cases/notice.xlsx", get(notice_xlsx))
        .route("/cases/{id}", get(case_page))
        .route("/cases/{id}/step", post(step_submit))
        .route("/cases/{id}/note", post(note_submit))
        .route("/cases/{id}/documents/{kind}", get(document_page))
        .route("/case-files/{id}", get(case_file))
        .route("/admin/calendar", get(calendar_page).post(calendar_submit))
        .route("/admin/delegation", post(delegation_submit))
        .route("/apply", get(apply_page).post(apply_submit))
        .route(
            "/households/{id}/changes",
            get(change_page).post(change_submit),
        )
        .route("/cases/reviews", get(reviews_page))
        .route("/status", get(status_page).post(status_submit))
}

/// The calendar in force: the administrator's edited copy, else the shipped one.
pub async fn calendar(state: &AppState) -> WorkCalendar {
    jiuzhu_app::calendar::in_force(&state.db, &state.calendar).await
}

fn program_label(code: &str, lang: Lang) -> String {
    let labels = [
        ("dibao", "最低生活保障", "minimum living guarantee"),
        (
            "dibao_single",
            "低保（单人户纳入）",
            "dibao for a member included alone",
        ),
        ("dibao_edge", "低保边缘家庭", "near-dibao household"),
        (
            "tekun",
            "特困人员救助供养",
            "support for people in extreme poverty",
        ),
        ("temporary", "临时救助", "temporary assistance"),
        ("medical", "医疗救助", "medical assistance"),
        ("education", "教育救助", "education assistance"),
        (
            "disability_living",
            "困难残疾人生活补贴",
            "living subsidy for poor disabled people",
        ),
        (
            "disability_nursing",
            "重度残疾人护理补贴",
            "nursing subsidy for severely disabled people",
        ),
    ];
    labels
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, zh, en)| {
            if lang == Lang::Zh {
                zh.to_string()
            } else {
                en.to_string()
            }
        })
        .unwrap_or_else(|| code.to_string())
}

fn department_label(code: &str, lang: Lang) -> String {
    workflow::DEPARTMENTS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, zh, en)| {
            if lang == Lang::Zh {
                zh.to_string()
            } else {
                en.to_string()
            }
        })
        .unwrap_or_else(|| code.to_string())
}

fn step_label(code: &str, lang: Lang) -> String {
    StepKind::parse(code)
        .map(|s| {
            if lang == Lang::Zh {
                s.label_zh()
            } else {
                s.label_en()
            }
            .to_string()
        })
        .unwrap_or_else(|| code.to_string())
}

/// green, amber (three working days or fewer left) or red (past the deadline).
pub fn deadline_colour(item: &Item, today: NaiveDate, cal: &WorkCalendar) -> &'static str {
    if item.status != "open" {
        return "done";
    }
    let today_s = today.to_string();
    // On the green channel, once aid is decided the paperwork deadline is the one that counts.
    let deadline = match (&item.paperwork_deadline, item.amount_fen) {
        (Some(p), Some(_)) if item.green_channel => p.as_str(),
        _ => item.deadline.as_str(),
    };
    if deadline < today_s.as_str() {
        "red"
    } else if deadline <= cal.add_working_days(today, 3).to_string().as_str() {
        "amber"
    } else {
        "green"
    }
}

/// An item as lists show it.
pub struct ItemRow {
    pub id: i64,
    pub application_id: i64,
    pub application_code: String,
    pub household_id: i64,
    pub household_code: String,
    pub program: String,
    pub program_label: String,
    pub department: String,
    pub region_code: String,
    pub status: String,
    pub step: String,
    pub step_label: String,
    pub deadline: String,
    pub colour: &'static str,
    pub taken_by: String,
    pub amount: String,
    pub green_channel: bool,
}

fn item_row(i: &Item, lang: Lang, today: NaiveDate, cal: &WorkCalendar) -> ItemRow {
    ItemRow {
        id: i.id,
        application_id: i.application_id,
        application_code: i.application_code.clone(),
        household_id: i.household_id,
        household_code: i.household_code.clone(),
        program: i.program.clone(),
        program_label: program_label(&i.program, lang),
        department: department_label(&i.department, lang),
        region_code: i.region_code.clone(),
        status: i.status.clone(),
        step: i.current_step().unwrap_or_default().to_string(),
        step_label: i
            .current_step()
            .map(|s| step_label(s, lang))
            .unwrap_or_default(),
        deadline: i.deadline.clone(),
        colour: deadline_colour(i, today, cal),
        taken_by: i.taken_by.clone(),
        amount: i
            .amount_fen
            .map(|f| Money::from_fen(f).to_string())
            .unwrap_or_default(),
        green_channel: i.green_channel,
    }
}

// ------------------------------------------------------------------------------ intake

#[derive(Deserialize, Default)]
struct IntakeQuery {
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

#[derive(Template, WebTemplate)]
#[template(path = "intake.html")]
struct IntakeTemplate {
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
    pub applicant_name: String,
    pub members: Vec<(String, String)>,
    pub proposals: Vec<Proposal>,
    pub auths: Vec<(i64, String)>,
}

/// The applicant of an intake: an ID number as typed, and whether the page may echo it
/// (not when it was looked up for the clerk, as from an alert).
struct Applicant<'a> {
    id_number: &'a str,
    typed: bool,
}

async fn render_intake(
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
                    applicant_name: applicant.map(|m| m.name.clone()).unwrap_or_default(),
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

async fn intake_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<IntakeQuery>,
) -> PageResult {
    if let Some(alert) = q.alert {
        u.require(u.role.can_write_registry())?;
        let a = jiuzhu_db::monitoring::alert(&state.db, &u.scope, alert)
            .await?
            .ok_or(WebError::NotFound)?;
        let hh = a.household_id.ok_or(WebError::NotFound)?;
        let rec = households::get(&state.db, &u.scope, hh)
            .await?
            .ok_or(WebError::NotFound)?;
        let head = rec
            .current_members()
            .find(|m| m.relation == "head")
            .or_else(|| rec.current_members().next())
            .ok_or(WebError::NotFound)?;
        // The clerk sees the head's ID number to take the application: audited.
        jiuzhu_db::audit::record(
            &state.db,
            &u.actor(),
            jiuzhu_db::audit::Entry {
                action: "intake.from_alert",
                object_type: "alert",
                object_id: alert.to_string(),
                household_id: Some(hh),
                detail: json!({"person_id": head.person_id}),
            },
        )
        .await?;
        let who = Applicant {
            id_number: &head.id_number,
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

async fn intake_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    body: String,
) -> PageResult {
    let pairs = form_pairs(&body);
    u.check_csrf(&field(&pairs, "csrf"))?;
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
            let (_, m) = WebError::from(e).refusal()?;
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
// ------------------------------------------------------------------------ applications

#[derive(Template, WebTemplate)]
#[template(path = "application.html")]
struct ApplicationTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    a: cases::Application,
    applicant: String,
    notice: Vec<String>,
    items: Vec<ItemRow>,
}

async fn application_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    let a = cases::application(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let items = cases::items_of(&state.db, id).await?;
    // The clerk who took it follows it (首问); otherwise the household's region decides.
    let visible =
        a.taken_by == u.user.username || items.iter().any(|i| u.scope.contains(&i.region_code));
    if !visible || !u.role.can_read_registry() {
        return Err(WebError::NotFound.into());
    }
    let today = jiuzhu_db::today();
    let cal = calendar(&state).await;
    let t = ApplicationTemplate {
        lang: u.lang,
        title: format!("{} {}", u.lang.t("application"), a.code),
        nav: Some(nav(&state, &u).await),
        applicant: format!(
            "{} {}",
            crate::views::name_for(&a.applicant_name, u.role.sees_full_names()),
            mask_id_str(&a.applicant_id_number)
        ),
        notice: serde_json::from_str(&a.notice).unwrap_or_default(),
        items: items
            .iter()
            .map(|i| item_row(i, u.lang, today, &cal))
            .collect(),
        a,
    };
    Ok(t.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "applications.html")]
struct MyApplicationsTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    rows: Vec<(cases::Application, Vec<ItemRow>)>,
}

async fn my_applications(State(state): State<AppState>, PageUser(u): PageUser) -> PageResult {
    u.require(u.role.can_write_registry())?;
    let today = jiuzhu_db::today();
    let cal = calendar(&state).await;
    let mut rows = Vec::new();
    for a in cases::taken_by(&state.db, &u.user.username, 100).await? {
        let items = cases::items_of(&state.db, a.id).await?;
        rows.push((
            a,
            items
                .iter()
                .map(|i| item_row(i, u.lang, today, &cal))
                .collect(),
        ));
    }
    let t = MyApplicationsTemplate {
        lang: u.lang,
        title: u.lang.t("my_applications").into(),
        nav: Some(nav(&state, &u).await),
        rows,
    };
    Ok(t.into_response())
}

// ------------------------------------------------------------------------------ queues

#[derive(Deserialize, Default)]
struct QueueQuery {
    #[serde(default)]
    department: String,
    #[serde(default)]
    all: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "cases.html")]
struct QueueTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    department: String,
    departments: Vec<(&'static str, String)>,
    rows: Vec<ItemRow>,
}

async fn queue_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<QueueQuery>,
) -> PageResult {
    u.require(
        u.role.can_write_registry() || u.role == Role::DepartmentHandler || u.role == Role::Auditor,
    )?;
    let department = if q.department.is_empty() && u.role == Role::DepartmentHandler {
        u.user.department.clone()
    } else {
        q.department.clone()
    };
    let items = cases::queue(
        &state.db,
        &u.scope,
        (!department.is_empty()).then_some(department.as_str()),
        q.all != "1",
    )
    .await?;
    let today = jiuzhu_db::today();
    let cal = calendar(&state).await;
    let t = QueueTemplate {
        lang: u.lang,
        title: u.lang.t("case_queue").into(),
        nav: Some(nav(&state, &u).await),
        departments: workflow::DEPARTMENTS
            .iter()
            .map(|(c, _, _)| (*c, department_label(c, u.lang)))
            .collect(),
        department,
        rows: items
            .iter()
            .map(|i| item_row(i, u.lang, today, &cal))
            .collect(),
    };
    Ok(t.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "board.html")]
struct BoardTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    red: Vec<ItemRow>,
    amber: Vec<ItemRow>,
    can_notify: bool,
}

async fn board_page(State(state): State<AppState>, PageUser(u): PageUser) -> PageResult {
    u.require(matches!(
        u.role,
        Role::CountyApprover | Role::CityAdmin | Role::Auditor | Role::TownshipOfficer
    ))?;
    let today = jiuzhu_db::today();
    let cal = calendar(&state).await;
    let rows: Vec<ItemRow> = cases::queue(&state.db, &u.scope, None, true)
        .await?
        .iter()
        .map(|i| item_row(i, u.lang, today, &cal))
        .collect();
    let (red, rest): (Vec<ItemRow>, Vec<ItemRow>) =
        rows.into_iter().partition(|r| r.colour == "red");
    let t = BoardTemplate {
        lang: u.lang,
        title: u.lang.t("deadline_board").into(),
        nav: Some(nav(&state, &u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        red,
        amber: rest.into_iter().filter(|r| r.colour == "amber").collect(),
        can_notify: matches!(u.role, Role::CountyApprover | Role::CityAdmin),
    };
    Ok(t.into_response())
}

#[derive(Deserialize)]
struct CsrfOnly {
    csrf: String,
}

async fn board_notify(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    u.check_csrf(&f.csrf)?;
    jiuzhu_app::cases::notify_overdue(&state.db, &u.acting()).await?;
    Ok(Redirect::to("/cases/board").into_response())
}
// -------------------------------------------------------------------------------- case

pub struct EventView {
    pub at: String,
    pub actor: String,
    pub step: String,
    pub action: String,
    pub data: String,
    pub id: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "case.html")]
struct CaseTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    i: ItemRow,
    steps: Vec<(String, String, &'static str)>,
    events: Vec<EventView>,
    files: Vec<(i64, String, String, String)>,
    can_act: bool,
    can_approve: bool,
    areas: Vec<(&'static str, &'static str)>,
    notice_from: String,
    notice_until: String,
    open_objections: Vec<EventView>,
    departments: Vec<(&'static str, String)>,
    documents: Vec<(&'static str, String)>,
    paperwork_deadline: String,
    cohandlers: Vec<String>,
    is_cohandler: bool,
    message: String,
}

fn documents_of(item: &Item, events: &[cases::Event], lang: Lang) -> Vec<(&'static str, String)> {
    let done =
        |step: &str, action: &str| events.iter().any(|e| e.step == step && e.action == action);
    let mut out = Vec::new();
    let t = |k: &str| lang.t(k).to_string();
    if done("accept", "complete") {
        out.push(("acceptance", t("doc_acceptance")));
    }
    if done("accept", "refuse") {
        out.push(("non_acceptance", t("doc_non_acceptance")));
    }
    if done("investigate", "complete") {
        out.push(("investigation", t("doc_investigation")));
    }
    if item.status == "approved" && (item.kind == "terminate" || item.kind == "suspend") {
        out.push(("termination", t("doc_termination")));
    } else if item.status == "approved" {
        out.push(("decision", t("doc_decision")));
    }
    if done("approve", "refuse") {
        out.push(("refusal", t("doc_refusal")));
    }
    out
}

async fn render_case(state: &AppState, u: &SignedIn, id: i64, message: String) -> PageResult {
    let item = cases::item(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)?;
    if !(u.scope.contains(&item.region_code) || item.taken_by == u.user.username)
        || !u.role.can_read_registry()
    {
        return Err(WebError::NotFound.into());
    }
    let today = jiuzhu_db::today();
    let cal = calendar(state).await;
    let events = cases::events(&state.db, id).await?;
    let cohandlers = cases::cohandlers(&state.db, id).await?;
    let is_cohandler = u.role == Role::DepartmentHandler
        && cohandlers.contains(&u.user.department)
        && u.scope.contains(&item.region_code);
    let view = |e: &cases::Event| EventView {
        at: e.at.clone(),
        actor: e.actor.clone(),
        step: step_label(&e.step, u.lang),
        action: e.action.clone(),
        data: e.data.clone(),
        id: e.id,
    };
    let answered: Vec<i64> = events
        .iter()
        .filter(|e| e.action == "answer")
        .filter_map(|e| {
            serde_json::from_str::<serde_json::Value>(&e.data).ok()?["objection"].as_i64()
        })
        .collect();
    let open_objections = events
        .iter()
        .filter(|e| e.action == "objection" && !answered.contains(&e.id))
        .map(view)
        .collect();
    let idx = item.step_index as usize;
    let steps = item
        .steps
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let state = if item.status != "open" && k >= idx {
                if item.status == "approved" {
                    "done"
                } else {
                    "stopped"
                }
            } else if k < idx {
                "done"
            } else if k == idx {
                "current"
            } else {
                "todo"
            };
            (s.clone(), step_label(s, u.lang), state)
        })
        .collect();
    let notice_until = item
        .notice_from
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .map(|d| (d + chrono::Duration::days(workflow::NOTICE_DAYS)).to_string())
        .unwrap_or_default();
    let t = CaseTemplate {
        lang: u.lang,
        title: format!(
            "{} {}",
            program_label(&item.program, u.lang),
            item.household_code
        ),
        nav: Some(nav(state, u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        can_act: jiuzhu_app::cases::may_act(&u.acting(), &item),
        can_approve: jiuzhu_app::cases::may_approve(
            &u.acting(),
            &item,
            &jiuzhu_app::cases::delegated_counties(&state.db).await?,
        ),
        areas: workflow::INVESTIGATION_AREAS.to_vec(),
        notice_from: item.notice_from.clone().unwrap_or_default(),
        notice_until,
        open_objections,
        departments: workflow::DEPARTMENTS
            .iter()
            .map(|(c, _, _)| (*c, department_label(c, u.lang)))
            .collect(),
        documents: documents_of(&item, &events, u.lang),
        paperwork_deadline: item.paperwork_deadline.clone().unwrap_or_default(),
        cohandlers: cohandlers
            .iter()
            .map(|d| department_label(d, u.lang))
            .collect(),
        is_cohandler,
        files: cases::files_of(&state.db, id).await?,
        events: events.iter().map(view).collect(),
        steps,
        i: item_row(&item, u.lang, today, &cal),
        message,
    };
    Ok(t.into_response())
}

async fn case_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    render_case(&state, &u, id, String::new()).await
}

async fn step_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    m: Multipart,
) -> PageResult {
    let up = read_upload(m).await?;
    let f = |name: &str| {
        up.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    u.check_csrf(&f("csrf"))?;
    let input = StepInput {
        areas: workflow::INVESTIGATION_AREAS
            .iter()
            .map(|(c, _)| (c.to_string(), f(&format!("area_{c}"))))
            .filter(|(_, v)| !v.is_empty())
            .collect(),
        staff: f("staff")
            .split([',', '，', '、', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        attachments: Vec::new(),
        opinion: f("opinion"),
    };
    let req = StepRequest {
        step: f("step"),
        action: f("action"),
        input,
        reason: f("reason"),
        files: up.files,
    };
    match jiuzhu_app::cases::act(&state.db, &u.acting(), id, req)
        .await
        .map_err(WebError::from)
    {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}")).into_response()),
        Err(e) => {
            let (status, m) = e.refusal()?;
            let mut r = render_case(&state, &u, id, m).await?;
            *r.status_mut() = status;
            Ok(r)
        }
    }
}

#[derive(Deserialize)]
struct NoteForm {
    csrf: String,
    action: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    objection: String,
    #[serde(default)]
    department: String,
}

async fn note_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<NoteForm>,
) -> PageResult {
    u.check_csrf(&f.csrf)?;
    let req = NoteRequest {
        action: f.action,
        text: f.text,
        objection: f.objection.trim().parse().ok(),
        department: f.department,
    };
    match jiuzhu_app::cases::note(&state.db, &u.acting(), id, req).await {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}")).into_response()),
        Err(e) => {
            let (status, m) = WebError::from(e).refusal()?;
            let mut r = render_case(&state, &u, id, m).await?;
            *r.status_mut() = status;
            Ok(r)
        }
    }
}
async fn case_file(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    u.require(u.role.can_read_registry())?;
    let (name, mime, bytes) = cases::file(&state.db, &u.scope, id)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(inline_file(&name, mime, bytes))
}

// --------------------------------------------------------------------------- documents

#[derive(Template, WebTemplate)]
#[template(path = "document.html")]
struct DocumentTemplate {
    lang: Lang,
    title: String,
    blocks: Vec<crate::pdf::Block>,
}

/// The fields a document is written from.
struct DocumentFields {
    kind: String,
    title: String,
    number: String,
    applicant: String,
    household_code: String,
    region_name: String,
    program: String,
    date: String,
    amount: String,
    reason: String,
    receipt_sha256: String,
    areas: Vec<(String, String)>,
    staff: String,
    notice: Vec<String>,
    deadline: String,
}

/// The text of an official document, the same for the printable page and the PDF.
fn document_blocks(d: &DocumentFields) -> Vec<crate::pdf::Block> {
    use crate::pdf::Block::{Paragraph as P, Right, Title};
    let mut b = vec![Title(d.title.clone()), Right(d.number.clone())];
    let review = "如对本决定不服，可以自收到本决定之日起六十日内依法申请行政复议，或者六个月内依法提起行政诉讼。";
    match d.kind.as_str() {
        "acceptance" => {
            b.push(P(format!("{}：", d.applicant)));
            b.push(P(format!(
                "您（户号 {}，{}）申请的{}，经审查材料齐全、符合法定形式，本机关于 {} 予以受理，将在 {} 前作出决定。",
                d.household_code, d.region_name, d.program, d.date, d.deadline
            )));
            if !d.notice.is_empty() {
                b.push(P("请补充以下材料（一次性告知）：".into()));
                for (k, n) in d.notice.iter().enumerate() {
                    b.push(P(format!("{}. {n}", k + 1)));
                }
            }
        }
        "non_acceptance" => {
            b.push(P(format!("{}：", d.applicant)));
            b.push(P(format!(
                "您申请的{}，经审查，决定不予受理。理由：{}。{review}",
                d.program, d.reason
            )));
        }
        "investigation" => {
            b.push(P(format!(
                "户号 {} · {} · {} · 调查日期 {}",
                d.household_code, d.region_name, d.program, d.date
            )));
            for (area, text) in &d.areas {
                b.push(P(format!("{area}：{text}")));
            }
            b.push(P(format!("调查人员：{}", d.staff)));
        }
        "decision" => {
            b.push(P(format!("{}：", d.applicant)));
            b.push(P(format!(
                "经审核审批，决定给予您家庭（户号 {}，{}）{}，金额 {} 元，自 {} 起执行。",
                d.household_code, d.region_name, d.program, d.amount, d.date
            )));
            b.push(P(format!(
                "计算依据见政策引擎计算凭证，凭证摘要 SHA-256：{}，可随时复算。",
                d.receipt_sha256
            )));
            b.push(P(review.into()));
        }
        "termination" => {
            b.push(P(format!("{}：", d.applicant)));
            b.push(P(format!(
                "经核查，您家庭（户号 {}，{}）已不再符合{}条件，决定自 {} 起停止（暂停）发放。{review}",
                d.household_code, d.region_name, d.program, d.date
            )));
            b.push(P(format!("凭证摘要 SHA-256：{}", d.receipt_sha256)));
        }
        "refusal" => {
            b.push(P(format!("{}：", d.applicant)));
            b.push(P(format!(
                "您申请的{}，经审核审批，决定不予批准。理由：{}。{review}",
                d.program, d.reason
            )));
        }
        _ => {}
    }
    b.push(Right(d.date.clone()));
    b
}

#[derive(Deserialize, Default)]
struct DocumentQuery {
    #[serde(default)]
    format: String,
}

async fn document_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path((id, kind)): Path<(i64, String)>,
    Query(q): Query<DocumentQuery>,
) -> PageResult {
    let item = cases::item(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)?;
    if !(u.scope.contains(&item.region_code) || item.taken_by == u.user.username)
        || !u.role.can_read_registry()
    {
        return Err(WebError::NotFound.into());
    }
    let events = cases::events(&state.db, id).await?;
    if !documents_of(&item, &events, u.lang)
        .iter()
        .any(|(k, _)| *k == kind)
    {
        return Err(WebError::NotFound.into());
    }
    let app = cases::application(&state.db, item.application_id)
        .await?
        .ok_or(WebError::NotFound)?;
    let find = |step: &str, action: &str| {
        events
            .iter()
            .rev()
            .find(|e| e.step == step && e.action == action)
            .and_then(|e| {
                serde_json::from_str::<serde_json::Value>(&e.data)
                    .ok()
                    .map(|d| (e.at.clone(), d))
            })
    };
    let (date, reason, areas, staff) = match kind.as_str() {
        "non_acceptance" => {
            let (at, d) = find("accept", "refuse").unwrap_or_default();
            (
                at,
                d["reason"].as_str().unwrap_or_default().to_string(),
                vec![],
                String::new(),
            )
        }
        "refusal" => {
            let (at, d) = find("approve", "refuse").unwrap_or_default();
            (
                at,
                d["reason"].as_str().unwrap_or_default().to_string(),
                vec![],
                String::new(),
            )
        }
        "investigation" => {
            let (at, d) = find("investigate", "complete").unwrap_or_default();
            let areas = workflow::INVESTIGATION_AREAS
                .iter()
                .map(|(c, label)| {
                    (
                        label.to_string(),
                        d["areas"][c].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            let staff = d["staff"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join("、")
                })
                .unwrap_or_default();
            (at, String::new(), areas, staff)
        }
        "decision" | "termination" => (
            item.closed_at.clone().unwrap_or_default(),
            String::new(),
            vec![],
            String::new(),
        ),
        _ => (
            find("accept", "complete")
                .map(|(at, _)| at)
                .unwrap_or_default(),
            String::new(),
            vec![],
            String::new(),
        ),
    };
    let region_name = jiuzhu_db::regions::get(&state.db, &item.region_code)
        .await?
        .map(|r| r.name)
        .unwrap_or_default();
    jiuzhu_db::audit::record(
        &state.db,
        &u.actor(),
        jiuzhu_db::audit::Entry {
            action: "case.document",
            object_type: "case_item",
            object_id: id.to_string(),
            household_id: Some(item.household_id),
            detail: json!({"kind": kind}),
        },
    )
    .await?;
    let fields = DocumentFields {
        title: documents_of(&item, &events, u.lang)
            .into_iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, l)| l)
            .unwrap_or_default(),
        number: format!("{}-{}", app.code, item.id),
        applicant: format!(
            "{}（{}）",
            crate::views::name_for(&app.applicant_name, u.role.sees_full_names()),
            mask_id_str(&app.applicant_id_number)
        ),
        household_code: item.household_code.clone(),
        region_name,
        program: program_label(&item.program, u.lang),
        date: date.get(..10).unwrap_or(&date).to_string(),
        amount: item
            .amount_fen
            .map(|f| Money::from_fen(f).to_string())
            .unwrap_or_default(),
        reason,
        receipt_sha256: item.receipt_sha256.clone().unwrap_or_default(),
        areas,
        staff,
        notice: serde_json::from_str(&app.notice).unwrap_or_default(),
        deadline: item.deadline.clone(),
        kind,
    };
    let blocks = document_blocks(&fields);
    if q.format == "pdf" {
        let name = format!("{}-{}.pdf", fields.number, fields.kind);
        return Ok((
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            crate::pdf::render(&blocks),
        )
            .into_response());
    }
    let t = DocumentTemplate {
        lang: u.lang,
        title: fields.title.clone(),
        blocks,
    };
    Ok(t.into_response())
}

/// 公示名单 as XLSX: items in public notice in the user's scope. The list shows the head's
/// name, the masked ID number, the village and the program; no address, phone, health or
/// disability.
async fn notice_xlsx(State(state): State<AppState>, PageUser(u): PageUser) -> PageResult {
    u.require(u.role.can_read_registry())?;
    let items: Vec<Item> = cases::queue(&state.db, &u.scope, Some("civil_affairs"), true)
        .await?
        .into_iter()
        .filter(|i| i.current_step() == Some("notice"))
        .collect();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let err = |e: rust_xlsxwriter::XlsxError| WebError::Internal(e.to_string());
    for (c, h) in [
        "申请编号",
        "姓名",
        "身份证号",
        "村（社区）",
        "救助事项",
        "公示起",
        "公示止",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, c as u16, *h).map_err(err)?;
    }
    for (r, i) in items.iter().enumerate() {
        let app = cases::application(&state.db, i.application_id)
            .await?
            .ok_or(WebError::NotFound)?;
        let village = jiuzhu_db::regions::get(&state.db, &i.region_code)
            .await?
            .map(|r| r.name)
            .unwrap_or_default();
        let from = i.notice_from.clone().unwrap_or_default();
        let until = NaiveDate::parse_from_str(&from, "%Y-%m-%d")
            .map(|d| (d + chrono::Duration::days(workflow::NOTICE_DAYS)).to_string())
            .unwrap_or_default();
        let row = (r + 1) as u32;
        for (c, v) in [
            app.code,
            crate::views::name_for(&app.applicant_name, u.role.sees_full_names()),
            mask_id_str(&app.applicant_id_number),
            village,
            program_label(&i.program, Lang::Zh),
            from,
            until,
        ]
        .iter()
        .enumerate()
        {
            sheet.write_string(row, c as u16, v).map_err(err)?;
        }
    }
    let bytes = book.save_to_buffer().map_err(err)?;
    jiuzhu_db::audit::record(
        &state.db,
        &u.actor(),
        jiuzhu_db::audit::Entry {
            action: "case.notice_list",
            object_type: "export",
            object_id: "notice.xlsx".into(),
            household_id: None,
            detail: json!({"rows": items.len()}),
        },
    )
    .await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"notice.xlsx\"".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}

// ---------------------------------------------------------------------------- calendar

#[derive(Template, WebTemplate)]
#[template(path = "calendar.html")]
struct CalendarTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    text: String,
    delegated: String,
    message: String,
}

#[derive(Deserialize)]
struct DelegationForm {
    csrf: String,
    counties: String,
}

/// Which counties delegate dibao and tekun approval to their townships.
async fn delegation_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Form(f): Form<DelegationForm>,
) -> PageResult {
    u.check_csrf(&f.csrf)?;
    u.require(u.role.can_admin_users())?;
    let codes: Vec<&str> = f
        .counties
        .split([',', ' ', '，', '\n'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    if let Some(bad) = codes
        .iter()
        .find(|c| c.len() != 6 || !c.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(
            WebError::Invalid(format!("counties: {bad:?} is not a 6-digit county code")).into(),
        );
    }
    cases::set_setting(
        &state.db,
        &u.actor(),
        "delegated_counties",
        &codes.join(","),
    )
    .await?;
    Ok(Redirect::to("/admin/calendar").into_response())
}

async fn calendar_page(State(state): State<AppState>, PageUser(u): PageUser) -> PageResult {
    u.require(u.role.can_admin_users())?;
    let text = cases::setting(&state.db, "calendar")
        .await?
        .unwrap_or_else(|| jiuzhu_domain::calendar::SHIPPED.to_string());
    let t = CalendarTemplate {
        lang: u.lang,
        title: u.lang.t("calendar").into(),
        nav: Some(nav(&state, &u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        text,
        delegated: jiuzhu_app::cases::delegated_counties(&state.db)
            .await?
            .join(","),
        message: String::new(),
    };
    Ok(t.into_response())
}

#[derive(Deserialize)]
struct CalendarForm {
    csrf: String,
    text: String,
}

async fn calendar_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Form(f): Form<CalendarForm>,
) -> PageResult {
    u.check_csrf(&f.csrf)?;
    u.require(u.role.can_admin_users())?;
    let text = f.text.replace("\r\n", "\n");
    match WorkCalendar::parse(&text) {
        Ok(_) => {
            cases::set_setting(&state.db, &u.actor(), "calendar", &text).await?;
            Ok(Redirect::to("/admin/calendar").into_response())
        }
        Err(e) => {
            let t = CalendarTemplate {
                lang: u.lang,
                title: u.lang.t("calendar").into(),
                nav: Some(nav(&state, &u).await),
                csrf: u.csrf.clone().unwrap_or_default(),
                text,
                delegated: jiuzhu_app::cases::delegated_counties(&state.db)
                    .await?
                    .join(","),
                message: e.to_string(),
            };
            let mut r = t.into_response();
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
    }
}

// ------------------------------------------------------------- the applicant, online

#[derive(Template, WebTemplate)]
#[template(path = "apply.html")]
struct ApplyTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    programs: Vec<(String, String)>,
    message: String,
    id_number: String,
    name: String,
}

async fn apply_page(crate::auth::UiLang(lang): crate::auth::UiLang) -> PageResult {
    Ok(apply_form(lang, String::new(), String::new(), String::new()).into_response())
}

fn apply_form(lang: Lang, message: String, id_number: String, name: String) -> ApplyTemplate {
    ApplyTemplate {
        lang,
        title: lang.t("apply_online").into(),
        nav: None,
        programs: workflows()
            .iter()
            .map(|w| (w.program.clone(), program_label(&w.program, lang)))
            .collect(),
        message,
        id_number,
        name,
    }
}

/// An application by the applicant online (网上申请). The applicant is identified by ID
/// number, name and the phone number on record (in production, by the provincial identity
/// service); the authorisation is signed later at the window, as the notice says.
async fn apply_submit(
    State(state): State<AppState>,
    crate::auth::UiLang(lang): crate::auth::UiLang,
    crate::auth::ClientIp(ip): crate::auth::ClientIp,
    body: String,
) -> PageResult {
    let pairs = form_pairs(&body);
    let id_number = field(&pairs, "id_number").to_uppercase();
    let name = field(&pairs, "name");
    let phone = field(&pairs, "phone");
    let refuse_with = |status: axum::http::StatusCode, m: &str| {
        let mut r =
            apply_form(lang, m.to_string(), id_number.clone(), name.clone()).into_response();
        *r.status_mut() = status;
        Ok(r)
    };
    let refuse = |m: &str| refuse_with(axum::http::StatusCode::UNPROCESSABLE_ENTITY, m);
    // Identity tries are limited per ID number and per address: nobody can try phone
    // numbers against an ID number without end.
    let (by_id, by_ip) = (format!("apply-id:{id_number}"), format!("apply-ip:{ip}"));
    if state.status_tries.locked(&by_id) || state.status_tries.locked(&by_ip) {
        return refuse_with(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            lang.t("too_many_tries"),
        );
    }
    let miss = || {
        let lock = state.config.lockout;
        let a = state.status_tries.fail(&by_id, APPLY_TRIES_PER_ID, lock);
        let b = state.status_tries.fail(&by_ip, TRIES_PER_ADDRESS, lock);
        a || b
    };
    let application = jiuzhu_app::cases::OnlineApplication {
        id_number: id_number.clone(),
        name: name.clone(),
        phone,
        programs: crate::forms::fields(&pairs, "program"),
        any: field(&pairs, "any") == "1",
        expense: field(&pairs, "expense"),
    };
    match jiuzhu_app::cases::apply_online(&state.db, &ip, application)
        .await
        .map_err(WebError::from)
    {
        Ok(None) => {
            miss();
            refuse(lang.t("apply_not_matched"))
        }
        Ok(Some(id)) => {
            state.status_tries.clear(&by_id);
            // The status is shown at once, not by a redirect: the ID number stays out of
            // the address bar, the history and the server logs.
            let a = cases::application(&state.db, id)
                .await?
                .ok_or(WebError::NotFound)?;
            let t = status_of(&state, lang, &a.code, &id_number).await?;
            Ok(t.into_response())
        }
        Err(e) => {
            // The identity matched: the refusal is about the application itself.
            state.status_tries.clear(&by_id);
            let (_, m) = e.refusal()?;
            refuse(&m)
        }
    }
}

/// Wrong identities the online application accepts per ID number, and wrong lookups
/// per address (application and status page), before a lock of the lock-out's length.
const APPLY_TRIES_PER_ID: u32 = 5;
const TRIES_PER_ADDRESS: u32 = 20;

#[derive(Deserialize, Default)]
struct StatusQuery {
    #[serde(default)]
    code: String,
    #[serde(default)]
    id_number: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "status.html")]
struct StatusTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    code: String,
    found: bool,
    notice: Vec<String>,
    items: Vec<ItemRow>,
    message: String,
}

/// The status of application `code` if `id_number` is its applicant's.
async fn status_of(
    state: &AppState,
    lang: Lang,
    code: &str,
    id_number: &str,
) -> Result<StatusTemplate, WebError> {
    let mut t = StatusTemplate {
        lang,
        title: lang.t("application_status").into(),
        nav: None,
        code: code.trim().to_string(),
        found: false,
        notice: Vec::new(),
        items: Vec::new(),
        message: String::new(),
    };
    if t.code.is_empty() {
        return Ok(t);
    }
    let Some(id) = cases::application_id_by_code(&state.db, &t.code).await? else {
        return Ok(t);
    };
    let a = cases::application(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)?;
    if a.applicant_id_number.eq_ignore_ascii_case(id_number.trim()) {
        let today = jiuzhu_db::today();
        let cal = calendar(state).await;
        t.found = true;
        t.notice = serde_json::from_str(&a.notice).unwrap_or_default();
        t.items = cases::items_of(&state.db, id)
            .await?
            .iter()
            .map(|i| item_row(i, lang, today, &cal))
            .collect();
    }
    Ok(t)
}

/// The applicant's status page: the application's items, where each stands and by when,
/// for the application number with the applicant's ID number. Nothing else is shown.
/// Wrong lookups are limited per address.
async fn status_lookup(state: &AppState, lang: Lang, ip: &str, q: &StatusQuery) -> PageResult {
    let key = format!("status-ip:{ip}");
    if state.status_tries.locked(&key) {
        let mut t = status_of(state, lang, "", "").await?;
        t.code = q.code.trim().to_string();
        t.message = lang.t("too_many_tries").into();
        let mut r = t.into_response();
        *r.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
        return Ok(r);
    }
    let t = status_of(state, lang, &q.code, &q.id_number).await?;
    if !t.code.is_empty() && !t.found {
        state
            .status_tries
            .fail(&key, TRIES_PER_ADDRESS, state.config.lockout);
    }
    Ok(t.into_response())
}

async fn status_page(
    State(state): State<AppState>,
    crate::auth::UiLang(lang): crate::auth::UiLang,
    crate::auth::ClientIp(ip): crate::auth::ClientIp,
    Query(q): Query<StatusQuery>,
) -> PageResult {
    status_lookup(&state, lang, &ip, &q).await
}

async fn status_submit(
    State(state): State<AppState>,
    crate::auth::UiLang(lang): crate::auth::UiLang,
    crate::auth::ClientIp(ip): crate::auth::ClientIp,
    Form(q): Form<StatusQuery>,
) -> PageResult {
    status_lookup(&state, lang, &ip, &q).await
}

// -------------------------------------------------------------- changes to recipients

#[derive(Template, WebTemplate)]
#[template(path = "change.html")]
struct ChangeTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    household_id: i64,
    household_code: String,
    category: String,
    kinds: Vec<(&'static str, String)>,
    message: String,
}

async fn render_change(state: &AppState, u: &SignedIn, id: i64, message: String) -> PageResult {
    u.require(u.role.can_write_registry())?;
    let rec = households::get(&state.db, &u.scope, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let category = jiuzhu_db::monitoring::category_of(&state.db, id)
        .await?
        .unwrap_or_default();
    let t = ChangeTemplate {
        lang: u.lang,
        title: format!("{} {}", u.lang.t("changes"), rec.household.code),
        nav: Some(nav(state, u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        household_id: id,
        household_code: rec.household.code,
        category,
        kinds: workflow::CHANGE_KINDS
            .iter()
            .map(|(k, zh, en)| {
                (
                    *k,
                    if u.lang == Lang::Zh {
                        zh.to_string()
                    } else {
                        en.to_string()
                    },
                )
            })
            .collect(),
        message,
    };
    Ok(t.into_response())
}

async fn change_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    render_change(&state, &u, id, String::new()).await
}

#[derive(Deserialize)]
struct ChangeForm {
    csrf: String,
    kind: String,
    #[serde(default)]
    reason: String,
    /// For a conversion: the recipient's consent is recorded.
    #[serde(default)]
    consent: String,
}

/// Opens a change to a recipient's benefit: the household must receive the program now;
/// the change runs its own path (periodic review, adjustment, suspension, termination,
/// phase-out, or conversion from dibao to tekun, which needs consent).
async fn change_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<ChangeForm>,
) -> PageResult {
    u.check_csrf(&f.csrf)?;
    u.require(u.role.can_write_registry())?;
    let result = jiuzhu_app::cases::open_change(
        &state.db,
        &u.acting(),
        id,
        &f.kind,
        f.reason.trim(),
        f.consent == "1",
    )
    .await
    .map_err(WebError::from);
    match result {
        Ok(app_id) => Ok(Redirect::to(&format!("/applications/{app_id}")).into_response()),
        Err(WebError::Invalid(m)) | Err(WebError::Conflict(m)) => {
            let mut r = render_change(&state, &u, id, m).await?;
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

/// A recipient household due for its periodic review.
pub struct DueRow {
    pub household_id: i64,
    pub household_code: String,
    pub region_code: String,
    pub category: String,
    pub last: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "reviews.html")]
struct ReviewsTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    rows: Vec<DueRow>,
}

/// Recipients due for periodic review (定期核查): no decision on their program (grant or
/// review) within the interval of their category.
async fn reviews_page(State(state): State<AppState>, PageUser(u): PageUser) -> PageResult {
    u.require(u.role.can_write_registry())?;
    let today = jiuzhu_db::today();
    let (_, months, _) = workflow::shipped_changes();
    let mut rows = Vec::new();
    for (household_id, household_code, region_code, category, last) in
        cases::recipients_last_decided(&state.db, &u.scope).await?
    {
        let Some(program) = program_of_category(&category) else {
            continue;
        };
        let interval = months.get(program).copied().unwrap_or(12);
        let since = (today - chrono::Months::new(interval)).to_string();
        if last.as_deref().is_none_or(|l| l < since.as_str()) {
            rows.push(DueRow {
                household_id,
                household_code,
                region_code,
                category,
                last: last.unwrap_or_default(),
            });
            if rows.len() == 200 {
                break;
            }
        }
    }
    let t = ReviewsTemplate {
        lang: u.lang,
        title: u.lang.t("reviews_due").into(),
        nav: Some(nav(&state, &u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        rows,
    };
    Ok(t.into_response())
}
