//! All of jiuzhu's SQL: one [`Db`] handle over SQLite or PostgreSQL, the migrations of
//! both, and the queries of every table. No other crate writes SQL.
//!
//! Every query runs through sqlx's `Any` driver, so the same text serves both backends:
//! ids are BIGINT, money is integer fen, dates and times are ISO `TEXT`, flags are 0/1.
//! Every write happens in a transaction from [`Db::begin_write`] and appends to the
//! audit log in that same transaction.

pub mod audit;
pub mod case_steps;
pub mod cases;
pub mod feeds;
pub mod households;
pub mod migrate;
pub mod monitoring;
pub mod regions;
pub mod roster;
pub mod sessions;
pub mod steps;
#[cfg(feature = "testing")]
pub mod testing;
// The only unsafe code of the workspace: SQLite's C interface, for parameters bound
// without copying. Each block states why it is sound.
#[allow(unsafe_code)]
mod sqlite_bulk;
pub mod users;
pub mod verification;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor};

pub use sqlx;

/// A write transaction. Obtain one with [`Db::begin_write`].
pub type Tx = sqlx::Transaction<'static, Any>;

/// The database engine behind a [`Db`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://...")]
    BadUrl(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// The writer may not write there (a household's region outside their scope).
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("invalid: {0}")]
    Invalid(String),
    /// Input refused, said in English and in Chinese.
    #[error("invalid: {0}")]
    InvalidSaid(Said),
    /// The state refuses it until something is done first, said in English and in Chinese.
    #[error("conflict: {0}")]
    ConflictSaid(Said),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// A refusal said in both languages: the field it is about, why in English, and in Chinese
/// (which names what clears it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Said {
    pub field: String,
    pub en: String,
    pub zh: String,
}

impl std::fmt::Display for Said {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.en)
    }
}

impl DbError {
    /// Input refused on `field`, in English and Chinese.
    pub fn invalid(field: &str, en: impl Into<String>, zh: impl Into<String>) -> DbError {
        DbError::InvalidSaid(Said {
            field: field.into(),
            en: en.into(),
            zh: zh.into(),
        })
    }

    /// A refusal of the state on `field`, in English and Chinese.
    pub fn conflict(field: &str, en: impl Into<String>, zh: impl Into<String>) -> DbError {
        DbError::ConflictSaid(Said {
            field: field.into(),
            en: en.into(),
            zh: zh.into(),
        })
    }
    /// Whether the error is a unique-constraint violation reported by the database.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            DbError::Conflict(_) | DbError::ConflictSaid(_) => true,
            DbError::Sqlx(sqlx::Error::Database(e)) => e.is_unique_violation(),
            DbError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            }
            _ => false,
        }
    }
}

pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// A connection pool to the platform's database, SQLite or PostgreSQL.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// The SQLite file, for the bulk path that bypasses the pool.
    sqlite_path: Option<std::path::PathBuf>,
}

