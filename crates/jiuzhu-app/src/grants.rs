//! Automatic assistance (无感智办): a monitoring run's new alerts of a granting rule become
//! decisions computed by the policy engine on the registry's evidence plus the expense the
//! rule found, each kept with its receipt and waiting one working day for approval.

use crate::monitoring::{GrantCandidate, RunOutcome};
use jiuzhu_db::Db;
use jiuzhu_db::audit::Actor;
use jiuzhu_db::households::{self, Scope};
use jiuzhu_db::monitoring::{self, NewGrant};
use jiuzhu_domain::Money;
use jiuzhu_domain::calendar::WorkCalendar;
use jiuzhu_monitor::{Month, RuleSet};

use crate::AppError;

/// Runs a rule set for a month over the registry and proposes the grants its new alerts
/// call for. Every monthly run (schedule, page, command line) goes through here.
pub async fn run_month(
    db: &Db,
    actor: &Actor,
    set: &RuleSet,
    month: Month,
    via: &str,
    today: chrono::NaiveDate,
    calendar: &WorkCalendar,
) -> Result<(RunOutcome, usize), AppError> {
    let outcome = crate::monitoring::run_month(db, actor, set, month, via, today, calendar).await?;
    let mut grants = Vec::new();
    for c in &outcome.grants {
        match compute(db, c, today, calendar).await {
            Ok(Some(g)) => grants.push(g),
            Ok(None) => {}
            Err(e) => tracing::warn!("grant for alert {}: {e}", c.alert_id),
        }
    }
    // One transaction for all of them: a commit per grant would wait on the disk each time.
    monitoring::propose_grants(db, actor, &grants).await?;
    Ok((outcome, grants.len()))
}

/// Computes one candidate under the city's pack with the expense as the sudden expense: a
/// grant with the engine's receipt when the program is granted, else `None`.
pub async fn compute(
    db: &Db,
    c: &GrantCandidate,
    today: chrono::NaiveDate,
    calendar: &WorkCalendar,
) -> Result<Option<NewGrant>, AppError> {
    let Some(rec) = households::get(db, &Scope::everything(), c.household_id).await? else {
        return Ok(None);
    };
    let expense = Money::parse(&c.expense)
        .map_err(|e| AppError::invalid(format!("alert {}: amount: {e}", c.alert_id)))?;
    let d =
        evaluate(&rec.as_of(today), today, &c.program, Some(expense)).map_err(AppError::invalid)?;
    if !d.eligible || d.amount_fen == 0 {
        return Ok(None);
    }
    Ok(Some(NewGrant {
        alert_id: c.alert_id,
        household_id: c.household_id,
        region_code: c.region_code.clone(),
        program: c.program.clone(),
        expense_fen: expense.fen(),
        amount_fen: d.amount_fen,
        receipt_sha256: d.receipt_sha256,
        receipt: d.receipt,
        deadline: calendar.add_working_days(today, 1).to_string(),
    }))
}

/// What the policy engine decides for one program of a household.
pub struct Decision {
    pub eligible: bool,
    /// Rounded half up to the fen.
    pub amount_fen: i64,
    /// The replayable receipt and its hash.
    pub receipt: String,
    pub receipt_sha256: String,
}

/// Evaluates `program` for the household (already cut to `date`) under the city pack, with
/// a sudden expense when one is declared, and issues the receipt. Automatic grants and
/// case decisions both decide through here.
pub fn evaluate(
    rec: &jiuzhu_db::households::HouseholdRecord,
    date: chrono::NaiveDate,
    program: &str,
    expense: Option<Money>,
) -> Result<Decision, String> {
    let mut input = crate::prescription::input_of(rec);
    if let Some(e) = expense {
        input["household"]["sudden_expense"] = serde_json::Value::String(e.to_string());
    }
    let receipt = jiuzhu_policy::receipt::issue_with(
        crate::prescription::engine()?,
        shipped_chain()?,
        date,
        &input,
    )?;
    let parsed: serde_json::Value = serde_json::from_str(&receipt).map_err(|e| e.to_string())?;
    let result = parsed["result"]["programs"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["code"] == program))
        .ok_or_else(|| format!("the pack has no program {program}"))?;
    let amount = result["amount"]
        .as_str()
        .and_then(|a| rust_decimal::Decimal::from_str_exact(a).ok())
        .unwrap_or_default()
        .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    Ok(Decision {
        eligible: result["eligible"] == true,
        amount_fen: Money::parse(&amount.to_string())
            .map_err(|e| e.to_string())?
            .fen(),
        receipt_sha256: parsed["hash"].as_str().unwrap_or_default().to_string(),
        receipt,
    })
}

/// The city pack's files with those it extends, as a receipt keeps them (read once).
pub(crate) fn shipped_chain() -> Result<&'static [(String, jiuzhu_policy::pack::Files)], String> {
    static CHAIN: std::sync::OnceLock<Result<Vec<(String, jiuzhu_policy::pack::Files)>, String>> =
        std::sync::OnceLock::new();
    CHAIN
        .get_or_init(|| {
            let files = jiuzhu_policy::shipped::files(crate::prescription::PACK)
                .ok_or_else(|| format!("no shipped pack {}", crate::prescription::PACK))?;
            jiuzhu_policy::pack::chain(&files, &jiuzhu_policy::shipped::files)
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}
