//! What the write operations share: JSON object bodies read field by field (so a bad
//! field gets its own error), and the budget headers a service's answer carries.

use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};
use tonic::metadata::MetadataMap;
use travel_domain::{ApiError, ErrorCode};

use crate::envelope::{Failure, Success};

/// Headers a service sets on the answers of a budgeted write (selections, alert
/// creations).
const BUDGET_HEADERS: [&str; 5] = [
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-ratelimit-window",
    "retry-after",
];

fn copy_budget(metadata: &MetadataMap, headers: &mut HeaderMap) {
    for name in BUDGET_HEADERS {
        if let Some(value) = metadata
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
        {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
}

/// A write's answer: its view with `status` and the budget headers the service sent,
/// or the service's error with its own.
pub(crate) fn budgeted<M, V: From<M> + Serialize>(
    status: StatusCode,
    answer: Result<tonic::Response<M>, tonic::Status>,
) -> Response {
    match answer {
        Ok(response) => {
            let (metadata, message, _) = response.into_parts();
            let mut http = Success::with_status(status, V::from(message)).into_response();
            copy_budget(&metadata, http.headers_mut());
            http
        }
        Err(status) => upstream_failure(status),
    }
}

/// A service error as the envelope, with the budget headers a 429 carries.
pub(crate) fn upstream_failure(status: tonic::Status) -> Response {
    let metadata = status.metadata().clone();
    let mut response = Failure::from(status).into_response();
    copy_budget(&metadata, response.headers_mut());
    response
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().eq_ignore_ascii_case("application/json"))
        .unwrap_or(false)
}

/// The request body as a JSON object; anything else is a 400 (or 415 for another
/// content type) saying what was `expected`.
pub(crate) fn json_object(
    headers: &HeaderMap,
    body: &[u8],
    expected: &str,
) -> Result<Map<String, Value>, Failure> {
    if !is_json(headers) {
        let provided = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        return Err(Failure(
            ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "the request body must be application/json",
            )
            .with_detail("content-type", provided, "application/json"),
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Failure(ApiError::invalid_parameter("body", "", expected))),
        Err(error) => Err(Failure(ApiError::invalid_parameter(
            "body",
            "",
            &format!("well-formed JSON ({error})"),
        ))),
    }
}

/// A string field of the body: absent or null → empty (the service then names it as
/// missing where it is required); any other type → 400 naming the field.
pub(crate) fn text_field(body: &Map<String, Value>, name: &str) -> Result<String, Failure> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(Failure(ApiError::invalid_parameter(
            name,
            &other.to_string(),
            "a JSON string",
        ))),
    }
}
