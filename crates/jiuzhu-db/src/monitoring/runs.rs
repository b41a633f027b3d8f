//! Monitoring runs: what a run read, found and raised, and whether the schedule has run a month.

use super::*;

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
        Entry::new("monitor.run", "monitor_run", id).detail(
            json!({"rule_set": run.rule_set, "month": run.month, "via": run.via,
                           "population": run.population, "findings": alerts.len(), "new": new}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok((id, new as i64))
}

pub(super) const RUN_COLUMNS: &str = "id, rule_set, month, via, population, findings, new_alerts, started_at, finished_at, started_by";

pub(super) fn run_of(r: &sqlx::any::AnyRow) -> Result<Run> {
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
