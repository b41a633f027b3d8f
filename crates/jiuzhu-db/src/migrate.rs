//! Schema migrations for both backends, embedded in the binary and applied in order.
//!
//! Each migration exists twice, `migrations/sqlite/NNNN_name.sql` and
//! `migrations/postgres/NNNN_name.sql`, with the same number, name and meaning. Applied
//! migrations are recorded in `schema_migrations` with a checksum of their text; an
//! applied migration whose text has changed stops start-up rather than drifting.

use sha2::{Digest, Sha256};
use sqlx::{AssertSqlSafe, Row};

use crate::{Backend, Db, DbError, Result};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "registry",
        sqlite: include_str!("../migrations/sqlite/0001_registry.sql"),
        postgres: include_str!("../migrations/postgres/0001_registry.sql"),
    },
    Migration {
        version: 2,
        name: "monitoring",
        sqlite: include_str!("../migrations/sqlite/0002_monitoring.sql"),
        postgres: include_str!("../migrations/postgres/0002_monitoring.sql"),
    },
    Migration {
        version: 3,
        name: "grants",
        sqlite: include_str!("../migrations/sqlite/0003_grants.sql"),
        postgres: include_str!("../migrations/postgres/0003_grants.sql"),
    },
    Migration {
        version: 4,
        name: "cases",
        sqlite: include_str!("../migrations/sqlite/0004_cases.sql"),
        postgres: include_str!("../migrations/postgres/0004_cases.sql"),
    },
    Migration {
        version: 5,
        name: "case_kinds",
        sqlite: include_str!("../migrations/sqlite/0005_case_kinds.sql"),
        postgres: include_str!("../migrations/postgres/0005_case_kinds.sql"),
    },
    Migration {
        version: 6,
        name: "case_expense",
        sqlite: include_str!("../migrations/sqlite/0006_case_expense.sql"),
        postgres: include_str!("../migrations/postgres/0006_case_expense.sql"),
    },
    Migration {
        version: 7,
        name: "hardening",
        sqlite: include_str!("../migrations/sqlite/0007_hardening.sql"),
        postgres: include_str!("../migrations/postgres/0007_hardening.sql"),
    },
    Migration {
        version: 8,
        name: "steps",
        sqlite: include_str!("../migrations/sqlite/0008_steps.sql"),
        postgres: include_str!("../migrations/postgres/0008_steps.sql"),
    },
];

/// What [`run`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct MigrateReport {
    pub applied: Vec<String>,
    pub already: usize,
}

/// Applies every migration not yet applied, each in its own transaction.
pub async fn run(db: &Db) -> Result<MigrateReport> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY, name TEXT NOT NULL,
            checksum TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .execute(db.pool())
    .await?;
    let mut report = MigrateReport::default();
    for m in MIGRATIONS {
        let sql = match db.backend() {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        let checksum = hex::encode(Sha256::digest(sql.as_bytes()));
        let mut tx = db.begin_write().await?;
        let existing = sqlx::query("SELECT checksum FROM schema_migrations WHERE version = $1")
            .bind(m.version)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = existing {
            let applied: String = row.try_get(0)?;
            if applied != checksum {
                return Err(DbError::Invalid(format!(
                    "migration {:04}_{} was changed after it was applied; add a new migration instead",
                    m.version, m.name
                )));
            }
            report.already += 1;
            continue;
        }
        sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(checksum)
        .bind(crate::now_text())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        report.applied.push(format!("{:04}_{}", m.version, m.name));
    }
    Ok(report)
}
