//! REST handlers, one module per area of api-v1.

pub mod alerts;
pub mod currency;
pub mod history;
pub mod ranking;
pub mod service;
pub mod stream;
mod writes;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use travel_domain::ApiError;

use crate::envelope::Failure;

/// The query parameters of an operation, as its documented struct (`IntoParams`).
/// Every field is text: each handler or service validates its own, so a bad value gets
/// the specific error code and expectation instead of a generic deserialisation error.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(query)) => Ok(Query(query)),
            Err(rejection) => Err(Failure(ApiError::invalid_parameter(
                "query",
                parts.uri.query().unwrap_or_default(),
                &format!("a well-formed query string ({})", rejection.body_text()),
            ))),
        }
    }
}
