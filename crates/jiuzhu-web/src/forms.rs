//! Form plumbing shared by the pages: urlencoded bodies with repeated fields, multipart
//! uploads, and files sent back inline.

use axum::extract::Multipart;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::WebError;

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
