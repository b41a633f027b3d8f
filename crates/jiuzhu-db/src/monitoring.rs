//! The monitored population (households' assistance categories and main labourers),
//! monitoring runs and alerts (预警) worked from new to closed.

use std::collections::HashMap;

use serde_json::json;
use sqlx::{AssertSqlSafe, Row};

use crate::audit::{self, Actor, Entry};
use crate::households::Scope;
use crate::{Db, DbError, Result};

/// Assistance categories of the monitored population (救助类别).
pub const CATEGORIES: &[&str] = &["dibao", "edge", "tekun", "lowinc", "monitored"];

/// Ends the household's current category on `end_on` and, when `new` is given, starts it
/// from `from`. The one place the dated category changes (inside the caller's transaction).
pub(crate) async fn replace_category(
    tx: &mut crate::Tx,
    household_id: i64,
    end_on: &str,
    new: Option<(&str, &str)>,
    recorded_by: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE assistance_status SET valid_to = $1 WHERE household_id = $2 AND valid_to IS NULL",
    )
    .bind(end_on)
    .bind(household_id)
    .execute(&mut **tx)
    .await?;
    if let Some((category, from)) = new {
        sqlx::query(
            "INSERT INTO assistance_status (household_id, category, valid_from, recorded_at, recorded_by)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(household_id)
        .bind(category)
        .bind(from)
        .bind(crate::now_text())
        .bind(recorded_by)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Sets a household's category from `from` (ending the current one), or ends it (`None`).
pub async fn set_category(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    household_id: i64,
    category: Option<&str>,
    from: &str,
) -> Result<()> {
    if crate::households::get(db, scope, household_id)
        .await?
        .is_none()
    {
        return Err(DbError::NotFound("household".into()));
    }
    if let Some(c) = category
        && !CATEGORIES.contains(&c)
    {
        return Err(DbError::Invalid(format!(
            "category: {c:?} is not one of {}",
            CATEGORIES.join(", ")
        )));
    }
    let mut tx = db.begin_write().await?;
    replace_category(
        &mut tx,
        household_id,
        from,
        category.map(|c| (c, from)),
        &actor.name,
    )
    .await?;
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry {
            action: "household.category",
            object_type: "household",
            object_id: household_id.to_string(),
            household_id: Some(household_id),
            detail: json!({"category": category, "from": from}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A household's current category, if any.
pub async fn category_of(db: &Db, household_id: i64) -> Result<Option<String>> {
    Ok(sqlx::query(
        "SELECT category FROM assistance_status WHERE household_id = $1 AND valid_to IS NULL",
    )
    .bind(household_id)
    .fetch_optional(db.pool())
    .await?
    .map(|r| r.try_get(0))
    .transpose()?)
}

/// Marks a current member as the household's main labourer (and no one else).
pub async fn set_main_laborer(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    household_id: i64,
    person_id: Option<i64>,
) -> Result<()> {
    let Some(rec) = crate::households::get(db, scope, household_id).await? else {
        return Err(DbError::NotFound("household".into()));
    };
    if let Some(p) = person_id
        && !rec.current_members().any(|m| m.person_id == p)
    {
        return Err(DbError::Invalid("person: not a current member".into()));
    }
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE members SET main_laborer = CASE WHEN person_id = $1 THEN 1 ELSE 0 END
         WHERE household_id = $2 AND valid_to IS NULL",
    )
    .bind(person_id.unwrap_or(-1))
    .bind(household_id)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry {
            action: "household.main_laborer",
            object_type: "household",
            object_id: household_id.to_string(),
            household_id: Some(household_id),
            detail: json!({"person_id": person_id}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets categories and main labourers of many households at once (demo and roster loads):
/// `(household code, category, main labourer's ID number)`. One transaction, one audit row.
pub async fn enrol_bulk(
    db: &Db,
    actor: &Actor,
    from: &str,
    rows: &[(String, String, Option<String>)],
) -> Result<usize> {
    let mut tx = db.begin_write().await?;
    let mut n = 0;
    for (code, category, laborer) in rows {
        let hh = sqlx::query("SELECT id FROM households WHERE code = $1")
            .bind(code)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(hh) = hh else {
            return Err(DbError::NotFound(format!("household {code}")));
        };
        let hh: i64 = hh.try_get(0)?;
        replace_category(&mut tx, hh, from, Some((category, from)), &actor.name).await?;
        if let Some(id) = laborer {
            sqlx::query(
                "UPDATE members SET main_laborer = 1 WHERE household_id = $1 AND valid_to IS NULL
                   AND person_id = (SELECT id FROM persons WHERE id_number = $2)",
            )
            .bind(hh)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        n += 1;
    }
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry {
            action: "household.category_bulk",
            object_type: "household",
            object_id: String::new(),
            household_id: None,
            detail: json!({"households": n, "from": from}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// A person of the monitored population, as the rules see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PopulationRow {
    pub id_number: String,
    pub household_code: String,
    pub household_id: i64,
    pub region_code: String,
    pub category: String,
    pub main_laborer: bool,
}

/// Every current member of every household with a category on `as_of`.
pub async fn population(db: &Db, as_of: &str) -> Result<Vec<PopulationRow>> {
    let rows = sqlx::query(
        "SELECT p.id_number, h.code, h.id, h.region_code, s.category, m.main_laborer
         FROM assistance_status s
         JOIN households h ON h.id = s.household_id
         JOIN members m ON m.household_id = h.id
         JOIN persons p ON p.id = m.person_id
         WHERE s.valid_from <= $1 AND (s.valid_to IS NULL OR s.valid_to > $1)
           AND m.valid_from <= $1 AND (m.valid_to IS NULL OR m.valid_to > $1)
         ORDER BY p.id_number",
    )
    .bind(as_of)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PopulationRow {
                id_number: r.try_get(0)?,
                household_code: r.try_get(1)?,
                household_id: r.try_get(2)?,
                region_code: r.try_get(3)?,
                category: r.try_get(4)?,
                main_laborer: r.try_get::<i64, _>(5)? != 0,
            })
        })
        .collect()
}

/// A run to record.
#[derive(Clone, Debug)]
pub struct NewRun {
    pub rule_set: String,
    pub month: String,
    /// `schedule` or `manual`.
    pub via: String,
    pub population: i64,
    pub started_at: String,
}

/// An alert to raise.
#[derive(Clone, Debug)]
pub struct NewAlert {
    pub rule: String,
    pub subject_kind: String,
    pub subject: String,
    pub finding: String,
    pub household_id: Option<i64>,
    pub region_code: String,
    pub severity: String,
    pub action: String,
    pub deadline: String,
}

/// A recorded run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    pub id: i64,
    pub rule_set: String,
    pub month: String,
    pub via: String,
    pub population: i64,
    pub findings: i64,
    pub new_alerts: i64,
    pub started_at: String,
    pub finished_at: String,
    pub started_by: String,
}

/// Records a run and raises its alerts; a finding already raised by an earlier run (same
/// rule, subject and finding) is not raised again. Returns the run id and new alerts.
pub async fn record_run(
    db: &Db,
    actor: &Actor,
    run: &NewRun,
    alerts: &[NewAlert],
) -> Result<(i64, i64)> {
    let mut tx = db.begin_write().await?;
    let now = crate::now_text();
    let id: i64 = sqlx::query(
        "INSERT INTO monitor_runs (rule_set, month, via, population, findings, new_alerts,
                                   started_at, finished_at, started_by)
         VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8) RETURNING id",
    )
    .bind(&run.rule_set)
    .bind(&run.month)
    .bind(&run.via)
    .bind(run.population)
    .bind(alerts.len() as i64)
    .bind(&run.started_at)
    .bind(&now)
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let (_, new) = crate::roster::insert_rows(
        &mut tx,
        db.backend(),
        "INSERT INTO alerts (rule, subject_kind, subject, finding, household_id, region_code, township,
                             month, run_id, severity, action, status, deadline, created_at, updated_at)",
        "ON CONFLICT (rule, subject, finding) DO NOTHING",
        15,
        alerts,
        |q, a| {
            q.bind(&a.rule)
                .bind(&a.subject_kind)
                .bind(&a.subject)
                .bind(&a.finding)
                .bind(a.household_id)
                .bind(&a.region_code)
                .bind(a.region_code.get(..9).unwrap_or(&a.region_code))
                .bind(&run.month)
                .bind(id)
                .bind(&a.severity)
                .bind(&a.action)
                .bind("new")
                .bind(&a.deadline)
                .bind(&now)
                .bind(&now)
        },
    )
    .await?;
    sqlx::query("UPDATE monitor_runs SET new_alerts = $1 WHERE id = $2")
        .bind(new as i64)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry {
            action: "monitor.run",
            object_type: "monitor_run",
            object_id: id.to_string(),
            household_id: None,
            detail: json!({"rule_set": run.rule_set, "month": run.month, "via": run.via,
                           "population": run.population, "findings": alerts.len(), "new": new}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((id, new as i64))
}

const RUN_COLUMNS: &str = "id, rule_set, month, via, population, findings, new_alerts, started_at, finished_at, started_by";

fn run_of(r: &sqlx::any::AnyRow) -> Result<Run> {
    Ok(Run {
        id: r.try_get(0)?,
        rule_set: r.try_get(1)?,
        month: r.try_get(2)?,
        via: r.try_get(3)?,
        population: r.try_get(4)?,
        findings: r.try_get(5)?,
        new_alerts: r.try_get(6)?,
        started_at: r.try_get(7)?,
        finished_at: r.try_get(8)?,
        started_by: r.try_get(9)?,
    })
}

/// The latest runs, newest first.
pub async fn runs(db: &Db, limit: i64) -> Result<Vec<Run>> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {RUN_COLUMNS} FROM monitor_runs ORDER BY id DESC LIMIT {limit}"
    )))
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(run_of)
    .collect()
}

/// Whether a rule set has been run for a month on schedule.
pub async fn scheduled_run_exists(db: &Db, rule_set: &str, month: &str) -> Result<bool> {
    Ok(sqlx::query(
        "SELECT 1 FROM monitor_runs WHERE rule_set = $1 AND month = $2 AND via = 'schedule'",
    )
    .bind(rule_set)
    .bind(month)
    .fetch_optional(db.pool())
    .await?
    .is_some())
}

/// Alert statuses, in order.
pub const STATUSES: &[&str] = &["new", "assigned", "investigating", "closed"];
/// Outcomes of a closed alert.
pub const OUTCOMES: &[&str] = jiuzhu_domain::casework::Outcome::CODES;

/// An alert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    pub id: i64,
    pub rule: String,
    pub subject_kind: String,
    pub subject: String,
    pub finding: String,
    pub household_id: Option<i64>,
    pub household_code: Option<String>,
    pub region_code: String,
    pub township: String,
    pub month: String,
    pub run_id: i64,
    pub severity: String,
    pub action: String,
    pub status: String,
    pub assignee: Option<String>,
    pub deadline: String,
    pub outcome: Option<String>,
    pub note: String,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
}

