//! One error type for the web layer with one mapping to HTTP status codes. Internal causes
//! are logged, never shown.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// What went wrong, as the user should hear it.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("sign-in required")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("the form expired (CSRF token mismatch)")]
    Csrf,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("internal error")]
    Internal(String),
}

impl WebError {
    pub fn status_code(&self) -> StatusCode {
        match self {
            WebError::Unauthorized => StatusCode::UNAUTHORIZED,
            WebError::Forbidden | WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
    pub fn code(&self) -> &'static str {
        match self {
            WebError::Unauthorized => "unauthorized",
            WebError::Forbidden => "forbidden",
            WebError::NotFound => "not_found",
            WebError::Csrf => "csrf",
            WebError::Conflict(_) => "conflict",
            WebError::Invalid(_) => "invalid",
            WebError::Internal(_) => "internal",
        }
    }
}

impl From<jiuzhu_db::sqlx::Error> for WebError {
    fn from(e: jiuzhu_db::sqlx::Error) -> WebError {
        jiuzhu_db::DbError::from(e).into()
    }
}

impl From<jiuzhu_db::DbError> for WebError {
    fn from(e: jiuzhu_db::DbError) -> WebError {
        use jiuzhu_db::DbError as D;
        match e {
            D::NotFound(_) => WebError::NotFound,
            D::Conflict(m) => WebError::Conflict(m),
            D::Invalid(m) => WebError::Invalid(m),
            e if e.is_unique_violation() => WebError::Conflict("already exists".into()),
            e => WebError::Internal(e.to_string()),
        }
    }
}

/// The JSON body of an API error.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Machine-readable code: unauthorized, forbidden, not_found, csrf, conflict, invalid, internal.
    pub error: String,
    pub message: String,
    /// Per-field messages for invalid input.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub fields: std::collections::BTreeMap<String, String>,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if let WebError::Internal(cause) = &self {
            tracing::error!("internal error: {cause}");
        }
        let body = ErrorBody {
            error: self.code().into(),
            message: self.to_string(),
            fields: Default::default(),
        };
        (self.status_code(), axum::Json(body)).into_response()
    }
}
