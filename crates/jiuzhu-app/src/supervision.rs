//! Deadline supervision (超时督办), a scheduler job: the supervision notice of every open
//! item past its working-day deadline, sent once. A scheduler entry point, so it reads
//! every region.

use jiuzhu_db::Db;

/// Sends the supervision notice of every open item past its deadline not yet notified;
/// returns how many were sent.
pub async fn notify_overdue(db: &Db) -> crate::Result<usize> {
    let actor = jiuzhu_db::audit::Actor::system("schedule:supervision");
    let everything = jiuzhu_db::households::Scope::everything();
    let today = jiuzhu_db::today().to_string();
    let mut sent = 0;
    for i in jiuzhu_db::cases::queue(db, &everything, None, true).await? {
        if i.deadline < today && !i.overdue_notified {
            let data = serde_json::json!({"deadline": i.deadline, "department": i.department, "notified_by": "schedule"});
            jiuzhu_db::cases::note(db, &everything, &actor, i.id, "overdue_notice", data).await?;
            sent += 1;
        }
    }
    Ok(sent)
}
