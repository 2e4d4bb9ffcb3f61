//! The gateway's middleware: request ids, tracing, CORS, time-outs, body limits,
//! panics, rate limiting, and the envelope for errors the framework produces.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use travel_cache::Cache;
use travel_domain::{ApiError, ErrorCode, shown};
use travel_runtime::context::{HeaderExtractor, REQUEST_ID, REQUEST_ID_HEADER};

use crate::envelope::{Failure, error_body};

pub const CORRELATION_ID_HEADER: &str = "x-correlation-id";

fn usable_id(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty() && bytes.len() <= 128 && bytes.iter().all(|b| b.is_ascii_graphic())
}

fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string()
}

/// The span of one HTTP request, child of the caller's trace when it sent one.
pub fn request_span(request: &axum::http::Request<Body>) -> tracing::Span {
    let span = tracing::info_span!(
        "http",
        method = %request.method(),
        path = %shown(request.uri().path()),
        request_id = %request_id(request.headers()),
    );
    if !span.is_disabled() {
        let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.extract(&HeaderExtractor(request.headers()))
        });
        let _ = span.set_parent(parent);
    }
    span
}

/// The request id: the client's X-Request-ID, else its X-Correlation-ID (when either
/// is a sane token), else a new UUID. Set on the request (for the span and the
/// services), in task-local scope (the gRPC clients forward it), and on the response.
/// Also echoes X-Correlation-ID, logs the outcome, and gives framework-made errors
/// (404, 405, 413, time-outs, …) the api-v1 envelope. One middleware for all of it:
/// each layer on this path costs throughput.
pub async fn request_context(mut request: Request, next: Next) -> Response {
    let headers = request.headers();
    let correlation = headers
        .get(CORRELATION_ID_HEADER)
        .filter(|v| usable_id(v))
        .cloned();
    let id_value = headers
        .get(REQUEST_ID_HEADER)
        .filter(|v| usable_id(v))
        .cloned()
        .or_else(|| correlation.clone())
        .unwrap_or_else(|| {
            HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
                .expect("a UUID is a valid header")
        });
    request
        .headers_mut()
        .insert(REQUEST_ID_HEADER, id_value.clone());
    let id = id_value.to_str().unwrap_or("-").to_string();
    let method = request.method().clone();
    let uri = request.uri().clone();
    // The route pattern, not the path: one series per route, whatever the ids.
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let started = std::time::Instant::now();
    let mut response = REQUEST_ID.scope(id.clone(), next.run(request)).await;
    if response.status().is_client_error() || response.status().is_server_error() {
        response = envelope_for_bare_errors(response, &method, uri.path()).await;
    }
    let headers = response.headers_mut();
    headers.insert(REQUEST_ID_HEADER, id_value);
    if let Some(correlation) = correlation {
        headers.insert(HeaderName::from_static(CORRELATION_ID_HEADER), correlation);
    }
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    metrics::counter!(
        "travel_http_requests_total",
        "method" => method.to_string(),
        "route" => route.clone(),
        "status" => status.to_string()
    )
    .increment(1);
    metrics::histogram!("travel_http_request_duration_seconds", "route" => route)
        .record(elapsed.as_secs_f64());
    if status >= 500 {
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        tracing::warn!(request_id = %id, %method, path = %shown(uri.path()), status, elapsed_ms, "request failed");
    } else if tracing::enabled!(tracing::Level::INFO) {
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(request_id = %id, %method, path = %shown(uri.path()), status, elapsed_ms, "request");
    }
    response
}

fn is_bare(response: &Response) -> bool {
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // HTML is the web app's not-found page for a browser (`web::fallback`).
    !(content_type.starts_with("application/json")
        || content_type.starts_with("application/grpc")
        || content_type.starts_with("text/html"))
}

async fn envelope_for_bare_errors(response: Response, method: &Method, path: &str) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || !is_bare(&response) {
        return response;
    }
    let error = match status {
        StatusCode::NOT_FOUND => ApiError::not_found(format!(
            "no route for {method} {}",
            shown(path)
        ))
        .with_detail("path", path, "a route of api-v1"),
        StatusCode::METHOD_NOT_ALLOWED => {
            let allowed = response
                .headers()
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            ApiError::new(
                ErrorCode::MethodNotAllowed,
                format!("{method} is not allowed on {path}"),
            )
            .with_detail("method", method.as_str(), &allowed)
        }
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            ErrorCode::PayloadTooLarge,
            "the request body is larger than the gateway accepts",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "the request body must be application/json",
        )
        .with_detail("content-type", "", "application/json"),
        StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => {
            ApiError::new(ErrorCode::Timeout, "the request took too long")
        }
        StatusCode::UNAUTHORIZED => {
            ApiError::new(ErrorCode::Unauthorized, "authentication required")
        }
        StatusCode::TOO_MANY_REQUESTS => {
            ApiError::new(ErrorCode::RateLimitExceeded, "too many requests")
        }
        s if s.is_client_error() => {
            // e.g. axum's JSON rejections: keep their explanation.
            let body = axum::body::to_bytes(response.into_body(), 16 * 1024)
                .await
                .unwrap_or_default();
            let explanation = String::from_utf8_lossy(&body).trim().to_string();
            return Failure(ApiError::new(ErrorCode::InvalidParameter, explanation))
                .into_response();
        }
        _ => ApiError::internal("internal error"),
    };
    let mut fixed = (status, axum::Json(error_body(&error))).into_response();
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(value) = response.headers().get(&name) {
            fixed.headers_mut().insert(name, value.clone());
        }
    }
    // Keep the request id and the CORS headers added on the way out.
    for (name, value) in response.headers() {
        if name.as_str().starts_with("x-") || name.as_str().starts_with("access-control-") {
            fixed.headers_mut().insert(name.clone(), value.clone());
        }
    }
    if error.code == ErrorCode::Timeout {
        *fixed.status_mut() = StatusCode::GATEWAY_TIMEOUT;
    }
    fixed
}

