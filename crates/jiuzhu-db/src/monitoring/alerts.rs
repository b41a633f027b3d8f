//! Alerts (预警) and their life from new to closed, with their statistics per rule.

use super::*;

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

pub(super) const ALERT_COLUMNS: &str = "a.id, a.rule, a.subject_kind, a.subject, a.finding, a.household_id, h.code, a.region_code,
    a.township, a.month, a.run_id, a.severity, a.action, a.status, a.assignee, a.deadline, a.outcome,
    a.note, a.created_at, a.updated_at, a.closed_at";

pub(super) fn alert_of(r: &sqlx::any::AnyRow) -> Result<Alert> {
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
    Close {
        outcome: jiuzhu_domain::casework::Outcome,
        note: String,
    },
}

/// Writes one alert's move to `to` from `status`, returning what the step records.
async fn write_step(
    tx: &mut crate::Tx,
    id: i64,
    status: &str,
    to: &str,
    step: &Step,
    now: &str,
) -> Result<serde_json::Value> {
    Ok(match step {
        Step::Assign(user) => {
            if user.trim().is_empty() {
                return Err(DbError::invalid("assignee", "required", "请选择经办人"));
            }
            crate::limit("assignee", user, jiuzhu_domain::limits::NAME_CHARS)?;
            sqlx::query(
                "UPDATE alerts SET status = $1, assignee = $2, updated_at = $3 WHERE id = $4",
            )
            .bind(to)
            .bind(user)
            .bind(now)
            .bind(id)
            .execute(&mut **tx)
            .await?;
            json!({"from": status, "to": to, "assignee": user})
        }
        Step::Investigate => {
            sqlx::query("UPDATE alerts SET status = $1, updated_at = $2 WHERE id = $3")
                .bind(to)
                .bind(now)
                .bind(id)
                .execute(&mut **tx)
                .await?;
            json!({"from": status, "to": to})
        }
        Step::Close { outcome, note } => {
            if note.trim().is_empty() {
                return Err(DbError::invalid(
                    "note",
                    "say what was found",
                    "请填写核查发现的情况",
                ));
            }
            sqlx::query(
                "UPDATE alerts SET status = $1, outcome = $2, note = $3, updated_at = $4, closed_at = $4
                 WHERE id = $5",
            )
            .bind(to)
            .bind(outcome.code())
            .bind(note)
            .bind(now)
            .bind(id)
            .execute(&mut **tx)
            .await?;
            json!({"from": status, "to": to, "outcome": outcome.code(), "note": note})
        }
    })
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
        return Err(DbError::invalid(
            "alerts",
            "select at least one",
            "请至少选择一条预警",
        ));
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
            let zh = jiuzhu_domain::casework::alert_status_zh;
            return Err(DbError::conflict(
                "alerts",
                format!("alert {id} is {status}; it cannot move to {to}"),
                format!(
                    "预警 {id} 当前为“{}”，不能转为“{}”：请刷新页面后按当前状态办理",
                    zh(&status),
                    zh(to)
                ),
            ));
        }
        let detail = write_step(&mut tx, *id, &status, to, step, &now).await?;
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