impl Alert {
    /// Open past its deadline on `today`.
    pub fn overdue(&self, today: &str) -> bool {
        self.status != "closed" && self.deadline.as_str() < today
    }
}

const ALERT_COLUMNS: &str = "a.id, a.rule, a.subject_kind, a.subject, a.finding, a.household_id, h.code, a.region_code,
    a.township, a.month, a.run_id, a.severity, a.action, a.status, a.assignee, a.deadline, a.outcome,
    a.note, a.created_at, a.updated_at, a.closed_at";

fn alert_of(r: &sqlx::any::AnyRow) -> Result<Alert> {
    Ok(Alert {
        id: r.try_get(0)?,
        rule: r.try_get(1)?,
        subject_kind: r.try_get(2)?,
        subject: r.try_get(3)?,
        finding: r.try_get(4)?,
        household_id: r.try_get(5)?,
        household_code: r.try_get(6)?,
        region_code: r.try_get(7)?,
        township: r.try_get(8)?,
        month: r.try_get(9)?,
        run_id: r.try_get(10)?,
        severity: r.try_get(11)?,
        action: r.try_get(12)?,
        status: r.try_get(13)?,
        assignee: r.try_get(14)?,
        deadline: r.try_get(15)?,
        outcome: r.try_get(16)?,
        note: r.try_get(17)?,
        created_at: r.try_get(18)?,
        updated_at: r.try_get(19)?,
        closed_at: r.try_get(20)?,
    })
}

