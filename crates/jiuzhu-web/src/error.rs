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
    /// Input refused field by field by a use case, with each field's message in English
    /// and, where written, in Chinese.
    #[error("{0}")]
    Fields(jiuzhu_app::FieldErrors),
    /// The case's state refused it, with what clears it (409).
    #[error("{0}")]
    Blocked(jiuzhu_app::FieldErrors),
    #[error("internal error")]
    Internal(String),
}

impl WebError {
    /// A refusal a page shows in its form, with its status (422 for the input, 409 for the
    /// registry's state) and message in the user's language where one is written; any other
    /// error as it is.
    pub fn refusal(self, lang: crate::i18n::Lang) -> Result<(StatusCode, String), WebError> {
        let status = self.status_code();
        match self {
            WebError::Invalid(m) | WebError::Conflict(m) => Ok((status, m)),
            WebError::Fields(f) | WebError::Blocked(f) => {
                Ok((status, f.message_in(lang == crate::i18n::Lang::Zh)))
            }
            e => Err(e),
        }
    }

    pub fn status_code(&self) -> StatusCode {
        match self {
            WebError::Unauthorized => StatusCode::UNAUTHORIZED,
            WebError::Forbidden | WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Conflict(_) | WebError::Blocked(_) => StatusCode::CONFLICT,
            WebError::Invalid(_) | WebError::Fields(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
    pub fn code(&self) -> &'static str {
        match self {
            WebError::Unauthorized => "unauthorized",
            WebError::Forbidden => "forbidden",
            WebError::NotFound => "not_found",
            WebError::Csrf => "csrf",
            WebError::Conflict(_) | WebError::Blocked(_) => "conflict",
            WebError::Invalid(_) | WebError::Fields(_) => "invalid",
            WebError::Internal(_) => "internal",
        }
    }
}

impl From<jiuzhu_db::sqlx::Error> for WebError {
    fn from(e: jiuzhu_db::sqlx::Error) -> WebError {
        jiuzhu_db::DbError::from(e).into()
    }
}

impl From<jiuzhu_app::AppError> for WebError {
    fn from(e: jiuzhu_app::AppError) -> WebError {
        use jiuzhu_app::AppError as A;
        match e {
            A::NotFound(_) => WebError::NotFound,
            A::Forbidden(_) => WebError::Forbidden,
            A::Conflict(m) => WebError::Conflict(m),
            A::Blocked(f) => WebError::Blocked(f),
            A::Invalid(m) => WebError::Fields(m),
            A::Internal(m) => WebError::Internal(m),
            A::Db(d) => d.into(),
            A::Monitor(m) => WebError::Internal(m.to_string()),
        }
    }
}

impl From<jiuzhu_db::DbError> for WebError {
    fn from(e: jiuzhu_db::DbError) -> WebError {
        use jiuzhu_db::DbError as D;
        match e {
            D::NotFound(_) => WebError::NotFound,
            D::Conflict(m) => WebError::Conflict(m),
            D::Forbidden(_) => WebError::Forbidden,
            D::Invalid(m) => WebError::Invalid(m),
            e @ (D::InvalidSaid(_) | D::ConflictSaid(_)) => jiuzhu_app::AppError::from(e).into(),
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
        let fields = match &self {
            WebError::Fields(f) | WebError::Blocked(f) => {
                f.0.iter()
                    .filter(|e| !e.field.is_empty())
                    .map(|e| (e.field.clone(), e.message.clone()))
                    .collect()
            }
            _ => Default::default(),
        };
        let body = ErrorBody {
            error: self.code().into(),
            message: self.to_string(),
            fields,
        };
        (self.status_code(), axum::Json(body)).into_response()
    }
}

/// Every error the API answers is the JSON error shape, including those axum answers itself
/// before a handler runs (malformed JSON, a wrong content type, a bad path or query
/// parameter, an unknown route, a wrong method): a plain-text or empty error body under
/// `/api/` is rewritten as `{error, message}` with the same status.
pub async fn api_errors_as_json(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let status = res.status();
    if !is_api || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_json = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    if is_json {
        return res;
    }
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
        s if s.is_server_error() => "internal",
        _ => "error",
    };
    let message = if text.is_empty() || status.is_server_error() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    let body = ErrorBody {
        error: code.into(),
        message,
        fields: Default::default(),
    };
    let mut out = (status, axum::Json(body)).into_response();
    for (k, v) in parts.headers.iter() {
        if k != axum::http::header::CONTENT_TYPE && k != axum::http::header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}
