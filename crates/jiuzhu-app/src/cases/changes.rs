//! Changes to recipients (动态管理): a periodic review, an adjustment, a suspension, a
//! termination, a phase-out after finding work, or a conversion from dibao to tekun, each
//! opened as an item on its own path.

use jiuzhu_db::Db;
use jiuzhu_db::cases::{self, NewApplication, NewItem};
use jiuzhu_db::households;
use jiuzhu_domain::casework::{Channel, ItemKind};
use jiuzhu_domain::workflow;

use super::{program_of_category, workflow_of};
use crate::{Acting, AppError, Result};

/// Opens a change item of `kind` for a recipient household in `acting`'s region; returns
/// the application's id. A conversion needs the recipient's recorded `consent`.
pub async fn open_change(
    db: &Db,
    acting: &Acting,
    household_id: i64,
    kind: &str,
    reason: &str,
    consent: bool,
) -> Result<i64> {
    acting.require(
        acting.role.can_write_registry(),
        "open changes to recipients",
    )?;
    let rec = households::get(db, &acting.scope, household_id)
        .await?
        .ok_or_else(|| AppError::NotFound("household".into()))?;
    let category = jiuzhu_db::monitoring::category_of(db, household_id)
        .await?
        .unwrap_or_default();
    let program = program_of_category(&category).ok_or_else(|| {
        AppError::invalid(
            "kind: the household receives no dibao, near-dibao or tekun benefit to change",
        )
    })?;
    let item_kind = ItemKind::parse(kind)
        .filter(|k| ItemKind::CHANGES.contains(k))
        .ok_or_else(|| AppError::invalid(format!("kind: unknown change {kind:?}")))?;
    let (changes, _, _) = workflow::shipped_changes();
    let change = changes
        .iter()
        .find(|c| c.kind == kind)
        .ok_or_else(|| AppError::invalid(format!("kind: unknown change {kind:?}")))?;
    if item_kind == ItemKind::Convert && (program != "dibao" || !consent) {
        return Err(AppError::invalid(
            "consent: a conversion from dibao to tekun needs a dibao recipient's recorded consent",
        ));
    }
    if item_kind != ItemKind::Review && reason.is_empty() {
        return Err(AppError::invalid("reason: say why the benefit changes"));
    }
    let today = jiuzhu_db::today();
    let cal = crate::calendar::current(db).await;
    let head = rec
        .current_members()
        .find(|m| m.relation == "head")
        .or_else(|| rec.current_members().next())
        .cloned()
        .ok_or_else(|| AppError::invalid("the household has no member"))?;
    let department = workflow_of(program)
        .map(|w| w.department.clone())
        .unwrap_or_else(|| "civil_affairs".into());
    let steps: Vec<&str> = change.steps.iter().map(|s| s.code()).collect();
    let item = NewItem {
        program: program.to_string(),
        department,
        region_code: rec.household.region_code.clone(),
        steps: serde_json::to_string(&steps).expect("steps"),
        approval: change.approval.clone(),
        deadline: cal
            .add_working_days(today, change.deadline_days)
            .to_string(),
        green_channel: false,
        paperwork_deadline: None,
        kind: item_kind.code().into(),
        expense_fen: None,
    };
    let app = NewApplication {
        household_id,
        applicant_id_number: head.id_number.clone(),
        applicant_name: head.name.clone(),
        channel: Channel::Discovery.code().into(),
        proxy_name: String::new(),
        proxy_id_number: String::new(),
        source_ref: format!("change:{kind}{}", if consent { ":consent" } else { "" }),
        requested: serde_json::to_string(&[format!("{program}:{kind}")]).expect("json"),
        authorisation_id: None,
        notice: serde_json::to_string(&vec![format!("{kind}: {reason}")]).expect("json"),
        taken_region: acting.region.clone(),
        date: today.to_string(),
    };
    let (app_id, _) = cases::create_application(db, &acting.actor(), &app, &[item]).await?;
    Ok(app_id)
}
