//! Automatic assistance (无感智办): a monitoring run's new alerts of a granting rule become
//! decisions computed by the policy engine on the registry's evidence plus the expense the
//! rule found, each kept with its receipt and waiting one working day for approval.

use jiuzhu_db::Db;
use jiuzhu_db::audit::Actor;
use jiuzhu_db::households::{self, Scope};
use jiuzhu_db::monitoring::{self, NewGrant};
use jiuzhu_domain::Money;
use jiuzhu_domain::calendar::WorkCalendar;
use jiuzhu_monitor::store::{GrantCandidate, RunOutcome};
use jiuzhu_monitor::{MonitorError, Month, RuleSet};

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
) -> Result<(RunOutcome, usize), MonitorError> {
    let outcome =
        jiuzhu_monitor::store::run_month(db, actor, set, month, via, today, calendar).await?;
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
) -> Result<Option<NewGrant>, MonitorError> {
    let Some(rec) = households::get(db, &Scope::everything(), c.household_id).await? else {
        return Ok(None);
    };
    let expense = Money::parse(&c.expense)
        .map_err(|e| MonitorError::Invalid(format!("alert {}: amount: {e}", c.alert_id)))?;
    let mut input = crate::prescription::input_of(&rec.as_of(today));
    input["household"]["sudden_expense"] = serde_json::Value::String(expense.to_string());
    let chain = shipped_chain().map_err(MonitorError::Invalid)?;
    let receipt = jiuzhu_policy::receipt::issue_with(
        crate::prescription::engine().map_err(MonitorError::Invalid)?,
        chain,
        today,
        &input,
    )
    .map_err(MonitorError::Invalid)?;
    let parsed: serde_json::Value =
        serde_json::from_str(&receipt).map_err(|e| MonitorError::Invalid(e.to_string()))?;
    let program = parsed["result"]["programs"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["code"] == c.program.as_str()))
        .cloned()
        .ok_or_else(|| MonitorError::Invalid(format!("the pack has no program {}", c.program)))?;
    let amount = program["amount"]
        .as_str()
        .and_then(|a| rust_decimal::Decimal::from_str_exact(a).ok())
        .unwrap_or_default()
        .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    if program["eligible"] != true || amount.is_zero() {
        return Ok(None);
    }
    let amount =
        Money::parse(&amount.to_string()).map_err(|e| MonitorError::Invalid(e.to_string()))?;
    Ok(Some(NewGrant {
        alert_id: c.alert_id,
        household_id: c.household_id,
        region_code: c.region_code.clone(),
        program: c.program.clone(),
        expense_fen: expense.fen(),
        amount_fen: amount.fen(),
        receipt_sha256: parsed["hash"].as_str().unwrap_or_default().to_string(),
        receipt,
        deadline: calendar.add_working_days(today, 1).to_string(),
    }))
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
