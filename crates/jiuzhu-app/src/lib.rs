//! The application layer (应用层): the use cases of jiuzhu between its front ends (the web
//! pages, the JSON API, the command line) and the store. A use case takes the acting user,
//! typed input and the store, and returns typed output or an [`AppError`]; the front ends
//! parse, call and render. The engines (`jiuzhu-policy`, `jiuzhu-monitor`) stay pure and
//! are called from here on what the store holds.
//!
//! What is here so far: the household's prescription (the registry → the city pack's
//! inputs), user administration and credentials, automatic grants and the monthly monitoring run that proposes them, intake's
//! reads of a household by ID number wherever it is registered, and deadline supervision.
//! Only these use cases, the command line and the scheduler hold `Scope::everything()`; a
//! test fails when the web crate names it.

pub mod accounts;
pub mod alerts;
pub mod calendar;
pub mod cases;
pub mod credentials;
pub mod demo;
pub mod grants;
pub mod intake;
pub mod monitoring;
pub mod prescription;
pub mod registry;
pub mod roster;
pub mod supervision;
pub mod verification;

/// The user a use case acts for: who, in which role, for which department, over which
/// region. The front ends build it from the session or token; the command line and the
/// scheduler from their own accounts.
#[derive(Clone, Debug)]
pub struct Acting {
    pub username: String,
    pub role: jiuzhu_domain::Role,
    /// The user's department (a department handler's), else empty.
    pub department: String,
    pub scope: jiuzhu_db::households::Scope,
    /// The region the scope is of (the application's taking region).
    pub region: String,
    pub ip: String,
}

impl Acting {
    /// The acting user as the audit log records them.
    pub fn actor(&self) -> jiuzhu_db::audit::Actor {
        jiuzhu_db::audit::Actor {
            name: self.username.clone(),
            role: self.role.code().into(),
            ip: self.ip.clone(),
        }
    }

    /// Refuses unless `allowed`, saying what the role may not do.
    pub fn require(&self, allowed: bool, what: &str) -> Result<()> {
        if allowed {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "role: {} may not {what}",
                self.role.code()
            )))
        }
    }
}

/// Why a use case refused or failed, in the classes the front ends answer differently.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Nothing of the kind exists, or it lies outside the user's region.
    #[error("not found: {0}")]
    NotFound(String),
    /// The user's role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The registry's state refuses it (a step out of order, a duplicate).
    #[error("{0}")]
    Conflict(String),
    /// The input breaks a rule, the field named.
    #[error("{0}")]
    Invalid(String),
    /// Something that should not happen did (stored data that does not read).
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Db(jiuzhu_db::DbError),
    #[error(transparent)]
    Monitor(jiuzhu_monitor::MonitorError),
}

impl From<jiuzhu_db::DbError> for AppError {
    fn from(e: jiuzhu_db::DbError) -> AppError {
        match e {
            jiuzhu_db::DbError::NotFound(m) => AppError::NotFound(m),
            jiuzhu_db::DbError::Conflict(m) => AppError::Conflict(m),
            jiuzhu_db::DbError::Forbidden(m) => AppError::Forbidden(m),
            jiuzhu_db::DbError::Invalid(m) => AppError::Invalid(m),
            e if e.is_unique_violation() => AppError::Conflict("already exists".into()),
            e => AppError::Db(e),
        }
    }
}

impl From<jiuzhu_db::sqlx::Error> for AppError {
    fn from(e: jiuzhu_db::sqlx::Error) -> AppError {
        jiuzhu_db::DbError::from(e).into()
    }
}

impl From<jiuzhu_monitor::MonitorError> for AppError {
    fn from(e: jiuzhu_monitor::MonitorError) -> AppError {
        match e {
            jiuzhu_monitor::MonitorError::Invalid(m) => AppError::Invalid(m),
            jiuzhu_monitor::MonitorError::Forbidden(m) => AppError::Forbidden(m),
            e => AppError::Monitor(e),
        }
    }
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;
