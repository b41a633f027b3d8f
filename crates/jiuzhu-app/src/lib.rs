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
pub mod authorisations;
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
pub mod todo;
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
    /// The state of the case refuses it until something is done first (a verification
    /// run, an authorisation recorded, the notice's term over): what clears it, in English
    /// and in Chinese, on the field it is about.
    #[error("{0}")]
    Blocked(FieldErrors),
    /// The input breaks rules: every field that does, each with why.
    #[error("{0}")]
    Invalid(FieldErrors),
    /// Something that should not happen did (stored data that does not read).
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Db(jiuzhu_db::DbError),
    #[error(transparent)]
    Monitor(jiuzhu_monitor::MonitorError),
}

impl AppError {
    /// A refusal of the case's state with what clears it: `field`, English, Chinese.
    pub fn blocked(field: &str, en: impl Into<String>, zh: impl Into<String>) -> AppError {
        AppError::Blocked(FieldError::new(field, en).zh(zh).into())
    }

    /// A refusal of one field of the input: `field`, English, Chinese.
    pub fn invalid_zh(field: &str, en: impl Into<String>, zh: impl Into<String>) -> AppError {
        AppError::Invalid(FieldError::new(field, en).zh(zh).into())
    }

    /// A refusal of input; `m` is `"field: why"` (or a [`FieldErrors`] already).
    pub fn invalid(m: impl Into<FieldErrors>) -> AppError {
        AppError::Invalid(m.into())
    }
}

/// One field of the input that breaks a rule: its name (empty for the input as a whole)
/// and why, in English and, where the rule says it, in Chinese.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
    /// The message in Chinese; empty where only the English one is written.
    pub message_zh: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.to_string(),
            message: message.into(),
            message_zh: String::new(),
        }
    }

    /// The same, with the Chinese message.
    pub fn zh(mut self, message: impl Into<String>) -> FieldError {
        self.message_zh = message.into();
        self
    }

    /// The message in Chinese when `chinese` and one is written, else in English.
    pub fn message_in(&self, chinese: bool) -> &str {
        if chinese && !self.message_zh.is_empty() {
            &self.message_zh
        } else {
            &self.message
        }
    }
}

/// Every field of an input that breaks a rule, in the order they were checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first field named (empty for the input as a whole).
    pub fn field(&self) -> &str {
        self.0.first().map_or("", |e| e.field.as_str())
    }

    /// Every message in one line, in Chinese when `chinese` (each error's own Chinese
    /// message names its field), else as `Display` writes it.
    pub fn message_in(&self, chinese: bool) -> String {
        if !chinese {
            return self.to_string();
        }
        let mut out = String::new();
        for e in &self.0 {
            if !out.is_empty() {
                out.push('；');
            }
            match (e.message_zh.is_empty(), e.field.is_empty()) {
                (false, _) => out.push_str(&e.message_zh),
                (true, true) => out.push_str(&e.message),
                (true, false) => {
                    out.push_str(&e.field);
                    out.push_str(": ");
                    out.push_str(&e.message);
                }
            }
        }
        out
    }

    /// Refuses with these errors unless there are none.
    pub fn into_result(self) -> Result<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self))
        }
    }
}

impl std::fmt::Display for FieldErrors {
    /// `field: why; field: why` (the form every message had before the list).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            if e.field.is_empty() {
                f.write_str(&e.message)?;
            } else {
                write!(f, "{}: {}", e.field, e.message)?;
            }
        }
        Ok(())
    }
}

impl From<String> for FieldErrors {
    /// `"field: why"` names its field when the part before `: ` is a field's name
    /// (letters, digits, `_`, `.`, `[`, `]`); otherwise the whole text is about the input.
    fn from(m: String) -> FieldErrors {
        let named = m.split_once(": ").filter(|(f, _)| {
            !f.is_empty()
                && f.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.[]".contains(c))
        });
        FieldErrors(vec![match named {
            Some((field, why)) => FieldError::new(field, why),
            None => FieldError::new("", m.as_str()),
        }])
    }
}

impl From<&str> for FieldErrors {
    fn from(m: &str) -> FieldErrors {
        FieldErrors::from(m.to_string())
    }
}

impl From<FieldError> for FieldErrors {
    fn from(e: FieldError) -> FieldErrors {
        FieldErrors(vec![e])
    }
}

impl From<jiuzhu_db::DbError> for AppError {
    fn from(e: jiuzhu_db::DbError) -> AppError {
        match e {
            jiuzhu_db::DbError::NotFound(m) => AppError::NotFound(m),
            jiuzhu_db::DbError::Conflict(m) => AppError::Conflict(m),
            jiuzhu_db::DbError::Forbidden(m) => AppError::Forbidden(m),
            jiuzhu_db::DbError::Invalid(m) => AppError::invalid(m),
            jiuzhu_db::DbError::InvalidSaid(s) => AppError::invalid_zh(&s.field, s.en, s.zh),
            jiuzhu_db::DbError::ConflictSaid(s) => AppError::blocked(&s.field, s.en, s.zh),
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
            jiuzhu_monitor::MonitorError::Invalid(m) => AppError::invalid(m),
            jiuzhu_monitor::MonitorError::Forbidden(m) => AppError::Forbidden(m),
            e => AppError::Monitor(e),
        }
    }
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;
