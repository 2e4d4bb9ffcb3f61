//! The response envelope of api-v1: every body, success or error, has this shape.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};
use travel_domain::{ApiError, ErrorCode};

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A successful answer: `{"success": true, "data": …, "timestamp", "version"}`.
pub struct Success<T> {
    pub status: StatusCode,
    pub data: T,
}

impl<T: Serialize> Success<T> {
    pub fn ok(data: T) -> Self {
        Self {
            status: StatusCode::OK,
            data,
        }
    }
}

#[derive(Serialize)]
struct SuccessBody<T> {
    success: bool,
    data: T,
    timestamp: String,
    version: &'static str,
}

impl<T: Serialize> IntoResponse for Success<T> {
    fn into_response(self) -> Response {
        // Serialised straight to bytes: no intermediate JSON tree on the hot path.
        let body = SuccessBody {
            success: true,
            data: self.data,
            timestamp: now(),
            version: "v1",
        };
        (self.status, Json(body)).into_response()
    }
}

/// An API error rendered as the error envelope with its HTTP status.
#[derive(Debug)]
pub struct Failure(pub ApiError);

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        Self(error)
    }
}

/// A service's answer to a failed call, as the REST client sees it.
impl From<tonic::Status> for Failure {
    fn from(status: tonic::Status) -> Self {
        Self(travel_runtime::status::from_status(&status))
    }
}

/// The error envelope as JSON, shared by handlers and the middleware that wraps
/// framework-generated errors.
pub fn error_body(error: &ApiError) -> Value {
    let mut details = Map::new();
    for (key, value) in [
        ("parameter", &error.parameter),
        ("provided", &error.provided),
        ("expected", &error.expected),
    ] {
        if let Some(value) = value {
            details.insert(key.to_string(), Value::String(value.clone()));
        }
    }
    let mut body = json!({
        "success": false,
        "error": {"code": error.code.as_str(), "message": error.message},
        "timestamp": now(),
    });
    if !details.is_empty() {
        body["error"]["details"] = Value::Object(details);
    }
    body
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(error_body(&self.0))).into_response();
        if self.0.code == ErrorCode::ServiceUnavailable || self.0.code.http_status() == 503 {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

pub type ApiResult<T> = Result<Success<T>, Failure>;
