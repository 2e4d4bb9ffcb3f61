//! REST handlers, one module per area of api-v1.

pub mod currency;
pub mod history;
pub mod ranking;
pub mod service;

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde_json::{Number, Value};
use travel_domain::ApiError;
use travel_proto::common::v1::Decimal;

use crate::envelope::Failure;

/// Query parameters as plain strings: each handler validates its own, so a bad value
/// gets the specific error code instead of a generic deserialisation failure.
pub struct Params(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<HashMap<String, String>>::from_request_parts(parts, state).await {
            Ok(Query(map)) => Ok(Params(map)),
            Err(rejection) => Err(Failure(ApiError::invalid_parameter(
                "query",
                parts.uri.query().unwrap_or_default(),
                &format!("a well-formed query string ({})", rejection.body_text()),
            ))),
        }
    }
}

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// A decimal from a service as a JSON number (the JSON edge is the one place money
/// becomes floating point); `null` when absent or unreadable.
pub fn number(value: Option<&Decimal>) -> Value {
    value
        .and_then(|d| d.value.parse::<f64>().ok())
        .and_then(Number::from_f64)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

pub fn rfc3339(timestamp: Option<&prost_types::Timestamp>) -> Value {
    timestamp
        .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .map(|t| Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
        .unwrap_or(Value::Null)
}

pub fn read_source_name(read_source: i32) -> &'static str {
    use travel_proto::common::v1::ReadSource;
    match ReadSource::try_from(read_source) {
        Ok(ReadSource::Cache) => "cache",
        _ => "database",
    }
}
