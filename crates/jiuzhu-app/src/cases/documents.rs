//! The documents an item issues (受理通知书, 不予受理告知书, 入户调查表, 审批决定书, 终止通知书,
//! 不予批准通知书): which it has issued so far, and the data each is written from. The front
//! ends lay the data out as a printable page or a PDF.

use jiuzhu_db::Db;
use jiuzhu_db::cases::{self, Application, Event, Item};
use jiuzhu_domain::casework::DocumentKind;
use jiuzhu_domain::workflow;
use serde_json::json;

use crate::{Acting, AppError, Result};

/// The documents `item` has issued so far, in the order they were issued.
pub fn documents_of(item: &Item, events: &[Event]) -> Vec<DocumentKind> {
    let done =
        |step: &str, action: &str| events.iter().any(|e| e.step == step && e.action == action);
    let mut out = Vec::new();
    if done("accept", "complete") {
        out.push(DocumentKind::Acceptance);
    }
    if done("accept", "refuse") {
        out.push(DocumentKind::NonAcceptance);
    }
    if done("investigate", "complete") {
        out.push(DocumentKind::Investigation);
    }
    if item.status == "approved" && (item.kind == "terminate" || item.kind == "suspend") {
        out.push(DocumentKind::Termination);
    } else if item.status == "approved" {
        out.push(DocumentKind::Decision);
    }
    if done("approve", "refuse") {
        out.push(DocumentKind::Refusal);
    }
    out
}

/// What one document is written from.
pub struct Document {
    pub kind: DocumentKind,
    pub item: Item,
    pub application: Application,
    /// The name of the item's village or community.
    pub region_name: String,
    /// When it was issued (the step's time, or the decision's).
    pub issued_at: String,
    /// The reason given for a refusal.
    pub reason: String,
    /// An investigation's findings by area: (area's label, what was found).
    pub areas: Vec<(&'static str, String)>,
    /// The investigators.
    pub staff: Vec<String>,
}

/// The data of document `kind` of item `id`, for a user who may read the registry and
/// either covers the item's region or took its application; the read is audited. A
/// document the item has not issued is not found.
pub async fn document(db: &Db, acting: &Acting, id: i64, kind: &str) -> Result<Document> {
    let not_found = || AppError::NotFound("document".into());
    let super::CaseRecord { item, events } =
        super::read_case(db, acting, id)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => not_found(),
                e => e,
            })?;
    let kind = DocumentKind::parse(kind)
        .filter(|k| documents_of(&item, &events).contains(k))
        .ok_or_else(not_found)?;
    let application = cases::application(db, item.application_id)
        .await?
        .ok_or_else(not_found)?;
    let step_data = |step: &str, action: &str| {
        events
            .iter()
            .rev()
            .find(|e| e.step == step && e.action == action)
            .and_then(|e| {
                serde_json::from_str::<serde_json::Value>(&e.data)
                    .ok()
                    .map(|d| (e.at.clone(), d))
            })
            .unwrap_or_default()
    };
    let reason_of = |(at, d): (String, serde_json::Value)| {
        (at, d["reason"].as_str().unwrap_or_default().to_string())
    };
    let (mut areas, mut staff) = (Vec::new(), Vec::new());
    let (issued_at, reason) = match kind {
        DocumentKind::NonAcceptance => reason_of(step_data("accept", "refuse")),
        DocumentKind::Refusal => reason_of(step_data("approve", "refuse")),
        DocumentKind::Investigation => {
            let (at, d) = step_data("investigate", "complete");
            areas = workflow::INVESTIGATION_AREAS
                .iter()
                .map(|(c, label)| (*label, d["areas"][c].as_str().unwrap_or_default().into()))
                .collect();
            staff = d["staff"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str())
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default();
            (at, String::new())
        }
        DocumentKind::Decision | DocumentKind::Termination => {
            (item.closed_at.clone().unwrap_or_default(), String::new())
        }
        DocumentKind::Acceptance => (step_data("accept", "complete").0, String::new()),
    };
    let region_name = jiuzhu_db::regions::get(db, &item.region_code)
        .await?
        .map(|r| r.name)
        .unwrap_or_default();
    jiuzhu_db::audit::record(
        db,
        &acting.actor(),
        jiuzhu_db::audit::Entry::new("case.document", "case_item", id)
            .household(item.household_id)
            .detail(json!({"kind": kind.code()})),
    )
    .await?;
    Ok(Document {
        kind,
        item,
        application,
        region_name,
        issued_at,
        reason,
        areas,
        staff,
    })
}

/// One line of the public notice list (公示名单): who, where and what, never the address,
/// phone, health or disability; the name masked for a role that may not see it in full.
pub struct NoticeRow {
    pub application_code: String,
    pub name: String,
    /// Masked.
    pub id_number: String,
    pub village: String,
    pub program: String,
    pub from: String,
    pub until: String,
}

/// The items in public notice in `acting`'s region, for a user who may read the registry;
/// the export is audited with the number of rows.
pub async fn notice_list(db: &Db, acting: &Acting) -> Result<Vec<NoticeRow>> {
    acting.require(acting.role.can_read_registry(), "read the registry")?;
    let items: Vec<Item> = cases::queue(db, &acting.scope, Some("civil_affairs"), true)
        .await?
        .into_iter()
        .filter(|i| i.current_step() == Some("notice"))
        .collect();
    let mut rows = Vec::with_capacity(items.len());
    for i in &items {
        let app = cases::application(db, i.application_id)
            .await?
            .ok_or_else(|| AppError::NotFound("application".into()))?;
        let village = jiuzhu_db::regions::get(db, &i.region_code)
            .await?
            .map(|r| r.name)
            .unwrap_or_default();
        let from = i.notice_from.clone().unwrap_or_default();
        let until = chrono::NaiveDate::parse_from_str(&from, "%Y-%m-%d")
            .map(|d| (d + chrono::Duration::days(workflow::NOTICE_DAYS)).to_string())
            .unwrap_or_default();
        rows.push(NoticeRow {
            application_code: app.code,
            name: if acting.role.sees_full_names() {
                app.applicant_name
            } else {
                jiuzhu_domain::mask_name(&app.applicant_name)
            },
            id_number: jiuzhu_domain::mask_id_str(&app.applicant_id_number),
            village,
            program: i.program.clone(),
            from,
            until,
        });
    }
    jiuzhu_db::audit::record(
        db,
        &acting.actor(),
        jiuzhu_db::audit::Entry::new("case.notice_list", "export", "notice.xlsx")
            .detail(json!({"rows": rows.len()})),
    )
    .await?;
    Ok(rows)
}
