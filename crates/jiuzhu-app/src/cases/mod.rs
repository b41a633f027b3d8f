//! Casework (一门受理、协同办理): taking an application and routing its programs, acting on
//! an item's steps with every rule of who may act and approve, notes beside the steps, and
//! changes to recipients. Every check that guards a write runs inside the transaction that
//! writes ([`jiuzhu_db::cases::begin_step`]).

mod changes;
pub mod documents;
mod steps;
mod taking;

pub use changes::open_change;
pub use steps::{NoteRequest, StepRequest, act, note, notify_overdue};
pub use taking::{
    Applicant, ApplicationRequest, OnlineApplication, apply_online, take_application,
};

use chrono::NaiveDate;
use jiuzhu_db::Db;
use jiuzhu_db::cases::{Item, NewItem};
use jiuzhu_db::households::HouseholdRecord;
use jiuzhu_domain::calendar::WorkCalendar;
use jiuzhu_domain::workflow::{self, Workflow};
use jiuzhu_domain::{Money, Role};

use crate::{Acting, AppError, Result};

/// The approval paths in force (parsed once).
pub fn workflows() -> &'static [Workflow] {
    static PATHS: std::sync::OnceLock<Vec<Workflow>> = std::sync::OnceLock::new();
    PATHS.get_or_init(workflow::shipped)
}

fn workflow_of(program: &str) -> Option<&'static Workflow> {
    workflows().iter().find(|w| w.program == program)
}

/// The steps of an item: the program's path, or on the green channel (aid first, paperwork
/// after) acceptance and the decision first, then the rest of the path by the paperwork
/// deadline. No step is dropped either way.
pub fn item_steps(w: &Workflow, green: bool) -> Vec<&'static str> {
    let mut steps: Vec<&str> = w.steps.iter().map(|s| s.code()).collect();
    if green {
        steps.retain(|s| *s != "accept" && *s != "decide");
        steps.insert(0, "decide");
        steps.insert(0, "accept");
    }
    steps
}

/// The programs an application asks for: those chosen, plus with `any` ("whatever
/// applies") every program the prescription finds eligible; sorted, once each.
pub fn chosen_programs(
    rec: &HouseholdRecord,
    mut programs: Vec<String>,
    any: bool,
    today: NaiveDate,
) -> Vec<String> {
    if any {
        let rx = crate::prescription::prescribe(&rec.as_of(today), today);
        programs.extend(
            rx.programs
                .iter()
                .filter(|p| p.eligible)
                .map(|p| p.code.clone()),
        );
    }
    programs.sort();
    programs.dedup();
    programs
}

/// The items of a new application: each program on its path, routed to its department in
/// the household's region, with its working-day deadline; temporary assistance carries
/// the declared expense and, when urgent, takes the green channel.
pub fn new_items(
    rec: &HouseholdRecord,
    programs: &[String],
    urgent: bool,
    expense: Option<i64>,
    cal: &WorkCalendar,
    today: NaiveDate,
) -> Result<Vec<NewItem>> {
    programs
        .iter()
        .map(|p| {
            let w = workflow_of(p)
                .ok_or_else(|| AppError::invalid(format!("programs: no approval path for {p}")))?;
            let green = w.green_channel && urgent;
            Ok(NewItem {
                program: w.program.clone(),
                department: w.department.clone(),
                region_code: rec.household.region_code.clone(),
                steps: serde_json::to_string(&item_steps(w, green)).expect("steps"),
                approval: w.approval.clone(),
                deadline: cal.add_working_days(today, w.deadline_days).to_string(),
                green_channel: green,
                kind: jiuzhu_domain::casework::ItemKind::Grant.code().into(),
                expense_fen: (w.program == "temporary").then_some(expense).flatten(),
                paperwork_deadline: green
                    .then(|| cal.add_working_days(today, w.paperwork_days).to_string()),
            })
        })
        .collect()
}

/// The sudden expense of a temporary-assistance application, in fen: required when
/// temporary assistance is asked for, refused when malformed.
pub fn expense_of(raw: &str, programs: &[String]) -> Result<Option<i64>> {
    let wants = programs.iter().any(|p| p == "temporary");
    match (raw.trim(), wants) {
        ("", true) => Err(AppError::invalid(
            "expense: temporary assistance needs the amount of the sudden expense",
        )),
        ("", false) => Ok(None),
        (v, _) => match Money::parse(v) {
            Ok(m) if !m.is_negative() => Ok(Some(m.fen())),
            Ok(_) => Err(AppError::invalid("expense: must not be negative")),
            Err(e) => Err(AppError::invalid(format!("expense: {e}"))),
        },
    }
}