/// Renders a panic in a handler as a 500 envelope, never a dropped connection.
#[derive(Clone)]
pub struct PanicToEnvelope;

impl tower_http::catch_panic::ResponseForPanic for PanicToEnvelope {
    type ResponseBody = Body;

    fn response_for_panic(
        &mut self,
        _panic: Box<dyn std::any::Any + Send + 'static>,
    ) -> axum::http::Response<Body> {
        tracing::error!("handler panicked");
        Failure(ApiError::internal("internal error")).into_response()
    }
}

pub fn cors(origins: &[String]) -> CorsLayer {
    let allow_origin = if origins.is_empty() || origins.iter().any(|o| o == "*") {
        AllowOrigin::from(Any)
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers(Any)
        .expose_headers([
            HeaderName::from_static("x-request-id"),
            HeaderName::from_static("x-correlation-id"),
            HeaderName::from_static("x-ratelimit-limit"),
            HeaderName::from_static("x-ratelimit-remaining"),
            HeaderName::from_static("x-ratelimit-reset"),
            HeaderName::from_static("x-ratelimit-window"),
            HeaderName::from_static("retry-after"),
            HeaderName::from_static("grpc-status"),
            HeaderName::from_static("grpc-message"),
            HeaderName::from_static("grpc-status-details-bin"),
        ])
        .max_age(Duration::from_secs(600))
}

/// Fixed-window limit per client IP, counted in the shared cache so that every
/// gateway replica sees the same count.
#[derive(Clone)]
pub struct RateLimit {
    pub cache: Arc<dyn Cache>,
    pub limit: u64,
    pub window: Duration,
    /// Take the client address from X-Forwarded-For (behind a trusted load balancer).
    pub trust_forwarded_for: bool,
}

/// The client's address: the first `X-Forwarded-For` hop behind a trusted load
/// balancer, else the peer of the connection.
pub fn client_ip(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    trust_forwarded_for: bool,
) -> Option<IpAddr> {
    if trust_forwarded_for
        && let Some(ip) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
    {
        return Some(ip);
    }
    peer.map(|peer| peer.ip())
}

fn header_number(value: u64) -> HeaderValue {
    HeaderValue::from(value)
}

pub async fn rate_limit(State(limit): State<RateLimit>, request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    let Some(ip) = client_ip(request.headers(), peer, limit.trust_forwarded_for) else {
        return next.run(request).await;
    };
    let window_secs = limit.window.as_secs().max(1);
    let counted = limit
        .cache
        .hit_window(&format!("ratelimit:{ip}"), limit.window)
        .await;
    let mut response = match &counted {
        Ok(count) if count.count > limit.limit => {
            let retry_after = count.resets_in.as_secs().max(1);
            let mut response = Failure(
                ApiError::new(
                    ErrorCode::RateLimitExceeded,
                    format!(
                        "more than {} requests in {} seconds",
                        limit.limit, window_secs
                    ),
                )
                .with_detail(
                    "client_ip",
                    ip.to_string(),
                    format!("at most {} requests per window", limit.limit),
                ),
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header_number(retry_after));
            response
        }
        Ok(_) => next.run(request).await,
        Err(error) => {
            // Failing open: an unreachable cache must not take the API down with it.
            travel_cache::log_failure(error, "rate limiter cache unreachable, request allowed");
            next.run(request).await
        }
    };
    let headers = response.headers_mut();
    if headers.contains_key("x-ratelimit-limit") {
        // A route with its own, tighter budget (selections) reported that one.
        return response;
    }
    headers.insert("x-ratelimit-limit", header_number(limit.limit));
    headers.insert("x-ratelimit-window", header_number(window_secs));
    if let Ok(count) = counted {
        let reset = count.resets_at_unix();
        headers.insert(
            "x-ratelimit-remaining",
            header_number(limit.limit.saturating_sub(count.count)),
        );
        headers.insert("x-ratelimit-reset", header_number(reset));
    }
    response
}
