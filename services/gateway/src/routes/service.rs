//! /health and /version.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use travel_proto::meta::v1::{GetInfoRequest, rpc as meta};
use travel_runtime::dependencies;

use crate::AppState;
use crate::envelope::Success;
use crate::openapi::schemas::Envelope;
use crate::upstream::Upstream;
use crate::views::service::{Health, Probe, ServiceHealth, Version};

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Dependencies every service reports through grpc.health.v1 (see the services'
/// dependency monitors): the name in /health and the health service name. A service
/// can answer while either of its database and cache is up.
const DEPENDENCIES: [(&str, &str); 2] = [
    ("database", dependencies::DATABASE),
    ("cache", dependencies::CACHE),
];

/// The breakers a service may publish: the backend's name in /health and the health
/// service name.
const BREAKERS: [(&str, &str); 2] = [
    (travel_breaker::DATABASE, dependencies::DATABASE_BREAKER),
    (travel_breaker::CACHE, dependencies::CACHE_BREAKER),
];

const fn breaker_name(closed: bool) -> &'static str {
    if closed { "closed" } else { "open" }
}

const fn health_name(healthy: bool) -> &'static str {
    if healthy { "healthy" } else { "unhealthy" }
}

async fn check(upstream: &Upstream, service: &str) -> Option<bool> {
    let request = HealthCheckRequest {
        service: service.to_string(),
    };
    let answer = tokio::time::timeout(CHECK_TIMEOUT, upstream.health().check(request)).await;
    match answer {
        Ok(Ok(response)) => Some(response.into_inner().status == ServingStatus::Serving as i32),
        // NotFound: the service does not publish this name.
        Ok(Err(status)) if status.code() == tonic::Code::NotFound => None,
        _ => Some(false),
    }
}

/// Liveness
///
/// The process runs and its HTTP stack answers. Nothing else is asked: restarting a
/// gateway cannot fix a backend.
#[utoipa::path(
    get,
    path = "/livez",
    operation_id = "livez",
    tag = "service",
    responses((status = 200, description = "Alive", body = Envelope<Probe>))
)]
pub async fn livez() -> Success<Probe> {
    Success::ok(Probe { status: "alive" })
}

/// Readiness
///
/// This replica can take traffic: it is not draining and its listener is up. Never
/// a shared backend: a database outage must not take every replica out of the
/// Service at once (the API still answers from the cache; /health says how well).
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = "service",
    responses(
        (status = 200, description = "Ready", body = Envelope<Probe>),
        (status = 503, description = "Draining before shutdown", body = Envelope<Probe>),
    )
)]
pub async fn readyz(State(state): State<AppState>) -> Response {
    if state.draining.load(std::sync::atomic::Ordering::SeqCst) {
        Success::with_status(
            StatusCode::SERVICE_UNAVAILABLE,
            Probe { status: "draining" },
        )
        .into_response()
    } else {
        Success::ok(Probe { status: "ready" }).into_response()
    }
}

/// Health
///
/// The gateway's view of the services behind it and of their database and cache:
/// `healthy`; `degraded` (200) while part of the API still answers — a service or a
/// backend is down, but some service still has its database or its cache; `unhealthy`
/// (503) only when nothing can be served (no service answers, or none has any
/// backend) or the gateway is draining. For monitoring, not for probes: see /readyz.
#[utoipa::path(
    get,
    path = "/health",
    operation_id = "health",
    tag = "service",
    responses(
        (status = 200, description = "Healthy or degraded", body = Envelope<Health>),
        (status = 503, description = "Unhealthy or draining", body = Envelope<Health>),
    )
)]
pub async fn health(State(state): State<AppState>) -> Response {
    let mut services = BTreeMap::new();
    let mut dependencies = BTreeMap::new();
    let mut breakers = BTreeMap::new();
    let mut degraded = false;
    // Services that can answer something: reachable, with their database or cache.
    let mut answering = 0;

    let cache_up = match state.cache.ping().await {
        Ok(()) => true,
        Err(error) => {
            tracing::warn!(%error, "gateway cache unreachable");
            degraded = true;
            false
        }
    };
    dependencies.insert("gateway_cache", health_name(cache_up));
    // The gateway's own breaker guards its cache (rate limiter, coalescing).
    if let Some(state) = travel_breaker::states().get(travel_breaker::CACHE) {
        let closed = *state == "closed";
        breakers.insert(
            format!("gateway/{}", travel_breaker::CACHE),
            breaker_name(closed),
        );
    }

    for upstream in state.upstreams.iter() {
        let started = Instant::now();
        let serving = check(upstream, "").await.unwrap_or(false);
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        services.insert(
            upstream.name,
            ServiceHealth {
                status: health_name(serving),
                response_time_ms: (elapsed * 100.0).round() / 100.0,
            },
        );
        if !serving {
            degraded = true;
            continue;
        }
        let (mut reported, mut any_up) = (false, false);
        for (dependency, check_name) in DEPENDENCIES {
            let Some(ok) = check(upstream, check_name).await else {
                continue;
            };
            reported = true;
            any_up |= ok;
            // A dependency is unhealthy when any service that uses it says so.
            let entry = dependencies.entry(dependency).or_insert("healthy");
            if !ok {
                *entry = "unhealthy";
                degraded = true;
            }
        }
        if any_up || !reported {
            answering += 1;
        }
        for (backend, check_name) in BREAKERS {
            if let Some(closed) = check(upstream, check_name).await {
                degraded |= !closed;
                breakers.insert(format!("{}/{backend}", upstream.name), breaker_name(closed));
            }
        }
    }

    // Shutting down: tell balancers and probes to stop sending traffic here.
    let draining = state.draining.load(std::sync::atomic::Ordering::SeqCst);
    if draining {
        services.insert(
            "gateway",
            ServiceHealth {
                status: "draining",
                response_time_ms: 0.0,
            },
        );
    }
    let unhealthy = draining || answering == 0;
    let status = if unhealthy {
        "unhealthy"
    } else if degraded {
        "degraded"
    } else {
        "healthy"
    };
    let http_status = if unhealthy {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    Success::with_status(
        http_status,
        Health {
            status,
            services,
            dependencies,
            breakers,
        },
    )
    .into_response()
}

/// Versions
///
/// The API version and the version of each process behind the gateway.
#[utoipa::path(
    get,
    path = "/version",
    operation_id = "version",
    tag = "service",
    responses((status = 200, description = "The versions", body = Envelope<Version>))
)]
pub async fn version(State(state): State<AppState>) -> Success<Version> {
    let mut services = BTreeMap::new();
    services.insert("gateway", env!("CARGO_PKG_VERSION").to_string());
    for upstream in state.upstreams.iter() {
        let info = upstream.client::<meta::ServiceInfo>(&state.flights);
        let answer =
            tokio::time::timeout(CHECK_TIMEOUT, info.read(meta::GET_INFO, GetInfoRequest {})).await;
        let version = match answer {
            Ok(Ok(info)) => info.version,
            _ => "unavailable".to_string(),
        };
        services.insert(upstream.name, version);
    }
    Success::ok(Version {
        api_version: "v1",
        services,
        environment: state.environment.clone(),
    })
}
