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
