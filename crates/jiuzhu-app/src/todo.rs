//! A user's to-dos (待办), for the home page and the menu: the case items waiting at a step
//! the user may take, how many of them are past their deadline, and the open alerts of the
//! region for those who work them.

use jiuzhu_db::Db;

use crate::{Acting, Result};

/// What waits for the user.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ToDo {
    /// Open items at a step the user may take (an approval only where they may approve).
    pub cases: usize,
    /// Of those, the ones past their deadline.
    pub cases_overdue: usize,
    /// Open alerts in the region: new, being worked (assigned or investigating), overdue;
    /// `None` for a role that does not see alerts.
    pub alerts: Option<(i64, i64, i64)>,
}

/// The user's to-dos on `today`.
pub async fn of(db: &Db, acting: &Acting, today: chrono::NaiveDate) -> Result<ToDo> {
    let mut todo = ToDo::default();
    if acting.role.can_read_registry() {
        let department = (acting.role == jiuzhu_domain::Role::DepartmentHandler)
            .then_some(acting.department.as_str());
        let items = jiuzhu_db::cases::queue(db, &acting.scope, department, true).await?;
        let delegated = crate::cases::delegated_counties(db).await?;
        let day = today.to_string();
        for item in items.iter().filter(|i| {
            crate::cases::may_act(acting, i)
                && (i.current_step() != Some("approve")
                    || crate::cases::may_approve(acting, i, &delegated))
        }) {
            todo.cases += 1;
            if item.deadline.as_str() < day.as_str() {
                todo.cases_overdue += 1;
            }
        }
    }
    if acting.role.can_read_alerts() {
        let counts = jiuzhu_db::monitoring::status_counts(db, &acting.scope).await?;
        let n = |k: &str| counts.get(k).copied().unwrap_or(0);
        let (_, overdue) = jiuzhu_db::monitoring::alerts(
            db,
            &acting.scope,
            &jiuzhu_db::monitoring::AlertFilter {
                overdue_on: Some(today.to_string()),
                per_page: 1,
                ..Default::default()
            },
        )
        .await?;
        todo.alerts = Some((n("new"), n("assigned") + n("investigating"), overdue));
    }
    Ok(todo)
}
