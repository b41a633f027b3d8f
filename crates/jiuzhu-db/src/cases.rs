//! One-door intake and approval: applications, their program items routed to departments,
//! and each item's steps. The step order is enforced here, in the same transaction that
//! records the step: only the item's current step can be completed, so none is skipped.

use serde_json::json;
use sqlx::{AssertSqlSafe, Row};

use crate::audit::{self, Actor, Entry};
use crate::households::Scope;
use crate::{Db, DbError, Result};

/// An application to record.
#[derive(Clone, Debug)]
pub struct NewApplication {
    pub household_id: i64,
    pub applicant_id_number: String,
    pub applicant_name: String,
    /// window, online, proxy, discovery or alert.
    pub channel: String,
    pub proxy_name: String,
    pub proxy_id_number: String,
    pub source_ref: String,
    /// What was asked for (JSON array of program codes, or ["any"]).
    pub requested: String,
    pub authorisation_id: Option<i64>,
    /// The one-time notice (一次性告知): JSON array of what is still needed.
    pub notice: String,
    pub taken_region: String,
    pub date: String,
}

/// An item to open.
#[derive(Clone, Debug)]
pub struct NewItem {
    pub program: String,
    pub department: String,
    pub region_code: String,
    /// Step codes in order (JSON array).
    pub steps: String,
    pub approval: String,
    pub deadline: String,
    pub green_channel: bool,
    pub paperwork_deadline: Option<String>,
    /// grant, review, adjust, suspend, terminate, phase_out or convert.
    pub kind: String,
    /// The sudden expense declared for temporary assistance (fen).
    pub expense_fen: Option<i64>,
}

/// An application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Application {
    pub id: i64,
    pub code: String,
    pub household_id: i64,
    pub applicant_id_number: String,
    pub applicant_name: String,
    pub channel: String,
    pub proxy_name: String,
    pub proxy_id_number: String,
    pub source_ref: String,
    pub requested: String,
    pub authorisation_id: Option<i64>,
    pub notice: String,
    pub taken_by: String,
    pub taken_region: String,
    pub created_at: String,
}

/// A program item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub id: i64,
    pub application_id: i64,
    pub household_id: i64,
    pub program: String,
    pub department: String,
    pub region_code: String,
    pub status: String,
    pub steps: Vec<String>,
    pub step_index: i64,
    pub approval: String,
    pub deadline: String,
    pub green_channel: bool,
    pub paperwork_deadline: Option<String>,
    pub notice_from: Option<String>,
    pub amount_fen: Option<i64>,
    pub receipt: Option<String>,
    pub receipt_sha256: Option<String>,
    pub overdue_notified: bool,
    pub opened_at: String,
    pub closed_at: Option<String>,
    /// The application's number and who took it (首问).
    pub application_code: String,
    pub taken_by: String,
    pub household_code: String,
    pub kind: String,
    pub expense_fen: Option<i64>,
}

impl Item {
    /// The step the item waits on, if open.
    pub fn current_step(&self) -> Option<&str> {
        (self.status == "open")
            .then(|| self.steps.get(self.step_index as usize).map(String::as_str))
            .flatten()
    }
}

/// An event of an item (its `subject_id` is the item's id).
pub use crate::steps::Event;

pub use crate::case_steps::{Action, CategoryEffect, StepTx, begin as begin_step};

pub(crate) const APP_COLUMNS: &str = "id, code, household_id, applicant_id_number, applicant_name, channel, proxy_name,
    proxy_id_number, source_ref, requested, authorisation_id, notice, taken_by, taken_region, created_at";

pub(crate) fn app_of(r: &sqlx::any::AnyRow) -> Result<Application> {
    Ok(Application {
        id: r.try_get(0)?,
        code: r.try_get(1)?,
        household_id: r.try_get(2)?,
        applicant_id_number: r.try_get(3)?,
        applicant_name: r.try_get(4)?,
        channel: r.try_get(5)?,
        proxy_name: r.try_get(6)?,
        proxy_id_number: r.try_get(7)?,
        source_ref: r.try_get(8)?,
        requested: r.try_get(9)?,
        authorisation_id: r.try_get(10)?,
        notice: r.try_get(11)?,
        taken_by: r.try_get(12)?,
        taken_region: r.try_get(13)?,
        created_at: r.try_get(14)?,
    })
}

const ITEM_COLUMNS: &str = "i.id, i.application_id, i.household_id, i.program, i.department, i.region_code, i.status,
    i.steps, i.step_index, i.approval, i.deadline, i.green_channel, i.paperwork_deadline, i.notice_from,
    i.amount_fen, i.receipt, i.receipt_sha256, i.overdue_notified, i.opened_at, i.closed_at,
    a.code, a.taken_by, h.code, i.kind, i.expense_fen";

