//! The working-day calendar the deadlines count with.

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
