//! Deadline supervision (超时督办), a scheduler job: the supervision notice of every open
//! item past its working-day deadline, sent once. A scheduler entry point, so it reads
//! every region.

use jiuzhu_db::Db;
use jiuzhu_db::audit::Actor;
use jiuzhu_db::households::Scope;

/// Sends the supervision notice of every open item past its deadline not yet notified;
/// returns how many were sent.
pub async fn notify_overdue(db: &Db) -> crate::Result<usize> {
    let actor = jiuzhu_db::audit::Actor::system("schedule:supervision");
    notify_overdue_in(db, &Scope::everything(), &actor, "schedule").await
}

/// Sends the supervision notice of every overdue open item in `scope` not yet notified.
pub(crate) async fn notify_overdue_in(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    by: &str,
) -> crate::Result<usize> {
    let today = jiuzhu_db::today().to_string();
    let mut sent = 0;
    for i in jiuzhu_db::cases::queue(db, scope, None, true).await? {
        if i.deadline < today && !i.overdue_notified {
            let st = jiuzhu_db::cases::begin_step(db, scope, i.id).await?;
            // Notified meanwhile by another run: nothing to send.
            if st.item.overdue_notified {
                continue;
            }
            let data = serde_json::json!({"deadline": i.deadline, "department": i.department, "notified_by": by});
            st.note(actor, "overdue_notice", data).await?;
            sent += 1;
        }
    }
    Ok(sent)
}