const ITEM_FROM: &str = "case_items i JOIN applications a ON a.id = i.application_id JOIN households h ON h.id = i.household_id";

fn item_of(r: &sqlx::any::AnyRow) -> Result<Item> {
    let steps: String = r.try_get(7)?;
    Ok(Item {
        id: r.try_get(0)?,
        application_id: r.try_get(1)?,
        household_id: r.try_get(2)?,
        program: r.try_get(3)?,
        department: r.try_get(4)?,
        region_code: r.try_get(5)?,
        status: r.try_get(6)?,
        steps: serde_json::from_str(&steps).map_err(|e| DbError::Invalid(e.to_string()))?,
        step_index: r.try_get(8)?,
        approval: r.try_get(9)?,
        deadline: r.try_get(10)?,
        green_channel: r.try_get::<i64, _>(11)? != 0,
        paperwork_deadline: r.try_get(12)?,
        notice_from: r.try_get(13)?,
        amount_fen: r.try_get(14)?,
        receipt: r.try_get(15)?,
        receipt_sha256: r.try_get(16)?,
        overdue_notified: r.try_get::<i64, _>(17)? != 0,
        opened_at: r.try_get(18)?,
        closed_at: r.try_get(19)?,
        application_code: r.try_get(20)?,
        taken_by: r.try_get(21)?,
        household_code: r.try_get(22)?,
        kind: r.try_get(23)?,
        expense_fen: r.try_get(24)?,
    })
}

/// Open items of a household (to point out an open application for the same program).
pub async fn open_items(db: &Db, household_id: i64) -> Result<Vec<Item>> {
    open_items_in(db.pool(), household_id).await
}

/// [`open_items`], read through `ex` (a pool, or the transaction that writes).
async fn open_items_in<'e, E>(ex: E, household_id: i64) -> Result<Vec<Item>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} WHERE i.household_id = $1 AND i.status = 'open' ORDER BY i.id"
    )))
    .bind(household_id)
    .fetch_all(ex)
    .await?
    .iter()
    .map(item_of)
    .collect()
}

/// The checks that guard new items, inside the transaction that writes them: no program
/// already open for the household, and an authorisation cited that is the household's.
async fn check_new_items(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: crate::Backend,
    a: &NewApplication,
    items: &[NewItem],
) -> Result<()> {
    // One open item per program and household, checked where the items are written: on
    // PostgreSQL the household's row is locked so two clerks at once cannot both pass.
    if backend == crate::Backend::Postgres {
        sqlx::query("SELECT id FROM households WHERE id = $1 FOR UPDATE")
            .bind(a.household_id)
            .execute(&mut **tx)
            .await?;
    }
    let open = open_items_in(&mut **tx, a.household_id).await?;
    if let Some(dup) = open
        .iter()
        .find(|o| items.iter().any(|i| i.program == o.program))
    {
        return Err(DbError::conflict(
            "programs",
            format!(
                "{} is already open for this household in application {}",
                dup.program, dup.application_code
            ),
            format!(
                "该户的“{}”已在申请 {} 中办理，不能重复申请：请在该申请的事项中继续办理",
                jiuzhu_domain::casework::program_label(&dup.program, true),
                dup.application_code
            ),
        ));
    }
    // An authorisation cited must be this household's (checked where it is written).
    if let Some(auth) = a.authorisation_id {
        let owner: Option<i64> =
            sqlx::query("SELECT household_id FROM authorisations WHERE id = $1")
                .bind(auth)
                .fetch_optional(&mut **tx)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
        if owner != Some(a.household_id) {
            return Err(DbError::NotFound(format!("authorisation {auth}")));
        }
    }
    Ok(())
}

/// Writes one case item of application `app_id`, open at its first step.
async fn insert_item(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    app_id: i64,
    household_id: i64,
    i: &NewItem,
    now: &str,
) -> Result<i64> {
    sqlx::query(
        "INSERT INTO case_items (application_id, household_id, program, department, region_code, status,
             steps, step_index, approval, deadline, green_channel, paperwork_deadline, opened_at, kind,
             expense_fen)
         VALUES ($1, $2, $3, $4, $5, 'open', $6, 0, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(app_id)
    .bind(household_id)
    .bind(&i.program)
    .bind(&i.department)
    .bind(&i.region_code)
    .bind(&i.steps)
    .bind(&i.approval)
    .bind(&i.deadline)
    .bind(i.green_channel as i64)
    .bind(&i.paperwork_deadline)
    .bind(now)
    .bind(&i.kind)
    .bind(i.expense_fen)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)
    .map_err(Into::into)
}

