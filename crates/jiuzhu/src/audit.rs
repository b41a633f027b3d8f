//! `jiuzhu audit verify`: the audit log's hash chain recomputed.

use anyhow::Result;
use clap::Subcommand;

use crate::{DbArg, open};

#[derive(Subcommand)]
pub(crate) enum AuditWhat {
    /// Recompute the hash chain; exit 1 if a row was altered or removed.
    Verify {
        #[command(flatten)]
        db: DbArg,
    },
}

pub(crate) async fn command(what: AuditWhat) -> Result<()> {
    let AuditWhat::Verify { db } = what;
    let db = open(&db.db).await?;
    let v = jiuzhu_db::audit::verify(&db).await?;
    db.close().await;
    if v.ok {
        println!("audit chain intact: {} rows", v.rows);
        Ok(())
    } else {
        let (id, why) = v.first_bad.unwrap_or_default();
        println!("audit chain BROKEN at row {id}: {why}");
        std::process::exit(1);
    }
}
