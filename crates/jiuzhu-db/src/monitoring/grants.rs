//! Automatic grants (无感智办): proposed from a run's alerts, decided by the county, closing their alert.

use super::*;

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
            Entry::new("grant.propose", "grant", id)
                .household(g.household_id)
                .detail(
                    json!({"alert": g.alert_id, "program": g.program, "expense_fen": g.expense_fen,
                               "amount_fen": g.amount_fen, "receipt_sha256": g.receipt_sha256}),
                ),
        )
        .await?;
        ids.push(id);
    }
    tx.commit().await?;
    Ok(ids)
}

pub(super) const GRANT_COLUMNS: &str =
    "id, alert_id, household_id, region_code, program, expense_fen, amount_fen, receipt,
    receipt_sha256, status, deadline, note, created_at, decided_at, decided_by";

pub(super) fn grant_of(r: &sqlx::any::AnyRow) -> Result<Grant> {
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
        return Err(DbError::invalid(
            "grant",
            format!("grant {grant_id} is already {}", g.status),
            format!(
                "该救助已处理（{}），不能重复办理",
                jiuzhu_domain::casework::grant_status_zh(&g.status)
            ),
        ));
    }
    if !approve && note.trim().is_empty() {
        return Err(DbError::invalid(
            "note",
            "give the reason for rejecting",
            "请填写不予救助的理由",
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