/// Records an application and opens its items in one transaction. A program with an open
/// item for the household is a conflict naming that application.
pub async fn create_application(
    db: &Db,
    actor: &Actor,
    a: &NewApplication,
    items: &[NewItem],
) -> Result<(i64, Vec<i64>)> {
    use jiuzhu_domain::limits::{LINE_CHARS, NAME_CHARS};
    crate::limit("applicant_name", &a.applicant_name, NAME_CHARS)?;
    crate::limit("proxy_name", &a.proxy_name, NAME_CHARS)?;
    crate::limit("source_ref", &a.source_ref, LINE_CHARS)?;
    if items.is_empty() {
        return Err(DbError::invalid(
            "programs",
            "choose at least one program",
            "请至少选择一个救助项目",
        ));
    }
    let mut tx = db.begin_write().await?;
    check_new_items(&mut tx, db.backend(), a, items).await?;
    let now = crate::now_text();
    let day = a.date.replace('-', "");
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM applications WHERE code LIKE $1")
        .bind(format!("SQ{day}%"))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    let code = format!("SQ{day}{:05}", n + 1);
    let app_id: i64 = sqlx::query(
        "INSERT INTO applications (code, household_id, applicant_id_number, applicant_name, channel,
             proxy_name, proxy_id_number, source_ref, requested, authorisation_id, notice, taken_by,
             taken_region, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(&code)
    .bind(a.household_id)
    .bind(&a.applicant_id_number)
    .bind(&a.applicant_name)
    .bind(&a.channel)
    .bind(&a.proxy_name)
    .bind(&a.proxy_id_number)
    .bind(&a.source_ref)
    .bind(&a.requested)
    .bind(a.authorisation_id)
    .bind(&a.notice)
    .bind(&actor.name)
    .bind(&a.taken_region)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let mut ids = Vec::new();
    for i in items {
        ids.push(insert_item(&mut tx, app_id, a.household_id, i, &now).await?);
    }
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry::new("application.create", "application", code.clone()).household(a.household_id).detail(json!({"channel": a.channel, "programs": items.iter().map(|i| &i.program).collect::<Vec<_>>(),
                           "taken_region": a.taken_region, "authorisation": a.authorisation_id})),
    )
    .await?;
    tx.commit().await?;
    Ok((app_id, ids))
}

/// An application by id (the caller checks who may see it).
pub async fn application(db: &Db, id: i64) -> Result<Option<Application>> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {APP_COLUMNS} FROM applications WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .as_ref()
    .map(app_of)
    .transpose()
}

/// An application's id by its number.
pub async fn application_id_by_code(db: &Db, code: &str) -> Result<Option<i64>> {
    Ok(sqlx::query("SELECT id FROM applications WHERE code = $1")
        .bind(code)
        .fetch_optional(db.pool())
        .await?
        .map(|r| r.try_get(0))
        .transpose()?)
}

/// Applications a user took (首问负责: they follow them wherever they were routed).
pub async fn taken_by(db: &Db, username: &str, limit: i64) -> Result<Vec<Application>> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {APP_COLUMNS} FROM applications WHERE taken_by = $1 ORDER BY id DESC LIMIT {limit}"
    )))
    .bind(username)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(app_of)
    .collect()
}

/// The items of an application.
pub async fn items_of(db: &Db, application_id: i64) -> Result<Vec<Item>> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} WHERE i.application_id = $1 ORDER BY i.id"
    )))
    .bind(application_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(item_of)
    .collect()
}

/// A household's approved items of a program, newest first (its decisions).
pub async fn decided(db: &Db, household_id: i64, program: &str) -> Result<Vec<Item>> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {ITEM_COLUMNS} FROM {ITEM_FROM}
         WHERE i.household_id = $1 AND i.program = $2 AND i.status = 'approved' ORDER BY i.closed_at DESC, i.id DESC"
    )))
    .bind(household_id)
    .bind(program)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(item_of)
    .collect()
}

/// Households in `scope` receiving dibao, near-dibao or tekun now, with the date of their
/// latest decision granting or reviewing that benefit (none before any): what a periodic
/// review list needs, in one query. `(household id, code, region, category, last)`.
pub async fn recipients_last_decided(
    db: &Db,
    scope: &Scope,
) -> Result<Vec<(i64, String, String, String, Option<String>)>> {
    let (lo, hi) = scope.range();
    let rows = sqlx::query(
        "SELECT h.id, h.code, h.region_code, s.category,
                (SELECT MAX(i.closed_at) FROM case_items i
                 WHERE i.household_id = h.id AND i.status = 'approved' AND i.kind IN ('grant', 'review')
                   AND i.program = CASE s.category WHEN 'edge' THEN 'dibao_edge' ELSE s.category END)
         FROM assistance_status s JOIN households h ON h.id = s.household_id
         WHERE s.valid_to IS NULL AND s.category IN ('dibao', 'tekun', 'edge')
           AND h.region_code >= $1 AND h.region_code < $2
         ORDER BY h.code",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
            ))
        })
        .collect()
}

