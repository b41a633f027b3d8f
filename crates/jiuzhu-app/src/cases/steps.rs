//! Acting on an item's current step, and notes beside the steps. Who may act and approve
//! is decided here; what a step needs (the signed authorisation at acceptance, a
//! verification report at verification, the notice's full term and every objection
//! answered at its end) is read through the step's own write transaction.

use chrono::NaiveDate;
use jiuzhu_db::Db;
use jiuzhu_db::cases::{self, Action, CategoryEffect, Item, StepTx};
use jiuzhu_domain::casework::{ItemKind, NoteAction, StepAction};
use jiuzhu_domain::workflow::{self, StepInput, StepKind};
use jiuzhu_domain::{Money, Role};
use serde_json::json;

use super::{category_of_program, delegated_counties, may_act, may_approve};
use crate::{Acting, AppError, Result};

/// An action on an item's current step.
#[derive(Clone, Debug, Default)]
pub struct StepRequest {
    /// The step acted on (a [`StepKind`] code); it must be the current one.
    pub step: String,
    /// A [`StepAction`] code.
    pub action: String,
    pub input: StepInput,
    /// Why the case is sent back or refused.
    pub reason: String,
    /// Attachments `(name, mime, bytes)`.
    pub files: Vec<(String, String, Vec<u8>)>,
}

/// Completes, sends back or refuses the item's current step.
pub async fn act(db: &Db, acting: &Acting, item_id: i64, req: StepRequest) -> Result<Item> {
    let kind = StepKind::parse(&req.step)
        .ok_or_else(|| AppError::invalid(format!("step: unknown step {:?}", req.step)))?;
    let action = StepAction::parse(&req.action)
        .ok_or_else(|| AppError::invalid(format!("action: {:?}", req.action)))?;
    // What the decision and the approval need is read before the write begins (the policy
    // engine does not run while the store's write lock is held); the step's position is
    // checked again inside.
    let today = jiuzhu_db::today();
    let decision = match (kind, action) {
        (StepKind::Decide, StepAction::Complete) => {
            let before = cases::item(db, item_id)
                .await?
                .filter(|i| may_act(acting, i))
                .ok_or_else(|| AppError::NotFound("item".into()))?;
            match before.current_step() {
                Some("decide") => Some(decide(db, &before, today).await?),
                _ => None,
            }
        }
        _ => None,
    };
    let delegated = match kind {
        StepKind::Approve => delegated_counties(db).await?,
        _ => Vec::new(),
    };
    let mut st = cases::begin_step(db, &acting.scope, item_id).await?;
    if !may_act(acting, &st.item) {
        return Err(AppError::NotFound("item".into()));
    }
    if kind == StepKind::Approve && !may_approve(acting, &st.item, &delegated) {
        return Err(AppError::Forbidden(
            "approve: the approval of this item is the county's (or a delegated township's)".into(),
        ));
    }
    let act = match action {
        StepAction::Return => Action::Return { reason: req.reason },
        StepAction::Refuse => Action::Refuse { reason: req.reason },
        StepAction::Complete => {
            complete(
                &mut st, kind, &req.step, req.input, &req.files, decision, today,
            )
            .await?
        }
    };
    let actor = acting.actor();
    Ok(st
        .finish(&actor, &req.step, &act, &req.files, &today.to_string())
        .await?)
}

/// Steps are taken in order: only the current one can be completed.
fn must_be_current(step: &str, current: &str) -> Result<()> {
    if current == step {
        return Ok(());
    }
    let zh = |c: &str| StepKind::parse(c).map_or(c.to_string(), |k| k.label_zh().into());
    Err(AppError::blocked(
        "step",
        format!("{step} is not the current step ({current}); steps cannot be skipped"),
        format!(
            "“{}”不是当前环节（当前是“{}”）：环节不能跳过，请先办完当前环节",
            zh(step),
            zh(current)
        ),
    ))
}

/// The household's verification report since the application, which the verification step
/// records; without one, what to do first.
async fn verification_report(st: &mut StepTx) -> Result<i64> {
    let app = st.application().await?;
    let report = st.verification_since(&app.created_at).await?.ok_or_else(|| {
        let id = st.item.household_id;
        AppError::blocked(
            "verification",
            format!("no verification report of this household since the application; run the verification (核对) first at /households/{id}/verification"),
            format!("申请以来尚无该户的经济状况核对报告：请先在 /households/{id}/verification 发起核对，报告返回后再办本环节"),
        )
    })?;
    Ok(report)
}

