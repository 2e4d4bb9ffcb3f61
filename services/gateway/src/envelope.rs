//! The response envelope of api-v1: every body, success or error, has this shape.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
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
    freshness: Freshness,
}

/// How long an answer stays fresh in a browser or CDN, and when its data last changed.
#[derive(Debug, Default, Clone, Copy)]
pub struct Freshness {
    /// `Cache-Control: public, max-age`; without it `no-cache` (revalidate each use).
    pub max_age: Option<Duration>,
    /// `Last-Modified`: the newest observation the answer is made of.
    pub last_modified: Option<DateTime<Utc>>,
}

fn instant(timestamp: Option<&prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    timestamp.and_then(|t| DateTime::from_timestamp(t.seconds, 0))
}

impl Freshness {
    /// Data that stays current until `until` (a service's promise; absent or passed:
    /// revalidate on each use) and last changed at `modified`.
    pub fn until(
        until: Option<&prost_types::Timestamp>,
        modified: Option<&prost_types::Timestamp>,
    ) -> Self {
        let max_age = instant(until)
            .and_then(|until| (until - Utc::now()).to_std().ok())
            .filter(|left| !left.is_zero());
        Self {
            max_age,
            last_modified: instant(modified),
        }
    }
}

impl<T: Serialize> Success<T> {
    pub fn ok(data: T) -> Self {
        Self::with_status(StatusCode::OK, data)
    }

    pub fn with_status(status: StatusCode, data: T) -> Self {
        Self {
            status,
            data,
            freshness: Freshness::default(),
        }
    }

    pub fn fresh(mut self, freshness: Freshness) -> Self {
        self.freshness = freshness;
        self
    }
}

impl<T: Serialize> IntoResponse for Success<T> {
    fn into_response(self) -> Response {
        // Serialised straight to bytes: no intermediate JSON tree on the hot path.
        let data = match serde_json::to_vec(&self.data) {
            Ok(data) => data,
            Err(error) => {
                tracing::error!(%error, "answer could not be serialised");
                return Failure(ApiError::internal("internal error")).into_response();
            }
        };
        let mut body = Vec::with_capacity(data.len() + 80);
        body.extend_from_slice(br#"{"success":true,"data":"#);
        body.extend_from_slice(&data);
        body.extend_from_slice(br#","timestamp":""#);
        body.extend_from_slice(now().as_bytes());
        body.extend_from_slice(br#"","version":"v1"}"#);
        let mut response = (
            self.status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response();
        if self.status == StatusCode::OK {
            crate::caching::describe(response.headers_mut(), &data, self.freshness);
        }
        response
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