/// What the one-time notice lists for the chosen programs (一次性告知).
pub fn one_time_notice(programs: &[String], has_auth: bool) -> Vec<String> {
    let mut need = Vec::new();
    if !has_auth {
        need.push("家庭经济状况核对授权书（全体成员及赡养义务人签字）".to_string());
    }
    need.push("申请人及共同生活家庭成员身份证、户口簿".into());
    let any = |f: &dyn Fn(&str) -> bool| programs.iter().any(|p| f(p));
    if any(&|p| p.starts_with("dibao") || p == "tekun") {
        need.push("家庭收入、财产情况申报表".into());
    }
    if any(&|p| p == "medical") {
        need.push("医疗费用结算单据".into());
    }
    if any(&|p| p == "education") {
        need.push("学籍证明或录取通知书".into());
    }
    if any(&|p| p.starts_with("disability")) {
        need.push("第二代残疾人证".into());
    }
    if any(&|p| p == "temporary") {
        need.push("突发事件或支出的证明材料".into());
    }
    need
}

/// An item with its history, as the user who reads it sees it.
#[derive(Clone, Debug)]
pub struct CaseRecord {
    pub item: Item,
    pub events: Vec<jiuzhu_db::cases::Event>,
}

/// The item `id` with its steps' history, for a user who may read the registry and either
/// covers the item's region or took its application; anyone else finds nothing.
pub async fn read_case(db: &Db, acting: &Acting, id: i64) -> Result<CaseRecord> {
    let not_found = || AppError::NotFound(format!("case item {id}"));
    let item = jiuzhu_db::cases::item(db, id)
        .await?
        .ok_or_else(not_found)?;
    if !(acting.scope.contains(&item.region_code) || item.taken_by == acting.username)
        || !acting.role.can_read_registry()
    {
        return Err(not_found());
    }
    let events = jiuzhu_db::cases::events(db, id).await?;
    Ok(CaseRecord { item, events })
}

/// Whether the user may act on the item's steps: the civil-affairs chain on civil-affairs
/// items, a department's handlers on their department's items, county approvers and the
/// city administrator on all; always inside the user's region.
pub fn may_act(u: &Acting, item: &Item) -> bool {
    if !u.scope.contains(&item.region_code) {
        return false;
    }
    match u.role {
        Role::CountyApprover | Role::CityAdmin => true,
        Role::WindowClerk | Role::TownshipOfficer => item.department == "civil_affairs",
        Role::DepartmentHandler => u.department == item.department,
        _ => false,
    }
}

/// Whether the user may take the approval step of the item: the county (or a township
/// where the program's path, or the county's delegation, gives it to the township).
pub fn may_approve(u: &Acting, item: &Item, delegated: &[String]) -> bool {
    match u.role {
        Role::CountyApprover | Role::CityAdmin => true,
        Role::TownshipOfficer => {
            item.approval == "township"
                || delegated
                    .iter()
                    .any(|c| item.region_code.starts_with(c.as_str()))
        }
        Role::DepartmentHandler => {
            u.department == item.department && item.department != "civil_affairs"
        }
        _ => false,
    }
}

/// Sets the counties that delegate approval to their townships: 6-digit county codes
/// separated by commas, spaces or new lines.
pub async fn set_delegated_counties(db: &Db, acting: &crate::Acting, typed: &str) -> Result<()> {
    acting.require(acting.role.can_admin_users(), "administer the platform")?;
    let codes: Vec<&str> = typed
        .split([',', ' ', '，', '\n'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    if let Some(bad) = codes
        .iter()
        .find(|c| c.len() != 6 || !c.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(crate::AppError::invalid(
            crate::FieldError::new("counties", format!("{bad:?} is not a 6-digit county code"))
                .zh(format!("“{bad}”不是6位县级区划代码")),
        ));
    }
    jiuzhu_db::cases::set_setting(db, &acting.actor(), "delegated_counties", &codes.join(","))
        .await?;
    Ok(())
}

/// Counties that delegate approval to their townships (an administrator's setting).
pub async fn delegated_counties(db: &Db) -> Result<Vec<String>> {
    Ok(jiuzhu_db::cases::setting(db, "delegated_counties")
        .await?
        .map(|v| {
            v.split([',', ' ', '，', '\n'])
                .map(str::trim)
                .filter(|c| c.len() == 6)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default())
}

/// The assistance category a program's grant gives the household.
pub fn category_of_program(program: &str) -> Option<&'static str> {
    match program {
        "dibao" | "dibao_single" => Some("dibao"),
        "tekun" => Some("tekun"),
        "dibao_edge" => Some("edge"),
        _ => None,
    }
}

/// The program of a household's assistance category (the benefit a change applies to).
pub fn program_of_category(category: &str) -> Option<&'static str> {
    match category {
        "dibao" => Some("dibao"),
        "tekun" => Some("tekun"),
        "edge" => Some("dibao_edge"),
        _ => None,
    }
}
