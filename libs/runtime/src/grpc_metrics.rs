//! Per-call gRPC metrics of every server: `travel_grpc_requests_total{method, code}`
//! and `travel_grpc_request_duration_seconds{method}`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

/// The tower layer's service.
#[derive(Clone)]
pub struct CallMetrics<S> {
    inner: S,
}

impl<S> CallMetrics<S> {
    pub fn new(inner: S) -> Self {
        Self { inner }
    }
}

/// `grpc-status` when the answer carries it in its headers (errors are sent
/// trailers-only); a successful unary answer has it in the trailers: "0".
fn status_code(headers: &http::HeaderMap) -> String {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("0")
        .to_string()
}

impl<S, B, R> tower::Service<http::Request<B>> for CallMetrics<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    R: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = request.uri().path().to_string();
        let started = Instant::now();
        let call = self.inner.call(request);
        Box::pin(async move {
            let result = call.await;
            let code = match &result {
                Ok(response) => status_code(response.headers()),
                Err(_) => "transport".to_string(),
            };
            // Paths are client-chosen: unknown ones share one series.
            let method = if code == "12" {
                "unimplemented".to_string()
            } else {
                method
            };
            metrics::counter!("travel_grpc_requests_total", "method" => method.clone(), "code" => code)
                .increment(1);
            metrics::histogram!("travel_grpc_request_duration_seconds", "method" => method)
                .record(started.elapsed().as_secs_f64());
            result
        })
    }
}
