//! The API's JSON body extractor. Like axum's `Json` (a JSON content type, the body limit,
//! 400 for text that is not JSON, 422 for JSON of the wrong shape), with two differences
//! clients rely on: a number with no fraction (`5426.0`) is an integer, as JSON Schema
//! says, and a wrong shape names the field's path (`ids[0]: invalid type ...`).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;

pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::trim)
            .is_some_and(|t| t == "application/json" || t.ends_with("+json"));
        if !is_json {
            return Err((
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the body must be JSON (Content-Type: application/json)",
            )
                .into_response());
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        parse(&bytes)
            .map(JsonBody)
            .map_err(|(status, message)| (status, message).into_response())
    }
}

/// The body read as `T`, or the status and message of why not.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, (StatusCode, String)> {
    let mut value: Value = serde_json::from_slice(bytes).map_err(|e| {
        (
            StatusCode::BAD_REQUEST,
            format!("the body is not JSON: {e}"),
        )
    })?;
    integral_floats_as_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = if path == "." {
            inner.to_string()
        } else {
            format!("{path}: {inner}")
        };
        (StatusCode::UNPROCESSABLE_ENTITY, message)
    })
}

/// `5426.0` becomes `5426` wherever it stands; other numbers are left as they are.
fn integral_floats_as_integers(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            // The range of i64 that a float holds exactly on both ends.
            if f.fract() == 0.0 && (-9.2e18..9.2e18).contains(&f) {
                *v = Value::from(f as i64);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(integral_floats_as_integers),
        Value::Object(o) => o.values_mut().for_each(integral_floats_as_integers),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Ids {
        ids: Vec<i64>,
        #[allow(dead_code)]
        note: Option<String>,
    }

    #[test]
    fn integral_floats_are_integers_and_errors_name_the_path() {
        let ok: Ids = parse(br#"{"ids": [5426.0, 7, -3.0]}"#).unwrap();
        assert_eq!(ok.ids, [5426, 7, -3]);
        let (status, m) = parse::<Ids>(br#"{"ids": [1, 2.5]}"#).unwrap_err();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(m.starts_with("ids[1]: invalid type: floating point"), "{m}");
        let (status, m) = parse::<Ids>(br#"{"ids": [1], "note": 3}"#).unwrap_err();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(m.starts_with("note: "), "{m}");
        let (status, _) = parse::<Ids>(b"{ids").unwrap_err();
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (_, m) = parse::<Ids>(b"{}").unwrap_err();
        assert!(m.contains("missing field `ids`"), "{m}");
    }
}