/// Filters of the alert inbox.
#[derive(Clone, Debug, Default)]
pub struct AlertFilter {
    pub region: Option<String>,
    pub status: Option<String>,
    pub rule: Option<String>,
    pub assignee: Option<String>,
    /// Only open alerts past their deadline on this date.
    pub overdue_on: Option<String>,
    pub household_id: Option<i64>,
    pub page: i64,
    pub per_page: i64,
}

/// Alerts in `scope` matching the filter, most urgent first (open before closed, then by
/// deadline), and the total count.
pub async fn alerts(db: &Db, scope: &Scope, f: &AlertFilter) -> Result<(Vec<Alert>, i64)> {
    let (lo, hi) = scope.range();
    let mut binds: Vec<String> = vec![lo, hi];
    let mut conds = vec!["a.region_code >= $1 AND a.region_code < $2".to_string()];
    if let Some(r) = f.region.as_deref().filter(|s| !s.is_empty()) {
        let (rlo, rhi) = crate::prefix_range(r);
        binds.push(rlo);
        binds.push(rhi);
        conds.push(format!(
            "a.region_code >= ${} AND a.region_code < ${}",
            binds.len() - 1,
            binds.len()
        ));
    }
    for (col, v) in [
        ("a.status", &f.status),
        ("a.rule", &f.rule),
        ("a.assignee", &f.assignee),
    ] {
        if let Some(v) = v.as_deref().filter(|s| !s.is_empty()) {
            binds.push(v.to_string());
            conds.push(format!("{col} = ${}", binds.len()));
        }
    }
    if let Some(d) = f.overdue_on.as_deref() {
        binds.push(d.to_string());
        conds.push(format!(
            "a.status <> 'closed' AND a.deadline < ${}",
            binds.len()
        ));
    }
    let hh = f
        .household_id
        .map(|id| format!(" AND a.household_id = {id}"))
        .unwrap_or_default();
    let wh = format!("{}{hh}", conds.join(" AND "));
    let mut count = sqlx::query(AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM alerts a WHERE {wh}"
    )));
    for b in &binds {
        count = count.bind(b);
    }
    let total: i64 = count.fetch_one(db.pool()).await?.try_get(0)?;
    let per = f.per_page.clamp(1, 500);
    let offset = f.page.max(0).saturating_mul(per);
    let mut q = sqlx::query(AssertSqlSafe(format!(
        "SELECT {ALERT_COLUMNS} FROM alerts a LEFT JOIN households h ON h.id = a.household_id
         WHERE {wh}
         ORDER BY CASE WHEN a.status = 'closed' THEN 1 ELSE 0 END, a.deadline, a.id
         LIMIT {per} OFFSET {offset}"
    )));
    for b in &binds {
        q = q.bind(b);
    }
    let rows = q.fetch_all(db.pool()).await?;
    Ok((rows.iter().map(alert_of).collect::<Result<_>>()?, total))
}

