//! The working-day calendar the deadlines count with, and the administrator's edit of it.

use jiuzhu_db::Db;
use jiuzhu_domain::calendar::WorkCalendar;

use crate::{Acting, AppError, FieldError, Result};

/// The holiday calendar in force: the administrator's edited copy (setting `calendar`),
/// else `shipped`. Every working-day deadline (cases, alerts, grants) counts with it.
pub async fn in_force(
    db: &jiuzhu_db::Db,
    shipped: &jiuzhu_domain::calendar::WorkCalendar,
) -> jiuzhu_domain::calendar::WorkCalendar {
    match jiuzhu_db::cases::setting(db, "calendar").await {
        Ok(Some(text)) => {
            jiuzhu_domain::calendar::WorkCalendar::parse(&text).unwrap_or_else(|_| shipped.clone())
        }
        _ => shipped.clone(),
    }
}

/// The calendar in force over the shipped one.
pub async fn current(db: &jiuzhu_db::Db) -> jiuzhu_domain::calendar::WorkCalendar {
    static SHIPPED: std::sync::OnceLock<jiuzhu_domain::calendar::WorkCalendar> =
        std::sync::OnceLock::new();
    in_force(
        db,
        SHIPPED.get_or_init(jiuzhu_domain::calendar::WorkCalendar::shipped),
    )
    .await
}

/// The calendar's text as stored, or the shipped one.
pub async fn calendar_text(db: &Db) -> Result<String> {
    Ok(jiuzhu_db::cases::setting(db, "calendar")
        .await?
        .unwrap_or_else(|| jiuzhu_domain::calendar::SHIPPED.to_string()))
}

/// Replaces the working-day calendar with `text`, once it parses; a refusal says which
/// line is wrong.
pub async fn set_calendar(db: &Db, acting: &Acting, text: &str) -> Result<()> {
    acting.require(acting.role.can_admin_users(), "administer the platform")?;
    let text = text.replace("\r\n", "\n");
    WorkCalendar::parse(&text).map_err(|e| {
        AppError::invalid(FieldError::new("text", e.to_string()).zh(format!("工作日历有误：{e}")))
    })?;
    jiuzhu_db::cases::set_setting(db, &acting.actor(), "calendar", &text).await?;
    Ok(())
}
