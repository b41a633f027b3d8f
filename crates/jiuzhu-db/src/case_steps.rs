//! A case item's step, written in one transaction: [`begin`] opens it with the item's
//! position re-read (on PostgreSQL locked, `FOR UPDATE`; SQLite's writers are serial), the
//! use case reads what its checks need through the same transaction (the application's
//! authorisation, the household's verification report, the objections to the notice), and
//! [`StepTx::finish`] or [`StepTx::note`] records the step and commits. Dropping a
//! [`StepTx`] without finishing rolls everything back, so a refused check writes nothing.

use serde_json::json;
use sqlx::{AssertSqlSafe, Row};

use crate::audit::Actor;
use crate::cases::{APP_COLUMNS, Application, Item, app_of, item};
use crate::households::Scope;
use crate::steps::{self, Subject};
use crate::{Backend, Db, DbError, Result, Tx};

/// What to do at the current step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Complete the step with its form; on `decide`, the amount and the engine's receipt.
    Complete {
        data: serde_json::Value,
        amount_fen: Option<i64>,
        receipt: Option<(String, String)>,
        /// What the decision does to the household's assistance category.
        category: Option<CategoryEffect>,
    },
    /// Send the case back one step, with reasons (退回).
    Return { reason: String },
    /// Refuse: not accepted (at accept) or not approved (at approve); closes the item.
    Refuse { reason: String },
}

/// A decision's effect on the household's assistance category (the monitored population).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CategoryEffect {
    /// The household receives this category from the decision's date.
    Set(String),
    /// The category ends on this date (today, or the end of a phase-out).
    EndOn(String),
}

/// The departments that `events` ask to co-handle (协办).
pub(crate) fn departments_asked(events: &[steps::Event]) -> Vec<String> {
    let asked: Vec<steps::Event> = events
        .iter()
        .filter(|e| e.action == "cohandle")
        .cloned()
        .collect();
    steps::data_values(&asked, "department")
        .iter()
        .filter_map(|v| v.as_str().map(String::from))
        .collect()
}

/// An item's step in progress: the write transaction and the item as it stands in it.
pub struct StepTx {
    tx: Tx,
    backend: Backend,
    /// The item, its status and position read inside the transaction.
    pub item: Item,
}

/// Opens the write transaction of a step or note on `item_id`, which must lie in `scope`
/// (else "not found").
pub async fn begin(db: &Db, scope: &Scope, item_id: i64) -> Result<StepTx> {
    let Some(mut it) = item(db, item_id).await? else {
        return Err(DbError::NotFound("item".into()));
    };
    if !scope.contains(&it.region_code) {
        return Err(DbError::NotFound("item".into()));
    }
    let mut tx = db.begin_write().await?;
    let sql = match db.backend() {
        Backend::Postgres => {
            "SELECT status, step_index, department, overdue_notified, notice_from FROM case_items WHERE id = $1 FOR UPDATE"
        }
        Backend::Sqlite => {
            "SELECT status, step_index, department, overdue_notified, notice_from FROM case_items WHERE id = $1"
        }
    };
    let row = sqlx::query(sql).bind(item_id).fetch_one(&mut *tx).await?;
    it.status = row.try_get(0)?;
    it.step_index = row.try_get(1)?;
    it.department = row.try_get(2)?;
    it.overdue_notified = row.try_get::<i64, _>(3)? != 0;
    it.notice_from = row.try_get(4)?;
    Ok(StepTx {
        tx,
        backend: db.backend(),
        item: it,
    })
}

impl StepTx {
    /// The step the item waits on, or a conflict when it is closed.
    pub fn current(&self) -> Result<&str> {
        self.item.current_step().ok_or_else(|| {
            DbError::conflict(
                "status",
                format!("the item is {}; nothing more can be done", self.item.status),
                format!(
                    "该事项当前为“{}”，不能再办理",
                    jiuzhu_domain::casework::item_status_zh(&self.item.status)
                ),
            )
        })
    }

