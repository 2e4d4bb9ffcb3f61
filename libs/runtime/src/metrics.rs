//! Prometheus metrics: each long-running component serves the text format on
//! `TRAVEL_METRICS_ADDR` (`/metrics`, port 9464 in the cluster). Code records through
//! the `metrics` facade; without an installed exporter (tests, the all-in-one by
//! default) recording is a no-op.

use std::net::SocketAddr;

use metrics_exporter_prometheus::PrometheusBuilder;

use crate::{ConfigError, Env};

/// Request latency buckets in seconds: 1 ms to 10 s.
const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// Where to serve metrics: `TRAVEL_METRICS_ADDR`, `off` for nowhere.
pub fn metrics_addr(env: &Env, default: &str) -> Result<Option<SocketAddr>, ConfigError> {
    env.addr_or_off("TRAVEL_METRICS_ADDR", default)
}

/// Installs the process-wide recorder and its HTTP listener. Call once, inside the
/// tokio runtime.
pub fn serve(addr: SocketAddr) -> anyhow::Result<()> {
    PrometheusBuilder::new()
        .with_http_listener(addr)
        .set_buckets(&LATENCY_BUCKETS)?
        .install()
        .map_err(|e| anyhow::anyhow!("serving metrics on {addr}: {e}"))?;
    tracing::info!(%addr, "metrics on /metrics");
    Ok(())
}
