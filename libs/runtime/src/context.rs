//! Request context carried across the gateway → service hop: the request id and the
//! W3C trace context travel as gRPC metadata.

use std::str::FromStr;

use opentelemetry::propagation::{Extractor, Injector};
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Header (and gRPC metadata key) of the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

tokio::task_local! {
    /// The id of the request being handled, set by the gateway's middleware.
    pub static REQUEST_ID: String;
}

/// The current request id, when one is in scope.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

struct MetadataInjector<'a>(&'a mut MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (MetadataKey::from_str(key), MetadataValue::from_str(&value))
        {
            self.0.insert(key, value);
        }
    }
}

/// Reads W3C trace context from HTTP headers.
pub struct HeaderExtractor<'a>(pub &'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// A tonic interceptor for outgoing calls: adds the request id in scope and the
/// current span's trace context.
pub fn propagate(mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
    if let Some(id) = current_request_id()
        && let Ok(value) = MetadataValue::from_str(&id)
    {
        request.metadata_mut().insert(REQUEST_ID_HEADER, value);
    }
    let span = tracing::Span::current();
    if !span.is_disabled() {
        let context = span.context();
        opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.inject_context(&context, &mut MetadataInjector(request.metadata_mut()));
        });
    }
    Ok(request)
}

/// The span of an incoming gRPC call, child of the caller's trace when it sent one.
pub fn grpc_request_span(request: &http::Request<()>) -> tracing::Span {
    let request_id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string();
    let span = tracing::info_span!(
        "grpc",
        method = %request.uri().path(),
        request_id = %request_id,
    );
    if !span.is_disabled() {
        let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.extract(&HeaderExtractor(request.headers()))
        });
        let _ = span.set_parent(parent);
    }
    span
}
