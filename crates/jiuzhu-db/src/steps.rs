//! One record of steps (环节留痕) for everything that moves through them: a case item's
//! steps and notes and an alert's life today, visits and emergencies next. A step is
//! recorded inside the transaction that moves its subject, with the audit row beside it,
//! so the timeline, the subject's state and the audit log never disagree.

use serde_json::json;
use sqlx::Row;

use crate::audit::{self, Actor, Entry};
use crate::{Backend, Db, Result, Tx};

/// What moves through steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    /// A program item of an application (`case_items`).
    CaseItem,
    /// A monitoring alert (`alerts`).
    Alert,
}

impl Subject {
    /// The code stored in `step_events.subject` and in the audit row's object type.
    pub fn code(self) -> &'static str {
        match self {
            Subject::CaseItem => "case_item",
            Subject::Alert => "alert",
        }
    }
}

/// A step to record.
#[derive(Clone, Debug)]
pub struct Step<'a> {
    pub subject: Subject,
    pub subject_id: i64,
    /// The household the subject concerns, for the audit log.
    pub household_id: Option<i64>,
    /// The step the subject stood at (a case's `accept`, an alert's `assigned`).
    pub step: &'a str,
    /// What was done (`complete`, `objection`, `assign`, …).
    pub action: &'a str,
    /// The step's form, as stored and shown on the timeline.
    pub data: serde_json::Value,
    /// The audit action (`case.step`, `alert.advance`, …) and what it adds to the record.
    pub audit_action: &'a str,
    pub audit_detail: serde_json::Value,
}

/// A recorded step, as the timeline shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub id: i64,
    pub subject_id: i64,
    pub step: String,
    pub action: String,
    pub data: String,
    pub actor: String,
    pub at: String,
}

/// Records `step` by `actor` in `tx`, with its audit row; returns the event's id.
pub async fn record(tx: &mut Tx, backend: Backend, actor: &Actor, step: Step<'_>) -> Result<i64> {
    let id: i64 = sqlx::query(
        "INSERT INTO step_events (subject, subject_id, step, action, data, actor, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(step.subject.code())
    .bind(step.subject_id)
    .bind(step.step)
    .bind(step.action)
    .bind(step.data.to_string())
    .bind(&actor.name)
    .bind(crate::now_text())
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    audit::append(
        tx,
        backend,
        actor,
        Entry::new(step.audit_action, step.subject.code(), step.subject_id)
            .household(step.household_id)
            .detail(step.audit_detail),
    )
    .await?;
    Ok(id)
}

/// The recorded steps of one subject, oldest first.
pub async fn events(db: &Db, subject: Subject, subject_id: i64) -> Result<Vec<Event>> {
    events_through(db.pool(), subject, subject_id).await
}

/// The recorded steps of one subject with one of `actions`, read inside `tx` (a subject
/// has a few dozen steps: they are filtered here, not in SQL).
pub async fn events_in(
    tx: &mut Tx,
    subject: Subject,
    subject_id: i64,
    actions: &[&str],
) -> Result<Vec<Event>> {
    let mut events = events_through(&mut **tx, subject, subject_id).await?;
    events.retain(|e| actions.contains(&e.action.as_str()));
    Ok(events)
}

async fn events_through<'e, E>(ex: E, subject: Subject, subject_id: i64) -> Result<Vec<Event>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows = sqlx::query(
        "SELECT id, subject_id, step, action, data, actor, at FROM step_events
         WHERE subject = $1 AND subject_id = $2 ORDER BY id",
    )
    .bind(subject.code())
    .bind(subject_id)
    .fetch_all(ex)
    .await?;
    rows.iter().map(event_of).collect()
}

fn event_of(r: &sqlx::any::AnyRow) -> Result<Event> {
    Ok(Event {
        id: r.try_get(0)?,
        subject_id: r.try_get(1)?,
        step: r.try_get(2)?,
        action: r.try_get(3)?,
        data: r.try_get(4)?,
        actor: r.try_get(5)?,
        at: r.try_get(6)?,
    })
}

/// The value of `key` in each event's data (for example the departments asked to co-handle).
pub fn data_values(events: &[Event], key: &str) -> Vec<serde_json::Value> {
    events
        .iter()
        .filter_map(|e| serde_json::from_str::<serde_json::Value>(&e.data).ok())
        .map(|v| v.get(key).cloned().unwrap_or(json!(null)))
        .collect()
}
