//! Department queues, the supervisor's deadline board with its overdue notices, and the public notice list.

use super::*;

#[derive(Deserialize, Default)]
pub(super) struct QueueQuery {
    #[serde(default)]
    department: String,
    #[serde(default)]
    all: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "cases.html")]
pub(super) struct QueueTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    department: String,
    departments: Vec<(&'static str, String)>,
    rows: Vec<ItemRow>,
}

pub(super) async fn queue_page(
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
pub(super) struct BoardTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    red: Vec<ItemRow>,
    amber: Vec<ItemRow>,
    can_notify: bool,
}

pub(super) async fn board_page(State(state): State<AppState>, PageUser(u): PageUser) -> PageResult {
    u.require(u.role.can_supervise_deadlines())?;
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

pub(super) async fn board_notify(
    State(state): State<AppState>,
    Posted(u, _): Posted<NoFields>,
) -> PageResult {
    jiuzhu_app::cases::notify_overdue(&state.db, &u.acting()).await?;
    Ok(Redirect::to("/cases/board").into_response())
}