impl Db {
    /// Connects to `url` (`sqlite://PATH`, `sqlite:PATH` or `postgres://...`). A SQLite file
    /// is created when missing and opened in WAL mode with full synchronous commits, so a
    /// write acknowledged to a user survives a killed process (and a power cut).
    pub async fn connect(url: &str) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let (backend, url) = normalise_url(url)?;
        let sqlite_path = (backend == Backend::Sqlite).then(|| {
            let rest = &url["sqlite://".len()..];
            std::path::PathBuf::from(rest.split('?').next().unwrap_or(rest))
        });
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            conn.execute(
                                // page_size only takes effect on a new, empty file
                                // (before WAL); large pages halve the cost of bulk
                                // imports (bench/README.md).
                                "PRAGMA page_size = 32768; PRAGMA journal_mode = WAL; \
                                 PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
                                 PRAGMA busy_timeout = 30000; PRAGMA cache_size = -65536;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(options)
                    .await?
            }
        };
        Ok(Db {
            pool,
            backend,
            sqlite_path,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so two writers never both read the audit chain's last hash.
    pub async fn begin_write(&self) -> Result<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Closes every connection (checkpointing SQLite's WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Checks the scheme and, for SQLite, asks for the file to be created when missing.
fn normalise_url(url: &str) -> Result<(Backend, String)> {
    if let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        if rest.is_empty() {
            return Err(DbError::BadUrl(url.to_string()));
        }
        let with_mode = if rest.contains("mode=") {
            format!("sqlite://{rest}")
        } else if rest.contains('?') {
            format!("sqlite://{rest}&mode=rwc")
        } else {
            format!("sqlite://{rest}?mode=rwc")
        };
        Ok((Backend::Sqlite, with_mode))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok((Backend::Postgres, url.to_string()))
    } else {
        Err(DbError::BadUrl(url.to_string()))
    }
}

/// The current time as stored.
pub fn now_text() -> String {
    time_text(chrono::Utc::now())
}

/// A time as stored: UTC, RFC 3339 with microseconds, so text order is time order.
pub fn time_text(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Today's date in China (UTC+8), the date a county's staff see on their calendar.
pub fn today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

/// Builds `($1,$2,..),($k,..)` for a multi-row insert of `rows` rows of `cols` columns;
/// on SQLite anonymous `?` instead, because SQLite looks numbered parameters up by name
/// in a linear list, which makes binding thousands of them quadratic.
pub(crate) fn values_placeholders(backend: Backend, rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    let mut n = 1;
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            if backend == Backend::Sqlite {
                s.push('?');
            } else {
                s.push('$');
                s.push_str(&n.to_string());
                n += 1;
            }
        }
        s.push(')');
    }
    s
}

/// Builds `$from,$from+1,..` for an `IN (...)` list of `n` values (`?,?,..` on SQLite,
/// see [`values_placeholders`]); `from` must be 1 on SQLite.
/// Refuses a text longer than `max` characters (`jiuzhu_domain::limits`), naming the field.
pub(crate) fn limit(field: &str, value: &str, max: usize) -> Result<()> {
    jiuzhu_domain::limits::within(field, value, max).map_err(|en| {
        let n = value.chars().count();
        let en = en
            .split_once(": ")
            .map_or(en.clone(), |(_, why)| why.to_string());
        DbError::invalid(
            field,
            en,
            format!(
                "{}最多 {max} 个字（现有 {n} 个）",
                jiuzhu_domain::limits::field_label_zh(field)
            ),
        )
    })
}

pub(crate) fn list_placeholders(backend: Backend, from: usize, n: usize) -> String {
    if backend == Backend::Sqlite {
        debug_assert_eq!(from, 1, "anonymous placeholders must come first");
        return vec!["?"; n].join(",");
    }
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The half-open range of codes under a region prefix: every code that starts with
/// `prefix` is `>= prefix` and `< prefix + ":"` (codes are digits, and ':' follows '9').
pub fn prefix_range(prefix: &str) -> (String, String) {
    (prefix.to_string(), format!("{prefix}:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_normalised() {
        assert_eq!(
            normalise_url("sqlite://a.db").unwrap(),
            (Backend::Sqlite, "sqlite://a.db?mode=rwc".to_string())
        );
        assert_eq!(
            normalise_url("sqlite:/tmp/x.db?cache=shared").unwrap().1,
            "sqlite:///tmp/x.db?cache=shared&mode=rwc"
        );
        assert_eq!(
            normalise_url("postgres://h/db").unwrap().0,
            Backend::Postgres
        );
        assert!(matches!(
            normalise_url("mysql://x"),
            Err(DbError::BadUrl(_))
        ));
    }

    #[test]
    fn placeholders() {
        assert_eq!(
            values_placeholders(Backend::Postgres, 2, 2),
            "($1,$2),($3,$4)"
        );
        assert_eq!(values_placeholders(Backend::Sqlite, 2, 2), "(?,?),(?,?)");
        assert_eq!(list_placeholders(Backend::Postgres, 3, 2), "$3,$4");
        assert_eq!(list_placeholders(Backend::Sqlite, 1, 2), "?,?");
        assert_eq!(prefix_range("3303"), ("3303".into(), "3303:".into()));
    }
}
