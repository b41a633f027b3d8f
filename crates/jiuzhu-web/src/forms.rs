//! Form plumbing shared by the pages: urlencoded bodies with repeated fields, multipart
//! uploads, and files sent back inline.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::auth::{PageUser, SignedIn};
use crate::error::WebError;
use crate::pages::{PageError, PageResult};

/// A signed-in user's form post: the user, and the form read as `T` once the form's
/// CSRF token (its `csrf` field) has been checked against the session's. Every page that
/// writes from a urlencoded form takes it this way, so no handler can forget the check.
pub struct Posted<T>(pub SignedIn, pub T);

/// A form with nothing but its token (a button).
#[derive(Deserialize)]
pub struct NoFields {}

/// The form's token, whatever else it holds.
#[derive(Deserialize)]
struct Token {
    #[serde(default)]
    csrf: String,
}

impl<T: DeserializeOwned> FromRequest<AppState> for Posted<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let PageUser(u) = PageUser::from_request_parts(&mut parts, state).await?;
        let urlencoded = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
        if !urlencoded {
            return Err((
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Form requests must have `Content-Type: application/x-www-form-urlencoded`",
            )
                .into_response());
        }
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let token: Token = serde_urlencoded::from_bytes(&bytes).unwrap_or(Token {
            csrf: String::new(),
        });
        u.check_csrf(&token.csrf)
            .map_err(|e| PageError(e).into_response())?;
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("Failed to deserialize form body: {e}"),
            )
                .into_response()
        })?;
        Ok(Posted(u, form))
    }
}

/// What a page does with the answer of the use case its form called: on success the
/// browser goes on to the address `next` makes of the result; a refusal the user can clear
/// (invalid input, a conflict) draws the page again with the refusal's message (`again`),
/// under the refusal's status; anything else is the error page.
pub async fn answer<T, E, Fut>(
    lang: crate::i18n::Lang,
    result: Result<T, E>,
    next: impl FnOnce(T) -> String,
    again: impl FnOnce(String) -> Fut,
) -> PageResult
where
    E: Into<WebError>,
    Fut: Future<Output = PageResult>,
{
    match result.map_err(Into::into) {
        Ok(v) => Ok(Redirect::to(&next(v)).into_response()),
        Err(e) => {
            let (status, message) = e.refusal(lang)?;
            let mut page = again(message).await?;
            *page.status_mut() = status;
            Ok(page)
        }
    }
}

/// A urlencoded body as pairs, keeping repeated fields (`ids=1&ids=2`).
pub fn form_pairs(body: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Every value of a repeated field (checkboxes), in form order.
pub fn fields(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

/// The first value of a field, trimmed; empty when absent.
pub fn field(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default()
}

/// The largest upload of a roster or a department feed: a county's roster of 100,000
/// households is about 35 MB of CSV (axum's default limit is 2 MB).
pub const UPLOAD_LIMIT: usize = 256 << 20;

/// The text fields and the non-empty files `(name, mime, bytes)` of a multipart form.
pub struct Upload {
    pub fields: Vec<(String, String)>,
    pub files: Vec<(String, String, Vec<u8>)>,
    /// The form field of each file, in the order of `files`.
    pub file_fields: Vec<String>,
}

impl Upload {
    pub fn field(&self, name: &str) -> String {
        field(&self.fields, name)
    }
}

pub async fn read_upload(mut m: Multipart) -> Result<Upload, WebError> {
    let mut up = Upload {
        fields: Vec::new(),
        files: Vec::new(),
        file_fields: Vec::new(),
    };
    let bad =
        |e: axum::extract::multipart::MultipartError| WebError::Invalid(format!("upload: {e}"));
    while let Some(part) = m.next_field().await.map_err(bad)? {
        let name = part.name().unwrap_or_default().to_string();
        if let Some(file_name) = part.file_name().map(str::to_string) {
            let mime = part
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_string();
            let bytes = part.bytes().await.map_err(bad)?;
            if !file_name.is_empty() && !bytes.is_empty() {
                up.files.push((file_name, mime, bytes.to_vec()));
                up.file_fields.push(name);
            }
        } else {
            up.fields.push((name, part.text().await.map_err(bad)?));
        }
    }
    Ok(up)
}

/// A stored file shown inline, its name reduced to safe characters for the header.
pub fn inline_file(name: &str, mime: String, bytes: Vec<u8>) -> Response {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, mime),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{safe}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}
