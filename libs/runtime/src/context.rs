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
    inject(request.metadata_mut());
    Ok(request)
}

/// Adds the request id in scope and the current span's trace context to the metadata
/// of an outgoing call.
pub fn inject(metadata: &mut MetadataMap) {
    if let Some(id) = current_request_id()
        && let Ok(value) = MetadataValue::from_str(&id)
    {
        metadata.insert(REQUEST_ID_HEADER, value);
    }
    let span = tracing::Span::current();
    if !span.is_disabled() {
        let context = span.context();
        opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.inject_context(&context, &mut MetadataInjector(metadata));
        });
    }
}

/// W3C trace context for a message leaving the process (Kafka record headers): the
/// current span's when a tracer records it, else a fresh unsampled trace (flags 00),
/// so that consumers can still tell which records one run published.
pub fn message_trace_headers() -> Vec<(String, String)> {
    let context = tracing::Span::current().context();
    let mut carrier = std::collections::HashMap::new();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut carrier);
    });
    if !carrier.contains_key(TRACEPARENT) {
        let trace_id = uuid::Uuid::new_v4().simple().to_string();
        let span_id = uuid::Uuid::new_v4().simple().to_string();
        carrier.insert(
            TRACEPARENT.to_string(),
            format!("00-{trace_id}-{}-00", &span_id[..16]),
        );
    }
    carrier.into_iter().collect()
}

pub const TRACEPARENT: &str = "traceparent";

/// Makes `span` a child of the trace a consumed message carried (when spans are
/// exported; the trace id is also a field of the span for the logs).
pub fn continue_message_trace(span: &tracing::Span, headers: &[(String, String)]) {
    if span.is_disabled() {
        return;
    }
    let carrier: std::collections::HashMap<String, String> = headers.iter().cloned().collect();
    let parent =
        opentelemetry::global::get_text_map_propagator(|propagator| propagator.extract(&carrier));
    let _ = span.set_parent(parent);
}

/// The trace id of a well-formed W3C `traceparent` (version 00).
pub fn trace_id(traceparent: &str) -> Option<&str> {
    let mut parts = traceparent.split('-');
    let (version, trace, span, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    (version == "00"
        && hex(trace, 32)
        && hex(span, 16)
        && hex(flags, 2)
        && parts.next().is_none()
        && trace.bytes().any(|b| b != b'0'))
    .then_some(trace)
}

/// The span of an incoming gRPC call, child of the caller's trace when it sent one.
pub fn grpc_request_span<B>(request: &http::Request<B>) -> tracing::Span {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_carry_a_valid_traceparent_without_a_tracer() {
        let headers = message_trace_headers();
        let value = &headers.iter().find(|(k, _)| k == TRACEPARENT).unwrap().1;
        let id = trace_id(value).expect("well-formed");
        assert_eq!(id.len(), 32);
        assert!(value.ends_with("-00"), "{value}");
        // Each call starts its own trace.
        let other = message_trace_headers();
        assert_ne!(trace_id(&other[0].1), Some(id));
    }

    #[test]
    fn malformed_traceparents_are_refused() {
        let good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(trace_id(good), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
        for bad in [
            "",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
            "00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01",
        ] {
            assert_eq!(trace_id(bad), None, "{bad}");
        }
    }
}