/// One alert, if inside `scope`.
pub async fn alert(db: &Db, scope: &Scope, id: i64) -> Result<Option<Alert>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {ALERT_COLUMNS} FROM alerts a LEFT JOIN households h ON h.id = a.household_id WHERE a.id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    let Some(a) = row.as_ref().map(alert_of).transpose()? else {
        return Ok(None);
    };
    Ok(scope.contains(&a.region_code).then_some(a))
}

/// A step in an alert's life.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// new or assigned → assigned to a user.
    Assign(String),
    /// assigned → investigating.
    Investigate,
    /// investigating → closed with an outcome and a note.
    Close { outcome: String, note: String },
}

/// Moves alerts one step (new → assigned → investigating → closed); each alert must be in
/// `scope` and in a state the step starts from. All or none: one refused alert refuses the
/// whole batch, naming it.
pub async fn advance(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    ids: &[i64],
    step: &Step,
) -> Result<usize> {
    if ids.is_empty() {
        return Err(DbError::Invalid("alerts: select at least one".into()));
    }
    if let Step::Close { note, .. } = step {
        crate::limit("note", note, jiuzhu_domain::limits::TEXT_CHARS)?;
    }
    let mut tx = db.begin_write().await?;
    let now = crate::now_text();
    for id in ids {
        let row = sqlx::query("SELECT status, region_code, household_id FROM alerts WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Err(DbError::NotFound(format!("alert {id}")));
        };
        let status: String = row.try_get(0)?;
        let region: String = row.try_get(1)?;
        let household: Option<i64> = row.try_get(2)?;
        if !scope.contains(&region) {
            return Err(DbError::NotFound(format!("alert {id}")));
        }
        let (allowed, to): (&[&str], &str) = match step {
            Step::Assign(_) => (&["new", "assigned"], "assigned"),
            Step::Investigate => (&["assigned"], "investigating"),
            Step::Close { .. } => (&["investigating"], "closed"),
        };
        if !allowed.contains(&status.as_str()) {
            return Err(DbError::Conflict(format!(
                "alert {id} is {status}; it cannot move to {to}"
            )));
        }
        let detail = match step {
            Step::Assign(user) => {
                if user.trim().is_empty() {
                    return Err(DbError::Invalid("assignee: required".into()));
                }
                crate::limit("assignee", user, jiuzhu_domain::limits::NAME_CHARS)?;
                sqlx::query(
                    "UPDATE alerts SET status = $1, assignee = $2, updated_at = $3 WHERE id = $4",
                )
                .bind(to)
                .bind(user)
                .bind(&now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                json!({"from": status, "to": to, "assignee": user})
            }
            Step::Investigate => {
                sqlx::query("UPDATE alerts SET status = $1, updated_at = $2 WHERE id = $3")
                    .bind(to)
                    .bind(&now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                json!({"from": status, "to": to})
            }
            Step::Close { outcome, note } => {
                if !OUTCOMES.contains(&outcome.as_str()) {
                    return Err(DbError::Invalid(format!(
                        "outcome: {outcome:?} is not one of {}",
                        OUTCOMES.join(", ")
                    )));
                }
                if note.trim().is_empty() {
                    return Err(DbError::Invalid("note: say what was found".into()));
                }
                sqlx::query(
                    "UPDATE alerts SET status = $1, outcome = $2, note = $3, updated_at = $4, closed_at = $4
                     WHERE id = $5",
                )
                .bind(to)
                .bind(outcome)
                .bind(note)
                .bind(&now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                json!({"from": status, "to": to, "outcome": outcome, "note": note})
            }
        };
        let action = match step {
            Step::Assign(_) => "assign",
            Step::Investigate => "investigate",
            Step::Close { .. } => "close",
        };
        crate::steps::record(
            &mut tx,
            db.backend(),
            actor,
            crate::steps::Step {
                subject: crate::steps::Subject::Alert,
                subject_id: *id,
                household_id: household,
                step: &status,
                action,
                data: detail.clone(),
                audit_action: "alert.advance",
                audit_detail: detail,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(ids.len())
}

/// Per rule, inside `scope`: alerts raised, open, closed, false alarms, and open overdue.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleStats {
    pub rule: String,
    pub raised: i64,
    pub open: i64,
    pub closed: i64,
    pub false_alarms: i64,
    pub overdue: i64,
}

impl RuleStats {
    /// False alarms as a share of closed alerts, in per mille (None before any is closed).
    pub fn false_alarm_permille(&self) -> Option<i64> {
        (self.closed > 0).then(|| self.false_alarms * 1000 / self.closed)
    }
}

/// Statistics of every rule that raised an alert in `scope`.
pub async fn rule_stats(db: &Db, scope: &Scope, today: &str) -> Result<Vec<RuleStats>> {
    let (lo, hi) = scope.range();
    let rows = sqlx::query(
        "SELECT rule, COUNT(*),
                SUM(CASE WHEN status <> 'closed' THEN 1 ELSE 0 END),
                SUM(CASE WHEN status = 'closed' THEN 1 ELSE 0 END),
                SUM(CASE WHEN outcome = 'false_alarm' THEN 1 ELSE 0 END),
                SUM(CASE WHEN status <> 'closed' AND deadline < $3 THEN 1 ELSE 0 END)
         FROM alerts WHERE region_code >= $1 AND region_code < $2
         GROUP BY rule ORDER BY rule",
    )
    .bind(lo)
    .bind(hi)
    .bind(today)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RuleStats {
                rule: r.try_get(0)?,
                raised: r.try_get(1)?,
                open: r.try_get(2)?,
                closed: r.try_get(3)?,
                false_alarms: r.try_get(4)?,
                overdue: r.try_get(5)?,
            })
        })
        .collect()
}

/// Alert counts by status in `scope` (for the home page).
pub async fn status_counts(db: &Db, scope: &Scope) -> Result<HashMap<String, i64>> {
    let (lo, hi) = scope.range();
    let rows = sqlx::query(
        "SELECT status, COUNT(*) FROM alerts WHERE region_code >= $1 AND region_code < $2 GROUP BY status",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// ID numbers of current members of households with no category on `as_of` (people
/// outside the monitored population), up to `limit`.
pub async fn other_persons(db: &Db, as_of: &str, limit: i64) -> Result<Vec<String>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT p.id_number FROM members m JOIN persons p ON p.id = m.person_id
         WHERE m.valid_to IS NULL AND m.household_id NOT IN (
             SELECT household_id FROM assistance_status
             WHERE valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1))
         ORDER BY p.id_number LIMIT {limit}"
    )))
    .bind(as_of)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// The alerts a run raised first (not those an earlier run had raised).