/// The public notice ends when its term is over and every objection is answered.
async fn notice_over(st: &mut StepTx, today: NaiveDate) -> Result<()> {
    let from = st
        .item
        .notice_from
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let until = from.map(|d| d + chrono::Duration::days(workflow::NOTICE_DAYS));
    if until.is_none_or(|u| today < u) {
        let until = until.map(|d| d.to_string()).unwrap_or_default();
        return Err(AppError::blocked(
            "notice",
            format!("the public notice runs until {until}; it cannot end earlier"),
            format!("公示期至 {until}，公示期满前不能结束本环节"),
        ));
    }
    if st.unanswered_objections().await? > 0 {
        return Err(AppError::blocked(
            "objections",
            "every objection must be answered first",
            "公示期间的异议须逐条答复后才能结束公示：请在本页“异议”处答复",
        ));
    }
    Ok(())
}

/// What a completed step records, after the checks it needs, inside the step's transaction.
async fn complete(
    st: &mut StepTx,
    kind: StepKind,
    step: &str,
    mut input: StepInput,
    files: &[(String, String, Vec<u8>)],
    decision: Option<Decision>,
    today: NaiveDate,
) -> Result<Action> {
    let current = st.current()?;
    must_be_current(step, current)?;
    input.attachments.extend(files.iter().map(|f| f.0.clone()));
    workflow::check_input(kind, &input).map_err(|ms| {
        AppError::Invalid(crate::FieldErrors(
            ms.into_iter()
                .map(|m| crate::FieldError::new(&m.field, m.en).zh(m.zh))
                .collect(),
        ))
    })?;
    let mut data = json!({
        "areas": input.areas.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
        "staff": input.staff, "opinion": input.opinion, "attachments": input.attachments,
    });
    match kind {
        StepKind::Accept => accept(st).await?,
        StepKind::Verify => data["report"] = json!(verification_report(st).await?),
        StepKind::Notice => notice_over(st, today).await?,
        StepKind::Decide => {
            let d = decision.ok_or_else(|| {
                AppError::Conflict("step: the item moved while the decision was computed".into())
            })?;
            for (k, v) in d.data {
                data[k] = v;
            }
            return Ok(Action::Complete {
                data,
                amount_fen: Some(d.amount_fen),
                category: d.category,
                receipt: Some(d.receipt),
            });
        }
        _ => {}
    }
    Ok(Action::Complete {
        data,
        amount_fen: None,
        category: None,
        receipt: None,
    })
}

/// Acceptance of an item whose path verifies the household needs the signed authorisation
/// (授权书). One recorded on the household's verification page after the application was
/// taken is tied to the application here, so recording it is what unblocks acceptance.
async fn accept(st: &mut StepTx) -> Result<()> {
    if !st.item.steps.iter().any(|s| s == "verify") {
        return Ok(());
    }
    if st.application().await?.authorisation_id.is_some() {
        return Ok(());
    }
    match st.latest_authorisation().await? {
        Some(a) => Ok(st.link_authorisation(a).await?),
        None => {
            let id = st.item.household_id;
            Err(AppError::blocked(
                "authorisation",
                format!(
                    "this program's verification needs the applicant's signed authorisation; record it at /households/{id}/verification first"
                ),
                format!(
                    "该项目需核对家庭经济状况，须先登记申请人签署的授权书：请在 /households/{id}/verification 登记授权书，再办理受理"
                ),
            ))
        }
    }
}