/// One item (the caller checks scope).
pub async fn item(db: &Db, id: i64) -> Result<Option<Item>> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} WHERE i.id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .as_ref()
    .map(item_of)
    .transpose()
}

/// A department's queue in `scope`: open items first by deadline, then the latest closed.
pub async fn queue(
    db: &Db,
    scope: &Scope,
    department: Option<&str>,
    open_only: bool,
) -> Result<Vec<Item>> {
    let (lo, hi) = scope.range();
    let mut sql = format!(
        "SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} WHERE i.region_code >= $1 AND i.region_code < $2"
    );
    if department.is_some() {
        // A department sees its own items and those it co-handles (协办).
        sql.push_str(
            " AND (i.department = $3 OR EXISTS (SELECT 1 FROM step_events e WHERE e.subject = 'case_item'
                   AND e.subject_id = i.id AND e.action = 'cohandle' AND e.data LIKE $4))",
        );
    }
    if open_only {
        sql.push_str(" AND i.status = 'open'");
    }
    sql.push_str(
        " ORDER BY CASE WHEN i.status = 'open' THEN 0 ELSE 1 END, i.deadline, i.id LIMIT 500",
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(lo).bind(hi);
    if let Some(d) = department {
        q = q.bind(d).bind(format!("%\"department\":\"{d}\"%"));
    }
    q.fetch_all(db.pool()).await?.iter().map(item_of).collect()
}

/// The events of an item, oldest first.
pub async fn events(db: &Db, item_id: i64) -> Result<Vec<Event>> {
    crate::steps::events(db, crate::steps::Subject::CaseItem, item_id).await
}

/// Departments asked to co-handle an item (协办).
pub async fn cohandlers(db: &Db, item_id: i64) -> Result<Vec<String>> {
    let events = crate::steps::events(db, crate::steps::Subject::CaseItem, item_id).await?;
    Ok(crate::case_steps::departments_asked(&events))
}

/// Items whose verification step may complete: the household's latest verification report
/// made on or after `since` (the application's date), if any.
pub async fn verification_since(db: &Db, household_id: i64, since: &str) -> Result<Option<i64>> {
    Ok(sqlx::query(
        "SELECT id FROM verification_reports WHERE household_id = $1 AND created_at >= $2 ORDER BY id DESC",
    )
    .bind(household_id)
    .bind(since)
    .fetch_optional(db.pool())
    .await?
    .map(|r| r.try_get(0))
    .transpose()?)
}

/// A setting an administrator edits, if set.
pub async fn setting(db: &Db, key: &str) -> Result<Option<String>> {
    Ok(sqlx::query("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(db.pool())
        .await?
        .map(|r| r.try_get(0))
        .transpose()?)
}

/// Sets a setting, audited with its previous value.
pub async fn set_setting(db: &Db, actor: &Actor, key: &str, value: &str) -> Result<()> {
    let before = setting(db, key).await?;
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at, updated_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at,
                                         updated_by = excluded.updated_by",
    )
    .bind(key)
    .bind(value)
    .bind(crate::now_text())
    .bind(&actor.name)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        db.backend(),
        actor,
        Entry::new("setting.update", "setting", key)
            .detail(json!({"before_len": before.map(|b| b.len()), "after_len": value.len()})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A step's attachment (name, mime, bytes), if its item is in `scope`.
pub async fn file(db: &Db, scope: &Scope, id: i64) -> Result<Option<(String, String, Vec<u8>)>> {
    let row = sqlx::query(
        "SELECT f.name, f.mime, f.content, i.region_code FROM case_files f JOIN case_items i ON i.id = f.item_id
         WHERE f.id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    let region: String = r.try_get(3)?;
    if !scope.contains(&region) {
        return Ok(None);
    }
    Ok(Some((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
}

/// The attachments of an item: (id, step, name, sha256).
pub async fn files_of(db: &Db, item_id: i64) -> Result<Vec<(i64, String, String, String)>> {
    let rows =
        sqlx::query("SELECT id, step, name, sha256 FROM case_files WHERE item_id = $1 ORDER BY id")
            .bind(item_id)
            .fetch_all(db.pool())
            .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
        .collect()
}