    /// The item's application, read in the transaction.
    pub async fn application(&mut self) -> Result<Application> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {APP_COLUMNS} FROM applications WHERE id = $1"
        )))
        .bind(self.item.application_id)
        .fetch_one(&mut *self.tx)
        .await?;
        app_of(&row)
    }

    /// The household's latest signed authorisation (by signing date), if any is recorded.
    pub async fn latest_authorisation(&mut self) -> Result<Option<i64>> {
        Ok(sqlx::query(
            "SELECT id FROM authorisations WHERE household_id = $1 ORDER BY signed_on DESC, id DESC",
        )
        .bind(self.item.household_id)
        .fetch_optional(&mut *self.tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?)
    }

    /// Ties the application to an authorisation recorded after it was taken.
    pub async fn link_authorisation(&mut self, authorisation_id: i64) -> Result<()> {
        sqlx::query("UPDATE applications SET authorisation_id = $1 WHERE id = $2")
            .bind(authorisation_id)
            .bind(self.item.application_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// The household's latest verification report made on or after `since`, if any.
    pub async fn verification_since(&mut self, since: &str) -> Result<Option<i64>> {
        Ok(sqlx::query(
            "SELECT id FROM verification_reports WHERE household_id = $1 AND created_at >= $2
             ORDER BY id DESC",
        )
        .bind(self.item.household_id)
        .bind(since)
        .fetch_optional(&mut *self.tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?)
    }

    /// Objections to the item that no answer names, counted where an objection filed a
    /// moment ago is seen (the row lock makes a note and a step wait for each other).
    pub async fn unanswered_objections(&mut self) -> Result<usize> {
        let events = steps::events_in(
            &mut self.tx,
            Subject::CaseItem,
            self.item.id,
            &["objection", "answer"],
        )
        .await?;
        let objections: std::collections::BTreeSet<i64> = events
            .iter()
            .filter(|e| e.action == "objection")
            .map(|e| e.id)
            .collect();
        let answered: std::collections::BTreeSet<i64> = steps::data_values(
            &events
                .into_iter()
                .filter(|e| e.action == "answer")
                .collect::<Vec<_>>(),
            "objection",
        )
        .iter()
        .filter_map(|v| v.as_i64())
        .collect();
        Ok(objections.difference(&answered).count())
    }

    /// Departments asked to co-handle the item (协办).
    pub async fn cohandlers(&mut self) -> Result<Vec<String>> {
        let events =
            steps::events_in(&mut self.tx, Subject::CaseItem, self.item.id, &["cohandle"]).await?;
        Ok(departments_asked(&events))
    }

    /// Acts on the current step, which must be `step` (no step is skipped or merged), with
    /// its attachments `(name, mime, bytes)`; entering the notice starts it on `today`.
    pub async fn finish(
        mut self,
        actor: &Actor,
        step: &str,
        action: &Action,
        files: &[(String, String, Vec<u8>)],
        today: &str,
    ) -> Result<Item> {
        match action {
            Action::Complete { data, .. } => {
                jiuzhu_domain::limits::texts_within("data", data).map_err(DbError::Invalid)?
            }
            Action::Return { reason } | Action::Refuse { reason } => {
                crate::limit("reason", reason, jiuzhu_domain::limits::TEXT_CHARS)?
            }
        }
        let current = self.current()?.to_string();
        if current != step {
            let zh = |c: &str| {
                jiuzhu_domain::workflow::StepKind::parse(c)
                    .map_or(c.to_string(), |k| k.label_zh().into())
            };
            return Err(DbError::conflict(
                "step",
                format!("{step} is not the current step ({current}); steps cannot be skipped"),
                format!(
                    "“{}”不是当前环节（当前是“{}”）：环节不能跳过，请先办完当前环节",
                    zh(step),
                    zh(&current)
                ),
            ));
        }
        let (event, data) = self.move_item(actor, step, action, today).await?;
        let id = self.item.id;
        let detail = json!({"step": step, "action": event, "files": files.len()});
        self.record(actor, step, event, data, "case.step", detail)
            .await?;
        let now = crate::now_text();
        for (name, mime, bytes) in files {
            sqlx::query(
                "INSERT INTO case_files (item_id, step, name, mime, sha256, content, added_by, added_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id)
            .bind(step)
            .bind(name)
            .bind(mime)
            .bind(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes)))
            .bind(bytes.clone())
            .bind(&actor.name)
            .bind(&now)
            .execute(&mut *self.tx)
            .await?;
        }
        let tx = self.tx;
        tx.commit().await?;
        Ok(self.item)
    }

    /// Writes the item's new position for `action`; returns the event and its data.
    async fn move_item(
        &mut self,
        actor: &Actor,
        step: &str,
        action: &Action,
        today: &str,
    ) -> Result<(&'static str, serde_json::Value)> {
        match action {
            Action::Complete {
                data,
                amount_fen,
                receipt,
                category,
            } => {
                self.advance(
                    actor,
                    *amount_fen,
                    receipt.as_ref(),
                    category.as_ref(),
                    today,
                )
                .await?;
                Ok(("complete", data.clone()))
            }
            Action::Return { reason } => self.send_back(reason).await,
            Action::Refuse { reason } => self.refuse(step, reason).await,
        }
    }

    /// Completes the current step: the decision's effect on the household's category, the
    /// next step (entering the notice starts it today), the amount and receipt kept.
    async fn advance(
        &mut self,
        actor: &Actor,
        amount_fen: Option<i64>,
        receipt: Option<&(String, String)>,
        category: Option<&CategoryEffect>,
        today: &str,
    ) -> Result<()> {
        let index = self.item.step_index;
        let id = self.item.id;
        let now = crate::now_text();
        let household = self.item.household_id;
        match category {
            Some(CategoryEffect::Set(c)) => {
                crate::monitoring::replace_category(
                    &mut self.tx,
                    household,
                    today,
                    Some((c, today)),
                    &actor.name,
                )
                .await?
            }
            Some(CategoryEffect::EndOn(d)) => {
                crate::monitoring::replace_category(&mut self.tx, household, d, None, &actor.name)
                    .await?
            }
            None => {}
        }
        let next = index + 1;
        let last = next as usize >= self.item.steps.len();
        let entering_notice =
            self.item.steps.get(next as usize).map(String::as_str) == Some("notice");
        let notice_from = if entering_notice {
            Some(today.to_string())
        } else {
            self.item.notice_from.clone()
        };
        sqlx::query(
            "UPDATE case_items SET step_index = $1, status = $2, closed_at = $3, notice_from = $4,
                    amount_fen = COALESCE($5, amount_fen), receipt = COALESCE($6, receipt),
                    receipt_sha256 = COALESCE($7, receipt_sha256)
             WHERE id = $8",
        )
        .bind(next)
        .bind(if last { "approved" } else { "open" })
        .bind(last.then(|| now.clone()))
        .bind(&notice_from)
        .bind(amount_fen)
        .bind(receipt.as_ref().map(|r| r.0.clone()))
        .bind(receipt.as_ref().map(|r| r.1.clone()))
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        let it = &mut self.item;
        it.step_index = next;
        it.status = if last { "approved" } else { "open" }.into();
        it.closed_at = last.then_some(now);
        it.notice_from = notice_from;
        it.amount_fen = amount_fen.or(it.amount_fen);
        if let Some((r, sha)) = receipt {
            it.receipt = Some(r.clone());
            it.receipt_sha256 = Some(sha.clone());
        }
        Ok(())
    }

    /// Sends the case back one step (退回), with its reason.
    async fn send_back(&mut self, reason: &str) -> Result<(&'static str, serde_json::Value)> {
        let index = self.item.step_index;
        let id = self.item.id;
        if reason.trim().is_empty() {
            return Err(DbError::invalid(
                "reason",
                "say why the case is sent back",
                "请填写退回的理由",
            ));
        }
        if index == 0 {
            return Err(DbError::invalid(
                "step",
                "the first step has nothing to send back to",
                "第一个环节之前没有可退回的环节",
            ));
        }
        sqlx::query("UPDATE case_items SET step_index = $1, notice_from = NULL WHERE id = $2")
            .bind(index - 1)
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        self.item.step_index = index - 1;
        self.item.notice_from = None;
        Ok(("return", json!({"reason": reason})))
    }

    /// Refuses the item at acceptance or approval, closing it, with its reason.
    async fn refuse(
        &mut self,
        step: &str,
        reason: &str,
    ) -> Result<(&'static str, serde_json::Value)> {
        let id = self.item.id;
        let now = crate::now_text();
        if reason.trim().is_empty() {
            return Err(DbError::invalid(
                "reason",
                "give the reason for refusing",
                "请填写不予受理或不予批准的理由",
            ));
        }
        if step != "accept" && step != "approve" {
            return Err(DbError::invalid(
                "step",
                format!("only acceptance or approval can refuse, not {step}"),
                "只有受理和审批环节可以作出不予受理或不予批准",
            ));
        }
        sqlx::query("UPDATE case_items SET status = 'rejected', closed_at = $1 WHERE id = $2")
            .bind(&now)
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        self.item.status = "rejected".into();
        self.item.closed_at = Some(now);
        Ok(("refuse", json!({"reason": reason})))
    }

    /// Records an event that does not move the item: an objection to the notice and its
    /// answer, a co-handling request or opinion, a transfer between departments (with the
    /// new department), a supervision notice. The item must be open.
    pub async fn note(
        mut self,
        actor: &Actor,
        action: &str,
        data: serde_json::Value,
    ) -> Result<i64> {
        jiuzhu_domain::limits::texts_within("text", &data).map_err(DbError::Invalid)?;
        if self.item.status != "open" {
            return Err(DbError::conflict(
                "status",
                format!("the item is {}", self.item.status),
                format!(
                    "该事项当前为“{}”，不能再添加记录",
                    jiuzhu_domain::casework::item_status_zh(&self.item.status)
                ),
            ));
        }
        let id = self.item.id;
        match action {
            "transfer" => {
                let to = data["department"].as_str().unwrap_or_default();
                sqlx::query("UPDATE case_items SET department = $1 WHERE id = $2")
                    .bind(to)
                    .bind(id)
                    .execute(&mut *self.tx)
                    .await?;
            }
            "overdue_notice" => {
                sqlx::query("UPDATE case_items SET overdue_notified = 1 WHERE id = $1")
                    .bind(id)
                    .execute(&mut *self.tx)
                    .await?;
            }
            _ => {}
        }
        let step = self.item.current_step().unwrap_or_default().to_string();
        let detail = json!({"action": action, "data": data});
        let event = self
            .record(actor, &step, action, data, "case.note", detail)
            .await?;
        self.tx.commit().await?;
        Ok(event)
    }

    async fn record(
        &mut self,
        actor: &Actor,
        step: &str,
        action: &str,
        data: serde_json::Value,
        audit_action: &str,
        audit_detail: serde_json::Value,
    ) -> Result<i64> {
        steps::record(
            &mut self.tx,
            self.backend,
            actor,
            steps::Step {
                subject: Subject::CaseItem,
                subject_id: self.item.id,
                household_id: Some(self.item.household_id),
                step,
                action,
                data,
                audit_action,
                audit_detail,
            },
        )
        .await
    }
}