/// A decision computed by the policy engine for an item at its `decide` step.
struct Decision {
    amount_fen: i64,
    category: Option<CategoryEffect>,
    receipt: (String, String),
    data: Vec<(&'static str, serde_json::Value)>,
}

async fn decide(db: &Db, item: &Item, today: NaiveDate) -> Result<Decision> {
    let rec = crate::intake::household(db, item.household_id)
        .await?
        .ok_or_else(|| AppError::NotFound("household".into()))?;
    let kind = ItemKind::parse(&item.kind)
        .ok_or_else(|| AppError::invalid(format!("kind: {:?}", item.kind)))?;
    // A conversion decides the tekun benefit; the other kinds the program's.
    let decided = if kind == ItemKind::Convert {
        "tekun"
    } else {
        item.program.as_str()
    };
    let d = crate::grants::evaluate(
        &rec.as_of(today),
        today,
        decided,
        item.expense_fen.map(Money::from_fen),
    )
    .map_err(AppError::invalid)?;
    let (_, _, phase_out_months) = workflow::shipped_changes();
    let mut data = vec![("kind", json!(item.kind)), ("eligible", json!(d.eligible))];
    let amount_fen = match kind {
        ItemKind::Suspend | ItemKind::Terminate => 0,
        // 渐退: the current benefit continues through the phase-out.
        ItemKind::PhaseOut => last_amount(db, item).await?.unwrap_or(d.amount_fen),
        _ => d.amount_fen,
    };
    let category = match kind {
        ItemKind::Grant => {
            category_of_program(&item.program).map(|c| CategoryEffect::Set(c.into()))
        }
        ItemKind::Convert => Some(CategoryEffect::Set("tekun".into())),
        ItemKind::Suspend | ItemKind::Terminate => Some(CategoryEffect::EndOn(today.to_string())),
        ItemKind::PhaseOut => {
            let until = today + chrono::Months::new(phase_out_months);
            data.push(("phase_out_until", json!(until.to_string())));
            Some(CategoryEffect::EndOn(until.to_string()))
        }
        ItemKind::Review | ItemKind::Adjust => None,
    };
    data.push(("amount", json!(Money::from_fen(amount_fen).to_string())));
    Ok(Decision {
        amount_fen,
        category,
        receipt: (d.receipt, d.receipt_sha256),
        data,
    })
}

/// The amount of the household's latest approved decision for the item's program.
async fn last_amount(db: &Db, item: &Item) -> Result<Option<i64>> {
    Ok(cases::decided(db, item.household_id, &item.program)
        .await?
        .into_iter()
        .find_map(|i| i.amount_fen))
}

/// A note beside an item's steps.
#[derive(Clone, Debug, Default)]
pub struct NoteRequest {
    /// A [`NoteAction`] code.
    pub action: String,
    pub text: String,
    /// The objection an answer answers (its event id).
    pub objection: Option<i64>,
    /// The department asked to co-handle, or transferred to.
    pub department: String,
}

/// Records a note: a co-handling department's opinion; a co-handling request, an
/// objection during the public notice, its answer, or a transfer by whoever may act.
pub async fn note(db: &Db, acting: &Acting, item_id: i64, req: NoteRequest) -> Result<i64> {
    let action = NoteAction::parse(&req.action)
        .filter(|a| *a != NoteAction::OverdueNotice)
        .ok_or_else(|| AppError::invalid(format!("action: {:?}", req.action)))?;
    let text = req.text.trim().to_string();
    let mut st = cases::begin_step(db, &acting.scope, item_id).await?;
    let actor = acting.actor();
    if action == NoteAction::Opinion {
        let cohandler = acting.role == Role::DepartmentHandler
            && st.cohandlers().await?.contains(&acting.department);
        if !cohandler {
            return Err(AppError::Forbidden(
                "opinion: only a department asked to co-handle gives an opinion".into(),
            ));
        }
        if text.is_empty() {
            return Err(AppError::invalid("text: the opinion is empty"));
        }
        let data = json!({"department": acting.department, "text": text});
        return Ok(st.note(&actor, action.code(), data).await?);
    }
    if !may_act(acting, &st.item) {
        return Err(AppError::NotFound("item".into()));
    }
    let department_ok = workflow::is_department(&req.department);
    let data = match action {
        NoteAction::Cohandle if department_ok && !text.is_empty() => {
            json!({"department": req.department, "request": text})
        }
        NoteAction::Objection if text.is_empty() => {
            return Err(AppError::invalid(
                "objection: only during the public notice, with its text",
            ));
        }
        NoteAction::Objection => {
            if st.item.current_step() != Some("notice") {
                return Err(AppError::blocked(
                    "objection",
                    "objections are filed during the public notice, which is not running",
                    "异议只能在公示期间提出，该事项当前不在公示",
                ));
            }
            json!({"text": text})
        }
        NoteAction::Answer if !text.is_empty() => match req.objection {
            Some(o) => json!({"objection": o, "text": text}),
            None => {
                return Err(AppError::invalid("objection: which objection is answered"));
            }
        },
        NoteAction::Transfer if department_ok && !text.is_empty() => {
            json!({"department": req.department, "from": st.item.department, "reason": text})
        }
        _ => {
            return Err(AppError::invalid(
                "text: say what is recorded (and, for a transfer, the department)",
            ));
        }
    };
    Ok(st.note(&actor, action.code(), data).await?)
}

/// 超时通报: every overdue open item in `acting`'s region not yet notified gets a
/// supervision notice; returns how many. County approvers and the city administrator.
pub async fn notify_overdue(db: &Db, acting: &Acting) -> Result<usize> {
    acting.require(
        matches!(acting.role, Role::CountyApprover | Role::CityAdmin),
        "send overdue notices",
    )?;
    crate::supervision::notify_overdue_in(db, &acting.scope, &acting.actor(), &acting.username)
        .await
}
