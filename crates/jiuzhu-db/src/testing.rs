//! Fresh databases for the tests of the crates above the store (feature `testing`): a
//! temporary SQLite file, or a schema of its own in the PostgreSQL at `JIUZHU_TEST_PG`
//! (default `postgres://root@127.0.0.1:5432/test`). What earlier test processes left
//! behind is removed once per process.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::{Backend, Db};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A name no other test of any process uses: `prefix_PID_TIME_N`.
pub fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{prefix}_{}_{}_{n}", std::process::id(), t % 1_000_000_000)
}

/// The PostgreSQL of the tests.
pub fn postgres_base() -> String {
    std::env::var("JIUZHU_TEST_PG").unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/test".into())
}

/// Removes other processes' test files and schemas, once per process.
async fn sweep(base: &str) {
    static SWEPT: AtomicBool = AtomicBool::new(false);
    if SWEPT.swap(true, Ordering::SeqCst) {
        return;
    }
    let mine = format!("_{}_", std::process::id());
    if let Ok(dir) = std::fs::read_dir(std::env::temp_dir()) {
        for e in dir.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with("jiuzhu_test_") && !name.contains(&mine) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    let Ok(admin) = Db::connect(base).await else {
        return;
    };
    let rows = sqlx::query("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 't\\_%'")
        .fetch_all(admin.pool())
        .await
        .unwrap_or_default();
    for r in rows {
        let name: String = sqlx::Row::try_get(&r, 0).unwrap_or_default();
        if !name.contains(&mine) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {name} CASCADE")))
                .execute(admin.pool())
                .await;
        }
    }
    admin.close().await;
}

/// The URL of a fresh, empty database on `backend`.
pub async fn fresh_url(backend: Backend) -> String {
    let base = postgres_base();
    sweep(&base).await;
    match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("{}.db", unique("jiuzhu_test")));
            format!("sqlite://{}", path.display())
        }
        Backend::Postgres => {
            let schema = unique("t");
            let admin = Db::connect(&base)
                .await
                .expect("PostgreSQL for tests (JIUZHU_TEST_PG)");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                .execute(admin.pool())
                .await
                .expect("a schema of the test's own");
            admin.close().await;
            let sep = if base.contains('?') { '&' } else { '?' };
            format!("{base}{sep}options=-c%20search_path%3D{schema}")
        }
    }
}

/// A migrated database on `backend` with the regions under `prefix` (e.g. Wenzhou, "3303").
pub async fn fresh_db(backend: Backend, prefix: &str) -> Db {
    let db = Db::connect(&fresh_url(backend).await)
        .await
        .expect("a fresh database");
    crate::migrate::run(&db).await.expect("migrations");
    crate::regions::insert(&db, &jiuzhu_regions::load_under(prefix), |_, _| {})
        .await
        .expect("regions");
    db
}

/// Runs a test body on both backends: `both!(name, |backend| { ... })` makes the module
/// `name` with the tests `sqlite` and `postgres` (the caller depends on tokio).
#[macro_export]
macro_rules! both {
    ($name:ident, |$b:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($b: $crate::Backend) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run($crate::Backend::Postgres).await
            }
        }
    };
}