pub async fn raised_by_run(db: &Db, run_id: i64) -> Result<Vec<Alert>> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {ALERT_COLUMNS} FROM alerts a LEFT JOIN households h ON h.id = a.household_id
         WHERE a.run_id = $1 ORDER BY a.id"
    )))
    .bind(run_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(alert_of)
    .collect()
}

/// A decision proposed without an application (无感智办).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub id: i64,
    pub alert_id: i64,
    pub household_id: i64,
    pub region_code: String,
    pub program: String,
    pub expense_fen: i64,
    pub amount_fen: i64,
    pub receipt: String,
    pub receipt_sha256: String,
    pub status: String,
    pub deadline: String,
    pub note: String,
    pub created_at: String,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
}

/// A grant to propose.
#[derive(Clone, Debug)]
pub struct NewGrant {
    pub alert_id: i64,
    pub household_id: i64,
    pub region_code: String,
    pub program: String,
    pub expense_fen: i64,
    pub amount_fen: i64,
    pub receipt: String,
    pub receipt_sha256: String,
    pub deadline: String,
}

/// Stores proposed grants (one per alert) in one transaction, each with its audit row.
pub async fn propose_grants(db: &Db, actor: &Actor, grants: &[NewGrant]) -> Result<Vec<i64>> {
    let mut tx = db.begin_write().await?;
    let now = crate::now_text();
    let mut ids = Vec::with_capacity(grants.len());
    for g in grants {
        let id: i64 = sqlx::query(
            "INSERT INTO grants (alert_id, household_id, region_code, program, expense_fen, amount_fen,
                                 receipt, receipt_sha256, status, deadline, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'proposed', $9, $10) RETURNING id",
        )
        .bind(g.alert_id)
        .bind(g.household_id)
        .bind(&g.region_code)
        .bind(&g.program)
        .bind(g.expense_fen)
        .bind(g.amount_fen)
        .bind(&g.receipt)
        .bind(&g.receipt_sha256)
        .bind(&g.deadline)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        audit::append(
            &mut tx,
            db.backend(),
            actor,
            Entry {
                action: "grant.propose",
                object_type: "grant",
                object_id: id.to_string(),
                household_id: Some(g.household_id),
                detail: json!({"alert": g.alert_id, "program": g.program, "expense_fen": g.expense_fen,
                               "amount_fen": g.amount_fen, "receipt_sha256": g.receipt_sha256}),
            },
        )
        .await?;
        ids.push(id);
    }
    tx.commit().await?;
    Ok(ids)
}

