//! The case page: an item's steps, timeline and documents, with the step and note forms.

use super::*;

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
pub(super) struct CaseTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    i: ItemRow,
    steps: Vec<StepView>,
    /// The deadline as days left: "剩 3 个工作日", "今日到期", "已超期 2 个工作日".
    days_left: String,
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
    /// The signers to choose from when acceptance waits for the household's signed
    /// authorisation (recorded from this page); empty otherwise.
    signers: Vec<(i64, String)>,
    today: String,
    message: String,
}

pub(super) fn documents_of(
    item: &Item,
    events: &[cases::Event],
    lang: Lang,
) -> Vec<(&'static str, String)> {
    jiuzhu_app::cases::documents::documents_of(item, events)
        .into_iter()
        .map(|k| (k.code(), lang.pick(k.label_zh(), k.label_en()).to_string()))
        .collect()
}

/// A step of the case as the stepper shows it.
pub struct StepView {
    pub code: String,
    pub label: String,
    /// done, current, todo or stopped.
    pub state: &'static str,
    /// Who completed it and when (China Standard Time), for a done step.
    pub who: String,
    pub when: String,
}

/// The steps with who completed each and when, from the case's events.
fn stepper(item: &Item, events: &[cases::Event], lang: Lang) -> Vec<StepView> {
    step_states(item, lang)
        .into_iter()
        .map(|(code, label, state)| {
            let done = events
                .iter()
                .rev()
                .find(|e| e.step == code && e.action == "complete");
            StepView {
                who: done.map(|e| lang.actor(&e.actor)).unwrap_or_default(),
                when: done
                    .map(|e| crate::views::short_time(&e.at).chars().take(16).collect())
                    .unwrap_or_default(),
                code,
                label,
                state,
            }
        })
        .collect()
}

/// The deadline of an open case as working days left.
fn days_left(item: &Item, today: NaiveDate, cal: &WorkCalendar, lang: Lang) -> String {
    let Ok(deadline) = NaiveDate::parse_from_str(&item.deadline, "%Y-%m-%d") else {
        return String::new();
    };
    if item.status != "open" {
        return String::new();
    }
    match cal.working_days_until(today, deadline) {
        0 => lang.pick("今日到期", "due today").into(),
        n if n > 0 => format!(
            "{} {n} {}",
            lang.pick("剩", ""),
            lang.pick("个工作日", "working days left")
        )
        .trim()
        .into(),
        n => format!(
            "{} {} {}",
            lang.pick("已超期", "overdue by"),
            -n,
            lang.pick("个工作日", "working days")
        ),
    }
}

/// Each step of the item with its label and state: done, current, to do, or stopped (the
/// steps after where a refused or withdrawn item ended).
fn step_states(item: &Item, lang: Lang) -> Vec<(String, String, &'static str)> {
    let idx = item.step_index as usize;
    item.steps
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
            (s.clone(), step_label(s, lang), state)
        })
        .collect()
}

/// The objections of the public notice not answered yet.
fn unanswered(events: &[cases::Event]) -> impl Iterator<Item = &cases::Event> {
    let answered: Vec<i64> = events
        .iter()
        .filter(|e| e.action == "answer")
        .filter_map(|e| {
            serde_json::from_str::<serde_json::Value>(&e.data).ok()?["objection"].as_i64()
        })
        .collect();
    events
        .iter()
        .filter(move |e| e.action == "objection" && !answered.contains(&e.id))
}

pub(super) async fn render_case(
    state: &AppState,
    u: &SignedIn,
    id: i64,
    message: String,
) -> PageResult {
    let jiuzhu_app::cases::CaseRecord { item, events } =
        jiuzhu_app::cases::read_case(&state.db, &u.acting(), id)
            .await
            .map_err(WebError::from)?;
    let today = jiuzhu_db::today();
    let cal = calendar(state).await;
    let cohandlers = cases::cohandlers(&state.db, id).await?;
    let is_cohandler = u.role == Role::DepartmentHandler
        && cohandlers.contains(&u.user.department)
        && u.scope.contains(&item.region_code);
    let view = |e: &cases::Event| EventView {
        at: crate::views::short_time(&e.at),
        actor: e.actor.clone(),
        step: step_label(&e.step, u.lang),
        action: e.action.clone(),
        data: jiuzhu_domain::describe::describe(&e.data, u.lang == Lang::Zh),
        id: e.id,
    };
    let open_objections = unanswered(&events).map(view).collect();
    let steps = stepper(&item, &events, u.lang);
    let acting = u.acting();
    let signers = if jiuzhu_app::cases::may_act(&acting, &item)
        && jiuzhu_app::authorisations::awaited_by(&state.db, &acting, &item)
            .await
            .map_err(WebError::from)?
    {
        jiuzhu_app::authorisations::signers(&state.db, &acting, item.household_id)
            .await
            .map_err(WebError::from)?
            .into_iter()
            .map(|(id, name, masked)| {
                let name = crate::views::name_for(&name, u.role.sees_full_names());
                (id, format!("{name} {masked}"))
            })
            .collect()
    } else {
        Vec::new()
    };
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
        signers,
        today: today.to_string(),
        files: cases::files_of(&state.db, id)
            .await?
            .into_iter()
            .map(|(id, step, name, sha)| (id, step_label(&step, u.lang), name, sha))
            .collect(),
        events: events.iter().map(view).collect(),
        steps,
        days_left: days_left(&item, today, &cal, u.lang),
        i: item_row(&item, u.lang, today, &cal),
        message,
    };
    Ok(t.into_response())
}

/// Records the household's signed authorisation from the case page, so acceptance can go
/// on without leaving the case; back to the case, or the case with the refusal.
pub(super) async fn authorisation_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    m: Multipart,
) -> PageResult {
    let a = crate::monitor_pages::authorisation_form(&u, m).await?;
    let result = jiuzhu_app::authorisations::record_for_case(&state.db, &u.acting(), id, &a).await;
    answer(
        u.lang,
        result,
        |_| format!("/cases/{id}"),
        |m| render_case(&state, &u, id, m),
    )
    .await
}

pub(super) async fn case_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    render_case(&state, &u, id, String::new()).await
}

pub(super) async fn step_submit(
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
    let result = jiuzhu_app::cases::act(&state.db, &u.acting(), id, req).await;
    answer(
        u.lang,
        result,
        |_| format!("/cases/{id}"),
        |m| render_case(&state, &u, id, m),
    )
    .await
}

#[derive(Deserialize)]
pub(super) struct NoteForm {
    action: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    objection: String,
    #[serde(default)]
    department: String,
}

pub(super) async fn note_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(u, f): Posted<NoteForm>,
) -> PageResult {
    let req = NoteRequest {
        action: f.action,
        text: f.text,
        objection: f.objection.trim().parse().ok(),
        department: f.department,
    };
    let result = jiuzhu_app::cases::note(&state.db, &u.acting(), id, req).await;
    answer(
        u.lang,
        result,
        |_| format!("/cases/{id}"),
        |m| render_case(&state, &u, id, m),
    )
    .await
}
pub(super) async fn case_file(
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
