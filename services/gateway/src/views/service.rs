//! /health and /version.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

/// GET /health
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// healthy, degraded (an optional dependency is down) or unhealthy.
    pub status: &'static str,
    pub services: BTreeMap<&'static str, ServiceHealth>,
    /// healthy or unhealthy, by dependency.
    pub dependencies: BTreeMap<&'static str, &'static str>,
    /// Circuit breakers by `process/backend` (e.g. `currency/cache`): `closed`, or
    /// `open` while the backend is being skipped and one probe at a time decides when
    /// it is back. Only backends guarded by a breaker are listed.
    pub breakers: BTreeMap<String, &'static str>,
}

#[derive(Serialize, ToSchema)]
pub struct ServiceHealth {
    /// healthy, unhealthy or draining.
    pub status: &'static str,
    pub response_time_ms: f64,
}

/// GET /livez and /readyz
#[derive(Serialize, ToSchema)]
pub struct Probe {
    /// alive; ready or draining.
    pub status: &'static str,
}

/// GET /version
#[derive(Serialize, ToSchema)]
pub struct Version {
    pub api_version: &'static str,
    /// The version of each process, or "unavailable".
    pub services: BTreeMap<&'static str, String>,
    pub environment: String,
}