const GRANT_COLUMNS: &str =
    "id, alert_id, household_id, region_code, program, expense_fen, amount_fen, receipt,
    receipt_sha256, status, deadline, note, created_at, decided_at, decided_by";

fn grant_of(r: &sqlx::any::AnyRow) -> Result<Grant> {
    Ok(Grant {
        id: r.try_get(0)?,
        alert_id: r.try_get(1)?,
        household_id: r.try_get(2)?,
        region_code: r.try_get(3)?,
        program: r.try_get(4)?,
        expense_fen: r.try_get(5)?,
        amount_fen: r.try_get(6)?,
        receipt: r.try_get(7)?,
        receipt_sha256: r.try_get(8)?,
        status: r.try_get(9)?,
        deadline: r.try_get(10)?,
        note: r.try_get(11)?,
        created_at: r.try_get(12)?,
        decided_at: r.try_get(13)?,
        decided_by: r.try_get(14)?,
    })
}

/// The grant proposed for an alert, if any (the alert's scope is checked by the caller).
pub async fn grant_of_alert(db: &Db, alert_id: i64) -> Result<Option<Grant>> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {GRANT_COLUMNS} FROM grants WHERE alert_id = $1"
    )))
    .bind(alert_id)
    .fetch_optional(db.pool())
    .await?
    .as_ref()
    .map(grant_of)
    .transpose()
}

