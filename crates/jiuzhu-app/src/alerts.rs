//! Working alerts (预警处置): assigning them (one or a batch, all or none), investigating,
//! closing with an outcome, and the county's decision on an automatic grant. Who may do
//! it is decided here; the step order is the store's, checked in the transaction that
//! records the step (`jiuzhu_db::monitoring::advance`).

use jiuzhu_db::Db;
use jiuzhu_db::monitoring::{self, Step};
use jiuzhu_domain::casework::Outcome;

use crate::{Acting, AppError, Result};

/// A step of an alert's life as a form or the API sends it.
#[derive(Clone, Debug, Default)]
pub struct AlertStep {
    /// assign, investigate or close.
    pub step: String,
    pub assignee: String,
    /// An [`Outcome`] code, for close.
    pub outcome: String,
    pub note: String,
}

fn step_of(s: AlertStep) -> Result<Step> {
    match s.step.as_str() {
        "assign" => Ok(Step::Assign(s.assignee.trim().to_string())),
        "investigate" => Ok(Step::Investigate),
        "close" => {
            let outcome = Outcome::parse(&s.outcome).ok_or_else(|| {
                AppError::invalid(format!(
                    "outcome: {:?} is not one of {}",
                    s.outcome,
                    Outcome::CODES.join(", ")
                ))
            })?;
            Ok(Step::Close {
                outcome,
                note: s.note.trim().to_string(),
            })
        }
        other => Err(AppError::invalid(format!("step: unknown step {other:?}"))),
    }
}

/// Moves the alerts `ids` one step; all or none. Returns how many moved.
pub async fn advance(db: &Db, acting: &Acting, ids: &[i64], step: AlertStep) -> Result<usize> {
    acting.require(acting.role.can_work_alerts(), "work alerts")?;
    let step = step_of(step)?;
    Ok(monitoring::advance(db, &acting.scope, &acting.actor(), ids, &step).await?)
}

/// Assigns the alerts `ids` to `assignee`; all or none.
pub async fn assign(db: &Db, acting: &Acting, ids: &[i64], assignee: &str) -> Result<usize> {
    let step = AlertStep {
        step: "assign".into(),
        assignee: assignee.into(),
        ..Default::default()
    };
    advance(db, acting, ids, step).await
}

/// Approves or rejects (with a reason) an automatic grant; approval closes its alert.
pub async fn decide_grant(
    db: &Db,
    acting: &Acting,
    grant_id: i64,
    decision: &str,
    note: &str,
) -> Result<()> {
    acting.require(acting.role.can_work_alerts(), "decide automatic grants")?;
    let approve = match decision {
        "approve" => true,
        "reject" => false,
        other => return Err(AppError::invalid(format!("decision: {other:?}"))),
    };
    Ok(
        monitoring::decide_grant(db, &acting.scope, &acting.actor(), grant_id, approve, note)
            .await?,
    )
}

/// Alert `id` in `acting`'s region for a user who may read alerts, and, when asked
/// (`with_prescription`, the page), the household's prescription where the user may read
/// the registry, so that new assistance can start from it; the read is audited.
pub async fn view_alert(
    db: &Db,
    acting: &Acting,
    id: i64,
    with_prescription: bool,
) -> Result<(monitoring::Alert, Option<crate::prescription::Prescription>)> {
    acting.require(acting.role.can_read_alerts(), "read alerts")?;
    let alert = monitoring::alert(db, &acting.scope, id)
        .await?
        .ok_or_else(|| AppError::NotFound("alert".into()))?;
    let today = jiuzhu_db::today();
    let rx = match alert.household_id {
        Some(hid) if with_prescription && acting.role.can_read_registry() => {
            jiuzhu_db::households::get(db, &acting.scope, hid)
                .await?
                .map(|rec| crate::prescription::prescribe(&rec.as_of(today), today))
        }
        _ => None,
    };
    jiuzhu_db::audit::record(
        db,
        &acting.actor(),
        jiuzhu_db::audit::Entry::new("alert.view", "alert", id).household(alert.household_id),
    )
    .await?;
    Ok((alert, rx))
}

/// Who alerts can be assigned to, as (user name, display name): active users whose role
/// works alerts, covering `region` (an alert's) or, without one, overlapping the acting
/// user's region. The acting user comes first, so a form proposes them.
pub async fn assignees(
    db: &Db,
    acting: &Acting,
    region: Option<&str>,
) -> Result<Vec<(String, String)>> {
    let prefix = acting.scope.prefix();
    let mut out: Vec<(String, String)> = jiuzhu_db::users::list(db)
        .await?
        .into_iter()
        .filter(|x| {
            x.active
                && jiuzhu_domain::Role::parse(&x.role).is_ok_and(|r| r.can_work_alerts())
                && match region {
                    Some(r) => r.starts_with(&x.scope_region),
                    None => {
                        x.scope_region.starts_with(prefix) || prefix.starts_with(&x.scope_region)
                    }
                }
        })
        .map(|x| (x.username, x.display_name))
        .collect();
    out.sort_by_key(|(name, _)| *name != acting.username);
    Ok(out)
}
