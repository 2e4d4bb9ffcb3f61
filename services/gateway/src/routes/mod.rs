//! REST handlers, one module per area of api-v1.

pub mod currency;
pub mod history;
pub mod ranking;
pub mod service;

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use travel_domain::ApiError;

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