/// Approves or rejects a proposed grant. Approval closes its alert with the outcome
/// "assistance started" in the same transaction (automatic assistance skips the
/// investigation: the data that raised it is the evidence); a rejection needs a reason and
/// leaves the alert to be worked as usual.
pub async fn decide_grant(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    grant_id: i64,
    approve: bool,
    note: &str,
) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {GRANT_COLUMNS} FROM grants WHERE id = $1"
    )))
    .bind(grant_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(g) = row.as_ref().map(grant_of).transpose()? else {
        return Err(DbError::NotFound("grant".into()));
    };
    if !scope.contains(&g.region_code) {
        return Err(DbError::NotFound("grant".into()));
    }
    if g.status != "proposed" {
        return Err(DbError::Invalid(format!(
            "grant {grant_id} is already {}",
            g.status
        )));
    }
    if !approve && note.trim().is_empty() {
        return Err(DbError::Invalid(
            "note: give the reason for rejecting".into(),
        ));
    }
    let now = crate::now_text();
    let status = if approve { "approved" } else { "rejected" };
    sqlx::query(
        "UPDATE grants SET status = $1, note = $2, decided_at = $3, decided_by = $4 WHERE id = $5",
    )
    .bind(status)
    .bind(note.trim())
    .bind(&now)
    .bind(&actor.name)
    .bind(grant_id)
    .execute(&mut *tx)
    .await?;
    if approve {
        let yuan = jiuzhu_domain::Money::from_fen(g.amount_fen);
        sqlx::query(
            "UPDATE alerts SET status = 'closed', outcome = 'assistance_started', note = $1,
                    assignee = COALESCE(assignee, $2), updated_at = $3, closed_at = $3
             WHERE id = $4 AND status <> 'closed'",
        )
        .bind(format!("{} {yuan} 元已批准（无感智办）", g.program))
        .bind(&actor.name)
        .bind(&now)
        .bind(g.alert_id)
        .execute(&mut *tx)
        .await?;
    }
    let detail = json!({"grant": grant_id, "amount_fen": g.amount_fen, "note": note.trim()});
    crate::steps::record(
        &mut tx,
        db.backend(),
        actor,
        crate::steps::Step {
            subject: crate::steps::Subject::Alert,
            subject_id: g.alert_id,
            household_id: Some(g.household_id),
            step: "grant",
            action: if approve { "approve" } else { "reject" },
            data: detail.clone(),
            audit_action: if approve {
                "grant.approve"
            } else {
                "grant.reject"
            },
            audit_detail: detail,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
